"""Benchmark minimal complete abstractions of one step function against the peers.

Every solver computes the coarsest partition that refines beta and is stable
under ``step`` (s ~ t implies step(s) ~ step(t)) on the same instances:

* ``ours:<method>`` for every entry of ``abstractions.METHODS``;
* ``automata-lib``: Hopcroft DFA minimisation (``DFA._minify``);
* ``bispy``: Paige--Tarjan maximum bisimulation with an initial partition;
* ``pyformlang``: Hopcroft DFA minimisation (the partition step of
  ``DeterministicFiniteAutomaton.minimize``).

Families: ``random-2`` / ``random-16`` (uniform random step, beta of 2 / 16
classes, seeded), ``chain`` (step[i] = i+1, the last state maps to itself and
is the only marked one: n blocks) and ``cycles`` (4 long cycles with one
marked state each).

Each (solver, family, n) runs in a fresh subprocess with a timeout; the
child times only the solve, measures its peak memory beyond the inputs and
writes the canonical labels, and the parent checks that every solver returns
exactly the partition of ``ours:reference`` (or of the majority where the
reference did not finish) (:mod:`benchmarks.harness`). Two baselines from
the fast-core issue are measured too: one numpy gather ``labels[step]`` per
size, and the first-call overhead of a fresh process once the numba cache
is warm.

Run (from the repository root)::

    python -m benchmarks.minimal --sizes 1e3 1e4 1e5
    python -m benchmarks.minimal --sizes 1e6 1e7 --solvers ours --timeout 120
    python -m benchmarks.plot benchmarks/results/latest.json

Prints one table and writes JSON to ``benchmarks/results/`` (also copied to
``latest.json``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import harness, peers
from benchmarks.harness import Instance, Solver

__all__ = [
    "DEFAULT_FAMILIES",
    "FAMILIES",
    "JOB",
    "PEERS",
    "available_solvers",
    "dfa_encoding",
    "first_call_overhead",
    "format_row",
    "inprocess_runner",
    "main",
    "make_instance",
    "make_solver",
    "run",
    "run_child",
    "subprocess_runner",
]

DEFAULT_FAMILIES = ("random-2", "random-16", "chain", "cycles")
N_CYCLES = 4
#: The peers of this job (the DFA tools read :func:`dfa_encoding`).
PEERS = ("automata-lib", "bispy", "pyformlang")


# --------------------------------------------------------------------------
# Instances: plain arrays, built vectorised. step is int32 (every n here is
# < 2**31): half the memory of int64 while building, and the library converts
# it to its own index dtype once.


def _random(n: int, seed: int, classes: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    step = rng.integers(0, n, size=n, dtype=harness.index_dtype(n))
    beta = rng.integers(0, classes, size=n, dtype=np.int8)
    return step, beta


def _chain(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    step = np.arange(1, n + 1, dtype=harness.index_dtype(n))
    step[-1] = n - 1
    beta = np.zeros(n, dtype=np.int8)
    beta[-1] = 1
    return step, beta


def _cycles(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    k = min(N_CYCLES, n)
    sizes = np.full(k, n // k)
    sizes[: n % k] += 1
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    step = np.arange(1, n + 1, dtype=harness.index_dtype(n))
    step[starts + sizes - 1] = starts  # close each cycle
    beta = np.zeros(n, dtype=np.int8)
    beta[starts] = 1
    return step, beta


FAMILIES: dict[str, Callable[[int, int], tuple[np.ndarray, np.ndarray]]] = {
    "random-2": lambda n, seed: _random(n, seed, 2),
    "random-16": lambda n, seed: _random(n, seed, 16),
    "chain": _chain,
    "cycles": _cycles,
}


def make_instance(family: str, n: int, seed: int = 0) -> Instance:
    """One benchmark instance: a labelled system of one letter, ``steps[0]`` the step."""
    step, beta = FAMILIES[family](n, seed)
    return Instance("labelled", beta, steps=step[np.newaxis])


# --------------------------------------------------------------------------
# The DFA encoding used for the automata libraries.
#
# Our problem is a DFA problem over the alphabet {a, b}:
#   * original state s (non-final): a -> step(s), b -> q_{beta(s)};
#   * gadget states q_0 .. q_{k-1}: q_0 is the only final state, q_j -a-> q_{j-1}
#     for j >= 1, every other move goes to the dead state d, which loops.
# So q_j accepts exactly a^j (pairwise distinguishable, and all distinct from
# d, which accepts nothing), and an original state s accepts exactly the words
# a^i b a^{beta(step^i s)}, i >= 0. Hence two original states are
# language-equivalent iff beta agrees along their whole orbits, which is the
# definition of the minimal complete abstraction above beta; and no original
# state is equivalent to a gadget state (only original states accept words
# containing b). Restricting the minimal DFA's state partition to the
# original states therefore yields exactly our partition (verified against
# ours by the tests with a pure-Python minimiser, and per row by the parent).


def dfa_encoding(inst: Instance) -> peers.DFA:
    """Encode a one-letter instance as a DFA over {a, b} (originals first, then q_0 .. d).

    beta's class ids must be 0 .. k-1; the single accepting state is q_0.
    """
    assert inst.steps is not None and inst.steps.shape[0] == 1
    step, beta, n = inst.steps[0], inst.beta, inst.n
    k = int(beta.max()) + 1 if n else 0
    gadget = n + np.arange(k, dtype=np.int64)  # q_j = n + j
    dead = n + k
    delta_a = np.concatenate([step.astype(np.int64), gadget - 1, [dead]])
    delta_a[n] = dead  # q_0 -a-> dead (q_0 accepts only the empty word)
    delta_b = np.concatenate([n + beta.astype(np.int64), np.full(k + 1, dead)])
    return peers.DFA(np.stack([delta_a, delta_b]), [n])


# --------------------------------------------------------------------------
# Solvers.

_WARM: set[str] = set()  # our methods already run once in this process


def _ours(method: str) -> Solver:
    import abstractions as ab

    def prepare(inst: Instance) -> Any:
        assert inst.steps is not None
        return ab.Computation(inst.steps[0]), ab.Partition.from_labels(inst.beta)

    def solve(inp: Any) -> Any:
        return ab.minimal_complete_abstraction(inp[0], inp[1], method=method)

    def warm() -> None:
        # Load (or compile) the numba kernels before the clock starts: all of
        # them (which ones a solve needs may depend on its size), then this
        # method's on every family; the fresh-process overhead is measured
        # separately.
        if method not in _WARM:
            ab.warmup()
            for family in DEFAULT_FAMILIES:
                solve(prepare(make_instance(family, 12)))
            _WARM.add(method)

    return Solver(
        f"ours:{method}", prepare, solve, lambda P, n: np.asarray(P.labels),
        lambda P, n: P.n_blocks, warm,
    )  # fmt: skip


def _methods() -> tuple[str, ...]:
    import abstractions

    return tuple(abstractions.METHODS)


def available_solvers() -> list[str]:
    """Every ``ours:<method>``, then every peer whose library is importable."""
    return [f"ours:{m}" for m in _methods()] + [p for p in PEERS if peers.installed(p)]


def make_solver(name: str) -> Solver:
    """The solver ``name``: ``ours:<method>`` or one of :data:`PEERS`."""
    if name.startswith("ours:"):
        return _ours(name.removeprefix("ours:"))
    if name not in PEERS:
        raise ValueError(f"unknown solver {name!r}")
    return peers.make_peer(name, dfa_encoding)


JOB = harness.Job("benchmarks.minimal", make_instance, lambda name, family: make_solver(name))
#: One row in this process; in a fresh process; in this process as a runner (tests).
run_child = JOB.run_child
subprocess_runner = JOB.subprocess_runner
inprocess_runner = JOB.inprocess_runner


def run(
    sizes: Sequence[int],
    solvers: Sequence[str],
    families: Sequence[str] = DEFAULT_FAMILIES,
    **kwargs: Any,
) -> list[dict[str, Any]]:
    """Every (family, n, solver) row, verified (see :func:`benchmarks.harness.run_benchmark`)."""
    kwargs.setdefault("runner", subprocess_runner)
    return harness.run_benchmark(sizes, solvers, families, make_instance=make_instance, **kwargs)


# --------------------------------------------------------------------------
# The baselines: one numpy gather, and a fresh process's first call.


def _gather_child(n: int, seed: int, repeats: int = 3) -> dict[str, Any]:
    """Best time of one numpy gather ``labels[step]`` on int64 arrays."""
    rng = np.random.default_rng(seed)
    step = rng.integers(0, n, size=n, dtype=np.int64)
    labels = rng.integers(0, 16, size=n, dtype=np.int64)
    out = np.empty_like(labels)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        np.take(labels, step, out=out)  # labels[step] without a new allocation
        best = min(best, time.perf_counter() - start)
    return {"n": n, "seconds": best}


_FIRST_CALL = """
import json, sys, time
t0 = time.perf_counter()
import abstractions
t1 = time.perf_counter()
C = abstractions.Computation([1, 2, 3, 3])
beta = abstractions.Partition.from_labels([0, 0, 0, 1])
abstractions.minimal_complete_abstraction(C, beta, method=sys.argv[1])
t2 = time.perf_counter()
print(json.dumps(dict(import_seconds=t1 - t0, first_call_seconds=t2 - t1)))
"""


def _first_call(method: str) -> dict[str, float]:
    """Import and a first tiny call in a fresh process (from the repository root)."""
    done = subprocess.run(
        [sys.executable, "-c", _FIRST_CALL, method],
        cwd=harness.ROOT, check=True, capture_output=True, text=True,
    )  # fmt: skip
    result: dict[str, float] = json.loads(done.stdout)
    return result


def first_call_overhead(method: str, runs: int = 3) -> dict[str, Any]:
    """``import abstractions`` + a first tiny call in fresh processes.

    One warm-up process runs first so the numba cache is populated; the
    median of ``runs`` later processes is reported.
    """
    _first_call(method)
    samples = sorted(
        (_first_call(method) for _ in range(runs)),
        key=lambda s: s["import_seconds"] + s["first_call_seconds"],
    )
    mid = samples[len(samples) // 2]
    return dict(
        method=method, **mid, total_seconds=mid["import_seconds"] + mid["first_call_seconds"]
    )


# --------------------------------------------------------------------------
# The command line.

HEADER = (
    f"{'family':<10} {'n':>10} {'solver':<16} {'seconds':>9} {'blocks':>10} "
    f"{'extra MiB':>9} {'B/state':>8} {'x gather':>9}  same?"
)


def format_row(row: dict[str, Any], gather: dict[int, float] | None = None) -> str:
    """One printed line per row (plus the witness of a disagreement)."""
    if row["status"] != "ok":
        why = row.get("reason") or row.get("error") or ""
        return f"{row['family']:<10} {row['n']:>10} {row['solver']:<16} {row['status']:>9}  {why}"
    ratio = ""
    if gather and gather.get(row["n"]):
        ratio = f"{row['seconds'] / gather[row['n']]:.1f}"
    same = {True: "yes", False: "NO", None: "-"}[row["same"]]
    if row.get("checked_against") == row["solver"]:
        same = "(base)"  # what the others are checked against
    line = (
        f"{row['family']:<10} {row['n']:>10} {row['solver']:<16} {row['seconds']:>9.4f} "
        f"{row['blocks']:>10} {row['peak_extra_bytes'] / 2**20:>9.1f} "
        f"{row['bytes_per_state']:>8.1f} {ratio:>9}  {same}"
    )
    if row.get("witness"):
        line += f"\n    witness: {row['witness']}"
    return line


def _expand_solvers(requested: Iterable[str], known: list[str]) -> list[str]:
    """Resolve 'all', 'ours', 'peers' and exact names, keeping the given order."""
    every = [f"ours:{m}" for m in _methods()] + list(PEERS)
    out: list[str] = []
    for name in requested:
        if name == "all":
            picked = known
        elif name == "ours":
            picked = [s for s in known if s.startswith("ours:")]
        elif name == "peers":
            picked = [s for s in known if s in PEERS]
        elif name in every:
            if name not in known:
                raise SystemExit(f"solver {name!r} is not installed (pip install '.[bench]')")
            picked = [name]
        else:
            raise SystemExit(
                f"unknown solver {name!r}; choose from all, ours, peers, {', '.join(every)}"
            )
        out += [s for s in picked if s not in out]
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.minimal",
        description="Benchmark minimal_complete_abstraction against peer libraries.",
        epilog="Sizes accept 1e5 etc. Solvers: all (default), ours, peers, or names like "
        "ours:reference automata-lib bispy pyformlang.",
    )
    parser.add_argument(
        "--sizes", type=harness.parse_size, nargs="+", default=[1_000, 10_000, 100_000]
    )
    parser.add_argument("--solvers", nargs="+", default=["all"])
    parser.add_argument(
        "--families", nargs="+", choices=list(FAMILIES), default=list(DEFAULT_FAMILIES)
    )
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="seconds per solve (default 60)"
    )
    parser.add_argument(
        "--prep-timeout",
        type=float,
        default=600.0,
        help="seconds to build and convert one instance (default 600)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--json",
        type=Path,
        default=None,
        help="output file (default benchmarks/results/minimal-<time>.json)",
    )
    parser.add_argument(
        "--no-baselines", action="store_true", help="skip the gather and first-call measurements"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--gather-child", nargs=2, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:  # one row, in the fresh subprocess the parent started
        harness.run_spec(args.child, run_child)
        return 0
    if args.gather_child:
        print(json.dumps(_gather_child(*args.gather_child)))
        return 0

    solvers = _expand_solvers(args.solvers, available_solvers())
    load = harness.load_average()
    print(
        f"solvers: {', '.join(solvers)}; sizes: {args.sizes}; timeout {args.timeout:g} s; "
        f"load average {load}"
    )

    gather: dict[int, float] = {}
    overhead: list[dict[str, Any]] = []
    if not args.no_baselines:
        for n in sorted(args.sizes):
            # a fresh process: at 10^8 the three arrays take 2.4 GB
            cmd = [sys.executable, "-m", "benchmarks.minimal", "--gather-child", str(n),
                   str(args.seed)]  # fmt: skip
            done = subprocess.run(
                cmd, cwd=harness.ROOT, capture_output=True, text=True, check=False
            )
            if done.returncode == 0:
                gather[n] = json.loads(done.stdout)["seconds"]
                print(f"numpy gather labels[step], n={n}: {gather[n]:.6f} s")
            else:
                print(f"numpy gather at n={n} failed: {done.stderr.strip().splitlines()[-1:]}")
        for method in _methods():
            cost = first_call_overhead(method)
            overhead.append(cost)
            print(
                f"fresh process, warm cache, method={method}: import {cost['import_seconds']:.3f} s"
                f" + first call {cost['first_call_seconds']:.3f} s = {cost['total_seconds']:.3f} s"
            )
    else:
        # still populate the numba cache of the methods to run, so that no
        # row's preparation pays for compilation
        for method in _methods():
            if f"ours:{method}" in solvers:
                _first_call(method)

    print(HEADER)
    rows = run(
        args.sizes,
        solvers,
        args.families,
        seed=args.seed,
        timeout=args.timeout,
        prep_timeout=args.prep_timeout,
        on_row=lambda row: print(format_row(row, gather), flush=True),
    )
    for row in rows:
        if row["status"] == "ok" and gather.get(row["n"]):
            row["x_gather"] = row["seconds"] / gather[row["n"]]
    return harness.close_run(
        args, argv, prefix="minimal", load=load,
        gather=[{"n": n, "seconds": s} for n, s in sorted(gather.items())],
        first_call=overhead, rows=rows,
    )  # fmt: skip


if __name__ == "__main__":
    raise SystemExit(main())
