"""Ripple-carry adder, run bit by bit: what must be remembered to predict which outputs?

The computation adds two 3-bit numbers a and b, least significant bit first.
A state is (bits of a still to add, bits of b still to add, carry, sum bits
written so far); each step adds one column, writes one sum bit and updates
the carry; it halts when no bits are left. The output of a state is
(sum bits written so far, carry).

Keeping different parts of the output (beta = out*(gamma)) needs very
different amounts of memory:

* the lowest sum bit: only whether a_0 + b_0 is odd, until it is written;
* the carry at every step: only the carries still to come;
* the whole sum: the written bits, the carry, and for each column still to
  add only the digit sum a_i + b_i in {0, 1, 2} -- never a_i and b_i
  themselves. (0, 1) and (1, 0) are the same to an adder: this is why a
  carry-lookahead adder only needs "generate, propagate or kill" per column.

Which variables does an abstraction read? With the state's four positions
named (a, b, carry, written), the fewest variables whose abstraction is
complete and keeps the carry are the carry chain (a, b, carry): the sum bits
written so far are never read. The finish abstraction above the carry
("the carry this run will end with") has two blocks, is complete and reads
the same variables, but it is conserved: its abstract step does nothing, and
all the adding happens inside its blocks. The carry chain carries the
computation out step by step.

Run: python examples/ripple_carry_adder.py [OUTDIR]
(saves the figures as PNG files in OUTDIR; without it, shows them)
"""

import sys


from abstractions import (
    Computation,
    Partition,
    description_length,
    finish_abstraction,
    is_conserved,
    minimal_complete_abstraction,
    minimal_variable_abstraction,
    output_abstraction,
    support,
)
from abstractions.plotting import draw_abstract, draw_report, save_or_show
from abstractions.report import abstraction_report


def adder(n_bits, variables=None):
    """Add every pair of n_bits-bit numbers column by column (bits as strings, LSB first)."""

    def column(state):
        a, b, carry, written = state
        total = int(a[0]) + int(b[0]) + carry
        return a[1:], b[1:], total // 2, written + str(total % 2)

    def lsb_first(x):
        return format(x, f"0{n_bits}b")[::-1]

    inputs = {
        (x, y): (lsb_first(x), lsb_first(y), 0, "")
        for x in range(2**n_bits)
        for y in range(2**n_bits)
    }
    return Computation.from_functions(
        column,
        inputs,
        halted=lambda state: state[0] == "",
        output=lambda state: (state[3], state[2]),
        variables=variables,
    )


C = adder(3)
print(f"3-bit ripple-carry adder: {C.n} states reachable from {len(C.input_values)} inputs")
assert C.run((5, 6)) == ("110", 1)  # 5 + 6 = 11 = 0b1011: sum bits 011 (LSB first), carry 1

keeps = {
    "lowest sum bit": lambda out: out[0][:1],
    "lowest two sum bits": lambda out: out[0][:2],
    "the carry": lambda out: out[1],
    "the whole sum": None,
}
found = {}
for name, gamma in keeps.items():
    beta = output_abstraction(C, gamma)
    found[name] = minimal_complete_abstraction(C, beta)
    print(f"keep {name:20s}: beta has {beta.n_blocks:3d} blocks, "
          f"minimal complete abstraction {found[name].n_blocks:3d} classes")

# The whole sum needs exactly: written bits, carry, and the digit sums still to add.
names = C.state_labels
digit_sums = Partition.kernel(
    lambda m: (names[m][3], names[m][2], tuple(int(x) + int(y) for x, y in zip(names[m][0], names[m][1]))),
    C.n,
)
assert found["the whole sum"] == digit_sums
print(f"the whole sum = (written bits, carry, digit sums a_i + b_i): {digit_sums.n_blocks} classes, "
      f"not all {C.n} states")

# Which variables: the carry chain, not "finish".
V = adder(3, variables=["a", "b", "carry", "written"])
keep_carry = output_abstraction(V, keeps["the carry"])
chain = minimal_variable_abstraction(V, keep_carry, method="exact")
finish = finish_abstraction(V, keeps["the carry"])
print(f"keeping the carry reads {chain.variables} (optimal: {chain.optimal}); "
      f"description length {description_length(V, chain.partition)}")
print(f"finish: {finish.n_blocks} blocks, reads {support(V, finish)}, "
      f"conserved: {is_conserved(V, finish)}, description length {description_length(V, finish)}")

OUTDIR = sys.argv[1] if len(sys.argv) > 1 else None  # where figures go (None: show them)


small = adder(2)
carry = minimal_complete_abstraction(small, output_abstraction(small, keeps["the carry"]))
print(f"2-bit adder ({small.n} states), keeping the carry: {carry.n_blocks} classes (drawn)")
left, _ = draw_abstract(small, carry, labels=False)
save_or_show(left.figure, "ripple_carry_adder", OUTDIR)

# The Pareto view of the candidates for keeping the carry (drawn).
report = abstraction_report(V, keep_carry)
print(f"pareto front for keeping the carry: {', '.join(report.pareto())}")
ax = draw_report(report, title="3-bit adder, keeping the carry")
save_or_show(ax.figure, "ripple_carry_adder_report", OUTDIR)
