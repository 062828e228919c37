"""Input checks shared by the public API.

Each checker turns user input into the one dtype a role uses (``int64``
for state ids and labels, ``bool`` for flags) or raises an error that names
the argument and the first offending index and value. Kernels never see
unchecked input: a numba kernel indexing out of range would read garbage
memory instead of raising.
"""

from __future__ import annotations

import numbers
import operator
from typing import Any

import numpy as np
import numpy.typing as npt

from abstractions.exceptions import InvalidTypeError, InvalidValueError

__all__ = [
    "Ids",
    "Mask",
    "python_value",
    "object_array",
    "show_label",
    "as_index_array",
    "as_bool_array",
    "as_count",
    "as_state_subset",
    "block_labels",
    "interrupted",
    "readonly",
]

#: State ids, block labels and output ids: one dtype for every kernel.
Ids = npt.NDArray[np.int64]
#: Per-state flags such as ``halted``.
Mask = npt.NDArray[np.bool_]



#: numpy dtype kinds in Python terms, for messages.
_KIND_WORDS = {"f": "floats", "c": "complex numbers", "U": "strings", "S": "bytes", "O": "objects"}

def readonly(array: np.ndarray) -> np.ndarray:
    """Mark ``array`` read-only and return it (objects here are immutable)."""
    array.flags.writeable = False
    return array


def as_count(value: Any, name: str) -> int:
    """Return ``value`` as a non-negative Python int, or raise naming ``name``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise InvalidTypeError(
            f"{name} must be a non-negative integer, got {value!r} "
            f"of type {type(value).__name__}"
        )
    count = operator.index(value)
    if count < 0:
        raise InvalidValueError(f"{name} must be non-negative, got {count}")
    return count


def _as_1d(values: Any, name: str) -> np.ndarray:
    try:
        array = np.asarray(values)
    except (ValueError, TypeError) as err:
        raise InvalidValueError(f"{name} must be a 1-d array: {err}") from None
    if array.ndim != 1:
        raise InvalidValueError(
            f"{name} must be 1-dimensional, got an array of shape {array.shape}"
        )
    return array


def _check_length(array: np.ndarray, name: str, length: int | None) -> None:
    if length is not None and array.shape[0] != length:
        raise InvalidValueError(
            f"{name} has length {array.shape[0]}, expected {length} (one entry per state)"
        )


def as_index_array(
    values: Any,
    name: str,
    *,
    n: int | None = None,
    length: int | None = None,
    copy: bool = False,
    self_map: bool = False,
) -> Ids:
    """Check ``values`` as a 1-d array of state ids and return it as int64.

    Parameters
    ----------
    values : array_like
        Candidate ids.
    name : str
        Argument name used in error messages.
    n : int, optional
        Ids must lie in ``range(n)``; without ``n`` they only have to be
        non-negative.
    length : int, optional
        Required length.
    copy : bool, default False
        Always return a new array. Objects that keep the array must ask for
        this: they mark it read-only, which must not freeze the caller's array.
    self_map : bool, default False
        ``values`` maps its own index set into itself (like ``step``): ids
        must lie in ``range(len(values))``. Used instead of ``n`` when the
        size is only known from ``values``.

    Returns
    -------
    numpy.ndarray
        A C-contiguous ``int64`` array (without ``copy``, possibly ``values``
        itself).

    Raises
    ------
    InvalidTypeError
        For booleans, floats, strings or other non-integer entries.
    InvalidValueError
        For a wrong shape or length, a negative id or an id ``>= n``.

    Examples
    --------
    >>> as_index_array([2, 0, 1], "step", n=3)
    array([2, 0, 1])
    >>> as_index_array([0, 3], "step", n=3)
    Traceback (most recent call last):
    ...
    abstractions.exceptions.InvalidValueError: step[1] = 3 is out of range for 3 states (valid ids are 0..2)
    >>> as_index_array([1, 2], "step", self_map=True)
    Traceback (most recent call last):
    ...
    abstractions.exceptions.InvalidValueError: step[1] = 2 is out of range for 2 states (valid ids are 0..1)
    """
    array = _as_1d(values, name)
    _check_length(array, name, length)
    if self_map:
        n = array.shape[0]
    kind = array.dtype.kind
    if kind in "iu" and not isinstance(values, np.ndarray):
        # np.asarray([True, 0]) silently makes ints; a bool among ids is a bug
        for i, item in enumerate(values):
            if isinstance(item, (bool, np.bool_)):
                raise InvalidTypeError(
                    f"{name} must hold integer ids, but {name}[{i}] = {item!r} is a boolean"
                )
    if kind == "O":
        for i, item in enumerate(array):
            if isinstance(item, (bool, np.bool_)) or not isinstance(item, numbers.Integral):
                raise InvalidTypeError(
                    f"{name} must hold integer ids, but {name}[{i}] = {item!r} "
                    f"is of type {type(item).__name__}"
                )
        try:
            array = array.astype(np.int64)
        except OverflowError:
            raise InvalidValueError(f"{name} holds an id too large for int64") from None
    elif kind not in "iu":
        if array.size == 0:
            # np.asarray([]) is float64; an empty list is a fine empty id array.
            return np.zeros(0, dtype=np.int64)
        if kind == "b":
            raise InvalidTypeError(
                f"{name} must hold integer ids, got booleans (dtype bool); "
                f"convert with .astype(int) if that is meant"
            )
        bad = 0
        if kind == "f":
            nonint = np.flatnonzero(array != np.floor(array))
            bad = int(nonint[0]) if nonint.size else 0
        what = _KIND_WORDS.get(kind, f"values of dtype {array.dtype}")
        raise InvalidTypeError(
            f"{name} must hold integer ids, got {what} "
            f"({name}[{bad}] = {python_value(array[bad])!r} is of type "
            f"{type(python_value(array[bad])).__name__})"
        )
    if array.size:
        # The least and greatest ids first (one pass each, no mask of the
        # whole array); the offending index only when there is one.
        if kind != "u" and array.min() < 0:
            i = int(np.argmax(array < 0))
            raise InvalidValueError(
                f"{name}[{i}] = {array[i]} is negative; state ids are non-negative"
            )
        if n is not None and array.max() >= n:
            i = int(np.argmax(array >= n))
            valid = f"0..{n - 1}" if n > 0 else "none"
            raise InvalidValueError(
                f"{name}[{i}] = {array[i]} is out of range for {n} states "
                f"(valid ids are {valid})"
            )
        if kind == "u" and array.dtype.itemsize == 8 and int(array.max()) > np.iinfo(np.int64).max:
            raise InvalidValueError(f"{name} holds an id too large for int64")
    if copy:
        return np.array(array, dtype=np.int64, order="C", copy=True)
    return np.ascontiguousarray(array, dtype=np.int64)


def as_bool_array(values: Any, name: str, *, length: int) -> Mask:
    """Check ``values`` as a 1-d array of flags and return a new bool array.

    Booleans and the integers 0 and 1 are accepted.

    Raises
    ------
    InvalidTypeError
        For floats, strings or other objects.
    InvalidValueError
        For a wrong shape or length, or an integer other than 0 and 1.

    Examples
    --------
    >>> as_bool_array([0, 1, True], "halted", length=3)
    array([False,  True,  True])
    """
    array = _as_1d(values, name)
    _check_length(array, name, length)
    if array.size == 0:
        return np.zeros(0, dtype=bool)
    kind = array.dtype.kind
    if kind == "O":
        for i, item in enumerate(array):
            if not isinstance(item, (bool, np.bool_, numbers.Integral)):
                raise InvalidTypeError(
                    f"{name} must hold booleans, but {name}[{i}] = {item!r} "
                    f"is of type {type(item).__name__}"
                )
        array = array.astype(np.int64)
        kind = "i"
    if kind in "iu":
        bad = np.flatnonzero((array != 0) & (array != 1))
        if bad.size:
            i = int(bad[0])
            raise InvalidValueError(
                f"{name} must hold booleans (or 0/1), but {name}[{i}] = {array[i]}"
            )
    elif kind != "b":
        raise InvalidTypeError(
            f"{name} must hold booleans, got {_KIND_WORDS.get(kind, f'values of dtype {array.dtype}')} "
            f"({name}[0] = {python_value(array[0])!r})"
        )
    # always a new array: the caller's flags must not become read-only
    return np.array(array, dtype=bool, order="C", copy=True)


def python_value(value: Any) -> Any:
    """A numpy scalar as the matching Python object; anything else unchanged.

    Examples
    --------
    >>> type(python_value(np.int64(3))).__name__
    'int'
    """
    return value.item() if isinstance(value, np.generic) else value


def object_array(items: Any) -> np.ndarray:
    """A 1-d object array holding ``items`` as they are (tuples stay tuples).

    Examples
    --------
    >>> object_array([(0, 1), "a"]).shape
    (2,)
    """
    items = list(items)
    array = np.empty(len(items), dtype=object)
    for i, item in enumerate(items):
        array[i] = item
    return array


def show_label(label: Any) -> str:
    """A state name as table text: strings as they are, anything else by ``str``.

    Examples
    --------
    >>> show_label("a"), show_label((0, 1))
    ('a', '(0, 1)')
    """
    return label if isinstance(label, str) else str(label)


def as_state_subset(states: Any, n: int, name: str) -> Ids:
    """Distinct state ids from an id array or a boolean mask of length ``n``.

    Examples
    --------
    >>> as_state_subset([True, False, True], 3, "states")
    array([0, 2])
    """
    array = np.asarray(states)
    if array.dtype == bool:
        if array.shape != (n,):
            raise InvalidValueError(
                f"{name} as a boolean mask must have shape ({n},), got {array.shape}"
            )
        return np.flatnonzero(array).astype(np.int64)
    index = as_index_array(states, name, n=n)
    seen = np.zeros(n, dtype=np.int64)
    np.add.at(seen, index, 1)
    if (seen > 1).any():
        state = int(np.flatnonzero(seen > 1)[0])
        raise InvalidValueError(f"{name} lists state {state} more than once")
    return index


def block_labels(names: Any, k: int) -> tuple[Any, ...]:
    """Names of ``k`` abstract states given as a sequence or as a callable on block ids.

    Examples
    --------
    >>> block_labels(["lo", "hi"], 2), block_labels(lambda b: b * 10, 3)
    (('lo', 'hi'), (0, 10, 20))
    """
    from collections.abc import Sequence

    if callable(names):
        return tuple(names(b) for b in range(k))
    if isinstance(names, (str, bytes)) or not isinstance(names, Sequence):
        raise InvalidTypeError(
            f"names must be a sequence of block names or a callable on block ids, "
            f"got {type(names).__name__}"
        )
    if len(names) != k:
        blocks = "1 block" if k == 1 else f"{k} blocks"
        raise InvalidValueError(f"names must name each of the {blocks}, got {len(names)} names")
    return tuple(names)


def interrupted(error: BaseException) -> bool:
    """Whether a KeyboardInterrupt is ``error`` or somewhere in its chain.

    numba hands a Ctrl-C inside a kernel back as a ``SystemError`` whose
    cause is the ``KeyboardInterrupt``; the chain is followed once (cycles
    stop it).

    Examples
    --------
    >>> interrupted(KeyboardInterrupt()), interrupted(ValueError())
    (True, False)
    """
    seen: set[int] = set()
    link: BaseException | None = error
    while link is not None and id(link) not in seen:
        if isinstance(link, KeyboardInterrupt):
            return True
        seen.add(id(link))
        link = link.__cause__ or link.__context__
    return False
