"""Kernel on rows of int64 keys: one id per distinct row (quantised observations)."""

from __future__ import annotations

import numpy as np

from abstractions._kernels._jit import jit

__all__ = ["_row_ids"]


@jit
def _row_ids(keys: np.ndarray) -> tuple[np.ndarray, int]:
    """Number the distinct rows of ``keys`` (shape (N, d), int64) by first occurrence.

    Returns ``ids`` (row ``i`` is the ``ids[i]``-th distinct row to appear)
    and the number of distinct rows. An open-addressing hash table holds, per
    slot, the first row with that content: O(N d) expected, where sorting
    the rows (``np.unique(axis=0)``, or on a void view) costs O(N d log N)
    and is about fifty times slower on a million rows.
    """
    n, d = keys.shape
    size = 1
    while size < 2 * n:  # load factor at most 1/2: short probe sequences
        size *= 2
    mask = size - 1
    table = np.empty(size, dtype=np.int64)  # first row stored in the slot
    table[:] = -1
    ids = np.empty(n, dtype=np.int64)
    count = 0
    for i in range(n):
        # FNV-style mixing of the row's words, finished with a xorshift so the
        # low bits (the slot) depend on every word.
        h = np.uint64(14695981039346656037)
        for j in range(d):
            h = (h ^ np.uint64(keys[i, j])) * np.uint64(1099511628211)
        h ^= h >> np.uint64(31)
        h *= np.uint64(0x9E3779B97F4A7C15)
        h ^= h >> np.uint64(29)
        slot = np.int64(h & np.uint64(mask))
        while True:
            r = table[slot]
            if r < 0:
                table[slot] = i
                ids[i] = count
                count += 1
                break
            same = True
            for j in range(d):
                if keys[r, j] != keys[i, j]:
                    same = False
                    break
            if same:
                ids[i] = ids[r]
                break
            slot = (slot + 1) & mask
    return ids, count
