"""High-level steps: a schedule picks the states at which the abstract step applies.

One abstract step may stand for several concrete ones. A *schedule*
``sigma`` (a flag per state) marks the checkpoints ``S = {sigma = 1}``; the
abstract step goes from one checkpoint to the next. That is the
*first-return map* (a Poincare map) of the system onto ``S``:
:func:`first_return` builds it as an ordinary system, so every exact tool
of the library (completeness, minimal complete abstractions, quotients)
applies to it unchanged. ``minimal_complete_abstraction(system, beta,
schedule=sigma)`` is the minimal complete abstraction of that system.

With ``sigma = halted`` every checkpoint is a halted state, and carrying an
abstraction of the halted states back along the runs
(:func:`first_entry`) gives exactly the finish abstraction
(:func:`~abstractions.finish_abstraction`): the schedule is the bridge
between high-level steps and the question which abstractions are
mechanistic.

:meth:`~abstractions.Computation.power` is the other simple high-level step:
``k`` steps at a time.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from abstractions._validation import Ids, Mask, as_bool_array
from abstractions.computation import Computation
from abstractions.exceptions import InvalidTypeError, SizeMismatchError
from abstractions.system import System, Values, as_system
from abstractions.systems import LabelledSystem

__all__ = ["NO_RETURN", "first_entry", "first_return"]


class _NoReturn:
    """Output (and name) of the sink of a first-return system."""

    _instance: _NoReturn | None = None

    def __new__(cls) -> _NoReturn:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NO_RETURN"

    def __reduce__(self) -> str:
        return "NO_RETURN"


#: Output value and state name of the sink of :func:`first_return`: the
#: runs that never reach a scheduled state again.
NO_RETURN = _NoReturn()


def _schedule(system: System, schedule: Any) -> Mask:
    """``schedule`` checked as one flag per state of ``system``."""
    length = getattr(schedule, "shape", None)
    size = length[0] if length is not None and len(length) == 1 else None
    if size is None and isinstance(schedule, (list, tuple)):
        size = len(schedule)
    if size is not None and size != system.n:
        raise SizeMismatchError(
            f"schedule has {size} entries, but the system has {system.n} states "
            f"(one flag per state: is it a checkpoint?)"
        )
    return as_bool_array(schedule, "schedule", length=system.n)


def _kernel_walks(step: Ids, schedule: Mask, starts: Ids) -> tuple[Ids, Ids]:
    """The first-return targets of the scheduled states, and the starts' entries (-1: never)."""
    from abstractions._kernels import _first_return, index_witness

    # int32 walk memory while every position fits: half the random traffic.
    w = index_witness(step.shape[0] + 3)
    induced, entry = _first_return(step, schedule, starts, w)
    return induced, entry


def _with_sink(values: Ids, sink: int) -> Ids:
    """``values`` with -1 (never returns) replaced by the sink's id."""
    out: Ids = np.where(values < 0, sink, values)
    return out


def _shared(system: System, index: Ids, inputs: tuple[Values, Ids] | None) -> tuple[Any, ...]:
    """Outputs, inputs and names of the first-return system on ``index`` plus the sink."""
    n_new = index.shape[0] + 1
    default_output = (
        isinstance(system.output_values, range)
        and system.state_labels is None
        and system.output_values == range(system.n)
    )
    if default_output:
        # Each state is its own output: so is each state of the new system.
        output = np.arange(n_new, dtype=np.int64)
        values: Values = range(n_new)
    else:
        output = np.empty(n_new, dtype=np.int64)
        output[:-1] = system.output[index]
        output[-1] = system.n_outputs
        values = (*system.output_values, NO_RETURN)
    labels = None
    if system.state_labels is not None:
        names = system.state_labels
        labels = (*(names[i] for i in index.tolist()), NO_RETURN)
    if inputs is None:
        input_values: Values = range(n_new)
        input_states = np.arange(n_new, dtype=np.int64)
    else:
        input_values, input_states = inputs
    return output, values, input_values, input_states, labels


def first_return(system: System, schedule: Any) -> tuple[System, Ids]:
    """The system that steps from each scheduled state to the next one: ``(induced, index)``.

    The scheduled states ``S = {schedule = 1}`` become the states of
    ``induced``, in increasing order; each steps to the first scheduled
    state its run reaches after at least one step (the first-return or
    Poincare map). Runs that never reach ``S`` again go to one extra sink
    state, always the last one, which steps to itself.

    Parameters
    ----------
    system : Computation or LabelledSystem
        A :class:`~abstractions.Computation`, or a labelled system (one step
        function per letter; see Notes).
    schedule : array_like of bool, shape (n,)
        The checkpoints: ``schedule[m]`` says whether the abstract step
        applies at state ``m`` (0/1 integers are accepted).

    Returns
    -------
    induced : System
        Of the same kind as ``system``, with ``|S| + 1`` states.
    index : numpy.ndarray of int64
        ``index[i]`` is the original id of induced state ``i``; the sink's
        entry is -1.

    Raises
    ------
    SizeMismatchError
        If ``schedule`` does not have one entry per state.
    InvalidTypeError
        If ``schedule`` does not hold booleans (floats, strings), or for
        the kinds without a first-return map (relations and Markov chains).
    InvalidValueError
        For integers other than 0 and 1 in ``schedule``.

    See Also
    --------
    first_entry : where each state's run first meets ``S``.
    abstractions.minimal_complete_abstraction : with ``schedule=``.
    abstractions.Computation.power : ``k`` steps at a time.

    Notes
    -----
    What the new system carries over:

    * ``halted`` (a Computation): a scheduled state halts in ``induced``
      when it halted; the sink does not halt (a run that reaches it never
      comes back, whether it halted on the way or cycled for ever).
    * outputs: each scheduled state keeps its output; the sink's output is
      :data:`NO_RETURN`. When the system's output is the default (each
      state its own output), so is the new system's.
    * state names: kept, the sink named :data:`NO_RETURN`.
    * inputs: the default (every state an input) stays the default. Given
      inputs keep their values; for a Computation an input starts at the
      first scheduled state its run reaches (zero steps allowed), or at the
      sink; for a labelled system only the inputs that start at a scheduled
      state are kept, since which one comes first depends on the letters read.

    A labelled system gets one first-return map per letter: letter ``a``
    of ``induced`` means "read ``a`` until the next checkpoint". That is
    well defined (each letter's step is a function) but it is a choice:
    the runs that read different letters between two checkpoints have no
    letter of their own in ``induced``. Relations and Markov chains have no
    single next checkpoint (a run branches), so they are refused; for them
    use :func:`~abstractions.stuttering_abstraction`, whose silent steps
    play the part of the unscheduled ones.

    The kernel follows every run once, from each scheduled state's
    successor, with each unscheduled state passed by one walk only: O(n).

    Examples
    --------
    A counter mod 6 that checks in at the even values: the checkpoints
    0, 2, 4 step 0 -> 2 -> 4 -> 0.

    >>> from abstractions import Computation
    >>> C = Computation([1, 2, 3, 4, 5, 0])
    >>> induced, index = first_return(C, [1, 0, 1, 0, 1, 0])
    >>> index
    array([ 0,  2,  4, -1])
    >>> induced.step
    array([1, 2, 0, 3])
    """
    S = as_system(system)
    if isinstance(S, LabelledSystem):
        # The walks follow one successor per letter; a trap state makes a partial DFA total.
        S._require_total("first_return")
    mask = _schedule(S, schedule)
    index = np.flatnonzero(mask).astype(np.int64)
    sink = index.shape[0]
    # The sink's entry of the returned index is -1: it is no state of S.
    full_index = np.append(index, np.int64(-1))
    if isinstance(S, Computation):
        starts = _given_inputs(S)
        induced, entry = _kernel_walks(S.step, mask, starts)
        step = np.empty(sink + 1, dtype=np.int64)
        step[:-1] = _with_sink(induced, sink)
        step[-1] = sink
        halted = np.zeros(sink + 1, dtype=bool)
        halted[:-1] = S.halted[index]
        inputs = None if _default_inputs(S) else (S.input_values, _with_sink(entry, sink))
        shared = _shared(S, index, inputs)
        return Computation._from_arrays(step, halted, *shared), full_index
    if isinstance(S, LabelledSystem):
        table = S.steps
        k = table.shape[0]
        new = np.empty((k, sink + 1), dtype=np.int64)
        empty = np.zeros(0, dtype=np.int64)
        for a in range(k):
            induced, _ = _kernel_walks(np.ascontiguousarray(table[a]), mask, empty)
            new[a, :-1] = _with_sink(induced, sink)
            new[a, -1] = sink
        inputs = None
        if not _default_inputs(S):
            position = np.full(S.n, -1, dtype=np.int64)
            position[index] = np.arange(sink, dtype=np.int64)
            kept = [i for i, s in enumerate(S.input_states.tolist()) if mask[s]]
            inputs = (
                tuple(S.input_values[i] for i in kept),
                position[S.input_states[kept]] if kept else np.zeros(0, dtype=np.int64),
            )
        output, values, input_values, input_states, labels = _shared(S, index, inputs)
        default = isinstance(values, range)
        result = LabelledSystem(
            new,
            symbols=S.symbols,
            output=None if default else output,
            output_values=None if default else values,
            inputs=None if inputs is None else dict(zip(input_values, input_states.tolist())),
            state_labels=labels,
        )
        return result, full_index
    raise InvalidTypeError(
        f"first_return needs a Computation or a labelled system; a {S.kind} system has no "
        "single next checkpoint (its runs branch): use stuttering_abstraction, whose "
        "silent steps play the part of the unscheduled ones"
    )


def _default_inputs(S: System) -> bool:
    """Whether every state is an input, named by its index (the default)."""
    return isinstance(S.input_values, range) and S.input_values == range(S.n)


def _given_inputs(S: System) -> Ids:
    """The start states of given inputs (none for the default inputs)."""
    if _default_inputs(S):
        return np.zeros(0, dtype=np.int64)
    return np.ascontiguousarray(S.input_states, dtype=np.int64)


def first_entry(computation: Computation, schedule: Any) -> Ids:
    """For every state, the induced state at which its run first meets the schedule.

    The first scheduled state among ``m, step(m), step(step(m)), ...``
    (zero steps allowed), as its id in ``first_return(computation,
    schedule)[0]``; runs that never meet a scheduled state get the sink (the
    last id). So an abstraction ``P`` of the first-return system is carried
    back to every state by ``P.pullback(first_entry(C, schedule))``: each
    state takes the class of its next checkpoint.

    Parameters
    ----------
    computation : Computation
    schedule : array_like of bool, shape (n,)

    Returns
    -------
    numpy.ndarray of int64

    Raises
    ------
    SizeMismatchError, InvalidTypeError, InvalidValueError
        As :func:`first_return`; also InvalidTypeError for a system that is
        not a Computation.

    Examples
    --------
    With ``schedule = halted``, ``index[first_entry(C, C.halted)]`` is
    :meth:`~abstractions.Computation.final_states`:

    >>> from abstractions import Computation
    >>> C = Computation([0, 0, 3, 2], halted=[True, False, False, False])
    >>> induced, index = first_return(C, C.halted)
    >>> first_entry(C, C.halted)
    array([0, 0, 1, 1])
    >>> index[first_entry(C, C.halted)]
    array([ 0,  0, -1, -1])
    """
    if isinstance(computation, System) and not isinstance(computation, Computation):
        raise InvalidTypeError(
            f"first_entry needs a Computation: in a {computation.kind} system the next "
            "checkpoint depends on the choices of the run"
        )
    C = as_system(computation, "computation", Computation)
    mask = _schedule(C, schedule)
    sink = int(np.count_nonzero(mask))
    everyone = np.arange(C.n, dtype=np.int64)
    _, entry = _kernel_walks(C.step, mask, everyone)
    return _with_sink(entry, sink)
