"""Benchmark labelled, nondeterministic and probabilistic systems against the peers.

Three jobs, each on the same seeded instances for every solver:

* ``dfa``: a random complete DFA over two letters (``steps`` of shape
  (2, n), uniform random) with a random accepting bit as the output; the
  minimal complete abstraction above the output kernel is the minimal DFA
  (language equivalence of all n states). Solvers: ``ours``
  (``TransitionSystem.labelled`` and ``minimal_complete_abstraction``),
  ``automata-lib`` and ``pyformlang`` (Hopcroft DFA minimisation) and
  ``storm`` (an MDP with one action per letter).
* ``nondeterministic``: a random relation of out-degree 3 (successors
  uniform random, duplicates removed) and a random 2-block beta; the answer
  is the coarsest strong bisimulation refining beta. Solvers: ``ours``
  (``TransitionSystem.nondeterministic``), ``bispy`` (Paige--Tarjan) and
  ``storm`` (an MDP with one Dirac action per successor).
* ``lumping``: a random Markov chain of out-degree 3 and a random 2-block
  beta; the answer is the coarsest ordinary lumping refining beta. The
  weights are drawn from {1, 2, 3} and divided by their row total, so the
  float (``ours``, ``storm``) and exact (``ours:exact``, Fractions) solvers
  face the same chain and no answer depends on a tolerance (distinct
  probabilities of a block differ by at least 1/72). With continuous random
  weights the answer at 10^6 states would mostly measure each tool's
  tolerance rule (gaps between 10^6 random probabilities are about 10^-6,
  Storm's default tolerance), not its algorithm.

``ours:reference`` (the Kleene iteration of the completion operator, exact
mode for lumping) runs too while it finishes within the timeout: it is the
oracle the others are checked against.

Storm (stormpy) is fed models built directly with its sparse builder
(:func:`benchmarks.peers.storm_model`); every state is initial, beta's
blocks are state labels and no formula is passed, so Storm's initial
partition is exactly beta. Storm does not expose the state-to-block map of
its quotient: its rows are checked on the number of blocks; the other peers
on the whole partition.

Each (job, n, solver) runs in a fresh subprocess with a timeout
(:mod:`benchmarks.harness`): building the instance and converting it to the
solver's input (for Storm: building the sparse model; for ``ours:exact``:
making the Fractions and the system) are timed apart as
``convert_seconds``; ``seconds`` is the solve alone (for Storm, the
``perform_bisimulation`` call, which also builds the quotient model), and
the peak memory is the solve's peak beyond the memory before it.

Run (from the repository root)::

    python -m benchmarks.systems --sizes 1e3 1e4 1e5 1e6
    python -m benchmarks.systems --sizes 1e7 --transitions --solvers ours ours:exact storm

Prints the rows as they finish, then a table of speed-ups; writes JSON to
``benchmarks/results/`` (also copied to ``latest-systems.json``).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import harness, peers
from benchmarks.harness import Instance, Solver

__all__ = [
    "DEFAULT_JOBS",
    "DEGREE",
    "JOB",
    "JOBS",
    "JOB_SOLVERS",
    "available_solvers",
    "format_row",
    "format_speedups",
    "inprocess_runner",
    "main",
    "make_instance",
    "make_solver",
    "ours_system",
    "run_child",
    "run_jobs",
    "select_solvers",
    "speedups",
    "states_for",
    "subprocess_runner",
]

DEGREE = 3  # out-degree of the nondeterministic and probabilistic instances
DEFAULT_JOBS = ("dfa", "nondeterministic", "lumping")


# --------------------------------------------------------------------------
# Instances: plain arrays built vectorised, shared by every solver of a job.


def _random_successors(
    rng: np.random.Generator, n: int, dtype: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR of DEGREE uniform successors per state, duplicates removed.

    Returns ``indptr``, ``targets`` (sorted per state) and the mask of kept
    draws (shape (n, DEGREE)), so weights drawn per draw can be kept alike.
    """
    succ = np.sort(rng.integers(0, n, size=(n, DEGREE), dtype=dtype), axis=1)
    keep = np.ones(succ.shape, dtype=bool)
    keep[:, 1:] = succ[:, 1:] != succ[:, :-1]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(keep.sum(axis=1), out=indptr[1:])
    return indptr, succ[keep], keep


def _dfa(n: int, seed: int) -> Instance:
    rng = np.random.default_rng(seed)
    steps = rng.integers(0, n, size=(2, n), dtype=harness.index_dtype(n))
    accepting = rng.integers(0, 2, size=n, dtype=np.int8)
    return Instance("labelled", accepting, steps=steps)


def _nondeterministic(n: int, seed: int) -> Instance:
    rng = np.random.default_rng(seed)
    indptr, targets, _ = _random_successors(rng, n, harness.index_dtype(n))
    beta = rng.integers(0, 2, size=n, dtype=np.int8)
    return Instance("nondeterministic", beta, indptr=indptr, targets=targets)


def _lumping(n: int, seed: int) -> Instance:
    rng = np.random.default_rng(seed)
    indptr, targets, keep = _random_successors(rng, n, harness.index_dtype(n))
    weights = rng.integers(1, 4, size=(n, DEGREE), dtype=np.int8)[keep]
    beta = rng.integers(0, 2, size=n, dtype=np.int8)
    return Instance("probabilistic", beta, indptr=indptr, targets=targets, weights=weights)


def _chain(n: int) -> tuple[np.ndarray, np.ndarray]:
    """State i steps to i + 1 (the last to itself); beta marks the last state.

    The worst case of whole rounds of refinement: each splits off one more
    state, so the least complete partition (all n states apart) takes n
    rounds of a full pass each.
    """
    succ = np.minimum(np.arange(n) + 1, n - 1)
    return succ, (np.arange(n) == n - 1).astype(np.int8)


def _dfa_chain(n: int, seed: int) -> Instance:
    succ, beta = _chain(n)
    return Instance("labelled", beta, steps=np.stack([succ, succ]))


def _nondeterministic_chain(n: int, seed: int) -> Instance:
    succ, beta = _chain(n)
    return Instance("nondeterministic", beta, indptr=np.arange(n + 1), targets=succ)


def _lumping_chain(n: int, seed: int) -> Instance:
    succ, beta = _chain(n)
    return Instance(
        "probabilistic", beta, indptr=np.arange(n + 1), targets=succ,
        weights=np.ones(n, dtype=np.int8),
    )  # fmt: skip


#: job name -> instance generator ``(n, seed) -> Instance``; the chain jobs
#: run when named (``--jobs dfa-chain ...``)
JOBS: dict[str, Callable[[int, int], Instance]] = {
    "dfa": _dfa,
    "nondeterministic": _nondeterministic,
    "lumping": _lumping,
    "dfa-chain": _dfa_chain,
    "nondeterministic-chain": _nondeterministic_chain,
    "lumping-chain": _lumping_chain,
}

#: the solvers of each job, ours first (the order of the printed rows)
JOB_SOLVERS: dict[str, tuple[str, ...]] = {
    "dfa": ("ours", "ours:reference", "automata-lib", "pyformlang", "storm"),
    "nondeterministic": ("ours", "ours:reference", "bispy", "storm"),
    "lumping": ("ours", "ours:exact", "ours:reference", "storm"),
    "dfa-chain": ("ours", "ours:reference", "automata-lib", "pyformlang", "storm"),
    "nondeterministic-chain": ("ours", "ours:reference", "bispy", "storm"),
    "lumping-chain": ("ours", "ours:exact", "ours:reference", "storm"),
}


def make_instance(job: str, n: int, seed: int = 0) -> Instance:
    """The seeded instance of ``job`` with ``n`` states."""
    return JOBS[job](n, seed)


# --------------------------------------------------------------------------
# Solvers: ours on every kind, and the peers (benchmarks.peers).


def ours_system(inst: Instance, exact: bool) -> Any:
    """The instance as our ``TransitionSystem`` (exact: probabilities as Fractions)."""
    from abstractions import TransitionSystem

    if inst.kind == "labelled":
        return TransitionSystem.labelled(inst.steps, output=inst.beta)
    if inst.kind == "nondeterministic":
        return TransitionSystem.nondeterministic((inst.indptr, inst.targets), output=inst.beta)
    data = np.array(inst.fractions(), dtype=object) if exact else inst.probabilities()
    return TransitionSystem.probabilistic((inst.indptr, inst.targets, data), output=inst.beta)


def _ours(job: str, method: str = "auto", exact: bool = False) -> Solver:
    import abstractions as ab

    def prepare(inst: Instance) -> Any:
        T = ours_system(inst, exact)
        return T, ab.output_abstraction(T)

    def solve(inp: Any) -> Any:
        return ab.minimal_complete_abstraction(inp[0], inp[1], method=method)

    def warm() -> None:
        # Load (or compile and cache) the kernels before the clock starts:
        # all of them, since which ones a solve needs depends on its size.
        ab.warmup()
        solve(prepare(make_instance(job, 12)))

    name = "ours:exact" if exact else "ours" if method == "auto" else f"ours:{method}"
    return Solver(
        name, prepare, solve, lambda P, n: np.asarray(P.labels), lambda P, n: P.n_blocks, warm
    )


def _accepting(inst: Instance) -> peers.DFA:
    """A labelled instance as a DFA: a DFA library keeps a beta of two classes only."""
    assert inst.steps is not None
    if int(inst.beta.max(initial=0)) > 1:
        raise ValueError("a DFA's beta is the accepting bit: class ids 0 and 1 only")
    return peers.DFA(inst.steps, np.flatnonzero(inst.beta).tolist())


def make_solver(name: str, job: str) -> Solver:
    """The solver ``name`` ("ours", "ours:<method>", "ours:exact" or a peer) for ``job``."""
    if name == "ours":
        return _ours(job)
    if name == "ours:exact":
        return _ours(job, exact=True)
    if name.startswith("ours:"):
        # the reference oracle of lumping works in exact arithmetic
        return _ours(job, name.removeprefix("ours:"), exact=job.startswith("lumping"))
    return peers.make_peer(name, _accepting)


def available_solvers(job: str) -> list[str]:
    """The solvers of ``job`` whose libraries are importable."""
    return [s for s in JOB_SOLVERS[job] if s not in peers.PEERS or peers.installed(s)]


JOB = harness.Job("benchmarks.systems", make_instance, make_solver)
#: One row in this process; in a fresh process; in this process as a runner (tests).
run_child = JOB.run_child
subprocess_runner = JOB.subprocess_runner
inprocess_runner = JOB.inprocess_runner


# --------------------------------------------------------------------------
# Running and reporting.


def states_for(job: str, transitions: int) -> int:
    """The number of states of ``job``'s instance with about ``transitions`` transitions."""
    if job.endswith("-chain"):
        return max(1, round(transitions / (2 if job == "dfa-chain" else 1)))
    per_state = 2 if job == "dfa" else DEGREE  # duplicates drop about 3/n of the draws
    return max(1, round(transitions / per_state))


def select_solvers(job: str, requested: Iterable[str] | None) -> list[str]:
    """The installed solvers of ``job`` named in ``requested`` (None or "all": every one).

    "peers" stands for every peer; other names must be solver names.
    """
    names = available_solvers(job)
    if requested is None:
        return names
    wanted = set(requested)
    known = {name for solvers in JOB_SOLVERS.values() for name in solvers} | {"all", "peers"}
    unknown = sorted(wanted - known)
    if unknown:
        raise ValueError(f"unknown solvers {unknown}; choose from {sorted(known)}")
    return [
        s
        for s in names
        if "all" in wanted or s in wanted or ("peers" in wanted and s in peers.PEERS)
    ]


def run_jobs(
    sizes: Sequence[int],
    jobs: Sequence[str] = DEFAULT_JOBS,
    solvers: Iterable[str] | None = None,
    *,
    transitions: bool = False,
    **kwargs: Any,
) -> list[dict[str, Any]]:
    """Run every job with its solvers (``solvers`` None: all installed) at every size.

    ``transitions=True`` reads the sizes as numbers of transitions (each job
    gets the matching number of states). Keyword arguments go to
    :func:`benchmarks.harness.run_benchmark` (``runner``, ``timeout``,
    ``seed``, ``on_row`` ...); rows carry the job as ``family``.
    """
    kwargs.setdefault("runner", subprocess_runner)
    rows: list[dict[str, Any]] = []
    for job in jobs:
        names = select_solvers(job, solvers)
        ns = [states_for(job, size) for size in sizes] if transitions else list(sizes)
        if names:
            rows += harness.run_benchmark(ns, names, [job], make_instance=make_instance, **kwargs)
    return rows


def speedups(rows: list[dict[str, Any]], ours: str = "ours") -> list[dict[str, Any]]:
    """Per (job, n): our seconds and every other solver's seconds / ours.

    A solver that did not finish gives a lower bound (``>``) from its
    timeout, or None where it was skipped.
    """
    out: list[dict[str, Any]] = []
    order = {job: i for i, job in enumerate(DEFAULT_JOBS)}
    keys = sorted({(r["family"], r["n"]) for r in rows}, key=lambda k: (order.get(k[0], 99), k[1]))
    for job, n in keys:
        here = {r["solver"]: r for r in rows if r["family"] == job and r["n"] == n}
        mine = here.get(ours)
        if mine is None or mine["status"] != "ok":
            continue
        entry: dict[str, Any] = {"job": job, "n": n, "m": mine.get("m"), "ours": mine["seconds"]}
        for name, row in here.items():
            if name == ours:
                continue
            if row["status"] == "ok":
                entry[name] = (row["seconds"], row["seconds"] / max(mine["seconds"], 1e-9))
            elif row["status"] == "timeout":
                entry[name] = ("timeout", None)
            else:
                entry[name] = (row["status"], None)
        out.append(entry)
    return out


HEADER = (
    f"{'job':<16} {'n':>9} {'m':>9} {'solver':<15} {'seconds':>9} {'convert s':>9} "
    f"{'blocks':>9} {'extra MiB':>9} {'B/state':>8}  same?"
)


def format_row(row: dict[str, Any]) -> str:
    """One printed line per row (plus the witness of a disagreement)."""
    head = f"{row['family']:<16} {row['n']:>9} {row.get('m', ''):>9} {row['solver']:<15}"
    if row["status"] != "ok":
        why = row.get("reason") or row.get("error") or ""
        return f"{head} {row['status']:>9}  {why}"
    same = {True: "yes", False: "NO", None: "-"}[row["same"]]
    if row.get("checked_against") == row["solver"]:
        same = "(base)"
    elif row["same"] is not None:
        same += f" ({row['compared']})"
    line = (
        f"{head} {row['seconds']:>9.4f} {row['convert_seconds']:>9.2f} {row['blocks']:>9} "
        f"{row['peak_extra_bytes'] / 2**20:>9.1f} {row['bytes_per_state']:>8.1f}  {same}"
    )
    if row.get("witness"):
        line += f"\n    witness: {row['witness']}"
    return line


def format_speedups(table: list[dict[str, Any]], timeout: float) -> str:
    """The speed-up table: each peer's seconds and its ratio to ours."""
    lines = [f"{'job':<16} {'n':>9} {'ours s':>9}  others: seconds (x ours)"]
    for entry in table:
        cells = []
        for name, value in entry.items():
            if name in ("job", "n", "m", "ours"):
                continue
            seconds, ratio = value
            if ratio is not None:
                # below 10x keep two digits: 0.84x (the peer is faster) is not 1x
                shown = f"{ratio:.2g}" if ratio < 10 else f"{ratio:.0f}"
                cells.append(f"{name} {seconds:.3g} s ({shown}x)")
            elif seconds == "timeout":
                cells.append(f"{name} > {timeout:g} s (> {timeout / entry['ours']:.0f}x)")
            else:
                cells.append(f"{name} {seconds}")
        head = f"{entry['job']:<16} {entry['n']:>9} {entry['ours']:>9.4f}  "
        lines.append(head + "; ".join(cells))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.systems",
        description="Benchmark labelled / nondeterministic / probabilistic systems "
        "against automata-lib, pyformlang, bispy and Storm.",
        epilog="Sizes accept 1e5 etc. Solvers: ours, ours:exact, ours:reference, "
        "automata-lib, pyformlang, bispy, storm, or the groups all (the default) and peers; "
        "each job runs the named ones it has.",
    )
    parser.add_argument(
        "--sizes", type=harness.parse_size, nargs="+", default=[1_000, 10_000, 100_000]
    )
    parser.add_argument(
        "--transitions",
        action="store_true",
        help="read the sizes as numbers of transitions, not states",
    )
    parser.add_argument("--jobs", nargs="+", choices=list(JOBS), default=list(DEFAULT_JOBS))
    parser.add_argument("--solvers", nargs="+", default=None)
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per solve (60)")
    parser.add_argument(
        "--prep-timeout", type=float, default=600.0, help="seconds to build and convert (600)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None, help="output file")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:  # one row, in the fresh subprocess the parent started
        harness.run_spec(args.child, run_child)
        return 0

    load = harness.load_average()
    print(f"jobs: {args.jobs}; sizes: {args.sizes}; timeout {args.timeout:g} s; load {load}")
    try:
        for job in args.jobs:
            select_solvers(job, args.solvers)
    except ValueError as error:
        parser.error(str(error))
    print(HEADER)
    rows = run_jobs(
        args.sizes,
        args.jobs,
        args.solvers,
        transitions=args.transitions,
        seed=args.seed,
        timeout=args.timeout,
        prep_timeout=args.prep_timeout,
        on_row=lambda row: print(format_row(row), flush=True),
    )
    table = speedups(rows)
    print()
    print(format_speedups(table, args.timeout))
    return harness.close_run(
        args, argv, prefix="systems", load=load, rows=rows, speedups=table
    )


if __name__ == "__main__":
    raise SystemExit(main())
