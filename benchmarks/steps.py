"""Benchmark the high-level steps against the baselines the issue names.

Three jobs, each timing two things side by side on the same seeded instance
(interleaved, best of ``--repeats``, after one warm-up call that compiles
the kernels):

* ``first_return``: ``first_return(C, schedule)`` (the whole public call:
  the walks and the new Computation) against one numpy gather
  ``step[step]`` of the same ``n``; a random function, a random schedule
  of the given ``--density``. Target: at most 5x the gather at n = 10^7.
* ``stuttering``: ``stuttering_abstraction(C, beta)`` against
  ``minimal_complete_abstraction(C, beta)`` on the same computation: a
  random function with 1% halted states; beta either 4 random blocks
  (``--beta random``: the block changes at most steps) or a rare block of
  1% of the states (``--beta rare``: long stretches in one block, where
  stuttering collapses most). Target: at most 2x at n = 10^7.
* ``branching``: ``stuttering_abstraction(T, beta, silent="tau")``
  (branching bisimulation) against ``minimal_complete_abstraction(T,
  beta)`` (strong bisimulation) on a random labelled transition system
  with ``n`` states and 5 transitions each (targets uniform, 30% of them
  silent, the rest on "a", "b", "c"), beta 2 random blocks. Target: within
  3x at 10^6 transitions. ``--lts pipeline`` takes instead a pipeline of
  ``n`` one-place stages (``3**n`` states; many silent steps stay inert, and
  the quotient is a FIFO buffer), beta one block. ``--lts chain`` takes
  the worst case of signature rounds: ``n`` states, state ``i`` with an
  "a"-step and a silent step to ``i + 1``, beta one block (every state is
  its own class; rounds peel off one state each); it times the engine's
  second phase, the O(m log n) constellation algorithm, against the
  saturating phase it replaced (``finish="saturate"``, skipped above
  ``--old-max`` states) and strong bisimulation. ``--lts fan`` times the
  same on the family where one split makes ``n - 2`` new bottom states that
  each lack a different move (:func:`fan_lts`).

Run (from the repository root)::

    python -m benchmarks.steps --job first_return --n 1e7
    python -m benchmarks.steps --job stuttering --n 1e7 --beta rare
    python -m benchmarks.steps --job branching --n 2e5
    python -m benchmarks.steps --job branching --lts pipeline --n 12
    python -m benchmarks.steps --job branching --lts chain --n 1e5 --repeats 1
    python -m benchmarks.steps --job branching --lts fan --n 1e5 --repeats 1

Prints one line per job with both times and their ratio.
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
    TransitionSystem,
    first_return,
    minimal_complete_abstraction,
    stuttering_abstraction,
)

__all__ = [
    "branching_job",
    "chain_lts",
    "first_return_job",
    "main",
    "pipeline_lts",
    "random_lts",
    "stuttering_job",
]


def _best(calls: dict[str, Callable[[], Any]], repeats: int) -> dict[str, float]:
    """Best wall time of each call over ``repeats`` interleaved rounds (after a warm-up)."""
    for call in calls.values():
        call()
    best = {name: float("inf") for name in calls}
    for _ in range(repeats):
        for name, call in calls.items():
            start = time.perf_counter()
            call()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def first_return_job(n: int, density: float, repeats: int, seed: int = 0) -> dict[str, Any]:
    """first_return against one gather of the same size."""
    rng = np.random.default_rng(seed)
    step = rng.integers(0, n, n, dtype=np.int64)
    C = Computation(step)
    schedule = rng.random(n) < density
    times = _best(
        {"gather": lambda: step[step], "first_return": lambda: first_return(C, schedule)},
        repeats,
    )
    return {"job": "first_return", "n": n, "density": density, **times,
            "ratio": times["first_return"] / times["gather"]}


def stuttering_job(n: int, beta_kind: str, repeats: int, seed: int = 0) -> dict[str, Any]:
    """stuttering_abstraction against minimal_complete_abstraction on one computation."""
    rng = np.random.default_rng(seed)
    C = Computation(rng.integers(0, n, n, dtype=np.int64), halted=rng.random(n) < 0.01)
    if beta_kind == "rare":
        beta = Partition.from_labels((rng.random(n) < 0.01).astype(np.int64))
    else:
        beta = Partition.from_labels(rng.integers(0, 4, n, dtype=np.int64))
    times = _best(
        {
            "minimal": lambda: minimal_complete_abstraction(C, beta),
            "stuttering": lambda: stuttering_abstraction(C, beta),
        },
        repeats,
    )
    blocks = (minimal_complete_abstraction(C, beta).n_blocks,
              stuttering_abstraction(C, beta).n_blocks)
    return {"job": "stuttering", "n": n, "beta": beta_kind, **times,
            "ratio": times["stuttering"] / times["minimal"], "blocks": blocks}


def random_lts(n: int, degree: int, silent_share: float, seed: int = 0) -> TransitionSystem:
    """A random LTS: ``degree`` transitions per state, a share of them silent ("tau")."""
    rng = np.random.default_rng(seed)
    m = n * degree
    indptr = np.arange(0, m + 1, degree, dtype=np.int64)
    targets = rng.integers(0, n, m, dtype=np.int64)
    actions = np.where(rng.random(m) < silent_share, 0, rng.integers(1, 4, m))
    names = np.array(["tau", "a", "b", "c"], dtype=object)
    return TransitionSystem.nondeterministic((indptr, targets), labels=names[actions])


def pipeline_lts(stages: int) -> TransitionSystem:
    """A row of one-place stages holding bits: in0/in1, silent moves on, out0/out1.

    State ``s`` holds stage ``i`` in base-3 digit ``i`` (0 empty, 1 or 2 a
    bit). Its branching quotient is a FIFO buffer of ``stages`` places.
    """
    n = 3**stages
    digits = (np.arange(n)[:, None] // 3 ** np.arange(stages)) % 3
    src, dst, act = [], [], []
    states = np.arange(n)
    empty_first = digits[:, 0] == 0
    for d in (1, 2):
        src.append(states[empty_first])
        dst.append(states[empty_first] + d)
        act.append(np.full(int(empty_first.sum()), d))  # in0 = 1, in1 = 2
    for i in range(stages - 1):
        moves = (digits[:, i] != 0) & (digits[:, i + 1] == 0)
        s = states[moves]
        src.append(s)
        dst.append(s - digits[moves, i] * 3**i + digits[moves, i] * 3 ** (i + 1))
        act.append(np.zeros(s.shape[0], dtype=np.int64))  # tau
    last = digits[:, -1] != 0
    src.append(states[last])
    dst.append(states[last] - digits[last, -1] * 3 ** (stages - 1))
    act.append(2 + digits[last, -1])  # out0 = 3, out1 = 4
    src_all, dst_all, act_all = (np.concatenate(x) for x in (src, dst, act))
    order = np.argsort(src_all, kind="stable")
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src_all, minlength=n), out=indptr[1:])
    names = np.array(["tau", "in0", "in1", "out0", "out1"], dtype=object)
    return TransitionSystem.nondeterministic(
        (indptr, dst_all[order]), labels=names[act_all[order]]
    )


def chain_lts(n: int) -> TransitionSystem:
    """``n`` states; state ``i < n - 1`` has an "a"-step and a silent step to ``i + 1``."""
    indptr = np.zeros(n + 1, dtype=np.int64)
    indptr[1:] = 2 * np.minimum(np.arange(1, n + 1), n - 1)
    targets = np.repeat(np.arange(1, n, dtype=np.int64), 2)
    names = np.array(["a", "tau"], dtype=object)
    return TransitionSystem.nondeterministic(
        (indptr, targets), labels=np.tile(names, n - 1) if n > 1 else names[:0]
    )


def fan_lts(n: int) -> TransitionSystem:
    """``n`` states: a sink 0; state 1 with a "b"-step to it; states ``i >= 2`` with a
    silent step to 1, a "c"-step to the sink and an action ``"a<i>"`` of their own to it.

    With the sink in a block of its own, the split by "c" cuts every silent
    step at once: ``n - 2`` new bottom states that each lack the others'
    own moves, the case a rescan of the new bottom states at each split
    made quadratic.
    """
    k = max(n - 2, 0)
    indptr = np.concatenate([[0, 0, 1], 1 + 3 * np.arange(1, k + 1)]).astype(np.int64)
    targets = np.zeros(1 + 3 * k, dtype=np.int64)
    targets[1::3] = 1
    names = np.empty(1 + 3 * k, dtype=object)
    names[0] = "b"
    names[1::3] = "tau"
    names[2::3] = "c"
    names[3::3] = [f"a{i}" for i in range(k)]
    return TransitionSystem.nondeterministic((indptr, targets), labels=names)


def chain_job(n: int, repeats: int, old_max: int = 30_000, lts: str = "chain") -> dict[str, Any]:
    """The chain (or the fan): the engine's two second phases (alone), and strong bisimulation."""
    from abstractions._engine.stuttering import branching_classes

    T = chain_lts(n) if lts == "chain" else fan_lts(n)
    symbols = T.symbols
    if symbols is None:
        raise ValueError("the chain and fan LTSs are labelled; they lost their labels")
    rel, tau = T._relation(), symbols.index("tau")
    labels = np.zeros(n, dtype=np.int64)
    if lts == "fan":
        labels[1:] = 1  # the sink apart
    beta = Partition.from_labels(labels)
    k = int(labels.max()) + 1
    calls: dict[str, Callable[[], Any]] = {
        "strong": lambda: minimal_complete_abstraction(T, beta),
        "constellations": lambda: branching_classes(rel, labels, k, tau, True, rounds=False),
        "branching": lambda: stuttering_abstraction(T, beta, silent="tau"),
    }
    if n <= old_max:
        calls["saturate"] = lambda: branching_classes(
            rel, labels, k, tau, True, rounds=False, finish="saturate"
        )
    times = _best(calls, repeats)
    blocks = stuttering_abstraction(T, beta, silent="tau").n_blocks
    row = {"job": "branching", "lts": lts, "n": n, "transitions": T.n_transitions, **times,
           "ratio": times["branching"] / times["strong"], "blocks": blocks}
    if "saturate" in times:
        row["speedup"] = times["saturate"] / times["constellations"]
    return row


def branching_job(n: int, repeats: int, seed: int = 0, lts: str = "random") -> dict[str, Any]:
    """Branching bisimulation against strong bisimulation on one LTS.

    ``lts="random"``: :func:`random_lts` with ``n`` states, beta 2 random
    blocks. ``lts="pipeline"``: :func:`pipeline_lts` with ``n`` stages,
    beta one block (only the actions are observed).
    """
    if lts == "pipeline":
        T = pipeline_lts(n)
        beta = Partition.bottom(T.n)
        return _branching_times(T, beta, repeats, {"job": "branching", "lts": lts, "stages": n})
    T = random_lts(n, 5, 0.3, seed)
    beta = Partition.from_labels(np.random.default_rng(seed + 1).integers(0, 2, n))
    return _branching_times(T, beta, repeats, {"job": "branching", "lts": lts, "n": n})


def _branching_times(
    T: TransitionSystem, beta: Partition, repeats: int, row: dict[str, Any]
) -> dict[str, Any]:
    times = _best(
        {
            "strong": lambda: minimal_complete_abstraction(T, beta),
            "branching": lambda: stuttering_abstraction(T, beta, silent="tau"),
        },
        repeats,
    )
    blocks = (minimal_complete_abstraction(T, beta).n_blocks,
              stuttering_abstraction(T, beta, silent="tau").n_blocks)
    return {**row, "transitions": T.n_transitions, **times,
            "ratio": times["branching"] / times["strong"], "blocks": blocks}


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    """Parse the arguments, run the job, print one line per result."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--job", choices=["first_return", "stuttering", "branching", "all"],
                        default="all")
    parser.add_argument("--n", type=float, default=1e5, help="states (default 1e5)")
    parser.add_argument("--density", type=float, nargs="+", default=[0.5, 0.1, 0.01],
                        help="first_return: shares of scheduled states")
    parser.add_argument("--beta", choices=["random", "rare"], nargs="+",
                        default=["random", "rare"], help="stuttering: the kind of beta")
    parser.add_argument("--lts", choices=["random", "pipeline", "chain", "fan"],
                        default="random",
                        help="branching: a random LTS of n states, a pipeline of n stages, "
                        "the chain of n states, or the fan of n states")
    parser.add_argument("--old-max", type=float, default=3e4,
                        help="chain, fan: the largest n to time the saturating engine at")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    n = int(args.n)
    rows: list[dict[str, Any]] = []
    if args.job in ("first_return", "all"):
        rows += [first_return_job(n, d, args.repeats) for d in args.density]
    if args.job in ("stuttering", "all"):
        rows += [stuttering_job(n, b, args.repeats) for b in args.beta]
    if args.job in ("branching", "all"):
        if args.lts in ("chain", "fan"):
            rows.append(chain_job(n, args.repeats, int(args.old_max), args.lts))
        else:
            rows.append(branching_job(n, args.repeats, lts=args.lts))
    for row in rows:
        print("  ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}"
                        for k, v in row.items()), flush=True)
    return rows


if __name__ == "__main__":
    main()
