"""Every script in examples/ runs, draws its figures, and matches what the docs show.

The examples check their own results with asserts; here they run with an
output directory under tmp_path (never the repository), on the Agg backend
(set in conftest.py).
"""

import re
import runpy
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

from tests.helpers import require_extra

ROOT = Path(__file__).parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
DOCS = ROOT / "docs"
#: Examples that need an optional extra: skipped, with the reason, where it is missing.
REQUIRES = {"rnn_backdoor": ("torch", "learned")}


def test_there_are_examples():
    """The examples folder holds the ten worked examples (so the parametrised tests run)."""
    assert {p.stem for p in EXAMPLES} >= {
        "counter_mod_n", "bit_serial_parity", "ripple_carry_adder", "bubble_sort",
        "ball_catching_robot", "rule90", "lattice",
        # systems beyond one transition function: DFA, bisimulation, lumping
        "dfa_divisible_by_3", "protocol_bisimulation", "cube_lumping",
    }


#: Examples that take minutes (training a network): in the slow tier.
SLOW = {"rnn_backdoor"}
#: Examples that train in floats: the rounding of torch's CPU kernels differs
#: between vector units (AVX2, AVX-512), so their digits differ from machine to
#: machine. Their text is compared with the numbers masked; the example asserts
#: its claims (accuracy, ROC AUC) itself.
TRAINED = {"rnn_backdoor"}


def _masked(text):
    """The text with every number replaced by one placeholder."""
    return re.sub(r"\d+(\.\d+)?", "#", text)


def _cases(paths):
    """The paths as parameters, the slow ones marked so."""
    return [pytest.param(p, id=p.stem, marks=[pytest.mark.slow] if p.stem in SLOW else [])
            for p in paths]


@pytest.mark.parametrize("path", _cases(EXAMPLES))
def test_example_runs(path, capsys, tmp_path, monkeypatch):
    """The example runs, prints what the docs show, and saves the figures the docs show."""
    for extra in REQUIRES.get(path.stem, ()):
        require_extra(extra)
    monkeypatch.setattr(sys, "argv", [str(path), str(tmp_path)])
    runpy.run_path(str(path), run_name="__main__")
    out = capsys.readouterr().out
    assert out.strip()
    shown = DOCS / "output" / f"{path.stem}.txt"
    if path.stem in TRAINED:
        out, docs = _masked(out), _masked(shown.read_text())
    else:
        docs = shown.read_text()
    assert out == docs, f"{shown} is stale: run python docs/gen_figures.py"
    drawn = sorted(p.name for p in tmp_path.glob("*.png"))
    assert drawn, "the example draws nothing"
    assert all(name.startswith(path.stem) for name in drawn)
    committed = sorted(p.name for p in (DOCS / "images").glob(f"{path.stem}*.png"))
    assert drawn == committed
    assert not plt.get_fignums(), "the example left figures open"
