"""The per-kernel profile of a solve stays runnable and counts what the kernels do."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks import kernels as bench


def test_profile_counts_each_kernel_call() -> None:
    """A random function solved by the linear method: its kernels, each called once a solve."""
    from abstractions import Computation

    rng = np.random.default_rng(0)
    n = 20_000
    report = bench.profile(Computation(rng.integers(0, n, n), output=rng.integers(0, 2, n)), 2)
    solve = report["solve"]["kernels"]
    assert {"_tree_order", "_cycle_classes", "_tree_classes"} <= set(solve)
    assert all(solve[name]["calls"] == 1 for name in ("_tree_order", "_tree_classes"))
    assert min(report[part]["seconds"] for part in ("first", "solve", "quotient")) > 0
    # The quotient of the partition just solved is not checked again.
    assert "_rows_agree" not in report["quotient"]["kernels"]


def test_command_line(capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    """main() prints each system's solve, quotient and kernels: a function and a saved chain."""
    from abstractions import MarkovChain, save

    rng = np.random.default_rng(1)
    n = 5_000
    # Two steps of probability 1/2 per state, as CSR arrays.
    csr = (np.arange(0, 2 * n + 1, 2), rng.integers(0, n, 2 * n), np.full(2 * n, 0.5))
    path = tmp_path / "chain.npz"
    save(MarkovChain(csr, output=rng.integers(0, 3, n)), path)
    assert bench.main(["--function", "2e4", "--load", str(path), "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert "random function n=20000: 20,000 states" in out
    assert f"{path}: 5,000 states" in out
    assert out.count("  solve: ") == out.count("  quotient: ") == out.count("  first solve: ") == 2
    assert "_tree_order" in out and "page faults" in out
