"""abstractions.distributed on a LocalCluster of 2 workers, against the in-memory core.

One cluster serves the whole module (starting one costs seconds). Chunk
sizes are small so that every cycle, chain and tree is split across
partitions. Skipped, with the reason, when the ``distributed`` extra
(dask, distributed, pandas, pyarrow, zarr) is not installed.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers import require_extra

require_extra("distributed", module_level=True)  # skips, saying why (fails in CI)

import dask.array as da
import dask.dataframe as dd
import pandas as pd

from abstractions import (
    Computation,
    FileFormatError,
    InvalidTypeError,
    InvalidValueError,
    LabelledSystem,
    MarkovChain,
    NondeterministicSystem,
    Partition,
    minimal_complete_abstraction,
)
from abstractions import distributed as dist


@pytest.fixture(scope="module")
def client():
    """One LocalCluster (2 single-threaded worker processes) for the module."""
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=":0")
    with Client(cluster) as c:
        yield c
    cluster.close()


def _cycles(n, length, rng):
    perm = rng.permutation(n)
    step = np.empty(n, dtype=np.int64)
    for i in range(0, n, length):
        cycle = perm[i:i + length]
        step[cycle] = np.roll(cycle, -1)
    return step


def _functions(n, rng):
    """Random functions, a chain and shuffled cycles (with trees hanging off one)."""
    chain = np.minimum(np.arange(n) + 1, n - 1)
    cycles = _cycles(n, 7, rng)
    trees = cycles.copy()
    trees[: n // 3] = rng.integers(0, n, n // 3)
    return {"random": rng.integers(0, n, n), "chain": chain, "cycles": cycles, "trees": trees}


def _same(result, expected):
    got = result.partition()
    assert got == expected
    assert np.array_equal(got.labels, expected.labels)  # canonical, as the core's
    assert result.n_blocks == expected.n_blocks


slow = pytest.mark.slow


@slow
@pytest.mark.parametrize(
    ("kind", "shuffle"),
    [(k, "direct") for k in ("random", "chain", "cycles", "trees")]
    + [("random", "p2p"), ("chain", "p2p")],
)
def test_doubling_matches_the_core(client, kind, shuffle):
    """Doubling on the cluster gives the in-memory core's canonical partition, in <= log2 n + 1 rounds."""
    rng = np.random.default_rng(7)
    n = 240
    step = _functions(n, rng)[kind]
    beta = rng.integers(0, 3, n) if kind != "chain" else (np.arange(n) == n - 1).astype(int)
    C = Computation(step)
    expected = minimal_complete_abstraction(C, Partition.from_labels(beta))
    result = dist.minimal_complete_abstraction(C, beta, client=client, chunk_size=50,
                                               shuffle=shuffle)
    _same(result, expected)
    assert result.method == "doubling"
    assert result.refinement_rounds <= int(np.ceil(np.log2(n))) + 1
    setup = result.rounds[0]
    assert setup.phase == "setup" and result.rounds[-1].phase == "canonical"
    active = [r.active for r in result.rounds if r.phase == "doubling"]
    assert active == sorted(active, reverse=True)  # states only ever leave


@slow
@pytest.mark.parametrize("kind", ["random", "chain", "trees"])
def test_direct_exchange_kernels_on_the_cluster(client, kind):
    """Chunks of SMALL_INPUT states and more: the workers' numba kernels give the core's answer."""
    from abstractions._config import SMALL_INPUT

    rng = np.random.default_rng(11)
    n = 3 * SMALL_INPUT + 100
    step = _functions(n, rng)[kind]
    beta = rng.integers(0, 2, n) if kind != "chain" else (np.arange(n) == n - 1).astype(int)
    C = Computation(step)
    expected = minimal_complete_abstraction(C, Partition.from_labels(beta))
    result = dist.minimal_complete_abstraction(C, beta, client=client, chunk_size=SMALL_INPUT,
                                               shuffle="direct")
    _same(result, expected)


@slow
@pytest.mark.parametrize("kind", ["random", "chain", "trees"])
def test_scratch_files_on_the_cluster(client, tmp_path, kind):
    """Rounds kept in scratch files (the beyond-memory mode) give the core's answer, then vanish."""
    rng = np.random.default_rng(13)
    n = 400
    step = _functions(n, rng)[kind]
    beta = rng.integers(0, 2, n) if kind != "chain" else (np.arange(n) == n - 1).astype(int)
    expected = minimal_complete_abstraction(Computation(step), Partition.from_labels(beta))
    scratch = tmp_path / "scratch"
    result = dist.minimal_complete_abstraction(step, beta, client=client, chunk_size=60,
                                               scratch=scratch, out=tmp_path / "answer.zarr")
    _same(result, expected)
    assert os.listdir(scratch) == []
    check = dist.check_complete(step, beta, result.labels, client=client, chunk_size=60,
                                scratch=scratch)
    assert check == {"complete": True, "refines_beta": True, "canonical": True,
                     "blocks": expected.n_blocks}
    assert os.listdir(scratch) == []


@slow
def test_every_shuffle_agrees(client):
    """The direct exchange, the peer-to-peer shuffle and the task-based one give one answer."""
    rng = np.random.default_rng(3)
    n = 200
    C = Computation(rng.integers(0, n, n))
    beta = rng.integers(0, 2, n)
    got = [dist.minimal_complete_abstraction(C, beta, client=client, chunk_size=64, shuffle=s)
           for s in ("direct", "p2p", "tasks")]
    expected = minimal_complete_abstraction(C, Partition.from_labels(beta))
    assert all(np.array_equal(r.partition().labels, expected.labels) for r in got)
    # The direct exchange moves 24 bytes per active state and 32 per distinct
    # pair of a chunk: at most 56 per active state, and less once blocks are large.
    direct = [r for r in got[0].rounds if r.phase == "doubling"]
    assert all(24 * r.active < r.shuffled_bytes <= 56 * r.active for r in direct)
    assert direct[0].shuffled_bytes < 56 * direct[0].active  # round 1: few blocks, few pairs


class _Done:
    """A finished 'future': the value of a call made on the spot."""

    def __init__(self, value):
        self.value = value


class _SyncClient:
    """The part of distributed.Client that the direct exchange uses, run in this process.

    It lets the exchange's worker functions and orchestration be checked
    against the core on many small inputs without a cluster.
    """

    def __init__(self):
        self.calls = 0

    @classmethod
    def _value(cls, x):
        # As distributed: futures inside tuples are replaced by their values too.
        if isinstance(x, tuple):
            return tuple(cls._value(a) for a in x)
        return x.value if isinstance(x, _Done) else x

    def submit(self, fn, *args, pure=True):
        self.calls += 1
        return _Done(fn(*(self._value(a) for a in args)))

    def gather(self, futures):
        return [self._value(f) for f in futures]

    def compute(self, delayed):
        import dask

        return [_Done(v) for v in dask.compute(*delayed, scheduler="sync")]


@pytest.mark.parametrize(("spread", "collide"), [(6, False), (400, False), (400, True)])
def test_local_ids_number_tuples_by_first_occurrence(monkeypatch, spread, collide):
    """Ids of key tuples are first-occurrence numbers: few or many values, or every hash colliding."""
    from abstractions import _dask_parts as parts

    if collide:  # every tuple gets one hash: the exact path must take over
        monkeypatch.setattr(parts, "mix", lambda x: np.zeros_like(x))
    rng = np.random.default_rng(1)
    a = rng.integers(-spread, spread, 500) * (1 << 40)
    b = rng.integers(0, 4, 500)
    ids, count = parts.local_ids(a, b)
    seen: dict[tuple[int, int], int] = {}
    naive = [seen.setdefault((int(x), int(y)), len(seen)) for x, y in zip(a, b)]
    assert ids.tolist() == naive and count == len(seen)
    assert parts.local_ids(a[:0], b[:0])[1] == 0


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_direct_exchange_matches_the_core_in_process(data):
    """The direct exchange's rounds (run in-process) give the core's canonical partition."""
    from abstractions import _dask_exchange as exchange
    from abstractions._dask_exchange import DirectDoubling

    n = data.draw(st.integers(1, 60), label="n")
    family = data.draw(st.sampled_from(["random", "chain", "cycles", "identity"]), label="family")
    seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
    rng = np.random.default_rng(seed)
    if family == "random":
        step = rng.integers(0, n, n)
    elif family == "chain":
        step = np.minimum(np.arange(n) + 1, n - 1)
    elif family == "cycles":
        step = _cycles(n, int(rng.integers(1, 8)), rng)
    else:
        step = np.arange(n)
    beta = rng.integers(0, data.draw(st.integers(1, 3), label="labels"), n) * 7 - 3
    chunk = data.draw(st.integers(1, n), label="chunk")
    # The numba kernels (chunks of SMALL_INPUT states and more) or their numpy twin.
    kernels = data.draw(st.booleans(), label="kernels")
    # Every round through files (scratch=) or in memory.
    scratch = tempfile.mkdtemp() if data.draw(st.booleans(), label="scratch") else None
    bounds = dist._bounds(n, chunk)
    records = []
    engine = DirectDoubling(_SyncClient(), bounds, lambda *r: records.append(r), scratch)
    inp = dist._function_input(step, beta, n, bounds)
    kept = []
    if scratch is not None:
        checkpoint = engine._checkpoint

        def counted(chunks):  # after a round only its chunks' files are on disk
            out = checkpoint(chunks)
            kept.append([len(os.listdir(os.path.join(engine.root, d)))
                         for d in os.listdir(engine.root)])
            return out

        engine._checkpoint = counted
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(exchange, "_kernels", lambda rows: kernels)
        chunks, n_blocks, rounds = engine.run(inp.start, n)
    engine.close()
    assert all(k == [len(bounds) - 1] for k in kept)
    labels = np.concatenate([c.value for c in chunks])
    if scratch is not None:  # the answer is in memory; every file is gone
        assert os.listdir(scratch) == []
        engine = DirectDoubling(_SyncClient(), bounds, lambda *r: None, scratch)
    expected = minimal_complete_abstraction(Computation(step), Partition.from_labels(beta))
    assert np.array_equal(labels, expected.labels)
    assert n_blocks == expected.n_blocks
    assert rounds <= int(np.ceil(np.log2(max(n, 2)))) + 1
    active = [r[3] for r in records if r[1] == "doubling"]
    assert active == sorted(active, reverse=True)
    check = engine.check(inp.start, [labels[a:b] for a, b in zip(bounds[:-1], bounds[1:])], n)
    assert check == {"complete": True, "refines_beta": True, "canonical": True,
                     "blocks": expected.n_blocks}
    if expected.n_blocks > 1:
        merged = np.where(labels == 1, 0, labels)  # two blocks merged: unstable or coarser than beta
        bad = engine.check(inp.start, [merged[a:b] for a, b in zip(bounds[:-1], bounds[1:])], n)
        assert not (bad["complete"] and bad["refines_beta"])
    if scratch is not None:
        os.rmdir(scratch)  # fails unless the checks deleted their files too


def test_scratch_files_round_trip_and_refuse_a_missing_file(tmp_path):
    """Stored results read back equal (arrays, chunks, small values); a lost file is a clear error."""
    from abstractions import _scratch
    from abstractions._dask_exchange import Chunk

    chunk = Chunk(5, np.array([3, -1]), np.array([6, 5]), np.array([False, True]))
    rows = np.arange(6).reshape(2, 3)
    stored = _scratch.save((rows, chunk, (4, 0, 2, 1)), str(tmp_path / "a"))
    loaded = _scratch.value(stored)
    assert len(loaded) == 3 and loaded[2] == (4, 0, 2, 1)
    assert np.array_equal(loaded[0], rows) and np.array_equal(loaded[-3], rows)
    assert loaded[1].lo == 5 and np.array_equal(loaded[1].final, chunk.final)
    assert np.array_equal(loaded[1:2][0].L, chunk.L)
    with pytest.raises(IndexError):
        loaded[3]
    single = _scratch.save(np.array([7, 8]), str(tmp_path / "b"))
    assert _scratch.value(single).tolist() == [7, 8]
    # A task's arguments: a stored value, an item of one, and plain values.
    got = _scratch.with_value(lambda a, b, c: (a.tolist(), b.lo, c), single,
                              (_scratch.ITEM, stored, 1), 9)
    assert got == ([7, 8], 5, 9)
    os.remove(tmp_path / "a" / "1.g.npy")
    with pytest.raises(FileFormatError, match="1.g.npy.*shared by the client and every worker"):
        _scratch.item(stored, 1)


@slow
def test_dask_array_input_and_check(client):
    """A step given as a dask array is solved (its chunks joined), and the answer checks out."""
    rng = np.random.default_rng(5)
    n = 300
    step = rng.integers(0, n, n)
    beta = rng.integers(0, 2, n)
    result = dist.minimal_complete_abstraction(
        da.from_array(step, chunks=70), da.from_array(beta, chunks=70), client=client)
    expected = minimal_complete_abstraction(Computation(step), Partition.from_labels(beta))
    _same(result, expected)
    # Its five chunks are joined into two partitions per worker thread.
    assert result.labels.chunks == ((75, 75, 75, 75),)
    check = dist.check_complete(step, beta, result.labels, client=client, chunk_size=70)
    assert check == {"complete": True, "refines_beta": True, "canonical": True,
                     "blocks": expected.n_blocks}
    wrong = result.partition().labels.copy()
    wrong[wrong == 1] = 0  # merge two blocks: no longer a refinement or no longer stable
    bad = dist.check_complete(step, beta, wrong, client=client, chunk_size=70)
    assert not (bad["complete"] and bad["refines_beta"])
    shuffled = np.array(result.partition().labels)
    shuffled = np.where(shuffled == 0, 10**6, shuffled)  # a valid partition, not canonical
    assert not dist.check_complete(step, beta, shuffled, client=client,
                                   chunk_size=70)["canonical"]


def _labelled(rng, n, k):
    return LabelledSystem(rng.integers(0, n, (k, n)))


def _nondeterministic(rng, n):
    succ = [sorted(set(rng.integers(0, n, rng.integers(0, 4)).tolist())) for _ in range(n)]
    actions = [[int(rng.integers(0, 2)) for _ in s] for s in succ]
    return NondeterministicSystem(succ, labels=actions)


def _markov(rng, n, exact):
    rows = []
    for _ in range(n):
        row = [0] * n
        # Few distinct probabilities over few targets, so blocks tie often.
        for t, p in zip(rng.integers(0, n, 3), (Fraction(1, 2), Fraction(1, 4), Fraction(1, 4))):
            row[int(t)] += p
        rows.append(row if exact else [float(x) for x in row])
    return MarkovChain(rows)


@slow
@pytest.mark.parametrize(
    "kind", ["exact", *(pytest.param(k, marks=slow) for k in ("labelled", "nondeterministic", "float"))]
)
def test_signature_rounds_match_the_core(client, kind):
    """Signature rounds on the cluster give the core's partition for every other kind."""
    rng = np.random.default_rng(11)
    n = 60
    if kind == "labelled":
        S = _labelled(rng, n, 2)
    elif kind == "nondeterministic":
        S = _nondeterministic(rng, n)
    else:
        S = _markov(rng, n, exact=kind == "exact")
    beta = rng.integers(0, 2, n)
    expected = minimal_complete_abstraction(S, Partition.from_labels(beta))
    result = dist.minimal_complete_abstraction(S, beta, client=client, chunk_size=16)
    _same(result, expected)
    assert result.method == "signature"
    assert [r.phase for r in result.rounds].count("check") >= 1


@slow
def test_signature_rounds_on_a_function_and_a_dataframe(client):
    """A function by signature rounds, and transitions given as a dask DataFrame, agree with the core."""
    rng = np.random.default_rng(2)
    n = 80
    step = rng.integers(0, n, n)
    beta = rng.integers(0, 2, n)
    expected = minimal_complete_abstraction(Computation(step), Partition.from_labels(beta))
    result = dist.minimal_complete_abstraction(Computation(step), beta, client=client,
                                               chunk_size=30, method="signature")
    _same(result, expected)
    frame = dd.from_pandas(pd.DataFrame({"source": np.arange(n), "target": step}), npartitions=3)
    _same(dist.minimal_complete_abstraction(frame, beta, client=client, chunk_size=30), expected)


@slow
def test_store_round_trip_and_solve(client, tmp_path):
    """A system saved to a chunked store is solved from it; the answer is written to a store."""
    rng = np.random.default_rng(4)
    n = 150
    C = Computation(rng.integers(0, n, n), output=rng.integers(0, 3, n))
    beta = Partition.from_labels(C.output)
    path = tmp_path / "c.zarr"
    dist.save_chunked(C, path, beta=beta, chunk_size=40)
    assert dist.load_chunked(path) == C
    out = tmp_path / "answer.zarr"
    result = dist.minimal_complete_abstraction(path, client=client, out=out)
    expected = minimal_complete_abstraction(C, beta)
    _same(result, expected)
    assert result.path == os.fspath(out)
    assert dist.load_chunked(out) == expected
    S = _markov(rng, 30, exact=True)
    dist.save_chunked(S, tmp_path / "m.zarr", beta=np.arange(30) % 2, chunk_size=16)
    _same(dist.minimal_complete_abstraction(tmp_path / "m.zarr", client=client),
          minimal_complete_abstraction(S, Partition.from_labels(np.arange(30) % 2)))


def test_direct_exchange_joins_small_chunks_into_two_partitions_per_thread(client, tmp_path):
    """A store of ten small chunks runs as four partitions on 2 threads; chunk_size= is kept."""
    rng = np.random.default_rng(9)
    n = 400
    C = Computation(np.minimum(np.arange(n) + 1, n - 1), output=rng.integers(0, 2, n))
    beta = Partition.from_labels(C.output)
    path = tmp_path / "chain.zarr"
    dist.save_chunked(C, path, beta=beta, chunk_size=40)
    expected = minimal_complete_abstraction(C, beta)
    joined = dist.minimal_complete_abstraction(path, client=client)
    assert joined.labels.chunks == ((100, 100, 100, 100),)
    _same(joined, expected)
    kept = dist.minimal_complete_abstraction(path, client=client, chunk_size=40)
    assert kept.labels.chunks == ((40,) * 10,)
    _same(kept, expected)
    # With scratch= the store's chunks bound each task's memory: kept as they are.
    spilled = dist.minimal_complete_abstraction(path, client=client, scratch=tmp_path / "s")
    assert spilled.labels.chunks == ((40,) * 10,)
    _same(spilled, expected)


def test_broken_stores_are_rejected_before_work(tmp_path):
    """A truncated chunk, a missing chunk or a wrong length is refused by open_chunked."""
    step = np.arange(100) % 7
    path = tmp_path / "f.zarr"
    dist.save_chunked(step, path, beta=step % 2, chunk_size=30)
    assert dist.open_chunked(path).n == 100
    chunk = path / "step" / "c" / "1"
    data = chunk.read_bytes()
    chunk.write_bytes(data[:-3])
    with pytest.raises(FileFormatError, match="chunk 1 of 'step'"):
        dist.open_chunked(path)
    chunk.unlink()
    with pytest.raises(FileFormatError, match="missing"):
        dist.open_chunked(path)
    chunk.write_bytes(data)
    dist.open_chunked(path)
    # Same size, other bytes: caught by the CRC when the chunk is read.
    chunk.write_bytes(bytes(len(data)))
    with pytest.raises(FileFormatError, match="corrupt"):
        dist.load_chunked(path)
    # A store whose array is shorter than n.
    import zarr

    dist.save_chunked(step, path, chunk_size=30)
    zarr.open_array(str(path / "step"), mode="r+").resize((90,))
    with pytest.raises(FileFormatError, match="wrong length"):
        dist.open_chunked(path)


def test_wrong_inputs_raise_clear_errors():
    """A step out of range, beta of another length, or an unknown option: refused before any work."""
    with pytest.raises(InvalidValueError, match=r"step\[2\] = 9"):
        dist.minimal_complete_abstraction(np.array([0, 1, 9]), [0, 0, 1])
    with pytest.raises(InvalidValueError, match="beta has length 2"):
        dist.minimal_complete_abstraction(Computation([1, 0, 0]), [0, 1])
    with pytest.raises(InvalidValueError, match="unknown shuffle"):
        dist.minimal_complete_abstraction(Computation([1, 0]), [0, 1], shuffle="mpi")
    with pytest.raises(InvalidValueError, match="doubling"):
        dist.minimal_complete_abstraction(_labelled(np.random.default_rng(0), 5, 2),
                                          [0] * 5, method="doubling")
    with pytest.raises(InvalidValueError, match="scratch is used by the direct exchange.*'p2p'"):
        dist.minimal_complete_abstraction(Computation([1, 0]), [0, 1], shuffle="p2p",
                                          scratch="/tmp")
    with pytest.raises(InvalidTypeError, match="scratch must be a path, got int"):
        dist.minimal_complete_abstraction(Computation([1, 0]), [0, 1], scratch=3)


@slow
def test_a_step_out_of_range_in_a_dask_array_is_named(client):
    """A dask array's chunks are checked on the workers; the error names the state."""
    with pytest.raises(InvalidValueError, match=r"step\[5\] = 9"):
        dist.minimal_complete_abstraction(da.from_array(np.array([0, 1, 2, 3, 4, 9]), chunks=2),
                                          np.zeros(6, dtype=int), client=client)


def test_a_run_beyond_the_workers_memory_is_pointed_to_scratch(caplog):
    """Without scratch=, more states than the workers' limits hold: one logged line says so."""

    class Cluster(_SyncClient):
        def __init__(self, limits):
            super().__init__()
            self.limits = limits

        def scheduler_info(self):
            return {"workers": {str(i): {"memory_limit": m} for i, m in enumerate(self.limits)}}

    assert dist._memory_advice(Cluster([10**9, 10**9]), 10**7) is None
    assert dist._memory_advice(Cluster([10**9, 0]), 10**9) is None  # a worker without a limit
    assert dist._memory_advice(object(), 10**9) is None  # a cluster that does not say
    advice = dist._memory_advice(Cluster([10**9, 10**9]), 10**8)
    assert "6.0 GB" in advice and "2.0 GB" in advice and "scratch=" in advice
    # The call logs it, and still answers (the limits are the stub's, not real).
    step = np.array([1, 2, 0, 0])
    with caplog.at_level("WARNING", logger="abstractions"):
        result = dist.minimal_complete_abstraction(step, [0, 1, 0, 1],
                                                   client=Cluster([10, 10]), chunk_size=2)
    assert "pass scratch=" in caplog.text
    assert result.n_blocks == minimal_complete_abstraction(
        Computation(step), Partition.from_labels([0, 1, 0, 1])).n_blocks
    caplog.clear()
    with caplog.at_level("WARNING", logger="abstractions"):
        dist.minimal_complete_abstraction(step, [0, 1, 0, 1], client=Cluster([10**6]),
                                          chunk_size=2)
    assert "scratch=" not in caplog.text


def test_too_large_to_gather_is_refused_before_work():
    """Without a client or a store, an answer above max_gather is refused up front."""
    from abstractions import TooLargeError

    with pytest.raises(TooLargeError, match="max_gather"):
        dist.minimal_complete_abstraction(Computation([1, 0, 0]), [0, 1, 1], max_gather=2)


@slow
@pytest.mark.parametrize("on_disk", [False, True])
def test_killed_worker_never_gives_a_wrong_partition(client, tmp_path, on_disk):
    """A worker killed mid-round: the answer is recomputed, or a ClusterError is raised.

    Also with every round's values in scratch files, where a lost task is
    recomputed from files (and its files rewritten).
    """
    rng = np.random.default_rng(9)
    n = 3000
    step = rng.integers(0, n, n)
    beta = rng.integers(0, 2, n)
    expected = minimal_complete_abstraction(Computation(step), Partition.from_labels(beta))
    workers = list(client.scheduler_info()["workers"])
    stop, killed = threading.Event(), threading.Event()

    def kill() -> None:
        time.sleep(1.5)
        if stop.is_set():
            return
        try:
            client.run(os._exit, 1, workers=[workers[0]])
        except Exception:
            pass
        killed.set()

    killer = threading.Thread(target=kill)
    killer.start()
    try:
        result = dist.minimal_complete_abstraction(
            step, beta, client=client, chunk_size=300, retries=2,
            scratch=tmp_path / "scratch" if on_disk else None)
    except dist.ClusterError:
        pass  # a clear error is allowed; a wrong answer is not
    else:
        _same(result, expected)
    finally:
        stop.set()
        killer.join()
    client.wait_for_workers(2, timeout=120)
    if killed.is_set():
        # The nanny restarted the killed worker under a new address.
        assert workers[0] not in client.scheduler_info()["workers"]
    else:  # pragma: no cover - the solve finished within 1.5 s: nothing was killed
        pytest.skip("the computation ended before the worker could be killed")
