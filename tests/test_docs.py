"""The documentation site: every code block is a tested script, every page is in the nav."""

import re
import runpy
import sys
from pathlib import Path

import pytest

from tests.helpers import require_extra

ROOT = Path(__file__).parent.parent
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.rglob("*.md"))
HOWTOS = sorted((DOCS / "howto").glob("*.py"))
#: How-to scripts whose printed output varies (a dashboard address): their asserts check them.
VARIES = {"scale_out"}
FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.S | re.M)
SNIPPET = re.compile(r'^--8<-- "([^"]+)"$')


def test_there_are_howto_scripts():
    """The how-to scripts exist (so the parametrised test below runs)."""
    assert len(HOWTOS) >= 5


#: How-to scripts that need an optional extra: skipped, with the reason, where it is missing.
REQUIRES = {"scale_out": ("distributed",)}


@pytest.mark.parametrize("path", [
    pytest.param(p, id=p.stem, marks=[pytest.mark.slow] if p.stem in REQUIRES else [])
    for p in HOWTOS
])  # the scale-out how-to starts a cluster: minutes, in the slow tier
def test_howto_runs(path, capsys, monkeypatch):
    """Each how-to script runs (its asserts check what the page says) and prints something."""
    for extra in REQUIRES.get(path.stem, ()):
        require_extra(extra)
    monkeypatch.setattr(sys, "argv", [str(path)])
    runpy.run_path(str(path), run_name="__main__")
    out = capsys.readouterr().out
    assert out.strip()
    if path.stem not in VARIES:
        shown = DOCS / "output" / f"{path.stem}.txt"
        assert out == shown.read_text(), f"{shown} is stale: run python docs/gen_figures.py"


def test_howto_and_example_outputs_do_not_collide():
    """docs/output/ holds one file per example and per how-to: no name is both."""
    examples = {p.stem for p in (ROOT / "examples").glob("*.py")}
    assert not examples & {p.stem for p in HOWTOS}


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(DOCS)) for p in PAGES])
def test_code_blocks_are_included_tested_files(page):
    """A code block on the site only includes a file: an example, a how-to script or its output."""
    for block in FENCE.findall(page.read_text()):
        lines = block.strip().splitlines()
        assert len(lines) == 1, f"{page.name}: free-standing code block {block!r}"
        match = SNIPPET.match(lines[0])
        assert match, f"{page.name}: code block is not a snippet include: {block!r}"
        included = ROOT / match.group(1)
        assert included.is_file(), f"{page.name}: {included} does not exist"
        assert included.parent in {ROOT / "examples", DOCS / "howto", DOCS / "output"}


def test_quick_start_is_short():
    """The home page's quick start is at most 10 lines."""
    lines = (DOCS / "howto" / "quickstart.py").read_text().strip().splitlines()
    assert len(lines) <= 10


def test_every_example_has_a_page():
    """Each example has a gallery page that includes its code, output and pictures."""
    for script in sorted((ROOT / "examples").glob("*.py")):
        page = (DOCS / "examples" / f"{script.stem}.md").read_text()
        assert f'--8<-- "examples/{script.name}"' in page
        assert f'--8<-- "docs/output/{script.stem}.txt"' in page
        for image in (DOCS / "images").glob(f"{script.stem}*.png"):
            assert f"../images/{image.name}" in page
