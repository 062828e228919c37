"""Markov decision processes: a set of choices per state, each a distribution (bisimulation).

The functor is ``F(X) = P(A x D(X))``: a state has a *set* of choices, each
an action and a probability distribution over states. An abstraction is
complete when related states have the same set of choice observations
``(action, block distribution)`` -- every choice of one is matched by a
choice of the other with the same action and the same probability of
moving into every block -- the coarsest probabilistic bisimulation that
refines ``beta`` (Larsen and Skou; Segala's strong bisimulation without
combined transitions). Two identical choices count once (a set, not a
multiset).

Two flavours, as in Storm (``stormpy.transformations.BisimulationOptions``):

``actions="respect"`` (the default; Storm's ``action_sensitive = True``)
    a choice is matched only by a choice with the same action label;
``actions="ignore"`` (Storm's default, ``action_sensitive = False``)
    actions are not observed: the *sets* of block distributions are equal.

Probabilities are exact (ints, :class:`fractions.Fraction`, sympy
``Rational``) or floats compared up to ``tol``, exactly as for a
:class:`~abstractions.systems.MarkovChain` (whose parsing is reused).
"""

from __future__ import annotations

import numbers
from collections.abc import Hashable, Iterable, Mapping, Sequence
from fractions import Fraction
from types import MappingProxyType
from typing import Any, ClassVar

import numpy as np

import abstractions.systems._chain as prob
from abstractions._engine.choices import choice_ids, choice_rows
from abstractions._engine.relation import Relation
from abstractions._validation import Ids, as_index_array, python_value
from abstractions.exceptions import InvalidTypeError, InvalidValueError
from abstractions.partition import Partition
from abstractions.systems._parse import check_pointers, flat, label_ids, row_pointers, state_id
from abstractions.systems.base import TransitionSystem

__all__ = ["MarkovDecisionProcess", "ACTION_MODES"]

#: The values of ``actions``: whether bisimulation observes the action labels.
ACTION_MODES: tuple[str, ...] = ("respect", "ignore")


class MarkovDecisionProcess(prob.ExactOrFloat, TransitionSystem):
    """A Markov decision process: per state, a set of (action, distribution) choices.

    Parameters
    ----------
    choices : sequence or tuple
        Either one sequence of choices per state, each choice an
        ``(action, distribution)`` pair (or a bare distribution, action
        None), a distribution being a mapping ``{target: probability}`` or
        a row of ``n`` probabilities; or CSR arrays
        ``(choice_indptr, row_indptr, targets, probabilities)``, optionally
        with a fifth item ``choice_actions`` (one action label per choice):
        state ``s``'s choices are ``choice_indptr[s]:choice_indptr[s+1]``
        and choice ``c``'s transitions ``row_indptr[c]:row_indptr[c+1]``
        (Storm's row groups). Ints, Fractions and sympy Rationals are
        exact; floats are compared up to ``tol``; mixing them is an error.
    actions : {"respect", "ignore"}, default "respect"
        Whether bisimulation observes the action labels (see the module
        notes): ``"respect"`` matches a choice only with a choice of the
        same action (Storm's ``action_sensitive``); ``"ignore"`` compares
        the sets of block distributions (Storm's default).
    output : array_like, optional
        The output (e.g. atomic propositions) of each state.
    output_values : sequence, optional
    tol : float, default 1e-9
        Float mode only, as for :class:`~abstractions.systems.MarkovChain`.
    inputs : mapping or sequence of int, optional
        Start states; by default every state.
    state_labels : sequence, optional
        Distinct hashable names of the states.

    Raises
    ------
    InvalidValueError
        For a choice whose distribution does not sum to 1, a negative
        probability, a target out of range, malformed CSR arrays, or an
        unknown ``actions``.
    InvalidTypeError
        For entries that are not numbers, a mix of exact and float, or
        choices of another shape.

    Notes
    -----
    A state without choices (a deadlock) is allowed; all deadlocks are
    bisimilar (Storm needs a choice in every state). Repeated targets in
    a distribution are added and zero probabilities dropped; the choices
    keep their given order. The kind's name is ``"mdp"``.

    Examples
    --------
    State 0 chooses between a fair coin ("flip") and staying ("stay");
    state 1 only flips; 2 and 3 are absorbing and observed apart only as
    "heads" and "tails". Keeping the output, 0 and 1 are told apart by the
    choice "stay" (respected actions) and still by the distribution
    ``{block of 0: 1}`` when actions are ignored:

    >>> from fractions import Fraction as F
    >>> from abstractions import minimal_complete_abstraction, output_abstraction
    >>> half = F(1, 2)
    >>> M = MarkovDecisionProcess(
    ...     [[("flip", {2: half, 3: half}), ("stay", {0: 1})],
    ...      [("flip", {2: half, 3: half})],
    ...      [("stay", {2: 1})], [("stay", {3: 1})]],
    ...     output=["start", "start", "heads", "tails"])
    >>> minimal_complete_abstraction(M, output_abstraction(M)).labels
    array([0, 1, 2, 3])
    >>> M.choices(0)
    [('flip', {2: Fraction(1, 2), 3: Fraction(1, 2)}), ('stay', {0: Fraction(1, 1)})]
    """

    __slots__ = (
        "_choice_ptr",
        "_row_ptr",
        "_choice_actions",
        "_num",
        "_den",
        "_weights",
        "_tol",
        "_respect",
    )

    kind: ClassVar[str] = "mdp"
    schema: ClassVar[Mapping[str, str]] = MappingProxyType(
        {
            "choice_indptr": "ids",
            "row_indptr": "ids",
            "targets": "ids",
            "choice_actions": "ids",
            "actions": "values",
            "numerators": "ints",
            "denominator": "int",
            "probabilities": "floats",
            "tol": "float",
            "respect_actions": "int",
        }
    )

    _choice_ptr: Ids
    _row_ptr: Ids
    _choice_actions: Ids | None
    _num: np.ndarray | None
    _den: int
    _weights: np.ndarray | None
    _tol: float
    _respect: int

    def __init__(
        self,
        choices: Any,
        *,
        actions: str = "respect",
        output: Any = None,
        output_values: Sequence[Any] | None = None,
        tol: float = 1e-9,
        inputs: Any = None,
        state_labels: Sequence[Hashable] | None = None,
    ) -> None:
        respect = _action_mode(actions)
        tol = prob.check_probability_tol(tol)
        if isinstance(choices, tuple) and len(choices) in (4, 5):
            n, choice_ptr, cho, dst, data, labels = _from_arrays(choices)
        else:
            n, choice_ptr, cho, dst, data, labels = _from_lists(choices)
        state = np.repeat(np.arange(n, dtype=np.int64), np.diff(choice_ptr))[cho]
        exact, values = prob.entries(data, state, dst, "probability")
        self._set_shared(n, output, output_values, inputs, state_labels)
        self._store_own(_canonical(n, choice_ptr, cho, dst, values, exact, labels, tol, respect))

    def _to_fields(self) -> dict[str, Any]:
        numerators: Any = self._num
        if numerators is not None and numerators.dtype == object:
            numerators = tuple(int(x) for x in numerators.tolist())
        return {
            "choice_indptr": self._choice_ptr,
            "row_indptr": self._row_ptr,
            "targets": self._targets,
            "choice_actions": self._choice_actions,
            "actions": self._symbols,
            "numerators": numerators,
            "denominator": self._den if self._num is not None else None,
            "probabilities": self._weights,
            "tol": self._tol,
            "respect_actions": self._respect,
        }

    @classmethod
    def _from_fields(cls, own: dict[str, Any], shared: dict[str, Any]) -> MarkovDecisionProcess:
        tol = prob.check_probability_tol(1e-9 if own["tol"] is None else own["tol"])
        respect = own["respect_actions"]
        if respect is None:
            respect = 1
        if respect not in (0, 1) or isinstance(respect, float):
            raise InvalidValueError(f"respect_actions must be 0 or 1, got {respect!r}")
        n, choice_ptr, cho, dst = _check_arrays(
            cls._needed(own, "choice_indptr"),
            cls._needed(own, "row_indptr"),
            cls._needed(own, "targets"),
        )
        c = choice_ptr[-1]
        labels = None
        ids, names = own["choice_actions"], own["actions"]
        if (ids is None) != (names is None):
            given, missing = (
                ("choice_actions", "actions") if names is None else ("actions", "choice_actions")
            )
            raise InvalidValueError(f"{given} was given without {missing}: actions need both")
        if names is not None:
            if isinstance(names, (str, bytes)) or not isinstance(names, Iterable):
                raise InvalidTypeError(
                    f"actions must be a sequence of labels, got {type(names).__name__}"
                )
            names = tuple(python_value(x) for x in names)
            action = as_index_array(ids, "choice_actions", n=max(len(names), 1), length=int(c))
            labels = np.empty(int(c), dtype=object)
            labels[:] = [names[i] for i in action.tolist()]
        numerators, probabilities = own["numerators"], own["probabilities"]
        if (numerators is None) == (probabilities is None):
            raise InvalidValueError(
                "give exactly one of numerators (with denominator: exact) and "
                "probabilities (floats)"
            )
        if numerators is not None:
            den = prob.as_denominator(cls._needed(own, "denominator"))
            big = prob.as_numerators(numerators, dst.shape[0])
            values = np.empty(big.shape[0], dtype=object)
            values[:] = [Fraction(int(x), den) for x in big.tolist()]
            exact = True
        else:
            if own["denominator"] is not None:
                raise InvalidValueError("denominator goes with numerators, not with probabilities")
            state = np.repeat(np.arange(n, dtype=np.int64), np.diff(choice_ptr))[cho]
            values = prob.float_weights(probabilities, state, dst, "probabilities", "probability")
            exact = False
        self = object.__new__(cls)
        self._set_shared(n, **shared)
        self._store_own(
            _canonical(n, choice_ptr, cho, dst, values, exact, labels, tol, int(respect))
        )
        return self

    # ------------------------------------------------------------------ views

    @property
    def actions_mode(self) -> str:
        """``"respect"`` or ``"ignore"``: whether bisimulation observes the actions."""
        return "respect" if self._respect else "ignore"

    @property
    def n_choices(self) -> int:
        """Number of choices (over all states)."""
        return int(self._choice_ptr[-1])

    @property
    def choice_indptr(self) -> Ids:
        """State ``s``'s choices are ``choice_indptr[s]:choice_indptr[s+1]``."""
        return self._choice_ptr

    @property
    def row_indptr(self) -> Ids:
        """Choice ``c``'s transitions are ``row_indptr[c]:row_indptr[c+1]``."""
        return self._row_ptr

    @property
    def choice_actions(self) -> Ids | None:
        """The action id of each choice (into :attr:`symbols`), or None without actions."""
        return self._choice_actions

    @property
    def probabilities(self) -> np.ndarray | tuple[Fraction, ...]:
        """Probability of each transition: Fractions if exact, else float64."""
        return self._values()

    def _weight(self, j: int) -> Any:
        return python_value(self.probabilities[j])

    def with_actions(self, actions: str) -> MarkovDecisionProcess:
        """The same MDP with bisimulation observing (``"respect"``) or ignoring the actions.

        Examples
        --------
        >>> M = MarkovDecisionProcess([[("a", {1: 1})], [("b", {1: 1})]], output=[0, 0])
        >>> M.with_actions("ignore").actions_mode
        'ignore'
        """
        respect = _action_mode(actions)
        own = tuple(getattr(self, name) for name in self._own_fields())
        result: MarkovDecisionProcess = self._assemble(self._shared(), own[:-1] + (respect,))
        result._set_variables(self._variables)
        return result

    def choices(self, state: int) -> list[tuple[Any, dict[int, Any]]]:
        """The choices of ``state`` as ``(action, {target: probability})`` pairs, in order.

        Examples
        --------
        >>> MarkovDecisionProcess([[("a", [0.5, 0.5]), ("b", {1: 1.0})], [{1: 1.0}]]).choices(0)
        [('a', {0: 0.5, 1: 0.5}), ('b', {1: 1.0})]
        """
        s = state_id(state, self.n)
        found = []
        for c in range(int(self._choice_ptr[s]), int(self._choice_ptr[s + 1])):
            action = None
            if self._choice_actions is not None and self._symbols is not None:
                action = self._symbols[int(self._choice_actions[c])]
            lo, hi = int(self._row_ptr[c]), int(self._row_ptr[c + 1])
            found.append((action, {int(self._targets[j]): self._weight(j) for j in range(lo, hi)}))
        return found

    def _summary(self) -> str:
        mode = ", exact" if self.exact else f", float (tol={self._tol:g})"
        return f", {self.n_choices} choices, {self.n_transitions} transitions{mode}"

    # ------------------------------------------------------------------ the kind

    def _choice_of_transition(self) -> Ids:
        return np.repeat(np.arange(self.n_choices, dtype=np.int64), np.diff(self._row_ptr))

    def _relation(self) -> Relation:
        weights = self._weights if self._num is None else self._num
        observed = self._respect and self._edge_labels is not None
        return Relation(
            self._indptr,
            self._targets,
            "choices",
            symbols=self._edge_labels if observed else None,
            symbol_names=self._symbols if observed else None,
            weights=weights,
            den=self._den,
            tol=self._tol,
            choices=self._choice_of_transition(),
        )

    def _restrict_own(self, index: Ids, position: Ids) -> tuple[Any, ...]:
        choice_ptr, kept_choices = _ranges(self._choice_ptr, index)
        row_ptr, kept = _ranges(self._row_ptr, kept_choices)
        owners = np.repeat(np.repeat(index, np.diff(choice_ptr)), np.diff(row_ptr))
        targets = self._closed(index, position, self._targets[kept], owners)
        actions = None if self._choice_actions is None else self._choice_actions[kept_choices]
        num = None if self._num is None else self._num[kept]
        weights = None if self._weights is None else self._weights[kept]
        return _own(
            choice_ptr,
            row_ptr,
            targets,
            actions,
            self._symbols,
            num,
            self._den,
            weights,
            self._tol,
            self._respect,
        )

    def _quotient_own(self, P: Partition, rows: Any = None) -> tuple[Any, ...]:
        # ``rows`` (one level of rows) never comes for the two-level relation.
        rel = self._relation()
        ids, _ = choice_ids(rel, P.labels)
        cho, blk, value, raw = choice_rows(rel, P.labels)
        reps = P.representatives()
        block_ptr, picked = _ranges(self._choice_ptr, reps)
        owner = np.repeat(np.arange(P.n_blocks, dtype=np.int64), np.diff(block_ptr))
        # one abstract choice per distinct (block, observation): a set of choices
        _, first = np.unique(owner * (int(ids.max(initial=0)) + 1) + ids[picked], return_index=True)
        first.sort()
        picked, owner = picked[first], owner[first]
        choice_ptr = row_pointers(owner, P.n_blocks)
        starts = np.zeros(self.n_choices + 1, dtype=np.int64)
        np.cumsum(np.bincount(cho, minlength=self.n_choices), out=starts[1:])
        row_ptr, rows = _ranges(starts, picked)
        actions = None if self._choice_actions is None else self._choice_actions[picked]
        if self._num is not None:
            num = value[rows]
            num = num.astype(np.int64) if self._den <= prob.EXACT_LIMIT else num
            return _own(
                choice_ptr,
                row_ptr,
                blk[rows],
                actions,
                self._symbols,
                num,
                self._den,
                None,
                self._tol,
                self._respect,
            )
        weights = np.ascontiguousarray(raw[rows], dtype=np.float64)
        return _own(
            choice_ptr,
            row_ptr,
            blk[rows],
            actions,
            self._symbols,
            None,
            1,
            weights,
            self._tol,
            self._respect,
        )


# ---------------------------------------------------------------------- parsing


def _action_mode(actions: Any) -> int:
    if not isinstance(actions, str):
        raise InvalidTypeError(f"actions must be 'respect' or 'ignore', got {actions!r}")
    if actions not in ACTION_MODES:
        raise InvalidValueError(f"actions must be 'respect' or 'ignore', got {actions!r}")
    return int(actions == "respect")


def _ranges(ptr: Ids, rows: Ids) -> tuple[Ids, Ids]:
    """CSR pointers of ``rows``' ranges of ``ptr``, one after the other, and their positions."""
    lengths = ptr[rows + 1] - ptr[rows]
    new = np.zeros(rows.shape[0] + 1, dtype=np.int64)
    np.cumsum(lengths, out=new[1:])
    kept = np.repeat(ptr[rows] - new[:-1], lengths) + np.arange(int(new[-1]), dtype=np.int64)
    return new, kept


def _own(
    choice_ptr: Ids,
    row_ptr: Ids,
    targets: Ids,
    actions: Ids | None,
    symbols: tuple[Any, ...] | None,
    num: np.ndarray | None,
    den: int,
    weights: np.ndarray | None,
    tol: float,
    respect: int,
) -> tuple[Any, ...]:
    """The stored fields, in slot order (the base's CSR over states first)."""
    indptr = row_ptr[choice_ptr]
    per_choice = np.diff(row_ptr)
    edge_labels = None if actions is None else np.repeat(actions, per_choice)
    return (
        indptr,
        np.ascontiguousarray(targets),
        edge_labels,
        symbols,
        choice_ptr,
        row_ptr,
        actions,
        num,
        den,
        weights,
        tol,
        respect,
    )


def _check_arrays(choice_indptr: Any, row_indptr: Any, targets: Any) -> tuple[int, Ids, Ids, Ids]:
    """(n, choice pointers, choice of each transition, targets) from checked CSR arrays."""
    ptr = check_pointers(choice_indptr, "choice_indptr")
    n = ptr.shape[0] - 1
    if n == 0:
        raise InvalidValueError("choices must have at least one state")
    rows = check_pointers(row_indptr, "row_indptr")
    if rows.shape[0] != ptr[-1] + 1:
        raise InvalidValueError(
            f"row_indptr has {rows.shape[0]} entries, expected {int(ptr[-1]) + 1} "
            f"(one more than the {int(ptr[-1])} choices choice_indptr ends at)"
        )
    dst = as_index_array(targets, "targets", n=n)
    if dst.shape[0] != rows[-1]:
        raise InvalidValueError(
            f"targets has {dst.shape[0]} entries but row_indptr ends at {int(rows[-1])}"
        )
    cho = np.repeat(np.arange(rows.shape[0] - 1, dtype=np.int64), np.diff(rows))
    return n, ptr, cho, dst.copy()


def _from_arrays(
    arrays: tuple[Any, ...],
) -> tuple[int, Ids, Ids, Ids, np.ndarray, np.ndarray | None]:
    n, ptr, cho, dst = _check_arrays(arrays[0], arrays[1], arrays[2])
    data = flat(arrays[3])
    if data.shape[0] != dst.shape[0]:
        raise InvalidValueError(
            f"probabilities has {data.shape[0]} entries, expected {dst.shape[0]} (one per target)"
        )
    labels = None
    if len(arrays) == 5 and arrays[4] is not None:
        labels = flat(arrays[4])
        if labels.shape[0] != ptr[-1]:
            raise InvalidValueError(
                f"choice_actions has {labels.shape[0]} entries, expected {int(ptr[-1])} "
                "(one per choice)"
            )
    return n, ptr, cho, dst, data, labels


def _from_lists(choices: Any) -> tuple[int, Ids, Ids, Ids, np.ndarray, np.ndarray | None]:
    if isinstance(choices, (str, bytes, Mapping)) or not isinstance(choices, Iterable):
        raise InvalidTypeError(
            "choices must be one sequence of (action, distribution) choices per state, or CSR "
            f"arrays (choice_indptr, row_indptr, targets, probabilities[, choice_actions]); got "
            f"{type(choices).__name__}"
        )
    rows = list(choices)
    n = len(rows)
    if n == 0:
        raise InvalidValueError("choices must have at least one state")
    counts: list[int] = []
    actions: list[Any] = []
    cho: list[int] = []
    dst: list[int] = []
    data: list[Any] = []
    for s, row in enumerate(rows):
        if isinstance(row, (str, bytes, Mapping)) or not isinstance(row, Iterable):
            raise InvalidTypeError(f"choices[{s}] must be a sequence of choices, got {row!r}")
        row = list(row)
        counts.append(len(row))
        for i, choice in enumerate(row):
            action, dist = _split_choice(choice, f"choices[{s}][{i}]")
            c = len(actions)
            actions.append(action)
            for t, p in _entries(dist, n, f"choices[{s}][{i}]"):
                cho.append(c)
                dst.append(t)
                data.append(p)
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=ptr[1:])
    values = np.empty(len(data), dtype=object)
    values[:] = data
    labels = None
    if any(a is not None for a in actions):
        labels = np.empty(len(actions), dtype=object)
        labels[:] = actions
    return n, ptr, np.asarray(cho, dtype=np.int64), np.asarray(dst, dtype=np.int64), values, labels


def _split_choice(choice: Any, name: str) -> tuple[Any, Any]:
    """``(action, distribution)`` of one choice; a bare distribution has action None."""
    if isinstance(choice, Mapping):
        return None, choice
    if (
        isinstance(choice, (tuple, list))
        and len(choice) == 2
        and (
            isinstance(choice[1], Mapping)
            or (not isinstance(choice[1], (str, bytes)) and isinstance(choice[1], Iterable))
        )
    ):
        return choice[0], choice[1]
    if isinstance(choice, (str, bytes)) or not isinstance(choice, Iterable):
        raise InvalidTypeError(
            f"{name} must be an (action, distribution) pair or a distribution, got {choice!r}"
        )
    return None, choice


def _entries(dist: Any, n: int, name: str) -> list[tuple[int, Any]]:
    """``(target, probability)`` pairs of a mapping or a row of ``n`` probabilities."""
    if isinstance(dist, Mapping):
        pairs = []
        for t, p in dist.items():
            if isinstance(t, (bool, np.bool_)) or not isinstance(t, numbers.Integral):
                raise InvalidTypeError(f"{name} has target {t!r}, which is not a state id")
            if not 0 <= int(t) < n:
                raise InvalidValueError(f"{name} has target {int(t)}, out of range for {n} states")
            pairs.append((int(t), p))
        return pairs
    row = list(dist)
    if len(row) != n:
        raise InvalidValueError(
            f"{name} is a row of {len(row)} probabilities, expected {n} (one per state)"
        )
    # zeros of a dense row are no transitions (any number type compares to 0)
    return [(t, p) for t, p in enumerate(row) if not _is_zero(p)]


def _canonical(
    n: int,
    choice_ptr: Ids,
    cho: Ids,
    dst: Ids,
    values: np.ndarray,
    exact: bool,
    labels: np.ndarray | None,
    tol: float,
    respect: int,
) -> tuple[Any, ...]:
    """Merge repeated targets per choice, check every choice sums to 1, and number the actions."""
    c = int(choice_ptr[-1])
    # merged sorts by (row, target) with one bound for both ids
    row_ptr, dst, values = prob.merged(max(c, n), cho, dst, values)
    row_ptr = row_ptr[: c + 1]
    num: np.ndarray | None = None
    weights: np.ndarray | None = None
    den = 1
    if exact:
        num, den = np.zeros(0, np.int64), 1
        if values.shape[0]:
            big, den = prob.common_denominator(values)
            num = prob.stored_numerators(row_ptr, big)
        _check_choices(choice_ptr, row_ptr, num, den, exact=True, tol=tol)
    else:
        weights = np.ascontiguousarray(values, dtype=np.float64)
        _check_choices(choice_ptr, row_ptr, weights, 1, exact=False, tol=tol)
    actions: Ids | None = None
    symbols: tuple[Any, ...] | None = None
    if labels is not None:
        actions, symbols = label_ids(labels)
    return _own(choice_ptr, row_ptr, dst, actions, symbols, num, den, weights, tol, respect)


def _check_choices(
    choice_ptr: Ids, row_ptr: Ids, values: np.ndarray, den: int, *, exact: bool, tol: float
) -> None:
    sums = prob.row_sums(row_ptr, values)
    if exact:
        bad = [c for c, x in enumerate(sums.tolist()) if x != den]
    else:
        bad = np.flatnonzero(~(np.abs(sums - 1.0) <= max(tol, prob.ROW_TOL))).tolist()
    if bad:
        c = bad[0]
        s = int(np.searchsorted(choice_ptr, c, side="right")) - 1
        total: Any = Fraction(int(sums[c]), den) if exact else float(sums[c])
        expect = "exactly" if exact else f"within tol={max(tol, prob.ROW_TOL):g}"
        raise InvalidValueError(
            f"choice {c - int(choice_ptr[s])} of state {s} has probabilities summing to {total}, "
            f"not to 1 {expect}; every choice needs a probability distribution"
        )


def _is_zero(p: Any) -> bool:
    try:
        return bool(p == 0)
    except (TypeError, ValueError):
        return False  # not a number: probabilities names it
