"""Kernels for high-level steps: first returns, next changes, branching signatures.

* :func:`_first_return`: the Poincare map of one function onto the
  scheduled states, and where given start states first meet them;
* :func:`_next_change`: for every state, the state its run moves to when
  the block of ``beta`` first changes, or the end of its trace (termination
  or divergence);
* :func:`_silent_scc`: strongly connected components of the silent
  transitions that stay inside a block, numbered sinks first (Tarjan);
* :func:`_branching_round`: one round of branching signatures over an
  acyclic graph of inert transitions;
* :func:`_saturate`: the moves each node has after inert steps, as a
  relation for the strong-bisimulation engine.

The walks follow ``step`` from each unresolved state until they meet a
resolved one, then resolve the whole walk at once (as
:func:`abstractions._kernels.graph._final_states` does), so every state is
walked once: O(n) in all. Index arrays take the dtype of the witness ``w``
(an empty array): int32 while every value fits halves the memory that the
walks touch at random, int64 beyond.
"""

from __future__ import annotations

import numpy as np

from abstractions._kernels._jit import jit

__all__ = [
    "_branching_round",
    "_first_return",
    "_next_change",
    "_saturate",
    "_silent_scc",
    "_walks",
]

#: Code of a state whose answer is not known yet; walkers mark the states
#: they pass with codes below it.
_UNKNOWN = -2

#: Walks advanced side by side: their loads are independent, so the memory
#: system serves many at once instead of one dependent miss after another.
_WALKERS = 32


@jit(wrapper=False)
def _walks(pack: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """For each query state, the code of the first known state on its run (-1: none).

    ``pack[u, 0]`` is ``u``'s successor and ``pack[u, 1]`` its code: a
    known answer (at least -1) or :data:`_UNKNOWN`. Query ``r`` is a walker
    that marks the unknown states it passes with ``-3 - r`` and stops at
    the first state that is known (its answer), marked by itself (a cycle
    with no known state: -1) or marked by another walker (it links to that
    walker's answer). So every state is passed once: O(n) in all. The
    walkers advance in turns, touching their next states before any of them
    branches, so that their cache misses overlap. The links are resolved at
    the end; links that close a cycle are walks that never meet a known
    state (-1). ``pack`` keeps the marks.
    """
    count = queries.shape[0]
    # answer[r]: a known code, -1, or -3 - r2 (the same answer as walker r2).
    answer = np.empty(count, dtype=pack.dtype)
    slot_r = np.empty(_WALKERS, dtype=np.int64)
    slot_r[:] = -1
    slot_u = np.empty(_WALKERS, dtype=np.int64)
    slot_u[:] = 0
    r = 0
    active = 0
    touched = 0
    while True:
        for b in range(_WALKERS):
            if slot_r[b] < 0 and r < count:
                slot_r[b] = r
                slot_u[b] = queries[r]
                r += 1
                active += 1
        if active == 0:
            break
        # Touch every walker's state first: independent loads, all in flight.
        for b in range(_WALKERS):
            if slot_r[b] >= 0:
                touched += pack[slot_u[b], 0]
        for b in range(_WALKERS):
            q = slot_r[b]
            if q < 0:
                continue
            u = slot_u[b]
            c = pack[u, 1]
            if c == _UNKNOWN:
                pack[u, 1] = -3 - q
                slot_u[b] = pack[u, 0]
                continue
            answer[q] = -1 if c == -3 - q else c
            slot_r[b] = -1
            active -= 1
    # Follow the links; a chain that comes back to itself never returns.
    # (``touched`` is read here so that the compiler keeps the touching loads.)
    visiting = np.empty(count if touched != -1 else 0, dtype=np.bool_)
    visiting[:] = False
    chain = np.empty(0, dtype=np.int64)
    for r0 in range(count):
        if answer[r0] >= -1:
            continue
        if chain.shape[0] == 0:
            chain = np.empty(count, dtype=np.int64)
        length = 0
        x = r0
        while answer[x] <= -3 and not visiting[x]:
            visiting[x] = True
            chain[length] = x
            length += 1
            x = -3 - answer[x]
        found = max(answer[x], -1)
        for j in range(length):
            answer[chain[j]] = found
    return answer


@jit
def _first_return(
    step: np.ndarray, schedule: np.ndarray, starts: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The first-return map onto the scheduled states, and the starts' first entries.

    For the ``i``-th scheduled state ``s`` (in increasing order),
    ``induced[i]`` is the position, among the scheduled states, of the first
    scheduled state among ``step(s), step(step(s)), ...``, or -1 when there
    is none. ``entry[j]`` is the position of the first scheduled state
    among ``starts[j], step(starts[j]), ...`` (zero steps allowed), or -1.
    The walks are :func:`_walks`, from each scheduled state's successor
    and from each start, with the scheduled states' positions known.
    """
    n = step.shape[0]
    # Per state, side by side in one cache line: its successor, and its
    # position if scheduled (else unknown).
    pack = np.empty((n, 2), dtype=w.dtype)
    count = 0
    for u in range(n):
        pack[u, 0] = step[u]
        if schedule[u]:
            pack[u, 1] = count
            count += 1
        else:
            pack[u, 1] = _UNKNOWN
    queries = np.empty(count + starts.shape[0], dtype=np.int64)
    i = 0
    for u in range(n):
        if schedule[u]:
            queries[i] = pack[u, 0]
            i += 1
    for j in range(starts.shape[0]):
        queries[count + j] = starts[j]
    answer = _walks(pack, queries)
    induced = np.empty(count, dtype=np.int64)
    for i in range(count):
        induced[i] = answer[i]
    entry = np.empty(starts.shape[0], dtype=np.int64)
    for j in range(starts.shape[0]):
        entry[j] = answer[count + j]
    return induced, entry


@jit
def _next_change(
    step: np.ndarray,
    labels: np.ndarray,
    halted: np.ndarray,
    ended: int,
    diverged: int,
    w: np.ndarray,
) -> np.ndarray:
    """Per state, where its run goes when its block of ``labels`` first changes.

    ``result[m]`` is the first state of ``m``'s run in another block than
    ``m``; ``ended`` if the run halts before that (a halted state ends its
    trace); ``diverged`` if it cycles for ever inside the block. The result
    has ``n + 2`` entries: the last two are ``ended`` and ``diverged``
    themselves, each stepping to itself, so that it is a function.

    A state that halts or whose successor is in another block knows its
    answer; the others have their successor's. The first kind is found in
    one pass without branches on loaded values (so its loads overlap, as
    a gather's), the rest by :func:`_walks`.
    """
    n = step.shape[0]
    pack = np.empty((n, 2), dtype=w.dtype)
    for m in range(n):
        t = step[m]
        code = t if labels[t] != labels[m] else _UNKNOWN
        pack[m, 0] = t
        pack[m, 1] = ended if halted[m] else code
    unknown = 0
    for m in range(n):
        if pack[m, 1] == _UNKNOWN:
            unknown += 1
    queries = np.empty(unknown, dtype=np.int64)
    result = np.empty(n + 2, dtype=np.int64)
    i = 0
    for m in range(n):
        c = pack[m, 1]
        if c == _UNKNOWN:
            queries[i] = m
            i += 1
        else:
            result[m] = c
    answer = _walks(pack, queries)
    for i in range(unknown):
        a = answer[i]
        result[queries[i]] = diverged if a < 0 else a
    result[n] = ended
    result[n + 1] = diverged
    return result


@jit
def _silent_scc(
    indptr: np.ndarray, targets: np.ndarray, inert: np.ndarray
) -> tuple[np.ndarray, np.ndarray, int]:
    """Strongly connected components of the transitions flagged ``inert``.

    Iterative Tarjan. Components are numbered in the order Tarjan closes
    them, so every inert transition between two components goes from a
    higher number to a lower one (sinks first). Returns the component of
    each state, whether each component has a cycle (more than one state, or
    an inert self-loop), and their number.
    """
    n = indptr.shape[0] - 1
    comp = np.empty(n, dtype=np.int64)
    comp[:] = -1
    index = np.empty(n, dtype=np.int64)
    index[:] = -1
    low = np.empty(n, dtype=np.int64)
    low[:] = 0
    on_stack = np.empty(n, dtype=np.bool_)
    on_stack[:] = False
    stack = np.empty(n, dtype=np.int64)
    call = np.empty(n, dtype=np.int64)  # the call stack: states
    edge = np.empty(n, dtype=np.int64)  # ... and the next transition of each
    cyclic = np.empty(n, dtype=np.bool_)
    cyclic[:] = False
    self_loop = np.empty(n, dtype=np.bool_)
    self_loop[:] = False
    sp = 0
    counter = 0
    count = 0
    for root in range(n):
        if index[root] >= 0:
            continue
        depth = 0
        call[0] = root
        edge[0] = indptr[root]
        index[root] = counter
        low[root] = counter
        counter += 1
        stack[sp] = root
        sp += 1
        on_stack[root] = True
        while depth >= 0:
            v = call[depth]
            j = edge[depth]
            descended = False
            while j < indptr[v + 1]:
                if inert[j]:
                    t = targets[j]
                    if t == v:
                        self_loop[v] = True
                    elif index[t] < 0:
                        edge[depth] = j + 1
                        depth += 1
                        call[depth] = t
                        edge[depth] = indptr[t]
                        index[t] = counter
                        low[t] = counter
                        counter += 1
                        stack[sp] = t
                        sp += 1
                        on_stack[t] = True
                        descended = True
                        break
                    elif on_stack[t] and index[t] < low[v]:
                        low[v] = index[t]
                j += 1
            if descended:
                continue
            if low[v] == index[v]:
                size = 0
                while True:
                    sp -= 1
                    u = stack[sp]
                    on_stack[u] = False
                    comp[u] = count
                    size += 1
                    if u == v:
                        break
                cyclic[count] = size > 1 or self_loop[v]
                count += 1
            depth -= 1
            if depth >= 0:
                parent = call[depth]
                low[parent] = min(low[parent], low[v])
    return comp, cyclic[:count].copy(), count


#: Multipliers of the additive set hash (odd 64-bit constants).
_MIX1 = np.uint64(0x9E3779B97F4A7C15)
_MIX2 = np.uint64(0xBF58476D1CE4E5B9)


@jit(wrapper=False)
def _mix(code: int) -> np.uint64:
    """A 64-bit mix of one signature entry (splitmix64's finaliser)."""
    z = np.uint64(code) * _MIX1
    z = (z ^ (z >> np.uint64(30))) * _MIX2
    return z ^ (z >> np.uint64(31))


@jit(wrapper=False)
def _grown(a: np.ndarray, keep: int, size: int) -> np.ndarray:
    """A new array of ``size`` entries that starts with ``a[:keep]``."""
    b = np.empty(size, dtype=a.dtype)
    for i in range(keep):
        b[i] = a[i]
    return b


#: Runs up to this long are sorted by insertion, longer ones by heapsort.
_SMALL = 16


@jit(wrapper=False)
def _sort_ints(a: np.ndarray, r: int) -> None:
    """Sort ``a[:r]`` in place, ascending (not stably: equal ints are alike).

    Insertion sort for short runs, else a heapsort as in
    :func:`abstractions._kernels.splitters._sort_region`: O(r log r) in one
    loop, no allocation (``np.sort`` cost seconds of compilation).
    """
    if r <= _SMALL:
        for i in range(1, r):
            x = a[i]
            j = i - 1
            while j >= 0 and a[j] > x:
                a[j + 1] = a[j]
                j -= 1
            a[j + 1] = x
        return
    # A max-heap: built bottom-up (the first ``half`` rounds), then its
    # greatest entry is swapped to the end of the shrinking heap (the rest).
    # Each round sifts one entry down from ``root`` within ``size`` entries.
    half = r // 2
    for it in range(half + r - 1):
        if it < half:
            root = half - 1 - it
            size = r
        else:
            size = r - 1 - (it - half)
            x = a[0]
            a[0] = a[size]
            a[size] = x
            root = 0
        x = a[root]
        while True:
            child = 2 * root + 1
            if child >= size:
                break
            if child + 1 < size and a[child + 1] > a[child]:
                child += 1
            if a[child] <= x:
                break
            a[root] = a[child]
            root = child
        a[root] = x


@jit
def _branching_round(
    indptr: np.ndarray,
    targets: np.ndarray,
    symbols: np.ndarray,
    silent: int,
    cyclic: np.ndarray,
    labels: np.ndarray,
    k: int,
    sensitive: bool,
    limit: int,
) -> tuple[np.ndarray, int, int]:
    """One round of branching signatures: the new labels, their number, the work.

    Nodes are numbered so that every silent transition inside a block goes
    to a lower node (:func:`_silent_scc`), so one pass in increasing order
    sees every inert successor before its source. A node's signature is
    the set of its non-inert moves ``symbol * k + block``, joined with the
    signatures of its inert successors (what it can do after silent steps
    that stay in its block), plus the entry -1 when it can diverge inside
    its block (``sensitive`` only). Nodes get equal new labels exactly when
    their label and signature agree: the signatures are hash-consed with an
    exact comparison, so a hash collision never merges two nodes.

    The work is the number of signature entries gathered (before
    duplicates go), which bounds the round's cost beyond O(n + m) up to the
    sorting; when it would pass ``limit`` the round stops and the number of
    labels is -1.
    """
    n = indptr.shape[0] - 1
    work = 0
    # Each node's signature is a sorted run of ``store``: start and length.
    start = np.empty(n, dtype=np.int64)
    start[:] = 0
    length = np.empty(n, dtype=np.int64)
    length[:] = 0
    digest = np.empty(n, dtype=np.uint64)
    digest[:] = 0
    diverges = np.empty(n, dtype=np.bool_)
    diverges[:] = False
    store = np.empty(max(targets.shape[0], 16), dtype=np.int64)
    used = 0
    buf = np.empty(16, dtype=np.int64)
    size = 1
    while size < 2 * n:
        size *= 2
    table = np.empty(size, dtype=np.int64)
    table[:] = -1
    new = np.empty(n, dtype=np.int64)
    count = 0
    for v in range(n):
        lv = labels[v]
        # Direct moves first, into buf; then the one inert successor whose
        # signature may be shared, or every inert successor merged.
        nb = 0
        shared = -1
        several = False
        div = sensitive and cyclic[v]
        for j in range(indptr[v], indptr[v + 1]):
            t = targets[j]
            a = symbols[j]
            if a == silent and labels[t] == lv:
                if sensitive and diverges[t]:
                    div = True
                if shared < 0:
                    shared = t
                elif start[t] != start[shared] or length[t] != length[shared]:
                    several = True
                continue
            if nb == buf.shape[0]:
                buf = _grown(buf, nb, 2 * nb)
            buf[nb] = a * k + labels[t]
            nb += 1
        if div:
            if nb == buf.shape[0]:
                buf = _grown(buf, nb, 2 * nb)
            buf[nb] = -1
            nb += 1
        diverges[v] = div
        work += nb
        if work > limit:
            return new, -1, work
        if shared >= 0 and not several:
            # One inert successor (or several with one shared signature):
            # when it already has every direct move, v's signature is its.
            lo = start[shared]
            ln = length[shared]
            inside = True
            for i in range(nb):
                x = buf[i]
                a_lo = lo
                a_hi = lo + ln
                while a_lo < a_hi:
                    mid = (a_lo + a_hi) // 2
                    if store[mid] < x:
                        a_lo = mid + 1
                    else:
                        a_hi = mid
                if a_lo == lo + ln or store[a_lo] != x:
                    inside = False
                    break
            if inside:
                start[v] = lo
                length[v] = ln
                digest[v] = digest[shared]
                new[v] = _intern(v, lv, start, length, digest, labels, store, table, new, count)
                if new[v] == count:
                    count += 1
                continue
        if shared >= 0:
            for j in range(indptr[v], indptr[v + 1]):
                t = targets[j]
                if symbols[j] == silent and labels[t] == lv:
                    need = nb + length[t]
                    work += length[t]
                    if work > limit:
                        return new, -1, work
                    if need > buf.shape[0]:
                        buf = _grown(buf, nb, max(2 * buf.shape[0], need))
                    st = start[t] - nb
                    for i in range(nb, need):
                        buf[i] = store[st + i]
                    nb = need
        _sort_ints(buf, nb)
        # Keep distinct entries; buf[:nb] is sorted.
        distinct = 0
        h = np.uint64(0)
        if used + nb > store.shape[0]:
            store = _grown(store, used, max(2 * store.shape[0], used + nb))
        for i in range(nb):
            if i == 0 or buf[i] != buf[i - 1]:
                store[used + distinct] = buf[i]
                h += _mix(buf[i])
                distinct += 1
        start[v] = used
        length[v] = distinct
        digest[v] = h
        used += distinct
        new[v] = _intern(v, lv, start, length, digest, labels, store, table, new, count)
        if new[v] == count:
            count += 1
    return new, count, work


@jit(wrapper=False)
def _intern(
    v: int,
    lv: int,
    start: np.ndarray,
    length: np.ndarray,
    digest: np.ndarray,
    labels: np.ndarray,
    store: np.ndarray,
    table: np.ndarray,
    new: np.ndarray,
    count: int,
) -> int:
    """The new label of the first node with ``v``'s label and signature; ``count`` if none.

    Open addressing on a hash of (label, signature digest); a node already
    in the table with the same label, length and digest is compared entry
    by entry, so equal digests of different signatures stay apart.
    """
    mask = table.shape[0] - 1
    h = (digest[v] ^ _mix(lv)) * _MIX2
    slot = int(h >> np.uint64(33)) & mask
    while True:
        u = table[slot]
        if u < 0:
            break
        if labels[u] == lv and length[u] == length[v] and digest[u] == digest[v]:
            same = True
            if start[u] != start[v]:
                for i in range(length[v]):
                    if store[start[u] + i] != store[start[v] + i]:
                        same = False
                        break
            if same:
                return int(new[u])
        slot = (slot + 1) & mask
    table[slot] = v
    return count


@jit
def _saturate(
    indptr: np.ndarray,
    targets: np.ndarray,
    symbols: np.ndarray,
    silent: int,
    cyclic: np.ndarray,
    labels: np.ndarray,
    sensitive: bool,
    limit: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, bool]:
    """The moves each node has after silent steps inside its block, as a relation.

    Node ``v`` gets a transition ``(a, t)`` for every non-inert move
    ``u -a-> t`` of a node ``u`` it reaches by inert steps (``v`` itself
    included), each once, sorted by ``(a, t)``; ``diverges[v]`` says
    whether it reaches a node with a cycle (``sensitive`` only). Nodes are
    numbered so that inert transitions go to lower nodes
    (:func:`_silent_scc`): one pass in increasing order sees every inert
    successor first. Returns ``(indptr, targets, symbols, diverges,
    done)``; ``done`` is False (and the arrays are empty) when the relation
    would have more than ``limit`` transitions.
    """
    n = indptr.shape[0] - 1
    out_ptr = np.empty(n + 1, dtype=np.int64)
    out_ptr[:] = 0
    store = np.empty(max(targets.shape[0], 16), dtype=np.int64)
    diverges = np.empty(n, dtype=np.bool_)
    diverges[:] = False
    buf = np.empty(16, dtype=np.int64)
    used = 0
    for v in range(n):
        lv = labels[v]
        nb = 0
        div = sensitive and cyclic[v]
        for j in range(indptr[v], indptr[v + 1]):
            t = targets[j]
            a = symbols[j]
            inert = a == silent and labels[t] == lv
            lo = out_ptr[t]
            need = nb + (out_ptr[t + 1] - lo if inert else 1)
            if need > buf.shape[0]:
                buf = _grown(buf, nb, max(2 * buf.shape[0], need))
            if inert:
                # Everything t can do after inert steps, v can do too.
                div = div or (sensitive and diverges[t])
                for i in range(nb, need):
                    buf[i] = store[lo - nb + i]
            else:
                buf[nb] = a * n + t
            nb = need
        diverges[v] = div
        _sort_ints(buf, nb)
        if used + nb > limit:
            empty = np.empty(0, dtype=np.int64)
            return out_ptr, empty, empty, diverges, False
        if used + nb > store.shape[0]:
            store = _grown(store, used, min(max(2 * store.shape[0], used + nb), limit))
        for i in range(nb):
            if i == 0 or buf[i] != buf[i - 1]:
                store[used] = buf[i]
                used += 1
        out_ptr[v + 1] = used
    # Split the codes ``a * n + t`` (floor division and remainder, as numpy's).
    radix = max(n, 1)
    out_targets = np.empty(used, dtype=np.int64)
    out_symbols = np.empty(used, dtype=np.int64)
    for i in range(used):
        code = store[i]
        out_targets[i] = code % radix
        out_symbols[i] = code // radix
    return out_ptr, out_targets, out_symbols, diverges, True
