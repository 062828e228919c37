"""Each numba kernel equals its naive twin (also run with NUMBA_DISABLE_JIT=1)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from abstractions._kernels import _final_states, _first_occurrence, _meet_roots, _reach
from tests import naive

MAX_N = 12


def _ints(xs) -> np.ndarray:
    return np.ascontiguousarray(np.array(xs, dtype=np.int64).reshape(-1))


@st.composite
def values_and_k(draw):
    k = draw(st.integers(0, 6))
    n = draw(st.integers(0, MAX_N)) if k else 0
    values = draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)) if k else []
    return values, k


@st.composite
def two_labellings(draw):
    n = draw(st.integers(0, MAX_N))
    na = draw(st.integers(1, 5)) if n else 0
    nb = draw(st.integers(1, 5)) if n else 0
    a = naive.canonical(draw(st.lists(st.integers(0, na - 1), min_size=n, max_size=n))) if n else []
    b = naive.canonical(draw(st.lists(st.integers(0, nb - 1), min_size=n, max_size=n))) if n else []
    return a, b


@st.composite
def step_and_starts(draw):
    n = draw(st.integers(0, MAX_N))
    step = draw(st.lists(st.integers(0, n - 1), min_size=n, max_size=n)) if n else []
    starts = draw(st.lists(st.integers(0, n - 1), max_size=n)) if n else []
    return step, starts


@st.composite
def step_and_halted(draw):
    n = draw(st.integers(0, MAX_N))
    step = draw(st.lists(st.integers(0, n - 1), min_size=n, max_size=n)) if n else []
    halted = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    # the package stores halted states as absorbing; the kernel may rely on it
    step = [i if h else s for i, (s, h) in enumerate(zip(step, halted))]
    return step, halted


@given(values_and_k())
def test_first_occurrence_matches_naive(data):
    """_first_occurrence is the canonical first-occurrence relabelling."""
    values, k = data
    labels, count = _first_occurrence(_ints(values), k)
    expected_labels, expected_count = naive.first_occurrence(values, k)
    assert labels.dtype == np.int64
    assert labels.tolist() == expected_labels
    assert int(count) == expected_count


def test_first_occurrence_known_answer():
    """Values 5 3 5 0 3 relabel to 0 1 0 2 1 with 3 blocks."""
    labels, count = _first_occurrence(_ints([5, 3, 5, 0, 3]), 6)
    assert labels.tolist() == [0, 1, 0, 2, 1]
    assert int(count) == 3


def test_first_occurrence_empty_and_single():
    """No values give no labels and no blocks; one value gives one block."""
    labels, count = _first_occurrence(_ints([]), 0)
    assert labels.tolist() == [] and int(count) == 0
    labels, count = _first_occurrence(_ints([4]), 5)
    assert labels.tolist() == [0] and int(count) == 1


@given(two_labellings())
def test_meet_roots_matches_naive(data):
    """_meet_roots, canonicalised, is the meet (closure of the union)."""
    a, b = data
    na = max(a, default=-1) + 1
    nb = max(b, default=-1) + 1
    roots = _meet_roots(_ints(a), na, _ints(b), nb)
    assert len(roots) == len(a)
    # roots are a-block ids
    assert all(0 <= int(r) < na for r in roots)
    assert naive.canonical(roots.tolist()) == naive.meet_roots(a, b)


def test_meet_roots_chain():
    """Blocks linked in a chain 0-1, 1-2, 2-3 merge into one component."""
    a = [0, 0, 1, 1, 2, 2, 3]
    b = [0, 1, 1, 2, 2, 3, 3]
    roots = _meet_roots(_ints(a), 4, _ints(b), 4)
    assert naive.canonical(roots.tolist()) == [0] * 7


def test_meet_roots_empty_and_single():
    """The meet of empty labellings is empty; of one state is one block."""
    assert _meet_roots(_ints([]), 0, _ints([]), 0).tolist() == []
    assert naive.canonical(_meet_roots(_ints([0]), 1, _ints([0]), 1).tolist()) == [0]


@given(step_and_starts())
def test_reach_matches_naive(data):
    """_reach marks exactly the states reachable from the starts."""
    step, starts = data
    mask = _reach(_ints(step), _ints(starts))
    assert mask.dtype == np.bool_
    assert mask.tolist() == naive.reach(step, starts)


def test_reach_known_answer_and_empty():
    """From state 3 of 0<-1<-2<-3 with 0->0 every state is reached except 4."""
    step = [0, 0, 1, 2, 4]
    assert _reach(_ints(step), _ints([3])).tolist() == [True, True, True, True, False]
    assert _reach(_ints(step), _ints([])).tolist() == [False] * 5
    assert _reach(_ints([]), _ints([])).tolist() == []
    assert _reach(_ints([0]), _ints([0])).tolist() == [True]


@given(step_and_halted())
def test_final_states_matches_naive(data):
    """_final_states gives the halted state each run reaches, -1 if none."""
    step, halted = data
    final = _final_states(_ints(step), np.array(halted, dtype=np.bool_))
    assert final.tolist() == naive.final_states(step, halted)


def test_final_states_known_answer_and_empty():
    """A tail into a halted state and a cycle without one."""
    step = [1, 2, 2, 4, 3]
    halted = np.array([False, False, True, False, False])
    assert _final_states(_ints(step), halted).tolist() == [2, 2, 2, -1, -1]
    assert _final_states(_ints([]), np.zeros(0, dtype=np.bool_)).tolist() == []
    assert _final_states(_ints([0]), np.array([True])).tolist() == [0]
    assert _final_states(_ints([0]), np.array([False])).tolist() == [-1]
