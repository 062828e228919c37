"""Array primitives shared by every module: relabelling, pairs, meet, reachability.

Each function takes and returns int64 arrays and ints. Inputs of fewer than
:data:`~abstractions._config.SMALL_INPUT` elements are answered by
vectorised numpy code, so that small partitions and computations never load
numba (let alone wait for a kernel to compile); larger ones go to the numba
kernel of :mod:`abstractions._kernels` of the same name. Both paths return
the same arrays, element for element (the tests force each path by
changing the threshold). :func:`index_dtype` (re-exported from
:mod:`abstractions._kernels`) is the one choice of the kernels' index
dtype.
"""

from __future__ import annotations

import numpy as np

import abstractions._config as _config
from abstractions._kernels import index_dtype  # the gates only: no numba
from abstractions._validation import Ids, Mask

__all__ = [
    "final_states",
    "first_occurrence",
    "index_dtype",
    "meet_roots",
    "pair_ids",
    "reach",
    "row_pointers",
    "sequence_ids",
]


def row_pointers(src: Ids, n: int) -> Ids:
    """CSR row pointers of transitions sorted by source (``n`` rows).

    Examples
    --------
    >>> row_pointers(np.array([0, 0, 2]), 3)
    array([0, 2, 2, 3])
    """
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
    return indptr


def _small(n: int) -> bool:
    return n < _config.SMALL_INPUT


def _first_occurrence_numpy(values: np.ndarray) -> tuple[Ids, int]:
    """Sort-based twin of the kernel: O(n log n), no table of size ``k``."""
    unique, first, inverse = np.unique(values, return_index=True, return_inverse=True)
    rank = np.empty(unique.shape[0], dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(unique.shape[0], dtype=np.int64)
    labels: Ids = rank[inverse.reshape(-1)]
    return labels, int(unique.shape[0])


def first_occurrence(values: Ids, k: int) -> tuple[Ids, int]:
    """Renumber ``values`` (ints in ``[0, k)``) by first occurrence; also the count.

    Examples
    --------
    >>> first_occurrence(np.array([3, 1, 3, 0]), 4)
    (array([0, 1, 0, 2]), 3)
    """
    if _small(values.shape[0]):
        return _first_occurrence_numpy(values)
    from abstractions._kernels import _first_occurrence as kernel

    labels, count = kernel(values, k)
    return labels, int(count)


def pair_ids(a: Ids, ka: int, b: Ids, kb: int) -> tuple[Ids, int]:
    """Canonical labels of the pairs ``(a[i], b[i])``, ``a < ka`` and ``b < kb``.

    The kernel of both labellings at once: the join of two partitions and
    one round of refinement are both this. The pair code ``a * kb + b``
    must fit in int64 (``ka * kb < 2**63``).

    Examples
    --------
    >>> pair_ids(np.array([0, 0, 1, 1]), 2, np.array([0, 1, 1, 1]), 2)
    (array([0, 1, 2, 2]), 3)
    """
    n = a.shape[0]
    if _small(n):
        return _first_occurrence_numpy(a * np.int64(kb) + b)
    if ka * kb <= 4 * n + 64:
        # Few possible pairs: index them directly, no hashing.
        return first_occurrence(a * kb + b, max(ka * kb, 1))
    from abstractions._kernels import _pair_labels

    labels, count = _pair_labels(a, b, kb, min(n, ka * kb))
    return labels, int(count)


def _meet_roots_numpy(a: Ids, ka: int, b: Ids, kb: int) -> Ids:
    """Least ``a``-block of each component, by hooking and pointer jumping.

    Every state links its ``a``-block to the least ``a``-block of its
    ``b``-block. Each round hooks, for every link whose ends have different
    parents, the larger parent under the smaller one, then jumps each
    pointer four steps up. Pointers only decrease and stay inside their
    component, so when they no longer move and every link has both ends
    under one parent, each component is one tree whose root is its least
    block: the kernel's answer (union by index). A handful of rounds on
    chains and random links alike.
    """
    if a.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    least = np.full(kb, ka, dtype=np.int64)
    np.minimum.at(least, b, a)
    u, v = a, least[b]
    linked = u != v
    u, v = u[linked], v[linked]
    parent = np.arange(ka, dtype=np.int64)
    while True:
        pu, pv = parent[u], parent[v]
        np.minimum.at(parent, np.maximum(pu, pv), np.minimum(pu, pv))
        jumped = parent[parent]
        jumped = jumped[jumped]
        if np.array_equal(jumped, parent) and np.array_equal(parent[u], parent[v]):
            roots: Ids = parent[a]
            return roots
        parent = jumped


def meet_roots(a: Ids, ka: int, b: Ids, kb: int) -> Ids:
    """Per state, the least ``a``-block of its component of blocks linked through ``b``.

    Examples
    --------
    >>> meet_roots(np.array([0, 0, 1, 2]), 3, np.array([0, 1, 1, 2]), 3)
    array([0, 0, 0, 2])
    """
    if _small(a.shape[0]):
        return _meet_roots_numpy(a, ka, b, kb)
    from abstractions._kernels import _meet_roots

    roots: Ids = _meet_roots(a, ka, b, kb)
    return roots


def _reach_numpy(step: Ids, starts: Ids) -> Mask:
    """Pointer doubling: after round ``r`` the mask holds ``2**r`` steps of every run."""
    n = step.shape[0]
    seen = np.zeros(n, dtype=np.bool_)
    seen[starts] = True
    jump = step
    span = 1
    while span < n:
        seen[jump[seen]] = True
        jump = jump[jump]
        span *= 2
    return seen


def reach(step: Ids, starts: Ids) -> Mask:
    """Mask of the states reachable from ``starts`` along the function ``step``.

    Examples
    --------
    >>> reach(np.array([1, 2, 2, 0]), np.array([0]))
    array([ True,  True,  True, False])
    """
    if _small(step.shape[0]):
        return _reach_numpy(step, starts)
    from abstractions._kernels import _reach

    seen: Mask = _reach(step, starts)
    return seen


def _final_states_numpy(step: Ids, halted: Mask) -> Ids:
    """Pointer doubling to ``step**N`` with ``N >= n``, halted states made absorbing.

    After ``n`` steps every run is on its final cycle: a halted state
    (a fixed point) if it halts, else a cycle of running states.
    """
    n = step.shape[0]
    jump = np.where(halted, np.arange(n, dtype=np.int64), step)
    span = 1
    while span < n:
        jump = jump[jump]
        span *= 2
    final: Ids = np.where(halted[jump], jump, np.int64(-1))
    return final


def final_states(step: Ids, halted: Mask) -> Ids:
    """For every state, the halted state its run along ``step`` reaches, or -1.

    Examples
    --------
    >>> final_states(np.array([0, 0, 3, 2]), np.array([True, False, False, False]))
    array([ 0,  0, -1, -1])
    """
    if _small(step.shape[0]):
        return _final_states_numpy(step, halted)
    from abstractions._kernels import _final_states

    final: Ids = _final_states(step, halted)
    return final


def sequence_ids(
    group: Ids, n_groups: int, ids: Ids, k: int, seed: tuple[Ids, int] | None = None
) -> tuple[Ids, int]:
    """Canonical ids of the groups' sequences of ``ids`` (each below ``k``).

    ``group`` is nondecreasing: the rows of group ``g`` are consecutive.
    Position ``j`` refines the groups longer than ``j`` by their ``j``-th
    id, so all positions together cost O(rows). With ``seed = (labels,
    k_labels)`` the id is that of ``(labels[g], the sequence)``.

    Examples
    --------
    >>> sequence_ids(np.array([0, 0, 1, 2, 2]), 4, np.array([5, 6, 5, 5, 6]), 7)
    (array([0, 1, 0, 2]), 3)
    >>> sequence_ids(np.array([0, 1]), 2, np.array([5, 5]), 7, seed=(np.array([0, 1]), 2))
    (array([0, 1]), 2)
    """
    # (counts rather than np.searchsorted: linear, and much faster on many groups)
    starts = np.zeros(n_groups + 1, dtype=np.int64)
    np.cumsum(np.bincount(group, minlength=n_groups), out=starts[1:])
    length = np.diff(starts)
    longest = int(length.max(initial=0))
    if seed is None:
        seq, count = first_occurrence(length.copy(), longest + 1)
    else:
        seq, count = pair_ids(seed[0], seed[1], length, longest + 1)
        seq = seq.copy()
    order = np.argsort(-length, kind="stable")
    longer = np.searchsorted(-length[order], -np.arange(longest), side="left")
    for j in range(longest):
        active = order[: longer[j]]
        new, added = pair_ids(seq[active], count, ids[starts[active] + j], k)
        seq[active] = count + new
        count += added
    return first_occurrence(seq, count)
