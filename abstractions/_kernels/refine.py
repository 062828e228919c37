"""Kernels for the coarsest stable refinement of ``beta`` under one function.

Two states are equivalent in the minimal complete abstraction above
``beta`` exactly when the label sequences ``beta(m), beta(step(m)),
beta(step(step(m))), ...`` of their runs agree (a single function leaves no
choice to a run, so bisimilarity is equality of these sequences). The
linear method computes the classes of those sequences directly on the
functional graph of ``step``:

1. :func:`_tree_order`: peel the states with no predecessor left (Kahn's
   order) to find the cycle states; the others, the tree states, come out
   each before its successor.
2. :func:`_cycle_classes`: each cycle's label sequence is periodic; its
   class is fixed by its primitive root read from its least rotation (two
   cycles are equivalent state by state exactly when these words agree), and
   a state's class is the word plus its offset from the least rotation.
3. :func:`_tree_classes`: the tree states backwards, so that each
   successor's class is known. A tree state ``q`` whose label equals the
   label before its successor's class on the cycle of words is periodic
   too (it joins that cycle class); every other tree state is in a class
   decided by ``(beta(q), class(step(q)))``, looked up among the first
   children of the successor's class (a hash table takes the rest): O(n)
   expected in all.

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
    "_pair_labels",
    "_tree_classes",
    "_tree_order",
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
#: Odd multiplier of a class id in the hash of (class, label) pairs.
_K = np.uint64(0x9E3779B97F4A7C15)


@jit
def _tree_order(
    step: np.ndarray, count: np.ndarray, queue: np.ndarray, nxt: np.ndarray,
    on_cycle: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The tree states in Kahn's order, each with its successor; the cycle states.

    Returns ``on_cycle`` (bool per state) and ``queue`` and ``nxt`` cut to
    the number of tree states: ``queue`` holds them in the order Kahn's
    peeling frees them (every state before its successor), ``nxt`` the
    successor of each. Going backwards, every successor is met before its
    predecessors, and both are read in order (:func:`_tree_classes`).

    The caller makes the arrays, by numpy (whose large arrays get huge
    pages: at 10^7 states a kernel's own would fault in 50,000 pages of
    4 KB): ``count``, ``queue`` and ``nxt`` (``n`` entries of the index
    dtype) and ``on_cycle`` (``n`` bools).
    """
    n = step.shape[0]
    count[:] = 0
    for s in range(n):
        count[step[s]] += 1
    # Branch-free pushes (write always, advance when the count is zero): a
    # branch on a value just loaded from a random address would stall on
    # every cache miss it mispredicts.
    tail = 0
    for s in range(n):
        queue[tail] = s
        tail += count[s] == 0
    # Peel in batches of three loops: gather the successors, count them
    # down, then push those that reached zero; the count-downs are
    # independent loads, so their cache misses overlap. No predecessor
    # lists are filled on the way (the tree phase walks this order
    # backwards instead): their stores, each at a place just loaded, made
    # this loop take 0.46 s against 0.21 s without them (a random function
    # of 10^7 states). A state that reaches zero is pushed once and set to
    # -1, so a successor repeated in a batch is not pushed again.
    batch = min(n, 4096)
    head = 0
    while head < tail:
        size = min(tail - head, batch)
        for j in range(head, head + size):
            nxt[j] = step[queue[j]]
        for j in range(head, head + size):
            count[nxt[j]] -= 1
        for j in range(head, head + size):
            t = nxt[j]
            free = count[t] == 0
            queue[tail] = t  # tail < n: the cycle states are never pushed
            tail += free
            count[t] -= free
        head += size
    for s in range(n):
        on_cycle[s] = count[s] > 0
    return on_cycle, queue[:tail], nxt[:tail]


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
    caller as in :func:`_tree_order`: the class of every cycle state,
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


@jit(wrapper=False)
def _slot(c: int, b: int, cap: int) -> np.int64:
    """Home slot of the pair ``(c, b)`` in a table of ``cap`` slots (a power of two).

    Multiplicative hashing, its high half folded onto the low bits that
    the mask keeps, so that every bit of the pair counts (wrapping modulo
    ``2**64`` on purpose).
    """
    h = (np.uint64(c) * _K + np.uint64(b)) * _K
    return np.int64((h ^ (h >> np.uint64(32))) & np.uint64(cap - 1))


@jit(wrapper=False)
def _opened(child: np.ndarray, c: int) -> int:
    """Clear the child slots of the new class ``c`` (see :func:`_tree_classes`); return ``c``."""
    for x in range(4 * c, 4 * c + 4):
        child[x] = -1
    return c


@jit(wrapper=False)
def _grow(table: np.ndarray) -> np.ndarray:
    """``table`` of :func:`_tree_classes` rehashed into twice as many slots."""
    cap = table.shape[0] // 3
    bigger = np.full(6 * cap, -1, dtype=table.dtype)
    for slot in range(cap):
        c = table[3 * slot]
        if c < 0:
            continue
        at = _slot(c, table[3 * slot + 1], 2 * cap)
        while bigger[3 * at] >= 0:
            at = (at + 1) & (2 * cap - 1)
        for x in range(3):
            bigger[3 * at + x] = table[3 * slot + x]
    return bigger


@jit
def _tree_classes(
    queue: np.ndarray,
    nxt: np.ndarray,
    cls: np.ndarray,
    n_cycle_classes: int,
    prev_class: np.ndarray,
    prev_label: np.ndarray,
    chunk: int,
    child: np.ndarray,
) -> int:
    """Give every tree state its class, in place in ``cls``; return the class count.

    ``queue`` and ``nxt`` come from :func:`_tree_order`, ``cls`` and
    ``prev_*`` from :func:`_cycle_classes` (classes on the cycles, ``-1 -
    beta(s)`` on the tree states: a state's label is read where its class
    is then written). The tree states go backwards, so that the class ``c``
    of a state's successor is known when the state is met. A state whose
    label is ``prev_label[c]`` is periodic and joins ``prev_class[c]``; any
    other state's class is decided by its label and ``c``, so the pair
    ``(c, label)`` is looked up and numbered on first sight. Classes are
    numbered from ``n_cycle_classes`` up, so the count is the bound of the
    ids.

    The look-up: each class keeps its first two children, ``(label,
    class)`` twice in ``child`` (``4 (n_cycle_classes + len(queue))``
    entries of the index dtype, scratch made by the caller: the counts of
    :func:`_tree_order` before), and a hash table on ``(c, label)`` takes
    the rest. A chain's classes are made one after the other, so its
    look-ups walk ``child`` in order where a hash table would miss the
    cache once per state, each miss waiting for the one before (10^7
    states: 0.06 against 0.8 s); with two slots a random function of two
    labels never reaches the table.

    The states go in chunks of ``chunk`` (any value >= 1 gives the same
    classes): first the chunk's successor classes are gathered, and their
    ``child`` entries and the states' own classes touched, in tight loops
    of independent loads whose cache misses overlap, then the states are
    classified one by one. A
    successor classified inside the same chunk was still unclassified when
    gathered (negative) and is read again.
    """
    # A class's child slots are cleared when the class is made, so that
    # only the classes that exist touch their pages (a random function of
    # two labels: 6.6 of 10 million).
    for x in range(4 * n_cycle_classes):
        child[x] = -1
    # Open addressing on (c, label): (c, label, class) per slot, -1 empty,
    # in the index dtype like ``child``.
    table = np.full(3 * 64, -1, dtype=child.dtype)
    used = 0
    n_classes = n_cycle_classes
    gathered = np.empty(chunk, dtype=np.int64)
    touched = 0
    hi = queue.shape[0]
    while hi > 0:
        lo = max(0, hi - chunk)
        for pos in range(lo, hi):
            gathered[pos - lo] = cls[nxt[pos]]
        for i in range(hi - lo):
            c = gathered[i]
            touched += cls[queue[lo + i]]
            if c >= 0:
                touched += child[4 * c]
        for pos in range(hi - 1, lo - 1, -1):
            q = queue[pos]
            c = gathered[pos - lo]
            if c < 0:
                c = cls[nxt[pos]]
            b = -1 - cls[q]
            if c < n_cycle_classes and prev_label[c] == b:
                cls[q] = prev_class[c]
                continue
            # The two child slots, written out, each case ending the state
            # (one shared path for a new class ran the chain 2x slower).
            held = child[4 * c]
            if held == b:
                cls[q] = child[4 * c + 1]
                continue
            if held < 0:
                child[4 * c] = b
                child[4 * c + 1] = n_classes
                cls[q] = _opened(child, n_classes)
                n_classes += 1
                continue
            held = child[4 * c + 2]
            if held == b:
                cls[q] = child[4 * c + 3]
                continue
            if held < 0:
                child[4 * c + 2] = b
                child[4 * c + 3] = n_classes
                cls[q] = _opened(child, n_classes)
                n_classes += 1
                continue
            cap = table.shape[0] // 3
            at = _slot(c, b, cap)
            found = -1
            while table[3 * at] >= 0:
                if table[3 * at] == c and table[3 * at + 1] == b:
                    found = table[3 * at + 2]
                    break
                at = (at + 1) & (cap - 1)
            if found < 0:
                found = _opened(child, n_classes)
                n_classes += 1
                table[3 * at] = c
                table[3 * at + 1] = b
                table[3 * at + 2] = found
                used += 1
                if 4 * used > 3 * cap:  # load factor at most 3/4
                    table = _grow(table)
            cls[q] = found
        hi = lo
    if touched == -7:  # pragma: no cover - keeps the touching loads
        n_classes += 0
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
