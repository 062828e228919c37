"""Kernels on the functional graph of ``step``."""

from __future__ import annotations

import numpy as np

from abstractions._kernels._jit import jit

__all__ = ["_final_states", "_reach"]


@jit
def _reach(step: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Mask of the states reachable from ``starts`` by following ``step``.

    Each walk stops at the first state already marked, so every state is
    visited once: O(n) in all, where a frontier loop in numpy would need one
    round per step of the longest path.
    """
    n = step.shape[0]
    seen = np.empty(n, dtype=np.bool_)
    seen[:] = False
    for j in range(starts.shape[0]):
        s = starts[j]
        while not seen[s]:
            seen[s] = True
            s = step[s]
    return seen


@jit
def _final_states(step: np.ndarray, halted: np.ndarray) -> np.ndarray:
    """For each state, the halted state its run reaches, or -1 if none.

    A walk from each unresolved state is followed until it meets a halted
    state, an already resolved state, or itself (a cycle without a halted
    state: the run never halts); the walk is then resolved in one pass.
    O(n) in all.
    """
    n = step.shape[0]
    unknown = -2
    on_path = -3
    final = np.empty(n, dtype=np.int64)
    final[:] = unknown
    path = np.empty(n, dtype=np.int64)
    for s0 in range(n):
        if final[s0] != unknown:
            continue
        length = 0
        s = s0
        while final[s] == unknown and not halted[s]:
            final[s] = on_path
            path[length] = s
            length += 1
            s = step[s]
        if halted[s]:
            answer = s
            final[s] = s
        elif final[s] == on_path:
            answer = -1  # the walk closed a cycle with no halted state on it
        else:
            answer = final[s]
        for j in range(length):
            final[path[j]] = answer
    return final
