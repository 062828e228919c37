"""The bisimulation quotient of a small nondeterministic protocol.

A service runs replicas of one component. A replica is idle (I), busy (B)
or down (D); the actions are "job" (a job arrives and some idle replica
takes it -- which one is not specified: nondeterminism), "done" (a busy
replica finishes), "crash" (a busy replica fails) and "repair" (a down
replica comes back idle). The observer sees the actions and, in every
state, whether the service accepts jobs (some replica is idle).

Two states are bisimilar when they accept alike and every action one can
take, the other can match into a bisimilar state. For nondeterministic
systems this is the complete-abstraction condition (powerset functor):
related states have the same set of (action, successor block) pairs, and
the minimal complete abstraction above the observation is the coarsest
bisimulation. Here it merges the states that differ by swapping replicas
-- (I, B) and (B, I) -- because the swap maps the system onto itself, and
nothing else: the longest run of "job" counts the idle replicas, that of
"repair" the down ones. So the quotient counts replicas in each mode: with
r replicas, 3^r states become (r + 1)(r + 2) / 2 classes.

Bisimilarity is finer than trace equivalence. The classic pair
a.(b + c) ("do a, then choose b or c") and a.b + a.c ("choose while doing
a") have the same traces {a, ab, ac}, yet they are not bisimilar: after a,
the first can still do both. find_violation names them as the witness that
the trace-equivalence partition is not complete.

Run: python examples/protocol_bisimulation.py [OUTDIR]
(saves the figures as PNG files in OUTDIR; without it, shows them)
"""

import itertools
import sys

import matplotlib.pyplot as plt
import numpy as np

from abstractions import (
    Partition,
    TransitionSystem,
    abstract_computation,
    find_violation,
    is_complete,
    minimal_complete_abstraction,
    output_abstraction,
)
from abstractions.plotting import draw_system, save_or_show

MODES = "IBD"  # idle, busy, down
MOVES = {"job": ("I", "B"), "done": ("B", "I"), "crash": ("B", "D"), "repair": ("D", "I")}


def replicas(r):
    """r replicas as a labelled nondeterministic system: states, successor lists, labels."""
    states = ["".join(s) for s in itertools.product(MODES, repeat=r)]
    index = {s: i for i, s in enumerate(states)}
    successors, labels = [], []  # one list per state: targets, and the action of each
    for s in states:
        targets, actions = [], []
        for action, (before, after) in MOVES.items():
            for k in range(r):  # any replica in the right mode may move
                if s[k] == before:
                    targets.append(index[s[:k] + after + s[k + 1:]])
                    actions.append(action)
        successors.append(targets)
        labels.append(actions)
    accepts = ["I" in s for s in states]
    return states, TransitionSystem.nondeterministic(successors, output=accepts, labels=labels)


def multiset(state):
    """How many replicas are in each mode, e.g. 'BI' -> 'IB'."""
    return "".join(sorted(state, key=MODES.index))


states, T = replicas(2)
beta = output_abstraction(T)
print(f"2 replicas: {T.n} states, {T.n_transitions} transitions, actions {T.symbols}")
print(f"beta = 'accepts jobs?': {beta.n_blocks} blocks, complete? {is_complete(T, beta)}")
# Why mirror images merge: swapping the replicas maps every transition to a
# transition with the same action, and keeps the output.
swap = [states.index(s[::-1]) for s in states]
moves = {(s, T.symbols[T.edge_labels[i]], int(T.targets[i]))
         for s in range(T.n) for i in range(T.indptr[s], T.indptr[s + 1])}
symmetric = {(swap[s], a, swap[t]) for s, a, t in moves} == moves
symmetric = symmetric and all(T.output[swap[s]] == T.output[s] for s in range(T.n))
print(f"swapping the replicas maps the system onto itself: {symmetric}")
assert symmetric
P = minimal_complete_abstraction(T, beta)
print(f"coarsest bisimulation: {P.n_blocks} classes")
for block in P.blocks():
    print("  " + " ~ ".join(states[s] for s in block))
assert P == Partition.kernel([multiset(s) for s in states])

Q, P = abstract_computation(T, P)
names = [multiset(states[s]) for s in P.representatives()]
print("the quotient (one state per class):")
for b in range(Q.n):
    moves = [f"{Q.symbols[Q.edge_labels[i]]} -> {names[Q.targets[i]]}"
             for i in range(Q.indptr[b], Q.indptr[b + 1])]
    accepts = Q.output_values[Q.output[b]]
    print(f"  {names[b]:3s} accepts={accepts!s:5s}  " + ", ".join(moves))
# From II, "job" had two successors (IB and BI); in the quotient they are one.
II = names.index("II")
assert Q.successors(II).tolist() == [names.index("IB")]

for r in (3, 4):
    states_r, T_r = replicas(r)
    classes = minimal_complete_abstraction(T_r, output_abstraction(T_r))
    print(f"{r} replicas: {T_r.n} states -> {classes.n_blocks} classes")
    assert classes == Partition.kernel([multiset(s) for s in states_r])
    assert classes.n_blocks == (r + 1) * (r + 2) // 2

# a.(b + c) versus a.b + a.c, side by side in one system.
processes = ["p", "p'", "pb", "pc", "q", "q1", "q2", "qb", "qc"]
edges = [("p", "a", "p'"), ("p'", "b", "pb"), ("p'", "c", "pc"),
         ("q", "a", "q1"), ("q", "a", "q2"), ("q1", "b", "qb"), ("q2", "c", "qc")]
at = {name: i for i, name in enumerate(processes)}
succ = [[at[t] for s, _, t in edges if s == name] for name in processes]
U = TransitionSystem.nondeterministic(
    succ, output=["-"] * len(processes),  # nothing observed but the actions
    labels=[[a for s, a, _ in edges if s == name] for name in processes],
)


def traces(s):
    """All action sequences that can be performed from s (the systems are finite trees)."""
    found = {""}
    for i in range(U.indptr[s], U.indptr[s + 1]):
        action = U.symbols[U.edge_labels[i]]
        found |= {action + rest for rest in traces(int(U.targets[i]))}
    return frozenset(found)


print("a.(b + c) is p, a.b + a.c is q")
print(f"  traces(p) = {sorted(traces(at['p']))}, traces(q) = {sorted(traces(at['q']))}")
assert traces(at["p"]) == traces(at["q"])
by_traces = Partition.kernel([traces(s) for s in range(U.n)])
s1, s2 = find_violation(U, by_traces)
print(f"  trace equivalence: {by_traces.n_blocks} classes; "
      f"violation ({processes[s1]}, {processes[s2]})")
assert {processes[s1], processes[s2]} == {"p", "q"}


def next_blocks(s, P):
    """The (action, successor block) pairs of s: what F(P) sees of its next step."""
    return sorted({f"{U.symbols[U.edge_labels[i]]} -> "
                   + "{" + " ".join(processes[u] for u in P.blocks()[P.labels[U.targets[i]]]) + "}"
                   for i in range(U.indptr[s], U.indptr[s + 1])})


for s in (s1, s2):
    print(f"    {processes[s]}: " + ", ".join(next_blocks(s, by_traces)))
bisim = minimal_complete_abstraction(U, output_abstraction(U))
print(f"  bisimulation: {bisim.n_blocks} classes: "
      + " | ".join(" ".join(processes[s] for s in block) for block in bisim.blocks()))
assert bisim.labels[at["p"]] != bisim.labels[at["q"]]
# Bisimulation is trace equivalence with p and q told apart, nothing more.
p_from_q = Partition.kernel([name if name in ("p", "q") else "" for name in processes])
assert bisim == by_traces | p_from_q


OUTDIR = sys.argv[1] if len(sys.argv) > 1 else None  # where figures go (None: show them)


# Replica 1's mode down the rows, replica 2's across: swapping replicas is the
# mirror in the diagonal, and mirror images share a colour.
grid = np.array([(MODES.index(s[1]), -MODES.index(s[0])) for s in states], dtype=float)
# A class with i idle, b busy, d down replicas on a triangle of side 2.
counts = [(name.count("B"), name.count("D")) for name in names]
triangle = np.array([(b + d / 2, d * np.sqrt(3) / 2) for b, d in counts])
fig, (left, right) = plt.subplots(1, 2, figsize=(12, 5.5))
# The arrows bow well out, so that "repair" (D -> I) passes the busy states.
draw_system(T, P, left, pos=grid, labels=lambda s: states[s], bend=0.35,
            marked=[bool(T.output_values[i]) for i in T.output],
            title="2 replicas (row: first, column: second), coloured by class")
draw_system(Q, Partition.top(Q.n), right, pos=triangle, labels=lambda b: names[b],
            marked=[bool(Q.output_values[i]) for i in Q.output],
            title="the bisimulation quotient: replicas counted per mode (ring = accepts jobs)")
save_or_show(fig, "protocol_bisimulation", OUTDIR)

tree = np.array([(0, 0), (0, -1), (-0.5, -2), (0.5, -2),
                 (2.5, 0), (2, -1), (3, -1), (2, -2), (3, -2)], dtype=float)
ax = draw_system(U, bisim, pos=tree, labels=lambda s: processes[s],
                 title="a.(b+c) and a.b+a.c: same traces, coloured by bisimulation class")
save_or_show(ax.figure, "protocol_bisimulation_traces", OUTDIR)
