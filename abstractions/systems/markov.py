"""Markov chains: a probability distribution over successors (ordinary lumping).

The functor is ``F(X) = D(X)``: a state has a distribution over states. An
abstraction is complete when every block is *ordinarily lumpable*: related
states have the same probability of moving into each block. The abstract
system is the lumped chain.

Probabilities are exact when given as ints, :class:`fractions.Fraction` or
sympy ``Rational``: they are kept as integer numerators over one common
denominator and compared exactly. Floating-point probabilities are
compared after rounding each block probability to a multiple of ``tol``
(default ``1e-9``; a probability that rounds to 0 counts as no transition):
choose ``tol`` far above the rounding error of your numbers and far below
the smallest real difference between them. Rounding is not additive, so in
float mode the kernel's answer is checked with the completion operator and
refined further in the rare case that a block probability lies within
float error of a half-multiple of ``tol``; away from such ties the float
answer is the exact one.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Hashable, Iterable, Mapping, Sequence
from fractions import Fraction
from types import MappingProxyType
from typing import Any, ClassVar

import numpy as np

from abstractions._engine.relation import Relation, quotient_rows
from abstractions._validation import Ids, python_value
from abstractions.exceptions import InvalidTypeError, InvalidValueError, TooLargeError
from abstractions.partition import Partition
from abstractions.systems._parse import (
    check_csr,
    flat,
    matrix_entries,
    row_pointers,
    sorted_transitions,
)
from abstractions.systems.base import TransitionSystem

__all__ = ["MarkovChain"]

#: Exact numerators over a common denominator up to this bound are summed
#: in int64 (a row's numerators sum to the denominator, so nothing overflows).
_EXACT_LIMIT = 1 << 62
#: Float rows must sum to 1 within max(tol, this).
_ROW_TOL = 1e-12
#: The smallest float tolerance: probabilities / tol must fit in int64.
_MIN_TOL = 1e-18
#: Largest matrix :meth:`MarkovChain.probability_matrix` builds densely.
_DENSE_MAX_STATES = 5000


class MarkovChain(TransitionSystem):
    """A discrete-time Markov chain: a row-stochastic matrix.

    Also built by :meth:`TransitionSystem.probabilistic`.

    Parameters
    ----------
    matrix : 2-d array, sparse matrix or tuple
        ``matrix[s, t]`` is the probability of moving from ``s`` to
        ``t``: a dense square array, any object with ``tocsr()``
        (scipy.sparse), or CSR arrays ``(indptr, indices, data)``
        (repeated entries are added). Ints, :class:`fractions.Fraction`
        and sympy ``Rational`` entries are exact; float entries are
        compared up to ``tol``. Mixing exact and float entries is an
        error.
    output : array_like, optional
        The output of each state (see
        :class:`~abstractions.systems.LabelledSystem`).
    output_values : sequence, optional
    tol : float, default 1e-9
        Float mode only: block probabilities are compared after rounding
        to multiples of ``tol`` (at least ``1e-18``), and rows must sum to 1
        within ``max(tol, 1e-12)``.
    inputs : mapping or sequence of int, optional
        Start states (e.g. the initial state), as for a Computation; by
        default every state.
    state_labels : sequence, optional
        Distinct hashable names of the states.

    Raises
    ------
    InvalidValueError
        For a non-square matrix, a negative or non-finite entry, a row
        that does not sum to 1, or a bad ``tol``.
    InvalidTypeError
        For entries that are not numbers, or a mix of exact and float.

    Notes
    -----
    Zero entries are dropped; the kind's name is ``"probabilistic"``.

    Examples
    --------
    >>> from fractions import Fraction as F
    >>> T = MarkovChain([[F(1, 2), F(1, 2)], [0, 1]])
    >>> T.exact, T.probabilities
    (True, (Fraction(1, 2), Fraction(1, 2), Fraction(1, 1)))
    """

    __slots__ = ("_num", "_den", "_weights", "_tol")

    kind: ClassVar[str] = "probabilistic"
    schema: ClassVar[Mapping[str, str]] = MappingProxyType({
        "indptr": "ids",
        "targets": "ids",
        "numerators": "ints",
        "denominator": "int",
        "probabilities": "floats",
        "tol": "float",
    })

    _num: np.ndarray | None
    _den: int
    _weights: np.ndarray | None
    _tol: float

    def __init__(
        self,
        matrix: Any,
        *,
        output: Any = None,
        output_values: Sequence[Any] | None = None,
        tol: float = 1e-9,
        inputs: Any = None,
        state_labels: Sequence[Hashable] | None = None,
    ) -> None:
        tol = _check_tol(tol)
        if isinstance(matrix, tuple):
            n, src, dst, data = _csr_triple(matrix)
        else:
            n, src, dst, data = matrix_entries(matrix, "matrix")
        exact, values = _probabilities(data, src, dst)
        indptr, dst, values = _merged(n, src, dst, values)
        num: np.ndarray | None = None
        weights: np.ndarray | None = None
        den = 1
        if exact:
            num, den = _common_denominator(values)
            _check_rows(indptr, num, den, exact=True, tol=tol)
        else:
            weights = np.ascontiguousarray(values, dtype=np.float64)
            _check_rows(indptr, weights, 1, exact=False, tol=tol)
        self._set_shared(n, output, output_values, inputs, state_labels)
        own = (indptr, np.ascontiguousarray(dst), None, None, num, den, weights, tol)
        self._store_own(own)

    def _to_fields(self) -> dict[str, Any]:
        numerators: Any = self._num
        if numerators is not None and numerators.dtype == object:
            # beyond int64: Python ints, exactly
            numerators = tuple(int(x) for x in numerators.tolist())
        return {
            "indptr": self._indptr,
            "targets": self._targets,
            "numerators": numerators,
            "denominator": self._den if self._num is not None else None,
            "probabilities": self._weights,
            "tol": self._tol,
        }

    @classmethod
    def _from_fields(cls, own: dict[str, Any], shared: dict[str, Any]) -> MarkovChain:
        tol = _check_tol(1e-9 if own["tol"] is None else own["tol"])
        n, src, dst = check_csr(cls._needed(own, "indptr"), cls._needed(own, "targets"), "transitions")
        numerators, probabilities = own["numerators"], own["probabilities"]
        if (numerators is None) == (probabilities is None):
            raise InvalidValueError(
                "give exactly one of numerators (with denominator: exact) and probabilities (floats)"
            )
        num: np.ndarray | None = None
        weights: np.ndarray | None = None
        den = 1
        if numerators is not None:
            den = _denominator(cls._needed(own, "denominator"))
            values = _numerators(numerators, dst.shape[0])
            indptr, dst, values = _merged(n, src, dst, values)
            _check_rows(indptr, values, den, exact=True, tol=tol)
            num = values.astype(np.int64) if den <= _EXACT_LIMIT else values
        else:
            if own["denominator"] is not None:
                raise InvalidValueError("denominator goes with numerators, not with probabilities")
            values = _float_probabilities(probabilities, src, dst)
            indptr, dst, values = _merged(n, src, dst, values)
            weights = np.ascontiguousarray(values, dtype=np.float64)
            _check_rows(indptr, weights, 1, exact=False, tol=tol)
        self = object.__new__(cls)
        self._set_shared(n, **shared)
        self._store_own((indptr, np.ascontiguousarray(dst), None, None, num, den, weights, tol))
        return self

    # ------------------------------------------------------------------ views

    @property
    def exact(self) -> bool:
        """Whether probabilities are exact rationals."""
        return self._num is not None

    @property
    def tol(self) -> float:
        """The float tolerance (used only for float probabilities)."""
        return self._tol

    @property
    def probabilities(self) -> np.ndarray | tuple[Fraction, ...]:
        """Probability of each transition: Fractions if exact, else float64."""
        if self._num is None:
            assert self._weights is not None
            return self._weights
        fractions = self._cache.get("fractions")
        if fractions is None:
            # Built once: loops that index probabilities[j] stay linear.
            fractions = self._cache["fractions"] = tuple(
                Fraction(int(p), self._den) for p in self._num.tolist()
            )
        return fractions

    def _weight(self, j: int) -> Any:
        return python_value(self.probabilities[j])

    def probability_matrix(self, sparse: bool = False) -> Any:
        """The transition matrix: dense (Fractions if exact) for small chains, or scipy.sparse.

        Parameters
        ----------
        sparse : bool, default False
            A ``scipy.sparse.csr_array`` of floats at any size
            (:func:`abstractions.graphs.to_scipy`) instead of a dense array.

        Raises
        ------
        TooLargeError
            Dense, above 5000 states.

        Examples
        --------
        >>> MarkovChain([[0.5, 0.5], [0.0, 1.0]]).probability_matrix()
        array([[0.5, 0.5],
               [0. , 1. ]])
        >>> MarkovChain([[0.5, 0.5], [0.0, 1.0]]).probability_matrix(sparse=True).nnz
        3
        """
        if sparse is True:
            return self.to_scipy()
        if sparse is not False:
            raise InvalidTypeError(f"sparse must be True or False, got {sparse!r}")
        n = self.n
        if n > _DENSE_MAX_STATES:
            raise TooLargeError(
                f"{n} states is too many for a dense matrix (limit {_DENSE_MAX_STATES}); "
                f"use probability_matrix(sparse=True)"
            )
        src = self._sources()
        if self._num is None:
            dense = np.zeros((n, n), dtype=np.float64)
            dense[src, self._targets] = self._weights
            return dense
        exact = np.full((n, n), Fraction(0), dtype=object)
        for s, t, p in zip(src.tolist(), self._targets.tolist(), self.probabilities):
            exact[s, t] = p
        return exact

    def _summary(self) -> str:
        mode = ", exact" if self.exact else f", float (tol={self._tol:g})"
        return f", {self.n_transitions} transitions{mode}"

    # ------------------------------------------------------------------ the kind

    def _relation(self) -> Relation:
        if self._num is not None:
            return Relation(how="sum", weights=self._num, den=self._den, **self._relation_fields())
        return Relation(how="round", weights=self._weights, tol=self._tol, **self._relation_fields())

    def _restrict_own(self, index: Ids, position: Ids) -> tuple[Any, ...]:
        # Closed sets keep every transition of their states: rows still sum to 1.
        indptr, targets, _, kept = self._restrict_csr(index, position)
        num = None if self._num is None else self._num[kept]
        weights = None if self._weights is None else self._weights[kept]
        return indptr, targets, None, None, num, self._den, weights, self._tol

    def _quotient_own(self, P: Partition, rows: Any = None) -> tuple[Any, ...]:
        if rows is None:
            rows = quotient_rows(self._relation(), P.labels, P.representatives())
        src, _, dst, agg = rows
        indptr = row_pointers(src, P.n_blocks)
        dst = np.ascontiguousarray(dst)
        if self._num is not None:
            return indptr, dst, None, None, agg, self._den, None, self._tol
        weights = np.ascontiguousarray(agg, dtype=np.float64)
        return indptr, dst, None, None, None, 1, weights, self._tol


def _csr_triple(matrix: tuple[Any, ...]) -> tuple[int, Ids, Ids, np.ndarray]:
    if len(matrix) != 3:
        raise InvalidValueError(
            f"matrix as a tuple must be CSR arrays (indptr, indices, data), got {len(matrix)} items"
        )
    n, src, dst = check_csr(matrix[0], matrix[1], "matrix")
    data = flat(matrix[2])
    if data.shape[0] != dst.shape[0]:
        raise InvalidValueError(
            f"matrix data has {data.shape[0]} entries, expected {dst.shape[0]} (one per index)"
        )
    return n, src, dst, data


def _merged(n: int, src: Ids, dst: Ids, values: np.ndarray) -> tuple[Ids, Ids, np.ndarray]:
    """CSR (indptr, targets, values) sorted by target in each row, repeats added, zeros dropped."""
    src, dst, _, order = sorted_transitions(src, dst, np.zeros_like(src), n, 1)
    values = values[order]
    start = np.ones(src.shape[0], dtype=bool)
    start[1:] = (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])
    first = np.flatnonzero(start)
    if first.size:
        values = np.add.reduceat(values, first)
        src, dst = src[first], dst[first]
    nonzero = values != 0
    return row_pointers(src[nonzero], n), dst[nonzero], values[nonzero]


def _denominator(value: Any) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise InvalidTypeError(f"denominator must be an integer, got {value!r}")
    if int(value) < 1:
        raise InvalidValueError(f"denominator must be at least 1, got {int(value)}")
    return int(value)


def _numerators(values: Any, count: int) -> np.ndarray:
    """Non-negative integer numerators as an object array of Python ints (exact at any size)."""
    if isinstance(values, np.ndarray) and values.dtype.kind in "iu" and values.ndim == 1:
        items = values.tolist()
    elif isinstance(values, np.ndarray) and values.dtype != object:
        raise InvalidTypeError(f"numerators must be integers, got dtype {values.dtype}")
    elif isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise InvalidTypeError(f"numerators must be a sequence of integers, got {type(values).__name__}")
    else:
        items = list(values)
    if len(items) != count:
        raise InvalidValueError(
            f"numerators has {len(items)} entries, expected {count} (one per transition)"
        )
    for i, x in enumerate(items):
        if isinstance(x, (bool, np.bool_)) or not isinstance(x, numbers.Integral):
            raise InvalidTypeError(f"numerators[{i}] = {python_value(x)!r} is not an integer")
        if x < 0:
            raise InvalidValueError(f"numerators[{i}] = {int(x)} is negative")
    array = np.empty(len(items), dtype=object)
    array[:] = [int(x) for x in items]
    return array


def _float_probabilities(values: Any, src: Ids, dst: Ids) -> np.ndarray:
    try:
        array = np.asarray(values)
    except (ValueError, TypeError):
        raise InvalidTypeError("probabilities must be a 1-d array of floats") from None
    if array.ndim != 1 or array.dtype.kind not in "fiu" or array.dtype.kind == "b":
        raise InvalidTypeError(
            f"probabilities must be a 1-d array of floats, got {array.ndim}-d values of type "
            f"{array.dtype.kind == 'O' and 'object' or array.dtype.name}"
        )
    if array.shape[0] != dst.shape[0]:
        raise InvalidValueError(
            f"probabilities has {array.shape[0]} entries, expected {dst.shape[0]} (one per transition)"
        )
    floats = array.astype(np.float64)
    bad = np.flatnonzero(~(floats >= 0) | ~np.isfinite(floats))
    if bad.size:
        i = int(bad[0])
        raise InvalidValueError(
            f"probabilities[{i}] = {float(floats[i])!r} (transition {int(src[i])} -> {int(dst[i])}) "
            "is not a probability (must be finite and >= 0)"
        )
    return floats


def _check_tol(tol: Any) -> float:
    if isinstance(tol, (bool, np.bool_)) or not isinstance(tol, numbers.Real):
        raise InvalidTypeError(f"tol must be a float, got {tol!r}")
    value = float(tol)
    if not (math.isfinite(value) and 0 < value < 1):
        raise InvalidValueError(f"tol must be in (0, 1), got {tol!r}")
    if value < _MIN_TOL:
        # Block sums are rounded to integer multiples of tol in int64: below
        # this, floor(p / tol) would overflow and merge everything.
        raise InvalidValueError(
            f"tol={tol!r} is below {_MIN_TOL:g}, where rounding block probabilities to "
            "multiples of tol would overflow int64; give exact probabilities (Fractions) "
            "to compare them exactly"
        )
    return value


def _is_exact(x: Any) -> bool:
    if isinstance(x, (bool, np.bool_)):
        return False
    if isinstance(x, (numbers.Rational, np.integer)):
        return True
    return bool(getattr(x, "is_Rational", False))


def _probabilities(data: np.ndarray, src: Ids, dst: Ids) -> tuple[bool, np.ndarray]:
    """(exact, values): Fraction objects if exact, else float64."""
    kind = data.dtype.kind
    if kind == "f":
        values = data.astype(np.float64)
        exact = False
    elif kind in "iu":
        values = np.empty(data.shape[0], dtype=object)
        values[:] = [Fraction(int(x)) for x in data.tolist()]
        exact = True
    elif kind == "O":
        exact, values = _object_probabilities(data.tolist(), src, dst)
    else:
        raise InvalidTypeError(f"matrix entries must be numbers, got dtype {data.dtype}")
    if exact:
        negative = [i for i, x in enumerate(values.tolist()) if x.numerator < 0]
    else:
        negative = np.flatnonzero(~(values >= 0) | ~np.isfinite(values)).tolist()
    if negative:
        i = negative[0]
        raise InvalidValueError(
            f"matrix entry ({int(src[i])}, {int(dst[i])}) = {python_value(values[i])!r} is not a "
            "probability (must be finite and >= 0)"
        )
    return exact, values


def _object_probabilities(items: list[Any], src: Ids, dst: Ids) -> tuple[bool, np.ndarray]:
    """:func:`_probabilities` of Python objects: all exact or all floats."""
    values = np.empty(len(items), dtype=object)
    if all(type(x) is Fraction for x in items):
        # The common case first: Fractions already (the exact type, so no
        # subclass slips through) are kept as they are.
        values[:] = items
        return True, values
    exact_mask = [_is_exact(x) for x in items]
    if all(exact_mask):
        values[:] = [
            Fraction(int(x.p), int(x.q)) if hasattr(x, "q") and not isinstance(x, Fraction)
            else Fraction(x) for x in items
        ]
        return True, values
    floats = [isinstance(x, (float, np.floating)) for x in items]
    for i, x in enumerate(items):
        if not exact_mask[i] and not floats[i]:
            raise InvalidTypeError(
                f"matrix entry ({int(src[i])}, {int(dst[i])}) = {x!r} is not a number "
                "(ints, Fractions, sympy Rationals or floats)"
            )
    if any(exact_mask):
        i = exact_mask.index(True)
        j = floats.index(True)
        raise InvalidTypeError(
            "matrix mixes exact and float entries: "
            f"({int(src[i])}, {int(dst[i])}) = {items[i]!r} and "
            f"({int(src[j])}, {int(dst[j])}) = {items[j]!r}; use one kind"
        )
    return False, np.asarray(items, dtype=np.float64)


def _common_denominator(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Integer numerators over the least common denominator."""
    fractions = values.tolist()
    den = 1
    for q in {f.denominator for f in fractions}:
        den = den * q // math.gcd(den, q)
    nums = [f.numerator * (den // f.denominator) for f in fractions]
    if den <= _EXACT_LIMIT:
        return np.asarray(nums, dtype=np.int64).reshape(-1), den
    big = np.empty(len(nums), dtype=object)
    big[:] = nums
    return big, den


def _check_rows(indptr: Ids, values: np.ndarray, den: int, *, exact: bool, tol: float) -> None:
    n = indptr.shape[0] - 1
    sums = _row_sums(indptr, values)
    if exact:
        bad = [s for s, x in enumerate(sums.tolist()) if x != den]
    else:
        # Rows are checked at least to 1e-12: a tiny comparison tol must not
        # reject rows whose sum carries the rounding error of a few additions.
        tol = max(tol, _ROW_TOL)
        bad = np.flatnonzero(~(np.abs(sums - 1.0) <= tol)).tolist()
    if bad:
        s = bad[0]
        total: Any = Fraction(int(sums[s]), den) if exact else float(sums[s])
        expect = "exactly" if exact else f"within tol={tol:g}"
        raise InvalidValueError(
            f"row {s} of matrix sums to {total}, not to 1 {expect} (of {n} rows); "
            "every state needs a probability distribution over its successors"
        )


def _row_sums(indptr: Ids, values: np.ndarray) -> np.ndarray:
    n = indptr.shape[0] - 1
    nonempty = np.diff(indptr) > 0
    sums = np.zeros(n, dtype=values.dtype)
    if values.shape[0]:
        starts = indptr[:-1][nonempty]
        sums[nonempty] = np.add.reduceat(values, starts)
    return sums
