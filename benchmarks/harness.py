"""The machinery every benchmark job shares: instances, runner, memory, verification, JSON.

A job module (:mod:`benchmarks.minimal`, :mod:`benchmarks.systems`) supplies
its instances and its solvers; this module runs each (solver, family, n) row
in a fresh process with a timeout, measures the solve's time and peak
memory there, checks every row's partition against ``ours:reference`` (or
the majority where the reference did not finish), names the faulty solver
when two disagree, and writes the results as JSON.

The protocol between the parent and a row's child process: the parent runs
``python -m <job module> --child <spec>`` from the repository root; the
child builds the instance, converts it to the solver's input, touches
``spec["ready"]`` right before the solve (the solve timeout starts there),
saves the canonical labels to ``spec["labels"]`` and writes its
measurements to ``spec["report"]``.

Everything here is numpy and the standard library: the verdict on who is
right never depends on the library under test.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "RESULTS_DIR",
    "ROOT",
    "Instance",
    "Job",
    "Runner",
    "Solver",
    "agreement_summary",
    "canonical",
    "choose_baseline",
    "close_run",
    "disagreement",
    "explain",
    "index_dtype",
    "inprocess_runner",
    "load_average",
    "merged_but_split",
    "parse_size",
    "run_benchmark",
    "run_row",
    "run_spec",
    "save_labels",
    "subprocess_runner",
    "timed_solve",
    "unstable_pair",
    "verify",
    "versions",
    "write_results",
]

#: The repository root: the folder holding the ``benchmarks`` package, where
#: the child processes start (so they import this checkout's ``abstractions``).
ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "benchmarks" / "results"


def index_dtype(n: int) -> type[np.integer[Any]]:
    """int32 while every state id fits: half the memory of int64 while building."""
    return np.int32 if n < 2**31 else np.int64


def parse_size(text: str) -> int:
    """A command-line size: ``1e5``, ``100_000`` or ``100000``."""
    value = float(text.replace("_", ""))
    if value < 1 or value != int(value):
        raise argparse.ArgumentTypeError(f"size must be a positive integer, got {text!r}")
    return int(value)


# --------------------------------------------------------------------------
# Instances: every job's systems as plain arrays.


@dataclass(frozen=True)
class Instance:
    """One system: ``beta`` (class id per state) and the transitions of its kind.

    ``steps`` (shape (k, n)) for a labelled system (a computation is one
    letter); CSR ``indptr`` / ``targets`` for a relation, plus integer
    ``weights`` per transition for a Markov chain (probability = weight /
    row total).
    """

    kind: str  # "labelled" | "nondeterministic" | "probabilistic"
    beta: np.ndarray
    steps: np.ndarray | None = None
    indptr: np.ndarray | None = None
    targets: np.ndarray | None = None
    weights: np.ndarray | None = None

    @property
    def n(self) -> int:
        return int(self.beta.shape[0])

    @property
    def m(self) -> int:
        """Number of transitions (letters x states for a labelled system)."""
        if self.steps is not None:
            return int(self.steps.size)
        assert self.targets is not None
        return int(self.targets.shape[0])

    def sources(self) -> np.ndarray:
        """The source state of every transition (labelled: letter by letter)."""
        if self.steps is not None:
            return np.tile(np.arange(self.n, dtype=np.int64), self.steps.shape[0])
        assert self.indptr is not None
        return np.repeat(np.arange(self.n, dtype=np.int64), np.diff(self.indptr))

    def edges(self) -> tuple[np.ndarray, np.ndarray]:
        """``(sources, targets)`` of every transition, letters forgotten."""
        if self.steps is not None:
            return self.sources(), self.steps.reshape(-1)
        assert self.targets is not None
        return self.sources(), self.targets

    def row_totals(self) -> np.ndarray:
        """The weight total of every state (probabilistic)."""
        assert self.weights is not None and self.indptr is not None
        if self.n == 0:
            return np.zeros(0, dtype=np.int64)
        # every state has a successor (rows sum to 1), so reduceat's segments are not empty
        return np.add.reduceat(self.weights.astype(np.int64), self.indptr[:-1])

    def probabilities(self) -> np.ndarray:
        """Float64 probability of every transition (probabilistic)."""
        assert self.weights is not None
        probabilities: np.ndarray = self.weights / self.row_totals()[self.sources()]
        return probabilities

    def fractions(self) -> list[Fraction]:
        """Exact probability of every transition (probabilistic)."""
        assert self.weights is not None
        totals = self.row_totals()[self.sources()].tolist()
        return [Fraction(w, t) for w, t in zip(self.weights.tolist(), totals)]


# --------------------------------------------------------------------------
# Partitions as canonical labels, and the checks of an answer.


def canonical(labels: Any) -> np.ndarray:
    """First-occurrence block ids (block 0 holds state 0, ...), int64."""
    labels = np.asarray(labels)
    if labels.size == 0:
        return np.zeros(0, dtype=np.int64)
    _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    rank = np.empty(first.size, dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(first.size)
    return rank[inverse.reshape(-1)]


def merged_but_split(a: np.ndarray, b: np.ndarray) -> tuple[int, int] | None:
    """States s < t with a[s] == a[t] but b[s] != b[t], or None (``a`` refines ``b``)."""
    if a.size == 0:
        return None
    first = np.full(int(a.max()) + 1, -1, dtype=np.int64)
    # first[block] = smallest state of that block of a (write in reverse so
    # the smallest index wins)
    first[a[::-1]] = np.arange(a.size - 1, -1, -1)
    rep = first[a]
    bad = np.flatnonzero(b != b[rep])
    return None if bad.size == 0 else (int(rep[bad[0]]), int(bad[0]))


def disagreement(a: np.ndarray, b: np.ndarray) -> tuple[str, int, int] | None:
    """A witness that partitions ``a`` and ``b`` differ, or None if equal.

    ``("a", s, t)``: ``a`` puts s and t together, ``b`` apart;
    ``("b", s, t)``: the other way round.
    """
    if a.shape != b.shape:
        raise ValueError(f"partitions of different sizes: {a.shape} vs {b.shape}")
    pair = merged_but_split(a, b)
    if pair is not None:
        return ("a", *pair)
    pair = merged_but_split(b, a)
    return None if pair is None else ("b", *pair)


def _signature_hash(rng_seed: int, groups: np.ndarray, keys: np.ndarray, n: int) -> np.ndarray:
    """Per state, a wrapping sum of random 64-bit values of its distinct keys.

    ``groups[i]`` is a state and ``keys[i]`` an int64 key; duplicates of a
    (state, key) pair count once, so the sum hashes the *set* of keys of a
    state (two different sets collide with probability about 2^-64).
    """
    pairs = np.unique(np.stack([groups, keys], axis=1), axis=0)
    _, key_ids = np.unique(pairs[:, 1], return_inverse=True)
    values = np.random.default_rng(rng_seed).integers(
        0, 2**63, size=int(key_ids.max(initial=-1)) + 1, dtype=np.uint64
    )
    out = np.zeros(n, dtype=np.uint64)
    np.add.at(out, pairs[:, 0], values[key_ids.reshape(-1)])
    return out


def unstable_pair(inst: Instance, labels: Any) -> tuple[int, int] | None:
    """Two states of one block whose transitions tell them apart, or None if stable.

    Stable means, for every two states s, t of one block: the same block
    after every letter (labelled); the same set of successor blocks
    (nondeterministic); the same probability into every block
    (probabilistic, exact: probabilities are weight / row total).
    """
    n = inst.n
    labels = np.asarray(labels, dtype=np.int64)
    if n == 0:
        return None
    if inst.kind == "labelled":
        assert inst.steps is not None
        # one gather per letter: linear, so it also explains rows at 10^8 states
        for row in inst.steps:
            pair = merged_but_split(labels, labels[row])
            if pair is not None:
                return pair
        return None
    src, dst = inst.sources(), labels[inst.targets]
    if inst.kind == "nondeterministic":
        hashed = _signature_hash(1, src, dst, n)
    else:
        # P(s, B) = W(s, B) / total(s), reduced: an exact key per (s, B)
        assert inst.weights is not None
        order = np.lexsort((dst, src))
        s, b = src[order], dst[order]
        starts = np.flatnonzero(np.r_[True, (s[1:] != s[:-1]) | (b[1:] != b[:-1])])
        w = np.add.reduceat(inst.weights.astype(np.int64)[order], starts)
        total = inst.row_totals()[s[starts]]
        g = np.gcd(w, total)
        # one id per distinct (block, numerator, denominator): no overflow
        triples = np.stack([b[starts], w // g, total // g], axis=1)
        key = np.unique(triples, axis=0, return_inverse=True)[1].reshape(-1)
        hashed = _signature_hash(2, s[starts], key, n)
    return merged_but_split(labels, hashed)


def explain(
    witness: tuple[str, int, int], name: str, base: str, labels: dict[str, np.ndarray],
    inst: Instance,
) -> str:  # fmt: skip
    """Who is wrong: a partition that is not stable or does not refine beta, else the finer."""
    side, s, t = witness
    together, apart = (name, base) if side == "a" else (base, name)
    faults = []
    for who in (name, base):
        beta_pair = merged_but_split(labels[who], canonical(inst.beta))
        pair = unstable_pair(inst, labels[who])
        if beta_pair is not None:
            faults.append(f"{who} merges states {beta_pair} of different beta classes")
        elif pair is not None:
            faults.append(f"{who} is not stable: states {pair} of one block differ")
    if not faults:
        faults.append(f"both are stable, so {apart} is wrong (not coarsest)")
    return f"{together} puts states {s} and {t} together, {apart} apart; " + "; ".join(faults)


def choose_baseline(labels: dict[str, np.ndarray]) -> str | None:
    """The solver whose labels the others are checked against.

    ``ours:reference`` (the oracle) when it finished; otherwise the answer
    most solvers agree on, preferring ours on a tie.
    """
    if "ours:reference" in labels:
        return "ours:reference"
    best, votes = None, -1
    for name in sorted(labels, key=lambda s: not s.startswith("ours")):  # stable: ours first
        count = sum(np.array_equal(labels[name], other) for other in labels.values())
        if count > votes:
            best, votes = name, count
    return best


def verify(
    rows: list[dict[str, Any]], paths: dict[str, Path], instance: Callable[[], Instance]
) -> None:
    """Fill ``same`` / ``compared`` / ``checked_against`` / ``witness`` of one instance's rows.

    A solver that saved labels is compared partition by partition; one that
    exposes only its number of blocks (Storm) by that number. ``instance``
    rebuilds the instance, only when a witness needs explaining.
    """
    ok = {r["solver"]: r for r in rows if r["status"] == "ok"}
    labels = {name: np.load(paths[name]) for name in ok if name in paths and paths[name].exists()}
    base = choose_baseline(labels)
    inst = None
    for row in rows:
        name = row["solver"]
        if name not in ok or base is None:
            row["same"] = None
            continue
        row["checked_against"] = base
        if name in labels:
            row["compared"] = "partition"
            witness = disagreement(labels[name], labels[base])
            row["same"] = witness is None
            if witness is not None:
                inst = inst or instance()
                row["witness"] = explain(witness, name, base, labels, inst)
        else:
            row["compared"] = "blocks"
            row["same"] = row["blocks"] == ok[base]["blocks"]
            if not row["same"]:
                inst = inst or instance()
                stable = unstable_pair(inst, labels[base]) is None
                row["witness"] = (
                    f"{row['blocks']} blocks, {base} has {ok[base]['blocks']} "
                    f"({base}'s partition is {'stable' if stable else 'NOT stable'})"
                )


def agreement_summary(rows: list[dict[str, Any]]) -> tuple[bool, str]:
    """Whether every finished row agreed, and the closing line that says so."""
    checked = [r for r in rows if r.get("same") is not None]
    disagree = [r for r in checked if not r["same"]]
    if disagree:
        return False, (
            f"DISAGREEMENT in {len(disagree)} of {len(checked)} rows (see witnesses above)"
        )
    return True, (
        f"agreement: yes, in all {len(checked)} rows that finished (the partition where the "
        "solver exposes it, else the number of blocks; against ours:reference, or where it did "
        "not finish the majority: the '(base)' row)"
    )


# --------------------------------------------------------------------------
# Solvers, and one row in the child process.


@dataclass(frozen=True)
class Solver:
    """One way to answer an instance, in three phases.

    ``prepare`` converts the instance to the solver's input (timed apart as
    ``convert_seconds``), ``solve`` is timed and its memory measured,
    ``labels`` reads the state-to-block map back (None where the solver
    does not expose one) and ``blocks`` the number of blocks. ``warm``
    runs before the clock (loads our numba kernels).
    """

    name: str
    prepare: Callable[[Instance], Any]
    solve: Callable[[Any], Any]
    labels: Callable[[Any, int], np.ndarray] | None
    blocks: Callable[[Any, int], int]
    warm: Callable[[], None] = lambda: None


def _proc_status_kib(field: str) -> int | None:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _maxrss_bytes() -> int:
    # ru_maxrss is KiB on Linux, bytes on macOS
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def _reset_peak() -> bool:
    """Reset this process's peak RSS to its current RSS (Linux >= 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
        return True
    except OSError:
        return False


def _peak_before() -> tuple[int, str]:
    """Baseline for the solve's peak memory, and how it was taken.

    ru_maxrss alone would also count transient peaks of building the
    instance (and, after vfork, the parent's peak), hiding the solve's extra
    memory under them; so on Linux reset the high-water mark to the current
    RSS right before the solve and read VmHWM after it.
    """
    if _reset_peak():
        rss = _proc_status_kib("VmRSS")
        if rss is not None and _proc_status_kib("VmHWM") is not None:
            return rss * 1024, "VmHWM-after minus VmRSS-before (peak reset)"
    return _maxrss_bytes(), "ru_maxrss-after minus ru_maxrss-before"


def _peak_after() -> int:
    hwm = _proc_status_kib("VmHWM")
    return _maxrss_bytes() if hwm is None else hwm * 1024


def timed_solve(
    solve: Callable[[Any], Any], inp: Any, ready_path: Path | None, *, collect: bool = True
) -> tuple[Any, float, int, str]:
    """``(result, seconds, peak extra bytes, how measured)`` of one solve.

    ``ready_path`` is touched right before the solve so the parent can start
    the solve timeout there; garbage is collected first (unless ``collect``
    is false), so that what the caller deleted does not count.
    """
    if collect:
        gc.collect()
    if ready_path is not None:
        ready_path.touch()
    before, how = _peak_before()
    start = time.perf_counter()
    result = solve(inp)
    seconds = time.perf_counter() - start
    return result, seconds, max(0, _peak_after() - before), how


def save_labels(labels: Any, n: int, path: Path, solver_name: str) -> np.ndarray:
    """Save a solver's labels, canonical, in the row's index dtype; return them."""
    ids = canonical(labels)
    if ids.size and ids.min() < 0:
        raise RuntimeError(f"{solver_name} left states without a block")
    np.save(path, ids.astype(index_dtype(n), copy=False))
    return ids


def run_row(
    solver: Solver,
    build: Callable[[], Instance],
    labels_path: Path,
    ready_path: Path | None = None,
    *,
    fresh: bool = True,
) -> dict[str, Any]:
    """Build the instance, run one solver on it, save canonical labels if it has them.

    Returns the row's measurements. ``fresh=False`` (rows in a busy process:
    the tests) skips what only makes a fresh process's measurement fair,
    loading every kernel and collecting garbage first (0.15 s a row under
    pytest): nothing is timed for real there.
    """
    if fresh:
        solver.warm()
    start = time.perf_counter()
    inst = build()
    build_seconds = time.perf_counter() - start
    n, m = inst.n, inst.m
    start = time.perf_counter()
    inp = solver.prepare(inst)
    convert_seconds = time.perf_counter() - start
    del inst  # the solver's input format is all it gets
    result, seconds, extra, how = timed_solve(solver.solve, inp, ready_path, collect=fresh)
    if solver.labels is not None:
        save_labels(solver.labels(result, n), n, labels_path, solver.name)
    return {
        "m": m,
        "seconds": seconds,
        "blocks": int(solver.blocks(result, n)),
        "peak_extra_bytes": extra,
        "bytes_per_state": extra / n if n else 0.0,
        "memory_measure": how,
        "build_seconds": build_seconds,
        "convert_seconds": convert_seconds,
    }


@dataclass(frozen=True)
class Job:
    """What a job module gives the harness: its module, its instances and its solvers.

    ``make_instance(family, n, seed)`` builds an instance and
    ``make_solver(name, family)`` the solver of that name for it; the
    methods run one row of the job.
    """

    module: str
    make_instance: Callable[[str, int, int], Instance]
    make_solver: Callable[[str, str], Solver]

    def run_child(
        self,
        solver: str,
        family: str,
        n: int,
        seed: int,
        labels_path: Path,
        ready_path: Path | None = None,
        *,
        fresh: bool = True,
    ) -> dict[str, Any]:
        """One row in this process (see :func:`run_row`)."""
        build = partial(self.make_instance, family, n, seed)
        return run_row(
            self.make_solver(solver, family), build, labels_path, ready_path, fresh=fresh
        )

    def subprocess_runner(self, *row: Any) -> dict[str, Any]:
        """A :data:`Runner`: the row in a fresh ``python -m <module> --child`` process."""
        return subprocess_runner(*row, module=self.module)

    def inprocess_runner(self, *row: Any) -> dict[str, Any]:
        """A :data:`Runner`: the row in this process (tests)."""
        return inprocess_runner(*row, child=self.run_child)


def run_spec(spec_text: str, child: Callable[..., dict[str, Any]]) -> None:
    """The ``--child`` side of :func:`subprocess_runner`: run the row, write its report."""
    spec = json.loads(spec_text)
    report = child(
        spec["solver"],
        spec["family"],
        spec["n"],
        spec["seed"],
        Path(spec["labels"]),
        Path(spec["ready"]),
    )
    Path(spec["report"]).write_text(json.dumps(report))


# --------------------------------------------------------------------------
# The parent: one row per fresh process, every row of a job.

#: ``runner(solver, family, n, seed, labels_path, timeout, prep_timeout) -> row``
Runner = Callable[[str, str, int, int, Path, float, float], dict[str, Any]]


def subprocess_runner(
    solver: str,
    family: str,
    n: int,
    seed: int,
    labels_path: Path,
    timeout: float,
    prep_timeout: float,
    *,
    module: str,
) -> dict[str, Any]:
    """Run one row as ``python -m <module> --child <spec>``; the solve gets ``timeout`` seconds.

    The child starts in the repository root, so it imports this checkout's
    ``abstractions`` and ``benchmarks`` whatever is installed.
    """
    ready = labels_path.with_suffix(".ready")
    report = labels_path.with_suffix(".json")
    spec = {
        "solver": solver,
        "family": family,
        "n": n,
        "seed": seed,
        "labels": str(labels_path),
        "ready": str(ready),
        "report": str(report),
    }
    errors = labels_path.with_suffix(".err")
    # stderr goes to a file: a pipe nobody reads while polling could fill up
    # and stall the child
    with open(errors, "w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", module, "--child", json.dumps(spec)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
        deadline = time.monotonic() + prep_timeout
        solving = False
        while proc.poll() is None:
            if not solving and ready.exists():
                solving, deadline = True, time.monotonic() + timeout
            if time.monotonic() > deadline:
                proc.kill()
                proc.wait()
                return {"status": "timeout" if solving else "prep-timeout", "seconds": None}
            time.sleep(0.02)
    if proc.returncode != 0 or not report.exists():
        tail = errors.read_text(errors="replace").strip().splitlines()[-3:]
        return {
            "status": "error",
            "seconds": None,
            "error": " | ".join(tail) or f"exit {proc.returncode}",
        }
    return dict(status="ok", **json.loads(report.read_text()))


def inprocess_runner(
    solver: str,
    family: str,
    n: int,
    seed: int,
    labels_path: Path,
    timeout: float,
    prep_timeout: float,
    *,
    child: Callable[..., dict[str, Any]],
) -> dict[str, Any]:
    """Run one row in this process with ``child`` (tests: no timeout, memory not meaningful)."""
    return dict(status="ok", **child(solver, family, n, seed, labels_path, fresh=False))


def _available_memory() -> int | None:
    """MemAvailable in bytes (Linux), else None."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _hopeless(previous: dict[str, Any] | None, n: int, timeout: float) -> str | None:
    """Why running at ``n`` is pointless given the row at the previous size, or None.

    Every solver here is at least linear, so ``seconds * n / n_prev`` is a
    lower bound on its time at ``n``; skipping on it spares the machine a
    peer that would only time out after filling the memory with Python
    objects (the peers take over 1 kB per state). Likewise for memory.
    """
    if previous is None or previous.get("status") != "ok":
        return None
    scale = n / previous["n"]
    if previous["seconds"] * scale > timeout:
        return f"predicted > {previous['seconds'] * scale:.0f} s from n={previous['n']}"
    need = previous["bytes_per_state"] * n
    free = _available_memory()
    if free is not None and need > 0.8 * free:
        return f"predicted > {need / 2**30:.1f} GiB, {free / 2**30:.1f} GiB available"
    return None


def run_benchmark(
    sizes: Sequence[int],
    solvers: Sequence[str],
    families: Sequence[str],
    *,
    make_instance: Callable[[str, int, int], Instance],
    runner: Runner,
    seed: int = 0,
    timeout: float = 60.0,
    prep_timeout: float = 600.0,
    workdir: Path | None = None,
    on_row: Callable[[dict[str, Any]], None] = lambda row: None,
) -> list[dict[str, Any]]:
    """Run every (family, n, solver) and verify agreement; return the rows.

    A solver that timed out on a family is skipped at the larger sizes of
    that family, and so is one whose time or memory at the previous size,
    scaled linearly, already exceeds the timeout or the free memory.
    ``make_instance(family, n, seed)`` rebuilds an instance to explain a
    disagreement.
    """
    rows: list[dict[str, Any]] = []
    own_tmp = workdir is None
    tmp = Path(tempfile.mkdtemp(prefix="bench-")) if workdir is None else workdir
    try:
        for family in families:
            given_up: dict[str, str] = {}  # solver -> why it is skipped from here on
            last: dict[str, dict[str, Any]] = {}  # solver -> its row at the last size
            for n in sorted(sizes):
                instance_rows, paths = [], {}
                for solver in solvers:
                    row: dict[str, Any] = {"family": family, "n": n, "solver": solver}
                    why = given_up.get(solver) or _hopeless(last.get(solver), n, timeout)
                    if why:
                        given_up[solver] = why
                        row.update(status="skipped", seconds=None, reason=why)
                    else:
                        paths[solver] = tmp / f"{family}-{n}-{solver.replace(':', '_')}.npy"
                        row.update(
                            runner(solver, family, n, seed, paths[solver], timeout, prep_timeout)
                        )
                        if row["status"] in ("timeout", "prep-timeout"):
                            given_up[solver] = f"{row['status']} at n={n}"
                        last[solver] = row
                    instance_rows.append(row)
                verify(instance_rows, paths, partial(make_instance, family, n, seed))
                for row in instance_rows:
                    on_row(row)
                    path = paths.get(row["solver"])
                    if path is not None:
                        for suffix in (".npy", ".ready", ".json", ".err"):
                            path.with_suffix(suffix).unlink(missing_ok=True)
                rows.extend(instance_rows)
    finally:
        if own_tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    return rows


# --------------------------------------------------------------------------
# Results as JSON.

_DISTRIBUTIONS = ("numpy", "numba", "networkx", "automata-lib", "bispy", "pyformlang", "stormpy")


def versions(dists: Iterable[str] = _DISTRIBUTIONS) -> dict[str, str | None]:
    """Our version and each installed distribution's (None where it is missing)."""
    from importlib.metadata import PackageNotFoundError, version

    import abstractions

    # Ours from the package itself: the checkout the children import, which
    # need not be the installed distribution.
    found: dict[str, str | None] = {"abstractions": abstractions.__version__}
    for dist in dists:
        try:
            found[dist] = version(dist)
        except PackageNotFoundError:
            found[dist] = None
    return found


def load_average() -> tuple[float, float, float] | None:
    """The machine's load average (where the platform has one): how busy the run was."""
    return os.getloadavg() if hasattr(os, "getloadavg") else None


def close_run(
    args: argparse.Namespace,
    argv: Sequence[str] | None,
    *,
    prefix: str,
    load: tuple[float, float, float] | None,
    **fields: Any,
) -> int:
    """End a job's command: print the agreement line, write the JSON, say where; the exit code.

    The document holds the command line, the timeout and the seed, then
    ``fields`` as given: the job's own, and ``rows``, whose agreement decides
    the exit code.
    """
    agreed, summary = agreement_summary(fields["rows"])
    print(summary)
    document = {
        "argv": list(sys.argv[1:] if argv is None else argv),
        "timeout": args.timeout,
        "seed": args.seed,
        **fields,
    }
    out = write_results(document, args.json, prefix=prefix, load=load)
    print(f"results written to {out}")
    return 0 if agreed else 1


def write_results(
    document: dict[str, Any],
    out: Path | None,
    *,
    prefix: str,
    load: tuple[float, float, float] | None = None,
) -> Path:
    """Write ``document`` with the time, machine and versions added; return the path.

    ``out`` None means ``benchmarks/results/<prefix>-<time>.json``; a file
    written into ``benchmarks/results/`` is also copied to
    ``latest.json`` (``prefix`` "minimal") or ``latest-<prefix>.json``, so
    that each job's latest run has its own name.
    """
    if out is None:
        out = RESULTS_DIR / f"{prefix}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    full = {
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average": load,
        },
        "versions": versions(),
        **document,
    }
    out.write_text(json.dumps(full, indent=2))
    if out.parent.resolve() == RESULTS_DIR:
        latest = "latest.json" if prefix == "minimal" else f"latest-{prefix}.json"
        shutil.copyfile(out, RESULTS_DIR / latest)
    return out
