"""Build the empirical system of recorded traces: hashable states, or vectors through a quantiser."""

import numpy as np

from abstractions.quantizers import GridQuantizer
from abstractions.traces import UNOBSERVED, from_traces

# Two traces of a parity counter: T symbols, T + 1 observed states, one output per state.
E = from_traces(
    [["even", "odd", "even", "even"], ["even", "odd", "odd"]],
    symbols=["110", "10"],
    outputs=[[True, False, True, True], [True, False, False]],
)
print(E.system.kind, E.system.n, "states", E.keys, "conflicts:", E.n_conflicts)
assert E.system.steps.tolist() == [[0, 1], [1, 0]]  # rows: letters "0", "1"

# Vectors (e.g. hidden states, shape (traces, T + 1, features)) go through a quantiser.
X = np.array([[[0.1, 0.0], [0.9, 1.1], [0.0, 0.1]], [[0.0, 0.0], [1.0, 1.0], [1.2, 0.8]]])
E = from_traces(X, symbols=["ba", "bb"], quantizer=GridQuantizer(1.0))
print("grid cells:", E.keys.tolist(), "sink:", E.sink)
# Cell (0, 0) was never seen reading "a": its step goes to the sink, and that is marked.
assert E.unobserved.tolist() == [[True, False], [False, False]]  # rows: letters "a", "b"
assert E.sink == 2 and E.system.steps[:, 0].tolist() == [2, 1]
assert E.system.output_value(E.sink) is UNOBSERVED

# A conflict: one observed state, one letter, two successors. The labelled kind keeps
# the most frequent; kind="nondeterministic" keeps both, kind="probabilistic" counts them.
traces, symbols = [[0, 1], [0, 2], [0, 2]], ["a", "a", "a"]
E = from_traces(traces, symbols=symbols)
print("labelled: conflicts at (state, letter)", E.conflicts.tolist(), "-> kept", E.system.steps[0, 0])
N = from_traces(traces, symbols=symbols, kind="nondeterministic").system
P = from_traces(traces, symbols=symbols, kind="probabilistic").system
print("nondeterministic:", sorted(N.transitions(0)))
print("probabilistic:", [(t, round(p, 3)) for _, t, p in P.transitions(0)])
