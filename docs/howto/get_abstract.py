"""Get the abstract computation of a complete abstraction (the quotient)."""

from abstractions import (
    abstract_computation,
    halting_abstraction,
    minimal_complete_abstraction,
    output_abstraction,
)
from abstractions.machines import parity_by_counting

C = parity_by_counting(3)
# Keep halting too, so that the abstract computation knows when to stop.
alpha = minimal_complete_abstraction(C, output_abstraction(C) | halting_abstraction(C))
A, quotient = abstract_computation(C, alpha)  # raises NotCompleteError if alpha is not complete
print(A)
print("the square commutes:", (quotient.labels[C.step] == A.step[quotient.labels]).all())
print("same answers:", all(A.run(x) == C.run(x) for x in C.input_values))
assert all(A.run(x) == C.run(x) for x in C.input_values)
