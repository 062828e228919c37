"""Interchange-intervention accuracy, exactly and by sampling.

Causal-abstraction work in interpretability scores a high-level model by
*interchange interventions*: take a base input and a source input that the
abstraction cannot tell apart, swap the source's state into the base run,
and check that what we care about (``beta``) comes out the same. Those
scores are sampled. On a finite computation the expectation can be computed
exactly: draw ``s`` from ``mu``, draw ``t`` from ``mu`` restricted to the
block of ``s``, run both ``k`` steps and compare ``beta``. Per block ``B``
this is the probability that two independent draws from ``mu|B`` agree on
``beta . step^k``, so the accuracy is

    sum_B mu(B) sum_c q_B(c)^2,   q_B(c) = mu(B & (beta . step^k)^-1 c) / mu(B).

It is 1 at every horizon ``k >= 0`` exactly when ``alpha`` knows, on the
support of ``mu``, everything the minimal complete abstraction above
``beta`` knows (then ``beta . step^k`` is constant on its blocks for all
``k``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from abstractions._engine.primitives import pair_ids
from abstractions._validation import Ids, as_count
from abstractions.approximate import check_horizon
from abstractions.computation import Computation
from abstractions.exceptions import InvalidValueError
from abstractions.partition import Partition, first_occurrences
from abstractions.system import as_system
from abstractions.weights import as_weights

__all__ = [
    "InterchangeEstimate",
    "clopper_pearson",
    "interchange_accuracy",
    "sampled_interchange_accuracy",
]


def _power(step: Ids, k: int) -> Ids:
    """``step`` applied ``k`` times, by repeated squaring."""
    result = np.arange(step.shape[0], dtype=np.int64)
    square = step
    while k:
        if k & 1:
            result = square[result]
        k >>= 1
        if k:
            square = square[square]
    return result


def _setup(system: Any, alpha: Any, beta: Any, horizon: Any) -> tuple[Computation, Partition,
                                                                      Partition, int]:
    C: Computation = as_system(system, "system", Computation)
    A = C._partition(alpha, "alpha")
    B = C._partition(beta, "beta")
    k = check_horizon(horizon, minimum=0)
    return C, A, B, k


def interchange_accuracy(system: Computation, alpha: Any, beta: Any, *, weights: Any = None,
                         horizon: int = 1) -> float:
    """The exact interchange-intervention accuracy of ``alpha`` for ``beta`` after ``horizon`` steps.

    Parameters
    ----------
    system : Computation
    alpha : Partition or array_like
        The abstraction whose blocks states are swapped within.
    beta : Partition or array_like
        What must come out the same.
    weights : optional
        The distribution ``mu`` (see :func:`abstractions.weights.as_weights`).
    horizon : int, default 1
        Steps run after the swap; 0 compares ``beta`` itself.

    Returns
    -------
    float
        In (0, 1].

    Raises
    ------
    InvalidTypeError
        If ``system`` is not a Computation.
    InvalidValueError
        For ``horizon < 0`` or bad weights.

    Examples
    --------
    >>> from abstractions import Computation, Partition
    >>> C = Computation([1, 2, 3, 0])                      # counter mod 4
    >>> parity = Partition([0, 1, 0, 1])
    >>> interchange_accuracy(C, parity, parity, horizon=3)  # parity is complete
    1.0
    >>> interchange_accuracy(C, Partition([0, 0, 0, 0]), parity)
    0.5
    """
    C, A, B, k = _setup(system, alpha, beta, horizon)
    mu = as_weights(C, weights)
    w = mu.values
    after = B.labels[_power(C.step, k)]
    ids, count = pair_ids(A.labels, A.n_blocks, after, B.n_blocks)
    mass = np.bincount(ids, weights=w, minlength=count)
    src = A.labels[first_occurrences(ids)]
    block = np.bincount(A.labels, weights=w, minlength=A.n_blocks)
    share = np.where(block[src] > 0, mass / np.where(block[src] > 0, block[src], 1.0), 0.0)
    if not (block > 0).any():  # pragma: no cover - weights are never all zero
        return 1.0
    value = float((mass * share).sum())
    # Exactly 1 when every weighted block is pure (rounding aside).
    pure = np.bincount(src[mass > 0], minlength=A.n_blocks) <= 1
    return 1.0 if pure.all() else min(value, 1.0)


@dataclass(frozen=True)
class InterchangeEstimate:
    """A sampled interchange-intervention accuracy with its confidence interval.

    Attributes
    ----------
    estimate : float
        The fraction of sampled swaps that kept ``beta``.
    low, high : float
        The Clopper--Pearson interval (it covers the exact accuracy with
        probability at least ``confidence``).
    agreements, samples : int
    confidence : float
    """

    estimate: float
    low: float
    high: float
    agreements: int
    samples: int
    confidence: float


def _betacf(a: float, b: float, x: float) -> float:
    """The continued fraction of the regularised incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 10_000):
        m2 = 2 * m
        for num in (m * (b - m) * x / ((a + m2 - 1.0) * (a + m2)),
                    -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0))):
            d = 1.0 + num * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + num / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < 1e-15:
            break
    return h


def _betainc(a: float, b: float, x: float) -> float:
    """``I_x(a, b)``, the regularised incomplete beta function."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                     + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def _beta_quantile(q: float, a: float, b: float) -> float:
    """The ``q`` quantile of Beta(a, b): scipy's when installed, else by bisection."""
    try:
        from scipy.special import betaincinv
    except ImportError:  # pragma: no cover - the test extra installs scipy
        pass
    else:
        return float(betaincinv(a, b, q))
    lo, hi = 0.0, 1.0
    while hi - lo > 1e-13:
        mid = (lo + hi) / 2
        if _betainc(a, b, mid) < q:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def clopper_pearson(successes: int, trials: int, confidence: float) -> tuple[float, float]:
    """The exact (conservative) binomial confidence interval.

    Examples
    --------
    >>> low, high = clopper_pearson(50, 100, 0.95)
    >>> round(low, 4), round(high, 4)
    (0.3983, 0.6017)
    """
    alpha = 1.0 - confidence
    low = 0.0 if successes == 0 else _beta_quantile(alpha / 2, successes, trials - successes + 1)
    high = 1.0 if successes == trials else _beta_quantile(1 - alpha / 2, successes + 1,
                                                           trials - successes)
    return low, high


def sampled_interchange_accuracy(
    system: Computation,
    alpha: Any,
    beta: Any,
    *,
    weights: Any = None,
    horizon: int = 1,
    samples: int = 1000,
    seed: Any = None,
    confidence: float = 0.95,
) -> InterchangeEstimate:
    """The interchange-intervention accuracy by sampling swaps, with a confidence interval.

    What interpretability tools do (pyvene's interchange interventions),
    here to check against :func:`interchange_accuracy`: each sample draws
    a base state ``s`` from ``mu`` and a source ``t`` from ``mu`` within
    ``alpha``'s block of ``s``, runs both ``horizon`` steps and compares
    ``beta``.

    Parameters
    ----------
    system, alpha, beta, weights, horizon
        As for :func:`interchange_accuracy`.
    samples : int, default 1000
    seed : optional
        Seed of ``numpy.random.default_rng``.
    confidence : float, default 0.95

    Returns
    -------
    InterchangeEstimate

    Examples
    --------
    >>> from abstractions import Computation, Partition
    >>> C = Computation([1, 2, 3, 0])
    >>> e = sampled_interchange_accuracy(C, Partition([0, 0, 0, 0]), Partition([0, 1, 0, 1]),
    ...                                  seed=0)
    >>> e.low < 0.5 < e.high
    True
    """
    C, A, B, k = _setup(system, alpha, beta, horizon)
    mu = as_weights(C, weights)
    count = as_count(samples, "samples")
    if count < 1:
        raise InvalidValueError("samples must be at least 1")
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float)) or not (
        0 < confidence < 1
    ):
        raise InvalidValueError(f"confidence must be in (0, 1), got {confidence!r}")
    rng = np.random.default_rng(seed)
    w = mu.values
    base = rng.choice(C.n, size=count, p=w)
    order = np.argsort(A.labels, kind="stable")
    cum = np.cumsum(w[order])
    starts = np.searchsorted(A.labels[order], np.arange(A.n_blocks + 1))
    before = np.concatenate([[0.0], cum])[starts[:-1]]
    block = A.labels[base]
    mass = cum[starts[1:] - 1] - before
    target = before[block] + rng.random(count) * mass[block]
    where = np.searchsorted(cum, target, side="right")
    where = np.clip(where, starts[block], starts[block + 1] - 1)
    source = order[where]
    power = _power(C.step, k)
    agree = B.labels[power[base]] == B.labels[power[source]]
    hits = int(agree.sum())
    low, high = clopper_pearson(hits, count, float(confidence))
    return InterchangeEstimate(hits / count, low, high, hits, count, float(confidence))
