"""Ours against Storm on stormpy's shipped PRISM DTMCs, scaled by their constants.

Real models are not random ones: they have many blocks (often about half
the states), long dependency chains and structured state ids. This job
builds the DTMCs that ship with stormpy (``stormpy.examples.files``:
``brp``, ``crowds``, ``nand``, ``leader``), instantiating their constants
to reach about 10^4, 10^5 and 10^6 states, converts each with
:func:`abstractions.formats.from_stormpy` (not timed), warms both tools
up, then times in one process, alternating:

* Storm: ``stormpy.perform_bisimulation(model, [])`` (strong bisimulation
  respecting every label and reward model; it also builds the quotient);
* ours, solve: ``minimal_complete_abstraction(M, output_abstraction(M))``
  (the labels and rewards are the output);
* ours, quotient: ``abstract_computation(M, P)`` (the lumped chain,
  completeness checked).

Each time is the median of ``--repeats`` alternating runs; the block counts
of the two tools must agree (the job fails otherwise). ``ratio`` is Storm's
time over ours (solve plus quotient): above 1 we are faster.

Run (from the repository root)::

    python -m benchmarks.real_models                      # 10^4 and 10^5 states
    python -m benchmarks.real_models --sizes 1e4 1e5 1e6
    python -m benchmarks.real_models --sizes 1e5 --exact  # rational probabilities

``--exact`` builds the models with exact probabilities for both tools:
ours from ``stormpy.build_model[stormpy.Rational]`` (Fractions, integer
numerators over a common denominator), Storm's from
``stormpy.build_model[stormpy.RationalFunction]`` (constant rational
functions: the exact value type its sparse bisimulation takes; it has no
bisimulation for ``Rational`` models). Prints a markdown table (and writes JSON with
``--json``).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from benchmarks import harness

__all__ = ["MODELS", "build", "main", "measure", "table"]

#: Per size tier, the models: (file in stormpy's ``dtmc`` folder, constants).
#: The shipped ``-5-2`` style files fix their constants in the text; they are
#: rewritten (see :func:`build`), so every size uses the same file.
MODELS: dict[str, list[tuple[str, dict[str, int]]]] = {
    "small": [
        ("brp-16-2.pm", {}),
        ("crowds-5-5.pm", {}),
        ("leader-3-5.pm", {}),
        ("nand-5-2.pm", {}),
    ],
    "1e4": [
        ("brp.pm", {"N": 128, "MAX": 4}),
        ("crowds-5-5.pm", {"TotalRuns": 6, "CrowdSize": 10}),
        ("nand-5-2.pm", {"N": 8, "K": 2}),
    ],
    "1e5": [
        ("brp.pm", {"N": 1024, "MAX": 8}),
        ("crowds-5-5.pm", {"TotalRuns": 10, "CrowdSize": 10}),
        ("nand-5-2.pm", {"N": 15, "K": 3}),
    ],
    "1e6": [
        ("brp.pm", {"N": 4096, "MAX": 16}),
        ("crowds-5-5.pm", {"TotalRuns": 13, "CrowdSize": 15}),
        ("nand-5-2.pm", {"N": 30, "K": 3}),
    ],
}


def build(name: str, constants: dict[str, int], value_type: str = "double") -> Any:
    """The stormpy model of ``name`` with ``constants`` written into its text.

    A constant defined in the file (``const int N = 5;``) is replaced by the
    given value, an undefined one (``const int N;``) defined: the shipped
    files fix most of theirs. ``value_type`` is ``"double"``, ``"rational"``
    (what :func:`~abstractions.formats.from_stormpy` reads exactly) or
    ``"function"`` (rational functions without parameters: the exact value
    type Storm's sparse bisimulation accepts).
    """
    import stormpy
    from stormpy.examples import files

    text = Path(files.testfile_dir, "dtmc", name).read_text()
    for key, value in constants.items():
        pattern = rf"const\s+(int|double)\s+{key}\s*(=[^;]*)?;"
        text, count = re.subn(pattern, f"const \\1 {key} = {value};", text)
        if count != 1:
            raise ValueError(f"{name} has no constant {key!r}")
    handle, path = tempfile.mkstemp(suffix=".pm")
    try:
        with os.fdopen(handle, "w") as out:
            out.write(text)
        program = stormpy.parse_prism_program(path)
    finally:
        os.unlink(path)
    options = stormpy.BuilderOptions()
    options.set_build_all_labels()
    options.set_build_all_reward_models()
    builder = {
        "double": stormpy.build_model,
        "rational": stormpy.build_model[stormpy.Rational],
        "function": stormpy.build_model[stormpy.RationalFunction],
    }[value_type]
    return builder(program, options=options)


def _timed(run: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = run()
    return time.perf_counter() - start, result


def measure(model: Any, repeats: int, storm_model: Any = None) -> dict[str, Any]:
    """Storm's and our times on one model (medians of alternating runs), and the sizes.

    Storm runs on ``storm_model`` when given (the same model in another
    value type), else on ``model``.
    """
    from stormpy.transformations import perform_bisimulation

    from abstractions import abstract_computation, minimal_complete_abstraction, output_abstraction
    from abstractions.formats import from_stormpy

    start = time.perf_counter()
    M = from_stormpy(model)
    convert = time.perf_counter() - start
    if storm_model is None:
        storm_model = model

    def solve() -> Any:
        return minimal_complete_abstraction(M, output_abstraction(M))

    # Warm up: numba kernels compiled or loaded, caches of the model built.
    P = solve()
    abstract_computation(M, P)
    storm_q = perform_bisimulation(storm_model, [])
    storm, ours, quotient = [], [], []
    for _ in range(repeats):
        storm.append(_timed(partial(perform_bisimulation, storm_model, []))[0])
        seconds, P = _timed(solve)
        ours.append(seconds)
        quotient.append(_timed(partial(abstract_computation, M, P))[0])
    row = {
        "n": M.n,
        "m": M.n_transitions,
        "blocks": P.n_blocks,
        "storm_blocks": int(storm_q.nr_states),
        "storm_seconds": statistics.median(storm),
        "solve_seconds": statistics.median(ours),
        "quotient_seconds": statistics.median(quotient),
        "convert_seconds": convert,
    }
    row["ratio"] = row["storm_seconds"] / (row["solve_seconds"] + row["quotient_seconds"])
    return row


def table(rows: Sequence[dict[str, Any]]) -> str:
    """The rows as a markdown table."""
    lines = [
        "| model | constants | n | m | blocks | Storm s | ours solve s | ours quotient s | ratio |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        consts = ",".join(f"{k}={v}" for k, v in r["constants"].items()) or "(shipped)"
        lines.append(
            f"| {r['model']} | {consts} | {r['n']:,} | {r['m']:,} | {r['blocks']:,} | "
            f"{r['storm_seconds']:.4f} | {r['solve_seconds']:.4f} | "
            f"{r['quotient_seconds']:.4f} | {r['ratio']:.1f}x |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.real_models", description=__doc__)
    parser.add_argument("--sizes", nargs="+", default=["small", "1e4", "1e5"],
                        choices=sorted(MODELS), help="size tiers (default: small 1e4 1e5)")
    parser.add_argument("--models", nargs="+", default=None,
                        help="only these files (e.g. brp.pm nand-5-2.pm)")
    parser.add_argument("--exact", action="store_true", help="rational probabilities")
    parser.add_argument("--repeats", type=int, default=5, help="alternating runs per model")
    parser.add_argument("--json", type=Path, default=None, help="write the rows here")
    args = parser.parse_args(argv)
    from abstractions import warmup

    warmup()  # every kernel compiled (or loaded) before anything is timed
    load = harness.load_average()
    rows: list[dict[str, Any]] = []
    agreed = True
    for tier in args.sizes:
        for name, constants in MODELS[tier]:
            if args.models and name not in args.models:
                continue
            row = {"model": name, "constants": constants, "exact": args.exact}
            if args.exact:
                row.update(measure(build(name, constants, "rational"), args.repeats,
                                   build(name, constants, "function")))
            else:
                row.update(measure(build(name, constants), args.repeats))
            if row["blocks"] != row["storm_blocks"]:
                agreed = False
                print(f"DISAGREE: {name} {constants}: ours {row['blocks']} blocks, "
                      f"Storm {row['storm_blocks']}", file=sys.stderr)
            rows.append(row)
            print(f"{name} {constants}: n={row['n']} blocks={row['blocks']} "
                  f"storm {row['storm_seconds']:.4f}s solve {row['solve_seconds']:.4f}s "
                  f"quotient {row['quotient_seconds']:.4f}s ({row['ratio']:.1f}x)", flush=True)
    command = "python -m benchmarks.real_models " + " ".join(
        sys.argv[1:] if argv is None else argv
    )
    print()
    print(table(rows))
    print()
    print(f"`{command.strip()}` (median of {args.repeats} alternating runs)")
    if args.json is not None:
        harness.write_results(
            {"argv": list(sys.argv[1:] if argv is None else argv), "rows": rows},
            args.json, prefix="real-models", load=load,
        )
    return 0 if agreed else 1


if __name__ == "__main__":
    sys.exit(main())
