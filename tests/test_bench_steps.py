"""benchmarks/steps.py stays runnable, and its instances are what it says."""

from __future__ import annotations

from abstractions import Partition, stuttering_abstraction
from benchmarks import steps


def test_the_benchmark_runs_at_a_tiny_size(capsys):
    """Every job runs and reports both times and their ratio."""
    rows = steps.main(["--n", "300", "--repeats", "1", "--density", "0.5", "--beta", "rare"])
    assert [row["job"] for row in rows] == ["first_return", "stuttering", "branching"]
    assert all(row["ratio"] > 0 for row in rows)
    assert capsys.readouterr().out.count("ratio=") == 3


def test_the_pipeline_is_a_buffer():
    """A pipeline of k stages: 3**k states, a FIFO buffer of 2**(k+1) - 1 states as quotient."""
    for k in (2, 3, 4):
        T = steps.pipeline_lts(k)
        P = stuttering_abstraction(T, Partition.bottom(T.n), silent="tau")
        assert T.n == 3**k and P.n_blocks == 2 ** (k + 1) - 1
