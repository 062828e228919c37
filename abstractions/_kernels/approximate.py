"""Kernels of the approximate notions: the plurality table of one function."""

from __future__ import annotations

import numpy as np

from abstractions._kernels._jit import jit

__all__ = ["_plurality"]


@jit
def _plurality(
    src: np.ndarray, dst: np.ndarray, w: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per block ``a`` of ``src``: its plurality target, its weight and the target's weight.

    State ``i`` moves from block ``src[i]`` to block ``dst[i]`` (both in
    ``[0, k)``) with weight ``w[i]`` (an empty ``w``: weight 1). Returns
    ``best`` (the target of largest weight; ties go to the lowest target;
    a block of weight 0 takes the target of most states), ``total`` (the
    block's weight) and ``top`` (the weight into ``best``). Pairs are
    counted in an open-addressing table, so the work is one pass over the
    states whatever ``k`` is, where a flat ``k x k`` table would not fit.
    """
    n = src.shape[0]
    weighted = w.shape[0] == n
    pairs = min(n, k * k)
    size = 16
    while size < 2 * pairs:
        size *= 2
    mask = size - 1
    keys = np.full(size, -1, dtype=np.int64)
    mass = np.zeros(size, dtype=np.float64)
    count = np.zeros(size, dtype=np.int64)
    for i in range(n):
        key = src[i] * k + dst[i]
        # Fibonacci hashing of the pair code; linear probing.
        h = (np.uint64(key) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(20)
        j = np.int64(h & np.uint64(mask))
        while keys[j] != -1 and keys[j] != key:
            j = (j + 1) & mask
        keys[j] = key
        mass[j] += w[i] if weighted else 1.0
        count[j] += 1
    best = np.full(k, -1, dtype=np.int64)
    total = np.zeros(k, dtype=np.float64)
    top = np.full(k, -1.0, dtype=np.float64)
    by_count = np.full(k, -1, dtype=np.int64)
    most = np.full(k, -1, dtype=np.int64)
    for slot in range(size):
        key = keys[slot]
        if key < 0:
            continue
        a = key // k
        b = key - a * k
        total[a] += mass[slot]
        if mass[slot] > top[a] or (mass[slot] == top[a] and b < best[a]):
            top[a] = mass[slot]
            best[a] = b
        if count[slot] > most[a] or (count[slot] == most[a] and b < by_count[a]):
            most[a] = count[slot]
            by_count[a] = b
    for a in range(k):
        if best[a] < 0:
            top[a] = 0.0
        elif total[a] <= 0.0:
            best[a] = by_count[a]
            top[a] = 0.0
    return best, total, top
