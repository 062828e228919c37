"""Finite computations: memory states, a transition, termination and outputs.

A :class:`Computation` is a deterministic machine on the states ``0 .. n-1``
that runs until it halts: start in ``in(x)``, apply ``step`` while the state
is not ``halted``, then read ``output``. It is the functional kind of
:class:`~abstractions.System` (the functor ``F = Id``: one successor per
state). All of it is stored as numpy arrays so that abstractions of millions
of states stay cheap; the Python objects a user thinks in (state names,
output values, input values) are kept beside the arrays and used only at the
edges (:meth:`Computation.run`, :meth:`Computation.table`,
:meth:`Computation.from_functions`).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, ClassVar

import numpy as np

from abstractions._engine.primitives import final_states
from abstractions._engine.relation import Relation, function_relation
from abstractions._validation import (
    Ids,
    Mask,
    as_bool_array,
    as_count,
    as_index_array,
    object_array,
    readonly,
    show_label,
)
from abstractions.exceptions import (
    InvalidTypeError,
    InvalidValueError,
    NonHaltingError,
    TooLargeError,
)
from abstractions.partition import Partition
from abstractions.progress import progress_bar
from abstractions.system import System, Values
from abstractions.variables import Variables, as_variables

__all__ = ["Computation", "Values"]

#: Up to this many steps, :meth:`Computation.power` composes step by step
#: (``k - 1`` gathers); beyond, pointer doubling takes fewer.
_DIRECT_POWER = 4


def _tuple_variables(states: list[Any], names: Sequence[str] | bool | None) -> dict[str, Any] | None:
    """The positions of tuple states as variables (see ``from_functions``), or None."""
    if names is False:
        return None
    positional = names is True
    if positional:
        names = None
    if names is not None and (isinstance(names, str) or not isinstance(names, Iterable)):
        raise InvalidTypeError(
            f"variables must be a sequence of names (one per position of the tuple states), "
            f"got {names!r}"
        )
    given = None if names is None else list(names)
    first = states[0] if states else None
    width = len(first) if isinstance(first, tuple) else -1
    fields = getattr(type(first), "_fields", None)
    uniform = width >= 0 and all(
        isinstance(s, tuple) and len(s) == width and getattr(type(s), "_fields", None) == fields
        for s in states
    )
    if not uniform or width == 0:
        if given is not None or positional:
            odd = next((s for s in states if not isinstance(s, tuple) or len(s) != width), first)
            raise InvalidValueError(
                f"variables names the positions of tuple states, but the states are not tuples "
                f"of one length (e.g. {odd!r})"
            )
        return None
    if given is None:
        if fields is None and not positional:
            return None  # plain tuples: no names to give, so no variables unless asked
        given = list(fields) if fields is not None else [f"x{j}" for j in range(width)]
    elif len(given) != width:
        raise InvalidValueError(
            f"variables names {len(given)} positions, but the states are tuples of {width}"
        )
    return {name: object_array([s[j] for s in states]) for j, name in enumerate(given)}


class Computation(System):
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
    variables : mapping or Variables, optional
        Structured states: ``{name: one value per state}`` for each state
        variable (or a :class:`~abstractions.variables.Variables` record).
        Read by :attr:`variables`, :meth:`values` and the functions of
        :mod:`abstractions.support`; kept by :meth:`restrict`, pickling
        and equality. Built for you by :meth:`from_sympy` and by
        :meth:`from_functions` on tuple states.

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

    __slots__ = ("_step", "_halted")

    kind: ClassVar[str] = "computation"
    schema: ClassVar[Mapping[str, str]] = MappingProxyType({"step": "ids", "halted": "mask"})

    _step: Ids
    _halted: Mask

    def __init__(
        self,
        step: Any,
        halted: Any = None,
        output: Any = None,
        inputs: Any = None,
        *,
        output_values: Sequence[Any] | None = None,
        state_labels: Sequence[Hashable] | None = None,
        variables: Mapping[str, Any] | Variables | None = None,
    ) -> None:
        step_ids = as_index_array(step, "step", copy=True, self_map=True)
        n = step_ids.shape[0]
        if halted is None:
            halted_mask = np.zeros(n, dtype=bool)
        else:
            halted_mask = as_bool_array(halted, "halted", length=n)
        self._set_shared(n, output, output_values, inputs, state_labels)
        self._set_own(step_ids, halted_mask)
        self._set_variables(as_variables(variables, n))

    def _set_own(self, step: Ids, halted: Mask) -> None:
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
        variables: Variables | None = None,
    ) -> Computation:
        """Wrap arrays that are already checked (no validation)."""
        self = object.__new__(cls)
        self._store_shared(output, output_values, input_values, input_states, state_labels)
        self._set_own(step, halted)
        self._set_variables(variables)
        return self

    # ------------------------------------------------------------------ the kind

    def _relation(self) -> Relation:
        return function_relation(self._step)

    def _to_fields(self) -> dict[str, Any]:
        return {"step": self._step, "halted": self._halted}

    @classmethod
    def _from_fields(cls, own: dict[str, Any], shared: dict[str, Any]) -> Computation:
        return cls(cls._needed(own, "step"), halted=own["halted"], **shared)

    def _restrict_own(self, index: Ids, position: Ids) -> tuple[Any, ...]:
        new_step = self._closed(index, position, self._step[index], index)
        return new_step, self._halted[index].copy()

    def _quotient_own(self, P: Partition, rows: Any = None) -> tuple[Any, ...]:
        reps = P.representatives()
        step = np.ascontiguousarray(P.labels[self._step[reps]], dtype=np.int64)
        # An abstract state halts when all its states do (then it is absorbing).
        # Only the halted states are counted, by block: usually few or none,
        # where a float-weighted count over every state took 0.4 s at 10^7.
        if not self._halted.any():
            return step, np.zeros(P.n_blocks, dtype=bool)
        halted_count = np.bincount(P.labels[self._halted], minlength=P.n_blocks)
        return step, halted_count == P.block_sizes()

    def _table_columns(self) -> tuple[list[str], list[list[str]]]:
        step, halted = self._step.tolist(), self._halted.tolist()
        return ["next", "halted"], [
            [show_label(self.label(step[m])), "yes" if halted[m] else ""] for m in range(self.n)
        ]

    def _summary(self) -> str:
        return f", {int(self._halted.sum())} halted"


    @classmethod
    def from_functions(
        cls,
        step: Callable[[Any], Any],
        inputs: Mapping[Any, Any] | Iterable[Any],
        *,
        halted: Callable[[Any], bool] | None = None,
        output: Callable[[Any], Any] | None = None,
        max_states: int = 1_000_000,
        variables: Sequence[str] | bool | None = None,
        progress: bool | None = None,
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
        variables : sequence of str or bool, optional
            The names of the state variables when states are tuples of one
            length: ``variables[j]`` names position ``j``; True names them
            ``"x0", "x1", ...``. By default (None) named tuples of one type
            give their field names and other states no variables (plain
            tuples have no names to give); False gives no variables.
        progress : bool or None
            A bar counting the explored states: by default on an
            interactive terminal or notebook once the work has taken a
            second; True or False forces it (:mod:`abstractions.progress`).

        Returns
        -------
        Computation
            With ``state_labels`` the explored states, and :attr:`variables`
            the positions of tuple states.

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

        Tuple states have variables, one per position:

        >>> from collections import namedtuple
        >>> Clock = namedtuple("Clock", "hour minute")
        >>> C = Computation.from_functions(
        ...     lambda c: Clock(c.hour + c.minute // 30, (c.minute + 30) % 60),
        ...     [Clock(0, 0)], halted=lambda c: c.hour == 2)
        >>> C.variables, C.values("minute").tolist()
        (('hour', 'minute'), [0, 30, 0, 30, 0])
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
        with progress_bar(progress, desc="exploring", unit="states") as bar:
            while i < len(order):
                state = order[i]
                stop = bool(halted(state)) if halted is not None else False
                halts.append(stop)
                succ.append(i if stop else find(step(state), f"step({state!r})"))
                i += 1
                if i & 1023 == 0:
                    bar.update(1024)
            outputs = None if output is None else [output(s) for s in order]
        return cls(
            step=np.array(succ, dtype=np.int64),
            halted=np.array(halts, dtype=bool),
            output=outputs if outputs is None else object_array(outputs),
            inputs=starts,
            state_labels=order,
            variables=_tuple_variables(order, variables),
        )

    # ------------------------------------------------------------------ views

    @property
    def step(self) -> Ids:
        """The transition: ``step[m]`` is the next state (read-only int64)."""
        return self._step

    @property
    def halted(self) -> Mask:
        """The termination map (read-only bool)."""
        return self._halted

    # ------------------------------------------------------------------ high-level steps

    def power(self, k: int) -> Computation:
        """The computation that takes ``k`` steps at a time: ``tau**k``.

        Parameters
        ----------
        k : int
            The number of steps, at least 1.

        Returns
        -------
        Computation
            With ``step = tau**k``; halted states, outputs, inputs and state
            names are this computation's. Halted states stay absorbing, so a
            run that halts within ``k`` steps waits there.

        Raises
        ------
        InvalidValueError
            If ``k < 1``.
        InvalidTypeError
            If ``k`` is not an integer.

        See Also
        --------
        abstractions.first_return : one step per visit of chosen states.

        Notes
        -----
        Small ``k`` take ``k - 1`` gathers; larger ``k`` take pointer
        doubling (square ``tau``, ``tau**2``, ``tau**4``, ... and compose
        the powers of the binary digits of ``k``): at most
        ``2 log2(k)`` gathers of ``n`` ids, so ``k = 10**18`` costs about
        120 of them.

        Examples
        --------
        A counter mod 6, two steps at a time:

        >>> C = Computation([1, 2, 3, 4, 5, 0])
        >>> C.power(2).step
        array([2, 3, 4, 5, 0, 1])
        >>> C.power(6).step      # a full turn
        array([0, 1, 2, 3, 4, 5])
        >>> Computation([1, 2, 2], halted=[False, False, True]).power(10**18).step
        array([2, 2, 2])
        """
        if isinstance(k, (bool, np.bool_)) or not isinstance(k, numbers.Integral):
            raise InvalidTypeError(f"k must be an integer number of steps, got {k!r}")
        k = int(k)
        if k < 1:
            raise InvalidValueError(
                f"k must be at least 1 (the number of steps per abstract step), got {k}"
            )
        step = self._step
        if k <= _DIRECT_POWER:
            result = step.copy()
            for _ in range(k - 1):
                result = step[result]
        else:
            # Binary powers: result = tau**(bits seen), square = tau**(2**i).
            result = np.arange(self.n, dtype=np.int64)
            square = step
            while True:
                if k & 1:
                    result = square[result]
                k >>= 1
                if not k:
                    break
                square = square[square]
        shared = (
            self._output, self._output_values, self._input_values, self._input_states,
            self._state_labels,
        )
        return Computation._from_arrays(
            np.ascontiguousarray(result, dtype=np.int64), self._halted, *shared,
            variables=self._variables,
        )


    # ------------------------------------------------------------------ running

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

        A graph with branching, labels or weights is refused with the
        constructor that fits it (``TransitionSystem.from_networkx``).

        Examples
        --------
        >>> import networkx as nx
        >>> Computation.from_networkx(nx.DiGraph([(0, 1), (1, 0)])).step
        array([1, 0])
        """
        from abstractions.graphs import from_networkx

        return from_networkx(  # type: ignore[no-any-return]
            G, kind="computation", halted=halted, output=output, inputs=inputs
        )

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
        reachable_from: Any = None,
        progress: bool | None = None,
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
            reachable_from=reachable_from,
            progress=progress,
        )

