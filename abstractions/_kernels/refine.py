"""Kernels for the coarsest stable refinement of ``beta`` under one function.

Two states are equivalent in the minimal complete abstraction above
``beta`` exactly when the label sequences ``beta(m), beta(step(m)),
beta(step(step(m))), ...`` of their runs agree (a single function leaves no
choice to a run, so bisimilarity is equality of these sequences). The
linear method computes the classes of those sequences directly on the
functional graph of ``step``:

1. :func:`_functional_graph`: peel the states with no predecessor left
   (Kahn's order) to find the cycle states, and build the predecessor lists
   in CSR form on the way.
2. :func:`_cycle_classes`: each cycle's label sequence is periodic; its
   class is fixed by its primitive root read from its least rotation (two
   cycles are equivalent state by state exactly when these words agree), and
   a state's class is the word plus its offset from the least rotation.
3. :func:`_tree_classes`: a tree state ``q`` whose label equals the label
   before its successor's class on the cycle of words is periodic too (it
   joins that cycle class); every other tree state is in a class of its own
   making, decided by ``(beta(q), class(step(q)))``. Processing classes in
   order, the predecessors of one class are split by their label, so no hash
   table and no sort is needed: O(n) in all.

The round kernels (:func:`_pair_labels`) relabel pairs of labels by
hashing; the Moore and pointer-doubling methods are loops of them.

Index arrays inside the kernels take the dtype of the witness ``w`` (an
empty array): int32 while ``n < 2**31`` halves their memory, int64 beyond.
"""

from __future__ import annotations

import numpy as np

from abstractions._kernels._jit import jit

__all__ = [
    "_cycle_classes",
    "_functional_graph",
    "_pair_labels",
    "_tree_classes",
]

#: Elements per chunk of :func:`_pair_labels` (its table loads go chunk-wise).
_CHUNK = 1024

# Two 31-bit polynomial hashes of a cycle's word, combined into one key.
# Kept below 2**31 so that every product fits in int64 with no overflow,
# which keeps the kernels exact when run as plain Python too.
_P1 = 2147483629
_P2 = 2147483587
_B1 = 1000003
_B2 = 999983


@jit
def _functional_graph(
    step: np.ndarray, indptr: np.ndarray, state: np.ndarray, preds: np.ndarray,
    queue: np.ndarray, on_cycle: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cycle states and the predecessor lists of ``step``.

    Returns ``on_cycle`` (bool per state), ``indptr`` (n + 1) and ``preds``:
    the predecessors of ``t`` are ``preds[indptr[t]:indptr[t + 1]]``, the
    tree states first (in peeling order), then the one on ``t``'s cycle if
    ``t`` is a cycle state. Kahn's peeling touches every state once, so
    there is no pointer chasing through long paths, and it fills the lists
    as it goes: each peeled state is written into its successor's list.

    The caller makes the arrays, by numpy (whose large arrays get huge
    pages: at 10^7 states a kernel's own would fault in 50,000 pages of
    4 KB): ``indptr`` (``n + 1``), ``state`` (``2 n``), ``preds`` and
    ``queue`` (``n``), all of the index dtype, and ``on_cycle`` (``n``
    bools).
    """
    n = step.shape[0]
    indptr[:] = 0
    for s in range(n):
        indptr[step[s] + 1] += 1
    # Per state: predecessors not yet peeled (at 2t), and the list's write
    # cursor (at 2t + 1); side by side so that one cache line serves both.
    for t in range(n):
        state[2 * t] = indptr[t + 1]
        state[2 * t + 1] = indptr[t]
        indptr[t + 1] += indptr[t]
    # Branch-free pushes (write always, advance when the count hit zero):
    # a branch on a value just loaded from a random address would stall on
    # every cache miss it mispredicts.
    tail = 0
    for s in range(n):
        queue[tail] = s
        tail += state[2 * s] == 0
    # Peel in batches: first gather the successors of a batch (independent
    # loads whose cache misses overlap), then update their counts.
    batch = np.empty(min(n, 4096), dtype=queue.dtype)
    head = 0
    while head < tail:
        size = min(tail - head, batch.shape[0])
        for j in range(size):
            batch[j] = step[queue[head + j]]
        for j in range(size):
            t = batch[j]
            preds[state[2 * t + 1]] = queue[head + j]
            state[2 * t + 1] += 1
            state[2 * t] -= 1
            queue[tail] = t  # tail < n: the cycle states are never pushed
            tail += state[2 * t] == 0
        head += size
    for s in range(n):
        on_cycle[s] = state[2 * s] > 0
    for s in range(n):
        if on_cycle[s]:
            t = step[s]
            preds[state[2 * t + 1]] = s
            state[2 * t + 1] += 1
    return on_cycle, indptr, preds


@jit(wrapper=False)
def _least_rotation(word: np.ndarray, p: int) -> int:
    """Start of the least rotation of the primitive word ``word[:p]``.

    The two-candidate scan (Shiloach's method): O(p) comparisons, O(1)
    memory. For a primitive word the least rotation is unique.
    """
    i = 0
    j = 1
    k = 0
    while i < p and j < p and k < p:
        a = i + k
        if a >= p:
            a -= p
        b = j + k
        if b >= p:
            b -= p
        if word[a] == word[b]:
            k += 1
            continue
        if word[a] > word[b]:
            i += k + 1
        else:
            j += k + 1
        if i == j:
            j += 1
        k = 0
    return min(i, j)


@jit
def _cycle_classes(
    step: np.ndarray, beta: np.ndarray, nb: int, on_cycle: np.ndarray, cls: np.ndarray
) -> tuple[np.ndarray, int, np.ndarray, np.ndarray]:
    """Classes of the cycle states.

    Fills and returns ``cls`` (``n`` entries of the index dtype, made by the
    caller as in :func:`_functional_graph`: the class of every cycle state,
    ``-1 - beta`` elsewhere), the
    number of cycle classes, and per cycle class the class and the label
    of the state before it on its cycle (what a tree state must look like
    to be equivalent to a cycle state).
    """
    n = step.shape[0]
    n_cyc = 0
    for s in range(n):
        if on_cycle[s]:
            n_cyc += 1
    # Unclassified states hold -1 - beta(s): negative, and one read gives
    # the tree phase both "not yet classified" and the label.
    for s in range(n):
        cls[s] = -1 - beta[s]
    members = np.empty(n_cyc, dtype=cls.dtype)
    word = np.empty(n_cyc, dtype=cls.dtype)
    fail = np.empty(n_cyc, dtype=cls.dtype)
    prev_class = np.empty(n_cyc, dtype=cls.dtype)
    prev_label = np.empty(n_cyc, dtype=cls.dtype)
    # Period-1 words (fixed points, halted states) are looked up by label.
    single = np.empty(nb, dtype=cls.dtype)
    single[:] = -1
    # Longer words: open addressing on a 62-bit hash, verified letter by
    # letter against the cycle that introduced the word.
    max_words = n_cyc // 2 + 1
    cap = 8
    while cap < 2 * max_words:
        cap *= 2
    table = np.empty(cap, dtype=cls.dtype)
    table[:] = -1
    word_key = np.empty(max_words, dtype=np.int64)
    word_len = np.empty(max_words, dtype=cls.dtype)
    word_start = np.empty(max_words, dtype=cls.dtype)
    word_base = np.empty(max_words, dtype=cls.dtype)
    n_words = 0
    n_classes = 0
    for s0 in range(n):
        if not on_cycle[s0] or cls[s0] >= 0:
            continue
        length = 0
        s = s0
        while True:
            members[length] = s
            word[length] = beta[s]
            length += 1
            s = step[s]
            if s == s0:
                break
        # Smallest period of the cyclic word: from the KMP border of the
        # linear word, valid when it divides the length.
        fail[0] = 0
        k = 0
        for i in range(1, length):
            while k > 0 and word[i] != word[k]:
                k = fail[k - 1]
            if word[i] == word[k]:
                k += 1
            fail[i] = k
        p = length - fail[length - 1]
        if length % p != 0:
            p = length
        r = _least_rotation(word, p)
        if p == 1:
            label = word[0]
            base = single[label]
            if base < 0:
                base = n_classes
                single[label] = base
                prev_class[base] = base
                prev_label[base] = label
                n_classes += 1
        else:
            h1 = np.int64(0)
            h2 = np.int64(0)
            a = r
            for _ in range(p):
                letter = np.int64(word[a]) + 1  # int64 even when word is int32
                h1 = (h1 * _B1 + letter) % _P1
                h2 = (h2 * _B2 + letter) % _P2
                a += 1
                if a == p:
                    a = 0
            key = h1 * 2147483648 + h2
            slot = key & (cap - 1)
            base = -1
            while table[slot] >= 0:
                wid = table[slot]
                if word_key[wid] == key and word_len[wid] == p:
                    same = True
                    t = word_start[wid]
                    a = r
                    for _ in range(p):
                        if beta[t] != word[a]:
                            same = False
                            break
                        t = step[t]
                        a += 1
                        if a == p:
                            a = 0
                    if same:
                        base = word_base[wid]
                        break
                slot = (slot + 1) & (cap - 1)
            if base < 0:
                wid = n_words
                n_words += 1
                table[slot] = wid
                word_key[wid] = key
                word_len[wid] = p
                word_start[wid] = members[r]
                base = n_classes
                word_base[wid] = base
                n_classes += p
                for o in range(p):
                    before = o - 1 if o > 0 else p - 1
                    prev_class[base + o] = base + before
                    a = r + before
                    if a >= p:
                        a -= p
                    prev_label[base + o] = word[a]
        o = p - r if r else 0  # offset of members[0] from the least rotation
        for j in range(length):
            cls[members[j]] = base + o
            o += 1
            if o == p:
                o = 0
    return cls, n_classes, prev_class[:n_classes].copy(), prev_label[:n_classes].copy()


@jit
def _tree_classes(
    nb: int,
    on_cycle: np.ndarray,
    indptr: np.ndarray,
    preds: np.ndarray,
    cls: np.ndarray,
    n_cycle_classes: int,
    prev_class: np.ndarray,
    prev_label: np.ndarray,
    chunk: int,
    queue: np.ndarray,
    order: np.ndarray,
    run_start: np.ndarray,
) -> int:
    """Give every tree state its class, in place in ``cls``; return the class count.

    ``cls`` comes from :func:`_cycle_classes`: classes on the cycles and
    ``-1 - beta(s)`` on the tree states. ``queue`` and ``order`` (``n``
    entries of ``cls``'s dtype) and ``run_start`` (``n + 1`` bools) are
    scratch made by the caller, as in :func:`_functional_graph`.

    ``chunk`` is the number of work-list states handled per batch (extended
    to a whole run); any value >= 1 gives the same classes.
    """
    n = cls.shape[0]
    tail = 0
    for s in range(n):
        if on_cycle[s]:
            queue[tail] = s
            tail += 1
    if tail == n:
        return n_cycle_classes  # a permutation: no tree states at all
    # Periodic tree states: the label sequence of q equals a cycle state's
    # exactly when beta(q) is the label just before step(q)'s cycle class.
    # (A cycle predecessor in the list holds a class >= 0, so -1 - cls[q] is
    # negative and never equals a label: it is skipped.)
    head = 0
    while head < tail:
        x = queue[head]
        head += 1
        c = cls[x]
        for e in range(indptr[x], indptr[x + 1]):
            q = preds[e]
            if -1 - cls[q] == prev_label[c]:
                cls[q] = prev_class[c]
                queue[tail] = q
                tail += 1
    # Order the periodic states by class (counting sort) so that each class
    # is one run of the work list.
    start = np.empty(n_cycle_classes + 1, dtype=cls.dtype)
    start[:] = 0
    for i in range(tail):
        start[cls[queue[i]] + 1] += 1
    run_start[:] = False
    for c in range(n_cycle_classes):
        start[c + 1] += start[c]
        run_start[start[c]] = True
    run_start[tail] = True
    for i in range(tail):
        x = queue[i]
        c = cls[x]
        order[start[c]] = x
        start[c] += 1
    # Every other tree state is told apart from all periodic states, and
    # from other tree states by (beta(q), class(step(q))): the predecessors
    # of one class split by label into new classes. Classes are numbered in
    # the order they are made and appended to the work list as runs (marked
    # in ``run_start``), so a class's run is over before its new classes
    # start and each (label, class) pair is met during one run only.
    new_id = np.empty(nb, dtype=cls.dtype)
    new_id[:] = -1
    n_classes = n_cycle_classes
    # The work list is processed in chunks of whole runs, each in a few
    # simple loops (gather the predecessor ranges, copy them, gather their
    # labels, number, scatter) rather than one loop per state: each loop's
    # random reads are independent of each other, so the processor overlaps
    # their cache misses instead of waiting on a chain of them and on the
    # branches that depend on them. Scratch grows to the largest chunk.
    lo = np.empty(chunk, dtype=cls.dtype)
    hi = np.empty(chunk, dtype=cls.dtype)
    found = np.empty(chunk, dtype=cls.dtype)
    found_id = np.empty(chunk, dtype=cls.dtype)
    first_of_run = np.empty(chunk, dtype=np.bool_)
    i = 0
    while i < tail:
        end = min(i + chunk, tail)
        while not run_start[end]:
            end += 1
        nf = end - i
        if nf > lo.shape[0]:
            lo = np.empty(nf, dtype=cls.dtype)
            hi = np.empty(nf, dtype=cls.dtype)
        for j in range(nf):
            x = order[i + j]
            lo[j] = indptr[x]
            hi[j] = indptr[x + 1]
        m = 0
        for j in range(nf):
            m += hi[j] - lo[j]
        if m > found.shape[0]:
            found = np.empty(m, dtype=cls.dtype)
            found_id = np.empty(m, dtype=cls.dtype)
            first_of_run = np.empty(m, dtype=np.bool_)
        t = 0
        new_run = False
        for j in range(nf):
            # A run's first predecessor may belong to any of its states.
            new_run = new_run or run_start[i + j]
            for e in range(lo[j], hi[j]):
                found[t] = preds[e]
                first_of_run[t] = new_run
                new_run = False
                t += 1
        # Labels of the predecessors; -1 marks those already classified
        # (periodic tree states and cycle states), which are already placed.
        for t in range(m):
            v = cls[found[t]]
            found_id[t] = -1 - v if v < 0 else -1
        # Number the new classes: within one run, one per label.
        chunk_first = n_classes
        first_new = n_classes
        for t in range(m):
            if first_of_run[t]:
                first_new = n_classes
            label = found_id[t]
            if label < 0:
                continue
            if new_id[label] < first_new:
                new_id[label] = n_classes
                n_classes += 1
            found_id[t] = new_id[label]
        # Place the new classes as runs in id order (a counting sort); the
        # sizes and then the cursors live in ``lo``, free again by now.
        made = n_classes - chunk_first
        if made > lo.shape[0]:
            lo = np.empty(made, dtype=cls.dtype)
            hi = np.empty(made, dtype=cls.dtype)
        for k in range(made):
            lo[k] = 0
        for t in range(m):
            if found_id[t] >= 0:
                lo[found_id[t] - chunk_first] += 1
        run = tail
        for k in range(made):
            size = lo[k]
            lo[k] = run
            run_start[run] = True
            run += size
        run_start[run] = True
        for t in range(m):
            c = found_id[t]
            if c >= 0:
                q = found[t]
                order[lo[c - chunk_first]] = q
                lo[c - chunk_first] += 1
                cls[q] = c
        tail = run
        i = end
    return n_classes


@jit
def _pair_labels(a: np.ndarray, b: np.ndarray, kb: int, bound: int) -> tuple[np.ndarray, int]:
    """Canonical labels of the pairs ``(a[i], b[i])``, numbered by first occurrence.

    ``b`` holds ids below ``kb`` and there are at most ``bound`` distinct
    pairs. An open-addressing table on the pair code ``a * kb + b`` makes
    this one pass, O(n), where sorting the codes would be O(n log n).
    """
    n = a.shape[0]
    cap = 8
    while 2 * cap < 3 * bound:  # load factor at most 2/3
        cap *= 2
    mask = cap - 1
    # (key, id) side by side: a probe reads one cache line.
    table = np.empty(2 * cap, dtype=np.int64)
    table[:] = -1
    out = np.empty(n, dtype=np.int64)
    codes = np.empty(_CHUNK, dtype=np.int64)
    slots = np.empty(_CHUNK, dtype=np.int64)
    count = 0
    touched = 0
    for i0 in range(0, n, _CHUNK):
        i1 = min(n, i0 + _CHUNK)
        for i in range(i0, i1):
            key = a[i] * kb + b[i]
            # Mix the code into the table (no overflow: every factor < 2**32).
            x = key % 4294967291
            x = (x * 1640531527) % 4294967291
            codes[i - i0] = key
            slots[i - i0] = (x ^ (x >> 13)) & mask
        # Touch every slot first, in a tight loop of independent loads: the
        # probes below branch on what they load, and would otherwise wait
        # for each cache miss in turn.
        for i in range(i1 - i0):
            touched += table[2 * slots[i]]
        for i in range(i0, i1):
            key = codes[i - i0]
            slot = slots[i - i0]
            while True:
                held = table[2 * slot]
                if held == key:
                    out[i] = table[2 * slot + 1]
                    break
                if held < 0:
                    table[2 * slot] = key
                    table[2 * slot + 1] = count
                    out[i] = count
                    count += 1
                    break
                slot = (slot + 1) & mask
    if touched == -7:  # pragma: no cover - keeps the touching loads
        count += 0
    return out, count
