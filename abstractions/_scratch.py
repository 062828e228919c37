"""The direct exchange's intermediate values kept on disk (``scratch=``), not in workers' memory.

With ``scratch`` set, every task of :class:`abstractions._dask_exchange.DirectDoubling`
writes its result to files under the scratch directory and returns only a
:class:`Stored` marker (paths and small values), so a worker holds one
task's working set, never a round's chunk state or messages. That is how a
state space larger than the workers' memory limits is solved: dask's own
spilling cannot do it here, since a worker's memory is mostly arrays that
running tasks hold (unmanaged memory, which dask pauses on but cannot
spill), and a paused worker never frees it.

The directory must be one that the client and every worker share, as the
input store is. Each array is one ``.npy`` file, written to a temporary
name and renamed, and read back with ``allow_pickle=False``: a task that
runs again (after a worker died) rewrites the same file with the same
content, and nothing read from the scratch is ever evaluated as code.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from abstractions._dask_parts import Chunk
from abstractions.exceptions import FileFormatError

__all__ = [
    "ITEM", "Stored", "StoredTuple", "call", "item", "restore", "save", "value", "with_value",
]

#: First element of an argument ``(ITEM, stored, k)``: item ``k`` of a stored
#: tuple (a plain tuple, so that dask replaces the future inside it by its value).
ITEM = "abstractions._scratch.item"


@dataclass(frozen=True)
class Stored:
    """A task's result on disk: a directory, and how to read each item.

    Attributes
    ----------
    path : str
        The directory of the result's files.
    items : tuple
        Per item: ``("array", None)`` (``k.npy``), ``("chunk", lo)``
        (``k.L.npy``, ``k.g.npy``, ``k.final.npy``), or ``("value", v)`` for a
        small value kept in the marker itself (counts, flags).
    whole : bool
        Whether the result was a tuple of these items (else it is the one item).
    """

    path: str
    items: tuple[tuple[str, Any], ...]
    whole: bool


def _write(path: str, array: np.ndarray) -> None:
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "wb") as f:
        np.save(f, np.ascontiguousarray(array), allow_pickle=False)
    os.replace(tmp, path)  # atomic: a reader sees the whole file or none


def _read(path: str) -> np.ndarray:
    try:
        return np.asarray(np.load(path, allow_pickle=False))
    except (OSError, ValueError, EOFError) as err:
        raise FileFormatError(
            path,
            f"a scratch file is missing or unreadable ({type(err).__name__}: {err}); the "
            "scratch directory must be shared by the client and every worker, and nothing "
            "else may change it during the run",
        ) from err


def save(result: Any, path: str) -> Stored:
    """Write ``result`` (an array, a chunk, a small value, or a tuple of them) under ``path``."""
    os.makedirs(path, exist_ok=True)
    whole = isinstance(result, tuple)
    items: list[tuple[str, Any]] = []
    for k, v in enumerate(result if whole else (result,)):
        if isinstance(v, np.ndarray):
            _write(os.path.join(path, f"{k}.npy"), v)
            items.append(("array", None))
        elif isinstance(v, Chunk):
            for field in ("L", "g", "final"):
                _write(os.path.join(path, f"{k}.{field}.npy"), getattr(v, field))
            items.append(("chunk", v.lo))
        else:
            items.append(("value", v))
    return Stored(path, tuple(items), whole)


def item(stored: Stored, k: int) -> Any:
    """Item ``k`` of ``stored``, read from its files."""
    kind, extra = stored.items[k]
    if kind == "array":
        return _read(os.path.join(stored.path, f"{k}.npy"))
    if kind == "chunk":
        L, g, final = (_read(os.path.join(stored.path, f"{k}.{f}.npy"))
                       for f in ("L", "g", "final"))
        return Chunk(int(extra), L, g, final)
    return extra


class StoredTuple(Sequence[Any]):
    """A stored tuple whose items are read when first indexed (a task reads only what it uses)."""

    def __init__(self, stored: Stored) -> None:
        self._stored = stored
        self._cache: dict[int, Any] = {}

    def __len__(self) -> int:
        return len(self._stored.items)

    def __getitem__(self, k: Any) -> Any:
        if isinstance(k, slice):
            return tuple(self[i] for i in range(*k.indices(len(self))))
        k = range(len(self))[k]  # negative indices, and IndexError past the end
        if k not in self._cache:
            self._cache[k] = item(self._stored, k)
        return self._cache[k]


def value(stored: Stored) -> Any:
    """The stored result: its one item, or a :class:`StoredTuple`."""
    return StoredTuple(stored) if stored.whole else item(stored, 0)


def _resolve(arg: Any) -> Any:
    if isinstance(arg, Stored):
        return value(arg)
    if isinstance(arg, tuple) and len(arg) == 3 and isinstance(arg[0], str) and arg[0] == ITEM:
        return item(arg[1], arg[2])
    return arg


def call(fn: Callable[..., Any], path: str, *args: Any) -> Stored:
    """``fn`` on the arguments read from disk, its result written under ``path``."""
    return save(fn(*(_resolve(a) for a in args)), path)


def with_value(fn: Callable[..., Any], *args: Any) -> Any:
    """``fn`` on the arguments read from disk, its result returned (small, or the answer)."""
    return fn(*(_resolve(a) for a in args))


def restore(stored: Stored) -> Stored:
    """``stored`` itself: a task with no inputs, so that losing it never needs older files."""
    return stored
