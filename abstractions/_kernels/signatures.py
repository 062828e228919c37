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

Most real models are acyclic but for a few absorbing states: a state that
no cycle reaches can take its block from its successors' final blocks in
one look-up, once they have theirs (:func:`_peel_order`,
:func:`_peel_blocks`).
"""

from __future__ import annotations

import numpy as np

from abstractions._kernels._jit import jit

__all__ = ["_is_stable", "_peel_blocks", "_peel_order", "_signature_round"]


@jit(inline="always")
def _mix(z: np.uint64) -> np.uint64:
    """SplitMix64's finaliser: a bijection of 64-bit words that avalanches."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


#: An odd 64-bit constant that spreads a block id before its key is added.
_SPREAD = np.uint64(0xD6E8FEB86659FD93)


@jit(inline="always")
def _pair_hash(block: np.int64, key: np.int64, salt: np.uint64) -> np.uint64:
    """The hash of one pair ``(block, key)`` of a signature; a signature adds its pairs' up.

    One finaliser per pair: ``(block + 1) * _SPREAD + key`` tells distinct
    pairs apart unless their keys differ by a multiple of ``_SPREAD``
    modulo ``2**64`` (a collision, which can only merge states and which
    the exact checks catch). The ``+ 1`` keeps a pair into block 0 from
    hashing as a start label does (``_mix(label + salt)``): without it
    ``{label 1, (0, 2)}`` and ``{label 2, (0, 1)}`` collided every time.
    Two finalisers per pair, as before, cost brp's peeling (10^6 states)
    59 against 49 ms of hashing.
    """
    return _mix((np.uint64(block) + np.uint64(1)) * _SPREAD + np.uint64(key) + salt)


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
def _key(mode: int, inv_tol: float, si: np.int64, sf: np.float64) -> np.int64:
    """A pair's key from its sums: 1 (exists), the int sum, or the float sum rounded at ``inv_tol``.

    Scalars in, so inlining binds no array (see above).
    """
    if mode == 0:
        return np.int64(1)
    if mode == 1:
        return si
    return np.int64(np.floor(sf * inv_tol + 0.5))


@jit(inline="always")
def _keys(
    d: int, mode: int, inv_tol: float, ai: np.ndarray, af: np.ndarray,
    blocks: np.ndarray, keys: np.ndarray,
) -> int:
    """Each block's key from its sum; pairs of key 0 dropped. Returns their number."""
    kept = 0
    for i in range(d):
        key = _key(mode, inv_tol, ai[i], af[i])
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
    gap: int,
    stamp: np.ndarray,
    acci: np.ndarray,
    tag: int,
) -> bool:
    """Whether pairs ``:d`` and stored pairs ``slo:slo+sd`` are one set.

    The key of stored block ``sblocks[k]`` is ``skeys[k + gap]`` (a record
    of :func:`_peel_blocks` holds its blocks, then its keys, in one array).
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
            if k == slo + sd or skeys[k + gap] != keys[i]:
                return False
        return True
    for k in range(slo, slo + sd):
        stamp[sblocks[k]] = tag
        acci[sblocks[k]] = skeys[k + gap]
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
    table: np.ndarray,
    new: np.ndarray,
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

    ``table`` (a power of two of at least ``2 n`` entries) and ``new`` (the
    result: ``n`` entries) are made by the caller, by numpy, whose large
    arrays get huge pages (one fault per 2 MB, not per 4 KB).
    """
    n = labels.shape[0]
    scratch, ai, af, blocks, _ = _workspace(indptr)
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
    low = np.uint64(table.shape[0] - 1)
    high = np.uint64(0xFFFFFFFF00000000)
    table[:] = 0
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
            # Each pair's key goes straight into the hash (pairs of key 0
            # left out), not through _keys' compacted copy: tandem's two
            # rounds at 10^6 states 91-108 -> 78-93 ms.
            h = _mix(np.uint64(labels[s]) + salt)
            for i in range(d):
                key = _key(mode, inv_tol, ai[i], af[i])
                if key != 0:
                    h += _pair_hash(blocks[i], key, salt)
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
                same = _same(
                    blocks, keys, d, sblocks, skeys, at + 1, skeys[at], 0, stamp, acci, tag
                )
                tag += 1
                if not same:
                    return False
    return touched != -7  # (keeps the touching loads; never -7)


@jit
def _peel_order(
    indptr: np.ndarray, targets: np.ndarray, order: np.ndarray, indeg: np.ndarray
) -> int:
    """The states that no cycle reaches, each before its successors: ``order[:count]``.

    Kahn's peeling of the states without predecessors: what remains is
    exactly the states reachable from a cycle (each keeps a predecessor
    that remains, so walking back from one never ends), and the states
    come out in a topological order of the acyclic rest. O(n + m).
    ``order`` and ``indeg`` are scratch of n entries, made by the caller
    (numpy's large arrays get huge pages; this kernel's would not).
    Returns ``count``; ``indeg`` is then each state's number of
    predecessors among the states that remain, above 0 exactly for them.
    """
    n = indptr.shape[0] - 1
    indeg[:] = 0
    for j in range(targets.shape[0]):
        indeg[targets[j]] += 1
    tail = 0
    for s in range(n):
        if indeg[s] == 0:
            order[tail] = s
            tail += 1
    head = 0
    while head < tail:
        s = order[head]
        head += 1
        for j in range(indptr[s], indptr[s + 1]):
            t = targets[j]
            indeg[t] -= 1
            if indeg[t] == 0:
                order[tail] = t
                tail += 1
    return tail


#: The fields of a record of :func:`_peel_blocks`, before its pairs: block,
#: start block, number of pairs, next record of its anchor, place in that
#: chain and the signature's hash; ``_RECORD`` of them.
_BLOCK, _START, _PAIRS, _NEXT, _DEPTH, _HASH = 0, 1, 2, 3, 4, 5
_RECORD = 6


@jit
def _peel_blocks(
    indptr: np.ndarray,
    targets: np.ndarray,
    wi: np.ndarray,
    wf: np.ndarray,
    mode: int,
    modulus: int,
    inv_tol: float,
    start: np.ndarray,
    blocks: np.ndarray,
    nb: int,
    order: np.ndarray,
    salt: np.uint64,
    table: np.ndarray,
    pool: np.ndarray,
    limit: int,
) -> int:
    """Final blocks of the states of ``order`` (from :func:`_peel_order`), in place.

    ``blocks`` holds the final block (``0 .. nb-1``) of every state that a
    cycle reaches -- a set closed under successors, whose least complete
    partition is the whole one's restricted to it -- and -1 for the states
    of ``order``. Those go last to first, so that every successor is final
    when a state is met. In the least complete partition two states share
    a block exactly when they share a start block (``start``) and a
    signature over the final blocks (merging two blocks that agree so keeps
    the partition complete); so a state joins the block whose start block
    and stored signature equal its own, compared exactly, or opens a new
    one. Returns the number of blocks.

    A signature is filed under its *anchor*, its newest block (the largest
    id): in the anchor's chain of its first ``limit`` signatures, else in a
    hash table (so are signatures without pairs). Both are searched oldest
    first, so a state joins the first block filed with its start block and
    signature. Going backwards through a topological order, the blocks a
    state reaches are mostly young, and so are their chains: a look-up
    stays in cache where a hash table's misses it once per state (brp at
    10^6 states: 133 -> 57 ms for this kernel). O(n + m) look-ups of at
    most ``limit`` records each; ``limit`` 0 files everything in the table,
    and ``salt`` 0 makes every hash equal (the tests' ways to force both
    paths and collisions).

    ``table`` (zeros, a power of two of at least ``2 n`` entries) and
    ``pool`` (at least ``n + 6 n + 2 m``) are scratch made by the caller.
    ``pool[:n]`` holds each anchor's newest record (a chain is a ring: the
    newest record's next is the oldest), then come the records:
    ``_RECORD`` fields (see there), the pairs' blocks, then their keys. A
    table slot holds the hash's high bits over the record's offset + 1 (0:
    empty).
    """
    n = indptr.shape[0] - 1
    scratch, ai, af, bl, keys = _workspace(indptr)
    stamp, acci, _ = scratch
    tb = np.empty(ai.shape[0], dtype=np.int64)
    low = np.uint64(table.shape[0] - 1)
    shift = np.uint64(1)
    while (np.uint64(1) << shift) <= np.uint64(pool.shape[0]):
        shift += np.uint64(1)
    offset_mask = (np.uint64(1) << shift) - np.uint64(1)
    high = ~offset_mask
    pool[:n] = -1  # block ids stay below n: one chain head per possible anchor
    stored = n
    registered = np.empty(nb, dtype=np.bool_)
    registered[:] = False
    tag = 0
    peeled = order.shape[0]
    # The blocks of the states a cycle reaches are filed first (distinct
    # blocks of a least complete partition never share a signature, so
    # they are not looked up), then the others find theirs.
    for i in range(n + peeled):
        if i < n:
            s = i
            if blocks[s] < 0 or registered[blocks[s]]:
                continue
            registered[blocks[s]] = True
        else:
            s = order[n + peeled - 1 - i]
        lo = indptr[s]
        hi = indptr[s + 1]
        if hi - lo == 1:
            # Most states of real models have one transition (brp: 63 %):
            # its pair needs no search among blocks met.
            if mode == 1:
                key = wi[lo] % modulus if modulus > 0 else wi[lo]
            elif mode == 2:
                key = _key(mode, inv_tol, np.int64(0), wf[lo])
            else:
                key = np.int64(1)
            d = 0
            if key != 0:
                bl[0] = blocks[targets[lo]]
                keys[0] = key
                d = 1
        else:
            for j in range(lo, hi):
                tb[j - lo] = blocks[targets[j]]
            if hi - lo <= _SMALL:
                d = _gather_small(tb, lo, lo, hi, wi, wf, mode, modulus, ai, af, bl)
            else:
                d = _gather_big(tb, lo, lo, hi, wi, wf, mode, modulus, scratch, tag, ai, af, bl)
                tag += 1
            d = _keys(d, mode, inv_tol, ai, af, bl, keys)
        label = start[s]
        h = _mix(np.uint64(label) + salt)
        anchor = -1
        for x in range(d):
            h += _pair_hash(bl[x], keys[x], salt)
            anchor = max(anchor, bl[x])
        h = _mix(h) if salt != 0 else np.uint64(0)
        b = -1
        depth = limit
        newest = -1
        if anchor >= 0:
            newest = pool[anchor]
            depth = pool[newest + _DEPTH] if newest >= 0 else 0
        if i >= n and newest >= 0:
            r = pool[newest + _NEXT]  # the chain is a ring: newest -> oldest -> ...
            while True:
                if pool[r + _HASH] == np.int64(h) and pool[r + _START] == label \
                        and pool[r + _PAIRS] == d \
                        and _same(bl, keys, d, pool, pool, r + _RECORD, d, d, stamp, acci, tag):
                    b = pool[r + _BLOCK]
                    break
                tag += 1
                if r == newest:
                    break
                r = pool[r + _NEXT]
        slot = h & low
        if b < 0 and depth >= limit:
            while table[slot] != 0:
                entry = table[slot]
                at = int(entry & offset_mask) - 1
                if i >= n and (entry & high) == (h & high) and pool[at + _START] == label \
                        and pool[at + _PAIRS] == d \
                        and _same(bl, keys, d, pool, pool, at + _RECORD, d, d, stamp, acci, tag):
                    b = pool[at + _BLOCK]
                    break
                tag += 1
                slot = (slot + np.uint64(1)) & low
        if b < 0:
            b = blocks[s] if i < n else nb
            if i >= n:
                nb += 1
            if depth >= limit:
                table[slot] = (h & high) | np.uint64(stored + 1)
                pool[stored + _NEXT] = -1
            elif newest >= 0:
                pool[stored + _NEXT] = pool[newest + _NEXT]
                pool[newest + _NEXT] = stored
                pool[anchor] = stored
            else:
                pool[stored + _NEXT] = stored
                pool[anchor] = stored
            pool[stored + _BLOCK] = b
            pool[stored + _START] = label
            pool[stored + _PAIRS] = d
            pool[stored + _DEPTH] = depth + 1
            pool[stored + _HASH] = np.int64(h)
            for x in range(d):
                pool[stored + _RECORD + x] = bl[x]
                pool[stored + _RECORD + d + x] = keys[x]
            stored += _RECORD + 2 * d
        blocks[s] = b
    return nb
