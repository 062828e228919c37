"""Lump Storm's shipped CTMC examples, scaled up by their constants: ours against Storm.

Each model is a PRISM CTMC from ``stormpy.examples.files`` (``ctmc/*.sm``)
whose size constant is raised (the file's ``const int N = 2;`` line is
rewritten) until it has about the requested number of states. Storm builds
it (PRISM compatibility mode: the files use probabilistic-style commands)
with every label and reward model; :func:`abstractions.formats.from_stormpy`
reads it (not timed). Both tools then lump above the same beta: the state
labels and reward models (our ``output_abstraction`` of the read model;
Storm's ``perform_bisimulation`` with no formula keeps every label and
reward model), strong bisimulation.

``read s`` is the (untimed) conversion by ``from_stormpy``, a Python loop
over Storm's entries. Timed, per model: ``ours`` = ``minimal_complete_abstraction`` plus
``abstract_computation`` (the quotient); ``storm`` =
``stormpy.perform_bisimulation``, which returns the quotient. One warm-up
call of each, then 5 runs of each, alternating, and the median of each. The
number of blocks must agree (Storm exposes only the quotient).

Run from the repository root::

    python -m benchmarks.ctmc_models --states 1e5
    python -m benchmarks.ctmc_models --states 1e6 --models tandem polling
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
from dataclasses import dataclass
from typing import Any

__all__ = ["MODELS", "CtmcModel", "build", "constant_for", "time_model", "main"]


@dataclass(frozen=True)
class CtmcModel:
    """A shipped CTMC, its size constant and a rough state count as a function of it."""

    file: str
    constant: str
    states: Callable[[int], float]
    smallest: int


#: The scalable examples (state counts are estimates, used only to choose the constant).
MODELS: dict[str, CtmcModel] = {
    # queue capacity c: (c + 1) (2c + 1) states
    "tandem": CtmcModel("tandem5.sm", "c", lambda c: (c + 1) * (2 * c + 1), 1),
    # N workstations per cluster: about 40 N^2 states (10132 at N = 16)
    "cluster": CtmcModel("cluster2.sm", "N", lambda n: 39.6 * n**2, 1),
    # n tokens of the flexible manufacturing system: 6520 states at n = 3,
    # 35910 at 4, about 4x more per token
    "fms": CtmcModel("fms2.sm", "n", lambda n: 6520 * 4.0 ** (n - 3), 1),
}
# (polling2.sm and embedded2.sm do not scale by a constant: polling's
# stations are modules, embedded's MAX_COUNT changes little.)


def constant_for(model: CtmcModel, states: float) -> int:
    """The smallest value of the model's constant whose estimate reaches ``states``."""
    value = model.smallest
    while model.states(value) < states:
        value += 1
    return value


def build(name: str, value: int) -> Any:
    """Storm's sparse CTMC of ``MODELS[name]`` with its size constant set to ``value``."""
    import stormpy
    from stormpy.examples import files as storm_files

    model = MODELS[name]
    source = os.path.join(storm_files.testfile_dir, "ctmc", model.file)
    with open(source) as handle:
        text = handle.read()
    pattern = rf"(const\s+int\s+{model.constant}\s*=\s*)\d+(\s*;)"
    text, count = re.subn(pattern, rf"\g<1>{value}\g<2>", text)
    if count != 1:
        raise ValueError(f"{model.file}: no single 'const int {model.constant} = ...;' line")
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, model.file)
        with open(path, "w") as handle:
            handle.write(text)
        program = stormpy.parse_prism_program(path, prism_compatibility=True)
    options = stormpy.BuilderOptions()
    options.set_build_all_labels()
    options.set_build_all_reward_models()
    return stormpy.build_model(program, options=options)


def time_model(model: Any, repeats: int = 5) -> dict[str, Any]:
    """Median seconds of ours (solve + quotient) and Storm's bisimulation, alternating."""
    import stormpy.transformations as stt

    from abstractions import abstract_computation, minimal_complete_abstraction, output_abstraction
    from abstractions.formats import from_stormpy

    start = time.perf_counter()
    T = from_stormpy(model)
    read = time.perf_counter() - start
    beta = output_abstraction(T)
    options = stt.BisimulationOptions()
    options.bisimulation_type = stt.BisimulationType.STRONG

    def ours() -> int:
        P = minimal_complete_abstraction(T, beta)
        abstract_computation(T, P)
        return P.n_blocks

    def storm() -> int:
        return int(stt.perform_bisimulation(model, [], options=options).nr_states)

    blocks = {"ours": ours(), "storm": storm()}  # the warm-up calls
    times: dict[str, list[float]] = {"ours": [], "storm": []}
    for _ in range(repeats):
        for name, run in (("ours", ours), ("storm", storm)):
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return {
        "states": T.n,
        "transitions": T.n_transitions,
        "read_s": read,
        "blocks_ours": blocks["ours"],
        "blocks_storm": blocks["storm"],
        "ours_s": statistics.median(times["ours"]),
        "storm_s": statistics.median(times["storm"]),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Run the table; the exit status is 1 if a block count disagrees."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--states", type=float, default=1e5, help="about this many states")
    parser.add_argument("--models", nargs="*", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    command = "python -m benchmarks.ctmc_models " + " ".join(
        sys.argv[1:] if argv is None else list(argv)
    )
    print(f"# {command.strip()}")
    header = (
        f"{'model':<18} {'states':>9} {'transitions':>11} {'blocks':>8} "
        f"{'ours s':>8} {'storm s':>8} {'storm/ours':>10} {'read s':>7}"
    )
    print(header)
    agree = True
    for name in args.models:
        value = constant_for(MODELS[name], args.states)
        model = build(name, value)
        row = time_model(model, args.repeats)
        same = row["blocks_ours"] == row["blocks_storm"]
        agree &= same
        blocks = str(row["blocks_ours"]) if same else f"{row['blocks_ours']}!={row['blocks_storm']}"
        print(
            f"{name + ' ' + MODELS[name].constant + '=' + str(value):<18} {row['states']:>9} "
            f"{row['transitions']:>11} {blocks:>8} {row['ours_s']:>8.3f} {row['storm_s']:>8.3f} "
            f"{row['storm_s'] / row['ours_s']:>10.2f} {row['read_s']:>7.1f}",
            flush=True,
        )
    return 0 if agree else 1


if __name__ == "__main__":
    raise SystemExit(main())
