"""Kernels of the direct-exchange doubling engine (:mod:`abstractions._dask_exchange`).

Each replaces a chain of numpy passes over a chunk's active states, the
engine's per-round cost: a counting sort by receiver, numbering of
``(label, label at g)`` pairs by a hash table that grows with the pairs
found, the answer to a chunk's requests, and the chunk's new arrays after
a round. The engine's numpy code is their twin (it runs below
``SMALL_INPUT`` states, where loading numba in a worker would cost more
than it saves), and the tests compare the two.
"""

from __future__ import annotations

import numpy as np

from abstractions._kernels._jit import jit

__all__ = ["_answer_rows", "_apply_ids", "_pair_ids", "_route"]


@jit
def _route(dest: np.ndarray, nparts: int) -> tuple[np.ndarray, np.ndarray]:
    """A stable counting sort by receiver: ``order`` and the end of each receiver's run.

    ``dest[order]`` is sorted and ties keep their order; ``ends[p]`` is
    where receiver ``p``'s run ends. Two passes where numpy's stable
    argsort (a radix sort on 16-bit keys) and a bincount take five.
    """
    n = dest.shape[0]
    ends = np.empty(nparts, dtype=np.int64)
    ends[:] = 0
    for i in range(n):
        ends[dest[i]] += 1
    cursor = np.empty(nparts, dtype=np.int64)
    total = 0
    for p in range(nparts):
        cursor[p] = total
        total += ends[p]
        ends[p] = total
    order = np.empty(n, dtype=np.int64)
    for i in range(n):
        p = dest[i]
        order[cursor[p]] = i
        cursor[p] += 1
    return order, ends


@jit
def _pair_ids(a: np.ndarray, b: np.ndarray, slots: int) -> tuple[np.ndarray, np.ndarray, int]:
    """First-occurrence ids of the pairs ``(a[i], b[i])``, each pair's first row, their number.

    Open addressing over a table of the first row of each pair, starting at
    ``slots`` (a power of two) and doubling whenever it is half full: a
    round of a chain has a few distinct pairs among millions of rows, and
    their table then stays in cache, where one sized for every row would be
    tens of megabytes of fresh pages to fault in.
    """
    n = a.shape[0]
    size = slots
    mask = size - 1
    table = np.empty(size, dtype=np.int64)
    table[:] = -1
    ids = np.empty(n, dtype=np.int64)
    first = np.empty(n, dtype=np.int64)
    count = 0
    k1 = np.uint64(0x9E3779B97F4A7C15)
    k2 = np.uint64(0xC2B2AE3D27D4EB4F)
    for i in range(n):
        if i > 0 and a[i] == a[i - 1] and b[i] == b[i - 1]:
            # A run of one pair (a chain's rounds: most states share one
            # block and its successor): no hashing.
            ids[i] = ids[i - 1]
            continue
        h = (np.uint64(a[i]) * k1) ^ np.uint64(b[i])
        h *= k2
        h ^= h >> np.uint64(29)
        slot = np.int64(h & np.uint64(mask))
        while True:
            r = table[slot]
            if r < 0:
                table[slot] = i
                ids[i] = count
                first[count] = i
                count += 1
                break
            if a[r] == a[i] and b[r] == b[i]:
                ids[i] = ids[r]
                break
            slot = (slot + 1) & mask
        if 2 * count > size:
            # Rehash the first rows into a table twice the size.
            size *= 2
            mask = size - 1
            table = np.empty(size, dtype=np.int64)
            table[:] = -1
            for c in range(count):
                r = first[c]
                h = (np.uint64(a[r]) * k1) ^ np.uint64(b[r])
                h *= k2
                h ^= h >> np.uint64(29)
                slot = np.int64(h & np.uint64(mask))
                while table[slot] >= 0:
                    slot = (slot + 1) & mask
                table[slot] = r
    return ids, first[:count], count


@jit
def _answer_rows(
    L: np.ndarray, g: np.ndarray, final: np.ndarray, lo: int, req: np.ndarray
) -> tuple[np.ndarray, int]:
    """``[label, pointer]`` of each requested state (pointer -1 where its block is final).

    Returns the rows and the position of the first request outside the
    chunk (-1 if none): the caller raises, since it means a lost or
    misrouted partition.
    """
    m = req.shape[0]
    n = L.shape[0]
    out = np.empty((2, m), dtype=np.int64)
    for j in range(m):
        i = req[j] - lo
        if i < 0 or i >= n:
            return out, j
        out[0, j] = L[i]
        out[1, j] = -1 if final[i] else g[i]
    return out, -1


@jit
def _apply_ids(
    L: np.ndarray, g: np.ndarray, final: np.ndarray, active: np.ndarray, gg: np.ndarray,
    codes: np.ndarray, per_pair: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """New arrays of a chunk: each active state takes its pair's id and the pointer ``gg``.

    An id stored as ``~id`` (negative) marks a block that leaves: the
    label is ``id`` and the state becomes final. The inputs are left as
    they are (a future's value is never changed in place).
    """
    n = L.shape[0]
    L2 = np.empty(n, dtype=np.int64)
    g2 = np.empty(n, dtype=np.int64)
    final2 = np.empty(n, dtype=np.bool_)
    for i in range(n):
        L2[i] = L[i]
        g2[i] = g[i]
        final2[i] = final[i]
    for j in range(active.shape[0]):
        i = active[j]
        v = per_pair[codes[j]]
        if v < 0:
            L2[i] = ~v
            final2[i] = True
        else:
            L2[i] = v
        g2[i] = gg[j]
    return L2, g2, final2
