"""Benchmark the approximate notions: speed against one gather, quality against the lumping peers.

Jobs (``--jobs``, all by default):

``error``
    ``consistency_error`` of a random function on ``--error-states``
    (10^7) states under uniform weights, for partitions of 10, 10^3 and
    10^5 random blocks, beside one numpy gather ``labels[step]`` of the
    same size in the same run (the target: at most 5 gathers).
``profile``
    ``refinement_profile`` of a random function on ``--profile-states``
    (10^6) states from a random 2-block beta (target: 2 s), beside a
    gather of the same size (the machine is shared: the ratio is steadier).
``coarsen``
    ``coarsen`` of the quotient of a random function (its top partition)
    down to 10 blocks, at growing sizes up to ``--coarsen-blocks``
    (target: 10^5 blocks in 10 s); a size that takes longer than
    ``--budget`` seconds stops the ladder.
``lumping``
    The lumpability defect (``consistency_error``, metric ``"tv"``) of a
    Markov chain with ``--chain-states`` (10^6) states and three
    transitions each, for a random partition of 10^3 blocks (target: 1 s),
    beside a gather of the transitions' size.
``quality``
    On Markov chains of ``--quality-states`` states -- a metastable
    random walk on a 1-D energy landscape with 8 wells, and a lumpable
    chain of 10 blocks with 5 % noise added -- the lumpability defect
    under the stationary distribution of our ``coarsen`` (from the top
    partition, one call with ``max_blocks=k`` per size k) against
    pyGPCCA's crisp assignment and mpp-lumping's most-probable-path tree
    cut at the same number of blocks. Ours is
    reported as merged (``per_weight=True``) and after ``polish``. The peers
    run in their own interpreter (``--peers-python``, default
    ``$ABSTRACTIONS_PEERS_PYTHON``): pygpcca pins Jinja2 < 3.1, which
    the docs toolchain cannot live with, so they are kept out of the
    project's environment. Without it the job reports ours alone. With
    ``--peer-cache DIR`` the peers' partitions are read from
    ``DIR/peers_{walk,noisy}_{n}.npz`` when present (and written there
    after a run): pyGPCCA's dense Schur decomposition takes 8-13 minutes
    at 4000 states and did not finish in 40 at 10^4, so its partitions
    are worth keeping.

Timings are medians of ``--repeat`` runs (first call excluded: it
compiles). Run from the repository root::

    python -m benchmarks.approximate
    python -m benchmarks.approximate --jobs quality --quality-states 1000 4000 \
        --peers-python /path/to/venv/bin/python --peer-cache /tmp/peers
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np


def median_time(f: Callable[[], Any], repeat: int) -> float:
    """The median wall time of ``repeat`` calls of ``f`` (after one warm-up call)."""
    f()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def paired_times(f: Callable[[], Any], g: Callable[[], Any], repeat: int
                 ) -> tuple[float, float, float]:
    """Median times of ``f`` and ``g`` timed in turn, and the median of their ratios.

    On a shared, loaded machine the speed of one gather drifts by a factor
    of two within a minute; timing the two side by side, pair by pair,
    keeps the ratio honest.
    """
    f()
    g()
    tf, tg = [], []
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        tf.append(time.perf_counter() - t)
        t = time.perf_counter()
        g()
        tg.append(time.perf_counter() - t)
    ratios = np.array(tf) / np.array(tg)
    return float(np.median(tf)), float(np.median(tg)), float(np.median(ratios))


# ---------------------------------------------------------------------- speed


def job_error(n: int, repeat: int) -> list[dict[str, Any]]:
    from abstractions import Computation, Partition, consistency_error

    rng = np.random.default_rng(0)
    step = rng.integers(0, n, n)
    C = Computation(step)
    rows = []
    for k in (10, 1000, 100_000):
        P = Partition(rng.integers(0, k, n))
        ours, gather, ratio = paired_times(partial(consistency_error, C, P),
                                           partial(np.take, P.labels, step), repeat)
        rows.append({"job": "error", "states": n, "blocks": k, "gather_s": gather,
                     "seconds": ours, "gathers": ratio})
        print(f"error: n={n:.0e} blocks={k}: {ours:.3f} s = {ratio:.1f} gathers "
              f"(median of {repeat} paired ratios; a gather takes {gather:.3f} s)", flush=True)
    return rows


def job_profile(n: int, repeat: int) -> list[dict[str, Any]]:
    from abstractions import Computation, Partition, refinement_profile

    rng = np.random.default_rng(1)
    step = rng.integers(0, n, n)
    C = Computation(step)
    beta = Partition(rng.integers(0, 2, n))
    seconds, gather, ratio = paired_times(lambda: refinement_profile(C, beta),
                                          lambda: beta.labels[step], repeat)
    p = refinement_profile(C, beta)
    print(f"profile: n={n:.0e}: {seconds:.2f} s = {ratio:.0f} gathers, {p.rounds} rounds, "
          f"{int(p.blocks[-1])} blocks at the end (a gather takes {gather:.3f} s)", flush=True)
    return [{"job": "profile", "states": n, "seconds": seconds, "rounds": p.rounds,
             "gather_s": gather, "gathers": ratio}]


def job_coarsen(largest: int, budget: float) -> list[dict[str, Any]]:
    from abstractions import Computation, Partition, coarsen

    rows = []
    size = 1000
    while size <= largest:
        rng = np.random.default_rng(2)
        C = Computation(rng.integers(0, size, size))
        t = time.perf_counter()
        f = coarsen(C, Partition.top(size), max_blocks=10)
        seconds = time.perf_counter() - t
        rows.append({"job": "coarsen", "blocks": size, "seconds": seconds,
                     "final_error": float(f.errors[-1])})
        print(f"coarsen: {size} blocks -> 10: {seconds:.2f} s (error {f.errors[-1]:.4f})",
              flush=True)
        if seconds > budget:
            print(f"coarsen: stopping the ladder ({seconds:.0f} s > budget {budget:.0f} s)")
            break
        size *= 10
    return rows


def random_chain(n: int, degree: int, seed: int) -> Any:
    from abstractions import TransitionSystem

    rng = np.random.default_rng(seed)
    targets = rng.integers(0, n, n * degree)
    probs = rng.integers(1, 4, (n, degree)).astype(np.float64)
    probs /= probs.sum(axis=1, keepdims=True)
    indptr = np.arange(0, n * degree + 1, degree)
    return TransitionSystem.probabilistic((indptr, targets, probs.reshape(-1)))


def job_lumping(n: int, repeat: int) -> list[dict[str, Any]]:
    from abstractions import Partition, consistency_error

    T = random_chain(n, 3, 3)
    P = Partition(np.random.default_rng(4).integers(0, 1000, n))
    index = np.random.default_rng(5).integers(0, n, T.n_transitions)
    seconds, gather, ratio = paired_times(lambda: consistency_error(T, P),
                                          lambda: P.labels[index], repeat)
    print(f"lumping: n={n:.0e}, {T.n_transitions:.0e} transitions: {seconds:.2f} s = "
          f"{ratio:.0f} gathers of the transitions' size (a gather takes {gather:.3f} s)",
          flush=True)
    return [{"job": "lumping", "states": n, "transitions": T.n_transitions,
             "seconds": seconds, "gather_s": gather, "gathers": ratio}]


# ---------------------------------------------------------------------- quality


def metastable_walk(n: int, wells: int, seed: int) -> np.ndarray:
    """A reversible random walk on a ring with an energy landscape of ``wells`` wells (dense)."""
    rng = np.random.default_rng(seed)
    x = np.arange(n) / n
    energy = 3.0 * np.cos(2 * np.pi * wells * x) + 0.5 * rng.standard_normal(n)
    P = np.zeros((n, n))
    for s in range(n):
        for t in ((s - 1) % n, (s + 1) % n):
            P[s, t] = 0.5 * min(1.0, np.exp(-(energy[t] - energy[s])))
        P[s, s] = 1.0 - P[s].sum()
    return P


def noisy_lumpable(n: int, blocks: int, noise: float, seed: int) -> np.ndarray:
    """A chain lumpable into ``blocks`` blocks, mixed with ``noise`` of a sparse random chain."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, blocks, n)
    members = [np.flatnonzero(labels == b) for b in range(blocks)]
    # Metastable at the block level: mostly stay.
    bar = rng.random((blocks, blocks)) * (rng.random((blocks, blocks)) < 0.4)
    bar += np.eye(blocks) * 4
    bar /= bar.sum(axis=1, keepdims=True)
    P = np.zeros((n, n))
    for s in range(n):
        for c in range(blocks):
            if bar[labels[s], c] > 0:
                targets = rng.choice(members[c], size=min(3, len(members[c])), replace=False)
                P[s, targets] += bar[labels[s], c] * rng.dirichlet(np.ones(len(targets)))
        spread = rng.integers(0, n, 3)
        P[s] *= 1 - noise
        np.add.at(P[s], spread, noise * rng.dirichlet(np.ones(3)))
    return P


def _cut_linkage(Z: np.ndarray, n: int, k: int) -> np.ndarray:
    """Labels after the first ``n - k`` merges of a scipy-style linkage."""
    parent = np.arange(2 * n - 1)

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = int(parent[x])
        return x

    for i in range(n - k):
        a, b = int(Z[i, 0]), int(Z[i, 1])
        parent[find(a)] = n + i
        parent[find(b)] = n + i
    return np.array([find(x) for x in range(n)])


def peer_child(path_in: str, path_out: str) -> None:
    """Run in the peers' interpreter: pyGPCCA and MPP partitions for every k (no abstractions)."""
    data = np.load(path_in)
    P, mu, ks = data["P"], data["mu"], data["ks"].tolist()
    n = P.shape[0]
    out: dict[str, Any] = {}
    try:
        import pygpcca

        g = pygpcca.GPCCA(P, eta=mu, z="LM", method="brandts")
        for k in ks:
            try:
                t = time.perf_counter()
                g.optimize(int(k))
                out[f"gpcca_{k}"] = np.asarray(g.macrostate_assignment)
                out[f"gpcca_{k}_s"] = np.array(time.perf_counter() - t)
            except Exception as err:  # GPCCA refuses a k that splits a complex pair
                out[f"gpcca_{k}_error"] = np.array(str(err)[:200])
    except Exception as err:  # report any peer failure, do not stop
        out["gpcca_error"] = np.array(f"{type(err).__name__}: {err}"[:300])
    try:
        from MPP import core

        pop = np.maximum(np.round(mu * 1e6), 1).astype(np.int64)
        t = time.perf_counter()
        Z, _ = core.cluster(P, pop)
        out["mpp_s"] = np.array(time.perf_counter() - t)
        for k in ks:
            out[f"mpp_{k}"] = _cut_linkage(Z, n, int(k))
    except Exception as err:  # report any peer failure, do not stop
        out["mpp_error"] = np.array(f"{type(err).__name__}: {err}"[:300])
    np.savez(path_out, **out)


def job_quality(sizes: list[int], peers_python: str | None, ks: list[int],
                cache: str | None = None, polished: bool = True) -> list[dict[str, Any]]:
    from abstractions import (
        Partition,
        TransitionSystem,
        coarsen,
        consistency_error,
        polish,
        weights,
    )

    rows = []
    for n in sizes:
        for name, short, P in (("metastable walk", "walk", metastable_walk(n, 8, 5)),
                               ("noisy lumpable", "noisy", noisy_lumpable(n, 10, 0.05, 6))):
            T = TransitionSystem.probabilistic(P)
            mu = weights.stationary(T)
            # One call per size: coarsen improves the last point of the frontier.
            ends: dict[int, Partition] = {}
            seconds: dict[int, float] = {}
            for k in ks:
                t = time.perf_counter()
                f = coarsen(T, Partition.top(n), weights=mu, max_blocks=k, per_weight=True)
                seconds[k] = time.perf_counter() - t
                ends[k] = f.partition(blocks=k)
            peers: dict[str, Any] = {}
            saved = Path(cache) / f"peers_{short}_{n}.npz" if cache else None
            if saved is not None and saved.exists():
                with np.load(saved) as result:
                    peers = {key: result[key] for key in result.files}
            elif peers_python:
                with tempfile.TemporaryDirectory() as tmp:
                    src, dst = Path(tmp) / "in.npz", Path(tmp) / "out.npz"
                    np.savez(src, P=P, mu=mu.values, ks=np.array(ks))
                    subprocess.run([peers_python, __file__, "--peer-child", str(src), str(dst)],
                                   check=True)
                    with np.load(dst) as result:
                        peers = {key: result[key] for key in result.files}
                if saved is not None:
                    saved.parent.mkdir(parents=True, exist_ok=True)
                    np.savez(saved, **peers)
            for key in ("gpcca_error", "mpp_error"):
                if key in peers:
                    print(f"quality: {key}: {peers[key]}")
            for k in ks:
                mine = ends[k]
                row: dict[str, Any] = {"job": "quality", "chain": name, "states": n, "blocks": k,
                                       "ours": consistency_error(T, mine, weights=mu).total,
                                       "ours_s": seconds[k]}
                if polished:
                    # polish tries every block on a border: minutes on a noisy chain of 4000.
                    row["polished"] = consistency_error(
                        T, polish(T, mine, weights=mu), weights=mu).total
                for peer in ("gpcca", "mpp"):
                    labels = peers.get(f"{peer}_{k}")
                    if labels is not None:
                        Q = Partition(labels)
                        row[peer] = consistency_error(T, Q, weights=mu).total
                        row[f"{peer}_blocks"] = Q.n_blocks
                    elif f"{peer}_{k}_error" in peers:
                        row[peer] = f"refused: {peers[f'{peer}_{k}_error']}"
                rows.append(row)
                cells = "  ".join(
                    f"{p}={row[p]:.8f}" if isinstance(row.get(p), float) else f"{p}=-"
                    for p in ("ours", "polished", "gpcca", "mpp")
                )
                print(f"quality: {name}, n={n}, k={k}: {cells}", flush=True)
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", nargs="+",
                        default=["error", "profile", "coarsen", "lumping", "quality"])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--error-states", type=float, default=1e7)
    parser.add_argument("--profile-states", type=float, default=1e6)
    parser.add_argument("--coarsen-blocks", type=float, default=1e5)
    parser.add_argument("--budget", type=float, default=120.0)
    parser.add_argument("--chain-states", type=float, default=1e6)
    parser.add_argument("--quality-states", type=int, nargs="+", default=[1000])
    parser.add_argument("--ks", type=int, nargs="+", default=[2, 4, 8, 10, 20])
    parser.add_argument("--peers-python", default=os.environ.get("ABSTRACTIONS_PEERS_PYTHON"))
    parser.add_argument("--no-polish", action="store_true",
                        help="quality: do not also report ours after polish (slow on noisy chains)")
    parser.add_argument("--peer-cache", default=None,
                        help="read (and keep) the peers' partitions in this directory")
    parser.add_argument("--out", default=None, help="write the rows as JSON here")
    parser.add_argument("--peer-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.peer_child:
        peer_child(*args.peer_child)
        return
    rows: list[dict[str, Any]] = []
    if "error" in args.jobs:
        rows += job_error(int(args.error_states), args.repeat)
    if "profile" in args.jobs:
        rows += job_profile(int(args.profile_states), args.repeat)
    if "coarsen" in args.jobs:
        rows += job_coarsen(int(args.coarsen_blocks), args.budget)
    if "lumping" in args.jobs:
        rows += job_lumping(int(args.chain_states), args.repeat)
    if "quality" in args.jobs:
        rows += job_quality(args.quality_states, args.peers_python, args.ks, args.peer_cache,
                            not args.no_polish)
    if args.out:
        Path(args.out).write_text(json.dumps(rows, indent=1, default=str))


if __name__ == "__main__":
    main()
