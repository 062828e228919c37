"""Two-level refinement of a Markov decision process in one compiled call.

The kernel runs the incremental signature refinement of
:mod:`abstractions._engine.choice_refine` (its numpy rounds are the
reference) as a worklist, so that a refinement needing thousands of rounds
pays no per-round overhead:

* the states are kept grouped by block (``elems``, with ``pos`` and each
  block's range), and a round's dirty states are swapped to the end of
  their block, so a *clean* member (the block's representative) is the
  first one and a block's clean states stay one range;
* a state's signature is the set of its choices' ``(action, block
  distribution)``: each choice's transitions are sorted by target block
  and merged (int64 numerators added; or floats added in transition order
  and rounded to a multiple of the tolerance, zeros dropped, as
  :func:`~abstractions._engine.choices.choice_rows` does), hashed, and the
  state's sorted distinct choice hashes hashed into a state hash;
* a block's dirty states and its representative are sorted by state hash
  and grouped; within equal hashes, every state is compared *exactly*
  (choice by choice, row by row) with the group's exemplars, so a hash
  collision splits nothing wrongly and merges nothing;
* the largest part keeps the block's id, the others get new ids (all but
  the largest move, as in Hopcroft's algorithm), and the predecessors of
  the states that moved are the next round's dirty states.

All work of a round is proportional to the dirty states, the
representatives and their transitions: nothing scans all states or blocks.
Signatures of a round are all computed before any block of the round is
split, so they see the same labels (as the numpy rounds do).
"""

from __future__ import annotations

import numpy as np

from abstractions._kernels._jit import jit

__all__ = ["_choice_refine"]

#: Runs up to this long are sorted by insertion, longer ones by heapsort.
_SMALL = 16

_K1 = np.uint64(0x9E3779B97F4A7C15)
_K2 = np.uint64(0xC2B2AE3D27D4EB4F)
_LOW = 0x7FFFFFFFFFFFFFFF


# The helpers are not inlined by numba (``inline="always"``), which types
# and compiles them again at each call site: numba links them into the
# kernel, where LLVM inlines the small ones all the same. That saved 1 s of
# ``_choice_refine``'s 5 s compilation; the firewire MDP (212,268 states)
# solves no slower (0.35-0.40 s either way, side by side).
@jit(wrapper=False)
def _mix(z: np.uint64) -> np.uint64:
    """SplitMix64's finaliser: a bijection of 64-bit words that avalanches."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@jit(wrapper=False)
def _insert_pairs(kv: np.ndarray, idx: np.ndarray, lo: int, hi: int) -> None:
    """Sort ``(kv[x], idx[x])`` for ``lo <= x < hi`` by ``kv``, stably: short runs.

    Call-free, so that LLVM inlines it: a call with array arguments costs
    more than sorting the one or two entries most runs have.
    """
    for i in range(lo + 1, hi):
        key = kv[i]
        e = idx[i]
        j = i - 1
        while j >= lo and kv[j] > key:
            kv[j + 1] = kv[j]
            idx[j + 1] = idx[j]
            j -= 1
        kv[j + 1] = key
        idx[j + 1] = e


@jit(wrapper=False)
def _heap_pairs(kv: np.ndarray, idx: np.ndarray, lo: int, hi: int) -> None:
    """Sort ``(kv[x], idx[x])`` for ``lo <= x < hi`` by ``kv`` (not stably): long runs.

    A heapsort, as :func:`abstractions._kernels.splitters._sort_region`:
    O(r log r), no allocation, and no ``np.argsort`` (seconds of compilation).
    """
    r = hi - lo
    # A max-heap on kv[lo:hi]: built bottom-up, then its greatest entry is
    # swapped to the end of the shrinking heap; one sift per round.
    half = r // 2
    for it in range(half + r - 1):
        if it < half:
            root = half - 1 - it
            size = r
        else:
            size = r - 1 - (it - half)
            key = kv[lo]
            kv[lo] = kv[lo + size]
            kv[lo + size] = key
            e = idx[lo]
            idx[lo] = idx[lo + size]
            idx[lo + size] = e
            root = 0
        key = kv[lo + root]
        e = idx[lo + root]
        while True:
            child = 2 * root + 1
            if child >= size:
                break
            if child + 1 < size and kv[lo + child + 1] > kv[lo + child]:
                child += 1
            if kv[lo + child] <= key:
                break
            kv[lo + root] = kv[lo + child]
            idx[lo + root] = idx[lo + child]
            root = child
        kv[lo + root] = key
        idx[lo + root] = e


@jit(wrapper=False)
def _same_set(
    i1: int,
    i2: int,
    item_choff: np.ndarray,
    cord: np.ndarray,
    ch_hash: np.ndarray,
    ch_act: np.ndarray,
    ch_ro: np.ndarray,
    ch_rl: np.ndarray,
    row_blk: np.ndarray,
    row_val: np.ndarray,
) -> bool:
    """Whether every choice of item ``i1`` is matched exactly by one of ``i2``.

    The items' choices are ``cord[item_choff[i]:item_choff[i+1]]``, sorted
    by hash, so a choice is looked for among the run of equal hashes only.
    Inlined and call-free (see :func:`_insert_pairs`).
    """
    y = item_choff[i2]
    end2 = item_choff[i2 + 1]
    for x in range(item_choff[i1], item_choff[i1 + 1]):
        c1 = cord[x]
        h = ch_hash[c1]
        while y < end2 and ch_hash[cord[y]] < h:
            y += 1
        found = False
        z = y
        while z < end2 and ch_hash[cord[z]] == h:
            c2 = cord[z]
            z += 1
            if ch_act[c1] != ch_act[c2] or ch_rl[c1] != ch_rl[c2]:
                continue
            r1 = ch_ro[c1]
            r2 = ch_ro[c2]
            equal = True
            for t in range(ch_rl[c1]):
                if row_blk[r1 + t] != row_blk[r2 + t] or row_val[r1 + t] != row_val[r2 + t]:
                    equal = False
                    break
            if equal:
                found = True
                break
        if not found:
            return False
    return True


@jit
def _choice_refine(
    sptr: np.ndarray,
    cptr: np.ndarray,
    targets: np.ndarray,
    wi: np.ndarray,
    wf: np.ndarray,
    mode: int,
    inv_tol: float,
    action: np.ndarray,
    labels_in: np.ndarray,
    k: int,
) -> tuple[np.ndarray, int]:
    """The least complete partition of an MDP above ``labels_in`` (``k`` blocks).

    The choices of state ``s`` are ``sptr[s]:sptr[s+1]``; the transitions
    of choice ``c`` are ``cptr[c]:cptr[c+1]``, to ``targets``, with action
    ``action[c]``. Mode 0: int64 weights ``wi`` added exactly (the caller
    has checked that no sum overflows); mode 1: float64 weights ``wf``
    added and rounded to multiples of ``1 / inv_tol``. ``labels_in`` must
    use the ids ``0 .. k-1``. Returns ``(labels, k)``, not canonical.
    """
    n = sptr.shape[0] - 1
    nc = cptr.shape[0] - 1
    m = targets.shape[0]
    labels = labels_in.copy()
    # Predecessor lists (with repeats: the dirty flags absorb them).
    pptr = np.empty(n + 1, dtype=np.int64)
    pptr[:] = 0
    for j in range(m):
        pptr[targets[j] + 1] += 1
    for t in range(n):
        pptr[t + 1] += pptr[t]
    fill = np.empty(n + 1, dtype=np.int64)
    for t in range(n + 1):
        fill[t] = pptr[t]
    pred = np.empty(m, dtype=np.int64)
    for s in range(n):
        for c in range(sptr[s], sptr[s + 1]):
            for j in range(cptr[c], cptr[c + 1]):
                t = targets[j]
                pred[fill[t]] = s
                fill[t] += 1
    # States grouped by block (counting sort on the label).
    bstart = np.empty(n + 1, dtype=np.int64)
    bend = np.empty(n + 1, dtype=np.int64)
    bstart[:] = 0
    for s in range(n):
        bstart[labels[s] + 1] += 1
    for b in range(k):
        bstart[b + 1] += bstart[b]
    for b in range(k):
        bend[b] = bstart[b]
    elems = np.empty(n, dtype=np.int64)
    pos = np.empty(n, dtype=np.int64)
    for s in range(n):
        b = labels[s]
        elems[bend[b]] = s
        pos[s] = bend[b]
        bend[b] += 1
    # Worklist and per-round scratch (a round holds each state once).
    dirty = np.empty(n, dtype=np.bool_)
    dirty[:] = True
    queue = np.empty(n, dtype=np.int64)
    nxt = np.empty(n, dtype=np.int64)
    for s in range(n):
        queue[s] = s
    nq = n
    bnd = np.empty(n + 1, dtype=np.int64)
    bnd[:] = 0
    blist = np.empty(n + 1, dtype=np.int64)
    bitems = np.empty(n + 2, dtype=np.int64)
    item_state = np.empty(n, dtype=np.int64)
    item_w = np.empty(n, dtype=np.int64)
    item_hash = np.empty(n, dtype=np.uint64)
    item_choff = np.empty(n + 1, dtype=np.int64)
    ch_hash = np.empty(nc, dtype=np.uint64)
    ch_act = np.empty(nc, dtype=np.int64)
    ch_ro = np.empty(nc, dtype=np.int64)
    ch_rl = np.empty(nc, dtype=np.int64)
    cord = np.empty(nc, dtype=np.int64)
    ckey = np.empty(nc, dtype=np.uint64)
    row_blk = np.empty(m, dtype=np.int64)
    row_val = np.empty(m, dtype=np.int64)
    # one choice's transitions at a time, from position 0 (kept in cache)
    longest = 1
    for c in range(nc):
        longest = max(longest, cptr[c + 1] - cptr[c])
    tkey = np.empty(longest, dtype=np.uint64)
    tidx = np.empty(longest, dtype=np.int64)
    ikey = np.empty(n, dtype=np.uint64)
    iord = np.empty(n, dtype=np.int64)
    part_of = np.empty(n, dtype=np.int64)
    ex = np.empty(n, dtype=np.int64)
    psize = np.empty(n, dtype=np.int64)
    pstart = np.empty(n, dtype=np.int64)
    pfill = np.empty(n, dtype=np.int64)
    while nq > 0:
        # Dirty states to the end of their blocks; the blocks of the round.
        nb = 0
        for i in range(nq):
            s = queue[i]
            b = labels[s]
            if bnd[b] == 0:
                blist[nb] = b
                nb += 1
            p = bend[b] - 1 - bnd[b]
            q = pos[s]
            t = elems[p]
            elems[p] = s
            pos[s] = p
            elems[q] = t
            pos[t] = q
            bnd[b] += 1
        # The round's items, block by block: the representative (standing
        # for the block's clean states) first, then the dirty states.
        ni = 0
        for bi in range(nb):
            b = blist[bi]
            bitems[bi] = ni
            d = bnd[b]
            size = bend[b] - bstart[b]
            if size == 1:
                continue  # a single state: stable for good
            if d < size:
                item_state[ni] = elems[bstart[b]]
                item_w[ni] = size - d
                ni += 1
            for p in range(bend[b] - d, bend[b]):
                item_state[ni] = elems[p]
                item_w[ni] = 1
                ni += 1
        bitems[nb] = ni
        # Every item's signature, under the labels of the round's start.
        nch = 0
        nr = 0
        for i in range(ni):
            s = item_state[i]
            item_choff[i] = nch
            for c in range(sptr[s], sptr[s + 1]):
                lo = cptr[c]
                hi = cptr[c + 1]
                for j in range(lo, hi):
                    tkey[j - lo] = np.uint64(labels[targets[j]])
                    tidx[j - lo] = j
                hi -= lo
                lo = 0  # (the positions are now local)
                if hi <= _SMALL:
                    _insert_pairs(tkey, tidx, lo, hi)
                else:
                    _heap_pairs(tkey, tidx, lo, hi)
                h = _mix(np.uint64(action[c] & _LOW) + _K2)
                ch_ro[nch] = nr
                x = lo
                while x < hi:
                    bl = np.int64(tkey[x])
                    y = x + 1
                    while y < hi and tkey[y] == tkey[x]:
                        y += 1
                    if mode == 0:
                        v = np.int64(0)
                        for z in range(x, y):
                            v += wi[tidx[z]]
                    else:
                        if hi - lo > _SMALL:
                            # the heapsort is not stable: add in transition order,
                            # as the numpy reference does (the run's keys are spent)
                            for z in range(x, y):
                                tkey[z] = np.uint64(tidx[z])
                            if y - x <= _SMALL:
                                _insert_pairs(tkey, tidx, x, y)
                            else:
                                _heap_pairs(tkey, tidx, x, y)
                        f = 0.0
                        for z in range(x, y):
                            f += wf[tidx[z]]
                        v = np.int64(np.floor(f * inv_tol + 0.5))
                    x = y
                    if mode != 0 and v == 0:
                        continue
                    row_blk[nr] = bl
                    row_val[nr] = v
                    nr += 1
                    h = _mix((h ^ np.uint64(bl)) * _K1)
                    h = _mix((h ^ np.uint64(v & _LOW)) * _K2)
                ch_rl[nch] = nr - ch_ro[nch]
                ch_act[nch] = action[c]
                ch_hash[nch] = h
                ckey[nch] = h
                cord[nch] = nch
                nch += 1
            if nch - item_choff[i] <= _SMALL:
                _insert_pairs(ckey, cord, item_choff[i], nch)
            else:
                _heap_pairs(ckey, cord, item_choff[i], nch)
            hs = np.uint64(0x2545F4914F6CDD1D)
            for x in range(item_choff[i], nch):
                if x == item_choff[i] or ckey[x] != ckey[x - 1]:
                    hs = _mix((hs ^ ckey[x]) * _K1)
            item_hash[i] = hs
        item_choff[ni] = nch
        for i in range(nq):
            dirty[queue[i]] = False
        nq2 = 0
        # Split each block of the round by its items' signatures.
        for bi in range(nb):
            b = blist[bi]
            a = bitems[bi]
            e = bitems[bi + 1]
            d = bnd[b]
            bnd[b] = 0
            if e - a < 2:
                continue
            has_rep = d < bend[b] - bstart[b]
            uniform = True
            for x in range(a, e):
                ikey[x] = item_hash[x]
                iord[x] = x
                uniform = uniform and ikey[x] == ikey[a]
            # Most blocks do not split: then the items stay in their order,
            # which reads their signatures from the scratch arrays in order.
            if uniform:
                pass
            elif e - a <= _SMALL:
                _insert_pairs(ikey, iord, a, e)
            else:
                _heap_pairs(ikey, iord, a, e)
            n_parts = 0
            run = 0
            for x in range(a, e):
                i = iord[x]
                if x == a or ikey[x] != ikey[x - 1]:
                    run = n_parts
                match = -1
                for p in range(run, n_parts):
                    j = ex[p]
                    # Equal sets. Fast path: the same choices position by position
                    # (both lists are sorted by hash); else each within the other.
                    same = True
                    c0 = item_choff[i]
                    c1 = item_choff[j]
                    if item_choff[i + 1] - c0 == item_choff[j + 1] - c1:
                        for x2 in range(item_choff[i + 1] - c0):
                            u = cord[c0 + x2]
                            w = cord[c1 + x2]
                            if ch_hash[u] != ch_hash[w] or ch_act[u] != ch_act[w]:
                                same = False
                            elif ch_rl[u] != ch_rl[w]:
                                same = False
                            else:
                                for t2 in range(ch_rl[u]):
                                    if (
                                        row_blk[ch_ro[u] + t2] != row_blk[ch_ro[w] + t2]
                                        or row_val[ch_ro[u] + t2] != row_val[ch_ro[w] + t2]
                                    ):
                                        same = False
                                        break
                            if not same:
                                break
                    else:
                        same = False
                    if same:
                        match = p
                        break
                    same = True
                    for way in range(2):
                        if not _same_set(
                            i if way == 0 else j,
                            j if way == 0 else i,
                            item_choff,
                            cord,
                            ch_hash,
                            ch_act,
                            ch_ro,
                            ch_rl,
                            row_blk,
                            row_val,
                        ):
                            same = False
                            break
                    if same:
                        match = p
                        break
                if match < 0:
                    match = n_parts
                    ex[match] = i
                    psize[match] = 0
                    n_parts += 1
                part_of[i] = match
                psize[match] += item_w[i]
            if n_parts == 1:
                continue
            largest = 0
            for p in range(1, n_parts):
                if psize[p] > psize[largest]:
                    largest = p
            rep_part = part_of[a] if has_rep else -1
            clean = bend[b] - bstart[b] - d
            cursor = bstart[b]
            if has_rep:
                pstart[rep_part] = cursor
                pfill[rep_part] = cursor + clean
                cursor += psize[rep_part]
            for p in range(n_parts):
                if p != rep_part:
                    pstart[p] = cursor
                    pfill[p] = cursor
                    cursor += psize[p]
            # the dirty states (a permutation of the block's tail) by part
            for i in range(a + 1 if has_rep else a, e):
                s = item_state[i]
                p = part_of[i]
                elems[pfill[p]] = s
                pos[s] = pfill[p]
                pfill[p] += 1
            for p in range(n_parts):
                if p == largest:
                    bstart[b] = pstart[p]
                    bend[b] = pstart[p] + psize[p]
                    continue
                nid = k
                k += 1
                bstart[nid] = pstart[p]
                bend[nid] = pstart[p] + psize[p]
                for x in range(bstart[nid], bend[nid]):
                    s = elems[x]
                    labels[s] = nid
                    for y in range(pptr[s], pptr[s + 1]):
                        t = pred[y]
                        if not dirty[t] and bend[labels[t]] - bstart[labels[t]] > 1:
                            # (a single state's block never splits: left out)
                            dirty[t] = True
                            nxt[nq2] = t
                            nq2 += 1
        queue, nxt = nxt, queue
        nq = nq2
    return labels, k
