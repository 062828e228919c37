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
from abstractions.consistency import _as_partition, _require_computation
from abstractions.exceptions import InvalidTypeError, InvalidValueError, TooLargeError
from abstractions.partition import Partition

__all__ = [
    "METHODS",
    "completion",
    "minimal_complete_abstraction",
    "complete_abstractions",
]

#: Names accepted by ``minimal_complete_abstraction(method=...)``.
#: ``"reference"`` is the literal Kleene iteration of the completion operator;
#: ``"auto"`` picks the fastest correct method available.
METHODS: tuple[str, ...] = ("auto", "reference")


def _completion(C: Computation, P: Partition) -> Partition:
    return P | P.pullback(C.step)


def completion(computation: Computation, partition: Any) -> Partition:
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
    C = _require_computation(computation)
    P = _as_partition(partition, C.n, "partition")
    return _completion(C, P)


def _reference(C: Computation, beta: Partition) -> Partition:
    """Kleene iteration ``beta, C(beta), C(C(beta)), ...`` to the fixed point."""
    alpha = beta
    while True:
        nxt = _completion(C, alpha)
        if nxt == alpha:
            return alpha
        alpha = nxt


def minimal_complete_abstraction(
    computation: Computation, beta: Any, method: str = "auto"
) -> Partition:
    """The least complete abstraction that keeps the information ``beta``.

    Parameters
    ----------
    computation : Computation
    beta : Partition or array_like
        The information to keep, e.g. :func:`~abstractions.output_abstraction`.
    method : str, default "auto"
        One of :data:`METHODS`. ``"reference"`` iterates the completion
        operator literally (readable, the oracle of the tests; up to ``n``
        rounds of O(n) work each). ``"auto"`` picks the fastest correct method.
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
    C = _require_computation(computation)
    if not isinstance(method, str):
        raise InvalidTypeError(f"method must be a string, got {type(method).__name__}")
    if method not in METHODS:
        raise InvalidValueError(
            f"unknown method {method!r}; choose one of {', '.join(map(repr, METHODS))}"
        )
    start = _as_partition(beta, C.n, "beta")
    # Only the reference method exists so far; "auto" will choose among the
    # fast methods once they exist.
    return _reference(C, start)


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
