"""Array primitives shared by every module: relabelling, pairs, meet, reachability.

Each function takes and returns int64 arrays and ints; it calls the numba
kernel of :mod:`abstractions._kernels` of the same name.
"""

from __future__ import annotations

import numpy as np  # noqa: F401  (the examples use it)

from abstractions._validation import Ids, Mask

__all__ = ["first_occurrence", "pair_ids", "meet_roots", "reach", "final_states"]


def first_occurrence(values: Ids, k: int) -> tuple[Ids, int]:
    """Renumber ``values`` (ints in ``[0, k)``) by first occurrence; also the count.

    Examples
    --------
    >>> first_occurrence(np.array([3, 1, 3, 0]), 4)
    (array([0, 1, 0, 2]), 3)
    """
    from abstractions._kernels import _first_occurrence as kernel

    labels, count = kernel(values, k)
    return labels, int(count)


def pair_ids(a: Ids, ka: int, b: Ids, kb: int) -> tuple[Ids, int]:
    """Canonical labels of the pairs ``(a[i], b[i])``, ``a < ka`` and ``b < kb``.

    The kernel of both labellings at once: the join of two partitions and
    one round of refinement are both this.

    Examples
    --------
    >>> pair_ids(np.array([0, 0, 1, 1]), 2, np.array([0, 1, 1, 1]), 2)
    (array([0, 1, 2, 2]), 3)
    """
    n = a.shape[0]
    if ka * kb <= 4 * n + 64:
        # Few possible pairs: index them directly, no hashing.
        return first_occurrence(a * kb + b, max(ka * kb, 1))
    from abstractions._kernels import _pair_labels

    labels, count = _pair_labels(a, b, kb, min(n, ka * kb))
    return labels, int(count)


def meet_roots(a: Ids, ka: int, b: Ids, kb: int) -> Ids:
    """Per state, a root ``a``-block of its component of blocks linked through ``b``.

    Examples
    --------
    >>> meet_roots(np.array([0, 0, 1, 2]), 3, np.array([0, 1, 1, 2]), 3)
    array([0, 0, 0, 2])
    """
    from abstractions._kernels import _meet_roots

    roots: Ids = _meet_roots(a, ka, b, kb)
    return roots


def reach(step: Ids, starts: Ids) -> Mask:
    """Mask of the states reachable from ``starts`` along the function ``step``.

    Examples
    --------
    >>> reach(np.array([1, 2, 2, 0]), np.array([0]))
    array([ True,  True,  True, False])
    """
    from abstractions._kernels import _reach

    seen: Mask = _reach(step, starts)
    return seen


def final_states(step: Ids, halted: Mask) -> Ids:
    """For every state, the halted state its run along ``step`` reaches, or -1.

    Examples
    --------
    >>> final_states(np.array([0, 0, 3, 2]), np.array([True, False, False, False]))
    array([ 0,  0, -1, -1])
    """
    from abstractions._kernels import _final_states

    final: Ids = _final_states(step, halted)
    return final
