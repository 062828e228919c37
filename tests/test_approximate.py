"""Approximate consistency: consistency_error, its global mode, trace_error, bad input."""

from __future__ import annotations

import math
from collections import Counter
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from abstractions import (
    Computation,
    Partition,
    SizeMismatchError,
    TransitionSystem,
    consistency_error,
    trace_error,
    weights,
)
from abstractions.strategies import computations, partitions, transition_systems
from tests import naive

# ------------------------------------------------------------ oracles from the definitions


def _edges(S):
    """(src, sym, dst, weight) of every transition, and naive's ``how``."""
    if isinstance(S, Computation):
        return [(s, 0, int(t), 1) for s, t in enumerate(S.step)], "exists"
    edges = []
    for s in range(S.n):
        for sym, t, w in S.transitions(s):
            edges.append((s, sym, t, w))
    if S.kind == "probabilistic":
        return edges, ("sum" if S.exact else ("round", S.tol))
    return [(s, a, t, 1) for s, a, t, _ in edges], "exists"


def complete_on_support(S, labels, mu):
    """Every two weighted states of one block look alike through the partition."""
    edges, how = _edges(S)
    sig = {s: naive.system_signature(edges, labels, how, s) for s in range(S.n) if mu[s] > 0}
    return all(sig[s] == sig[t] for s in sig for t in sig if labels[s] == labels[t])


def naive_mismatch(step, labels, mu):
    """1 - sum_B max_C mu(B & step^-1 C), with a double loop."""
    blocks = set(labels)
    total = 0.0
    for B in blocks:
        mass = Counter()
        for m in range(len(step)):
            if labels[m] == B:
                mass[labels[step[m]]] += mu[m]
        total += sum(mass.values()) - max(mass.values())
    return total


def naive_tv(S, labels, mu):
    """sum_m mu(m) TV(P(m, .) through alpha, mu-mean row of m's block)."""
    K = max(labels) + 1
    rows = np.zeros((S.n, K))
    for s in range(S.n):
        for _, t, p in S.transitions(s):
            rows[s, labels[t]] += float(p)
    total = 0.0
    for B in range(K):
        members = [m for m in range(S.n) if labels[m] == B]
        mass = sum(mu[m] for m in members)
        if mass == 0:
            continue
        mean = sum(mu[m] * rows[m] for m in members) / mass
        total += sum(mu[m] * 0.5 * np.abs(rows[m] - mean).sum() for m in members)
    return total


def naive_hamming(S, labels, mu):
    """Expected |reached pairs symmetric-difference majority pairs|, by counting."""
    K = max(labels) + 1
    reached = [{(a, labels[t]) for a, t, _ in S.transitions(s)} for s in range(S.n)]
    total = 0.0
    for B in range(K):
        members = [m for m in range(S.n) if labels[m] == B]
        mass = sum(mu[m] for m in members)
        pairs = set().union(*[reached[m] for m in members]) if members else set()
        for p in pairs:
            hit = sum(mu[m] for m in members if p in reached[m])
            total += min(hit, mass - hit)
    return total


@st.composite
def systems_partitions_weights(draw, kinds=("computation", "labelled", "nondeterministic",
                                              "probabilistic")):
    kind = draw(st.sampled_from(kinds))
    if kind == "computation":
        S = draw(computations(min_states=1, max_states=7))
    else:
        S = draw(transition_systems(kinds=[kind], max_states=7))
    P = draw(partitions(S.n))
    raw = draw(st.lists(st.integers(0, 3), min_size=S.n, max_size=S.n))
    if not any(raw):
        raw[draw(st.integers(0, S.n - 1))] = 1
    return S, P, np.array(raw, dtype=float)


# ---------------------------------------------------------------------- zero iff complete


@given(systems_partitions_weights())
def test_error_is_zero_iff_complete_on_the_support(case):
    """Every metric of every kind is exactly 0 iff the square commutes on the support of mu."""
    S, P, raw = case
    mu = weights.from_array(S, raw)
    expected = complete_on_support(S, P.labels.tolist(), raw)
    for metric in (None, "entropy"):
        e = consistency_error(S, P, weights=mu, metric=metric)
        assert (e.total == 0.0) == expected, (metric, e)
        assert e.total >= 0
        assert math.isclose(float(e.per_block.sum()), e.total, abs_tol=1e-12)
        assert math.isclose(float(e.per_state.sum()), e.total, abs_tol=1e-12)


@given(systems_partitions_weights(kinds=("computation",)))
def test_mismatch_is_one_minus_the_plurality_mass(case):
    """For a computation the error is 1 - sum_B max_C mu(B & step^-1 C)."""
    S, P, raw = case
    mu = weights.from_array(S, raw)
    e = consistency_error(S, P, weights=mu)
    assert math.isclose(e.total, naive_mismatch(S.step.tolist(), P.labels.tolist(),
                                                mu.values), abs_tol=1e-12)
    # the abstract step is a plurality target of every weighted block
    assert e.abstract.n == P.n_blocks


@given(systems_partitions_weights(kinds=("labelled",)))
def test_labelled_error_is_the_sum_over_letters(case):
    """A labelled system's error is its letters' one-function errors added, each shown."""
    S, P, raw = case
    mu = weights.from_array(S, raw)
    e = consistency_error(S, P, weights=mu)
    assert set(e.per_symbol) == set(S.symbols)
    assert math.isclose(sum(e.per_symbol.values()), e.total, abs_tol=1e-12)
    for a, symbol in enumerate(S.symbols):
        one = naive_mismatch(S.steps[a].tolist(), P.labels.tolist(), mu.values)
        assert math.isclose(e.per_symbol[symbol], one, abs_tol=1e-12)


@given(systems_partitions_weights(kinds=("probabilistic",)))
def test_lumpability_defect_is_the_mean_total_variation(case):
    """A Markov chain's error is the mu-weighted TV from the block's mean row; largest is a max."""
    S, P, raw = case
    mu = weights.from_array(S, raw)
    e = consistency_error(S, P, weights=mu)
    expected = naive_tv(S, P.labels.tolist(), mu.values)
    if e.total == 0:
        assert expected < 1e-9
    else:
        assert math.isclose(e.total, expected, rel_tol=1e-9, abs_tol=1e-12)
    assert 0 <= e.largest <= 1
    assert e.total <= e.largest + 1e-12


@given(systems_partitions_weights(kinds=("nondeterministic",)))
def test_hamming_error_counts_disagreements_with_the_majority(case):
    """A relation's error is sum over blocks and pairs of min(mass reaching, mass not)."""
    S, P, raw = case
    mu = weights.from_array(S, raw)
    e = consistency_error(S, P, weights=mu)
    assert math.isclose(e.total, naive_hamming(S, P.labels.tolist(), mu.values), abs_tol=1e-12)


def test_entropy_of_a_function_in_bits():
    """H(alpha(step m) | alpha(m)) under uniform weights, by hand."""
    C = Computation([1, 2, 3, 0])
    e = consistency_error(C, Partition([0, 1, 1, 1]), metric="entropy")
    # block {1,2,3} sends 2/3 to itself and 1/3 to {0}: 3/4 * H(1/3)
    h = -(1 / 3) * math.log2(1 / 3) - (2 / 3) * math.log2(2 / 3)
    assert math.isclose(e.total, 0.75 * h)


def test_large_function_paths_agree():
    """The flat-table and the hashed counting of block pairs give the same answer."""
    rng = np.random.default_rng(0)
    n = 3000
    C = Computation(rng.integers(0, n, n))
    few = Partition(rng.integers(0, 10, n))
    many = Partition(rng.integers(0, 2000, n))
    for P in (few, many):
        for mu in (None, weights.from_array(C, rng.integers(0, 3, n))):
            fast = consistency_error(C, P, weights=mu)
            vals = weights.as_weights(C, mu).values
            assert math.isclose(fast.total, naive_mismatch(C.step.tolist(), P.labels.tolist(),
                                                           vals), abs_tol=1e-9)


# ---------------------------------------------------------------------- global mode


@settings(max_examples=30)
@given(systems_partitions_weights(kinds=("computation", "labelled", "probabilistic")),
       st.integers(2, 4))
def test_global_error_obeys_the_stepwise_bound(case, k):
    """error_k <= sum_{j<k} one-step error of the same abstract step under step^j mu."""
    S, P, raw = case
    mu = weights.from_array(S, raw)
    fit = consistency_error(S, P, weights=mu)
    rolled = consistency_error(S, P, weights=mu, horizon=k)
    assert rolled.per_step.shape == (k,)
    assert math.isclose(rolled.per_step[0], fit.total, abs_tol=1e-9)
    for step in range(1, k + 1):
        bound = sum(
            consistency_error(S, P, weights=weights.pushforward(S, mu, j),
                              abstract=fit.abstract).total
            for j in range(step)
        )
        assert rolled.per_step[step - 1] <= bound + 1e-9


def test_global_error_of_a_complete_abstraction_is_zero():
    """A complete abstraction commutes at every horizon."""
    C = Computation([1, 2, 3, 0])
    e = consistency_error(C, Partition([0, 1, 0, 1]), horizon=5)
    assert e.per_step.tolist() == [0.0] * 5


# ---------------------------------------------------------------------- weights


def test_occupancy_counts_visits_of_runs():
    """Occupancy weighs a state by the runs that visit it, up to the halt or a horizon."""
    C = Computation([2, 2, 3, 3], halted=[False, False, False, True], inputs={"a": 0, "b": 1})
    assert weights.occupancy(C).values.tolist() == [1 / 6, 1 / 6, 2 / 6, 2 / 6]
    only_a = weights.occupancy(C, {"a": 1})
    assert only_a.values.tolist() == [1 / 3, 0, 1 / 3, 1 / 3]
    assert dict(only_a.params)["inputs"] == {"a": 1}


def test_stationary_exact_and_float_agree():
    """The exact and the float stationary distributions of one chain agree; pi P = pi."""
    F = Fraction
    M = [[F(1, 2), F(1, 2), 0], [F(1, 3), 0, F(2, 3)], [0, F(1, 4), F(3, 4)]]
    exact = weights.stationary(TransitionSystem.probabilistic(M))
    floats = weights.stationary(
        TransitionSystem.probabilistic(np.array(M, dtype=float)))
    assert exact.exact is not None and sum(exact.exact) == 1
    P = np.array(M, dtype=object)
    assert [sum(exact.exact[i] * P[i, j] for i in range(3)) for j in range(3)] == list(exact.exact)
    assert np.allclose(exact.values, floats.values)


def test_stationary_of_a_reducible_chain_mixes_its_closed_classes():
    """From a transient state split 1/4, 3/4 between two absorbing states."""
    F = Fraction
    M = [[0, F(1, 4), F(3, 4)], [0, 1, 0], [0, 0, 1]]
    T = TransitionSystem.probabilistic(M, inputs=[0])
    assert weights.stationary(T).exact == (0, F(1, 4), F(3, 4))
    assert np.allclose(weights.stationary(T, exact=False).values, [0, 0.25, 0.75])


# ---------------------------------------------------------------------- trace_error


def test_trace_error_flags_the_steps_the_abstract_step_mispredicts():
    """A run through states the reference weights never saw is mispredicted there."""
    # two chains: clean 0 -> 1 -> 2 (halt), backdoor 3 -> 4 -> 2; alpha merges 1 and 4
    C = Computation([1, 2, 2, 4, 2], halted=[False, False, True, False, False],
                    inputs={"clean": 0, "backdoor": 3})
    C2 = Computation([1, 2, 2, 4, 0], halted=[False, False, True, False, False],
                     inputs={"clean": 0, "backdoor": 3})
    alpha = Partition([0, 1, 2, 0, 1])
    clean = weights.occupancy(C2, {"clean": 1})
    assert trace_error(C2, alpha, "clean", weights=clean).count == 0
    bad = trace_error(C2, alpha, "backdoor", weights=clean)
    assert bad.mispredicted.tolist() == [False, True, False, False]
    assert bad.first == 1
    assert trace_error(C, alpha, "backdoor", weights=clean).count == 0


def test_trace_error_of_a_labelled_system_reads_a_word():
    """Runs of a DFA follow the word; the fitted abstract step predicts per letter."""
    T = TransitionSystem.labelled({"a": [1, 1, 0], "b": [2, 0, 2]}, inputs=[0])
    t = trace_error(T, Partition([0, 1, 1]), 0, word="aab")
    assert t.states.tolist() == [0, 1, 1, 0]
    assert len(t.mispredicted) == 3


# ---------------------------------------------------------------------- bad input


def test_bad_weights_are_refused_with_their_index():
    """Negative, NaN, wrong length and all-zero weights raise ValueError naming the problem."""
    C = Computation([1, 2, 0])
    P = Partition([0, 0, 1])
    for bad, words in [([1, -1, 0], "weights[1] = -1"), ([1, np.nan, 0], "weights[1]"),
                       ([1, 1], "length 2"), ([0, 0, 0], "all 0"), ([np.inf, 0, 0], "finite")]:
        with pytest.raises(ValueError, match=words.replace("[", r"\[").replace("]", r"\]")):
            consistency_error(C, P, weights=bad)
    with pytest.raises(TypeError):
        consistency_error(C, P, weights=["a", "b", "c"])
    with pytest.raises(SizeMismatchError):
        consistency_error(C, P, weights=weights.uniform(Computation([0])))


def test_bad_horizon_metric_and_partition_are_refused():
    """horizon < 1, a metric of another kind and a partition of other states raise clearly."""
    C = Computation([1, 2, 0])
    with pytest.raises(ValueError, match="horizon must be at least 1, got 0"):
        consistency_error(C, Partition([0, 0, 1]), horizon=0)
    with pytest.raises(TypeError, match="horizon"):
        consistency_error(C, Partition([0, 0, 1]), horizon=1.5)
    with pytest.raises(ValueError, match="'tv' does not apply to a computation"):
        consistency_error(C, Partition([0, 0, 1]), metric="tv")
    with pytest.raises(SizeMismatchError, match="4 states"):
        consistency_error(C, Partition([0, 0, 1, 1]))
    T = TransitionSystem.nondeterministic([[1], [0, 1]])
    with pytest.raises(ValueError, match="nondeterministic"):
        consistency_error(T, Partition([0, 1]), horizon=2)
