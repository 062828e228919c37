"""Kernels on block labels: canonical relabelling and the meet."""

from __future__ import annotations

import numpy as np

from abstractions._kernels._jit import jit

__all__ = ["_first_occurrence", "_meet_roots"]


@jit
def _first_occurrence(
    values: np.ndarray, k: int, out: np.ndarray, new_id: np.ndarray
) -> tuple[np.ndarray, int]:
    """Renumber ``values`` (ints in ``[0, k)``) by first occurrence.

    Returns the canonical labels (in ``out``: ``n`` int64) and the number
    of distinct values; one pass, O(n + k), where sorting would cost
    O(n log n). ``new_id`` is ``k`` entries of the values' dtype: int32 ids
    (the linear method's classes) make the table half the size, so more of
    it stays in cache. The caller makes both by numpy, whose large arrays
    get huge pages (a kernel's own fault in 4 KB at a time).
    """
    n = values.shape[0]
    new_id[:] = -1
    count = 0
    for i in range(n):
        # Branch-free: on random labels a branch on new_id[v] mispredicts
        # often, and each miss waits for a cache miss to resolve.
        v = values[i]
        c = new_id[v]
        fresh = c < 0
        c = count if fresh else c
        new_id[v] = c
        count += fresh
        out[i] = c
    return out, count


@jit
def _meet_roots(a: np.ndarray, na: int, b: np.ndarray, nb: int) -> np.ndarray:
    """Connected components of the blocks of ``a`` linked through ``b``.

    Union-find over the ``na`` blocks of ``a``: all ``a``-blocks that meet
    one ``b``-block are merged. Returns, per state, the root ``a``-block of
    its component (not yet canonical). Path halving and union by index keep
    this near-linear.
    """
    n = a.shape[0]
    parent = np.empty(na, dtype=np.int64)
    for x in range(na):
        parent[x] = x
    first_a = np.empty(nb, dtype=np.int64)
    first_a[:] = -1
    for i in range(n):
        x = a[i]
        bb = b[i]
        y = first_a[bb]
        if y < 0:
            first_a[bb] = x
            continue
        # find roots with path halving
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        while parent[y] != y:
            parent[y] = parent[parent[y]]
            y = parent[y]
        if x != y:
            # attach the larger index under the smaller: roots stay small ids
            if x < y:
                parent[y] = x
            else:
                parent[x] = y
    roots = np.empty(n, dtype=np.int64)
    for i in range(n):
        x = a[i]
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        roots[i] = x
    return roots
