"""Computations and abstractions written as sympy expressions over finite domains.

A symbolic computation has state variables with finite ranges (integers mod
``p``, bits, ``range(a, b)``); its step gives the next value of each
variable as a sympy expression of the current values, e.g. ``x -> x*y mod p``.
The state space is the product of the ranges, numbered in mixed radix (the
first variable most significant, as :func:`itertools.product` orders it).
Expressions are compiled once with :func:`sympy.lambdify` to numpy and
evaluated on all states at once: enumeration costs a few array operations,
not a Python call per state.

sympy is imported when one of these functions is called, never by
``import abstractions``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from abstractions._validation import Ids, as_count
from abstractions.computation import Computation
from abstractions.exceptions import InvalidTypeError, InvalidValueError, TooLargeError
from abstractions.partition import Partition, canonical_labels, first_occurrences

__all__ = [
    "computation_from_sympy",
    "partition_from_expression",
    "partition_to_sympy",
    "partition_from_sympy",
    "SYMPY_MAX_STATES",
]

#: Largest number of states converted to or from a sympy ``Partition``
#: (sympy stores blocks as sets of sympy integers: 1000 states take ~0.3 s).
SYMPY_MAX_STATES = 1000

def _space(variables: Any, max_states: int) -> tuple[list[Any], list[range], int]:
    """Check ``variables`` (symbol -> size or range) and return symbols, ranges, n."""
    import sympy  # type: ignore[import-untyped,unused-ignore]  # sympy ships no types

    if isinstance(variables, Mapping):
        pairs = list(variables.items())
    elif isinstance(variables, Iterable) and not isinstance(variables, (str, bytes)):
        pairs = list(variables)
        if not all(isinstance(p, tuple) and len(p) == 2 for p in pairs):
            raise InvalidTypeError(
                "variables must be a mapping {symbol: range} or a sequence of (symbol, range) pairs"
            )
    else:
        raise InvalidTypeError(
            f"variables must be a mapping {{symbol: range}}, got {type(variables).__name__}"
        )
    if not pairs:
        raise InvalidValueError("variables is empty; a computation needs at least one variable")
    symbols: list[Any] = []
    ranges: list[range] = []
    for symbol, domain in pairs:
        if not isinstance(symbol, sympy.Symbol):
            raise InvalidTypeError(f"variable {symbol!r} must be a sympy Symbol, got {type(symbol).__name__}")
        if symbol in symbols:
            raise InvalidValueError(f"variable {symbol} is listed twice")
        if isinstance(domain, range):
            values = domain
        elif isinstance(domain, (int, np.integer)) and not isinstance(domain, bool):
            values = range(int(domain))
        else:
            raise InvalidTypeError(
                f"the range of {symbol} must be an int k (meaning 0..k-1) or a range, got {domain!r}"
            )
        if len(values) == 0 or values.step < 0:
            raise InvalidValueError(
                f"the range of {symbol} must be non-empty and increasing, got {values!r}"
            )
        symbols.append(symbol)
        ranges.append(values)
    n = 1
    for values in ranges:
        n *= len(values)
    if n > max_states:
        sizes = " * ".join(str(len(r)) for r in ranges)
        raise TooLargeError(
            f"the state space has {sizes} = {n} states, more than max_states={max_states}"
        )
    return symbols, ranges, n


def _strides(ranges: list[range]) -> list[int]:
    strides = [1] * len(ranges)
    for i in range(len(ranges) - 2, -1, -1):
        strides[i] = strides[i + 1] * len(ranges[i + 1])
    return strides


def _columns(ranges: list[range], n: int) -> list[Ids]:
    """The value of each variable in every state (mixed-radix decoding of 0..n-1)."""
    index = np.arange(n, dtype=np.int64)
    return [
        r.start + r.step * ((index // stride) % len(r))
        for r, stride in zip(ranges, _strides(ranges))
    ]


def _describe(symbols: list[Any], columns: list[Ids], m: int) -> str:
    return ", ".join(f"{s}={int(c[m])}" for s, c in zip(symbols, columns))


def _evaluate(expr: Any, symbols: list[Any], columns: list[Ids], name: str) -> np.ndarray:
    """``expr`` on every state, as an array of shape (n,)."""
    import sympy

    try:
        expr = sympy.sympify(expr)
    except (sympy.SympifyError, TypeError) as err:
        raise InvalidTypeError(f"{name} must be a sympy expression, got {expr!r}: {err}") from None
    stray = expr.free_symbols - set(symbols)
    if stray:
        raise InvalidValueError(
            f"{name} = {expr} uses {', '.join(sorted(map(str, stray)))}, which "
            f"{'is not a state variable' if len(stray) == 1 else 'are not state variables'}"
        )
    n = columns[0].shape[0]
    function = sympy.lambdify(symbols, expr, modules="numpy")
    try:
        with np.errstate(divide="raise", invalid="raise", over="raise"):
            result = np.asarray(function(*columns))
    except (FloatingPointError, ZeroDivisionError) as err:
        raise InvalidValueError(f"{name} = {expr} cannot be evaluated on every state: {err}") from None
    if result.shape == ():
        # a constant expression: lambdify returns one value, not one per state
        result = np.full(n, result.item())
    if result.shape != (n,):
        raise InvalidValueError(f"{name} = {expr} gives shape {result.shape}, expected ({n},)")
    return result


def _encode(
    values: list[np.ndarray], symbols: list[Any], ranges: list[range], columns: list[Ids] | None, what: str
) -> Ids:
    """State index of each row of variable values; raise naming the first bad one."""
    index = np.zeros(values[0].shape[0], dtype=np.int64)
    for symbol, r, stride, column in zip(symbols, ranges, _strides(ranges), values):
        if column.dtype.kind == "f":
            integral = np.isfinite(column) & (column == np.round(column))
            if not integral.all():
                m = int(np.flatnonzero(~integral)[0])
                raise InvalidValueError(
                    _bad(symbol, column[m].item(), r, m, symbols, columns, what, "not an integer")
                )
            column = column.astype(np.int64)
        elif column.dtype.kind not in "iub":
            raise InvalidTypeError(f"{what} for {symbol} gives values of dtype {column.dtype}, not integers")
        column = column.astype(np.int64)
        offset = column - r.start
        digit = offset // r.step
        bad = (offset < 0) | (digit >= len(r)) | (offset % r.step != 0)
        if bad.any():
            m = int(np.flatnonzero(bad)[0])
            raise InvalidValueError(
                _bad(symbol, column[m].item(), r, m, symbols, columns, what, f"outside {r!r}")
            )
        index += digit * stride
    return index


def _bad(
    symbol: Any, value: Any, r: range, m: int, symbols: list[Any], columns: list[Ids] | None,
    what: str, problem: str,
) -> str:
    where = f" at state {_describe(symbols, columns, m)}" if columns is not None else f" (entry {m})"
    hint = f"; reduce it, e.g. Mod(..., {len(r)})" if what == "step" and r.start == 0 and r.step == 1 else ""
    return f"{what} for {symbol}{where} is {value!r}, {problem}{hint}"


def _values(exprs: Any, symbols: list[Any], columns: list[Ids], name: str) -> tuple[Ids, tuple[Any, ...]]:
    """Kernel of an expression (or a tuple of them): ids and their values."""
    if isinstance(exprs, (tuple, list)):
        if not exprs:
            raise InvalidValueError(f"{name} is an empty sequence of expressions")
        parts = [_evaluate(e, symbols, columns, f"{name}[{i}]") for i, e in enumerate(exprs)]
        stacked = np.stack(parts, axis=1)
        _, inverse = np.unique(stacked, axis=0, return_inverse=True)
        ids, _ = canonical_labels(inverse.reshape(-1))
        rows = stacked[first_occurrences(ids)].tolist()
        return ids, tuple(tuple(row) for row in rows)
    result = _evaluate(exprs, symbols, columns, name)
    ids, _ = canonical_labels(result)
    return ids, tuple(result[first_occurrences(ids)].tolist())


def computation_from_sympy(
    variables: Mapping[Any, int | range] | Sequence[tuple[Any, int | range]],
    step: Mapping[Any, Any] | Sequence[Any],
    *,
    halted: Any = None,
    output: Any = None,
    inputs: Iterable[Any] | None = None,
    state_labels: bool = True,
    max_states: int = 10_000_000,
) -> Computation:
    """Build a computation from sympy expressions over finite state variables.

    Parameters
    ----------
    variables : mapping or sequence of pairs
        ``{symbol: domain}`` in order; a domain is an int ``k`` (the values
        ``0 .. k-1``: integers mod ``k``, ``2`` for a bit) or an increasing
        ``range``. The states are all combinations, numbered in mixed radix
        with the first variable most significant.
    step : mapping or sequence
        The next value of each variable: ``{symbol: expression}`` (variables
        left out keep their value) or one expression per variable in order.
        Each must land in its variable's domain on every state (write
        ``(x * y) % p``, i.e. ``Mod(x*y, p)``, to stay mod ``p``).
    halted : sympy boolean expression, optional
        True on halted states, e.g. ``sympy.Eq(x, 0)``; by default no state
        halts.
    output : expression or tuple of expressions, optional
        The output value of a state (a tuple of values for a tuple of
        expressions); by default the output is the state itself.
    inputs : iterable, optional
        Start states, each a tuple of variable values (a plain value when
        there is one variable), each its own input value. By default every
        state is an input, named by its index.
    state_labels : bool, default True
        Name each state by its tuple of variable values (its value when
        there is one variable). False keeps only arrays: for big spaces,
        as the labels are Python objects, one per state.
    max_states : int, default 10_000_000
        Refuse larger state spaces with :class:`~abstractions.TooLargeError`.

    Returns
    -------
    Computation

    Raises
    ------
    InvalidValueError
        If an expression gives a value outside its variable's domain or a
        non-integer (the message names the variable and a state where it
        happens), uses a symbol that is not a state variable, or cannot be
        evaluated (e.g. division by zero).
    InvalidTypeError
        For a variable that is not a ``sympy.Symbol`` or a domain that is
        not an int or a range.
    TooLargeError
        If the state space has more than ``max_states`` states.

    See Also
    --------
    partition_from_expression : abstractions as expressions of the state.

    Notes
    -----
    State ``m`` has digits ``d_i = (m // s_i) % k_i`` with ``k_i`` the size
    of domain ``i`` and ``s_i = k_{i+1} * ... * k_last``; variable ``i`` has
    value ``domain_i[d_i]``. Each expression is compiled with
    ``sympy.lambdify(..., modules="numpy")`` and called once on the arrays
    of all digits' values, and the successor's index is encoded back in
    the same way.

    Examples
    --------
    Multiply by a fixed factor mod 7 until the value is 1:

    >>> import sympy
    >>> from abstractions import Computation
    >>> x, y = sympy.symbols("x y")
    >>> C = Computation.from_sympy({x: 7, y: range(2, 4)}, {x: (x * y) % 7},
    ...                            halted=sympy.Eq(x, 1), output=x)
    >>> C.n, C.state_labels[:3]
    (14, ((0, 2), (0, 3), (1, 2)))
    >>> [C.state_labels[m] for m in C.trace(C.state_index((2, 2)))]
    [(2, 2), (4, 2), (1, 2)]
    >>> Computation.from_sympy({x: 7}, {x: x + 1})
    Traceback (most recent call last):
    ...
    abstractions.exceptions.InvalidValueError: step for x at state x=6 is 7, outside range(0, 7); reduce it, e.g. Mod(..., 7)
    """
    import sympy

    limit = as_count(max_states, "max_states")
    symbols, ranges, n = _space(variables, limit)
    columns = _columns(ranges, n)
    if isinstance(step, Mapping):
        unknown = [s for s in step if s not in symbols]
        if unknown:
            raise InvalidValueError(f"step gives a value for {unknown[0]!r}, which is not a state variable")
        exprs = [step.get(s, s) for s in symbols]
    elif isinstance(step, Sequence) and not isinstance(step, (str, bytes)):
        if len(step) != len(symbols):
            raise InvalidValueError(
                f"step has {len(step)} expressions for {len(symbols)} variables; give one per variable"
            )
        exprs = list(step)
    else:
        raise InvalidTypeError(
            f"step must be a mapping {{symbol: expression}} or a sequence of expressions, "
            f"got {type(step).__name__}"
        )
    nexts = [_evaluate(e, symbols, columns, f"step[{s}]") for s, e in zip(symbols, exprs)]
    succ = _encode(nexts, symbols, ranges, columns, "step")

    halts = None
    if halted is not None:
        flags = _evaluate(halted, symbols, columns, "halted")
        if flags.dtype.kind not in "biu" or ((flags != 0) & (flags != 1)).any():
            raise InvalidValueError(f"halted = {sympy.sympify(halted)} must be true or false on every state")
        halts = flags.astype(bool)

    labels = None
    if state_labels:
        if len(columns) == 1:
            labels = columns[0].tolist()
        else:
            labels = list(zip(*(c.tolist() for c in columns)))

    output_ids = output_values = None
    if output is not None:
        output_ids, output_values = _values(output, symbols, columns, "output")

    starts: dict[Any, int] | None = None
    if inputs is not None:
        given = [tuple(s) if isinstance(s, (tuple, list)) else (s,) for s in inputs]
        if any(len(s) != len(symbols) for s in given):
            bad = next(s for s in given if len(s) != len(symbols))
            raise InvalidValueError(f"input state {bad!r} needs {len(symbols)} values, one per variable")
        if given:
            rows = [np.array([s[i] for s in given]) for i in range(len(symbols))]
            where = _encode(rows, symbols, ranges, None, "inputs")
        else:
            where = np.zeros(0, dtype=np.int64)
        keys = [s if len(symbols) > 1 else s[0] for s in given]
        starts = dict(zip(keys, where.tolist()))
    return Computation(
        succ,
        halted=halts,
        output=output_ids,
        inputs=starts,
        output_values=output_values,
        state_labels=labels,
    )


def partition_from_expression(
    expr: Any,
    variables: Mapping[Any, int | range] | Sequence[tuple[Any, int | range]],
    *,
    max_states: int = 10_000_000,
) -> Partition:
    """The kernel of a sympy expression of the state: the abstraction that keeps its value.

    Parameters
    ----------
    expr : sympy expression or tuple of expressions
        A function of the state variables, e.g. ``x % 2`` or ``(x > 3, y)``.
    variables : mapping or sequence of pairs
        The state variables and their domains, exactly as given to
        :func:`computation_from_sympy` (so the states are numbered alike).
    max_states : int, default 10_000_000
        Refuse larger state spaces.

    Returns
    -------
    Partition
        ``Partition.kernel`` of the expression's values on every state.

    Raises
    ------
    InvalidValueError
        If ``expr`` uses a symbol that is not a state variable or cannot be
        evaluated.

    See Also
    --------
    Partition.kernel, computation_from_sympy

    Examples
    --------
    >>> import sympy
    >>> from abstractions import Partition
    >>> x, y = sympy.symbols("x y")
    >>> Partition.from_expression(x % 2, {x: 4, y: 2}).labels   # states (0,0), (0,1), (1,0), ...
    array([0, 0, 1, 1, 0, 0, 1, 1])
    """
    symbols, ranges, n = _space(variables, as_count(max_states, "max_states"))
    ids, _ = _values(expr, symbols, _columns(ranges, n), "expr")
    return Partition._from_canonical(ids, int(ids.max()) + 1 if n else 0)


def partition_to_sympy(partition: Partition) -> Any:
    """The partition as a ``sympy.combinatorics.partitions.Partition`` of ``0 .. n-1``.

    Parameters
    ----------
    partition : Partition
        At most :data:`SYMPY_MAX_STATES` states.

    Returns
    -------
    sympy.combinatorics.partitions.Partition

    Raises
    ------
    TooLargeError
        For more than :data:`SYMPY_MAX_STATES` states.
    InvalidValueError
        For 0 states (sympy has no empty partition).

    Notes
    -----
    Only the blocks carry over. sympy's ``<`` and ``<=`` on partitions
    compare ranks (a total order for enumeration), not information or
    refinement: use this package's order on :class:`Partition` for that.
    sympy's ``RGS`` of the result equals :attr:`Partition.labels` (both are
    first-occurrence labels over ``0 .. n-1``).

    Examples
    --------
    >>> from abstractions import Partition
    >>> p = Partition([0, 1, 0]).to_sympy()
    >>> p
    Partition({1}, {0, 2})
    >>> Partition.from_sympy(p) == Partition([0, 1, 0])
    True
    """
    from sympy.combinatorics.partitions import (  # type: ignore[import-untyped,unused-ignore]
        Partition as SympyPartition,
    )

    if not isinstance(partition, Partition):
        raise InvalidTypeError(f"partition must be a Partition, got {type(partition).__name__}")
    if partition.n > SYMPY_MAX_STATES:
        raise TooLargeError(
            f"the partition has {partition.n} states; conversion to sympy is limited to "
            f"SYMPY_MAX_STATES = {SYMPY_MAX_STATES} (sympy stores every element as an object)"
        )
    if partition.n == 0:
        # sympy has no partition of the empty set: Partition() returns EmptySet
        raise InvalidValueError("a partition of 0 states has no sympy Partition (sympy needs an element)")
    return SympyPartition(*(block.tolist() for block in partition.blocks()))


def partition_from_sympy(p: Any) -> Partition:
    """A :class:`Partition` from a sympy ``Partition`` whose elements are exactly ``0 .. n-1``.

    Parameters
    ----------
    p : sympy.combinatorics.partitions.Partition
        At most :data:`SYMPY_MAX_STATES` elements, the integers ``0 .. n-1``.

    Returns
    -------
    Partition

    Raises
    ------
    InvalidTypeError
        If ``p`` is not a sympy Partition, or an element is not an integer.
    InvalidValueError
        If the elements are not exactly ``0 .. n-1`` (the message names an
        offending or missing element).
    TooLargeError
        For more than :data:`SYMPY_MAX_STATES` elements.

    Examples
    --------
    >>> from sympy.combinatorics.partitions import Partition as SympyPartition
    >>> from abstractions import Partition
    >>> Partition.from_sympy(SympyPartition([0, 2], [1])).labels
    array([0, 1, 0])
    >>> Partition.from_sympy(SympyPartition([1, 2], [3]))
    Traceback (most recent call last):
    ...
    abstractions.exceptions.InvalidValueError: element 3 of the sympy partition is out of range: the elements must be exactly 0..2
    """
    import sympy
    from sympy.combinatorics.partitions import Partition as SympyPartition

    if not isinstance(p, SympyPartition):
        raise InvalidTypeError(f"p must be a sympy.combinatorics.partitions.Partition, got {type(p).__name__}")
    blocks = [list(block) for block in p.args]
    n = sum(len(b) for b in blocks)
    if n > SYMPY_MAX_STATES:
        raise TooLargeError(
            f"the sympy partition has {n} elements; conversion is limited to "
            f"SYMPY_MAX_STATES = {SYMPY_MAX_STATES}"
        )
    owner = np.full(n, -1, dtype=np.int64)
    for j, block in enumerate(blocks):
        for element in block:
            if not isinstance(element, (int, sympy.Integer)) or isinstance(element, bool):
                raise InvalidTypeError(
                    f"element {element!r} of the sympy partition is not an integer; "
                    f"the elements must be exactly 0..{n - 1}"
                )
            m = int(element)
            if not 0 <= m < n:
                raise InvalidValueError(
                    f"element {m} of the sympy partition is out of range: the elements must be "
                    f"exactly 0..{n - 1}"
                )
            owner[m] = j  # elements are distinct (sympy checks), so no state is claimed twice
    missing = np.flatnonzero(owner < 0)
    if missing.size:  # pragma: no cover - n distinct elements in 0..n-1 cover every state
        raise InvalidValueError(f"element {int(missing[0])} is missing from the sympy partition")
    return Partition.from_labels(owner)
