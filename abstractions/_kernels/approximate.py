"""Kernels of the approximate notions: plurality tables, first mismatches, lumpability rows."""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import types
from numba.typed import Dict

from abstractions._kernels._jit import jit
from abstractions._kernels.steps import _sort_ints

__all__ = [
    "_first_mismatch", "_function_greedy", "_function_profile", "_lumping_defect", "_plurality",
    "_tv_group_errors",
]

#: Up to this many (block, block) cells the pairs are counted in one flat
#: table (16 bytes a cell: it stays in the last-level cache); beyond it the
#: states are bucketed by block first.
_FLAT_CELLS = 1 << 20


@jit
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
    best = np.empty(k, dtype=np.int64)
    best[:] = -1
    total = np.empty(k, dtype=np.float64)
    total[:] = 0.0
    top = np.empty(k, dtype=np.float64)
    top[:] = 0.0
    if k * k <= _FLAT_CELLS:
        count = np.empty(k * k, dtype=np.int64)
        count[:] = 0
        mass = np.empty(k * k if weighted else 0, dtype=np.float64)
        mass[:] = 0.0
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
    start = np.empty(k + 1, dtype=np.int64)
    start[:] = 0
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
    count_row = np.empty(k, dtype=np.int64)
    count_row[:] = 0
    mass_row = np.empty(k if weighted else 0, dtype=np.float64)
    mass_row[:] = 0.0
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


@jit
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


@jit
def _block_rows(
    indptr: np.ndarray, targets: np.ndarray, labels: np.ndarray, k: int, prob: np.ndarray,
    num: np.ndarray, scale: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each state's row through the blocks, sorted by block: ``(ptr, block, raw, quanta)``.

    See :func:`_lumping_defect` for ``prob``, ``num`` and ``scale``. The
    blocks of all targets are gathered first in a loop of its own: there
    the cache misses overlap, where inside the aggregation each would wait
    for the branch on the one before.
    """
    n = indptr.shape[0] - 1
    m = targets.shape[0]
    exact = num.shape[0] > 0
    tb = np.empty(m, dtype=np.int64)
    for j in range(m):
        tb[j] = labels[targets[j]]
    row_ptr = np.empty(n + 1, dtype=np.int64)
    row_ptr[0] = 0
    row_blk = np.empty(m, dtype=np.int64)
    row_raw = np.empty(m, dtype=np.float64)
    row_q = np.empty(m, dtype=np.int64)
    slot = np.empty(k, dtype=np.int64)
    slot[:] = -1
    # (each entry is set to 0 where its row first meets its block)
    fsum = np.empty(m if not exact else 0, dtype=np.float64)
    isum = np.empty(m if exact else 0, dtype=np.int64)
    p = 0
    for s in range(n):
        lo = p
        for j in range(indptr[s], indptr[s + 1]):
            b = tb[j]
            i = slot[b]
            if i < 0:
                i = p
                slot[b] = i
                row_blk[i] = b
                if exact:
                    isum[i] = 0
                else:
                    fsum[i] = 0.0
                p += 1
            # Sums in the order of the transitions, as the signature's are.
            if exact:
                isum[i] += num[j]
            else:
                fsum[i] += prob[j]
        keep = lo
        for i in range(lo, p):
            slot[row_blk[i]] = -1
            if exact:
                row_q[i] = isum[i]
                row_raw[i] = isum[i] / scale
            else:
                row_raw[i] = fsum[i]
                row_q[i] = np.int64(np.floor(fsum[i] * scale + 0.5))
                if row_q[i] == 0:
                    continue        # rounds to nothing: no transition there
            row_blk[keep] = row_blk[i]
            row_raw[keep] = row_raw[i]
            row_q[keep] = row_q[i]
            keep += 1
        p = keep
        # Sorted by block, by insertion (rows have a few entries).
        for i in range(lo + 1, p):
            b, r, x = row_blk[i], row_raw[i], row_q[i]
            j = i - 1
            while j >= lo and row_blk[j] > b:
                row_blk[j + 1], row_raw[j + 1], row_q[j + 1] = row_blk[j], row_raw[j], row_q[j]
                j -= 1
            row_blk[j + 1], row_raw[j + 1], row_q[j + 1] = b, r, x
        row_ptr[s + 1] = p
    return row_ptr, row_blk[:p], row_raw[:p], row_q[:p]


@jit
def _lumping_defect(
    indptr: np.ndarray, targets: np.ndarray, labels: np.ndarray, k: int, w: np.ndarray,
    prob: np.ndarray, num: np.ndarray, scale: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each state's total variation from its block's mean row, and the mean rows.

    State ``s`` moves to ``targets[j]`` for ``j`` in ``indptr[s]:indptr[s+1]``
    with probability ``num[j] / scale`` (exact chains: integer numerators
    over the denominator ``scale``) or, when ``num`` is empty, ``prob[j]``
    (float chains, compared in multiples of ``1 / scale``, rounded half up;
    a block probability that rounds to 0 counts as no transition). ``w`` is
    the weight of each state; a block of weight 0 is fitted with every
    state alike.

    Returns ``score`` (per state, the TV distance of its row through the
    blocks from its block's mean row; exactly 0 in a block whose weighted
    states all have the same row in exact quanta) and the mean rows
    ``(block, target, probability)`` sorted by block and target: what
    :func:`abstractions._engine.weighted.total_variation` computes from
    :func:`~abstractions._engine.weighted.rows_of`, without sorting.

    The rows through the blocks are built state by state
    (:func:`_block_rows`), then copied block by block (a counting sort of
    the states, which keeps their order within a block), so that every
    later pass reads memory in order and the mean row of a block is
    gathered in a scratch row of ``k`` cells, reset where it was touched.
    """
    n = indptr.shape[0] - 1
    row_ptr, row_blk, row_raw, row_q = _block_rows(indptr, targets, labels, k, prob, num, scale)
    m = row_blk.shape[0]
    # Where each block's states and row entries go.
    s_start = np.empty(k + 1, dtype=np.int64)
    e_start = np.empty(k + 1, dtype=np.int64)
    s_start[:] = 0
    e_start[:] = 0
    for s in range(n):
        b = labels[s]
        s_start[b + 1] += 1
        e_start[b + 1] += row_ptr[s + 1] - row_ptr[s]
    for b in range(k):
        s_start[b + 1] += s_start[b]
        e_start[b + 1] += e_start[b]
    s_fill = s_start[:k].copy()
    e_fill = e_start[:k].copy()
    state = np.empty(n, dtype=np.int64)
    bw = np.empty(n, dtype=np.float64)
    blen = np.empty(n, dtype=np.int64)
    eblk = np.empty(m, dtype=np.int64)
    eraw = np.empty(m, dtype=np.float64)
    eq = np.empty(m, dtype=np.int64)
    for s in range(n):
        b = labels[s]
        i = s_fill[b]
        s_fill[b] = i + 1
        state[i] = s
        bw[i] = w[s]
        lo = row_ptr[s]
        length = row_ptr[s + 1] - lo
        blen[i] = length
        e = e_fill[b]
        e_fill[b] = e + length
        for t in range(length):
            eblk[e + t] = row_blk[lo + t]
            eraw[e + t] = row_raw[lo + t]
            eq[e + t] = row_q[lo + t]
    bscore = np.empty(n, dtype=np.float64)
    bscore[:] = 0.0
    out_b = np.empty(m, dtype=np.int64)
    out_c = np.empty(m, dtype=np.int64)
    out_p = np.empty(m, dtype=np.float64)
    n_out = 0
    mean = np.empty(k, dtype=np.float64)  # (set where a block's row first meets c)
    seen = np.empty(k, dtype=np.bool_)
    seen[:] = False
    ref_q = np.empty(k, dtype=np.int64)  # (read only where ref_mark says it is set)
    ref_mark = np.empty(k, dtype=np.int64)     # ref_mark[c] == b: c is in b's first row
    ref_mark[:] = -1
    touched = np.empty(k, dtype=np.int64)
    for b in range(k):
        lo = s_start[b]
        hi = s_start[b + 1]
        weight = 0.0
        for i in range(lo, hi):
            weight += bw[i]
        fitted = weight > 0.0
        fit = weight if fitted else float(hi - lo)
        # The mean row, and whether the weighted states all have the first one's row.
        n_touched = 0
        e = e_start[b]
        ref_len = -1
        same = True
        for i in range(lo, hi):
            f = bw[i] if fitted else 1.0
            length = blen[i]
            if bw[i] > 0.0:
                if ref_len < 0:
                    ref_len = length
                    for t in range(e, e + length):
                        ref_q[eblk[t]] = eq[t]
                        ref_mark[eblk[t]] = b
                elif same:
                    if length != ref_len:
                        same = False
                    else:
                        for t in range(e, e + length):
                            if ref_mark[eblk[t]] != b or ref_q[eblk[t]] != eq[t]:
                                same = False
                                break
            for t in range(e, e + length):
                c = eblk[t]
                if not seen[c]:
                    seen[c] = True
                    mean[c] = 0.0
                    touched[n_touched] = c
                    n_touched += 1
                mean[c] += f * eraw[t]
            e += length
        _sort_ints(touched, n_touched)
        tail = 0.0
        for t in range(n_touched):
            c = touched[t]
            mean[c] = mean[c] / fit
            tail += mean[c]
            out_b[n_out] = b
            out_c[n_out] = c
            out_p[n_out] = mean[c]
            n_out += 1
        if not same:
            e = e_start[b]
            for i in range(lo, hi):
                dev = 0.0
                covered = 0.0
                for t in range(e, e + blen[i]):
                    r = mean[eblk[t]]
                    dev += abs(eraw[t] - r)
                    covered += r
                e += blen[i]
                x = 0.5 * (dev + tail - covered)
                bscore[i] = x if x > 0.0 else 0.0
        for t in range(n_touched):
            seen[touched[t]] = False
    score = np.empty(n, dtype=np.float64)
    for i in range(n):
        score[state[i]] = bscore[i]
    return score, out_b[:n_out].copy(), out_c[:n_out].copy(), out_p[:n_out].copy()



@jit
def _function_profile(
    step: np.ndarray, labels: np.ndarray, w: np.ndarray, max_rounds: int, ix: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Blocks and plurality loss of every round of the completion operator for a function.

    State ``i`` is in block ``labels[i]`` of round 0 and steps to
    ``step[i]``; ``w`` is its weight (empty: weight 1). Round ``j + 1``
    splits each block of round ``j`` by the round-``j`` block of the next
    state. Returns ``blocks[j]`` and ``loss[j] = sum_B (mu(B) - max_C mu(B
    & step^-1 C))`` over the blocks ``B`` of round ``j``, up to the first
    round that splits nothing (its loss is 0) or to round ``max_rounds``
    (negative: no limit). Index arrays take the dtype of the witness
    ``ix``, which must hold ``n + max(labels) + 1``.

    Each round reads only the predecessors of the states that changed
    block in the last round (the *touched* states; in round 0, every
    state), as Hopcroft's and Valmari's refinements do. A block ``B`` of
    round ``j >= 1`` sends all its states into one block of round
    ``j - 1``; that block's split kept its id for one part and gave the
    others fresh ids, so the untouched states of ``B`` all step into the
    part that kept the id and every touched one into a fresh id. The parts
    of ``B`` are then its untouched remainder and one part per fresh id
    among its touched states, and a block with no touched state neither
    splits nor loses anything.

    The states are kept grouped by block (Valmari's refinable partition:
    ``elems`` in block order, each state's position beside its block), and
    a block's touched states are swapped to the front of its range, so a
    split moves only them. The changed states are listed part by part, so
    each block's touched states arrive already grouped by next block (a
    list of groups per block, linked from the last): no sort. The part
    with the most states keeps the id (the remainder on a tie) and the
    others take fresh ids (never more than ``n`` blocks): a state changes
    id only into a part of at most half its block, so the touched states
    number ``O(n log n)`` over all rounds. Weighted, each block's mass is
    kept: a remainder that keeps its id has the block's mass less its
    touched states' (the one subtraction: its last bits may differ from a
    sum of its states'); every other part's mass is summed from its
    states. A block's loss is the sum of its parts but the heaviest.

    The touched states are gathered first (their predecessor lists, then
    their blocks) in loops whose iterations do not depend on each other,
    so that the processor overlaps the cache misses; only the swaps run
    one after another.
    """
    n = step.shape[0]
    weighted = w.shape[0] == n
    # Predecessors of each state (a CSR of the inverse of step).
    pptr = np.zeros(n + 1, dtype=ix.dtype)
    for i in range(n):
        pptr[step[i] + 1] += 1
    for i in range(n):
        pptr[i + 1] += pptr[i]
    pidx = np.empty(n, dtype=ix.dtype)
    fill = pptr[:n].copy()
    for i in range(n):
        t = step[i]
        pidx[fill[t]] = i
        fill[t] += 1
    # Blocks, as rows of 16 bytes (int32: a row never straddles two cache
    # lines): start, end, touched states (at the front of the range), last
    # group. New blocks take fresh ids (never more than n of them).
    k = 0
    for i in range(n):
        if labels[i] + 1 > k:
            k = labels[i] + 1
    ids = n + k
    blk = np.zeros((ids, 4), dtype=ix.dtype)
    for i in range(n):
        blk[labels[i], 1] += 1
    n_blocks = 0
    at = 0
    for b in range(k):
        if blk[b, 1] > 0:
            n_blocks += 1
        blk[b, 0] = at
        at += blk[b, 1]
        blk[b, 1] = blk[b, 0]
    # States, as rows: block, position in elems.
    st = np.empty((n, 2), dtype=ix.dtype)
    elems = np.empty(n, dtype=ix.dtype)
    for i in range(n):
        b = labels[i]
        st[i, 0] = b
        st[i, 1] = blk[b, 1]
        elems[blk[b, 1]] = i
        blk[b, 1] += 1
    # The states that changed block, part by part (part j ends at
    # part_end[j] and took the id part_id[j]); round 0 reads every state,
    # its parts are the blocks of beta.
    changed = elems.copy()
    part_id = np.empty(n, dtype=ix.dtype)
    part_end = np.empty(n, dtype=ix.dtype)
    n_parts = 0
    for b in range(k):
        if blk[b, 1] > blk[b, 0]:
            part_id[n_parts] = b
            part_end[n_parts] = blk[b, 1]
            n_parts += 1
    # Groups, as rows: next block, touched states, the block's previous
    # group (-1: none); their masses apart.
    grp = np.empty((n, 3), dtype=ix.dtype)
    gmass = np.zeros(n if weighted else 0, dtype=np.float64)
    mass = np.zeros(ids if weighted else 0, dtype=np.float64)
    touched = np.empty(n, dtype=ix.dtype)      # this round's touched blocks
    # This round's touched states: the state, its next block, its block.
    ts = np.empty(n, dtype=ix.dtype)
    tn = np.empty(n, dtype=ix.dtype)
    tb = np.empty(n, dtype=ix.dtype)
    fresh = k
    blocks = [n_blocks]
    losses = []
    ahead = 0
    r = 0
    while True:
        # The touched states (each state steps to one state, so fewer than n).
        m = 0
        q = 0
        for j in range(n_parts):
            nid = part_id[j]
            while q < part_end[j]:
                c = changed[q]
                q += 1
                for e in range(pptr[c], pptr[c + 1]):
                    ts[m] = pidx[e]
                    tn[m] = nid
                    m += 1
        for x in range(m):
            tb[x] = st[ts[x], 0]
        # Swap each to the front of its block, opening a group when its
        # next block differs from the block's last group's.
        n_touched = 0
        n_groups = 0
        for x in range(m):
            if x + 8 < m:
                # Read the state's and the block's rows eight swaps ahead, so
                # that their cache misses start early (numba has no prefetch;
                # the xor of non-negative ids only keeps the reads alive).
                ahead ^= st[ts[x + 8], 1] ^ blk[tb[x + 8], 2]
            b = tb[x]
            lo = blk[b, 0]
            if blk[b, 1] - lo < 2:
                continue  # a block of one state never splits
            s = ts[x]
            nid = tn[x]
            t = blk[b, 2]
            if t == 0:
                touched[n_touched] = b
                n_touched += 1
                g = -1
            else:
                g = blk[b, 3]
            if g < 0 or grp[g, 0] != nid:
                grp[n_groups, 0] = nid
                grp[n_groups, 1] = 0
                grp[n_groups, 2] = g
                if weighted:
                    gmass[n_groups] = 0.0
                g = n_groups
                blk[b, 3] = g
                n_groups += 1
            grp[g, 1] += 1
            if weighted:
                gmass[g] += w[s]
            a = lo + t
            blk[b, 2] = t + 1
            p = st[s, 1]
            u = elems[a]
            elems[a] = s
            st[s, 1] = a
            elems[p] = u
            st[u, 1] = p
        # Split the touched blocks into their groups and their remainder.
        loss = 0.0
        n_changed = 0
        n_parts = 0
        grown = 0
        for d in range(n_touched):
            old = touched[d]
            lo = blk[old, 0]
            hi = blk[old, 1]
            mid = lo + blk[old, 2]
            blk[old, 2] = 0
            rest = hi - mid
            # The part with the most states keeps the id (-1: the remainder).
            keep = -1
            most = rest
            n_distinct = 0
            tm = 0.0
            heavy = 0.0
            g = blk[old, 3]
            while g >= 0:
                n_distinct += 1
                if grp[g, 1] > most:
                    most = grp[g, 1]
                    keep = g
                if weighted:
                    tm += gmass[g]
                    if gmass[g] > heavy:
                        heavy = gmass[g]
                g = grp[g, 2]
            if n_distinct == 1 and rest == 0:
                # One part: no split, no loss (the mass is summed afresh).
                if weighted:
                    mass[old] = tm
                continue
            # The groups, last first: from the end of the touched states back.
            at = mid
            g = blk[old, 3]
            while g >= 0:
                a = at - grp[g, 1]
                if g == keep:
                    bid = old
                else:
                    bid = fresh
                    fresh += 1
                    for p in range(a, at):
                        s = elems[p]
                        st[s, 0] = bid
                        changed[n_changed] = s
                        n_changed += 1
                    part_id[n_parts] = bid
                    part_end[n_parts] = n_changed
                    n_parts += 1
                blk[bid, 0] = a
                blk[bid, 1] = at
                if weighted:
                    mass[bid] = gmass[g]
                at = a
                g = grp[g, 2]
            rm = 0.0
            if rest > 0:
                if keep == -1:
                    blk[old, 0] = mid
                    blk[old, 1] = hi
                    if weighted:
                        rm = mass[old] - tm
                        if rm < 0.0:
                            rm = 0.0  # rounding: the true mass is at least 0
                        mass[old] = rm
                else:
                    bid = fresh
                    fresh += 1
                    blk[bid, 0] = mid
                    blk[bid, 1] = hi
                    for p in range(mid, hi):
                        s = elems[p]
                        st[s, 0] = bid
                        changed[n_changed] = s
                        n_changed += 1
                        if weighted:
                            rm += w[s]
                    part_id[n_parts] = bid
                    part_end[n_parts] = n_changed
                    n_parts += 1
                    if weighted:
                        mass[bid] = rm
            # The loss: every part but the heaviest (pending: not yet left out).
            if weighted:
                if rm > heavy:
                    heavy = rm
                pending = rm != heavy
                part = rm if pending else 0.0
                g = blk[old, 3]
                while g >= 0:
                    if pending and gmass[g] == heavy:
                        pending = False
                    else:
                        part += gmass[g]
                    g = grp[g, 2]
                loss += part
            else:
                loss += float(hi - lo - most)
            grown += n_distinct - (0 if rest > 0 else 1)
        losses.append(loss)
        if grown == 0 or (max_rounds >= 0 and r >= max_rounds):
            break
        n_blocks += grown
        blocks.append(n_blocks)
        r += 1
    if ahead < 0:
        raise RuntimeError("negative id read ahead")  # never: ids are at least 0
    return np.array(blocks, dtype=np.int64), np.array(losses, dtype=np.float64)



# ---------------------------------------------------------------------- the function greedy
#
# ``coarsen`` of one function: the merge loop of ``frontier._greedy_loop`` over
# ``frontier._FunctionGreedy``, step for step (the same containers filled in the
# same order, the same sums in the same order, the same heap keys), so the
# merges and the figures are the Python version's exactly. A group's
# histogram, beta weights and predecessors are typed dicts (insertion-ordered,
# as Python's); the predecessor "sets" are dicts whose values are unused.
#
# Written to compile cheaply (it was the slowest kernel to compile, 20 s):
# one dict type for all three (the predecessors' values are unused floats: a
# second dict type compiled all the dict machinery again), int keys sorted by
# ``steps._sort_ints`` (not ``np.sort``), the candidates gathered in an array
# (not a list), and the heap an array of rows with the sifts of Python's
# ``heapq`` (numba's ``heapq`` on tuples cost seconds). Any correct heap pops
# the same rows: they are ordered by all seven fields, so rows that tie are
# alike.

#: The rows of ``groups``: mass, top, err, A, L, bmax, parts.
_MASS, _TOP, _ERR, _A, _L, _BMAX, _PARTS = 0, 1, 2, 3, 4, 5, 6
#: The fields of a heap row: key, loss, cost, a, b, version of a, version of b.
_FIELDS = 7


@jit
def _key12(v: float) -> float:
    """``v`` rounded to 12 decimals, as ``frontier._key``."""
    return float(np.rint(v * 1e12)) / 1e12


@jit
def _xlogx(v: float) -> float:
    return v * np.log2(v) if v > 0 else 0.0


@jit
def _float_dicts(k: int) -> Any:
    return [Dict.empty(key_type=types.int64, value_type=types.float64) for _ in range(k)]


@jit
def _keys_of(d: Any) -> np.ndarray:
    keys = np.empty(len(d), dtype=np.int64)
    i = 0
    for c in d.keys():
        keys[i] = c
        i += 1
    return keys


@jit
def _nearest(keys: np.ndarray, g: int, width: int) -> np.ndarray:
    """A few of ``keys``: all if few, else those nearest ``g`` (``frontier._nearest``)."""
    if keys.shape[0] <= 2 * width:
        return keys
    _sort_ints(keys, keys.shape[0])  # callers pass a fresh copy
    lo, hi = 0, keys.shape[0]  # the first key >= g, as np.searchsorted
    while lo < hi:
        mid = (lo + hi) // 2
        if keys[mid] < g:
            lo = mid + 1
        else:
            hi = mid
    return keys[max(lo - width, 0): lo + width + 1]


@jit
def _collect(keys: np.ndarray, mark: np.ndarray, stamp: int, out: np.ndarray, n: int) -> int:
    """Append the unmarked ``keys`` to ``out[:n]`` and mark them; the new length."""
    for c in keys:
        if mark[c] != stamp:
            mark[c] = stamp
            out[n] = c
            n += 1
    return n


@jit
def _collect_nearest(d: Any, g: int, width: int, mark: np.ndarray, stamp: int, out: np.ndarray,
                     n: int) -> int:
    """``_collect(_nearest(keys of d, g, width))``, with no copy of a small dict's keys."""
    if len(d) <= 2 * width:
        for c in d.keys():
            if mark[c] != stamp:
                mark[c] = stamp
                out[n] = c
                n += 1
        return n
    return _collect(_nearest(_keys_of(d), g, width), mark, stamp, out, n)


@jit
def _candidates(hist: Any, pred: Any, g: int, mark: np.ndarray, stamp: int,
                found: np.ndarray) -> np.ndarray:
    """``frontier._FunctionGreedy.candidates``, each group once, in ``found`` (K entries)."""
    mark[g] = stamp
    succ = _nearest(_keys_of(hist[g]), g, 8)
    before = _nearest(_keys_of(pred[g]), g, 8)
    n = _collect(succ, mark, stamp, found, 0)
    n = _collect(before, mark, stamp, found, n)
    for z in before:
        n = _collect_nearest(hist[z], g, 4, mark, stamp, found, n)
    for t in succ:
        n = _collect_nearest(pred[t], g, 4, mark, stamp, found, n)
    return found[:n]


@jit
def _merged_top(hist: Any, top: np.ndarray, x: int, y: int) -> float:
    hx = hist[x]
    hy = hist[y]
    if len(hy) <= len(hx):
        small, large, best = hy, hx, top[x]
    else:
        small, large, best = hx, hy, top[y]
    folded = hx.get(x, 0.0) + hx.get(y, 0.0) + hy.get(x, 0.0) + hy.get(y, 0.0)
    if folded > best:
        best = folded
    for c, v in small.items():
        if c != x and c != y:
            v += large.get(c, 0.0)
            if v > best:
                best = v
    return float(best)


@jit
def _common(px: Any, py: Any) -> np.ndarray:
    """The keys in both dicts, sorted."""
    small, large = (px, py) if len(px) <= len(py) else (py, px)
    found = np.empty(len(small), dtype=np.int64)
    n = 0
    for z in small.keys():
        if z in large:
            found[n] = z
            n += 1
    _sort_ints(found, n)
    return found[:n]


@jit
def _shared(beta: Any, x: int, y: int) -> tuple[float, float]:
    bx = beta[x]
    by = beta[y]
    small, large = (bx, by) if len(bx) <= len(by) else (by, bx)
    extra = 0.0
    most = 0.0
    for c, v in small.items():
        if c in large:
            u = large[c]
            extra += _xlogx(u + v) - _xlogx(u) - _xlogx(v)
            if u + v > most:
                most = u + v
    return extra, most


@jit
def _precedes(heap: np.ndarray, a: int, b: int) -> bool:
    """Whether row ``a`` sorts before row ``b``: as tuples, by the first field that differs."""
    for f in range(_FIELDS):
        if heap[a, f] != heap[b, f]:
            return bool(heap[a, f] < heap[b, f])
    return False


@jit
def _swap_rows(heap: np.ndarray, a: int, b: int) -> None:
    for f in range(_FIELDS):
        u = heap[a, f]
        heap[a, f] = heap[b, f]
        heap[b, f] = u


@jit
def _rise(heap: np.ndarray, pos: int) -> None:
    """``heapq._siftdown`` to the root: row ``pos`` moves up while it precedes its parent."""
    while pos > 0:
        parent = (pos - 1) >> 1
        if not _precedes(heap, pos, parent):
            return
        _swap_rows(heap, pos, parent)
        pos = parent


@jit
def _heap_pop(heap: np.ndarray, size: int) -> None:
    """``heapq.heappop`` of ``heap[:size]``: the least row goes to row ``size - 1``.

    As ``heapq._siftup``: the last row takes the root's place, sinks to a
    leaf along the lesser children (the right one unless the left one
    precedes it), then rises to its place.
    """
    end = size - 1
    pos = end
    child = 0
    while True:
        _swap_rows(heap, pos, child)
        pos = child
        child = 2 * pos + 1
        if child >= end:
            break
        right = child + 1
        if right < end and not _precedes(heap, child, right):
            child = right
    _rise(heap, pos)


@jit
def _push(heap: np.ndarray, size: int, hist: Any, pred: Any, beta: Any, groups: np.ndarray,
          version: np.ndarray, sums: np.ndarray, x: int, y: int) -> np.ndarray:
    """``push`` of ``frontier._greedy_loop``: the key, loss, cost, pair and versions.

    The row goes to ``heap[size]``; the heap is returned (a larger copy when full).
    """
    a, b = min(x, y), max(x, y)
    mass, top, err = groups[_MASS], groups[_TOP], groups[_ERR]
    # The cost: ``frontier._FunctionGreedy.cost``.
    cost = (mass[a] + mass[b] - _merged_top(hist, top, a, b)) - err[a] - err[b]
    for z in _common(pred[a], pred[b]):
        if z == a or z == b:
            continue
        h = hist[z]
        v = h[a] + h[b]
        if v > top[z]:
            cost -= v - top[z]
    # The loss: ``frontier._FunctionGreedy.info_loss`` (none when beta is flat).
    loss = 0.0
    if sums[4] == 0.0:
        A, L, parts = groups[_A], groups[_L], groups[_PARTS]
        extra, _ = _shared(beta, a, b)
        m = mass[a] + mass[b]
        merged = 0.0 if m <= 0 else A[a] + A[b] + extra + L[a] + L[b] - _xlogx(m)
        loss = (parts[a] + parts[b] - merged) / max(sums[3], 1e-300)
    key = cost + sums[5] * loss
    if sums[6] != 0.0:
        key /= max(mass[a] + mass[b], 1e-300)
    if size == heap.shape[0]:
        grown = np.empty((2 * size, _FIELDS), dtype=np.float64)
        for i in range(size):
            for f in range(_FIELDS):
                grown[i, f] = heap[i, f]
        heap = grown
    heap[size, 0] = _key12(key)
    heap[size, 1] = loss
    heap[size, 2] = cost
    heap[size, 3] = a
    heap[size, 4] = b
    heap[size, 5] = version[a]
    heap[size, 6] = version[b]
    _rise(heap, size)
    return heap


@jit
def _merge(hist: Any, pred: Any, beta: Any, groups: np.ndarray, sums: np.ndarray,
           version: np.ndarray, mark: np.ndarray, stamp: int, x: int, y: int) -> None:
    """``frontier._FunctionGreedy.merge``: group ``y`` into ``x``."""
    mass, top, err, A, L, bmax, parts = (groups[_MASS], groups[_TOP], groups[_ERR], groups[_A],
                                         groups[_L], groups[_BMAX], groups[_PARTS])
    changed = _common(pred[x], pred[y])
    new_top = _merged_top(hist, top, x, y)
    delta = -(err[x] + err[y])
    gone = _keys_of(pred[y])
    _sort_ints(gone, gone.shape[0])
    for z in gone:
        if z == x or z == y:
            continue
        h = hist[z]
        v = h.pop(y, 0.0) + h.get(x, 0.0)  # (y is there: z is a predecessor of y)
        h[x] = v
        if v > top[z]:
            e = mass[z] - v
            delta += e - err[z]
            top[z] = v
            err[z] = e
    hx = hist[x]
    hy = hist[y]
    for c in hy.keys():
        if c != x and c != y:
            p = pred[c]
            p.pop(y, 0.0)  # (one pop for every removal: "del" would compile its own)
            p[x] = 1.0
    loop = x in hx or y in hx or x in hy or y in hy
    big, small = (hx, hy) if len(hx) >= len(hy) else (hy, hx)
    for c, v in small.items():
        big[c] = big.get(c, 0.0) + v
    folded = big.pop(x, 0.0) + big.pop(y, 0.0)
    if loop:
        big[x] = folded
    touched = _keys_of(small)
    hist[x] = big
    hist[y] = Dict.empty(key_type=types.int64, value_type=types.float64)
    big_pred, small_pred = pred[x], pred[y]
    if len(small_pred) > len(big_pred):
        big_pred, small_pred = small_pred, big_pred
    for z in small_pred.keys():
        big_pred[z] = 1.0
    big_pred.pop(x, 0.0)
    big_pred.pop(y, 0.0)
    if loop:
        big_pred[x] = 1.0
    pred[x] = big_pred
    pred[y] = Dict.empty(key_type=types.int64, value_type=types.float64)
    extra, most = _shared(beta, x, y)
    mass[x] += mass[y]
    mass[y] = 0.0
    top[x], top[y] = new_top, 0.0
    err[x], err[y] = mass[x] - new_top, 0.0
    sums[0] += delta + err[x]
    bx, by = beta[x], beta[y]
    if len(by) > len(bx):
        bx, by = by, bx
    for c, v in by.items():
        bx[c] = bx.get(c, 0.0) + v
    beta[x] = bx
    beta[y] = Dict.empty(key_type=types.int64, value_type=types.float64)
    A[x] += A[y] + extra
    L[x] += L[y]
    A[y] = 0.0
    L[y] = 0.0
    sums[1] -= parts[x] + parts[y]
    sums[2] -= bmax[x] + bmax[y]
    bmax[x], bmax[y] = max(bmax[x], bmax[y], most), 0.0
    m = mass[x]
    parts[x] = 0.0 if (m <= 0 or sums[4] != 0.0) else A[x] + L[x] - _xlogx(m)
    parts[y] = 0.0
    sums[1] += parts[x]
    sums[2] += bmax[x]
    version[y] += 1
    mark[x] = stamp
    version[x] += 1
    for group in (changed, touched):
        for z in group:
            if z == y:
                z = x
            if z != x and z != y and mark[z] != stamp:
                mark[z] = stamp
                version[z] += 1


@jit
def _function_greedy(
    units: np.ndarray, unit_w: np.ndarray, pairs: np.ndarray, pair_w: np.ndarray,
    groups: np.ndarray, sums: np.ndarray, target: int, all_pairs: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The greedy merges of one function's quotient under ``"mismatch"``, cheapest first.

    Unit ``i`` (a block of ``C(alpha)``) lies in block ``units[0, i]`` of
    ``alpha``, moves into block ``units[1, i]`` and weighs ``unit_w[i]``;
    the (block, beta class) pair ``pairs[:, j]`` weighs ``pair_w[j]``.
    ``groups`` holds the rows mass, top, err, A, L, bmax, parts of a fresh
    ``frontier._FunctionGreedy`` and ``sums`` its total error, information
    sum, accuracy sum and total weight, then flat beta (0/1), the price of
    information, per weight (0/1) and the error bound; both change in
    place. Merges stop at ``target`` groups or before a merge past the
    bound. Returns the merges ``(a, b)`` (rows) and, per point of the
    frontier (the start first), total error, information, accuracy (rows).
    """
    K = groups.shape[1]
    hist = _float_dicts(K)
    beta = _float_dicts(K)
    pred = _float_dicts(K)
    count = np.empty(K, dtype=np.int64)
    count[:] = 0
    for i in range(units.shape[1]):
        b, c = units[0, i], units[1, i]
        h = hist[b]
        h[c] = h.get(c, 0.0) + unit_w[i]
        count[b] += 1
        pred[c][b] = 1.0
    for j in range(pairs.shape[1]):
        beta[pairs[0, j]][pairs[1, j]] = pair_w[j]
    alive = np.empty(K, dtype=np.bool_)
    alive[:] = True
    version = np.empty(K, dtype=np.int64)
    version[:] = 0
    mark = np.empty(K, dtype=np.int64)
    mark[:] = 0
    stamp = 0
    found = np.empty(K, dtype=np.int64)
    heap = np.empty((max(K, 16), _FIELDS), dtype=np.float64)
    size = 0
    if K <= all_pairs:
        for g in range(K):
            for h2 in range(g + 1, K):
                heap = _push(heap, size, hist, pred, beta, groups, version, sums, g, h2)
                size += 1
    else:
        for g in range(K):
            stamp += 1
            for h2 in _candidates(hist, pred, g, mark, stamp, found):
                if h2 > g:
                    heap = _push(heap, size, hist, pred, beta, groups, version, sums, g, h2)
                    size += 1
    merges = np.empty((max(K - 1, 0), 2), dtype=np.int64)
    points = np.empty((K, 3), dtype=np.float64)
    _summary(sums, points, 0)
    n_points = 1
    n_alive = K
    bound = sums[7]
    siblings = np.empty(8, dtype=np.int64)
    while n_alive > target:
        if size == 0:
            n_roots = 0
            for g in range(K):
                if alive[g]:
                    found[n_roots] = g
                    n_roots += 1
            if n_roots <= all_pairs:
                for i in range(n_roots):
                    for j in range(i + 1, n_roots):
                        heap = _push(heap, size, hist, pred, beta, groups, version, sums,
                                     found[i], found[j])
                        size += 1
            else:
                for i in range(n_roots - 1):
                    heap = _push(heap, size, hist, pred, beta, groups, version, sums,
                                 found[i], found[i + 1])
                    size += 1
        _heap_pop(heap, size)
        size -= 1
        cost = heap[size, 2]
        a, b = int(heap[size, 3]), int(heap[size, 4])
        if not alive[a] or not alive[b]:
            continue
        if int(heap[size, 5]) != version[a] or int(heap[size, 6]) != version[b]:
            heap = _push(heap, size, hist, pred, beta, groups, version, sums, a, b)
            size += 1
            continue
        if sums[0] + cost > bound + 1e-12:
            break
        keep, gone = (a, b) if count[a] >= count[b] else (b, a)
        stamp += 1
        _merge(hist, pred, beta, groups, sums, version, mark, stamp, keep, gone)
        count[keep] += count[gone]
        count[gone] = 0
        alive[gone] = False
        n_alive -= 1
        merges[n_points - 1, 0] = a
        merges[n_points - 1, 1] = b
        _summary(sums, points, n_points)
        n_points += 1
        stamp += 1
        for h2 in _candidates(hist, pred, keep, mark, stamp, found):
            heap = _push(heap, size, hist, pred, beta, groups, version, sums, keep, h2)
            size += 1
        # The eight least successors of ``keep`` other than itself.
        succ = _keys_of(hist[keep])
        _sort_ints(succ, succ.shape[0])
        n_sib = 0
        for c in succ:
            if c != keep and n_sib < 8:
                siblings[n_sib] = c
                n_sib += 1
        for i in range(n_sib):
            for j in range(i + 1, n_sib):
                heap = _push(heap, size, hist, pred, beta, groups, version, sums, siblings[i],
                             siblings[j])
                size += 1
    return merges[: n_points - 1].copy(), points[:n_points].copy()


@jit
def _summary(sums: np.ndarray, points: np.ndarray, row: int) -> None:
    """Row ``row`` of ``points``: total error, information about beta in bits, beta-accuracy."""
    points[row, 0] = sums[0]
    points[row, 1] = 0.0
    points[row, 2] = 0.0
    if sums[3] > 0:
        points[row, 1] = max(sums[1] / sums[3], 0.0)
        points[row, 2] = sums[2] / sums[3]


# ---------------------------------------------------------------------- coarsen of a Markov chain


@jit
def _block_sum(a: np.ndarray, lo: int, n: int) -> float:
    """``a[lo:lo + n]``, ``n <= 128``, summed as numpy sums a contiguous run that short."""
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[lo + i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = 8
    end = n - n % 8
    while i < end:
        r0 += a[lo + i]
        r1 += a[lo + i + 1]
        r2 += a[lo + i + 2]
        r3 += a[lo + i + 3]
        r4 += a[lo + i + 4]
        r5 += a[lo + i + 5]
        r6 += a[lo + i + 6]
        r7 += a[lo + i + 7]
        i += 8
    out: float = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        out += a[lo + i]
        i += 1
    return out


@jit
def _pairwise_sum(a: np.ndarray, lo: int, n: int) -> float:
    """``a[lo:lo + n]`` summed as numpy sums a contiguous run (its pairwise summation).

    Eight running sums over blocks of up to 128, halves above (the first
    half a multiple of 8): the reduction ``np.add.reduce`` (and each
    segment of ``np.add.reduceat``) performs, so that the kernel's floats
    are numpy's to the last bit. The halves are walked with a stack of
    our own, not by recursion (numba's disk cache mishandles recursive
    functions).
    """
    if n <= 128:
        return _block_sum(a, lo, n)
    # Tasks (lo, n, combine?) in post order; the values of finished halves.
    task_lo = np.empty(192, dtype=np.int64)
    task_n = np.empty(192, dtype=np.int64)
    task_join = np.empty(192, dtype=np.bool_)
    values = np.empty(192, dtype=np.float64)
    top = 0
    nv = 0
    task_lo[0], task_n[0], task_join[0] = lo, n, False
    top = 1
    while top > 0:
        top -= 1
        start, size, join = task_lo[top], task_n[top], task_join[top]
        if join:
            nv -= 1
            values[nv - 1] = values[nv - 1] + values[nv]
        elif size <= 128:
            values[nv] = _block_sum(a, start, size)
            nv += 1
        else:
            half = size // 2
            half -= half % 8
            task_lo[top], task_n[top], task_join[top] = start, size, True
            task_lo[top + 1], task_n[top + 1], task_join[top + 1] = start + half, size - half, False
            task_lo[top + 2], task_n[top + 2], task_join[top + 2] = start, half, False
            top += 3
    total: float = values[0]
    return total


@jit
def _tv_group_errors(
    ptr: np.ndarray, rows: np.ndarray, raw: np.ndarray, w: np.ndarray, units: np.ndarray,
    group: np.ndarray, parts: np.ndarray,
) -> np.ndarray:
    """The lumpability defect (TV) of whole groups of units, each on its own.

    Unit ``u`` (a block of ``C(alpha)``, weight ``w[u]``) has the rows
    ``ptr[u]:ptr[u + 1]``: into block ``rows[0, j]`` of ``alpha`` with
    probability ``raw[j]``, exact quanta ``rows[1, j]`` (one symbol).
    ``group`` maps the blocks of ``alpha`` to groups (ids >= 0). Part ``p`` is the
    units ``units[parts[p]:parts[p + 1]]``, all of one group and all of
    it. Returns each part's error: the ``w``-weighted TV distance of its
    units' rows (summed into groups) from the group's mean row, 0 when
    every weighted unit has the exact row of the first one.

    The floats are those of ``frontier._evaluate`` (numpy) to the last
    bit: rows into one group add as ``np.add.reduceat`` adds (the first,
    then the pairwise sum of the rest, in block order), every other sum
    runs in numpy's order (units in the given order, groups ascending).
    """
    K = 1
    for b in range(group.shape[0]):
        if group[b] >= K:
            K = group[b] + 1
    n_parts = parts.shape[0] - 1
    out = np.empty(n_parts, dtype=np.float64)
    longest = 0
    total = 0
    for i in range(units.shape[0]):
        u = units[i]
        length = ptr[u + 1] - ptr[u]
        total += length
        if length > longest:
            longest = length
    # One unit's rows bucketed by group (linked lists that keep block order).
    head = np.empty(K, dtype=np.int64)
    head[:] = -1
    last = np.empty(K, dtype=np.int64)
    link = np.empty(longest, dtype=np.int64)
    seg = np.empty(longest, dtype=np.float64)
    distinct = np.empty(K, dtype=np.int64)
    # The regrouped rows of a part: target group, probability, quanta; by unit.
    rg_c = np.empty(total, dtype=np.int64)
    rg_p = np.empty(total, dtype=np.float64)
    rg_q = np.empty(total, dtype=np.int64)
    rg_ptr = np.empty(units.shape[0] + 1, dtype=np.int64)
    # The part's mean row, by target group.
    sums = np.empty(K, dtype=np.float64)
    sums[:] = 0.0
    hit = np.empty(K, dtype=np.bool_)
    hit[:] = False
    targets = np.empty(K, dtype=np.int64)
    for p in range(n_parts):
        lo, hi = parts[p], parts[p + 1]
        pos = 0
        for i in range(lo, hi):
            u = units[i]
            rg_ptr[i] = pos
            start = ptr[u]
            d = 0
            for j in range(ptr[u + 1] - start):
                c = group[rows[0, start + j]]
                link[j] = -1
                if head[c] < 0:
                    head[c] = j
                    distinct[d] = c
                    d += 1
                else:
                    link[last[c]] = j
                last[c] = j
            _sort_ints(distinct, d)
            for e in range(d):
                c = distinct[e]
                j = head[c]
                n = 0
                q = 0
                while j >= 0:
                    seg[n] = raw[start + j]
                    q += rows[1, start + j]
                    n += 1
                    j = link[j]
                head[c] = -1
                rg_c[pos] = c
                rg_p[pos] = seg[0] + _pairwise_sum(seg, 1, n - 1) if n > 1 else seg[0]
                rg_q[pos] = q
                pos += 1
        rg_ptr[hi] = pos
        mass = 0.0
        for i in range(lo, hi):
            mass += w[units[i]]
        block_fit = 0.0
        for i in range(lo, hi):
            block_fit += w[units[i]] if mass > 0 else 1.0
        n_targets = 0
        for i in range(lo, hi):
            fit = w[units[i]] if mass > 0 else 1.0
            for j in range(rg_ptr[i], rg_ptr[i + 1]):
                c = rg_c[j]
                if not hit[c]:
                    hit[c] = True
                    targets[n_targets] = c
                    n_targets += 1
                sums[c] += fit * rg_p[j]
        for e in range(n_targets):
            sums[targets[e]] = sums[targets[e]] / block_fit
        _sort_ints(targets, n_targets)
        tail = 0.0
        for e in range(n_targets):
            tail += sums[targets[e]]
        # The first unit of positive weight is the reference row.
        ref = -1
        for i in range(lo, hi):
            if w[units[i]] > 0:
                ref = i
                break
        differ = False
        if ref >= 0:
            for i in range(lo, hi):
                if i == ref or not w[units[i]] > 0:
                    continue
                a, b = rg_ptr[i], rg_ptr[ref]
                length = rg_ptr[i + 1] - a
                if length != rg_ptr[ref + 1] - b:
                    differ = True
                    break
                for j in range(length):
                    if rg_c[a + j] != rg_c[b + j] or rg_q[a + j] != rg_q[b + j]:
                        differ = True
                        break
                if differ:
                    break
        error = 0.0
        for i in range(lo, hi):
            score = 0.0
            if differ:
                dev = 0.0
                covered = 0.0
                for j in range(rg_ptr[i], rg_ptr[i + 1]):
                    r = sums[rg_c[j]]
                    dev += abs(rg_p[j] - r)
                    covered += r
                score = 0.5 * (dev + tail - covered)
                if score < 0.0:
                    score = 0.0
            error += w[units[i]] * score
        out[p] = error
        for e in range(n_targets):
            sums[targets[e]] = 0.0
            hit[targets[e]] = False
    return out


@jit
def _tv_merge_errors(
    ptr: np.ndarray, rows: np.ndarray, raw: np.ndarray, w: np.ndarray, units: np.ndarray,
    inward: np.ndarray, chain: np.ndarray, sums: np.ndarray, x: int, y: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The errors once groups ``x`` and ``y`` merge: the union's, and of each group into both.

    The quotient's rows are those of :func:`_tv_group_errors`, with a third
    row: the unit of each entry. ``units`` is ``(block of alpha, next unit
    of its group)`` per unit; ``chain`` is ``(group, first block, next
    block of its group, first unit, number of units)`` per block/group id
    (-1 ends a list); ``inward`` holds, after ``K + 1`` offsets, the row
    entries into each block of alpha; ``sums`` is each group's
    ``(weight, error)``.

    The union's error is :func:`_tv_group_errors`'s (``x``'s units, then
    ``y``'s). Folding the columns ``x`` and ``y`` changes only the rows of
    the groups moving into both, and in each only the terms of its units
    moving into ``x`` or ``y``: with ``a``, ``b`` a unit's mass into ``x``
    and ``y`` and ``A``, ``B`` its group's mean, ``|a - A| + |b - B|``
    becomes ``|a + b - A - B|``. So a changed group's new error is its
    error plus those differences, read from the rows into ``x`` and ``y``
    only; one that comes out at (or within rounding of) 0 is evaluated
    whole, so that a group whose rows became equal scores exactly 0.

    Returns the changed groups (ascending) and the errors: the union's
    first, then one per changed group.
    """
    K = chain.shape[1]
    U = w.shape[0]
    mark = np.zeros(K, dtype=np.int8)
    group = chain[0].copy()
    into = 0
    for side in range(2):
        b = chain[1, x if side == 0 else y]
        while b >= 0:
            into += inward[b + 1] - inward[b]
            b = chain[2, b]
    # Each unit's mass into x (mass[0]) and into y (mass[1]), for the units moving there.
    mass = np.zeros((2, U))
    touched = np.empty(into, dtype=np.int64)
    n_touched = 0
    for side in range(2):
        b = chain[1, x if side == 0 else y]
        while b >= 0:
            for j in range(inward[b], inward[b + 1]):
                e = inward[K + 1 + j]
                u = rows[2, e]
                mark[chain[0, units[0, u]]] |= side + 1
                if mass[0, u] == 0.0 and mass[1, u] == 0.0:
                    touched[n_touched] = u
                    n_touched += 1
                mass[side, u] += raw[e]
            if side == 1:
                group[b] = x
            b = chain[2, b]
    n_changed = 0
    for h in range(K):
        if mark[h] == 3 and h != x and h != y:
            n_changed += 1
    changed = np.empty(n_changed, dtype=np.int64)
    n_changed = 0
    for h in range(K):
        if mark[h] == 3 and h != x and h != y:
            changed[n_changed] = h
            n_changed += 1
    out = np.empty(n_changed + 1, dtype=np.float64)
    out[0] = _tv_group_errors(ptr, rows, raw, w, _group_units(units, chain, x, y), group,
                              np.array([0, chain[4, x] + chain[4, y]]))[0]
    # The changed groups' means into x and y, then the differences of their terms.
    mean = np.zeros((2, K))
    for i in range(n_touched):
        u = touched[i]
        h = chain[0, units[0, u]]
        if mark[h] == 3 and h != x and h != y:
            fit = w[u] if sums[0, h] > 0 else 1.0
            mean[0, h] += fit * mass[0, u]
            mean[1, h] += fit * mass[1, u]
    delta = np.zeros(K)
    for i in range(n_touched):
        u = touched[i]
        h = chain[0, units[0, u]]
        if mark[h] == 3 and h != x and h != y:
            fit_mass = sums[0, h] if sums[0, h] > 0 else float(chain[4, h])
            A = mean[0, h] / fit_mass
            B = mean[1, h] / fit_mass
            a, bb = mass[0, u], mass[1, u]
            delta[h] += w[u] * (abs(a + bb - A - B) - abs(a - A) - abs(bb - B))
    for i in range(n_changed):
        h = changed[i]
        value = sums[1, h] + 0.5 * delta[h]
        if value < 1e-12:
            value = _tv_group_errors(ptr, rows, raw, w, _group_units(units, chain, h, -1),
                                     group, np.array([0, chain[4, h]]))[0]
        out[i + 1] = value
    return changed, out


@jit
def _group_units(units: np.ndarray, chain: np.ndarray, x: int, y: int) -> np.ndarray:
    """The units of group ``x`` then of ``y`` (-1: none), in list order."""
    count = chain[4, x] + (chain[4, y] if y >= 0 else 0)
    order = np.empty(count, dtype=np.int64)
    i = 0
    for g in (x, y):
        if g < 0:
            continue
        u = chain[3, g]
        while u >= 0:
            order[i] = u
            i += 1
            u = units[1, u]
    return order
