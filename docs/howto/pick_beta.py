"""Pick beta from the outputs: the whole output, an abstraction of it, halting, or both."""

from abstractions import (
    finish_abstraction,
    halting_abstraction,
    minimal_complete_abstraction,
    output_abstraction,
)
from abstractions.machines import parity_by_counting

C = parity_by_counting(3)  # counts the ones, outputs "odd"/"even" so far
choices = {
    "whole output, every state": output_abstraction(C),
    "output seen through gamma": output_abstraction(C, lambda y: y == "odd"),
    "has it halted": halting_abstraction(C),
    "output and halting": output_abstraction(C) | halting_abstraction(C),
    "finish the computation": finish_abstraction(C),
}
for name, beta in choices.items():
    alpha = minimal_complete_abstraction(C, beta)
    print(f"{name:26s} beta {beta.n_blocks:2d} blocks -> {alpha.n_blocks:2d} classes")
assert minimal_complete_abstraction(C, choices["finish the computation"]).n_blocks == 2
