"""The least complete partition above ``beta`` when the transition is one function.

Two states are equivalent in it exactly when the label sequences
``beta(m), beta(step(m)), ...`` of their runs agree. Three methods, each
returning canonical labels:

* :func:`linear`: O(n) on the functional graph of ``step`` (cycles by the
  least rotation of their label word, trees class by class; see
  :mod:`abstractions._kernels.refine`);
* :func:`doubling`: pointer doubling, at most ``ceil(log2 n) + 1`` rounds of
  one gather and one relabel, with ``g = step**(2**r)`` kept beside the
  labels (the round structure that parallelises);
* :func:`rounds`: Moore's rounds ``labels <- (labels, labels[step])`` until
  stable, one per step of the longest distinguishing path.
"""

from __future__ import annotations

from abstractions._engine.primitives import first_occurrence, pair_ids
from abstractions._engine.refine import _index_witness
from abstractions._validation import Ids
from abstractions.progress import ProgressBar, counted

__all__ = ["linear", "doubling", "rounds"]

#: States per batch in the tree phase of the linear method: enough to overlap
#: many cache misses, few enough that the batch's scratch stays in cache.
_CHUNK = 4096


def linear(step: Ids, labels: Ids, k: int, bar: ProgressBar | None = None) -> tuple[Ids, int]:
    """Linear-time coarsest stable refinement of ``labels`` (``k`` blocks) under ``step``.

    One run of the kernels: ``bar`` counts one step when they return.
    """
    from abstractions._kernels import _cycle_classes, _functional_graph, _tree_classes

    w = _index_witness(step.shape[0])
    on_cycle, indptr, preds = _functional_graph(step, w)
    cls, n_cycle, prev_class, prev_label = _cycle_classes(step, labels, k, on_cycle, w)
    count = _tree_classes(
        k, on_cycle, indptr, preds, cls, n_cycle, prev_class, prev_label, _CHUNK
    )
    # Free the graph before the final relabel allocates its output.
    del on_cycle, indptr, preds, prev_class, prev_label
    result = first_occurrence(cls, max(int(count), 1))
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
