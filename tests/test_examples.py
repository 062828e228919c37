"""Every script in examples/ runs to completion (their own asserts check the results)."""

import runpy
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.py"))


def test_there_are_examples():
    """The examples folder is not empty (so the parametrised test below runs)."""
    assert EXAMPLES


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs(path, capsys):
    """The example runs without error and prints its findings."""
    runpy.run_path(str(path), run_name="__main__")
    assert capsys.readouterr().out.strip()
