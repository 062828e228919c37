"""Systems whose transition is not a single function: the shared CSR storage.

:class:`TransitionSystem` stores the transitions as CSR arrays (the
transitions of state ``s`` are ``indptr[s]:indptr[s+1]``, to ``targets[j]``,
with an optional symbol id ``edge_labels[j]`` into ``symbols``). Each kind
is a subclass in a module of its own (:mod:`abstractions.systems.labelled`,
:mod:`~abstractions.systems.nondeterministic`,
:mod:`~abstractions.systems.markov`) and registers itself under its
``kind`` name, so that the constructors :meth:`TransitionSystem.labelled`,
:meth:`~TransitionSystem.nondeterministic`,
:meth:`~TransitionSystem.probabilistic` and :meth:`~TransitionSystem.ctmc` reach it without this module
importing the kinds.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np

from abstractions._engine.relation import Relation
from abstractions._validation import Ids, show_label
from abstractions.exceptions import InvalidTypeError, InvalidValueError
from abstractions.system import System
from abstractions.systems._parse import state_id

__all__ = ["TransitionSystem"]


class TransitionSystem(System):
    """A finite system whose transition is not a single function.

    Build one with :meth:`labelled` (a DFA or Moore machine),
    :meth:`nondeterministic` (a Kripke structure or labelled transition
    system), :meth:`probabilistic` (a Markov chain), :meth:`ctmc` (a
    continuous-time Markov chain) or :meth:`from_computation`; each returns an object of the kind's own
    class (:class:`~abstractions.systems.LabelledSystem`,
    :class:`~abstractions.systems.NondeterministicSystem`,
    :class:`~abstractions.systems.MarkovChain`,
    :class:`~abstractions.systems.ContinuousTimeMarkovChain`). Then use the same
    functions as for a :class:`~abstractions.Computation`:
    :func:`~abstractions.is_complete`, :func:`~abstractions.find_violation`,
    :func:`~abstractions.completion`,
    :func:`~abstractions.minimal_complete_abstraction`,
    :func:`~abstractions.abstract_computation` and
    :func:`~abstractions.output_abstraction`.

    Objects are immutable, compare by value and pickle.

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

    __slots__ = ("_indptr", "_targets", "_edge_labels", "_symbols")

    _indptr: Ids
    _targets: Ids
    _edge_labels: Ids | None
    _symbols: tuple[Any, ...] | None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise InvalidTypeError(
            "build a TransitionSystem with TransitionSystem.labelled, .nondeterministic, "
            ".probabilistic, .ctmc or .from_computation (or the class of one kind)"
        )

    @classmethod
    def _kind_class(cls, kind: str) -> type[TransitionSystem]:
        found = System.kinds().get(kind)
        if found is None or not issubclass(found, TransitionSystem):  # pragma: no cover
            raise InvalidValueError(f"no system kind {kind!r} is registered")
        return found

    # ------------------------------------------------------------------ constructors

    @classmethod
    def labelled(cls, steps: Any, **kwargs: Any) -> TransitionSystem:
        """A deterministic system with one step function per input symbol (DFA, Moore machine).

        The arguments are those of :class:`~abstractions.systems.LabelledSystem`.

        Examples
        --------
        >>> T = TransitionSystem.labelled({"a": [1, 1], "b": [0, 0]}, output=[0, 1])
        >>> T.kind, T.n, T.n_transitions, T.symbols
        ('labelled', 2, 4, ('a', 'b'))
        """
        return cls._kind_class("labelled")(steps, **kwargs)

    @classmethod
    def nondeterministic(cls, successors: Any, **kwargs: Any) -> TransitionSystem:
        """A system whose transition is a relation (a Kripke structure, or an LTS with ``labels``).

        The arguments are those of :class:`~abstractions.systems.NondeterministicSystem`.

        Examples
        --------
        >>> T = TransitionSystem.nondeterministic([[1, 2], [1], [2, 2]])
        >>> T.n_transitions, T.successors(0), T.successors(2)
        (4, array([1, 2]), array([2]))
        """
        return cls._kind_class("nondeterministic")(successors, **kwargs)

    @classmethod
    def probabilistic(cls, matrix: Any, **kwargs: Any) -> TransitionSystem:
        """A discrete-time Markov chain: a row-stochastic matrix.

        The arguments are those of :class:`~abstractions.systems.MarkovChain`.

        Examples
        --------
        >>> from fractions import Fraction as F
        >>> T = TransitionSystem.probabilistic([[F(1, 2), F(1, 2)], [0, 1]])
        >>> T.exact, T.probabilities
        (True, (Fraction(1, 2), Fraction(1, 2), Fraction(1, 1)))
        """
        return cls._kind_class("probabilistic")(matrix, **kwargs)

    @classmethod
    def ctmc(cls, matrix: Any, **kwargs: Any) -> TransitionSystem:
        """A continuous-time Markov chain: a matrix of rates.

        The arguments are those of :class:`~abstractions.systems.ContinuousTimeMarkovChain`.

        Examples
        --------
        >>> T = TransitionSystem.ctmc([[0, 3], [1, 1]])
        >>> T.kind, T.exit_rates
        ('ctmc', (Fraction(3, 1), Fraction(2, 1)))
        """
        return cls._kind_class("ctmc")(matrix, **kwargs)

    @classmethod
    def from_networkx(cls, G: Any, **options: Any) -> Any:
        """A system of the kind a networkx graph describes; see :func:`abstractions.graphs.from_networkx`.

        Examples
        --------
        >>> import networkx as nx
        >>> G = nx.MultiDiGraph([(0, 1, {"label": "a"}), (1, 0, {"label": "b"})])
        >>> TransitionSystem.from_networkx(G).symbols
        ('a', 'b')
        """
        from abstractions.graphs import from_networkx

        return from_networkx(G, functional=False, **options)

    @classmethod
    def from_computation(cls, computation: Any) -> TransitionSystem:
        """The computation's step as a labelled system with one symbol.

        Halted states step to themselves (as the Computation stores them);
        outputs, inputs and state names carry over; halting itself does not
        (keep it with ``output_abstraction`` of a combined output, or in
        ``beta``).

        Examples
        --------
        >>> from abstractions import Computation
        >>> TransitionSystem.from_computation(Computation([1, 2, 2])).steps
        array([[1, 2, 2]])
        """
        from abstractions.computation import Computation

        if not isinstance(computation, Computation):
            raise InvalidTypeError(
                f"computation must be a Computation, got {type(computation).__name__}"
            )
        kind = cls._kind_class("labelled")
        step = computation.step
        own = (
            np.arange(step.shape[0] + 1, dtype=np.int64),
            step.copy(),
            np.zeros(step.shape[0], dtype=np.int64),
            (0,),
        )
        shared = (
            computation.output.copy(),
            computation.output_values,
            computation.input_values,
            computation.input_states.copy(),
            computation.state_labels,
        )
        result: TransitionSystem = kind._assemble(shared, own)
        return result

    # ------------------------------------------------------------------ views

    @property
    def n_transitions(self) -> int:
        """Number of transitions."""
        return int(self._targets.shape[0])

    @property
    def m(self) -> int:
        """Number of transitions (deprecated: ``m`` names a state in this library; use :attr:`n_transitions`)."""
        warnings.warn(
            "TransitionSystem.m is deprecated: use n_transitions", DeprecationWarning, stacklevel=2
        )
        return self.n_transitions

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

    def successors(self, state: int) -> Ids:
        """The targets of ``state``'s transitions (in stored order).

        Examples
        --------
        >>> TransitionSystem.nondeterministic([[1], [0, 1]]).successors(1)
        array([0, 1])
        """
        s = state_id(state, self.n)
        return self._targets[self._indptr[s] : self._indptr[s + 1]]

    def transitions(self, state: int) -> Iterator[tuple[Any, int, Any]]:
        """The transitions of ``state`` as ``(symbol, target, weight)`` triples.

        ``symbol`` is the symbol or action (None when unlabelled), ``weight``
        the probability for Markov chains and 1 otherwise.

        Examples
        --------
        >>> T = TransitionSystem.labelled({"a": [1, 1], "b": [0, 0]})
        >>> list(T.transitions(0))
        [('a', 1, 1), ('b', 0, 1)]
        """
        s = state_id(state, self.n)
        lo, hi = int(self._indptr[s]), int(self._indptr[s + 1])
        for j in range(lo, hi):
            symbol = None
            if self._edge_labels is not None and self._symbols is not None:
                symbol = self._symbols[int(self._edge_labels[j])]
            yield symbol, int(self._targets[j]), self._weight(j)

    def _weight(self, j: int) -> Any:
        """The weight of transition ``j`` (1 unless the kind says otherwise)."""
        return 1

    def _sources(self) -> Ids:
        return np.repeat(np.arange(self.n, dtype=np.int64), np.diff(self._indptr))

    def _summary(self) -> str:
        extra = f", {self.n_transitions} transitions"
        if self._symbols is not None:
            extra += f", {len(self._symbols)} symbols"
        return extra

    def _table_columns(self) -> tuple[list[str], list[list[str]]]:
        rows: list[list[str]] = []
        for s in range(self.n):
            parts = []
            for symbol, t, w in self.transitions(s):
                text = show_label(self.label(t))
                if symbol is not None:
                    text = f"{symbol!r}->{text}"
                if w != 1:
                    text += f" ({w})"
                parts.append(text)
            rows.append([", ".join(parts)])
        return ["transitions"], rows

    # ------------------------------------------------------------------ shared by the kinds

    def _restrict_csr(self, index: Ids, position: Ids) -> tuple[Ids, Ids, Ids | None, Ids]:
        """The CSR arrays on the closed subset ``index``; also the kept transitions."""
        lengths = np.diff(self._indptr)[index]
        indptr = np.zeros(index.shape[0] + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        starts = self._indptr[index]
        owner = np.repeat(index, lengths)
        offset = np.arange(indptr[-1], dtype=np.int64) - np.repeat(indptr[:-1], lengths)
        kept = np.repeat(starts, lengths) + offset
        targets = self._closed(index, position, self._targets[kept], owner)
        edge_labels = None if self._edge_labels is None else self._edge_labels[kept]
        return indptr, targets, edge_labels, kept

    def _relation_fields(self) -> dict[str, Any]:
        """The CSR half of this system's :class:`Relation`."""
        return {
            "indptr": self._indptr,
            "targets": self._targets,
            "symbols": self._edge_labels,
            "symbol_names": self._symbols,
        }

    def _relation(self) -> Relation:  # pragma: no cover - every kind overrides it
        raise NotImplementedError
