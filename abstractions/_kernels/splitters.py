"""Coarsest stable refinement of a transition relation, by splitters.

One kernel serves the three kinds of :class:`~abstractions.TransitionSystem`
(the wrapper in :mod:`abstractions.systems` encodes each kind as weighted
predecessor lists):

* mode 0, "exists" (nondeterministic: bisimulation): a state's signature for
  a block is whether it has a successor there;
* mode 1, "sum" of int64 weights, optionally modulo a prime (labelled
  deterministic systems: one bit per symbol; exact Markov chains: integer
  numerators over a common denominator);
* mode 2, "sum" of float64 weights, compared after rounding to multiples of
  a tolerance (floating-point Markov chains).

The algorithm is Paige and Tarjan's (1987), with Valmari and Franceschinis'
weighted keys (2010) for the sum modes. Blocks are grouped into
*constellations*; every block is stable with respect to every constellation.
A constellation of several blocks gives up its smaller first-or-second block
``B`` as a splitter, so a state is in a splitter at most ``log2 n`` times
and the work is O(m log n) plus the sorting of the keys within a block.
Against ``B`` and ``C \\ B`` (``C`` the old constellation) a block splits by
its states' key for ``B``:

* sum modes: ``w(s, B)`` alone; ``w(s, C \\ B) = w(s, C) - w(s, B)`` is then
  fixed, since ``w(s, C)`` is the same in the whole block;
* exists mode: whether ``s`` still has successors in ``C \\ B``, known from
  a per-(state, constellation) count of transitions ("records"): the count
  for ``C`` minus the count for ``B``.

Untouched states (no transition into ``B``) have key 0 and keep the block's
id, so the cost of a split is paid by the touched states only.
"""

from __future__ import annotations

import numpy as np

from abstractions._kernels._jit import jit

__all__ = ["_coarsest_stable", "_predecessors_by_block", "arena_size"]

#: Regions of touched states up to this size are sorted in place by
#: insertion sort: most regions hold one or two states, and gathering
#: their keys would cost more than the sort.
_SMALL = 16

#: Index arrays of ``n`` entries that :func:`_coarsest_stable` takes from its
#: arena in every mode (mode 0 takes ``3 n + 2 (n + 2 m) + m`` more).
_SLOTS = 15


def arena_size(n: int, m: int, mode: int) -> int:
    """Entries of :func:`_coarsest_stable`'s index arena for ``n`` states, ``m`` transitions."""
    return _SLOTS * n + (3 * n + 2 * (n + 2 * m) + m if mode == 0 else 0)


@jit
def _predecessors_by_block(
    indptr: np.ndarray, targets: np.ndarray, wi: np.ndarray, wf: np.ndarray, mode: int,
    labels: np.ndarray, k: int, pindptr: np.ndarray, psrc: np.ndarray, pwi: np.ndarray,
    pwf: np.ndarray, rank: np.ndarray, grouped: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """Predecessor lists of a CSR relation, its states renumbered block by block.

    State ``s`` becomes ``rank[s]``: the states of block 0 first, then
    those of block 1, ..., each block in the order of the old numbers (a
    counting sort of ``labels``, ``k`` blocks), and ``grouped[rank[s]] =
    labels[s]``. In the new numbers the transitions into ``t`` are
    ``pindptr[t]:pindptr[t+1]``, with source ``psrc[j]`` and the weight
    ``pwi[j]`` (mode 1) or ``pwf[j]`` (mode 2) of the transition, listed by
    old source number.

    Why renumber: :func:`_coarsest_stable` walks a splitter block's states
    and their predecessor lists. With each block's states numbered
    together, those lists lie side by side in memory, where a real model's
    first blocks are scattered across its numbering (tandem at 10^6 states
    enters the kernel with 13,400 blocks in 509,016 runs of consecutive
    states). The kernel took 180-228 -> 96-115 ms on tandem and 87-140 ->
    50-65 ms on crowds; cluster 216-309 -> 225-280 ms (``python -m
    benchmarks.kernels``, the stormpy models at 10^6 states). The
    renumbering keeps the order within each block and of every list, so the
    kernel does the same work in the same order, and its partition is the
    same up to the numbering.

    The caller makes the arrays, by numpy (huge pages): ``pindptr``
    (``max(n, k) + 1`` int64; the first ``n + 1`` are returned), ``psrc``
    (``m`` of the index dtype), ``pwi`` (``m`` int64 in mode 1, else
    empty), ``pwf`` (``m`` float64 in mode 2, else empty), ``rank`` and
    ``grouped`` (``n`` int64). Returns ``(pindptr, psrc, pwi, pwf, rank,
    grouped)``.
    """
    n = indptr.shape[0] - 1
    m = targets.shape[0]
    # A counting sort of the states by block, pindptr serving first as
    # each block's fill cursor.
    for b in range(k + 1):
        pindptr[b] = 0
    for s in range(n):
        pindptr[labels[s] + 1] += 1
    for b in range(k):
        pindptr[b + 1] += pindptr[b]
    for s in range(n):
        b = labels[s]
        r = pindptr[b]
        rank[s] = r
        grouped[r] = b
        pindptr[b] = r + 1
    pindptr[:] = 0
    for j in range(m):
        pindptr[rank[targets[j]] + 1] += 1
    for t in range(n):
        pindptr[t + 1] += pindptr[t]
    # pindptr[t] serves as t's fill cursor, so it ends at t + 1's start:
    # one shift puts the starts back, where a copy of cursors would be
    # another array to fault in. The weights go straight to their place
    # (no array of transition indices, no gather afterwards).
    for s in range(n):
        rs = rank[s]
        for j in range(indptr[s], indptr[s + 1]):
            t = rank[targets[j]]
            q = pindptr[t]
            psrc[q] = rs
            if mode == 1:
                pwi[q] = wi[j]
            elif mode == 2:
                pwf[q] = wf[j]
            pindptr[t] = q + 1
    for t in range(n, 0, -1):
        pindptr[t] = pindptr[t - 1]
    pindptr[0] = 0
    return pindptr[: n + 1], psrc, pwi, pwf, rank, grouped


@jit
def _sort_region(
    elems: np.ndarray, pos: np.ndarray, keys: np.ndarray, lo: int, r: int,
    kk: np.ndarray, ee: np.ndarray,
) -> None:
    """Sort ``elems[lo:lo+r]`` by descending key (not stably) and update ``pos``.

    ``kk`` and ``ee`` are scratch of at least ``r`` entries. Larger regions
    are sorted there as (key, state) pairs, contiguous rather than chased
    through ``keys[elems[j]]``, by heapsort: O(r log r) whatever the keys,
    in one loop and no allocation. (``np.argsort`` cost seconds of
    compilation, more than the rest of the kernel's sorting ever runs.)
    """
    if r <= _SMALL:
        for i in range(lo + 1, lo + r):
            s = elems[i]
            key = keys[s]
            j = i - 1
            while j >= lo and keys[elems[j]] < key:
                elems[j + 1] = elems[j]
                j -= 1
            elems[j + 1] = s
    else:
        for i in range(r):
            s = elems[lo + i]
            ee[i] = s
            kk[i] = keys[s]
        # A min-heap: built bottom-up (the first ``half`` rounds), then its
        # least key is swapped to the end of the shrinking heap (the rest),
        # which leaves the keys in descending order. Each round sifts one
        # entry down from ``root`` within the first ``size`` entries.
        half = r // 2
        for it in range(half + r - 1):
            if it < half:
                root = half - 1 - it
                size = r
            else:
                size = r - 1 - (it - half)
                key = kk[0]
                kk[0] = kk[size]
                kk[size] = key
                s = ee[0]
                ee[0] = ee[size]
                ee[size] = s
                root = 0
            key = kk[root]
            s = ee[root]
            while True:
                child = 2 * root + 1
                if child >= size:
                    break
                if child + 1 < size and kk[child + 1] < kk[child]:
                    child += 1
                if kk[child] >= key:
                    break
                kk[root] = kk[child]
                ee[root] = ee[child]
                root = child
            kk[root] = key
            ee[root] = s
        for i in range(r):
            elems[lo + i] = ee[i]
    for i in range(lo, lo + r):
        pos[elems[i]] = i


@jit
def _coarsest_stable(
    pindptr: np.ndarray,
    psrc: np.ndarray,
    wi: np.ndarray,
    wf: np.ndarray,
    mode: int,
    modulus: int,
    inv_tol: float,
    labels: np.ndarray,
    k: int,
    within: np.ndarray,
    arena: np.ndarray,
    wide: np.ndarray,
    accf: np.ndarray,
) -> tuple[np.ndarray, int]:
    """Coarsest refinement of ``labels`` (``k`` blocks) stable under the relation.

    ``pindptr``/``psrc`` are the predecessor lists; ``wi`` (mode 1) or ``wf``
    (mode 2) the weight of each predecessor entry; ``modulus`` > 0 makes mode
    1 sum modulo that prime; ``inv_tol`` scales mode 2 sums before rounding.
    ``within[b]`` is the constellation of block ``b`` (ids ``0 ..``): a
    coarser partition, as every block must already be stable with respect
    to every constellation (the last two partitions of signature rounds
    are such a pair; so are the blocks and the whole set, after a split by
    each state's key for the whole set). Returns block ids per state (not
    canonical; a view of ``arena``) and the number of blocks.

    The scratch comes from the caller, in three numpy arrays:

    * ``arena``, the index arrays: ``arena_size(n, m, mode)`` entries of
      the index dtype (int32 halves the memory traffic while every index
      fits);
    * ``wide``: ``2 n + 1`` int64 (block sizes, then the keys);
    * ``accf``: ``n`` float64 sums in mode 2, else empty.

    numpy gives large arrays huge pages, where arrays made here would fault
    in 4 KB at a time: some 9,000 faults in one solve of crowds at 10^6
    states, against 600-1,300.
    """
    n = labels.shape[0]
    m = psrc.shape[0]

    # Blocks: states grouped by block in elems; block b is
    # elems[bstart[b]:bend[b]].
    count = wide[: k + 1]
    count[:] = 0
    for s in range(n):
        count[labels[s] + 1] += 1
    for b in range(k):
        count[b + 1] += count[b]
    bstart = arena[0 * n : 1 * n]
    bend = arena[1 * n : 2 * n]
    for b in range(k):
        bstart[b] = count[b]
        bend[b] = count[b + 1]
    elems = arena[2 * n : 3 * n]
    pos = arena[3 * n : 4 * n]
    blk = arena[4 * n : 5 * n]
    for s in range(n):
        b = labels[s]
        p = count[b]
        elems[p] = s
        pos[s] = p
        blk[s] = b
        count[b] = p + 1
    nb = k

    # Constellations: singly linked lists of blocks; a stack of those with
    # two blocks or more (each is on it at most once at a time).
    cons = arena[5 * n : 6 * n]
    cons[:] = 0
    bnext = arena[6 * n : 7 * n]
    chead = arena[7 * n : 8 * n]
    chead[:] = -1
    ccount = arena[8 * n : 9 * n]
    ccount[:] = 0
    ncons = 0
    for b in range(k - 1, -1, -1):
        c = within[b]
        ncons = max(ncons, c + 1)
        cons[b] = c
        bnext[b] = chead[c]
        chead[c] = b
        ccount[c] += 1
    stack = arena[9 * n : 10 * n]
    instack = arena[10 * n : 11 * n]  # 0 or 1
    instack[:] = 0
    top = 0
    for c in range(ncons):
        if ccount[c] > 1:
            stack[top] = c
            instack[c] = 1
            top += 1

    stamp = arena[11 * n : 12 * n]
    stamp[:] = -1

    # Exists mode: a record per (state, constellation) with transitions
    # into it, holding their number; rec[j] is the record of entry j.
    # Records in use never exceed m, plus at most m emptied ones awaiting
    # release in one splitter (and n + 2m is what the int32 witness allows).
    if mode == 0:
        cap = n + 2 * m
        # After the common slots: cur, oldr, newr (n each), rcount and free
        # (cap each), rec (m).
        base = _SLOTS * n
        cur = arena[base : base + n]
        rcount = arena[base + 3 * n : base + 3 * n + cap]
        rcount[:] = 0
        rec = arena[base + 3 * n + 2 * cap : base + 3 * n + 2 * cap + m]
        used = 0
        for c in range(ncons):
            b = chead[c]
            while b >= 0:
                for p in range(bstart[b], bend[b]):
                    t = elems[p]
                    for j in range(pindptr[t], pindptr[t + 1]):
                        s = psrc[j]
                        if stamp[s] != c:
                            stamp[s] = c
                            cur[s] = used
                            used += 1
                        rec[j] = cur[s]
                        rcount[cur[s]] += 1
                b = bnext[b]
        for s in range(n):
            stamp[s] = -1
        free = arena[base + 3 * n + cap : base + 3 * n + 2 * cap]
        # The unused records, the lowest on top of the stack.
        nfree = cap - used
        for i in range(nfree):
            free[i] = cap - 1 - i
    else:
        base = 0
        rcount = arena[:0]
        rec = arena[:0]
        free = arena[:0]
        nfree = 0

    # Scratch of the other modes stays empty (set before use, never read stale).
    # acci shares ``count``'s room: the sizes are read before the first split.
    acci = wide[: n if mode == 1 else 0]
    oldr = arena[base + n : base + 2 * n] if mode == 0 else arena[:0]
    newr = arena[base + 2 * n : base + 3 * n] if mode == 0 else arena[:0]
    touched = arena[12 * n : 13 * n]
    keys = wide[n + 1 : 2 * n + 1]
    keys[:] = 0
    bmark = arena[13 * n : 14 * n]
    bmark[:] = 0
    tblocks = arena[14 * n : 15 * n]
    # Sorting scratch, grown to the largest region sorted (as much as a
    # sort allocating its own would need at its peak).
    sort_keys = np.empty(64, dtype=np.int64)
    sort_elems = np.empty(64, dtype=arena.dtype)

    rnd = 0
    while top > 0:
        c = stack[top - 1]
        b1 = chead[c]
        b2 = bnext[b1]
        if bend[b1] - bstart[b1] <= bend[b2] - bstart[b2]:
            sp = b1
            chead[c] = b2
        else:
            sp = b2
            bnext[b1] = bnext[b2]
        ccount[c] -= 1
        if ccount[c] < 2:
            top -= 1
            instack[c] = 0
        nc = ncons
        ncons += 1
        cons[sp] = nc
        chead[nc] = sp
        bnext[sp] = -1
        ccount[nc] = 1

        # Accumulate the key of every predecessor of the splitter.
        rnd += 1
        nt = 0
        for p in range(bstart[sp], bend[sp]):
            t = elems[p]
            for j in range(pindptr[t], pindptr[t + 1]):
                s = psrc[j]
                if stamp[s] != rnd:
                    stamp[s] = rnd
                    touched[nt] = s
                    nt += 1
                    if mode == 0:
                        nfree -= 1
                        r = free[nfree]
                        rcount[r] = 0
                        newr[s] = r
                        oldr[s] = rec[j]
                    elif mode == 1:
                        acci[s] = 0
                    else:
                        accf[s] = 0.0
                if mode == 0:
                    r = newr[s]
                    rcount[r] += 1
                    rcount[rec[j]] -= 1
                    rec[j] = r
                elif mode == 1:
                    if modulus > 0:
                        acci[s] = (acci[s] + wi[j]) % modulus
                    else:
                        acci[s] += wi[j]
                else:
                    accf[s] += wf[j]
        for i in range(nt):
            s = touched[i]
            if mode == 0:
                o = oldr[s]
                if rcount[o] == 0:
                    # Only into B: the record for C \ B is empty, release it.
                    keys[s] = 1
                    free[nfree] = o
                    nfree += 1
                else:
                    keys[s] = 2
            elif mode == 1:
                keys[s] = acci[s]
            else:
                keys[s] = np.int64(np.floor(accf[s] * inv_tol + 0.5))

        # Move the touched states to the front of their blocks.
        ntb = 0
        for i in range(nt):
            s = touched[i]
            b = blk[s]
            if bmark[b] == 0:
                tblocks[ntb] = b
                ntb += 1
            q = bstart[b] + bmark[b]
            u = elems[q]
            ps = pos[s]
            elems[q] = s
            pos[s] = q
            elems[ps] = u
            pos[u] = ps
            bmark[b] += 1

        # Split each touched block into runs of equal key. The run of the
        # smallest key joins the untouched states when that key is 0; the
        # last part keeps the block's id, so untouched states never move.
        for i in range(ntb):
            b = tblocks[i]
            r = bmark[b]
            bmark[b] = 0
            lo = bstart[b]
            hi = bend[b]
            if r == hi - lo and r == 1:
                continue
            # Real models mostly give the touched states of a block one
            # key (say, probability 1 into the splitter): then the region
            # is already sorted.
            first_key = keys[elems[lo]]
            mixed = False
            for p in range(lo + 1, lo + r):
                if keys[elems[p]] != first_key:
                    mixed = True
                    break
            if mixed:
                if r > sort_keys.shape[0]:
                    sort_keys = np.empty(np.int64(r), dtype=np.int64)
                    sort_elems = np.empty(np.int64(r), dtype=arena.dtype)
                _sort_region(elems, pos, keys, lo, r, sort_keys, sort_elems)
            kept = lo + r
            last = lo + r - 1
            start = last
            while start > lo and keys[elems[start - 1]] == keys[elems[last]]:
                start -= 1
            if kept == hi or keys[elems[last]] == 0:
                kept = start
            if kept == lo:
                continue
            c = cons[b]
            a = lo
            while a < kept:
                e = a + 1
                key = keys[elems[a]]
                while e < kept and keys[elems[e]] == key:
                    e += 1
                nbk = nb
                nb += 1
                bstart[nbk] = a
                bend[nbk] = e
                for p in range(a, e):
                    blk[elems[p]] = nbk
                cons[nbk] = c
                bnext[nbk] = bnext[b]
                bnext[b] = nbk
                ccount[c] += 1
                a = e
            bstart[b] = kept
            if ccount[c] >= 2 and instack[c] == 0:
                stack[top] = c
                top += 1
                instack[c] = 1
    return blk, nb
