"""Heavier checks of the high-level steps: run with ``pytest -m slow``."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from abstractions import (
    Computation,
    Partition,
    TransitionSystem,
    first_entry,
    first_return,
    stuttering_abstraction,
)
from abstractions._kernels import _final_states
from tests import naive
from tests.test_stuttering import _storm_weak_blocks, edges_of, lts, small_ltss

pytestmark = pytest.mark.slow


def test_first_entry_at_a_million_states_matches_final_states():
    """first_entry equals _final_states once the scheduled states are made absorbing."""
    rng = np.random.default_rng(3)
    n = 1_000_000
    for density in (0.5, 0.01, 1e-5):
        step = rng.integers(0, n, n, dtype=np.int64)
        schedule = rng.random(n) < density
        C = Computation(step)
        _, index = first_return(C, schedule)
        absorbing = np.where(schedule, np.arange(n), step)
        assert (index[first_entry(C, schedule)] == _final_states(absorbing, schedule)).all()


def test_stuttering_on_every_computation_on_four_states():
    """Exhaustive: every step function, halted set and beta on 4 states, both modes."""
    n = 4
    betas = list(naive.set_partitions(n))
    for step in itertools.product(range(n), repeat=n):
        for halted in itertools.product([False, True], repeat=n):
            C = Computation(list(step), halted=list(halted))
            for beta in betas:
                for sensitive in (True, False):
                    P = stuttering_abstraction(
                        C, beta, divergence="sensitive" if sensitive else "blind"
                    )
                    assert P.labels.tolist() == naive.stuttering_classes(
                        C.step.tolist(), list(halted), beta, sensitive
                    )


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_ltss(max_n=6), st.booleans())
def test_branching_matches_brute_force_many(data, sensitive):
    """3000 random LTSs of up to 6 states against brute force."""
    n, edges, beta = data
    assume(any(a == "tau" for _, a, _ in edges))
    T = lts(n, edges)
    divergence = "sensitive" if sensitive else "blind"
    P = stuttering_abstraction(T, beta, silent="tau", divergence=divergence)
    assert P.labels.tolist() == naive.branching_bisimilarity(
        n, edges_of(T), beta, "tau", sensitive
    )


def test_weak_bisimulation_agrees_with_storm_on_larger_chains():
    """Random chains of up to 300 states: as many classes as Storm's weak bisimulation."""
    rng = np.random.default_rng(11)
    for trial in range(60):
        n = int(rng.integers(50, 301))
        rows: list[dict] = [{} for _ in range(n)]
        for s in range(n):
            k = int(rng.integers(1, 4))
            targets = np.minimum(s + rng.integers(0, 4, k), n - 1)
            if rng.random() < 0.2:
                targets = rng.integers(0, n, k)
            weights = rng.integers(1, 4, k)
            for t, w in zip(targets.tolist(), weights.tolist()):
                rows[s][t] = rows[s].get(t, 0) + Fraction(w, int(weights.sum()))
        indptr = np.cumsum([0] + [len(r) for r in rows])
        targets = np.array([t for r in rows for t in sorted(r)], dtype=np.int64)
        data = np.array([r[t] for r in rows for t in sorted(r)], dtype=object)
        T = TransitionSystem.probabilistic((indptr, targets, data))
        beta = Partition.from_labels(rng.integers(0, 3, n))
        assert stuttering_abstraction(T, beta).n_blocks == _storm_weak_blocks(T, beta), trial
