"""What to keep: the information ``beta`` a minimal complete abstraction sits above.

Usually it comes from the outputs: :func:`output_abstraction` (the output,
or an abstraction ``gamma`` of it, pulled back to the states),
:func:`halting_abstraction` (has the system stopped), and the trivially
minimal :func:`finish_abstraction` (run to the halt, then look at the
output), which shows that minimality alone does not make an abstraction
mechanistic.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from abstractions._validation import python_value
from abstractions.computation import Computation
from abstractions.exceptions import InvalidTypeError, SizeMismatchError
from abstractions.partition import Partition
from abstractions.system import System, as_system

__all__ = ["output_abstraction", "halting_abstraction", "finish_abstraction"]


def output_abstraction(system: System, gamma: Any = None) -> Partition:
    """The information "the output, seen through ``gamma``", on every state.

    ``out*(gamma)``: two states are related when ``gamma`` cannot tell their
    outputs apart.

    Parameters
    ----------
    system : System
        Any kind.
    gamma : None, Partition or callable, optional
        An abstraction of the outputs: None keeps the whole output; a
        :class:`Partition` of the output ids (``gamma.n == system.n_outputs``);
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
    S = as_system(system)
    if gamma is None:
        return Partition.top(S.n_outputs).pullback(S.output)
    if isinstance(gamma, Partition):
        if gamma.n != S.n_outputs:
            raise SizeMismatchError(
                f"gamma is a partition of {gamma.n} output ids, but the system "
                f"has {S.n_outputs} output values"
            )
        return gamma.pullback(S.output)
    if callable(gamma):
        values = S.output_values
        kept = Partition.kernel(lambda y: gamma(python_value(values[y])), S.n_outputs)
        return kept.pullback(S.output)
    raise InvalidTypeError(
        f"gamma must be None, a Partition of the output ids or a callable on output "
        f"values, got {type(gamma).__name__}"
    )


def halting_abstraction(system: System) -> Partition:
    """The information "has it stopped".

    For a :class:`~abstractions.Computation`, the kernel of the termination
    map ``halted``. For the other kinds, whether a state is *terminal*:
    every transition it has is a self-loop, or it has none (a deadlock of a
    relation, an absorbing state of a Markov chain, a sink of an automaton).

    Examples
    --------
    >>> from abstractions import Computation, TransitionSystem
    >>> halting_abstraction(Computation([1, 1], halted=[False, True])).labels
    array([0, 1])
    >>> halting_abstraction(TransitionSystem.nondeterministic([[1], [], [2]])).labels
    array([0, 1, 1])
    """
    S = as_system(system)
    if isinstance(S, Computation):
        return Partition.kernel(S.halted)
    rel = S._relation()
    moves = rel.targets != rel.sources()
    leaves = np.zeros(S.n, dtype=bool)
    leaves[rel.sources()[moves]] = True
    return Partition.kernel(~leaves)


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
        Only a computation has a single run to finish; the other kinds raise
        :class:`~abstractions.InvalidTypeError`.
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
    if isinstance(computation, System) and not isinstance(computation, Computation):
        raise InvalidTypeError(
            f"finish_abstraction needs a Computation: a {computation.kind} system has no "
            "single run to finish (use output_abstraction or halting_abstraction)"
        )
    C = as_system(computation, "computation", Computation)
    final = C.final_states()
    kept = output_abstraction(C, gamma).labels
    never = final < 0
    labels = np.where(never, -1, kept[np.where(never, 0, final)])
    return Partition.from_labels(labels + 1)
