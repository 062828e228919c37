"""Define a computation from Python functions: Collatz runs from 1..6 until they reach 1."""

from abstractions import Computation

C = Computation.from_functions(
    lambda k: k // 2 if k % 2 == 0 else 3 * k + 1,  # the step, on any hashable state
    inputs=range(1, 7),  # start states; each is its own input value
    halted=lambda k: k == 1,
    output=lambda k: k % 2,  # an output value per state (default: the state itself)
)
print(C.n, "states reachable;", C.state_labels)
print("trace from 6:", [C.label(m) for m in C.trace(6)])
assert C.run(6) == 1 and C.label(C.trace(3)[1]) == 10
