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

from collections.abc import Hashable, Mapping, Sequence
from fractions import Fraction
from types import MappingProxyType
from typing import Any, ClassVar

import numpy as np

import abstractions.systems._probabilities as prob
from abstractions._engine.relation import Relation, quotient_rows
from abstractions._validation import Ids, python_value
from abstractions.exceptions import InvalidTypeError, InvalidValueError, TooLargeError
from abstractions.partition import Partition
from abstractions.systems._parse import (
    check_csr,
    flat,
    matrix_entries,
    row_pointers,
)
from abstractions.systems.base import TransitionSystem

__all__ = ["MarkovChain"]

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
        tol = prob.check_tol(tol)
        if isinstance(matrix, tuple):
            n, src, dst, data = _csr_triple(matrix)
        else:
            n, src, dst, data = matrix_entries(matrix, "matrix")
        exact, values = prob.probabilities(data, src, dst)
        indptr, dst, values = prob.merged(n, src, dst, values)
        num: np.ndarray | None = None
        weights: np.ndarray | None = None
        den = 1
        if exact:
            num, den = prob.common_denominator(values)
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
        tol = prob.check_tol(1e-9 if own["tol"] is None else own["tol"])
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
            den = prob.denominator(cls._needed(own, "denominator"))
            values = prob.numerators(numerators, dst.shape[0])
            indptr, dst, values = prob.merged(n, src, dst, values)
            _check_rows(indptr, values, den, exact=True, tol=tol)
            num = values.astype(np.int64) if den <= prob.EXACT_LIMIT else values
        else:
            if own["denominator"] is not None:
                raise InvalidValueError("denominator goes with numerators, not with probabilities")
            values = prob.float_probabilities(probabilities, src, dst)
            indptr, dst, values = prob.merged(n, src, dst, values)
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

    def _quotient_own(self, P: Partition) -> tuple[Any, ...]:
        src, _, dst, agg = quotient_rows(self._relation(), P.labels, P.representatives())
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


def _check_rows(indptr: Ids, values: np.ndarray, den: int, *, exact: bool, tol: float) -> None:
    n = indptr.shape[0] - 1
    sums = prob.row_sums(indptr, values)
    if exact:
        bad = [s for s, x in enumerate(sums.tolist()) if x != den]
    else:
        # Rows are checked at least to 1e-12: a tiny comparison tol must not
        # reject rows whose sum carries the rounding error of a few additions.
        tol = max(tol, prob.ROW_TOL)
        bad = np.flatnonzero(~(np.abs(sums - 1.0) <= tol)).tolist()
    if bad:
        s = bad[0]
        total: Any = Fraction(int(sums[s]), den) if exact else float(sums[s])
        expect = "exactly" if exact else f"within tol={tol:g}"
        raise InvalidValueError(
            f"row {s} of matrix sums to {total}, not to 1 {expect} (of {n} rows); "
            "every state needs a probability distribution over its successors"
        )


