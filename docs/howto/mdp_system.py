"""Build a Markov decision process: per state, a set of (action, distribution) choices."""

from fractions import Fraction

import numpy as np

from abstractions import (
    MarkovDecisionProcess,
    abstract_computation,
    minimal_complete_abstraction,
    output_abstraction,
)

half = Fraction(1, 2)
# One list of choices per state; a choice is (action, {target: probability})
# or (action, a row of n probabilities). Fractions are exact, floats use tol.
M = MarkovDecisionProcess(
    [
        [("flip", {2: half, 3: half}), ("stay", {0: 1})],  # state 0: two choices
        [("flip", {2: half, 3: half}), ("wait", {1: 1})],  # state 1: like 0, but "wait"
        [("stay", {2: 1})],
        [("stay", {3: 1})],
    ],
    output=["start", "start", "heads", "tails"],
)
respect = minimal_complete_abstraction(M, output_abstraction(M))
print("actions respected:", respect)
assert respect.n_blocks == 4  # "stay" and "wait" are different actions

# actions="ignore" compares the sets of block distributions only
N = M.with_actions("ignore")
ignore = minimal_complete_abstraction(N, output_abstraction(N))
print("actions ignored:  ", ignore)
assert ignore.n_blocks == 3  # 0 and 1 both stay in their block, or flip

# The quotient is an MDP on the blocks; exact stays exact.
A, _ = abstract_computation(N, ignore)
print(A.n, "abstract states; block 0 chooses", A.choices(0))

# The same MDP as CSR arrays (Storm's row groups): choices per state, rows per
# choice, targets, probabilities and an action per choice.
arrays = (
    np.array([0, 2, 4, 5, 6]),
    np.array([0, 2, 3, 5, 6, 7, 8]),
    np.array([2, 3, 0, 2, 3, 1, 2, 3]),
    [half, half, 1, half, half, 1, 1, 1],
    ["flip", "stay", "flip", "wait", "stay", "stay"],
)
assert MarkovDecisionProcess(arrays, output=["start", "start", "heads", "tails"]) == M
