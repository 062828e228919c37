"""Scale out: a minimal complete abstraction on a Dask cluster, from and to a chunked store."""

import tempfile
from pathlib import Path

import numpy as np

from abstractions import Computation, Partition, minimal_complete_abstraction

if __name__ == "__main__":  # worker processes re-import this file: guard the entry point
    from distributed import Client, LocalCluster

    from abstractions import distributed

    rng = np.random.default_rng(0)
    n = 2000
    step, beta = rng.integers(0, n, n), rng.integers(0, 2, n)
    with tempfile.TemporaryDirectory() as folder:
        store, answer = Path(folder) / "system.zarr", Path(folder) / "answer.zarr"
        distributed.save_chunked(step, store, beta=beta, chunk_size=500)  # a chunk at a time
        with LocalCluster(n_workers=2, threads_per_worker=1) as cluster, Client(cluster) as client:
            print("dashboard:", client.dashboard_link)
            result = distributed.minimal_complete_abstraction(store, client=client, out=answer)
        for r in result.rounds:  # blocks, active states, bytes shuffled, seconds
            print(f"{r.phase:>9} {r.round:2}: {r.blocks:5} blocks, {r.active:5} active")
        core = minimal_complete_abstraction(Computation(step), Partition.from_labels(beta))
        assert distributed.load_chunked(answer) == core  # the in-memory core's answer
        print(result.n_blocks, "blocks in", result.refinement_rounds, "doubling rounds")
