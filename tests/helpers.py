"""Strategies and small helpers shared by the tests."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import strategies as st

from abstractions import Partition
from abstractions.strategies import partitions

__all__ = [
    "EXTRAS", "REQUIRE_EXTRAS", "arrays_equal", "labels_of", "maps", "missing_extra",
    "require_extra", "require_peer", "same_size_partitions",
]

#: Set (to anything but "" or "0") where every peer must be there: CI.
REQUIRE_PEERS = "ABSTRACTIONS_REQUIRE_PEERS"

#: Why a peer may be missing although the test extra was installed.
_WHY_MISSING = {
    "storm": "stormpy has wheels for Linux only (x86_64 and aarch64, glibc >= 2.34), "
    "so the test extra installs it there only",
}


def require_peer(peer: str) -> None:
    """Skip the calling test, saying why, when ``peer``'s library is not installed.

    ``peer`` is a name of :data:`benchmarks.peers.PEERS`. Where the
    environment variable ``ABSTRACTIONS_REQUIRE_PEERS`` is set (CI), a
    missing peer fails the test instead: there nothing may skip.
    """
    from benchmarks import peers

    if peers.installed(peer):
        return
    reason = f"{peer} is not installed (no module {peers.PEERS[peer]!r})"
    if peer in _WHY_MISSING:
        reason += f": {_WHY_MISSING[peer]}"
    if os.environ.get(REQUIRE_PEERS, "") not in ("", "0"):
        pytest.fail(f"{reason}; {REQUIRE_PEERS} is set, so every peer must be installed")
    pytest.skip(reason)


#: Set (to anything but "" or "0") where every optional extra must be there: CI.
REQUIRE_EXTRAS = "ABSTRACTIONS_REQUIRE_EXTRAS"

#: The optional extras some tests need: extra -> (modules it brings, how to install it).
EXTRAS = {
    "distributed": (
        ("dask.dataframe", "distributed", "pyarrow", "zarr"),
        "pip install '.[distributed]'",
    ),
    "torch": (("torch",), "pip install torch==2.13.0 (a CPU build, in a step of its own)"),
    "learned": (("sklearn",), "pip install '.[learned]'"),
    "bdd": (("dd",), "pip install '.[bdd]'"),
}


def missing_extra(extra: str) -> str | None:
    """Why ``extra`` cannot be used here (its first missing module), or None if it can."""
    import importlib.util

    modules, how = EXTRAS[extra]
    for module in modules:
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:  # a missing parent package
            found = False
        if not found:
            return f"the {extra!r} extra is not installed (no module {module!r}; {how})"
    return None


def require_extra(extra: str, *, module_level: bool = False) -> None:
    """Skip the calling test, saying why, when the optional ``extra`` is not installed.

    Where ``ABSTRACTIONS_REQUIRE_EXTRAS`` is set (CI, which installs every
    extra), a missing extra fails the test instead: there nothing may skip.
    """
    reason = missing_extra(extra)
    if reason is None:
        return
    if os.environ.get(REQUIRE_EXTRAS, "") not in ("", "0"):
        pytest.fail(f"{reason}; {REQUIRE_EXTRAS} is set, so every extra must be installed")
    pytest.skip(reason, allow_module_level=module_level)


def labels_of(p: Partition) -> list[int]:
    """The labels of ``p`` as a list of Python ints."""
    return [int(x) for x in p.labels]


def same_size_partitions(count: int, *, min_states: int = 0, max_states: int = 8):
    """A tuple of ``count`` partitions over one drawn number of states."""
    return st.integers(min_states, max_states).flatmap(
        lambda n: st.tuples(*[partitions(n)] * count)
    )


def maps(m: int, n: int):
    """Functions ``range(m) -> range(n)`` as int64 arrays (``n >= 1`` unless ``m == 0``)."""
    if m == 0:
        return st.just(np.zeros(0, dtype=np.int64))
    return st.lists(st.integers(0, n - 1), min_size=m, max_size=m).map(
        lambda xs: np.array(xs, dtype=np.int64)
    )


def arrays_equal(a, b) -> bool:
    """Exact equality of two 1-d arrays (shape and values)."""
    a = np.asarray(a)
    b = np.asarray(b)
    return a.shape == b.shape and bool(np.array_equal(a, b))
