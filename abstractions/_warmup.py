"""Compile every numba kernel once, ahead of the first real call."""

from __future__ import annotations

import numpy as np

__all__ = ["warmup"]


def warmup() -> None:
    """Compile (or load from numba's on-disk cache) every kernel of the package.

    ``import abstractions`` compiles nothing; each kernel is compiled on its
    first call, which takes seconds the first time in an environment and
    well under a second once numba's cache is warm (``cache=True``).
    Call this once (e.g. at the top of a notebook or before timing) so that
    no later call pays for compilation. Every kernel is called here on a
    tiny input with the dtypes the public functions use, so exactly the
    specialisations they need are compiled.

    Examples
    --------
    >>> from abstractions import warmup
    >>> warmup()
    """
    from abstractions._kernels import _pair_labels
    from abstractions.minimal import METHODS, minimal_complete_abstraction
    from abstractions.computation import Computation
    from abstractions.consistency import abstract_computation, find_violation
    from abstractions.partition import Partition

    # A cycle of period 2 read twice, trees into it, a chain to a halted state.
    C = Computation(
        [1, 2, 3, 0, 0, 4, 7, 7],
        halted=[False] * 7 + [True],
        output=[0, 1, 0, 1, 1, 1, 0, 0],
        inputs=[5, 6],
    )
    beta = Partition([0, 1, 0, 1, 1, 1, 0, 0])
    for method in METHODS:
        minimal = minimal_complete_abstraction(C, beta, method=method)
    find_violation(C, beta)
    abstract_computation(C, minimal)
    P, Q = Partition([0, 1, 1, 2, 0, 1, 2, 2]), Partition([0, 0, 1, 1, 2, 2, 3, 3])
    P & Q, P.pullback(C.step), P <= Q
    C.final_states(), C.reachable_states()
    # Pair codes beyond the direct index (large joins) and sparse int labels.
    codes = np.array([0, 9, 0], dtype=np.int64)
    _pair_labels(codes, np.zeros(3, dtype=np.int64), 1, 3)
    Partition.from_labels(np.array([10**12, 5, 10**12]))
    # Systems: signature rounds and the splitter kernel in every mode. Two
    # copies of a chain split one block per round, so the rounds hand over
    # to the splitter kernel, and its answer (not discrete) is checked.
    from abstractions.systems import TransitionSystem

    chains = [1, 2, 3, 3, 5, 6, 7, 7]
    beta = Partition([0, 0, 0, 1, 0, 0, 0, 1])
    ones = np.ones(8)
    for T in (
        TransitionSystem.labelled([chains, chains]),
        TransitionSystem.nondeterministic([[t] for t in chains]),
        TransitionSystem.probabilistic((np.arange(9), chains, ones)),
        TransitionSystem.probabilistic((np.arange(9), chains, ones.astype(np.int64))),
    ):
        minimal_complete_abstraction(T, beta)
    # Learned computations: the row-hashing kernel of quantised observations.
    from abstractions._kernels.rows import _row_ids

    _row_ids(np.array([[0, 1], [1, 0], [0, 1]], dtype=np.int64))
