"""Labelled deterministic systems: one step function per symbol (DFA, Moore machine).

The functor is ``F(X) = X^A``: a state has one successor for each symbol of
the alphabet ``A``. An abstraction is complete when it is complete for every
symbol's step (``alpha >= step_a*(alpha)`` for all ``a``); the least
complete abstraction above the output kernel is the minimal Moore machine
(the minimal DFA for an accept/reject output).

A *partial* DFA lacks some transitions (``F(X) = (1 + X)^A``: on each
symbol a state has a successor or none). A missing transition is an
observation like any other: a state with no ``a``-transition is told apart
from one that has one, exactly as in the minimal partial DFA of
automata-lib (``allow_partial=True``), and the quotient keeps it missing.
Nothing adds a trap state unless asked (:meth:`LabelledSystem.with_sink`).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, ClassVar

import numpy as np

from abstractions._engine.relation import Relation
from abstractions._validation import Ids, as_count, as_index_array, python_value, readonly
from abstractions.exceptions import InvalidTypeError, InvalidValueError
from abstractions.partition import Partition
from abstractions.systems.base import TransitionSystem

__all__ = ["LabelledSystem"]


class LabelledSystem(TransitionSystem):
    """A deterministic system with one step function per input symbol, possibly partial.

    Also built by :meth:`TransitionSystem.labelled`.

    Parameters
    ----------
    steps : array_like of shape (k, n), or mapping
        Row ``a`` is the step function on symbol ``a``; an entry ``-1``
        (:attr:`MISSING`) or ``None`` means the state has no transition on
        that symbol (a *partial* DFA). A mapping ``{symbol: step array}``
        names the symbols by its keys. A mapping of mappings
        ``{state: {symbol: target}}`` (the transition dict of automata-lib
        and of most textbooks) names the states by its keys (targets are
        such names; a symbol absent from a state's dict is a missing
        transition); then ``inputs`` may name start states by those names
        (or give their positions), and ``output`` may be a mapping
        ``{state: value}``. No symbols at
        all (``{}``, ``[]`` or shape ``(0, n)``) is a system without
        transitions: give its size by ``output``, ``state_labels`` or ``n``.
    output : array_like or mapping, optional
        The output of each state (any hashable values, e.g. ``True`` for
        accepting states), or output ids with ``output_values``. Without
        it, every state is its own output (as for a Computation).
    output_values : sequence, optional
        The values the ids in ``output`` stand for.
    symbols : sequence of hashable, optional
        Names of the ``k`` symbols (default ``0 .. k-1``; for a mapping of
        mappings, the order of first appearance); not with a mapping of
        rows.
    inputs : mapping or sequence, optional
        Start states (e.g. the initial state of a DFA), as for a
        Computation; by default every state.
    state_labels : sequence, optional
        Distinct hashable names of the states (not with a mapping of
        mappings, whose keys name them).
    n : int, optional
        The number of states, needed only when there are no symbols and
        neither ``output`` nor ``state_labels`` gives it.

    Raises
    ------
    InvalidValueError
        For no states, rows of different lengths, a target out of range
        (other than ``-1``), a target that names no state, repeated
        symbols, or sizes that disagree.
    InvalidTypeError
        For non-integer targets.

    Notes
    -----
    A system has at least one state (as every kind does); it may have no
    symbols, and then its minimal complete abstraction above ``beta`` is
    ``beta`` itself (the output kernel for the minimal machine).

    Examples
    --------
    >>> T = LabelledSystem({"a": [1, 1], "b": [0, 0]}, output=[0, 1])
    >>> T.kind, T.n, T.n_transitions, T.symbols, T.partial
    ('labelled', 2, 4, ('a', 'b'), False)
    >>> T.steps
    array([[1, 1],
           [0, 0]])

    A partial DFA: state 1 has no ``b``-transition.

    >>> P = LabelledSystem({"a": [1, 1], "b": [0, None]}, output=[0, 1])
    >>> P.partial, P.n_transitions, P.steps
    (True, 3, array([[ 1,  1],
           [ 0, -1]]))
    >>> D = LabelledSystem({"q0": {"a": "q1"}, "q1": {"a": "q1", "b": "q0"}},
    ...                    output={"q0": False, "q1": True}, inputs=["q0"])
    >>> D.state_labels, D.symbols, D.steps.tolist()
    (('q0', 'q1'), ('a', 'b'), [[1, 1], [-1, 0]])
    """

    __slots__ = ()

    kind: ClassVar[str] = "labelled"
    schema: ClassVar[Mapping[str, str]] = MappingProxyType({"steps": "id_table", "symbols": "values"})

    #: The entry of :attr:`steps` for a missing transition.
    MISSING: ClassVar[int] = -1

    def __init__(
        self,
        steps: Any,
        *,
        output: Any = None,
        output_values: Sequence[Any] | None = None,
        symbols: Sequence[Hashable] | None = None,
        inputs: Any = None,
        state_labels: Sequence[Hashable] | None = None,
        n: int | None = None,
    ) -> None:
        size = None if n is None else as_count(n, "n")
        if size == 0:
            raise InvalidValueError("n must be at least 1: a system has at least one state")
        if isinstance(steps, Mapping) and steps and all(
            isinstance(v, Mapping) for v in steps.values()
        ):
            if state_labels is not None:
                raise InvalidValueError(
                    "state names were given twice: as the keys of steps and as state_labels"
                )
            table, symbol_names, state_labels, output, inputs = _from_state_dicts(
                steps, symbols, output, inputs
            )
            if size is not None and size != table.shape[1]:
                raise InvalidValueError(f"n = {size}, but steps has {table.shape[1]} states")
        else:
            table, symbol_names = _from_rows(steps, symbols, size, output, state_labels)
        self._set_shared(table.shape[1], output, output_values, inputs, state_labels)
        self._store_own((*_labelled_csr(table), symbol_names))

    @property
    def steps(self) -> Ids:
        """The step functions, shape ``(k, n)``: ``steps[a, s]`` is the successor on symbol ``a``.

        ``-1`` (:attr:`MISSING`) where state ``s`` has no transition on ``a``.
        """
        assert self._symbols is not None  # every labelled system has its symbols
        table = np.full((len(self._symbols), self.n), self.MISSING, dtype=np.int64)
        assert self._edge_labels is not None
        table[self._edge_labels, self._sources()] = self._targets
        return readonly(table)

    @property
    def partial(self) -> bool:
        """Whether some state lacks a transition on some symbol.

        Examples
        --------
        >>> LabelledSystem([[1, -1]]).partial, LabelledSystem([[1, 0]]).partial
        (True, False)
        """
        assert self._symbols is not None
        return self.n_transitions < self.n * len(self._symbols)

    def with_sink(self, output: Any = None, *, label: Hashable = "sink") -> LabelledSystem:
        """The total DFA: every missing transition goes to a new trap state.

        Parameters
        ----------
        output : hashable, optional
            The trap state's output value (e.g. ``False``: it rejects). By
            default a value no state has (``"sink"``, or ``"sink_"`` ...
            if that is taken), so that the output kernel tells it apart.
        label : hashable, default "sink"
            Its name, when the states are named (``"sink_"``, ... when a
            state already has it).

        Returns
        -------
        LabelledSystem
            The system itself when it is total; otherwise one with state
            ``n`` added, which steps to itself on every symbol.

        Examples
        --------
        >>> T = LabelledSystem({"a": [1, -1]}, output=[True, False])
        >>> S = T.with_sink(False)
        >>> S.steps.tolist(), S.output_values, S.partial
        ([[1, 2, 2]], (True, False), False)
        """
        if not self.partial:
            return self
        n = self.n
        table = self.steps.copy()
        table[table < 0] = n
        table = np.concatenate([table, np.full((table.shape[0], 1), n, dtype=np.int64)], axis=1)
        values = list(self._output_values)
        if output is None:
            output = "sink"
            while output in values:
                output += "_"
        output = python_value(output)
        position = next((i for i, v in enumerate(values) if v == output), None)
        if position is None:
            values.append(output)
            position = len(values) - 1
        ids = np.append(self._output, np.int64(position))
        names = None
        if self._state_labels is not None:
            while isinstance(label, str) and label in self._state_labels:
                label += "_"
            names = (*self._state_labels, label)
        return LabelledSystem(
            table,
            symbols=self._symbols,
            output=ids,
            output_values=values,
            # By default every state is a start state, the trap included.
            inputs=None
            if isinstance(self._input_values, range)
            else dict(zip(self._input_values, self._input_states.tolist())),
            state_labels=names,
        )

    def _require_total(self, what: str) -> None:
        """Raise, naming a missing transition, unless every transition is there."""
        if not self.partial:
            return
        assert self._symbols is not None
        table = self.steps
        a, s = (int(x) for x in np.argwhere(table < 0)[0])
        raise InvalidValueError(
            f"{what} needs a DFA with every transition, but state {self.label(s)!r} has no "
            f"transition on {self._symbols[a]!r}; add a trap state with .with_sink() first"
        )

    def _relation(self) -> Relation:
        # The tuple fast paths need one transition per symbol at every state;
        # a partial DFA is an LTS with at most one, and the general "exists"
        # signatures (symbol, block) tell "no a-transition" apart by themselves.
        # The solver may still complete it with a sink (``partial``).
        assert self._symbols is not None
        gaps = self.partial
        total = len(self._symbols) > 0 and not gaps
        return Relation(
            how="exists", deterministic=total, partial=gaps, **self._relation_fields()
        )

    def _to_fields(self) -> dict[str, Any]:
        return {"steps": self.steps, "symbols": self._symbols}

    @classmethod
    def _from_fields(cls, own: dict[str, Any], shared: dict[str, Any]) -> LabelledSystem:
        return cls(cls._needed(own, "steps"), symbols=own["symbols"], **shared)

    def _restrict_own(self, index: Ids, position: Ids) -> tuple[Any, ...]:
        indptr, targets, edge_labels, _ = self._restrict_csr(index, position)
        return indptr, targets, edge_labels, self._symbols

    def _quotient_own(self, P: Partition, rows: Any = None) -> tuple[Any, ...]:
        table = self.steps[:, P.representatives()]
        # A missing transition stays missing (P.labels[-1] is masked out).
        blocks = np.where(table >= 0, P.labels[table], self.MISSING)
        return (*_labelled_csr(blocks), self._symbols)


def _row(row: Any, name: str, n: int | None) -> Ids:
    """One step row as int64, ``-1`` where the transition is missing (``-1`` or None)."""
    if isinstance(row, np.ndarray) and row.dtype.kind in "iu":
        missing = row == LabelledSystem.MISSING
        filled: Any = np.where(missing, 0, row) if missing.any() else row
    else:
        if isinstance(row, (str, bytes, Mapping)):
            raise InvalidTypeError(f"{name} must be a sequence of state ids, got {type(row).__name__}")
        try:
            items = row.tolist() if isinstance(row, np.ndarray) else list(row)
        except TypeError:
            raise InvalidTypeError(
                f"{name} must be a sequence of state ids, got {type(row).__name__}"
            ) from None
        missing = np.array([_is_missing(x) for x in items], dtype=bool)
        filled = [0 if m else x for x, m in zip(items, missing.tolist())]
    ids = as_index_array(filled, name, n=n if n is not None else len(filled), length=n, copy=True)
    ids[missing] = LabelledSystem.MISSING
    return ids


def _is_missing(x: Any) -> bool:
    if x is None:
        return True
    # -1 marks a missing transition; True and -1.0 are not ids (the checker says so).
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_)) and x == -1


def _size_of(size: int | None, output: Any, state_labels: Any) -> int | None:
    """The number of states given other than by the step rows."""
    if size is not None:
        return size
    for given in (output, state_labels):
        if given is not None and not isinstance(given, Mapping):
            try:
                return len(given)
            except TypeError:
                return None
    return None


def _from_rows(
    steps: Any, symbols: Any, size: int | None, output: Any, state_labels: Any
) -> tuple[Ids, tuple[Any, ...]]:
    if isinstance(steps, Mapping):
        if symbols is not None:
            raise InvalidValueError(
                "symbols were given twice: as the keys of steps and as symbols"
            )
        names: Any = tuple(steps.keys())
        rows = [steps[name] for name in names]
    else:
        if isinstance(steps, np.ndarray) and steps.ndim != 2 and steps.size > 0:
            raise InvalidValueError(
                f"steps must be a 2-d array of shape (symbols, states), got shape {steps.shape}"
            )
        if isinstance(steps, (str, bytes)):
            raise InvalidTypeError("steps must be a 2-d array or a mapping of step arrays, got str")
        try:
            rows = list(steps)
        except TypeError:
            raise InvalidTypeError(
                f"steps must be a 2-d array or a mapping of step arrays, "
                f"got {type(steps).__name__}"
            ) from None
        if isinstance(steps, np.ndarray) and steps.ndim == 2:
            n_given = steps.shape[1]
            size = n_given if size is None else size
            if size != n_given:
                raise InvalidValueError(f"n = {size}, but steps has {n_given} states")
        names = None
    k = len(rows)
    symbol_names = _symbol_names(names if names is not None else symbols, k)
    n = size
    if k == 0:
        n = _size_of(size, output, state_labels)
        if n is None:
            raise InvalidValueError(
                "steps has no symbols: give the number of states by n=, output or state_labels"
            )
    table = np.empty((k, n if n is not None else 0), dtype=np.int64)
    for a, row in enumerate(rows):
        ids = _row(row, f"steps[{symbol_names[a]!r}]", n)
        if n is None:
            n = ids.shape[0]
            table = np.empty((k, n), dtype=np.int64)
        table[a] = ids
    if not n:
        raise InvalidValueError("steps must have at least one state")
    return table, symbol_names


def _from_state_dicts(
    steps: Mapping[Any, Mapping[Any, Any]], symbols: Any, output: Any, inputs: Any
) -> tuple[Ids, tuple[Any, ...], tuple[Any, ...], Any, Any]:
    """The table, symbols, state names, output and inputs of ``{state: {symbol: target}}``."""
    names = tuple(python_value(s) for s in steps.keys())
    index = {name: i for i, name in enumerate(names)}
    if symbols is None:
        seen: dict[Any, None] = {}
        for row in steps.values():
            seen.update(dict.fromkeys(python_value(a) for a in row))
        symbol_names = tuple(seen)
    else:
        given = tuple(symbols)
        symbol_names = _symbol_names(given, len(given))
    position = {a: j for j, a in enumerate(symbol_names)}
    table = np.full((len(symbol_names), len(names)), LabelledSystem.MISSING, dtype=np.int64)
    for s, (state, row) in enumerate(steps.items()):
        for a, target in row.items():
            j = position.get(python_value(a))
            if j is None:
                raise InvalidValueError(
                    f"steps[{state!r}] has symbol {a!r}, which is not in symbols {symbol_names!r}"
                )
            if target is None:
                continue
            t = index.get(python_value(target)) if _hashable(target) else None
            if t is None:
                raise InvalidValueError(
                    f"steps[{state!r}][{a!r}] = {target!r} is not a state (the states are the "
                    f"keys of steps)"
                )
            table[j, s] = t
    if isinstance(output, Mapping):
        missing = [s for s in names if s not in output]
        if missing:
            raise InvalidValueError(f"output has no value for state {missing[0]!r}")
        extra = [s for s in output if python_value(s) not in index]
        if extra:
            raise InvalidValueError(f"output names {extra[0]!r}, which is not a state")
        output = [output[s] for s in steps.keys()]
    if inputs is not None and not isinstance(inputs, (str, bytes)):
        inputs = _named_inputs(inputs, index)
    return table, symbol_names, names, output, inputs


def _hashable(x: Any) -> bool:
    try:
        hash(x)
    except TypeError:
        return False
    return True


def _named_inputs(inputs: Any, index: Mapping[Any, int]) -> Any:
    """Start states given by name turned into ids (ids that name no state stay as given)."""

    def state(x: Any) -> Any:
        if _hashable(x):
            found = index.get(python_value(x))
            if found is not None:
                return found
        if isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_)):
            return x  # a state id (position in steps), checked as for every system
        raise InvalidValueError(f"inputs names {x!r}, which is not a state (a key of steps)")

    if isinstance(inputs, Mapping):
        return {key: state(x) for key, x in inputs.items()}
    try:
        return [state(x) for x in inputs]
    except TypeError:
        return inputs


def _symbol_names(names: Sequence[Hashable] | None, k: int) -> tuple[Any, ...]:
    if names is None:
        return tuple(range(k))
    names = tuple(python_value(x) for x in names)
    if len(names) != k:
        raise InvalidValueError(
            f"symbols has {len(names)} entries, expected {k} (one per step row)"
        )
    try:
        distinct = len(set(names))
    except TypeError:
        raise InvalidTypeError("symbols must be hashable") from None
    if distinct != k:
        raise InvalidValueError(f"symbols must be distinct, got {names!r}")
    return names


def _labelled_csr(table: Ids) -> tuple[Ids, Ids, Ids]:
    """(indptr, targets, edge_labels) of step functions ``table`` (shape (k, n), -1 missing).

    State ``s`` has one transition per symbol it has, in symbol order.
    """
    k, n = table.shape
    by_state = np.ascontiguousarray(table.T, dtype=np.int64)
    present = by_state >= 0
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(present.sum(axis=1), out=indptr[1:])
    targets = by_state[present]
    edge_labels = np.nonzero(present)[1].astype(np.int64)
    return indptr, np.ascontiguousarray(targets), edge_labels
