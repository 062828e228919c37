"""A pipeline with internal steps: its branching-bisimulation quotient is a buffer.

A message passes through a row of one-place stages: "in0"/"in1" puts a bit
into the first stage, a silent step "tau" moves a bit on to the next stage
when that one is empty, and "out0"/"out1" takes the bit out of the last
stage. Which stage holds a bit is internal: an observer sees only the in
and out actions, in the order they happen.

Strong bisimulation treats "tau" as an action like any other, so every
state stays apart. Branching bisimulation (stuttering_abstraction with
silent="tau") lets a silent step pass unseen when it stays in its class --
and then, as the states on the way stay in the class of the state they
start from, nothing an observer could notice is lost. With two stages,
"bit in the first stage" and "bit in the second stage" merge: the quotient
is a two-place FIFO buffer (7 states for 9); with three stages, a
three-place one (15 for 27).

When the links are lossy -- a transfer may fail and be retried, a silent
step from a state to itself -- a state holding a bit in front of an empty
stage can retry for ever. divergence="blind" ignores that and still gives
the buffer; divergence="sensitive" (divergence-preserving branching
bisimulation) keeps such states apart from those that cannot loop.

Run: python examples/protocol_branching.py [OUTDIR]
(saves the figures as PNG files in OUTDIR; without it, shows them)
"""

import itertools
import sys

import numpy as np

from abstractions import (
    Partition,
    TransitionSystem,
    minimal_complete_abstraction,
    stuttering_abstraction,
)
from abstractions.plotting import draw_system, save_or_show


def pipeline(stages, lossy=False):
    """The pipeline as a labelled transition system; states are strings such as '0-'."""
    states = ["".join(s) for s in itertools.product("-01", repeat=stages)]
    index = {s: i for i, s in enumerate(states)}
    successors, labels = [], []
    for s in states:
        moves = []
        if s[0] == "-":
            moves += [(f"in{d}", d + s[1:]) for d in "01"]
        for i in range(stages - 1):
            if s[i] != "-" and s[i + 1] == "-":
                moves.append(("tau", s[:i] + "-" + s[i] + s[i + 2:]))
                if lossy:
                    moves.append(("tau", s))  # the transfer failed: try again
        if s[-1] != "-":
            moves.append((f"out{s[-1]}", s[:-1] + "-"))
        successors.append([index[t] for _, t in moves])
        labels.append([a for a, _ in moves])
    return states, TransitionSystem.nondeterministic(successors, labels=labels)


def queue(state):
    """The bits in the order they will come out: the last stage first."""
    return "".join(c for c in reversed(state) if c != "-")


def quotient(T, P):
    """The system on the classes: every transition but the silent ones inside a class."""
    successors = [[] for _ in range(P.n_blocks)]
    labels = [[] for _ in range(P.n_blocks)]
    for s in range(T.n):
        for action, t, _ in T.transitions(s):
            b, c = int(P.labels[s]), int(P.labels[t])
            if action == "tau" and b == c:
                continue  # inert: invisible in the quotient
            successors[b].append(c)
            labels[b].append(action)
    return TransitionSystem.nondeterministic(successors, labels=labels)


states, T = pipeline(2)
nothing = Partition.bottom(T.n)  # only the actions are observed
strong = minimal_complete_abstraction(T, nothing)
branching = stuttering_abstraction(T, nothing, silent="tau")
print(f"2 stages: {T.n} states, {T.n_transitions} transitions")
print(f"  strong bisimulation (tau seen like any action): {strong.n_blocks} classes")
print(f"  branching bisimulation (tau silent): {branching.n_blocks} classes")
for block in branching.blocks():
    inside = queue(states[block[0]])
    print("    " + " ~ ".join(states[s] for s in block) + f"   (the buffer holds '{inside}')")
# The classes are the buffer contents, read in the order the bits come out.
assert branching == Partition.kernel([queue(s) for s in states])

Q = quotient(T, branching)
names = [queue(states[int(r)]) for r in branching.representatives()]
print("  the quotient, a two-place FIFO buffer:")
for b in range(Q.n):
    moves = ", ".join(f"{a} -> '{names[t]}'" for a, t, _ in Q.transitions(b))
    print(f"    '{names[b]}': {moves}")
# Check it against the specification of the buffer, state by state.
for b, contents in enumerate(names):
    spec = {(f"in{d}", contents + d) for d in "01"} if len(contents) < 2 else set()
    if contents:
        spec.add((f"out{contents[0]}", contents[1:]))  # first in, first out
    assert {(a, names[t]) for a, t, _ in Q.transitions(b)} == spec

states3, T3 = pipeline(3)
three = stuttering_abstraction(T3, Partition.bottom(T3.n), silent="tau")
print(f"3 stages: {T3.n} states -> {three.n_blocks} classes (a three-place buffer)")
assert three == Partition.kernel([queue(s) for s in states3]) and three.n_blocks == 15

_, L = pipeline(2, lossy=True)
blind = stuttering_abstraction(L, Partition.bottom(L.n), silent="tau", divergence="blind")
sensitive = stuttering_abstraction(L, Partition.bottom(L.n), silent="tau")
print(f"2 stages, lossy links: divergence-blind {blind.n_blocks} classes, "
      f"divergence-sensitive {sensitive.n_blocks} classes")
assert blind == branching and sensitive == Partition.top(L.n)
print("  (a bit in the first stage may be retried for ever; in the second it cannot)")


OUTDIR = sys.argv[1] if len(sys.argv) > 1 else None  # where figures go (None: show them)

# Stage 1 across, stage 2 down: "-" "0" "1" in each direction.
grid = np.array([("-01".index(s[0]), -"-01".index(s[1])) for s in states], dtype=float)
fig_axes = draw_system(T, branching, pos=grid, labels=lambda s: states[s], bend=0.2,
                       title="two stages (first across, second down), coloured by class")
save_or_show(fig_axes.figure, "protocol_branching", OUTDIR)
# The buffer's states by how many bits it holds, from left to right.
by_length = {}
for b, contents in enumerate(names):
    by_length.setdefault(len(contents), []).append(b)
pos = np.zeros((Q.n, 2))
for length, blocks in by_length.items():
    for row, b in enumerate(sorted(blocks, key=lambda b: names[b])):
        pos[b] = (length, -row + (len(blocks) - 1) / 2)
ax = draw_system(Q, Partition.top(Q.n), pos=pos, labels=lambda b: f"'{names[b]}'", bend=0.2,
                 title="the branching-bisimulation quotient: a two-place buffer")
save_or_show(ax.figure, "protocol_branching_quotient", OUTDIR)
