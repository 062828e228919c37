"""Transition systems beyond one step function.

A :class:`Computation` has one transition function. The same theory covers
other kinds of transition (the seed framework's coalgebras): a state's
*successor structure* ``xi(s)`` lives in ``F(M)`` for a functor ``F``, and an
abstraction ``alpha`` is complete when ``alpha(s) = alpha(t)`` implies
``F(alpha)(xi(s)) = F(alpha)(xi(t))``. The completion operator is
``C(alpha) = alpha | ker(F(alpha) . xi)``, monotone and extensive as before,
so Knaster--Tarski again gives a least complete abstraction above any
``beta``. Three functors are supported, through one class:

``"labelled"`` (``F(X) = X^A``, a DFA or Moore machine)
    one step function per symbol; complete iff ``alpha >= step_a*(alpha)``
    for every symbol ``a``. The least complete abstraction above the output
    kernel is the minimal Moore machine (the minimal DFA for an
    accept/reject output).
``"nondeterministic"`` (``F(X) = P(A x X)``, a Kripke structure or labelled
transition system)
    a relation; complete iff related states reach the same set of
    (action, block) pairs. The least complete abstraction above ``beta`` is
    the coarsest strong bisimulation refining ``beta``.
``"probabilistic"`` (``F(X) = D(X)``, a discrete-time Markov chain)
    a row-stochastic matrix; complete iff every block is *ordinarily
    lumpable*: related states have the same probability of moving into
    each block. The abstract system is the lumped chain.

All three are stored as one CSR relation (``indptr``, ``targets``) with an
optional symbol per transition and, for Markov chains, a probability per
transition. One refinement engine computes all three minimal complete
abstractions in O(m log n): whole rounds of the completion operator while
each at least doubles the number of blocks (one streaming pass each,
:mod:`abstractions._kernels.signatures`; a handful of them finish a random
system), then Paige–Tarjan splitters (:mod:`abstractions._kernels.splitters`)
from the last two partitions, so that a system whose blocks split slowly
(a long chain) never costs a round per block.

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
from typing import Any

import numpy as np

from abstractions._validation import Ids, as_index_array, readonly
from abstractions.exceptions import (
    InvalidTypeError,
    InvalidValueError,
    NotCompleteError,
    TooLargeError,
)
from abstractions.computation import Computation, Values, _check_output, _python
from abstractions.partition import (
    Partition,
    _first_occurrence,
    _pair_ids,
    canonical_labels,
    first_occurrences,
)

__all__ = ["TransitionSystem", "KINDS"]

#: The kinds of transition a :class:`TransitionSystem` can have.
KINDS: tuple[str, ...] = ("labelled", "nondeterministic", "probabilistic")

#: Exact numerators over a common denominator up to this bound are summed
#: in int64 (a row's numerators sum to the denominator, so nothing overflows).
_EXACT_LIMIT = 1 << 62
#: A Mersenne prime: beyond the int64 bound, numerators are summed modulo
#: it and the result is checked exactly afterwards.
_PRIME = (1 << 61) - 1
#: Symbols that fit one bit each in an int64 key.
_MAX_BIT_SYMBOLS = 62
#: The signature rounds' hash salt (any odd 64-bit constant).
_SALT = 0x9E3779B97F4A7C15
#: Float rows must sum to 1 within max(tol, this).
_ROW_TOL = 1e-12
#: Largest matrix :meth:`TransitionSystem.probability_matrix` builds.
_DENSE_MAX_STATES = 5000


class TransitionSystem:
    """A finite system whose transition is not a single function.

    Build one with :meth:`labelled`, :meth:`nondeterministic`,
    :meth:`probabilistic` or :meth:`from_computation`; then use the same
    functions as for a :class:`~abstractions.Computation`:
    :func:`~abstractions.is_complete`, :func:`~abstractions.find_violation`,
    :func:`~abstractions.completion`,
    :func:`~abstractions.minimal_complete_abstraction`,
    :func:`~abstractions.abstract_computation` and
    :func:`~abstractions.output_abstraction`.

    The transitions are stored as CSR arrays: the transitions of state ``s``
    are ``indptr[s]:indptr[s+1]``, with target ``targets[j]``, symbol id
    ``edge_labels[j]`` (labelled systems, and nondeterministic ones given
    action labels) and, for Markov chains, probability ``probabilities[j]``.
    Objects are immutable.

    Examples
    --------
    A DFA over ``{0, 1}`` that tracks the number read so far modulo 6 and
    accepts multiples of 3: the minimal DFA has 3 states.

    >>> import numpy as np
    >>> from abstractions import TransitionSystem, output_abstraction
    >>> from abstractions import minimal_complete_abstraction
    >>> v = np.arange(6)
    >>> T = TransitionSystem.labelled({0: 2 * v % 6, 1: (2 * v + 1) % 6},
    ...                               output=v % 3 == 0)
    >>> minimal_complete_abstraction(T, output_abstraction(T)).labels
    array([0, 1, 2, 0, 1, 2])
    """

    __slots__ = (
        "_kind",
        "_indptr",
        "_targets",
        "_edge_labels",
        "_symbols",
        "_num",
        "_den",
        "_weights",
        "_tol",
        "_output",
        "_output_values",
        "_fractions",
    )

    _kind: str
    _indptr: Ids
    _targets: Ids
    _edge_labels: Ids | None
    _symbols: tuple[Any, ...] | None
    _num: np.ndarray | None
    _den: int
    _weights: np.ndarray | None
    _tol: float
    _output: Ids
    _output_values: Values
    _fractions: tuple[Fraction, ...] | None

    def __init__(self) -> None:
        raise InvalidTypeError(
            "build a TransitionSystem with TransitionSystem.labelled, .nondeterministic, "
            ".probabilistic or .from_computation"
        )

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("TransitionSystem objects are immutable")

    @classmethod
    def _make(
        cls,
        kind: str,
        indptr: Ids,
        targets: Ids,
        *,
        edge_labels: Ids | None = None,
        symbols: tuple[Any, ...] | None = None,
        num: np.ndarray | None = None,
        den: int = 1,
        weights: np.ndarray | None = None,
        tol: float = 1e-9,
        output: Ids,
        output_values: Values,
    ) -> TransitionSystem:
        """Assemble from checked arrays (which the object then owns)."""
        self = object.__new__(cls)
        setter = object.__setattr__
        setter(self, "_kind", kind)
        setter(self, "_indptr", readonly(indptr))
        setter(self, "_targets", readonly(targets))
        setter(self, "_edge_labels", None if edge_labels is None else readonly(edge_labels))
        setter(self, "_symbols", symbols)
        setter(self, "_num", None if num is None else readonly(num))
        setter(self, "_den", den)
        setter(self, "_weights", None if weights is None else readonly(weights))
        setter(self, "_tol", tol)
        setter(self, "_output", readonly(output))
        setter(self, "_output_values", output_values)
        setter(self, "_fractions", None)
        return self

    # ------------------------------------------------------------------
    # Constructors

    @classmethod
    def labelled(
        cls,
        steps: Any,
        *,
        output: Any = None,
        output_values: Sequence[Any] | None = None,
        symbols: Sequence[Hashable] | None = None,
    ) -> TransitionSystem:
        """A deterministic system with one step function per input symbol.

        Parameters
        ----------
        steps : array_like of shape (k, n), or mapping
            Row ``a`` is the step function on symbol ``a``. A mapping
            ``{symbol: step array}`` names the symbols by its keys.
        output : array_like, optional
            The output of each state (any hashable values, e.g. ``True`` for
            accepting states), or output ids with ``output_values``. Without
            it, every state is its own output (as for a Computation).
        output_values : sequence, optional
            The values the ids in ``output`` stand for.
        symbols : sequence of hashable, optional
            Names of the ``k`` symbols (default ``0 .. k-1``); not with a
            mapping.

        Returns
        -------
        TransitionSystem
            Of kind ``"labelled"``: ``k`` transitions per state, ordered by
            symbol.

        Raises
        ------
        InvalidValueError
            For no symbols, no states, rows of different lengths, a target
            out of range, or repeated symbols.
        InvalidTypeError
            For non-integer targets.

        Examples
        --------
        >>> T = TransitionSystem.labelled({"a": [1, 1], "b": [0, 0]}, output=[0, 1])
        >>> T.kind, T.n, T.m, T.symbols
        ('labelled', 2, 4, ('a', 'b'))
        >>> T.steps
        array([[1, 1],
               [0, 0]])
        """
        if isinstance(steps, Mapping):
            if symbols is not None:
                raise InvalidValueError("symbols were given twice: as the keys of steps and as symbols")
            names = tuple(steps.keys())
            rows = [steps[name] for name in names]
        else:
            if isinstance(steps, np.ndarray) and steps.ndim != 2:
                raise InvalidValueError(
                    f"steps must be a 2-d array of shape (symbols, states), got shape {steps.shape}"
                )
            try:
                rows = list(steps)
            except TypeError:
                raise InvalidTypeError(
                    f"steps must be a 2-d array or a mapping of step arrays, "
                    f"got {type(steps).__name__}"
                ) from None
            names = None
        if not rows:
            raise InvalidValueError("steps must have at least one symbol")
        k = len(rows)
        symbol_names = _symbol_names(names if names is not None else symbols, k)
        first = as_index_array(rows[0], f"steps[{symbol_names[0]!r}]")
        n = first.shape[0]
        if n == 0:
            raise InvalidValueError("steps must have at least one state")
        table = np.empty((k, n), dtype=np.int64)
        for a, row in enumerate(rows):
            table[a] = as_index_array(row, f"steps[{symbol_names[a]!r}]", n=n, length=n)
        indptr, targets, edge_labels = _labelled_csr(table)
        out, values = _outputs(output, output_values, n)
        return cls._make(
            "labelled", indptr, targets, edge_labels=edge_labels, symbols=symbol_names,
            output=out, output_values=values,
        )

    @classmethod
    def nondeterministic(
        cls,
        successors: Any,
        *,
        output: Any = None,
        output_values: Sequence[Any] | None = None,
        labels: Any = None,
    ) -> TransitionSystem:
        """A system whose transition is a relation (a Kripke structure or LTS).

        Parameters
        ----------
        successors : tuple, sequence of sequences, 2-d array or sparse matrix
            ``(indptr, indices)`` CSR arrays; or one sequence of successor
            ids per state; or a square 0/1 (bool) adjacency matrix, dense or
            any object with ``tocsr()`` (scipy.sparse).
        output : array_like, optional
            The observable output of each state (see :meth:`labelled`).
        output_values : sequence, optional
        labels : array_like or sequence of sequences, optional
            An action label per transition (a labelled transition system),
            laid out like ``successors``: a flat array beside CSR
            ``indices``, or one sequence per state. Not with a matrix.

        Returns
        -------
        TransitionSystem
            Of kind ``"nondeterministic"``; repeated transitions are merged
            and each state's transitions are sorted by (label, target). A
            state without successors (a deadlock) is allowed.

        Raises
        ------
        InvalidValueError
            For malformed CSR arrays, a successor out of range, a non-square
            matrix, or labels that do not match the transitions.
        InvalidTypeError
            For successors of another type or non-integer ids.

        Examples
        --------
        >>> T = TransitionSystem.nondeterministic([[1, 2], [1], [2, 2]])
        >>> T.m, T.successors(0), T.successors(2)
        (4, array([1, 2]), array([2]))
        """
        if _is_sparse(successors) or (
            isinstance(successors, np.ndarray) and successors.ndim == 2
        ):
            if labels is not None:
                raise InvalidValueError(
                    "labels need successors as CSR arrays or one sequence per state, not a matrix"
                )
            n, src, dst, _ = _matrix_entries(successors, "successors")
            lab = None
        else:
            n, src, dst, lab = _relation(successors, labels)
        edge_labels, symbols = (None, None) if lab is None else _label_ids(lab)
        sym = np.zeros(src.shape[0], dtype=np.int64) if edge_labels is None else edge_labels
        order = _sort_order(src, sym, dst, n, 1 if symbols is None else len(symbols))
        src, dst, sym = src[order], dst[order], sym[order]
        keep = np.ones(src.shape[0], dtype=bool)
        keep[1:] = (src[1:] != src[:-1]) | (dst[1:] != dst[:-1]) | (sym[1:] != sym[:-1])
        src, dst, sym = src[keep], dst[keep], sym[keep]
        indptr = _indptr(src, n)
        out, values = _outputs(output, output_values, n)
        return cls._make(
            "nondeterministic", indptr, np.ascontiguousarray(dst),
            edge_labels=None if edge_labels is None else np.ascontiguousarray(sym),
            symbols=symbols, output=out, output_values=values,
        )

    @classmethod
    def probabilistic(
        cls,
        matrix: Any,
        *,
        output: Any = None,
        output_values: Sequence[Any] | None = None,
        tol: float = 1e-9,
    ) -> TransitionSystem:
        """A discrete-time Markov chain: a row-stochastic matrix.

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
            The output of each state (see :meth:`labelled`).
        output_values : sequence, optional
        tol : float, default 1e-9
            Float mode only: block probabilities are compared after rounding
            to multiples of ``tol``, and rows must sum to 1 within
            ``max(tol, 1e-12)``.

        Returns
        -------
        TransitionSystem
            Of kind ``"probabilistic"``; zero entries are dropped.

        Raises
        ------
        InvalidValueError
            For a non-square matrix, a negative or non-finite entry, a row
            that does not sum to 1, or a bad ``tol``.
        InvalidTypeError
            For entries that are not numbers, or a mix of exact and float.

        Examples
        --------
        >>> from fractions import Fraction as F
        >>> T = TransitionSystem.probabilistic([[F(1, 2), F(1, 2)], [0, 1]])
        >>> T.exact, T.probabilities
        (True, (Fraction(1, 2), Fraction(1, 2), Fraction(1, 1)))
        """
        tol = _check_tol(tol)
        if isinstance(matrix, tuple):
            n, src, dst, data = _csr_triple(matrix)
        else:
            n, src, dst, data = _matrix_entries(matrix, "matrix")
        exact, values = _probabilities(data, src, dst)
        order = _sort_order(src, np.zeros_like(src), dst, n, 1)
        src, dst = src[order], dst[order]
        values = values[order]
        # Add repeated entries and drop zeros.
        start = np.ones(src.shape[0], dtype=bool)
        start[1:] = (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])
        first = np.flatnonzero(start)
        if first.size:
            values = np.add.reduceat(values, first)
            src, dst = src[first], dst[first]
        nonzero = values != 0
        src, dst, values = src[nonzero], dst[nonzero], values[nonzero]
        indptr = _indptr(src, n)
        out, out_values = _outputs(output, output_values, n)
        if exact:
            num, den = _common_denominator(values)
            _check_rows(indptr, num, den, exact=True, tol=tol)
            return cls._make(
                "probabilistic", indptr, np.ascontiguousarray(dst), num=num, den=den,
                output=out, output_values=out_values,
            )
        weights = np.ascontiguousarray(values, dtype=np.float64)
        _check_rows(indptr, weights, 1, exact=False, tol=tol)
        return cls._make(
            "probabilistic", indptr, np.ascontiguousarray(dst), weights=weights, tol=tol,
            output=out, output_values=out_values,
        )

    @classmethod
    def from_computation(cls, computation: Computation) -> TransitionSystem:
        """The computation's step as a labelled system with one symbol.

        Halted states step to themselves (as the Computation stores them),
        and the outputs carry over; halting itself does not (keep it with
        ``output_abstraction`` of a combined output, or in ``beta``).

        Examples
        --------
        >>> from abstractions import Computation
        >>> TransitionSystem.from_computation(Computation([1, 2, 2])).steps
        array([[1, 2, 2]])
        """
        if not isinstance(computation, Computation):
            raise InvalidTypeError(
                f"computation must be a Computation, got {type(computation).__name__}"
            )
        indptr, targets, edge_labels = _labelled_csr(computation.step.reshape(1, -1))
        return cls._make(
            "labelled",
            indptr,
            targets,
            edge_labels=edge_labels,
            symbols=(0,),
            output=computation.output.copy(),
            output_values=computation.output_values,
        )

    # ------------------------------------------------------------------
    # Views

    @property
    def kind(self) -> str:
        """``"labelled"``, ``"nondeterministic"`` or ``"probabilistic"``."""
        return self._kind

    @property
    def n(self) -> int:
        """Number of states."""
        return int(self._indptr.shape[0] - 1)

    @property
    def m(self) -> int:
        """Number of transitions."""
        return int(self._targets.shape[0])

    @property
    def indptr(self) -> Ids:
        """CSR row pointers: state ``s``'s transitions are ``indptr[s]:indptr[s+1]``."""
        return self._indptr

    @property
    def targets(self) -> Ids:
        """Target state of each transition."""
        return self._targets

    @property
    def edge_labels(self) -> Ids | None:
        """Symbol id of each transition (into :attr:`symbols`), or None if unlabelled."""
        return self._edge_labels

    @property
    def symbols(self) -> tuple[Any, ...] | None:
        """The input symbols or action labels, or None if unlabelled."""
        return self._symbols

    @property
    def steps(self) -> Ids:
        """Labelled systems: the step functions, shape ``(k, n)``."""
        if self._kind != "labelled":
            raise InvalidTypeError(f"steps exist for labelled systems, this one is {self._kind}")
        assert self._symbols is not None  # set by every labelled constructor
        return readonly(self._targets.reshape(self.n, len(self._symbols)).T.copy())

    @property
    def exact(self) -> bool:
        """Probabilistic systems: whether probabilities are exact rationals."""
        return self._num is not None

    @property
    def tol(self) -> float:
        """The float tolerance (used only for float probabilities)."""
        return self._tol

    @property
    def probabilities(self) -> np.ndarray | tuple[Fraction, ...]:
        """Probability of each transition: Fractions if exact, else float64."""
        if self._kind != "probabilistic":
            raise InvalidTypeError(
                f"probabilities exist for probabilistic systems, this one is {self._kind}"
            )
        if self._num is None:
            assert self._weights is not None
            return self._weights
        fractions = self._fractions
        if fractions is None:
            # Built once: loops that index probabilities[j] stay linear.
            fractions = tuple(Fraction(int(p), self._den) for p in self._num.tolist())
            object.__setattr__(self, "_fractions", fractions)
        return fractions

    @property
    def output(self) -> Ids:
        """Output id of each state (into :attr:`output_values`)."""
        return self._output

    @property
    def output_values(self) -> Values:
        """The distinct output values, indexed by output id."""
        return self._output_values

    @property
    def n_outputs(self) -> int:
        """Number of distinct output values."""
        return len(self._output_values)

    def successors(self, state: int) -> Ids:
        """The targets of ``state``'s transitions (in stored order)."""
        s = _state(state, self.n)
        return self._targets[self._indptr[s] : self._indptr[s + 1]]

    def probability_matrix(self) -> np.ndarray:
        """The dense transition matrix (Fractions if exact), for small chains.

        Raises
        ------
        TooLargeError
            Above 5000 states.

        Examples
        --------
        >>> T = TransitionSystem.probabilistic([[0.5, 0.5], [0.0, 1.0]])
        >>> T.probability_matrix()
        array([[0.5, 0.5],
               [0. , 1. ]])
        """
        if self._kind != "probabilistic":
            raise InvalidTypeError(
                f"probability_matrix exists for probabilistic systems, this one is {self._kind}"
            )
        n = self.n
        if n > _DENSE_MAX_STATES:
            raise TooLargeError(f"{n} states is too many for a dense matrix (limit {_DENSE_MAX_STATES})")
        src = self._sources()
        if self._num is None:
            dense = np.zeros((n, n), dtype=np.float64)
            dense[src, self._targets] = self._weights
            return dense
        exact = np.full((n, n), Fraction(0), dtype=object)
        for s, t, p in zip(src.tolist(), self._targets.tolist(), self.probabilities):
            exact[s, t] = p
        return exact

    def __repr__(self) -> str:
        extra = ""
        if self._symbols is not None:
            extra = f", {len(self._symbols)} symbols"
        if self._kind == "probabilistic":
            extra = ", exact" if self.exact else f", float (tol={self._tol:g})"
        return f"<TransitionSystem {self._kind}: {self.n} states, {self.m} transitions{extra}>"

    # ------------------------------------------------------------------
    # Internals shared by the algorithms

    def _sources(self) -> Ids:
        return np.repeat(np.arange(self.n, dtype=np.int64), np.diff(self._indptr))

    def _symbol_ids(self) -> Ids:
        if self._edge_labels is None:
            return np.zeros(self.m, dtype=np.int64)
        return self._edge_labels


# ----------------------------------------------------------------------
# Input parsing


def _symbol_names(names: Sequence[Hashable] | None, k: int) -> tuple[Any, ...]:
    if names is None:
        return tuple(range(k))
    names = tuple(_python(x) for x in names)
    if len(names) != k:
        raise InvalidValueError(f"symbols has {len(names)} entries, expected {k} (one per step row)")
    try:
        distinct = len(set(names))
    except TypeError:
        raise InvalidTypeError("symbols must be hashable") from None
    if distinct != k:
        raise InvalidValueError(f"symbols must be distinct, got {names!r}")
    return names


def _labelled_csr(table: Ids) -> tuple[Ids, Ids, Ids]:
    """(indptr, targets, edge_labels) of step functions ``table`` (shape (k, n)).

    State ``s`` has one transition per symbol, in symbol order.
    """
    k, n = table.shape
    indptr = np.arange(0, n * k + 1, k, dtype=np.int64)
    targets = np.ascontiguousarray(table.T, dtype=np.int64).reshape(-1)
    return indptr, targets, np.tile(np.arange(k, dtype=np.int64), n)


def _outputs(output: Any, output_values: Sequence[Any] | None, n: int) -> tuple[Ids, Values]:
    return _check_output(output, output_values, n, None)


def _is_sparse(value: Any) -> bool:
    return hasattr(value, "tocsr") and hasattr(value, "shape")


def _indptr(src: Ids, n: int) -> Ids:
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
    return indptr


def _sort_order(src: Ids, sym: Ids, dst: Ids, n: int, k: int) -> Ids:
    """The order of transitions by (source, symbol, target)."""
    if n * k * n < 2**63:
        # One int64 key sorts several times faster than a three-key lexsort.
        key = (src * k + sym) * n + dst
        if key.shape[0] < 2 or bool(np.all(key[1:] >= key[:-1])):
            return np.arange(key.shape[0])
        return np.argsort(key, kind="stable")
    return np.lexsort((dst, sym, src))


def _state(state: Any, n: int) -> int:
    if isinstance(state, (bool, np.bool_)) or not isinstance(state, numbers.Integral):
        raise InvalidTypeError(f"state must be an integer, got {state!r}")
    s = int(state)
    if not 0 <= s < n:
        raise InvalidValueError(f"state {s} is out of range for {n} states")
    return s


def _check_csr(indptr: Any, indices: Any, name: str) -> tuple[int, Ids, Ids]:
    """Checked CSR arrays: (n, sources, targets) of a square relation."""
    ptr = as_index_array(indptr, f"{name} indptr")
    if ptr.shape[0] == 0:
        raise InvalidValueError(f"{name} indptr must have n + 1 >= 1 entries")
    n = ptr.shape[0] - 1
    if ptr[0] != 0:
        raise InvalidValueError(f"{name} indptr must start at 0, got {int(ptr[0])}")
    drops = np.flatnonzero(np.diff(ptr) < 0)
    if drops.size:
        i = int(drops[0])
        raise InvalidValueError(
            f"{name} indptr must not decrease: indptr[{i}] = {int(ptr[i])} > "
            f"indptr[{i + 1}] = {int(ptr[i + 1])}"
        )
    dst = as_index_array(indices, f"{name} indices", n=n)
    if dst.shape[0] != ptr[-1]:
        raise InvalidValueError(
            f"{name} indices has {dst.shape[0]} entries but indptr ends at {int(ptr[-1])}"
        )
    if n == 0:
        raise InvalidValueError(f"{name} must have at least one state")
    src = np.repeat(np.arange(n, dtype=np.int64), np.diff(ptr))
    return n, src, dst.copy()


def _relation(successors: Any, labels: Any) -> tuple[int, Ids, Ids, np.ndarray | None]:
    """(n, sources, targets, labels or None) from CSR arrays or a list of lists."""
    if isinstance(successors, tuple) and len(successors) == 2:
        n, src, dst = _check_csr(successors[0], successors[1], "successors")
        if labels is None:
            return n, src, dst, None
        lab = _flat(labels)
        if lab.shape[0] != dst.shape[0]:
            raise InvalidValueError(
                f"labels has {lab.shape[0]} entries, expected {dst.shape[0]} (one per transition)"
            )
        return n, src, dst, lab
    if isinstance(successors, (str, bytes)) or not isinstance(successors, Iterable):
        raise InvalidTypeError(
            "successors must be (indptr, indices) arrays, one sequence of successors per "
            f"state, or an adjacency matrix; got {type(successors).__name__}"
        )
    rows = list(successors)
    n = len(rows)
    if n == 0:
        raise InvalidValueError("successors must have at least one state")
    lab_rows = None
    if labels is not None:
        if isinstance(labels, (str, bytes)) or not isinstance(labels, Iterable):
            raise InvalidTypeError("labels must hold one sequence of labels per state")
        lab_rows = list(labels)
        if len(lab_rows) != n:
            raise InvalidValueError(f"labels has {len(lab_rows)} rows, expected {n} (one per state)")
    src_parts, dst_parts, lab_parts = [], [], []
    for s, row in enumerate(rows):
        if isinstance(row, (str, bytes)) or not isinstance(row, Iterable):
            raise InvalidTypeError(f"successors[{s}] must be a sequence of states, got {row!r}")
        targets = as_index_array(list(row), f"successors[{s}]", n=n)
        src_parts.append(np.full(targets.shape[0], s, dtype=np.int64))
        dst_parts.append(targets)
        if lab_rows is not None:
            if isinstance(lab_rows[s], (str, bytes)):
                raise InvalidTypeError(
                    f"labels[{s}] must be a sequence of labels (one per successor), "
                    f"got the string {lab_rows[s]!r}"
                )
            row_labels = list(lab_rows[s])
            if len(row_labels) != targets.shape[0]:
                raise InvalidValueError(
                    f"labels[{s}] has {len(row_labels)} entries, but state {s} has "
                    f"{targets.shape[0]} successors"
                )
            lab_parts.extend(row_labels)
    src = np.concatenate(src_parts)
    dst = np.concatenate(dst_parts)
    if lab_rows is None:
        return n, src, dst, None
    lab = np.empty(len(lab_parts), dtype=object)
    lab[:] = lab_parts
    return n, src, dst, lab


def _flat(values: Any) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1:
        array = np.empty(len(values), dtype=object)
        array[:] = list(values)
    return array


def _label_ids(labels: np.ndarray) -> tuple[Ids, tuple[Any, ...]]:
    ids, _ = canonical_labels(labels, "labels")
    names = tuple(_python(x) for x in labels[first_occurrences(ids)].tolist())
    return ids, names


def _matrix_entries(matrix: Any, name: str) -> tuple[int, Ids, Ids, np.ndarray]:
    """(n, rows, cols, values) of the nonzero entries of a square matrix."""
    if _is_sparse(matrix):
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
    if name == "successors":
        bad = np.flatnonzero(data != 1) if data.dtype.kind != "b" else np.zeros(0, np.int64)
        if bad.size:
            i = int(bad[0])
            raise InvalidValueError(
                f"successors must be a 0/1 adjacency matrix, got {data[i]!r} at "
                f"({int(rows[i])}, {int(cols[i])})"
            )
    return n, rows, cols, data


def _csr_triple(matrix: tuple[Any, ...]) -> tuple[int, Ids, Ids, np.ndarray]:
    if len(matrix) != 3:
        raise InvalidValueError(
            f"matrix as a tuple must be CSR arrays (indptr, indices, data), got {len(matrix)} items"
        )
    n, src, dst = _check_csr(matrix[0], matrix[1], "matrix")
    data = _flat(matrix[2])
    if data.shape[0] != dst.shape[0]:
        raise InvalidValueError(
            f"matrix data has {data.shape[0]} entries, expected {dst.shape[0]} (one per index)"
        )
    return n, src, dst, data


def _check_tol(tol: Any) -> float:
    if isinstance(tol, (bool, np.bool_)) or not isinstance(tol, numbers.Real):
        raise InvalidTypeError(f"tol must be a float, got {tol!r}")
    value = float(tol)
    if not (math.isfinite(value) and 0 < value < 1):
        raise InvalidValueError(f"tol must be in (0, 1), got {tol!r}")
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
            f"matrix entry ({int(src[i])}, {int(dst[i])}) = {_python(values[i])!r} is not a "
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


# ----------------------------------------------------------------------
# Signatures: F(alpha) . xi, one row per (state, symbol, block)


def _edge_keys(T: TransitionSystem) -> tuple[np.ndarray, str]:
    """Per-transition values and how they aggregate: "exists", "sum" or "round"."""
    if T._kind == "nondeterministic":
        return np.ones(T.m, dtype=np.int64), "exists"
    if T._kind == "labelled":
        return np.ones(T.m, dtype=np.int64), "sum"
    if T._num is not None:
        return T._num, "sum"
    assert T._weights is not None
    return T._weights, "round"


def _round(values: np.ndarray, tol: float) -> Ids:
    return np.floor(values * (1.0 / tol) + 0.5).astype(np.int64)


def _signature(T: TransitionSystem, labels: Ids, raw: bool = False) -> tuple[np.ndarray, ...]:
    """Rows ``(state, symbol, block, value)`` sorted by state, symbol, block.

    ``value`` aggregates the transitions of ``state`` on ``symbol`` into
    ``block``: 1 (exists), the exact numerator sum, or (floats) the sum
    rounded to multiples of tol; with ``raw`` the float sum itself.
    """
    src = T._sources()
    sym = T._symbol_ids()
    blk = labels[T._targets]
    k = 1 if T._symbols is None else len(T._symbols)
    order = _sort_order(src, sym, blk, max(int(labels.max(initial=0)) + 1, T.n), k)
    src, sym, blk = src[order], sym[order], blk[order]
    change = np.ones(src.shape[0], dtype=bool)
    change[1:] = (src[1:] != src[:-1]) | (sym[1:] != sym[:-1]) | (blk[1:] != blk[:-1])
    starts = np.flatnonzero(change)
    values, how = _edge_keys(T)
    if how == "exists":
        agg: np.ndarray = np.ones(starts.shape[0], dtype=np.int64)
    elif starts.shape[0]:
        agg = np.add.reduceat(values[order], starts)
        if how == "round":
            # A block probability that rounds to 0 counts as no transition,
            # as in the kernel (where such a state is "untouched").
            rounded = _round(agg, T._tol)
            kept = rounded != 0
            starts = starts[kept]
            agg = agg[kept] if raw else rounded[kept]
    else:
        agg = values[:0]
    return src[starts], sym[starts], blk[starts], agg


def _differs(T: TransitionSystem, P: Partition) -> np.ndarray:
    """Mask of states whose signature differs from their block's first state's."""
    s_g, a_g, b_g, v_g = _signature(T, P.labels)
    n = T.n
    gstart = np.searchsorted(s_g, np.arange(n + 1, dtype=np.int64))
    glen = np.diff(gstart)
    rep = P.representatives()[P.labels]
    bad: np.ndarray = glen != glen[rep]
    cand = np.flatnonzero(~bad & (rep != np.arange(n)) & (glen > 0))
    lens = glen[cand]
    owner = np.repeat(cand, lens)
    offset = np.arange(owner.shape[0], dtype=np.int64) - np.repeat(np.cumsum(lens) - lens, lens)
    i = gstart[owner] + offset
    j = gstart[rep[owner]] + offset
    diff = (a_g[i] != a_g[j]) | (b_g[i] != b_g[j]) | np.asarray(v_g[i] != v_g[j], dtype=bool)
    bad[owner[diff]] = True
    return bad


def _violation(T: TransitionSystem, P: Partition) -> tuple[int, int] | None:
    bad = np.flatnonzero(_differs(T, P))
    if bad.size == 0:
        return None
    m2 = int(bad[0])
    return int(P.representatives()[P.labels[m2]]), m2


def _describe(T: TransitionSystem, P: Partition, m1: int, m2: int) -> str:
    """Where two states' signatures differ, in words (for error messages)."""
    s_g, a_g, b_g, v_g = _signature(T, P.labels, raw=True)

    def rows(s: int) -> dict[tuple[int, int], Any]:
        lo, hi = np.searchsorted(s_g, [s, s + 1])
        return {
            (int(a), int(b)): _python(v)
            for a, b, v in zip(a_g[lo:hi], b_g[lo:hi], v_g[lo:hi])
        }

    r1, r2 = rows(m1), rows(m2)
    for key in sorted(set(r1) | set(r2)):
        v1, v2 = r1.get(key, 0), r2.get(key, 0)
        if T._kind == "probabilistic" and T._num is None:
            same = _round(np.array([v1, v2], dtype=np.float64), T._tol)
            if same[0] == same[1]:
                continue
        elif v1 == v2:
            continue
        a, b = key
        on = "" if T._symbols is None else f" on {T._symbols[a]!r}"
        if T._kind == "probabilistic":
            if T._num is not None:
                v1, v2 = Fraction(v1, T._den), Fraction(v2, T._den)
            return f"move into block {b} with probability {v1} and {v2}"
        if T._kind == "nondeterministic":
            return (
                f"state {m1} {'has a' if v1 else 'has no'} successor{on} in block {b} "
                f"and state {m2} {'does' if v2 else 'does not'}"
            )
        return f"step{on} into different blocks"
    return "have different successor blocks"  # pragma: no cover - called on a violation


def _triple_ids(a: Ids, b: Ids, v: np.ndarray) -> tuple[Ids, int]:
    ka = int(a.max()) + 1 if a.size else 1
    kb = int(b.max()) + 1 if b.size else 1
    ab, kab = _pair_ids(a, ka, b, kb)
    vid, kv = canonical_labels(v, "values")
    return _pair_ids(ab, kab, vid, kv)


def _completion(T: TransitionSystem, P: Partition) -> Partition:
    """``P | ker(F(P) . xi)``: states split by their whole signature."""
    s_g, a_g, b_g, v_g = _signature(T, P.labels)
    n = T.n
    gstart = np.searchsorted(s_g, np.arange(n + 1, dtype=np.int64))
    glen = np.diff(gstart)
    tid, kt = _triple_ids(a_g, b_g, v_g)
    longest = int(glen.max()) if n else 0
    labels, k = _pair_ids(P.labels, P.n_blocks, glen, longest + 1)
    # Position by position: round j refines only the states with more than
    # j rows, so the rounds cost O(number of rows) in all (labels is a
    # fresh array here, so it is updated in place, never copied per round).
    order = np.argsort(-glen, kind="stable")
    # ahead[j]: how many states have more than j rows (a prefix of order).
    ahead = np.searchsorted(-glen[order], -np.arange(longest), side="left")
    if not labels.flags.writeable:
        labels = labels.copy()
    for j in range(longest):
        active = order[: ahead[j]]
        ids, count = _pair_ids(labels[active], k, tid[gstart[active] + j], kt)
        labels[active] = k + ids
        k += count
    labels, k = _first_occurrence(labels, k)
    return Partition._from_canonical(labels, k)


def _reference(T: TransitionSystem, beta: Partition) -> Partition:
    """Kleene iteration of the completion operator (the oracle of the tests)."""
    alpha = beta
    while True:
        nxt = _completion(T, alpha)
        if nxt.n_blocks == alpha.n_blocks:
            return alpha
        alpha = nxt


# ----------------------------------------------------------------------
# The fast path: signature rounds, then the splitter kernel


def _kernel_input(T: TransitionSystem) -> tuple[int, np.ndarray, np.ndarray, int]:
    """(mode, int weights, float weights, modulus) per transition."""
    no_int = np.zeros(0, dtype=np.int64)
    no_float = np.zeros(0, dtype=np.float64)
    if T._kind == "nondeterministic":
        return 0, no_int, no_float, 0
    if T._kind == "labelled":
        assert T._symbols is not None and T._edge_labels is not None
        if len(T._symbols) <= _MAX_BIT_SYMBOLS:
            # One bit per symbol: a block's sum is the set of symbols that
            # step into it, exactly.
            return 1, np.left_shift(np.int64(1), T._edge_labels), no_float, 0
        rng = np.random.default_rng(0)
        per_symbol = rng.integers(1, _PRIME, size=len(T._symbols), dtype=np.int64)
        return 1, per_symbol[T._edge_labels], no_float, _PRIME
    if T._num is None:
        assert T._weights is not None
        return 2, no_int, T._weights, 0
    if T._num.dtype != object:
        return 1, T._num, no_float, 0
    residues = np.asarray([int(x) % _PRIME for x in T._num.tolist()], dtype=np.int64)
    return 1, residues, no_float, _PRIME


def _refine(
    T: TransitionSystem, beta: Partition, mode: int, wi: np.ndarray, wf: np.ndarray,
    modulus: int, salt: int = _SALT,
) -> tuple[Partition, bool | None]:
    """The kernels' least complete partition above ``beta``, and whether it
    is complete: ``True``/``False`` when known, ``None`` when only an exact
    check on the system can tell (sums modulo a prime).

    The partition is never more informative than the least complete one
    (hashes and modular sums can only merge states), so when it is
    complete it is the least one; when not, the caller finishes it.
    """
    from abstractions._kernels import (
        _coarsest_stable,
        _is_stable,
        _predecessors,
        _signature_round,
    )

    indptr, targets = T._indptr, T._targets
    labels, k = beta.labels, beta.n_blocks
    n = T.n
    if T._kind == "nondeterministic" and T._symbols is not None and len(T._symbols) > 1:
        # An LTS as a Kripke structure: one extra state per (state, action)
        # pair, labelled by the action, whose successors are that action's
        # targets. Its bisimulation restricted to the old states is the
        # LTS's bisimulation.
        indptr, targets, labels, k = _split_by_action(T, labels, k)
    # One compiled specialisation: read-only inputs, a writable start.
    indptr, targets, wi, wf = (readonly(a) for a in (indptr, targets, wi, wf))
    start, k_start = labels.copy(), k
    labels = start
    nodes = indptr.shape[0] - 1
    inv_tol = 1.0 / T._tol
    # A deterministic system's signature is a tuple (a block per symbol):
    # its rounds number the tuples exactly, no hashing.
    table = targets.reshape(n, -1) if T._kind == "labelled" else None
    # Whole rounds of the completion operator while they at least double
    # the number of blocks (at most log2 n rounds of O(n + m): on random
    # systems they reach the answer in a handful), then splitters, whose
    # O(m log n) bound holds however slowly the blocks split (long chains).
    splitters = False
    while True:
        if table is not None:
            new, count = _tuple_round(table, labels, k)
        else:
            new, count = _signature_round(
                indptr, targets, wi, wf, mode, modulus, inv_tol, labels, np.uint64(salt)
            )
            count = int(count)
        if count == k or count == nodes:
            result = new
            break
        if count < 2 * k:
            # Every new block is stable with respect to the old blocks (up
            # to hash collisions, which the check below catches): the old
            # partition is the splitter kernel's first constellations.
            within = np.empty(count, dtype=np.int64)
            within[new] = labels
            size = nodes + 2 * targets.shape[0]
            # int32 indices while every index (records included) fits.
            w = np.empty(0, dtype=np.int32 if size < 2**31 - 1 else np.int64)
            pindptr, psrc, pedge = _predecessors(indptr, targets, w)
            # Fresh (writable) weight arrays in every mode: one specialisation.
            pwi = wi[pedge] if wi.size else np.zeros(0, dtype=np.int64)
            pwf = wf[pedge] if wf.size else np.zeros(0, dtype=np.float64)
            result, count = _coarsest_stable(
                pindptr, psrc, pwi, pwf, mode, modulus, inv_tol, new, count, within, w
            )
            count, splitters = int(count), True
            break
        labels, k = new, count
    complete: bool | None = True
    if count < nodes and table is None:
        # Hashed rounds: a collision may even have merged blocks of the
        # start, so join it back, then check exactly (on the system itself
        # where the kernel's own sums are modular).
        result, count = _pair_ids(np.asarray(result, dtype=np.int64), count, start, k_start)
        complete = None if modulus else bool(
            _is_stable(indptr, targets, wi, wf, mode, modulus, inv_tol, result, count)
        )
    elif count < nodes and modulus and splitters:
        complete = None  # exact rounds, then splitters on modular sums
    final, count = _first_occurrence(result[:n], count)
    return Partition._from_canonical(final, count), complete


def _tuple_round(table: Ids, labels: Ids, k: int) -> tuple[Ids, int]:
    """A round of a deterministic system: ids of (block, block of each successor).

    ``table[s, a]`` is the successor of ``s`` on symbol ``a`` and ``labels``
    are ``k`` block ids. The tuple is one mixed-radix int64 code while it
    fits (renumbered to ids below ``n`` when it would not), then numbered
    by first occurrence: exact, no hashing.
    """
    code, per = labels, k
    zeros = np.zeros_like(labels)
    for a in range(table.shape[1]):
        if per * k >= 2**62:
            code, per = _pair_ids(code, per, zeros, 1)
        code, per = code * k + labels[table[:, a]], per * k
    return _pair_ids(code, per, zeros, 1)


def _split_by_action(T: TransitionSystem, labels: Ids, k: int) -> tuple[Ids, Ids, Ids, int]:
    n = T.n
    src = T._sources()
    sym = T._symbol_ids()
    # Transitions are sorted by (state, action, target): pairs are runs.
    new_pair = np.ones(T.m, dtype=bool)
    new_pair[1:] = (src[1:] != src[:-1]) | (sym[1:] != sym[:-1])
    pair_start = np.flatnonzero(new_pair)
    q = pair_start.shape[0]
    pair_src = src[pair_start]
    # Old state s -> its pair states (n + i); pair state -> its targets.
    indptr = np.zeros(n + q + 1, dtype=np.int64)
    indptr[1 : n + 1] = np.cumsum(np.bincount(pair_src, minlength=n))
    pair_ptr = np.append(pair_start, T.m)
    indptr[n + 1 :] = q + pair_ptr[1:]
    targets = np.concatenate([n + np.arange(q, dtype=np.int64), T._targets])
    start = np.concatenate([labels, k + sym[pair_start]])
    assert T._symbols is not None
    return indptr, targets, start, k + len(T._symbols)


def _minimal(T: TransitionSystem, beta: Partition, method: str) -> Partition:
    if method == "reference":
        return _reference(T, beta)
    if beta.n_blocks == T.n:
        return beta
    mode, wi, wf, modulus = _kernel_input(T)
    result, complete = _refine(T, beta, mode, wi, wf, modulus)
    if complete is None:
        complete = not _differs(T, result).any()
    if complete:
        return result
    # Almost never: a collision of hashes merged states, or (floats)
    # rounding, which is not additive, made the splitter kernel's key of a
    # part of a block disagree with the block's. The completion operator
    # finishes from here, so the result is complete by the documented
    # definition (and, but for floats, still the least: it starts from
    # below the least complete partition above beta).
    return _reference(T, result)


# ----------------------------------------------------------------------
# The quotient


def _quotient(T: TransitionSystem, P: Partition) -> TransitionSystem:
    from abstractions.consistency import _abstract_outputs

    witness = _violation(T, P)
    if witness is not None:
        m1, m2 = witness
        raise NotCompleteError(
            f"the partition is not complete: states {m1} and {m2} share block "
            f"{int(P.labels[m1])} but {_describe(T, P, m1, m2)}",
            witness=witness,
        )
    reps = P.representatives()
    k = P.n_blocks
    output, values = _abstract_outputs(T._output, T._output_values, P)
    if T._kind == "labelled":
        assert T._symbols is not None
        indptr, targets, edge_labels = _labelled_csr(P.labels[T.steps[:, reps]])
        return TransitionSystem._make(
            "labelled", indptr, targets, edge_labels=edge_labels,
            symbols=T._symbols, output=output, output_values=values,
        )
    s_g, a_g, b_g, v_g = _signature(T, P.labels, raw=True)
    is_rep = np.zeros(T.n, dtype=bool)
    is_rep[reps] = True
    keep = is_rep[s_g]
    src = P.labels[s_g[keep]]
    # Rows come sorted by concrete state; re-sort by abstract state.
    order = np.lexsort((b_g[keep], a_g[keep], src))
    src, sym, dst = src[order], a_g[keep][order], b_g[keep][order]
    indptr = _indptr(src, k)
    if T._kind == "nondeterministic":
        return TransitionSystem._make(
            "nondeterministic", indptr, np.ascontiguousarray(dst),
            edge_labels=None if T._edge_labels is None else np.ascontiguousarray(sym),
            symbols=T._symbols, output=output, output_values=values,
        )
    agg = v_g[keep][order]
    if T._num is not None:
        return TransitionSystem._make(
            "probabilistic", indptr, np.ascontiguousarray(dst), num=agg, den=T._den,
            output=output, output_values=values,
        )
    return TransitionSystem._make(
        "probabilistic", indptr, np.ascontiguousarray(dst),
        weights=np.ascontiguousarray(agg, dtype=np.float64), tol=T._tol,
        output=output, output_values=values,
    )
