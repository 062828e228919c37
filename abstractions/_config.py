"""Configuration read once from the environment.

``ABSTRACTIONS_NUMBA_CACHE``
    ``"1"`` (default) lets numba cache compiled kernels on disk
    (``cache=True``); ``"0"`` turns the cache off, e.g. on a read-only
    install. Numba's own global configuration is never changed here.
"""

from __future__ import annotations

import os

__all__ = ["NUMBA_CACHE", "REPR_MAX_STATES"]


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() not in {"0", "false", "no", "off"}


#: Whether numba kernels are cached on disk.
NUMBA_CACHE: bool = _flag("ABSTRACTIONS_NUMBA_CACHE", True)

#: Largest number of states for which reprs list every block or state.
REPR_MAX_STATES: int = 32
