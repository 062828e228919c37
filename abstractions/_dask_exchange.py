"""Doubling for one function on a Dask cluster, by direct exchange of numpy arrays.

The ``shuffle="direct"`` engine of :mod:`abstractions.distributed`. The
dataframe engine moves every row through dask's shuffles, hashes its keys
and joins by sorting: on 2 workers that machinery took about 70 % of the
time. Here the states stay where they are:

* state chunk ``i`` (the input's chunks, ``lo <= s < hi``) keeps its own
  label ``L``, pointer ``g = step**(2**r)`` and a flag for states whose
  block is final, in a :class:`Chunk`: a lookup of state ``x`` is an
  array index at the chunk that owns ``x``, not a hash join;
* a round is two request/response exchanges. The label and pointer at
  ``g`` are asked of the chunk owning ``g`` (one int64 out, two back),
  then the pairs ``(L, L o g)`` are numbered by the partition that their
  hash names (each chunk sends each of its distinct pairs once, with a
  count; one id comes back): a hash-partitioned group-by with ids
  ``(round, partition, local id)``, as in the dataframe engine;
* every message is one contiguous int64 array per (sender, receiver), cut
  from an array sorted by receiver (a counting or radix sort: linear), so a
  round moves 24 bytes per active state and 32 per distinct pair of a
  chunk, and nothing for the states that have left;
* a chunk of ``SMALL_INPUT`` states or more is worked on by the numba
  kernels of :mod:`abstractions._kernels.doubling` (the requests sorted by
  owner in two passes, the answers read into the pairs where they arrive,
  a growing hash table for the pairs, one pass for an answer and one for
  the new arrays), the numpy code here being their twin.

Each function here runs on a worker and returns a new value (a future's
value is never changed in place), so the scheduler can recompute any of
them from their inputs. The orchestration is :class:`DirectDoubling`. With
a scratch directory it runs the same functions through
:mod:`abstractions._scratch`: each result goes to files and the futures
carry only their names, so that a worker holds one task's arrays at a time
and the states may exceed the workers' memory.
"""

from __future__ import annotations

import math
import operator
import os
import shutil
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import abstractions._config as _config
import abstractions._dask_parts as parts
import abstractions._scratch as _scratch
from abstractions._dask_parts import Chunk
from abstractions.exceptions import InvalidValueError

__all__ = [
    "ALONE",
    "Chunk",
    "DirectDoubling",
    "answer",
    "ask",
    "canonical_chunk",
    "check_chunk",
    "check_owner",
    "check_pairs",
    "check_summary",
    "label_reps",
    "number_pairs",
    "owner_canon",
    "owner_reps",
    "pair",
    "record_run",
    "rank_answer",
    "rank_count",
    "rank_reps",
    "start_chunk",
    "update",
]

_I64 = np.int64

#: The bit that marks the label of a block of one state. Ids are
#: ``(round << 56) | (partition << 36) | local`` with rounds below 58 (at
#: most ``2**56`` states), so bit 62 is free; a state's label with it set is
#: still a label of its own, and equal to no other.
ALONE = np.int64(1 << 62)


def _kernels(rows: int) -> bool:
    """Whether ``rows`` rows go through the numba kernels of :mod:`abstractions._kernels.doubling`.

    Below ``SMALL_INPUT`` the numpy code (their twin) runs: loading numba
    in a worker costs more than small chunks save.
    """
    return rows >= _config.SMALL_INPUT


def _slots(a: np.ndarray, b: np.ndarray) -> int:
    """The first hash-table size for numbering the pairs ``(a, b)``: a power of two.

    A table for every row when a sample of the pairs is mostly distinct (no
    growing on the way); a small one when it is not (it grows if the
    pairs prove many after all).
    """
    n = a.shape[0]
    every = max(1, n // 4096)
    sample = np.stack([a[::every], b[::every]], axis=1)
    rows = 2 * n if 4 * np.unique(sample, axis=0).shape[0] >= sample.shape[0] else 4096
    return 1 << max(1, (rows - 1).bit_length())


def _pair_codes(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """First-occurrence ids of the pairs ``(a, b)``, the first row of each, their number."""
    if _kernels(a.shape[0]):
        from abstractions._kernels import _pair_ids

        codes, first, count = _pair_ids(a, b, _slots(a, b))
        return codes, first, int(count)
    codes, count = parts.local_ids(a, b)
    first = np.empty(count, dtype=_I64)
    # Reversed, so that the first occurrence is the write that stays.
    first[codes[::-1]] = np.arange(codes.shape[0] - 1, -1, -1, dtype=_I64)
    return codes, first, count


def _owner(x: np.ndarray, bounds: np.ndarray, size: int) -> np.ndarray:
    """The chunk of each state ``x``: a division when the chunks are of one size."""
    if size:
        return x // size
    return np.searchsorted(bounds, x, side="right") - 1


def _by_receiver(dest: np.ndarray, nparts: int) -> tuple[np.ndarray, np.ndarray]:
    """A stable order by receiver, and where each receiver's run ends.

    From ``SMALL_INPUT`` rows on, the counting-sort kernel ``_route``.
    Below, numpy: the receivers are cast to 16 bits where they fit, where
    numpy's stable sort is a radix sort, linear, not ``n log n``.
    """
    if _kernels(dest.shape[0]):
        from abstractions._kernels import _route

        order, ends = _route(dest, nparts)
        return order, ends
    key = dest.astype(np.uint16) if nparts <= (1 << 16) else dest
    order = np.argsort(key, kind="stable")
    ends = np.cumsum(np.bincount(dest, minlength=nparts))
    return order, ends


def _cut(values: np.ndarray, ends: np.ndarray) -> list[np.ndarray]:
    """``values`` (sorted by receiver, last axis) cut into one contiguous array per receiver."""
    starts = np.r_[0, ends[:-1]]
    return [np.ascontiguousarray(values[..., a:b]) for a, b in zip(starts.tolist(), ends.tolist())]


_K1 = np.uint64(0x9E3779B97F4A7C15)
_K2 = np.uint64(0xC2B2AE3D27D4EB4F)


def _pair_owner(L: np.ndarray, Lg: np.ndarray, nparts: int) -> np.ndarray:
    """The partition that numbers the pair ``(L, Lg)``.

    A multiplicative hash (wrapping around 2**64 by design) whose high 32
    bits are taken modulo the partitions: it only spreads the pairs, so
    it need not be strong, and it is four array passes against about
    twenty for a splitmix finaliser.
    """
    with np.errstate(over="ignore"):
        h = L.view(np.uint64) * _K1 + Lg.view(np.uint64) * _K2
    return ((h >> np.uint64(32)) % np.uint64(nparts)).astype(_I64)


def start_chunk(step: Any, beta: Any, offset: int, n: int) -> Chunk:
    """A chunk before the rounds: beta's labels as given, the step as the pointer."""
    g, L = parts.check_function(step, beta, offset, n)
    return Chunk(offset, L, g, np.zeros(g.shape[0], dtype=bool))


def ask(chunk: Chunk, nparts: int, bounds: np.ndarray, size: int) -> tuple[np.ndarray, ...]:
    """Requests for the label and pointer at ``g`` of the active states, one array per owner.

    Returns ``(pos, request_0, ..., request_{P-1})``: the asking states
    (positions in the chunk) in the order of the requests, which is by
    owner, and the requested states per owner. The answers come back in
    that order, so :func:`pair` reads them without sorting them back.
    """
    if _kernels(chunk.g.shape[0]):
        from abstractions._kernels import _requests

        pos, targets, ends = _requests(chunk.g, chunk.final, size, bounds)
        return (pos, *_cut(targets, ends))
    active = np.flatnonzero(~chunk.final)
    targets = chunk.g[active]
    order, ends = _by_receiver(_owner(targets, bounds, size), nparts)
    return (active[order], *_cut(targets[order], ends))


def answer(chunk: Chunk, *requests: np.ndarray) -> tuple[np.ndarray, ...]:
    """For each sender, ``[label, pointer]`` of every state it asked for (pointer -1: final)."""
    hi = chunk.lo + chunk.L.shape[0]
    lost = (
        f"a request for a state outside {chunk.lo}..{hi - 1} reached this chunk: a "
        "partition was lost or misrouted"
    )
    out = []
    for req in requests:
        if _kernels(req.shape[0]):
            from abstractions._kernels import _answer_rows

            rows, bad = _answer_rows(chunk.L, chunk.g, chunk.final, chunk.lo, req)
            if bad >= 0:
                raise RuntimeError(lost)
            out.append(rows)
            continue
        if req.shape[0] and (int(req.min()) < chunk.lo or int(req.max()) >= hi):
            raise RuntimeError(lost)
        idx = req - chunk.lo
        got = np.empty((2, idx.shape[0]), dtype=_I64)
        got[0] = chunk.L[idx]
        got[1] = np.where(chunk.final[idx], -1, chunk.g[idx])
        out.append(got)
    return tuple(out)


def _answered(
    L: np.ndarray, pos: np.ndarray, answers: Sequence[np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(L, L at g, g o g)`` of the asking states ``pos``, from the owners' answers in order.

    The label at a final ``g`` (pointer -1) is stored as ``~label``. From
    ``SMALL_INPUT`` rows on, the kernel ``_gather_pairs`` fills the three
    arrays an answer at a time; below, numpy.
    """
    m = pos.shape[0]
    if _kernels(m):
        from abstractions._kernels import _gather_pairs

        a, b, gg = np.empty(m, _I64), np.empty(m, _I64), np.empty(m, _I64)
        offset = 0
        for got in answers:
            offset = _gather_pairs(L, pos, offset, got, a, b, gg)
        return a, b, gg
    got = np.concatenate(answers, axis=1) if answers else np.zeros((2, 0), _I64)
    return L[pos], np.where(got[1] < 0, ~got[0], got[0]), got[1]


def pair(
    chunk: Chunk, asked: tuple[np.ndarray, ...] | None, nparts: int, *answers: np.ndarray
) -> tuple[np.ndarray, ...]:
    """The pairs ``(L, L at g)`` of the active states, one array per numbering partition.

    ``asked`` is :func:`ask`'s output (its answers follow, one per owner,
    in the order of its requests), or None for the set-up round, whose
    pairs are ``(beta, 0)`` over every state. A pair whose ``g`` is final
    is sent as ``(L, ~Lg)`` (negative):
    the whole block then leaves, and the numbering partition counts it.

    Each distinct pair is sent once, with the number of this chunk's states
    that have it (a combiner): a round then sends a message per distinct
    pair, not per state. That matters where blocks are large. On a chain
    nearly every state has one pair, which would otherwise all go to one
    partition.

    Returns ``(active, gg, codes, order, pairs_0, ..., pairs_{P-1})``:
    ``active`` the active states (positions in the chunk) in the order of
    the rows, ``gg`` their new pointer ``g o g`` (-1 where ``g`` is
    final), ``codes`` each one's distinct pair, ``order`` the
    order that sorted the distinct pairs by receiver, and per receiver
    ``[L, Lg, count]`` of its pairs.
    """
    if asked is None:
        active = np.arange(chunk.L.shape[0], dtype=_I64)
        L = chunk.L
        Lg = np.zeros(active.shape[0], dtype=_I64)
        gg = chunk.g
    else:
        active = asked[0]
        got_rows = sum(a.shape[1] for a in answers)
        if got_rows != active.shape[0]:
            raise RuntimeError(
                f"{got_rows} answers for {active.shape[0]} requests: a partition was lost"
            )
        L, Lg, gg = _answered(chunk.L, active, answers)
    if _kernels(L.shape[0]):
        from abstractions._kernels import _pair_rows

        codes, order2, flat, ends = _pair_rows(L, Lg, _slots(L, Lg), nparts)
        starts = np.r_[0, ends[:-1]].tolist()
        # Each receiver's three rows are one contiguous block: a view each.
        return (active, gg, codes, order2,
                *(flat[3 * a:3 * b].reshape(3, b - a) for a, b in zip(starts, ends.tolist())))
    codes, first, count = _pair_codes(L, Lg)
    L, Lg = L[first], Lg[first]
    order2, ends = _by_receiver(_pair_owner(L, Lg, nparts), nparts)
    rows = np.empty((3, count), dtype=_I64)
    rows[0] = L[order2]
    rows[1] = Lg[order2]
    rows[2] = np.bincount(codes, minlength=count)[order2]
    return (active, gg, codes, order2, *_cut(rows, ends))


def number_pairs(part: int, rnd: int, *pieces: np.ndarray) -> tuple[Any, ...]:
    """Ids of the pairs this partition received, and its counts.

    Every copy of a pair lands here, so local ids are the blocks; the id is
    ``(rnd, part, local)``, with the bit :data:`ALONE` where the block is a
    single state, and stored as ``~id`` (negative) where the block leaves
    the rounds: a singleton, or a block whose ``g`` is final.
    Returns ``((blocks, leaving blocks, staying states, pairs received),
    ids_0, ...)``, one id array per sender, aligned with its pairs.
    """
    rows = np.concatenate(pieces, axis=1) if pieces else np.zeros((3, 0), _I64)
    ends = np.cumsum([p.shape[1] for p in pieces]).astype(_I64)
    if _kernels(rows.shape[1]):
        from abstractions._kernels import _number_rows

        new, count, leaving, staying = _number_rows(
            rows[0], rows[1], rows[2], _slots(rows[0], rows[1]),
            int(parts.ident(rnd, part, np.zeros(1, _I64))[0]), int(ALONE))
        return ((int(count), int(leaving), int(staying), int(rows.shape[1])), *_cut(new, ends))
    ids, _, count = _pair_codes(rows[0], rows[1])
    # Float weights are exact here: a count is at most the states, far below 2**53.
    sizes = np.bincount(ids, weights=rows[2], minlength=count).astype(_I64)
    alone = sizes == 1
    leaves = alone.copy()
    leaves[ids[rows[1] < 0]] = True
    new = parts.ident(rnd, part, ids)
    # A block of one state stays one: its label carries ALONE, so that the
    # canonical numbering needs no message about it (see label_reps).
    new = np.where(alone[ids], new | ALONE, new)
    new = np.where(leaves[ids], ~new, new)
    stats = (int(count), int(leaves.sum()), int(sizes[~leaves].sum()), int(rows.shape[1]))
    return (stats, *_cut(new, ends))


def update(chunk: Chunk, paired: tuple[np.ndarray, ...], *ids: np.ndarray) -> Chunk:
    """The chunk after a round: new labels and pointers, and the states that left."""
    active, gg, codes, order2 = paired[0], paired[1], paired[2], paired[3]
    got = np.concatenate(ids) if ids else np.zeros(0, _I64)
    if got.shape[0] != order2.shape[0]:
        raise RuntimeError(
            f"{got.shape[0]} ids for {order2.shape[0]} pairs: a partition was lost"
        )
    per_pair = np.empty(order2.shape[0], dtype=_I64)
    per_pair[order2] = got
    if _kernels(active.shape[0]):
        from abstractions._kernels import _apply_ids

        return Chunk(chunk.lo, *_apply_ids(chunk.L, chunk.g, chunk.final, active, gg, codes,
                                           per_pair))
    new = per_pair[codes]
    leave = new < 0
    L = chunk.L.copy()
    L[active] = np.where(leave, ~new, new)
    g = chunk.g.copy()
    g[active] = gg
    final = chunk.final.copy()
    final[active[leave]] = True
    return Chunk(chunk.lo, L, g, final)


# ---------------------------------------------------------------------- canonical labels


def label_reps(chunk: Chunk, nparts: int) -> tuple[np.ndarray, ...]:
    """The chunk's labels of blocks that may span chunks, with their first state, per owner.

    A state whose label carries :data:`ALONE` is its block's only state,
    hence its rep: nothing is sent for it. The other labels are numbered
    by first occurrence (a hash table, no sort) and sent to their owners.
    Returns ``(shared, inverse, order, pairs_0, ...)``: the positions of
    the states of the other labels, each one's index among the distinct
    labels, the order that sorted those by owner, and ``[label, first
    state]`` per owner.
    """
    shared = np.flatnonzero((chunk.L & ALONE) == 0)
    L = chunk.L[shared]
    inverse, first, _ = _pair_codes(L, np.zeros_like(L))
    labels = L[first]
    order, ends = _by_receiver(_pair_owner(labels, np.zeros_like(labels), nparts), nparts)
    both = np.empty((2, labels.shape[0]), dtype=_I64)
    both[0] = labels[order]
    both[1] = chunk.lo + shared[first[order]]
    return (shared, inverse, order, *_cut(both, ends))


def owner_reps(
    nparts: int, bounds: np.ndarray, size: int, *pieces: np.ndarray
) -> tuple[np.ndarray, ...]:
    """Each label's least state (its block's first occurrence), sent to that state's chunk.

    ``pieces`` come from the chunks in order, each naming a label once, so
    a label's first occurrence among them carries its least state.
    Returns ``(codes, order, sizes, reps_0, ...)``: each received row's
    label (numbered by first occurrence), the order that sorted the labels
    by the chunk of their rep, the number of rows each chunk sent, and the
    reps per chunk.
    """
    both = np.concatenate(pieces, axis=1) if pieces else np.zeros((2, 0), _I64)
    codes, first, _ = _pair_codes(both[0], np.zeros_like(both[0]))
    reps = both[1][first]
    order, ends = _by_receiver(_owner(reps, bounds, size), nparts)
    sizes = np.array([p.shape[1] for p in pieces], dtype=_I64)
    return (codes, order, sizes, *_cut(reps[order], ends))


def rank_reps(lo: int, hi: int, shared: np.ndarray, *pieces: np.ndarray) -> np.ndarray:
    """For the states ``lo .. hi - 1`` of a chunk, how many reps fall before each (a prefix count).

    The reps are the states alone in their block (all but ``shared``) and
    the least states that the owners sent back. Each state is the rep of
    one block at most; a rep's rank is the count at it, and the chunk's
    number of reps is the last count (see :func:`rank_answer`).
    """
    mark = np.ones(hi - lo + 1, dtype=_I64)
    mark[0] = 0
    mark[shared + 1] = 0
    for p in pieces:
        mark[p - lo + 1] = 1
    out: np.ndarray = np.cumsum(mark)
    return out


def rank_count(ranked: np.ndarray) -> int:
    """The number of reps in a chunk, from :func:`rank_reps`."""
    return int(ranked[-1])


def rank_answer(
    ranked: np.ndarray, lo: int, offset: int, *pieces: np.ndarray
) -> tuple[np.ndarray, ...]:
    """Each asked rep's canonical id: the reps in earlier chunks, plus its rank in this one."""
    return tuple(offset + ranked[p - lo] for p in pieces)


def owner_canon(owned: tuple[np.ndarray, ...], *ranks: np.ndarray) -> tuple[np.ndarray, ...]:
    """The canonical id of every row each chunk sent to :func:`owner_reps`, one array per chunk.

    ``ranks`` holds the canonical ids from every chunk, aligned with
    :func:`owner_reps`' reps.
    """
    codes, order, sizes = owned[0], owned[1], owned[2]
    canon_sorted = np.concatenate(ranks) if ranks else np.zeros(0, _I64)
    if canon_sorted.shape[0] != order.shape[0]:
        raise RuntimeError("a label has no canonical id: a partition was lost")
    canon = np.empty(order.shape[0], dtype=_I64)
    canon[order] = canon_sorted
    return tuple(_cut(canon[codes], np.cumsum(sizes)))


def canonical_chunk(
    reps: tuple[np.ndarray, ...], ranked: np.ndarray, offset: int, *canon: np.ndarray
) -> np.ndarray:
    """The chunk's canonical labels (blocks numbered by their first state).

    A state alone in its block is its rep, numbered by its own rank; the
    others take their label's id from its owner.
    """
    shared, inverse, order = reps[0], reps[1], reps[2]
    out: np.ndarray = offset + ranked[:-1]
    got = np.concatenate(canon) if canon else np.zeros(0, _I64)
    ids = np.empty(got.shape[0], dtype=_I64)
    ids[order] = got
    out[shared] = ids[inverse]
    return out


# ---------------------------------------------------------------------- checking an answer


def check_chunk(step: Any, beta: Any, labels: Any, offset: int, n: int) -> tuple[Chunk, np.ndarray]:
    """A chunk of an answer to check: the labels as ``L``, the step as ``g``; and beta."""
    g, b = parts.check_function(step, beta, offset, n)
    lab = np.asarray(labels)
    if lab.ndim != 1 or lab.shape[0] != g.shape[0] or lab.dtype.kind not in "iu":
        raise InvalidValueError(
            f"labels has a chunk of {lab.shape[0] if lab.ndim == 1 else lab.shape} "
            f"({lab.dtype}) at state {offset}, where the system has {g.shape[0]} states"
        )
    return Chunk(offset, lab.astype(_I64), g, np.zeros(g.shape[0], dtype=bool)), b


def check_pairs(
    chunk: Chunk, beta: np.ndarray, asked: tuple[np.ndarray, ...], nparts: int, *answers: np.ndarray
) -> tuple[Any, ...]:
    """Each state's ``(A, A at step, beta)``, sent to the owner of ``A``; and the chunk's records.

    The records (see :func:`record_run`) tell whether the labels are
    numbered by first occurrence across chunks.
    """
    pos = asked[0]
    got = np.concatenate(answers, axis=1) if answers else np.zeros((2, 0), _I64)
    if got.shape[1] != pos.shape[0] or pos.shape[0] != chunk.L.shape[0]:
        raise RuntimeError(
            f"{got.shape[1]} answers for {pos.shape[0]} requests: a partition was lost"
        )
    B = np.empty(pos.shape[0], dtype=_I64)
    B[pos] = got[0]
    A = chunk.L
    by, ends = _by_receiver(_pair_owner(A, np.zeros_like(A), nparts), nparts)
    rows = np.empty((3, A.shape[0]), dtype=_I64)
    rows[0], rows[1], rows[2] = A[by], B[by], beta[by]
    return (record_run(A), *_cut(rows, ends))


def record_run(a: np.ndarray) -> tuple[int, int, int]:
    """A chunk's record labels: ``(last record before the final run, run start, run end)``.

    A record is a label above every label before it in the chunk; the
    final run is the longest suffix of records that go up by one. Labels
    are canonical when, chunk after chunk, each run continues from the
    largest label seen so far.
    """
    if a.shape[0] == 0:
        return -1, -1, -1
    running = np.maximum.accumulate(a)
    is_record = np.ones(a.shape[0], dtype=bool)
    is_record[1:] = a[1:] > running[:-1]
    records = a[is_record]
    steps = np.flatnonzero(np.diff(records) != 1)
    t = int(steps[-1]) + 1 if steps.size else 0
    before = int(records[t - 1]) if t > 0 else -1
    return before, int(records[t]), int(records[-1])


def check_owner(*pieces: np.ndarray) -> tuple[bool, bool, int]:
    """For the blocks this partition owns: one successor block each, one beta label each."""
    rows = np.concatenate(pieces, axis=1) if pieces else np.zeros((3, 0), _I64)
    blocks = parts.local_ids(rows[0])[1]
    return (parts.local_ids(rows[0], rows[1])[1] == blocks,
            parts.local_ids(rows[0], rows[2])[1] == blocks, int(blocks))


def check_summary(
    runs: Sequence[tuple[int, int, int]], counts: Sequence[tuple[bool, bool, int]]
) -> dict[str, Any]:
    """The verdict of a check: the chunks' record runs (in order) and the owners' counts."""
    canonical = True
    seen = -1
    for before, low, high in runs:
        # The chunk's records end in a run low, low + 1, ..., high; those
        # before the run must not pass seen, and the run must start at
        # most one above seen.
        if high > seen and (before > seen or low > seen + 1):
            canonical = False
        seen = max(seen, high)
    return {
        "complete": all(c[0] for c in counts),
        "refines_beta": all(c[1] for c in counts),
        "canonical": canonical,
        "blocks": int(sum(c[2] for c in counts)),
    }


def _settled(_: Any) -> None:
    """Nothing: a task that runs once its input is computed."""


# ---------------------------------------------------------------------- orchestration


class DirectDoubling:
    """Pointer doubling over the chunks of a function, on a ``distributed`` client.

    ``record(rnd, phase, blocks, active, nbytes, t0)`` is called once per
    round (the caller keeps the records and draws the progress).
    """

    def __init__(self, client: Any, bounds: np.ndarray, record: Callable[..., None],
                 scratch: str | None = None) -> None:
        self.client = client
        # With a scratch directory every result is written there and the
        # futures hold only markers (see abstractions._scratch); a round's
        # files are deleted once the next round's chunks are written.
        self.root = None if scratch is None else os.path.join(
            scratch, f"direct-{uuid.uuid4().hex}")
        self._round = 0
        self._count = 0
        self.bounds = np.asarray(bounds, dtype=_I64)
        self.P = max(1, self.bounds.shape[0] - 1)
        sizes = np.diff(self.bounds)
        # One chunk size (the last may be shorter): owners by division.
        uniform = sizes.size == 0 or bool((sizes[:-1] == sizes[0]).all() and sizes[-1] <= sizes[0])
        self.size = int(sizes[0]) if uniform and sizes.size else 0
        self.record = record

    def _path(self) -> str:
        assert self.root is not None
        self._count += 1
        return os.path.join(self.root, f"r{self._round:04d}", f"{self._count:07d}")

    def _submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn`` on the cluster; with a scratch directory its result goes to disk."""
        if self.root is None:
            return self.client.submit(fn, *args, pure=False)
        return self.client.submit(_scratch.call, fn, self._path(), *args, pure=False)

    def _value(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn`` on the cluster, its result kept in memory (counts, and the answer)."""
        if self.root is None:
            return self.client.submit(fn, *args, pure=False)
        return self.client.submit(_scratch.with_value, fn, *args, pure=False)

    def _start(self, fn: Callable[..., Any], *args: Any) -> Any:
        """A delayed call of ``fn`` on the input chunks (read inside the task)."""
        import dask

        if self.root is None:
            return dask.delayed(fn, pure=False)(*args)
        return dask.delayed(_scratch.call, pure=False)(fn, self._path(), *args)

    def _item(self, future: Any, k: int) -> Any:
        """Item ``k`` of a future's tuple: a getitem task, or a reference read from disk."""
        if self.root is None:
            return self.client.submit(operator.getitem, future, k, pure=False)
        return (_scratch.ITEM, future, k)

    def _items(self, futures: Sequence[Any], first: int) -> list[list[Any]]:
        """``out[i][j]``: item ``first + j`` of future ``i`` (one message per receiver)."""
        return [[self._item(f, first + j) for j in range(self.P)] for f in futures]

    def _checkpoint(self, chunks: list[Any]) -> list[Any]:
        """With a scratch directory: wait for the round, then drop every file but its chunks.

        The chunks come back as tasks without inputs (their markers), so a
        worker lost later never needs a deleted file to recompute them; the
        round's messages are all consumed once its chunks exist, and the
        chunks before them are replaced.
        """
        if self.root is None:
            return chunks
        stored = self.client.gather(chunks)
        fresh = [self.client.submit(_scratch.restore, s, pure=False) for s in stored]
        here = f"r{self._round:04d}"
        keep = {os.path.basename(s.path) for s in stored}
        for name in os.listdir(self.root):
            if name < here:
                shutil.rmtree(os.path.join(self.root, name), ignore_errors=True)
        for name in os.listdir(os.path.join(self.root, here)):
            if name not in keep:
                shutil.rmtree(os.path.join(self.root, here, name), ignore_errors=True)
        self._round += 1
        return fresh

    def close(self) -> None:
        """Delete the scratch files (none without a scratch directory)."""
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)

    def _numbering(
        self, chunks: list[Any], paired: list[Any], rnd: int
    ) -> tuple[list[Any], list[tuple[int, int, int, int]]]:
        """Number the pairs of ``paired``, then update the chunks with their ids."""
        msgs = self._items(paired, 4)
        numbered = [self._submit(number_pairs, h, rnd, *(msgs[i][h] for i in range(self.P)))
                    for h in range(self.P)]
        stats = self.client.gather([self._value(operator.getitem, f, 0) for f in numbered])
        ids = self._items(numbered, 1)
        chunks = [self._submit(update, chunks[i], paired[i], *(ids[h][i] for h in range(self.P)))
                  for i in range(self.P)]
        return chunks, stats

    def run(
        self, start: list[tuple[Callable[..., Any], tuple[Any, ...]]], n: int
    ) -> tuple[list[Any], int, int]:
        """Doubling to the fixed point, then canonical labels: ``(chunks, blocks, rounds)``."""
        t0 = time.perf_counter()
        P = self.P
        # Input arrays travel inside the start tasks, so a lost chunk is recomputed.
        chunks = list(self.client.compute([self._start(start_chunk, *args) for _, args in start]))
        paired = [self._submit(pair, c, None, P) for c in chunks]
        chunks, stats = self._numbering(chunks, paired, 0)
        chunks = self._checkpoint(chunks)
        blocks = sum(s[0] for s in stats)
        active_blocks = blocks - sum(s[1] for s in stats)
        active = sum(s[2] for s in stats)
        # The distinct (beta, 0) pairs out (24 bytes each) and their ids back (8).
        self.record(0, "setup", blocks, n, 32 * sum(s[3] for s in stats), t0)
        limit = max(1, math.ceil(math.log2(max(n, 2)))) + 1
        if limit >= 1 << (62 - parts.ROUND_SHIFT):  # pragma: no cover - above 2**61 states
            raise InvalidValueError(f"{n} states is more than the label layout holds")
        rnd = 0
        while active:
            rnd += 1
            t0 = time.perf_counter()
            if rnd > limit:  # pragma: no cover - the doubling bound
                raise RuntimeError(f"doubling took more than {limit} rounds")
            asked = [self._submit(ask, c, P, self.bounds, self.size) for c in chunks]
            requests = self._items(asked, 1)
            answers = [self._submit(answer, chunks[j], *(requests[i][j] for i in range(P)))
                       for j in range(P)]
            replies = self._items(answers, 0)
            paired = [self._submit(pair, chunks[i], asked[i], P, *(replies[j][i] for j in range(P)))
                      for i in range(P)]
            chunks, stats = self._numbering(chunks, paired, rnd)
            chunks = self._checkpoint(chunks)
            count = sum(s[0] for s in stats)
            blocks = blocks - active_blocks + count
            # Per active state a request out (8 bytes) and its label and
            # pointer back (16); per distinct pair of a chunk the pair and its
            # count out (24) and its id back (8).
            self.record(rnd, "doubling", blocks, active,
                        24 * active + 32 * sum(s[3] for s in stats), t0)
            split = count != active_blocks
            active_blocks = count - sum(s[1] for s in stats)
            active = sum(s[2] for s in stats)
            if not split:
                break
        labels, n_blocks = self.canonical(chunks, n)
        if self.root is not None:
            # The answer is held in memory; the files it is made from go after
            # it is computed (a task per chunk that only waits for it).
            self.client.gather([self.client.submit(_settled, f, pure=False) for f in labels])
        return labels, n_blocks, rnd

    def check(self, start: list[tuple[Callable[..., Any], tuple[Any, ...]]], labels: list[Any],
              n: int) -> dict[str, Any]:
        """Check ``labels`` (one future or delayed chunk per state chunk) against the definition."""
        try:
            return self._check(start, labels)
        finally:
            self.close()

    def _check(self, start: list[tuple[Callable[..., Any], tuple[Any, ...]]],
               labels: list[Any]) -> dict[str, Any]:
        P = self.P
        made = list(self.client.compute([self._start(check_chunk, *args[:2], lab, *args[2:])
                                         for (_, args), lab in zip(start, labels)]))
        chunks = [self._item(f, 0) for f in made]
        betas = [self._item(f, 1) for f in made]
        asked = [self._submit(ask, c, P, self.bounds, self.size) for c in chunks]
        requests = self._items(asked, 1)
        answers = [self._submit(answer, chunks[j], *(requests[i][j] for i in range(P)))
                   for j in range(P)]
        replies = self._items(answers, 0)
        rows = [self._submit(check_pairs, chunks[i], betas[i], asked[i], P,
                             *(replies[j][i] for j in range(P))) for i in range(P)]
        runs = self.client.gather([self._value(operator.getitem, f, 0) for f in rows])
        msgs = self._items(rows, 1)
        counts = self.client.gather([self._value(check_owner, *(msgs[i][h] for i in range(P)))
                                     for h in range(P)])
        return check_summary(runs, counts)

    def canonical(self, chunks: list[Any], n: int) -> tuple[list[Any], int]:
        """Blocks numbered by their first state: each chunk's labels, and the block count."""
        t0 = time.perf_counter()
        P = self.P
        reps = [self._submit(label_reps, c, P) for c in chunks]
        asks = self._items(reps, 3)
        owned = [self._submit(owner_reps, P, self.bounds, self.size,
                              *(asks[i][h] for i in range(P))) for h in range(P)]
        to_rank = self._items(owned, 3)
        ranked = [self._submit(rank_reps, int(self.bounds[k]), int(self.bounds[k + 1]),
                               self._item(reps[k], 0), *(to_rank[h][k] for h in range(P)))
                  for k in range(P)]
        counts = self.client.gather([self._value(rank_count, r) for r in ranked])
        offsets = np.r_[0, np.cumsum(counts)[:-1]].astype(_I64).tolist()
        answered = [self._submit(rank_answer, ranked[k], int(self.bounds[k]), offsets[k],
                                 *(to_rank[h][k] for h in range(P))) for k in range(P)]
        ranks = self._items(answered, 0)
        canon = [self._submit(owner_canon, owned[h], *(ranks[k][h] for k in range(P)))
                 for h in range(P)]
        back = self._items(canon, 0)
        labels = [self._value(canonical_chunk, reps[i], ranked[i], offsets[i],
                              *(back[h][i] for h in range(P)))
                  for i in range(P)]
        n_blocks = int(sum(counts))
        self.record(0, "canonical", n_blocks, n, 8 * (4 * n_blocks + 2 * n_blocks), t0)
        return labels, n_blocks
