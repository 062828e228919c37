"""Rule 90 on a ring of 6 cells: linear structure makes small complete abstractions.

Elementary cellular automaton rule 90: each cell becomes the XOR of its two
neighbours. On a ring of 6 cells the 64 configurations are the states; the
automaton never halts. Rule 90 is linear over GF(2): step(u XOR v) =
step(u) XOR step(v). So if beta keeps a parity of some cells (a linear
function), the minimal complete abstraction keeps a few more parities --
the ones beta needs in the future -- and its classes are the cosets of a
subspace: 2^k classes, each the same size, the class of the all-zero ring a
subspace closed under XOR.

* the parity of all cells: complete as it is -- after one step it is
  always even (every cell is counted twice);
* cell 0 alone: needs 3 parities, 8 classes of 8 configurations each;
* cells 0 XOR 3: needs 2 parities, 4 classes.

Run: python examples/rule90.py [OUTDIR]
(saves the figures as PNG files in OUTDIR; without it, shows them)
"""

import sys

import numpy as np

from abstractions import Computation, Partition, is_complete, minimal_complete_abstraction
from abstractions.plotting import draw_abstract, save_or_show

CELLS = 6
configs = np.arange(2**CELLS)
bits = (configs[:, None] >> np.arange(CELLS)) & 1  # bits[c, i]: cell i of configuration c
new_bits = np.roll(bits, 1, axis=1) ^ np.roll(bits, -1, axis=1)
C = Computation((new_bits << np.arange(CELLS)).sum(axis=1))
print(f"rule 90 on a ring of {CELLS} cells: {C.n} configurations")

keeps = {
    "parity of all cells": bits.sum(axis=1) % 2,
    "cell 0": bits[:, 0],
    "cell 0 XOR cell 3": bits[:, 0] ^ bits[:, 3],
}
found = {}
for name, parity in keeps.items():
    beta = Partition.kernel(parity)
    P = found[name] = minimal_complete_abstraction(C, beta)
    print(f"keep {name:20s}: complete as it is? {str(is_complete(C, beta)):5s}  "
          f"minimal complete abstraction: {P.n_blocks} classes of sizes {sorted(set(P.block_sizes().tolist()))}")
    # Linear structure: the class of the all-zero ring is closed under XOR,
    # and every class is a translate (coset) of it.
    zero = set(P.blocks()[P.labels[0]].tolist())
    assert all(u ^ v in zero for u in zero for v in zero)
    for block in P.blocks():
        u = int(block[0])
        assert {u ^ v for v in zero} == set(block.tolist())
    assert P.n_blocks & (P.n_blocks - 1) == 0  # a power of two


OUTDIR = sys.argv[1] if len(sys.argv) > 1 else None  # where figures go (None: show them)

left, _ = draw_abstract(C, found["cell 0"], labels=False, layout="spring")
save_or_show(left.figure, "rule90", OUTDIR)
