"""The completion operator and minimal complete abstractions.

``completion(C, P) = P | P.pullback(C.step)``: what ``P`` knows now, plus
what it will know after one step. The operator is monotone and extensive,
and its fixed points are exactly the complete abstractions. By
Knaster--Tarski the complete abstractions above any ``beta`` form a complete
lattice; its least element -- the *minimal complete abstraction above
beta* -- is the limit of ``beta <= C(beta) <= C(C(beta)) <= ...``, reached
after fewer than ``n`` steps because each step that changes anything adds a
block.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from abstractions._validation import as_count
from abstractions.computation import Computation
from abstractions import systems as _systems
from abstractions.consistency import _as_partition, _require_computation, _require_model
from abstractions.exceptions import InvalidTypeError, InvalidValueError, TooLargeError
from abstractions.partition import Partition, _first_occurrence, _pair_ids
from abstractions.systems import TransitionSystem

__all__ = [
    "METHODS",
    "SYSTEM_METHODS",
    "completion",
    "minimal_complete_abstraction",
    "complete_abstractions",
]

#: Names accepted by ``minimal_complete_abstraction(method=...)``:
#:
#: - ``"auto"``: the fastest correct method (today always ``"linear"``).
#: - ``"linear"``: O(n) refinement on the functional graph of ``step``
#:   (cycles by their least rotation, trees split class by class).
#: - ``"doubling"``: pointer doubling, ``ceil(log2 n) + 1`` rounds at most of
#:   one gather and one relabel each, with ``g = step**(2**k)`` kept beside
#:   the labels (the round structure that parallelises).
#: - ``"rounds"``: Moore's rounds ``labels <- (labels, labels[step])`` until
#:   stable; one round per step of the longest distinguishing path (``n``
#:   rounds on a chain).
#: - ``"reference"``: the literal Kleene iteration of the completion operator
#:   over :class:`Partition` objects, the oracle of the tests.
METHODS: tuple[str, ...] = ("auto", "linear", "doubling", "rounds", "reference")

#: The methods for a :class:`~abstractions.TransitionSystem`: ``"auto"``
#: (O(m log n): signature rounds while they double the blocks, then the
#: splitter kernel) and ``"reference"`` (Kleene iteration).
SYSTEM_METHODS: tuple[str, ...] = ("auto", "reference")


def _completion(C: Computation, P: Partition) -> Partition:
    return P | P.pullback(C.step)


def completion(computation: Computation | TransitionSystem, partition: Any) -> Partition:
    """The completion operator ``C(P) = P | P.pullback(step)``.

    The least abstraction that knows what ``P`` knows about the current
    state and about the next one.

    Parameters
    ----------
    computation : Computation
    partition : Partition or array_like

    Returns
    -------
    Partition
        ``>= partition``; equal to it exactly when it is complete.

    Raises
    ------
    SizeMismatchError
        If the partition is not over the computation's states.

    Examples
    --------
    >>> from abstractions import Computation, Partition
    >>> C = Computation([1, 2, 3, 0])                     # counter mod 4
    >>> completion(C, Partition([0, 1, 1, 1])).labels     # "== 0" and "next == 0"
    array([0, 1, 1, 2])
    """
    C = _require_model(computation)
    P = _as_partition(partition, C.n, "partition")
    if isinstance(C, TransitionSystem):
        return _systems._completion(C, P)
    return _completion(C, P)


def _reference(C: Computation, beta: Partition) -> Partition:
    """Kleene iteration ``beta, C(beta), C(C(beta)), ...`` to the fixed point."""
    alpha = beta
    while True:
        nxt = _completion(C, alpha)
        if nxt == alpha:
            return alpha
        alpha = nxt


def _index_witness(n: int) -> np.ndarray:
    """An empty array whose dtype the kernels use for state indices."""
    # int32 halves the scratch memory of the kernels while every id fits.
    return np.empty(0, dtype=np.int32 if n < 2**31 - 1 else np.int64)


#: States per batch in the tree phase of the linear method: enough to overlap
#: many cache misses, few enough that the batch's scratch stays in cache.
_CHUNK = 4096


def _linear(C: Computation, beta: Partition) -> Partition:
    """Linear-time coarsest stable refinement (see :mod:`abstractions._kernels.refine`)."""
    from abstractions._kernels import _cycle_classes, _functional_graph, _tree_classes

    w = _index_witness(C.n)
    on_cycle, indptr, preds = _functional_graph(C.step, w)
    labels = beta.labels
    k = beta.n_blocks
    cls, n_cycle, prev_class, prev_label = _cycle_classes(C.step, labels, k, on_cycle, w)
    count = _tree_classes(
        k, on_cycle, indptr, preds, cls, n_cycle, prev_class, prev_label, _CHUNK
    )
    # Free the graph before the final relabel allocates its output.
    del on_cycle, indptr, preds, prev_class, prev_label
    return Partition._from_canonical(*_first_occurrence(cls, max(int(count), 1)))


def _rounds(C: Computation, beta: Partition) -> Partition:
    """Moore's rounds: join with the pullback along ``step`` until nothing splits."""
    labels, k = beta.labels, beta.n_blocks
    while True:
        new, k_new = _pair_ids(labels, k, labels[C.step], k)
        if k_new == k:
            # Same count, and both canonical: the labels did not change.
            return Partition._from_canonical(labels, k)
        labels, k = new, k_new


def _doubling(C: Computation, beta: Partition) -> Partition:
    """Pointer doubling: after round ``r`` a label encodes ``2**r`` steps of ``beta``.

    If a label for ``L`` steps determines the labels for ``2L`` steps, it
    determines them for ``3L``, ``4L``, ... (apply it again at ``step**L``),
    so it is the full label sequence: the minimal complete abstraction.
    """
    labels, k = beta.labels, beta.n_blocks
    g = C.step
    while True:
        new, k_new = _pair_ids(labels, k, labels[g], k)
        if k_new == k:
            return Partition._from_canonical(labels, k)
        labels, k = new, k_new
        g = g[g]


_SOLVERS = {"linear": _linear, "doubling": _doubling, "rounds": _rounds, "reference": _reference}


def minimal_complete_abstraction(
    computation: Computation | TransitionSystem, beta: Any, method: str = "auto"
) -> Partition:
    """The least complete abstraction that keeps the information ``beta``.

    Parameters
    ----------
    computation : Computation
    beta : Partition or array_like
        The information to keep, e.g. :func:`~abstractions.output_abstraction`.
    method : str, default "auto"
        One of :data:`METHODS`:

        - ``"auto"``: the fastest correct method, today ``"linear"``.
        - ``"linear"``: O(n) time and about 25 bytes of scratch per state;
          cycles are classified by the least rotation of their label word,
          trees class by class.
        - ``"doubling"``: pointer doubling, at most ``ceil(log2 n) + 1``
          rounds of one gather and one relabel.
        - ``"rounds"``: Moore's rounds, one per step of the longest
          distinguishing path (``n`` on a chain).
        - ``"reference"``: the literal Kleene iteration of the completion
          operator over :class:`Partition` objects (readable, the oracle of
          the tests; up to ``n`` rounds of O(n) work each).

        Every method returns the same canonical partition.

    Returns
    -------
    Partition
        Complete, ``>= beta``, and ``<=`` every complete partition ``>= beta``.

    Raises
    ------
    InvalidValueError
        For an unknown ``method``.
    SizeMismatchError
        If ``beta`` is not over the computation's states.

    See Also
    --------
    complete_abstractions : all complete abstractions above ``beta`` (small n).

    Notes
    -----
    Knaster--Tarski: the completion operator ``C`` is monotone on the
    complete lattice of partitions, so its fixed points above ``beta`` form a
    complete lattice. Since ``C`` is also extensive, the chain
    ``beta <= C(beta) <= ...`` is increasing; on a finite lattice it stops at
    a fixed point ``alpha``, and by induction ``C^k(beta) <= gamma`` for every
    fixed point ``gamma >= beta``, so ``alpha`` is the least one. This is the
    coarsest stable refinement of ``beta`` under ``step`` (partition
    refinement, as in DFA minimisation).

    Examples
    --------
    A counter mod 16; keeping "value mod 4" needs only 4 abstract states,
    keeping "value == 0" needs all 16:

    >>> import numpy as np
    >>> from abstractions import Computation, Partition
    >>> C = Computation((np.arange(16) + 1) % 16)
    >>> minimal_complete_abstraction(C, Partition.kernel(np.arange(16) % 4)).n_blocks
    4
    >>> minimal_complete_abstraction(C, Partition.kernel(np.arange(16) == 0)).n_blocks
    16
    """
    C = _require_model(computation)
    if not isinstance(method, str):
        raise InvalidTypeError(f"method must be a string, got {type(method).__name__}")
    if isinstance(C, TransitionSystem):
        if method not in SYSTEM_METHODS:
            raise InvalidValueError(
                f"unknown method {method!r} for a TransitionSystem; choose one of "
                f"{', '.join(map(repr, SYSTEM_METHODS))}"
            )
        return _systems._minimal(C, _as_partition(beta, C.n, "beta"), method)
    if method not in METHODS:
        raise InvalidValueError(
            f"unknown method {method!r}; choose one of {', '.join(map(repr, METHODS))}"
        )
    start = _as_partition(beta, C.n, "beta")
    if method != "reference" and (start.n_blocks <= 1 or start.n_blocks == C.n):
        # Bottom and top are complete: nothing to refine.
        return start
    return _SOLVERS["linear" if method == "auto" else method](C, start)


def _bell(k: int) -> int:
    """The Bell number B(k): the number of partitions of k things."""
    row = [1]
    for _ in range(k):
        nxt = [row[-1]]
        for value in row:
            nxt.append(nxt[-1] + value)
        row = nxt
    return row[0]


def complete_abstractions(
    computation: Computation, beta: Any = None, *, max_candidates: int = 200_000
) -> list[Partition]:
    """Every complete abstraction above ``beta``: the lattice of the theorem.

    For small computations only: the candidates are all refinements of
    ``beta`` (``prod B(|block|)`` of them, B the Bell numbers; every
    partition of up to 10 states is within the default budget).

    Parameters
    ----------
    computation : Computation
    beta : Partition or array_like, optional
        The information to keep; by default nothing (the bottom partition).
    max_candidates : int, default 200_000
        Refuse with :class:`~abstractions.TooLargeError` when ``beta`` has more
        refinements than this.

    Returns
    -------
    list of Partition
        Sorted by number of blocks, then labels, so element 0 is the minimal
        complete abstraction above ``beta`` and the last is the top.

    Raises
    ------
    TooLargeError
        If there are more than ``max_candidates`` partitions above ``beta``.
    SizeMismatchError
        If ``beta`` is not over the computation's states.

    Examples
    --------
    A 3-cycle keeping nothing: only the two trivial abstractions are complete.

    >>> from abstractions import Computation
    >>> [str(P) for P in complete_abstractions(Computation([1, 2, 0]))]
    ['0 1 2', '0 | 1 | 2']
    """
    C = _require_computation(computation)
    n = C.n
    start = Partition.bottom(n) if beta is None else _as_partition(beta, n, "beta")
    budget = as_count(max_candidates, "max_candidates")
    count = 1
    for size in start.block_sizes().tolist():
        count *= _bell(size)
        if count > budget:
            raise TooLargeError(
                f"there are more than max_candidates={budget} partitions above beta "
                f"({n} states, {start.n_blocks} blocks of beta); complete_abstractions "
                f"is for small computations (every beta is fine up to 10 states)"
            )
    step = C.step.tolist()
    kept = start.labels.tolist()
    # Check each completeness constraint (m1 ~ m2 implies step m1 ~ step m2)
    # as soon as its four states have blocks, to prune the search early.
    checks: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for m1 in range(n):
        for m2 in range(m1 + 1, n):
            checks[max(m2, step[m1], step[m2])].append((m1, m2))
    labels = [0] * n
    block_kept: list[int] = []  # beta-block of each block made so far
    found: list[Partition] = []

    def extend(i: int) -> None:
        if i == n:
            found.append(
                Partition._from_canonical(np.array(labels, dtype=np.int64), len(block_kept))
            )
            return
        for b in range(len(block_kept) + 1):
            new = b == len(block_kept)
            if not new and block_kept[b] != kept[i]:
                continue  # a refinement of beta never joins two beta-blocks
            labels[i] = b
            if new:
                block_kept.append(kept[i])
            if all(
                labels[m1] != labels[m2] or labels[step[m1]] == labels[step[m2]]
                for m1, m2 in checks[i]
            ):
                extend(i + 1)
            if new:
                block_kept.pop()

    extend(0)
    found.sort(key=lambda P: (P.n_blocks, P.labels.tolist()))
    return found
