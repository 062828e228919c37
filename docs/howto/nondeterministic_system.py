"""Build a nondeterministic system: from lists, CSR arrays or a 0/1 matrix; with actions."""

import numpy as np

from abstractions import (
    TransitionSystem,
    minimal_complete_abstraction,
    output_abstraction,
)

# 0 -> {1, 2}, 1 -> {3}, 2 -> {3}, 3 -> {} (a deadlock is allowed)
from_lists = TransitionSystem.nondeterministic([[1, 2], [3], [3], []], output=[0, 0, 0, 1])
indptr = np.array([0, 2, 3, 4, 4])  # CSR: the successors of s are indices[indptr[s]:indptr[s+1]]
indices = np.array([1, 2, 3, 3])
from_csr = TransitionSystem.nondeterministic((indptr, indices), output=[0, 0, 0, 1])
adjacency = np.zeros((4, 4), dtype=bool)
adjacency[[0, 0, 1, 2], [1, 2, 3, 3]] = True
from_matrix = TransitionSystem.nondeterministic(adjacency, output=[0, 0, 0, 1])
for T in (from_lists, from_csr, from_matrix):
    assert T.n == 4 and T.n_transitions == 4 and T.indptr.tolist() == indptr.tolist()
    assert T.targets.tolist() == indices.tolist()
# 1 and 2 both move into {3} only: bisimilar.
bisim = minimal_complete_abstraction(from_lists, output_abstraction(from_lists))
print("unlabelled:", bisim)
assert bisim.labels[1] == bisim.labels[2]

# Actions: one label per transition, laid out like the successors.
actions = TransitionSystem.nondeterministic(
    [[1, 2], [3], [3], []], output=[0, 0, 0, 1], labels=[["go", "go"], ["left"], ["right"], []]
)
assert actions.symbols == ("go", "left", "right")
# With CSR arrays, the labels are a flat array beside the indices.
same = TransitionSystem.nondeterministic((indptr, indices), output=[0, 0, 0, 1],
                                         labels=["go", "go", "left", "right"])
assert same.edge_labels.tolist() == actions.edge_labels.tolist()
bisim = minimal_complete_abstraction(actions, output_abstraction(actions))
print("labelled:  ", bisim, "actions", actions.symbols)
assert bisim.labels[1] != bisim.labels[2]  # now 1 and 2 are told apart by their action
