"""Finite computations: memory states, a transition, termination and outputs.

A :class:`Computation` is a deterministic machine on the states ``0 .. n-1``
that runs until it halts: start in ``in(x)``, apply ``step`` while the state
is not ``halted``, then read ``output``. All of it is stored as numpy arrays
so that abstractions of millions of states stay cheap; the Python objects a
user thinks in (state names, output values, input values) are kept beside
the arrays and used only at the edges (:meth:`Computation.run`,
:meth:`Computation.table`, :meth:`Computation.from_functions`).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from abstractions._config import REPR_MAX_STATES
from abstractions._engine.primitives import final_states, reach
from abstractions._validation import (
    Ids,
    Mask,
    as_bool_array,
    as_count,
    as_index_array,
    readonly,
)
from abstractions.exceptions import (
    InvalidTypeError,
    InvalidValueError,
    NonHaltingError,
    TooLargeError,
    UnknownInputError,
)
from abstractions.partition import (
    _as_label_array,
    _as_state_subset,
    canonical_labels,
    first_occurrences,
)

__all__ = ["Computation", "Values"]

#: Output or input values: a tuple of Python objects, or a ``range`` when the
#: values are the state indices themselves (no tuple of n ints is built).
Values = tuple[Any, ...] | range


def _as_values(values: np.ndarray) -> Values:
    """Output values as a tuple of Python objects (numpy scalars unwrapped)."""
    return tuple(values.tolist())


def _python(value: Any) -> Any:
    """A numpy scalar as the matching Python object; anything else unchanged."""
    return value.item() if isinstance(value, np.generic) else value


def _sequences_equal(a: Values, b: Values) -> bool:
    if len(a) != len(b):
        return False
    if isinstance(a, (np.ndarray, range)) and isinstance(b, (np.ndarray, range)):
        return bool(np.array_equal(np.asarray(a), np.asarray(b)))
    return all(x == y for x, y in zip(a, b))


class Computation:
    """A finite deterministic computation that runs until it halts.

    Parameters
    ----------
    step : array_like of int, shape (n,)
        The transition ``tau``: ``step[m]`` is the state after ``m``.
    halted : array_like of bool, shape (n,), optional
        The termination map ``t``. By default no state halts (a dynamical
        system such as a counter). Halted states are absorbing: the stored
        ``step`` of a halted state is the state itself, whatever was given.
    output : array_like, shape (n,), optional
        The output map ``out``. Without ``output_values``: one hashable output
        value per state (numbered by first occurrence into output ids).
        With ``output_values``: one int id per state into ``output_values``.
        By default the output of a state is the state itself (its label when
        ``state_labels`` is given).
    inputs : mapping or array_like of int, optional
        The input map ``in``: a mapping from input values to start states,
        or a sequence of start states (each its own input value). By default
        every state is an input, with its index as the value.
    output_values : sequence, optional
        Distinct hashable output values; ``output`` then holds ids into it.
    state_labels : sequence, optional
        Distinct hashable names of the states, used in tables and traces.

    Raises
    ------
    InvalidValueError
        For arrays of the wrong shape or length, a state id out of range or
        negative, repeated state labels or output values; the message names
        the argument and the offending index and value.
    InvalidTypeError
        For non-integer ids (floats, strings, booleans) or unhashable labels.

    See Also
    --------
    Computation.from_functions : build the arrays from Python callables.

    Notes
    -----
    A run on input ``x`` is ``m = in(x)``; ``while not t(m): m = tau(m)``;
    ``return out(m)``. A run that has not halted after ``n`` steps never will
    (a deterministic machine on ``n`` states has then repeated a state), so
    :meth:`run` raises :class:`~abstractions.NonHaltingError` instead of
    looping.

    Examples
    --------
    A countdown from 3 that halts at 0; the output is read at the halt:

    >>> C = Computation(step=[0, 0, 1, 2], halted=[True, False, False, False],
    ...                 output=["zero", "odd", "even", "odd"])
    >>> C.run(3)
    'zero'
    >>> C.trace(3)
    array([3, 2, 1, 0])
    >>> C.step   # the halted state 0 is absorbing
    array([0, 0, 1, 2])
    """

    __slots__ = (
        "_step",
        "_halted",
        "_output",
        "_output_values",
        "_input_values",
        "_input_states",
        "_state_labels",
        "_input_index",
        "_state_index",
    )

    _step: Ids
    _halted: Mask
    _output: Ids
    _output_values: Values
    _input_values: Values
    _input_states: Ids
    _state_labels: tuple[Hashable, ...] | None
    _input_index: dict[Any, int] | None
    _state_index: dict[Hashable, int] | None

    def __init__(
        self,
        step: Any,
        halted: Any = None,
        output: Any = None,
        inputs: Any = None,
        *,
        output_values: Sequence[Any] | None = None,
        state_labels: Sequence[Hashable] | None = None,
    ) -> None:
        step_ids = as_index_array(step, "step", copy=True, self_map=True)
        n = step_ids.shape[0]
        if halted is None:
            halted_mask = np.zeros(n, dtype=bool)
        else:
            halted_mask = as_bool_array(halted, "halted", length=n)
        labels = None if state_labels is None else _check_state_labels(state_labels, n)
        output_ids, values = _check_output(output, output_values, n, labels)
        input_values, input_states = _check_inputs(inputs, n)
        self._set(step_ids, halted_mask, output_ids, values, input_values, input_states, labels)

    def _set(
        self,
        step: Ids,
        halted: Mask,
        output: Ids,
        output_values: Values,
        input_values: Values,
        input_states: Ids,
        state_labels: tuple[Hashable, ...] | None,
    ) -> None:
        if halted.any():
            # Halted states are absorbing; whatever step the user gave them
            # is never taken by a run, so store the self-loop. (Callers pass
            # arrays they own: never the user's.)
            if not step.flags.writeable:
                step = step.copy()
            where = np.flatnonzero(halted)
            step[where] = where
        object.__setattr__(self, "_step", readonly(step))
        object.__setattr__(self, "_halted", readonly(halted))
        object.__setattr__(self, "_output", readonly(output))
        object.__setattr__(self, "_output_values", output_values)
        object.__setattr__(self, "_input_values", input_values)
        object.__setattr__(self, "_input_states", readonly(input_states))
        object.__setattr__(self, "_state_labels", state_labels)
        object.__setattr__(self, "_input_index", None)
        object.__setattr__(self, "_state_index", None)

    @classmethod
    def _from_arrays(
        cls,
        step: Ids,
        halted: Mask,
        output: Ids,
        output_values: Values,
        input_values: Values,
        input_states: Ids,
        state_labels: tuple[Hashable, ...] | None = None,
    ) -> Computation:
        """Wrap arrays that are already checked (no validation)."""
        self = cls.__new__(cls)
        self._set(step, halted, output, output_values, input_values, input_states, state_labels)
        return self

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Computation is immutable; cannot set {name!r}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            Computation._from_arrays,
            (
                np.array(self._step),
                np.array(self._halted),
                np.array(self._output),
                self._output_values,
                self._input_values,
                np.array(self._input_states),
                self._state_labels,
            ),
        )

    # ------------------------------------------------------------------ builders

    @classmethod
    def from_functions(
        cls,
        step: Callable[[Any], Any],
        inputs: Mapping[Any, Any] | Iterable[Any],
        *,
        halted: Callable[[Any], bool] | None = None,
        output: Callable[[Any], Any] | None = None,
        max_states: int = 1_000_000,
    ) -> Computation:
        """Build a computation from Python functions over hashable states.

        Explores the states reachable from the inputs, breadth-first, and
        numbers them in the order found (the inputs' start states first, in
        the order given). ``step`` is never called on a halted state.

        Parameters
        ----------
        step : callable
            The transition on states (any hashable values).
        inputs : mapping or iterable
            A mapping from input values to start states, or an iterable of
            start states (each its own input value).
        halted : callable, optional
            ``halted(state) -> bool``; by default no state halts.
        output : callable, optional
            ``output(state)`` -> a hashable output value; by default the
            output is the state itself.
        max_states : int, default 1_000_000
            Stop with :class:`~abstractions.TooLargeError` when more states than
            this are reachable (e.g. an unbounded counter).

        Returns
        -------
        Computation
            With ``state_labels`` the explored states.

        Raises
        ------
        TooLargeError
            If more than ``max_states`` states are reachable.
        InvalidTypeError
            If a state is not hashable.

        Examples
        --------
        Integer halving until 1, on the inputs 6 and 5:

        >>> C = Computation.from_functions(lambda k: k // 2, [6, 5],
        ...                                halted=lambda k: k == 1)
        >>> C.state_labels
        (6, 5, 3, 2, 1)
        >>> [C.state_labels[m] for m in C.trace(6)]
        [6, 3, 1]
        """
        limit = as_count(max_states, "max_states")
        if isinstance(inputs, Mapping):
            pairs = list(inputs.items())
        elif isinstance(inputs, Iterable) and not isinstance(inputs, (str, bytes)):
            pairs = [(s, s) for s in inputs]
        else:
            raise InvalidTypeError(
                f"inputs must be a mapping or an iterable of states, got {type(inputs).__name__}"
            )
        index: dict[Any, int] = {}
        order: list[Any] = []

        def find(state: Any, where: str) -> int:
            try:
                found = index.get(state)
            except TypeError:
                raise InvalidTypeError(
                    f"states must be hashable, but {where} is {state!r}"
                ) from None
            if found is None:
                if len(order) >= limit:
                    raise TooLargeError(
                        f"more than max_states={limit} states are reachable from the inputs; "
                        f"raise max_states if the state space really is this large"
                    )
                found = index[state] = len(order)
                order.append(state)
            return found

        starts = {x: find(s, f"the start state of input {x!r}") for x, s in pairs}
        succ: list[int] = []
        halts: list[bool] = []
        i = 0
        while i < len(order):
            state = order[i]
            stop = bool(halted(state)) if halted is not None else False
            halts.append(stop)
            succ.append(i if stop else find(step(state), f"step({state!r})"))
            i += 1
        outputs = None if output is None else [output(s) for s in order]
        return cls(
            step=np.array(succ, dtype=np.int64),
            halted=np.array(halts, dtype=bool),
            output=outputs if outputs is None else _object_array(outputs),
            inputs=starts,
            state_labels=order,
        )

    # ------------------------------------------------------------------ views

    @property
    def n(self) -> int:
        """Number of states."""
        return int(self._step.shape[0])

    @property
    def step(self) -> Ids:
        """The transition: ``step[m]`` is the next state (read-only int64)."""
        return self._step

    @property
    def halted(self) -> Mask:
        """The termination map (read-only bool)."""
        return self._halted

    @property
    def output(self) -> Ids:
        """Output id of each state, an index into :attr:`output_values` (read-only int64)."""
        return self._output

    @property
    def output_values(self) -> Values:
        """The distinct output values, indexed by output id.

        A tuple of Python objects, or ``range(n)`` when the output is the
        state index itself.
        """
        return self._output_values

    @property
    def n_outputs(self) -> int:
        """Number of distinct output values."""
        return len(self._output_values)

    @property
    def input_values(self) -> Values:
        """The input values, in the order of :attr:`input_states`.

        A tuple, or ``range(n)`` when every state is an input named by its index.
        """
        return self._input_values

    @property
    def input_states(self) -> Ids:
        """Start state of each input value (read-only int64)."""
        return self._input_states

    @property
    def inputs(self) -> dict[Any, int]:
        """The input map as a new dict ``{input value: start state}``."""
        return dict(zip(map(_python, self._input_values), self._input_states.tolist()))

    @property
    def state_labels(self) -> tuple[Hashable, ...] | None:
        """Names of the states, or None when states are known by index only."""
        return self._state_labels

    def label(self, m: int) -> Hashable:
        """The name of state ``m`` (its index when states are unnamed)."""
        return m if self._state_labels is None else self._state_labels[m]

    def state_index(self, label: Hashable) -> int:
        """The index of the state named ``label``.

        Raises
        ------
        InvalidValueError
            If no state has that name.

        Examples
        --------
        >>> C = Computation([1, 1], state_labels=["a", "b"])
        >>> C.state_index("b")
        1
        """
        if self._state_labels is None:
            if isinstance(label, (int, np.integer)) and 0 <= label < self.n:
                return int(label)
            raise InvalidValueError(f"no state {label!r}: states are 0..{self.n - 1}")
        index = self._state_index
        if index is None:
            index = {s: i for i, s in enumerate(self._state_labels)}
            object.__setattr__(self, "_state_index", index)
        try:
            return int(index[label])
        except (KeyError, TypeError):
            raise InvalidValueError(f"no state is labelled {label!r}") from None

    def output_value(self, m: int) -> Any:
        """The output value of state ``m``."""
        return _python(self._output_values[int(self._output[m])])

    # ------------------------------------------------------------------ running

    def start(self, x: Any) -> int:
        """The start state of input ``x``.

        Raises
        ------
        UnknownInputError
            If ``x`` is not an input value.
        """
        if isinstance(self._input_values, range):
            # every state is an input: no dict of n entries is needed
            if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
                if x in self._input_values:
                    return int(self._input_states[x])
            raise UnknownInputError(
                f"{x!r} is not an input; the inputs are the states 0..{self.n - 1}"
            )
        index = self._input_index
        if index is None:
            index = {_python(v): i for i, v in enumerate(self._input_values)}
            object.__setattr__(self, "_input_index", index)
        try:
            position = index[x]
        except (KeyError, TypeError):
            shown = ", ".join(repr(_python(v)) for v in list(self._input_values)[:5])
            more = ", ..." if len(self._input_values) > 5 else ""
            raise UnknownInputError(f"{x!r} is not an input; the inputs are {shown}{more}") from None
        return int(self._input_states[position])

    def trace(self, x: Any) -> Ids:
        """The states a run visits, from the start state to the halted one.

        Parameters
        ----------
        x : object
            An input value.

        Returns
        -------
        numpy.ndarray of int64
            ``[in(x), tau(in(x)), ..., m]`` with ``m`` the first halted state.

        Raises
        ------
        UnknownInputError
            If ``x`` is not an input.
        NonHaltingError
            If the run never reaches a halted state.
        """
        m = self.start(x)
        first = m
        states = [m]
        for _ in range(self.n):
            if self._halted[m]:
                return np.array(states, dtype=np.int64)
            m = int(self._step[m])
            states.append(m)
        raise NonHaltingError(
            f"the run on input {x!r} never halts: from start state {self.label(first)!r} "
            f"it enters a cycle through {self.label(m)!r} that has no halted state",
            input=x,
            state=first,
        )

    def run(self, x: Any) -> Any:
        """Run on input ``x`` and return the output value of the halted state.

        Raises
        ------
        UnknownInputError
            If ``x`` is not an input.
        NonHaltingError
            If the run never reaches a halted state.
        """
        return self.output_value(int(self.trace(x)[-1]))

    def final_states(self) -> Ids:
        """For every state, the halted state its run ends in (-1: never halts).

        Returns
        -------
        numpy.ndarray of int64

        Examples
        --------
        >>> Computation([0, 0, 3, 2], halted=[True, False, False, False]).final_states()
        array([ 0,  0, -1, -1])
        """
        return readonly(final_states(self._step, self._halted))

    def reachable_states(self) -> Ids:
        """The states some input's run visits, in increasing order.

        Examples
        --------
        >>> Computation([1, 2, 2, 0], inputs=[0]).reachable_states()
        array([0, 1, 2])
        """
        return np.flatnonzero(reach(self._step, self._input_states)).astype(np.int64)

    def restrict(self, states: Any) -> Computation:
        """The computation on a set of states closed under ``step``.

        Parameters
        ----------
        states : array_like
            Distinct state ids (new state ``i`` is ``states[i]``) or a boolean
            mask of length ``n``.

        Returns
        -------
        Computation
            Inputs whose start state lies outside ``states`` are dropped.

        Raises
        ------
        InvalidValueError
            If ``step`` leaves the set; the message names such a state.
        """
        index = _as_state_subset(states, self.n, "states")
        position = np.full(self.n, -1, dtype=np.int64)
        position[index] = np.arange(index.shape[0], dtype=np.int64)
        new_step = position[self._step[index]]
        escaping = np.flatnonzero(new_step < 0)
        if escaping.size:
            m = int(index[escaping[0]])
            raise InvalidValueError(
                f"states is not closed under step: it holds state {self.label(m)!r} "
                f"but not its successor {self.label(int(self._step[m]))!r}"
            )
        kept = np.flatnonzero(position[self._input_states] >= 0)
        input_values: Values = tuple(_python(self._input_values[i]) for i in kept.tolist())
        labels = None
        if self._state_labels is not None:
            labels = tuple(self._state_labels[i] for i in index.tolist())
        # Renumber the outputs so that values no kept state produces are dropped.
        output, _ = canonical_labels(self._output[index], "output")
        firsts = self._output[index][first_occurrences(output)]
        output_values: Values = tuple(_python(self._output_values[i]) for i in firsts.tolist())
        return Computation._from_arrays(
            new_step,
            self._halted[index].copy(),
            output,
            output_values,
            input_values,
            position[self._input_states[kept]],
            labels,
        )

    def restrict_to_reachable(self) -> tuple[Computation, Ids]:
        """The computation on the states reachable from its inputs.

        Many abstractions are complete only on the reachable states; restrict
        first, then abstract.

        Returns
        -------
        computation : Computation
        states : numpy.ndarray of int64
            ``states[i]`` is the original index of new state ``i``.

        Examples
        --------
        >>> C = Computation([1, 2, 2, 0], inputs=[0])
        >>> R, states = C.restrict_to_reachable()
        >>> R.n, states
        (3, array([0, 1, 2]))
        """
        states = self.reachable_states()
        return self.restrict(states), states

    # ------------------------------------------------------------------ display

    def table(self, max_states: int = 64) -> str:
        """A plain-text table of the states: name, next state, halted, output, inputs.

        Parameters
        ----------
        max_states : int, default 64
            Show at most this many states.

        Examples
        --------
        >>> print(Computation([1, 1], halted=[False, True], output=["run", "done"]).table())
        state  next  halted  output  inputs
        0      1             'run'   0
        1      1     yes     'done'  1
        """
        limit = as_count(max_states, "max_states")
        shown = min(self.n, limit)
        starts: dict[int, list[str]] = {}
        for value, s in zip(self._input_values, self._input_states.tolist()):
            if s < shown:
                starts.setdefault(s, []).append(repr(_python(value)))
        rows = [["state", "next", "halted", "output", "inputs"]]
        for m in range(shown):
            rows.append(
                [
                    _show(self.label(m)),
                    _show(self.label(int(self._step[m]))),
                    "yes" if self._halted[m] else "",
                    repr(self.output_value(m)),
                    ", ".join(starts.get(m, [])),
                ]
            )
        widths = [max(len(row[j]) for row in rows) for j in range(len(rows[0]))]
        lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
        if shown < self.n:
            lines.append(f"... ({self.n - shown} more states)")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"<Computation: {self.n} states, {int(self._halted.sum())} halted, "
            f"{self.n_outputs} output values, {len(self._input_values)} inputs>"
        )

    def __str__(self) -> str:
        if self.n <= REPR_MAX_STATES:
            return repr(self) + "\n" + self.table()
        return repr(self)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Computation):
            return NotImplemented
        return (
            np.array_equal(self._step, other._step)
            and np.array_equal(self._halted, other._halted)
            and np.array_equal(self._output, other._output)
            and _sequences_equal(self._output_values, other._output_values)
            and _sequences_equal(self._input_values, other._input_values)
            and np.array_equal(self._input_states, other._input_states)
            and self._state_labels == other._state_labels
        )

    __hash__ = None  # type: ignore[assignment]  # holds arrays; equality is by value

    # ------------------------------------------------------------------ ecosystem
    # Thin delegates; the code lives in abstractions.graphs and abstractions.symbolic,
    # which import networkx and sympy only when called.

    @classmethod
    def from_networkx(
        cls,
        G: Any,
        *,
        halted: str | None = "halted",
        output: str | None = "output",
        inputs: Any = None,
    ) -> Computation:
        """Build a computation from a ``networkx.DiGraph``; see :func:`abstractions.graphs.from_networkx`.

        Examples
        --------
        >>> import networkx as nx
        >>> Computation.from_networkx(nx.DiGraph([(0, 1), (1, 0)])).step
        array([1, 0])
        """
        from abstractions.graphs import from_networkx

        return from_networkx(G, halted=halted, output=output, inputs=inputs)

    def to_networkx(self, partition: Any = None) -> Any:
        """The computation as a ``networkx.DiGraph``; see :func:`abstractions.graphs.to_networkx`.

        Examples
        --------
        >>> list(Computation([1, 0]).to_networkx().edges)
        [(0, 1), (1, 0)]
        """
        from abstractions.graphs import to_networkx

        return to_networkx(self, partition)

    @classmethod
    def from_sympy(
        cls,
        variables: Any,
        step: Any,
        *,
        halted: Any = None,
        output: Any = None,
        inputs: Any = None,
        state_labels: bool = True,
        max_states: int = 10_000_000,
    ) -> Computation:
        """Build a computation from sympy expressions; see :func:`abstractions.symbolic.computation_from_sympy`.

        Examples
        --------
        >>> import sympy
        >>> b = sympy.Symbol("b")
        >>> Computation.from_sympy({b: 2}, {b: 1 - b}).step   # a bit that flips
        array([1, 0])
        """
        from abstractions.symbolic import computation_from_sympy

        return computation_from_sympy(
            variables,
            step,
            halted=halted,
            output=output,
            inputs=inputs,
            state_labels=state_labels,
            max_states=max_states,
        )


def _show(label: Hashable) -> str:
    if isinstance(label, str):
        return label
    return str(label)


def _object_array(items: list[Any]) -> np.ndarray:
    array = np.empty(len(items), dtype=object)
    for i, item in enumerate(items):
        array[i] = item
    return array


def _distinct(values: Any, name: str, what: str) -> tuple[Any, ...]:
    """``values`` as a tuple of distinct hashables, or raise naming the repeat."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise InvalidTypeError(f"{name} must be a sequence of {what}, got {type(values).__name__}")
    items = tuple(_python(v) for v in values)
    seen: dict[Any, int] = {}
    for i, item in enumerate(items):
        try:
            j = seen.setdefault(item, i)
        except TypeError:
            raise InvalidTypeError(f"{name}[{i}] = {item!r} is not hashable") from None
        if j != i:
            raise InvalidValueError(
                f"{name}[{i}] = {item!r} repeats {name}[{j}]; {what} must be distinct"
            )
    return items


def _check_state_labels(state_labels: Sequence[Hashable], n: int) -> tuple[Hashable, ...]:
    labels = _distinct(state_labels, "state_labels", "state names")
    if len(labels) != n:
        raise InvalidValueError(f"state_labels has length {len(labels)}, expected {n} (one per state)")
    return labels


def _check_output(
    output: Any,
    output_values: Sequence[Any] | None,
    n: int,
    state_labels: tuple[Hashable, ...] | None,
) -> tuple[Ids, Values]:
    if output is None:
        if output_values is not None:
            raise InvalidValueError("output_values was given without output ids")
        values: Values = range(n) if state_labels is None else state_labels
        return np.arange(n, dtype=np.int64), values
    if output_values is not None:
        values = _distinct(output_values, "output_values", "output values")
        ids = as_index_array(output, "output", n=len(values), length=n, copy=True)
        return ids, values
    array = _as_label_array(output, "output")
    if array.shape[0] != n:
        raise InvalidValueError(f"output has length {array.shape[0]}, expected {n} (one per state)")
    ids, _ = canonical_labels(array, "output")
    return ids, _as_values(array[first_occurrences(ids)])


def _check_inputs(inputs: Any, n: int) -> tuple[Values, Ids]:
    if inputs is None:
        return range(n), np.arange(n, dtype=np.int64)
    if isinstance(inputs, Mapping):
        keys = list(inputs.keys())
        raw = list(inputs.values())
        try:
            states = as_index_array(raw, "inputs", n=n, copy=True)
        except (InvalidValueError, InvalidTypeError):
            for key, state in zip(keys, raw):
                try:
                    as_index_array([state], "inputs", n=n)
                except (InvalidValueError, InvalidTypeError) as err:
                    kind = type(err)
                    raise kind(
                        f"inputs[{key!r}] = {state!r} is not a state: {err}"
                    ) from None
            raise
        return tuple(_python(k) for k in keys), states
    if isinstance(inputs, (str, bytes)) or not isinstance(inputs, Iterable):
        raise InvalidTypeError(
            f"inputs must be a mapping or a sequence of start states, got {type(inputs).__name__}"
        )
    states = as_index_array(
        inputs if isinstance(inputs, np.ndarray) else list(inputs), "inputs", n=n, copy=True
    )
    counts = np.bincount(states, minlength=n) if states.size else np.zeros(n, np.int64)
    if (counts > 1).any():
        state = int(np.flatnonzero(counts > 1)[0])
        raise InvalidValueError(f"inputs lists state {state} more than once")
    return tuple(states.tolist()), states
