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
  removes inert transitions. Then a few rounds of branching signatures
  (Blom--Orzan), each one pass over the nodes in that acyclic order
  (:func:`~abstractions._kernels.steps._branching_round`), and, if they do
  not reach the fixed point, the O(m log n) constellation algorithm
  (:func:`~abstractions._engine.branching.constellation_classes`) from
  where they stopped.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from abstractions._engine import functional
from abstractions._engine.branching import constellation_classes
from abstractions._engine.choice import solve
from abstractions._engine.primitives import first_occurrence, pair_ids, sequence_ids
from abstractions._engine.relation import Relation
from abstractions._validation import Ids, Mask
from abstractions.exceptions import InvalidValueError
from abstractions.partition import canonical_labels

__all__ = ["branching_classes", "function_classes", "silent_components", "weak_classes"]

#: The saturated relation may have this many times the transitions (and
#: states) of the contracted system, plus the slack, before the engine falls
#: back to rounds (it would otherwise be quadratic in memory).
_SATURATION_FACTOR = 8
_SATURATION_SLACK = 1024

#: The signature rounds of the first phase together may gather this many
#: times ``n + m`` signature entries, plus the slack (so the phase is
#: O((n + m) log(n + m)) with its sorting, beyond O(n + m) a round).
_ROUND_WORK = 64
_ROUND_SLACK = 1024
_UNLIMITED = np.iinfo(np.int64).max


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
    from abstractions._kernels import _next_change, index_witness

    n = step.shape[0]
    ended, diverged = n, n + 1
    # int32 walk memory while every code fits: half the random traffic.
    w = index_witness(n + 7)
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
    from abstractions._kernels import _silent_scc

    src = rel.sources()
    inert = labels[src] == labels[rel.targets]
    if silent >= 0:
        inert &= rel.symbol_ids() == silent
    comp, cyclic, count = _silent_scc(rel.indptr, rel.targets, inert)
    return comp, cyclic, int(count)


def branching_classes(
    rel: Relation,
    labels: Ids,
    k: int,
    silent: int,
    sensitive: bool,
    rounds: bool = True,
    finish: str = "constellations",
) -> tuple[Ids, int]:
    """The coarsest branching bisimulation above canonical ``labels`` (``k`` blocks).

    ``silent`` is the symbol id of the silent action, or -1 when every
    transition is silent (a Kripke structure: only the blocks are seen).
    With ``sensitive`` a state that can stay in its class for ever by
    silent steps is told apart from one that cannot (divergence-preserving
    branching bisimulation); without, divergence is not observed.

    Two phases, on the system with its silent cycles inside blocks
    contracted:

    1. Branching signature rounds (Blom--Orzan), at most
       ``2 log2 n + 8`` of them, and together at most ``64 (n + m)``
       signature entries gathered (a work bound: a round that would pass
       it stops and counts for nothing). On random systems and on
       protocols with many inert steps they reach the answer. A signature
       is a set of (action, block) pairs, so it stays small however many
       states a node reaches by inert steps.
    2. If they do not, the partition they reached (it refines ``labels``
       and is coarser than branching bisimilarity) is refined by the
       algorithm of Groote, Jansen, Keiren and Wijs
       (:func:`~abstractions._engine.branching.constellation_classes`):
       O(m log n) expected time (its blocks and slices are hash tables).

    So the whole costs O(m log n) (expected): phase 1 is O(n + m) a round for
    O(log n) rounds, plus O(W log W) to sort its W = O(n + m) entries.

    ``finish="saturate"`` replaces phase 2 by the engine it superseded
    (kept for the tests and the benchmarks, which compare the two): while
    the partition ``P`` still changes, saturate (every node
       gets the non-inert moves of the nodes it reaches by inert steps of
       ``P``), and refine ``P`` -- split by divergence -- to the coarsest
       *strong* bisimulation of the saturated system by the strong engine
       (signature rounds, then Paige--Tarjan splitters: O(S log n) for S
       saturated transitions). Branching bisimilarity refines that strong
       bisimulation (a matching inert path of ``P`` matches each saturated
       move), and when it splits nothing, ``P`` is a branching bisimulation.
       So a long chain of visible steps costs one strong refinement, not one
       round per state; only inert steps that stop being inert need another
       pass. Saturated moves go to states, not blocks, so S can be far
       larger than the signatures (up to n times m). When the saturated
       relation would exceed ``8 (n + m)`` transitions, signature rounds
       run to the fixed point instead (at most ``n`` rounds): O(n m) in the
       worst case.

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
    from abstractions._kernels import _branching_round, _saturate

    if finish not in ("constellations", "saturate"):
        raise InvalidValueError(
            f"finish must be 'constellations' or 'saturate', got {finish!r}"
        )

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
    # Rounds cost O(n + m) plus the signature entries they gather (and sort),
    # so they run while they are few and cheap: a system that needs more (a
    # long chain of distinguishing steps needs one per step), or whose
    # signatures grow large (long inert paths past many visible moves), goes
    # to the second phase.
    budget = 2 * int(np.ceil(np.log2(count + 1))) + 8 if rounds else 0
    work_left = _ROUND_WORK * (count + dst.shape[0]) + _ROUND_SLACK
    for _ in range(budget):
        new, new_k, work = _branching_round(
            indptr, dst, sym, tau, cyclic, current, current_k, sensitive, work_left
        )
        new_k = int(new_k)
        if new_k < 0:
            break  # out of work: the round is void
        work_left -= int(work)
        if new_k == current_k:
            return first_occurrence(np.ascontiguousarray(current[comp]), current_k)
        current, current_k = new, new_k
    if finish == "constellations":
        current, current_k = constellation_classes(
            indptr, dst, sym, tau, cyclic, current, current_k, sensitive
        )
        return first_occurrence(np.ascontiguousarray(current[comp]), current_k)
    n_symbols = int(sym.max()) + 1 if sym.size else 1
    limit = _SATURATION_FACTOR * (count + dst.shape[0]) + _SATURATION_SLACK
    while True:
        sat_ptr, sat_targets, sat_symbols, diverges, done = _saturate(
            indptr, dst, sym, tau, cyclic, current, sensitive, limit
        )
        if not done:
            # Too many saturated moves (long inert paths with many visible
            # moves on the way): signature rounds to the fixed point instead.
            while True:
                new, new_k, _ = _branching_round(
                    indptr, dst, sym, tau, cyclic, current, current_k, sensitive, _UNLIMITED
                )
                if int(new_k) == current_k:
                    return first_occurrence(np.ascontiguousarray(current[comp]), current_k)
                current, current_k = new, int(new_k)
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


def _conditional_keys(rel: Relation, src: Ids, num: np.ndarray, rest: np.ndarray) -> Ids:
    """Ids of the conditional probabilities ``num / rest`` (exact, or rounded to ``tol``)."""
    if rel.how == "round":
        values = np.floor(num / rest * (1.0 / rel.tol) + 0.5).astype(np.int64)
        ids, _ = first_occurrence(*_dense(values))
        return ids
    if num.dtype == object:
        fractions = [Fraction(int(a), int(b)) for a, b in zip(num.tolist(), rest.tolist())]
        ids, _ = canonical_labels(np.array(fractions, dtype=object), "values")
        return ids
    g = np.gcd(num, rest)
    pairs, _ = pair_ids(*_dense(num // g), *_dense(rest // g))
    return pairs


def _dense(values: Ids) -> tuple[Ids, int]:
    """``values`` renumbered to ``0 .. k-1`` (any ints), and ``k``."""
    if values.size == 0:
        return values.astype(np.int64), 1
    _, inverse = np.unique(values, return_inverse=True)
    inverse = inverse.astype(np.int64).reshape(-1)
    return inverse, int(inverse.max()) + 1


def weak_classes(rel: Relation, labels: Ids, k: int) -> tuple[Ids, int]:
    """The coarsest weak bisimulation of a Markov chain above canonical ``labels``.

    Rounds to the fixed point; in each, with the current classes ``P``:

    * a state that can leave its class in one step (*non-silent*) is seen
      through its conditional distribution ``P(s, C) / (1 - P(s, [s]))``
      over the other classes ``C``;
    * a state that cannot (*silent*) is seen through the set of
      non-silent groups it reaches by silent states of its class; the empty
      set means it can never leave its class (it diverges), which a
      non-silent state always can.

    States of a class that look alike stay together (a silent state joins
    the non-silent group that is all it reaches). At the fixed point every
    class has one conditional distribution and all its states can leave it,
    or none can: the definition of weak bisimulation of
    Baier--Katoen--Hermanns--Wolf, which Storm's
    ``BisimulationType.WEAK`` computes for DTMCs (the tests compare the
    two). A round costs O(m log m) in numpy, plus the reach sets of the
    silent states (their total size).

    Examples
    --------
    0 -> 1 -> 2 with 2 absorbing, 1 looping with probability 1/2: 0 and 1
    both end up in 2 for sure, so they are weakly bisimilar.

    >>> from abstractions._engine.relation import Relation
    >>> rel = Relation(np.array([0, 1, 3, 4]), np.array([1, 1, 2, 2]), "sum",
    ...                weights=np.array([2, 1, 1, 2]), den=2)
    >>> weak_classes(rel, np.array([0, 0, 1]), 2)
    (array([0, 0, 1]), 2)
    """
    from abstractions._kernels import _silent_scc

    n = rel.n
    src = rel.sources()
    dst = rel.targets
    weights = rel.weights
    assert weights is not None
    total = 1.0 if rel.how == "round" else rel.den
    current, current_k = labels, k
    while True:
        same = current[src] == current[dst]
        stay = np.zeros(n, dtype=weights.dtype)
        np.add.at(stay, src[same], weights[same])
        if rel.how == "round":
            silent = np.floor((total - stay) * (1.0 / rel.tol) + 0.5) == 0
        else:
            silent = stay == total
        # Non-silent states: their (class, conditional probability) rows.
        out = ~same & ~silent[src]
        order = np.lexsort((current[dst[out]], src[out]))
        o_src, o_blk, o_w = src[out][order], current[dst[out]][order], weights[out][order]
        first = np.ones(o_src.shape[0], dtype=bool)
        first[1:] = (o_src[1:] != o_src[:-1]) | (o_blk[1:] != o_blk[:-1])
        starts = np.flatnonzero(first)
        r_src, r_blk = o_src[starts], o_blk[starts]
        r_num = np.add.reduceat(o_w, starts) if starts.size else o_w[:0]
        rest = (total - stay)[r_src]
        if rel.how == "round":
            kept = np.floor(r_num / rest * (1.0 / rel.tol) + 0.5) != 0
            r_src, r_blk, r_num, rest = r_src[kept], r_blk[kept], r_num[kept], rest[kept]
        values = _conditional_keys(rel, r_src, r_num, rest)
        row_keys, n_row_keys = pair_ids(r_blk, current_k, values, int(values.max(initial=0)) + 1)
        group, _ = sequence_ids(r_src, n, row_keys, n_row_keys, seed=(current, current_k))
        # Silent states: the non-silent groups they reach through silent states.
        reach = _silent_reach(rel, silent, group, _silent_scc)
        key = [
            (int(current[s]), reach[s] if silent[s] else frozenset((int(group[s]),)))
            for s in range(n)
        ]
        new, new_k = canonical_labels(_objects(key), "weak signatures")
        if new_k == current_k:
            return current, current_k
        current, current_k = new, new_k


def _objects(items: list[Any]) -> np.ndarray:
    array = np.empty(len(items), dtype=object)
    array[:] = items
    return array


def _silent_reach(rel: Relation, silent: Mask, group: Ids, scc: Any) -> list[frozenset[int]]:
    """Per silent state, the groups of the non-silent states it reaches through silent ones."""
    n = rel.n
    from_silent = silent[rel.sources()]
    comp, _, count = scc(rel.indptr, rel.targets, from_silent & silent[rel.targets])
    sets: list[set[int]] = [set() for _ in range(int(count))]
    members: list[list[int]] = [[] for _ in range(int(count))]
    for s in np.flatnonzero(silent).tolist():
        members[comp[s]].append(s)
    indptr, targets = rel.indptr.tolist(), rel.targets.tolist()
    silent_list, comp_list, group_list = silent.tolist(), comp.tolist(), group.tolist()
    # Components come sinks first: a successor's set is complete before it is read.
    for c in range(int(count)):
        found = sets[c]
        for s in members[c]:
            for j in range(indptr[s], indptr[s + 1]):
                t = targets[j]
                if not silent_list[t]:
                    found.add(group_list[t])
                elif comp_list[t] != c:
                    found |= sets[comp_list[t]]
    frozen = [frozenset(x) for x in sets]
    return [frozen[comp_list[s]] if silent_list[s] else frozenset() for s in range(n)]
