"""Compile every numba kernel once, ahead of the first real call."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

__all__ = ["warmup"]


def warmup() -> None:
    """Compile (or load from numba's on-disk cache) every kernel of the package.

    ``import abstractions`` compiles nothing, and inputs of fewer than a few
    thousand elements are answered by numpy without any kernel. Each kernel
    is compiled on its first call on a larger input, which takes seconds the
    first time in an environment and a fraction of a second once numba's
    cache is warm (one line on the ``abstractions`` logger says when numba
    compiles). Call this once (e.g. at the top of a notebook or before
    timing) so that no later call waits for compilation.

    Every kernel is called here on a tiny input. Each kernel's entry point
    fixes the dtype, layout and writeable flag of every argument, so this
    compiles exactly the specialisation that the public functions use for
    all inputs below ``2**31`` states; larger ones use int64 indices and
    compile their own on first use.

    Examples
    --------
    >>> from abstractions import warmup
    >>> warmup()
    """
    for gate, args in _calls():
        gate(*args)


def _calls() -> Iterator[tuple[Callable[..., Any], tuple[Any, ...]]]:
    """Each kernel with tiny arguments of the roles it takes, in dependency order."""
    from abstractions._kernels import (
        _coarsest_stable,
        _cycle_classes,
        _final_states,
        _first_occurrence,
        _functional_graph,
        _is_stable,
        _meet_roots,
        _pair_labels,
        _predecessors,
        _reach,
        _signature_round,
        _tree_classes,
        index_witness,
    )

    # A cycle of period 2 read twice, trees into it, a chain to a halted state.
    step = np.array([1, 2, 3, 0, 0, 4, 7, 7], dtype=np.int64)
    halted = np.arange(8) == 7
    beta = np.array([0, 1, 0, 1, 1, 1, 0, 0], dtype=np.int64)
    w = index_witness(step.shape[0])
    yield _first_occurrence, (beta, 2)
    yield _first_occurrence, (beta.astype(w.dtype), 2)  # the linear method's classes
    yield _meet_roots, (beta, 2, step, 8)
    yield _reach, (step, np.array([5], dtype=np.int64))
    yield _final_states, (step, halted)
    yield _pair_labels, (beta, step, 8, 8)
    on_cycle, indptr, preds = _functional_graph(step, w)
    cls, n_cycle, prev_class, prev_label = _cycle_classes(step, beta, 2, on_cycle, w)
    yield _tree_classes, (2, on_cycle, indptr, preds, cls, n_cycle, prev_class, prev_label, 4096)
    # A relation: the same step as successor lists, with weights.
    ptr = np.arange(9, dtype=np.int64)
    ints = np.ones(8, dtype=np.int64)
    reals = np.ones(8, dtype=np.float64)
    pindptr, psrc, pedge = _predecessors(ptr, step, w)
    for mode in (0, 1, 2):
        args = (ptr, step, ints, reals, mode, 0, 1.0)
        labels, count = _signature_round(*args, beta, np.uint64(1))
        yield _is_stable, (*args, labels, count)
        # The hand-over from the rounds: beta's blocks are the constellations.
        within = np.empty(count, dtype=np.int64)
        within[labels] = beta
        yield _coarsest_stable, (
            pindptr, psrc, ints[pedge], reals[pedge], mode, 0, 1.0, labels, count, within, w,
        )
