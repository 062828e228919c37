"""Time minimal_complete_abstraction on standard families of computations.

Families (see the fast-core issue): a uniform random step with beta of 2 or
16 classes; a chain (step[i] = i+1, only the last state marked: n blocks
after n rounds); a few long cycles with one marked state each. Every method
in ``abstractions.METHODS`` runs on the same instance and must return the
same partition. Prints one table and writes it as JSON.

Run: python benchmarks/bench_minimal.py [--sizes 1000 10000] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np

from abstractions import METHODS, Computation, Partition, minimal_complete_abstraction


def random_family(classes: int) -> Callable[[int, np.random.Generator], tuple[Computation, Partition]]:
    def build(n: int, rng: np.random.Generator) -> tuple[Computation, Partition]:
        C = Computation(rng.integers(0, n, size=n))
        return C, Partition.from_labels(rng.integers(0, classes, size=n))

    return build


def chain(n: int, rng: np.random.Generator) -> tuple[Computation, Partition]:
    step = np.minimum(np.arange(n) + 1, n - 1)
    marked = np.zeros(n, dtype=np.int64)
    marked[-1] = 1
    return Computation(step), Partition.from_labels(marked)


def cycles(n: int, rng: np.random.Generator, k: int = 4) -> tuple[Computation, Partition]:
    sizes = np.full(k, n // k)
    sizes[: n % k] += 1
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    step = np.arange(n) + 1
    step[starts + sizes - 1] = starts
    marked = np.zeros(n, dtype=np.int64)
    marked[starts] = 1
    return Computation(step), Partition.from_labels(marked)


FAMILIES = {
    "random-2": random_family(2),
    "random-16": random_family(16),
    "chain": chain,
    "cycles": cycles,
}


def measure(fn: Callable[[], Partition]) -> tuple[float, Partition, int]:
    tracemalloc.start()
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, result, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 3_000])
    parser.add_argument("--json", type=Path, default=Path("benchmarks/results/minimal.json"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    # compile the kernels before timing anything
    warm, beta = chain(8, np.random.default_rng(0))
    minimal_complete_abstraction(warm, beta)

    rows = []
    print(f"{'family':<10} {'n':>9} {'method':<10} {'seconds':>9} {'blocks':>9} {'peak MiB':>9}")
    for family, build in FAMILIES.items():
        for n in args.sizes:
            C, beta = build(n, np.random.default_rng(args.seed))
            results = {}
            for method in METHODS:
                seconds, result, peak = measure(
                    lambda C=C, beta=beta, method=method: minimal_complete_abstraction(
                        C, beta, method=method
                    )
                )
                results[method] = result
                rows.append(
                    dict(family=family, n=n, method=method, seconds=seconds,
                         blocks=result.n_blocks, peak_bytes=peak)
                )
                print(f"{family:<10} {n:>9} {method:<10} {seconds:>9.4f} "
                      f"{result.n_blocks:>9} {peak / 2**20:>9.1f}")
            first = next(iter(results.values()))
            if any(r != first for r in results.values()):
                raise SystemExit(f"methods disagree on {family} n={n}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(rows, indent=2))
    print(f"all methods agree on every instance; table written to {args.json}")


if __name__ == "__main__":
    main()
