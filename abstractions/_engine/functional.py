"""The least complete partition above ``beta`` when the transition is one function.

Two states are equivalent in it exactly when the label sequences
``beta(m), beta(step(m)), ...`` of their runs agree. Three methods, each
returning canonical labels:

* :func:`linear`: O(n) expected on the functional graph of ``step`` (cycles
  by the least rotation of their label word, trees from the cycles
  outwards; see :mod:`abstractions._kernels.refine`);
* :func:`doubling`: pointer doubling, at most ``ceil(log2 n) + 1`` rounds of
  one gather and one relabel, with ``g = step**(2**r)`` kept beside the
  labels (the round structure that parallelises);
* :func:`rounds`: Moore's rounds ``labels <- (labels, labels[step])`` until
  stable, one per step of the longest distinguishing path.
"""

from __future__ import annotations

import numpy as np

from abstractions._engine.primitives import pair_ids
from abstractions._engine.refine import _index_witness
from abstractions._validation import Ids
from abstractions.progress import ProgressBar, counted

__all__ = ["linear", "doubling", "rounds"]

#: States per chunk in the tree phase of the linear method: enough to overlap
#: many cache misses, few enough that the chunk's lines stay in cache.
_CHUNK = 4096


def linear(step: Ids, labels: Ids, k: int, bar: ProgressBar | None = None) -> tuple[Ids, int]:
    """Expected linear-time coarsest stable refinement of ``labels`` (``k`` blocks) under ``step``.

    One run of the kernels: ``bar`` counts one step when they return.
    """
    from abstractions._kernels import (
        _cycle_classes,
        _first_occurrence,
        _tree_classes,
        _tree_order,
    )

    n = step.shape[0]
    w = _index_witness(n)
    # One scratch for the three kernels in turn: the counts of the peeling,
    # each class's children, then the final relabel's table. Fresh memory
    # is dear: in a profile of a new process solving 10^7 states, 28 % of
    # the samples were the operating system zeroing pages on first touch.
    scratch = np.empty(max(4 * n, 1), dtype=w.dtype)
    on_cycle, queue, nxt = _tree_order(step, scratch)
    cls, n_cycle, prev_class, prev_label = _cycle_classes(step, labels, k, on_cycle, w)
    del on_cycle
    count = int(_tree_classes(queue, nxt, cls, n_cycle, prev_class, prev_label, _CHUNK, scratch))
    # Free the order before the final relabel allocates its output.
    del queue, nxt, prev_class, prev_label
    labels_out, blocks = _first_occurrence(cls, max(count, 1), scratch)
    result = labels_out, int(blocks)
    if bar is not None:
        bar.update(1, counted(result[1], "block"))
    return result


def rounds(step: Ids, labels: Ids, k: int, bar: ProgressBar | None = None) -> tuple[Ids, int]:
    """Moore's rounds: join with the pullback along ``step`` until nothing splits."""
    while True:
        new, k_new = pair_ids(labels, k, labels[step], k)
        if k_new == k:
            # Same count, and both canonical: the labels did not change.
            return labels, k
        labels, k = new, k_new
        if bar is not None:
            bar.update(1, counted(k, "block"))


def doubling(step: Ids, labels: Ids, k: int, bar: ProgressBar | None = None) -> tuple[Ids, int]:
    """Pointer doubling: after round ``r`` a label encodes ``2**r`` steps of ``beta``.

    If a label for ``L`` steps determines the labels for ``2L`` steps, it
    determines them for ``3L``, ``4L``, ... (apply it again at ``step**L``),
    so it is the full label sequence: the minimal complete abstraction.
    """
    g = step
    while True:
        new, k_new = pair_ids(labels, k, labels[g], k)
        if k_new == k:
            return labels, k
        labels, k = new, k_new
        if bar is not None:
            bar.update(1, counted(k, "block"))
        g = g[g]
