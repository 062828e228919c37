"""Time the lattice operations and checks at scale, beside one numpy gather.

Run (from the repository root)::

    python -m benchmarks.lattice --sizes 1e6 1e7

Each operation runs once after a warm-up (``abstractions.warmup()``) on a
uniform random ``step`` and two random partitions of 16 blocks; the table
gives seconds and the ratio to one gather ``labels[step]`` of the same size.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from abstractions import (
    Computation,
    Partition,
    abstract_computation,
    completion,
    find_violation,
    is_complete,
    minimal_complete_abstraction,
    warmup,
)

__all__ = ["main", "run"]


def _time(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run(n: int, seed: int = 0) -> list[tuple[str, float]]:
    """``(operation, seconds)`` of each operation at ``n`` states, the gather first."""
    rng = np.random.default_rng(seed)
    step = rng.integers(0, n, n)
    C = Computation(step)
    P = Partition(rng.integers(0, 16, n))
    Q = Partition(rng.integers(0, 16, n))
    fine = Partition(rng.integers(0, n // 4 + 1, n))  # many blocks: the hashing join
    parity = Partition(np.arange(n) % 2)
    counter = Computation((np.arange(n) + 1) % n)  # parity is complete for even n
    rows = [
        ("gather labels[step]", _time(lambda: P.labels[step])),
        ("Computation(step) (validate)", _time(lambda: Computation(step))),
        ("join (16 x 16 blocks)", _time(lambda: P | Q)),
        ("join (n/4 x 16 blocks)", _time(lambda: fine | Q)),
        ("meet", _time(lambda: P & Q)),
        ("pullback along step", _time(lambda: P.pullback(step))),
        ("<=", _time(lambda: P <= Q)),
        ("is_complete", _time(lambda: is_complete(C, P))),
        ("find_violation", _time(lambda: find_violation(C, P))),
        ("completion", _time(lambda: completion(C, P))),
        ("abstract_computation", _time(lambda: abstract_computation(counter, parity))),
        ("minimal_complete_abstraction", _time(lambda: minimal_complete_abstraction(C, P))),
    ]
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.lattice", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--sizes", nargs="+", type=float, default=[1e6])
    args = parser.parse_args(argv)
    warmup()
    for size in args.sizes:
        n = int(size)
        rows = run(n)
        gather = rows[0][1]
        print(f"n = {n:,}")
        for name, seconds in rows:
            print(f"  {name:<32} {seconds:8.3f} s  {seconds / gather:6.1f} x gather")


if __name__ == "__main__":
    main()
