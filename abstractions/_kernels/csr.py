"""Kernels on a CSR relation (``indptr``, ``targets``)."""

from __future__ import annotations

import numpy as np

from abstractions._kernels._jit import jit

__all__ = ["_quotient_rows", "_reach_csr", "_rows_agree"]


@jit
def _reach_csr(indptr: np.ndarray, targets: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Mask of the states reachable from ``starts`` along the relation.

    Depth-first with an explicit stack: every state is pushed at most once
    (it is marked when pushed), so the work is O(n + m) whatever the shape,
    where a frontier loop in numpy would pay one round per level (``n`` on
    a chain).
    """
    n = indptr.shape[0] - 1
    seen = np.empty(n, dtype=np.bool_)
    seen[:] = False
    stack = np.empty(n, dtype=np.int64)
    top = 0
    for i in range(starts.shape[0]):
        s = starts[i]
        if not seen[s]:
            seen[s] = True
            stack[top] = s
            top += 1
    while top > 0:
        top -= 1
        s = stack[top]
        for j in range(indptr[s], indptr[s + 1]):
            t = targets[j]
            if not seen[t]:
                seen[t] = True
                stack[top] = t
                top += 1
    return seen


#: Rows up to this long are sorted by insertion, longer ones by merging.
_SHORT = 32


@jit
def _quotient_rows(
    indptr: np.ndarray,
    targets: np.ndarray,
    symbols: np.ndarray,
    wi: np.ndarray,
    wf: np.ndarray,
    mode: int,
    inv_tol: float,
    labels: np.ndarray,
    reps: np.ndarray,
    nsym: int,
    qptr: np.ndarray,
    odst: np.ndarray,
    ovi: np.ndarray,
    ovf: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """The transitions of each block's representative, aggregated into blocks, sorted.

    Row ``b`` of the result is state ``reps[b]``'s transitions seen through
    ``labels`` (``reps.shape[0]`` blocks): one entry per (symbol, target
    block), sorted by both, whose value is the number 1 (mode 0), the int64
    sum of ``wi`` (mode 1) or the float sum of ``wf`` (mode 2, left out
    when it rounds to 0 at ``inv_tol``). ``symbols`` is empty for one
    symbol. Returns ``(qptr, sym, dst, vi, vf)``: row ``b`` is entries
    ``qptr[b]:qptr[b+1]`` of the others (``sym`` empty for one symbol: the
    caller's zeros need not be written here). Row pointers rather than a
    source per entry: both users want them (the quotient's CSR, and
    :func:`_rows_agree`), and counting sources again cost an O(m) pass each.

    The caller makes the buffers: ``qptr`` (``k + 1``), and of at least as
    many entries as the representatives have transitions ``odst``, ``ovi``
    (mode 1) and ``ovf`` (mode 2), else empty. They come from
    numpy, whose large arrays get huge pages: a kernel's own would fault
    in a 4 KB page at a time (nand's 873,483 rows, repeated in one
    process: 5,231 faults and 34.5 ms, against 1,143 and 28.0 ms). The
    results are views of them.

    One pass over the representatives' transitions, each row sorted on its
    own by a stable sort (insertion for short rows, merging for long ones:
    O(d log d) for a row of ``d``), so the transitions of one entry stay in
    their original order and float sums are added in that order (numpy's
    twin adds runs of 8 or more pairwise: the last bits may differ).
    """
    k = reps.shape[0]
    total = 0
    longest = 0
    for b in range(k):
        r = reps[b]
        d = indptr[r + 1] - indptr[r]
        total += d
        longest = max(longest, d)
    qptr[0] = 0
    osym = np.empty(total if nsym > 1 else 0, dtype=np.int64)
    # One row's (key, transition), sorted; merge scratch for long rows.
    key = np.empty(longest, dtype=np.int64)
    edge = np.empty(longest, dtype=np.int64)
    key2 = np.empty(longest if longest > _SHORT else 0, dtype=np.int64)
    edge2 = np.empty(key2.shape[0], dtype=np.int64)
    out = 0
    for b in range(k):
        r = reps[b]
        lo = indptr[r]
        d = indptr[r + 1] - lo
        for i in range(d):
            j = lo + i
            a = symbols[j] if nsym > 1 else 0
            key[i] = a * k + labels[targets[j]]
            edge[i] = j
        if d <= _SHORT:
            for i in range(1, d):
                kk = key[i]
                ee = edge[i]
                h = i - 1
                while h >= 0 and key[h] > kk:
                    key[h + 1] = key[h]
                    edge[h + 1] = edge[h]
                    h -= 1
                key[h + 1] = kk
                edge[h + 1] = ee
        else:
            width = 1
            src_k, src_e, dst_k, dst_e = key, edge, key2, edge2
            while width < d:
                for left in range(0, d, 2 * width):
                    mid = min(left + width, d)
                    right = min(left + 2 * width, d)
                    x, y, z = left, mid, left
                    while x < mid and y < right:
                        if src_k[y] < src_k[x]:
                            dst_k[z] = src_k[y]
                            dst_e[z] = src_e[y]
                            y += 1
                        else:
                            dst_k[z] = src_k[x]
                            dst_e[z] = src_e[x]
                            x += 1
                        z += 1
                    while x < mid:
                        dst_k[z] = src_k[x]
                        dst_e[z] = src_e[x]
                        x += 1
                        z += 1
                    while y < right:
                        dst_k[z] = src_k[y]
                        dst_e[z] = src_e[y]
                        y += 1
                        z += 1
                src_k, src_e, dst_k, dst_e = dst_k, dst_e, src_k, src_e
                width *= 2
            if src_k is not key:
                for i in range(d):
                    key[i] = src_k[i]
                    edge[i] = src_e[i]
        # Runs of equal key become one entry.
        p = 0
        while p < d:
            kk = key[p]
            j = edge[p]
            si = wi[j] if mode == 1 else 0
            sf = wf[j] if mode == 2 else 0.0
            p += 1
            while p < d and key[p] == kk:
                if mode == 1:
                    si += wi[edge[p]]
                elif mode == 2:
                    sf += wf[edge[p]]
                p += 1
            if mode == 2 and np.floor(sf * inv_tol + 0.5) == 0.0:
                continue
            if nsym > 1:
                osym[out] = kk // k
                odst[out] = kk % k
            else:
                odst[out] = kk  # no division: a tenth of the kernel's time
            if mode == 1:
                ovi[out] = si
            elif mode == 2:
                ovf[out] = sf
            out += 1
        qptr[b + 1] = out
    # Views, not copies: a copy would fault in fresh pages again.
    return (
        qptr, osym[: out if nsym > 1 else 0], odst[:out],
        ovi[: out if mode == 1 else 0], ovf[: out if mode == 2 else 0],
    )


@jit
def _rows_agree(
    indptr: np.ndarray,
    targets: np.ndarray,
    wi: np.ndarray,
    wf: np.ndarray,
    mode: int,
    inv_tol: float,
    labels: np.ndarray,
    qptr: np.ndarray,
    qdst: np.ndarray,
    qvi: np.ndarray,
    qvf: np.ndarray,
) -> int:
    """The first state whose transitions, seen through ``labels``, differ from its block's row.

    ``qptr``/``qdst`` with ``qvi`` (mode 1) or ``qvf`` (mode 2) are the rows
    of the blocks (one symbol), as :func:`_quotient_rows` makes them from
    the blocks' first states; -1 when every state agrees, i.e. the partition
    is complete. A state's sums into each block are collected in per-block
    scratch (stamped with the state), then the block's row is checked entry
    by entry: one pass over the transitions, O(n + m). Float sums compare
    after rounding at ``inv_tol``, blocks whose sum rounds to 0 are absent,
    as in :func:`_quotient_rows`.
    """
    n = labels.shape[0]
    k = qptr.shape[0] - 1
    stamp = np.empty(k, dtype=np.int64)
    stamp[:] = -1
    acci = np.empty(k if mode == 1 else 0, dtype=np.int64)
    accf = np.empty(k if mode == 2 else 0, dtype=np.float64)
    for s in range(n):
        b = labels[s]
        distinct = 0
        for j in range(indptr[s], indptr[s + 1]):
            t = labels[targets[j]]
            if stamp[t] != s:
                stamp[t] = s
                distinct += 1
                if mode == 1:
                    acci[t] = wi[j]
                elif mode == 2:
                    accf[t] = wf[j]
            elif mode == 1:
                acci[t] += wi[j]
            elif mode == 2:
                accf[t] += wf[j]
        lo = qptr[b]
        hi = qptr[b + 1]
        if mode == 2:
            # Blocks whose sum rounds to 0 do not count.
            nonzero = 0
            for j in range(indptr[s], indptr[s + 1]):
                t = labels[targets[j]]
                if stamp[t] == s:
                    stamp[t] = -2 - s  # counted once
                    if np.floor(accf[t] * inv_tol + 0.5) != 0.0:
                        nonzero += 1
            if nonzero != hi - lo:
                return s
            for i in range(lo, hi):
                t = qdst[i]
                if stamp[t] != -2 - s:
                    return s
                if np.floor(accf[t] * inv_tol + 0.5) != np.floor(qvf[i] * inv_tol + 0.5):
                    return s
        else:
            if distinct != hi - lo:
                return s
            for i in range(lo, hi):
                t = qdst[i]
                if stamp[t] != s or (mode == 1 and acci[t] != qvi[i]):
                    return s
    return -1
