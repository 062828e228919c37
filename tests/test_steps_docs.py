"""The outputs that the docs show beside the how-to scripts are current."""

import runpy
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
SHOWN = [p for p in sorted((ROOT / "docs" / "howto").glob("*.py"))
         if (ROOT / "docs" / "output" / f"{p.stem}.txt").exists()]


def test_the_steps_page_shows_outputs():
    """The high-level steps page includes the outputs of its three scripts."""
    assert {p.stem for p in SHOWN} >= {"power_and_schedule", "finish_by_schedule", "stuttering"}


@pytest.mark.parametrize("path", SHOWN, ids=[p.stem for p in SHOWN])
def test_shown_output_is_current(path, capsys, monkeypatch):
    """docs/output/<script>.txt is what docs/howto/<script>.py prints."""
    monkeypatch.setattr(sys, "argv", [str(path)])
    runpy.run_path(str(path), run_name="__main__")
    assert capsys.readouterr().out == (ROOT / "docs" / "output" / f"{path.stem}.txt").read_text()
