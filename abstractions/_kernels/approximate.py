"""Kernels of the approximate notions: plurality tables, first mismatches, lumpability rows."""

from __future__ import annotations

import numpy as np

from abstractions._kernels._jit import jit

__all__ = ["_first_mismatch", "_function_profile", "_lumping_defect", "_plurality"]

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
def _sort_row(blk: np.ndarray, raw: np.ndarray, q: np.ndarray, lo: int, hi: int) -> None:
    """Insertion sort of one short row ``lo:hi`` by block (rows have a few entries)."""
    for i in range(lo + 1, hi):
        b, r, x = blk[i], raw[i], q[i]
        j = i - 1
        while j >= lo and blk[j] > b:
            blk[j + 1], raw[j + 1], q[j + 1] = blk[j], raw[j], q[j]
            j -= 1
        blk[j + 1], raw[j + 1], q[j + 1] = b, r, x


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
    row_ptr = np.zeros(n + 1, dtype=np.int64)
    row_blk = np.empty(m, dtype=np.int64)
    row_raw = np.empty(m, dtype=np.float64)
    row_q = np.empty(m, dtype=np.int64)
    slot = np.full(k, -1, dtype=np.int64)
    fsum = np.zeros(m if not exact else 0, dtype=np.float64)
    isum = np.zeros(m if exact else 0, dtype=np.int64)
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
        _sort_row(row_blk, row_raw, row_q, lo, p)
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
    s_start = np.zeros(k + 1, dtype=np.int64)
    e_start = np.zeros(k + 1, dtype=np.int64)
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
    bscore = np.zeros(n, dtype=np.float64)
    out_b = np.empty(m, dtype=np.int64)
    out_c = np.empty(m, dtype=np.int64)
    out_p = np.empty(m, dtype=np.float64)
    n_out = 0
    mean = np.zeros(k, dtype=np.float64)
    seen = np.zeros(k, dtype=np.bool_)
    ref_q = np.zeros(k, dtype=np.int64)
    ref_mark = np.full(k, -1, dtype=np.int64)     # ref_mark[c] == b: c is in b's first row
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
        touched[:n_touched].sort()
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
    step: np.ndarray, labels: np.ndarray, w: np.ndarray, max_rounds: int
) -> tuple[np.ndarray, np.ndarray]:
    """Blocks and plurality loss of every round of the completion operator for a function.

    State ``i`` is in block ``labels[i]`` of round 0 and steps to
    ``step[i]``; ``w`` is its weight (empty: weight 1). Round ``j + 1``
    splits each block of round ``j`` by the round-``j`` block of the next
    state. Returns ``blocks[j]`` and ``loss[j] = sum_B (mu(B) - max_C mu(B
    & step^-1 C))`` over the blocks ``B`` of round ``j``, up to the first
    round that splits nothing (its loss is 0) or to round ``max_rounds``
    (negative: no limit).

    Only *dirty* blocks are read: in round 0 all of them, later those with
    a state whose next state changed block in the last round. Every block
    of a round ``j >= 1`` sends all its states into one block of round
    ``j - 1``, so a block none of whose next states changed block neither
    splits nor loses anything (the argument of Hopcroft's and Paige and
    Tarjan's algorithms). The states are kept grouped by block, and a block
    that splits keeps its id for its largest part, so only the other parts
    change id (fresh ids: there are never more than ``n`` blocks); their
    predecessors (a CSR of the inverse of ``step``) mark the next round's
    dirty blocks. Scratch rows of ``n`` cells are reset where touched.
    """
    n = step.shape[0]
    weighted = w.shape[0] == n
    # Predecessors of each state.
    pptr = np.zeros(n + 1, dtype=np.int64)
    for i in range(n):
        pptr[step[i] + 1] += 1
    for i in range(n):
        pptr[i + 1] += pptr[i]
    pfill = pptr[:n].copy()
    pidx = np.empty(n, dtype=np.int64)
    for i in range(n):
        t = step[i]
        pidx[pfill[t]] = i
        pfill[t] += 1
    # States grouped by block; new blocks take fresh ids (never more than n).
    k = 0
    for i in range(n):
        if labels[i] + 1 > k:
            k = labels[i] + 1
    first = np.full(k, -1, dtype=np.int64)
    size = np.zeros(k + 1, dtype=np.int64)
    for i in range(n):
        b = labels[i]
        if first[b] < 0:
            first[b] = i
        size[b + 1] += 1
    for b in range(k):
        size[b + 1] += size[b]
    lab = np.empty(n, dtype=np.int64)
    elems = np.empty(n, dtype=np.int64)
    bstart = np.zeros(n + k, dtype=np.int64)
    bend = np.zeros(n + k, dtype=np.int64)
    fill = size[:k].copy()
    for i in range(n):
        b = labels[i]
        lab[i] = b
        elems[fill[b]] = i
        fill[b] += 1
    dirty = np.empty(n, dtype=np.int64)
    n_dirty = 0
    n_blocks = 0
    for b in range(k):
        if first[b] >= 0:
            bstart[b] = size[b]
            bend[b] = size[b + 1]
            dirty[n_dirty] = b
            n_dirty += 1
            n_blocks += 1
    fresh = k
    mark = np.full(n + k, -1, dtype=np.int64)
    nx = np.empty(n, dtype=np.int64)
    tmp = np.empty(n, dtype=np.int64)
    cnt = np.zeros(n + k, dtype=np.int64)
    off = np.zeros(n + k, dtype=np.int64)
    mass = np.zeros(n + k if weighted else 0, dtype=np.float64)
    distinct = np.empty(n, dtype=np.int64)
    changed = np.empty(n, dtype=np.int64)
    blocks = [n_blocks]
    losses = []
    r = 0
    while True:
        # Next blocks of the dirty blocks' states, under this round's ids.
        for d in range(n_dirty):
            for p in range(bstart[dirty[d]], bend[dirty[d]]):
                nx[p] = lab[step[elems[p]]]
        loss = 0.0
        n_changed = 0
        grown = 0
        for d in range(n_dirty):
            old = dirty[d]
            lo = bstart[old]
            hi = bend[old]
            n_distinct = 0
            for p in range(lo, hi):
                c = nx[p]
                if cnt[c] == 0:
                    distinct[n_distinct] = c
                    n_distinct += 1
                cnt[c] += 1
                if weighted:
                    mass[c] += w[elems[p]]
            total = 0.0
            heavy = 0.0
            for j in range(n_distinct):
                c = distinct[j]
                x = mass[c] if weighted else float(cnt[c])
                total += x
                if x > heavy:
                    heavy = x
            loss += total - heavy
            if n_distinct > 1:
                # A stable counting sort of the block's states by next block.
                at = lo
                for j in range(n_distinct):
                    c = distinct[j]
                    off[c] = at
                    at += cnt[c]
                for p in range(lo, hi):
                    c = nx[p]
                    tmp[off[c]] = elems[p]
                    off[c] += 1
                # The largest part keeps the id: only the others change.
                keep = distinct[0]
                for j in range(1, n_distinct):
                    if cnt[distinct[j]] > cnt[keep]:
                        keep = distinct[j]
                at = lo
                for j in range(n_distinct):
                    c = distinct[j]
                    a = at
                    at += cnt[c]
                    for p in range(a, at):
                        elems[p] = tmp[p]
                    if c == keep:
                        bid = old
                    else:
                        bid = fresh
                        fresh += 1
                    bstart[bid] = a
                    bend[bid] = at
                    if bid != old:
                        for p in range(a, at):
                            lab[elems[p]] = bid
                            changed[n_changed] = elems[p]
                            n_changed += 1
                grown += n_distinct - 1
            for j in range(n_distinct):
                c = distinct[j]
                cnt[c] = 0
                if weighted:
                    mass[c] = 0.0
        losses.append(loss)
        if grown == 0 or (max_rounds >= 0 and r >= max_rounds):
            break
        n_blocks += grown
        blocks.append(n_blocks)
        r += 1
        # The next round's dirty blocks: those of the changed states' predecessors.
        n_dirty = 0
        for q in range(n_changed):
            c = changed[q]
            for e in range(pptr[c], pptr[c + 1]):
                b = lab[pidx[e]]
                if mark[b] != r and bend[b] - bstart[b] > 1:
                    mark[b] = r
                    dirty[n_dirty] = b
                    n_dirty += 1
    return np.array(blocks, dtype=np.int64), np.array(losses, dtype=np.float64)
