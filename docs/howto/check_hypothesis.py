"""Check a hypothesis abstraction and read the violation witness."""

from abstractions import Partition, completion, find_violation, is_complete
from abstractions.machines import counter

C = counter(6)
guess = Partition.kernel(lambda v: v < 3, 6)  # hypothesis: "is the value small?"
print("complete?", is_complete(C, guess))
m1, m2 = find_violation(C, guess)  # same block, but their successors are not
print(f"witness: {m1} ~ {m2}, yet step({m1}) = {C.step[m1]} and step({m2}) = {C.step[m2]} "
      f"are in blocks {guess.labels[C.step[m1]]} and {guess.labels[C.step[m2]]}")
print("one completion step splits it:", completion(C, guess))
assert (m1, m2) == (0, 2) and not is_complete(C, guess)
