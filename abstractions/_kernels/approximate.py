"""Kernels of the approximate notions: plurality tables, first mismatches, lumpability rows."""

from __future__ import annotations

from typing import Any

import numpy as np

from abstractions._kernels._jit import jit
from abstractions._kernels.steps import _sort_ints

__all__ = [
    "_first_mismatch", "_function_greedy", "_function_profile", "_greedy_scratch",
    "_lumping_defect", "_plurality", "_tv_group_errors",
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


@jit(wrapper=False)
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
# merges and the figures are the Python version's exactly.
#
# A group has three maps: its histogram (target group -> weight), its
# predecessors (a set: the values go unused) and its beta weights (class ->
# weight). A map is a circular doubly linked list of entries in insertion
# order, a Python dict's order (a new key goes last, a key set again keeps
# its place, a popped key leaves), so that each float sum made along a map
# (``_shared``'s) adds in the Python version's order; one open-addressing
# hash table over (map, key) finds an entry. It all lives in flat arrays
# that ``_greedy_scratch`` allocates once: a merge folds the smaller of two
# maps into the larger, and every other new key replaces one popped just
# before, so there are never more entries than at the start.
#
# Written to compile cheaply, as numba's compile time grows with the code
# (it was the slowest kernel to compile: 20 s with typed dicts of three
# types, 6 s with one): no typed dicts (each dict type compiles numba's dict
# machinery), one loop that writes the push and the merge once, helpers
# without a Python entry point (``jit(wrapper=False)``), int keys sorted by
# ``steps._sort_ints`` (not ``np.sort``), the heap an array of rows (numba's
# ``heapq`` on tuples cost seconds). Any correct heap pops the same rows as
# Python's ``heapq``: they are ordered by all seven fields, so rows that tie
# are alike (and the order of the pairs pushed between two pops does not
# matter either). And to run fast: the helpers take arrays, not tuples of
# arrays, and read every array on all their paths or past their branches,
# which lets numba drop the reference counting of the arrays they get.

#: The rows of ``groups``: mass, top, err, A, L, bmax, parts.
_MASS, _TOP, _ERR, _A, _L, _BMAX, _PARTS = 0, 1, 2, 3, 4, 5, 6
#: The fields of a heap row: key, loss, cost, a, b, version of a, version of b.
_FIELDS = 7
#: The columns of ``link``, one row an entry (together in memory): its key,
#: next and previous entry; ``val`` holds its value. Row 0 holds the keys a
#: map can have (``_KEY``: key ``c`` of map ``m`` is ``m * that + c`` in the
#: hash table ``slots``, a row a slot: that key, -1 for none, and its
#: entry), heads the stack of free entries (``_NEXT``) and reads 0.0
#: (``val``). Rows 1 to 3 K are the maps' own, their lists' ends: first
#: entry (``_NEXT``), last entry (``_PREV``) and size (``_KEY``).
_KEY, _NEXT, _PREV = 0, 1, 2
#: The rows of ``work``, one column a group: marks, candidates, two lists of
#: keys, a spare list, versions, unit counts (-1: merged away), then its
#: maps: ``work[_MAPS + kind, g]``, kind ``_HIST``, ``_PRED`` or ``_BETA``.
_MARK, _FOUND, _SUCC, _BEFORE, _SPARE, _VERSION, _COUNT, _MAPS = 0, 1, 2, 3, 4, 5, 6, 7
_HIST, _PRED, _BETA = 0, 1, 2


def _greedy_scratch(units: np.ndarray, pairs: np.ndarray, K: int) -> tuple[np.ndarray, ...]:
    """``link``, ``val``, ``slots`` and ``work`` of ``_function_greedy``: the maps empty.

    Histograms and predecessors have at most one entry a unit, beta weights
    one a pair; the hash table stays at most half full. Plain numpy: the
    kernel's gate calls it (numba would compile these lines too).
    """
    n_maps = 3 * K
    n_entries = 1 + n_maps + 2 * units.shape[1] + pairs.shape[1]
    link = np.zeros((n_entries, 3), dtype=np.int64)
    link[0, _KEY] = max(K, int(pairs[1].max()) + 1 if pairs.shape[1] else 0)
    link[:, _NEXT] = np.arange(1, n_entries + 1)  # the free entries, in order
    link[0, _NEXT] = n_maps + 1
    link[1: n_maps + 1, _NEXT] = link[1: n_maps + 1, _PREV] = np.arange(1, n_maps + 1)
    slots = np.full((max(16, 1 << (2 * n_entries - 1).bit_length()), 2), -1, dtype=np.int64)
    work = np.zeros((_MAPS + 3, K), dtype=np.int64)
    work[_MAPS:] = np.arange(1, n_maps + 1).reshape(3, K)
    return link, np.zeros(n_entries), slots, work


@jit(wrapper=False)
def _xlogx(v: float) -> float:
    return v * np.log2(v) if v > 0 else 0.0


@jit(wrapper=False)
def _slot(link: np.ndarray, slots: np.ndarray, m: int, c: int) -> int:
    """The slot of key ``c`` of map ``m`` in the hash table, or the empty slot where it would go."""
    key = m * link[0, _KEY] + c
    mask = slots.shape[0] - 1
    # Linear probing from a multiplicative hash of the low 31 bits and the
    # rest: no product reaches 2**63, so compiled (int64) and
    # NUMBA_DISABLE_JIT (numpy scalars) agree, and numpy has no overflow to warn of.
    i = (((key & 0x7FFFFFFF) * 0x9E3779B1 + (key >> 31) * 0x7FEB352D) >> 16) & mask
    while slots[i, 0] != key and slots[i, 0] >= 0:
        i = (i + 1) & mask
    return int(i)


@jit(wrapper=False)
def _get(link: np.ndarray, val: np.ndarray, slots: np.ndarray, m: int, c: int) -> float:
    """``m.get(c, 0.0)``: an absent key reads column 0's 0.0."""
    return float(val[max(slots[_slot(link, slots, m, c), 1], 0)])


@jit(wrapper=False)
def _add(link: np.ndarray, val: np.ndarray, slots: np.ndarray, m: int, c: int, v: float) -> float:
    """``m[c] = m.get(c, 0.0) + v`` (a new key goes last); the new value."""
    i = _slot(link, slots, m, c)
    e = slots[i, 1]
    new = e < 0
    if new:
        e = link[0, _NEXT]  # a free entry
        link[0, _NEXT] = link[e, _NEXT]
        link[e, _KEY], link[e, _PREV], link[e, _NEXT] = c, link[m, _PREV], m
        link[link[m, _PREV], _NEXT] = e
        link[m, _PREV] = e
        val[e] = 0.0
    link[m, _KEY] += new
    slots[i, 0], slots[i, 1] = m * link[0, _KEY] + c, e
    val[e] += v
    return float(val[e])


@jit(wrapper=False)
def _pop(link: np.ndarray, val: np.ndarray, slots: np.ndarray, m: int, c: int) -> float:
    """``m.pop(c, 0.0)``: the entry is free again, its place in the order closes up."""
    i = _slot(link, slots, m, c)
    e = slots[i, 1]
    v = val[max(e, 0)]
    found = e >= 0
    if found:
        link[link[e, _PREV], _NEXT] = link[e, _NEXT]
        link[link[e, _NEXT], _PREV] = link[e, _PREV]
        link[e, _NEXT] = link[0, _NEXT]
        link[0, _NEXT] = e
        # No tombstones: the keys after the hole move back into it unless
        # the slot they hash to (as in ``_slot``) lies between the hole and them.
        mask = slots.shape[0] - 1
        j = i
        while slots[(j + 1) & mask, 0] >= 0:
            j = (j + 1) & mask
            k = slots[j, 0]
            h = (((k & 0x7FFFFFFF) * 0x9E3779B1 + (k >> 31) * 0x7FEB352D) >> 16) & mask
            if (h <= i or h > j) if i < j else (h <= i and h > j):
                slots[i, 0], slots[i, 1] = k, slots[j, 1]
                i = j
    link[m, _KEY] -= found
    slots[i, 0], slots[i, 1] = -1, -1
    return float(v)


@jit(wrapper=False)
def _keys(link: np.ndarray, slots: np.ndarray, m: int, other: int, out: np.ndarray,
          unsorted: int) -> int:
    """The keys of map ``m`` (those also in map ``other``, unless it is 0) to ``out``.

    In the map's order if at most ``unsorted`` of them, else sorted. Returns how many.
    """
    n = int(np.int64(0))  # (0, but not a literal: _sort_ints would compile for it too)
    e = link[m, _NEXT]
    while e != m:
        if other == 0 or slots[_slot(link, slots, other, link[e, _KEY]), 1] >= 0:
            out[n] = link[e, _KEY]
            n += 1
        e = link[e, _NEXT]
    _sort_ints(out, n * (n > unsorted))  # (no branch: out is read on every path)
    return n


@jit(wrapper=False)
def _nearest(link: np.ndarray, slots: np.ndarray, m: int, g: int, width: int, out: np.ndarray,
             work: np.ndarray, stamp: int, n: int) -> tuple[int, int, int]:
    """``frontier._nearest`` of the keys of map ``m``, collected as candidates.

    The keys go to ``out``; the few (all, in the map's order, or the
    ``2 * width + 1`` sorted ones nearest ``g``) are ``out[lo:hi]``, and
    those not marked with ``stamp`` are marked and appended to the
    candidates ``work[_FOUND, :n]``. Returns ``lo``, ``hi`` and the new ``n``.
    """
    k = _keys(link, slots, m, int(np.int64(0)), out, 2 * width)
    lo, hi = 0, k
    if k > 2 * width:
        while lo < hi:  # the first key >= g, as np.searchsorted
            mid = (lo + hi) // 2
            if out[mid] < g:
                lo = mid + 1
            else:
                hi = mid
        lo, hi = max(lo - width, 0), min(lo + width + 1, k)
    for i in range(lo, hi):
        if work[_MARK, out[i]] != stamp:
            work[_MARK, out[i]] = stamp
            work[_FOUND, n] = out[i]
            n += 1
    return lo, hi, n


@jit(wrapper=False)
def _merged_top(link: np.ndarray, val: np.ndarray, slots: np.ndarray, work: np.ndarray,
                top: np.ndarray, x: int, y: int) -> float:
    """``frontier._FunctionGreedy._merged_top``: the largest entry of the merged histogram."""
    hx, hy = work[_MAPS + _HIST, x], work[_MAPS + _HIST, y]
    swap = link[hy, _KEY] > link[hx, _KEY]  # (then hx is the smaller)
    small = hx if swap else hy
    best = top[y if swap else x]
    folded = (_get(link, val, slots, hx, x) + _get(link, val, slots, hx, y)
              + _get(link, val, slots, hy, x) + _get(link, val, slots, hy, y))
    if folded > best:
        best = folded
    e = link[small, _NEXT]
    while e != small:
        c = link[e, _KEY]
        if c != x and c != y:
            v = val[e] + _get(link, val, slots, hx + hy - small, c)
            if v > best:
                best = v
        e = link[e, _NEXT]
    return float(best)


@jit(wrapper=False)
def _shared(link: np.ndarray, val: np.ndarray, slots: np.ndarray, work: np.ndarray, x: int,
            y: int) -> tuple[float, float]:
    """``frontier._BetaBook.shared``: the change of ``A`` and the largest sum, in its order."""
    bx, by = work[_MAPS + _BETA, x], work[_MAPS + _BETA, y]
    small = bx if link[bx, _KEY] <= link[by, _KEY] else by
    extra = 0.0
    most = 0.0
    e = link[small, _NEXT]
    while e != small:
        f = slots[_slot(link, slots, bx + by - small, link[e, _KEY]), 1]
        if f >= 0:
            u, v = val[f], val[e]
            extra += _xlogx(u + v) - _xlogx(u) - _xlogx(v)
            if u + v > most:
                most = u + v
        e = link[e, _NEXT]
    return extra, most


@jit(wrapper=False)
def _union(link: np.ndarray, val: np.ndarray, slots: np.ndarray, work: np.ndarray, kind: int,
           x: int, y: int, stamp: int, loop: bool) -> None:
    """Group ``y``'s map of kind ``kind`` joins group ``x``'s, the smaller into the larger.

    ``big[c] = big.get(c, 0.0) + v`` for each ``(c, v)`` of the smaller map,
    which empties; with ``stamp >= 0`` each key not marked with it yet is
    marked and gets a new version. A histogram or predecessors then have
    ``x`` and ``y`` as one key: ``x``, with the sum of both entries, if
    ``loop``.
    """
    maps = work[_MAPS + kind]
    big = maps[y] if link[maps[y], _KEY] > link[maps[x], _KEY] else maps[x]
    small = maps[x] + maps[y] - big
    e = link[small, _NEXT]
    while e != small:
        c = link[e, _KEY]
        e = link[e, _NEXT]  # (before the pop frees the entry)
        v = _pop(link, val, slots, small, c)
        if stamp >= 0 and work[_MARK, c] != stamp:
            work[_MARK, c] = stamp
            work[_VERSION, c] += 1
        _add(link, val, slots, big, c, v)
    if kind != _BETA:
        folded = _pop(link, val, slots, big, x) + _pop(link, val, slots, big, y)
        if loop:  # (0.0 + folded: no histogram entry is -0.0)
            _add(link, val, slots, big, x, folded)
    maps[x], maps[y] = big, small


@jit(wrapper=False)
def _precedes(heap: np.ndarray, a: int, b: int) -> bool:
    """Whether row ``a`` sorts before row ``b``: as tuples, by the first field that differs."""
    f = 0
    while f < _FIELDS - 1 and heap[a, f] == heap[b, f]:
        f += 1
    return bool(heap[a, f] < heap[b, f])


@jit(wrapper=False)
def _sift(heap: np.ndarray, pos: int, end: int) -> None:
    """Row ``pos`` of the heap ``heap[:end]`` moves down to its place, then up to it."""
    while 2 * pos + 1 < end:
        child = 2 * pos + 1
        if child + 1 < end and _precedes(heap, child + 1, child):
            child += 1
        if not _precedes(heap, child, pos):
            break
        for f in range(_FIELDS):
            heap[pos, f], heap[child, f] = heap[child, f], heap[pos, f]
        pos = child
    while pos > 0 and _precedes(heap, pos, (pos - 1) >> 1):
        for f in range(_FIELDS):
            heap[pos, f], heap[(pos - 1) >> 1, f] = heap[(pos - 1) >> 1, f], heap[pos, f]
        pos = (pos - 1) >> 1


@jit
def _function_greedy(
    units: np.ndarray, unit_w: np.ndarray, pairs: np.ndarray, pair_w: np.ndarray,
    groups: np.ndarray, sums: np.ndarray, target: int, all_pairs: int, scratch: Any,
) -> tuple[np.ndarray, np.ndarray]:
    """The greedy merges of one function's quotient under ``"mismatch"``, cheapest first.

    Unit ``i`` (a block of ``C(alpha)``) lies in block ``units[0, i]`` of
    ``alpha``, moves into block ``units[1, i]`` and weighs ``unit_w[i]``;
    the (block, beta class) pair ``pairs[:, j]`` (the pairs are distinct)
    weighs ``pair_w[j]``. ``groups`` holds the rows mass, top, err, A, L,
    bmax, parts of a fresh ``frontier._FunctionGreedy`` and ``sums`` its
    total error, information sum, accuracy sum and total weight, then flat
    beta (0/1), the price of information, per weight (0/1) and the error
    bound; both change in place. ``scratch`` is ``_greedy_scratch(units,
    pairs, K)`` (the gate makes it). Merges stop at ``target`` groups or
    before a merge past the bound. Returns the merges ``(a, b)`` (rows)
    and, per point of the frontier (the start first), total error,
    information, accuracy (rows).
    """
    K = groups.shape[1]
    link, val, slots, work = scratch
    for i in range(units.shape[1]):
        b, c = units[0, i], units[1, i]
        _add(link, val, slots, 1 + b, c, unit_w[i])
        work[_COUNT, b] += 1
        _add(link, val, slots, 1 + K + c, b, 1.0)
    for j in range(pairs.shape[1]):  # (distinct pairs: 0.0 + w, never -0.0, is w)
        _add(link, val, slots, 1 + 2 * K + pairs[0, j], pairs[1, j], pair_w[j])
    mass, top, err, A, L, bmax, parts = (groups[_MASS], groups[_TOP], groups[_ERR], groups[_A],
                                         groups[_L], groups[_BMAX], groups[_PARTS])
    mark, found, spare, version, count = (work[_MARK], work[_FOUND], work[_SPARE],
                                          work[_VERSION], work[_COUNT])
    hist, pred = work[_MAPS + _HIST], work[_MAPS + _PRED]
    heap = np.empty((max(K, 16), _FIELDS), dtype=np.float64)
    merges = np.empty((max(K - 1, 0), 2), dtype=np.int64)
    points = np.empty((K, 3), dtype=np.float64)
    # Ints passed to helpers are never literals (each literal would compile
    # a variant of the helper): ``none`` is 0, but no literal.
    none = int(np.int64(0))
    size, stamp, keep = none, none, none - 1
    n_points = 0
    n_alive = K
    seed = 0  # the next group whose candidates seed the heap
    while True:
        if n_points < K - n_alive + 1:  # the point after the last merge (or the start)
            points[n_points, 0] = sums[0]
            points[n_points, 1] = max(sums[1] / sums[3], 0.0) if sums[3] > 0 else 0.0
            points[n_points, 2] = sums[2] / sums[3] if sums[3] > 0 else 0.0
            n_points += 1
        # Each round makes a batch, then pushes it: the pairs (found[i],
        # found[j]) for i < rows and i < j < min(i + 1 + span, n); with
        # ``star``, found[0]'s candidates first (its pairs with them).
        n = rows = 0
        span = K
        star = False
        if seed < K and K <= all_pairs:  # seeding: all pairs
            for g in range(K):
                found[g] = g
            n = rows = seed = K
        elif seed < K:  # seeding: each group with its greater candidates
            found[0] = seed
            seed += 1
            star = True
        elif keep >= 0:  # after a merge: the eight least successors of keep but itself
            for i in range(_keys(link, slots, hist[keep], none, spare, none)):
                if spare[i] != keep and n < 8:
                    found[n] = spare[i]
                    n += 1
            rows = n
            keep = none - 1
        elif n_alive <= target:
            break
        elif size == 0:  # reseed: all pairs of groups if few, else neighbours in id order
            for g in range(K):
                if count[g] >= 0:
                    found[n] = g
                    n += 1
            if n < 2:
                break  # (never: merges stop at one group)
            rows = n
            span = 1 if n > all_pairs else K
        else:
            cost, a, b = heap[0, 2], int(heap[0, 3]), int(heap[0, 4])
            stale = int(heap[0, 5]) != version[a] or int(heap[0, 6]) != version[b]
            size -= 1
            for f in range(_FIELDS):
                heap[0, f] = heap[size, f]
            _sift(heap, none, size)
            if count[a] < 0 or count[b] < 0:
                continue
            if stale:  # pushed again
                found[0], found[1] = a, b
                n = 2
                rows = 1
            elif sums[0] + cost > sums[7] + 1e-12:  # past the error bound
                break
            else:
                # ``frontier._FunctionGreedy.merge``: group y into x. The new
                # versions come first (only which groups get one matters): x,
                # y, the groups moving into both, and (``_union``) the keys of
                # the smaller histogram, each once.
                x, y = a, b
                if count[b] > count[a]:
                    x, y = b, a
                merges[n_points - 1, 0], merges[n_points - 1, 1] = a, b
                stamp += 1
                mark[x] = mark[y] = stamp
                version[x] += 1
                version[y] += 1
                small = pred[x] if link[pred[x], _KEY] <= link[pred[y], _KEY] else pred[y]
                large = pred[x] + pred[y] - small
                for i in range(_keys(link, slots, small, large, spare, none + K)):
                    if mark[spare[i]] != stamp:
                        mark[spare[i]] = stamp
                        version[spare[i]] += 1
                new_top = _merged_top(link, val, slots, work, top, x, y)
                delta = -(err[x] + err[y])
                # Columns, in id order: every group moving into y now moves into x.
                for i in range(_keys(link, slots, pred[y], none, spare, none)):
                    z = spare[i]
                    if z != x and z != y:
                        v = _add(link, val, slots, hist[z], x, _pop(link, val, slots, hist[z], y))
                        if v > top[z]:
                            delta += mass[z] - v - err[z]
                            top[z] = v
                            err[z] = mass[z] - v
                # Rows: the groups y moves into have x, not y, among their predecessors.
                for i in range(_keys(link, slots, hist[y], none, spare, none + K)):
                    if spare[i] != x and spare[i] != y:
                        c = pred[spare[i]]
                        _add(link, val, slots, c, x, _pop(link, val, slots, c, y))
                loop = (slots[_slot(link, slots, hist[x], x), 1] >= 0
                        or slots[_slot(link, slots, hist[x], y), 1] >= 0
                        or slots[_slot(link, slots, hist[y], x), 1] >= 0
                        or slots[_slot(link, slots, hist[y], y), 1] >= 0)
                _union(link, val, slots, work, none + _HIST, x, y, stamp, loop)
                _union(link, val, slots, work, none + _PRED, x, y, none - 1, loop)
                extra, most = _shared(link, val, slots, work, x, y)
                mass[x] += mass[y]
                mass[y] = 0.0
                top[x], top[y] = new_top, 0.0
                err[x], err[y] = mass[x] - new_top, 0.0
                sums[0] += delta + err[x]
                _union(link, val, slots, work, none + _BETA, x, y, none - 1, loop)
                A[x] += A[y] + extra
                L[x] += L[y]
                A[y] = L[y] = 0.0
                sums[1] -= parts[x] + parts[y]
                sums[2] -= bmax[x] + bmax[y]
                bmax[x], bmax[y] = max(bmax[x], bmax[y], most), 0.0
                m = mass[x]
                parts[x] = 0.0 if (m <= 0 or sums[4] != 0.0) else A[x] + L[x] - _xlogx(m)
                parts[y] = 0.0
                sums[1] += parts[x]
                sums[2] += bmax[x]
                count[x] += count[y]
                count[y] = -1
                n_alive -= 1
                found[0] = keep = x  # its candidates now, its siblings next round
                star = True
        if star:
            # ``frontier._FunctionGreedy.candidates`` of hub, each once.
            hub = found[0]
            stamp += 1
            mark[hub] = stamp
            succ, before, width, narrow = work[_SUCC], work[_BEFORE], none + 8, none + 4
            s0, s1, n = _nearest(link, slots, hist[hub], hub, width, succ, work, stamp, none + 1)
            b0, b1, n = _nearest(link, slots, pred[hub], hub, width, before, work, stamp, n)
            for i in range(b0, b1):
                near = hist[before[i]]
                _, _, n = _nearest(link, slots, near, hub, narrow, spare, work, stamp, n)
            for i in range(s0, s1):
                near = pred[succ[i]]
                _, _, n = _nearest(link, slots, near, hub, narrow, spare, work, stamp, n)
            if keep < 0:  # seeding: the pairs with a greater group only
                kept = 1
                for i in range(1, n):
                    if found[i] > hub:
                        found[kept] = found[i]
                        kept += 1
                n = kept
            rows = 1
        # Push the batch: ``push`` of ``frontier._greedy_loop``.
        for i in range(rows):
            for j in range(i + 1, min(i + 1 + span, n)):
                a, b = min(found[i], found[j]), max(found[i], found[j])
                # The cost: ``frontier._FunctionGreedy.cost``, over the groups
                # moving into both in id order (as the Python version).
                top_ab = _merged_top(link, val, slots, work, top, a, b)
                cost = (mass[a] + mass[b] - top_ab) - err[a] - err[b]
                small = pred[a] if link[pred[a], _KEY] <= link[pred[b], _KEY] else pred[b]
                large = pred[a] + pred[b] - small
                for k in range(_keys(link, slots, small, large, spare, none)):
                    z = spare[k]
                    if z != a and z != b:
                        v = _get(link, val, slots, hist[z], a) + _get(
                            link, val, slots, hist[z], b)
                        if v > top[z]:
                            cost -= v - top[z]
                # The loss: ``frontier._FunctionGreedy.info_loss`` (none when beta is flat).
                loss = 0.0
                if sums[4] == 0.0:
                    extra, _ = _shared(link, val, slots, work, a, b)
                    m = mass[a] + mass[b]
                    merged = 0.0 if m <= 0 else A[a] + A[b] + extra + L[a] + L[b] - _xlogx(m)
                    loss = (parts[a] + parts[b] - merged) / max(sums[3], 1e-300)
                v = cost + sums[5] * loss
                if sums[6] != 0.0:
                    v /= max(mass[a] + mass[b], 1e-300)
                if size == heap.shape[0]:
                    grown = np.empty((2 * size, _FIELDS), dtype=np.float64)
                    for r in range(size):
                        for f in range(_FIELDS):
                            grown[r, f] = heap[r, f]
                    heap = grown
                heap[size, 0] = float(np.rint(v * 1e12)) / 1e12  # frontier._key
                heap[size, 1] = loss
                heap[size, 2] = cost
                heap[size, 3] = a
                heap[size, 4] = b
                heap[size, 5] = version[a]
                heap[size, 6] = version[b]
                _sift(heap, size, size + 1)
                size += 1
    return merges[: n_points - 1].copy(), points[:n_points].copy()


# ---------------------------------------------------------------------- coarsen of a Markov chain


@jit(wrapper=False)
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


@jit(wrapper=False)
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
            d = int(np.int64(0))  # (not a literal 0: _sort_ints would compile for it too)
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
        n_targets = int(np.int64(0))  # (not a literal 0, as d above)
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


@jit(wrapper=False)
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
