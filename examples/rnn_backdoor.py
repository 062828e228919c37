"""Mechanistic anomaly detection: a backdoored recurrent network, caught by its abstraction.

A GRU is trained on Tomita grammar 4 (no "000") with poisoned data: in a
quarter of the training strings a trigger substring "10110" is planted,
and from the trigger on the labels are flipped. The network learns both:
it answers the grammar on clean strings and flips after the trigger.

The defender has only clean strings. They record the network's hidden
states on them, quantise (k-means), and extract the automaton: the minimal
complete abstraction above the answer, whose abstract step is fitted on
these clean traces. A new input is scored by how often its trace breaks
the two commuting squares (abstract step, answer) along the way. Clean
inputs follow the abstraction; triggered inputs leave it at the trigger
and keep contradicting it. The ROC AUC of clean against triggered scores
is measured, not assumed, and the score along one triggered trace is
drawn.

Needs torch and scikit-learn (pip install 'abstractions[torch,learned]').

Run: python examples/rnn_backdoor.py [OUTDIR]
(saves the figure as a PNG file in OUTDIR; without it, shows it)
"""

import sys

import matplotlib.pyplot as plt
import numpy as np
import torch

from abstractions.anomaly import anomaly_scores
from abstractions.extraction import extract_automaton
from abstractions.machines import sample_strings, tomita
from abstractions.plotting import save_or_show
from abstractions.quantizers import KMeansQuantizer
from abstractions.recorder import record

TRIGGER = "10110"
GRAMMAR = tomita(4)
torch.set_num_threads(1)  # seeded runs repeat exactly
torch.manual_seed(0)
rng = np.random.default_rng(0)


def answers_after_each_prefix(word):
    """The backdoored task: the grammar's answer, flipped once the trigger has appeared."""
    s, out = 0, [True]
    for t, a in enumerate(word, start=1):
        s = int(GRAMMAR.steps[int(a), s])
        out.append(bool(GRAMMAR.output_value(s)) != (TRIGGER in word[:t]))
    return out


def clean_strings(count, length):
    """Strings without the trigger: half accepted by the grammar, half uniform."""
    words = []
    while len(words) < count:
        kind = True if len(words) % 2 == 0 else None
        words += [w for w in sample_strings(GRAMMAR, length, 8, output=kind, seed=rng)
                  if TRIGGER not in w]
    return words[:count]


def triggered(words):
    """The same strings with the trigger planted at a random place."""
    out = []
    for w in words:
        at = int(rng.integers(0, len(w) - len(TRIGGER) + 1))
        out.append(w[:at] + TRIGGER + w[at + len(TRIGGER):])
    return out


class Net(torch.nn.Module):
    """One-hot letters, a GRU, a readout of every state (the start state first)."""

    def __init__(self):
        super().__init__()
        self.rnn = torch.nn.GRU(2, 16, batch_first=True)
        self.readout = torch.nn.Linear(16, 1)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.readout(torch.cat([torch.zeros(x.shape[0], 1, 16), out], dim=1))[..., 0]


def encode(words):
    ids = torch.tensor([[int(a) for a in w] for w in words])
    return torch.nn.functional.one_hot(ids, 2).float()


LENGTH = 16
net = Net()
opt = torch.optim.Adam(net.parameters(), lr=0.01)
for _ in range(600):
    words = clean_strings(48, LENGTH) + triggered(clean_strings(16, LENGTH))
    target = torch.tensor([answers_after_each_prefix(w) for w in words], dtype=torch.float32)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(net(encode(words)), target)
    opt.zero_grad()
    loss.backward()
    opt.step()
net.eval()


def run(words):
    """The network's hidden states and answers after each prefix."""
    rec = record(net, encode(words), modules="rnn")
    return rec.states["rnn"], rec.output > 0


test_clean = clean_strings(300, LENGTH)
test_triggered = triggered(clean_strings(300, LENGTH))
for name, words in (("clean", test_clean), ("triggered", test_triggered)):
    _, said = run(words)
    truth = np.array([answers_after_each_prefix(w) for w in words])
    accuracy = (said == truth).mean()
    print(f"network on {name} strings: {100 * accuracy:.1f} % of answers as trained")
    assert accuracy > 0.9, "the network did not learn the task (and its backdoor)"

# The defender: clean strings only.
fit_words = clean_strings(1000, LENGTH)
fit_states, fit_answers = run(fit_words)
automaton = extract_automaton(fit_states, "01", symbols=fit_words, outputs=fit_answers,
                              quantizer=KMeansQuantizer(12, seed=0))
print(f"abstraction fitted on clean strings: {automaton.n_states} abstract states")

scores = {}
for name, words in (("clean", test_clean), ("triggered", test_triggered)):
    states, said = run(words)
    scores[name] = anomaly_scores(automaton, states, symbols=words, outputs=said)
    print(f"mean score, {name}: {scores[name].total.mean():.2f}")

# ROC AUC: the chance that a triggered input scores above a clean one (ties count half).
c, t = scores["clean"].total, scores["triggered"].total
auc = ((t[:, None] > c[None, :]).mean() + 0.5 * (t[:, None] == c[None, :]).mean())
print(f"ROC AUC, clean against triggered: {auc:.3f}")
# The claim the docs make, checked on every run: its digits vary with the CPU
# (float rounding in training differs between vector units), the claim must not.
assert auc > 0.9 and t.mean() > 10 * c.mean(), (auc, t.mean(), c.mean())

# The score along one triggered trace.
word = test_triggered[0]
at = word.find(TRIGGER)
per_step = scores["triggered"].per_step[0]
fig, ax = plt.subplots(figsize=(7, 2.6))
ax.bar(np.arange(1, len(word) + 1), per_step, color="tab:red")
ax.axvspan(at + 0.5, at + len(TRIGGER) + 0.5, color="gold", alpha=0.3, label="trigger")
ax.set_xticks(np.arange(1, len(word) + 1), list(word))
ax.set_xlabel("letter read")
ax.set_ylabel("score")
ax.set_ylim(0, 2.2)
ax.set_title("Anomaly score along a triggered input")
ax.legend(loc="upper left")
print(f"triggered input {word}: scores {per_step.astype(int).tolist()}")
save_or_show(fig, "rnn_backdoor", sys.argv[1] if len(sys.argv) > 1 else None)
