"""Completeness: the commutative consistency condition, for every kind of system.

An abstraction ``P`` of a system is *complete* when the block of a state
determines the block-level view of its transitions: for a computation,
``P >= P.pullback(step)`` (the block of ``m`` determines the block of
``step(m)``); in general, ``F(P) . xi`` is constant on the blocks of ``P``
(the same successor block per symbol, the same set of (action, block)
pairs, the same probability into every block). Then an abstract transition
with ``alpha . xi = F(alpha) . xi_A . alpha`` exists -- the square commutes
-- and :func:`abstract_computation` builds it.

``completion(system, P) = P | ker(F(P) . xi)`` is the completion operator:
monotone and extensive, with the complete abstractions as its fixed points.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any

import numpy as np

from abstractions._engine import refine as _refine
from abstractions._engine import relation as _relation
from abstractions._engine.primitives import first_occurrence
from abstractions._validation import Ids, block_labels, python_value
from abstractions.exceptions import NotCompleteError
from abstractions.partition import Partition
from abstractions.system import UNDETERMINED, System, Values, as_system

__all__ = ["is_complete", "find_violation", "completion", "abstract_computation", "block_names"]


def completion(system: System, partition: Any) -> Partition:
    """The completion operator ``C(P) = P | ker(F(P) . xi)``.

    For a computation ``C(P) = P | P.pullback(step)``: the least abstraction
    that knows what ``P`` knows about the current state and about the next
    one. For other kinds, states are split by their signature: the blocks
    their transitions reach (per symbol), with the probability for Markov
    chains.

    Parameters
    ----------
    system : System
        A :class:`~abstractions.Computation` or any
        :class:`~abstractions.TransitionSystem`.
    partition : Partition or array_like

    Returns
    -------
    Partition
        ``>= partition``; equal to it exactly when it is complete.

    Raises
    ------
    SizeMismatchError
        If the partition is not over the system's states.
    InvalidTypeError
        If ``system`` is not a system.

    Examples
    --------
    >>> from abstractions import Computation, Partition
    >>> C = Computation([1, 2, 3, 0])                     # counter mod 4
    >>> completion(C, Partition([0, 1, 1, 1])).labels     # "== 0" and "next == 0"
    array([0, 1, 1, 2])
    """
    S = as_system(system)
    P = S._partition(partition, "partition")
    labels, count = _relation.completion(S._relation(), P.labels, P.n_blocks)
    return Partition._from_canonical(labels, count)


def find_violation(system: System, partition: Any) -> tuple[int, int] | None:
    """A witness that ``partition`` is not complete, or None if it is.

    Parameters
    ----------
    system : System
    partition : Partition or array_like
        An abstraction of the system's states (labels are accepted).

    Returns
    -------
    tuple of int or None
        ``(m1, m2)`` with ``m1 < m2`` in the same block whose transitions
        reach different blocks (for a computation: ``step[m1]`` and
        ``step[m2]`` lie in different blocks): ``m2`` is the smallest such
        state and ``m1`` the first state of its block. None when the
        partition is complete.

    Raises
    ------
    SizeMismatchError
        If the partition is not over the system's states.

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
    S = as_system(system)
    P = S._partition(partition, "partition")
    return _relation.violation(S._relation(), P.labels, P.n_blocks, P.representatives())


def is_complete(system: System, partition: Any) -> bool:
    """Whether ``partition`` is complete: the commutative square exists.

    For a computation: the block of ``m`` determines that of ``step(m)``,
    i.e. ``P >= P.pullback(C.step)``, or ``completion(C, P) == P``.

    Parameters
    ----------
    system : System
    partition : Partition or array_like

    Returns
    -------
    bool

    Raises
    ------
    SizeMismatchError
        If the partition is not over the system's states.

    Examples
    --------
    >>> from abstractions import Computation, Partition
    >>> C = Computation([1, 2, 3, 0])               # counter mod 4
    >>> is_complete(C, Partition([0, 1, 0, 1]))      # value mod 2
    True
    >>> is_complete(C, Partition([0, 1, 1, 1]))      # value == 0
    False
    """
    S = as_system(system)
    P = S._partition(partition, "partition")
    rel = S._relation()
    reps = P.representatives()
    # Kernels where they apply (one pass each, no sorting), numpy otherwise.
    _, fast = _relation.checked_quotient_rows(rel, P.labels, reps)
    if fast is None:
        fast = _refine.stable(rel, P.labels, P.n_blocks)
    if fast is not None:
        return fast
    bad = _relation.differs(rel, P.labels, P.n_blocks, reps)
    return not bool(bad.any())


def block_names(system: System, partition: Any) -> tuple[Hashable, ...]:
    """The default name of each block of ``partition``: one rule for quotients, tables and pictures.

    When the system names its states, a block is named after its first
    state (its representative); otherwise after its output value where the
    output is constant on every block and tells the blocks apart; otherwise
    after its first state's index.

    Parameters
    ----------
    system : System
    partition : Partition or array_like

    Returns
    -------
    tuple
        One distinct hashable name per block, in block order.

    Examples
    --------
    >>> from abstractions import Computation, Partition
    >>> C = Computation([1, 2, 2], halted=[False, False, True], output=["odd", "even", "odd"])
    >>> block_names(C, Partition([0, 1, 0]))
    ('odd', 'even')
    >>> block_names(C, Partition([0, 0, 1]))       # "odd" is on both blocks: first states
    (0, 2)
    >>> block_names(Computation([1, 0], state_labels=["a", "b"]), Partition([0, 0]))
    ('a',)
    """
    S = as_system(system)
    names = _block_names(S, S._partition(partition, "partition"))
    return tuple(names.tolist()) if isinstance(names, np.ndarray) else names


def _rep_outputs(output: Ids, P: Partition) -> tuple[Ids, Ids]:
    """Each block's first state's output id, and the blocks where a state's output differs.

    The names and the outputs of a quotient both need them: computed once,
    as they cost two gathers over the states.
    """
    if P.n_blocks == output.shape[0]:  # discrete: each block is its state (canonical ids)
        return output, np.zeros(0, dtype=np.int64)
    out_rep = output[P.representatives()]
    return out_rep, P.labels[output != out_rep[P.labels]]


def _block_names(
    S: System, P: Partition, rep: tuple[Ids, Ids] | None = None
) -> tuple[Hashable, ...] | Ids:
    """:func:`block_names`, where names that are state ids stay an int array.

    ``rep`` is :func:`_rep_outputs` of the system's output, when known.
    """
    first = P.representatives()
    if S.state_labels is None:
        values, split = rep if rep is not None else _rep_outputs(S.output, P)
        # Distinct output ids: as many occupied bins as blocks (no sort).
        if split.size == 0 and np.count_nonzero(np.bincount(values)) == values.size:
            return tuple(python_value(S.output_values[int(v)]) for v in values.tolist())
        return first
    names = S.state_labels
    return tuple([names[m] for m in first.tolist()])


def _names_argument(
    names: Any, S: System, P: Partition, rep: tuple[Ids, Ids] | None = None
) -> tuple[Hashable, ...] | Ids | None:
    """The abstract states' names from ``names=``: "auto", None, a sequence or a callable.

    Names that are the blocks' first states stay an array: the quotient
    makes them Python ints only when they are read.
    """
    if isinstance(names, str) and names == "auto":
        return _block_names(S, P, rep)
    if names is None:
        return None
    return block_labels(names, P.n_blocks)


def abstract_computation(
    system: System,
    partition: Any,
    *,
    names: str | Sequence[Hashable] | Callable[[int], Hashable] | None = "auto",
) -> tuple[Any, Partition]:
    """The quotient system of a complete abstraction.

    Abstract state ``b`` is block ``b`` of the partition; its transitions are
    those of any of its states, seen through the partition (well defined
    because the partition is complete): the abstract step of a computation,
    the minimal automaton of a DFA, the bisimulation quotient of a relation,
    the lumped Markov chain. Inputs go to the block of their start state.
    Outputs (and halting, for a computation) carry over exactly where the
    partition determines them: an abstract state's output is the common
    output value of its states, or :data:`~abstractions.UNDETERMINED` when
    they disagree; it is halted when all its states are.

    Parameters
    ----------
    system : System
    partition : Partition or array_like
        A complete abstraction.
    names : "auto", sequence, callable or None, default "auto"
        The abstract states' names (their ``state_labels``): by default
        :func:`block_names` (the representative state's name, or the
        output value where it is constant on the blocks); a sequence of
        distinct names in block order, or a callable on block ids; None
        leaves the abstract states unnamed (known by block id).

    Returns
    -------
    abstract : System
        Of the same kind, on ``partition.n_blocks`` states: abstract state
        ``b`` is block ``b`` (``partition.blocks()[b]`` lists its states).
    quotient : Partition
        The quotient map: ``quotient.labels[m]`` is the abstract state of
        ``m``. For a computation the square commutes:
        ``quotient.labels[C.step] == abstract.step[quotient.labels]``.

    Raises
    ------
    NotCompleteError
        If the partition is not complete; ``err.witness`` holds a violating
        pair as returned by :func:`find_violation`, and the message says
        where their transitions differ.
    SizeMismatchError
        If the partition is not over the system's states.

    Examples
    --------
    >>> from abstractions import Computation, Partition
    >>> C = Computation([1, 2, 3, 0], output=[0, 1, 0, 1])   # counter mod 4, output parity
    >>> A, q = abstract_computation(C, Partition([0, 1, 0, 1]))
    >>> A.step, A.output_values, A.state_labels       # named by their outputs
    (array([1, 0]), (0, 1), (0, 1))
    >>> abstract_computation(C, Partition([0, 1, 0, 1]), names=["even", "odd"])[0].state_labels
    ('even', 'odd')
    """
    S = as_system(system)
    P = S._partition(partition, "partition")
    rel = S._relation()
    # The kernel's exact check answers the common case (a complete
    # partition) in one pass; numpy finds the witness otherwise.
    witness = None
    reps = P.representatives()
    known = S._known_complete(P)  # from minimal_complete_abstraction: no check
    # ... and, when its engine's check built them, no rows to build either.
    rows = S._certified_rows(P) if known else None
    if rows is None:
        rows, complete = _relation.checked_quotient_rows(rel, P.labels, reps, check=not known)
    if known:
        complete = True
    elif complete is None:
        complete = _refine.stable(rel, P.labels, P.n_blocks)
    if not complete:
        witness = _relation.violation(rel, P.labels, P.n_blocks, reps)
    if witness is not None:
        m1, m2 = witness
        how = _relation.describe(rel, P.labels, m1, m2, name=lambda m: repr(S.label(m)))
        raise NotCompleteError(
            f"the partition is not complete: states {S.label(m1)!r} and {S.label(m2)!r} "
            f"share block {int(P.labels[m1])} but {how}",
            witness=witness,
        )
    rep = _rep_outputs(S.output, P)
    labels = _names_argument(names, S, P, rep)
    if labels is not None and names != "auto":
        labels = S._state_labels_argument(labels)
    output, values = _abstract_outputs(S.output_values, P, rep)
    shared = (output, values, S.input_values, P.labels[S.input_states], labels)
    return S._assemble(shared, S._quotient_own(P, rows)), P


def _abstract_outputs(
    output_values: Values, P: Partition, rep: tuple[Ids, Ids]
) -> tuple[Ids, Values]:
    """Output ids and values of the abstract states of ``P``.

    An abstract state's output is the common value of its states, or the
    :data:`UNDETERMINED` marker where they disagree; ids by first occurrence.
    ``rep`` is :func:`_rep_outputs` of the output ids.
    """
    out_rep, split = rep
    if split.size:
        determined = np.ones(P.n_blocks, dtype=bool)
        determined[split] = False
        keys = np.where(determined, out_rep, -1)
        # Keys are small ints (output ids, -1): numbered by first occurrence
        # in O(k), where sorting them (``np.unique``) costs O(k log k).
        ids, count = first_occurrence(keys + 1, len(output_values) + 1)
    else:  # every block determined (the usual case): the output ids themselves
        keys = out_rep
        ids, count = first_occurrence(keys, len(output_values))
    # Ids and keys correspond one to one: a scatter lists the keys by id.
    by_id = np.empty(count, dtype=np.int64)
    by_id[ids] = keys
    firsts = by_id.tolist()
    # The stored values are Python objects already: index, no conversion.
    if isinstance(output_values, range) and firsts == list(range(len(firsts))):
        return ids, range(len(firsts))
    if -1 not in firsts:
        return ids, tuple(map(output_values.__getitem__, firsts))
    return ids, tuple(output_values[v] if v >= 0 else UNDETERMINED for v in firsts)
