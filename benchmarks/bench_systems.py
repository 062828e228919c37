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

Storm (stormpy) is fed models built directly with its sparse builder; every
state is initial (so no state is unreachable, and Storm keeps all states
anyway when the model is built this way), beta's blocks are state labels
``b0, b1, ...``, and no formula is passed, so Storm's initial partition is
exactly beta (it respects every label except ``init``). For the DFA the
bisimulation is *action sensitive* (choice i of one state is matched only
with choice i of another): Storm's default MDP bisimulation compares the
sets of choices, which would identify a state reading ``a -> x, b -> y``
with one reading ``a -> y, b -> x``. Storm's MDPs need at least one choice
per state, so a deadlock state (no successor) gets one choice into an extra
sink state with its own label (the benchmark instances have none; the tests
do). Storm does not expose the state-to-block map of its quotient: its rows
are checked on the number of blocks; the other peers on the whole
partition.

Each (job, n, solver) runs in a fresh subprocess with a timeout (the
machinery of ``bench_minimal.py``): building the instance and converting it
to the solver's input (for Storm: building the sparse model; for
``ours:exact``: making the Fractions and the system) are timed apart as
``convert_seconds``; ``seconds`` is the solve alone (for Storm, the
``perform_bisimulation`` call, which also builds the quotient model), and
the peak memory is the solve's peak beyond the memory before it.

Run (from the repository root)::

    python benchmarks/bench_systems.py --sizes 1e3 1e4 1e5 1e6
    python benchmarks/bench_systems.py --sizes 1e7 --transitions --solvers ours ours:exact storm

Prints the rows as they finish, then a table of speed-ups; writes JSON to
``benchmarks/results/`` (also copied to ``latest-systems.json``).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

# bench_minimal.py (the subprocess-per-row runner, peak memory, canonical
# labels, JSON writing) sits next to this file; benchmarks/ is no package and
# the tests load this file by its path, so make its folder importable.
_HERE = Path(__file__).resolve().parent
if str(_HERE) not in sys.path:
    sys.path.insert(0, str(_HERE))
import bench_minimal as bm  # noqa: E402

__all__ = [
    "JOBS",
    "PEERS",
    "Instance",
    "SystemSolver",
    "available_solvers",
    "main",
    "make_instance",
    "make_solver",
    "run_child",
    "run_jobs",
    "select_solvers",
    "speedups",
    "states_for",
    "storm_model",
    "unstable_pair",
]

DEGREE = 3  # out-degree of the nondeterministic and probabilistic instances
DEFAULT_JOBS = ("dfa", "nondeterministic", "lumping")


# --------------------------------------------------------------------------
# Instances: plain arrays built vectorised, shared by every solver of a job.


@dataclass(frozen=True)
class Instance:
    """One system: ``beta`` (class id per state) and the transitions of its kind.

    ``steps`` (shape (k, n)) for a labelled system; CSR ``indptr`` /
    ``targets`` for a relation, plus integer ``weights`` per transition for
    a Markov chain (probability = weight / row total).
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
        """The source state of every CSR transition."""
        assert self.indptr is not None
        return np.repeat(np.arange(self.n, dtype=np.int64), np.diff(self.indptr))

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
        return self.weights / self.row_totals()[self.sources()]

    def fractions(self) -> list[Fraction]:
        """Exact probability of every transition (probabilistic)."""
        assert self.weights is not None
        totals = self.row_totals()[self.sources()].tolist()
        return [Fraction(w, t) for w, t in zip(self.weights.tolist(), totals)]


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
    steps = rng.integers(0, n, size=(2, n), dtype=bm._index_dtype(n))
    accepting = rng.integers(0, 2, size=n, dtype=np.int8)
    return Instance("labelled", accepting, steps=steps)


def _nondeterministic(n: int, seed: int) -> Instance:
    rng = np.random.default_rng(seed)
    indptr, targets, _ = _random_successors(rng, n, bm._index_dtype(n))
    beta = rng.integers(0, 2, size=n, dtype=np.int8)
    return Instance("nondeterministic", beta, indptr=indptr, targets=targets)


def _lumping(n: int, seed: int) -> Instance:
    rng = np.random.default_rng(seed)
    indptr, targets, keep = _random_successors(rng, n, bm._index_dtype(n))
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
    )


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
# An independent check, in numpy only: is a partition stable (complete)?
# Used to say who is wrong when two solvers disagree.


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


def unstable_pair(inst: Instance, labels: np.ndarray) -> tuple[int, int] | None:
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
        keys = np.stack([labels] + [labels[row] for row in inst.steps], axis=1)
        sig = np.unique(keys, axis=0, return_inverse=True)[1].reshape(-1)
    else:
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
            num, den = w // g, total // g
            # one id per distinct (block, numerator, denominator): no overflow
            triples = np.stack([b[starts], num, den], axis=1)
            key = np.unique(triples, axis=0, return_inverse=True)[1].reshape(-1)
            hashed = _signature_hash(2, s[starts], key, n)
        sig = np.unique(np.stack([labels, hashed.astype(np.int64)], axis=1), axis=0,
                        return_inverse=True)[1].reshape(-1)  # fmt: skip
    return bm._merged_but_split(labels, sig)


# --------------------------------------------------------------------------
# Solvers: ``prepare`` (conversion, not timed), ``solve`` (timed), ``labels``
# (state -> block, or None where the peer does not expose it) and
# ``blocks`` (number of blocks of the result).


@dataclass(frozen=True)
class SystemSolver:
    name: str
    prepare: Callable[[Instance], Any]
    solve: Callable[[Any], Any]
    labels: Callable[[Any, int], np.ndarray] | None
    blocks: Callable[[Any, int], int]
    warm: Callable[[], None] = lambda: None


def _ours_system(inst: Instance, exact: bool) -> Any:
    from abstractions import TransitionSystem

    if inst.kind == "labelled":
        return TransitionSystem.labelled(inst.steps, output=inst.beta)
    if inst.kind == "nondeterministic":
        return TransitionSystem.nondeterministic((inst.indptr, inst.targets), output=inst.beta)
    data = np.array(inst.fractions(), dtype=object) if exact else inst.probabilities()
    return TransitionSystem.probabilistic((inst.indptr, inst.targets, data), output=inst.beta)


def _ours(job: str, method: str = "auto", exact: bool = False) -> SystemSolver:
    import abstractions as ab

    def prepare(inst: Instance) -> Any:
        T = _ours_system(inst, exact)
        return T, ab.output_abstraction(T)

    def solve(inp: Any) -> Any:
        return ab.minimal_complete_abstraction(inp[0], inp[1], method=method)

    def warm() -> None:
        # Load (or compile and cache) the kernels before the clock starts:
        # all of them, since which ones a solve needs depends on its size.
        ab.warmup()
        solve(prepare(make_instance(job, 12)))

    name = "ours:exact" if exact else "ours" if method == "auto" else f"ours:{method}"
    return SystemSolver(
        name, prepare, solve, lambda P, n: np.asarray(P.labels), lambda P, n: P.n_blocks, warm
    )


def _accepting(inst: Instance) -> list[int]:
    """The accepting states: a DFA library keeps a beta of two classes only."""
    if int(inst.beta.max(initial=0)) > 1:
        raise ValueError("a DFA's beta is the accepting bit: class ids 0 and 1 only")
    return np.flatnonzero(inst.beta).tolist()


def _letter(a: int) -> str:
    """The DFA libraries' name of letter ``a``: "a", "b", ..."""
    return chr(ord("a") + a)


def _automata_lib() -> SystemSolver:
    def prepare(inst: Instance) -> Any:
        assert inst.steps is not None
        rows = [(_letter(a), row.tolist()) for a, row in enumerate(inst.steps)]
        transitions = {s: {a: row[s] for a, row in rows} for s in range(inst.n)}
        letters = {a for a, _ in rows}
        return inst.n, letters, transitions, set(_accepting(inst))

    return SystemSolver(
        "automata-lib", prepare, bm.automata_lib_hopcroft(), bm.automata_lib_labels,
        lambda dfa, n: len(dfa.states),
    )


def _pyformlang() -> SystemSolver:
    from pyformlang.finite_automaton import DeterministicFiniteAutomaton

    def prepare(inst: Instance) -> Any:
        assert inst.steps is not None
        dfa = DeterministicFiniteAutomaton()
        for a, row in enumerate(inst.steps.tolist()):
            dfa.add_transitions([(s, _letter(a), t) for s, t in enumerate(row)])
        dfa.add_start_state(0)
        for s in _accepting(inst):
            dfa.add_final_state(s)
        return dfa

    def solve(dfa: Any) -> Any:
        # minimize() = Hopcroft over all states (_get_partition), then a
        # rebuild on the states reachable from the start, which would drop
        # states: time the Hopcroft part, whose partition covers them all.
        return dfa._get_partition()

    def blocks(partition: Any, n: int) -> int:
        return len(set(bm.pyformlang_labels(partition, n).tolist()))

    return SystemSolver("pyformlang", prepare, solve, bm.pyformlang_labels, blocks)


def _bispy() -> SystemSolver:
    def prepare(inst: Instance) -> Any:
        assert inst.targets is not None
        return bm.bispy_input(inst.n, inst.sources().tolist(), inst.targets.tolist(), inst.beta)

    return SystemSolver(
        "bispy", prepare, bm.bispy_paige_tarjan(), bm.bispy_labels, lambda result, n: len(result)
    )


def storm_model(inst: Instance) -> tuple[Any, bool]:
    """The instance as a Storm sparse model; also whether a sink state was added.

    Labelled: an MDP whose state s has one Dirac choice per letter, in
    letter order. Nondeterministic: an MDP with one Dirac choice per
    successor (a deadlock state: one choice into an extra sink state with
    label ``sink``). Probabilistic: a DTMC. Every state carries ``init`` and
    the label ``b<j>`` of its beta class.
    """
    import stormpy.datastructures as sd
    import stormpy.models as sm

    n = inst.n
    if inst.kind == "labelled":
        assert inst.steps is not None
        k = inst.steps.shape[0]
        cols = inst.steps.T.reshape(-1)  # state-major: s's choices are rows k*s .. k*s+k-1
        group_start = np.arange(0, k * n, k)
        indptr = np.arange(0, k * n + 1)
        values = np.ones(k * n)
        sink = False
    else:
        assert inst.indptr is not None and inst.targets is not None
        cols, indptr = inst.targets, inst.indptr
        deadlocks = np.flatnonzero(np.diff(indptr) == 0)
        sink = inst.kind == "nondeterministic" and deadlocks.size > 0
        if sink:
            # each deadlock state gets the one target n (the sink), which loops
            counts = np.diff(indptr)
            counts[deadlocks] = 1
            cols = np.insert(cols.astype(np.int64), indptr[deadlocks], n)
            cols = np.append(cols, n)
            indptr = np.zeros(n + 2, dtype=np.int64)
            np.cumsum(np.append(counts, 1), out=indptr[1:])
        if inst.kind == "nondeterministic":
            group_start = indptr[:-1]  # row r = the r-th transition
            values = np.ones(cols.shape[0])
            indptr = np.arange(cols.shape[0] + 1)
        else:
            values = inst.probabilities()
    size = n + int(sink)
    rows = np.repeat(np.arange(indptr.shape[0] - 1), np.diff(indptr))
    if inst.kind == "probabilistic":
        builder = sd.SparseMatrixBuilder[float](rows=size, columns=size, entries=rows.shape[0])
        builder.add_next_values(rows.tolist(), cols.tolist(), values.tolist())
    else:
        builder = sd.SparseMatrixBuilder[float](
            rows=indptr.shape[0] - 1,
            columns=size,
            entries=rows.shape[0],
            force_dimensions=True,
            has_custom_row_grouping=True,
            row_groups=size,
        )
        builder.add_next_values(
            rows.tolist(), cols.tolist(), values.tolist(), group_start.tolist()
        )
    labeling = sm.StateLabeling(size)
    labeling.add_label("init")
    labeling.set_states("init", sd.BitVector(size, True))
    for j in range(int(inst.beta.max(initial=-1)) + 1):
        labeling.add_label(f"b{j}")
        labeling.set_states(f"b{j}", sd.BitVector(size, np.flatnonzero(inst.beta == j).tolist()))
    if sink:
        labeling.add_label("sink")
        labeling.set_states("sink", sd.BitVector(size, [n]))
    components = sm.SparseModelComponents[float](
        transition_matrix=builder.build(), state_labeling=labeling
    )
    if inst.kind == "probabilistic":
        return sm.SparseDtmc[float](components), sink
    return sm.SparseMdp[float](components), sink


def _storm() -> SystemSolver:
    import stormpy.transformations as st

    def prepare(inst: Instance) -> Any:
        model, sink = storm_model(inst)
        options = st.BisimulationOptions()
        options.bisimulation_type = st.BisimulationType.STRONG
        # choice i of one state is matched with choice i of the other: the
        # letters of a DFA; a relation's successors are a set, unordered
        options.action_sensitive = inst.kind == "labelled"
        return model, options, sink

    def solve(inp: Any) -> Any:
        model, options, sink = inp
        # no formula: the initial partition is every label but "init" (beta)
        return st.perform_bisimulation(model, [], options=options), sink

    def blocks(result: Any, n: int) -> int:
        quotient, sink = result
        return int(quotient.nr_states) - int(sink)

    return SystemSolver("storm", prepare, solve, None, blocks)


#: Peer solvers and the module each needs.
PEERS: dict[str, tuple[str, Callable[[], SystemSolver]]] = {
    "automata-lib": ("automata", _automata_lib),
    "pyformlang": ("pyformlang", _pyformlang),
    "bispy": ("bispy", _bispy),
    "storm": ("stormpy", _storm),
}


def make_solver(name: str, job: str) -> SystemSolver:
    """The solver ``name`` ("ours", "ours:<method>", "ours:exact" or a peer) for ``job``."""
    if name == "ours":
        return _ours(job)
    if name == "ours:exact":
        return _ours(job, exact=True)
    if name.startswith("ours:"):
        # the reference oracle of lumping works in exact arithmetic
        return _ours(job, name.removeprefix("ours:"), exact=job.startswith("lumping"))
    return PEERS[name][1]()


def available_solvers(job: str) -> list[str]:
    """The solvers of ``job`` whose libraries are importable."""
    return [
        name
        for name in JOB_SOLVERS[job]
        if name not in PEERS or importlib.util.find_spec(PEERS[name][0]) is not None
    ]


# --------------------------------------------------------------------------
# The child: one (solver, job, n) in this process.


def run_child(
    solver_name: str,
    job: str,
    n: int,
    seed: int,
    labels_path: Path,
    ready_path: Path | None = None,
) -> dict[str, Any]:
    """Build the instance, run one solver on it, save canonical labels if it has them."""
    solver = make_solver(solver_name, job)
    solver.warm()
    start = time.perf_counter()
    inst = make_instance(job, n, seed)
    build_seconds = time.perf_counter() - start
    m = inst.m
    start = time.perf_counter()
    inp = solver.prepare(inst)
    convert_seconds = time.perf_counter() - start
    del inst  # the solver's input format is all it gets
    result, seconds, extra, how = bm.timed_solve(solver.solve, inp, ready_path)
    if solver.labels is not None:
        bm.save_labels(solver.labels(result, n), n, labels_path, solver_name)
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


#: Rows in this process (tests; no timeout, memory not meaningful).
inprocess_runner = partial(bm.inprocess_runner, child=run_child)
subprocess_runner = partial(bm.subprocess_runner, script=Path(__file__).resolve())


# --------------------------------------------------------------------------
# The parent: agreement of one instance's rows.


def _majority(labels: dict[str, np.ndarray]) -> str | None:
    """The partition most solvers returned (ours first on a tie), or None."""
    best, votes = None, -1
    for name in sorted(labels, key=lambda s: not s.startswith("ours")):  # stable: ours first
        count = sum(np.array_equal(labels[name], other) for other in labels.values())
        if count > votes:
            best, votes = name, count
    return best


def _verify(
    rows: list[dict[str, Any]], job: str, n: int, seed: int, paths: dict[str, Path]
) -> None:
    """Fill ``same`` / ``compared`` / ``checked_against`` / ``witness`` of one instance."""
    ok = {r["solver"]: r for r in rows if r["status"] == "ok"}
    labels = {
        name: np.load(paths[name]) for name in ok if name in paths and paths[name].exists()
    }
    base = "ours:reference" if "ours:reference" in labels else _majority(labels)
    inst = None
    for row in rows:
        name = row["solver"]
        if name not in ok or base is None:
            row["same"] = None
            continue
        row["checked_against"] = base
        if name in labels:
            row["compared"] = "partition"
            witness = bm.disagreement(labels[name], labels[base])
            row["same"] = witness is None
            if witness is not None:
                inst = inst or make_instance(job, n, seed)
                row["witness"] = _explain(witness, name, base, labels, inst)
        else:
            row["compared"] = "blocks"
            row["same"] = row["blocks"] == ok[base]["blocks"]
            if not row["same"]:
                inst = inst or make_instance(job, n, seed)
                stable = unstable_pair(inst, labels[base]) is None
                row["witness"] = (
                    f"{row['blocks']} blocks, {base} has {ok[base]['blocks']} "
                    f"({base}'s partition is {'stable' if stable else 'NOT stable'})"
                )


def _explain(
    witness: tuple[str, int, int],
    name: str,
    base: str,
    labels: dict[str, np.ndarray],
    inst: Instance,
) -> str:
    """Who is wrong: a partition that is not stable or does not refine beta, else the finer."""
    side, s, t = witness
    together, apart = (name, base) if side == "a" else (base, name)
    faults = []
    for who in (name, base):
        beta_pair = bm._merged_but_split(labels[who], bm.canonical(inst.beta))
        pair = unstable_pair(inst, labels[who])
        if beta_pair is not None:
            faults.append(f"{who} merges states {beta_pair} of different beta classes")
        elif pair is not None:
            faults.append(f"{who} is not stable: states {pair} of one block differ")
    if not faults:
        faults.append(f"both are stable, so {apart} is wrong (not coarsest)")
    return f"{together} puts states {s} and {t} together, {apart} apart; " + "; ".join(faults)


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
        s for s in names if "all" in wanted or s in wanted or ("peers" in wanted and s in PEERS)
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
    ``bench_minimal.run_benchmark`` (``runner``, ``timeout``, ``seed``,
    ``on_row`` ...); rows carry the job as ``family``.
    """
    kwargs.setdefault("runner", subprocess_runner)
    rows: list[dict[str, Any]] = []
    for job in jobs:
        names = select_solvers(job, solvers)
        ns = [states_for(job, size) for size in sizes] if transitions else list(sizes)
        if names:
            rows += bm.run_benchmark(ns, names, [job], verify=_verify, **kwargs)
    return rows


def speedups(rows: list[dict[str, Any]], ours: str = "ours") -> list[dict[str, Any]]:
    """Per (job, n): our seconds and every other solver's seconds / ours.

    A solver that did not finish gives a lower bound (``>``) from its
    timeout, or None where it was skipped.
    """
    out: list[dict[str, Any]] = []
    keys = sorted({(r["family"], r["n"]) for r in rows}, key=lambda k: (DEFAULT_JOBS.index(k[0])
                  if k[0] in DEFAULT_JOBS else 99, k[1]))  # fmt: skip
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
        lines.append(f"{entry['job']:<16} {entry['n']:>9} {entry['ours']:>9.4f}  " + "; ".join(cells))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Benchmark labelled / nondeterministic / probabilistic systems "
        "against automata-lib, pyformlang, bispy and Storm.",
        epilog="Sizes accept 1e5 etc. Solvers: ours, ours:exact, ours:reference, "
        "automata-lib, pyformlang, bispy, storm, or the groups all (the default) and peers; "
        "each job runs the named ones it has.",
    )
    parser.add_argument(
        "--sizes", type=bm._parse_size, nargs="+", default=[1_000, 10_000, 100_000]
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
        bm.run_spec(args.child, run_child)
        return 0

    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    print(f"jobs: {args.jobs}; sizes: {args.sizes}; timeout {args.timeout:g} s; load {load}")
    print(HEADER)
    try:
        for job in args.jobs:
            select_solvers(job, args.solvers)
    except ValueError as error:
        parser.error(str(error))
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
    checked = [r for r in rows if r.get("same") is not None]
    disagree = [r for r in checked if not r["same"]]
    if disagree:
        print(f"DISAGREEMENT in {len(disagree)} of {len(checked)} rows (see witnesses above)")
    else:
        print(
            f"agreement: yes, in all {len(checked)} rows that finished (partition where the "
            "solver exposes it, else the number of blocks; against ours:reference, or where "
            "it did not finish the majority: the '(base)' row)"
        )
    document = {
        "argv": list(sys.argv[1:] if argv is None else argv),
        "timeout": args.timeout,
        "seed": args.seed,
        "rows": rows,
        "speedups": table,
    }
    dists = (*bm._DISTRIBUTIONS, "stormpy")
    out = bm.write_results(document, args.json, prefix="systems", load=load, dists=dists)
    print(f"results written to {out}")
    return 1 if disagree else 0


if __name__ == "__main__":
    raise SystemExit(main())
