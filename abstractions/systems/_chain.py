"""What the weighted kinds share: a matrix of non-negative weights per transition.

A :class:`~abstractions.MarkovChain` (probabilities, rows sum to 1) and a
:class:`~abstractions.ContinuousTimeMarkovChain` (rates, rows sum to
anything) store the same thing: CSR transitions with one weight each,
exact (integer numerators over one common denominator) or float (compared
after rounding to multiples of ``tol``). :class:`WeightedChain` holds that
storage, its parsing, its views and its part of the kind contract
(``_relation``, ``_restrict_own``, ``_quotient_own``, the fields of
``to_dict``); a kind adds its name, its schema and what its rows must
satisfy (:meth:`WeightedChain._check_weights`).
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

__all__ = [
    "ExactOrFloat",
    "WeightedChain",
    "EXACT_LIMIT",
    "ROW_TOL",
    "MIN_TOL",
    "chain_schema",
    "check_tol",
    "check_probability_tol",
    "common_denominator",
    "as_denominator",
    "entries",
    "float_weights",
    "merged",
    "as_numerators",
    "row_sums",
    "stored_numerators",
]

#: Exact numerators are kept in int64 while every row's numerators sum to at
#: most this (a block sum is at most its row's sum, so no kernel overflows);
#: beyond it they are Python ints, summed modulo a prime and checked exactly.
EXACT_LIMIT = 1 << 62
#: Float rows of probabilities must sum to 1 within max(tol, this).
ROW_TOL = 1e-12
#: The smallest float tolerance for probabilities: probabilities / tol must fit in int64.
MIN_TOL = 1e-18
#: Largest matrix :meth:`WeightedChain._matrix` builds densely.
_DENSE_MAX_STATES = 5000


def chain_schema(float_field: str) -> Mapping[str, str]:
    """The ``to_dict`` fields of a weighted kind whose float weights are named ``float_field``."""
    return MappingProxyType({
        "indptr": "ids",
        "targets": "ids",
        "numerators": "ints",
        "denominator": "int",
        float_field: "floats",
        "tol": "float",
    })


class ExactOrFloat:
    """The weights of a kind stored exactly or as floats, and the views of them.

    Exact weights are integer numerators ``_num`` over one denominator
    ``_den``; float weights are ``_weights``, compared up to ``_tol``.
    Shared by :class:`WeightedChain` and
    :class:`~abstractions.MarkovDecisionProcess`, which store them alike.
    """

    __slots__ = ()

    _num: np.ndarray | None
    _den: int
    _weights: np.ndarray | None
    _tol: float
    _cache: dict[str, Any]

    @property
    def exact(self) -> bool:
        """Whether the weights are exact rationals."""
        return self._num is not None

    @property
    def tol(self) -> float:
        """The float tolerance (used only for float weights)."""
        return self._tol

    def _values(self) -> np.ndarray | tuple[Fraction, ...]:
        """The weight of each transition: Fractions if exact, else float64."""
        if self._num is None:
            assert self._weights is not None
            return self._weights
        fractions = self._cache.get("fractions")
        if fractions is None:
            # Built once: loops that index the weights[j] stay linear.
            fractions = self._cache["fractions"] = tuple(
                Fraction(int(p), self._den) for p in self._num.tolist()
            )
        return fractions


class WeightedChain(ExactOrFloat, TransitionSystem):
    """The storage and views of a kind with one non-negative weight per transition.

    Not a kind itself (it has no ``kind`` name); see
    :class:`~abstractions.MarkovChain` and
    :class:`~abstractions.ContinuousTimeMarkovChain`.
    """

    __slots__ = ("_num", "_den", "_weights", "_tol")

    #: What one weight is, in messages ("probability", "rate").
    _noun: ClassVar[str] = "weight"
    #: The name of the float weights in ``to_dict`` and the public view.
    _float_field: ClassVar[str] = "weights"

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
        tol = self._check_tol(tol)
        if isinstance(matrix, tuple):
            n, src, dst, data = _csr_triple(matrix)
        else:
            n, src, dst, data = matrix_entries(matrix, "matrix")
        exact, values = entries(data, src, dst, self._noun)
        indptr, dst, values = merged(n, src, dst, values)
        den = 1
        if exact:
            values, den = common_denominator(values)
        self._set_shared(n, output, output_values, inputs, state_labels)
        self._store_own(self._checked(indptr, dst, exact, values, den, tol))

    def _checked(
        self, indptr: Ids, dst: Ids, exact: bool, values: np.ndarray, den: int, tol: float
    ) -> tuple[Any, ...]:
        """The own fields from merged CSR values: integer numerators over ``den``, or floats."""
        num: np.ndarray | None = None
        weights: np.ndarray | None = None
        if exact:
            num = stored_numerators(indptr, values)
            self._check_weights(indptr, num, den, True, tol)
        else:
            weights = np.ascontiguousarray(values, dtype=np.float64)
            self._check_weights(indptr, weights, 1, False, tol)
            den = 1
        return indptr, np.ascontiguousarray(dst), None, None, num, den, weights, tol

    # ------------------------------------------------------------------ what a kind says

    @classmethod
    def _check_tol(cls, tol: Any) -> float:
        """The checked ``tol`` (a kind may bound it further)."""
        return check_tol(tol)

    def _check_weights(
        self, indptr: Ids, values: np.ndarray, den: int, exact: bool, tol: float
    ) -> None:
        """Raise if the rows break the kind's rule (values: numerators over ``den``, or floats)."""

    # ------------------------------------------------------------------ fields

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
            self._float_field: self._weights,
            "tol": self._tol,
        }

    @classmethod
    def _from_fields(cls, own: dict[str, Any], shared: dict[str, Any]) -> WeightedChain:
        tol = cls._check_tol(1e-9 if own["tol"] is None else own["tol"])
        indptr, targets = cls._needed(own, "indptr"), cls._needed(own, "targets")
        n, src, dst = check_csr(indptr, targets, "transitions")
        numerators, floats = own["numerators"], own[cls._float_field]
        if (numerators is None) == (floats is None):
            raise InvalidValueError(
                f"give exactly one of numerators (with denominator: exact) and "
                f"{cls._float_field} (floats)"
            )
        den = 1
        if numerators is not None:
            den = as_denominator(cls._needed(own, "denominator"))
            values = as_numerators(numerators, dst.shape[0])
        else:
            if own["denominator"] is not None:
                raise InvalidValueError(
                    f"denominator goes with numerators, not with {cls._float_field}"
                )
            values = float_weights(floats, src, dst, cls._float_field, cls._noun)
        indptr, dst, values = merged(n, src, dst, values)
        self = object.__new__(cls)
        self._set_shared(n, **shared)
        self._store_own(self._checked(indptr, dst, numerators is not None, values, den, tol))
        return self

    # ------------------------------------------------------------------ views

    def _weight(self, j: int) -> Any:
        return python_value(self._values()[j])

    def _matrix(self, sparse: bool, name: str) -> Any:
        """The weight matrix: dense (Fractions if exact) for small systems, or scipy.sparse."""
        if sparse is True:
            return self.to_scipy()
        if sparse is not False:
            raise InvalidTypeError(f"sparse must be True or False, got {sparse!r}")
        n = self.n
        if n > _DENSE_MAX_STATES:
            raise TooLargeError(
                f"{n} states is too many for a dense matrix (limit {_DENSE_MAX_STATES}); "
                f"use {name}(sparse=True)"
            )
        src = self._sources()
        if self._num is None:
            dense = np.zeros((n, n), dtype=np.float64)
            dense[src, self._targets] = self._weights
            return dense
        exact = np.full((n, n), Fraction(0), dtype=object)
        for s, t, p in zip(src.tolist(), self._targets.tolist(), self._values()):
            exact[s, t] = p
        return exact

    def _summary(self) -> str:
        mode = ", exact" if self.exact else f", float (tol={self._tol:g})"
        return f", {self.n_transitions} transitions{mode}"

    # ------------------------------------------------------------------ the kind

    def _relation(self) -> Relation:
        fields = self._relation_fields()
        if self._num is not None:
            return Relation(how="sum", weights=self._num, den=self._den, noun=self._noun, **fields)
        weights, tol = self._weights, self._tol
        return Relation(how="round", weights=weights, tol=tol, noun=self._noun, **fields)

    def _restrict_own(self, index: Ids, position: Ids) -> tuple[Any, ...]:
        # Closed sets keep every transition of their states: rows are unchanged.
        indptr, targets, _, kept = self._restrict_csr(index, position)
        num = None if self._num is None else self._num[kept]
        weights = None if self._weights is None else self._weights[kept]
        return indptr, targets, None, None, num, self._den, weights, self._tol

    def _quotient_own(self, P: Partition, rows: Any = None) -> tuple[Any, ...]:
        # The weight from a block into a block is its first state's (all
        # states of a block of a complete partition agree on it).
        if rows is None:
            rows = quotient_rows(self._relation(), P.labels, P.representatives())
        indptr, _, dst, agg = rows
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


def merged(n: int, src: Ids, dst: Ids, values: np.ndarray) -> tuple[Ids, Ids, np.ndarray]:
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


def as_denominator(value: Any) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise InvalidTypeError(f"denominator must be an integer, got {value!r}")
    if int(value) < 1:
        raise InvalidValueError(f"denominator must be at least 1, got {int(value)}")
    return int(value)


def as_numerators(values: Any, count: int) -> np.ndarray:
    """Non-negative integer numerators as an object array of Python ints (exact at any size)."""
    if isinstance(values, np.ndarray) and values.dtype.kind in "iu" and values.ndim == 1:
        items = values.tolist()
    elif isinstance(values, np.ndarray) and values.dtype != object:
        raise InvalidTypeError(f"numerators must be integers, got dtype {values.dtype}")
    elif isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise InvalidTypeError(
            f"numerators must be a sequence of integers, got {type(values).__name__}"
        )
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


def stored_numerators(indptr: Ids, values: np.ndarray) -> np.ndarray:
    """int64 numerators when every row sum fits under :data:`EXACT_LIMIT`, else Python ints."""
    items = values.tolist()
    longest = int(np.diff(indptr).max(initial=0))
    if not items or max(items) * longest <= EXACT_LIMIT:
        return np.asarray(items, dtype=np.int64).reshape(-1)
    big = np.empty(len(items), dtype=object)
    big[:] = items
    if int(row_sums(indptr, big).max()) <= EXACT_LIMIT:
        return big.astype(np.int64)
    return big


def float_weights(values: Any, src: Ids, dst: Ids, name: str, noun: str) -> np.ndarray:
    try:
        array = np.asarray(values)
    except (ValueError, TypeError):
        raise InvalidTypeError(f"{name} must be a 1-d array of floats") from None
    if array.ndim != 1 or array.dtype.kind not in "fiu" or array.dtype.kind == "b":
        raise InvalidTypeError(
            f"{name} must be a 1-d array of floats, got {array.ndim}-d values of type "
            f"{array.dtype.kind == 'O' and 'object' or array.dtype.name}"
        )
    if array.shape[0] != dst.shape[0]:
        raise InvalidValueError(
            f"{name} has {array.shape[0]} entries, expected {dst.shape[0]} (one per transition)"
        )
    floats = array.astype(np.float64)
    bad = np.flatnonzero(~(floats >= 0) | ~np.isfinite(floats))
    if bad.size:
        i = int(bad[0])
        raise InvalidValueError(
            f"{name}[{i}] = {float(floats[i])!r} (transition {int(src[i])} -> {int(dst[i])}) "
            f"is not a {noun} (must be finite and >= 0)"
        )
    return floats


def check_probability_tol(tol: Any) -> float:
    """A probability ``tol``: in ``(0, 1)`` and at least :data:`MIN_TOL`, or an error."""
    value = check_tol(tol, upper=1.0)
    if value < MIN_TOL:
        # Block sums are rounded to integer multiples of tol in int64: below
        # this, floor(p / tol) would overflow and merge everything.
        raise InvalidValueError(
            f"tol={tol!r} is below {MIN_TOL:g}, where rounding block probabilities to "
            "multiples of tol would overflow int64; give exact probabilities (Fractions) "
            "to compare them exactly"
        )
    return value


def check_tol(tol: Any, upper: float = math.inf) -> float:
    """``tol`` as a positive finite float below ``upper``, or an error naming it."""
    if isinstance(tol, (bool, np.bool_)) or not isinstance(tol, numbers.Real):
        raise InvalidTypeError(f"tol must be a float, got {tol!r}")
    value = float(tol)
    if not (math.isfinite(value) and 0 < value < upper):
        bound = "positive and finite" if upper == math.inf else f"in (0, {upper:g})"
        raise InvalidValueError(f"tol must be {bound}, got {tol!r}")
    return value


def _is_exact(x: Any) -> bool:
    if isinstance(x, (bool, np.bool_)):
        return False
    if isinstance(x, (numbers.Rational, np.integer)):
        return True
    return bool(getattr(x, "is_Rational", False))


def entries(data: np.ndarray, src: Ids, dst: Ids, noun: str) -> tuple[bool, np.ndarray]:
    """(exact, values) of matrix entries: Fraction objects if exact, else float64."""
    kind = data.dtype.kind
    if kind == "f":
        values = data.astype(np.float64)
        exact = False
    elif kind in "iu":
        values = np.empty(data.shape[0], dtype=object)
        values[:] = [Fraction(int(x)) for x in data.tolist()]
        exact = True
    elif kind == "O":
        exact, values = _object_entries(data.tolist(), src, dst)
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
            f"{noun} (must be finite and >= 0)"
        )
    return exact, values


def _object_entries(items: list[Any], src: Ids, dst: Ids) -> tuple[bool, np.ndarray]:
    """:func:`entries` of Python objects: all exact or all floats."""
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


def common_denominator(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Integer numerators (Python ints) over the least common denominator."""
    fractions = values.tolist()
    den = 1
    for q in {f.denominator for f in fractions}:
        den = den * q // math.gcd(den, q)
    nums = np.empty(len(fractions), dtype=object)
    nums[:] = [f.numerator * (den // f.denominator) for f in fractions]
    return nums, den


def row_sums(indptr: Ids, values: np.ndarray) -> np.ndarray:
    """The sum of each row's values (0 for an empty row), in the values' dtype."""
    n = indptr.shape[0] - 1
    nonempty = np.diff(indptr) > 0
    sums = np.zeros(n, dtype=values.dtype)
    if values.shape[0]:
        starts = indptr[:-1][nonempty]
        sums[nonempty] = np.add.reduceat(values, starts)
    return sums
