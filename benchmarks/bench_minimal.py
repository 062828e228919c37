"""Benchmark minimal complete abstractions against the peer libraries.

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
reference did not finish). Two baselines from the fast-core issue are
measured too: one numpy gather ``labels[step]`` per size, and the first-call
overhead of a fresh process once the numba cache is warm.

Run (from the repository root)::

    python benchmarks/bench_minimal.py --sizes 1e3 1e4 1e5
    python benchmarks/bench_minimal.py --sizes 1e6 1e7 --solvers ours --timeout 120
    python benchmarks/plot_results.py benchmarks/results/latest.json

Prints one table and writes JSON to ``benchmarks/results/`` (also copied to
``latest.json``).
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
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
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "FAMILIES",
    "PEERS",
    "DFAEncoding",
    "available_solvers",
    "canonical",
    "dfa_encoding",
    "disagreement",
    "distinguishing_step",
    "main",
    "make_instance",
    "run_benchmark",
    "automata_lib_hopcroft",
    "automata_lib_labels",
    "bispy_input",
    "bispy_labels",
    "bispy_paige_tarjan",
    "pyformlang_labels",
    "run_child",
    "run_spec",
    "save_labels",
    "subprocess_runner",
    "timed_solve",
    "write_results",
]

RESULTS_DIR = Path(__file__).resolve().parent / "results"
DEFAULT_FAMILIES = ("random-2", "random-16", "chain", "cycles")
N_CYCLES = 4


# --------------------------------------------------------------------------
# Instances: plain arrays, built vectorised. step is int32 (every n here is
# < 2**31): half the memory of int64 while building, and the library converts
# it to its own index dtype once.


def _index_dtype(n: int) -> type[np.integer[Any]]:
    return np.int32 if n < 2**31 else np.int64


def _random(n: int, seed: int, classes: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    step = rng.integers(0, n, size=n, dtype=_index_dtype(n))
    beta = rng.integers(0, classes, size=n, dtype=np.int8)
    return step, beta


def _chain(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    step = np.arange(1, n + 1, dtype=_index_dtype(n))
    step[-1] = n - 1
    beta = np.zeros(n, dtype=np.int8)
    beta[-1] = 1
    return step, beta


def _cycles(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    k = min(N_CYCLES, n)
    sizes = np.full(k, n // k)
    sizes[: n % k] += 1
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    step = np.arange(1, n + 1, dtype=_index_dtype(n))
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


def make_instance(family: str, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(step, beta)`` of one benchmark instance: step ids and beta class ids."""
    return FAMILIES[family](n, seed)


# --------------------------------------------------------------------------
# Canonical labels and the agreement check. Written with numpy only, so the
# verdict does not depend on the library under test.


def canonical(labels: Any) -> np.ndarray:
    """First-occurrence block ids (block 0 holds state 0, ...), int64."""
    labels = np.asarray(labels)
    if labels.size == 0:
        return np.zeros(0, dtype=np.int64)
    _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    rank = np.empty(first.size, dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(first.size)
    return rank[inverse.reshape(-1)]


def _merged_but_split(a: np.ndarray, b: np.ndarray) -> tuple[int, int] | None:
    """States s < t with a[s] == a[t] but b[s] != b[t], or None."""
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
    if a.size == 0:
        return None
    pair = _merged_but_split(a, b)
    if pair is not None:
        return ("a", *pair)
    pair = _merged_but_split(b, a)
    return None if pair is None else ("b", *pair)


def distinguishing_step(
    step: np.ndarray, beta: np.ndarray, s: int, t: int, limit: int | None = None
) -> int | None:
    """Least i with beta(step^i s) != beta(step^i t), or None if there is none.

    Moore's refinement stabilises within n rounds, so states that agree for
    ``n`` steps agree forever: None means s and t belong together in the
    minimal complete abstraction (with ``limit < n``: none found so far).
    """
    n = step.shape[0]
    for i in range(n if limit is None else min(n, limit)):
        if beta[s] != beta[t]:
            return i
        if s == t:
            return None
        s, t = int(step[s]), int(step[t])
    return None


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


@dataclass(frozen=True)
class DFAEncoding:
    """A complete DFA over {a, b} on states 0 .. n_states-1 (originals first)."""

    n: int  # original states 0 .. n-1
    delta_a: np.ndarray  # shape (n_states,)
    delta_b: np.ndarray  # shape (n_states,)
    final: int  # the single final state q_0

    @property
    def n_states(self) -> int:
        return int(self.delta_a.shape[0])


def dfa_encoding(step: np.ndarray, beta: np.ndarray) -> DFAEncoding:
    """Encode (step, beta) as a DFA; beta's class ids must be 0 .. k-1."""
    n = int(step.shape[0])
    k = int(beta.max()) + 1 if n else 0
    gadget = n + np.arange(k, dtype=np.int64)  # q_j = n + j
    dead = n + k
    delta_a = np.concatenate([step.astype(np.int64), gadget - 1, [dead]])
    delta_a[n] = dead  # q_0 -a-> dead (q_0 accepts only the empty word)
    delta_b = np.concatenate([n + beta.astype(np.int64), np.full(k + 1, dead)])
    return DFAEncoding(n=n, delta_a=delta_a, delta_b=delta_b, final=n)


# --------------------------------------------------------------------------
# Solvers. Each has three phases: ``prepare`` (conversion to the solver's
# input format: not timed, reported as convert_seconds), ``solve`` (timed,
# memory measured) and ``labels`` (reading the result back: not timed).


@dataclass(frozen=True)
class Solver:
    name: str
    prepare: Callable[[np.ndarray, np.ndarray], Any]
    solve: Callable[[Any], Any]
    labels: Callable[[Any, int], np.ndarray]
    warm: Callable[[], None] = lambda: None


_WARM: set[str] = set()  # our methods already run once in this process


def _ours(method: str) -> Solver:
    import abstractions as ab

    def prepare(step: np.ndarray, beta: np.ndarray) -> Any:
        return ab.Computation(step), ab.Partition.from_labels(beta)

    def solve(inp: Any) -> Any:
        return ab.minimal_complete_abstraction(inp[0], inp[1], method=method)

    def warm() -> None:
        # Load (or compile) this method's numba kernels before the clock
        # starts; the fresh-process overhead is measured separately.
        if method not in _WARM:
            for family in DEFAULT_FAMILIES:
                solve(prepare(*make_instance(family, 12)))
            _WARM.add(method)

    return Solver(f"ours:{method}", prepare, solve, lambda P, n: np.asarray(P.labels), warm)


# Peer adapters shared with bench_systems.py: how each peer is called on an
# instance and how its answer is read back.


def automata_lib_hopcroft() -> Callable[[tuple[Any, ...]], Any]:
    """Import and set up automata-lib; return its Hopcroft on every state.

    The returned solve takes ``(n_states, letters, transitions, final)``.
    ``DFA.minify()`` first drops the states unreachable from the initial
    state; its routine ``_minify`` is told that every state is reachable
    (our DFAs are complete, where automata-lib's minimisation is right).
    Importing here keeps the import out of the timed solve.
    """
    from automata.base import config
    from automata.fa.dfa import DFA

    # Skip validating/freezing the result DFA: bookkeeping, not Hopcroft
    # (this only makes the peer faster).
    config.should_validate_automata = False
    config.allow_mutable_automata = True

    def solve(inp: tuple[Any, ...]) -> Any:
        n_states, letters, transitions, final = inp
        return DFA._minify(
            reachable_states=set(range(n_states)),
            input_symbols=letters,
            transitions=transitions,
            initial_state=0,
            reachable_final_states=final,
            retain_names=True,  # result states are frozensets of our states
        )

    return solve


def automata_lib_labels(dfa: Any, n: int) -> np.ndarray:
    """Block ids of states ``0 .. n-1`` from automata-lib's minimal DFA (extra states left out)."""
    out = np.full(n, -1, dtype=np.int64)
    for j, block in enumerate(dfa.states):
        out[[s for s in block if s < n]] = j
    return out


def bispy_paige_tarjan() -> Callable[[tuple[Any, list[Any]]], Any]:
    """Import bispy; return its Paige-Tarjan on ``(graph, blocks)``.

    Not bispy's Dovier-Piazza-Policriti variant, which answers wrongly on
    some small systems. Importing here keeps the import out of the timed
    solve (and networkx's out of :func:`bispy_input`'s conversion).
    """
    import networkx  # noqa: F401
    from bispy import Algorithms, compute_maximum_bisimulation

    def solve(inp: tuple[Any, list[Any]]) -> Any:
        graph, blocks = inp
        return compute_maximum_bisimulation(graph, blocks, algorithm=Algorithms.PaigeTarjan)

    return solve


def bispy_input(n: int, sources: Any, targets: Any, beta: np.ndarray) -> tuple[Any, list[Any]]:
    """bispy's input: an "integer graph" (nodes 0..n-1 in order) and beta's blocks."""
    import networkx as nx

    graph = nx.DiGraph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from(zip(sources, targets))
    order = np.argsort(beta, kind="stable")
    cuts = np.flatnonzero(np.diff(beta[order])) + 1
    return graph, [part.tolist() for part in np.split(order, cuts)]


def bispy_labels(result: Any, n: int) -> np.ndarray:
    """Block ids from bispy's list of blocks."""
    out = np.full(n, -1, dtype=np.int64)
    for j, block in enumerate(result):
        out[list(block)] = j
    return out


def _automata_lib() -> Solver:
    def prepare(step: np.ndarray, beta: np.ndarray) -> Any:
        enc = dfa_encoding(step, beta)
        a, b = enc.delta_a.tolist(), enc.delta_b.tolist()
        transitions = {s: {"a": a[s], "b": b[s]} for s in range(enc.n_states)}
        return enc.n_states, {"a", "b"}, transitions, {enc.final}

    return Solver("automata-lib", prepare, automata_lib_hopcroft(), automata_lib_labels)


def _bispy() -> Solver:
    # bispy's Paige-Tarjan splits blocks by the counterimage (predecessors) of
    # a splitter, i.e. s ~ t requires a bisimilar successor: on a graph with
    # exactly one edge s -> step(s) per state that is our stability condition.
    def prepare(step: np.ndarray, beta: np.ndarray) -> Any:
        n = int(step.shape[0])
        return bispy_input(n, range(n), step.tolist(), beta)

    return Solver("bispy", prepare, bispy_paige_tarjan(), bispy_labels)


def _pyformlang() -> Solver:
    from pyformlang.finite_automaton import DeterministicFiniteAutomaton

    def prepare(step: np.ndarray, beta: np.ndarray) -> Any:
        enc = dfa_encoding(step, beta)
        dfa = DeterministicFiniteAutomaton()
        a, b = enc.delta_a.tolist(), enc.delta_b.tolist()
        dfa.add_transitions(
            [(s, "a", a[s]) for s in range(enc.n_states)]
            + [(s, "b", b[s]) for s in range(enc.n_states)]
        )
        dfa.add_start_state(0)
        dfa.add_final_state(enc.final)
        return dfa

    def solve(dfa: Any) -> Any:
        # minimize() = Hopcroft over ALL states (_get_partition) + rebuilding
        # a DFA on the states reachable from the start; the rebuild would drop
        # unreachable states and merge names, so time the Hopcroft part.
        return dfa._get_partition()

    return Solver("pyformlang", prepare, solve, pyformlang_labels)


def pyformlang_labels(partition: Any, n: int) -> np.ndarray:
    """Block ids of states ``0 .. n-1`` from pyformlang's Hopcroft partition.

    Blocks are numbered in pyformlang's order (canonicalised later); states
    beyond ``n`` (an encoding's extra states) and pyformlang's own trash
    state (``None``) are left out.
    """
    out = np.full(n, -1, dtype=np.int64)
    for j, group in enumerate(partition.get_groups()):
        out[[s.value for s in group if s is not None and s.value < n]] = j
    return out


#: Peer solvers and the module each needs.
PEERS: dict[str, tuple[str, Callable[[], Solver]]] = {
    "automata-lib": ("automata", _automata_lib),
    "bispy": ("bispy", _bispy),
    "pyformlang": ("pyformlang", _pyformlang),
}


def _methods() -> tuple[str, ...]:
    import abstractions

    return tuple(abstractions.METHODS)


def available_solvers() -> list[str]:
    """Every ``ours:<method>``, then every peer whose library is importable."""
    names = [f"ours:{m}" for m in _methods()]
    names += [name for name, (mod, _) in PEERS.items() if importlib.util.find_spec(mod)]
    return names


def make_solver(name: str) -> Solver:
    if name.startswith("ours:"):
        return _ours(name.removeprefix("ours:"))
    return PEERS[name][1]()


# --------------------------------------------------------------------------
# The child: one (solver, family, n) in this process.


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
    solve: Callable[[Any], Any], inp: Any, ready_path: Path | None
) -> tuple[Any, float, int, str]:
    """``(result, seconds, peak extra bytes, how measured)`` of one solve.

    ``ready_path`` is touched right before the solve so the parent can start
    the solve timeout there; garbage is collected first, so that what the
    caller deleted does not count.
    """
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
    labels = canonical(labels)
    if labels.size and labels.min() < 0:
        raise RuntimeError(f"{solver_name} left states without a block")
    np.save(path, labels.astype(_index_dtype(n), copy=False))
    return labels


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


def run_child(
    solver_name: str,
    family: str,
    n: int,
    seed: int,
    labels_path: Path,
    ready_path: Path | None = None,
) -> dict[str, Any]:
    """Build the instance, run one solver on it, save canonical labels.

    Returns the row's measurements. ``ready_path`` is touched right before
    the solve so the parent can start the solve timeout there.
    """
    solver = make_solver(solver_name)
    solver.warm()
    start = time.perf_counter()
    step, beta = make_instance(family, n, seed)
    build_seconds = time.perf_counter() - start
    start = time.perf_counter()
    inp = solver.prepare(step, beta)
    convert_seconds = time.perf_counter() - start
    del step, beta  # the solver's input format is all it gets
    result, seconds, extra, how = timed_solve(solver.solve, inp, ready_path)
    labels = save_labels(solver.labels(result, n), n, labels_path, solver_name)
    return {
        "seconds": seconds,
        "blocks": int(labels.max()) + 1 if n else 0,
        "peak_extra_bytes": extra,
        "bytes_per_state": extra / n if n else 0.0,
        "memory_measure": how,
        "build_seconds": build_seconds,
        "convert_seconds": convert_seconds,
    }


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


def _warm_cache(method: str) -> None:
    """One throw-away process that loads (or compiles and caches) the kernels."""
    subprocess.run([sys.executable, "-c", _FIRST_CALL, method], check=True, capture_output=True)


def first_call_overhead(method: str, runs: int = 3) -> dict[str, Any]:
    """``import abstractions`` + a first tiny call in fresh processes.

    One warm-up process runs first so the numba cache is populated; the
    median of ``runs`` later processes is reported.
    """
    _warm_cache(method)
    cmd = [sys.executable, "-c", _FIRST_CALL, method]
    samples = []
    for _ in range(runs):
        done = subprocess.run(cmd, check=True, capture_output=True, text=True)
        samples.append(json.loads(done.stdout))
    samples.sort(key=lambda s: s["import_seconds"] + s["first_call_seconds"])
    mid = samples[len(samples) // 2]
    return dict(
        method=method, **mid, total_seconds=mid["import_seconds"] + mid["first_call_seconds"]
    )


# --------------------------------------------------------------------------
# The parent.

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
    script: Path | None = None,
) -> dict[str, Any]:
    """Run one row in a fresh interpreter; the solve gets ``timeout`` seconds.

    The child is ``script --child <spec>`` (this file by default): any
    benchmark script whose ``--child`` runs one row, touches ``ready`` right
    before the solve and writes its measurements to ``report`` can use it.
    """
    if script is None:
        script = Path(__file__).resolve()
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
            [sys.executable, str(script), "--child", json.dumps(spec)],
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
    child: Callable[..., dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Run one row in this process (tests; no timeout, memory not meaningful).

    ``child`` runs the row (this file's :func:`run_child` by default).
    """
    run = run_child if child is None else child
    return dict(status="ok", **run(solver, family, n, seed, labels_path))


def _choose_baseline(finished: dict[str, np.ndarray]) -> str | None:
    """The solver whose labels the others are checked against.

    ``ours:reference`` (the oracle) when it finished; otherwise the answer
    most solvers agree on, preferring our methods on a tie.
    """
    if "ours:reference" in finished:
        return "ours:reference"
    best, votes = None, -1
    for name in sorted(finished, key=lambda s: not s.startswith("ours:")):  # stable: ours first
        labels = finished[name]
        count = sum(np.array_equal(labels, other) for other in finished.values())
        if count > votes:
            best, votes = name, count
    return best


Verifier = Callable[[list[dict[str, Any]], str, int, int, dict[str, Path]], None]


def _verify(
    rows: list[dict[str, Any]], family: str, n: int, seed: int, paths: dict[str, Path]
) -> None:
    """Fill ``same`` / ``checked_against`` / ``witness`` of one instance's rows."""
    finished = {r["solver"]: np.load(paths[r["solver"]]) for r in rows if r["status"] == "ok"}
    base = _choose_baseline(finished)
    instance = None
    for row in rows:
        if row["status"] != "ok" or base is None:
            row["same"] = None
            continue
        row["checked_against"] = base
        witness = disagreement(finished[row["solver"]], finished[base])
        row["same"] = witness is None
        if witness is not None:
            if instance is None:
                instance = make_instance(family, n, seed)
            row["witness"] = _explain(witness, row["solver"], base, *instance)
    del finished


def _explain(
    witness: tuple[str, int, int], name: str, base: str, step: np.ndarray, beta: np.ndarray
) -> str:
    side, s, t = witness
    together, apart = (name, base) if side == "a" else (base, name)
    limit = 20_000_000  # a Python loop: keep the diagnosis under a minute
    i = distinguishing_step(step, beta, s, t, limit=limit)
    if i is None and step.shape[0] > limit:
        verdict = f"beta agrees for {limit} steps, undecided who is wrong"
    elif i is None:
        verdict = f"they are equivalent, so {apart} is wrong (not coarsest)"
    else:
        verdict = (
            f"beta(step^{i}) differs ({beta[_iterate(step, s, i)]} vs "
            f"{beta[_iterate(step, t, i)]}), so {together} is wrong"
        )
    return (
        f"{together} puts states {s} and {t} together, {apart} apart "
        f"(step: {s}->{step[s]}, {t}->{step[t]}; beta: {beta[s]}, {beta[t]}); {verdict}"
    )


def _iterate(step: np.ndarray, s: int, i: int) -> int:
    for _ in range(i):
        s = int(step[s])
    return s


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
    families: Sequence[str] = DEFAULT_FAMILIES,
    *,
    seed: int = 0,
    timeout: float = 60.0,
    prep_timeout: float = 600.0,
    runner: Runner = subprocess_runner,
    workdir: Path | None = None,
    on_row: Callable[[dict[str, Any]], None] = lambda row: None,
    verify: Verifier = _verify,
) -> list[dict[str, Any]]:
    """Run every (family, n, solver) and verify agreement; return the rows.

    A solver that timed out on a family is skipped at the larger sizes of
    that family, and so is one whose time or memory at the previous size,
    scaled linearly, already exceeds the timeout or the free memory.
    ``verify(rows, family, n, seed, label_paths)`` fills the agreement
    fields of one instance's rows (other benchmark scripts pass their own).
    """
    rows: list[dict[str, Any]] = []
    own_tmp = workdir is None
    tmp = Path(tempfile.mkdtemp(prefix="bench-minimal-")) if own_tmp else workdir
    assert tmp is not None
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
                verify(instance_rows, family, n, seed, paths)
                for row in instance_rows:
                    on_row(row)
                    path = paths.get(row["solver"])
                    if path is not None:
                        for leftover in (
                            path,
                            path.with_suffix(".ready"),
                            path.with_suffix(".json"),
                            path.with_suffix(".err"),
                        ):
                            leftover.unlink(missing_ok=True)
                rows.extend(instance_rows)
    finally:
        if own_tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    return rows


HEADER = (
    f"{'family':<10} {'n':>10} {'solver':<16} {'seconds':>9} {'blocks':>10} "
    f"{'extra MiB':>9} {'B/state':>8} {'x gather':>9}  same?"
)


def format_row(row: dict[str, Any], gather: dict[int, float] | None = None) -> str:
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


def _parse_size(text: str) -> int:
    value = float(text.replace("_", ""))
    if value < 1 or value != int(value):
        raise argparse.ArgumentTypeError(f"size must be a positive integer, got {text!r}")
    return int(value)


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


_DISTRIBUTIONS = ("abstractions", "numpy", "numba", "automata-lib", "bispy", "pyformlang", "networkx")


def _versions(dists: Iterable[str] = _DISTRIBUTIONS) -> dict[str, str | None]:
    from importlib.metadata import PackageNotFoundError, version

    found: dict[str, str | None] = {}
    for dist in dists:
        try:
            found[dist] = version(dist)
        except PackageNotFoundError:
            found[dist] = None
    return found


def write_results(
    document: dict[str, Any],
    out: Path | None,
    *,
    prefix: str,
    load: tuple[float, float, float] | None = None,
    dists: Iterable[str] = _DISTRIBUTIONS,
) -> Path:
    """Write ``document`` with the time, machine and versions added; return the path.

    ``out`` None means ``benchmarks/results/<prefix>-<time>.json``; a file
    written into ``benchmarks/results/`` is also copied to
    ``latest.json`` (``prefix`` "minimal") or ``latest-<prefix>.json``, so
    that each script's latest run has its own name.
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
        "versions": _versions(dists),
        **document,
    }
    out.write_text(json.dumps(full, indent=2))
    if out.parent.resolve() == RESULTS_DIR:
        latest = "latest.json" if prefix == "minimal" else f"latest-{prefix}.json"
        shutil.copyfile(out, RESULTS_DIR / latest)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Benchmark minimal_complete_abstraction against peer libraries.",
        epilog="Sizes accept 1e5 etc. Solvers: all (default), ours, peers, or names like "
        "ours:reference automata-lib bispy pyformlang.",
    )
    parser.add_argument("--sizes", type=_parse_size, nargs="+", default=[1_000, 10_000, 100_000])
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
        run_spec(args.child, run_child)
        return 0
    if args.gather_child:
        print(json.dumps(_gather_child(*args.gather_child)))
        return 0

    solvers = _expand_solvers(args.solvers, available_solvers())
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    print(
        f"solvers: {', '.join(solvers)}; sizes: {args.sizes}; timeout {args.timeout:g} s; "
        f"load average {load}"
    )

    gather: dict[int, float] = {}
    overhead: list[dict[str, Any]] = []
    if not args.no_baselines:
        for n in sorted(args.sizes):
            # a fresh process: at 10^8 the three arrays take 2.4 GB
            script = str(Path(__file__).resolve())
            cmd = [sys.executable, script, "--gather-child", str(n), str(args.seed)]
            done = subprocess.run(cmd, capture_output=True, text=True, check=False)
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
        # still populate the numba cache so no row pays for compilation
        for method in _methods():
            _warm_cache(method)

    print(HEADER)
    rows = run_benchmark(
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

    checked = [r for r in rows if r.get("same") is not None]
    disagree = [r for r in checked if not r["same"]]
    if disagree:
        print(f"DISAGREEMENT in {len(disagree)} of {len(checked)} rows (see witnesses above)")
    else:
        print(
            f"same partition: yes, in all {len(checked)} rows that finished (checked against "
            "ours:reference, or where it did not finish the majority: the '(base)' row)"
        )

    document = {
        "argv": list(sys.argv[1:] if argv is None else argv),
        "timeout": args.timeout,
        "seed": args.seed,
        "gather": [{"n": n, "seconds": s} for n, s in sorted(gather.items())],
        "first_call": overhead,
        "rows": rows,
    }
    out = write_results(document, args.json, prefix="minimal", load=load)
    print(f"results written to {out}")
    return 1 if disagree else 0


if __name__ == "__main__":
    raise SystemExit(main())
