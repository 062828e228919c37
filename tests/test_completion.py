"""Tests of abstractions.completion: the completion operator and minimal complete abstractions."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from abstractions import (
    Computation,
    InvalidValueError,
    Partition,
    SizeMismatchError,
    TooLargeError,
    complete_abstractions,
    completion,
    halting_abstraction,
    is_complete,
    minimal_complete_abstraction,
)
from abstractions.minimal import METHODS
from abstractions.strategies import complete_partitions, computations, partitions
from tests import naive
from tests.helpers import labels_of


@st.composite
def computation_and_partitions(draw, count=1, max_states=8):
    c = draw(computations(max_states=max_states))
    ps = [draw(partitions(c.n)) for _ in range(count)]
    return (c, *ps)


# --- the completion operator -------------------------------------------------


@given(computation_and_partitions())
def test_completion_definition(cp):
    """C(P) = P | P.pullback(step), as the naive twin computes it."""
    c, p = cp
    q = completion(c, p)
    assert q == p | p.pullback(c.step)
    assert labels_of(q) == naive.completion(c.step.tolist(), labels_of(p))


@given(computation_and_partitions())
def test_completion_is_extensive(cp):
    """P <= C(P)."""
    c, p = cp
    assert p <= completion(c, p)


@given(computation_and_partitions(count=2))
def test_completion_is_monotone(cpq):
    """P <= Q implies C(P) <= C(Q); in particular C(P & Q) <= C(P)."""
    c, p, q = cpq
    if p <= q:
        assert completion(c, p) <= completion(c, q)
    assert completion(c, p & q) <= completion(c, p)
    assert completion(c, p) <= completion(c, p | q)


@given(computation_and_partitions())
def test_fixed_points_are_the_complete_partitions(cp):
    """C(P) == P iff P is complete."""
    c, p = cp
    assert (completion(c, p) == p) == is_complete(c, p)


@given(computations(max_states=6))
def test_fixed_points_exhaustively(c):
    """Over every partition of a small computation, fixed points are the complete ones."""
    for raw in naive.set_partitions(c.n):
        p = Partition.from_labels(raw)
        assert (completion(c, p) == p) == naive.is_complete(c.step.tolist(), raw)


# --- minimal complete abstraction -------------------------------------------


@pytest.mark.parametrize("method", METHODS)
@given(cb=computation_and_partitions(max_states=10))
def test_minimal_is_complete_and_above_beta(method, cb):
    """The minimal complete abstraction above beta is complete and >= beta."""
    c, beta = cb
    m = minimal_complete_abstraction(c, beta, method=method)
    assert isinstance(m, Partition)
    assert m.n == c.n
    assert is_complete(c, m)
    assert beta <= m


@pytest.mark.parametrize("method", METHODS)
@given(cb=computation_and_partitions(max_states=10))
def test_minimal_matches_kleene_iteration(method, cb):
    """It is the limit of beta, C(beta), C(C(beta)), ... (naive Kleene iteration)."""
    c, beta = cb
    m = minimal_complete_abstraction(c, beta, method=method)
    assert labels_of(m) == naive.kleene_minimal(c.step.tolist(), labels_of(beta))


@pytest.mark.parametrize("method", METHODS)
@given(cb=computation_and_partitions(max_states=7))
def test_minimal_is_brute_force_least_element(method, cb):
    """Among ALL complete partitions >= beta (brute force), it is the least one."""
    c, beta = cb
    m = minimal_complete_abstraction(c, beta, method=method)
    above = naive.complete_partitions_above(c.step.tolist(), labels_of(beta))
    assert labels_of(m) in above
    assert labels_of(m) == naive.least(above)
    for q in above:
        assert m <= Partition.from_labels(q)


@given(st.data())
def test_minimal_is_below_every_complete_partition_above_beta(data):
    """For any complete Q >= beta, minimal(beta) <= Q."""
    c = data.draw(computations(max_states=10))
    q = data.draw(complete_partitions(c))
    beta = data.draw(partitions(c.n)) & q  # some beta below q
    assert beta <= q
    assert minimal_complete_abstraction(c, beta) <= q


@given(computation_and_partitions())
def test_methods_agree(cb):
    """Every method returns the same partition."""
    c, beta = cb
    results = {minimal_complete_abstraction(c, beta, method=m) for m in METHODS}
    assert len(results) == 1


@given(computation_and_partitions())
def test_minimal_is_idempotent_and_fixes_complete(cb):
    """minimal(minimal(beta)) == minimal(beta); a complete beta is its own minimal."""
    c, beta = cb
    m = minimal_complete_abstraction(c, beta)
    assert minimal_complete_abstraction(c, m) == m
    assert completion(c, m) == m


@given(st.data())
def test_join_of_complete_partitions_is_complete(data):
    """The join of two complete abstractions is complete."""
    c = data.draw(computations(max_states=10))
    p = data.draw(complete_partitions(c))
    q = data.draw(complete_partitions(c))
    assert is_complete(c, p) and is_complete(c, q)
    assert is_complete(c, p | q)


def test_minimal_accepts_labels_and_checks_size():
    """beta may be a labels array-like; a beta of another n is named in the error."""
    c = Computation([1, 2, 2])
    assert minimal_complete_abstraction(c, [0, 0, 1]) == Partition.top(3)
    with pytest.raises(SizeMismatchError, match="beta"):
        minimal_complete_abstraction(c, Partition.top(4))


def test_beta_of_wrong_type_is_named():
    """A beta that is neither a Partition nor labels raises a TypeError naming beta."""
    with pytest.raises(TypeError, match="beta"):
        minimal_complete_abstraction(Computation([1, 2, 2]), None)


def test_unknown_method():
    """An unknown method raises InvalidValueError (a ValueError) listing the valid ones."""
    c = Computation([1, 2, 2])
    with pytest.raises(InvalidValueError, match="reference"):
        minimal_complete_abstraction(c, Partition.top(3), method="nope")
    with pytest.raises(ValueError, match="auto"):
        minimal_complete_abstraction(c, Partition.top(3), method="hopcroft-typo")
    assert "auto" in METHODS and "reference" in METHODS


# --- known answers -----------------------------------------------------------


def counter16() -> Computation:
    return Computation((np.arange(16) + 1) % 16)


@pytest.mark.parametrize("method", METHODS)
def test_counter_mod_16_keeping_mod_4(method):
    """Counting mod 16 and keeping the value mod 4 needs exactly the mod-4 partition."""
    beta = Partition.kernel(np.arange(16) % 4)
    m = minimal_complete_abstraction(counter16(), beta, method=method)
    assert m == beta
    assert m.n_blocks == 4


@pytest.mark.parametrize("method", METHODS)
def test_counter_mod_16_keeping_zero(method):
    """Keeping only "value == 0" forces knowing the whole value: all 16 states."""
    beta = Partition.kernel(np.arange(16) == 0)
    m = minimal_complete_abstraction(counter16(), beta, method=method)
    assert m == Partition.top(16)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("n", [1, 2, 5, 12])
def test_chain_to_halting_state(method, n):
    """On a chain to one halted state, keeping the halting bit separates every state."""
    step = np.minimum(np.arange(n) + 1, n - 1)
    halted = np.arange(n) == n - 1
    c = Computation(step, halted=halted)
    m = minimal_complete_abstraction(c, halting_abstraction(c), method=method)
    assert m.n_blocks == n
    assert m == Partition.top(n)


def test_minimal_on_empty_and_single_state():
    """Zero and one state: the only partition is minimal."""
    c1 = Computation([0])
    assert minimal_complete_abstraction(c1, Partition.bottom(1)) == Partition.top(1)
    c0 = Computation(np.zeros(0, dtype=np.int64))
    assert minimal_complete_abstraction(c0, Partition.bottom(0)) == Partition.top(0)


# --- all complete abstractions ---------------------------------------------------


@given(computation_and_partitions(max_states=6))
def test_complete_abstractions_brute_force(cb):
    """complete_abstractions lists exactly the complete partitions >= beta."""
    c, beta = cb
    found = complete_abstractions(c, beta)
    expected = naive.complete_partitions_above(c.step.tolist(), labels_of(beta))
    assert sorted(labels_of(p) for p in found) == sorted(expected)
    assert len(set(found)) == len(found)


@given(computation_and_partitions(max_states=6))
def test_complete_abstractions_order(cb):
    """Sorted by (n_blocks, labels); the first element is the minimal one."""
    c, beta = cb
    found = complete_abstractions(c, beta)
    keys = [(p.n_blocks, labels_of(p)) for p in found]
    assert keys == sorted(keys)
    assert found[0] == minimal_complete_abstraction(c, beta)


@given(computations(max_states=6))
def test_complete_abstractions_default_beta(c):
    """beta None means bottom: every complete partition is listed, top last."""
    found = complete_abstractions(c)
    expected = naive.complete_partitions_above(c.step.tolist(), [0] * c.n)
    assert sorted(labels_of(p) for p in found) == sorted(expected)
    assert found[-1] == Partition.top(c.n)


def test_complete_abstractions_counter():
    """A 6-cycle: the complete partitions are the residues mod 1, 2, 3 and 6."""
    c = Computation((np.arange(6) + 1) % 6)
    found = complete_abstractions(c)
    assert found == [Partition.kernel(np.arange(6) % d) for d in (1, 2, 3, 6)]


def test_complete_abstractions_too_large():
    """More candidate partitions than max_candidates raises TooLargeError."""
    c = Computation((np.arange(6) + 1) % 6)  # 203 partitions above bottom
    with pytest.raises(TooLargeError):
        complete_abstractions(c, max_candidates=10)
    with pytest.raises(ValueError):
        complete_abstractions(c, Partition.bottom(6), max_candidates=202)
    assert len(complete_abstractions(c, max_candidates=203)) == 4


# --- the benchmark families, every method against the reference ---------------


def _chain(n):
    """step[i] = i + 1 into a last state that halts; only the last state is marked."""
    c = Computation(np.minimum(np.arange(n) + 1, n - 1), halted=np.arange(n) == n - 1)
    return c, Partition.kernel(np.arange(n) == n - 1)


def _cycles(n, k=4):
    """k cycles of n // k states (plus a remainder on the last), one marked state each."""
    step = np.arange(1, n + 1)
    marked = np.zeros(n, dtype=bool)
    bounds = np.linspace(0, n, k + 1).astype(int)
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        step[hi - 1] = lo
        marked[lo] = True
    return Computation(step), Partition.kernel(marked)


def _random(n, classes, seed):
    rng = np.random.default_rng(seed)
    return Computation(rng.integers(0, n, n)), Partition.kernel(rng.integers(0, classes, n))


FAMILIES = {
    "chain": lambda n: _chain(n),
    "cycles": lambda n: _cycles(n),
    "cycles-uneven": lambda n: _cycles(n, k=3),
    "random-2": lambda n: _random(n, 2, 1),
    "random-16": lambda n: _random(n, 16, 2),
}


@pytest.mark.parametrize("family", sorted(FAMILIES))
@pytest.mark.parametrize("method", [m for m in METHODS if m != "reference"])
def test_families_match_reference(family, method):
    """On every benchmark family (n = 300) each method returns the reference partition."""
    c, beta = FAMILIES[family](300)
    expected = minimal_complete_abstraction(c, beta, method="reference")
    assert minimal_complete_abstraction(c, beta, method=method) == expected


@pytest.mark.parametrize("method", ["auto", "linear", "doubling"])
def test_families_known_block_counts_at_scale(method):
    """n = 20000: a chain needs every state; 4 equal marked cycles need one cycle's length."""
    n = 20_000
    assert minimal_complete_abstraction(*_chain(n), method=method) == Partition.top(n)
    m = minimal_complete_abstraction(*_cycles(n), method=method)
    assert m.n_blocks == n // 4
    assert (m.labels == np.arange(n) % (n // 4)).all()


def test_fast_methods_agree_at_scale():
    """n = 50000 random functions: the linear and round methods agree exactly."""
    for classes in (2, 16):
        c, beta = _random(50_000, classes, 3)
        linear = minimal_complete_abstraction(c, beta, method="linear")
        assert is_complete(c, linear) and beta <= linear
        assert minimal_complete_abstraction(c, beta, method="doubling") == linear
        assert minimal_complete_abstraction(c, beta, method="rounds") == linear


@pytest.mark.parametrize("method", METHODS)
@given(cb=computation_and_partitions(max_states=60))
def test_minimal_on_larger_computations(method, cb):
    """Up to 60 states (beyond brute force): equal to the naive Kleene iteration."""
    c, beta = cb
    m = minimal_complete_abstraction(c, beta, method=method)
    assert labels_of(m) == naive.kleene_minimal(c.step.tolist(), labels_of(beta))
