"""Quantisers: from recorded activation vectors to finitely many observed states.

A learned computation's states are vectors of real numbers; the framework
needs a finite state set. A *quantiser* maps an array of observations,
shape ``(N, d)``, to one key per observation: an int array of shape ``(N,)``
or ``(N, d')`` (rows are compared exactly), or a sequence of ``N``
hashable values. Observations with equal keys become one state of the
empirical system (:func:`~abstractions.traces.from_traces`). Three kinds:

* :class:`GridQuantizer`: round every coordinate to a multiple of a
  resolution (Omlin and Giles' partition of the activation cube);
* :class:`KMeansQuantizer`: the nearest of ``k`` centres fitted by k-means
  (scikit-learn, the optional ``learned`` extra);
* any callable with the signature above.

A quantiser that learns from data has a ``fit(X)`` method; the functions
that take a quantiser fit it on the observations they are given when it
is not fitted yet (``fitted`` is False).
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import numpy.typing as npt

from abstractions._keys import as_key_rows, first_rows, row_ids
from abstractions.exceptions import InvalidTypeError, InvalidValueError

__all__ = ["GridQuantizer", "KMeansQuantizer", "Keys", "check_finite"]

#: Quantised observations: one int64 row per observation.
Keys = npt.NDArray[np.int64]


def check_finite(X: np.ndarray, name: str) -> None:
    """Raise naming ``name`` and the first position of a NaN or infinity in ``X``.

    Examples
    --------
    >>> check_finite(np.array([[0.0, np.nan]]), "states")
    Traceback (most recent call last):
    ...
    abstractions.exceptions.InvalidValueError: states holds nan at index (0, 1); recorded activations must be finite (a NaN usually means the network diverged)
    """
    if X.dtype.kind not in "fc":
        return
    bad = ~np.isfinite(X)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        shown = where[0] if len(where) == 1 else where
        raise InvalidValueError(
            f"{name} holds {X[where].item()!r} at index {shown}; recorded activations must be "
            "finite (a NaN usually means the network diverged)"
        )


def _as_observations(X: Any, name: str = "X") -> np.ndarray:
    """``X`` as a finite 2-d float array ``(N, d)`` (a 1-d array is one coordinate)."""
    try:
        array = np.asarray(X)
    except (ValueError, TypeError) as err:
        raise InvalidValueError(f"{name} must be an array of observations: {err}") from None
    if array.dtype.kind not in "biuf":
        raise InvalidTypeError(
            f"{name} must hold numbers to quantise, got dtype {array.dtype}"
        )
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2:
        raise InvalidValueError(
            f"{name} must have shape (observations, features), got shape {array.shape}"
        )
    check_finite(array, name)
    return array


class GridQuantizer:
    """Round every coordinate to the nearest multiple of ``resolution``.

    The cells of the grid are the observed states: two activation vectors
    are one state when they round to the same multiples. A coarse grid
    (e.g. ``1.0`` on a tanh network) reads only the signs of saturated
    units.

    Parameters
    ----------
    resolution : float or array_like of float
        The cell width, one for all coordinates or one per coordinate;
        positive and finite.
    offset : float, default 0.0
        Cells are centred on ``offset + resolution * k``.

    Raises
    ------
    InvalidValueError
        For a resolution that is not positive and finite.

    Examples
    --------
    >>> q = GridQuantizer(0.5)
    >>> q(np.array([[0.1, 0.7], [-0.3, 0.9]]))
    array([[ 0,  1],
           [-1,  2]])
    """

    fitted = True
    resolution: np.ndarray
    offset: float

    def __init__(self, resolution: Any = 0.5, offset: float = 0.0) -> None:
        res = np.asarray(resolution, dtype=np.float64)
        if res.ndim > 1 or not np.all(np.isfinite(res)) or not np.all(res > 0):
            raise InvalidValueError(
                f"resolution must be a positive finite number (or one per coordinate), "
                f"got {resolution!r}"
            )
        if not isinstance(offset, numbers.Real) or not np.isfinite(offset):
            raise InvalidValueError(f"offset must be a finite number, got {offset!r}")
        self.resolution = res
        self.offset = float(offset)

    def fit(self, X: Any) -> GridQuantizer:
        """Nothing to learn: a grid is fixed (returns ``self``)."""
        return self

    def __call__(self, X: Any) -> Keys:
        """The grid cell of each row of ``X``, shape ``(N, d)``."""
        array = _as_observations(X)
        if self.resolution.ndim == 1 and self.resolution.shape[0] != array.shape[1]:
            raise InvalidValueError(
                f"resolution has {self.resolution.shape[0]} entries, but the observations "
                f"have {array.shape[1]} coordinates"
            )
        # One multiply in the observations' own precision (float32 activations
        # stay float32), then a rounding cast: three passes over the data.
        dtype = array.dtype if array.dtype.kind == "f" else np.dtype(np.float64)
        scale = (1.0 / self.resolution).astype(dtype)
        scaled = array - dtype.type(self.offset) if self.offset else array.astype(dtype, copy=False)
        cells: Keys = np.rint(scaled * scale).astype(np.int64)
        return cells

    def __repr__(self) -> str:
        res = self.resolution.tolist()
        return f"GridQuantizer({res!r})" if not self.offset else (
            f"GridQuantizer({res!r}, offset={self.offset!r})"
        )


class KMeansQuantizer:
    """The nearest of ``k`` centres found by k-means (scikit-learn).

    Needs the optional extra: ``pip install 'abstractions[learned]'``
    (scikit-learn). Fit it with :meth:`fit`, or let
    :func:`~abstractions.traces.from_traces` fit it on the observations it
    is given.

    Parameters
    ----------
    k : int
        Number of centres (the most states the quantiser can tell apart).
    seed : int, default 0
        Seed of the k-means initialisation: the same data give the same
        centres.
    n_init : int, default 4
        Number of k-means runs; the best is kept.

    Raises
    ------
    InvalidValueError
        For ``k < 1``.

    Examples
    --------
    >>> q = KMeansQuantizer(2).fit(np.array([[0.0], [0.1], [5.0], [5.2]]))
    >>> near, also_near, far = q(np.array([[0.05], [0.0], [4.9]])).tolist()
    >>> near == also_near != far             # the ids are k-means' own
    True
    """

    k: int
    seed: int
    n_init: int

    def __init__(self, k: int, *, seed: int = 0, n_init: int = 4) -> None:
        if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1:
            raise InvalidValueError(f"k must be a positive integer, got {k!r}")
        if isinstance(n_init, bool) or not isinstance(n_init, numbers.Integral) or n_init < 1:
            raise InvalidValueError(f"n_init must be a positive integer, got {n_init!r}")
        self.k = int(k)
        self.seed = int(seed)
        self.n_init = int(n_init)
        self.centres: np.ndarray | None = None
        self._model: Any = None

    @property
    def fitted(self) -> bool:
        """Whether the centres are known."""
        return self._model is not None

    def fit(self, X: Any) -> KMeansQuantizer:
        """Find the centres of the observations ``X`` (shape ``(N, d)``); returns ``self``."""
        try:
            from sklearn.cluster import KMeans
        except ImportError:  # pragma: no cover - depends on the environment
            raise ImportError(
                "KMeansQuantizer needs scikit-learn: pip install 'abstractions[learned]'"
            ) from None
        array = _as_observations(X)
        # Fitting on distinct rows only gives the same centres on saturated
        # networks (many repeated vectors) in a fraction of the time.
        ids, count = row_ids(as_key_rows(array))
        distinct = array[first_rows(ids, count)]
        counts = np.bincount(ids, minlength=count)
        k = min(self.k, distinct.shape[0])
        model = KMeans(n_clusters=k, n_init=self.n_init, random_state=self.seed)
        model.fit(distinct, sample_weight=counts)
        self._model = model
        self.centres = model.cluster_centers_
        return self

    def __call__(self, X: Any) -> Keys:
        """The index of the nearest centre of each row of ``X``, shape ``(N,)``."""
        if self._model is None:
            raise InvalidValueError(
                "the KMeansQuantizer is not fitted: call .fit(observations) first"
            )
        array = _as_observations(X)
        labels: Keys = self._model.predict(array.astype(self._model.cluster_centers_.dtype))
        return labels.astype(np.int64)

    def __repr__(self) -> str:
        return f"KMeansQuantizer({self.k}, seed={self.seed})"
