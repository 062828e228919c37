"""The engine's array primitives: numpy below the size threshold, kernels above, same answers.

Each property runs twice, with ``SMALL_INPUT`` set so that every input takes
the numpy path and so that every input takes the kernel, and compares both
with the naive twins of :mod:`tests.naive` (and so with each other).
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from abstractions import _config
from abstractions._engine import primitives
from tests import naive

PATHS = ["numpy", "kernel"]


@contextlib.contextmanager
def forced(path: str) -> Iterator[None]:
    """Send every input down one path (a threshold above or below every size)."""
    saved = _config.SMALL_INPUT
    _config.SMALL_INPUT = 10**9 if path == "numpy" else 0
    try:
        yield
    finally:
        _config.SMALL_INPUT = saved


def _ints(xs) -> np.ndarray:
    return np.asarray(xs, dtype=np.int64).reshape(-1)


@st.composite
def labellings(draw, *, max_states: int = 14, max_blocks: int = 6):
    n = draw(st.integers(0, max_states))
    k = draw(st.integers(1, max_blocks))
    return draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)), k


@st.composite
def functions(draw, *, max_states: int = 14):
    n = draw(st.integers(0, max_states))
    return draw(st.lists(st.integers(0, n - 1), min_size=n, max_size=n)) if n else []


@pytest.mark.parametrize("path", PATHS)
@given(labellings(), st.sampled_from([0, 1, 50]))
def test_first_occurrence_paths_agree(path, data, offset):
    """Both paths renumber by first occurrence, values below k in any range."""
    values, k = data
    with forced(path):
        labels, count = primitives.first_occurrence(_ints(values) + offset, k + offset)
    assert labels.dtype == np.int64
    assert (labels.tolist(), count) == naive.first_occurrence(values, k)


@pytest.mark.parametrize("path", PATHS)
@given(labellings())
def test_first_occurrence_of_int32_classes(path, data):
    """int32 values (the linear method's classes) give int64 canonical labels too."""
    values, k = data
    with forced(path):
        labels, count = primitives.first_occurrence(np.asarray(values, dtype=np.int32), k)
    assert labels.dtype == np.int64
    assert (labels.tolist(), count) == naive.first_occurrence(values, k)


@pytest.mark.parametrize("path", PATHS)
@given(st.data())
def test_pair_ids_paths_agree(path, data):
    """pair_ids numbers the distinct pairs by first occurrence, directly indexed or hashed."""
    n = data.draw(st.integers(0, 14))
    ka = data.draw(st.sampled_from([1, 3, 10**6]))
    kb = data.draw(st.sampled_from([1, 4, 10**6]))
    a = data.draw(st.lists(st.integers(0, ka - 1), min_size=n, max_size=n))
    b = data.draw(st.lists(st.integers(0, kb - 1), min_size=n, max_size=n))
    with forced(path):
        labels, count = primitives.pair_ids(_ints(a), ka, _ints(b), kb)
    assert (labels.tolist(), count) == naive.pair_labels(a, b)


@pytest.mark.parametrize("path", PATHS)
@given(labellings(), st.data())
def test_meet_roots_paths_agree(path, data, more):
    """meet_roots gives every state the least a-block of its component: the same array."""
    a, ka = data
    b = more.draw(st.lists(st.integers(0, 4), min_size=len(a), max_size=len(a)))
    with forced(path):
        roots = primitives.meet_roots(_ints(a), ka, _ints(b), 5)
    # The least a-block of the component, straight from the naive meet.
    meet = naive.meet(a, b)
    least = {block: min(x for x, y in zip(a, meet) if y == block) for block in set(meet)}
    assert roots.tolist() == [least[block] for block in meet]


def test_meet_roots_long_chains_both_paths():
    """Chains of a-blocks in every order (the numpy path's hardest case) give one component."""
    rng = np.random.default_rng(5)
    m = 300
    for order in (np.arange(m), np.arange(m)[::-1], rng.permutation(m)):
        a = np.repeat(order, 2)
        b = np.concatenate([[0], np.repeat(np.arange(1, m), 2), [m]])
        answers = []
        for path in PATHS:
            with forced(path):
                answers.append(primitives.meet_roots(a, m, b, m + 1).tolist())
        assert answers[0] == answers[1] == [0] * (2 * m)


@pytest.mark.parametrize("path", PATHS)
@given(functions(), st.data())
def test_reach_paths_agree(path, step, data):
    """reach marks the states of every run from the starts."""
    n = len(step)
    starts = data.draw(st.lists(st.integers(0, n - 1), max_size=4)) if n else []
    with forced(path):
        seen = primitives.reach(_ints(step), _ints(starts))
    assert seen.dtype == np.bool_
    assert seen.tolist() == naive.reach(step, starts)


@pytest.mark.parametrize("path", PATHS)
@given(functions(), st.data())
def test_final_states_paths_agree(path, step, data):
    """final_states gives the first halted state of each run, or -1, absorbing or not."""
    n = len(step)
    halted = data.draw(st.lists(st.booleans(), min_size=n, max_size=n))
    if data.draw(st.booleans()):
        step = [i if h else s for i, (s, h) in enumerate(zip(step, halted))]
    with forced(path):
        final = primitives.final_states(_ints(step), np.asarray(halted, dtype=np.bool_))
    assert final.tolist() == naive.final_states(step, halted)


def test_long_runs_both_paths():
    """A chain of 5,000 states (doubling needs 13 rounds) into a halted state, and a cycle."""
    n = 5000
    step = np.append(np.arange(1, n), n - 1)
    halted = np.zeros(n, dtype=np.bool_)
    halted[-1] = True
    cycle = np.roll(np.arange(n), -1)
    for path in PATHS:
        with forced(path):
            assert (primitives.final_states(step, halted) == n - 1).all()
            assert (primitives.final_states(cycle, np.zeros(n, dtype=np.bool_)) == -1).all()
            assert primitives.reach(step, np.array([n // 2])).sum() == n - n // 2


def test_small_inputs_load_no_numba():
    """Small partitions and computations are answered without importing numba."""
    code = """
import sys
import numpy as np
from abstractions import Computation, Partition
P = Partition([0, 1, 1, 2, 0, 1])
Q = Partition.from_labels([10**12, 5, 5, 7, 7, -3])
P | Q, P & Q, P <= Q, P.pullback([1, 2, 3, 4, 5, 0])
Partition.from_blocks([[0, 1], [2]], n=3)
C = Computation([1, 2, 3, 3, 0], halted=[False, False, False, True, False], inputs=[0, 4])
C.final_states(), C.reachable_states()
print('numba' in sys.modules)
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "False", result.stderr
