"""Plot a results JSON of benchmarks.minimal: seconds vs n, log-log, one panel per family.

Run (from the repository root)::

    python -m benchmarks.plot benchmarks/results/latest.json \
        --out docs/images/performance.png

Several results files (say the peers up to 10^5 and ours up to 10^8) are
drawn together.

Solvers are drawn up to their last finished size; a timeout is an x at the
timeout.
The numpy gather ``labels[step]`` (and 10x it, the fast-core target) is drawn
dashed when the JSON has it. Needs matplotlib (imported only when plotting).
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.harness import RESULTS_DIR

__all__ = ["main", "merge", "plot", "series"]


def series(document: dict[str, Any]) -> dict[str, dict[str, list[tuple[int, float]]]]:
    """``{family: {solver: [(n, seconds), ...]}}`` of the finished rows, sorted by n."""
    out: dict[str, dict[str, list[tuple[int, float]]]] = defaultdict(lambda: defaultdict(list))
    for row in document["rows"]:
        if row["status"] == "ok":
            out[row["family"]][row["solver"]].append((row["n"], row["seconds"]))
    return {fam: {s: sorted(pts) for s, pts in by.items()} for fam, by in out.items()}


def merge(documents: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One document with the rows and gather baselines of all; settings from the first."""
    merged = dict(documents[0])
    # Each row keeps its own run's timeout, where its x is drawn.
    merged["rows"] = [
        {"timeout": doc.get("timeout", 60.0), **row} for doc in documents for row in doc["rows"]
    ]
    gathers = {g["n"]: g for doc in documents for g in doc.get("gather", [])}
    merged["gather"] = [gathers[n] for n in sorted(gathers)]
    return merged


def plot(document: dict[str, Any], out: Path, title: str | None = None) -> Path:
    """Draw the figure for ``document`` into ``out`` (png, svg, pdf ...)."""
    import matplotlib

    matplotlib.use("Agg")  # files only; never needs a display
    import matplotlib.pyplot as plt

    data = series(document)
    families = list(data)
    if not families:
        raise SystemExit("no finished rows to plot")
    cols = min(2, len(families))
    rows = (len(families) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(6 * cols, 4.2 * rows), squeeze=False)
    solvers = sorted(
        {s for by in data.values() for s in by}, key=lambda s: (not s.startswith("ours"), s)
    )
    colours = {s: f"C{i}" for i, s in enumerate(solvers)}
    gather = sorted((g["n"], g["seconds"]) for g in document.get("gather", []))
    for ax, family in zip(axes.flat, families):
        for solver in solvers:
            points = data[family].get(solver)
            if points:
                ns, secs = zip(*points)
                ax.loglog(ns, secs, "o-", color=colours[solver], label=solver)
        # a timed-out row: an x at the timeout, where its line would leave the plot
        for row in document["rows"]:
            if row["family"] == family and row["status"] == "timeout" and row["solver"] in colours:
                timeout = float(row.get("timeout", document.get("timeout", 60.0)))
                ax.loglog([row["n"]], [timeout], "x", color=colours[row["solver"]], ms=9)
        if gather:
            ns, secs = zip(*gather)
            ax.loglog(ns, secs, "k--", lw=1, label="numpy gather labels[step]")
            ax.loglog(ns, [10 * s for s in secs], "k:", lw=1, label="10x gather (target)")
        ax.set_title(family)
        ax.set_xlabel("states n")
        ax.set_ylabel("seconds (solve only)")
        ax.grid(True, which="major", alpha=0.3)
    for ax in list(axes.flat)[len(families) :]:
        ax.set_visible(False)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    for ax in list(axes.flat)[1 : len(families)]:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    fig.legend(handles, labels, loc="lower center", ncol=min(4, len(labels)), frameon=False)
    machine = document.get("machine", {})
    fig.suptitle(
        title
        or f"minimal complete abstraction: time vs n "
        f"({machine.get('cpus', '?')} cpus, timeout {document.get('timeout', '?')} s)"
    )
    fig.tight_layout(rect=(0, 0.04 + 0.03 * ((len(labels) - 1) // 4), 1, 0.96))
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.plot", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "results",
        type=Path,
        nargs="*",
        default=[RESULTS_DIR / "latest.json"],
        help="one or more results JSONs (e.g. a run of the peers at small n and one of "
        "ours at large n); their rows are drawn together",
    )
    parser.add_argument("--out", type=Path, default=Path("docs/images/performance.png"))
    parser.add_argument("--title", default=None)
    args = parser.parse_args(argv)
    document = merge([json.loads(path.read_text()) for path in args.results])
    print(f"wrote {plot(document, args.out, args.title)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
