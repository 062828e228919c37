"""Build a continuous-time Markov chain (rates): exact or float; lump it; embed or uniformise it."""

import numpy as np

from abstractions import (
    ContinuousTimeMarkovChain,
    Partition,
    abstract_computation,
    minimal_complete_abstraction,
    output_abstraction,
)

# Three machines, each failing at rate 1 and repaired one at a time at rate 4.
# Watch only "how many are up?": states are the 8 up/down vectors.
states = [(a, b, c) for a in (0, 1) for b in (0, 1) for c in (0, 1)]
index = {s: i for i, s in enumerate(states)}
rates = np.zeros((8, 8), dtype=np.int64)  # int entries: exact mode
for s in states:
    down = [k for k in range(3) if s[k] == 0]
    for k in range(3):
        t = list(s)
        if s[k] == 1:
            t[k] = 0
            rates[index[s], index[tuple(t)]] += 1  # machine k fails
        elif k == down[0]:
            t[k] = 1
            rates[index[s], index[tuple(t)]] += 4  # the first one down is repaired
up = [sum(s) for s in states]
T = ContinuousTimeMarkovChain(rates, output=up, state_labels=states)
print(T.exact, T.exit_rates[:2])

# Related states must have the same total rate into every block (Storm's
# strong bisimulation of a CTMC; self-loops count).
lumped = minimal_complete_abstraction(T, output_abstraction(T))
print(lumped.n_blocks, "blocks:", lumped)
assert lumped.n_blocks == 4  # 0, 1, 2 or 3 machines up: a birth-death chain
Q, _ = abstract_computation(T, lumped)
print(Q)

# Floats: block totals are compared as multiples of tol (absolute, default 1e-9).
floats = ContinuousTimeMarkovChain(rates.astype(float), output=up)
assert minimal_complete_abstraction(floats, output_abstraction(floats)) == lumped

# Discrete-time views: the jump chain and the uniformised chain (MarkovChain objects).
print(T.embedded().probabilities[:3], T.uniformised().n_transitions)
assert Partition.from_labels(up) <= lumped
