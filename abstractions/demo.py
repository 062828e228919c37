"""The demo printed by ``python -m abstractions demo``.

A machine computes the parity of a bit string by counting its ones. Keeping
its output (odd or even so far) and whether it has halted, the minimal
complete abstraction forgets the count beyond its parity: the abstract
computation is the bit-serial parity machine, the mechanism. In contrast,
"finish the computation" is a two-block complete abstraction whose abstract
step does nothing -- minimal too, but not mechanistic.
"""

from __future__ import annotations

import sys
from typing import TextIO

from abstractions.minimal import minimal_complete_abstraction
from abstractions.computation import Computation
from abstractions.consistency import (
    abstract_computation,
    finish_abstraction,
    halting_abstraction,
    is_complete,
    output_abstraction,
)
from abstractions.machines import parity_by_counting
from abstractions.partition import Partition

__all__ = ["format_blocks", "run_demo"]


def _name(label: object) -> str:
    if isinstance(label, tuple) and len(label) == 2 and isinstance(label[0], str):
        bits, count = label
        return f"{bits or '-'}:{count}"
    return str(label)


def format_blocks(
    computation: Computation, partition: Partition, *, merged_only: bool = False
) -> str:
    """The blocks of ``partition``, one per line, with the states' names.

    Parameters
    ----------
    computation : Computation
        Supplies the state names.
    partition : Partition
    merged_only : bool, default False
        List only blocks of two or more states (and count the others).

    Examples
    --------
    >>> from abstractions import Computation, Partition
    >>> C = Computation([1, 0, 2], state_labels=["a", "b", "c"])
    >>> print(format_blocks(C, Partition([0, 0, 1])))
      block 0: a b
      block 1: c
    """
    lines = []
    singles = 0
    for b, states in enumerate(partition.blocks()):
        if merged_only and states.size == 1:
            singles += 1
            continue
        names = " ".join(_name(computation.label(int(m))) for m in states)
        lines.append(f"  block {b}: {names}")
    if singles:
        lines.append(f"  ... and {singles} blocks of a single state")
    return "\n".join(lines)


def _print_table(C: Computation, names: list[str], first: str, out: TextIO) -> None:
    width = max(len(first), *(len(s) for s in names))
    print(f"{first:<{width}}  {'next':<{width}}  halted  output", file=out)
    for m in range(C.n):
        print(
            f"{names[m]:<{width}}  {names[int(C.step[m])]:<{width}}  "
            f"{'yes' if C.halted[m] else '':<6}  {C.output_value(m)}",
            file=out,
        )


def _heading(text: str, out: TextIO) -> None:
    print(f"\n== {text} ==", file=out)


def run_demo(n_bits: int = 3, out: TextIO | None = None) -> None:
    """Print the worked example: computation, beta, minimal abstraction, quotient.

    Parameters
    ----------
    n_bits : int, default 3
        Input length of the parity machine.
    out : file, optional
        Where to print; standard output by default.

    Raises
    ------
    TooLargeError
        If the machine would have more than
        :data:`abstractions.machines.MAX_STATES` states; raised before
        anything is built or printed.
    """
    out = sys.stdout if out is None else out
    C = parity_by_counting(n_bits)
    names = [_name(C.label(m)) for m in range(C.n)]
    print(f"abstractions demo: the parity of {n_bits}-bit strings, computed by counting ones", file=out)

    _heading("The computation", out)
    print(
        "A state 'bits:k' holds the bits still to read and the number k of ones read.\n"
        "Each step reads one bit; the run halts when no bits are left. The output of\n"
        f"a state is the parity of k. {C.n} states are reachable from {len(C.input_values)} inputs.\n",
        file=out,
    )
    _print_table(C, names, "state", out)
    word = "1" * n_bits
    path = " -> ".join(names[int(m)] for m in C.trace(word))
    print(f"\nrun({word!r}) = {C.run(word)!r}: {path}", file=out)

    beta = output_abstraction(C) | halting_abstraction(C)
    _heading("What to keep (beta): the output and whether the run has halted", out)
    print(f"beta has {beta.n_blocks} blocks; complete? {is_complete(C, beta)}", file=out)
    print(format_blocks(C, beta), file=out)

    alpha = minimal_complete_abstraction(C, beta)
    _heading("The minimal complete abstraction above beta", out)
    print(
        f"{alpha.n_blocks} blocks for {C.n} states. It keeps the bits still to read and\n"
        "k mod 2, and merges counts of equal parity:",
        file=out,
    )
    print(format_blocks(C, alpha, merged_only=True), file=out)

    A, quotient = abstract_computation(C, alpha)
    _heading("The abstract computation: one state per block", out)
    print(
        "It is bit-serial parity: the count was more than the computation needed.\n",
        file=out,
    )
    block_names = [names[int(states[0])] + ("*" if states.size > 1 else "") for states in alpha.blocks()]
    _print_table(A, block_names, "block", out)
    print("(a block is named by its first state; * marks merged blocks)", file=out)
    commutes = bool((quotient.labels[C.step] == A.step[quotient.labels]).all())
    agree = all(A.run(x) == C.run(x) for x in C.input_values)
    print(f"\nThe square commutes: {commutes}. Abstract runs give the same outputs: {agree}.", file=out)

    finish = finish_abstraction(C)
    F, _ = abstract_computation(C, finish)
    _heading("Contrast: finish the computation, then look at the output", out)
    print(
        f"{finish.n_blocks} blocks, complete: {is_complete(C, finish)}, "
        f"abstract step {F.step.tolist()} (the identity):",
        file=out,
    )
    print(format_blocks(C, finish), file=out)
    print(
        "\nIt is the least complete abstraction that knows each state's final output,\n"
        "yet it computes nothing: every state already carries its answer. Minimality\n"
        "alone does not make an abstraction mechanistic.",
        file=out,
    )
