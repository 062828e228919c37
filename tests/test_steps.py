"""High-level steps: powers, first returns, schedules (abstractions.steps)."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from abstractions import (
    NO_RETURN,
    AbstractionsError,
    Computation,
    InvalidTypeError,
    InvalidValueError,
    Partition,
    SizeMismatchError,
    TransitionSystem,
    finish_abstraction,
    first_entry,
    first_return,
    is_complete,
    minimal_complete_abstraction,
    output_abstraction,
)
from abstractions._kernels import _first_return
from abstractions.strategies import computations, transition_systems
from tests import naive


def _ints(xs) -> np.ndarray:
    return np.ascontiguousarray(np.array(xs, dtype=np.int64).reshape(-1))


@st.composite
def steps_schedules_starts(draw, max_n=12):
    n = draw(st.integers(0, max_n))
    step = draw(st.lists(st.integers(0, n - 1), min_size=n, max_size=n)) if n else []
    schedule = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    starts = draw(st.lists(st.integers(0, n - 1), max_size=n)) if n else []
    return step, schedule, starts


@st.composite
def computations_and_schedules(draw, **kwargs):
    C = draw(computations(**kwargs))
    schedule = draw(st.lists(st.booleans(), min_size=C.n, max_size=C.n))
    return C, np.array(schedule, dtype=bool)


# ------------------------------------------------------------------ the kernel


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
@given(data=steps_schedules_starts())
def test_first_return_kernel_matches_naive(data, dtype):
    """_first_return gives the first scheduled state after >= 1 step (>= 0 for starts)."""
    step, schedule, starts = data
    induced, entry = _first_return(
        _ints(step), np.array(schedule, dtype=bool), _ints(starts), np.empty(0, dtype=dtype)
    )
    expected_induced, expected_entry = naive.first_return_positions(step, schedule, starts)
    assert induced.dtype == np.int64 and entry.dtype == np.int64
    assert induced.tolist() == expected_induced
    assert entry.tolist() == expected_entry


def test_first_return_kernel_walks_that_meet():
    """Walks that run into each other's paths and close a cycle together never return."""
    # 0 and 1 are scheduled and step into a cycle 2 -> 3 -> 4 -> 2 with no
    # scheduled state; 5 is scheduled and steps into 6 -> 0.
    step = [2, 3, 3, 4, 2, 6, 0]
    schedule = [True, True, False, False, False, True, False]
    induced, entry = _first_return(
        _ints(step), np.array(schedule), _ints([2, 6, 5]), np.empty(0, dtype=np.int64)
    )
    assert induced.tolist() == [-1, -1, 0]
    assert entry.tolist() == [-1, 0, 2]


def test_first_return_kernel_long_chain():
    """A chain of 10**5 unscheduled states is walked once, whatever feeds into it."""
    n = 100_000
    step = np.arange(1, n + 1, dtype=np.int64)
    step[-1] = n - 1
    schedule = np.zeros(n, dtype=bool)
    schedule[:50] = True  # 50 checkpoints feeding the same chain
    schedule[-1] = True
    induced, _ = _first_return(step, schedule, _ints([]), np.empty(0, dtype=np.int32))
    assert induced[:49].tolist() == list(range(1, 50))
    assert induced[49] == 50 and induced[50] == 50


# ------------------------------------------------------------------ power


@given(computations(max_states=8), st.integers(1, 40))
def test_power_is_repeated_step(C, k):
    """C.power(k).step is step applied k times; everything else is kept."""
    expected = np.arange(C.n)
    for _ in range(k):
        expected = C.step[expected]
    P = C.power(k)
    assert P.step.tolist() == expected.tolist()
    assert np.array_equal(P.halted, C.halted)
    assert P.output_values == C.output_values and np.array_equal(P.output, C.output)
    assert P.inputs == C.inputs


@given(computations(max_states=8), st.integers(1, 2**62), st.integers(1, 2**62))
def test_power_adds_exponents(C, a, b):
    """tau**(a + b) is tau**b after tau**a, for huge exponents too."""
    assert C.power(a + b).step.tolist() == C.power(b).step[C.power(a).step].tolist()


def test_power_keeps_halted_states_absorbing():
    """A run that halts within k steps waits at its halted state."""
    C = Computation([1, 2, 3, 3], halted=[False, False, False, True])
    assert C.power(2).step.tolist() == [2, 3, 3, 3]
    assert C.power(1000).step.tolist() == [3, 3, 3, 3]
    assert C.power(1) == C


@pytest.mark.parametrize("k", [0, -1, -(2**70)])
def test_power_below_one_is_refused(k):
    """k < 1 raises an InvalidValueError that names k."""
    with pytest.raises(InvalidValueError, match=f"k must be at least 1.*got {k}"):
        Computation([1, 0]).power(k)


@pytest.mark.parametrize("k", [1.0, "2", True, None, np.float64(2)])
def test_power_needs_an_integer(k):
    """A k that is not an integer raises an InvalidTypeError (a TypeError)."""
    with pytest.raises(InvalidTypeError, match="k must be an integer"):
        Computation([1, 0]).power(k)
    with pytest.raises(TypeError):
        Computation([1, 0]).power(k)


def test_power_takes_numpy_integers():
    """numpy integers are integers."""
    assert Computation([1, 2, 0]).power(np.int64(2)).step.tolist() == [2, 0, 1]


# ------------------------------------------------------------------ first return


@given(computations_and_schedules(max_states=10))
def test_first_return_is_the_poincare_map(data):
    """Each scheduled state steps to the first scheduled state after >= 1 step, else the sink."""
    C, schedule = data
    induced, index = first_return(C, schedule)
    scheduled = np.flatnonzero(schedule).tolist()
    assert index.tolist() == scheduled + [-1]
    assert induced.n == len(scheduled) + 1
    sink = induced.n - 1
    step = C.step.tolist()
    for i, s in enumerate(scheduled):
        target = naive.first_scheduled(step, schedule.tolist(), s, 1)
        assert int(induced.step[i]) == (sink if target < 0 else scheduled.index(target))
    assert int(induced.step[sink]) == sink and not induced.halted[sink]
    assert induced.halted[:-1].tolist() == C.halted[scheduled].tolist()


@given(computations_and_schedules(max_states=10))
def test_first_return_carries_outputs_and_inputs(data):
    """Scheduled states keep their outputs; inputs start at their first checkpoint."""
    C, schedule = data
    induced, index = first_return(C, schedule)
    for i, s in enumerate(index[:-1].tolist()):
        assert induced.output_value(i) == C.output_value(s)
    assert induced.output_value(induced.n - 1) is NO_RETURN
    if C.inputs == {s: s for s in range(C.n)} and isinstance(C.input_values, range):
        assert isinstance(induced.input_values, range)
    else:
        entry = first_entry(C, schedule)
        assert induced.inputs == {x: int(entry[s]) for x, s in C.inputs.items()}


def test_first_return_default_outputs_and_names():
    """Default outputs stay the default; state names are kept, the sink named NO_RETURN."""
    C = Computation([1, 2, 0])
    induced, _ = first_return(C, [True, False, True])
    assert isinstance(induced.output_values, range) and induced.output.tolist() == [0, 1, 2]
    named = Computation([1, 2, 0], state_labels=["a", "b", "c"])
    induced, _ = first_return(named, [True, False, True])
    assert induced.state_labels == ("a", "c", NO_RETURN)
    assert pickle.loads(pickle.dumps(induced)) == induced
    assert repr(NO_RETURN) == "NO_RETURN" and pickle.loads(pickle.dumps(NO_RETURN)) is NO_RETURN


def test_first_return_of_a_labelled_system_is_per_letter():
    """Letter a of the induced system reads a until the next checkpoint."""
    # a: 0 -> 1 -> 2 -> 0 (a cycle through every state); b: every state to 1.
    T = TransitionSystem.labelled({"a": [1, 2, 0], "b": [1, 1, 1]}, output=["x", "y", "z"])
    induced, index = first_return(T, [True, False, True])
    assert index.tolist() == [0, 2, -1]
    assert induced.symbols == ("a", "b")
    # a: 0 -> 2, 2 -> 0; b: 0 -> 1 -> 1 ... never back: the sink.
    assert induced.steps.tolist() == [[1, 0, 2], [2, 2, 2]]
    assert induced.output_value(2) is NO_RETURN


@pytest.mark.parametrize("kind", ["nondeterministic", "probabilistic"])
def test_first_return_refuses_branching_kinds(kind):
    """Relations and Markov chains have no single next checkpoint: InvalidTypeError."""
    if kind == "nondeterministic":
        T = TransitionSystem.nondeterministic([[1], [0, 1]])
    else:
        T = TransitionSystem.probabilistic([[0.5, 0.5], [0, 1]])
    with pytest.raises(InvalidTypeError, match="stuttering_abstraction"):
        first_return(T, [True, False])


@pytest.mark.parametrize(
    "schedule, error, match",
    [
        ([True, False], SizeMismatchError, "schedule has 2 entries, but the system has 3"),
        (np.ones(4, dtype=bool), SizeMismatchError, "schedule has 4 entries"),
        ([0.5, 1.0, 0.0], InvalidTypeError, "schedule must hold booleans"),
        (["yes", "no", "no"], InvalidTypeError, "schedule must hold booleans"),
        ([0, 2, 1], InvalidValueError, r"schedule\[1\] = 2"),
        (np.ones((3, 1), dtype=bool), InvalidValueError, "schedule"),
    ],
)
def test_bad_schedules_are_refused(schedule, error, match):
    """A schedule of the wrong size or dtype gets a clear error of the library's hierarchy."""
    C = Computation([1, 2, 0])
    with pytest.raises(error, match=match) as info:
        first_return(C, schedule)
    assert isinstance(info.value, AbstractionsError)
    with pytest.raises(error):
        minimal_complete_abstraction(C, Partition.top(3), schedule=schedule)


def test_empty_schedule_leaves_the_sink():
    """With no checkpoint the induced system is the sink alone."""
    induced, index = first_return(Computation([1, 0]), [False, False])
    assert induced.n == 1 and index.tolist() == [-1]


# ------------------------------------------------------------------ schedules and minimality


@given(computations_and_schedules(max_states=9))
def test_scheduled_minimal_is_minimal_on_the_first_return_system(data):
    """minimal_complete_abstraction(..., schedule) is the least complete partition of induced."""
    C, schedule = data
    beta = output_abstraction(C)
    P = minimal_complete_abstraction(C, beta, schedule=schedule)
    induced, index = first_return(C, schedule)
    kept = naive.canonical(
        [int(beta.labels[s]) if s >= 0 else -1 for s in index.tolist()]
    )
    expected = naive.kleene_minimal(induced.step.tolist(), kept)
    assert P.labels.tolist() == expected
    assert is_complete(induced, P)
    for method in ("linear", "doubling", "rounds", "reference"):
        assert minimal_complete_abstraction(C, beta, method=method, schedule=schedule) == P


@given(computations(max_states=10))
def test_schedule_halted_gives_the_finish_abstraction(C):
    """With schedule = halted, the scheduled minimal abstraction carried back is finish."""
    P = minimal_complete_abstraction(C, output_abstraction(C), schedule=C.halted)
    assert P.pullback(first_entry(C, C.halted)) == finish_abstraction(C)


@given(computations_and_schedules(max_states=10))
def test_first_entry_generalises_final_states(data):
    """first_entry is the first scheduled state at >= 0 steps; for halted, final_states."""
    C, schedule = data
    _, index = first_return(C, schedule)
    entry = first_entry(C, schedule)
    expected = [naive.first_scheduled(C.step.tolist(), schedule.tolist(), m, 0) for m in range(C.n)]
    assert index[entry].tolist() == expected
    _, halted_index = first_return(C, C.halted)
    assert halted_index[first_entry(C, C.halted)].tolist() == C.final_states().tolist()


def test_first_entry_needs_a_computation():
    """A labelled system has no single next checkpoint: InvalidTypeError."""
    T = TransitionSystem.labelled([[1, 0]])
    with pytest.raises(InvalidTypeError, match="first_entry needs a Computation"):
        first_entry(T, [True, False])


@given(transition_systems(kinds=["labelled"], max_states=7), st.data())
def test_scheduled_minimal_on_labelled_systems(T, data):
    """For a labelled system, the scheduled minimal abstraction is complete for the induced one."""
    schedule = np.array(data.draw(st.lists(st.booleans(), min_size=T.n, max_size=T.n)))
    P = minimal_complete_abstraction(T, output_abstraction(T), schedule=schedule)
    induced, _ = first_return(T, schedule)
    assert is_complete(induced, P)
    assert P == minimal_complete_abstraction(induced, output_abstraction(induced))
