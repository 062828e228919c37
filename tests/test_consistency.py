"""Tests of abstractions.consistency: completeness, witnesses, abstract computations."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from abstractions import (
    UNDETERMINED,
    Computation,
    InvalidTypeError,
    NonHaltingError,
    NotCompleteError,
    Partition,
    SizeMismatchError,
    abstract_computation,
    find_violation,
    finish_abstraction,
    halting_abstraction,
    is_complete,
    minimal_complete_abstraction,
    output_abstraction,
)
from abstractions.strategies import complete_partitions, computations, partitions
from tests import naive
from tests.helpers import labels_of
from tests.test_computation import parity_machine


@st.composite
def computation_and_partition(draw, max_states=9):
    c = draw(computations(max_states=max_states))
    p = draw(partitions(c.n))
    return c, p


@st.composite
def computation_and_complete_partition(draw, max_states=9):
    c = draw(computations(max_states=max_states))
    p = draw(complete_partitions(c))
    return c, p


# --- is_complete and find_violation -----------------------------------------


@given(computation_and_partition())
def test_is_complete_matches_naive(cp):
    """is_complete(C, P) iff same block implies successors in the same block."""
    c, p = cp
    assert is_complete(c, p) == naive.is_complete(c.step.tolist(), labels_of(p))
    assert is_complete(c, p) == (p >= p.pullback(c.step))


@given(computation_and_partition())
def test_find_violation_matches_naive(cp):
    """find_violation returns the contract's witness, None exactly when complete."""
    c, p = cp
    witness = find_violation(c, p)
    assert witness == naive.find_violation(c.step.tolist(), labels_of(p))
    assert (witness is None) == is_complete(c, p)


@given(computation_and_partition())
def test_witness_properties(cp):
    """A witness (m1, m2): m1 < m2 in one block, m1 first in it, successors apart."""
    c, p = cp
    witness = find_violation(c, p)
    if witness is None:
        assert is_complete(c, p)
        return
    m1, m2 = witness
    assert isinstance(m1, int) and isinstance(m2, int)
    assert m1 < m2
    assert p.labels[m1] == p.labels[m2]
    assert m1 == p.representatives()[p.labels[m1]]
    assert p.labels[c.step[m1]] != p.labels[c.step[m2]]
    # no smaller state disagrees with the first state of its block
    first = p.representatives()[p.labels]
    for m in range(m2):
        assert p.labels[c.step[m]] == p.labels[c.step[first[m]]]


@given(computations(max_states=12))
def test_top_and_bottom_are_complete(c):
    """The discrete partition and the one-block partition are always complete."""
    assert is_complete(c, Partition.top(c.n))
    assert is_complete(c, Partition.bottom(c.n))
    assert find_violation(c, Partition.top(c.n)) is None


def test_known_violation():
    """In 0->1->2->2, {0,1|2} is not complete: 0 and 1 step to different blocks."""
    c = Computation([1, 2, 2])
    p = Partition.from_labels([0, 0, 1])
    assert not is_complete(c, p)
    assert find_violation(c, p) == (0, 1)
    assert is_complete(c, Partition.from_labels([0, 1, 1]))


def test_accepts_label_arrays():
    """Functions taking a partition also take a 1-d labels array-like."""
    c = Computation([1, 2, 2])
    assert is_complete(c, [5, 7, 7])
    assert find_violation(c, np.array([3, 3, 4])) == (0, 1)
    a, q = abstract_computation(c, ["p", "q", "q"])
    assert q == Partition.from_labels([0, 1, 1])


def test_size_mismatch_names_the_argument():
    """A partition of another n raises SizeMismatchError naming it."""
    c = Computation([1, 2, 2])
    with pytest.raises(SizeMismatchError, match="partition"):
        is_complete(c, Partition.top(4))
    with pytest.raises(SizeMismatchError, match="partition"):
        find_violation(c, Partition.top(2))
    with pytest.raises(ValueError):
        abstract_computation(c, Partition.top(2))


def test_wrong_types():
    """A non-computation or non-partition argument raises a TypeError."""
    c = Computation([1, 2, 2])
    with pytest.raises(TypeError):
        is_complete("not a computation", Partition.top(3))
    with pytest.raises((InvalidTypeError, TypeError)):
        is_complete(c, 3)


# --- abstract_computation ---------------------------------------------------


@given(computation_and_complete_partition())
def test_abstract_step_commutes_with_quotient(cp):
    """P.labels[C.step] == A.step[P.labels]: the quotient map is a homomorphism."""
    c, p = cp
    a, q = abstract_computation(c, p)
    assert q == p
    assert a.n == p.n_blocks
    assert np.array_equal(p.labels[c.step], a.step[p.labels])


@given(computation_and_complete_partition())
def test_abstract_halting_outputs_inputs(cp):
    """Halting and outputs carry over where P determines them; inputs map along P."""
    c, p = cp
    a, _ = abstract_computation(c, p)
    for b, block in enumerate(p.blocks()):
        assert a.halted[b] == bool(c.halted[block].all())
        values = {c.output_values[c.output[m]] for m in block}
        out = a.output_values[a.output[b]]
        if len(values) == 1:
            assert out == values.pop()
        else:
            assert out is UNDETERMINED
    assert a.input_values == c.input_values
    for x in c.input_values:
        assert a.start(x) == p.labels[c.start(x)]


@given(st.data())
def test_abstract_run_equals_concrete_run(data):
    """If P >= outputs and halting kernels and is complete, A.run(x) == C.run(x)."""
    c = data.draw(computations(max_states=9))
    extra = data.draw(partitions(c.n))
    beta = output_abstraction(c) | halting_abstraction(c) | extra
    p = minimal_complete_abstraction(c, beta)
    a, _ = abstract_computation(c, p)
    for x in c.input_values:
        try:
            expected = c.run(x)
        except NonHaltingError:
            with pytest.raises(NonHaltingError):
                a.run(x)
        else:
            assert a.run(x) == expected
            assert a.trace(x).tolist() == p.labels[c.trace(x)].tolist()


def test_abstract_computation_by_hand():
    """Counter mod 4 keeping parity: two abstract states that alternate."""
    c = Computation([1, 2, 3, 0], output=["e", "o", "e", "o"])
    p = Partition.kernel([0, 1, 0, 1])
    a, q = abstract_computation(c, p)
    assert q == p
    assert a.step.tolist() == [1, 0]
    assert a.halted.tolist() == [False, False]
    assert [a.output_values[i] for i in a.output] == ["e", "o"]
    assert a.inputs == {0: 0, 1: 1, 2: 0, 3: 1}


def test_abstract_computation_undetermined_output():
    """Where a block mixes outputs, the abstract output is UNDETERMINED."""
    c = Computation([1, 2, 3, 0], output=["a", "b", "c", "d"])
    a, _ = abstract_computation(c, Partition.kernel([0, 1, 0, 1]))
    assert all(a.output_values[i] is UNDETERMINED for i in a.output)


def test_not_complete_error_carries_witness():
    """A non-complete P raises NotCompleteError (a ValueError) with the witness."""
    c = Computation([1, 2, 2])
    p = Partition.from_labels([0, 0, 1])
    with pytest.raises(NotCompleteError) as info:
        abstract_computation(c, p)
    assert info.value.witness == (0, 1)
    assert isinstance(info.value, ValueError)


@given(computation_and_partition())
def test_not_complete_error_witness_is_find_violation(cp):
    """abstract_computation raises iff P is not complete, with find_violation's witness."""
    c, p = cp
    witness = find_violation(c, p)
    if witness is None:
        abstract_computation(c, p)
    else:
        with pytest.raises(NotCompleteError) as info:
            abstract_computation(c, p)
        assert info.value.witness == witness


# --- what to keep -----------------------------------------------------------


def output_example() -> Computation:
    return Computation([0, 1, 2, 3, 4], halted=[1, 1, 1, 1, 1],
                       output=["a", "bb", "cc", "a", "ddd"])


def test_output_abstraction_none():
    """With gamma None it is the kernel of the output map."""
    c = output_example()
    assert output_abstraction(c) == Partition.kernel(c.output)
    assert labels_of(output_abstraction(c)) == [0, 1, 2, 0, 3]


def test_output_abstraction_partition_of_ids():
    """With a partition of the output ids it is its pullback along output."""
    c = output_example()  # ids: a=0, bb=1, cc=2, ddd=3
    gamma = Partition.from_blocks([[0, 3], [1, 2]])
    assert output_abstraction(c, gamma) == gamma.pullback(c.output)
    assert labels_of(output_abstraction(c, gamma)) == [0, 1, 1, 0, 0]
    with pytest.raises(SizeMismatchError):
        output_abstraction(c, Partition.top(3))


def test_output_abstraction_callable_on_values():
    """With a callable it is the kernel of gamma(output value)."""
    c = output_example()
    assert labels_of(output_abstraction(c, len)) == [0, 1, 1, 0, 2]


@given(computations(max_states=10))
def test_output_abstraction_properties(c):
    """out*(gamma) is below out*(None), and callable/partition forms agree."""
    full = output_abstraction(c)
    assert full == Partition.kernel(c.output)
    gamma_values = [v % 2 for v in c.output_values]
    by_callable = output_abstraction(c, lambda v: v % 2)
    by_partition = output_abstraction(c, Partition.kernel(gamma_values))
    assert by_callable == by_partition
    assert by_callable <= full


@given(computations(max_states=10))
def test_halting_abstraction(c):
    """halting_abstraction is the kernel of the halting flags."""
    h = halting_abstraction(c)
    assert h == Partition.kernel(c.halted)
    assert labels_of(h) == naive.canonical(c.halted.tolist())


@given(computations(max_states=10))
def test_finish_abstraction_definition(c):
    """Finish: the output class of the final state; never-halting states in one block."""
    f = finish_abstraction(c)
    final = c.final_states().tolist()
    outputs = c.output.tolist()
    key = [("out", outputs[s]) if s >= 0 else ("never",) for s in final]
    assert labels_of(f) == naive.canonical(key)


@given(computations(max_states=10))
def test_finish_abstraction_complete_and_step_is_identity(c):
    """The finish abstraction is complete; its abstract step fixes each halting block."""
    f = finish_abstraction(c)
    assert is_complete(c, f)
    a, _ = abstract_computation(c, f)
    final = c.final_states()
    for b, block in enumerate(f.blocks()):
        if final[block[0]] >= 0:
            assert a.step[b] == b
    # never-halting states step to never-halting states, so the step is the identity
    assert a.step.tolist() == list(range(a.n))


def test_finish_abstraction_parity_has_two_classes():
    """For bit-serial parity every run halts; the finish abstraction is the parity."""
    c = parity_machine(3)
    f = finish_abstraction(c)
    assert f.n_blocks == 2
    label_of_parity = {}
    for bits in c.input_values:
        labels = {int(f.labels[m]) for m in c.trace(bits)}
        assert len(labels) == 1  # a run stays in one class
        label_of_parity.setdefault(sum(bits) % 2, labels).update(labels)
    assert label_of_parity[0].isdisjoint(label_of_parity[1])
    assert len(label_of_parity[0]) == len(label_of_parity[1]) == 1


def test_finish_abstraction_with_gamma():
    """finish_abstraction(C, gamma) looks at gamma of the final output."""
    c = Computation([1, 2, 2, 4, 4, 5], halted=[0, 0, 1, 0, 1, 0],
                    output=["x", "x", "aa", "x", "bb", "x"])
    assert labels_of(finish_abstraction(c)) == [0, 0, 0, 1, 1, 2]
    assert labels_of(finish_abstraction(c, len)) == [0, 0, 0, 0, 0, 1]
