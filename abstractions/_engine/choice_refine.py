"""Incremental two-level signature refinement: the least complete partition of an MDP.

Whole rounds of the completion operator (:func:`~abstractions._engine.relation.completion`)
recompute every state's signature each round, and an MDP often needs about
as many rounds as it has blocks. Here a round recomputes only the states
whose signature can have changed: a state's signature (the set of its
choices' (action, block distribution), :mod:`abstractions._engine.choices`)
is a function of its successors' block *ids*, so it changes only when a
successor moves to another id.

Invariant at the start of a round: in every block, the *clean* (not dirty)
states have equal signatures. A round computes the signatures of the dirty
states and of one clean member of each block holding a dirty state, splits
those blocks by signature (the clean members go with their clean
representative), gives the largest part of each split block the old id and
new ids to the other parts (Hopcroft's "all but the largest"), and marks
the predecessors of the states that moved as dirty. The new blocks hold
states of equal signatures, and a state none of whose successors moved
keeps its signature, so the invariant holds again. No dirty state left
means every block is stable: the partition is complete, and since only
states of different signatures were ever separated it is the least
complete one above the start.

:func:`refine_choices` runs these rounds as one numba worklist
(:mod:`abstractions._kernels.choices`: an MDP often needs thousands of
rounds, and a numpy round costs milliseconds of overhead whatever its
size); :func:`refine_choices_numpy`, the rounds in numpy, is its reference
and serves the weights the kernel cannot hold (numerators beyond int64, or
sums that could overflow it).
"""

from __future__ import annotations

import numpy as np

from abstractions._engine.choices import _choice_starts, choice_signature
from abstractions._engine.primitives import first_occurrence, pair_ids, sequence_ids
from abstractions._engine.relation import Relation, rows_of
from abstractions._validation import Ids

__all__ = ["refine_choices", "refine_choices_numpy"]


def _predecessors(rel: Relation) -> tuple[Ids, Ids]:
    """CSR of the predecessors of each state: ``pred[ptr[t]:ptr[t+1]]`` step into ``t``."""
    order = np.argsort(rel.targets, kind="stable")
    ptr = np.zeros(rel.n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rel.targets, minlength=rel.n), out=ptr[1:])
    return ptr, rel.sources()[order]


def _gather(ptr: Ids, values: Ids, rows: Ids) -> Ids:
    """``values`` of the CSR rows ``rows``, concatenated."""
    lengths = ptr[rows + 1] - ptr[rows]
    offsets = np.cumsum(lengths) - lengths
    at = np.repeat(ptr[rows] - offsets, lengths) + np.arange(int(lengths.sum()), dtype=np.int64)
    return values[at]


def _state_signatures(rel: Relation, states: Ids, labels: Ids) -> tuple[Ids, int]:
    """An id per state of ``states``: equal iff equal signatures (within this call)."""
    s_g, a_g, d_g, _ = choice_signature(rows_of(rel, states), labels)
    row, k_row = pair_ids(a_g, rel.n_symbols, d_g, int(d_g.max(initial=0)) + 1)
    return sequence_ids(s_g, states.shape[0], row, max(k_row, 1))


def _kernel_arrays(rel: Relation) -> tuple[Ids, Ids, Ids] | None:
    """``(sptr, cptr, action)`` for the kernel, or None if its int64 sums could overflow."""
    assert rel.choices is not None and rel.weights is not None
    w = rel.weights
    if w.dtype.kind not in "iuf" or rel.m == 0:
        return None if rel.m else _arrays(rel, np.zeros(0, dtype=np.int64))
    starts = _choice_starts(rel)
    cptr = np.append(starts, rel.m).astype(np.int64)
    longest = int(np.diff(cptr).max(initial=1))
    if w.dtype.kind == "f":
        top = float(np.abs(w).max()) * longest / rel.tol
        if not np.isfinite(top) or top >= 2.0**62:
            return None
    elif max(int(w.max()), -int(w.min())) * longest >= 2**63:
        # (Python ints: the bound itself cannot overflow)
        return None
    return _arrays(rel, starts)


def _arrays(rel: Relation, starts: Ids) -> tuple[Ids, Ids, Ids]:
    state = rel.sources()[starts]
    sptr = np.zeros(rel.n + 1, dtype=np.int64)
    np.cumsum(np.bincount(state, minlength=rel.n), out=sptr[1:])
    cptr = np.append(starts, rel.m).astype(np.int64)
    if rel.symbols is None:
        action = np.zeros(starts.shape[0], dtype=np.int64)
    else:
        action = rel.symbols[starts]
    return sptr, cptr, action


def refine_choices(rel: Relation, labels: Ids, k: int) -> tuple[Ids, int]:
    """The least complete partition above ``labels`` (``k`` blocks), canonical.

    One call of the numba kernel :func:`~abstractions._kernels._choice_refine`
    (int64 numerators, or floats rounded to ``tol``); the numpy rounds of
    :func:`refine_choices_numpy` where its int64 sums could overflow.

    Examples
    --------
    >>> rel = Relation(np.array([0, 1, 2, 3]), np.array([1, 2, 2]), "choices",
    ...                weights=np.array([1, 1, 1]), choices=np.array([0, 1, 2]))
    >>> refine_choices(rel, np.array([0, 0, 1]), 2)
    (array([0, 1, 2]), 3)
    """
    arrays = _kernel_arrays(rel)
    if arrays is None:
        return refine_choices_numpy(rel, labels, k)
    from abstractions._kernels import _choice_refine

    sptr, cptr, action = arrays
    assert rel.weights is not None
    floats = rel.weights.dtype.kind == "f"
    wi = np.zeros(0, dtype=np.int64) if floats else rel.weights
    wf = rel.weights if floats else np.zeros(0, dtype=np.float64)
    out, k = _choice_refine(
        sptr, cptr, rel.targets, wi, wf, int(floats), 1.0 / rel.tol, action, labels, k
    )
    return first_occurrence(out, k)


def refine_choices_numpy(rel: Relation, labels: Ids, k: int) -> tuple[Ids, int]:
    """:func:`refine_choices` by rounds in numpy (the kernel's reference).

    Examples
    --------
    >>> rel = Relation(np.array([0, 1, 2, 3]), np.array([1, 2, 2]), "choices",
    ...                weights=np.array([1, 1, 1]), choices=np.array([0, 1, 2]))
    >>> refine_choices_numpy(rel, np.array([0, 0, 0]), 1)
    (array([0, 0, 0]), 1)
    >>> refine_choices_numpy(rel, np.array([0, 0, 1]), 2)
    (array([0, 1, 2]), 3)
    """
    labels = labels.copy()
    pred_ptr, pred = _predecessors(rel)
    dirty = np.ones(rel.n, dtype=bool)
    while True:
        changed = np.flatnonzero(dirty)
        if changed.size == 0:
            return first_occurrence(labels, k)
        affected = np.zeros(k, dtype=bool)
        affected[labels[changed]] = True
        clean = np.flatnonzero(~dirty & affected[labels])
        clean_old = labels[clean]
        # one clean member per block (any: the last write wins), without sorting
        rep_of = np.full(k, -1, dtype=np.int64)
        rep_of[clean_old] = clean
        reps = rep_of[rep_of >= 0]
        labels_before = labels[reps]
        states = np.concatenate([changed, reps])
        sig, k_sig = _state_signatures(rel, states, labels)
        group, k_group = pair_ids(labels[states], k, sig, max(k_sig, 1))
        # a representative's group also holds the other clean states of its block
        size = np.bincount(group, minlength=k_group)
        rep_group = group[changed.shape[0] :]
        size[rep_group] += np.bincount(clean_old, minlength=k)[labels[reps]] - 1
        block = np.zeros(k_group, dtype=np.int64)
        block[group] = labels[states]
        # the largest part of each block keeps its id; the others get new ids
        order = np.lexsort((-size, block))
        leader = np.ones(k_group, dtype=bool)
        leader[1:] = block[order[1:]] != block[order[:-1]]
        new_id = np.full(k_group, -1, dtype=np.int64)
        fresh = order[~leader]
        new_id[fresh] = k + np.arange(fresh.shape[0], dtype=np.int64)
        k += int(fresh.shape[0])
        dirty[:] = False
        target = new_id[group]
        moving = target >= 0
        moved = states[moving]
        labels[moved] = target[moving]
        # clean states follow their representative to its new id
        relabel = np.full(k, -1, dtype=np.int64)
        relabel[labels_before] = new_id[rep_group]
        follow = relabel[clean_old] >= 0
        labels[clean[follow]] = relabel[clean_old[follow]]
        moved = np.concatenate([moved, clean[follow]])
        if moved.size:
            dirty[_gather(pred_ptr, pred, moved)] = True
