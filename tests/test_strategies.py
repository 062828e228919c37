"""Tests of abstractions.strategies: valid values, bounds, shrinking, registration."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from abstractions import Computation, Partition, TransitionSystem, is_complete
from abstractions.strategies import (
    _hypothesis_setup_hook,
    complete_partitions,
    computations,
    partitions,
    transition_systems,
)
from abstractions.systems import KINDS
from tests import naive
from tests.helpers import labels_of


@given(partitions(4))
def test_partitions_of_fixed_size(p):
    """partitions(n) gives canonical partitions of exactly n states."""
    assert isinstance(p, Partition)
    assert p.n == 4
    assert labels_of(p) == naive.canonical(labels_of(p))


@given(partitions(min_states=2, max_states=5))
def test_partitions_size_bounds(p):
    """partitions(min_states=a, max_states=b) keeps a <= n <= b."""
    assert 2 <= p.n <= 5


def test_partitions_reach_every_partition():
    """Every partition of 3 states can be drawn (restricted growth strings)."""
    seen = set()

    @settings(max_examples=200, database=None)
    @given(partitions(3))
    def collect(p):
        seen.add(tuple(labels_of(p)))

    collect()
    assert seen == {tuple(p) for p in naive.set_partitions(3)}


def test_partitions_shrink_to_one_block():
    """The simplest partition of 6 states with n_blocks >= 1 is the one-block partition."""
    p = find(partitions(6), lambda p: p.n_blocks >= 1, settings=settings(database=None))
    assert p == Partition.bottom(6)
    q = find(partitions(min_states=3), lambda p: True, settings=settings(database=None))
    assert q == Partition.bottom(3)


@pytest.mark.parametrize(
    "kwargs",
    [{"n": -1}, {"n": 2.5}, {"min_states": 3, "max_states": 2}, {"min_states": -1}],
)
def test_partitions_invalid_arguments(kwargs):
    """Bad sizes raise InvalidArgument."""
    with pytest.raises(InvalidArgument):
        partitions(**kwargs).example()


@given(computations(min_states=2, max_states=6, max_outputs=2))
def test_computations_bounds(c):
    """computations respects min_states, max_states and max_outputs."""
    assert isinstance(c, Computation)
    assert 2 <= c.n <= 6
    assert 1 <= c.n_outputs <= 2
    assert ((0 <= c.step) & (c.step < c.n)).all()


@given(computations(halting=True))
def test_computations_halting_true(c):
    """halting=True gives at least one halted state."""
    assert c.halted.any()


@given(computations(halting=False))
def test_computations_halting_false(c):
    """halting=False gives no halted state."""
    assert not c.halted.any()


@given(computations(all_inputs=True))
def test_computations_all_inputs(c):
    """all_inputs=True makes every state an input."""
    assert sorted(c.input_states.tolist()) == list(range(c.n))


@given(computations(all_inputs=False))
def test_computations_some_inputs(c):
    """all_inputs=False gives a non-empty set of distinct start states."""
    starts = c.input_states.tolist()
    assert 1 <= len(starts) == len(set(starts)) <= c.n


def test_computations_can_have_halted_states_by_default():
    """With halting=None, some computations halt somewhere and some do not."""
    assert find(computations(), lambda c: c.halted.any(), settings=settings(database=None))
    assert find(computations(), lambda c: not c.halted.any(), settings=settings(database=None))


def test_computations_shrink_towards_zero():
    """The simplest 3-state computation steps everything to state 0 and halts nowhere."""
    c = find(computations(min_states=3), lambda c: True, settings=settings(database=None))
    assert c.n == 3
    assert c.step.tolist() == [0, 0, 0]
    assert not c.halted.any()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_outputs": 0},
        {"min_states": 5, "max_states": 4},
        {"min_states": 0, "halting": True},
        {"min_states": 0, "all_inputs": False},
        {"halting": "yes"},
    ],
)
def test_computations_invalid_arguments(kwargs):
    """Impossible or malformed arguments raise InvalidArgument."""
    with pytest.raises(InvalidArgument):
        computations(**kwargs).example()


@given(st.data())
def test_complete_partitions_are_complete(data):
    """complete_partitions(C) draws complete partitions of C."""
    c = data.draw(computations(max_states=8))
    p = data.draw(complete_partitions(c))
    assert p.n == c.n
    assert is_complete(c, p)


def test_complete_partitions_rejects_non_computation():
    """complete_partitions needs a Computation."""
    with pytest.raises(InvalidArgument):
        complete_partitions("not a computation")


def test_setup_hook_registers_from_type():
    """After the setup hook, st.from_type builds partitions, computations and systems."""
    _hypothesis_setup_hook()

    @settings(max_examples=10, database=None)
    @given(st.from_type(Partition), st.from_type(Computation), st.from_type(TransitionSystem))
    def check(p, c, t):
        assert isinstance(p, Partition)
        assert isinstance(c, Computation)
        assert isinstance(t, TransitionSystem)

    check()


@given(st.data(), computations(max_states=6))
def test_complete_partitions_above(data, c):
    """complete_partitions(C, above=beta) draws complete partitions that keep beta."""
    beta = data.draw(partitions(c.n))
    p = data.draw(complete_partitions(c, above=beta))
    assert is_complete(c, p) and beta <= p


def test_complete_partitions_above_shrinks_to_the_least():
    """The simplest draw above beta is the minimal complete abstraction above beta."""
    from abstractions import minimal_complete_abstraction

    c = Computation([1, 2, 3, 0], output=[0, 1, 0, 1])
    beta = Partition([0, 1, 0, 1])
    p = find(complete_partitions(c, above=beta), lambda p: True, settings=settings(database=None))
    assert p == minimal_complete_abstraction(c, beta)


@pytest.mark.parametrize("above", [[0, 1], Partition([0, 1, 0])])
def test_complete_partitions_above_invalid(above):
    """above must be a Partition over the computation's states."""
    with pytest.raises(InvalidArgument, match="above"):
        complete_partitions(Computation([1, 0]), above=above)


# --- transition systems -------------------------------------------------------


@given(transition_systems(min_states=2, max_states=5, max_symbols=3, max_outputs=3))
def test_transition_systems_bounds(T):
    """Drawn systems respect the bounds; outputs are ids below max_outputs."""
    assert T.kind in KINDS and 2 <= T.n <= 5
    assert T.n_outputs <= 3 and int(T.output.max()) < T.n_outputs
    if T.kind == "labelled":
        assert 1 <= len(T.symbols) <= 3 and T.n_transitions == T.n * len(T.symbols)
    if T.kind == "probabilistic":
        rows = np.asarray(T.probability_matrix(), dtype=float).sum(axis=1)
        np.testing.assert_allclose(rows, 1.0)


@pytest.mark.parametrize("exact", [True, False])
@given(data=st.data())
def test_transition_systems_exact_or_float(exact, data):
    """exact= picks Fraction or float probabilities; kinds= restricts the kind."""
    T = data.draw(transition_systems(kinds=["probabilistic"], exact=exact))
    assert T.kind == "probabilistic" and T.exact is exact


def test_transition_systems_reach_every_kind_and_lts():
    """All three kinds come up, and labelled transition systems (actions) too."""
    strategy = transition_systems(max_symbols=2)
    search = settings(database=None, max_examples=2000)
    for kind in KINDS:
        find(strategy, lambda T, kind=kind: T.kind == kind, settings=search)
    lts = find(
        strategy, lambda T: T.kind == "nondeterministic" and len(T.symbols or ()) == 2,
        settings=search,
    )
    assert lts.n_transitions >= 2


@pytest.mark.slow  # hypothesis shrinking many failing examples
def test_transition_systems_shrink_to_one_state():
    """The simplest system of each kind has one state and one output."""
    for kind in KINDS:
        T = find(transition_systems(kinds=[kind]), lambda T: True,
                 settings=settings(database=None))
        assert T.n == 1 and T.n_outputs == 1


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kinds": "labelled"},
        {"kinds": []},
        {"kinds": ["dfa"]},
        {"min_states": 0},
        {"min_states": 4, "max_states": 2},
        {"max_symbols": 0},
        {"max_outputs": 0},
        {"exact": 1},
        {"max_states": 2.5},
    ],
)
def test_transition_systems_invalid_arguments(kwargs):
    """Bad arguments raise InvalidArgument naming them."""
    with pytest.raises(InvalidArgument, match=next(iter(kwargs))):
        transition_systems(**kwargs)


@given(st.data(), transition_systems(max_states=6))
def test_complete_partitions_of_systems(data, T):
    """complete_partitions works for systems: complete, above the given beta."""
    beta = data.draw(partitions(T.n))
    p = data.draw(complete_partitions(T, above=beta))
    assert is_complete(T, p) and beta <= p
