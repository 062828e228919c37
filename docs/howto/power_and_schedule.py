"""k steps at a time, and one step per checkpoint: the first-return system."""

import numpy as np

from abstractions import Computation, Partition, first_return, minimal_complete_abstraction

C = Computation((np.arange(12) + 1) % 12)  # a counter mod 12
print("tau^5:", C.power(5).step.tolist())
assert C.power(12).step.tolist() == list(range(12))

checkpoints = np.arange(12) % 3 == 0  # check in at 0, 3, 6, 9
induced, index = first_return(C, checkpoints)
print("checkpoints:", index.tolist(), "(-1: the sink)")
print("first-return step:", induced.step.tolist())
zero = Partition.kernel(np.arange(12) == 0)
alpha = minimal_complete_abstraction(C, zero, schedule=checkpoints)
print(f"keep 'value == 0': {minimal_complete_abstraction(C, zero).n_blocks} classes "
      f"every step, {alpha.n_blocks} at the checkpoints (with the sink)")
assert alpha.n_blocks == 5
