"""Where a solve and its quotient spend their time: seconds, page faults and calls per kernel.

The figures behind the engine's profiles in the Performance page. For each
system, after ``warmup()`` and one first solve (timed: it also builds the
system's caches and meets fresh memory, what a script that solves once
pays), ``minimal_complete_abstraction`` above the output and then
``abstract_computation`` run ``--repeats`` times; every call through a
kernel's gate is timed, with the minor page faults of the process
(``getrusage``) before and after it. Printed per system: the first solve,
the median solve and quotient, their faults, and each kernel's mean
seconds, faults and calls per solve.

A page fault is the kernel handing the process a fresh page: 4 KB, or
2 MB where numpy asked for huge pages (large arrays), so the count tells
whether a kernel's arrays were made by numpy or inside the kernel.

Run (from the repository root)::

    python -m benchmarks.kernels --function 1e7           # a random function
    python -m benchmarks.kernels --real brp crowds         # stormpy's DTMCs, 10^6 states
    python -m benchmarks.kernels --ctmc tandem cluster     # stormpy's CTMCs, 10^6 states
    python -m benchmarks.kernels --load model.npz          # any saved system

``--real`` and ``--ctmc`` build the models through stormpy (seconds to a
minute each at 10^6 states; ``--size`` picks another size).
"""

from __future__ import annotations

import argparse
import collections
import resource
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from typing import Any

from benchmarks import harness

__all__ = ["main", "profile", "systems"]


def _faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


@contextmanager
def _counting(stats: dict[str, list[float]]) -> Iterator[None]:
    """Every kernel call meanwhile adds ``[seconds, faults, calls]`` under its name."""
    from abstractions._kernels import Kernel

    original = Kernel.__call__

    def counted(self: Any, *args: Any) -> Any:
        faults, start = _faults(), time.perf_counter()
        try:
            return original(self, *args)
        finally:
            entry = stats[self.__name__]
            entry[0] += time.perf_counter() - start
            entry[1] += _faults() - faults
            entry[2] += 1

    Kernel.__call__ = counted  # type: ignore[method-assign]
    try:
        yield
    finally:
        Kernel.__call__ = original  # type: ignore[method-assign]


def profile(system: Any, repeats: int = 5) -> dict[str, Any]:
    """Median seconds and mean faults of the solve and the quotient, and per-kernel figures."""
    from abstractions import abstract_computation, minimal_complete_abstraction, output_abstraction

    beta = output_abstraction(system)

    def solve() -> Any:
        return minimal_complete_abstraction(system, beta)

    # The first solve in the process also builds the system's caches and
    # meets fresh memory: what a script that solves once pays.
    before, start = _faults(), time.perf_counter()
    P = solve()
    result: dict[str, Any] = {
        "first": {"seconds": time.perf_counter() - start, "faults": _faults() - before}
    }
    abstract_computation(system, P)
    for part in ("solve", "quotient"):
        stats: dict[str, list[float]] = collections.defaultdict(lambda: [0.0, 0.0, 0])
        seconds, faults = [], []
        for _ in range(repeats):
            # The quotient of the partition just solved, as users call it (the
            # engine's certificate spares it the completeness check).
            run: Callable[[], Any] = solve
            if part == "quotient":
                run = partial(abstract_computation, system, solve())
            with _counting(stats):
                before, start = _faults(), time.perf_counter()
                run()
                seconds.append(time.perf_counter() - start)
                faults.append(_faults() - before)
        result[part] = {
            "seconds": statistics.median(seconds),
            "faults": statistics.mean(faults),
            "kernels": {
                name: {"seconds": s / repeats, "faults": f / repeats, "calls": c / repeats}
                for name, (s, f, c) in sorted(stats.items(), key=lambda item: -item[1][0])
            },
        }
    return result


def systems(args: argparse.Namespace) -> Iterator[tuple[str, Any]]:
    """``(name, system)`` for each system the options ask for."""
    import numpy as np

    from abstractions import Computation, load

    if args.function:
        n = harness.parse_size(args.function)
        rng = np.random.default_rng(0)
        yield f"random function n={n}", Computation(
            rng.integers(0, n, n), output=rng.integers(0, 2, n)
        )
    for path in args.load or ():
        yield path, load(path)
    if args.real or args.ctmc:
        from abstractions.formats import from_stormpy
    if args.real:
        from benchmarks import real_models

        tier = {"1e4": "1e4", "1e5": "1e5"}.get(args.size, "1e6")
        for file, constants in real_models.MODELS[tier]:
            if any(file.startswith(name) for name in args.real):
                yield f"{file} {constants}", from_stormpy(real_models.build(file, constants))
    if args.ctmc:
        from benchmarks import ctmc_models

        for name in args.ctmc:
            value = ctmc_models.constant_for(ctmc_models.MODELS[name], float(args.size))
            yield f"{name} {value}", from_stormpy(ctmc_models.build(name, value))


def main(argv: Sequence[str] | None = None) -> int:
    """Print each system's profile."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--function", help="a random function of this many states (1e7 etc.)")
    parser.add_argument("--load", nargs="*", help="systems saved by abstractions.save")
    parser.add_argument("--real", nargs="*", help="stormpy DTMCs: brp, crowds, nand")
    parser.add_argument("--ctmc", nargs="*", help="stormpy CTMCs: tandem, cluster, fms")
    parser.add_argument("--size", default="1e6", help="states of the stormpy models (1e4 .. 1e6)")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    import abstractions

    abstractions.warmup()
    for name, system in systems(args):
        report = profile(system, args.repeats)
        first = report["first"]
        print(f"{name}: {system.n:,} states")
        print(f"  first solve: {first['seconds'] * 1e3:.1f} ms, {first['faults']:,} page faults")
        for part in ("solve", "quotient"):
            row = report[part]
            print(f"  {part}: {row['seconds'] * 1e3:.1f} ms, {row['faults']:,.0f} page faults")
            for kernel, k in row["kernels"].items():
                print(
                    f"    {kernel:<22} {k['seconds'] * 1e3:8.1f} ms {k['faults']:9,.0f} faults"
                    f" {k['calls']:4.0f} calls"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
