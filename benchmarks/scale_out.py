"""Scale-out benchmark: abstractions.distributed on a LocalCluster beside the in-memory core.

Run by hand (not in CI)::

    python -m benchmarks.scale_out --n 1e7 1e8 --kinds random chain cycles
    python -m benchmarks.scale_out --n --beyond 4e8 --beyond-memory 2.5GB

For each size and kind of one function (random function, chain, shuffled
cycles) the step and beta are written to a chunked store (not timed), then
solved by the in-memory core (``method="auto"``) and on a ``LocalCluster``
of 2 single-threaded workers reading the store. Reported: seconds, rounds,
bytes shuffled, peak worker memory (RSS, sampled), and that both answers
agree. ``--beyond N`` runs N states from the store with workers whose
memory limits sum to less than the input plus the in-memory core's scratch,
its rounds going through files (``scratch=``, about 140 bytes per state
on disk at the peak), writes the answer to a store and checks it chunk by
chunk against the definition (:func:`abstractions.distributed.check_complete`:
stability, refinement of beta, canonical ids); the in-memory core is not
run there. Stores and scratch files go under ``--store-dir`` and are
deleted afterwards.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import threading
import time
from typing import Any

import numpy as np

__all__ = ["main", "make_function", "run_one"]

#: Bytes per state that the in-memory core needs: int64 step and beta, and
#: about 20 bytes of scratch (the issue's measure).
_CORE_BYTES_PER_STATE = 8 + 8 + 20


def make_function(kind: str, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(step, beta)`` of ``n`` states: ``"random"``, ``"chain"`` or ``"cycles"``.

    Random: a uniform random function, beta two random labels. Chain:
    ``i -> i + 1``, the last state halting; beta is the halting bit (every
    state ends up alone: the most rounds doubling can take). Cycles: cycles
    of 1000 states with shuffled ids, beta two random labels.
    """
    rng = np.random.default_rng(seed)
    if kind == "random":
        step = rng.integers(0, n, n, dtype=np.int64)
        beta = rng.integers(0, 2, n, dtype=np.int64)
    elif kind == "chain":
        step = np.minimum(np.arange(1, n + 1, dtype=np.int64), n - 1)
        beta = np.zeros(n, dtype=np.int64)
        beta[-1] = 1
    elif kind == "cycles":
        perm = rng.permutation(n).astype(np.int64)
        length = 1000
        step = np.empty(n, dtype=np.int64)
        cut = n - n % length
        cycles = perm[:cut].reshape(-1, length)
        step[cycles] = np.roll(cycles, -1, axis=1)
        tail = perm[cut:]
        if tail.size:
            step[tail] = np.roll(tail, -1)
        del cycles, perm
        beta = rng.integers(0, 2, n, dtype=np.int64)
    else:
        raise ValueError(f"unknown kind {kind!r}")
    return step, beta


class _MemoryWatch:
    """Largest RSS of any worker, sampled every ``every`` seconds."""

    def __init__(self, client: Any, every: float = 0.5) -> None:
        self.client = client
        self.every = every
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                rss = self.client.run(_rss)
                self.peak = max([self.peak, *rss.values()])
            except Exception:
                pass
            self._stop.wait(self.every)

    def __enter__(self) -> _MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _rss() -> int:
    import psutil

    return int(psutil.Process().memory_info().rss)


def _cluster(
    workers: int, memory_limit: str | None, local_dir: str, *, trim: bool = False
) -> tuple[Any, Any]:
    import dask
    from distributed import Client, LocalCluster

    from abstractions.distributed import WORKER_ENVIRON

    # As the cluster that abstractions.distributed starts for a call: workers
    # without MALLOC_TRIM_THRESHOLD_ (see WORKER_ENVIRON). With ``trim`` (the
    # beyond-memory run) dask's own environment instead: glibc then hands
    # freed arrays back to the system, so a worker's unmanaged memory stays
    # low and the memory limit spills results instead of killing the worker.
    # Both ask for huge pages (see WORKER_ENVIRON).
    environ = WORKER_ENVIRON
    if trim:
        environ = {**dask.config.get("distributed.nanny.pre-spawn-environ"),
                   "GLIBC_TUNABLES": WORKER_ENVIRON["GLIBC_TUNABLES"]}
    with dask.config.set({"distributed.nanny.pre-spawn-environ": environ}):
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
            memory_limit=memory_limit or "auto", local_directory=local_dir,
        )
    return cluster, Client(cluster)


def run_one(kind: str, n: int, args: argparse.Namespace, *, beyond: bool = False) -> dict[str, Any]:
    """One row of the table (see the module docstring)."""
    from abstractions import Computation, Partition, minimal_complete_abstraction
    from abstractions import distributed as dist

    os.makedirs(args.store_dir, exist_ok=True)
    store = os.path.join(args.store_dir, f"{kind}-{n}.zarr")
    answer = os.path.join(args.store_dir, f"{kind}-{n}-answer.zarr")
    row: dict[str, Any] = {"kind": kind, "n": n}
    t = time.perf_counter()
    if beyond:
        # Written a chunk at a time from a lazy dask array: never whole in memory.
        import dask.array as da

        chunk = args.chunk_size
        step = da.random.default_rng(1).integers(0, n, size=n, chunks=chunk, dtype=np.int64)
        beta = da.random.default_rng(2).integers(0, 2, size=n, chunks=chunk, dtype=np.int64)
        dist.save_chunked(step, store, beta=beta, chunk_size=chunk)
        del step, beta
    else:
        step, beta = make_function(kind, n)
        dist.save_chunked(step, store, beta=beta, chunk_size=args.chunk_size)
    row["write_s"] = round(time.perf_counter() - t, 1)
    expected = None
    if not beyond:
        C = Computation(step)
        P = Partition.from_labels(beta)
        # Compile the core's kernels first (numba caches them): time the solve only.
        small_step, small_beta = make_function(kind, 1000)
        minimal_complete_abstraction(Computation(small_step), Partition.from_labels(small_beta))
        t = time.perf_counter()
        expected = minimal_complete_abstraction(C, P)
        row["core_s"] = round(time.perf_counter() - t, 2)
        del C, P, step, beta
    # Beyond memory the rounds go through files (scratch=), not the workers' memory.
    scratch = os.path.join(args.store_dir, "scratch") if beyond else None
    limit = args.beyond_memory if beyond else args.memory_limit
    row["worker_memory_limit"] = limit
    cluster, client = _cluster(args.workers, limit, os.path.join(args.store_dir, "dask-tmp"),
                               trim=beyond)
    try:
        with _MemoryWatch(client) as watch:
            t = time.perf_counter()
            result = dist.minimal_complete_abstraction(
                store, client=client, out=answer, shuffle=args.shuffle, progress=args.progress,
                scratch=scratch, chunk_size=args.partition_size,
            )
            row["dask_s"] = round(time.perf_counter() - t, 1)
        row["rounds"] = result.refinement_rounds
        row["log2_bound"] = math.ceil(math.log2(n)) + 1
        row["blocks"] = result.n_blocks
        row["shuffled_GB"] = round(sum(r.shuffled_bytes for r in result.rounds) / 1e9, 2)
        row["per_round"] = [
            {"round": r.round, "phase": r.phase, "active": r.active,
             "shuffled_MB": round(r.shuffled_bytes / 1e6, 1), "s": round(r.seconds, 1)}
            for r in result.rounds
        ]
        row["peak_worker_GB"] = round(watch.peak / 1e9, 2)
        if expected is not None:
            got = dist.load_chunked(answer)
            row["same_as_core"] = bool(np.array_equal(got.labels, expected.labels))
            row["ratio"] = round(row["dask_s"] / max(row["core_s"], 1e-9), 1)
        else:
            t = time.perf_counter()
            check = dist.check_complete(store, None, result.labels, client=client,
                                        shuffle=args.shuffle, scratch=scratch)
            row["check_s"] = round(time.perf_counter() - t, 1)
            row["check"] = check
            row["input_plus_scratch_GB"] = round(n * _CORE_BYTES_PER_STATE / 1e9, 1)
    finally:
        client.close()
        cluster.close()
        if not args.keep:
            shutil.rmtree(store, ignore_errors=True)
            shutil.rmtree(answer, ignore_errors=True)
    return row


def _table(rows: list[dict[str, Any]]) -> str:
    head = ("| states | kind | in-memory s | dask s | ratio | rounds (bound) | shuffled GB "
            "| peak worker GB | same answer |")
    lines = [head, "|" + "---|" * 9]
    for r in rows:
        same = r.get("same_as_core", r.get("check"))
        lines.append(
            f"| {r['n']:.0e} | {r['kind']} | {r.get('core_s', '-')} | {r['dask_s']} | "
            f"{r.get('ratio', '-')} | {r['rounds']} ({r['log2_bound']}) | {r['shuffled_GB']} | "
            f"{r['peak_worker_GB']} | {same} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=float, nargs="*", default=[1e7, 1e8])
    parser.add_argument("--kinds", nargs="+", default=["random", "chain", "cycles"])
    parser.add_argument("--beyond", type=float, default=0,
                        help="states of the beyond-memory run (0: skip)")
    parser.add_argument("--beyond-memory", default="2.5GB",
                        help="memory limit of each worker in the beyond-memory run")
    parser.add_argument("--memory-limit", default="8GB", help="per worker, the other runs")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunk-size", type=int, default=1 << 22)
    parser.add_argument("--partition-size", type=int, default=None,
                        help="states per partition of the engine (default: its own choice, "
                        "about two partitions per worker thread for the direct exchange)")
    parser.add_argument("--shuffle", default="auto", choices=["auto", "direct", "p2p", "tasks"])
    parser.add_argument("--store-dir", default="/work/bigdata-dask")
    parser.add_argument("--json", default=None, help="also write the rows here")
    parser.add_argument("--keep", action="store_true", help="keep the stores")
    parser.add_argument("--progress", action="store_true")
    args = parser.parse_args(argv)
    rows = []
    for n in args.n:
        for kind in args.kinds:
            rows.append(run_one(kind, int(n), args))
            print(json.dumps(rows[-1]), flush=True)
    if args.beyond:
        rows.append(run_one("random", int(args.beyond), args, beyond=True))
        print(json.dumps(rows[-1]), flush=True)
    print(_table(rows))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(rows, handle, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
