"""Automaton extraction on the seven Tomita grammars (run by hand; needs torch and scikit-learn).

For each grammar: generate strings (half drawn uniformly among the
accepted strings of their length, half uniformly at random; lengths 1 to
20), train a small GRU on CPU (seeded) to answer after every prefix, then
extract an automaton with :func:`abstractions.extraction.extract_automaton`
(k-means quantiser; the smallest ``k`` whose automaton agrees with the
network on validation strings) and report:

* the network's accuracy on held-out strings (lengths 1 to 20, balanced);
* the extracted automaton's states against the grammar's minimal DFA;
* whether it is equivalent to that DFA, decided exactly with the library:
  the minimal complete abstraction of the disjoint union of the two DFAs
  above the output puts the two start states in one block;
* its agreement with the network on held-out strings up to length 20, and
  its consistency error on their traces;
* the time to train and to extract.

Run: python -m benchmarks.tomita [--grammars 1 2 ...]
     python -m benchmarks.tomita --from-traces   (times from_traces on 10^6 steps)
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np

from abstractions import (
    TransitionSystem,
    minimal_complete_abstraction,
    output_abstraction,
    warmup,
)
from abstractions.extraction import Automaton, extract_automaton
from abstractions.machines import sample_strings, tomita
from abstractions.quantizers import GridQuantizer, KMeansQuantizer
from abstractions.recorder import record, recurrent_model
from abstractions.traces import from_traces

ALPHABET = ("0", "1")
MAX_LENGTH = 20
HIDDEN = 16


def labels_of(dfa: Any, word: str) -> list[bool]:
    """The grammar's answer after each prefix of ``word``, the empty one first."""
    s = int(dfa.input_states[0])
    steps = dfa.steps
    out = [bool(dfa.output_value(s))]
    for a in word:
        s = int(steps[int(a), s])
        out.append(bool(dfa.output_value(s)))
    return out


def balanced_strings(dfa: Any, count: int, rng: np.random.Generator) -> list[str]:
    """Half accepted strings (uniform among those of their length), half uniform strings."""
    lengths = rng.integers(1, MAX_LENGTH + 1, size=count)
    accepted = np.arange(count) % 2 == 0
    words = []
    for length in range(1, MAX_LENGTH + 1):
        wanted = int(((lengths == length) & accepted).sum())
        rest = int((lengths == length).sum()) - wanted
        try:
            words += sample_strings(dfa, length, wanted, output=True, seed=rng)
        except ValueError:  # no accepted string of that length (e.g. (10)* and odd lengths)
            rest += wanted
        words += sample_strings(dfa, length, rest, seed=rng)
    return [words[int(i)] for i in rng.permutation(len(words))]


def make_net(torch: Any) -> Any:
    class Net(torch.nn.Module):  # type: ignore[misc]
        """One-hot letters, a GRU, a linear readout of every state (the start state first)."""

        def __init__(self) -> None:
            super().__init__()
            self.rnn = torch.nn.GRU(len(ALPHABET), HIDDEN, batch_first=True)
            self.readout = torch.nn.Linear(HIDDEN, 1)

        def forward(self, x: Any) -> Any:
            out, _ = self.rnn(x)
            start = torch.zeros(x.shape[0], 1, HIDDEN)
            return self.readout(torch.cat([start, out], dim=1))[..., 0]

    return Net()


def encode(torch: Any, words: list[str]) -> Any:
    ids = torch.tensor([[int(a) for a in w] for w in words], dtype=torch.long)
    return torch.nn.functional.one_hot(ids, len(ALPHABET)).float()


def train(torch: Any, dfa: Any, seed: int, steps: int = 800, batch: int = 64) -> Any:
    """A GRU trained to give the grammar's answer after every prefix (per-step logistic loss)."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    net = make_net(torch)
    opt = torch.optim.Adam(net.parameters(), lr=0.01)
    pool = balanced_strings(dfa, 4000, rng)
    by_length: dict[int, list[str]] = {}
    for w in pool:
        by_length.setdefault(len(w), []).append(w)
    lengths = sorted(by_length)
    for _ in range(steps):
        length = lengths[int(rng.integers(len(lengths)))]
        group = by_length[length]
        words = [group[int(i)] for i in rng.integers(len(group), size=batch)]
        target = torch.tensor([labels_of(dfa, w) for w in words], dtype=torch.float32)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(net(encode(torch, words)), target)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return net


def answers(torch: Any, net: Any, words: list[str]) -> np.ndarray:
    """The network's final answer on each string."""
    out = np.empty(len(words), dtype=bool)
    by_length: dict[int, list[int]] = {}
    for i, w in enumerate(words):
        by_length.setdefault(len(w), []).append(i)
    with torch.no_grad():
        for idx in by_length.values():
            logits = net(encode(torch, [words[i] for i in idx]))
            out[idx] = (logits[:, -1] > 0).numpy()
    return out


def equivalent(A: Automaton, dfa: Any) -> bool:
    """Whether the automaton and the DFA accept the same language, decided exactly.

    The disjoint union of the two DFAs is one labelled system; its minimal
    complete abstraction above the output is language equivalence of all
    its states (Moore), so the two start states share a block exactly when
    the languages agree. An unobserved transition reached from the start
    leads to the sink, whose output no state of the DFA has: not equivalent.
    """
    X = A.system
    steps = np.concatenate([X.steps, dfa.steps + X.n], axis=1)
    outputs = [X.output_value(s) for s in range(X.n)] + [dfa.output_value(s) for s in range(dfa.n)]
    ids = {v: i for i, v in enumerate(dict.fromkeys(outputs))}
    union = TransitionSystem.labelled(
        steps, output=[ids[v] for v in outputs], symbols=X.symbols
    )
    alpha = minimal_complete_abstraction(union, output_abstraction(union))
    return bool(alpha.labels[A.start] == alpha.labels[X.n + int(dfa.input_states[0])])


class Memo:
    """A model that runs each string once: the extractions for every k share the recordings."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.cache: dict[str, tuple[Any, Any]] = {}

    def __call__(self, strings: list[str]) -> tuple[list[Any], list[Any]]:
        todo = [w for w in dict.fromkeys(strings) if w not in self.cache]
        if todo:
            states, said = self.model(todo)
            self.cache.update(zip(todo, zip(states, said)))
        return [self.cache[w][0] for w in strings], [self.cache[w][1] for w in strings]


def extract(torch: Any, net: Any, words: list[str], valid: list[str], valid_answers: np.ndarray,
            max_k: int = 12) -> tuple[Automaton, int]:
    """The automaton of the smallest k whose agreement on validation strings is 1 (else the best)."""
    model = Memo(recurrent_model(net, ALPHABET, module="rnn", encode=lambda ws: encode(torch, ws)))
    best: tuple[float, Automaton, int] | None = None
    for k in range(2, max_k + 1):
        A = extract_automaton(model, ALPHABET, quantizer=KMeansQuantizer(k, n_init=2), strings=words)
        score = A.agreement(valid, valid_answers)
        if best is None or score > best[0]:
            best = (score, A, k)
        if score == 1.0:
            break
    assert best is not None
    return best[1], best[2]


def run_grammar(torch: Any, number: int, seed: int = 0) -> dict[str, Any]:
    dfa = tomita(number)
    rng = np.random.default_rng(1000 + seed)
    t0 = time.perf_counter()
    net = train(torch, dfa, seed)
    net.eval()
    train_s = time.perf_counter() - t0
    test = balanced_strings(dfa, 2000, rng)
    truth = np.array([labels_of(dfa, w)[-1] for w in test])
    net_test = answers(torch, net, test)
    valid = balanced_strings(dfa, 500, rng)
    net_valid = answers(torch, net, valid)
    words = balanced_strings(dfa, 1000, rng)
    t0 = time.perf_counter()
    A, k = extract(torch, net, words, valid, net_valid)
    extract_s = time.perf_counter() - t0
    # Consistency error on the held-out traces (strings of length 20 only, one batch).
    held = [w for w in test if len(w) == MAX_LENGTH][:200]
    rec = record(net, encode(torch, held), modules="rnn")
    return {
        "grammar": number,
        "accuracy": float((net_test == truth).mean()),
        "states": A.n_states,
        "minimal": dfa.n,
        "equivalent": equivalent(A, dfa),
        "agreement": A.agreement(test, net_test),
        "consistency": A.consistency_error(rec.states["rnn"], held),
        "complete": A.complete,
        "k": k,
        "train_s": train_s,
        "extract_s": extract_s,
    }


def table(rows: list[dict[str, Any]]) -> str:
    head = ("| grammar | net accuracy | extracted states | minimal DFA | equivalent | "
            "agreement (len <= 20) | consistency error | k | train s | extract s |")
    lines = [head, "|" + " --- |" * 10]
    for r in rows:
        lines.append(
            f"| {r['grammar']} ({tomita_name(r['grammar'])}) | {100 * r['accuracy']:.2f} % | "
            f"{r['states']} | {r['minimal']} | {'yes' if r['equivalent'] else 'no'} | "
            f"{100 * r['agreement']:.2f} % | {r['consistency']:.4f} | {r['k']} | "
            f"{r['train_s']:.1f} | {r['extract_s']:.1f} |"
        )
    return "\n".join(lines)


def tomita_name(number: int) -> str:
    from abstractions.machines import TOMITA

    return TOMITA[number][0]


def time_from_traces(repeats: int = 3) -> float:
    """Best time of from_traces on 10^6 recorded steps (10^4 traces of 100 symbols, 16 units).

    The traces are a random walk on a 50-state automaton over two letters,
    embedded in 16 dimensions with noise, through a grid quantiser.
    """
    rng = np.random.default_rng(0)
    n_traces, length, width, n = 10_000, 100, 16, 50
    delta = rng.integers(0, n, size=(2, n))
    embed = rng.normal(size=(n, width)).astype(np.float32)
    letters = rng.integers(0, 2, size=(n_traces, length))
    walk = np.zeros((n_traces, length + 1), dtype=np.int64)
    for t in range(length):
        walk[:, t + 1] = delta[letters[:, t], walk[:, t]]
    X = embed[walk] + rng.normal(scale=0.01, size=walk.shape + (width,)).astype(np.float32)
    q = GridQuantizer(0.5)
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        from_traces(X, symbols=letters, outputs=walk % 2 == 0, quantizer=q)
        best = min(best, time.perf_counter() - t0)
    return best


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grammars", type=int, nargs="*", default=list(range(1, 8)))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--from-traces", action="store_true",
                        help="only time from_traces on 10^6 recorded steps")
    args = parser.parse_args(argv)
    if args.from_traces:
        warmup()
        from_traces(np.zeros((2, 3, 2)), symbols=[[0, 1], [1, 0]], quantizer=GridQuantizer(1.0))
        print(f"from_traces, 10^6 recorded steps of 16 units: {time_from_traces():.2f} s")
        return
    import torch

    torch.set_num_threads(1)  # seeded runs repeat exactly, and the cores stay shared
    # Compile the kernels first, so that no extraction time below is numba compiling.
    warmup()
    from_traces(np.zeros((2, 3, 2)), symbols=[[0, 1], [1, 0]], quantizer=GridQuantizer(1.0))
    KMeansQuantizer(2).fit(np.arange(8.0).reshape(4, 2))  # imports scikit-learn
    rows = []
    for number in args.grammars:
        row = run_grammar(torch, number, args.seed)
        rows.append(row)
        print(table([row]).splitlines()[-1], flush=True)
    print()
    print(table(rows))
    good = [r for r in rows if r["accuracy"] >= 0.99]
    print(f"\nequivalent on {sum(r['equivalent'] for r in good)} of the {len(good)} grammars "
          "where the network reaches 99 %")


if __name__ == "__main__":
    main()
