"""Readable abstractions: block names, describe, bisimilar, equivalence_class, transitions."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from abstractions import (
    UNDETERMINED,
    BlockTable,
    Computation,
    InvalidTypeError,
    InvalidValueError,
    Partition,
    TransitionSystem,
    abstract_computation,
    bisimilar,
    block_names,
    describe,
    equivalence_class,
    minimal_complete_abstraction,
    output_abstraction,
)
from tests.helpers import require_extra


def coffee():
    """Two vending machines: one chooses on the coin, one after it (not bisimilar)."""
    return TransitionSystem.nondeterministic(
        [[1, 2], [3], [4], [], [], [6], [7, 8], [], []],
        labels=[["coin", "coin"], ["tea"], ["coffee"], [], [], ["coin"], ["tea", "coffee"], [], []],
        output=[None] * 9,
    )


def test_block_names_rule():
    """Named states name blocks by their representative, else outputs that tell blocks apart."""
    C = Computation([1, 2, 3, 0], output=["even", "odd", "even", "odd"])
    assert block_names(C, Partition([0, 1, 0, 1])) == ("even", "odd")
    assert block_names(C, Partition([0, 0, 1, 1])) == (0, 2)
    named = Computation([1, 2, 3, 0], state_labels=["a", "b", "c", "d"], output=[0, 1, 0, 1])
    assert block_names(named, [0, 1, 0, 1]) == ("a", "b")


def test_quotient_names():
    """abstract_computation names its states by default, by a sequence, a callable, or not."""
    C = Computation([1, 2, 3, 0], state_labels=["a", "b", "c", "d"], output=[0, 1, 0, 1])
    P = Partition([0, 1, 0, 1])
    assert abstract_computation(C, P)[0].state_labels == ("a", "b")
    assert abstract_computation(C, P, names=["x", "y"])[0].state_labels == ("x", "y")
    assert abstract_computation(C, P, names=lambda b: f"B{b}")[0].state_labels == ("B0", "B1")
    assert abstract_computation(C, P, names=None)[0].state_labels is None
    with pytest.raises(InvalidValueError, match="each of the 2 blocks, got 1 names"):
        abstract_computation(C, P, names=["x"])
    with pytest.raises(InvalidValueError, match="repeats"):
        abstract_computation(C, P, names=["x", "x"])
    with pytest.raises(InvalidTypeError, match="got int"):
        abstract_computation(C, P, names=3)


def test_quotient_keeps_label_equality():
    """User labels keep Python equality: 1 and True are one name, so they cannot name two blocks."""
    C = Computation([1, 0], output=[0, 1])
    with pytest.raises(InvalidValueError, match="repeats"):
        abstract_computation(C, Partition([0, 1]), names=[1, True])
    A, _ = abstract_computation(C, Partition([0, 1]), names=[(1, 2), frozenset({3})])
    assert A.state_index((1, 2)) == 0 and A.state_index(frozenset({3})) == 1


def test_describe_computation_rows():
    """One row per block: name, size, states, common output (or UNDETERMINED), step, stability."""
    C = Computation([1, 2, 3, 0], output=["even", "odd", "even", "odd"])
    table = describe(C, Partition([0, 0, 1, 1]), as_frame=False)
    assert isinstance(table, BlockTable) and len(table) == 2
    first = table.rows[0]
    assert first["size"] == 2 and first["states"] == "0, 1" and first["output"] is UNDETERMINED
    assert not first["stable"]
    good = describe(C, Partition([0, 1, 0, 1]), as_frame=False)
    assert [row["stable"] for row in good] == [True, True]
    assert [row["step"] for row in good] == ["odd", "even"]
    assert "<table>" in good._repr_html_() and "&#x27;even&#x27;" in good._repr_html_()
    assert repr(good) == "<BlockTable: 2 blocks>"


def test_describe_markov_and_lts():
    """For a Markov chain the step shows block probabilities; for an LTS the actions."""
    M = TransitionSystem.probabilistic(
        [[0, Fraction(1, 2), Fraction(1, 2)], [0, 1, 0], [0, 0, 1]], output=["s", "t", "t"]
    )
    rows = describe(M, minimal_complete_abstraction(M, output_abstraction(M)), as_frame=False).rows
    assert [row["size"] for row in rows] == [1, 2]
    assert rows[0]["step"] == "t (1)"
    T = coffee()
    P = minimal_complete_abstraction(T, output_abstraction(T))
    text = str(describe(T, P, as_frame=False))
    assert "coin -> " in text and "(none)" in text


def test_describe_many_states_elided():
    """A block lists its first few states, then an ellipsis."""
    C = Computation(np.zeros(10, dtype=np.int64), halted=[True] + [False] * 9)
    row = describe(C, Partition.bottom(10), as_frame=False).rows[0]
    assert row["states"] == "0, 1, 2, 3, ..." and row["size"] == 10


def test_describe_as_frame():
    """With pandas, describe is a DataFrame indexed by block id."""
    require_extra("pandas")
    import pandas as pd
    C = Computation([1, 2, 3, 0], output=["even", "odd", "even", "odd"])
    frame = describe(C, Partition([0, 1, 0, 1]))
    assert isinstance(frame, pd.DataFrame)
    assert list(frame["name"]) == ["even", "odd"] and frame.index.name == "block"


def test_describe_refusals():
    """A partition of the wrong size, bad names and a bad as_frame are refused, naming them."""
    C = Computation([1, 0])
    with pytest.raises(InvalidValueError, match="partition of 3 states, but the system has 2"):
        describe(C, [0, 0, 1])
    with pytest.raises(InvalidValueError, match="each of the 1 block, got 2"):
        describe(C, [0, 0], names=["a", "b"])
    with pytest.raises(InvalidTypeError, match="as_frame"):
        describe(C, [0, 0], as_frame="yes")


def test_bisimilar_and_classes():
    """bisimilar is strong bisimilarity above the outputs; equivalence_class lists the block."""
    T = coffee()
    assert not bisimilar(T, 0, 5)  # the classic pair: trace equivalent, not bisimilar
    assert bisimilar(T, 3, 7) and bisimilar(T, 1, 1)
    assert equivalence_class(T, None, 3).tolist() == [3, 4, 7, 8]
    C = Computation((np.arange(12) + 1) % 12)
    assert equivalence_class(C, Partition.kernel(np.arange(12) % 3), 4).tolist() == [1, 4, 7, 10]
    named = Computation([1, 0], state_labels=["p", "q"], output=[0, 1])
    assert not bisimilar(named, "p", "q")
    assert bisimilar(named, "p", "q", beta=Partition.bottom(2))
    with pytest.raises(InvalidValueError, match="s = 9 is not a state"):
        bisimilar(T, 9, 0)
    with pytest.raises(InvalidTypeError, match="t must be a state index"):
        bisimilar(T, 0, "x")
    with pytest.raises((KeyError, ValueError), match="'r'"):
        bisimilar(named, "p", "r")


def test_transitions_yields_action_target_weight():
    """T.transitions(s) yields (action, target, weight) for every kind."""
    D = TransitionSystem.labelled({"a": [1, 0], "b": [0, 0]})
    assert list(D.transitions(0)) == [("a", 1, 1), ("b", 0, 1)]
    M = TransitionSystem.probabilistic([[0.25, 0.75], [0, 1]])
    assert list(M.transitions(0)) == [(None, 0, 0.25), (None, 1, 0.75)]
