"""Bit-serial parity: the output on every state versus "finish the computation".

The computation reads a 3-bit string one bit per step into a running parity.
A state is (bits still to read, parity so far); it halts when no bits are
left, and the output of every state is the parity so far.

* Keeping the output on every state (beta = out*), the minimal complete
  abstraction must predict the parity at every future step, so it remembers
  the parity and the bits still to read -- except trailing zeros, which
  change nothing it can see. Adding "has it halted" to beta makes it
  remember every state: the position is then needed too.
* Keeping "the final output" (beta = finish_abstraction) gives a complete
  abstraction with only 2 classes -- but its abstract step is the identity.
  It is minimal because it has done the whole computation in advance, in the
  abstraction map itself: the seed's warning that minimality alone does not
  make an abstraction mechanistic.

Run: python examples/bit_serial_parity.py [OUTDIR]
(saves the figures as PNG files in OUTDIR; without it, shows them)
"""

import sys


from abstractions import (
    Partition,
    abstract_computation,
    finish_abstraction,
    halting_abstraction,
    is_complete,
    minimal_complete_abstraction,
    output_abstraction,
)
from abstractions.machines import bit_serial_parity
from abstractions.plotting import draw_abstract, save_or_show

C = bit_serial_parity(3)
print(f"bit-serial parity of 3 bits: {C.n} states reachable from {len(C.input_values)} inputs")

beta_out = output_abstraction(C)
by_output = minimal_complete_abstraction(C, beta_out)
print(f"beta = the output on every state: {beta_out.n_blocks} blocks, "
      f"complete? {is_complete(C, beta_out)}")
print(f"  minimal complete abstraction: {by_output.n_blocks} classes")
# What it remembers: the parity so far and the bits still to read, up to
# trailing zeros (reading a 0 leaves every future output unchanged).
assert by_output == Partition.kernel(lambda m: (C.label(m)[0].rstrip("0"), C.label(m)[1]), C.n)

with_halt = minimal_complete_abstraction(C, beta_out | halting_abstraction(C))
print(f"beta = the output and 'has it halted': {with_halt.n_blocks} classes (every state)")
assert with_halt == Partition.top(C.n)

beta_finish = finish_abstraction(C)
finish = minimal_complete_abstraction(C, beta_finish)
A, _ = abstract_computation(C, finish)
print(f"beta = finish the computation: {finish.n_blocks} classes, "
      f"complete? {is_complete(C, beta_finish)}")
print(f"  abstract step {A.step.tolist()}: the identity -- nothing is computed")
assert finish == beta_finish and A.step.tolist() == [0, 1]


OUTDIR = sys.argv[1] if len(sys.argv) > 1 else None  # where figures go (None: show them)


left, _ = draw_abstract(C, by_output)
save_or_show(left.figure, "bit_serial_parity_output", OUTDIR)
left, _ = draw_abstract(C, finish)
save_or_show(left.figure, "bit_serial_parity_finish", OUTDIR)
