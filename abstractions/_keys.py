"""Distinct rows of keys: the shared step of quantisers and empirical systems.

Private: :mod:`abstractions.quantizers` and :mod:`abstractions.traces` call
these on checked arrays.
"""

from __future__ import annotations

import numpy as np

import abstractions._config as _config
from abstractions._validation import Ids

__all__ = ["row_ids", "as_key_rows", "first_rows"]


def as_key_rows(values: np.ndarray) -> Ids:
    """A numeric array of shape (N,) or (N, d) as int64 rows that compare like the values.

    Integers and booleans are widened; floats are compared by their bits
    after adding ``0.0`` (so ``-0.0`` and ``0.0`` are one key), and so must be
    finite (the caller checks).
    """
    if values.ndim == 1:
        values = values[:, None]
    if values.dtype.kind in "biu":
        if values.dtype == np.uint64 and values.size and values.max() > np.iinfo(np.int64).max:
            return np.ascontiguousarray(values).view(np.int64)
        return np.ascontiguousarray(values, dtype=np.int64)
    widened = np.ascontiguousarray(values, dtype=np.float64) + 0.0
    return widened.view(np.int64)


def row_ids(keys: Ids) -> tuple[Ids, int]:
    """First-occurrence ids of the rows of ``keys`` (int64, shape (N, d)) and their number."""
    from abstractions._kernels import _row_ids

    keys = np.ascontiguousarray(keys, dtype=np.int64)
    if keys.shape[0] == 0:
        return np.zeros(0, dtype=np.int64), 0
    if keys.shape[1] == 1 or keys.shape[0] < _config.SMALL_INPUT:
        # One column, or few rows: numpy's sort-based unique is as fast and
        # needs no kernel (so no numba to load and compile).
        flat = keys[:, 0] if keys.shape[1] == 1 else keys
        values, first, inverse = np.unique(flat, return_index=True, return_inverse=True, axis=0)
        order = np.argsort(first, kind="stable")
        rank = np.empty(values.shape[0], dtype=np.int64)
        rank[order] = np.arange(values.shape[0], dtype=np.int64)
        return rank[inverse.reshape(-1)], int(values.shape[0])
    ids, count = _row_ids(keys)
    return ids, int(count)


def first_rows(ids: Ids, count: int) -> Ids:
    """Index of the first row with each id (ids numbered by first occurrence)."""
    first = np.full(count, ids.shape[0], dtype=np.int64)
    np.minimum.at(first, ids, np.arange(ids.shape[0], dtype=np.int64))
    return first
