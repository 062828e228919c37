"""A loop seen only at its head: the schedule "pc = loop head" finds the loop invariant.

The program multiplies by repeated addition, with a program counter:

    pc 0:  acc = 0; k = y
    pc 1:  if k == 0: goto 4            <- the loop head
    pc 2:  acc = acc + x
    pc 3:  k = k - 1; goto 1
    pc 4:  halt, output acc

A state is (pc, x, acc, k). Asked to keep what the program outputs (acc at
the halt, nothing before), the minimal complete abstraction must follow
every instruction of the body. With the schedule "pc = loop head, or
halted" the abstract step is one whole iteration (the first-return map),
and the minimal complete abstraction of that map keeps exactly two
numbers at the loop head: the loop variant k (how many iterations are
left: the exit is observed) and the loop invariant acc + k*x (which the
body preserves: it is what the program will output). The abstract step
counts k down and keeps the invariant.

The schedule "halted" instead gives the finish abstraction: carried back
to the loop head it keeps the invariant alone -- it has no use for k,
because it has already finished.

Run: python examples/loop_invariant.py [OUTDIR]
(saves the figures as PNG files in OUTDIR; without it, shows them)
"""

import sys

import numpy as np

from abstractions import (
    NO_RETURN,
    Computation,
    Partition,
    finish_abstraction,
    first_entry,
    first_return,
    minimal_complete_abstraction,
    output_abstraction,
)
from abstractions.plotting import draw_computation, save_or_show

HEAD, HALT = 1, 4


def step(state):
    pc, x, acc, k = state
    if pc == 0:
        return (1, x, 0, k)
    if pc == 1:
        return (4, x, acc, k) if k == 0 else (2, x, acc, k)
    if pc == 2:
        return (3, x, acc + x, k)
    return (1, x, acc, k - 1)  # pc 3


C = Computation.from_functions(
    step,
    {(x, y): (0, x, 0, y) for x in range(4) for y in range(4)},
    halted=lambda state: state[0] == HALT,
    output=lambda state: state[2] if state[0] == HALT else None,
)
names = C.state_labels
pc = np.array([s[0] for s in names])
beta = output_abstraction(C)  # the output at the halt; nothing before it
print(f"{C.n} states, {int((pc == HEAD).sum())} at the loop head, {int(C.halted.sum())} halted")

every_step = minimal_complete_abstraction(C, beta)
print(f"every instruction observed: {every_step.n_blocks} classes")

schedule = (pc == HEAD) | C.halted
induced, index = first_return(C, schedule)
alpha = minimal_complete_abstraction(C, beta, schedule=schedule)
print(f"schedule 'pc = loop head, or halted': {induced.n} checkpoints "
      f"(the last is the sink), {alpha.n_blocks} classes")


def at_checkpoint(i):
    """What the abstraction keeps at checkpoint i: (variant, invariant), or the output."""
    if index[i] < 0:
        return "sink"
    _, x, acc, k = names[index[i]]
    return ("halted", acc) if pc[index[i]] == HALT else ("k", k, "acc + k*x", acc + k * x)


assert alpha == Partition.kernel([at_checkpoint(i) for i in range(induced.n)])
print("  the classes at the loop head are (k, acc + k*x):")
for block in alpha.blocks():
    what = at_checkpoint(int(block[0]))
    if what != "sink" and what[0] == "k" and what[1] == 2:  # one slice of the table
        members = ", ".join(f"x={names[index[i]][1]} acc={names[index[i]][2]}" for i in block)
        print(f"    k=2 acc+k*x={what[3]}:  {members}")
# One abstract step: k counts down, the invariant stays.
for i in range(induced.n - 1):
    if pc[index[i]] == HEAD and names[index[i]][3] > 0:
        before, after = at_checkpoint(i), at_checkpoint(int(induced.step[i]))
        assert after[1] == before[1] - 1 and after[3] == before[3]
print("  one abstract step: k -> k - 1, acc + k*x unchanged (the loop invariant)")
sink = induced.n - 1
assert induced.output_value(sink) is NO_RETURN and not (induced.step[:-1] == sink).any()
print("  no run leaves the loop without halting: the sink is never reached")

at_halt = minimal_complete_abstraction(C, beta, schedule=C.halted)
finish = at_halt.pullback(first_entry(C, C.halted))
assert finish == finish_abstraction(C)
heads = np.flatnonzero(pc == HEAD)
invariant = [names[m][2] + names[m][3] * names[m][1] for m in heads]
assert finish.restrict(heads) == Partition.kernel(invariant)
print(f"schedule 'halted', carried back: the finish abstraction ({finish.n_blocks} classes); "
      f"at the loop head it keeps acc + k*x alone")


OUTDIR = sys.argv[1] if len(sys.argv) > 1 else None  # where figures go (None: show them)

# Every state takes the class of its next checkpoint: the abstraction
# carried back along the runs (the body states ride with the next head).
carried = alpha.pullback(first_entry(C, schedule))
ax = draw_computation(C, carried, labels=lambda s: str(s[0]),
                      title="multiply by repeated addition (label: pc), coloured by the class "
                            "of the next loop head")
save_or_show(ax.figure, "loop_invariant", OUTDIR)


def short(name):
    """A checkpoint's label in the picture: k,acc+k*x at the head; the output at the halt."""
    if name is NO_RETURN:
        return "sink"
    pc_, x, acc, k = name
    return f"out {acc}" if pc_ == HALT else f"{k},{acc + k * x}"


ax = draw_computation(induced, alpha, labels=short,
                      title="one step per iteration: loop heads labelled k, acc + k*x")
save_or_show(ax.figure, "loop_invariant_heads", OUTDIR)
