"""The systems benchmark stays runnable and its agreement check stays honest.

Runs ``benchmarks.systems`` at tiny n with every solver (ours and the peers
of the ``test`` extra; a peer's test skips, saying why, where its library
is missing), in this process and once through the real fresh-process
protocol; checks the instances and that a wrong answer is reported, with a
witness that blames the right solver.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from benchmarks import harness, peers
from benchmarks import systems as bench
from tests.helpers import require_peer


@pytest.mark.parametrize("job", list(bench.DEFAULT_JOBS))
def test_instances_are_seeded_and_well_formed(job: str) -> None:
    """Same seed, same arrays; CSR rows hold distinct sorted successors; rows sum to 1."""
    a, b = bench.make_instance(job, 500, seed=4), bench.make_instance(job, 500, seed=4)
    c = bench.make_instance(job, 500, seed=5)
    assert a.n == 500 and set(np.unique(a.beta).tolist()) == {0, 1}
    np.testing.assert_array_equal(a.beta, b.beta)
    assert not np.array_equal(a.beta, c.beta)
    if job == "dfa":
        assert a.steps.shape == (2, 500) and a.m == 1000
        np.testing.assert_array_equal(a.steps, b.steps)
        return
    np.testing.assert_array_equal(a.targets, b.targets)
    degrees = np.diff(a.indptr)
    assert degrees.min() >= 1 and degrees.max() == bench.DEGREE
    assert a.m == a.targets.size == a.indptr[-1]
    for s in range(a.n):
        row = a.targets[a.indptr[s] : a.indptr[s + 1]]
        assert np.all(np.diff(row) > 0)  # sorted, no duplicates
    if job == "lumping":
        assert set(np.unique(a.weights).tolist()) <= {1, 2, 3}
        sums = np.add.reduceat(a.probabilities(), a.indptr[:-1])
        np.testing.assert_allclose(sums, 1.0, rtol=0, atol=1e-12)
        assert sum(a.fractions()[: a.indptr[1]]) == 1


@pytest.mark.parametrize("job", ["dfa-chain", "nondeterministic-chain", "lumping-chain"])
def test_chain_instances(job: str, tmp_path: Path) -> None:
    """A chain marked at its end, in each kind; each of our solvers finds n blocks."""
    inst = bench.make_instance(job, 50)
    assert inst.beta.tolist() == [0] * 49 + [1]
    succ = inst.steps[1] if inst.steps is not None else inst.targets
    assert succ.tolist() == list(range(1, 50)) + [49]
    assert bench.states_for(job, 1000) == (500 if job == "dfa-chain" else 1000)
    ours = [s for s in bench.JOB_SOLVERS[job] if s.startswith("ours")]
    rows = bench.run_jobs([12], [job], ours, runner=bench.inprocess_runner, workdir=tmp_path)
    assert [r["solver"] for r in rows] == ours
    for row in rows:
        assert row["status"] == "ok" and row["same"] is True and row["blocks"] == 12, row
        assert row["compared"] == "partition" and row["checked_against"] == "ours:reference"


def _twins(inst: harness.Instance) -> harness.Instance:
    """Two disjoint copies of ``inst``: state s and its twin s + n always share a block.

    Small random systems are discrete (every state its own block), where any
    two answers agree; twins make the partitions worth comparing.
    """
    n = inst.n
    beta = np.tile(inst.beta, 2)
    if inst.steps is not None:
        return harness.Instance(inst.kind, beta, steps=np.hstack([inst.steps, inst.steps + n]))
    assert inst.indptr is not None and inst.targets is not None
    indptr = np.concatenate([inst.indptr, inst.indptr[1:] + inst.indptr[-1]])
    targets = np.concatenate([inst.targets, inst.targets + n])
    weights = None if inst.weights is None else np.tile(inst.weights, 2)
    return harness.Instance(inst.kind, beta, indptr=indptr, targets=targets, weights=weights)


@pytest.fixture
def twin_jobs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every job's instance of n states is two copies of its instance of n // 2."""
    for job, make in list(bench.JOBS.items()):
        monkeypatch.setitem(bench.JOBS, job, lambda n, seed, make=make: _twins(make(n // 2, seed)))


def _assert_twins_together(rows: list[dict[str, Any]], n: int) -> None:
    for row in rows:
        assert row["status"] == "ok", row
        assert row["blocks"] <= n // 2, row


@pytest.mark.usefixtures("twin_jobs")
def test_benchmark_in_process_agrees(tmp_path: Path) -> None:
    """Every one of our solvers agrees with the reference on every job, partition by partition."""
    ours = ["ours", "ours:exact", "ours:reference"]
    rows = bench.run_jobs([30], solvers=ours, runner=bench.inprocess_runner, workdir=tmp_path)
    assert [(r["family"], r["solver"]) for r in rows] == [
        (job, s) for job in bench.DEFAULT_JOBS for s in bench.JOB_SOLVERS[job] if s in ours
    ]
    _assert_twins_together(rows, 30)
    for row in rows:
        assert row["same"] is True and row["compared"] == "partition", row
        assert row["checked_against"] == "ours:reference"
    base = next(r for r in rows if r["solver"] == "ours:reference")
    assert "(base)" in bench.format_row(base)
    table = bench.speedups(rows)
    assert [(e["job"], e["n"]) for e in table] == [(job, 30) for job in bench.DEFAULT_JOBS]
    assert "ours:reference" in bench.format_speedups(table, 60.0)


_PEER_JOBS = [
    (job, peer) for job, solvers in bench.JOB_SOLVERS.items() for peer in solvers
    if peer in peers.PEERS
]  # fmt: skip


@pytest.mark.usefixtures("twin_jobs")
@pytest.mark.parametrize(("job", "peer"), _PEER_JOBS)
def test_peer_in_process_agrees(job: str, peer: str, tmp_path: Path) -> None:
    """Each peer agrees with the reference on each of its jobs: state by state where it can.

    Storm does not expose its state-to-block map, so its rows compare the
    number of blocks; every other peer's the whole partition.
    """
    require_peer(peer)
    rows = bench.run_jobs(
        [20], [job], ["ours:reference", peer], runner=bench.inprocess_runner, workdir=tmp_path
    )
    assert [r["solver"] for r in rows] == ["ours:reference", peer]
    _assert_twins_together(rows, 20)
    reference, row = rows
    assert row["same"] is True, row
    assert row["compared"] == ("blocks" if peer == "storm" else "partition")
    assert row["blocks"] == reference["blocks"]


def _wrong_runner(solver_answer: dict[str, Any]) -> Any:
    """In-process runner where solver "bad" answers with the given labels or block count."""

    def run(
        solver: str, job: str, n: int, seed: int, path: Path, *timeouts: float
    ) -> dict[str, Any]:
        if solver != "bad":
            return bench.inprocess_runner(solver, job, n, seed, path, *timeouts)
        labels = solver_answer.get("labels")
        if labels is not None:
            labels = labels(n)
            np.save(path, labels)
        blocks = solver_answer.get("blocks", int(labels.max()) + 1 if labels is not None else 0)
        return {"status": "ok", "m": 0, "seconds": 0.0, "convert_seconds": 0.0,
                "blocks": blocks, "peak_extra_bytes": 0, "bytes_per_state": 0.0}  # fmt: skip

    return run


def _triangles(n: int, seed: int) -> Any:
    """n // 3 disjoint 3-cycles (as a relation), state 3i of each marked."""
    states = np.arange(n - n % 3)
    targets = states - states % 3 + (states + 1) % 3
    beta = (states % 3 == 0).astype(np.int8)
    indptr = np.arange(states.size + 1)
    return harness.Instance("nondeterministic", beta, indptr=indptr, targets=targets)


@pytest.mark.parametrize(
    ("answer", "blame"),
    [
        (lambda n: np.zeros(n, dtype=np.int64), "bad merges states"),  # bottom: ignores beta
        (lambda n: np.arange(n), "so bad is wrong (not coarsest)"),  # top: stable, too fine
    ],
)
def test_wrong_partition_is_blamed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, answer: Any, blame: str
) -> None:
    """A solver with a different partition gets "NO" and a witness naming its fault."""
    monkeypatch.setitem(bench.JOB_SOLVERS, "nondeterministic", ("ours:reference", "bad"))
    # random systems are nearly discrete; here n/3 cycles of length 3, each
    # with one marked state: 3 blocks, neither the top nor the bottom
    monkeypatch.setitem(bench.JOBS, "nondeterministic", _triangles)
    rows = bench.run_jobs(
        [30], ["nondeterministic"], runner=_wrong_runner({"labels": answer}), workdir=tmp_path
    )
    bad = next(r for r in rows if r["solver"] == "bad")
    assert bad["same"] is False and bad["compared"] == "partition"
    assert blame in bad["witness"], bad["witness"]
    assert "NO" in bench.format_row(bad)


def test_wrong_block_count_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A solver without a partition (like Storm) is checked on its number of blocks."""
    monkeypatch.setitem(bench.JOB_SOLVERS, "lumping", ("ours", "bad"))
    rows = bench.run_jobs([25], ["lumping"], runner=_wrong_runner({"blocks": 1}), workdir=tmp_path)
    bad = next(r for r in rows if r["solver"] == "bad")
    ours = next(r for r in rows if r["solver"] == "ours")
    assert ours["checked_against"] == "ours"  # no reference: the majority, ours first
    assert bad["same"] is False and bad["compared"] == "blocks"
    assert bad["witness"].startswith(f"1 blocks, ours has {ours['blocks']}")
    assert "ours's partition is stable" in bad["witness"]


@pytest.mark.slow  # a fresh interpreter that compiles its kernels
def test_subprocess_row(tmp_path: Path) -> None:
    """A row through the real fresh-process protocol: timed, measured, labels saved."""
    path = tmp_path / "ours.npy"
    row = bench.subprocess_runner("ours", "lumping", 40, 0, path, 60.0, 120.0)
    assert row["status"] == "ok", row
    assert row["m"] == bench.make_instance("lumping", 40).m
    assert row["seconds"] >= 0 and row["peak_extra_bytes"] >= 0
    assert harness.unstable_pair(bench.make_instance("lumping", 40), np.load(path)) is None


@pytest.mark.slow  # a fresh interpreter that compiles its kernels
def test_subprocess_row_without_labels(tmp_path: Path) -> None:
    """Storm's row in a fresh process counts blocks and saves no labels."""
    require_peer("storm")
    path = tmp_path / "storm.npy"
    row = bench.subprocess_runner("storm", "lumping", 40, 0, path, 60.0, 120.0)
    assert row["status"] == "ok", row
    reference = bench.run_child("ours:reference", "lumping", 40, 0, tmp_path / "ref.npy")
    assert row["blocks"] == reference["blocks"]
    assert not path.exists()


def test_speedups_mark_timeouts() -> None:
    """A peer that timed out shows as a lower bound on the speed-up."""
    rows = [
        {"family": "dfa", "n": 10, "solver": "ours", "status": "ok", "seconds": 0.5, "m": 20},
        {"family": "dfa", "n": 10, "solver": "storm", "status": "ok", "seconds": 2.0},
        {"family": "dfa", "n": 10, "solver": "fast", "status": "ok", "seconds": 0.42},
        {"family": "dfa", "n": 10, "solver": "pyformlang", "status": "timeout", "seconds": None},
        {"family": "dfa", "n": 10, "solver": "bispy", "status": "skipped", "seconds": None},
    ]
    (entry,) = bench.speedups(rows)
    assert entry["storm"] == (2.0, 4.0)
    assert entry["pyformlang"] == ("timeout", None)
    text = bench.format_speedups([entry], 60.0)
    assert "storm 2 s (4x)" in text and "pyformlang > 60 s (> 120x)" in text
    assert "fast 0.42 s (0.84x)" in text  # a faster peer shows below 1x
    assert "bispy skipped" in text


def test_solver_selection_and_transition_sizes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Names pick solvers per job ("peers", "all"); unknown names are refused; m -> n."""
    monkeypatch.setattr(peers, "installed", lambda peer: True)
    assert bench.select_solvers("dfa", ["ours", "storm", "bispy"]) == ["ours", "storm"]
    assert bench.select_solvers("lumping", ["peers"]) == ["storm"]
    assert bench.select_solvers("nondeterministic", None) == bench.select_solvers(
        "nondeterministic", ["all"]
    )
    with pytest.raises(ValueError, match="unknown solvers"):
        bench.select_solvers("dfa", ["ours:fast"])
    # a peer that is not installed is left out, by name or in a group
    monkeypatch.setattr(peers, "installed", lambda peer: peer != "storm")
    assert bench.select_solvers("lumping", ["peers"]) == []
    assert bench.select_solvers("dfa", ["ours", "storm"]) == ["ours"]
    assert bench.states_for("dfa", 10**7) == 5 * 10**6
    n = bench.states_for("lumping", 30_000)
    assert abs(bench.make_instance("lumping", n).m - 30_000) < 30
