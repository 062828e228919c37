"""The error-size frontier: the best abstraction with at most k blocks.

:func:`coarsen` starts from an abstraction ``alpha`` (the top, a minimal
complete abstraction, a round of the refinement history, ...) and merges
its blocks greedily, the merge that increases the consistency error least
first (ties: the one that loses the least information about ``beta``),
down to ``max_blocks`` blocks or up to ``max_error``. It reports the
frontier: after every merge, the number of blocks, the consistency error
and the information kept about ``beta`` (mutual information in bits, and
the accuracy of guessing ``beta`` from the block), and any of its
partitions. :func:`optimal_coarsening` finds the exact optimum for small
systems by trying every coarsening.

Both work on the *weighted quotient*, not on the states: the units are the
blocks of ``C(alpha)`` (states of one block of ``alpha`` that move alike
through ``alpha``), each with its weight and one row of transitions into
the blocks of ``alpha``. Merging blocks of ``alpha`` only merges rows and
columns of this quotient, and every error is a function of it, so the cost
grows with the number of blocks, not of states.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from abstractions._engine import weighted
from abstractions._engine.primitives import pair_ids
from abstractions._engine.relation import completion
from abstractions._engine.weighted import Floats, Rows
from abstractions._validation import Ids, as_count, readonly
from abstractions.approximate import DEFAULT_METRICS
from abstractions.exceptions import InvalidTypeError, InvalidValueError, TooLargeError
from abstractions.partition import Partition, first_occurrences
from abstractions.system import System, as_system
from abstractions.weights import Weights, as_weights

__all__ = ["Frontier", "coarsen", "optimal_coarsening", "polish"]

#: Up to this many blocks, every pair of blocks is a merge candidate.
_ALL_PAIRS = 64


@dataclass(frozen=True, eq=False)
class Frontier:
    """The merges of :func:`coarsen` and what each cost.

    Point ``i`` is the partition after the first ``i`` merges (point 0 is
    ``alpha``).

    Attributes
    ----------
    blocks : numpy.ndarray of int64
        Number of blocks at each point.
    errors : numpy.ndarray of float
        Consistency error at each point (the metric of
        :func:`~abstractions.consistency_error`).
    information : numpy.ndarray of float
        Mutual information between the block and ``beta`` under ``mu``, in bits.
    accuracy : numpy.ndarray of float
        The probability of guessing ``beta`` right from the block (its
        plurality value), under ``mu``.
    merges : numpy.ndarray of int64, shape (points - 1, 2)
        The two blocks of ``alpha`` (by their lowest id) whose groups merge
        at each step.
    alpha, beta : Partition
    weights : Weights
    metric : str

    Examples
    --------
    >>> import numpy as np
    >>> from abstractions import Computation, Partition, coarsen
    >>> C = Computation((np.arange(8) + 1) % 8, output=np.arange(8) % 2)
    >>> f = coarsen(C, Partition.top(8))
    >>> f.blocks.tolist()
    [8, 7, 6, 5, 4, 3, 2, 1]
    >>> f.errors.tolist()
    [0.0, 0.125, 0.125, 0.125, 0.125, 0.125, 0.0, 0.0]
    >>> f.partition(blocks=2).labels         # parity: complete, and it keeps the output
    array([0, 1, 0, 1, 0, 1, 0, 1])
    """

    blocks: Ids
    errors: Floats
    information: Floats
    accuracy: Floats
    merges: Ids
    alpha: Partition
    beta: Partition
    weights: Weights
    metric: str

    def __len__(self) -> int:
        return int(self.blocks.shape[0])

    def partition(self, i: int | None = None, *, blocks: int | None = None) -> Partition:
        """The partition at point ``i``, or the first point with at most ``blocks`` blocks."""
        if (i is None) == (blocks is None):
            raise InvalidValueError("give exactly one of i (a point) and blocks (a size)")
        if blocks is not None:
            want = as_count(blocks, "blocks")
            points = np.flatnonzero(self.blocks <= want)
            if not points.size:
                raise InvalidValueError(
                    f"the frontier never has {want} blocks or fewer (it stops at "
                    f"{int(self.blocks[-1])})"
                )
            i = int(points[0])
        index = as_count(i, "i")
        if index >= len(self):
            raise InvalidValueError(f"i = {index} is past the last point {len(self) - 1}")
        roots = _merge_roots(self.alpha.n_blocks, self.merges[:index].tolist())
        return Partition(roots[self.alpha.labels])

    def points(self) -> Iterator[tuple[int, float, float]]:
        """``(blocks, error, information)`` at each point."""
        yield from zip(self.blocks.tolist(), self.errors.tolist(), self.information.tolist())

    def __repr__(self) -> str:
        return (
            f"Frontier({int(self.blocks[0])} -> {int(self.blocks[-1])} blocks, error "
            f"{self.errors[0]:.4g} -> {self.errors[-1]:.4g}, metric={self.metric!r})"
        )


# ---------------------------------------------------------------------- the weighted quotient


@dataclass(frozen=True, eq=False)
class _Quotient:
    """Units (blocks of ``C(alpha)``): weight, block of ``alpha``, rows into ``alpha``'s blocks."""

    w: Floats
    block: Ids
    rows: Rows
    ptr: Ids
    how: str
    K: int
    beta_block: Ids        # the (block, beta class) pairs present and their weights
    beta_class: Ids
    beta_weight: Floats
    n_beta: int

    @property
    def beta_mass(self) -> Floats:
        """(K, beta blocks): the weight of each (block, beta class), as a dense table."""
        T = np.zeros((self.K, self.n_beta))
        np.add.at(T, (self.beta_block, self.beta_class), self.beta_weight)
        return T


def _quotient(S: System, P: Partition, mu: Weights, beta: Partition) -> _Quotient:
    from abstractions.systems import LabelledSystem

    if isinstance(S, LabelledSystem):
        # The error of a merge follows one successor per letter (as consistency_error does).
        S._require_total("coarsening (coarsen, optimal_coarsening, polish)")
    rel = S._relation()
    labels, K = P.labels, P.n_blocks
    unit, U = completion(rel, labels, K)
    reps = first_occurrences(unit)
    w = weighted.wsum(unit, mu.values, U)
    if rel.is_function:
        target = labels[rel.step()[reps]]
        rows = Rows(np.arange(U, dtype=np.int64), np.zeros(U, dtype=np.int64), target,
                    np.ones(U), np.ones(U, dtype=np.int64), U, 1)
    elif rel.deterministic:
        ks = rel.n_symbols
        target = labels[rel.targets.reshape(rel.n, ks)[reps]].reshape(-1)
        rows = Rows(np.repeat(np.arange(U, dtype=np.int64), ks),
                    np.tile(np.arange(ks, dtype=np.int64), U), target, np.ones(U * ks),
                    np.ones(U * ks, dtype=np.int64), U, ks)
    else:
        full = weighted.rows_of(rel, labels)
        is_rep = np.zeros(rel.n, dtype=bool)
        is_rep[reps] = True
        keep = is_rep[full.unit]
        rows = Rows(unit[full.unit[keep]], full.sym[keep], full.block[keep], full.raw[keep],
                    full.q[keep], U, full.n_symbols)
    ptr = np.searchsorted(rows.unit, np.arange(U + 1, dtype=np.int64))
    ids, count = pair_ids(labels, K, beta.labels, beta.n_blocks)
    first = first_occurrences(ids)
    mass = np.asarray(np.bincount(ids, weights=mu.values, minlength=count), dtype=np.float64)
    how = "round" if rel.how in ("sum", "round") else rel.how
    return _Quotient(w, labels[reps], rows, ptr, how, K, labels[first], beta.labels[first],
                     mass, beta.n_blocks)


def _evaluate(Q: _Quotient, units: Ids, group: Ids, metric: str, n_groups: int) -> Floats:
    """The error of each group, for the given units, their blocks seen through ``group``."""
    lens = Q.ptr[units + 1] - Q.ptr[units]
    idx = np.repeat(Q.ptr[units], lens) + (
        np.arange(int(lens.sum()), dtype=np.int64) - np.repeat(np.cumsum(lens) - lens, lens)
    )
    local = np.repeat(np.arange(units.shape[0], dtype=np.int64), lens)
    rows = Rows(local, Q.rows.sym[idx], Q.rows.block[idx], Q.rows.raw[idx], Q.rows.q[idx],
                units.shape[0], Q.rows.n_symbols)
    rows = weighted.regroup(rows, group, Q.how)
    w = Q.w[units]
    labels = group[Q.block[units]]
    mass = np.bincount(labels, weights=w, minlength=n_groups)
    fit = np.where(mass[labels] > 0, w, 1.0)
    if metric == "mismatch":
        ev = weighted.mismatch(rows, w, fit, labels, n_groups)
    elif metric == "hamming":
        ev = weighted.hamming(rows, w, fit, labels, n_groups)
    else:
        ev = weighted.total_variation(rows, w, fit, labels, n_groups)
    return weighted.wsum(labels, ev.contrib, n_groups)


def _information(T: Floats) -> tuple[float, float]:
    """(mutual information in bits, plurality accuracy) of a (groups x beta) mass table."""
    total = T.sum()
    if total <= 0:
        return 0.0, 0.0
    row = T.sum(axis=1, keepdims=True)
    col = T.sum(axis=0, keepdims=True)
    positive = T > 0
    ratio = (T * total / np.where(row * col > 0, row * col, 1.0))[positive]
    info = float((T[positive] / total * np.log2(ratio)).sum())
    return max(info, 0.0), float(T.max(axis=1).sum() / total)


def _setup(system: Any, alpha: Any, weights: Any, metric: Any, beta: Any
           ) -> tuple[System, Partition, Weights, str, Partition]:
    from abstractions.keep import output_abstraction

    S = as_system(system)
    P = S._partition(alpha, "alpha")
    mu = as_weights(S, weights)
    default = DEFAULT_METRICS[S.kind]
    if metric is None:
        metric = default
    elif not isinstance(metric, str):
        raise InvalidTypeError(f"metric must be a string, got {type(metric).__name__}")
    elif metric != default:
        raise InvalidValueError(
            f"coarsen measures a {S.kind} system by {default!r}; metric={metric!r} is not "
            "supported here"
        )
    B = output_abstraction(S) if beta is None else S._partition(beta, "beta")
    return S, P, mu, metric, B


# ---------------------------------------------------------------------- greedy

#: From this many units a Markov chain's merge costs go to the kernel (below,
#: unless it is compiled already, numpy's fixed costs are cheaper than a compile).
_TV_KERNEL_UNITS = 200


class _BetaBook:
    """What a greedy knows about ``beta``: each group's mass per beta class, and its share of I.

    Sparse (a dict per group), so a merge reads the smaller of the two
    groups' classes, whatever the number of beta classes (``beta`` is the
    top partition when a chain has no output). Per group: ``A = sum v log2
    v`` and ``L = sum v log2(total / p_c)`` over its masses ``v``, so its
    share of ``I(groups; beta)`` is ``A + L - m log2 m`` for its weight
    ``m``, read from ``mass`` (the greedy's weights, updated before
    :meth:`merge`). The largest mass per group gives the beta-accuracy.
    """

    def __init__(self, Q: _Quotient, mass: list[float] | Floats) -> None:
        K = Q.K
        self.mass = mass
        self.total = float(Q.w.sum())
        pbeta = np.bincount(Q.beta_class, weights=Q.beta_weight, minlength=Q.n_beta)
        self.flat = int(np.count_nonzero(pbeta > 0)) <= 1
        self.beta: list[dict[int, float]] = [{} for _ in range(K)]
        self.A = [0.0] * K
        self.L = [0.0] * K
        self.bmax = [0.0] * K
        scale = np.log2(np.where(pbeta > 0, self.total / np.where(pbeta > 0, pbeta, 1.0), 1.0))
        for b, c, v in zip(Q.beta_block.tolist(), Q.beta_class.tolist(), Q.beta_weight.tolist()):
            self.beta[b][c] = v
            self.A[b] += _xlogx(v)
            self.L[b] += v * float(scale[c])
            if v > self.bmax[b]:
                self.bmax[b] = v
        self.parts = [self.part(g) for g in range(K)]
        self.info_sum = math.fsum(self.parts)
        self.acc_sum = math.fsum(self.bmax)

    def part(self, g: int) -> float:
        """``sum_c T_c log2(T_c total / (m p_c))`` of group ``g`` of weight ``m``."""
        m = self.mass[g]
        if m <= 0 or self.flat:
            return 0.0
        return self.A[g] + self.L[g] - _xlogx(m)

    def shared(self, x: int, y: int) -> tuple[float, float]:
        """For the beta classes both groups meet: the change of ``A`` and the largest sum."""
        bx, by = self.beta[x], self.beta[y]
        small, large = (bx, by) if len(bx) <= len(by) else (by, bx)
        extra = 0.0
        most = 0.0
        for c, v in small.items():
            u = large.get(c)
            if u is not None:
                extra += _xlogx(u + v) - _xlogx(u) - _xlogx(v)
                if u + v > most:
                    most = u + v
        return extra, most

    def loss(self, x: int, y: int) -> float:
        """The mutual information about beta lost by merging ``x`` and ``y`` (bits)."""
        if self.flat:
            return 0.0
        extra, _ = self.shared(x, y)
        m = self.mass[x] + self.mass[y]
        merged = 0.0 if m <= 0 else (self.A[x] + self.A[y] + extra + self.L[x] + self.L[y]
                                     - _xlogx(m))
        return (self.parts[x] + self.parts[y] - merged) / max(self.total, 1e-300)

    def information(self) -> tuple[float, float]:
        """(information about beta in bits, beta-accuracy)."""
        if self.total <= 0:
            return 0.0, 0.0
        return max(self.info_sum / self.total, 0.0), self.acc_sum / self.total

    def merge(self, x: int, y: int) -> None:
        """Group ``y`` joins ``x`` (``mass[x]`` already holds the union's weight)."""
        extra, most = self.shared(x, y)
        bx, by = self.beta[x], self.beta[y]
        if len(by) > len(bx):
            bx, by = by, bx
        for c, v in by.items():
            bx[c] = bx.get(c, 0.0) + v
        self.beta[x], self.beta[y] = bx, {}
        self.A[x] += self.A[y] + extra
        self.L[x] += self.L[y]
        self.A[y] = self.L[y] = 0.0
        self.info_sum -= self.parts[x] + self.parts[y]
        self.acc_sum -= self.bmax[x] + self.bmax[y]
        self.bmax[x], self.bmax[y] = max(self.bmax[x], self.bmax[y], most), 0.0
        self.parts[x], self.parts[y] = self.part(x), 0.0
        self.info_sum += self.parts[x]
        self.acc_sum += self.bmax[x]


class _Greedy:
    """Groups of ``alpha``'s blocks, their errors, and exact merge costs on the quotient."""

    def __init__(self, Q: _Quotient, metric: str) -> None:
        self.Q = Q
        self.metric = metric
        K = Q.K
        self.root = np.arange(K, dtype=np.int64)
        self.members: list[list[int]] = [[b] for b in range(K)]
        units_of: list[list[int]] = [[] for _ in range(K)]
        for u, b in enumerate(Q.block.tolist()):
            units_of[b].append(u)
        self.units: list[list[int]] = units_of
        # pred[g]: groups with a unit moving into g; succ[g]: groups g's units move into.
        src = Q.block[Q.rows.unit]
        self.pred: list[set[int]] = [set() for _ in range(K)]
        self.succ: list[set[int]] = [set() for _ in range(K)]
        for a, c in zip(src.tolist(), Q.rows.block.tolist()):
            self.pred[c].add(a)
            self.succ[a].add(c)
        # Each group's (weight, error), one array: the kernel reads both rows.
        self.sums = np.stack([
            np.bincount(Q.block, weights=Q.w, minlength=K),
            _evaluate(Q, np.arange(Q.w.shape[0], dtype=np.int64), self.root, metric, K),
        ])
        self.mass, self.error = self.sums[0], self.sums[1]
        self.version = [0] * K
        self.book = _BetaBook(Q, self.mass)
        # A Markov chain's merge costs in the kernel (the same floats as
        # _evaluate's): rows of one symbol with integer quanta only.
        self.kernel: tuple[np.ndarray, ...] | None = None
        if metric == "tv" and Q.rows.n_symbols == 1 and Q.rows.q.dtype.kind == "i":
            from abstractions._kernels import warm

            if Q.w.shape[0] >= _TV_KERNEL_UNITS or warm("_tv_merge_errors"):
                self._start_kernel()

    def _start_kernel(self) -> None:
        """Lists for :func:`_tv_merge_errors`: each group's blocks and units, the rows into blocks.

        The units of a group are listed in the order of ``self.units`` (a
        block's units ascending, a merged group ``x``'s then ``y``'s), so
        the kernel sums in the order of the numpy path. The arrays are
        updated in place by :meth:`merge`; the kernel reads them through
        read-only views made once.
        """
        Q, K = self.Q, self.Q.K
        U = Q.w.shape[0]
        by_target = np.argsort(Q.rows.block, kind="stable")
        offsets = np.searchsorted(Q.rows.block[by_target], np.arange(K + 1))
        inward = np.concatenate([offsets, by_target]).astype(np.int64)
        order = np.argsort(Q.block, kind="stable")
        same = Q.block[order[1:]] == Q.block[order[:-1]]
        unext = np.full(U, -1, dtype=np.int64)
        unext[order[:-1][same]] = order[1:][same]
        chain = np.full((5, K), -1, dtype=np.int64)
        chain[0] = self.root
        chain[1] = np.arange(K)
        chain[3, Q.block[order[::-1]]] = order[::-1]      # the first unit of each block
        chain[4] = np.bincount(Q.block, minlength=K)
        self.chain = chain
        self.root = chain[0]                              # one array: merges write both
        self.unit_lists = np.stack([Q.block, unext]).astype(np.int64)
        self.btail = list(range(K))
        self.utail = [units[-1] if units else -1 for units in self.units]
        self.kernel = tuple(readonly(a.view()) for a in (
            np.asarray(Q.ptr, dtype=np.int64),
            np.stack([Q.rows.block, Q.rows.q, Q.rows.unit]).astype(np.int64),
            np.asarray(Q.rows.raw, dtype=np.float64), np.asarray(Q.w, dtype=np.float64),
            self.unit_lists, inward, self.chain, self.sums))
        self.call: Any = None

    def _errors_after(self, x: int, y: int) -> tuple[float, list[int], list[float]]:
        """The errors once ``y`` joins ``x``: of the union, and of each group moving into both.

        Only the groups moving into both change (folding the columns ``x``
        and ``y`` changes no other row). Returns the union's error, those
        groups (ascending) and their errors: in the kernel (from the rows
        into ``x`` and ``y`` only), or in one numpy evaluation (the error
        of a group reads only its own units, each group's units stay
        contiguous and in order, so every sum is taken in the same order
        as group by group).
        """
        if self.kernel is not None:
            if self.call is None:
                from abstractions._kernels import _tv_merge_errors

                # The gate once (it validates, and says when numba compiles),
                # then its dispatcher: the arguments keep their types.
                ids, values = _tv_merge_errors(*self.kernel, x, y)
                self.call = _tv_merge_errors.dispatcher
            else:
                ids, values = self.call(*self.kernel, x, y)
            errors = values.tolist()
            return errors[0], ids.tolist(), errors[1:]
        changed = sorted((self.pred[x] & self.pred[y]) - {x, y})
        parts = [self.units[x] + self.units[y]] + [self.units[z] for z in changed]
        flat = [u for part in parts for u in part]
        if not flat:
            return 0.0, changed, [0.0] * len(changed)
        group = np.where(self.root == y, x, self.root)
        ev = _evaluate(self.Q, np.array(flat, dtype=np.int64), group, self.metric, self.Q.K)
        merged = float(ev[x]) if parts[0] else 0.0
        block = self.Q.block
        after = [float(ev[group[block[self.units[z][0]]]]) if self.units[z] else 0.0
                 for z in changed]
        return merged, changed, after

    def cost(self, x: int, y: int) -> float:
        """The change of the total error if groups ``x`` and ``y`` merge."""
        merged, changed, after = self._errors_after(x, y)
        delta = merged - self.error[x] - self.error[y]
        for z, e in zip(changed, after):
            delta += e - self.error[z]
        return float(delta)

    def weight(self, g: int) -> float:
        """The weight of group ``g``."""
        return float(self.mass[g])

    def size(self, g: int) -> int:
        """The number of units of group ``g``."""
        return len(self.units[g])

    def successors(self, g: int) -> set[int]:
        """The groups the units of ``g`` move into."""
        return self.succ[g]

    def summary(self) -> tuple[float, float, float]:
        """(total error, information about beta in bits, beta-accuracy)."""
        return (float(self.error.sum()), *self.book.information())

    def info_loss(self, x: int, y: int) -> float:
        """The mutual information about beta lost by merging ``x`` and ``y`` (bits)."""
        return self.book.loss(x, y)

    def merge(self, x: int, y: int) -> None:
        """Merge group ``y`` into ``x`` (the caller passes the larger as ``x``)."""
        new_error, changed, after = self._errors_after(x, y)
        for z, e in zip(changed, after):
            self.error[z] = e
        if self.kernel is not None:
            # Append y's blocks and units to x's lists (units[x] + units[y]).
            chain = self.chain
            chain[2, self.btail[x]] = chain[1, y]
            self.btail[x] = self.btail[y]
            if self.utail[y] >= 0:
                if self.utail[x] >= 0:
                    self.unit_lists[1, self.utail[x]] = chain[3, y]
                else:
                    chain[3, x] = chain[3, y]
                self.utail[x] = self.utail[y]
            chain[1, y] = chain[3, y] = -1
            chain[4, x] += chain[4, y]
            chain[4, y] = 0
        for b in self.members[y]:
            self.root[b] = x
        self.members[x] += self.members[y]
        self.members[y] = []
        self.units[x] += self.units[y]
        self.units[y] = []
        self.error[x] = new_error
        self.error[y] = 0.0
        self.mass[x] += self.mass[y]
        self.mass[y] = 0.0
        self.book.merge(x, y)
        for side in (self.pred, self.succ):
            other = self.succ if side is self.pred else self.pred
            for z in side[y]:
                other[z].discard(y)
                other[z].add(x)
            side[x] |= side[y]
            side[y] = set()
        for side in (self.pred, self.succ):
            if y in side[x]:
                side[x].discard(y)
                side[x].add(x)
        # Costs that changed: pairs with x or with a group moving into both.
        # (Pairs among the successors of a changed row changed too; they
        # keep their stale cost until popped, which keeps the merges after
        # one merge bounded -- the order of merges is a heuristic anyway.)
        self.version[y] += 1
        for z in [x, *changed]:
            self.version[z] += 1

    def candidates(self, g: int) -> set[int]:
        """Groups worth trying to merge with ``g``: neighbours, co-targets, siblings."""
        # As for one function: a group with many neighbours offers those
        # with the nearest ids.
        succ = _nearest(self.succ[g], g, 8)
        pred = _nearest(self.pred[g], g, 8)
        found = set(succ) | set(pred)
        for z in pred:
            found |= _nearest(self.succ[z], g)
        for t in succ:
            found |= _nearest(self.pred[t], g)
        found.discard(g)
        return found


class _FunctionGreedy:
    """:class:`_Greedy` for one function under ``"mismatch"``, with incremental costs.

    Each unit (block of ``C(alpha)``) moves into one block of ``alpha``, so a
    group is summed up by its *histogram*: target group -> weight of its
    units moving there. Its error is its weight minus the histogram's
    largest entry. Merging ``x`` and ``y`` adds their histograms (keys
    ``x`` and ``y`` become one) and, in every group moving into both, adds
    the two entries. Entries only grow or fold into a larger one, so the
    largest entry after a merge is the larger of the old largest and the
    entries that changed: a cost reads the smaller histogram and the
    groups moving into both, never the whole quotient. The information
    about ``beta`` and the total error are kept up to date merge by merge.
    """

    def __init__(self, Q: _Quotient) -> None:
        K = Q.K
        self.root = np.arange(K, dtype=np.int64)
        self.members: list[list[int]] = [[b] for b in range(K)]
        self.count = [0] * K
        self.hist: list[dict[int, float]] = [{} for _ in range(K)]
        self.pred: list[set[int]] = [set() for _ in range(K)]
        mass = [0.0] * K
        for b, c, x in zip(Q.block.tolist(), Q.rows.block.tolist(), Q.w.tolist()):
            h = self.hist[b]
            h[c] = h.get(c, 0.0) + x
            mass[b] += x
            self.count[b] += 1
            self.pred[c].add(b)
        self.mass = mass
        self.top = [max(h.values()) if h else 0.0 for h in self.hist]
        self.err = [m - t for m, t in zip(mass, self.top)]
        self.total_error = math.fsum(self.err)
        self.version = [0] * K
        self.total = float(Q.w.sum())
        self.book = _BetaBook(Q, self.mass)

    def successors(self, g: int) -> Any:
        """The groups the units of ``g`` move into."""
        return self.hist[g].keys()

    def _merged_top(self, x: int, y: int) -> float:
        hx, hy = self.hist[x], self.hist[y]
        small, large = (hy, hx) if len(hy) <= len(hx) else (hx, hy)
        top = self.top[x] if large is hx else self.top[y]
        folded = hx.get(x, 0.0) + hx.get(y, 0.0) + hy.get(x, 0.0) + hy.get(y, 0.0)
        if folded > top:
            top = folded
        for c, v in small.items():
            if c != x and c != y:
                v += large.get(c, 0.0)
                if v > top:
                    top = v
        return top

    def cost(self, x: int, y: int) -> float:
        """The change of the total error if groups ``x`` and ``y`` merge."""
        delta = (self.mass[x] + self.mass[y] - self._merged_top(x, y)) - self.err[x] - self.err[y]
        # In id order, as the kernel (set order would make the sum differ in the last bit).
        for z in sorted(self.pred[x] & self.pred[y]):
            if z == x or z == y:
                continue
            h = self.hist[z]
            v = h[x] + h[y]
            if v > self.top[z]:
                delta -= v - self.top[z]
        return delta

    def weight(self, g: int) -> float:
        """The weight of group ``g``."""
        return self.mass[g]

    def size(self, g: int) -> int:
        """The number of units of group ``g``."""
        return self.count[g]

    def info_loss(self, x: int, y: int) -> float:
        """The mutual information about beta lost by merging ``x`` and ``y`` (bits)."""
        return self.book.loss(x, y)

    def summary(self) -> tuple[float, float, float]:
        """(total error, information about beta in bits, beta-accuracy)."""
        return (self.total_error, *self.book.information())

    def merge(self, x: int, y: int) -> None:
        """Merge group ``y`` into ``x``."""
        changed = (self.pred[x] & self.pred[y]) - {x, y}
        top = self._merged_top(x, y)
        delta = -(self.err[x] + self.err[y])
        # Columns: every group moving into y now moves into x.
        for z in sorted(self.pred[y]):
            if z == x or z == y:
                continue
            h = self.hist[z]
            v = h.pop(y) + h.get(x, 0.0)
            h[x] = v
            if v > self.top[z]:
                e = self.mass[z] - v
                delta += e - self.err[z]
                self.top[z], self.err[z] = v, e
        # Rows: y's histogram into x's (the smaller into the larger), y and x as one key.
        hx, hy = self.hist[x], self.hist[y]
        for c in hy:
            if c != x and c != y:
                self.pred[c].discard(y)
                self.pred[c].add(x)
        loop = x in hx or y in hx or x in hy or y in hy
        big, small = (hx, hy) if len(hx) >= len(hy) else (hy, hx)
        for c, v in small.items():
            big[c] = big.get(c, 0.0) + v
        folded = big.pop(x, 0.0) + big.pop(y, 0.0)
        if loop:
            big[x] = folded
        self.hist[x], self.hist[y] = big, {}
        # Changed rows: the keys of the smaller histogram (and x, y).
        touched = [x if c == y else c for c in small]
        big_pred, small_pred = self.pred[x], self.pred[y]
        if len(small_pred) > len(big_pred):
            big_pred, small_pred = small_pred, big_pred
        big_pred |= small_pred
        big_pred.discard(x)
        big_pred.discard(y)
        if loop:
            big_pred.add(x)
        self.pred[x], self.pred[y] = big_pred, set()
        self.mass[x] += self.mass[y]
        self.mass[y] = 0.0
        self.top[x], self.top[y] = top, 0.0
        self.err[x], self.err[y] = self.mass[x] - top, 0.0
        self.total_error += delta + self.err[x]
        self.count[x] += self.count[y]
        self.count[y] = 0
        for b in self.members[y]:
            self.root[b] = x
        self.members[x] += self.members[y]
        self.members[y] = []
        self.book.merge(x, y)
        self.version[y] += 1
        # Costs that changed: pairs with x or with a group moving into both,
        # and pairs among the successors whose entries in x's row changed.
        for z in {x} | changed | set(touched):
            self.version[z] += 1

    def candidates(self, g: int) -> set[int]:
        """Groups worth trying to merge with ``g``: neighbours, co-targets, siblings."""
        # A group with many neighbours offers the few with the nearest ids
        # (as for siblings), so that the pairs pushed after a merge stay
        # bounded; the pairs already in the heap stay there.
        succ = _nearest(self.hist[g].keys(), g, 8)
        pred = _nearest(self.pred[g], g, 8)
        found = succ | pred
        for z in pred:
            found |= _nearest(self.hist[z].keys(), g)
        for t in succ:
            found |= _nearest(self.pred[t], g)
        found.discard(g)
        return found


def _xlogx(v: float) -> float:
    return v * math.log2(v) if v > 0 else 0.0


def _nearest(groups: Any, g: int, width: int = 4) -> set[int]:
    """A few members of a (possibly huge) set of groups: those with ids nearest ``g``."""
    if len(groups) <= 2 * width:
        return set(groups)
    ordered = sorted(groups)
    i = int(np.searchsorted(ordered, g))
    return set(ordered[max(i - width, 0): i + width + 1])


def _key(v: float) -> float:
    """A heap key: ``v`` rounded to 12 decimals (as numba rounds, so the kernel agrees)."""
    return float(np.rint(v * 1e12)) / 1e12


_Points = tuple[list[int], list[float], list[float], list[float], list[tuple[int, int]]]


def _greedy_loop(G: _Greedy | _FunctionGreedy, K: int, target: int, bound: float, price: float,
                 per_weight: bool, within: Ids | None = None) -> _Points:
    """The lazy greedy of :func:`coarsen`: blocks, errors, information, accuracy, merges.

    With ``within`` (a group of each block of ``alpha``), only blocks of
    one group merge: the frontier then ends at the partition ``within``.
    """
    alive = K
    heap: list[tuple[float, float, float, int, int, int, int]] = []

    def push(x: int, y: int) -> None:
        a, b = min(x, y), max(x, y)
        if within is not None and within[a] != within[b]:
            return
        cost, loss = G.cost(a, b), G.info_loss(a, b)
        key = cost + price * loss
        if per_weight:
            key /= max(G.weight(a) + G.weight(b), 1e-300)
        heapq.heappush(heap, (_key(key), loss, cost, a, b, G.version[a], G.version[b]))

    if K <= _ALL_PAIRS:
        # A small quotient: every pair is a candidate (the merges that pay
        # off only after the next one, as on a cycle, are then found too).
        for g in range(K):
            for h in range(g + 1, K):
                push(g, h)
    else:
        for g in range(K):
            for h in G.candidates(g):
                if h > g:
                    push(g, h)
    blocks = [alive]
    total, info, acc = G.summary()
    errors = [total]
    information = [info]
    accuracy = [acc]
    merges: list[tuple[int, int]] = []
    while alive > target:
        if not heap:
            roots = sorted({int(r) for r in G.root.tolist()})
            if within is not None:
                # Neighbours in (group, id) order: every group left with two
                # roots offers a pair.
                roots.sort(key=lambda r: (int(within[r]), r))
            if len(roots) <= _ALL_PAIRS:
                pairs = [(a, b) for i, a in enumerate(roots) for b in roots[i + 1:]]
            else:
                pairs = list(itertools.pairwise(roots))
            for a, b in pairs:
                push(a, b)
            if not heap:
                break
        _, _, cost, a, b, va, vb = heapq.heappop(heap)
        if G.root[a] != a or G.root[b] != b:
            continue
        if va != G.version[a] or vb != G.version[b]:
            push(a, b)
            continue
        if total + cost > bound + 1e-12:
            # The cheapest merge is too dear: stop (the rest cost at least as much).
            break
        keep, gone = (a, b) if G.size(a) >= G.size(b) else (b, a)
        G.merge(keep, gone)
        alive -= 1
        total, info, acc = G.summary()
        merges.append((a, b))
        blocks.append(alive)
        errors.append(total)
        information.append(info)
        accuracy.append(acc)
        for h in G.candidates(keep):
            push(keep, h)
        siblings = sorted(G.successors(keep) - {keep})
        if len(siblings) > 8:
            siblings = siblings[:8]
        for i, h in enumerate(siblings):
            for h2 in siblings[i + 1:]:
                push(h, h2)
    return blocks, errors, information, accuracy, merges


def _function_start(Q: _Quotient) -> tuple[Floats, Floats]:
    """The starting figures of :class:`_FunctionGreedy`, in numpy, to the last bit.

    Its rows mass, top, err, A, L, bmax, parts, and its total error,
    information sum, accuracy sum, total weight and flat beta (0/1). The
    sums per group add in the same order as its loops (``np.bincount``
    adds in input order), the logarithms are ``math.log2``'s.
    """
    K = Q.K
    mass = np.bincount(Q.block, weights=Q.w, minlength=K)
    cells, where = np.unique(Q.block * K + Q.rows.block, return_inverse=True)
    top = np.zeros(K)
    np.maximum.at(top, cells // K, np.bincount(where.reshape(-1), weights=Q.w))
    err = mass - top
    total = float(Q.w.sum())
    pbeta = np.bincount(Q.beta_class, weights=Q.beta_weight, minlength=Q.n_beta)
    flat = int(np.count_nonzero(pbeta > 0)) <= 1
    scale = np.log2(np.where(pbeta > 0, total / np.where(pbeta > 0, pbeta, 1.0), 1.0))
    xlogx = np.array([_xlogx(v) for v in Q.beta_weight.tolist()])
    A = np.bincount(Q.beta_block, weights=xlogx, minlength=K)
    L = np.bincount(Q.beta_block, weights=Q.beta_weight * scale[Q.beta_class], minlength=K)
    bmax = np.zeros(K)
    np.maximum.at(bmax, Q.beta_block, Q.beta_weight)
    if flat:
        parts = np.zeros(K)
    else:
        xm = np.array([_xlogx(m) for m in mass.tolist()])
        parts = np.where(mass > 0, A + L - xm, 0.0)
    groups = np.array([mass, top, err, A, L, bmax, parts])
    sums = np.array([math.fsum(err.tolist()), math.fsum(parts.tolist()),
                     math.fsum(bmax.tolist()), total, float(flat)])
    return groups, sums


#: From this many blocks of a function's quotient, coarsen merges in the kernel.
_KERNEL_BLOCKS = 2000


def _function_loop(Q: _Quotient, target: int, bound: float, price: float,
                   per_weight: bool) -> _Points:
    """:func:`_greedy_loop` over :class:`_FunctionGreedy`, in the kernel (the same merges)."""
    from abstractions._kernels import _function_greedy

    groups, sums = _function_start(Q)
    sums = np.concatenate([sums, [price, float(per_weight), bound]])
    merges, points = _function_greedy(
        np.stack([Q.block, Q.rows.block]), Q.w, np.stack([Q.beta_block, Q.beta_class]),
        Q.beta_weight, groups, sums, target, _ALL_PAIRS)
    K = Q.K
    return (list(range(K, K - points.shape[0], -1)), points[:, 0].tolist(),
            points[:, 1].tolist(), points[:, 2].tolist(),
            [(int(a), int(b)) for a, b in merges.tolist()])


# ---------------------------------------------------------------------- Markov chains: the end


#: Above this many blocks of ``alpha``, a Markov chain's last point comes from the
#: other starts only (no greedy): see :func:`coarsen`'s Notes.
_GREEDY_CHAIN_BLOCKS = 2000
#: The improvement of the last point (Markov chains) runs up to this many blocks.
_IMPROVE_BLOCKS = 64
#: Rounds of reassignment the improvement tries from each start.
_IMPROVE_ROUNDS = 30
#: Polish the improved end when at most this many blocks of ``alpha`` lie on a border.
_POLISH_BORDER = 256
#: The Perron clusters of the widest spectral start (joined down to k).
_WIDEST = 32
#: Up to this many blocks the spectral start uses a dense eigensolver (numpy).
_DENSE_EIG = 2000


def _merge_roots(K: int, merges: Any) -> Ids:
    """Each of ``K`` blocks' root after the merges ``(a, b)``: the least block in its group."""
    parent = np.arange(K, dtype=np.int64)

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = int(parent[x])
        return x

    for a, b in merges:
        ra, rb = find(a), find(b)
        parent[max(ra, rb)] = min(ra, rb)
    return np.array([find(x) for x in range(K)], dtype=np.int64)


def _merged_groups(K: int, merges: list[tuple[int, int]]) -> Ids:
    """The group of each block of ``alpha`` after ``merges``, labelled 0, 1, ... by first block."""
    return Partition(_merge_roots(K, merges)).labels


def _chain_defect(Q: _Quotient, group: Ids, k: int) -> tuple[float, Floats, Floats]:
    """The lumpability defect of ``group`` on the quotient, its rows into groups and means.

    The definition itself on a dense (units x k) table: each unit's row
    into the groups against its group's ``w``-weighted mean row, half the
    L1 distance, weighted by ``w``.
    """
    U = Q.w.shape[0]
    R: Floats = np.bincount(Q.rows.unit * k + group[Q.rows.block], weights=Q.rows.raw,
                            minlength=U * k).reshape(U, k).astype(np.float64)
    lab = group[Q.block]
    mass = np.bincount(lab, weights=Q.w, minlength=k)
    M = np.zeros((k, k))
    np.add.at(M, lab, Q.w[:, None] * R)
    M /= np.where(mass > 0, mass, 1.0)[:, None]
    defect = 0.5 * float((Q.w * np.abs(R - M[lab]).sum(axis=1)).sum())
    return defect, R, M


def _reassign(Q: _Quotient, group: Ids, k: int) -> tuple[Ids, float]:
    """Move blocks of ``alpha`` to the group whose mean row fits theirs best, while it pays.

    One round gives every block the group ``G`` that minimises the
    ``w``-weighted distance of its units' rows (their transitions inside
    the block itself following it into ``G``) to ``G``'s mean row -- a
    Lloyd step on the rows -- then measures the exact defect. The rounds
    stop when the defect no longer drops, when a group would be emptied
    or after ``_IMPROVE_ROUNDS``; the best partition seen is returned.
    """
    K = Q.K
    own = Q.rows.block == Q.block[Q.rows.unit]
    stay = np.bincount(Q.rows.unit[own], weights=Q.rows.raw[own], minlength=Q.w.shape[0])
    units = np.arange(Q.w.shape[0])
    best, best_defect = group, _chain_defect(Q, group, k)[0]
    current = group
    for _ in range(_IMPROVE_ROUNDS):
        _, R, M = _chain_defect(Q, current, k)
        here = current[Q.block]
        cost = np.empty((K, k))
        for g in range(k):
            D = R - M[g]
            D[units, here] -= stay
            D[:, g] += stay
            cost[:, g] = np.bincount(Q.block, weights=Q.w * 0.5 * np.abs(D).sum(axis=1),
                                     minlength=K)
        choice = np.argmin(cost, axis=1)
        # Ties (and weightless blocks) stay where they are.
        keep = cost[np.arange(K), current] <= cost[np.arange(K), choice] + 1e-15
        moved = np.where(keep, current, choice)
        if np.array_equal(moved, current) or np.unique(moved).shape[0] < k:
            break
        defect = _chain_defect(Q, moved, k)[0]
        if not defect < best_defect - 1e-15:
            break
        best, best_defect, current = moved, defect, moved
    return best, best_defect


def _spectral_groups(Q: _Quotient, k: int) -> list[Ids | None]:
    """A Perron-cluster start: ``k`` dominant right eigenvectors, vertices by the inner simplex.

    The quotient chain (``w``-weighted mean rows of ``alpha``'s blocks)
    has eigenvectors nearly constant on metastable or nearly lumpable
    sets. As in PCCA+ (Deuflhard and Weber 2005), the rows of the
    eigenvector table lie near a simplex: its vertices are found one by
    one (the row farthest from the span of those found), each block goes
    to the vertex of its largest membership. Returned for ``k`` and for
    ``2k`` groups (capped at ``_IMPROVE_BLOCKS``), from one eigensolve;
    ``None`` when the eigensolver is not available or fails, or a group
    would be empty. Then for ``3k`` and for ``_WIDEST`` groups (those
    above ``2k``, up to ``_WIDEST``): on a metastable chain asked for more
    groups than it has wells, which wells to split, and on a noisy
    lumpable chain which of its blocks go together, is best chosen by
    joining many small clusters.
    """
    wide = min(2 * k, _IMPROVE_BLOCKS, Q.K - 3)
    wider = sorted({w for w in (min(3 * k, _WIDEST), _WIDEST) if max(k, wide) < w <= Q.K - 3})
    K = Q.K
    lab = Q.block
    mass: Floats = np.bincount(lab, weights=Q.w, minlength=K).astype(np.float64)
    fit = np.where(mass[lab] > 0, Q.w, 1.0)
    fmass = np.bincount(lab, weights=fit, minlength=K)
    r = Q.rows
    vals = fit[r.unit] * r.raw / fmass[lab[r.unit]]
    try:
        if K <= _DENSE_EIG:
            A = np.zeros((K, K))
            np.add.at(A, (lab[r.unit], r.block), vals)
            lam, vec = np.linalg.eig(A)
        else:
            from scipy.sparse import csr_matrix
            from scipy.sparse.linalg import eigs

            A = csr_matrix((vals, (lab[r.unit], r.block)), shape=(K, K))
            # A fixed start vector: ARPACK's default is random.
            most = max(k, wide, *wider)
            lam, vec = eigs(A, k=most + 1, which="LM", v0=np.ones(K),
                            ncv=min(K - 1, max(2 * most + 3, 40)))
    except (ImportError, np.linalg.LinAlgError, ArithmeticError, ValueError, RuntimeError):
        return [None, None]
    return [_simplex_groups(lam, vec, mass, k),
            _simplex_groups(lam, vec, mass, wide) if wide > k else None,
            *(_simplex_groups(lam, vec, mass, w) for w in wider)]


def _simplex_groups(lam: Any, vec: Any, mass: Floats, k: int) -> Ids | None:
    """Groups of :func:`_spectral_groups` from ``k`` of the eigenpairs ``lam``, ``vec``."""
    order = np.lexsort((-lam.imag, -lam.real, -np.round(np.abs(lam), 10)))
    basis: list[Floats] = []
    for i in order.tolist():
        if len(basis) >= k:
            break
        if lam[i].imag < -1e-12:
            continue  # its conjugate gives the same real plane
        basis.append(vec[:, i].real)
        if lam[i].imag > 1e-12 and len(basis) < k:
            basis.append(vec[:, i].imag)
    if len(basis) < k:
        return None
    X = np.column_stack(basis)
    scale = np.sqrt((mass[:, None] * X ** 2).sum(axis=0)) if mass.sum() > 0 else \
        np.linalg.norm(X, axis=0)
    X = X / np.where(scale > 0, scale, 1.0)
    # Inner simplex: the farthest row, then the farthest from the span so far.
    Y = X - X[int(np.argmax(np.linalg.norm(X, axis=1)))]
    vertices = [int(np.argmax(np.linalg.norm(X, axis=1)))]
    for _ in range(1, k):
        i = int(np.argmax(np.linalg.norm(Y, axis=1)))
        norm = float(np.linalg.norm(Y[i]))
        if norm <= 0:
            return None
        vertices.append(i)
        v = Y[i] / norm
        Y = Y - np.outer(Y @ v, v)
    chi = X @ np.linalg.pinv(X[vertices])
    group = np.argmax(chi, axis=1).astype(np.int64)
    if np.unique(group).shape[0] < k:
        return None
    return Partition(group).labels


def _replay(G: _Greedy, merges: list[tuple[int, int]], end: Ids) -> _Points:
    """A frontier from ``alpha`` to ``end``: the greedy's merges inside ``end``'s blocks first.

    Then the roots left in each block of ``end`` join its lowest one, block
    by block. Every point is measured exactly by ``G``, as the greedy's.
    """
    K = end.shape[0]
    inside = [(a, b) for a, b in merges if end[a] == end[b]]
    root = _merge_roots(K, inside)
    roots = sorted(set(root.tolist()), key=lambda r: (int(end[r]), r))
    chained: list[tuple[int, int]] = []
    lowest = -1
    for r in roots:
        if lowest < 0 or end[lowest] != end[r]:
            lowest = r
        else:
            chained.append((lowest, r))
    total, info, acc = G.summary()
    blocks, errors, information, accuracy = [K], [total], [info], [acc]
    done: list[tuple[int, int]] = []
    alive = K
    for a, b in inside + chained:
        ra, rb = int(G.root[a]), int(G.root[b])
        keep, gone = (ra, rb) if G.size(ra) >= G.size(rb) else (rb, ra)
        G.merge(keep, gone)
        alive -= 1
        total, info, acc = G.summary()
        done.append((min(ra, rb), max(ra, rb)))
        blocks.append(alive)
        errors.append(total)
        information.append(info)
        accuracy.append(acc)
    return blocks, errors, information, accuracy, done


def _merge_down(Q: _Quotient, group: Ids, k: int) -> Ids:
    """Join groups of ``group`` two at a time, the join of least exact defect first, to ``k``."""
    while True:
        have = int(group.max()) + 1
        if have <= k:
            return group
        best: tuple[float, Ids] | None = None
        for a in range(have):
            for b in range(a + 1, have):
                trial = Partition(np.where(group == b, a, group)).labels
                value = _chain_defect(Q, trial, have - 1)[0]
                if best is None or value < best[0] - 1e-15:
                    best = (value, trial)
        assert best is not None
        group = best[1]


def _lumped_rows(Q: _Quotient) -> tuple[Ids, Ids, Floats, Floats]:
    """The quotient chain as sparse rows (CSR), and the weight of each block of ``alpha``.

    Row ``b`` is the ``w``-weighted mean of the rows of ``b``'s units (the
    plain mean for a block of no weight). A block of one unit keeps its
    row exactly (its share is ``w / w = 1``), so on ``alpha = top`` this
    is the chain's own matrix, to the last bit. Each cell is summed in the
    order of ``Q.rows`` (``np.add.at`` is sequential), as a dense
    ``np.add.at`` into a K x K matrix would sum it: the same floats, in
    memory of the transitions' size, not ``8 K^2`` bytes.

    Returns ``(ptr, col, val, mass)``: row ``b``'s columns are
    ``col[ptr[b]:ptr[b + 1]]`` (increasing), its probabilities the same
    slice of ``val``.
    """
    K = Q.K
    lab = Q.block
    mass: Floats = np.bincount(lab, weights=Q.w, minlength=K).astype(np.float64)
    fit = np.where(mass[lab] > 0, Q.w, 1.0)
    fmass = np.bincount(lab, weights=fit, minlength=K)
    share = fit / fmass[lab]
    r = Q.rows
    src = lab[r.unit]
    # K <= n, so the cell key K * src + dst stays far below 2^63 for any array numpy holds.
    cells, where = np.unique(src * np.int64(K) + r.block, return_inverse=True)
    val = np.zeros(cells.shape[0])
    np.add.at(val, where.reshape(-1), share[r.unit] * r.raw)
    ptr = np.searchsorted(cells // K, np.arange(K + 1, dtype=np.int64)).astype(np.int64)
    return ptr, (cells % K).astype(np.int64), val, mass


def _most_probable_path(ptr: Ids, col: Ids, val: Floats, population: Floats, k: int,
                        work: int | None = None) -> Ids | None:
    """Most-probable-path lumping of the sparse chain ``(ptr, col, val)`` down to ``k`` macrostates.

    Start with every state its own macrostate. Repeatedly take the
    macrostate of least self-transition probability in the lumped chain
    (the least metastable one) and merge it into the other macrostate it
    most probably moves to. The lumped row of a merge is the
    ``population``-weighted mean of the two rows, its column the sum of
    the two columns, so the lumped chain stays the chain of the
    macrostates under those populations.

    Ties are broken as mpp-lumping breaks them: every macrostate carries an
    age (the states ``0 .. K-1``, then each merge gets the next number);
    the least self-transition goes to the oldest, the likeliest target to
    the youngest. A macrostate with no positive probability to another
    goes to the youngest other macrostate (all others tie at 0).

    The rows and columns are dicts and the least self-transition comes from
    a heap that is cleaned lazily (only the merged macrostate's diagonal
    changes, and it gets a new age), so a merge costs the size of the two
    rows plus the in-degree of the one that goes, not K. Every float is
    computed as the dense matrix computes it -- the merged row entrywise
    ``(L[a] * pop[a] + L[t] * pop[t]) / total`` (``(L[a] + L[t]) / 2`` at
    no population), the column ``L[s, t] + L[s, a]`` -- so the partition is
    the dense one's, ties included. Probabilities must be at least 0.

    Rows fill in as macrostates grow: on a chain whose states reach
    everywhere (random targets) a merge can touch O(K) entries. ``work``
    bounds the entries touched in all (every entry once to build the rows,
    then the two rows and the column of each merge); past it the lumping
    gives up and returns ``None``.

    Returns the macrostate of each state (first-occurrence labels), or
    ``None`` when ``work`` ran out.
    """
    K = ptr.shape[0] - 1
    if work is not None:
        work -= int(col.shape[0])      # building the rows and columns touches every entry
        if work < 0:
            return None
    pop: list[float] = np.asarray(population, dtype=np.float64).tolist()
    cols_all: list[int] = col.tolist()
    vals_all: list[float] = val.tolist()
    bounds: list[int] = ptr.tolist()
    rows: list[dict[int, float]] = [
        dict(zip(cols_all[bounds[s]:bounds[s + 1]], vals_all[bounds[s]:bounds[s + 1]]))
        for s in range(K)
    ]
    into: list[set[int]] = [set() for _ in range(K)]   # the rows with an entry in each column
    for s, row in enumerate(rows):
        for c in row:
            into[c].add(s)
    age = list(range(K))
    active = [True] * K
    parent = list(range(K))
    # Entries go stale when their macrostate merges (it is inactive or has a new age).
    least = [(row.get(s, 0.0), s, s) for s, row in enumerate(rows)]
    heapq.heapify(least)
    youngest = [(-s, s) for s in range(K)]
    heapq.heapify(youngest)
    for step in range(K - k):
        while not active[least[0][2]] or age[least[0][2]] != least[0][1]:
            heapq.heappop(least)
        a = heapq.heappop(least)[2]
        active[a] = False
        ra = rows[a]
        t, best, best_age = -1, 0.0, -1
        for c, v in ra.items():
            if c != a and (v > best or (v == best and v > 0.0 and age[c] > best_age)):
                t, best, best_age = c, v, age[c]
        if t < 0:
            # Nothing positive: every other active macrostate ties at 0.
            while not active[youngest[0][1]] or -youngest[0][0] != age[youngest[0][1]]:
                heapq.heappop(youngest)
            t = youngest[0][1]
        rt = rows[t]
        if work is not None:
            work -= len(ra) + len(rt) + len(into[a])
            if work < 0:
                return None
        pa, pt = pop[a], pop[t]
        total = pa + pt
        # The bigger row goes through a comprehension (C speed), the smaller one
        # through a loop; a missing entry counts as 0.0, as in the dense row.
        if total > 0:
            if len(rt) >= len(ra):
                merged = {c: (0.0 * pa + y * pt) / total for c, y in rt.items()}
                for c, x in ra.items():
                    merged[c] = (x * pa + rt.get(c, 0.0) * pt) / total
            else:
                merged = {c: (x * pa + 0.0 * pt) / total for c, x in ra.items()}
                for c, y in rt.items():
                    merged[c] = (ra.get(c, 0.0) * pa + y * pt) / total
        else:
            merged = {c: (0.0 + y) / 2.0 for c, y in rt.items()}
            for c, x in ra.items():
                merged[c] = (x + rt.get(c, 0.0)) / 2.0
        # The column of a joins the column of t, in every row (t's own included).
        if t in merged or a in merged:
            merged[t] = merged.get(t, 0.0) + merged.pop(a, 0.0)
        for c in ra:
            into[c].discard(a)
            if c != a:
                into[c].add(t)
        for s in into[a]:
            if s != t:
                rs = rows[s]
                rs[t] = rs.get(t, 0.0) + rs.pop(a)
                into[t].add(s)
        into[a] = set()
        if t in merged:
            into[t].add(t)
        rows[t] = merged
        rows[a] = {}
        pop[t] = total
        age[t] = K + step
        parent[a] = t
        heapq.heappush(least, (merged.get(t, 0.0), K + step, t))
        heapq.heappush(youngest, (-(K + step), t))
    slot = np.array(parent, dtype=np.int64)
    # Each macrostate that went points at one that was active then: follow to the end.
    while True:
        nxt = slot[slot]
        if np.array_equal(nxt, slot):
            break
        slot = nxt
    return Partition(slot).labels


#: The most-probable-path start gives up past this many row and column entries
#: touched (a few microseconds each in Python). Sparse chains stay below: at
#: 10^4 states the metastable walk touches ~10^5, the noisy lumpable chain
#: ~2 * 10^6, and the walk at 10^5 ~1.5 * 10^6; rows that fill in (33 random
#: targets a state: ~4 * 10^6 at 10^4 states) can need O(K^2).
_MPP_WORK = 5 * 10**6


def _mpp_groups(Q: _Quotient, k: int) -> Ids | None:
    """The most-probable-path start on the quotient: :func:`_most_probable_path`, ``w`` weights.

    ``None`` when ``alpha`` has at most ``k`` blocks (nothing to merge), or
    when the merges would touch more than ``_MPP_WORK`` entries.
    """
    if Q.K <= k:
        return None
    ptr, col, val, mass = _lumped_rows(Q)
    return _most_probable_path(ptr, col, val, mass, k, work=_MPP_WORK)


def _border(Q: _Quotient, group: Ids) -> int:
    """How many blocks of ``alpha`` have a transition into or from another group."""
    src, dst = Q.block[Q.rows.unit], Q.rows.block
    cross = group[src] != group[dst]
    return int(np.unique(np.concatenate([src[cross], dst[cross]])).shape[0])


def _improved_end(S: System, P: Partition, mu: Weights, Q: _Quotient, greedy: Ids | None,
                  k: int) -> tuple[Ids | None, float]:
    """The best of the greedy's partition and the other starts, each improved.

    The starts: the greedy's partition (``None``: not run), the spectral start and ``2k``
    Perron clusters merged down (:func:`_spectral_groups`), and the
    most-probable-path lumping (:func:`_mpp_groups`). Each goes through
    :func:`_reassign`, then, when at most ``_POLISH_BORDER`` blocks of
    ``alpha`` lie on a border between groups (metastable chains), through
    :func:`polish`'s exact single moves. Every start's own (raw) defect
    competes too, so the end is never worse than any start.
    """
    starts = [] if greedy is None else [greedy]
    spectral, *wides = _spectral_groups(Q, k)
    if spectral is not None:
        starts.append(spectral)
    for wide in wides:
        if wide is not None:
            # More Perron clusters, joined two by two: which clusters go
            # together is then chosen by the defect, not by the eigenvectors.
            starts.append(_merge_down(Q, _reassign(Q, wide, int(wide.max()) + 1)[0], k))
    mpp = _mpp_groups(Q, k)
    if mpp is not None:
        starts.append(mpp)
    reps = first_occurrences(P.labels)
    best, best_defect = greedy, math.inf
    for start in starts:
        raw = _chain_defect(Q, start, k)[0]
        if raw < best_defect - 1e-12:
            best, best_defect = start, raw
        group, defect = _reassign(Q, start, k)
        if _border(Q, group) <= _POLISH_BORDER:
            moved = polish(S, Partition(group[P.labels]), alpha=P, weights=mu)
            if moved.n_blocks == k:
                trial = moved.labels[reps]
                value = _chain_defect(Q, trial, k)[0]
                if value < defect:
                    group, defect = trial, value
        if defect < best_defect - 1e-12:
            best, best_defect = group, defect
    if best is None:
        return None, best_defect
    return Partition(best).labels, best_defect


def coarsen(
    system: System,
    alpha: Any,
    *,
    weights: Any = None,
    max_blocks: int | None = None,
    max_error: float | None = None,
    beta: Any = None,
    metric: str | None = None,
    tradeoff: float = 0.0,
    per_weight: bool = False,
) -> Frontier:
    """Merge the blocks of ``alpha`` greedily, cheapest increase of error first: the frontier.

    Parameters
    ----------
    system : System
        Any kind.
    alpha : Partition or array_like
        Where to start (e.g. ``Partition.top(n)`` or a minimal complete
        abstraction); only its blocks are merged.
    weights : optional
        The distribution ``mu`` (see :func:`abstractions.weights.as_weights`).
    max_blocks : int, optional
        Stop at this many blocks (at least 1); by default merge down to one.
    max_error : float, optional
        Stop before a merge that would take the error above this.
    beta : Partition or array_like, optional
        What the information column is about; by default the output.
    metric : str, optional
        The kind's error (``"mismatch"``, ``"hamming"`` or ``"tv"``, the
        defaults of :func:`~abstractions.consistency_error`).
    tradeoff : float, default 0
        The price of information: a merge costs its increase of error plus
        ``tradeoff`` times the information about ``beta`` it loses (bits).
        0 orders by error alone (information breaks ties); a large value
        keeps ``beta`` as long as it can.
    per_weight : bool, default False
        Order merges by their cost per unit of weight merged (the increase
        of error over the weight of the two blocks) instead of the cost
        itself: the absolute cost favours merging light states first (on a
        metastable chain, the barriers), the relative one grows heavy,
        coherent blocks first. The errors reported are the same exact ones.

    Returns
    -------
    Frontier

    Raises
    ------
    InvalidValueError
        For ``max_blocks < 1``, a negative or NaN ``max_error``, or bad weights.
    SizeMismatchError
        If ``alpha``, ``beta`` or ``weights`` are over another number of states.

    Notes
    -----
    The cost of a merge is exact: merging two blocks joins their rows (the
    abstract step of the union is fitted anew) and their columns (every
    block moving into both now moves into one), and both effects are
    evaluated on the quotient. Merges are tried between blocks that are
    neighbours in the quotient, share a successor (siblings) or a
    predecessor, and, when none is left, between any two. The cost of a
    pair is recomputed whenever one of its blocks changes (the usual lazy
    greedy), so a stale cost may survive a change elsewhere: the errors on
    the frontier are always exact, the order of merges is a heuristic, and
    merges are never undone: :func:`polish` moves single states between the
    blocks of one point of the frontier afterwards.

    A Markov chain (metric ``"tv"``) asked for ``max_blocks = k`` blocks
    (``2 <= k <= 64``, no ``max_error``, ``tradeoff = 0``) gets a better
    last point than the greedy's: up to six starts, the greedy's partition, a
    Perron-cluster one (the ``k`` dominant right eigenvectors of the
    quotient chain, their rows assigned to the vertices of the inner
    simplex as in PCCA+, Deuflhard and Weber 2005), ``2k``, ``3k`` (up to
    32) and 32 Perron clusters joined two by two (the join of least
    defect first), and the
    most-probable-path lumping (Jain and Stock 2012: the macrostate of
    least self-transition probability joins the one it most probably
    moves to, rows averaged by weight, columns added; on sparse rows, so
    at any number of blocks of ``alpha``), each improved by Lloyd
    rounds (every block of ``alpha`` to the group whose mean row fits its
    rows best, kept while the exact defect drops) and, when at most 256
    blocks of ``alpha`` lie on a border, by :func:`polish`. The one of
    least defect (a start as it is counts too), when it beats the
    greedy's, becomes the last point, and
    the frontier leads there by the greedy's merges inside its blocks,
    then by joining what is left of each block. Every point stays exact
    and the merges nested; the points before the last are then not the
    greedy's, so ask for each size you need. The eigenvectors come from
    numpy up to 2000 blocks, from scipy (if installed) above; the start
    vector is fixed, so the result is deterministic.

    Above 2000 blocks of ``alpha`` such a chain's greedy is skipped: its
    costs read the rows of both groups, and the groups grow large, so it
    would take hours at 10^4 blocks. The last point then comes from the
    other starts, and the frontier leads there by joining, in each of its
    blocks, the blocks of ``alpha`` in id order (every point exact, the
    merges nested, the points before the last not greedy).

    For one function (metric ``"mismatch"``) each block is summed up by its
    histogram of target blocks, and a cost reads only the smaller of the
    two histograms and the blocks moving into both. Other kinds evaluate
    each cost on the quotient rows of the two blocks; on a Markov chain of
    at least 200 units a compiled kernel does so, and updates each group
    moving into both from its rows into the two blocks only (a group's
    other terms do not change when two columns fold), to within rounding.
    For every kind the information about ``beta`` is kept merge by merge,
    a block with more than 17 neighbours offers the 17 with the nearest
    ids as new candidates after a merge (pairs already waiting keep their
    place), and a merge marks as stale only the pairs with the merged
    block or with a block moving into both.

    Examples
    --------
    A counter mod 12 whose output is "value mod 3": the frontier passes
    through the complete partition "value mod 3" at 3 blocks, error 0.

    >>> import numpy as np
    >>> from abstractions import Computation, Partition
    >>> C = Computation((np.arange(12) + 1) % 12, output=np.arange(12) % 3)
    >>> f = coarsen(C, Partition.top(12), max_blocks=3)
    >>> float(f.errors[-1]), round(float(f.information[-1]), 3)
    (0.0, 1.585)
    >>> f.partition(blocks=3).labels
    array([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2])
    """
    S, P, mu, name, B = _setup(system, alpha, weights, metric, beta)
    target = 1 if max_blocks is None else as_count(max_blocks, "max_blocks")
    if target < 1:
        raise InvalidValueError(f"max_blocks must be at least 1, got {target}")
    bound = math.inf
    if max_error is not None:
        if isinstance(max_error, bool) or not isinstance(max_error, (int, float, np.number)):
            raise InvalidTypeError(f"max_error must be a number, got {max_error!r}")
        bound = float(max_error)
        if not bound >= 0:
            raise InvalidValueError(f"max_error must be >= 0, got {max_error!r}")
    if isinstance(tradeoff, bool) or not isinstance(tradeoff, (int, float, np.number)) or not (
        float(tradeoff) >= 0
    ):
        raise InvalidValueError(f"tradeoff must be a number >= 0, got {tradeoff!r}")
    price = float(tradeoff)
    Q = _quotient(S, P, mu, B)
    if name == "mismatch" and S._relation().is_function and Q.K > _KERNEL_BLOCKS:
        blocks, errors, information, accuracy, merges = _function_loop(
            Q, target, bound, price, per_weight)
    elif name == "mismatch" and S._relation().is_function:
        # The same merges in Python: below this size the kernel's typed
        # dictionaries cost more to load (seconds in a fresh process) than
        # they save.
        blocks, errors, information, accuracy, merges = _greedy_loop(
            _FunctionGreedy(Q), Q.K, target, bound, price, per_weight)
    else:
        improvable = (name == "tv" and Q.rows.n_symbols == 1 and max_blocks is not None
                      and max_error is None and price == 0 and 2 <= target <= _IMPROVE_BLOCKS
                      and target < Q.K)
        end: Ids | None = None
        if improvable and Q.K > _GREEDY_CHAIN_BLOCKS:
            # Too many blocks for the greedy (its costs read whole groups'
            # rows, and late groups are large): the other starts only.
            end, _ = _improved_end(S, P, mu, Q, None, target)
        if end is not None:
            blocks, errors, information, accuracy, merges = _replay(_Greedy(Q, name), [], end)
        else:
            blocks, errors, information, accuracy, merges = _greedy_loop(
                _Greedy(Q, name), Q.K, target, bound, price, per_weight)
            if improvable and blocks[-1] == target:
                end, defect = _improved_end(S, P, mu, Q, _merged_groups(Q.K, merges), target)
                if end is not None and defect < errors[-1] - 1e-12:
                    blocks, errors, information, accuracy, merges = _replay(
                        _Greedy(Q, name), merges, end)
    return Frontier(
        readonly(np.array(blocks, dtype=np.int64)),
        readonly(np.maximum(np.array(errors), 0.0)),
        readonly(np.array(information)),
        readonly(np.array(accuracy)),
        readonly(np.array(merges, dtype=np.int64).reshape(-1, 2)),
        P, B, mu, name,
    )


# ---------------------------------------------------------------------- exhaustive


def _set_partitions(k: int, most: int) -> Iterator[list[int]]:
    """Restricted growth strings of length ``k`` with at most ``most`` blocks."""
    labels = [0] * k
    highest = [0] * k

    def rec(i: int) -> Iterator[list[int]]:
        if i == k:
            yield labels
            return
        top = highest[i - 1] + 1 if i else 0
        for b in range(min(top, most - 1) + 1):
            labels[i] = b
            highest[i] = max(highest[i - 1] if i else 0, b)
            yield from rec(i + 1)

    if k == 0:
        yield []
        return
    yield from rec(0)


def optimal_coarsening(
    system: System,
    alpha: Any,
    max_blocks: int,
    *,
    weights: Any = None,
    beta: Any = None,
    metric: str | None = None,
    max_candidates: int = 100_000,
) -> tuple[Partition, float]:
    """The coarsening of ``alpha`` with at most ``max_blocks`` blocks of least error, by trying all.

    Ties go to the coarsening that keeps the most information about
    ``beta``, then to fewer blocks.

    Parameters
    ----------
    system, alpha, weights, beta, metric
        As for :func:`coarsen`.
    max_blocks : int
        At least 1.
    max_candidates : int, default 100_000
        Refuse with :class:`~abstractions.TooLargeError` when there are more
        coarsenings than this to try.

    Returns
    -------
    (Partition, float)
        The best coarsening and its error.

    Raises
    ------
    TooLargeError
        If ``alpha`` has too many coarsenings.

    Examples
    --------
    >>> import numpy as np
    >>> from abstractions import Computation, Partition
    >>> C = Computation((np.arange(6) + 1) % 6)
    >>> P, error = optimal_coarsening(C, Partition.top(6), 2)
    >>> P.labels, error
    (array([0, 1, 0, 1, 0, 1]), 0.0)
    """
    S, P, mu, name, B = _setup(system, alpha, weights, metric, beta)
    most = as_count(max_blocks, "max_blocks")
    if most < 1:
        raise InvalidValueError(f"max_blocks must be at least 1, got {most}")
    K = P.n_blocks
    # Stirling numbers: coarsenings of K blocks into at most `most` groups.
    row = [1] + [0] * most
    for _ in range(K):
        nxt = [0] * (most + 1)
        for j in range(1, most + 1):
            nxt[j] = j * row[j] + row[j - 1]
        row = nxt
        if sum(row) > max_candidates:
            break
    count = sum(row)
    budget = as_count(max_candidates, "max_candidates")
    if count > budget:
        raise TooLargeError(
            f"alpha's {K} blocks have more than max_candidates={budget} coarsenings into at "
            f"most {most} blocks; optimal_coarsening is for small systems (use coarsen)"
        )
    Q = _quotient(S, P, mu, B)
    units = np.arange(Q.w.shape[0], dtype=np.int64)
    best: tuple[float, float, int, list[int]] | None = None
    for rgs in _set_partitions(K, most):
        group = np.array(rgs, dtype=np.int64)
        k = int(group.max()) + 1 if K else 0
        error = float(_evaluate(Q, units, group, name, k).sum())
        T = np.zeros((k, Q.beta_mass.shape[1]))
        np.add.at(T, group, Q.beta_mass)
        info, _ = _information(T)
        key = (round(error, 12), -round(info, 12), k, list(rgs))
        if best is None or key[:3] < best[:3]:
            best = key
    assert best is not None
    group = np.array(best[3], dtype=np.int64)
    return Partition(group[P.labels]), max(best[0], 0.0)


# ---------------------------------------------------------------------- local search


def polish(
    system: System,
    partition: Any,
    *,
    alpha: Any = None,
    weights: Any = None,
    metric: str | None = None,
    max_sweeps: int = 10,
) -> Partition:
    """Lower the error of ``partition`` by moving single blocks of ``alpha`` between its blocks.

    A local search after :func:`coarsen` (whose merges cannot be undone):
    each sweep visits every block of ``alpha`` that moves into another
    block of ``partition`` and moves it there when that lowers the error,
    keeping the number of blocks (a block is never emptied). Stops after
    ``max_sweeps`` sweeps or when a sweep moves nothing.

    Parameters
    ----------
    system : System
    partition : Partition or array_like
        A coarsening of ``alpha``.
    alpha : Partition or array_like, optional
        The units that move; the top partition (single states) by default.
    weights, metric
        As for :func:`coarsen`.
    max_sweeps : int, default 10

    Returns
    -------
    Partition
        A coarsening of ``alpha`` with as many blocks as ``partition`` and
        an error at most its error.

    Raises
    ------
    InvalidValueError
        If ``partition`` is not a coarsening of ``alpha``.

    Examples
    --------
    >>> from abstractions import Computation, Partition, consistency_error
    >>> C = Computation([1, 2, 3, 0])
    >>> P = polish(C, Partition([0, 0, 1, 1]))
    >>> consistency_error(C, P).total <= consistency_error(C, Partition([0, 0, 1, 1])).total
    True
    """
    S = as_system(system)
    base = Partition.top(S.n) if alpha is None else S._partition(alpha, "alpha")
    S, base, mu, name, B = _setup(S, base, weights, metric, None)
    P = S._partition(partition, "partition")
    if not P <= base:
        raise InvalidValueError("partition must be a coarsening of alpha (partition <= alpha)")
    sweeps = as_count(max_sweeps, "max_sweeps")
    Q = _quotient(S, base, mu, B)
    K = Q.K
    group = np.zeros(K, dtype=np.int64)
    group[base.labels] = P.labels
    k = P.n_blocks
    sizes = np.bincount(group, minlength=k)
    units_of_block: list[list[int]] = [[] for _ in range(K)]
    for u, b in enumerate(Q.block.tolist()):
        units_of_block[b].append(u)
    # preds[b]: blocks of alpha with a unit moving into b.
    src = Q.block[Q.rows.unit]
    preds: list[set[int]] = [set() for _ in range(K)]
    succs: list[set[int]] = [set() for _ in range(K)]
    for a, c in zip(src.tolist(), Q.rows.block.tolist()):
        preds[c].add(a)
        succs[a].add(c)
    members: list[set[int]] = [set() for _ in range(k)]
    for b, g in enumerate(group.tolist()):
        members[g].add(b)

    def errors_of(groups: set[int], labels: Ids) -> float:
        blocks = [b for g in groups for b in members_under(g, labels)]
        units = np.array([u for b in blocks for u in units_of_block[b]], dtype=np.int64)
        if not units.size:
            return 0.0
        return float(_evaluate(Q, units, labels, name, k).sum())

    def members_under(g: int, labels: Ids) -> list[int]:
        return [b for b in members[g] | moved if labels[b] == g]

    moved: set[int] = set()
    for _ in range(sweeps):
        changed = False
        for b in range(K):
            here = int(group[b])
            if sizes[here] <= 1:
                continue
            targets = {int(group[c]) for c in succs[b] | preds[b]} - {here}
            if not targets:
                continue
            touched_base = {here} | {int(group[p]) for p in preds[b]}
            best_delta, best_target = -1e-12, -1
            for t in targets:
                touched = touched_base | {t}
                before = errors_of(touched, group)
                trial = group.copy()
                trial[b] = t
                moved.add(b)
                after = errors_of(touched, trial)
                moved.discard(b)
                if after - before < best_delta:
                    best_delta, best_target = after - before, t
            if best_target >= 0:
                members[here].discard(b)
                members[best_target].add(b)
                sizes[here] -= 1
                sizes[best_target] += 1
                group[b] = best_target
                changed = True
        if not changed:
            break
    return Partition(group[base.labels])
