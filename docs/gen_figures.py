"""Regenerate the example outputs and pictures shown on the documentation site.

Runs every script in examples/ with docs/images/ as its output directory,
and every how-to script in docs/howto/ (but those in ``VARIES``, whose output
changes from run to run), and stores what each prints in
docs/output/<name>.txt (the tests check that these stay current). Run from
the repository root:

    python docs/gen_figures.py
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: How-to scripts whose output varies (a cluster's dashboard address): checked by their asserts.
VARIES = {"scale_out"}


def main() -> None:
    images = ROOT / "docs" / "images"
    outputs = ROOT / "docs" / "output"
    images.mkdir(exist_ok=True)
    outputs.mkdir(exist_ok=True)
    env = dict(os.environ, MPLBACKEND="Agg")
    for script in sorted((ROOT / "examples").glob("*.py")):
        result = subprocess.run(
            [sys.executable, str(script), str(images)],
            env=env, cwd=ROOT, capture_output=True, text=True, check=True,
        )
        (outputs / f"{script.stem}.txt").write_text(result.stdout)
        print(f"{script.name}: ok")
    for script in sorted((ROOT / "docs" / "howto").glob("*.py")):
        if script.stem in VARIES:
            continue
        result = subprocess.run(
            [sys.executable, str(script)], env=env, cwd=ROOT, capture_output=True, text=True,
            check=True,
        )
        (outputs / f"{script.stem}.txt").write_text(result.stdout)
        print(f"{script.name}: ok")


if __name__ == "__main__":
    main()
