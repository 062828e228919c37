"""Completeness: the commutative consistency condition, and what to keep.

An abstraction ``P`` of a computation ``C`` is *complete* when the block of
a state determines the block of the next state: ``P >= P.pullback(C.step)``.
Then an abstract transition ``tau_A`` with ``alpha . tau = tau_A . alpha``
exists (the square commutes) and :func:`abstract_computation` builds it.

The information a user wants kept, ``beta``, usually comes from the
outputs: :func:`output_abstraction`, :func:`halting_abstraction`, and the
trivially minimal :func:`finish_abstraction` (run to the halt, then look at
the output), which shows that minimality alone does not make an abstraction
mechanistic.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from abstractions import systems as _systems
from abstractions._validation import Ids
from abstractions.computation import Computation, Values, _python
from abstractions.exceptions import InvalidTypeError, NotCompleteError, SizeMismatchError
from abstractions.partition import Partition, canonical_labels, first_occurrences
from abstractions.systems import TransitionSystem

__all__ = [
    "UNDETERMINED",
    "is_complete",
    "find_violation",
    "abstract_computation",
    "output_abstraction",
    "halting_abstraction",
    "finish_abstraction",
]


class _Undetermined:
    """Output of an abstract state whose concrete states disagree on it."""

    _instance: _Undetermined | None = None

    def __new__(cls) -> _Undetermined:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNDETERMINED"

    def __reduce__(self) -> str:
        return "UNDETERMINED"


#: Output value of an abstract state that does not determine the output.
UNDETERMINED = _Undetermined()


def _require_computation(computation: Any) -> Computation:
    if not isinstance(computation, Computation):
        raise InvalidTypeError(
            f"computation must be a Computation, got {type(computation).__name__}"
        )
    return computation


def _require_model(computation: Any) -> Computation | TransitionSystem:
    if not isinstance(computation, (Computation, TransitionSystem)):
        raise InvalidTypeError(
            f"computation must be a Computation or a TransitionSystem, "
            f"got {type(computation).__name__}"
        )
    return computation


def _as_partition(value: Any, n: int, name: str) -> Partition:
    """A Partition of ``n`` states from a Partition or a labels array."""
    if isinstance(value, Partition):
        partition = value
    else:
        partition = Partition._from_canonical(*canonical_labels(value, name))
    if partition.n != n:
        raise SizeMismatchError(
            f"{name} is a partition of {partition.n} states, but the computation has {n} states"
        )
    return partition


def _violations(C: Computation, P: Partition) -> np.ndarray:
    """Mask of states whose successor's block differs from their block leader's."""
    nxt = P.labels[C.step]
    reps = P.representatives()
    mask: np.ndarray = nxt != nxt[reps][P.labels]
    return mask


def find_violation(
    computation: Computation | TransitionSystem, partition: Any
) -> tuple[int, int] | None:
    """A witness that ``partition`` is not complete, or None if it is.

    Parameters
    ----------
    computation : Computation
    partition : Partition or array_like
        An abstraction of the computation's states (labels are accepted).

    Returns
    -------
    tuple of int or None
        ``(m1, m2)`` with ``m1 < m2`` in the same block whose successors
        ``step[m1]``, ``step[m2]`` lie in different blocks: ``m2`` is the
        smallest such state and ``m1`` the first state of its block. None
        when the partition is complete.

    Raises
    ------
    SizeMismatchError
        If the partition is not over the computation's states.

    See Also
    --------
    is_complete, abstract_computation

    Examples
    --------
    A counter mod 4 that only keeps "is it 0":

    >>> from abstractions import Computation, Partition
    >>> C = Computation([1, 2, 3, 0])
    >>> find_violation(C, Partition([0, 1, 1, 1]))   # 1 ~ 3 but 2 !~ 0
    (1, 3)
    >>> find_violation(C, Partition([0, 1, 0, 1])) is None   # parity is complete
    True
    """
    C = _require_model(computation)
    P = _as_partition(partition, C.n, "partition")
    if isinstance(C, TransitionSystem):
        return _systems._violation(C, P)
    bad = np.flatnonzero(_violations(C, P))
    if bad.size == 0:
        return None
    m2 = int(bad[0])
    m1 = int(P.representatives()[P.labels[m2]])
    return m1, m2


def is_complete(computation: Computation | TransitionSystem, partition: Any) -> bool:
    """Whether ``partition`` is complete: its block of ``m`` determines that of ``step(m)``.

    Equivalently ``P >= P.pullback(C.step)``, or ``completion(C, P) == P``,
    or: an abstract transition ``tau_A`` with ``P(step(m)) = tau_A(P(m))``
    exists (the commutative square).

    Parameters
    ----------
    computation : Computation
    partition : Partition or array_like

    Returns
    -------
    bool

    Raises
    ------
    SizeMismatchError
        If the partition is not over the computation's states.

    Examples
    --------
    >>> from abstractions import Computation, Partition
    >>> C = Computation([1, 2, 3, 0])               # counter mod 4
    >>> is_complete(C, Partition([0, 1, 0, 1]))      # value mod 2
    True
    >>> is_complete(C, Partition([0, 1, 1, 1]))      # value == 0
    False
    """
    C = _require_model(computation)
    P = _as_partition(partition, C.n, "partition")
    if isinstance(C, TransitionSystem):
        return not bool(_systems._differs(C, P).any())
    return not bool(_violations(C, P).any())


def abstract_computation(
    computation: Computation | TransitionSystem, partition: Any
) -> tuple[Any, Partition]:
    """The quotient computation of a complete abstraction.

    Abstract state ``b`` is block ``b`` of the partition; the abstract step
    is ``tau_A(b) = P(step(m))`` for any ``m`` in ``b`` (well defined because
    the partition is complete), inputs go to the block of their start state.
    Halting and outputs carry over exactly where the partition determines
    them: an abstract state is halted when all its states are, and its
    output is the common output value, or :data:`UNDETERMINED` when its
    states disagree.

    Parameters
    ----------
    computation : Computation
    partition : Partition or array_like
        A complete abstraction.

    Returns
    -------
    abstract : Computation
        On ``partition.n_blocks`` states: abstract state ``b`` is block ``b``
        (``partition.blocks()[b]`` lists its concrete states).
    quotient : Partition
        The quotient map: ``quotient.labels[m]`` is the abstract state of
        ``m``. The square commutes:
        ``quotient.labels[C.step] == abstract.step[quotient.labels]``.

    Raises
    ------
    NotCompleteError
        If the partition is not complete; ``err.witness`` holds a violating
        pair as returned by :func:`find_violation`.
    SizeMismatchError
        If the partition is not over the computation's states.

    Examples
    --------
    >>> from abstractions import Computation, Partition
    >>> C = Computation([1, 2, 3, 0], output=[0, 1, 0, 1])   # counter mod 4, output parity
    >>> A, q = abstract_computation(C, Partition([0, 1, 0, 1]))
    >>> A.step, A.output_values
    (array([1, 0]), (0, 1))
    """
    C = _require_model(computation)
    P = _as_partition(partition, C.n, "partition")
    if isinstance(C, TransitionSystem):
        return _systems._quotient(C, P), P
    witness = find_violation(C, P)
    if witness is not None:
        m1, m2 = witness
        b1, b2 = int(P.labels[C.step[m1]]), int(P.labels[C.step[m2]])
        raise NotCompleteError(
            f"the partition is not complete: states {C.label(m1)!r} and {C.label(m2)!r} "
            f"share block {int(P.labels[m1])} but step to {C.label(int(C.step[m1]))!r} "
            f"(block {b1}) and {C.label(int(C.step[m2]))!r} (block {b2})",
            witness=witness,
        )
    reps = P.representatives()
    k = P.n_blocks
    step = P.labels[C.step[reps]]
    halted_count = np.bincount(P.labels, weights=C.halted, minlength=k)
    halted = halted_count == P.block_sizes()
    output, values = _abstract_outputs(C.output, C.output_values, P)
    abstract = Computation._from_arrays(
        np.ascontiguousarray(step, dtype=np.int64),
        halted,
        output,
        values,
        C.input_values,
        P.labels[C.input_states],
    )
    return abstract, P


def _abstract_outputs(output: Ids, output_values: Values, P: Partition) -> tuple[Ids, Values]:
    """Output ids and values of the abstract states of ``P``.

    An abstract state's output is the common value of its states, or the
    :data:`UNDETERMINED` marker where they disagree; ids by first occurrence.
    """
    reps = P.representatives()
    out_rep = output[reps]
    determined = np.ones(P.n_blocks, dtype=bool)
    determined[P.labels[output != out_rep[P.labels]]] = False
    keys = np.where(determined, out_rep, -1)
    ids, _ = canonical_labels(keys, "output")
    firsts = keys[first_occurrences(ids)]
    values = tuple(
        _python(output_values[int(v)]) if v >= 0 else UNDETERMINED for v in firsts.tolist()
    )
    return ids, values


def output_abstraction(computation: Computation | TransitionSystem, gamma: Any = None) -> Partition:
    """The information "the output, seen through ``gamma``", on every state.

    ``out*(gamma)``: two states are related when ``gamma`` cannot tell their
    outputs apart.

    Parameters
    ----------
    computation : Computation
    gamma : None, Partition or callable, optional
        An abstraction of the outputs: None keeps the whole output; a
        :class:`Partition` of the output ids (``gamma.n == C.n_outputs``);
        a callable on output values (e.g. ``lambda y: y % 10``) keeps its value.

    Returns
    -------
    Partition

    Raises
    ------
    SizeMismatchError
        If a Partition ``gamma`` is not over the output ids.
    InvalidTypeError
        If ``gamma`` is of another type.

    Examples
    --------
    >>> from abstractions import Computation
    >>> C = Computation([1, 2, 3, 3], output=[10, 11, 12, 13])
    >>> output_abstraction(C, lambda y: y % 2).labels
    array([0, 1, 0, 1])
    """
    C = _require_model(computation)
    if gamma is None:
        return Partition.top(C.n_outputs).pullback(C.output)
    if isinstance(gamma, Partition):
        if gamma.n != C.n_outputs:
            raise SizeMismatchError(
                f"gamma is a partition of {gamma.n} output ids, but the computation "
                f"has {C.n_outputs} output values"
            )
        return gamma.pullback(C.output)
    if callable(gamma):
        kept = Partition.kernel(lambda y: gamma(_python(C.output_values[y])), C.n_outputs)
        return kept.pullback(C.output)
    raise InvalidTypeError(
        f"gamma must be None, a Partition of the output ids or a callable on output "
        f"values, got {type(gamma).__name__}"
    )


def halting_abstraction(computation: Computation) -> Partition:
    """The information "has it halted": the kernel of the termination map.

    Examples
    --------
    >>> from abstractions import Computation
    >>> halting_abstraction(Computation([1, 1], halted=[False, True])).labels
    array([0, 1])
    """
    C = _require_computation(computation)
    return Partition.kernel(C.halted)


def finish_abstraction(computation: Computation, gamma: Any = None) -> Partition:
    """Run each state to its halt, then look at the output.

    The abstraction ``m -> gamma(out(final(m)))``; all states whose runs
    never halt form one further block. It is complete, keeps exactly what the
    computation will output, and is the least complete abstraction that
    knows the eventual output of every state — yet its abstract step is the
    identity: it "computes" by having finished already. Minimality alone does
    not make an abstraction mechanistic.

    Parameters
    ----------
    computation : Computation
    gamma : None, Partition or callable, optional
        The abstraction of the outputs, as in :func:`output_abstraction`.

    Returns
    -------
    Partition

    Examples
    --------
    >>> from abstractions import Computation
    >>> C = Computation([1, 2, 3, 3], halted=[False, False, False, True],
    ...                 output=[0, 1, 2, 3])
    >>> finish_abstraction(C).n_blocks    # every state ends at 3
    1
    """
    C = _require_computation(computation)
    final = C.final_states()
    kept = output_abstraction(C, gamma).labels
    never = final < 0
    labels = np.where(never, -1, kept[np.where(never, 0, final)])
    return Partition.from_labels(labels + 1)
