"""First contact: how long a new user waits, each case in a fresh process.

Measured, each in a fresh Python process (``cold``: with a fresh, empty
``NUMBA_CACHE_DIR``; ``warm``: with a cache that ``warmup()`` filled):

* ``import abstractions`` (warm);
* ``python -m abstractions demo`` (cold, whole process);
* the first ``minimal_complete_abstraction`` on a 9-state LTS (a
  nondeterministic system with several actions) and on a 9-state DFA (cold),
  counted from after ``import abstractions`` (building the system included);
* ``abstractions.warmup()`` (cold, and warm);
* the first call in a fresh process once the cache is warm: the 9-state LTS,
  and a random computation of 100,000 states (whose kernels load from the
  cache).

Run from the repository root::

    python -m benchmarks.first_contact
    python -m benchmarks.first_contact --baseline /work/baseline --repeat 3
    python -m benchmarks.first_contact --kernels --baseline /work/baseline

``--baseline DIR`` measures another checkout the same way, alternating
between the two, so that before and after share the machine's load;
``--kernels`` also times each kernel's cold compilation (top-level numba
compiles during a cold ``warmup()``, helpers included). Every case reports
the median of ``--repeat`` runs. The targets are those of the "first
contact" issue (fresh environment, quiet 2-core machine).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["CASES", "Case", "main", "measure"]

_LTS = """
import abstractions as ab
# A vending machine: coin, then tea or coffee, and a broken twin of it.
succ = [[1], [2, 3], [0], [0], [5], [6], [4], [8], [7]]
acts = [["coin"], ["tea", "coffee"], ["serve"], ["serve"], ["coin"], ["tea"], ["serve"],
        ["coin"], ["serve"]]
system = ab.TransitionSystem.nondeterministic(succ, labels=acts, output=[0] * 9)
beta = ab.Partition([0] * 9)
"""

_DFA = """
import abstractions as ab
# Binary numbers mod 9, read most significant bit first: state r -> 2r + bit.
steps = [[(2 * r) % 9 for r in range(9)], [(2 * r + 1) % 9 for r in range(9)]]
system = ab.TransitionSystem.labelled(steps, output=[r % 3 == 0 for r in range(9)])
beta = ab.output_abstraction(system)
"""

_BIG = """
import numpy as np
import abstractions as ab
rng = np.random.default_rng(0)
system = ab.Computation(rng.integers(0, 100_000, 100_000))
beta = ab.Partition.kernel(rng.integers(0, 2, 100_000))
"""

# A child prints one JSON object on its last line: {"seconds": ..., ...}. The
# first call counts from after the import: building the system and beta (which
# may already load kernels) and the call itself.
_TIMED_CALL = """
import json, time
t0 = time.perf_counter()
import abstractions
t1 = time.perf_counter()
{setup}
t2 = time.perf_counter()
abstractions.minimal_complete_abstraction(system, beta)
t3 = time.perf_counter()
print(json.dumps(dict(seconds=t3 - t1, setup_seconds=t2 - t1, import_seconds=t1 - t0)))
"""

_IMPORT = """
import json, sys, time
t0 = time.perf_counter()
import abstractions
t1 = time.perf_counter()
print(json.dumps(dict(seconds=t1 - t0, numba_loaded="numba" in sys.modules)))
"""

_WARMUP = """
import json, time
import abstractions
t0 = time.perf_counter()
abstractions.warmup()
print(json.dumps(dict(seconds=time.perf_counter() - t0)))
"""

# Top-level numba compiles (a kernel with the helpers it compiles first)
# during a cold warmup(), in wall and CPU seconds.
_KERNELS = """
import json, time
import numba.core.dispatcher as dispatcher
original = dispatcher.Dispatcher.compile
depth = [0]
found = {}
def compile(self, sig):
    depth[0] += 1
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        return original(self, sig)
    finally:
        depth[0] -= 1
        if depth[0] == 0:
            name = self.py_func.__name__
            w, c = found.get(name, (0.0, 0.0))
            found[name] = (w + time.perf_counter() - wall, c + time.process_time() - cpu)
dispatcher.Dispatcher.compile = compile
import abstractions
t0, c0 = time.perf_counter(), time.process_time()
abstractions.warmup()
found["(warmup total)"] = (time.perf_counter() - t0, time.process_time() - c0)
print(json.dumps(found))
"""


@dataclass(frozen=True)
class Case:
    """One measurement: what runs in the fresh process, and with which cache."""

    name: str
    cache: str  # "cold" (fresh empty cache) or "warm" (filled by warmup())
    argv: tuple[str, ...]  # after the interpreter
    target: float | None  # seconds, from the issue
    whole_process: bool = False  # time the process from outside (else its JSON)


CASES: tuple[Case, ...] = (
    Case("import abstractions", "warm", ("-c", _IMPORT), 0.3),
    Case("python -m abstractions demo", "cold", ("-m", "abstractions", "demo"), 6.0, True),
    Case("first call, 9-state LTS", "cold", ("-c", _TIMED_CALL.format(setup=_LTS)), 8.0),
    Case("first call, 9-state DFA", "cold", ("-c", _TIMED_CALL.format(setup=_DFA)), 8.0),
    Case("warmup()", "cold", ("-c", _WARMUP), 12.0),
    Case("warmup()", "warm", ("-c", _WARMUP), None),
    Case("first call, 9-state LTS", "warm", ("-c", _TIMED_CALL.format(setup=_LTS)), 0.5),
    Case("first call, 10^5 computation", "warm", ("-c", _TIMED_CALL.format(setup=_BIG)), 0.5),
)


def _environment(tree: Path, cache: Path) -> dict[str, str]:
    """The child's environment: ``tree`` first on the path, ``cache`` as numba's cache."""
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_DISABLE_JIT", "PYTHONPATH")}
    env["PYTHONPATH"] = str(tree)
    env["NUMBA_CACHE_DIR"] = str(cache)
    return env


def _run(tree: Path, argv: Sequence[str], cache: Path, timeout: float) -> tuple[float, str]:
    """Run one child in ``tree``; its wall seconds and its stdout."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, *argv], cwd=tree, env=_environment(tree, cache),
        capture_output=True, text=True, timeout=timeout, check=False,
    )
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)[:60]!r} failed in {tree}:\n{done.stderr[-2000:]}")
    return wall, done.stdout


def measure(tree: Path, case: Case, scratch: Path, timeout: float = 900.0) -> dict[str, Any]:
    """One run of ``case`` in ``tree``: seconds (and what else the child reports)."""
    cache = Path(tempfile.mkdtemp(prefix="cache-", dir=scratch))
    if case.cache == "warm":
        _run(tree, ("-c", "import abstractions; abstractions.warmup()"), cache, timeout)
    wall, out = _run(tree, case.argv, cache, timeout)
    if case.whole_process:
        return {"seconds": wall, "process_seconds": wall}
    report: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    report["process_seconds"] = wall
    return report


def kernel_times(tree: Path, scratch: Path, timeout: float = 900.0) -> dict[str, list[float]]:
    """Per-kernel cold compile [wall, cpu] seconds during a cold warmup()."""
    cache = Path(tempfile.mkdtemp(prefix="cache-", dir=scratch))
    _, out = _run(tree, ("-c", _KERNELS), cache, timeout)
    found: dict[str, list[float]] = json.loads(out.strip().splitlines()[-1])
    return found


def _cell(values: list[float]) -> str:
    return f"{statistics.median(values):8.2f}" if values else f"{'-':>8}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tree", type=Path, default=Path.cwd(),
                        help="the checkout to measure (default: the current directory)")
    parser.add_argument("--baseline", type=Path, default=None,
                        help="another checkout measured the same way, side by side")
    parser.add_argument("--repeat", type=int, default=1, help="runs per case (median)")
    parser.add_argument("--kernels", action="store_true",
                        help="also time each kernel's cold compilation")
    parser.add_argument("--only", nargs="+", default=None,
                        help="only the cases whose name contains one of these words")
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    args = parser.parse_args(argv)

    trees = {"this tree": args.tree.resolve()}
    if args.baseline is not None:
        trees["baseline"] = args.baseline.resolve()
    cases = [c for c in CASES if not args.only or any(w in c.name for w in args.only)]
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    print(f"python {sys.version.split()[0]}; {os.cpu_count()} cpus; load {load}; "
          f"median of {args.repeat}; " + "; ".join(f"{k}: {v}" for k, v in trees.items()))
    results: dict[str, Any] = {"trees": {k: str(v) for k, v in trees.items()}, "cases": []}
    with tempfile.TemporaryDirectory(prefix="first-contact-") as tmp:
        scratch = Path(tmp)
        header = f"{'case':<32} {'cache':<5} {'target':>7}" + "".join(
            f" {name:>10}" for name in trees
        )
        print(header)
        for case in cases:
            samples: dict[str, list[float]] = {name: [] for name in trees}
            for _ in range(args.repeat):
                for name, tree in trees.items():  # alternate: both see the same load
                    samples[name].append(measure(tree, case, scratch)["seconds"])
            target = f"{case.target:6.1f}s" if case.target is not None else f"{'':>7}"
            print(f"{case.name:<32} {case.cache:<5} {target}"
                  + "".join(f" {_cell(samples[n]):>10}" for n in trees), flush=True)
            results["cases"].append(
                {"name": case.name, "cache": case.cache, "target": case.target,
                 "seconds": samples}
            )
        if args.kernels:
            print("\ncold compile per kernel (wall s / cpu s), during a cold warmup()")
            timings: dict[str, list[dict[str, list[float]]]] = {n: [] for n in trees}
            for _ in range(args.repeat):
                for name, tree in trees.items():
                    timings[name].append(kernel_times(tree, scratch))
            names = sorted(
                {k for runs in timings.values() for run in runs for k in run},
                key=lambda k: (k.startswith("("), -max(
                    run.get(k, [0.0, 0.0])[0] for runs in timings.values() for run in runs)),
            )
            print(f"{'kernel':<32}" + "".join(f" {n:>17}" for n in trees))
            for kernel in names:
                cells = []
                for name in trees:
                    runs = [run[kernel] for run in timings[name] if kernel in run]
                    if runs:
                        wall = statistics.median(r[0] for r in runs)
                        cpu = statistics.median(r[1] for r in runs)
                        cells.append(f"{wall:8.2f}/{cpu:<8.2f}")
                    else:
                        cells.append(f"{'-':>17}")
                print(f"{kernel:<32}" + "".join(f" {c:>17}" for c in cells))
            results["kernels"] = timings
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
