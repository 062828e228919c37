
from abstractions import Computation, Partition, TransitionSystem, consistency_error, weights

counter = Computation([1, 2, 3, 0])  # a counter mod 4, seen through "is it 0"
e = consistency_error(counter, Partition([0, 1, 1, 1]))
print(e.total, e.abstract.step, e.per_state)  # 1/4 of the states leave the plurality
assert e.total == 0.25 and e.abstract.step.tolist() == [1, 1]
bits = consistency_error(counter, Partition([0, 1, 1, 1]), metric="entropy").total
assert abs(bits - 0.75 * 0.9182958340544896) < 1e-12  # H(next block | block), in bits
rolled = consistency_error(counter, Partition([0, 1, 1, 1]), horizon=3)
print(rolled.per_step)  # the error after 1, 2, 3 steps of the abstract step
near = TransitionSystem.probabilistic([[0.5, 0.5, 0], [0.45, 0.5, 0.05], [0.1, 0, 0.9]])
mu = weights.stationary(near)  # where the chain spends its time in the long run
defect = consistency_error(near, Partition([0, 0, 1]), weights=mu)  # is {0, 1} lumpable?
print(mu.values, defect.total, defect.largest)  # the lumpability defect (TV), largest state's
assert 0 < defect.total < defect.largest < 0.05 and defect.abstract.n == 2
