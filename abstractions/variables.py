"""Structured states: the variables a state is made of, and their values.

A state of a computation written in variables (``from_sympy``, or
``from_functions`` on tuples or named tuples) is a tuple of variable
values. :class:`Variables` records them, one column per variable: the name,
an int64 *code* per state (an index into the variable's *levels*, its
possible values) and, for sympy computations, which variables each next
value reads (the syntactic dependency graph). A system keeps its record
through restriction, pickling and equality
(:attr:`~abstractions.System.state_variables`,
:attr:`~abstractions.System.variables`, :meth:`~abstractions.System.values`).

:func:`variable_abstraction` is the abstraction that keeps the values of
some variables: the partition of the states by those values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from abstractions._validation import Ids, object_array, python_value, readonly
from abstractions.exceptions import (
    InvalidTypeError,
    InvalidValueError,
    SizeMismatchError,
    UnknownVariableError,
)
from abstractions.partition import Partition, canonical_labels, first_occurrences

__all__ = ["Variables", "variable_abstraction"]
# as_variables, require_variables, variable_names and key_labels are shared
# helpers of the library's modules, not public API.

#: The possible values of one variable: a tuple of Python objects, or a
#: ``range`` (the domain of a sympy variable, stored without a tuple).
Levels = tuple[Any, ...] | range


def _levels_of(levels: Any, name: str) -> Levels:
    if isinstance(levels, range):
        return levels
    if isinstance(levels, (str, bytes)) or not isinstance(levels, Iterable):
        raise InvalidTypeError(f"the levels of variable {name!r} must be a sequence of values")
    items = tuple(python_value(v) for v in levels)
    try:
        distinct = len(set(items))
    except TypeError:
        raise InvalidTypeError(f"the levels of variable {name!r} must be hashable") from None
    if distinct != len(items):
        raise InvalidValueError(f"the levels of variable {name!r} repeat a value")
    return items


class Variables:
    """The variables of structured states: names, per-state codes, possible values.

    Parameters
    ----------
    names : sequence of str
        Distinct variable names, in order.
    codes : array_like of int, shape (len(names), n)
        ``codes[j, m]`` is the index of state ``m``'s value of variable
        ``j`` in ``levels[j]``.
    levels : sequence
        For each variable, its possible values: a sequence of distinct
        hashables or a ``range``. Values no state takes are allowed (a
        sympy domain keeps all its values after restriction).
    reads : mapping of str to sequence of str, optional
        The syntactic dependency graph: for each variable, the variables its
        next value reads (the halting condition's variables included).
        Known for computations built with ``from_sympy``.

    Raises
    ------
    InvalidValueError
        For repeated or empty names, codes of the wrong shape or out of
        range, reads that name unknown variables.
    InvalidTypeError
        For names that are not strings, non-integer codes.

    Notes
    -----
    Usually built for you: ``Computation(..., variables={name: values})``,
    ``Computation.from_sympy`` and ``Computation.from_functions`` on
    tuples. The record is immutable and compares by value.

    Examples
    --------
    >>> V = Variables.from_values({"x": [0, 1, 1], "flag": ["a", "a", "b"]})
    >>> V.names, V.n
    (('x', 'flag'), 3)
    >>> V.values("flag").tolist()
    ['a', 'a', 'b']
    >>> V.values("x")
    array([0, 1, 1])
    """

    __slots__ = ("_codes", "_index", "_levels", "_names", "_reads")

    _names: tuple[str, ...]
    _codes: Ids
    _levels: tuple[Levels, ...]
    _reads: dict[str, tuple[str, ...]] | None
    _index: dict[str, int]

    def __init__(
        self,
        names: Sequence[str],
        codes: Any,
        levels: Sequence[Any],
        reads: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        if isinstance(names, str) or not isinstance(names, Iterable):
            raise InvalidTypeError(f"names must be a sequence of strings, got {names!r}")
        names = tuple(names)
        for name in names:
            if not isinstance(name, str):
                raise InvalidTypeError(
                    f"variable names must be strings, got {name!r} of type {type(name).__name__}"
                )
        if not names:
            raise InvalidValueError("names is empty; structured states need at least one variable")
        if len(set(names)) != len(names):
            repeated = next(v for v in names if names.count(v) > 1)
            raise InvalidValueError(f"variable {repeated!r} is named twice")
        array = np.asarray(codes)
        if array.ndim != 2 or array.shape[0] != len(names):
            raise InvalidValueError(
                f"codes must have shape ({len(names)}, n): one row per variable, got {array.shape}"
            )
        if array.size and array.dtype.kind not in "iu":
            raise InvalidTypeError(f"codes must be integers, got dtype {array.dtype}")
        array = np.ascontiguousarray(array, dtype=np.int64)
        if len(levels) != len(names):
            raise InvalidValueError(f"levels has {len(levels)} entries for {len(names)} variables")
        checked = tuple(_levels_of(lv, name) for lv, name in zip(levels, names))
        for j, (name, lv) in enumerate(zip(names, checked)):
            row = array[j]
            if row.size and (int(row.min()) < 0 or int(row.max()) >= len(lv)):
                m = int(np.flatnonzero((row < 0) | (row >= len(lv)))[0])
                raise InvalidValueError(
                    f"codes of variable {name!r} at state {m} is {int(row[m])}, not an index "
                    f"into its {len(lv)} levels"
                )
        graph = None
        if reads is not None:
            graph = {}
            for name, read in reads.items():
                if name not in names:
                    raise UnknownVariableError(_unknown(name, names, "reads:"))
                unknown = [r for r in read if r not in names]
                if unknown:
                    raise UnknownVariableError(_unknown(unknown[0], names, f"reads[{name!r}]:"))
                graph[name] = tuple(dict.fromkeys(read))
        self._set(names, readonly(array), checked, graph)

    def _set(
        self, names: tuple[str, ...], codes: Ids, levels: tuple[Levels, ...],
        reads: dict[str, tuple[str, ...]] | None,
    ) -> None:
        setter = object.__setattr__
        setter(self, "_names", names)
        setter(self, "_codes", codes)
        setter(self, "_levels", levels)
        setter(self, "_reads", reads)
        setter(self, "_index", {name: j for j, name in enumerate(names)})

    @classmethod
    def _from_checked(
        cls, names: tuple[str, ...], codes: Ids, levels: tuple[Levels, ...],
        reads: dict[str, tuple[str, ...]] | None = None,
    ) -> Variables:
        self = object.__new__(cls)
        self._set(names, readonly(codes), levels, reads)
        return self

    @classmethod
    def from_values(cls, values: Mapping[str, Any], n: int | None = None) -> Variables:
        """The record of per-state values ``{name: values}``.

        Parameters
        ----------
        values : mapping of str to array_like
            One hashable value per state for each variable, in order.
        n : int, optional
            The number of states, checked against the lengths.

        Raises
        ------
        SizeMismatchError
            If a variable does not have one value per state.

        Examples
        --------
        >>> Variables.from_values({"b": [1, 0, 1], "s": ["x", "y", "x"]}).levels
        ((1, 0), ('x', 'y'))
        >>> import numpy as np
        >>> Variables.from_values({"b": np.array([1, 0, 1])}).levels   # int arrays: a range
        (range(0, 2),)
        """
        if not isinstance(values, Mapping):
            raise InvalidTypeError(
                f"variables must be a mapping {{name: values per state}}, "
                f"got {type(values).__name__}"
            )
        names = list(values)
        rows = []
        levels: list[Levels] = []
        for name in names:
            column = values[name]
            if not isinstance(name, str):
                raise InvalidTypeError(f"variable names must be strings, got {name!r}")
            items = column if isinstance(column, np.ndarray) else object_array(column)
            if items.ndim != 1:
                raise InvalidValueError(f"the values of variable {name!r} must be 1-dimensional")
            if n is not None and items.shape[0] != n:
                raise SizeMismatchError(
                    f"variable {name!r} has {items.shape[0]} values, but the system has {n} "
                    f"states (one value per state)"
                )
            if items.dtype.kind in "iu" and items.size:
                low, high = int(items.min()), int(items.max())
                if high - low <= 2 * items.shape[0] + 64:
                    # integers in a compact range: the range is the levels, no hashing
                    rows.append(np.asarray(items - items.dtype.type(low)).astype(np.int64))
                    levels.append(range(low, high + 1))
                    continue
            ids, _ = canonical_labels(items, f"variables[{name!r}]")
            rows.append(ids)
            firsts = first_occurrences(ids)
            levels.append(tuple(python_value(v) for v in items[firsts].tolist()))
        size = rows[0].shape[0] if rows else 0
        for name, row in zip(names, rows):
            if row.shape[0] != size:
                raise SizeMismatchError(
                    f"variable {name!r} has {row.shape[0]} values, but {names[0]!r} has {size}"
                )
        codes = np.vstack(rows) if rows else np.zeros((0, 0), dtype=np.int64)
        return cls(names, codes, levels)

    # ------------------------------------------------------------------ views

    @property
    def names(self) -> tuple[str, ...]:
        """The variable names, in order."""
        return self._names

    @property
    def n(self) -> int:
        """The number of states."""
        return int(self._codes.shape[1])

    @property
    def codes(self) -> Ids:
        """``codes[j, m]``: index of state ``m``'s value of variable ``j`` in its levels
        (read-only)."""
        return self._codes

    @property
    def levels(self) -> tuple[Levels, ...]:
        """For each variable, its possible values (indexed by code)."""
        return self._levels

    @property
    def reads(self) -> dict[str, tuple[str, ...]] | None:
        """The syntactic dependency graph ``{variable: variables its next value reads}``, or
        None."""
        return None if self._reads is None else dict(self._reads)

    def index(self, name: Any, what: str = "variable") -> int:
        """The position of variable ``name``.

        Raises
        ------
        UnknownVariableError
            If there is no such variable; the message lists the variables.
        """
        try:
            return self._index[name]
        except (KeyError, TypeError):
            raise UnknownVariableError(_unknown(name, self._names, what)) from None

    def codes_of(self, name: str) -> Ids:
        """The codes of one variable (read-only int64, one per state)."""
        row: Ids = self._codes[self.index(name)]
        return row

    def values(self, name: str) -> np.ndarray:
        """The value of variable ``name`` in every state.

        int64 when every value is an int that fits, else an object array of
        the values as they were given (read-only either way).
        """
        j = self.index(name)
        levels, codes = self._levels[j], self._codes[j]
        if isinstance(levels, range) and -(2**63) <= levels.start and levels[-1] < 2**63 and (
            -(2**63) <= levels.start + levels.step * (len(levels) - 1) < 2**63
        ):
            return readonly(np.asarray(levels.start + levels.step * codes, dtype=np.int64))
        table = object_array(levels)
        if all(type(v) is int and -(2**63) <= v < 2**63 for v in levels):
            return readonly(table.astype(np.int64)[codes])
        return readonly(table[codes])

    def restrict(self, index: Ids) -> Variables:
        """The record on the states ``index`` (new state ``i`` is ``index[i]``)."""
        codes = np.ascontiguousarray(self._codes[:, index])
        return Variables._from_checked(self._names, codes, self._levels, self._reads)

    # ------------------------------------------------------------------ value semantics

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Variables is immutable; cannot set {name!r}")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Variables):
            return NotImplemented
        return (
            self._names == other._names
            and self._codes.shape == other._codes.shape
            and bool(np.array_equal(self._codes, other._codes))
            and all(
                len(a) == len(b) and all(x == y for x, y in zip(a, b))
                for a, b in zip(self._levels, other._levels)
            )
            and self._reads == other._reads
        )

    __hash__ = None  # type: ignore[assignment]  # holds arrays; equality is by value

    def __reduce__(self) -> tuple[Any, ...]:
        return (Variables._from_checked, (self._names, self._codes, self._levels, self._reads))

    def __repr__(self) -> str:
        return f"<Variables: {', '.join(self._names)} on {self.n} states>"


def _unknown(name: Any, names: Sequence[str], what: str) -> str:
    shown = ", ".join(repr(v) for v in names[:12]) + (", ..." if len(names) > 12 else "")
    return f"{what} {name!r} is not a variable; the variables are {shown}"


def as_variables(value: Any, n: int) -> Variables | None:
    """``value`` (None, a :class:`Variables` or a mapping of values) checked for ``n`` states."""
    if value is None:
        return None
    if isinstance(value, Variables):
        if value.n != n:
            raise SizeMismatchError(
                f"variables describe {value.n} states, but the system has {n} states"
            )
        return value
    return Variables.from_values(value, n)


def require_variables(system: Any) -> Variables:
    """The system's variables, or a clear error if it has none."""
    record = getattr(system, "state_variables", None)
    if record is None:
        kind = type(system).__name__
        raise InvalidValueError(
            f"this {kind} has no variables: build it with Computation.from_sympy, with "
            f"Computation.from_functions on tuple states, or pass variables= to Computation"
        )
    assert isinstance(record, Variables)
    return record


def variable_names(system: Any, variables: Any, name: str = "variables") -> tuple[str, ...]:
    """``variables`` (one name or a sequence of names) checked against the system's variables."""
    record = require_variables(system)
    if isinstance(variables, str):
        variables = [variables]
    elif not isinstance(variables, Iterable):
        raise InvalidTypeError(
            f"{name} must be a variable name or a sequence of names, got {type(variables).__name__}"
        )
    chosen = []
    for v in variables:
        record.index(v, what=f"{name}: ")
        chosen.append(v)
    if len(set(chosen)) != len(chosen):
        repeated = next(v for v in chosen if chosen.count(v) > 1)
        raise InvalidValueError(f"{name} names {repeated!r} twice")
    return tuple(chosen)


def variable_abstraction(system: Any, variables: Any) -> Partition:
    """The abstraction that keeps the values of ``variables``: states agree on them.

    Parameters
    ----------
    system : System
        A system with variables (see :attr:`~abstractions.System.variables`).
    variables : str or sequence of str
        Variable names; none gives the bottom (one block).

    Returns
    -------
    Partition

    Raises
    ------
    UnknownVariableError
        If a name is not one of the system's variables.
    InvalidValueError
        If the system has no variables, or a name is repeated.

    Examples
    --------
    >>> from abstractions import Computation
    >>> C = Computation([1, 2, 0, 0], variables={"hi": [0, 0, 1, 1], "lo": [0, 1, 0, 1]})
    >>> variable_abstraction(C, "hi").labels
    array([0, 0, 1, 1])
    >>> variable_abstraction(C, ["hi", "lo"]).n_blocks
    4
    >>> variable_abstraction(C, ["mid"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    abstractions.exceptions.UnknownVariableError: variables: 'mid' is not a variable; ...
    """
    record = require_variables(system)
    chosen = variable_names(system, variables)
    return Partition._from_canonical(*key_labels(record, [record.index(v) for v in chosen]))


def key_labels(record: Variables, columns: Sequence[int]) -> tuple[Ids, int]:
    """Canonical labels of the states by the values of the variables at ``columns``."""
    n = record.n
    labels = np.zeros(n, dtype=np.int64)
    count = 1 if n else 0
    for j in columns:
        row = record.codes[j]
        size = len(record.levels[j])
        if count * size < 2**62:
            labels, count = canonical_labels(labels * size + row)
        else:  # pair with the dense ids of the variable instead of its raw codes
            dense, k = canonical_labels(row)
            labels, count = canonical_labels(labels * k + dense)
    return labels, count
