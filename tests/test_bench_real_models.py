"""The real-models benchmark stays runnable, and ours agrees with Storm on the shipped DTMCs."""

from __future__ import annotations

import pytest

from tests.helpers import require_extra

require_extra("models", module_level=True)

from benchmarks import real_models as bench  # noqa: E402


@pytest.mark.parametrize("name", ["leader-3-5.pm", "nand-5-2.pm", "brp-16-2.pm"])
def test_ours_and_storm_find_the_same_blocks(name: str) -> None:
    """Float and exact: the same number of blocks as Storm's bisimulation, positive times."""
    row = bench.measure(bench.build(name, {}), repeats=1)
    assert row["blocks"] == row["storm_blocks"] > 1
    assert min(row["storm_seconds"], row["solve_seconds"], row["quotient_seconds"]) > 0
    exact = bench.measure(bench.build(name, {}, "rational"), 1, bench.build(name, {}, "function"))
    assert exact["blocks"] == exact["storm_blocks"] == row["blocks"]


def test_constants_are_written_into_the_text() -> None:
    """A constant fixed in the file is rewritten (a larger brp), an unknown one refused."""
    small = bench.build("brp.pm", {"N": 4, "MAX": 2})
    larger = bench.build("brp.pm", {"N": 8, "MAX": 2})
    assert larger.nr_states > small.nr_states
    with pytest.raises(ValueError, match="no constant"):
        bench.build("leader-3-5.pm", {"Q": 1})


def test_table_and_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    """main() prints one table row per model and exits 0 when the blocks agree."""
    assert bench.main(["--sizes", "small", "--models", "leader-3-5.pm", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert "| leader-3-5.pm | (shipped) | 273 |" in out
    assert "python -m benchmarks.real_models --sizes small" in out
