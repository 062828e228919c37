"""Models from elsewhere: networkx and scipy in and out, an Aldebaran .aut file, readable blocks."""

import os
import tempfile

import networkx as nx
import scipy.sparse as sp

from abstractions import (
    TransitionSystem,
    abstract_computation,
    bisimilar,
    describe,
    minimal_complete_abstraction,
    output_abstraction,
)
from abstractions.formats import load_model, save_model

# networkx in: an LTS is a MultiDiGraph with a "label" on each edge
G = nx.MultiDiGraph()
G.add_edge("idle", "paid", label="coin")
G.add_edge("idle", "paid too", label="coin")
G.add_edge("paid", "idle", label="tea")
G.add_edge("paid too", "idle", label="tea")
T = TransitionSystem.from_networkx(G)
P = minimal_complete_abstraction(T, output_abstraction(T))  # strong bisimulation
A, _ = abstract_computation(T, P)  # abstract states are named after their first state
print(T.n, "states ->", A.n, "abstract states named", A.state_labels)
print("bisimilar:", bisimilar(T, "paid", "paid too"))
print("networkx out:", sorted(A.to_networkx().edges(data="label")))  # back to networkx

# scipy in and out: a walk on a ring of 6 that only sees "at 0 or not", lumped
n = 6
rows = [s for s in range(n) for _ in (0, 1)]
cols = [t for s in range(n) for t in ((s + 1) % n, (s - 1) % n)]
ring = sp.csr_array(([0.5] * (2 * n), (rows, cols)), shape=(n, n))
M = TransitionSystem.probabilistic(ring, output=["home"] + ["away"] * (n - 1))
L, _ = abstract_computation(M, minimal_complete_abstraction(M, output_abstraction(M)))
print("lumped:", L.n, "states named", L.state_labels)
print(L.probability_matrix(sparse=True).toarray())  # a scipy.sparse array at any size

# an Aldebaran .aut file (CADP, mCRL2, the VLTS suite) in and out
folder = tempfile.mkdtemp()
with open(os.path.join(folder, "coffee.aut"), "w") as f:
    f.write('des (0, 4, 4)\n(0, "coin", 1)\n(0, "coin", 2)\n(1, "coffee", 3)\n(2, "coffee", 3)\n')
C = load_model(os.path.join(folder, "coffee.aut"))
Q = minimal_complete_abstraction(C, output_abstraction(C))
quotient, _ = abstract_computation(C, Q, names=None)  # .aut states are numbers
save_model(quotient, os.path.join(folder, "coffee-min.aut"))
print(open(os.path.join(folder, "coffee-min.aut")).read(), end="")

# what each block stands for (a pandas DataFrame when pandas is installed)
print(describe(C, Q, as_frame=False))
