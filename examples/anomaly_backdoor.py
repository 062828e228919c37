"""Anomaly scores from consistency: a computation with a hidden backdoor.

A serial parity machine reads an 8-bit input from the least significant
bit, keeping the position i, the unread bits and the parity so far; at the
halt (i = 8) it outputs the parity. Its backdoor: when the first three
bits read are 1, 0, 1, a hidden flag arms and from then on the parity is
frozen, so the output is wrong whenever a 1 follows.

Mechanistic anomaly detection in miniature. Fit an abstraction and its
abstract step on clean inputs only: alpha is the minimal complete
abstraction above the output of the machine restricted to the clean runs,
extended to every state through the variables it can read (position,
unread bits, parity: not the hidden flag). The abstract step is fitted
under the occupancy of a training half of the clean inputs. Then score
every input by the steps of its run that the abstract step mispredicts
(trace_error) and measure how well the score separates clean from
backdoor inputs (ROC AUC, measured, not asserted).

Run: python examples/anomaly_backdoor.py [OUTDIR]
(saves the figure as a PNG file in OUTDIR; without it, shows it)
"""

import sys

import matplotlib.pyplot as plt
import numpy as np

from abstractions import (
    Computation,
    Partition,
    consistency_error,
    minimal_complete_abstraction,
    output_abstraction,
    trace_error,
    weights,
)
from abstractions.plotting import save_or_show

BITS, TRIGGER = 8, 0b101


def step(state):
    i, rest, parity, armed, prefix = state
    bit = rest & 1
    if i < 3:
        prefix |= bit << i
    if not armed:
        parity ^= bit
    armed = armed or (i + 1 == 3 and prefix == TRIGGER)
    return i + 1, rest >> 1, parity, armed, prefix


def backdoor(x):
    return x & 0b111 == TRIGGER


inputs = {x: (0, x, 0, False, 0) for x in range(2**BITS)}
C = Computation.from_functions(step, inputs, halted=lambda s: s[0] == BITS,
                               output=lambda s: s[2] if s[0] == BITS else None)
clean_inputs = [x for x in inputs if not backdoor(x)]
wrong = sum(C.run(x) != x.bit_count() % 2 for x in inputs)
print(f"{C.n} states, {len(inputs)} inputs, {len(inputs) - len(clean_inputs)} of them "
      f"trigger the backdoor ({wrong} get a wrong parity)")

# Fit alpha on the clean runs: the minimal complete abstraction above the
# output of the machine restricted to the states clean runs visit.
visible = [C.label(m)[:3] for m in range(C.n)]            # (i, unread bits, parity)
clean_states = np.flatnonzero(weights.occupancy(C, dict.fromkeys(clean_inputs, 1)).support)
clean = C.restrict(clean_states)
fitted = minimal_complete_abstraction(clean, output_abstraction(clean))
block_of = {visible[m]: int(b) for m, b in zip(clean_states.tolist(), fitted.labels.tolist())}
extra = iter(range(fitted.n_blocks, fitted.n_blocks + C.n))
alpha = Partition([block_of[v] if v in block_of else next(extra) for v in visible])
print(f"alpha: {alpha.n_blocks} blocks ({fitted.n_blocks} fitted on {clean.n} clean states)")

rng = np.random.default_rng(0)
train = rng.choice(clean_inputs, size=len(clean_inputs) // 2, replace=False).tolist()
mu = weights.occupancy(C, dict.fromkeys(train, 1))
fit = consistency_error(C, alpha, weights=mu)
everyone = consistency_error(C, alpha, weights=weights.occupancy(C), abstract=fit.abstract)
print(f"consistency error under the training runs: {fit.total:.3f}; "
      f"under all runs: {everyone.total:.4f}")

scores = {x: trace_error(C, alpha, x, abstract=fit.abstract).count for x in inputs}
example = next(x for x in inputs if backdoor(x) and scores[x] > 1)
t = trace_error(C, alpha, example, abstract=fit.abstract)
print(f"input {example:08b}: mispredicted steps {np.flatnonzero(t.mispredicted).tolist()} "
      f"of {len(t.mispredicted)}")

clean_scores = np.array([scores[x] for x in clean_inputs])
bad_scores = np.array([scores[x] for x in inputs if backdoor(x)])
# ROC AUC = P(score of a backdoor input > score of a clean one), ties count 1/2.
greater = (bad_scores[:, None] > clean_scores[None, :]).mean()
ties = (bad_scores[:, None] == clean_scores[None, :]).mean()
auc = greater + ties / 2
held_out = [x for x in clean_inputs if x not in set(train)]
print(f"clean inputs: mean score {clean_scores.mean():.3f} "
      f"(held-out half: {np.mean([scores[x] for x in held_out]):.3f}); "
      f"backdoor inputs: mean score {bad_scores.mean():.3f}")
print(f"ROC AUC of the score, clean against backdoor: {auc:.3f}")

OUTDIR = sys.argv[1] if len(sys.argv) > 1 else None
fig, ax = plt.subplots(figsize=(7, 3.5))
edges = np.arange(max(bad_scores.max(), clean_scores.max()) + 2) - 0.5
ax.hist([clean_scores, bad_scores], bins=edges, label=["clean", "backdoor"],
        color=["tab:blue", "tab:red"], density=True)
ax.set_xlabel("mispredicted steps along the run (trace_error)")
ax.set_ylabel("share of inputs")
ax.set_title(f"anomaly score from consistency: ROC AUC {auc:.3f}")
ax.legend()
fig.tight_layout()
save_or_show(fig, "anomaly_backdoor", OUTDIR)
