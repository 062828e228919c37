"""Which algorithm computes a minimal complete abstraction, and running it.

One vocabulary of methods for every kind of system (:data:`METHODS`).
``"auto"`` picks by the relation's shape and size:

1. small systems run whole rounds of the completion operator in numpy
   while the work stays small, so a first call compiles no kernel (a
   partial answer hands over to the kernels: the least complete
   partition above it is the least one above ``beta``, since it lies
   between the two); once the kernels are compiled in the process, small
   systems go straight to them (:func:`_kernels_warm`);
2. a function (one successor per state) takes the linear functional-graph
   kernel;
3. anything else takes signature rounds while they double the blocks, then
   Paige--Tarjan splitters (:mod:`abstractions._engine.refine`), on the
   part that cycles reach only when most states are reached by none (the
   others then take their blocks by look-up, successors first);
4. but a Markov decision process (aggregation ``"choices"``, two levels)
   takes incremental two-level signature rounds, all in one numba worklist
   kernel (:mod:`abstractions._engine.choice_refine`), for ``"auto"``
   (after the numpy rounds on small systems) and ``"splitters"``, and
   whole rounds for ``"rounds"``: the splitter kernel knows one level only.
"""

from __future__ import annotations

import numpy as np

from abstractions._engine import functional
from abstractions._engine.choice_refine import refine_choices
from abstractions._engine.primitives import first_occurrence
from abstractions._engine.refine import least_complete
from abstractions._engine.relation import QuotientRows, Relation, completion
from abstractions._validation import Ids
from abstractions.progress import ProgressBar, counted

__all__ = ["METHODS", "FUNCTION_METHODS", "solve"]

#: Method names of :func:`~abstractions.minimal_complete_abstraction`.
METHODS: tuple[str, ...] = ("auto", "linear", "doubling", "rounds", "splitters", "reference")
#: The methods that need the transition to be one function.
FUNCTION_METHODS: tuple[str, ...] = ("linear", "doubling")

#: Systems with at most this many states plus transitions may be solved in numpy ...
_SMALL = 4096
#: ... while the rounds have touched at most this many elements in all.
_SMALL_WORK = 1_000_000


def _choice_kernel_ready() -> bool:
    """Whether the MDP kernel is compiled in this process: then small MDPs take it too.

    An MDP can need hundreds of rounds, and a numpy round costs about
    0.1 ms whatever its size: the numpy rounds only spare a first call the
    compilation (or the cache load) of the kernel.
    """
    from abstractions._kernels import KERNELS

    dispatcher = KERNELS["_choice_refine"]._dispatcher
    return dispatcher is not None and bool(getattr(dispatcher, "signatures", None))


def _small_rounds(
    rel: Relation, labels: Ids, k: int, bar: ProgressBar | None = None
) -> tuple[Ids, int, bool]:
    """Rounds of the completion operator while cheap; whether they reached the fixed point."""
    size = rel.n + rel.m
    budget = _SMALL_WORK // max(size, 1)
    for _ in range(budget):
        new, count = completion(rel, labels, k)
        if count == k:
            return labels, k, True
        labels, k = new, count
        if bar is not None:
            bar.update(1, counted(k, "block"))
    return labels, k, False


def _kernels_warm(rel: Relation) -> bool:
    """Whether the kernels that would solve ``rel`` are compiled in this process.

    Then they beat numpy rounds at every size: a round of numpy costs tens
    of microseconds of overhead however small the system, and a system
    whose blocks split one at a time (a chain, as in most real models)
    needs as many rounds as it has blocks.
    """
    from abstractions._kernels import warm

    if rel.is_function:
        return warm("_tree_order", "_cycle_classes", "_tree_classes")
    return warm("_signature_round", "_predecessors_by_block", "_coarsest_stable", "_is_stable")


def solve(
    rel: Relation, labels: Ids, k: int, method: str, bar: ProgressBar | None = None,
    rows: list[QuotientRows] | None = None,
) -> tuple[Ids, int]:
    """The least complete partition above canonical ``labels`` (``k`` blocks) by ``method``.

    ``method`` is one of :data:`METHODS` other than ``"reference"`` (which
    the public function runs on Partition objects), already checked against
    the relation's shape. ``bar`` counts one step per round that splits a
    block (with the number of blocks as its note) and one per kernel call.
    ``rows`` receives the quotient's rows where the engine's exact check
    built them (see :func:`~abstractions._engine.refine.refine`).
    """
    if k <= 1 or k == rel.n:
        # Bottom is complete for a function; top is complete for every kind.
        if k == rel.n or rel.is_function:
            return labels, k
    if rel.choices is not None and method != "rounds":
        if method == "auto" and rel.n + rel.m <= _SMALL and not _choice_kernel_ready():
            labels, k, done = _small_rounds(rel, labels, k, bar)
            if done:
                return labels, k
        return refine_choices(rel, labels, k)
    if method == "auto":
        if rel.n + rel.m <= _SMALL and not _kernels_warm(rel):
            labels, k, done = _small_rounds(rel, labels, k, bar)
            if done:
                return labels, k
        method = "linear" if rel.is_function else "splitters-after-rounds"
    if method == "rounds":
        while True:
            new, count = completion(rel, labels, k)
            if count == k:
                return labels, k
            labels, k = new, count
            if bar is not None:
                bar.update(1, counted(k, "block"))
    if method == "linear":
        return functional.linear(rel.step(), labels, k, bar)
    if method == "doubling":
        return functional.doubling(rel.step(), labels, k, bar)
    if rel.partial:
        return _partial_dfa(rel, labels, k, method, bar)
    return least_complete(rel, labels, k, rounds=method != "splitters", bar=bar, rows=rows)


def _partial_dfa(
    rel: Relation, labels: Ids, k: int, method: str, bar: ProgressBar | None
) -> tuple[Ids, int]:
    """A partial DFA through the exact tuple rounds of a total one.

    Every gap steps into one extra sink state (looping on every symbol) that
    starts in a block of its own, so it stays alone: two states then agree
    on a symbol's successor block exactly when both lack the symbol or both
    step into one block, which is the partial DFA's completeness. Dropping
    the sink gives the answer (several times faster than the general
    signature rounds of an LTS).
    """
    n, symbols = rel.n, rel.n_symbols
    table = np.full((n + 1, symbols), n, dtype=np.int64)
    table[rel.sources(), rel.symbol_ids()] = rel.targets
    total = Relation(
        np.arange(0, (n + 1) * symbols + 1, symbols, dtype=np.int64),
        table.reshape(-1),
        "exists",
        symbols=np.tile(np.arange(symbols, dtype=np.int64), n + 1),
        symbol_names=rel.symbol_names,
        deterministic=True,
    )
    start = np.append(labels, np.int64(k))
    result, count = least_complete(total, start, k + 1, rounds=method != "splitters", bar=bar)
    return first_occurrence(np.ascontiguousarray(result[:n]), count)
