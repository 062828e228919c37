"""Two-level signatures: states choose among distributions (Markov decision processes).

A Markov decision process has, per state, a *set* of choices, each an
action and a probability distribution over states. Under a partition, a
choice's observation is ``(action, mu)`` with ``mu`` its distribution lifted
to the blocks; a state's signature is the *set* of its choices'
observations (two choices with the same observation count once). The
engine's :class:`~abstractions._engine.relation.Relation` has one
aggregation per system, so this module adds the second level, for the
aggregation ``"choices"``:

1. the transitions of each choice are grouped by target block and their
   weights added (exact integer numerators, or floats rounded to multiples
   of ``tol`` with zeros dropped, as for a Markov chain);
2. each choice's sorted rows ``(block, value)`` get a canonical id,
   position by position
   (:func:`~abstractions._engine.primitives.sequence_ids`: exact, no hashing);
3. a state's signature is the sorted set of its ``(action, id)`` pairs.

Step 3 returns the rows :func:`~abstractions._engine.relation.signature`
returns for the other kinds, with the choice's id in the place of the block,
so the completion operator, the completeness check and the witness are the
engine's own. A round costs a few sorts of the ``m`` transitions.

With actions ignored (``symbols`` None), every choice has the same action:
the sets of block distributions are compared (Storm's default MDP
bisimulation); with actions, a choice must be matched by one with the same
action (Storm's ``action_sensitive``, on choice labels).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from abstractions._engine.primitives import pair_ids, sequence_ids
from abstractions._validation import Ids
from abstractions.partition import canonical_labels

#: The functions take a :class:`~abstractions._engine.relation.Relation` with
#: ``choices`` set; relation.py calls them, so this module does not import it.
Relation = Any

__all__ = ["choice_rows", "choice_ids", "choice_signature", "describe_choices"]


def _round(values: np.ndarray, tol: float) -> Ids:
    # the same rounding as a Markov chain's block sums (relation.round_weights)
    return np.floor(values * (1.0 / tol) + 0.5).astype(np.int64)


def choice_rows(rel: Relation, labels: Ids) -> tuple[Ids, Ids, np.ndarray, np.ndarray]:
    """Rows ``(choice, block, value, raw)`` sorted by choice and block.

    ``value`` is the exact numerator sum, or the float sum rounded to a
    multiple of ``tol``; ``raw`` the sum itself. Rows whose rounded value is
    0 are left out (no transition there).

    Examples
    --------
    >>> from abstractions._engine.relation import Relation
    >>> rel = Relation(np.array([0, 2]), np.array([0, 0]), "choices",
    ...                weights=np.array([1, 1]), den=2, choices=np.array([0, 0]))
    >>> choice_rows(rel, np.array([0]))[2]
    array([2])
    """
    assert rel.choices is not None and rel.weights is not None
    cho = rel.choices
    blk = labels[rel.targets]
    k = max(int(labels.max(initial=0)) + 1, 1)
    c = int(cho[-1]) + 1 if cho.shape[0] else 1
    if c * k < 2**62:
        key = cho * k + blk
        order = np.argsort(key, kind="stable")
    else:  # pragma: no cover - beyond 2**62 (choice, block) pairs
        order = np.lexsort((blk, cho))
    cho, blk, w = cho[order], blk[order], rel.weights[order]
    start = np.ones(cho.shape[0], dtype=bool)
    start[1:] = (cho[1:] != cho[:-1]) | (blk[1:] != blk[:-1])
    first = np.flatnonzero(start)
    raw = np.add.reduceat(w, first) if first.size else w[:0]
    cho, blk = cho[first], blk[first]
    if rel.weights.dtype.kind == "f":
        value: np.ndarray = _round(raw, rel.tol)
        kept = value != 0
        return cho[kept], blk[kept], value[kept], raw[kept]
    return cho, blk, raw, raw


def choice_ids(rel: Relation, labels: Ids) -> tuple[Ids, int]:
    """A canonical id per choice: equal iff same action and same block distribution.

    Examples
    --------
    >>> from abstractions._engine.relation import Relation
    >>> rel = Relation(np.array([0, 1, 2]), np.array([0, 1]), "choices",
    ...                weights=np.array([1, 1]), choices=np.array([0, 1]))
    >>> choice_ids(rel, np.array([0, 0]))
    (array([0, 0]), 1)
    """
    assert rel.choices is not None
    c = int(rel.choices[-1]) + 1 if rel.choices.shape[0] else 0
    cho, blk, value, _ = choice_rows(rel, labels)
    row, k_row = pair_ids(blk, int(blk.max(initial=0)) + 1, *_value_ids(value))
    dist, k_dist = sequence_ids(cho, c, row, max(k_row, 1))
    if rel.symbols is None:
        return dist, k_dist
    action = rel.symbols[_choice_starts(rel)]
    return pair_ids(action, rel.n_symbols, dist, max(k_dist, 1))


def _value_ids(value: np.ndarray) -> tuple[Ids, int]:
    ids, count = canonical_labels(value, "values")
    return ids, max(count, 1)


def _choice_starts(rel: Relation) -> Ids:
    """The first transition of each choice."""
    assert rel.choices is not None
    cho = rel.choices
    start = np.ones(cho.shape[0], dtype=bool)
    start[1:] = cho[1:] != cho[:-1]
    return np.flatnonzero(start)


def choice_signature(rel: Relation, labels: Ids) -> tuple[Ids, Ids, Ids, np.ndarray]:
    """Rows ``(state, action, choice id, 1)``: each state's set of choice observations.

    Sorted by state, action and id, repeats merged; the action is 0 when
    actions are ignored.

    Examples
    --------
    >>> from abstractions._engine.relation import Relation
    >>> rel = Relation(np.array([0, 2, 3]), np.array([0, 1, 1]), "choices",
    ...                weights=np.array([1, 1, 1]), choices=np.array([0, 1, 2]))
    >>> choice_signature(rel, np.array([0, 0]))[:3]
    (array([0, 1]), array([0, 0]), array([0, 0]))
    """
    ids, k = choice_ids(rel, labels)
    starts = _choice_starts(rel)
    state = rel.sources()[starts]
    action = (
        np.zeros(starts.shape[0], dtype=np.int64) if rel.symbols is None else rel.symbols[starts]
    )
    a = rel.n_symbols
    key = (state * a + action) * max(k, 1) + ids
    # sort and drop repeats: np.unique's hash path is several times slower here
    key = np.sort(key)
    if key.shape[0]:
        keep = np.ones(key.shape[0], dtype=bool)
        keep[1:] = key[1:] != key[:-1]
        key = key[keep]
    ids = key % max(k, 1)
    key //= max(k, 1)
    return key // a, key % a, ids, np.ones(key.shape[0], dtype=np.int64)


def describe_choices(rel: Relation, labels: Ids, m1: int, m2: int, name: Any = repr) -> str:
    """A choice of one state that the other cannot match, in words.

    Examples
    --------
    >>> from abstractions._engine.relation import Relation
    >>> rel = Relation(np.array([0, 1, 2]), np.array([0, 1]), "choices",
    ...                weights=np.array([1, 1]), choices=np.array([0, 1]))
    >>> describe_choices(rel, np.array([0, 1]), 0, 1)
    'state 0 has a choice with block distribution {0: 1} that state 1 has not'
    """
    ids, _ = choice_ids(rel, labels)
    starts = _choice_starts(rel)
    state = rel.sources()[starts]
    cho, blk, _, raw = choice_rows(rel, labels)
    for a, b in ((m1, m2), (m2, m1)):
        theirs = set(ids[state == b].tolist())
        for c in np.flatnonzero(state == a).tolist():
            if int(ids[c]) in theirs:
                continue
            rows = np.flatnonzero(cho == c)
            show = {
                int(blk[r]): (
                    Fraction(int(raw[r]), rel.den) if raw.dtype.kind != "f" else float(raw[r])
                )
                for r in rows.tolist()
            }
            text = ", ".join(f"{key}: {value}" for key, value in show.items())
            on = ""
            if rel.symbols is not None and rel.symbol_names is not None:
                on = f" on {rel.symbol_names[int(rel.symbols[starts[c]])]!r}"
            return (
                f"state {name(a)} has a choice{on} with block distribution {{{text}}} "
                f"that state {name(b)} has not"
            )
    return "have different sets of choices"  # pragma: no cover - called on a violation
