"""benchmarks/variables.py stays runnable, and its answers are right."""

from __future__ import annotations

import numpy as np

from abstractions import Partition, variable_abstraction
from benchmarks import variables


def test_the_benchmark_runs_at_a_small_size(capsys):
    """Every abstraction is timed; each support determines it, of the size worked out by hand."""
    rows = variables.main(["--bits", "12", "--repeats", "1"])
    C = variables.instance(12)
    m = np.arange(C.n, dtype=np.int64)
    sizes = {"low6": 2, "parity8": 2, "pairs": 3, "bit19": 0}
    for row in rows:
        alpha = Partition.kernel(variables.ABSTRACTIONS[row["abstraction"]](m))
        assert alpha <= variable_abstraction(C, row["support"])
        assert len(row["support"]) == sizes[row["abstraction"]]
        assert row["seconds"] > 0
    assert capsys.readouterr().out.count("time=") == 4
