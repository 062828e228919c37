"""Kernels for the variables an abstraction reads: grouping states by a key.

* :func:`_conflicts`: pairs of states with the same key but different
  blocks (the witnesses that a set of variables does not determine an
  abstraction), at most one per key;
* :func:`_dense_ids`: first-occurrence ids of arbitrary int64 keys;
* :func:`_linear_key`: a mixed-radix key of chosen variables, in one pass.

Both hash the keys into an open-addressing table of a power of two of at
least twice ``n`` slots (linear probing), so a call is one pass over the
states whatever the range of the keys: a key combines the codes of many
variables in mixed radix and can be as large as ``2**62``.
"""

from __future__ import annotations

import numpy as np

from abstractions._kernels._jit import jit

__all__ = ["_conflicts", "_dense_ids", "_linear_key", "_table_bits"]


@jit
def _table_bits(n: int) -> int:
    bits = 1
    while (1 << bits) < 2 * n:
        bits += 1
    return bits


@jit
def _conflicts(key: np.ndarray, alpha: np.ndarray, slots: np.ndarray, limit: int) -> np.ndarray:
    """Up to ``limit`` pairs ``(i, j)``, ``i < j``, with ``key[i] == key[j]``, ``alpha[i] !=
    alpha[j]``.

    ``i`` is the first state with its key; at most one pair per key, in
    the order the second states come. An empty result means that ``alpha``
    is a function of ``key``. ``slots`` is the hash table, of
    :func:`_table_bits` bits (its contents are overwritten): int32 while
    the state ids fit (half the memory, so more of it stays in cache), and
    reused from call to call (fresh memory costs page faults). A reported
    key's slot holds ``-2 - i`` instead of ``i``.
    """
    n = key.shape[0]
    bits = _table_bits(n)
    mask = (1 << bits) - 1
    shift = np.uint64(64 - bits)
    slots[: mask + 1] = -1
    out = np.empty((limit, 2), dtype=np.int64)
    count = 0
    for j in range(n):
        if count >= limit:
            break
        k = key[j]
        # Fibonacci hashing: the key times 2**64 / golden ratio, top bits
        h = np.int64((np.uint64(k) * np.uint64(0x9E3779B97F4A7C15)) >> shift)
        while True:
            s = np.int64(slots[h])
            if s == -1:
                slots[h] = j
                break
            i = s if s >= 0 else -2 - s
            if key[i] == k:
                if s >= 0 and alpha[i] != alpha[j]:
                    slots[h] = -2 - i
                    out[count, 0] = i
                    out[count, 1] = j
                    count += 1
                break
            h = (h + 1) & mask
    return out[:count].copy()


@jit
def _dense_ids(key: np.ndarray, slots: np.ndarray) -> tuple[np.ndarray, int]:
    """First-occurrence ids ``0 .. count-1`` of the keys, and ``count`` (``slots`` as for
    :func:`_conflicts`)."""
    n = key.shape[0]
    bits = _table_bits(n)
    mask = (1 << bits) - 1
    shift = np.uint64(64 - bits)
    slots[: mask + 1] = -1
    ids = np.empty(n, dtype=np.int64)
    count = 0
    for j in range(n):
        k = key[j]
        # Fibonacci hashing: the key times 2**64 / golden ratio, top bits
        h = np.int64((np.uint64(k) * np.uint64(0x9E3779B97F4A7C15)) >> shift)
        while True:
            i = np.int64(slots[h])
            if i < 0:
                slots[h] = j
                ids[j] = count
                count += 1
                break
            if key[i] == k:
                ids[j] = ids[i]
                break
            h = (h + 1) & mask
    return ids, count


@jit
def _linear_key(
    base: np.ndarray, codes: np.ndarray, rows: np.ndarray, weights: np.ndarray
) -> np.ndarray:
    """``base + sum_t codes[rows[t]] * weights[t]``, one pass over the states, no temporaries.

    With ``weights`` the mixed-radix strides of the chosen variables (and
    ``base`` zero), two states get one key exactly when they agree on those
    variables; with ``base`` the key of every variable and negative strides,
    the chosen variables are taken out. The caller checks that no key
    reaches ``2**63``.
    """
    n = base.shape[0]
    out = base.copy()
    for t in range(rows.shape[0]):
        row = rows[t]
        w = weights[t]
        for i in range(n):
            out[i] += codes[row, i] * w
    return out
