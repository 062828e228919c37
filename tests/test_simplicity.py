"""How simple an abstraction is: description_length (tree, BDD) and is_conserved
(issue 14, item 4), checked against brute force on small systems."""

from __future__ import annotations

from functools import cache
from itertools import product

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from abstractions import (
    Computation,
    InvalidValueError,
    NondeterministicSystem,
    Partition,
    TooLargeError,
    description_length,
    finish_abstraction,
    is_conserved,
    variable_abstraction,
)
from tests import naive
from tests.helpers import require_extra

DOMAINS = (2, 3, 2)
SPACE = list(product(*(range(d) for d in DOMAINS)))
NAMES = ("a", "b", "c")


@st.composite
def structured(draw, *, max_states=10):
    index = draw(st.lists(st.integers(0, len(SPACE) - 1), min_size=1, max_size=max_states,
                          unique=True))
    rows = [SPACE[i] for i in index]
    n = len(rows)
    step = draw(st.lists(st.integers(0, n - 1), min_size=n, max_size=n))
    C = Computation(step, variables={v: [r[j] for r in rows] for j, v in enumerate(NAMES)})
    alpha = draw(st.lists(st.integers(0, 2), min_size=n, max_size=n))
    return C, rows, alpha


def smallest_tree(rows, alpha):
    """The fewest nodes of a decision tree (one child per value that occurs) computing alpha."""

    @cache
    def best(states: frozenset) -> int:
        if len({alpha[s] for s in states}) == 1:
            return 1
        options = []
        for j in range(len(rows[0])):
            groups: dict = {}
            for s in states:
                groups.setdefault(rows[s][j], set()).add(s)
            if len(groups) >= 2:
                options.append(1 + sum(best(frozenset(g)) for g in groups.values()))
        return min(options)

    return best(frozenset(range(len(rows))))


@given(structured())
def test_tree_is_a_valid_upper_bound(system):
    """The greedy tree has at least as many nodes as the smallest tree (brute force), and one node
    exactly when alpha has one block."""
    C, rows, alpha = system
    length = description_length(C, alpha)
    assert length >= smallest_tree(rows, alpha)
    assert (length == 1) == (len(set(alpha)) == 1)


@given(structured(), st.sampled_from(NAMES))
def test_tree_of_one_variable(system, name):
    """Keeping one variable with d values that occur: one test and d leaves."""
    C, rows, _ = system
    P = variable_abstraction(C, name)
    expect = 1 if P.n_blocks == 1 else 1 + P.n_blocks
    assert description_length(C, P) == expect == smallest_tree(rows, P.labels.tolist())


def test_tree_known_answers_and_errors():
    """The docstring examples, an undetermined alpha, max_nodes and the method are checked."""
    C = Computation([1, 2, 3, 0], variables={"hi": [0, 0, 1, 1], "lo": [0, 1, 0, 1]})
    assert description_length(C, [0, 0, 1, 1]) == 3
    assert description_length(C, [0, 1, 1, 0]) == 7
    with pytest.raises(TooLargeError, match="max_nodes=3"):
        description_length(C, [0, 1, 1, 0], max_nodes=3)
    with pytest.raises(InvalidValueError, match="method must be one of"):
        description_length(C, [0, 0, 1, 1], method="circuit")
    D = Computation([1, 0, 0], variables={"x": [0, 0, 1]})
    for method in ("tree", "bdd"):
        with pytest.raises(InvalidValueError, match="do not determine alpha"):
            description_length(D, [0, 1, 1], method=method)
    with pytest.raises(InvalidValueError, match="has no variables"):
        description_length(Computation([1, 0]), [0, 1])


def test_bdd_known_answers():
    """Shared BDDs with complement edges: one terminal; a bit is one node, xor and and two."""
    require_extra("bdd")
    C = Computation([1, 2, 3, 0], variables={"hi": [0, 0, 1, 1], "lo": [0, 1, 0, 1]})
    assert description_length(C, Partition.bottom(4), method="bdd") == 1
    assert description_length(C, [0, 0, 1, 1], method="bdd") == 2
    assert description_length(C, [0, 1, 1, 0], method="bdd") == 3
    assert description_length(C, [0, 0, 0, 1], method="bdd") == 3
    assert description_length(C, [0, 1, 2, 3], method="bdd") == 3   # block bits = (hi, lo)


@given(structured())
def test_bdd_is_at_most_the_variable_bits_tree(system):
    """A BDD never needs more nodes than the full binary tree over the variables' bits, plus the
    terminal."""
    require_extra("bdd")
    C, rows, alpha = system
    length = description_length(C, alpha, method="bdd")
    bits = 1 + 2 + 1  # a: 1 bit, b: 2 bits, c: 1 bit (dense codes)
    out_bits = max(1, (max(naive.canonical(alpha)) + 1 - 1).bit_length())
    assert 1 <= length <= out_bits * (2**bits - 1) + 1
    assert (length == 1) == (len(set(alpha)) == 1)


def test_bdd_refuses_big_systems(monkeypatch):
    """More than BDD_MAX_STATES states: TooLargeError pointing to the tree."""
    import abstractions.simplicity as simplicity

    monkeypatch.setattr(simplicity, "BDD_MAX_STATES", 3)
    C = Computation([1, 2, 3, 0], variables={"x": [0, 1, 2, 3]})
    with pytest.raises(TooLargeError, match="method='tree'"):
        description_length(C, [0, 0, 1, 1], method="bdd")


@given(st.lists(st.integers(0, 7), min_size=1, max_size=8), st.data())
def test_is_conserved_matches_definition(step, data):
    """A computation: alpha(step(m)) == alpha(m) for all m (halted states step to themselves)."""
    n = len(step)
    step = [s % n for s in step]
    halted = data.draw(st.lists(st.booleans(), min_size=n, max_size=n))
    alpha = data.draw(st.lists(st.integers(0, 2), min_size=n, max_size=n))
    C = Computation(step, halted=halted)
    expect = all(alpha[C.step[m]] == alpha[m] for m in range(n))
    assert is_conserved(C, alpha) == expect
    if expect:
        assert naive.is_complete(C.step.tolist(), alpha)


@given(st.lists(st.lists(st.integers(0, 5), max_size=3), min_size=1, max_size=6), st.data())
def test_is_conserved_other_kinds(succ, data):
    """A nondeterministic system: every transition stays inside its block."""
    n = len(succ)
    succ = [[t % n for t in row] for row in succ]
    alpha = data.draw(st.lists(st.integers(0, 2), min_size=n, max_size=n))
    T = NondeterministicSystem(succ)
    assert is_conserved(T, alpha) == all(alpha[t] == alpha[s] for s in range(n) for t in succ[s])


def test_finish_abstraction_is_conserved():
    """The finish abstraction is a conserved quantity; the halting bit usually is not."""
    C = Computation([1, 2, 2, 4, 4], halted=[False, False, True, False, True],
                    output=["a", "a", "yes", "a", "no"])
    assert is_conserved(C, finish_abstraction(C))
    assert not is_conserved(C, Partition([0, 0, 1, 0, 1]))
    assert is_conserved(C, Partition.bottom(5)) and not is_conserved(C, Partition.top(5))
    assert np.array_equal(C.step, [1, 2, 2, 4, 4])
