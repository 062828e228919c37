"""Configuration read once from the environment, and the package's size constants.

``ABSTRACTIONS_NUMBA_CACHE``
    ``"1"`` (default) lets numba cache compiled kernels on disk
    (``cache=True``); ``"0"`` turns the cache off. Where no cache directory
    can be written (a read-only install with no writable home), the kernels
    fall back to no disk cache by themselves, with one warning. Numba's own
    global configuration is never changed here.
"""

from __future__ import annotations

import os

__all__ = ["NUMBA_CACHE", "REPR_MAX_STATES", "SMALL_INPUT"]


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() not in {"0", "false", "no", "off"}


#: Whether numba kernels are cached on disk.
NUMBA_CACHE: bool = _flag("ABSTRACTIONS_NUMBA_CACHE", True)

#: Largest number of states for which reprs list every block or state.
REPR_MAX_STATES: int = 32

#: Inputs of fewer elements than this are answered by vectorised numpy code,
#: never by a numba kernel: on them numpy takes well under a millisecond,
#: while a kernel's first call in a fresh environment compiles it (seconds).
#: Larger inputs go to the kernels, which are several times faster there.
SMALL_INPUT: int = 4096
