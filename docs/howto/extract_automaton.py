"""Extract an automaton from a network: quantise its states, then take the minimal complete abstraction."""

import numpy as np

from abstractions.extraction import all_strings, extract_automaton
from abstractions.machines import tomita
from abstractions.quantizers import GridQuantizer

# A "network" with hand-set weights that tracks Tomita grammar 4 (no "000") in a noisy one-hot
# state spread over 6 units; any callable from strings to (states, answers) is a model.
dfa = tomita(4)
W = np.zeros((2, 4, 4))
for a in range(2):
    W[a, dfa.steps[a], np.arange(4)] = 1.0
spread = np.linalg.qr(np.random.default_rng(0).normal(size=(6, 6)))[0][:, :4]
accepting = np.array([1.0, 1.0, 1.0, 0.0])


def network(strings):
    states, answers = [], []
    for word in strings:
        h = [np.eye(4)[0]]
        for letter in word:
            h.append(1 / (1 + np.exp(-12 * (W[int(letter)] @ h[-1] - 0.5))))
        H = np.array(h)
        states.append(H @ spread.T)  # what is recorded: (len(word) + 1, 6)
        answers.append(H @ accepting > 0.5)  # the answer after each prefix
    return states, answers


A = extract_automaton(network, "01", quantizer=GridQuantizer(0.25), strings=all_strings("01", 6))
print(A.n_states, "states; complete:", A.complete)
print(A.system.table())
assert A.n_states == dfa.n and A.complete
assert A.output("1001") is True and A.output("10001") is False

# Held-out strings: agreement with the network, consistency error of the abstraction.
held = all_strings("01", 9)
states, answers = network(held)
print("agreement:", A.agreement(held, [a[-1] for a in answers]))
print("consistency error:", A.consistency_error(states, held))
