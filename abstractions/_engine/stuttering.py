"""Stuttering and branching bisimulation: the engine.

* :func:`function_classes`: one function. A state's abstract trace with
  repeats collapsed is its block, then the collapsed trace of the first
  state of another block (:func:`~abstractions._kernels.steps._next_change`),
  or the end of the trace: termination (a halted state) or divergence (a
  cycle inside the block). So the classes are the minimal complete
  abstraction of the "next change" map, with the two ends as extra states
  (one end when divergence is not observed), by the linear kernel: O(n).
* :func:`branching_classes`: a relation with silent steps. The silent
  transitions inside a block of ``beta`` that form cycles are contracted
  first (their states are always branching bisimilar), which leaves the
  silent transitions inside blocks acyclic for good: refinement only ever
  removes inert transitions. Then rounds of branching signatures
  (Blom--Orzan), each one pass over the nodes in that acyclic order
  (:func:`~abstractions._kernels.steps._branching_round`), and strong
  refinement of the saturated system to the fixed point.
"""

from __future__ import annotations

import numpy as np

from abstractions._engine import functional
from abstractions._engine.choice import solve
from abstractions._engine.primitives import first_occurrence, pair_ids
from abstractions._engine.relation import Relation
from abstractions._validation import Ids, Mask

__all__ = ["branching_classes", "function_classes", "silent_components"]


def function_classes(
    step: Ids, halted: Mask, labels: Ids, k: int, sensitive: bool
) -> tuple[Ids, int]:
    """Stuttering classes of one function above canonical ``labels`` (``k`` blocks).

    Examples
    --------
    A run 0 -> 1 -> 2 that halts at 2, blocks [a, a, b]: 0 and 1 both show
    "a, then b, then stop".

    >>> function_classes(np.array([1, 2, 2]), np.array([False, False, True]),
    ...                  np.array([0, 0, 1]), 2, True)
    (array([0, 0, 1]), 2)
    """
    from abstractions._kernels.steps import _next_change

    n = step.shape[0]
    ended, diverged = n, n + 1
    # int32 walk memory while every code fits: half the random traffic.
    w = np.empty(0, dtype=np.int32 if n < 2**31 - 8 else np.int64)
    nxt = _next_change(step, labels, halted, ended, diverged if sensitive else ended, w)
    extended = np.empty(n + 2, dtype=np.int64)
    extended[:n] = labels
    # The ends are observations of their own: no block of beta, and apart.
    extended[n] = k
    extended[n + 1] = k + 1
    result, count = functional.linear(nxt, extended, k + 2)
    return first_occurrence(np.ascontiguousarray(result[:n]), count)


def silent_components(rel: Relation, labels: Ids, silent: int) -> tuple[Ids, Mask, int]:
    """Components of the silent transitions inside blocks: ``(component, cyclic, count)``.

    ``silent`` is the symbol id of the silent action, or -1 when every
    transition is silent. Components are numbered sinks first.

    Examples
    --------
    >>> from abstractions._engine.relation import Relation
    >>> rel = Relation(np.array([0, 1, 2, 2]), np.array([1, 0]), "exists")
    >>> silent_components(rel, np.array([0, 0, 0]), -1)
    (array([0, 0, 1]), array([ True, False]), 2)
    """
    from abstractions._kernels.steps import _silent_scc

    src = rel.sources()
    inert = labels[src] == labels[rel.targets]
    if silent >= 0:
        inert &= rel.symbol_ids() == silent
    comp, cyclic, count = _silent_scc(rel.indptr, rel.targets, inert)
    return comp, cyclic, int(count)


def branching_classes(
    rel: Relation, labels: Ids, k: int, silent: int, sensitive: bool, rounds: bool = True
) -> tuple[Ids, int]:
    """The coarsest branching bisimulation above canonical ``labels`` (``k`` blocks).

    ``silent`` is the symbol id of the silent action, or -1 when every
    transition is silent (a Kripke structure: only the blocks are seen).
    With ``sensitive`` a state that can stay in its class for ever by
    silent steps is told apart from one that cannot (divergence-preserving
    branching bisimulation); without, divergence is not observed.

    Two phases, on the system with its silent cycles inside blocks
    contracted:

    1. Branching signature rounds (Blom--Orzan) while each at least doubles
       the number of blocks (at most ``log2 n`` of them; on random systems
       they reach the answer).
    2. Then, while the partition ``P`` still changes: saturate (every node
       gets the non-inert moves of the nodes it reaches by inert steps of
       ``P``), and refine ``P`` -- split by divergence -- to the coarsest
       *strong* bisimulation of the saturated system by the strong engine
       (signature rounds, then Paige--Tarjan splitters: O(S log n) for S
       saturated transitions). Branching bisimilarity refines that strong
       bisimulation (a matching inert path of ``P`` matches each saturated
       move), and when it splits nothing, ``P`` is a branching bisimulation.
       So a long chain of visible steps costs one strong refinement, not one
       round per state; only inert steps that stop being inert need another
       pass.

    ``rounds=False`` skips the first phase (for the tests).

    Examples
    --------
    ``tau.a`` (state 0) and ``a`` (state 1) are branching bisimilar;
    ``tau.a + b`` (state 3) is not:

    >>> from abstractions._engine.relation import Relation
    >>> rel = Relation(np.array([0, 1, 2, 2, 4]), np.array([1, 2, 1, 2]), "exists",
    ...                symbols=np.array([0, 1, 0, 2]), symbol_names=("tau", "a", "b"))
    >>> branching_classes(rel, np.zeros(4, dtype=np.int64), 1, 0, True)[0]
    array([0, 0, 1, 2])
    """
    from abstractions._kernels.steps import _branching_round, _saturate

    comp, cyclic, count = silent_components(rel, labels, silent)
    # The contracted system: one node per component, its transitions those
    # of its states, less the silent ones inside the component (their only
    # trace is the component's cycle flag).
    src = comp[rel.sources()]
    dst = comp[rel.targets]
    sym = rel.symbol_ids() if silent >= 0 else np.zeros(rel.m, dtype=np.int64)
    tau = max(silent, 0)
    keep = ~((sym == tau) & (src == dst))
    src, dst, sym = src[keep], dst[keep], sym[keep]
    order = np.argsort(src, kind="stable")
    src, dst, sym = src[order], dst[order], sym[order]
    indptr = np.zeros(count + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=count), out=indptr[1:])
    current = np.empty(count, dtype=np.int64)
    current[comp] = labels
    current_k = k
    while rounds:
        new, new_k = _branching_round(
            indptr, dst, sym, tau, cyclic, current, current_k, sensitive
        )
        new_k = int(new_k)
        if new_k == current_k:
            return first_occurrence(np.ascontiguousarray(current[comp]), current_k)
        doubled = new_k >= 2 * current_k
        current, current_k = new, new_k
        if not doubled:
            break
    n_symbols = int(sym.max()) + 1 if sym.size else 1
    while True:
        sat_ptr, sat_targets, sat_symbols, diverges = _saturate(
            indptr, dst, sym, tau, cyclic, current, sensitive
        )
        start, start_k = pair_ids(current, current_k, diverges.astype(np.int64), 2)
        saturated = Relation(
            sat_ptr, sat_targets, "exists", symbols=sat_symbols,
            symbol_names=tuple(range(n_symbols)),
        )
        new, new_k = solve(saturated, start, start_k, "auto")
        if new_k == current_k:
            break
        current, current_k = new, new_k
    return first_occurrence(np.ascontiguousarray(current[comp]), current_k)


def weak_classes(rel: Relation, labels: Ids, k: int) -> tuple[Ids, int]:
    """The coarsest weak bisimulation of a Markov chain above canonical ``labels``."""
    raise NotImplementedError
