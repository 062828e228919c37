"""Parsing shared by the kinds of transition system: CSR arrays, matrices, labels.

Each function checks user input and returns int64 arrays, or raises an
error of the library's hierarchy naming the argument and the value.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from abstractions._engine.primitives import row_pointers
from abstractions._engine.relation import sort_order
from abstractions._validation import Ids, as_index_array, python_value
from abstractions.exceptions import InvalidTypeError, InvalidValueError
from abstractions.partition import canonical_labels, first_occurrences

__all__ = [
    "is_sparse",
    "row_pointers",
    "state_id",
    "check_csr",
    "check_pointers",
    "flat",
    "label_ids",
    "matrix_entries",
    "sorted_transitions",
]

def is_sparse(value: Any) -> bool:
    return hasattr(value, "tocsr") and hasattr(value, "shape")


def state_id(state: Any, n: int) -> int:
    if isinstance(state, (bool, np.bool_)) or not isinstance(state, numbers.Integral):
        raise InvalidTypeError(f"state must be an integer, got {state!r}")
    s = int(state)
    if not 0 <= s < n:
        raise InvalidValueError(f"state {s} is out of range for {n} states")
    return s


def check_pointers(values: Any, name: str) -> Ids:
    """Row pointers: at least one entry, starting at 0, never decreasing."""
    ptr = as_index_array(values, name)
    if ptr.shape[0] == 0:
        raise InvalidValueError(f"{name} must have n + 1 >= 1 entries")
    if ptr[0] != 0:
        raise InvalidValueError(f"{name} must start at 0, got {int(ptr[0])}")
    drops = np.flatnonzero(np.diff(ptr) < 0)
    if drops.size:
        i = int(drops[0])
        raise InvalidValueError(
            f"{name} must not decrease: {name}[{i}] = {int(ptr[i])} > "
            f"{name}[{i + 1}] = {int(ptr[i + 1])}"
        )
    return ptr


def check_csr(indptr: Any, indices: Any, name: str) -> tuple[int, Ids, Ids]:
    """Checked CSR arrays: (n, sources, targets) of a square relation."""
    ptr = check_pointers(indptr, f"{name} indptr")
    n = ptr.shape[0] - 1
    dst = as_index_array(indices, f"{name} indices", n=n)
    if dst.shape[0] != ptr[-1]:
        raise InvalidValueError(
            f"{name} indices has {dst.shape[0]} entries but indptr ends at {int(ptr[-1])}"
        )
    if n == 0:
        raise InvalidValueError(f"{name} must have at least one state")
    src = np.repeat(np.arange(n, dtype=np.int64), np.diff(ptr))
    return n, src, dst.copy()


def flat(values: Any) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1:
        array = np.empty(len(values), dtype=object)
        array[:] = list(values)
    return array


def label_ids(labels: np.ndarray) -> tuple[Ids, tuple[Any, ...]]:
    """Symbol ids by first occurrence, and the symbols themselves."""
    ids, _ = canonical_labels(labels, "labels")
    names = tuple(python_value(x) for x in labels[first_occurrences(ids)].tolist())
    return ids, names


def matrix_entries(matrix: Any, name: str) -> tuple[int, Ids, Ids, np.ndarray]:
    """(n, rows, cols, values) of the nonzero entries of a square matrix."""
    if is_sparse(matrix):
        csr = matrix.tocsr()
        if csr.shape[0] != csr.shape[1]:
            raise InvalidValueError(f"{name} must be square, got shape {csr.shape}")
        coo = csr.tocoo()
        rows = np.asarray(coo.row, dtype=np.int64)
        cols = np.asarray(coo.col, dtype=np.int64)
        data = np.asarray(coo.data)
        n = int(csr.shape[0])
    else:
        if isinstance(matrix, np.ndarray):
            dense = matrix
        else:
            try:
                dense = np.asarray(matrix)
            except (ValueError, TypeError) as err:
                raise InvalidValueError(f"{name} must be a square 2-d array: {err}") from None
            if dense.dtype.kind in "OUS":
                dense = np.array(matrix, dtype=object)
        if dense.ndim != 2 or dense.shape[0] != dense.shape[1]:
            raise InvalidValueError(f"{name} must be a square 2-d array, got shape {dense.shape}")
        n = int(dense.shape[0])
        if dense.dtype.kind == "b":
            rows, cols = np.nonzero(dense)
        else:
            try:
                rows, cols = np.nonzero(dense != 0)
            except TypeError:
                raise InvalidTypeError(f"{name} entries must be numbers") from None
        rows = rows.astype(np.int64)
        cols = cols.astype(np.int64)
        data = dense[rows, cols]
    if n == 0:
        raise InvalidValueError(f"{name} must have at least one state")
    return n, rows, cols, data


def sorted_transitions(
    src: Ids, dst: Ids, sym: Ids, n: int, k: int
) -> tuple[Ids, Ids, Ids, Ids]:
    """Transitions sorted by (source, symbol, target), with the order used."""
    order = sort_order(src, sym, dst, n, k)
    return src[order], dst[order], sym[order], order
