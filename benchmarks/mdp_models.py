"""Storm's shipped MDP examples, scaled by their constants: ours against Storm's bisimulation.

Each model (``stormpy.examples.files``, ``files/mdp``) is built by Storm
with choice labels; ours reads it with ``abstractions.formats.from_stormpy``
(not timed) and computes the minimal complete abstraction above the state
labels plus the initial state, and the quotient (``abstract_computation``);
Storm runs ``stormpy.transformations.perform_bisimulation`` (strong, choice
labels preserved: the same flavour as ``actions="respect"``), which also
builds the quotient. Times are the median of ``--repeats`` runs, ours and
Storm's alternating, after ``abstractions.warmup()`` and one warm-up of
each; the block counts must agree.

Run::

    python -m benchmarks.mdp_models [--repeats 5] [--scale small|large]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from typing import Any

import numpy as np

#: (file, constants) per scale; the large ones reach 10^5 - 10^6 states.
MODELS: dict[str, list[tuple[str, str]]] = {
    "small": [("coin2.nm", "K=2"), ("firewire.nm", "delay=3,fast=0.5"), ("csma2-2.nm", "")],
    "large": [("coin2.nm", "K=16"), ("coin2.nm", "K=64"), ("coin2.nm", "K=256"),
              ("firewire.nm", "delay=36,fast=0.5")],
}  # fmt: skip


def build(name: str, constants: str) -> Any:
    """Storm's sparse model of a shipped MDP example, with choice labels."""
    import stormpy
    import stormpy.examples.files as files

    path = os.path.join(os.path.dirname(files.__file__), "files", "mdp", name)
    program = stormpy.parse_prism_program(path)
    if constants:
        program, _ = stormpy.instantiate_constants(program, constants)
    options = stormpy.BuilderOptions()
    options.set_build_all_labels()
    options.set_build_choice_labels(True)
    return stormpy.build_model(program, options=options)


def ours(M: Any, beta: Any) -> int:
    from abstractions import abstract_computation, minimal_complete_abstraction

    P = minimal_complete_abstraction(M, beta)
    abstract_computation(M, P)
    return int(P.n_blocks)


def storm(model: Any) -> int:
    import stormpy.transformations as stt

    options = stt.BisimulationOptions()
    options.bisimulation_type = stt.BisimulationType.STRONG
    return int(stt.perform_bisimulation(model, [], options=options).nr_states)


def main(argv: list[str] | None = None) -> None:
    from abstractions import Partition, output_abstraction
    from abstractions.formats import from_stormpy

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--scale", choices=sorted(MODELS), default="large")
    args = parser.parse_args(argv)
    # every kernel compiled (or loaded from the cache) before any timing, as
    # the other benchmarks do: small MDPs then take the kernel too
    from abstractions import warmup

    warmup()
    print(f"command: python -m benchmarks.mdp_models --repeats {args.repeats} --scale {args.scale}")
    print(f"{'model':<28}{'states':>10}{'choices':>10}{'blocks':>9}{'ours s':>10}{'storm s':>10}")
    for name, constants in MODELS[args.scale]:
        try:
            model = build(name, constants)
        except Exception as err:  # a model this Storm cannot build: say so, go on
            print(f"{name} {constants}: not built ({str(err).splitlines()[0][:60]})")
            continue
        M = from_stormpy(model)
        initial = np.zeros(M.n, dtype=np.int64)
        initial[M.input_states] = 1
        beta = output_abstraction(M) | Partition.from_labels(initial)
        blocks = ours(M, beta)  # the warm-up runs
        assert blocks == storm(model), (name, constants)
        times: dict[str, list[float]] = {"ours": [], "storm": []}
        for _ in range(args.repeats):
            start = time.perf_counter()
            ours(M, beta)
            times["ours"].append(time.perf_counter() - start)
            start = time.perf_counter()
            storm(model)
            times["storm"].append(time.perf_counter() - start)
        label = f"{name} {constants}".strip()
        print(
            f"{label:<28}{M.n:>10}{int(model.nr_choices):>10}{blocks:>9}"
            f"{statistics.median(times['ours']):>10.3f}{statistics.median(times['storm']):>10.3f}"
        )


if __name__ == "__main__":
    main()
