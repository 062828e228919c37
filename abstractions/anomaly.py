"""Mechanistic anomaly scores: how far a new input's computation strays from the abstraction.

Fit an abstraction and its abstract step on clean traces (an extracted
automaton, :func:`~abstractions.extraction.extract_automaton`); a new
input is *anomalous* when its trace does not follow them: the abstract step
predicts the abstract state after each symbol, and the abstract state
predicts the answer. The score of a step counts the failures of the two
commuting squares there (0, 1 or 2); the score of an input is their sum
along its trace. Clean inputs score near 0 wherever the abstraction
explains them, whatever the network answers; an input that makes the
network compute differently (a backdoor trigger) scores high even when
its answer looks plausible.

The abstract step used here is the *best* one on the clean traces: for each
(abstract state, letter), the abstract successor seen most often
(:func:`fit_abstract_step`); its misprediction rate is the consistency
error of the abstraction under the clean traces' distribution of steps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from abstractions._validation import Ids, python_value
from abstractions.exceptions import InvalidValueError
from abstractions.extraction import Automaton
from abstractions.traces import from_traces

__all__ = ["AnomalyScores", "fit_abstract_step", "step_errors", "anomaly_scores"]


def fit_abstract_step(
    blocks: Sequence[Ids], letters: Sequence[Ids], n_blocks: int, n_letters: int
) -> Ids:
    """The best abstract step on traces: the most frequent next block per (block, letter).

    Parameters
    ----------
    blocks : sequence of int arrays
        Per trace, the abstract state of each of its ``T + 1`` states (-1
        where unknown).
    letters : sequence of int arrays
        Per trace, the letter id of each of its ``T`` steps.
    n_blocks, n_letters : int

    Returns
    -------
    numpy.ndarray of int64, shape (n_letters, n_blocks)
        ``step[a, b]``, or -1 where (b, a) was never seen between known states.

    Examples
    --------
    >>> fit_abstract_step([np.array([0, 1, 1, 0]), np.array([0, 1])],
    ...                   [np.array([0, 0, 1]), np.array([0])], 2, 2)
    array([[ 1,  1],
           [-1,  0]])
    """
    src = np.concatenate([b[:-1] for b in blocks]) if blocks else np.zeros(0, np.int64)
    dst = np.concatenate([b[1:] for b in blocks]) if blocks else np.zeros(0, np.int64)
    sym = np.concatenate(list(letters)) if letters else np.zeros(0, np.int64)
    if not (src.shape == dst.shape == sym.shape):
        raise InvalidValueError("blocks and letters do not match: T + 1 blocks for T letters")
    known = (src >= 0) & (dst >= 0)
    src, dst, sym = src[known], dst[known], sym[known]
    step = np.full((n_letters, n_blocks), -1, dtype=np.int64)
    if src.size == 0:
        return step
    counts = np.zeros((n_letters * n_blocks, n_blocks), dtype=np.int64)
    np.add.at(counts, (sym * n_blocks + src, dst), 1)
    seen = counts.sum(axis=1) > 0
    # argmax picks the first maximum: ties go to the smallest block id.
    best = counts.argmax(axis=1)
    step.reshape(-1)[seen] = best[seen]
    return step


def step_errors(step: Ids, blocks: Ids, letters: Ids) -> Ids:
    """1 at each step of one trace where the abstract step mispredicts the next block.

    A step from or to an unknown block (-1), or from a (block, letter) the
    abstract step never saw, counts as a misprediction.

    Examples
    --------
    >>> step = np.array([[1, 1], [-1, 0]])
    >>> step_errors(step, np.array([0, 1, 0, 0]), np.array([0, 1, 0])).tolist()
    [0, 0, 1]
    """
    here, there = blocks[:-1], blocks[1:]
    predicted = np.where(here >= 0, step[letters, np.maximum(here, 0)], -1)
    errors: Ids = ((predicted < 0) | (there < 0) | (predicted != there)).astype(np.int64)
    return errors


@dataclass(frozen=True)
class AnomalyScores:
    """What :func:`anomaly_scores` returns.

    Attributes
    ----------
    per_step : list of numpy.ndarray
        Per input, the score after each symbol (``T`` entries): the
        misprediction of the abstract state (0 or 1) plus, with outputs,
        the misprediction of the answer (0 or 1).
    total : numpy.ndarray of float64
        Per input, the sum of its per-step scores.
    """

    per_step: list[np.ndarray]
    total: np.ndarray

    @property
    def mean(self) -> np.ndarray:
        """Per input, the average score per symbol (0 for an input of no symbols)."""
        return np.array([s.mean() if s.size else 0.0 for s in self.per_step])


def anomaly_scores(
    automaton: Automaton, traces: Any, *, symbols: Any, outputs: Any = None
) -> AnomalyScores:
    """Score new inputs by how their traces break the abstraction fitted on clean ones.

    Parameters
    ----------
    automaton : Automaton
        Extracted from clean traces: its abstraction of the observed states,
        and the best abstract step on those traces (:func:`fit_abstract_step`).
    traces : array_like or sequence
        The new inputs' traces, as for :func:`~abstractions.traces.from_traces`
        (quantised like the clean ones).
    symbols : array_like or sequence
        The letters they read.
    outputs : array_like or sequence, optional
        The network's answer after each prefix; adds the output square.

    Returns
    -------
    AnomalyScores

    Examples
    --------
    Fit on traces of a parity machine, then score one that breaks it:

    >>> from abstractions.extraction import extract_automaton
    >>> clean = extract_automaton([[0, 1, 0, 0, 1]], symbols=["1101"],
    ...                           outputs=[[0, 1, 0, 0, 1]])
    >>> s = anomaly_scores(clean, [[0, 1, 1, 0]], symbols=["110"], outputs=[[0, 1, 1, 0]])
    >>> s.per_step[0].tolist(), s.total.tolist()    # 1 -1-> 1 is not 1 -1-> 0; 1 -0-> was never seen
    ([0.0, 1.0, 1.0], [2.0])
    """
    if not isinstance(automaton, Automaton):
        raise InvalidValueError(
            f"automaton must be an Automaton (from extract_automaton), got "
            f"{type(automaton).__name__}"
        )
    E = automaton.empirical
    labels = automaton.abstraction.labels
    n_blocks, k = automaton.system.n, len(automaton.alphabet)
    clean_blocks = [labels[E.trace(i)] for i in range(E.n_traces)]
    clean_letters = [
        E.letters[int(E.offsets[i]) - i : int(E.offsets[i + 1]) - i - 1] for i in range(E.n_traces)
    ]
    step = fit_abstract_step(clean_blocks, clean_letters, n_blocks, k)
    held = from_traces(
        traces, symbols=symbols, outputs=outputs, quantizer=E.quantizer, alphabet=automaton.alphabet
    )
    found = E.lookup_keys(held.keys)
    blocks = np.where(found >= 0, labels[np.maximum(found, 0)], -1)
    predicted_output: Any = None
    observed: list[Any] = []
    if outputs is not None:
        # The answer each abstract state stands for, and the answers given.
        predicted_output = [automaton.system.output_value(b) for b in range(n_blocks)]
        flat: list[Any] = []
        for row in (outputs.tolist() if isinstance(outputs, np.ndarray) else outputs):
            flat.extend(python_value(v) for v in row)
        observed = flat
    per_step = []
    for i in range(held.n_traces):
        lo, hi = int(held.offsets[i]), int(held.offsets[i + 1])
        b = blocks[held.state_ids[lo:hi]]
        score = step_errors(step, b, held.letters[lo - i : hi - i - 1]).astype(np.float64)
        if predicted_output is not None:
            wrong = [
                q < 0 or predicted_output[q] != y
                for q, y in zip(b[1:].tolist(), observed[lo + 1 : hi])
            ]
            score += np.array(wrong, dtype=np.float64)
        per_step.append(score)
    total = np.array([s.sum() for s in per_step], dtype=np.float64)
    return AnomalyScores(per_step=per_step, total=total)
