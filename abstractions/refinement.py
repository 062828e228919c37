"""The refinement history: rounds of the completion operator, their errors, the split rounds.

From ``beta`` the completion operator climbs ``beta <= C(beta) <= C(C(beta))
<= ...`` to the minimal complete abstraction. Each rung is itself an
abstraction, coarser and less consistent than the top one:
:func:`refinement_profile` reports, round by round, the number of blocks
and the consistency error (:func:`~abstractions.consistency_error`), the
trade-off between size and consistency that the exact theorem hides.
``minimal_complete_abstraction(system, beta, rounds=k)`` returns round ``k``
itself (k-bisimulation).

The round at which two states are first told apart is their *split round*
``r(s, t)`` (0 when ``beta`` already separates them; never, for states of
one block of the minimal complete abstraction). ``gamma ** r(s, t)`` is an
ultrametric -- the discounted bisimulation distance of states whose
behaviours first differ after ``r`` steps -- so the history is a
hierarchical clustering: :func:`split_rounds` gives one state's row of it,
and :func:`refinement_linkage` the whole tree over the blocks of the
minimal complete abstraction, in the format of ``scipy.cluster.hierarchy``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from abstractions._engine.primitives import first_occurrence
from abstractions._engine.relation import completion
from abstractions._engine.weighted import Floats
from abstractions._validation import Ids, as_count, readonly
from abstractions.approximate import consistency_error
from abstractions.computation import Computation
from abstractions.exceptions import InvalidTypeError, InvalidValueError
from abstractions.partition import Partition, first_occurrences
from abstractions.system import System, as_system
from abstractions.weights import Weights, as_weights

__all__ = [
    "NEVER",
    "RefinementProfile",
    "refinement_linkage",
    "refinement_profile",
    "split_rounds",
]

#: The split round of two states that no round separates.
NEVER = -1


@dataclass(frozen=True, eq=False)
class RefinementProfile:
    """Blocks and consistency error of each round of the completion operator from ``beta``.

    Attributes
    ----------
    blocks : numpy.ndarray of int64
        ``blocks[j]``: the number of blocks of ``C^j(beta)``, from round 0
        (``beta``) to the last round, the minimal complete abstraction.
    errors : numpy.ndarray of float
        ``errors[j]``: its consistency error (0 at the last round).
    metric : str
    weights : Weights
    beta : Partition
    system : System

    Examples
    --------
    >>> import numpy as np
    >>> from abstractions import Computation, Partition
    >>> C = Computation((np.arange(8) + 1) % 8)        # counter mod 8, keep "is 0"
    >>> p = refinement_profile(C, Partition.kernel(np.arange(8) == 0))
    >>> p.blocks.tolist()
    [2, 3, 4, 5, 6, 7, 8]
    >>> p.errors.tolist()[:3]
    [0.125, 0.125, 0.125]
    >>> p.partition(1).n_blocks
    3
    """

    blocks: Ids
    errors: Floats
    metric: str
    weights: Weights
    beta: Partition
    system: System

    @property
    def rounds(self) -> int:
        """The number of rounds that changed the partition."""
        return int(self.blocks.shape[0] - 1)

    def partition(self, j: int) -> Partition:
        """The partition ``C^j(beta)`` of round ``j`` (recomputed)."""
        from abstractions.minimal import minimal_complete_abstraction

        rounds = as_count(j, "round")
        return minimal_complete_abstraction(self.system, self.beta, rounds=rounds)

    def __repr__(self) -> str:
        return (
            f"RefinementProfile({self.rounds} rounds, {int(self.blocks[0])} -> "
            f"{int(self.blocks[-1])} blocks, metric={self.metric!r})"
        )


def _function_profile(step: Ids, labels: Ids, w: Floats | None, limit: int | None
                      ) -> tuple[Ids, Floats]:
    """Blocks and mismatch errors of every round for a function, in one kernel.

    Each round reads only the predecessors of the states that changed
    block in the last one
    (:func:`abstractions._kernels.approximate._function_profile`): a block
    of round ``j >= 1`` none of whose next states changed block neither
    splits nor has any error.
    """
    from abstractions._kernels import _function_profile as kernel
    from abstractions._kernels import index_witness

    weights = np.zeros(0) if w is None else np.ascontiguousarray(w, dtype=np.float64)
    # The kernel numbers blocks up to n + (number of blocks of beta).
    ix = index_witness(step.shape[0] + int(labels.max(initial=-1)) + 1)
    blocks, loss = kernel(step, labels, weights, -1 if limit is None else limit, ix)
    if w is None:
        loss = loss / step.shape[0]
    return blocks, loss


def refinement_profile(
    system: System,
    beta: Any,
    *,
    weights: Any = None,
    metric: str | None = None,
    max_rounds: int | None = None,
) -> RefinementProfile:
    """For each round of the completion operator from ``beta``: its blocks and error.

    Parameters
    ----------
    system : System
    beta : Partition or array_like
        Round 0.
    weights, metric
        As for :func:`~abstractions.consistency_error`.
    max_rounds : int, optional
        Stop after this many rounds (the last one is then not complete).

    Returns
    -------
    RefinementProfile

    Raises
    ------
    SizeMismatchError
        If ``beta`` or ``weights`` are over another number of states.
    """
    S = as_system(system)
    P = S._partition(beta, "beta")
    mu = as_weights(S, weights)
    limit = None if max_rounds is None else as_count(max_rounds, "max_rounds")
    if isinstance(S, Computation) and metric in (None, "mismatch"):
        w = None if mu.name == "uniform" else mu.values
        counts, losses = _function_profile(S.step, P.labels, w, limit)
        return RefinementProfile(readonly(counts), readonly(losses), "mismatch", mu, P, S)
    rel = S._relation()
    labels, k = P.labels, P.n_blocks
    blocks = [k]
    errors: list[float] = []
    name = ""
    while True:
        e = consistency_error(S, Partition._from_canonical(labels, k), weights=mu,
                              metric=metric)
        name = e.metric
        errors.append(e.total)
        new, count = completion(rel, labels, k)
        if count == k or (limit is not None and len(blocks) > limit):
            break
        labels, k = new, count
        blocks.append(k)
    return RefinementProfile(
        readonly(np.array(blocks, dtype=np.int64)), readonly(np.array(errors)), name, mu, P, S
    )


def _history(S: System, P: Partition) -> list[tuple[Ids, int]]:
    """The labels of every round from ``P`` to the fixed point, numbered by first occurrence.

    The engine numbers a round's blocks as its path finds them (a hash
    table, a sort): renumbered here, block ``b`` of every round is the same
    whatever path ran, and the last round is the minimal complete
    abstraction's own numbering.
    """
    rel = S._relation()
    labels, k = first_occurrence(P.labels, P.n_blocks)
    history = [(labels, k)]
    while True:
        new, count = completion(rel, labels, k)
        if count == k:
            return history
        labels, k = first_occurrence(new, count)
        history.append((labels, k))


def split_rounds(system: System, beta: Any, state: int) -> Ids:
    """The round at which each state is first told apart from ``state``.

    Parameters
    ----------
    system : System
    beta : Partition or array_like
    state : int

    Returns
    -------
    numpy.ndarray of int64
        ``r[t]``: 0 if ``beta`` separates ``state`` and ``t``, ``j`` if
        round ``j`` of the completion operator does first, :data:`NEVER`
        (-1) if they stay together (``state`` itself included). The
        bisimulation distance is ``gamma ** r`` (0 for :data:`NEVER`).

    Examples
    --------
    >>> import numpy as np
    >>> from abstractions import Computation, Partition
    >>> C = Computation((np.arange(6) + 1) % 6)        # counter mod 6, keep "is 0"
    >>> split_rounds(C, Partition.kernel(np.arange(6) == 0), 1)
    array([ 0, -1,  4,  3,  2,  1])
    """
    S = as_system(system)
    P = S._partition(beta, "beta")
    if isinstance(state, (bool, np.bool_)) or not isinstance(state, (int, np.integer)):
        raise InvalidTypeError(f"state must be a state id, got {state!r}")
    if not 0 <= int(state) < S.n:
        raise InvalidValueError(f"state = {state} is out of range for {S.n} states")
    s = int(state)
    rounds = np.full(S.n, NEVER, dtype=np.int64)
    alive = np.ones(S.n, dtype=bool)
    for j, (labels, _) in enumerate(_history(S, P)):
        apart = alive & (labels != labels[s])
        rounds[apart] = j
        alive &= ~apart
    return readonly(rounds)


def refinement_linkage(system: System, beta: Any, *, gamma: float = 0.5) -> np.ndarray:
    """The refinement history as a linkage matrix over the minimal complete abstraction's blocks.

    Leaf ``b`` is block ``b`` of ``minimal_complete_abstraction(system,
    beta)``. Blocks of round ``j`` that came from one block of round
    ``j - 1`` join at height ``gamma ** j`` (the split round's distance);
    the blocks of ``beta`` join at height 1. ``scipy.cluster.hierarchy``
    reads it (``dendrogram(Z)`` draws the history).

    Parameters
    ----------
    system : System
        Any kind.
    beta : Partition or array_like
    gamma : float, default 0.5
        The discount, in (0, 1).

    Returns
    -------
    numpy.ndarray of float64, shape (blocks - 1, 4)
        Row ``i`` joins clusters ``Z[i, 0]`` and ``Z[i, 1]`` (leaves are
        ``0 .. blocks - 1``, the cluster made by row ``i`` is ``blocks + i``)
        at height ``Z[i, 2]``; ``Z[i, 3]`` counts its leaves.

    Examples
    --------
    >>> import numpy as np
    >>> from abstractions import Computation, Partition
    >>> C = Computation((np.arange(4) + 1) % 4)        # counter mod 4, keep "is 0"
    >>> refinement_linkage(C, Partition.kernel(np.arange(4) == 0))
    array([[1.  , 2.  , 0.25, 2.  ],
           [3.  , 4.  , 0.5 , 3.  ],
           [0.  , 5.  , 1.  , 4.  ]])
    """
    S = as_system(system)
    P = S._partition(beta, "beta")
    if isinstance(gamma, bool) or not isinstance(gamma, (int, float, np.floating)) or not (
        0 < float(gamma) < 1
    ):
        raise InvalidValueError(f"gamma must be a number in (0, 1), got {gamma!r}")
    history = _history(S, P)
    final_k = history[-1][1]
    rows: list[tuple[int, int, float, int]] = []
    cluster = np.arange(final_k, dtype=np.int64)      # cluster id of each block of the round
    size = [1] * final_k
    next_id = final_k
    for j in range(len(history) - 1, -1, -1):
        labels, k = history[j]
        if j == 0:
            parent = np.zeros(k, dtype=np.int64)      # beta's blocks join at the top
            height = 1.0
        else:
            parent = history[j - 1][0][first_occurrences(labels)]
            height = float(gamma) ** j
        count = 1 if j == 0 else history[j - 1][1]
        merged = np.full(count, -1, dtype=np.int64)
        for b in range(k):
            p = int(parent[b])
            c = int(cluster[b])
            if merged[p] < 0:
                merged[p] = c
                continue
            a = int(merged[p])
            rows.append((min(a, c), max(a, c), height, size[a] + size[c]))
            size.append(size[a] + size[c])
            merged[p] = next_id
            next_id += 1
        cluster = merged
    Z = np.array(rows, dtype=np.float64).reshape(-1, 4)
    return Z
