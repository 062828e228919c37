"""Kernels of the approximate notions: plurality tables, first mismatches, lumpability rows."""

from __future__ import annotations

import numba
import numpy as np

from abstractions._config import NUMBA_CACHE

__all__ = ["_first_mismatch", "_plurality"]

#: Up to this many (block, block) cells the pairs are counted in one flat
#: table (16 bytes a cell: it stays in the last-level cache); beyond it the
#: states are bucketed by block first.
_FLAT_CELLS = 1 << 20


@numba.njit(cache=NUMBA_CACHE)
def _plurality(
    src: np.ndarray, dst: np.ndarray, w: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per block ``a`` of ``src``: its plurality target, its weight and the target's weight.

    State ``i`` moves from block ``src[i]`` to block ``dst[i]`` (both in
    ``[0, k)``) with weight ``w[i]`` (an empty ``w``: weight 1). Returns
    ``best`` (the target of largest weight; ties go to the lowest target;
    a block of weight 0 takes the target of most states; -1 for a block
    no state is in), ``total`` (the block's weight) and ``top`` (the weight
    into ``best``).

    Few blocks: one flat ``k x k`` table, one pass. Many blocks: a counting
    sort of the targets by source block, then one scan per block with a
    scratch row of ``k`` cells that is reset only where it was touched, so
    the work is ``O(n + k)`` and every random access lands in ``O(k)``
    memory (a hash table of pairs would miss the cache on every state).
    """
    n = src.shape[0]
    weighted = w.shape[0] == n
    best = np.full(k, -1, dtype=np.int64)
    total = np.zeros(k, dtype=np.float64)
    top = np.zeros(k, dtype=np.float64)
    if k * k <= _FLAT_CELLS:
        count = np.zeros(k * k, dtype=np.int64)
        mass = np.zeros(k * k if weighted else 0, dtype=np.float64)
        for i in range(n):
            cell = src[i] * k + dst[i]
            count[cell] += 1
            if weighted:
                mass[cell] += w[i]
        for a in range(k):
            most = 0
            by_count = -1
            heavy = -1.0
            for b in range(k):
                c = count[a * k + b]
                if c == 0:
                    continue
                x = mass[a * k + b] if weighted else float(c)
                total[a] += x
                if x > heavy:
                    heavy = x
                    best[a] = b
                if c > most:
                    most = c
                    by_count = b
            if best[a] >= 0:
                if total[a] > 0.0:
                    top[a] = heavy
                else:
                    best[a] = by_count
        return best, total, top
    # Counting sort of the targets (and weights) by source block.
    start = np.zeros(k + 1, dtype=np.int64)
    for i in range(n):
        start[src[i] + 1] += 1
    for a in range(k):
        start[a + 1] += start[a]
    fill = start[:k].copy()
    order = np.empty(n, dtype=np.int64)
    wsorted = np.empty(n if weighted else 0, dtype=np.float64)
    for i in range(n):
        a = src[i]
        p = fill[a]
        fill[a] = p + 1
        order[p] = dst[i]
        if weighted:
            wsorted[p] = w[i]
    count_row = np.zeros(k, dtype=np.int64)
    mass_row = np.zeros(k if weighted else 0, dtype=np.float64)
    for a in range(k):
        lo = start[a]
        hi = start[a + 1]
        if lo == hi:
            continue
        for p in range(lo, hi):
            b = order[p]
            count_row[b] += 1
            if weighted:
                mass_row[b] += wsorted[p]
        # Second pass over the block: read the cells, keep the best, reset them.
        most = 0
        by_count = -1
        heavy = -1.0
        for p in range(lo, hi):
            b = order[p]
            c = count_row[b]
            if c == 0:
                continue            # already read (a repeated target)
            x = mass_row[b] if weighted else float(c)
            total[a] += x
            if x > heavy or (x == heavy and b < best[a]):
                heavy = x
                best[a] = b
            if c > most or (c == most and b < by_count):
                most = c
                by_count = b
            count_row[b] = 0
            if weighted:
                mass_row[b] = 0.0
        if total[a] > 0.0:
            top[a] = heavy
        else:
            best[a] = by_count
    return best, total, top


@numba.njit(cache=NUMBA_CACHE)
def _first_mismatch(labels: np.ndarray, nxt: np.ndarray, best: np.ndarray, w: np.ndarray) -> int:
    """The first state of positive weight (any, for an empty ``w``) whose step leaves ``best``.

    State ``i`` is in block ``labels[i]`` and steps into block ``nxt[i]``;
    it mismatches when ``nxt[i] != best[labels[i]]``. Returns -1 when none
    does. It stops at the first one, so on an incomplete partition it
    usually reads a few states, where a mask would read them all.
    """
    n = labels.shape[0]
    weighted = w.shape[0] == n
    for i in range(n):
        if nxt[i] != best[labels[i]] and (not weighted or w[i] > 0.0):
            return i
    return -1
