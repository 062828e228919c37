import numpy as np

from abstractions import Computation, Partition, abstract_computation, minimal_complete_abstraction

counter = Computation((np.arange(12) + 1) % 12)  # a counter mod 12
keep = Partition.kernel(np.arange(12) % 3)  # beta: keep "value mod 3"
alpha = minimal_complete_abstraction(counter, keep)
abstract, _ = abstract_computation(counter, alpha)
print(alpha.n_blocks, alpha, abstract.step)  # 3 classes: the counter mod 3
assert alpha.n_blocks == 3 and abstract.step.tolist() == [1, 2, 0]
