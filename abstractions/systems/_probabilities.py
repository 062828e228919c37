"""Probabilities shared by the probabilistic kinds: exact Fractions or floats up to ``tol``.

Parsing and checking for :class:`~abstractions.systems.MarkovChain` and
:class:`~abstractions.systems.MarkovDecisionProcess`: each function checks
user input and returns arrays, or raises an error of the library's
hierarchy naming the argument and the value.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from fractions import Fraction
from typing import Any

import numpy as np

from abstractions._validation import Ids, python_value
from abstractions.exceptions import InvalidTypeError, InvalidValueError
from abstractions.systems._parse import row_pointers, sorted_transitions

__all__ = [
    "EXACT_LIMIT",
    "ROW_TOL",
    "MIN_TOL",
    "merged",
    "denominator",
    "numerators",
    "float_probabilities",
    "check_tol",
    "probabilities",
    "common_denominator",
    "row_sums",
]

#: Exact numerators over a common denominator up to this bound are summed
#: in int64 (a row's numerators sum to the denominator, so nothing overflows).
EXACT_LIMIT = 1 << 62

#: Float rows must sum to 1 within max(tol, this).
ROW_TOL = 1e-12

#: The smallest float tolerance: probabilities / tol must fit in int64.
MIN_TOL = 1e-18


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


def denominator(value: Any) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise InvalidTypeError(f"denominator must be an integer, got {value!r}")
    if int(value) < 1:
        raise InvalidValueError(f"denominator must be at least 1, got {int(value)}")
    return int(value)


def numerators(values: Any, count: int) -> np.ndarray:
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


def float_probabilities(values: Any, src: Ids, dst: Ids) -> np.ndarray:
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
            f"probabilities has {array.shape[0]} entries, expected {dst.shape[0]} "
            "(one per transition)"
        )
    floats = array.astype(np.float64)
    bad = np.flatnonzero(~(floats >= 0) | ~np.isfinite(floats))
    if bad.size:
        i = int(bad[0])
        raise InvalidValueError(
            f"probabilities[{i}] = {float(floats[i])!r} "
            f"(transition {int(src[i])} -> {int(dst[i])}) "
            "is not a probability (must be finite and >= 0)"
        )
    return floats


def check_tol(tol: Any) -> float:
    if isinstance(tol, (bool, np.bool_)) or not isinstance(tol, numbers.Real):
        raise InvalidTypeError(f"tol must be a float, got {tol!r}")
    value = float(tol)
    if not (math.isfinite(value) and 0 < value < 1):
        raise InvalidValueError(f"tol must be in (0, 1), got {tol!r}")
    if value < MIN_TOL:
        # Block sums are rounded to integer multiples of tol in int64: below
        # this, floor(p / tol) would overflow and merge everything.
        raise InvalidValueError(
            f"tol={tol!r} is below {MIN_TOL:g}, where rounding block probabilities to "
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


def probabilities(data: np.ndarray, src: Ids, dst: Ids) -> tuple[bool, np.ndarray]:
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
    """:func:`probabilities` of Python objects: all exact or all floats."""
    values = np.empty(len(items), dtype=object)
    if all(type(x) is Fraction for x in items):
        # The common case first: Fractions already (the exact type, so no
        # subclass slips through) are kept as they are.
        values[:] = items
        return True, values
    exact_mask = [_is_exact(x) for x in items]
    if all(exact_mask):
        values[:] = [
            Fraction(int(x.p), int(x.q))
            if hasattr(x, "q") and not isinstance(x, Fraction)
            else Fraction(x)
            for x in items
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
    """Integer numerators over the least common denominator."""
    fractions = values.tolist()
    den = 1
    for q in {f.denominator for f in fractions}:
        den = den * q // math.gcd(den, q)
    nums = [f.numerator * (den // f.denominator) for f in fractions]
    if den <= EXACT_LIMIT:
        return np.asarray(nums, dtype=np.int64).reshape(-1), den
    big = np.empty(len(nums), dtype=object)
    big[:] = nums
    return big, den


def row_sums(indptr: Ids, values: np.ndarray) -> np.ndarray:
    n = indptr.shape[0] - 1
    nonempty = np.diff(indptr) > 0
    sums = np.zeros(n, dtype=values.dtype)
    if values.shape[0]:
        starts = indptr[:-1][nonempty]
        sums[nonempty] = np.add.reduceat(values, starts)
    return sums
