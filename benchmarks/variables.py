"""Benchmark ``support`` on the instance the issue names.

The states are all ``2**bits`` values ``m`` of ``bits`` bits (default 20:
about 10^6 states), with ``bits + 10`` variables: the bits ``b0 ..
b{bits-1}`` and ten derived ones, five pair parities ``p{j} = b{2j} xor
b{2j+1}`` and five nibbles ``s{j} = (m >> 4j) & 15``. The derived variables
make every bit redundant for some abstractions, so the exact search of
:func:`abstractions.support` (not only the necessary-variable pass) runs.
Each abstraction is timed on its own (best of ``--repeats``, after one
warm-up call that compiles the kernels; building the computation is not
timed):

* ``low6``: ``m & 63`` (smallest support: the nibbles ``s0, s1``, 2
  variables, where the bits alone need 6 and no variable is necessary);
* ``parity8``: the parity of the low 8 bits (again ``s0, s1``);
* ``pairs``: the pair parities ``p0 .. p4`` together (3 variables: ``s0,
  s1`` and ``p4`` or ``s2``, not the five parities);
* ``bit19``: one bit (a necessary variable: no search).

Target: each at most 2 s at 2**20 states and 30 variables. Measured
(2 shared cores): 0.73 s, 0.67 s, 0.98 s and 1.00 s, 660 MB peak.

Run (from the repository root)::

    python -m benchmarks.variables --bits 20

Prints one line per abstraction: its support, its size and the time.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np

from abstractions import Computation, Partition, Variables, support

__all__ = ["ABSTRACTIONS", "instance", "main"]


def instance(bits: int) -> Computation:
    """All ``2**bits`` values as states (step: +1 mod ``2**bits``), bits and derived variables."""
    if bits < 10:
        raise ValueError(f"bits must be at least 10 (the derived variables need them), got {bits}")
    n = 1 << bits
    m = np.arange(n, dtype=np.int64)
    names, rows, levels = [], [], []
    for j in range(bits):
        names.append(f"b{j}")
        rows.append((m >> j) & 1)
        levels.append(range(2))
    for j in range(5):
        names.append(f"p{j}")
        rows.append(((m >> (2 * j)) ^ (m >> (2 * j + 1))) & 1)
        levels.append(range(2))
    for j in range(5):
        names.append(f"s{j}")
        rows.append((m >> (4 * j)) & 15)
        levels.append(range(16))
    record = Variables(names, np.vstack(rows), levels)
    return Computation((m + 1) % n, variables=record)


def _parity(values: np.ndarray) -> np.ndarray:
    out = np.zeros_like(values)
    while values.any():
        out ^= values & 1
        values = values >> 1
    return out


#: The abstractions timed, as functions of the state values ``m``.
ABSTRACTIONS: dict[str, Any] = {
    "low6": lambda m: m & 63,
    "parity8": lambda m: _parity(m & 255),
    "pairs": lambda m: sum(((((m >> (2 * j)) ^ (m >> (2 * j + 1))) & 1) << j) for j in range(5)),
    "bit19": lambda m: (m >> 19) & 1,
}


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bits", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    C = instance(args.bits)
    m = np.arange(C.n, dtype=np.int64)
    support(C, Partition.kernel(m & 1))  # warm-up: compiles the kernels
    rows = []
    for name, f in ABSTRACTIONS.items():
        alpha = Partition.kernel(f(m))
        best = float("inf")
        found: tuple[str, ...] = ()
        for _ in range(args.repeats):
            start = time.perf_counter()
            found = support(C, alpha)
            best = min(best, time.perf_counter() - start)
        row = {"abstraction": name, "n": C.n, "variables": len(C.variables),
               "support": found, "seconds": best}
        rows.append(row)
        print(f"support {name}: n={C.n} variables={len(C.variables)} "
              f"support={','.join(found)} ({len(found)}) time={best:.3f}s")
    return rows


if __name__ == "__main__":
    main()
