"""schedule = halted: the first-return system of the halted states gives the finish abstraction."""

from abstractions import (
    finish_abstraction,
    first_entry,
    first_return,
    minimal_complete_abstraction,
    output_abstraction,
)
from abstractions.machines import parity_by_counting

C = parity_by_counting(3)
induced, index = first_return(C, C.halted)  # each halted state returns to itself
alpha = minimal_complete_abstraction(C, output_abstraction(C), schedule=C.halted)
print(f"{C.n} states, {int(C.halted.sum())} halted: {alpha.n_blocks} classes "
      "(the halted states by output, and the sink)")
# Carry it back: every state takes the class of the halted state its run reaches.
carried = alpha.pullback(first_entry(C, C.halted))
print(f"carried back to every state: {carried.n_blocks} classes")
assert carried == finish_abstraction(C)
assert (index[first_entry(C, C.halted)] == C.final_states()).all()
