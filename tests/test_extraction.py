"""Automaton extraction and anomaly scores, on a numpy network with hand-set weights (no torch)."""

from __future__ import annotations

import numpy as np
import pytest

from abstractions import TransitionSystem, minimal_complete_abstraction, output_abstraction
from abstractions.anomaly import anomaly_scores, fit_abstract_step, step_errors
from abstractions.extraction import all_strings, extract_automaton
from abstractions.machines import sample_strings, tomita
from abstractions.quantizers import GridQuantizer, KMeansQuantizer
from abstractions.traces import UNOBSERVED, from_traces
from tests.helpers import require_extra


class HandSetNetwork:
    """A recurrent network whose weights implement a DFA: h' = sigmoid(K (W_a h) - K/2).

    The state is a noisy one-hot vector of the DFA state, spread into
    ``width`` units by a fixed random rotation (so no unit is the DFA
    state); the readout is linear. A model for extraction: strings in,
    (states, answers after each prefix) out.
    """

    def __init__(self, dfa, width=8, gain=12.0, seed=0):
        self.dfa = dfa
        rng = np.random.default_rng(seed)
        n = dfa.n
        self.letters = {a: i for i, a in enumerate(dfa.symbols)}
        # W[a] maps the one-hot of s to the one-hot of step_a(s).
        self.W = np.zeros((len(dfa.symbols), n, n))
        for a in range(len(dfa.symbols)):
            self.W[a, dfa.steps[a], np.arange(n)] = 1.0
        self.gain = gain
        self.rotation = np.linalg.qr(rng.normal(size=(width, width)))[0][:, :n]
        self.accept = np.array([bool(dfa.output_value(s)) for s in range(n)], dtype=float)
        self.h0 = np.eye(n)[int(dfa.input_states[0])]

    def step(self, h, a):
        return 1.0 / (1.0 + np.exp(-self.gain * (self.W[a] @ h - 0.5)))

    def __call__(self, strings):
        states, answers = [], []
        for w in strings:
            h = self.h0
            hs = [h]
            for letter in w:
                h = self.step(h, self.letters[letter])
                hs.append(h)
            H = np.array(hs)
            states.append(H @ self.rotation.T)
            answers.append(H @ self.accept > 0.5)
        return states, answers


def equivalent(A, dfa):
    """Language equivalence of the extracted automaton and a DFA (disjoint union, Moore)."""
    X = A.system
    steps = np.concatenate([X.steps, dfa.steps + X.n], axis=1)
    out = [X.output_value(s) for s in range(X.n)] + [dfa.output_value(s) for s in range(dfa.n)]
    ids = {v: i for i, v in enumerate(dict.fromkeys(out))}
    union = TransitionSystem.labelled(steps, output=[ids[v] for v in out])
    alpha = minimal_complete_abstraction(union, output_abstraction(union))
    return alpha.labels[A.start] == alpha.labels[X.n + int(dfa.input_states[0])]


@pytest.mark.parametrize("number", range(1, 8))
def test_extraction_from_a_hand_set_network_finds_the_grammar(number):
    """Quantise the network's states and minimise: the grammar's minimal DFA, exactly."""
    dfa = tomita(number)
    net = HandSetNetwork(dfa)
    A = extract_automaton(net, "01", quantizer=GridQuantizer(0.25), strings=all_strings("01", 7))
    assert A.complete and A.sink is None
    assert A.n_states == dfa.n
    assert equivalent(A, dfa)
    words = sample_strings(dfa, 15, 50, seed=number)
    _, answers = net(words)
    assert A.agreement(words, [a[-1] for a in answers]) == 1.0


def test_unobserved_transitions_are_asked_of_the_model():
    """From short strings, the extraction asks the network about the unobserved transitions."""
    dfa = tomita(4)
    net = HandSetNetwork(dfa)
    A0 = extract_automaton(net, "01", quantizer=GridQuantizer(0.25), strings=["0"], rounds=0)
    assert not A0.complete and A0.unobserved.any()
    assert A0.output("1") is UNOBSERVED
    A = extract_automaton(net, "01", quantizer=GridQuantizer(0.25), strings=["0"], rounds=5)
    assert A.complete and equivalent(A, dfa)


def test_extraction_from_traces_marks_the_unobserved():
    """Traces only: what was never seen goes to the sink, and the automaton says so."""
    dfa = tomita(5)
    net = HandSetNetwork(dfa)
    words = ["0011", "0101"]
    states, answers = net(words)
    A = extract_automaton(states, "01", symbols=words, outputs=answers,
                          quantizer=GridQuantizer(0.25))
    assert not A.complete
    assert A.unobserved.sum() > 0
    assert A.output("0011") is True and A.output("011") is UNOBSERVED  # (1, 1) never read a 1


def test_consistency_error_on_held_out_traces():
    """0 on traces of the same network; positive on a network that computes differently."""
    dfa = tomita(6)
    net = HandSetNetwork(dfa)
    q = GridQuantizer(0.25)
    A = extract_automaton(net, "01", quantizer=q, strings=all_strings("01", 6))
    words = sample_strings(dfa, 12, 20, seed=1)
    states, _ = net(words)
    assert A.consistency_error(states, words) == 0.0
    other, _ = HandSetNetwork(tomita(5), width=8)(words)  # same width, another automaton
    assert A.consistency_error(other, words) > 0.2


def test_kmeans_extraction():
    """A k-means quantiser with as many centres as DFA states finds the DFA (scikit-learn extra)."""
    require_extra("learned")  # KMeansQuantizer needs scikit-learn
    dfa = tomita(3)
    A = extract_automaton(HandSetNetwork(dfa), "01", quantizer=KMeansQuantizer(dfa.n))
    assert equivalent(A, dfa)


def test_beta_a_callable_on_outputs_and_errors():
    """beta as a callable on the answers; bad arguments are named."""
    dfa = tomita(2)
    net = HandSetNetwork(dfa)
    A = extract_automaton(net, "01", quantizer=GridQuantizer(0.25), beta=lambda y: True)
    assert A.n_states == 1  # keeping nothing: one state
    with pytest.raises(ValueError, match="needs the alphabet"):
        extract_automaton(net, quantizer=GridQuantizer(0.25))
    with pytest.raises(ValueError, match="needs their symbols"):
        extract_automaton([[0, 1]])
    with pytest.raises(TypeError, match="must return \\(states, outputs\\)"):
        extract_automaton(lambda ws: None, "01")
    with pytest.raises(ValueError, match="rounds must be"):
        extract_automaton(net, "01", rounds=-1)
    with pytest.raises(ValueError, match="not in the alphabet"):
        A.run("2")


def test_fit_abstract_step_is_the_plurality():
    """The best abstract step keeps the most frequent successor; unseen pairs are -1."""
    blocks = [np.array([0, 1, 0]), np.array([0, 2]), np.array([0, 1])]
    letters = [np.array([0, 0]), np.array([0]), np.array([0])]
    step = fit_abstract_step(blocks, letters, 3, 2)
    assert step.tolist() == [[1, 0, -1], [-1, -1, -1]]
    assert step_errors(step, np.array([0, 2, 0]), np.array([0, 0])).tolist() == [1, 1]


def test_anomaly_scores_separate_a_different_computation():
    """Fitted on clean traces, the score is 0 on clean inputs and high on another computation."""
    dfa = tomita(4)
    net = HandSetNetwork(dfa)
    q = GridQuantizer(0.25)
    A = extract_automaton(net, "01", quantizer=q, strings=all_strings("01", 6))
    words = sample_strings(dfa, 10, 10, seed=3)
    clean_states, clean_answers = net(words)
    clean = anomaly_scores(A, clean_states, symbols=words, outputs=clean_answers)
    assert clean.total.tolist() == [0.0] * 10
    flipped = [~a for a in clean_answers]
    odd = anomaly_scores(A, clean_states, symbols=words, outputs=flipped)
    assert (odd.total == 10).all() and odd.mean.tolist() == [1.0] * 10
    with pytest.raises(ValueError, match="must be an Automaton"):
        anomaly_scores(dfa, clean_states, symbols=words)


def test_from_traces_of_the_network_matches_its_dfa_exactly():
    """Every transition observed: the empirical system's minimal DFA is the grammar's."""
    dfa = tomita(7)
    net = HandSetNetwork(dfa)
    words = all_strings("01", 8)
    states, answers = net(words)
    E = from_traces(states, symbols=words, outputs=answers, quantizer=GridQuantizer(0.25))
    assert E.n_conflicts == 0 and E.sink is None and E.n_observed == dfa.n
    A = extract_automaton(E)
    assert equivalent(A, dfa)


def test_sample_strings_reach_the_wanted_output():
    """Every sampled string leads to the requested output, even when such strings are rare."""
    for number in range(1, 8):
        dfa = tomita(number)
        net = HandSetNetwork(dfa)
        for wanted in (True, False):
            try:
                words = sample_strings(dfa, 8, 20, output=wanted, seed=number)
            except ValueError:
                continue  # no string of length 8 with that answer
            _, answers = net(words)
            assert all(bool(a[-1]) == wanted for a in answers)


def test_tomita_benchmark_decides_equivalence_exactly():
    """The benchmark's equivalence check: yes for the grammar's own DFA, no for another."""
    from benchmarks import tomita as bench

    A = extract_automaton(HandSetNetwork(tomita(3)), "01", quantizer=GridQuantizer(0.25))
    assert bench.equivalent(A, tomita(3))
    assert not bench.equivalent(A, tomita(7))
    assert bench.labels_of(tomita(1), "110") == [True, True, True, False]
    partial = extract_automaton(HandSetNetwork(tomita(3)), "01", quantizer=GridQuantizer(0.25),
                                strings=["0"], rounds=0)
    assert not bench.equivalent(partial, tomita(3))  # the sink is reachable
