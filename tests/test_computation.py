"""Tests of abstractions.computation: validation, running, reachability, constructors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from abstractions import (
    AbstractionsError,
    Computation,
    InvalidTypeError,
    InvalidValueError,
    NonHaltingError,
    TooLargeError,
    UnknownInputError,
)
from abstractions.strategies import computations
from tests import naive


def example() -> Computation:
    """Five states: 0 -> 1 -> 2 -> 3 (halts), 4 -> 0; outputs by name."""
    return Computation(
        [1, 2, 3, 3, 0],
        halted=[False, False, False, True, False],
        output=["x", "y", "y", "done", "x"],
        state_labels=["a", "b", "c", "d", "e"],
    )


# --- construction ----------------------------------------------------------


def test_arrays_and_sizes():
    """The stored arrays have one entry per state and fixed dtypes."""
    c = example()
    assert c.n == 5
    assert c.step.tolist() == [1, 2, 3, 3, 0]
    assert c.step.dtype == np.int64
    assert c.halted.tolist() == [False, False, False, True, False]
    assert c.halted.dtype == np.bool_
    assert c.output.dtype == np.int64
    assert c.state_labels == ("a", "b", "c", "d", "e")


def test_arrays_are_read_only():
    """step, halted, output and input_states cannot be written."""
    c = example()
    for array in (c.step, c.halted, c.output, c.input_states):
        assert not array.flags.writeable
        with pytest.raises(ValueError):
            array[0] = 0


def test_halted_defaults_to_none_halting():
    """Without halted, no state halts."""
    c = Computation([1, 0])
    assert c.halted.tolist() == [False, False]


def test_halted_states_are_absorbing():
    """A user-supplied step on a halted state is ignored: it steps to itself."""
    c = Computation([1, 0, 0], halted=[False, True, True])
    assert c.step.tolist() == [1, 1, 2]
    assert c == Computation([1, 1, 2], halted=[False, True, True])


def test_halted_accepts_zero_one():
    """halted may be given as 0/1 integers."""
    c = Computation([1, 1], halted=[0, 1])
    assert c.halted.tolist() == [False, True]


def test_output_values_numbered_by_first_occurrence():
    """Arbitrary output values become ids numbered by first occurrence."""
    c = example()
    assert c.output.tolist() == [0, 1, 1, 2, 0]
    assert tuple(c.output_values) == ("x", "y", "done")
    assert c.n_outputs == 3


def test_output_ids_into_output_values():
    """With output_values, output holds ids into them."""
    c = Computation([0, 1, 2], halted=[1, 1, 1], output=[2, 0, 2], output_values=("p", "q", "r"))
    assert c.output.tolist() == [2, 0, 2]
    assert c.output_values == ("p", "q", "r")
    assert c.n_outputs == 3
    assert [c.run(x) for x in range(3)] == ["r", "p", "r"]


def test_output_defaults_to_state():
    """Without output, a state's output is the state itself (or its label)."""
    c = Computation([0, 0], halted=[True, False])
    assert c.output.tolist() == [0, 1]
    assert list(c.output_values) == [0, 1]
    assert c.run(1) == 0
    d = Computation([0, 0], halted=[True, False], state_labels=["start", "end"])
    assert tuple(d.output_values) == ("start", "end")
    assert d.run(1) == "start"


def test_inputs_default_to_every_state():
    """Without inputs, every state is an input whose value is its index."""
    c = example()
    assert tuple(c.input_values) == (0, 1, 2, 3, 4)
    assert c.input_states.tolist() == [0, 1, 2, 3, 4]
    assert c.inputs == {i: i for i in range(5)}
    assert c.start(4) == 4


def test_inputs_mapping():
    """A mapping gives input values and their start states."""
    c = Computation([1, 1], halted=[False, True], inputs={"go": 0, "stop": 1})
    assert tuple(c.input_values) == ("go", "stop")
    assert c.input_states.tolist() == [0, 1]
    assert c.inputs == {"go": 0, "stop": 1}
    assert c.start("go") == 0
    assert c.run("go") == c.run("stop") == 1


def test_inputs_sequence():
    """A sequence of start states makes each of them an input."""
    c = Computation([1, 2, 2], halted=[False, False, True], inputs=[2, 0])
    assert c.inputs == {2: 2, 0: 0}
    assert tuple(c.input_values) == (2, 0)
    assert c.input_states.tolist() == [2, 0]
    assert c.run(0) == 2


@pytest.mark.parametrize(
    ("step", "error", "match"),
    [
        ([1, 2, 5], InvalidValueError, r"step\[2\] = 5"),
        ([1, -1, 0], InvalidValueError, r"step\[1\] = -1"),
        ([3, 0, 0], InvalidValueError, r"step\[0\] = 3"),
        (np.array([0.0, 1.0]), InvalidTypeError, r"step"),
        (np.array([0.5, 1.0]), InvalidTypeError, r"step"),
        (["a", "b"], InvalidTypeError, r"step"),
        ([True, False], InvalidTypeError, r"step"),
        (np.zeros((2, 2), dtype=np.int64), InvalidValueError, r"step"),
        ([0, None], InvalidTypeError, r"step\[1\]"),
    ],
)
def test_step_validation(step, error, match):
    """Bad steps raise an error naming step (and the index where there is one)."""
    with pytest.raises(error, match=match):
        Computation(step)


def test_step_errors_are_builtin_errors():
    """Step errors are ValueError / TypeError as well as AbstractionsError."""
    with pytest.raises(ValueError):
        Computation([0, 2])
    with pytest.raises(TypeError):
        Computation([0.5])
    with pytest.raises(AbstractionsError):
        Computation([[0]])


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"halted": [True]}, InvalidValueError, "halted"),
        ({"halted": [True, False, False]}, InvalidValueError, "halted"),
        ({"halted": [0, 2]}, InvalidValueError, r"halted\[1\]"),
        ({"halted": [0.5, 1.0]}, InvalidTypeError, "halted"),
        ({"output": [0]}, InvalidValueError, "output"),
        ({"output": [0, 1, 2]}, InvalidValueError, "output"),
        ({"output": [0, 3], "output_values": ("a", "b")}, InvalidValueError, r"output\[1\]"),
        ({"output": [0, -1], "output_values": ("a", "b")}, InvalidValueError, r"output\[1\]"),
        ({"state_labels": ["a"]}, InvalidValueError, "state_labels"),
        ({"state_labels": ["a", "a"]}, InvalidValueError, "state_labels"),
        ({"inputs": {"x": 2}}, InvalidValueError, "inputs"),
        ({"inputs": {"x": -1}}, InvalidValueError, "inputs"),
        ({"inputs": [0, 5]}, InvalidValueError, "inputs"),
    ],
)
def test_other_argument_validation(kwargs, error, match):
    """Wrong lengths, values and targets are named in the error."""
    with pytest.raises(error, match=match):
        Computation([1, 0], **kwargs)


def test_error_messages_name_the_value():
    """Messages carry the offending values: inputs pointing to state 7 mention 7."""
    with pytest.raises(InvalidValueError, match="7"):
        Computation([1, 0], inputs={"x": 7})
    with pytest.raises(InvalidValueError, match="'a'"):
        Computation([1, 0], state_labels=["a", "a"])


def test_value_sequences_are_tuples():
    """output_values, input_values and state_labels are tuples (as the contract says)."""
    c = example()
    assert isinstance(c.output_values, tuple), type(c.output_values)
    # every state an input: input_values is range(n), no tuple of n ints is built
    assert isinstance(c.input_values, range), type(c.input_values)
    assert c.output_values == ("x", "y", "done")
    assert tuple(c.input_values) == (0, 1, 2, 3, 4)
    assert c.state_labels == ("a", "b", "c", "d", "e")
    d = Computation([0, 1], halted=[1, 1], output=[1.5, 2.5], inputs={"p": 0, "q": 1})
    assert d.output_values == (1.5, 2.5)
    assert d.input_values == ("p", "q")
    assert type(d.run("p")) is float


def test_output_values_of_any_hashable_kind():
    """Output values may be tuples of different lengths, or mixed types."""
    c = Computation([0, 1, 2], halted=[1, 1, 1], output=[(1,), (2, 3), (1,)])
    assert c.output.tolist() == [0, 1, 0]
    assert tuple(c.output_values) == ((1,), (2, 3))
    assert c.run(1) == (2, 3)
    d = Computation([0, 1, 2], halted=[1, 1, 1], output=["a", 1, "a"])
    assert d.output.tolist() == [0, 1, 0]
    assert d.run(1) == 1 and d.run(2) == "a"


@given(st.lists(st.one_of(st.integers(-2, 2), st.sampled_from(["0", "1", "a"]),
                          st.tuples(st.integers(0, 1))), min_size=1, max_size=8))
def test_output_values_keep_their_identity(values):
    """Each state's run outputs exactly its own output value (no numpy coercion)."""
    n = len(values)
    c = Computation(list(range(n)), halted=[True] * n, output=values)
    assert c.output.tolist() == naive.canonical(values)
    for m in range(n):
        out = c.run(m)
        assert out == values[m] and type(out) is type(values[m])


# --- running ---------------------------------------------------------------


def test_run_and_trace_by_hand():
    """From 4 the run goes 4 0 1 2 3 and outputs "done"; a halted start has a 1-trace."""
    c = example()
    assert c.trace(4).tolist() == [4, 0, 1, 2, 3]
    assert c.trace(4).dtype == np.int64
    assert c.run(4) == "done"
    assert c.trace(3).tolist() == [3]
    assert [c.run(x) for x in range(5)] == ["done"] * 5


def test_run_outputs_of_different_halted_states():
    """Runs ending in different halted states give their outputs."""
    c = Computation([2, 3, 2, 3], halted=[0, 0, 1, 1], output=["a", "b", "even", "odd"])
    assert c.run(0) == "even"
    assert c.run(1) == "odd"
    assert c.trace(1).tolist() == [1, 3]


def test_non_halting_run_raises():
    """A run that cycles without halting raises NonHaltingError with the input and state."""
    c = Computation([1, 2, 1, 3], halted=[0, 0, 0, 1], inputs={"loop": 0, "stop": 3})
    with pytest.raises(NonHaltingError) as info:
        c.run("loop")
    assert info.value.input == "loop"
    assert info.value.state == 0
    assert isinstance(info.value, RuntimeError)
    with pytest.raises(NonHaltingError):
        c.trace("loop")
    assert c.run("stop") == 3


def test_non_halting_run_terminates_on_a_long_cycle():
    """A long cycle without halting is detected (the run does not loop forever)."""
    n = 200_000
    c = Computation((np.arange(n) + 1) % n, inputs={"start": 0})
    with pytest.raises(NonHaltingError):
        c.run("start")


def test_unknown_input():
    """Running, tracing or starting on a non-input raises UnknownInputError (a KeyError)."""
    c = Computation([1, 1], halted=[0, 1], inputs={"a": 0})
    for method in (c.run, c.trace, c.start):
        with pytest.raises(UnknownInputError):
            method("b")
    with pytest.raises(KeyError):
        c.run(1)


@given(computations(max_states=10))
def test_final_states_match_naive(c):
    """final_states() is the halted state each run reaches, -1 if it never halts."""
    final = c.final_states()
    assert final.dtype == np.int64
    assert final.tolist() == naive.final_states(c.step.tolist(), c.halted.tolist())


@given(computations(max_states=10))
def test_run_agrees_with_final_states(c):
    """run(x) outputs the output value of the final state of start(x)."""
    final = c.final_states()
    for x in c.input_values:
        s = c.start(x)
        if final[s] < 0:
            with pytest.raises(NonHaltingError):
                c.run(x)
        else:
            assert c.run(x) == c.output_values[c.output[final[s]]]
            trace = c.trace(x)
            assert trace[0] == s and trace[-1] == final[s]
            assert all(c.step[a] == b for a, b in zip(trace[:-1], trace[1:]))
            assert not c.halted[trace[:-1]].any()


@given(computations(max_states=10))
def test_reachable_states_match_naive(c):
    """reachable_states() are the sorted states reachable from the inputs."""
    mask = naive.reach(c.step.tolist(), c.input_states.tolist())
    assert c.reachable_states().tolist() == [i for i, seen in enumerate(mask) if seen]


# --- restriction -----------------------------------------------------------


def test_restrict_closed_set():
    """Restricting to a closed set renumbers states in the given order."""
    c = example()
    r = c.restrict([1, 2, 3])
    assert r.n == 3
    assert r.step.tolist() == [1, 2, 2]
    assert r.halted.tolist() == [False, False, True]
    assert r.run(1) == "done"  # input value 1 starts in original state 1


def test_restrict_non_closed_set_raises():
    """A set not closed under step is rejected, naming a state whose successor leaves it."""
    c = example()
    # state 1 (named 'b') steps to state 2 (named 'c'), outside the set
    with pytest.raises(InvalidValueError, match=r"\b1\b|'b'"):
        c.restrict([0, 1])


def test_restrict_to_reachable_by_hand():
    """restrict_to_reachable keeps the states reached from the inputs, mapped back."""
    c = Computation(
        [1, 2, 3, 3, 0], halted=[0, 0, 0, 1, 0], output=["x", "y", "y", "done", "x"],
        inputs={"go": 1},
    )
    r, states = c.restrict_to_reachable()
    assert states.tolist() == [1, 2, 3]
    assert r.n == 3
    assert r.run("go") == "done"
    assert tuple(r.input_values) == ("go",)


@given(computations(max_states=10))
def test_restrict_to_reachable_is_a_subcomputation(c):
    """The restricted computation maps back to the original and runs the same."""
    r, states = c.restrict_to_reachable()
    assert states.tolist() == c.reachable_states().tolist()
    assert r.n == len(states)
    assert np.array_equal(states[r.step], c.step[states])
    assert np.array_equal(r.halted, c.halted[states])
    assert tuple(r.input_values) == tuple(c.input_values)
    final_r, final_c = r.final_states(), c.final_states()
    for i, s in enumerate(states):
        if final_c[s] < 0:
            assert final_r[i] == -1
        else:
            assert states[final_r[i]] == final_c[s]
    for x in c.input_values:
        assert states[r.start(x)] == c.start(x)
        if final_c[c.start(x)] >= 0:
            assert r.run(x) == c.run(x)


# --- from_functions --------------------------------------------------------


def test_from_functions_countdown():
    """A countdown explores states breadth-first from the inputs, inputs first."""

    def step(s):
        if s == 0:
            raise RuntimeError("step called on a halted state")
        return s - 1

    c = Computation.from_functions(step, [3, 5], halted=lambda s: s == 0)
    assert c.state_labels == (3, 5, 2, 4, 1, 0)
    assert c.n == 6
    assert tuple(c.input_values) == (3, 5)
    assert c.run(5) == 0  # output None: the final state itself
    assert c.trace(3).tolist() == [0, 2, 4, 5]
    assert c.halted.tolist() == [False, False, False, False, False, True]


def test_from_functions_parity():
    """Bit-serial parity over tuples: outputs the parity of the input bits."""
    c = parity_machine(3)
    for bits in c.input_values:
        assert c.run(bits) == sum(bits) % 2
    assert set(c.output_values) == {0, 1}


def parity_machine(width: int) -> Computation:
    """Reads the bits one by one, keeping the parity so far."""
    import itertools

    inputs = {bits: (bits, 0) for bits in itertools.product((0, 1), repeat=width)}
    return Computation.from_functions(
        lambda s: (s[0][1:], s[1] ^ s[0][0]),
        inputs,
        halted=lambda s: len(s[0]) == 0,
        output=lambda s: s[1],
    )


def test_from_functions_too_large():
    """An infinite machine is stopped at max_states with TooLargeError."""
    with pytest.raises(TooLargeError):
        Computation.from_functions(lambda s: s + 1, [0], max_states=100)
    with pytest.raises(ValueError):
        Computation.from_functions(lambda s: s + 1, [0], max_states=10)


def test_from_functions_within_budget():
    """A cycle of exactly max_states states is accepted."""
    c = Computation.from_functions(lambda s: (s + 1) % 10, [0], max_states=10)
    assert c.n == 10
    assert c.step.tolist() == [1, 2, 3, 4, 5, 6, 7, 8, 9, 0]


# --- labels, equality, table -------------------------------------------------


def test_state_index():
    """state_index finds a state by label; an unknown label raises."""
    c = example()
    assert c.state_index("c") == 2
    with pytest.raises(AbstractionsError):
        c.state_index("zzz")


def test_equality():
    """Computations with equal arrays and values are equal; any difference breaks it."""
    assert example() == example()
    c = example()
    assert c != Computation([1, 2, 3, 3, 1], halted=[0, 0, 0, 1, 0],
                            output=["x", "y", "y", "done", "x"],
                            state_labels=["a", "b", "c", "d", "e"])
    assert c != Computation([1, 2, 3, 3, 0], halted=[0, 0, 0, 1, 0],
                            output=["x", "y", "y", "done", "z"],
                            state_labels=["a", "b", "c", "d", "e"])
    assert c != Computation([1, 2, 3, 3, 0], halted=[0, 0, 0, 1, 0],
                            output=["x", "y", "y", "done", "x"])
    assert Computation([0]) != "not a computation"


def test_table_and_repr():
    """table() and repr() are strings that show the states."""
    c = example()
    text = c.table()
    assert isinstance(text, str)
    for label in c.state_labels:
        assert label in text
    assert "Computation" in repr(c)
    big = Computation((np.arange(10_000) + 1) % 10_000)
    assert len(big.table(max_states=8).splitlines()) < 40
    assert len(repr(big)) < 1000


def test_user_arrays_are_neither_changed_nor_frozen():
    """The constructor copies what it keeps: the caller's arrays stay as they were, writeable."""
    step = np.array([1, 0, 2])
    halted = np.array([True, False, False])
    output = np.array([0, 1, 1])
    inputs = np.array([1, 2])
    c = Computation(step, halted=halted, output=output, inputs=inputs, output_values=("a", "b"))
    assert c.step.tolist() == [0, 0, 2]  # the halted state 0 is absorbing in the copy
    np.testing.assert_array_equal(step, [1, 0, 2])
    for array in (step, halted, output, inputs):
        assert array.flags.writeable
    step[1] = 2
    assert c.step[1] == 0

