"""The benchmark harness and the minimal job stay runnable, and their checks stay honest.

Runs ``benchmarks.minimal`` at tiny n with our methods and the peers (each
peer test skips, saying why, where its library is missing); the DFA
encoding used for the automata libraries is checked against a pure-Python
minimiser twin, so it is tested even where the peers are not installed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from abstractions import Computation, Partition, minimal_complete_abstraction
from benchmarks import harness, minimal, plot
from benchmarks.harness import Instance
from tests.helpers import require_peer


def _reference(inst: Instance) -> np.ndarray:
    C = Computation(inst.steps[0])
    beta = Partition.from_labels(inst.beta)
    return minimal_complete_abstraction(C, beta, method="reference").labels


def _minimise_dfa(delta_a: list[int], delta_b: list[int], final: int) -> list[int]:
    """Naive twin of Hopcroft: Moore refinement of a complete DFA over {a, b}.

    Start from final / non-final and split by (block, block after a, block
    after b) until nothing changes; returns a block id per state.
    """
    block = [int(s == final) for s in range(len(delta_a))]
    while True:
        keys = [(block[s], block[delta_a[s]], block[delta_b[s]]) for s in range(len(block))]
        ids: dict[tuple[int, int, int], int] = {}
        new = [ids.setdefault(key, len(ids)) for key in keys]
        if len(ids) == len(set(block)):
            return new
        block = new


def _instances() -> list[tuple[str, Instance]]:
    cases = [
        (f"{fam}-{n}", minimal.make_instance(fam, n, seed=3))
        for fam in minimal.FAMILIES
        for n in (1, 2, 7, 40)
    ]
    rng = np.random.default_rng(11)
    for n in (1, 3, 9, 25):
        for k in (1, 2, 5, n):
            step = rng.integers(0, n, size=n)
            beta = rng.integers(0, k, size=n)
            beta = np.unique(beta, return_inverse=True)[1]  # class ids 0 .. k'-1
            cases.append((f"random n={n} k={k}", Instance("labelled", beta, steps=step[None])))
    return cases


@pytest.mark.parametrize(("name", "inst"), _instances(), ids=[name for name, _ in _instances()])
def test_dfa_encoding_gives_our_partition(name: str, inst: Instance) -> None:
    """Minimising the gadget DFA and restricting to the original states is our partition."""
    enc = minimal.dfa_encoding(inst)
    n, k = inst.n, int(inst.beta.max()) + 1
    assert enc.n_states == n + k + 1 and enc.accepting == [n]
    blocks = _minimise_dfa(enc.steps[0].tolist(), enc.steps[1].tolist(), enc.accepting[0])
    np.testing.assert_array_equal(harness.canonical(blocks[:n]), _reference(inst))
    # the gadget states q_0 .. q_{k-1} and the dead state are pairwise
    # distinguishable and never equivalent to an original state
    gadget = set(blocks[n:])
    assert len(gadget) == k + 1
    assert gadget.isdisjoint(blocks[:n])


def test_canonical_and_disagreement() -> None:
    """Canonical labels number blocks by first occurrence; witnesses name a split pair."""
    np.testing.assert_array_equal(harness.canonical([7, 7, 3, 9, 3]), [0, 0, 1, 2, 1])
    a = np.array([0, 0, 1, 1])
    assert harness.disagreement(a, a.copy()) is None
    assert harness.disagreement(a, np.array([0, 1, 2, 2])) == ("a", 0, 1)
    assert harness.disagreement(np.array([0, 1, 2, 2]), a) == ("b", 0, 1)


def test_unstable_pair_of_a_step() -> None:
    """One letter: states of one block whose steps land in different blocks are named."""
    chain = minimal.make_instance("chain", 5)  # 0 -> 1 -> 2 -> 3 -> 4, only 4 marked
    assert harness.unstable_pair(chain, chain.beta) == (0, 3)  # 3 steps into the mark
    assert harness.unstable_pair(chain, np.arange(5)) is None
    cycles = minimal.make_instance("cycles", 8)  # four 2-cycles, each marked once
    assert harness.unstable_pair(cycles, cycles.beta) is None


def test_benchmark_in_process_agrees(tmp_path: Path) -> None:
    """Every one of our methods returns the reference's partition on every family."""
    solvers = [s for s in minimal.available_solvers() if s.startswith("ours:")]
    rows = minimal.run([12], solvers, runner=minimal.inprocess_runner, workdir=tmp_path)
    assert len(rows) == len(solvers) * len(minimal.DEFAULT_FAMILIES)
    for row in rows:
        assert row["status"] == "ok", row
        assert row["same"] is True and row["compared"] == "partition", row
        assert row["checked_against"] == "ours:reference"
    chain = [r for r in rows if r["family"] == "chain"]
    assert {r["blocks"] for r in chain} == {12}
    base = next(r for r in chain if r["solver"] == "ours:reference")
    assert "(base)" in minimal.format_row(base)


@pytest.mark.parametrize("peer", minimal.PEERS)
def test_peer_in_process_agrees(peer: str, tmp_path: Path) -> None:
    """Each peer returns the reference's partition, state by state, on every family."""
    require_peer(peer)
    solvers = ["ours:reference", peer]
    rows = minimal.run([12], solvers, runner=minimal.inprocess_runner, workdir=tmp_path)
    assert len(rows) == 2 * len(minimal.DEFAULT_FAMILIES)
    for row in rows:
        assert row["status"] == "ok", row
        assert row["same"] is True and row["compared"] == "partition", row


def _wrong_runner(wrong: str) -> Any:
    """In-process runner where solver "bad" answers with the ``wrong`` partition."""

    def run(
        solver: str, family: str, n: int, seed: int, path: Path, *timeouts: float
    ) -> dict[str, Any]:
        if solver != "bad":
            return minimal.inprocess_runner(solver, family, n, seed, path, *timeouts)
        labels = np.zeros(n, dtype=np.int64) if wrong == "bottom" else np.arange(n)
        np.save(path, labels)
        return {
            "status": "ok",
            "seconds": 0.0,
            "blocks": int(labels.max()) + 1,
            "peak_extra_bytes": 0,
            "bytes_per_state": 0.0,
        }

    return run


@pytest.mark.parametrize(
    ("wrong", "blame"),
    [("bottom", "bad merges states"), ("top", "so bad is wrong (not coarsest)")],
)
def test_disagreement_is_reported_with_witness(tmp_path: Path, wrong: str, blame: str) -> None:
    """A solver returning a different partition gets "no" and a witness that blames it."""
    rows = minimal.run(
        [12], ["ours:reference", "bad"], ["cycles"], runner=_wrong_runner(wrong), workdir=tmp_path
    )
    bad = rows[1]
    assert bad["same"] is False
    assert blame in bad["witness"]
    assert "NO" in minimal.format_row(bad)


def test_baseline_without_reference_is_majority(tmp_path: Path) -> None:
    """Without the reference, the majority answer is the baseline, ours on a tie."""
    runner = _wrong_runner("top")

    def run(solver: str, *args: Any) -> dict[str, Any]:
        if solver == "ours:reference":
            return {"status": "timeout", "seconds": None}
        return runner(solver, *args)

    # "bad" comes first, so a tie (one vote each) must go to our method
    rows = minimal.run(
        [10],
        ["ours:reference", "bad", "ours:auto"],
        ["chain", "cycles"],
        runner=run,
        workdir=tmp_path,
    )
    cycles = {r["solver"]: r for r in rows if r["family"] == "cycles"}
    assert cycles["ours:reference"]["same"] is None
    assert cycles["ours:auto"]["checked_against"] == "ours:auto"
    assert cycles["bad"]["same"] is False
    # a timeout on the smaller size of a family skips the larger ones (here: one size)
    assert all(r["status"] == "timeout" for r in rows if r["solver"] == "ours:reference")


@pytest.mark.slow  # a fresh interpreter that compiles its kernels
def test_subprocess_row(tmp_path: Path) -> None:
    """One row through the real fresh-process protocol: timed, measured, labels saved."""
    path = tmp_path / "row.npy"
    row = minimal.subprocess_runner("ours:reference", "chain", 30, 0, path, 60.0, 120.0)
    assert row["status"] == "ok", row
    assert row["blocks"] == 30
    assert row["seconds"] >= 0 and row["peak_extra_bytes"] >= 0
    np.testing.assert_array_equal(np.load(path), np.arange(30))


def test_plot_series() -> None:
    """The plot reads finished rows per family and solver, sorted by n."""
    document = {
        "rows": [
            {"family": "chain", "n": 100, "solver": "x", "status": "ok", "seconds": 2.0},
            {"family": "chain", "n": 10, "solver": "x", "status": "ok", "seconds": 1.0},
            {"family": "chain", "n": 1000, "solver": "x", "status": "timeout", "seconds": None},
        ]
    }
    assert plot.series(document) == {"chain": {"x": [(10, 1.0), (100, 2.0)]}}


def test_plot_merges_result_files() -> None:
    """Rows of several runs are drawn together; gather baselines are merged by n."""
    small = {"timeout": 60, "rows": [{"n": 10}], "gather": [{"n": 10, "seconds": 1.0}]}
    large = {"timeout": 120, "rows": [{"n": 10**6}], "gather": [{"n": 10**6, "seconds": 3.0}]}
    merged = plot.merge([large, small])
    assert merged["timeout"] == 120
    assert merged["rows"] == [{"n": 10**6, "timeout": 120}, {"n": 10, "timeout": 60}]
    assert [g["n"] for g in merged["gather"]] == [10, 10**6]


def test_hopeless_sizes_are_skipped(tmp_path: Path) -> None:
    """A solver whose time, scaled linearly, would exceed the timeout is not started."""
    calls: list[int] = []

    def run(solver: str, family: str, n: int, seed: int, path: Path, *_: float) -> dict[str, Any]:
        calls.append(n)
        np.save(path, np.arange(n))
        return {"status": "ok", "seconds": n / 10, "blocks": n, "peak_extra_bytes": 0,
                "bytes_per_state": 0.0}  # fmt: skip

    rows = minimal.run(
        [10, 100, 1000], ["slow"], ["chain"], timeout=50.0, runner=run, workdir=tmp_path
    )
    assert calls == [10, 100]  # 10 s at n=100 predicts >= 100 s > 50 s at n=1000
    assert [r["status"] for r in rows] == ["ok", "ok", "skipped"]
    assert "predicted" in rows[2]["reason"]
    assert "predicted" in minimal.format_row(rows[2])


def test_subprocess_row_error(tmp_path: Path) -> None:
    """A child that fails is reported as an error with the end of its traceback."""
    row = minimal.subprocess_runner("no-such-solver", "chain", 5, 0, tmp_path / "x.npy", 60.0, 60.0)
    assert row["status"] == "error"
    assert "no-such-solver" in row["error"]


def test_command_line_writes_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``python -m benchmarks.minimal`` prints the table and writes the documented JSON.

    Rows run in this process here (the fresh-process protocol has its own
    test above), and the numba cache is not warmed in a separate process.
    """
    monkeypatch.setattr(minimal, "subprocess_runner", minimal.inprocess_runner)
    monkeypatch.setattr(minimal, "_first_call", lambda method: None)
    out = tmp_path / "run.json"
    argv = ["--sizes", "8", "--solvers", "ours:reference", "--families", "chain",
            "--no-baselines", "--json", str(out)]  # fmt: skip
    assert minimal.main(argv) == 0
    printed = capsys.readouterr().out
    assert "agreement: yes, in all 1 rows" in printed and f"results written to {out}" in printed
    document = json.loads(out.read_text())
    assert {"created", "machine", "versions", "argv", "timeout", "seed", "gather",
            "first_call", "rows"} <= set(document)  # fmt: skip
    (row,) = document["rows"]
    assert row["family"] == "chain" and row["n"] == 8 and row["status"] == "ok"
    assert row["blocks"] == 8 and row["same"] is True
    assert document["versions"]["abstractions"]
