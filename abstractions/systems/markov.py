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

from collections.abc import Mapping
from fractions import Fraction
from typing import Any, ClassVar

import numpy as np

from abstractions._validation import Ids
from abstractions.exceptions import InvalidValueError
from abstractions.systems._chain import (
    ROW_TOL,
    WeightedChain,
    chain_schema,
    check_probability_tol,
    row_sums,
)

__all__ = ["MarkovChain"]


class MarkovChain(WeightedChain):
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

    __slots__ = ()

    kind: ClassVar[str] = "probabilistic"
    schema: ClassVar[Mapping[str, str]] = chain_schema("probabilities")
    _noun: ClassVar[str] = "probability"
    _float_field: ClassVar[str] = "probabilities"

    @classmethod
    def _check_tol(cls, tol: Any) -> float:
        return check_probability_tol(tol)

    def _check_weights(
        self, indptr: Ids, values: np.ndarray, den: int, exact: bool, tol: float
    ) -> None:
        n = indptr.shape[0] - 1
        sums = row_sums(indptr, values)
        if exact:
            bad = [s for s, x in enumerate(sums.tolist()) if x != den]
        else:
            # Rows are checked at least to 1e-12: a tiny comparison tol must not
            # reject rows whose sum carries the rounding error of a few additions.
            tol = max(tol, ROW_TOL)
            bad = np.flatnonzero(~(np.abs(sums - 1.0) <= tol)).tolist()
        if bad:
            s = bad[0]
            total: Any = Fraction(int(sums[s]), den) if exact else float(sums[s])
            expect = "exactly" if exact else f"within tol={tol:g}"
            raise InvalidValueError(
                f"row {s} of matrix sums to {total}, not to 1 {expect} (of {n} rows); "
                "every state needs a probability distribution over its successors"
            )

    # ------------------------------------------------------------------ views

    @property
    def probabilities(self) -> np.ndarray | tuple[Fraction, ...]:
        """Probability of each transition: Fractions if exact, else float64."""
        return self._values()

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
        return self._matrix(sparse, "probability_matrix")
