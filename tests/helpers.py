"""Strategies and small helpers shared by the tests."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
from hypothesis import strategies as st

from abstractions import Partition
from abstractions.strategies import partitions

__all__ = ["labels_of", "same_size_partitions", "maps", "arrays_equal", "load_benchmark"]

ROOT = Path(__file__).resolve().parent.parent


def load_benchmark(name: str) -> ModuleType:
    """Import ``benchmarks/<name>.py`` (a script folder, not a package) as module ``name``."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


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
