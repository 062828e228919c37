"""Approximate consistency: how far an abstraction is from commuting.

An abstraction ``alpha`` is complete when the square ``alpha . xi =
F(alpha) . xi_A . alpha`` commutes for *some* abstract step ``xi_A``. When
it is not, :func:`consistency_error` fits the best abstract step under a
distribution ``mu`` over the states (:mod:`abstractions.weights`) and
measures what is left, in the metric that suits the kind of system:

``"mismatch"`` (computations and labelled systems, the default)
    the ``mu``-mass of states whose step leaves the plurality target of
    their block, ``1 - sum_B max_C mu(B & step^-1 C)``; for a labelled
    system, summed over the letters (a breakdown per letter beside it).
``"hamming"`` (nondeterministic systems, the default)
    the expected number of (action, block) pairs on which a state's
    reached set and its block's majority set disagree.
``"tv"`` (Markov chains, the default)
    the lumpability defect: the ``mu``-expected total variation between a
    state's row seen through ``alpha`` and its block's ``mu``-mean row.
``"entropy"`` (every kind)
    the information form, in bits: the conditional entropy
    ``H(alpha(step m) | alpha(m))`` (summed over the letters of a labelled
    system), ``H(reached set | alpha(m))`` for a relation, and for a Markov
    chain the conditional mutual information ``I(alpha(X_1); X_0 |
    alpha(X_0))``, i.e. the expected KL divergence of a state's row from its
    block's mean row.

Each is exactly 0 if and only if ``alpha`` is complete on the support of
``mu``: the square commutes on every state that carries weight.
:func:`trace_error` scores a run by the steps that the fitted abstract
step mispredicts (an anomaly score).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from abstractions._engine import weighted
from abstractions._engine.primitives import pair_ids
from abstractions._engine.relation import completion
from abstractions._engine.weighted import Floats, Rows
from abstractions._validation import Ids, as_index_array
from abstractions.computation import Computation
from abstractions.exceptions import (
    InvalidTypeError,
    InvalidValueError,
    SizeMismatchError,
    TooLargeError,
)
from abstractions.partition import Partition, first_occurrences
from abstractions.system import System, as_system
from abstractions.weights import Weights, as_weights

__all__ = [
    "DEFAULT_METRICS",
    "METRICS",
    "ConsistencyError",
    "TraceError",
    "check_horizon",
    "consistency_error",
    "trace_error",
]

#: The metric names of :func:`consistency_error`.
METRICS: tuple[str, ...] = ("mismatch", "hamming", "tv", "entropy")
#: The default metric of each kind of system.
DEFAULT_METRICS: dict[str, str] = {
    "computation": "mismatch",
    "labelled": "mismatch",
    "nondeterministic": "hamming",
    "probabilistic": "tv",
}
#: Largest dense table the global mode of a Markov chain or labelled system builds.
_GLOBAL_MAX_CELLS = 20_000_000


@dataclass(frozen=True, eq=False)
class ConsistencyError:
    """How far an abstraction is from complete, under a state distribution.

    Attributes
    ----------
    total : float
        The error (at the last step, in global mode).
    metric : str
        One of :data:`METRICS`.
    weights : Weights
        The distribution ``mu`` it was measured under.
    alpha : Partition
        The abstraction measured.
    horizon : int
        Steps rolled out (1: the one-step error).
    per_step : numpy.ndarray of float
        The error after each step ``1 .. horizon``.
    per_block : numpy.ndarray of float
        Each block's share of ``total`` (blocks of ``alpha``, by the state
        the error is charged to).
    per_symbol : dict or None
        Labelled systems, one step: the error of each letter (they add up
        to ``total``).
    largest : float
        The largest error of one state of the support (e.g. its total
        variation; 1 for a mismatched state of a computation).
    worst_state : int
        A state of the support with that largest error.
    abstract : System
        The best abstract system on the blocks (block ``b`` is abstract
        state ``b``), of the same kind: its transition is the abstract step
        the error was measured against -- plurality targets, majority sets
        or mean rows (fitted under ``mu``; blocks of weight 0 are fitted
        with every state alike). None for the entropy metric.

    Examples
    --------
    >>> from abstractions import Computation, Partition, consistency_error
    >>> C = Computation([1, 2, 3, 0])                # counter mod 4
    >>> e = consistency_error(C, Partition([0, 1, 1, 1]))
    >>> e.total, e.abstract.step
    (0.25, array([1, 1]))
    >>> e.per_state
    array([0.  , 0.  , 0.  , 0.25])
    """

    total: float
    metric: str
    weights: Weights
    alpha: Partition
    horizon: int
    per_step: Floats
    per_block: Floats
    per_symbol: dict[Any, float] | None
    largest: float
    worst_state: int
    abstract: System | None
    _state_part: Callable[[], Floats] = field(repr=False)

    @property
    def per_state(self) -> Floats:
        """Each state's share of ``total`` (weighted by ``mu``), computed on first use."""
        cached = self.__dict__.get("_per_state")
        if cached is None:
            cached = self._state_part()
            cached.flags.writeable = False
            self.__dict__["_per_state"] = cached
        return cached

    def __float__(self) -> float:
        return self.total

    def __repr__(self) -> str:
        step = f", horizon={self.horizon}" if self.horizon > 1 else ""
        return (
            f"ConsistencyError({self.total:.6g}, metric={self.metric!r}{step}, "
            f"{self.alpha.n_blocks} blocks, weights={self.weights.name!r})"
        )


def check_horizon(horizon: Any, name: str = "horizon", minimum: int = 1) -> int:
    """``horizon`` as an int ``>= minimum``, or a clear error.

    Examples
    --------
    >>> check_horizon(0)
    Traceback (most recent call last):
    ...
    abstractions.exceptions.InvalidValueError: horizon must be at least 1, got 0
    """
    if isinstance(horizon, (bool, np.bool_)) or not isinstance(horizon, (int, np.integer)):
        raise InvalidTypeError(f"{name} must be an integer, got {horizon!r}")
    value = int(horizon)
    if value < minimum:
        raise InvalidValueError(f"{name} must be at least {minimum}, got {value}")
    return value


def _metric(S: System, metric: Any) -> str:
    if S.kind not in DEFAULT_METRICS:
        # A CTMC's rates are not step probabilities; its jump chain is.
        raise InvalidTypeError(
            f"the approximate notions read a system as a random walk, which a {S.kind} "
            f"system is not; use its embedded() or uniformised() Markov chain"
        )
    if metric is None:
        return DEFAULT_METRICS[S.kind]
    if not isinstance(metric, str):
        raise InvalidTypeError(f"metric must be a string, got {type(metric).__name__}")
    allowed = (DEFAULT_METRICS[S.kind], "entropy")
    if metric not in allowed:
        raise InvalidValueError(
            f"metric {metric!r} does not apply to a {S.kind} system; choose "
            f"{' or '.join(map(repr, allowed))}"
        )
    return metric


def _require_total(S: System, what: str) -> None:
    """Refuse a partial DFA: the evaluators read one successor per (state, letter)."""
    from abstractions.systems import LabelledSystem

    if isinstance(S, LabelledSystem):
        S._require_total(what)


def _deterministic_rows(S: System, labels: Ids) -> Rows:
    """Rows of a computation or labelled system, built without sorting."""
    rel = S._relation()
    k = rel.n_symbols
    n = rel.n
    unit = np.repeat(np.arange(n, dtype=np.int64), k)
    sym = np.tile(np.arange(k, dtype=np.int64), n)
    ones = np.ones(n * k)
    return Rows(unit, sym, labels[rel.targets], ones, np.ones(n * k, np.int64), n, k)


def _given_abstract(S: System, abstract: System, K: int) -> Any:
    """The abstract step of a user-given abstract system, in the evaluator's form."""
    from abstractions.systems import LabelledSystem, MarkovChain, NondeterministicSystem

    expected = {
        "computation": Computation,
        "labelled": LabelledSystem,
        "nondeterministic": NondeterministicSystem,
        "probabilistic": MarkovChain,
    }[S.kind]
    if not isinstance(abstract, expected):
        raise InvalidTypeError(
            f"abstract must be a {expected.__name__} on the blocks of alpha (as "
            f"consistency_error(...).abstract), got {type(abstract).__name__}"
        )
    if abstract.n != K:
        raise SizeMismatchError(
            f"abstract has {abstract.n} states, but alpha has {K} blocks (one abstract "
            f"state per block)"
        )
    rel = abstract._relation()
    if rel.n_symbols != S._relation().n_symbols:
        raise InvalidValueError(
            f"abstract has {rel.n_symbols} symbols, but the system has "
            f"{S._relation().n_symbols}"
        )
    if S.kind in ("computation", "labelled"):
        return rel.targets.reshape(K, rel.n_symbols).T.copy()
    src = rel.sources()
    if S.kind == "nondeterministic":
        sym = rel.symbol_ids()
        order = np.lexsort((rel.targets, sym, src))
        return src[order], sym[order], rel.targets[order]
    return src, rel.targets, weighted.step_probabilities(rel)


def _abstract_system(S: System, P: Partition, form: Any) -> System:
    """The best abstract system on the blocks from the evaluator's form of its step."""
    from abstractions.systems import TransitionSystem

    K = P.n_blocks
    if S.kind == "computation":
        assert isinstance(S, Computation)
        halted = np.bincount(P.labels, weights=S.halted, minlength=K) == P.block_sizes()
        return Computation(form[0], halted=halted)
    rel = S._relation()
    if S.kind == "labelled":
        return TransitionSystem.labelled(form, symbols=rel.symbol_names)
    if S.kind == "nondeterministic":
        mb, ma, mc = form
        indptr = np.zeros(K + 1, dtype=np.int64)
        np.cumsum(np.bincount(mb, minlength=K), out=indptr[1:])
        labels = None
        if rel.symbol_names is not None:
            names = np.empty(ma.shape[0], dtype=object)
            names[:] = [rel.symbol_names[a] for a in ma.tolist()]
            labels = names
        return TransitionSystem.nondeterministic((indptr, mc), labels=labels)
    mb, mc, mp = form
    indptr = np.zeros(K + 1, dtype=np.int64)
    np.cumsum(np.bincount(mb, minlength=K), out=indptr[1:])
    return TransitionSystem.probabilistic((indptr, mc, mp), tol=rel.tol)


def _function_mismatch(
    labels: Ids, nxt: Ids, mu: Weights, K: int, best: Ids | None
) -> tuple[Floats, Ids, Ids | None]:
    """Per-block error and plurality target of one function; per-block sizes when free.

    One kernel pass counts the pairs (block, next block) whatever the
    number of blocks (a flat table for few, a counting sort by block for
    many). Under uniform weights the pairs are counted as integers (exact,
    and no weight array is read), and the block totals are then the block
    sizes, returned so that the caller need not count them again.
    """
    from abstractions._kernels import _plurality

    n = labels.shape[0]
    uniform = mu.name == "uniform"
    w = None if uniform else mu.values
    sizes = None
    if best is None:
        weights_in = np.zeros(0) if w is None else np.ascontiguousarray(w, dtype=np.float64)
        best, total, top = _plurality(labels, nxt, weights_in, K)
        per_block = total - top
        if uniform:
            sizes = total.astype(np.int64)
    else:
        wrong = nxt != best[labels]
        per_block = np.bincount(labels[wrong], weights=None if w is None else w[wrong],
                                minlength=K)
    per_block = per_block.astype(np.float64)
    if uniform:
        per_block = per_block / n
    return per_block, best, sizes


def _function_abstract(C: Computation, P: Partition, best: Ids, sizes: Ids | None) -> Computation:
    """The abstract computation of the plurality step: a block halts when all its states do."""
    K = P.n_blocks
    halted_states = np.flatnonzero(C.halted)
    if halted_states.shape[0] == 0:
        return Computation(best, halted=np.zeros(K, dtype=bool))
    if sizes is None:
        sizes = P.block_sizes()
    halted = np.bincount(P.labels[halted_states], minlength=K) == sizes
    return Computation(best, halted=halted)


def consistency_error(
    system: System,
    alpha: Any,
    *,
    weights: Any = None,
    metric: str | None = None,
    horizon: int = 1,
    abstract: System | None = None,
) -> ConsistencyError:
    """How far ``alpha`` is from complete: the error of its best abstract step under ``mu``.

    Parameters
    ----------
    system : System
        Any kind.
    alpha : Partition or array_like
        The abstraction measured.
    weights : None, Weights, str or array_like
        The distribution ``mu`` over states (see
        :func:`abstractions.weights.as_weights`); uniform by default.
    metric : str, optional
        One of :data:`METRICS` that applies to the kind (see the module
        notes); by default ``"mismatch"``, ``"hamming"`` or ``"tv"``.
    horizon : int, default 1
        Global mode for ``horizon = k > 1``: roll the abstract step out
        ``k`` times from ``alpha(m)`` and compare with ``alpha(step^k m)``
        (computations, labelled systems with uniformly random letters, and
        Markov chains; ``"mismatch"`` and ``"tv"`` only).
    abstract : System, optional
        Measure against this abstract system on the blocks (e.g. one fitted
        under another ``mu``, as ``consistency_error(...).abstract``)
        instead of fitting the best one.

    Returns
    -------
    ConsistencyError

    Raises
    ------
    SizeMismatchError
        If ``alpha`` or ``weights`` are over another number of states.
    InvalidValueError
        For bad weights (negative, NaN, all zero), a metric that does not
        apply, ``horizon < 1``, or a global mode that is not defined.
    InvalidTypeError
        For arguments of the wrong type.

    Notes
    -----
    Global mode bounds: with the abstract step fitted once under ``mu``,
    ``error_k <= sum_{j<k} e_1(step^j mu)``, where ``e_1(nu)`` is the
    one-step error of that same abstract step under ``nu`` (a union bound
    for functions; the triangle inequality for total variation, as in
    Buchholz's bounds for near-lumpable chains). For a labelled system,
    step ``j`` reads ``j`` uniformly random letters and the error is ``k``
    times the expected mismatch, so that horizon 1 is the sum over letters.

    Examples
    --------
    A counter mod 4 seen through "is it 0": the block {1, 2, 3} steps to
    {1, 2, 3} from 1 and 2 (the plurality) but to {0} from 3.

    >>> from abstractions import Computation, Partition
    >>> C = Computation([1, 2, 3, 0])
    >>> consistency_error(C, Partition([0, 1, 1, 1])).total
    0.25
    >>> consistency_error(C, Partition([0, 1, 0, 1])).total     # parity is complete
    0.0
    >>> round(consistency_error(C, Partition([0, 1, 1, 1]), metric="entropy").total, 4)   # bits
    0.6887
    """
    S = as_system(system)
    _require_total(S, "consistency_error")
    P = S._partition(alpha, "alpha")
    mu = as_weights(S, weights)
    name = _metric(S, metric)
    k = check_horizon(horizon)
    if k > 1 and name == "entropy":
        raise InvalidValueError("horizon > 1 is defined for the error metrics, not for 'entropy'")
    if k > 1 and S.kind == "nondeterministic":
        raise InvalidValueError(
            "horizon > 1 is not defined for a nondeterministic system: its reached sets "
            "do not compose into a distribution over runs; measure one step"
        )
    if abstract is not None and name == "entropy":
        raise InvalidValueError("the entropy metric fits its own abstract step; give no abstract")
    K = P.n_blocks
    labels = P.labels
    given = None if abstract is None else _given_abstract(S, abstract, K)
    w = mu.values
    per_symbol: dict[Any, float] | None = None
    form: Any = None
    if S.kind == "computation" and name == "mismatch":
        assert isinstance(S, Computation)
        from abstractions._kernels import _first_mismatch

        step = S.step
        nxt = labels[step]
        per_block, best, sizes = _function_mismatch(labels, nxt, mu, K, None if given is None
                                                    else given[0])
        form = best[None, :]
        if k == 1:
            def state_part() -> Floats:
                return np.where(nxt != best[labels], w, 0.0)

            part = state_part
        else:
            per_step, contrib = _function_rollout(step, labels, best, w, k)
            return _result(S, P, mu, name, k, per_step, contrib, (contrib > 0).astype(float), w,
                           None, form)
        total = float(per_block.sum())
        worst = -1
        if total > 0:
            worst = int(_first_mismatch(labels, nxt, best,
                                        np.zeros(0) if mu.name == "uniform" else w))
        if worst < 0:
            worst = int(np.argmax(w))
        return ConsistencyError(
            total, name, mu, P, 1, np.array([total]), per_block, None,
            1.0 if total > 0 else 0.0, worst, _function_abstract(S, P, best, sizes), part,
        )
    block_w = np.bincount(labels, weights=w, minlength=K)
    fit = np.where(block_w[labels] > 0, w, 1.0)
    if S.kind in ("computation", "labelled"):
        rows = _deterministic_rows(S, labels)
        if name == "mismatch":
            ev = weighted.mismatch(rows, w, fit, labels, K, given)
            form = ev.abstract
            if k > 1:
                per_step, contrib, score = _labelled_rollout(S, labels, form, w, k)
                return _result(S, P, mu, name, k, per_step, contrib, score, w, None, form)
        else:
            ev = weighted.entropy_deterministic(rows, w, labels, K)
        if S.kind == "labelled" and ev.per_symbol is not None:
            names = S._relation().symbol_names or tuple(range(rows.n_symbols))
            per_symbol = {s: float(x) for s, x in zip(names, ev.per_symbol.tolist())}
    elif S.kind == "nondeterministic":
        if name == "hamming":
            ev = weighted.hamming(weighted.rows_of(S._relation(), labels), w, fit, labels, K,
                                  given)
            form = ev.abstract
        else:
            ev = _set_entropy(S, labels, K, w)
    else:
        fast = _lumping_defect(S, labels, K, w) if name == "tv" and given is None else None
        if fast is not None:
            ev = fast
        else:
            rows = weighted.rows_of(S._relation(), labels)
            ev = weighted.total_variation(rows, w, fit, labels, K, given,
                                          information=name == "entropy")
        form = ev.abstract if name == "tv" else None
        if k > 1:
            per_step, contrib, score = _markov_rollout(S, labels, form, w, k)
            return _result(S, P, mu, name, k, per_step, contrib, score, w, None, form)
    return _result(S, P, mu, name, 1, None, ev.contrib, ev.score, w, per_symbol, form)


def _result(S: System, P: Partition, mu: Weights, name: str, k: int, per_step: Floats | None,
            contrib: Floats, score: Floats, w: Floats, per_symbol: dict[Any, float] | None,
            form: Any) -> ConsistencyError:
    per_block = weighted.wsum(P.labels, contrib, P.n_blocks)
    total = float(contrib.sum())
    support = w > 0
    masked = np.where(support, np.asarray(score, dtype=np.float64), -np.inf)
    worst = int(np.argmax(masked))
    largest = float(masked[worst]) if support.any() else 0.0
    steps = np.array([total]) if per_step is None else per_step
    abstract = None if form is None else _abstract_system(S, P, form)
    return ConsistencyError(total, name, mu, P, k, steps, per_block, per_symbol, largest,
                            worst, abstract, lambda: contrib.copy())


def _lumping_defect(S: System, labels: Ids, K: int, w: Floats) -> weighted.Evaluation | None:
    """The lumpability defect of a Markov chain in one kernel pass, or None where it does not apply.

    The same floats as :func:`weighted.total_variation` of
    :func:`weighted.rows_of` (every sum in the same order) without sorting
    the transitions. Chains with symbols or with numerators beyond 64 bits
    take the numpy path.
    """
    from abstractions._kernels import _lumping_defect as kernel

    rel = S._relation()
    if rel.symbols is not None or rel.weights is None or rel.how not in ("sum", "round"):
        return None
    if rel.how == "sum":
        if rel.weights.dtype != np.int64:
            return None
        num, prob, scale = rel.weights, np.zeros(0), float(rel.den)
    else:
        num = np.zeros(0, dtype=np.int64)
        prob = np.ascontiguousarray(rel.weights, dtype=np.float64)
        scale = 1.0 / rel.tol
    score, mb, mc, mp = kernel(rel.indptr, rel.targets, labels, K,
                               np.ascontiguousarray(w, dtype=np.float64), prob, num, scale)
    return weighted.Evaluation(w * score, score, None, (mb, mc, mp))


def _set_entropy(S: System, labels: Ids, K: int, w: Floats) -> weighted.Evaluation:
    """``H(reached set | alpha(m))`` in bits: the units are the blocks of ``C(alpha)``."""
    unit, count = completion(S._relation(), labels, K)
    unit_w = np.bincount(unit, weights=w, minlength=count)
    # A block's weight as the sum of its units': one unit gives exactly 0 bits.
    unit_block = np.zeros(count, dtype=np.int64)
    unit_block[unit] = labels
    block_w = np.bincount(unit_block, weights=unit_w, minlength=K)
    bits = np.zeros(labels.shape[0])
    positive = w > 0
    bits[positive] = np.log2(block_w[labels[positive]] / unit_w[unit[positive]])
    return weighted.Evaluation(w * bits, bits, None, None)


def _function_rollout(step: Ids, labels: Ids, best: Ids, w: Floats,
                      k: int) -> tuple[Floats, Floats]:
    """Errors of ``best`` rolled out ``k`` times against the function ``step``."""
    x = np.arange(step.shape[0], dtype=np.int64)
    rolled = np.arange(best.shape[0], dtype=np.int64)
    per_step = np.zeros(k)
    contrib = np.zeros(step.shape[0])
    for j in range(k):
        x = step[x]
        rolled = best[rolled]
        contrib = np.where(labels[x] != rolled[labels], w, 0.0)
        per_step[j] = contrib.sum()
    return per_step, contrib


def _labelled_rollout(S: System, labels: Ids, best: Ids, w: Floats,
                      k: int) -> tuple[Floats, Floats, Floats]:
    """Global mode of a labelled system: uniformly random letters, ``ks`` times the mismatch."""
    rel = S._relation()
    ks = rel.n_symbols
    n = rel.n
    K = best.shape[1]
    steps = rel.targets.reshape(n, ks).T
    origin = np.arange(n, dtype=np.int64)
    state = origin.copy()
    block = labels.copy()
    mass = w.copy()
    per_step = np.zeros(k)
    contrib = np.zeros(n)
    for j in range(k):
        contrib = np.zeros(n)
        parts = []
        for a in range(ks):
            s2 = steps[a][state]
            b2 = best[a][block]
            wrong = labels[s2] != b2
            contrib += np.bincount(origin, weights=mass * wrong, minlength=n)
            parts.append((origin, s2, b2, mass / ks))
        per_step[j] = contrib.sum()
        if j == k - 1:
            break
        o = np.concatenate([p[0] for p in parts])
        s = np.concatenate([p[1] for p in parts])
        b = np.concatenate([p[2] for p in parts])
        m = np.concatenate([p[3] for p in parts])
        if o.shape[0] > _GLOBAL_MAX_CELLS:
            raise TooLargeError(
                f"the global mode of this labelled system follows more than "
                f"{_GLOBAL_MAX_CELLS} (state, abstract state) pairs; lower the horizon"
            )
        ids, count = pair_ids(*pair_ids(o, n, s, n), b, K)
        first = first_occurrences(ids)
        origin, state, block = o[first], s[first], b[first]
        mass = weighted.wsum(ids, m, count)
    score = np.where(w > 0, contrib / np.where(w > 0, w, 1.0), 0.0)
    return per_step, contrib, score


def _markov_rollout(S: System, labels: Ids, mean: Any, w: Floats,
                    k: int) -> tuple[Floats, Floats, Floats]:
    """Global mode of a Markov chain: TV of ``delta_m P^j`` through alpha from the rolled row."""
    rel = S._relation()
    n = rel.n
    K = int(labels.max()) + 1
    if n * K > _GLOBAL_MAX_CELLS or rel.m * K > _GLOBAL_MAX_CELLS:
        raise TooLargeError(
            f"the global mode of a Markov chain keeps an (n x blocks) table; "
            f"{n} x {K} is above {_GLOBAL_MAX_CELLS} cells"
        )
    p = weighted.step_probabilities(rel)
    mb, mc, mp = mean
    bar = np.zeros((K, K))
    np.add.at(bar, (mb, mc), mp)
    Q = np.zeros((n, K))
    Q[np.arange(n), labels] = 1.0
    A = np.eye(K)
    starts = rel.indptr[:-1]
    nonempty = np.diff(rel.indptr) > 0
    per_step = np.zeros(k)
    tv = np.zeros(n)
    for j in range(k):
        moved = p[:, None] * Q[rel.targets]
        Q = np.zeros((n, K))
        if moved.shape[0]:
            Q[nonempty] = np.add.reduceat(moved, starts[nonempty], axis=0)
        A = A @ bar
        tv = 0.5 * np.abs(Q - A[labels]).sum(axis=1)
        per_step[j] = float((w * tv).sum())
    return per_step, w * tv, tv


# ---------------------------------------------------------------------- anomaly scores


@dataclass(frozen=True, eq=False)
class TraceError:
    """The steps of one run that an abstract step mispredicts.

    Attributes
    ----------
    states : numpy.ndarray of int64
        The run, from its start state.
    mispredicted : numpy.ndarray of bool
        ``mispredicted[i]``: the abstract step from ``alpha(states[i])``
        is not ``alpha(states[i + 1])``.
    count : int
        Number of mispredicted steps.
    score : float
        ``count`` over the number of steps (0 for a run of no steps): the
        anomaly score.
    first : int or None
        The first mispredicted step.
    abstract : System
        The abstract system the run was compared with.
    """

    states: Ids
    mispredicted: np.ndarray
    count: int
    score: float
    first: int | None
    abstract: System


def trace_error(
    system: System,
    alpha: Any,
    x: Any = None,
    *,
    word: Any = None,
    run: Any = None,
    weights: Any = None,
    abstract: System | None = None,
) -> TraceError:
    """Along one run, the steps where ``alpha``'s best abstract step mispredicts.

    The abstract step is fitted under the reference distribution ``weights``
    (e.g. the occupancy of clean inputs) by :func:`consistency_error`, or
    given as ``abstract``; then the run is followed and every step whose
    next block differs from the abstract step's prediction counts.

    Parameters
    ----------
    system : Computation or LabelledSystem
    alpha : Partition or array_like
    x : object, optional
        An input value: the run starts at its start state. A computation
        runs to its halted state.
    word : sequence, optional
        Labelled systems: the symbols read, in order.
    run : array_like of int, optional
        Instead of ``x``, the states of a run (checked against the step).
    weights : optional
        The reference distribution the abstract step is fitted under.
    abstract : System, optional
        The abstract system to compare with, instead of fitting one.

    Returns
    -------
    TraceError

    Raises
    ------
    InvalidTypeError
        For a system of another kind.
    InvalidValueError
        If neither or both of ``x`` and ``run`` are given, or ``run`` is not
        a run of the system.
    NonHaltingError
        If the computation's run from ``x`` never halts (give ``run``).

    Examples
    --------
    >>> from abstractions import Computation, Partition
    >>> C = Computation([1, 2, 3, 3], halted=[False, False, False, True])
    >>> alpha = Partition([0, 0, 0, 1])           # "done yet?"
    >>> t = trace_error(C, alpha, 0)
    >>> t.states, t.mispredicted, t.score
    (array([0, 1, 2, 3]), array([False, False,  True]), 0.3333333333333333)
    """
    from abstractions.systems import LabelledSystem

    S = as_system(system)
    if not isinstance(S, (Computation, LabelledSystem)):
        raise InvalidTypeError(
            f"trace_error follows runs of a Computation or a LabelledSystem, got a {S.kind} system"
        )
    _require_total(S, "trace_error")
    P = S._partition(alpha, "alpha")
    if (x is None) == (run is None):
        raise InvalidValueError("give exactly one of x (an input) and run (a sequence of states)")
    if abstract is None:
        fitted = consistency_error(S, P, weights=weights).abstract
        assert fitted is not None
        abstract = fitted
    form = _given_abstract(S, abstract, P.n_blocks)
    rel = S._relation()
    k = rel.n_symbols
    steps = rel.targets.reshape(S.n, k).T
    if isinstance(S, Computation):
        if word is not None:
            raise InvalidValueError("word is for labelled systems; a computation reads no letters")
        if run is None:
            states = S.trace(x)
        else:
            states = as_index_array(run, "run", n=S.n)
            bad = np.flatnonzero(S.step[states[:-1]] != states[1:])
            if bad.size:
                i = int(bad[0])
                raise InvalidValueError(
                    f"run is not a run of the computation: step({int(states[i])}) is "
                    f"{int(S.step[states[i]])}, not run[{i + 1}] = {int(states[i + 1])}"
                )
        letters = np.zeros(max(states.shape[0] - 1, 0), dtype=np.int64)
    else:
        symbols = rel.symbol_names or ()
        index = {s: i for i, s in enumerate(symbols)}
        if word is None:
            raise InvalidValueError("a labelled system's run needs the word it reads (word=...)")
        try:
            letters = np.array([index[a] for a in word], dtype=np.int64)
        except (KeyError, TypeError):
            bad_letter = next(a for a in word if a not in index)
            raise InvalidValueError(
                f"word holds {bad_letter!r}, which is not a symbol of the system "
                f"({', '.join(map(repr, symbols))})"
            ) from None
        if run is None:
            m = S.start(x)
            path = [m]
            for a in letters.tolist():
                m = int(steps[a][m])
                path.append(m)
            states = np.array(path, dtype=np.int64)
        else:
            states = as_index_array(run, "run", n=S.n)
            if states.shape[0] != letters.shape[0] + 1:
                raise InvalidValueError(
                    f"run has {states.shape[0]} states, expected {letters.shape[0] + 1} "
                    f"(one more than the letters of word)"
                )
    labels = P.labels
    predicted = form[letters, labels[states[:-1]]]
    wrong = predicted != labels[states[1:]]
    count = int(wrong.sum())
    first = int(np.argmax(wrong)) if count else None
    score = count / wrong.shape[0] if wrong.shape[0] else 0.0
    return TraceError(states, wrong, count, score, first, abstract)
