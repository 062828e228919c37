"""Interchange-intervention accuracy: exact, and sampled within its interval."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from abstractions import (
    Computation,
    Partition,
    interchange_accuracy,
    minimal_complete_abstraction,
    sampled_interchange_accuracy,
    weights,
)
from abstractions.strategies import computations, partitions


@st.composite
def cases(draw):
    C = draw(computations(min_states=1, max_states=8))
    alpha = draw(partitions(C.n))
    beta = draw(partitions(C.n))
    raw = draw(st.lists(st.integers(0, 2), min_size=C.n, max_size=C.n))
    if not any(raw):
        raw[0] = 1
    return C, alpha, beta, np.array(raw, dtype=float)


def naive_accuracy(C, alpha, beta, mu, k):
    """P(beta(step^k s) == beta(step^k t)) for s ~ mu, t ~ mu | alpha(s), by double loop."""
    n = C.n
    after = []
    for m in range(n):
        x = m
        for _ in range(k):
            x = int(C.step[x])
        after.append(int(beta.labels[x]))
    total = 0.0
    for s in range(n):
        block = [t for t in range(n) if alpha.labels[t] == alpha.labels[s]]
        mass = sum(mu[t] for t in block)
        if mu[s] == 0:
            continue
        total += mu[s] * sum(mu[t] for t in block if after[t] == after[s]) / mass
    return total


@given(cases(), st.integers(0, 5))
def test_exact_accuracy_is_the_swap_probability(case, k):
    """The exact value is the probability that a swap within the block keeps beta."""
    C, alpha, beta, raw = case
    mu = weights.from_array(C, raw)
    got = interchange_accuracy(C, alpha, beta, weights=mu, horizon=k)
    assert math.isclose(got, naive_accuracy(C, alpha, beta, mu.values, k), abs_tol=1e-12)


@given(cases())
def test_accuracy_is_one_at_every_horizon_iff_alpha_knows_the_minimal_complete_abstraction(case):
    """1 for all k >= 0 iff alpha >= minimal_complete_abstraction(beta) on the support of mu."""
    C, alpha, beta, raw = case
    mu = weights.from_array(C, raw)
    always = all(
        interchange_accuracy(C, alpha, beta, weights=mu, horizon=k) == 1.0 for k in range(C.n + 1)
    )
    support = np.flatnonzero(raw > 0)
    mca = minimal_complete_abstraction(C, beta)
    assert always == (alpha.restrict(support) >= mca.restrict(support))


def test_sampled_estimate_lies_in_its_interval_in_95_percent_of_seeds():
    """The Clopper-Pearson interval of 200 samples covers the exact value for >= 95 % of 1000 seeds."""
    rng = np.random.default_rng(7)
    n = 60
    C = Computation(rng.integers(0, n, n))
    alpha = Partition(rng.integers(0, 6, n))
    beta = Partition(rng.integers(0, 3, n))
    mu = weights.from_array(C, rng.integers(0, 4, n))
    exact = interchange_accuracy(C, alpha, beta, weights=mu, horizon=2)
    covered = 0
    for seed in range(1000):
        e = sampled_interchange_accuracy(C, alpha, beta, weights=mu, horizon=2, samples=200,
                                         seed=seed)
        assert e.samples == 200 and e.low <= e.estimate <= e.high
        covered += e.low <= exact <= e.high
    assert covered >= 950


def test_bad_arguments_are_refused():
    """A negative horizon, no samples or another kind of system raise clearly."""
    C = Computation([1, 0])
    P = Partition([0, 1])
    with pytest.raises(ValueError, match="horizon must be at least 0"):
        interchange_accuracy(C, P, P, horizon=-1)
    with pytest.raises(ValueError, match="samples"):
        sampled_interchange_accuracy(C, P, P, samples=0)
    from abstractions import TransitionSystem

    with pytest.raises(TypeError, match="Computation"):
        interchange_accuracy(TransitionSystem.labelled([[1, 0]]), P, P)


def test_interval_without_scipy_matches_scipy(monkeypatch):
    """The bisection fallback of the Clopper-Pearson interval agrees with scipy's quantiles."""
    import sys

    from abstractions.interchange import clopper_pearson

    with_scipy = [clopper_pearson(k, 40, 0.9) for k in (0, 1, 17, 39, 40)]
    monkeypatch.setitem(sys.modules, "scipy.special", None)
    without = [clopper_pearson(k, 40, 0.9) for k in (0, 1, 17, 39, 40)]
    assert np.allclose(with_scipy, without, atol=1e-9)
