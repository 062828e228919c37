"""Partition-level steps of :mod:`abstractions.distributed`, run on the workers.

Each function takes and returns pandas DataFrames of int64 (float64 for
float weights) columns and plain numpy arrays: one partition of a
distributed table. The orchestration (which partitions meet, the
shuffles between them) lives in :mod:`abstractions.distributed`; these
functions are what a worker executes, so they must be importable
module-level functions (a cluster pickles them by reference).

Block ids minted here are ``(round << 56) | (partition << 36) | local``:
the hash-partitioned group-by numbers the pairs of one partition locally,
and the partition number makes the ids unique without a global sort (all
equal pairs land in one partition). The round number keeps the ids of
states that have left (final blocks) apart from every later round's ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

from abstractions._keys import row_ids
from abstractions.exceptions import InvalidTypeError, InvalidValueError

__all__ = [
    "Chunk",
    "MAX_LOCAL",
    "MAX_PARTS",
    "MAX_ROUNDS",
    "PART_SHIFT",
    "ROUND_SHIFT",
    "attach_canonical",
    "block_mismatch",
    "block_reps",
    "check_function",
    "chunk_keys",
    "emit_round",
    "frame",
    "ident",
    "join_round",
    "join_targets",
    "local_ids",
    "merge_done",
    "mix",
    "nbytes",
    "pair_counts",
    "rank_reps",
    "renumber_labels",
    "renumber_pairs",
    "renumber_setup",
    "scatter_chunks",
    "signature_hash",
    "start_function",
    "start_labels",
    "start_transitions",
    "target_blocks",
]


@dataclass(frozen=True)
class Chunk:
    """States ``lo .. lo + len(L) - 1`` of one chunk, during doubling.

    Attributes
    ----------
    lo : int
        The first state of the chunk.
    L : numpy.ndarray
        Each state's label (block id) after the last round.
    g : numpy.ndarray
        Each state's pointer ``step**(2**r)``.
    final : numpy.ndarray
        Whether the state's block is final (it left the rounds).
    """

    lo: int
    L: np.ndarray
    g: np.ndarray
    final: np.ndarray


ROUND_SHIFT = 56
PART_SHIFT = 36
#: Rows of one partition, partitions and rounds that the id layout holds.
MAX_LOCAL = 1 << PART_SHIFT
MAX_PARTS = 1 << (ROUND_SHIFT - PART_SHIFT)
MAX_ROUNDS = 1 << (63 - ROUND_SHIFT)

_I64 = np.int64


def frame(**columns: np.ndarray) -> pd.DataFrame:
    """A DataFrame of the given columns (a fresh RangeIndex)."""
    import pandas

    return pandas.DataFrame(columns)


def _col(df: pd.DataFrame, name: str) -> np.ndarray:
    return np.ascontiguousarray(df[name].to_numpy())


def nbytes(df: pd.DataFrame) -> int:
    """Bytes of the columns of one partition."""
    return int(df.memory_usage(index=False).sum())


def _ints(values: Any, name: str, offset: int) -> np.ndarray:
    array = np.asarray(values)
    if array.dtype.kind not in "iu":
        raise InvalidTypeError(
            f"{name} must hold integers, got dtype {array.dtype} (in the chunk starting at "
            f"state {offset})"
        )
    return array.astype(_I64, copy=False).reshape(-1)


def _in_range(values: np.ndarray, n: int, name: str, offset: int) -> None:
    bad = np.flatnonzero((values < 0) | (values >= n))
    if bad.size:
        i = int(bad[0])
        raise InvalidValueError(
            f"{name}[{offset + i}] = {int(values[i])} is not a state (states are 0..{n - 1})"
        )


def check_function(step: Any, beta: Any, offset: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """One chunk of a function, checked: ``(g, L)``, successors and beta labels as int64."""
    g = _ints(step, "step", offset)
    L = _ints(beta, "beta", offset)
    if g.shape != L.shape:
        raise InvalidValueError(
            f"the chunk at state {offset} has {g.shape[0]} steps but {L.shape[0]} beta labels"
        )
    _in_range(g, n, "step", offset)
    return g, L


def start_function(step: Any, beta: Any, offset: int, n: int) -> pd.DataFrame:
    """Rows ``(s, L, g)`` of one chunk of a function: state, beta label, successor."""
    g, L = check_function(step, beta, offset, n)
    s = np.arange(offset, offset + g.shape[0], dtype=_I64)
    return frame(s=s, L=L, g=g)


def start_labels(beta: Any, offset: int) -> pd.DataFrame:
    """Rows ``(s, L)`` of one chunk of beta."""
    L = _ints(beta, "beta", offset)
    return frame(s=np.arange(offset, offset + L.shape[0], dtype=_I64), L=L)


def start_transitions(
    src: Any, sym: Any, dst: Any, weight: Any, n: int, how: str, offset: int
) -> pd.DataFrame:
    """Rows ``(src, sym, dst, w)`` of one chunk of transitions, checked."""
    s = _ints(src, "source", offset)
    t = _ints(dst, "target", offset)
    a = np.zeros_like(s) if sym is None else _ints(sym, "symbol", offset)
    _in_range(s, n, "source", offset)
    _in_range(t, n, "target", offset)
    if (a < 0).any():
        i = int(np.flatnonzero(a < 0)[0])
        raise InvalidValueError(f"symbol[{offset + i}] = {int(a[i])} is negative")
    if how == "round":
        w = np.asarray(weight, dtype=np.float64).reshape(-1)
        if not np.isfinite(w).all() or (w < 0).any():
            i = int(np.flatnonzero(~(np.isfinite(w) & (w >= 0)))[0])
            raise InvalidValueError(f"weight[{offset + i}] = {w[i]!r} is not a probability")
    elif how == "sum":
        w = _ints(weight, "weight", offset)
        if (w < 0).any():
            i = int(np.flatnonzero(w < 0)[0])
            raise InvalidValueError(f"weight[{offset + i}] = {int(w[i])} is negative")
    else:
        w = np.ones_like(s)
    if not (s.shape == t.shape == a.shape == w.shape):
        raise InvalidValueError(
            f"the transitions at row {offset} have columns of different lengths"
        )
    return frame(src=s, sym=a, dst=t, w=w)


def local_ids(*keys: np.ndarray) -> tuple[np.ndarray, int]:
    """Ids ``0..count-1`` of the distinct key tuples, by first occurrence.

    Keys with few distinct values are numbered one by one (small hash
    tables, in cache), then their codes combined. Keys with many (a
    sample of 4096 rows says which) are numbered by one 64-bit hash of
    the tuple, one large hash-table pass instead of three, then checked
    exactly: every row must equal the first row of its id. Only if two
    tuples share a hash (about ``rows**2 / 2**65`` likely) are the keys
    numbered one by one after all.
    """
    from pandas import factorize

    rows = keys[0].shape[0]
    if rows == 0:
        return np.zeros(0, dtype=_I64), 0
    sample = keys[0][:: max(1, rows // 4096)]
    if len(keys) > 1 and 4 * np.unique(sample).shape[0] >= sample.shape[0]:
        h = mix(keys[0].astype(_I64, copy=False).view(np.uint64))
        for key in keys[1:]:
            h = mix(h ^ key.astype(_I64, copy=False).view(np.uint64))
        codes, uniques = factorize(h.view(_I64))
        codes = codes.astype(_I64)
        count = len(uniques)
        first = np.empty(count, dtype=_I64)
        # Reversed, so that the first occurrence is the write that stays.
        first[codes[::-1]] = np.arange(codes.shape[0] - 1, -1, -1, dtype=_I64)
        rep = first[codes]
        if all(np.array_equal(key[rep], key) for key in keys):
            return codes, count
    if len(keys) > 1:
        # Few distinct tuples (a chain's rounds: one block holds most
        # states), or a hash collision: one pass of the row-id kernel (exact;
        # its hash table's few used slots stay in cache), where factorising
        # each key and then their codes took three passes and 8 times as long.
        return row_ids(np.stack([k.astype(_I64, copy=False) for k in keys], axis=1))
    codes, uniques = factorize(keys[0])
    return codes.astype(_I64), len(uniques)


def ident(rnd: int, part: int, local: np.ndarray) -> np.ndarray:
    return (np.int64(rnd) << ROUND_SHIFT) | (np.int64(part) << PART_SHIFT) | local


def _split(
    s: np.ndarray, new: np.ndarray, g: np.ndarray, ids: np.ndarray, count: int, leave: np.ndarray
) -> tuple[pd.DataFrame, pd.DataFrame, tuple[int, int, int, int]]:
    """Active rows ``(s, L, g)``, leaving rows ``(key, F)`` and the statistics."""
    done_blocks = int(np.unique(ids[leave]).shape[0])
    stay = ~leave
    active = frame(s=s[stay], L=new[stay], g=g[stay])
    order = np.argsort(s[leave], kind="stable")
    done = frame(key=s[leave][order], F=new[leave][order])
    return active, done, (count, count - done_blocks, int(stay.sum()), int(leave.sum()))


def renumber_setup(
    df: pd.DataFrame, part: int
) -> tuple[pd.DataFrame, pd.DataFrame, tuple[int, int, int, int]]:
    """Beta's blocks in one hash partition: ids, and singletons leave (they are final)."""
    s, L, g = _col(df, "s"), _col(df, "L"), _col(df, "g")
    ids, count = local_ids(L)
    sizes = np.bincount(ids, minlength=count)
    new = ident(0, part, ids)
    return _split(s, new, g, ids, count, sizes[ids] == 1)


def emit_round(act: pd.DataFrame, new_done: pd.DataFrame) -> pd.DataFrame:
    """One table for a doubling round's single shuffle on ``key``.

    Rows of three types ``t``: a request for the label at ``g`` (``key=g,
    a=s, b=L``), the active state's own entry (``key=s, a=L, b=g``), and
    a state that left last round (``key=s, a=F``). Shuffled on ``key``,
    each request meets the entry or the final label it asks for, and the
    leavers join the table of final labels of their partition.
    """
    s, L, g = _col(act, "s"), _col(act, "L"), _col(act, "g")
    k, F = _col(new_done, "key"), _col(new_done, "F")
    na, nd = s.shape[0], k.shape[0]
    t = np.concatenate([np.zeros(na, _I64), np.ones(na, _I64), np.full(nd, 2, _I64)])
    return frame(key=np.concatenate([g, s, k]), a=np.concatenate([s, L, F]),
                 b=np.concatenate([L, g, np.zeros(nd, _I64)]), t=t)


def join_round(df: pd.DataFrame, done: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The requests of one partition answered ``(s, L, Lg, gg)``, and the grown final table."""
    t = _col(df, "t")
    key, a, b = _col(df, "key"), _col(df, "a"), _col(df, "b")
    r, e, d = t == 0, t == 1, t == 2
    done = merge_done(done, frame(key=key[d], F=a[d]))
    req = frame(s=a[r], L=b[r], key=key[r])
    look = frame(key=key[e], L=a[e], g=b[e])
    return join_targets(req, look, done), done


def join_targets(req: pd.DataFrame, look: pd.DataFrame, done: pd.DataFrame) -> pd.DataFrame:
    """Each request ``(s, L, key=g)`` with the label and pointer at ``g``: ``(s, L, Lg, gg)``.

    ``g`` is either active (in ``look``: its label and its own pointer) or
    has left (in ``done``, sorted by key: its final label, and ``gg = -1``).
    """
    key = _col(req, "key")
    lk = _col(look, "key")
    order = np.argsort(lk, kind="stable")
    lk = lk[order]
    pos = np.searchsorted(lk, key)
    pos_c = np.minimum(pos, max(lk.shape[0] - 1, 0))
    hit = (pos < lk.shape[0]) & (lk[pos_c] == key) if lk.shape[0] else np.zeros(key.shape, bool)
    Lg = np.empty(key.shape[0], dtype=_I64)
    gg = np.empty(key.shape[0], dtype=_I64)
    Lg[hit] = _col(look, "L")[order][pos[hit]]
    gg[hit] = _col(look, "g")[order][pos[hit]]
    miss = ~hit
    if miss.any():
        dk = _col(done, "key")
        want = key[miss]
        p2 = np.searchsorted(dk, want)
        p2c = np.minimum(p2, max(dk.shape[0] - 1, 0))
        found = (p2 < dk.shape[0]) & (dk[p2c] == want) if dk.shape[0] else np.zeros(want.shape, bool)
        if not found.all():
            # Every state is active or has left: a lost row means lost data.
            raise RuntimeError(
                f"state {int(want[~found][0])} is in no table: a partition was lost"
            )
        Lg[miss] = _col(done, "F")[p2]
        gg[miss] = -1
    return frame(s=_col(req, "s"), L=_col(req, "L"), Lg=Lg, gg=gg)


def renumber_pairs(
    df: pd.DataFrame, part: int, rnd: int
) -> tuple[pd.DataFrame, pd.DataFrame, tuple[int, int, int, int]]:
    """One doubling round's new blocks: ids of the pairs ``(L, Lg)`` in this partition.

    A state leaves when its new block is a singleton, or when ``g`` had
    left: the label of a final block at ``g`` makes the pair final too.
    """
    s, L, Lg, gg = _col(df, "s"), _col(df, "L"), _col(df, "Lg"), _col(df, "gg")
    ids, count = local_ids(L, Lg)
    sizes = np.bincount(ids, minlength=count)
    new = ident(rnd, part, ids)
    return _split(s, new, gg, ids, count, (sizes[ids] == 1) | (gg < 0))


def merge_done(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """The states that have left, sorted by state, with this round's leavers added."""
    if new.shape[0] == 0:
        return old
    order = np.argsort(_col(new, "key"), kind="stable")
    new = frame(key=_col(new, "key")[order], F=_col(new, "F")[order])
    if old.shape[0] == 0:
        return new
    key = np.concatenate([_col(old, "key"), _col(new, "key")])
    F = np.concatenate([_col(old, "F"), _col(new, "F")])
    order = np.argsort(key, kind="stable")
    return frame(key=key[order], F=F[order])


# ---------------------------------------------------------------------- signature rounds


def target_blocks(trans: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame:
    """Transitions ``(src, sym, dst, w)`` (by ``dst``) with the block of ``dst``: ``(key=src, ...)``."""
    dst = _col(trans, "dst")
    lk = _col(labels, "key")
    order = np.argsort(lk, kind="stable")
    lk = lk[order]
    pos = np.searchsorted(lk, dst)
    pos_c = np.minimum(pos, max(lk.shape[0] - 1, 0))
    ok = (pos < lk.shape[0]) & (lk[pos_c] == dst) if lk.shape[0] else np.zeros(dst.shape, bool)
    if not ok.all():
        raise RuntimeError(f"state {int(dst[~ok][0])} has no label: a partition was lost")
    blk = _col(labels, "L")[order][pos]
    return frame(key=_col(trans, "src"), sym=_col(trans, "sym"), blk=blk, dst=dst,
                 w=trans["w"].to_numpy())


_C1 = np.uint64(0xBF58476D1CE4E5B9)
_C2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser on a uint64 array (wraps around on purpose)."""
    x = x + _GOLDEN
    x = (x ^ (x >> np.uint64(30))) * _C1
    x = (x ^ (x >> np.uint64(27))) * _C2
    out: np.ndarray = x ^ (x >> np.uint64(31))
    return out


def _aggregate(rows: pd.DataFrame, how: str, tol: float) -> tuple[np.ndarray, ...]:
    """Per ``(state, symbol, block)``: the aggregate ``value`` (dropped where it is 0).

    Rows are sorted by (state, symbol, block, target) first, so float sums
    add in the in-memory core's order and agree with it bit for bit.
    """
    s, a, b, t = _col(rows, "key"), _col(rows, "sym"), _col(rows, "blk"), _col(rows, "dst")
    w = rows["w"].to_numpy()
    order = np.lexsort((t, b, a, s))
    s, a, b, w = s[order], a[order], b[order], w[order]
    change = np.ones(s.shape[0], dtype=bool)
    change[1:] = (s[1:] != s[:-1]) | (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    starts = np.flatnonzero(change)
    if how in ("function", "exists"):
        value = np.ones(starts.shape[0], dtype=_I64)
    elif starts.shape[0] == 0:
        value = np.zeros(0, dtype=_I64)
    elif how == "sum":
        value = np.add.reduceat(w, starts).astype(_I64)
    else:
        value = np.floor(np.add.reduceat(w, starts) * (1.0 / tol) + 0.5).astype(_I64)
    kept = value != 0
    starts = starts[kept]
    return s[starts], a[starts], b[starts], value[kept]


def signature_hash(
    rows: pd.DataFrame, labels: pd.DataFrame, how: str, tol: float, salt: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each state's ``(s, L, h)``: its block and a 64-bit hash of its signature.

    The hash is a sum of per-row hashes, so it does not depend on the row
    order. Also returns the aggregated signature rows ``(key, sym, blk,
    val)`` for the exact check.
    """
    s, a, b, v = _aggregate(rows, how, tol)
    salt64 = np.uint64(salt)
    row = mix(mix(mix(a.astype(np.uint64) + salt64) ^ b.astype(np.uint64)) ^ v.astype(np.uint64))
    ls = _col(labels, "key")
    order = np.argsort(ls, kind="stable")
    ls = ls[order]
    L = _col(labels, "L")[order]
    h = np.zeros(ls.shape[0], dtype=np.uint64)
    if s.shape[0]:
        change = np.ones(s.shape[0], dtype=bool)
        change[1:] = s[1:] != s[:-1]
        starts = np.flatnonzero(change)
        sums = np.add.reduceat(row, starts)
        pos = np.searchsorted(ls, s[starts])
        if not ((pos < ls.shape[0]) & (ls[np.minimum(pos, ls.shape[0] - 1)] == s[starts])).all():
            raise RuntimeError("a state with transitions has no label: a partition was lost")
        h[pos] = mix(sums)
    sig = frame(s=ls, L=L, h=h.view(_I64))
    return sig, frame(key=s, sym=a, blk=b, val=v)


def renumber_labels(
    df: pd.DataFrame, part: int, rnd: int, keys: list[str]
) -> tuple[pd.DataFrame, int]:
    """New labels ``(s, L)``: ids of the ``keys`` (``L``, or ``(L, h)``) in this partition."""
    ids, count = local_ids(*(_col(df, k) for k in keys))
    return frame(s=_col(df, "s"), L=ident(rnd, part, ids)), count


def block_mismatch(rows: pd.DataFrame, states: pd.DataFrame) -> tuple[int, int] | None:
    """States ``(m1, m2)`` of one block with different signatures, or None.

    ``states`` are ``(s, L)`` and ``rows`` the signature rows ``(s, L, sym,
    blk, val)`` of this partition's blocks (all of a block in one
    partition). Each state is compared with the block's least state, row by
    row: exact, whatever the hashes said.
    """
    s, L = _col(states, "s"), _col(states, "L")
    if s.shape[0] == 0:
        return None
    order = np.lexsort((s, L))
    s, L = s[order], L[order]
    first = np.ones(s.shape[0], dtype=bool)
    first[1:] = L[1:] != L[:-1]
    rep = s[np.flatnonzero(first)][np.cumsum(first) - 1]
    rs, ra, rb, rv = (_col(rows, c) for c in ("s", "sym", "blk", "val"))
    ro = np.lexsort((rb, ra, rs))
    rs, ra, rb, rv = rs[ro], ra[ro], rb[ro], rv[ro]
    # Rows of state s are rs[lo[s] : lo[s] + count[s]] (position by searchsorted).
    lo = np.searchsorted(rs, s)
    hi = np.searchsorted(rs, s, side="right")
    count = hi - lo
    rank = np.searchsorted(s[np.argsort(s)], rep)  # rep's position among the sorted states
    by_state = np.argsort(s)
    rep_count = count[by_state][rank]
    rep_lo = lo[by_state][rank]
    bad = np.flatnonzero(count != rep_count)
    if bad.size:
        i = int(bad[0])
        return int(rep[i]), int(s[i])
    total = int(count.sum())
    if total == 0:
        return None
    owner = np.repeat(np.arange(s.shape[0]), count)
    offset = np.arange(total) - np.repeat(np.cumsum(count) - count, count)
    i = lo[owner] + offset
    j = rep_lo[owner] + offset
    diff = (ra[i] != ra[j]) | (rb[i] != rb[j]) | (rv[i] != rv[j])
    if diff.any():
        k = int(owner[np.flatnonzero(diff)[0]])
        return int(rep[k]), int(s[k])
    return None


# ---------------------------------------------------------------------- canonical labels


def block_reps(df: pd.DataFrame, bounds: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Per block of this partition its least state ``rep``; reps per state chunk.

    Returns the rows ``(s, lab)``, the blocks ``(lab, rep, c)`` (``c`` the
    chunk of ``rep``) and the number of blocks whose rep is in each chunk.
    """
    s, lab = _col(df, "s"), _col(df, "lab")
    from pandas import Series

    reps = Series(s).groupby(lab, sort=False).min()
    rep = reps.to_numpy().astype(_I64)
    c = np.searchsorted(bounds, rep, side="right") - 1
    counts = np.bincount(c, minlength=bounds.shape[0] - 1).astype(_I64)
    blocks = frame(lab=reps.index.to_numpy().astype(_I64), rep=rep, c=c.astype(_I64))
    return frame(s=s, lab=lab), blocks, counts


def rank_reps(df: pd.DataFrame, offsets: np.ndarray) -> pd.DataFrame:
    """Canonical ids ``(lab, canon)``: blocks numbered by their least state.

    All reps of a chunk are in this partition, so a rep's rank among all
    reps is the chunk's offset plus its rank within the chunk.
    """
    lab, rep, c = _col(df, "lab"), _col(df, "rep"), _col(df, "c")
    order = np.lexsort((rep, c))
    c_sorted = c[order]
    first = np.searchsorted(c_sorted, c_sorted)
    canon = np.empty(rep.shape[0], dtype=_I64)
    canon[order] = offsets[c_sorted] + (np.arange(rep.shape[0]) - first)
    return frame(lab=lab, canon=canon)


def attach_canonical(rows: pd.DataFrame, canon: pd.DataFrame, bounds: np.ndarray) -> pd.DataFrame:
    """Rows ``(s, canon, c)``: each state's canonical label and its chunk."""
    ck = _col(canon, "lab")
    order = np.argsort(ck, kind="stable")
    ck = ck[order]
    lab = _col(rows, "lab")
    pos = np.searchsorted(ck, lab)
    if lab.shape[0] and not ((pos < ck.shape[0]) & (ck[np.minimum(pos, ck.shape[0] - 1)] == lab)).all():
        raise RuntimeError("a block has no canonical id: a partition was lost")
    s = _col(rows, "s")
    c = np.searchsorted(bounds, s, side="right") - 1
    return frame(s=s, canon=_col(canon, "canon")[order][pos], c=c.astype(_I64))


def scatter_chunks(df: pd.DataFrame, bounds: np.ndarray) -> dict[int, np.ndarray]:
    """The label array of each state chunk in this partition, every state exactly once."""
    s, canon, c = _col(df, "s"), _col(df, "canon"), _col(df, "c")
    out: dict[int, np.ndarray] = {}
    order = np.argsort(c, kind="stable")
    s, canon, c = s[order], canon[order], c[order]
    cuts = np.flatnonzero(np.diff(c)) + 1
    for lo, hi in zip(np.r_[0, cuts], np.r_[cuts, c.shape[0]]):
        if lo == hi:
            continue
        chunk = int(c[lo])
        start, stop = int(bounds[chunk]), int(bounds[chunk + 1])
        labels = np.full(stop - start, -1, dtype=_I64)
        labels[s[lo:hi] - start] = canon[lo:hi]
        if hi - lo != stop - start or (labels < 0).any():
            raise RuntimeError(
                f"chunk {chunk} has {hi - lo} rows for {stop - start} states: a partition "
                "was lost or duplicated"
            )
        out[chunk] = labels
    return out


def chunk_keys(chunks: dict[int, np.ndarray]) -> list[int]:
    """The chunks held by one partition's output."""
    return sorted(chunks)


def pair_counts(df: pd.DataFrame, a: str, b: str) -> tuple[int, int]:
    """Distinct values of column ``a`` and of pairs ``(a, b)`` in this partition."""
    x, y = _col(df, a), _col(df, b)
    return local_ids(x)[1], local_ids(x, y)[1]
