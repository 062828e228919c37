"""Empirical systems from traces, quantisers, and the row-hashing kernel (no torch needed)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from abstractions import (
    AbstractionsError,
    LabelledSystem,
    MarkovChain,
    NondeterministicSystem,
)
from abstractions._kernels import _row_ids
from abstractions.quantizers import GridQuantizer, KMeansQuantizer
from abstractions.traces import UNOBSERVED, from_traces, quantize
from tests.helpers import require_extra

from . import naive


@given(st.lists(st.lists(st.integers(-3, 3), min_size=2, max_size=2), max_size=40))
def test_row_ids_matches_naive(rows):
    """The hash-table kernel numbers rows like a dict of tuples."""
    keys = np.array(rows, dtype=np.int64).reshape(len(rows), 2)
    ids, count = _row_ids(keys)
    expected, expected_count = naive.row_ids(rows)
    assert ids.tolist() == expected and int(count) == expected_count
    # The numpy path of few rows (no kernel) numbers them the same.
    from abstractions._keys import row_ids

    small_ids, small_count = row_ids(keys)
    assert small_ids.tolist() == expected and small_count == expected_count


def test_row_ids_collisions_and_extremes():
    """Rows that differ only in one word, and the int64 extremes, stay apart."""
    big = np.iinfo(np.int64)
    keys = np.array([[0, 1], [1, 0], [big.min, big.max], [0, 1], [big.max, big.min]])
    assert _row_ids(keys)[0].tolist() == [0, 1, 2, 0, 3]


def test_row_ids_gate_wants_rows():
    """The gate of _row_ids takes a 2-d array of keys, and refuses a flat one."""
    with pytest.raises(TypeError, match="2-d"):
        _row_ids(np.array([1, 2, 3]))


def test_a_trace_of_t_symbols_has_t_plus_one_states():
    """Observed states are numbered by first observation; steps follow the symbols."""
    E = from_traces([["a", "b", "c"], ["a"]], symbols=[["x", "y"], []])
    assert E.keys == ("a", "b", "c")
    assert E.offsets.tolist() == [0, 3, 4]
    assert E.state_ids.tolist() == [0, 1, 2, 0]
    assert E.letters.tolist() == [0, 1]
    S = E.system
    assert isinstance(S, LabelledSystem) and S.symbols == ("x", "y")
    assert S.n == 4 and E.sink == 3 and E.n_observed == 3
    assert S.steps.tolist() == [[1, 3, 3, 3], [3, 2, 3, 3]]
    assert E.unobserved.tolist() == [[False, True, True], [True, False, True]]
    assert list(S.output_values) == [0, 1, 2, UNOBSERVED]  # no outputs: each state is its own


def test_outputs_are_one_per_state_and_plurality_wins():
    """A state seen with two outputs takes the more frequent one and is reported."""
    E = from_traces(
        [[0, 1, 0], [0, 1]], symbols=["aa", "a"], outputs=[["no", "yes", "no"], ["no", "no"]]
    )
    S = E.system
    assert E.sink is None
    assert [S.output_value(s) for s in range(S.n)] == ["no", "no"]
    assert E.output_conflicts.tolist() == [1]
    assert E.visits.tolist() == [3, 2]


def test_conflicts_keep_the_most_frequent_successor():
    """(state, letter) seen going to two states: the more frequent successor is kept."""
    E = from_traces([[0, 1], [0, 2], [0, 2]], symbols=["a", "a", "a"])
    assert E.conflicts.tolist() == [[0, 0]]
    assert E.system.steps[0, 0] == 2
    assert E.counts.tolist() == [[0, 0, 1, 1], [0, 0, 2, 2]]


def test_nondeterministic_keeps_every_successor():
    """kind='nondeterministic': the conflict becomes a choice; no sink is needed."""
    E = from_traces([[0, 1], [0, 2]], symbols=["a", "b"], kind="nondeterministic")
    S = E.system
    assert isinstance(S, NondeterministicSystem) and E.sink is None
    assert sorted(S.transitions(0)) == [("a", 1, 1), ("b", 2, 1)]
    assert list(S.transitions(1)) == []


def test_probabilistic_counts_become_frequencies():
    """kind="probabilistic": observed frequencies, letters marginalised; dead ends: the sink."""
    E = from_traces([[0, 1], [0, 1], [0, 0]], symbols=["a", "a", "b"], kind="probabilistic",
                    outputs=[[0, 1], [0, 1], [0, 0]])
    S = E.system
    assert isinstance(S, MarkovChain) and E.sink == 2
    assert np.allclose(S.probability_matrix(), [[1 / 3, 2 / 3, 0], [0, 0, 1], [0, 0, 1]])
    assert S.output_value(2) is UNOBSERVED


def test_vectors_through_a_grid_and_arrays_of_traces():
    """A (B, T+1, d) array with a grid quantiser; ragged lists of arrays give the same system."""
    X = np.array([[[0.1, 0.0], [0.9, 1.1], [0.0, 0.1]], [[0.0, 0.0], [1.0, 1.0], [1.2, 0.8]]])
    q = GridQuantizer(1.0)
    E = from_traces(X, symbols=np.array([[1, 0], [1, 1]]), quantizer=q)
    assert E.keys.tolist() == [[0, 0], [1, 1]]
    assert E.system.steps.tolist() == [[2, 0, 2], [1, 1, 2]]
    F = from_traces([X[0], X[1]], symbols=[[1, 0], [1, 1]], quantizer=q)
    assert F.system == E.system
    assert E.lookup(np.array([[0.9, 0.9], [5.0, 5.0]])).tolist() == [1, -1]


def test_quantize_and_a_callable_quantizer_of_hashables():
    """Any callable works: here it returns strings."""
    ids, keys = quantize(np.array([[0.2], [0.7], [0.1]]), lambda X: ["lo" if x < 0.5 else "hi"
                                                                   for x in X[:, 0]])
    assert ids.tolist() == [0, 1, 0] and keys == ("lo", "hi")


def test_grid_quantizer_float32_and_per_coordinate_resolution():
    """float32 activations keep their precision; one resolution per coordinate."""
    q = GridQuantizer([0.5, 2.0])
    cells = q(np.array([[0.74, 3.1]], dtype=np.float32))
    assert cells.dtype == np.int64 and cells.tolist() == [[1, 2]]
    with pytest.raises(ValueError, match="resolution has 2 entries"):
        q(np.zeros((1, 3)))
    with pytest.raises(ValueError, match="positive finite"):
        GridQuantizer(0.0)


def test_kmeans_quantizer_is_fitted_by_from_traces():
    """An unfitted k-means quantiser is fitted on the recorded states (scikit-learn extra)."""
    require_extra("learned")  # KMeansQuantizer needs scikit-learn
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [5.0, 5.0], [0.0, 5.0]])
    walk = rng.integers(0, 3, size=(20, 6))
    X = centres[walk] + rng.normal(scale=0.1, size=(20, 6, 2))
    q = KMeansQuantizer(3)
    E = from_traces(X, symbols=np.zeros((20, 5), dtype=int), quantizer=q)
    assert q.fitted and E.n_observed == 3
    # the clusters are the walk's states, up to renaming
    assert len(set(zip(E.state_ids.tolist(), walk.reshape(-1).tolist()))) == 3
    with pytest.raises(ValueError, match="not fitted"):
        KMeansQuantizer(2)(X[0])


# ---------------------------------------------------------------------- bad input


def test_ragged_traces_are_refused():
    """Symbols or outputs of the wrong length, vectors of different widths: clear errors."""
    with pytest.raises(ValueError, match=r"ragged traces: symbols\[0\] has 1 entries.*needs 2"):
        from_traces([[0, 1, 2]], symbols=["a"])
    with pytest.raises(ValueError, match=r"outputs\[1\] has 1 entries"):
        from_traces([[0, 1], [0, 1]], symbols=["a", "a"], outputs=[[0, 1], [0]])
    with pytest.raises(ValueError, match=r"traces\[1\] holds observations of shape \(3,\)"):
        from_traces([np.zeros((2, 2)), np.zeros((2, 3))], symbols=["a", "a"],
                    quantizer=GridQuantizer())
    with pytest.raises(ValueError, match="differ in length"):
        from_traces([[[0.0, 1.0], [0.0]]], symbols=["a"], quantizer=GridQuantizer())
    with pytest.raises(ValueError, match=r"traces\[1\] is empty"):
        from_traces([[0], []])
    with pytest.raises(ValueError, match="3 sequences, but there are 2 traces"):
        from_traces([[0], [1]], symbols=[[], [], []])


def test_a_symbol_outside_the_alphabet_is_named():
    """The error names the trace, the position and the letter."""
    with pytest.raises(ValueError, match=r"symbols\[1\]\[2\] = 'c' is not in the alphabet"):
        from_traces([[0, 0, 0], [0, 0, 0, 0]], symbols=["ab", "abc"], alphabet="ab")


def test_nan_activations_are_refused():
    """NaN (or infinite) activations name their position."""
    X = np.zeros((2, 3, 4))
    X[1, 2, 3] = np.nan
    with pytest.raises(ValueError, match=r"traces holds nan at index \(5, 3\)"):
        from_traces(X, symbols=np.zeros((2, 2), dtype=int), quantizer=GridQuantizer())


def test_unhashable_quantizer_output_is_refused():
    """A quantiser returning lists (unhashable) gets a clear type error."""
    with pytest.raises(TypeError, match="quantizer's output holds the unhashable list"):
        from_traces(np.zeros((1, 2, 2)), symbols=[[0]], quantizer=lambda X: [list(x) for x in X])
    with pytest.raises(ValueError, match="one key per observation"):
        from_traces(np.zeros((1, 2, 2)), symbols=[[0]], quantizer=lambda X: [0])
    with pytest.raises(TypeError, match="observed states must be hashable"):
        from_traces([[[0, 1], [1, 0]]], symbols=[[0]])


def test_bad_kind_and_errors_share_the_root():
    """Every error is an AbstractionsError and a builtin."""
    with pytest.raises(AbstractionsError, match="kind must be one of"):
        from_traces([[0]], kind="labeled")
    with pytest.raises(TypeError):
        from_traces(3)


# ---------------------------------------------------------------------- performance shape


def test_a_large_batch_is_handled_in_one_pass():
    """10^4 traces of vectors build quickly and count every step."""
    rng = np.random.default_rng(1)
    X = rng.integers(0, 3, size=(1000, 11, 4)).astype(np.float32)
    sym = rng.integers(0, 2, size=(1000, 10))
    E = from_traces(X, symbols=sym, quantizer=GridQuantizer(1.0))
    assert int(E.counts[:, 3].sum()) == 10_000
    assert E.n_observed == len({tuple(r) for r in X.reshape(-1, 4).astype(int).tolist()})
