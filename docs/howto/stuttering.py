"""Stuttering: the abstract step fires only when the abstract state changes."""

import numpy as np

from abstractions import (
    Computation,
    Partition,
    TransitionSystem,
    minimal_complete_abstraction,
    stuttering_abstraction,
)

# A countdown from 5 that shows only "are we at zero yet".
C = Computation([0, 0, 1, 2, 3, 4], halted=[True] + [False] * 5)
at_zero = Partition.kernel(np.arange(6) == 0)
print("complete:  ", minimal_complete_abstraction(C, at_zero).n_blocks, "classes")
print("stuttering:", stuttering_abstraction(C, at_zero).n_blocks, "classes")

# A labelled transition system with a silent action: tau.a ~ a, but not tau.a + b.
T = TransitionSystem.nondeterministic(
    [[1], [2], [], [1, 2]], labels=[["tau"], ["a"], [], ["tau", "b"]]
)
P = stuttering_abstraction(T, Partition.bottom(4), silent="tau")
print("branching bisimulation:", P)
assert P.labels.tolist() == [0, 0, 1, 2]

# A Markov chain: a state that dawdles (loops with probability 1/2) before
# moving on is weakly bisimilar to one that moves at once.
M = TransitionSystem.probabilistic(
    [[0, 0, 1], [0, 0.5, 0.5], [0, 0, 1]], output=["go", "go", "done"]
)
print("weak bisimulation:", stuttering_abstraction(M, M.output))
