"""Kernels on a CSR relation (``indptr``, ``targets``)."""

from __future__ import annotations

import numpy as np

from abstractions._kernels._jit import jit

__all__ = ["_reach_csr"]


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
