"""Define a computation from arrays: a countdown from 3 that halts at 0."""

from abstractions import Computation

C = Computation(
    step=[0, 0, 1, 2],  # step[m] is the state after m
    halted=[True, False, False, False],  # halted states are absorbing
    output=["zero", "odd", "even", "odd"],  # any hashable values, one per state
    inputs={"three": 3, "two": 2},  # input value -> start state (default: every state)
)
print(C)
assert C.run("three") == "zero" and C.trace("three").tolist() == [3, 2, 1, 0]
