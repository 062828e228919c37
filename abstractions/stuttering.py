"""Stuttering: the abstract step fires only when the abstract state changes.

A complete abstraction commutes with every concrete step. A *stuttering*
abstraction is asked less: its abstract trace, with repeated abstract
states collapsed, must be determined by the abstract state. One abstract
step then stands for as many concrete steps as it takes the abstract state
to change. :func:`stuttering_abstraction` returns the coarsest such
partition above ``beta``:

* for a :class:`~abstractions.Computation`, two states are related when
  their traces through ``beta`` agree once repeats are collapsed, and end
  the same way: a halted state ends its trace (termination); a cycle of
  non-halted states on which ``beta`` never changes is divergence;
* for a relation with a silent action, it is branching bisimulation
  (Groote--Vaandrager; van Glabbeek--Weijland) with the blocks of ``beta``
  as state labels: a silent step inside a class is invisible, and the
  states on a matching silent path stay in the class of the state they
  start from;
* for a Markov chain, weak bisimulation (Baier--Katoen--Hermanns--Wolf, as
  in Storm): a state's moves are seen only as the distribution of where it
  goes when it leaves its class.

``divergence="sensitive"`` (the default) observes divergence: a state that
can stay in its class for ever by silent steps is told apart from one that
cannot (divergence-preserving branching bisimulation, and divergence apart
from termination for a Computation). ``divergence="blind"`` ignores it.
"""

from __future__ import annotations

from typing import Any

from abstractions.computation import Computation
from abstractions.exceptions import InvalidTypeError, InvalidValueError
from abstractions.partition import Partition
from abstractions.system import System, as_system
from abstractions.systems import LabelledSystem, MarkovChain, NondeterministicSystem

__all__ = ["DIVERGENCE", "stuttering_abstraction"]

#: The values of ``divergence``.
DIVERGENCE: tuple[str, ...] = ("sensitive", "blind")


def _divergence(value: Any) -> bool:
    """Whether divergence is observed, from the user's ``divergence``."""
    if not isinstance(value, str):
        raise InvalidTypeError(
            f"divergence must be a string, one of {DIVERGENCE}, got {type(value).__name__}"
        )
    if value not in DIVERGENCE:
        raise InvalidValueError(
            f"unknown divergence {value!r}; choose 'sensitive' (a silent cycle inside a "
            "class is observed) or 'blind' (it is not)"
        )
    return value == "sensitive"


def _silent_id(S: System, silent: Any) -> int:
    """The symbol id of the silent action, or -1 when every step is silent."""
    symbols = S.symbols if isinstance(S, (LabelledSystem, NondeterministicSystem)) else None
    if symbols is None:
        if silent is not None:
            raise InvalidValueError(
                f"silent={silent!r}, but this {S.kind} system has no action labels: every "
                "step is silent and only beta is observed; leave silent=None"
            )
        return -1
    if silent is None:
        raise InvalidValueError(
            f"this {S.kind} system has action labels {symbols!r}: say which one is the "
            "silent step with silent=..."
        )
    try:
        return symbols.index(silent)
    except ValueError:
        raise InvalidValueError(
            f"silent={silent!r} is not among the labels of the system: {symbols!r}"
        ) from None


def stuttering_abstraction(
    system: System, beta: Any, *, divergence: str = "sensitive", silent: Any = None
) -> Partition:
    """The coarsest abstraction above ``beta`` whose stutter-free abstract trace is determined.

    Parameters
    ----------
    system : System
        A :class:`~abstractions.Computation`, a labelled or nondeterministic
        system, or a :class:`~abstractions.MarkovChain`.
    beta : Partition or array_like
        The information to keep (the state labels that are observed).
    divergence : {"sensitive", "blind"}, default "sensitive"
        Whether staying in a class for ever by silent steps is observed.
        Markov chains take only ``"sensitive"`` (weak bisimulation tells a
        state that cannot leave its class from one that can).
    silent : object, optional
        The action label of the silent steps, for systems with action labels
        (labelled systems, labelled transition systems). Systems without
        them (a Computation, an unlabelled relation, a Markov chain) have
        every step silent: leave it None.

    Returns
    -------
    Partition
        ``>= beta``; the classes of stuttering equivalence (a Computation),
        branching bisimilarity (relations) or weak bisimilarity (Markov
        chains).

    Raises
    ------
    InvalidValueError
        For an unknown ``divergence``; a ``silent`` that is not among the
        system's labels, or one given to a system without labels, or none
        given to a system with labels; ``"blind"`` for a Markov chain.
    InvalidTypeError
        For a ``divergence`` that is not a string.
    SizeMismatchError
        If ``beta`` is not over the system's states.

    See Also
    --------
    abstractions.minimal_complete_abstraction : every step observed.
    abstractions.first_return : the abstract step applied at chosen states.

    Notes
    -----
    *A Computation.* The collapsed trace of ``m`` is ``beta(m)`` followed
    by the collapsed trace of the first state of ``m``'s run in another
    block, or by "halted" or "diverges". So the classes are the minimal
    complete abstraction of that "next change" map (plus two absorbing end
    states), computed in O(n): one walk over the states, then the linear
    functional-graph kernel.

    *Relations.* An equivalence ``R`` above ``beta`` is a branching
    bisimulation when for ``s R t`` and every transition ``s -a-> s'``:
    either ``a`` is silent and ``s' R s``, or ``t`` has a path of silent
    steps through states of its class to some ``t''`` with
    ``t'' -a-> t'`` and ``s' R t'``. Divergence-preserving: also, if ``s``
    has an infinite silent path inside its class, so has ``t``. The coarsest
    one is computed in O(m log n). Silent cycles inside the blocks of
    ``beta`` are contracted first (Tarjan, O(n + m)). Then signature rounds
    (Blom--Orzan): each computes every state's branching signature -- its
    non-inert (action, block) moves, joined over its inert successors -- in
    one pass over the acyclic inert transitions, and splits by it (a
    signature is shared with the inert successor that already holds it, so
    chains of inert steps do not copy it). Up to ``2 log2 n + 8`` rounds
    run, gathering at most ``64 (n + m)`` signature entries in all; they
    finish random systems and protocols with many inert steps quickly. A
    system that needs more -- a chain whose states each have a visible step
    and a silent step to the next state peels off one state per round --
    goes on from the partition the rounds reached with the algorithm of
    Groote, Jansen, Keiren and Wijs (2017; Jansen et al., 2020): blocks are
    kept stable under a coarser partition into constellations; a block of
    at most half its constellation's states becomes a constellation of its
    own, and the blocks with moves into it split, each split costing its
    smaller part (two searches in lockstep); states that lose their last
    inert step (new bottom states) split off at once, with every state that
    reaches a cut silent step inertly, into a block of their own (as in the
    four-way split of Groote and Jansen, 2025), and one pass over that block's (action,
    constellation) slices, with a count per slice of the bottom states
    among its sources, splits it until every bottom state has every move
    of its block. A state is in the smaller half O(log n) times and becomes
    a bottom state once, hence O(m log n) expected time (expected because
    blocks and slices live in hash tables). Divergence-preserving: the
    contracted silent cycles get a self-loop with a visible action of its
    own.

    *Markov chains.* An equivalence ``R`` above ``beta`` is a weak
    bisimulation when for ``s R t``: if both can leave their class in one
    step (``P(s, [s]) < 1`` and ``P(t, [t]) < 1``), then for every other
    class ``C``, ``P(s, C) / (1 - P(s, [s])) = P(t, C) / (1 - P(t, [t]))``;
    and ``s`` can reach a state outside its class exactly when ``t`` can.

    Examples
    --------
    A countdown that shows only whether it is at zero: every state above
    zero shows "no, no, ..., yes, then halt", which collapses to one trace.

    >>> import numpy as np
    >>> from abstractions import Computation, Partition, minimal_complete_abstraction
    >>> C = Computation([0, 0, 1, 2, 3], halted=[True, False, False, False, False])
    >>> beta = Partition.kernel(np.arange(5) == 0)
    >>> stuttering_abstraction(C, beta).labels
    array([0, 1, 1, 1, 1])
    >>> minimal_complete_abstraction(C, beta).n_blocks   # every step observed
    5

    A labelled transition system with a silent action: ``tau.a`` (state 0)
    and ``a`` (state 1) are branching bisimilar, ``tau.a + b`` (state 3)
    is not.

    >>> from abstractions import TransitionSystem
    >>> T = TransitionSystem.nondeterministic(
    ...     [[1], [2], [], [1, 2]], labels=[["tau"], ["a"], [], ["tau", "b"]])
    >>> stuttering_abstraction(T, Partition.bottom(4), silent="tau").labels
    array([0, 0, 1, 2])
    """
    S = as_system(system)
    sensitive = _divergence(divergence)
    start = S._partition(beta, "beta")
    labels, k = start.labels, start.n_blocks
    if isinstance(S, Computation):
        _silent_id(S, silent)
        from abstractions._engine.stuttering import function_classes

        result, count = function_classes(S.step, S.halted, labels, k, sensitive)
        return Partition._from_canonical(result, count)
    if isinstance(S, MarkovChain):
        _silent_id(S, silent)
        if not sensitive:
            raise InvalidValueError(
                "weak bisimulation of a Markov chain always tells a state that cannot leave "
                "its class from one that can; divergence='blind' is not available for it"
            )
        from abstractions._engine.stuttering import weak_classes

        result, count = weak_classes(S._relation(), labels, k)
        return Partition._from_canonical(result, count)
    if isinstance(S, (LabelledSystem, NondeterministicSystem)):
        tau = _silent_id(S, silent)
        from abstractions._engine.stuttering import branching_classes

        result, count = branching_classes(S._relation(), labels, k, tau, sensitive)
        return Partition._from_canonical(result, count)
    raise InvalidTypeError(  # a Markov decision process, so far
        f"stuttering_abstraction does not know systems of kind {S.kind!r}"
    )
