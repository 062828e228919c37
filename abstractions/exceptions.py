"""Exceptions raised by :mod:`abstractions`.

Every exception derives from :class:`AbstractionsError`, and each leaf also
derives from the matching builtin (``ValueError``, ``TypeError``, ...), so
``except ValueError`` keeps working for callers who do not know this package.

Examples
--------
>>> from abstractions import Partition, AbstractionsError
>>> try:
...     Partition.top(3) | Partition.top(4)
... except ValueError as err:
...     print(type(err).__name__, isinstance(err, AbstractionsError))
SizeMismatchError True
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AbstractionsError",
    "FileFormatError",
    "InvalidTypeError",
    "InvalidValueError",
    "NonHaltingError",
    "NotCompleteError",
    "SizeMismatchError",
    "TooLargeError",
    "UnknownInputError",
    "UnknownVariableError",
]


class AbstractionsError(Exception):
    """Root of every exception raised by this package."""


class InvalidValueError(AbstractionsError, ValueError):
    """An argument has the right type but a wrong value, shape or length."""


class InvalidTypeError(AbstractionsError, TypeError):
    """An argument has the wrong type or dtype."""


class SizeMismatchError(InvalidValueError):
    """Objects over different numbers of states were combined."""


class NotCompleteError(AbstractionsError, ValueError):
    """A partition is not complete for a computation.

    Attributes
    ----------
    witness : tuple of int
        States ``(m1, m2)`` in the same block whose successors are in
        different blocks.
    """

    def __init__(self, message: str, witness: tuple[int, int]) -> None:
        super().__init__(message)
        self.witness = witness


class NonHaltingError(AbstractionsError, RuntimeError):
    """A run does not reach a halted state.

    Attributes
    ----------
    input : object
        The input value whose run does not halt.
    state : int
        Its start state.
    """

    def __init__(self, message: str, input: Any, state: int) -> None:
        super().__init__(message)
        self.input = input
        self.state = state


class UnknownInputError(AbstractionsError, KeyError):
    """A value that is not one of the computation's inputs was given."""

    def __str__(self) -> str:
        # KeyError quotes its argument; show the sentence as written.
        return str(self.args[0]) if self.args else ""


class UnknownVariableError(InvalidValueError, KeyError):
    """A name that is not one of the system's variables was given."""

    def __str__(self) -> str:
        # KeyError quotes its argument; show the sentence as written.
        return str(self.args[0]) if self.args else ""


class TooLargeError(AbstractionsError, ValueError):
    """A job would exceed the size limit it was given."""


class FileFormatError(AbstractionsError, ValueError):
    """A file cannot be loaded: corrupt, truncated, of the wrong kind or inconsistent.

    Attributes
    ----------
    path : str
        The file that was being read.
    problem : str
        What is wrong with it (the message without the file name).
    """

    def __init__(self, path: str, problem: str) -> None:
        # A name that is not valid UTF-8 (surrogate escapes) is shown with
        # backslash escapes, so the message can be printed and logged; the
        # attribute keeps the exact name.
        shown = path.encode("utf-8", "backslashreplace").decode("utf-8")
        super().__init__(f"{shown}: {problem}")
        self.path = path
        self.problem = problem

    def __reduce__(self) -> tuple[Any, ...]:
        # rebuild from (path, problem), not from the joined message (pickling, multiprocessing)
        return (type(self), (self.path, self.problem))
