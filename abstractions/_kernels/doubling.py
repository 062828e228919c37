"""Kernels of the direct-exchange doubling engine (:mod:`abstractions._dask_exchange`).

Each replaces a chain of numpy passes over a chunk's active states, the
engine's per-round cost: the requests sorted by owner, the answers read
into the pairs where they arrive, the numbering of ``(label, label at g)``
pairs by a hash table that grows with the pairs found (on the sending
chunk, which counts its distinct pairs and lays them out by receiver, and
on the numbering partition), the answer to a chunk's requests, and the
chunk's new arrays after a round. A chain keeps nearly every state active
for all ``log2 n`` rounds, so each pass saved is saved ``n log n`` times.
The engine's numpy code is their twin (it runs below ``SMALL_INPUT``
states, where loading numba in a worker would cost more than it saves),
and the tests compare both with naive versions.

They release the GIL (``nogil``): a worker runs one of them for a tenth of
a second on a large chunk, and meanwhile its event loop must still serve
the messages that the other workers fetch from it.
"""

from __future__ import annotations

import numpy as np

from abstractions._kernels._jit import jit

__all__ = [
    "_answer_rows", "_apply_ids", "_gather_pairs", "_number_rows", "_pair_ids", "_pair_rows",
    "_requests", "_route",
]


@jit(nogil=True)
def _run_starts(ends: np.ndarray) -> np.ndarray:
    """Counts per receiver turned, in place, into where each run ends; returns where each starts.

    The middle step of the counting sorts here: one helper for three
    kernels, compiled once per worker.
    """
    cursor = np.empty(ends.shape[0], dtype=np.int64)
    total = 0
    for p in range(ends.shape[0]):
        cursor[p] = total
        total += ends[p]
        ends[p] = total
    return cursor


@jit(nogil=True)
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
    cursor = _run_starts(ends)
    order = np.empty(n, dtype=np.int64)
    for i in range(n):
        p = dest[i]
        order[cursor[p]] = i
        cursor[p] += 1
    return order, ends


@jit(nogil=True)
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


@jit(nogil=True)
def _requests(
    g: np.ndarray, final: np.ndarray, size: int, bounds: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The requests of a chunk's active states, sorted by the chunk that owns their ``g``.

    Returns ``(pos, targets, ends)``: the asking states (positions in the
    chunk) in the sorted order, the states they ask about, and where each
    owner's run ends. The owner of ``t`` is ``t // size`` when the chunks
    are of one size (``size > 0``), else the chunk of ``bounds`` holding it.
    One counting pass and one placing pass, where numpy took seven (mask,
    gather, owner, sort, three gathers): a chain keeps every state active
    for every round, so this is paid on every state ``log n`` times.
    """
    n = g.shape[0]
    nparts = bounds.shape[0] - 1
    # The owner of each active state's target, kept from the counting pass
    # to the placing one. By chunk size: a float reciprocal corrected by
    # one either way, since an int64 division costs tens of cycles and is
    # paid per state per round.
    owner = np.empty(n, dtype=np.int64)
    inverse = 1.0 / size if size > 0 else 0.0
    ends = np.empty(nparts, dtype=np.int64)
    ends[:] = 0
    m = 0
    for i in range(n):
        if final[i]:
            continue
        t = g[i]
        if size > 0:
            p = int(t * inverse)
            if p * size > t:
                p -= 1
            elif (p + 1) * size <= t:
                p += 1
        else:
            lo, hi = 0, nparts - 1
            while lo < hi:  # the last chunk start at or before t
                mid = (lo + hi + 1) // 2
                if bounds[mid] <= t:
                    lo = mid
                else:
                    hi = mid - 1
            p = lo
        owner[i] = p
        ends[p] += 1
        m += 1
    cursor = _run_starts(ends)
    pos = np.empty(m, dtype=np.int64)
    targets = np.empty(m, dtype=np.int64)
    for i in range(n):
        if final[i]:
            continue
        p = owner[i]
        c = cursor[p]
        cursor[p] += 1
        pos[c] = i
        targets[c] = g[i]
    return pos, targets, ends


@jit(nogil=True)
def _gather_pairs(
    L: np.ndarray, pos: np.ndarray, offset: int, got: np.ndarray,
    a: np.ndarray, b: np.ndarray, gg: np.ndarray,
) -> int:
    """Fill rows ``offset ..`` of a round's pairs from one owner's answers ``got``.

    Row ``k`` is the state ``pos[k]``: ``a`` its label, ``b`` the label at
    its ``g`` (stored as ``~label`` where that block is final, pointer -1)
    and ``gg`` the pointer there. The caller calls it once per owner, so
    the answers are never concatenated. Returns the next offset.
    """
    m = got.shape[1]
    for k in range(m):
        r = offset + k
        a[r] = L[pos[r]]
        nxt = got[1, k]
        gg[r] = nxt
        b[r] = ~got[0, k] if nxt < 0 else got[0, k]
    end: int = offset + m
    return end


@jit(nogil=True)
def _pair_rows(
    a: np.ndarray, b: np.ndarray, slots: int, nparts: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The distinct pairs ``(a, b)`` of a chunk with their counts, laid out by numbering partition.

    Returns ``(codes, order, rows, ends)``: each row's pair (first
    occurrence, as :func:`_pair_ids`), the pairs in the order of the
    layout, and ``rows``: per partition ``p`` (up to ``ends[p]`` pairs)
    a contiguous block of three rows ``a``, ``b`` and count, so that each
    message is a view, not a copy. The partition of a pair is
    ``((a * K1 + b * K2) mod 2**64 >> 32) mod nparts``, the engine's
    ``_pair_owner``: chunks on the numpy path must send a pair where
    these do.
    """
    codes, first, count = _pair_ids(a, b, slots)
    n = a.shape[0]
    counts = np.empty(count, dtype=np.int64)
    counts[:] = 0
    for i in range(n):
        counts[codes[i]] += 1
    k1 = np.uint64(0x9E3779B97F4A7C15)
    k2 = np.uint64(0xC2B2AE3D27D4EB4F)
    owner = np.empty(count, dtype=np.int64)
    ends = np.empty(nparts, dtype=np.int64)
    ends[:] = 0
    for c in range(count):
        r = first[c]
        h = np.uint64(a[r]) * k1 + np.uint64(b[r]) * k2
        p = np.int64((h >> np.uint64(32)) % np.uint64(nparts))
        owner[c] = p
        ends[p] += 1
    cursor = _run_starts(ends)
    order = np.empty(count, dtype=np.int64)
    rows = np.empty(3 * count, dtype=np.int64)
    for c in range(count):
        p = owner[c]
        k = cursor[p]
        cursor[p] += 1
        order[k] = c
        start = ends[p - 1] if p > 0 else 0
        width = ends[p] - start
        at = 3 * start + (k - start)
        r = first[c]
        rows[at] = a[r]
        rows[at + width] = b[r]
        rows[at + 2 * width] = counts[c]
    return codes, order, rows, ends


@jit(nogil=True)
def _number_rows(
    a: np.ndarray, b: np.ndarray, count_of: np.ndarray, slots: int, base: int, alone_bit: int
) -> tuple[np.ndarray, int, int, int]:
    """The new label of every pair row a numbering partition received, and its counts.

    Rows are the pairs ``(a, b)`` (``b < 0``: the pair's ``g`` is final)
    with the number of states ``count_of`` that each sender has of them.
    A block is a distinct pair, its id ``base | local`` (first
    occurrence); ``alone_bit`` is set where the block is one state, and
    the id is stored as ``~id`` where the block leaves (one state, or
    ``g`` final). Returns the per-row labels, the blocks, the leaving
    blocks and the states that stay.
    """
    ids, first, count = _pair_ids(a, b, slots)
    m = a.shape[0]
    sizes = np.empty(count, dtype=np.int64)
    sizes[:] = 0
    final = np.empty(count, dtype=np.bool_)
    final[:] = False
    for i in range(m):
        c = ids[i]
        sizes[c] += count_of[i]
        if b[i] < 0:
            final[c] = True
    label = np.empty(count, dtype=np.int64)
    leaving = 0
    staying = 0
    for c in range(count):
        v = base | c
        alone = sizes[c] == 1
        if alone:
            v |= alone_bit
        if alone or final[c]:
            v = ~v
            leaving += 1
        else:
            staying += sizes[c]
        label[c] = v
    new = np.empty(m, dtype=np.int64)
    for i in range(m):
        new[i] = label[ids[i]]
    return new, count, leaving, staying


@jit(nogil=True)
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


@jit(nogil=True)
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
    if active.shape[0] == n:
        # Every state is active (distinct positions): its label and pointer
        # are written below, so only the flags are copied.
        for i in range(n):
            final2[i] = final[i]
    else:
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
