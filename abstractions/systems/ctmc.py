"""Continuous-time Markov chains: a rate per transition (ordinary lumping on rates).

The functor is ``F(X) = R+^(X)``: a state has a finitely supported map of
non-negative rates to states. An abstraction is complete when every block
is *ordinarily lumpable* for the rates: related states have the same total
rate into every block, their own block and self-loops included (as Storm's
strong bisimulation of a CTMC: nothing is removed from the diagonal). The
abstract system is the lumped CTMC: the rate from a block into a block is
any of its states' total rate into it.

Rates are exact when given as ints, :class:`fractions.Fraction` or sympy
``Rational``: integer numerators over one common denominator, compared
exactly (as Python ints where a row's sum passes ``2**62``). Float rates
are compared after rounding each block's total rate to a multiple of
``tol``, an *absolute* tolerance (default ``1e-9``): choose it far above the
rounding error of the rates (about ``1e-16`` times the largest exit rate)
and far below the smallest real difference between block totals. A
``tol`` so small that ``max exit rate / tol`` passes ``2**53`` is refused:
there the float sums' own rounding error is larger than ``tol`` (so the
answer would depend on the order of additions), and the rounded multiples
would no longer be exact integers. Float answers are checked with the
completion operator as for :class:`~abstractions.MarkovChain`.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any, ClassVar

import numpy as np

from abstractions._validation import Ids
from abstractions.exceptions import InvalidValueError
from abstractions.systems._chain import WeightedChain, chain_schema, row_sums
from abstractions.systems.markov import MarkovChain

__all__ = ["ContinuousTimeMarkovChain"]

#: Float mode: the largest ``max exit rate / tol`` (block totals as exact
#: integer multiples of tol, and float error below tol).
_MAX_RATE_STEPS = float(2**53)


class ContinuousTimeMarkovChain(WeightedChain):
    """A continuous-time Markov chain (CTMC): a matrix of transition rates.

    Also built by :meth:`TransitionSystem.ctmc`.

    Parameters
    ----------
    matrix : 2-d array, sparse matrix or tuple
        ``matrix[s, t]`` is the rate of moving from ``s`` to ``t``: a
        dense square array, any object with ``tocsr()`` (scipy.sparse), or
        CSR arrays ``(indptr, indices, data)`` (repeated entries are
        added). Rates are finite and non-negative; rows need not sum to
        anything, and a row of zeros is an absorbing state. A diagonal
        entry is a self-loop rate, kept as given. Ints,
        :class:`fractions.Fraction` and sympy ``Rational`` entries are
        exact; float entries are compared up to ``tol``. Mixing exact and
        float entries is an error.
    output : array_like, optional
        The output of each state (see
        :class:`~abstractions.systems.LabelledSystem`).
    output_values : sequence, optional
    tol : float, default 1e-9
        Float mode only: block totals of rates are compared after rounding
        to multiples of ``tol`` (absolute); ``max exit rate / tol`` must be
        at most ``2**53``.
    inputs : mapping or sequence of int, optional
        Start states (e.g. the initial state), as for a Computation; by
        default every state.
    state_labels : sequence, optional
        Distinct hashable names of the states.

    Raises
    ------
    InvalidValueError
        For a non-square matrix, a negative or non-finite rate, a ``tol``
        that is not positive and finite, or (floats) one too small for the
        largest exit rate.
    InvalidTypeError
        For entries that are not numbers, or a mix of exact and float.

    See Also
    --------
    MarkovChain : the discrete-time kind (probabilities).

    Notes
    -----
    Zero entries are dropped; the kind's name is ``"ctmc"``. Completeness
    is ordinary lumpability of the rate matrix (Buchholz, "Exact and
    ordinary lumpability in finite Markov chains", 1994), i.e. strong
    bisimulation of the CTMC.

    Examples
    --------
    Two servers that fail at rate 2 each and are repaired at rate 5: the
    states "one of them up" are lumpable.

    >>> from abstractions import minimal_complete_abstraction, output_abstraction
    >>> R = [[0, 2, 2, 0], [5, 0, 0, 2], [5, 0, 0, 2], [0, 5, 5, 0]]
    >>> T = ContinuousTimeMarkovChain(R, output=[2, 1, 1, 0])
    >>> T.exact, T.exit_rates
    (True, (Fraction(4, 1), Fraction(7, 1), Fraction(7, 1), Fraction(10, 1)))
    >>> minimal_complete_abstraction(T, output_abstraction(T)).labels
    array([0, 1, 1, 2])
    """

    __slots__ = ()

    kind: ClassVar[str] = "ctmc"
    schema: ClassVar[Mapping[str, str]] = chain_schema("rates")
    _noun: ClassVar[str] = "rate"
    _float_field: ClassVar[str] = "rates"

    def _check_weights(
        self, indptr: Ids, values: np.ndarray, den: int, exact: bool, tol: float
    ) -> None:
        if exact or not values.size:
            return  # exact sums beyond int64 are Python ints: nothing overflows
        exits = row_sums(indptr, values)
        s = int(np.argmax(exits))
        if exits[s] / tol > _MAX_RATE_STEPS:
            raise InvalidValueError(
                f"tol={tol!r} is too small for the exit rate {float(exits[s])!r} of state {s}: "
                f"block totals are compared as multiples of tol, and exit rate / tol must be "
                f"at most 2**53 (float sums of these rates are not accurate to tol); use "
                f"tol >= {float(exits[s]) / _MAX_RATE_STEPS:.3g}, or exact rates (Fractions)"
            )

    # ------------------------------------------------------------------ views

    @property
    def rates(self) -> np.ndarray | tuple[Fraction, ...]:
        """Rate of each transition: Fractions if exact, else float64."""
        return self._values()

    @property
    def exit_rates(self) -> np.ndarray | tuple[Fraction, ...]:
        """Total rate out of each state, self-loops included: Fractions if exact, else float64.

        Examples
        --------
        >>> ContinuousTimeMarkovChain([[1.0, 2.0], [0.0, 0.0]]).exit_rates
        array([3., 0.])
        """
        if self._num is None:
            assert self._weights is not None
            return row_sums(self._indptr, self._weights)
        sums = row_sums(self._indptr, self._num).tolist()
        return tuple(Fraction(int(x), self._den) for x in sums)

    def rate_matrix(self, sparse: bool = False) -> Any:
        """The rate matrix: dense (Fractions if exact) for small chains, or scipy.sparse.

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
        >>> ContinuousTimeMarkovChain([[0.0, 3.0], [1.5, 0.0]]).rate_matrix()
        array([[0. , 3. ],
               [1.5, 0. ]])
        """
        return self._matrix(sparse, "rate_matrix")

    def embedded(self) -> MarkovChain:
        """The embedded jump chain: ``P[s, t] = R[s, t] / E(s)``; absorbing states loop.

        Exact rates give an exact chain. Outputs, inputs and state names
        carry over.

        Examples
        --------
        >>> ContinuousTimeMarkovChain([[0, 1, 3], [0, 0, 0], [0, 0, 0]]).embedded().probabilities
        (Fraction(1, 4), Fraction(3, 4), Fraction(1, 1), Fraction(1, 1))
        """
        n = self.n
        lengths = np.diff(self._indptr)
        absorbing = np.flatnonzero(lengths == 0)
        src = np.concatenate([self._sources(), absorbing])
        dst = np.concatenate([self._targets, absorbing])
        exits = self.exit_rates
        values: Any
        if self._num is None:
            assert self._weights is not None
            assert isinstance(exits, np.ndarray)
            jumps = self._weights / exits[self._sources()]
            values = np.concatenate([jumps, np.ones(absorbing.size)])
        else:
            values = np.empty(dst.shape[0], dtype=object)
            totals = row_sums(self._indptr, self._num).tolist()
            values[:] = [
                Fraction(int(x), int(totals[s]))
                for x, s in zip(self._num.tolist(), self._sources().tolist())
            ] + [Fraction(1)] * absorbing.size
        return self._chain(n, src, dst, values)

    def uniformised(self, rate: Any = None) -> MarkovChain:
        """The uniformised chain ``P = I + (R - diag(E)) / q`` for a rate ``q >= max E``.

        Parameters
        ----------
        rate : number, optional
            The uniformisation rate ``q`` (an exact number keeps exact
            rates exact); by default the largest exit rate (1 if every
            state is absorbing).

        Raises
        ------
        InvalidValueError
            If ``rate`` is below the largest exit rate, or not positive.

        Notes
        -----
        A partition complete for the CTMC is complete for the uniformised
        chain, not conversely: uniformising cancels self-loops (``P[s, s]``
        depends only on the rates to other states), so the uniformised
        chain is lumped by the *generator* ``R - diag(E)``, which ignores
        the rate into a state's own block. This kind follows Storm and
        counts self-loop rates.

        Examples
        --------
        >>> ContinuousTimeMarkovChain([[0, 2], [1, 0]]).uniformised().probabilities
        (Fraction(1, 1), Fraction(1, 2), Fraction(1, 2))
        """
        exits = self.exit_rates
        top = max(exits, default=0)
        q: Any = (top if top > 0 else 1) if rate is None else rate
        if self.exact:
            try:
                q = Fraction(q)
            except (TypeError, ValueError):
                raise InvalidValueError(f"rate must be a number, got {rate!r}") from None
        if not q > 0 or q < top:
            raise InvalidValueError(
                f"rate must be at least the largest exit rate {top}, got {rate!r}"
            )
        n = self.n
        src = np.concatenate([self._sources(), np.arange(n, dtype=np.int64)])
        dst = np.concatenate([self._targets, np.arange(n, dtype=np.int64)])
        values: Any
        if self._num is None:
            assert self._weights is not None
            q = float(q)
            values = np.concatenate([self._weights / q, 1.0 - np.asarray(exits) / q])
        else:
            values = np.empty(dst.shape[0], dtype=object)
            values[:] = [x / q for x in self.rates] + [1 - e / q for e in exits]
        return self._chain(n, src, dst, values)

    def _chain(self, n: int, src: Ids, dst: Ids, values: np.ndarray) -> MarkovChain:
        """A MarkovChain of these states from COO entries (repeats added), shared fields kept."""
        order = np.argsort(src, kind="stable")
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
        chain = MarkovChain((indptr, dst[order], values[order]))
        own = tuple(getattr(chain, name) for name in chain._own_fields())
        result: MarkovChain = MarkovChain._assemble(self._shared(), own)
        return result
