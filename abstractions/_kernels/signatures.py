"""Signature refinement: the completion operator in one pass, and its check.

A state's *signature* under a partition is the set of pairs ``(block,
key)`` over the blocks its transitions reach, where ``key`` aggregates the
weights of those transitions as in :mod:`abstractions._kernels.splitters`
(mode 0: 1, "there is one"; mode 1: the int64 sum, optionally modulo a
prime; mode 2: the float sum rounded to a multiple of a tolerance). Pairs
whose key is 0 are left out, as the splitter kernel treats a state without
weight into a block as untouched. One round maps a partition ``P`` to
``P`` joined with the kernel of the signature: ``C(P)``, the completion
operator of the design notes, on the kernel's weighted encoding.

A round streams through the successor lists once, so while the number of
blocks keeps doubling rounds are the cheapest refinement there is (at most
``log2 n`` of them, O(m log n) in all). States are grouped by a 64-bit
hash of their signature, so a round can only merge too much, never split
too much; :func:`_is_stable` then checks the final partition exactly, and
a stable partition reached from below is the least one (see there).
"""

from __future__ import annotations

import numpy as np

from abstractions._kernels._jit import jit

__all__ = ["_is_stable", "_signature_round"]


@jit(inline="always")
def _mix(z: np.uint64) -> np.uint64:
    """SplitMix64's finaliser: a bijection of 64-bit words that avalanches."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


#: States with at most this many transitions collect their signature in a
#: few local slots (a linear search each); larger ones use per-block
#: scratch arrays, whose random accesses cost more than the search.
_SMALL = 16
#: States per chunk of the hashing pass (its loads are issued chunk-wise).
_CHUNK = 1024


# The three helpers below compute a state's signature: ``d`` pairs
# ``(blocks[i], keys[i])`` in no particular order, pairs of key 0 left out.
# Transition ``j`` (``lo <= j < hi``) goes into block ``tb[j - base]``.
# Numba increfs every array an inlined function binds unless it can prove
# that nothing escapes, and a call anywhere in it defeats the proof: so the
# small case is inlined and call-free, and the caller branches to the big
# case (a plain call) itself. For the same reason the two cases each write
# out the addition of a weight: a shared inlined helper made the whole
# round four times slower.


@jit(inline="always")
def _gather_small(
    tb: np.ndarray,
    base: int,
    lo: int,
    hi: int,
    wi: np.ndarray,
    wf: np.ndarray,
    mode: int,
    modulus: int,
    ai: np.ndarray,
    af: np.ndarray,
    blocks: np.ndarray,
) -> int:
    """Distinct blocks into ``blocks[:d]``, their sums into ``ai``/``af``.

    A linear search among the blocks met so far: for at most ``_SMALL``
    transitions it beats per-block scratch arrays, whose random accesses
    cost a cache miss each.
    """
    d = 0
    for j in range(lo, hi):
        b = tb[j - base]
        i = 0
        while i < d and blocks[i] != b:
            i += 1
        if i == d:
            blocks[d] = b
            ai[d] = 0
            af[d] = 0.0
            d += 1
        if mode == 1:
            if modulus > 0:
                ai[i] = (ai[i] + wi[j]) % modulus
            else:
                ai[i] += wi[j]
        elif mode == 2:
            af[i] += wf[j]
    return d


@jit
def _gather_big(
    tb: np.ndarray,
    base: int,
    lo: int,
    hi: int,
    wi: np.ndarray,
    wf: np.ndarray,
    mode: int,
    modulus: int,
    scratch: tuple[np.ndarray, np.ndarray, np.ndarray],
    tag: int,
    ai: np.ndarray,
    af: np.ndarray,
    blocks: np.ndarray,
) -> int:
    """As :func:`_gather_small`, with per-block ``scratch = (stamp, acci,
    accf)``: ``stamp[b] == tag`` marks a block met (``tag`` must be new)."""
    stamp, acci, accf = scratch
    d = 0
    for j in range(lo, hi):
        b = tb[j - base]
        if stamp[b] != tag:
            stamp[b] = tag
            blocks[d] = b
            d += 1
            acci[b] = 0
            accf[b] = 0.0
        if mode == 1:
            if modulus > 0:
                acci[b] = (acci[b] + wi[j]) % modulus
            else:
                acci[b] += wi[j]
        elif mode == 2:
            accf[b] += wf[j]
    for i in range(d):
        ai[i] = acci[blocks[i]]
        af[i] = accf[blocks[i]]
    return d


@jit(inline="always")
def _keys(
    d: int, mode: int, inv_tol: float, ai: np.ndarray, af: np.ndarray,
    blocks: np.ndarray, keys: np.ndarray,
) -> int:
    """Each block's key from its sum; pairs of key 0 dropped. Returns their number."""
    kept = 0
    for i in range(d):
        if mode == 0:
            key = np.int64(1)
        elif mode == 1:
            key = ai[i]
        else:
            key = np.int64(np.floor(af[i] * inv_tol + 0.5))
        if key != 0:
            blocks[kept] = blocks[i]
            keys[kept] = key
            kept += 1
    return kept


@jit(inline="always")
def _same(
    blocks: np.ndarray,
    keys: np.ndarray,
    d: int,
    sblocks: np.ndarray,
    skeys: np.ndarray,
    slo: int,
    sd: int,
    stamp: np.ndarray,
    acci: np.ndarray,
    tag: int,
) -> bool:
    """Whether pairs ``:d`` and stored pairs ``slo:slo+sd`` are one set.

    The blocks on each side are distinct, so equal sizes and inclusion
    suffice: by search for a few pairs, by per-block stamps (``tag`` new)
    beyond that.
    """
    if d != sd:
        return False
    if d <= _SMALL:
        for i in range(d):
            k = slo
            while k < slo + sd and sblocks[k] != blocks[i]:
                k += 1
            if k == slo + sd or skeys[k] != keys[i]:
                return False
        return True
    for k in range(slo, slo + sd):
        stamp[sblocks[k]] = tag
        acci[sblocks[k]] = skeys[k]
    for i in range(d):
        if stamp[blocks[i]] != tag or acci[blocks[i]] != keys[i]:
            return False
    return True


@jit
def _workspace(
    indptr: np.ndarray,
) -> tuple[
    tuple[np.ndarray, np.ndarray, np.ndarray], np.ndarray, np.ndarray, np.ndarray, np.ndarray
]:
    """Scratch for the signatures of a relation: ``(scratch, ai, af, blocks, keys)``.

    Per-block scratch (see :func:`_gather_big`) only if some state has more
    than ``_SMALL`` transitions; the rest is sized by the largest degree.
    """
    n = indptr.shape[0] - 1
    maxdeg = 1
    for s in range(n):
        maxdeg = max(maxdeg, indptr[s + 1] - indptr[s])
    big = n if maxdeg > _SMALL else 0
    stamp = np.empty(big, dtype=np.int64)
    stamp[:] = -1
    acci = np.empty(big, dtype=np.int64)
    acci[:] = 0
    accf = np.empty(big, dtype=np.float64)
    accf[:] = 0.0
    ai = np.empty(maxdeg, dtype=np.int64)
    ai[:] = 0
    af = np.empty(maxdeg, dtype=np.float64)
    af[:] = 0.0
    return (
        (stamp, acci, accf),
        ai,
        af,
        np.empty(maxdeg, dtype=np.int64),
        np.empty(maxdeg, dtype=np.int64),
    )


@jit
def _signature_round(
    indptr: np.ndarray,
    targets: np.ndarray,
    wi: np.ndarray,
    wf: np.ndarray,
    mode: int,
    modulus: int,
    inv_tol: float,
    labels: np.ndarray,
    salt: np.uint64,
) -> tuple[np.ndarray, int]:
    """``labels`` (block ids below ``n``) joined with the signature's kernel, by hash.

    ``indptr``/``targets`` are the successor lists, ``wi`` (mode 1) or
    ``wf`` (mode 2) the weight of each transition; ``salt`` picks the hash
    function (0 makes every hash equal: the tests' way to force
    collisions). Returns new block ids, numbered by first occurrence, and
    their number. States with equal hashes share an id: a collision of
    the 64-bit hashes (about ``n**2 / 2**64`` likely) merges states, never
    splits them, so the caller checks the final partition with
    :func:`_is_stable` (a merge can only make it unstable, see there).
    """
    n = labels.shape[0]
    scratch, ai, af, blocks, keys = _workspace(indptr)
    tb = np.empty(_CHUNK * _SMALL, dtype=np.int64)

    # Ids by hash: a sum of per-pair hashes, so independent of the order of
    # the pairs, in an open-addressing table. States go in chunks, each in
    # four passes: the blocks of all its transitions; the hashes; a touch
    # of each hash's table slot; the lookups. The random loads are thus
    # issued in tight loops where nothing waits on them: in one pass, each
    # would wait for the last (the window of the processor spans only a
    # few states) and a branch on each loaded value for its cache miss.
    # A slot holds the hash's high 32 bits over id + 1 (0: empty); the low
    # bits chose the slot, so about 32 + log2(size) bits are compared.
    size = 1
    while size < 2 * n:
        size *= 2
    low = np.uint64(size - 1)
    high = np.uint64(0xFFFFFFFF00000000)
    table = np.empty(size, dtype=np.uint64)
    table[:] = 0
    new = np.empty(n, dtype=np.int64)
    hashes = np.empty(_CHUNK, dtype=np.uint64)
    count = 0
    touched = np.uint64(0)
    for s0 in range(0, n, _CHUNK):
        s1 = min(n, s0 + _CHUNK)
        base = indptr[s0]
        if indptr[s1] - base > tb.shape[0]:
            tb = np.empty(indptr[s1] - base, dtype=np.int64)
        for j in range(base, indptr[s1]):
            tb[j - base] = labels[targets[j]]
        for s in range(s0, s1):
            lo = indptr[s]
            hi = indptr[s + 1]
            if hi - lo <= _SMALL:
                d = _gather_small(tb, base, lo, hi, wi, wf, mode, modulus, ai, af, blocks)
            else:
                d = _gather_big(tb, base, lo, hi, wi, wf, mode, modulus, scratch, s, ai, af,
                                blocks)
            d = _keys(d, mode, inv_tol, ai, af, blocks, keys)
            h = _mix(np.uint64(labels[s]) + salt)
            for i in range(d):
                h += _mix(np.uint64(blocks[i]) ^ _mix(np.uint64(keys[i]) + salt))
            hashes[s - s0] = _mix(h) if salt != 0 else np.uint64(0)
        # A tight loop of independent loads: many cache misses in flight.
        for i in range(s1 - s0):
            touched += table[hashes[i] & low]
        for s in range(s0, s1):
            h = hashes[s - s0]
            slot = h & low
            while table[slot] != 0 and (table[slot] & high) != (h & high):
                slot = (slot + np.uint64(1)) & low
            if table[slot] == 0:
                count += 1
                table[slot] = (h & high) | np.uint64(count)
            new[s] = np.int64(table[slot] & ~high) - 1
    if touched == np.uint64(7):  # pragma: no cover - keeps the touching loads
        count += 0
    return new, count


@jit
def _is_stable(
    indptr: np.ndarray,
    targets: np.ndarray,
    wi: np.ndarray,
    wf: np.ndarray,
    mode: int,
    modulus: int,
    inv_tol: float,
    labels: np.ndarray,
    k: int,
) -> bool:
    """Whether every state's signature equals its block's first state's, exactly.

    ``labels`` are ``k`` block ids. Stable means complete: applied to the
    result of hashed rounds (which only ever merge), a stable answer is
    the least one, since it is complete and no more informative than the
    least complete partition above the start.
    """
    n = labels.shape[0]
    scratch, ai, af, blocks, keys = _workspace(indptr)
    stamp, acci, _ = scratch
    tb = np.empty(_CHUNK * _SMALL, dtype=np.int64)
    members = np.empty(k, dtype=np.int64)
    members[:] = 0
    for s in range(n):
        members[labels[s]] += 1
    # The first state of a block of two states or more stores its label
    # and size, then its pairs, at soff[block]; the others compare.
    soff = np.empty(k, dtype=np.int64)
    soff[:] = -1
    sblocks = np.empty(indptr[n] + k, dtype=np.int64)
    skeys = np.empty(sblocks.shape[0], dtype=np.int64)
    stored = 0
    tag = n
    where = np.empty(_CHUNK, dtype=np.int64)
    touched = 0
    for s0 in range(0, n, _CHUNK):
        s1 = min(n, s0 + _CHUNK)
        base = indptr[s0]
        if indptr[s1] - base > tb.shape[0]:
            tb = np.empty(indptr[s1] - base, dtype=np.int64)
        for j in range(base, indptr[s1]):
            tb[j - base] = labels[targets[j]]
        # Tight loops of loads again: each block's size and stored pairs.
        for s in range(s0, s1):
            where[s - s0] = soff[labels[s]] if members[labels[s]] > 1 else -2
        for i in range(s1 - s0):
            if where[i] >= 0:
                touched += sblocks[where[i]]
        for s in range(s0, s1):
            if where[s - s0] == -2:
                continue
            lo = indptr[s]
            hi = indptr[s + 1]
            if hi - lo <= _SMALL:
                d = _gather_small(tb, base, lo, hi, wi, wf, mode, modulus, ai, af, blocks)
            else:
                d = _gather_big(tb, base, lo, hi, wi, wf, mode, modulus, scratch, tag, ai, af,
                                blocks)
                tag += 1
            d = _keys(d, mode, inv_tol, ai, af, blocks, keys)
            g = labels[s]
            at = soff[g]
            if at < 0:
                soff[g] = stored
                skeys[stored] = d
                for i in range(d):
                    sblocks[stored + 1 + i] = blocks[i]
                    skeys[stored + 1 + i] = keys[i]
                stored += d + 1
            else:
                same = _same(blocks, keys, d, sblocks, skeys, at + 1, skeys[at], stamp, acci, tag)
                tag += 1
                if not same:
                    return False
    return touched != -7  # (keeps the touching loads; never -7)
