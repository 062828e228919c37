"""Automaton extraction: the minimal complete abstraction of an empirical system.

A recurrent network that reads strings and answers after each prefix is a
learned computation. Quantise its states, build the empirical labelled
system of the observed steps (:func:`~abstractions.traces.from_traces`),
and take its minimal complete abstraction above the answer: the quotient is
the smallest DFA that explains what was observed, the *extracted
automaton* (the quantise-then-minimise route of Omlin and Giles, 1996).

Transitions the traces never showed go to a sink state whose output is
:data:`~abstractions.traces.UNOBSERVED`; the automaton marks them
(:attr:`Automaton.unobserved`). When the network itself is at hand, the
extraction asks it what happens there (runs the prefix that reached the
state, plus the letter), a few rounds, so the automaton is usually complete.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import product
from typing import Any

import numpy as np

from abstractions._keys import first_rows
from abstractions._validation import Ids, Mask, python_value, readonly
from abstractions.completeness import abstract_computation
from abstractions.exceptions import InvalidTypeError, InvalidValueError, SizeMismatchError
from abstractions.keep import output_abstraction
from abstractions.minimal import minimal_complete_abstraction
from abstractions.partition import Partition
from abstractions.systems import LabelledSystem
from abstractions.traces import UNOBSERVED, EmpiricalSystem, from_traces

__all__ = ["Automaton", "Model", "extract_automaton", "all_strings", "run_model"]

#: A model, for extraction: maps a list of strings (sequences of letters) to
#: their traces ``(states, outputs)``: ``states`` of shape ``(B, T+1, d)`` or
#: one ``(T_i+1, d)`` array per string, ``outputs`` one answer per state
#: (after each prefix, the empty one first). The torch recorder's
#: :func:`abstractions.recorder.recurrent_model` builds one from a network.
Model = Callable[[list[Any]], tuple[Any, Any]]

#: Default number of strings the extraction runs through a model.
_DEFAULT_STRINGS = 4096


def all_strings(alphabet: Sequence[Any], length: int) -> list[Any]:
    """Every string of exactly ``length`` letters, in lexicographic order.

    Strings are ``str`` when every letter is a one-character string, tuples
    otherwise. Running them records every prefix, so every string up to
    ``length``.

    Examples
    --------
    >>> all_strings("01", 2)
    ['00', '01', '10', '11']
    """
    letters = tuple(alphabet)
    words = product(letters, repeat=length)
    if all(isinstance(a, str) and len(a) == 1 for a in letters):
        return ["".join(w) for w in words]
    return [tuple(w) for w in words]


def run_model(model: Model, strings: Sequence[Any]) -> tuple[Any, Any]:
    """Run ``model`` on ``strings`` and check what it returns (states and outputs).

    Raises
    ------
    InvalidTypeError
        If ``model`` is not callable or returns something other than a pair.
    InvalidValueError
        If it returns states or outputs for another number of strings.
    """
    if not callable(model):
        raise InvalidTypeError(f"model must be callable, got {type(model).__name__}")
    result = model(list(strings))
    if not isinstance(result, tuple) or len(result) != 2:
        raise InvalidTypeError(
            "a model must return (states, outputs) for the strings it is given, got "
            f"{type(result).__name__}"
        )
    states, outputs = result
    for name, value in (("states", states), ("outputs", outputs)):
        if len(value) != len(strings):
            raise InvalidValueError(
                f"the model returned {name} for {len(value)} strings, but was given "
                f"{len(strings)}"
            )
    return states, outputs


@dataclass(frozen=True, eq=False)
class Automaton:
    """An extracted automaton: a DFA with its unobserved transitions marked.

    Attributes
    ----------
    system : LabelledSystem
        The DFA: the quotient of the empirical system by :attr:`abstraction`
        (symbols are the alphabet, outputs the answers, with
        :data:`~abstractions.traces.UNOBSERVED` for the sink).
    start : int
        The start state (where the first trace starts).
    sink : int or None
        The state standing for everything never observed, or None.
    unobserved : numpy.ndarray of bool, shape (k, n)
        ``unobserved[a, q]``: state ``q`` was never seen reading letter ``a``
        (its step goes to the sink).
    abstraction : Partition
        The minimal complete abstraction of the empirical system's states;
        ``abstraction.labels[s]`` is the automaton state of empirical state
        ``s``.
    empirical : EmpiricalSystem
        What the automaton was extracted from.
    """

    system: LabelledSystem
    start: int
    sink: int | None
    unobserved: Mask
    abstraction: Partition
    empirical: EmpiricalSystem

    @property
    def alphabet(self) -> tuple[Any, ...]:
        """The letters, in the order of the DFA's step rows."""
        return self.empirical.alphabet

    @property
    def n_states(self) -> int:
        """Number of states reachable from :attr:`start`, the sink left out."""
        return len(self._reachable() - {self.sink})

    @property
    def complete(self) -> bool:
        """Whether every transition of a reachable state was observed (the sink is unreachable)."""
        return self.sink is None or self.sink not in self._reachable()

    def _reachable(self) -> set[int]:
        seen = {self.start}
        frontier = [self.start]
        steps = self.system.steps
        while frontier:
            q = frontier.pop()
            for t in steps[:, q].tolist():
                if t not in seen:
                    seen.add(t)
                    frontier.append(t)
        return seen

    def _letter_ids(self, word: Any) -> list[int]:
        index = {a: i for i, a in enumerate(self.alphabet)}
        ids = []
        for a in word:
            try:
                ids.append(index[python_value(a)])
            except (KeyError, TypeError):
                raise InvalidValueError(
                    f"letter {a!r} of {word!r} is not in the alphabet {self.alphabet!r}"
                ) from None
        return ids

    def run(self, word: Any) -> int:
        """The state after reading ``word`` from :attr:`start`.

        Examples
        --------
        >>> import numpy as np
        >>> A = extract_automaton([[0, 1, 0, 0]], "ab", symbols=["aab"],
        ...                       outputs=[[True, False, True, True]])
        >>> A.run("a"), A.run("aab"), A.run("ab") == A.sink, A.complete
        (1, 0, True, False)
        """
        q = self.start
        steps = self.system.steps
        for a in self._letter_ids(word):
            q = int(steps[a, q])
        return q

    def output(self, word: Any) -> Any:
        """The output (answer) after reading ``word``; :data:`UNOBSERVED` past the data."""
        return self.system.output_value(self.run(word))

    def agreement(self, strings: Sequence[Any], answers: Any) -> float:
        """The fraction of ``strings`` on which the automaton gives ``answers``.

        Parameters
        ----------
        strings : sequence
            Held-out strings.
        answers : sequence
            The network's answer on each (e.g. its final output).
        """
        answers = list(answers.tolist() if isinstance(answers, np.ndarray) else answers)
        if len(answers) != len(strings):
            raise InvalidValueError(
                f"answers has {len(answers)} entries, but there are {len(strings)} strings"
            )
        if not strings:
            raise InvalidValueError("strings is empty: agreement needs at least one string")
        same = sum(self.output(w) == python_value(y) for w, y in zip(strings, answers))
        return float(same / len(strings))

    def abstract_states(self, observations: Any) -> Ids:
        """The automaton state of each observation, or -1 where it was never observed."""
        found = self.empirical.lookup(observations)
        return np.where(found >= 0, self.abstraction.labels[np.maximum(found, 0)], -1)

    def consistency_error(self, traces: Any, symbols: Any) -> float:
        """The fraction of held-out steps where the abstract step fails the square.

        A step from observation ``h`` on letter ``a`` to ``h'`` fails when the
        automaton's step from ``alpha(h)`` on ``a`` is not ``alpha(h')``,
        when either was never observed, or when it goes to the sink. 0 when
        the extracted abstraction is complete on the held-out traces.

        Parameters
        ----------
        traces : array_like or sequence
            Held-out traces, as for :func:`~abstractions.traces.from_traces`.
        symbols : array_like or sequence
            The letters they read.
        """
        errors = self.step_errors(traces, symbols)
        total = sum(e.shape[0] for e in errors)
        if total == 0:
            raise InvalidValueError("the held-out traces have no steps")
        return float(sum(int(e.sum()) for e in errors) / total)

    def step_errors(self, traces: Any, symbols: Any) -> list[Ids]:
        """Per trace, 1 at each step where the square fails (see :meth:`consistency_error`)."""
        held = from_traces(
            traces, symbols=symbols, quantizer=self.empirical.quantizer, alphabet=self.alphabet
        )
        found = self.empirical.lookup_keys(held.keys)
        blocks = np.where(found >= 0, self.abstraction.labels[np.maximum(found, 0)], -1)
        steps = self.system.steps
        errors = []
        for i in range(held.n_traces):
            lo, hi = int(held.offsets[i]), int(held.offsets[i + 1])
            b = blocks[held.state_ids[lo:hi]]
            letters = held.letters[lo - i : hi - i - 1]
            here, there = b[:-1], b[1:]
            predicted = np.where(here >= 0, steps[letters, np.maximum(here, 0)], -1)
            bad = (here < 0) | (there < 0) | (predicted != there)
            if self.sink is not None:
                bad |= predicted == self.sink
            errors.append(bad.astype(np.int64))
        return errors


def extract_automaton(
    model_or_traces: Any,
    alphabet: Sequence[Any] | None = None,
    *,
    quantizer: Any = None,
    beta: Any = None,
    symbols: Any = None,
    outputs: Any = None,
    strings: Sequence[Any] | None = None,
    rounds: int = 3,
) -> Automaton:
    """Extract a DFA: quantise, build the empirical system, take its minimal complete abstraction.

    Parameters
    ----------
    model_or_traces : Model, EmpiricalSystem, array_like or sequence
        A :data:`Model` (a callable from strings to traces; see
        :func:`abstractions.recorder.recurrent_model` for a torch network),
        a labelled :class:`~abstractions.traces.EmpiricalSystem`, or
        traces as for :func:`~abstractions.traces.from_traces` (then give
        ``symbols`` and ``outputs``).
    alphabet : sequence, optional
        The letters; needed with a model (to build strings), otherwise the
        letters seen.
    quantizer : callable, optional
        As for :func:`~abstractions.traces.from_traces`; a quantiser that
        learns is fitted on the recorded states.
    beta : callable, Partition or None
        What to keep: None keeps the answer (accept/reject); a callable on
        output values keeps its value; a Partition of the empirical states
        is used as it is. The sink is always kept apart.
    symbols, outputs : optional
        With traces: the letters read and the answer after each prefix.
    strings : sequence, optional
        With a model: the strings to run (each records all its prefixes).
        By default every string of the longest length ``L`` with
        ``len(alphabet) ** L <= 4096``.
    rounds : int, default 3
        With a model: how many times to ask it about unobserved transitions
        (running the prefix that reached the state, plus the letter).

    Returns
    -------
    Automaton

    Raises
    ------
    InvalidValueError
        For a model without an alphabet, an empirical system that is not
        labelled, and the errors of :func:`~abstractions.traces.from_traces`.

    Notes
    -----
    The empirical system keeps, for each (quantised state, letter), the
    successor seen most often; the minimal complete abstraction above the
    answer merges every two quantised states that no sequence of letters
    tells apart (Moore's partition refinement), so quantising finer than
    needed costs states of the empirical system, not of the automaton.

    Examples
    --------
    Traces of a machine that tracks the parity of the ``b``'s it has read,
    observed through a quantiser that only rounds:

    >>> import numpy as np
    >>> from abstractions.quantizers import GridQuantizer
    >>> states = np.array([[[0.1], [0.0], [0.9], [1.1], [0.2]]])
    >>> A = extract_automaton(states, symbols=["abab"], quantizer=GridQuantizer(1.0),
    ...                       outputs=[[True, True, False, False, True]])
    >>> A.system.steps, A.system.output_values
    (array([[0, 1],
           [1, 0]]), (True, False))
    >>> A.output("bbb"), A.sink is None
    (False, True)
    """
    rounds_left = _rounds(rounds)
    if isinstance(model_or_traces, EmpiricalSystem):
        if quantizer is not None or symbols is not None or outputs is not None:
            raise InvalidValueError(
                "an EmpiricalSystem is already quantised: do not pass quantizer, symbols or outputs"
            )
        empirical = model_or_traces
    elif callable(model_or_traces) and not isinstance(model_or_traces, (np.ndarray, Sequence)):
        if alphabet is None:
            raise InvalidValueError("extracting from a model needs the alphabet")
        empirical = _explore(model_or_traces, alphabet, quantizer, strings, rounds_left)
    else:
        if symbols is None:
            raise InvalidValueError("extracting from traces needs their symbols")
        empirical = from_traces(
            model_or_traces, symbols=symbols, outputs=outputs, quantizer=quantizer,
            alphabet=alphabet,
        )
    if empirical.kind != "labelled":
        raise InvalidValueError(
            f"automaton extraction needs a labelled empirical system, got a {empirical.kind} one"
        )
    return _minimise(empirical, beta)


def _rounds(rounds: Any) -> int:
    if isinstance(rounds, bool) or not isinstance(rounds, (int, np.integer)) or rounds < 0:
        raise InvalidValueError(f"rounds must be a non-negative integer, got {rounds!r}")
    return int(rounds)


def _default_strings(alphabet: Sequence[Any]) -> list[Any]:
    k = len(alphabet)
    length = 1
    while k ** (length + 1) <= _DEFAULT_STRINGS and k > 1:
        length += 1
    if k == 1:
        length = 64
    return all_strings(alphabet, length)


def _extend(word: Any, t: int, letter: Any) -> Any:
    """The prefix of ``word`` of length ``t``, then ``letter`` (same type as ``word``)."""
    if isinstance(word, str) and isinstance(letter, str):
        return word[:t] + letter
    return tuple(word[:t]) + (letter,)


def _explore(
    model: Model, alphabet: Sequence[Any], quantizer: Any, strings: Sequence[Any] | None,
    rounds: int,
) -> EmpiricalSystem:
    """Record the model on ``strings``, then ask it about unobserved transitions."""
    letters = tuple(alphabet)
    words = list(_default_strings(letters) if strings is None else strings)
    if not words:
        raise InvalidValueError("strings is empty: give at least one string to run")
    states, outputs = run_model(model, words)
    all_states, all_outputs = list(states), list(outputs)
    empirical = from_traces(
        all_states, symbols=words, outputs=all_outputs, quantizer=quantizer, alphabet=letters
    )
    for _ in range(rounds):
        assert empirical.unobserved is not None  # a labelled empirical system
        missing = np.argwhere(empirical.unobserved)
        if missing.size == 0:
            break
        # Where each state was first seen: its trace and position in it.
        first = first_rows(empirical.state_ids, empirical.n_observed)
        trace = np.searchsorted(empirical.offsets, first[missing[:, 1]], side="right") - 1
        position = first[missing[:, 1]] - empirical.offsets[trace]
        queries = [
            _extend(words[i], int(t), letters[a])
            for i, t, a in zip(trace.tolist(), position.tolist(), missing[:, 0].tolist())
        ]
        new_states, new_outputs = run_model(model, queries)
        words += queries
        all_states += list(new_states)
        all_outputs += list(new_outputs)
        empirical = from_traces(
            all_states, symbols=words, outputs=all_outputs, quantizer=quantizer, alphabet=letters
        )
    return empirical


def _minimise(empirical: EmpiricalSystem, beta: Any) -> Automaton:
    S = empirical.system
    if isinstance(beta, Partition):
        if beta.n != S.n:
            raise SizeMismatchError(
                f"beta is a partition of {beta.n} states, but the empirical system has {S.n}"
            )
        keep = beta
    elif beta is None:
        keep = output_abstraction(S)
    elif callable(beta):
        keep = output_abstraction(S, lambda y: UNOBSERVED if y is UNOBSERVED else beta(y))
    else:
        raise InvalidTypeError(
            f"beta must be None, a callable on outputs or a Partition, got {type(beta).__name__}"
        )
    if empirical.sink is not None:
        apart = np.zeros(S.n, dtype=np.int64)
        apart[empirical.sink] = 1
        keep = keep | Partition.from_labels(apart)
    alpha = minimal_complete_abstraction(S, keep)
    dfa, _ = abstract_computation(S, alpha)
    start = int(alpha.labels[empirical.state_ids[0]])
    sink = None if empirical.sink is None else int(alpha.labels[empirical.sink])
    steps = dfa.steps
    unobserved = steps == sink if sink is not None else np.zeros(steps.shape, dtype=bool)
    if sink is not None:
        unobserved[:, sink] = False
    return Automaton(
        system=dfa,
        start=start,
        sink=sink,
        unobserved=readonly(unobserved),
        abstraction=alpha,
        empirical=empirical,
    )
