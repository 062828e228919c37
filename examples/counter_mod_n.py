"""Counter mod 16: which abstractions of a counter are complete?

The computation is a counter mod 16 (it never halts). Keeping "value mod 4"
needs exactly the 4 classes of Z_4, because the next value mod 4 depends only
on the current value mod 4 (4 divides 16). Keeping "value == 0" needs all 16
states: to know when the counter will next hit 0, you must know how far away
it is, i.e. the whole value.

Run: python examples/counter_mod_n.py
"""

import numpy as np

from abstractions import (
    Partition,
    abstract_computation,
    find_violation,
    minimal_complete_abstraction,
)
from abstractions.machines import counter

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

assert mod4 == Partition.kernel(values % 4)
assert full == Partition.top(N)
