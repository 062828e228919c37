"""Counter mod 16: which abstractions of a counter are complete?

The computation is a counter mod 16 (it never halts). Keeping "value mod 4"
needs exactly the 4 classes of Z_4, because the next value mod 4 depends only
on the current value mod 4 (4 divides 16). Keeping "value == 0" needs all 16
states: to know when the counter will next hit 0, you must know how far away
it is, i.e. the whole value. In general, keeping "value mod k" needs exactly
the k classes of Z_k when k divides 16; when it does not, the wrap-around
from 15 to 0 breaks the pattern, and only the whole value is complete.

Run: python examples/counter_mod_n.py [OUTDIR]
(saves the figures as PNG files in OUTDIR; without it, shows them)
"""

import sys

import numpy as np

from abstractions import (
    Partition,
    abstract_computation,
    find_violation,
    minimal_complete_abstraction,
)
from abstractions.machines import counter
from abstractions.plotting import draw_abstract, draw_computation, save_or_show

N = 16
C = counter(N)
values = np.arange(N)

mod4 = minimal_complete_abstraction(C, Partition.kernel(values % 4))
print(f"keep 'value mod 4': {mod4.n_blocks} classes -> {mod4}")
A, _ = abstract_computation(C, mod4)
print(f"  abstract step (Z_4 counter): {A.step.tolist()}")

is_zero = Partition.kernel(values == 0)
print(f"keep 'value == 0': is it complete on its own? violation {find_violation(C, is_zero)}")
full = minimal_complete_abstraction(C, is_zero)
print(f"  minimal complete abstraction: {full.n_blocks} classes (all {N} states)")

print("keep 'value mod k', for k = 1..8: classes needed")
for k in range(1, 9):
    classes = minimal_complete_abstraction(C, Partition.kernel(values % k)).n_blocks
    print(f"  k={k}: {classes:2d} classes" + ("" if N % k == 0 else "  (k does not divide 16)"))
    assert classes == (k if N % k == 0 else N)

assert mod4 == Partition.kernel(values % 4)
assert full == Partition.top(N)


OUTDIR = sys.argv[1] if len(sys.argv) > 1 else None  # where figures go (None: show them)


left, _ = draw_abstract(C, mod4)
save_or_show(left.figure, "counter_mod_n", OUTDIR)
ax = draw_computation(C, full, title="keep 'value == 0': every state is its own class")
save_or_show(ax.figure, "counter_mod_n_zero", OUTDIR)
