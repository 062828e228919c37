"""The weighted view of a relation: step probabilities, pushing a distribution forward.

The approximate notions (:mod:`abstractions.approximate` and its
neighbours) measure a system under a distribution over its states. They need
one reading of every kind as a random walk:

* a function moves with probability 1;
* a labelled system reads a uniformly random symbol (``1/k`` per transition);
* a nondeterministic system moves to a uniformly random successor (a state
  without successors keeps its mass nowhere: the run stops);
* a Markov chain uses its probabilities (exact ones as floats).

These helpers see only the :class:`~abstractions._engine.relation.Relation`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from abstractions._engine.primitives import pair_ids
from abstractions._engine.relation import Relation, round_weights, signature
from abstractions._validation import Ids, Mask
from abstractions.partition import first_occurrences

__all__ = [
    "Evaluation",
    "Floats",
    "Rows",
    "block_sums",
    "differs_from",
    "entropy_deterministic",
    "first_in_block",
    "hamming",
    "mismatch",
    "push",
    "regroup",
    "rows_of",
    "step_probabilities",
    "total_variation",
    "wsum",
]

#: Per-state or per-transition float weights.
Floats = npt.NDArray[np.float64]


def wsum(labels: Ids, weights: Any, k: int) -> Floats:
    """``np.bincount`` with float weights, typed as floats (None counts ones).

    Examples
    --------
    >>> wsum(np.array([0, 2]), None, 3)
    array([1., 0., 1.])
    """
    return np.asarray(np.bincount(labels, weights=weights, minlength=k), dtype=np.float64)


def step_probabilities(rel: Relation) -> Floats:
    """The probability of each transition when the system is read as a random walk.

    Examples
    --------
    >>> from abstractions._engine.relation import function_relation
    >>> step_probabilities(function_relation(np.array([1, 0])))
    array([1., 1.])
    """
    if rel.choices is not None:
        # a Markov decision process under the uniform scheduler: each choice
        # of a state with probability 1 / (its number of choices)
        assert rel.weights is not None
        if rel.weights.dtype.kind == "f":
            p = np.asarray(rel.weights, dtype=np.float64)
        else:
            p = np.array([int(x) / rel.den for x in rel.weights.tolist()], dtype=np.float64)
        first = np.ones(rel.m, dtype=bool)
        first[1:] = rel.choices[1:] != rel.choices[:-1]
        per_state = np.bincount(rel.sources()[first], minlength=rel.n).astype(np.float64)
        return p / per_state[rel.sources()]
    if rel.how == "sum":
        assert rel.weights is not None
        if rel.weights.dtype == object:
            return np.array([int(x) / rel.den for x in rel.weights.tolist()], dtype=np.float64)
        return rel.weights.astype(np.float64) / float(rel.den)
    if rel.how == "round":
        assert rel.weights is not None
        return np.asarray(rel.weights, dtype=np.float64)
    if rel.is_function:
        return np.ones(rel.m, dtype=np.float64)
    if rel.deterministic:
        return np.full(rel.m, 1.0 / rel.n_symbols, dtype=np.float64)
    degree = np.diff(rel.indptr).astype(np.float64)
    return np.repeat(1.0 / np.maximum(degree, 1.0), np.diff(rel.indptr))


def push(rel: Relation, probabilities: Floats, mass: Floats) -> Floats:
    """The distribution one step after ``mass`` (``mass @ P``).

    Examples
    --------
    >>> from abstractions._engine.relation import function_relation
    >>> rel = function_relation(np.array([1, 1, 0]))
    >>> push(rel, step_probabilities(rel), np.array([0.5, 0.25, 0.25]))
    array([0.25, 0.75, 0.  ])
    """
    if rel.is_function:
        return wsum(rel.targets, mass, rel.n)
    moved = np.repeat(mass, np.diff(rel.indptr)) * probabilities
    return wsum(rel.targets, moved, rel.n)


def block_sums(labels: Ids, weights: Floats, k: int) -> Floats:
    """The total weight of each of the ``k`` blocks.

    Examples
    --------
    >>> block_sums(np.array([0, 1, 0]), np.array([0.5, 0.25, 0.25]), 2)
    array([0.75, 0.25])
    """
    return wsum(labels, weights, k)


# ---------------------------------------------------------------------- rows of the weighted quotient


@dataclass(frozen=True, eq=False)
class Rows:
    """What each unit's transitions look like through a partition: sorted rows.

    A *unit* is a state, or a group of states with one row (a block of
    ``C(alpha)``, in :func:`abstractions.coarsen`). Row ``j`` says that unit
    ``unit[j]`` moves on symbol ``sym[j]`` into block ``block[j]`` with
    probability ``raw[j]`` (1 for the other kinds); ``q[j]`` is that
    probability in exact quanta (integer numerators over the chain's
    denominator, or multiples of its ``tol``: the comparison
    :func:`~abstractions.is_complete` makes), 1 for the other kinds. Rows are
    sorted by (unit, symbol, block), one per such triple.
    """

    unit: Ids
    sym: Ids
    block: Ids
    raw: Floats
    q: np.ndarray
    n_units: int
    n_symbols: int


def rows_of(rel: Relation, labels: Ids) -> Rows:
    """The rows of every state of ``rel`` through ``labels`` (its signature).

    Examples
    --------
    >>> from abstractions._engine.relation import function_relation
    >>> rows_of(function_relation(np.array([1, 2, 2])), np.array([0, 0, 1])).block
    array([0, 1, 1])
    """
    s, a, b, v = signature(rel, labels, raw=True)
    if rel.how == "sum":
        if v.dtype == object:
            raw = np.array([int(x) / rel.den for x in v.tolist()], dtype=np.float64)
        else:
            raw = v.astype(np.float64) / float(rel.den)
        q: np.ndarray = v
    elif rel.how == "round":
        raw = np.asarray(v, dtype=np.float64)
        q = round_weights(raw, rel.tol)
    else:
        raw = np.ones(s.shape[0], dtype=np.float64)
        q = np.ones(s.shape[0], dtype=np.int64)
    return Rows(s, a, b, raw, q, rel.n, rel.n_symbols)


def regroup(rows: Rows, group: Ids, how: str) -> Rows:
    """``rows`` seen through a coarser partition: block ``b`` becomes ``group[b]``.

    Rows that land on the same (unit, symbol, group) are added ("exists":
    joined, the unit reaches the group if it reached any of its blocks).
    """
    block = group[rows.block]
    k = max(int(group.max(initial=0)) + 1, 1)
    key = (rows.unit * rows.n_symbols + rows.sym) * k + block
    order = np.argsort(key, kind="stable")
    key = key[order]
    starts = np.flatnonzero(np.diff(key, prepend=-1)) if key.size else np.zeros(0, np.int64)
    unit, sym, block = rows.unit[order][starts], rows.sym[order][starts], block[order][starts]
    if how in ("function", "exists"):
        raw = np.ones(starts.shape[0], dtype=np.float64)
        q: np.ndarray = np.ones(starts.shape[0], dtype=np.int64)
    elif starts.size:
        raw = np.add.reduceat(rows.raw[order], starts)
        q = np.add.reduceat(rows.q[order], starts)
    else:
        raw, q = np.zeros(0), np.zeros(0, dtype=np.int64)
    return Rows(unit, sym, block, raw, q, rows.n_units, rows.n_symbols)


def first_in_block(labels: Ids, weights: Floats, k: int) -> Ids:
    """Per block, its first unit of positive weight (-1 when the block weighs nothing)."""
    ref = np.full(k, -1, dtype=np.int64)
    support = np.flatnonzero(weights > 0)
    # Assign in reverse so that the first unit of each block is written last.
    ref[labels[support[::-1]]] = support[::-1]
    return ref


def differs_from(rows: Rows, labels: Ids, ref: Ids) -> Mask:
    """Mask of units whose rows (symbol, block, exact quanta) differ from ``ref[block]``'s.

    Units of a block whose ``ref`` is -1 never differ.
    """
    n = rows.n_units
    gstart = np.searchsorted(rows.unit, np.arange(n + 1, dtype=np.int64))
    glen = np.diff(gstart)
    rep = ref[labels]
    has = rep >= 0
    rep_safe = np.where(has, rep, np.arange(n))
    bad: Mask = has & (glen != glen[rep_safe])
    cand = np.flatnonzero(has & ~bad & (rep_safe != np.arange(n)) & (glen > 0))
    lens = glen[cand]
    owner = np.repeat(cand, lens)
    offset = np.arange(owner.shape[0], dtype=np.int64) - np.repeat(np.cumsum(lens) - lens, lens)
    i = gstart[owner] + offset
    j = gstart[rep_safe[owner]] + offset
    diff = (
        (rows.sym[i] != rows.sym[j])
        | (rows.block[i] != rows.block[j])
        | np.asarray(rows.q[i] != rows.q[j], dtype=bool)
    )
    bad[owner[diff]] = True
    return bad


def _group_ids(a: Ids, ka: int, b: Ids, kb: int) -> tuple[Ids, int, Ids]:
    """Canonical ids of the pairs (a, b) and, per id, the index of its first row."""
    ids, count = pair_ids(a, max(ka, 1), b, max(kb, 1))
    return ids, count, first_occurrences(ids)


@dataclass(frozen=True, eq=False)
class Evaluation:
    """One metric evaluated on units: contributions, per symbol, and the abstract step.

    ``contrib[u]`` is unit ``u``'s share of the error (already weighted);
    ``score[u]`` the unweighted error of the unit (its TV, its number of
    mismatched symbols, ...); ``per_symbol`` the error of each symbol
    (mismatch and entropy) or None; ``abstract`` the abstract step in the
    metric's own form (see the evaluators).
    """

    contrib: Floats
    score: Floats
    per_symbol: Floats | None
    abstract: Any


def mismatch(rows: Rows, w: Floats, fit: Floats, labels: Ids, k: int,
             best: Ids | None = None) -> Evaluation:
    """The plurality error of deterministic rows (one per unit and symbol).

    The abstract step is ``best``, shape (symbols, blocks): per symbol and
    block the target block of the largest ``fit`` weight (ties: the lowest
    block), unless given.
    """
    a, c, u = rows.sym, rows.block, rows.unit
    ks = rows.n_symbols
    src = a * k + labels[u]
    if best is None:
        ids, count, first = _group_ids(src, ks * k, c, k)
        mass = wsum(ids, fit[u], count)
        order = np.lexsort((c[first], -mass, src[first]))
        lead = np.ones(count, dtype=bool)
        lead[1:] = src[first][order][1:] != src[first][order][:-1]
        chosen = order[lead]
        best = np.full(ks * k, -1, dtype=np.int64)
        best[src[first][chosen]] = c[first][chosen]
        best = best.reshape(ks, k)
    wrong = c != best.reshape(-1)[src]
    weighted = w[u] * wrong
    contrib = wsum(u, weighted, rows.n_units)
    score = wsum(u, wrong.astype(np.float64), rows.n_units)
    per_symbol = wsum(a, weighted, ks)
    return Evaluation(contrib, score, per_symbol, best)


def entropy_deterministic(rows: Rows, w: Floats, labels: Ids, k: int) -> Evaluation:
    """``sum_a H(alpha(step_a m) | alpha(m))`` in bits, as per-unit surprisals."""
    a, c, u = rows.sym, rows.block, rows.unit
    ks = rows.n_symbols
    src = a * k + labels[u]
    ids, count, first = _group_ids(src, ks * k, c, k)
    mass = wsum(ids, w[u], count)
    # The block's weight as the sum of its pair masses: one pair gives exactly 0 bits.
    total = wsum(src[first], mass, ks * k)
    positive = w[u] > 0
    bits = np.zeros(u.shape[0])
    bits[positive] = np.log2(total[src[positive]] / mass[ids[positive]])
    contrib = wsum(u, w[u] * bits, rows.n_units)
    score = wsum(u, bits, rows.n_units)
    per_symbol = wsum(a, w[u] * bits, ks)
    return Evaluation(contrib, score, per_symbol, None)


def hamming(rows: Rows, w: Floats, fit: Floats, labels: Ids, k: int,
            majority: tuple[Ids, Ids, Ids] | None = None) -> Evaluation:
    """Disagreements with the block's majority set of (symbol, block) pairs.

    The abstract step is the majority rows ``(block, symbol, target)``
    (sorted): the pairs reached by more than half the ``fit`` weight of the
    block, unless given.
    """
    a, c, u = rows.sym, rows.block, rows.unit
    ks = rows.n_symbols
    b = labels[u]
    pair = a * k + c
    if majority is None:
        ids, count, first = _group_ids(b, k, pair, ks * k)
        reach = wsum(ids, fit[u], count)
        half = wsum(labels, fit, k) / 2.0
        chosen = np.flatnonzero(reach > half[b[first]])
        mb, ma, mc = b[first][chosen], a[first][chosen], c[first][chosen]
        order = np.lexsort((mc, ma, mb))
        majority = (mb[order], ma[order], mc[order])
    mb, ma, mc = majority
    keys = np.sort((mb * ks + ma) * k + mc)
    row_keys = (b * ks + a) * k + c
    inside = np.zeros(u.shape[0], dtype=bool)
    if keys.size:
        where = np.minimum(np.searchsorted(keys, row_keys), keys.shape[0] - 1)
        inside = keys[where] == row_keys
    sizes = np.bincount(mb, minlength=k)
    reached = np.bincount(u, minlength=rows.n_units)
    agree = wsum(u, inside.astype(np.float64), rows.n_units)
    score = (reached + sizes[labels] - 2 * agree).astype(np.float64)
    return Evaluation(w * score, score, None, majority)


def total_variation(rows: Rows, w: Floats, fit: Floats, labels: Ids, k: int,
                    mean: tuple[Ids, Ids, Floats] | None = None,
                    information: bool = False) -> Evaluation:
    """Each unit's TV distance (or KL divergence, in bits) from its block's mean row.

    The abstract step is the mean rows ``(block, target, probability)``
    (sorted): the ``fit``-weighted mean of the block's rows, unless given.
    When fitted, a block whose weighted units all have the same exact row
    scores exactly 0 (floating point would otherwise leave a rounding error).
    """
    c, u, raw = rows.block, rows.unit, rows.raw
    b = labels[u]
    fitted = mean is None
    if mean is None:
        ids, count, first = _group_ids(b, k, c, k)
        sums = wsum(ids, fit[u] * raw, count)
        block_fit = wsum(labels, fit, k)
        mb, mc = b[first], c[first]
        mp = sums / block_fit[mb]
        order = np.lexsort((mc, mb))
        mean = (mb[order], mc[order], mp[order])
    mb, mc, mp = mean
    keys = mb * k + mc
    row_keys = b * k + c
    r = np.zeros(u.shape[0])
    if keys.size:
        where = np.minimum(np.searchsorted(keys, row_keys), keys.shape[0] - 1)
        found = keys[where] == row_keys
        r[found] = mp[where[found]]
    if information:
        positive = (raw > 0) & (w[u] > 0)
        term = np.zeros(u.shape[0])
        with np.errstate(divide="ignore"):
            term[positive] = raw[positive] * np.log2(raw[positive] / r[positive])
        score = wsum(u, term, rows.n_units)
    else:
        tail = wsum(mb, mp, k)
        dev = wsum(u, np.abs(raw - r), rows.n_units)
        covered = wsum(u, r, rows.n_units)
        score = 0.5 * (dev + tail[labels] - covered)
        score = np.maximum(score, 0.0)
    if fitted:
        ref = first_in_block(labels, w, k)
        bad_units = differs_from(rows, labels, ref) & (w > 0)
        bad_blocks = np.zeros(k, dtype=bool)
        bad_blocks[labels[bad_units]] = True
        score = np.where(bad_blocks[labels], score, 0.0)
    return Evaluation(w * score, score, None, mean)
