"""The least complete partition above ``beta`` of a relation, in O(m log n).

When many nodes are reached by no cycle (most real models: acyclic but
for their absorbing states), only the part that cycles reach is refined as
below; every other node then takes its block in one look-up, successors
first (:func:`peel`).

Whole rounds of the completion operator run while each at least triples the
number of blocks (doubles, from a few blocks) and the rounds do not slow
down (one streaming pass each, :func:`_signature_round`; at most ``log2 n``
of them, and a handful finish a random system), then Paige--Tarjan
splitters (:func:`_coarsest_stable`) take over from the last two partitions,
so that a system whose blocks split slowly (a long chain) never costs a
round per block.

Signatures are numbered exactly for deterministic systems (a tuple of
blocks, one per symbol: :func:`tuple_round`) and by 64-bit hashes for the
others. A collision can only merge states, never split them, and the
splitter kernel splits only where the relation demands it, so the answer is
never more informative than the least complete partition; an exact check
(:func:`_is_stable`, or :func:`~abstractions._engine.relation.differs`
where the kernel's sums are modular) then either proves it complete -- and
so the least one -- or the completion operator finishes it.
"""

from __future__ import annotations

import numpy as np

from abstractions._engine.primitives import first_occurrence, pair_ids
from abstractions._engine.relation import (
    QuotientRows,
    Relation,
    checked_quotient_rows,
    differs,
    reference,
)
from abstractions._validation import Ids, readonly
from abstractions.partition import first_occurrences
from abstractions.progress import ProgressBar, counted

__all__ = [
    "kernel_input",
    "more_rounds",
    "refine",
    "least_complete",
    "peel",
    "tuple_round",
    "split_by_action",
    "splitters",
    "stable",
]

#: A Mersenne prime: weights beyond the int64 bound, and symbols beyond one
#: bit each, are summed modulo it and the result is checked exactly afterwards.
_PRIME = (1 << 61) - 1
#: Symbols that fit one bit each in an int64 key.
_MAX_BIT_SYMBOLS = 62
#: The signature rounds' hash salt (any odd 64-bit constant).
_SALT = 0x9E3779B97F4A7C15


def kernel_input(rel: Relation) -> tuple[int, np.ndarray, np.ndarray, int]:
    """``(mode, int weights, float weights, modulus)`` per transition for the kernels.

    Mode 0 "exists", 1 integer sums (modulo ``modulus`` when it is > 0),
    2 float sums rounded to ``tol``.

    Examples
    --------
    >>> from abstractions._engine.relation import Relation
    >>> rel = Relation(np.array([0, 2]), np.array([0, 0]), "exists",
    ...                symbols=np.array([0, 1]), symbol_names=("a", "b"), deterministic=True)
    >>> kernel_input(rel)[:2]
    (1, array([1, 2]))
    """
    no_int = np.zeros(0, dtype=np.int64)
    no_float = np.zeros(0, dtype=np.float64)
    if rel.how == "round":
        assert rel.weights is not None
        return 2, no_int, rel.weights, 0
    if rel.how == "sum":
        assert rel.weights is not None
        if rel.weights.dtype != object:
            return 1, rel.weights, no_float, 0
        residues = np.asarray([int(x) % _PRIME for x in rel.weights.tolist()], dtype=np.int64)
        return 1, residues, no_float, _PRIME
    if rel.deterministic:
        # One transition per symbol: a block's sum of one bit per symbol is
        # exactly the set of symbols that step into it.
        sym = rel.symbol_ids()
        if rel.n_symbols <= _MAX_BIT_SYMBOLS:
            return 1, np.left_shift(np.int64(1), sym), no_float, 0
        rng = np.random.default_rng(0)
        per_symbol = rng.integers(1, _PRIME, size=rel.n_symbols, dtype=np.int64)
        return 1, per_symbol[sym], no_float, _PRIME
    return 0, no_int, no_float, 0


def tuple_round(table: Ids, labels: Ids, k: int) -> tuple[Ids, int]:
    """A round of a deterministic system: ids of (block, block of each successor).

    ``table[s, a]`` is the successor of ``s`` on symbol ``a`` and ``labels``
    are ``k`` block ids. The tuple is one mixed-radix int64 code while it
    fits (renumbered to ids below ``n`` when it would not), then numbered
    by first occurrence: exact, no hashing.

    Examples
    --------
    >>> tuple_round(np.array([[1, 1], [1, 0]]), np.array([0, 1]), 2)
    (array([0, 1]), 2)
    """
    code, per = labels, k
    zeros = np.zeros_like(labels)
    for a in range(table.shape[1]):
        if per * k >= 2**62:
            code, per = pair_ids(code, per, zeros, 1)
        code, per = code * k + labels[table[:, a]], per * k
    return pair_ids(code, per, zeros, 1)


def split_by_action(rel: Relation, labels: Ids, k: int) -> tuple[Ids, Ids, Ids, int]:
    """An LTS as a Kripke structure: one extra node per (state, action) pair.

    The pair node is labelled by its action and its successors are that
    action's targets, so bisimulation of the new relation, restricted to
    the old states, is bisimulation of the LTS. Returns the new
    ``(indptr, targets, start labels, number of start blocks)``.
    """
    n, m = rel.n, rel.m
    src = rel.sources()
    sym = rel.symbol_ids()
    # Transitions are sorted by (state, action, target): pairs are runs.
    new_pair = np.ones(m, dtype=bool)
    new_pair[1:] = (src[1:] != src[:-1]) | (sym[1:] != sym[:-1])
    pair_start = np.flatnonzero(new_pair)
    q = pair_start.shape[0]
    pair_src = src[pair_start]
    # Old state s -> its pair nodes (n + i); pair node -> its targets.
    indptr = np.zeros(n + q + 1, dtype=np.int64)
    indptr[1 : n + 1] = np.cumsum(np.bincount(pair_src, minlength=n))
    pair_ptr = np.append(pair_start, m)
    indptr[n + 1 :] = q + pair_ptr[1:]
    targets = np.concatenate([n + np.arange(q, dtype=np.int64), rel.targets])
    start = np.concatenate([labels, k + sym[pair_start]])
    return indptr, targets, start, k + rel.n_symbols


def _index_witness(size: int) -> np.ndarray:
    """An empty array whose dtype the kernels use for indices below ``size``."""
    # int32 halves the scratch memory of the kernels while every index fits.
    return np.empty(0, dtype=np.int32 if size < 2**31 - 1 else np.int64)


def splitters(
    indptr: Ids, targets: Ids, wi: np.ndarray, wf: np.ndarray, mode: int, modulus: int,
    inv_tol: float, labels: Ids, k: int, within: Ids,
) -> tuple[Ids, int]:
    """The splitter kernel from ``labels`` (``k`` blocks) with constellations ``within``.

    The kernel runs on the states renumbered block by block
    (:func:`~abstractions._kernels.splitters._predecessors_by_block`: its
    walks then read memory in order), and its blocks come back in the
    states' own numbers.
    """
    from abstractions._kernels import _coarsest_stable, _predecessors_by_block

    nodes = indptr.shape[0] - 1
    w = _index_witness(nodes + 2 * targets.shape[0])
    pindptr, psrc, pwi, pwf, rank, grouped = _predecessors_by_block(
        indptr, targets, wi, wf, mode, labels, k, w
    )
    result, count = _coarsest_stable(
        pindptr, psrc, pwi, pwf, mode, modulus, inv_tol, grouped, k, within, w
    )
    return result[rank], int(count)


#: The acyclic part is peeled off (:func:`peel`) when no cycle reaches at
#: least this fraction of the nodes. Each block of the rest is registered
#: for the look-ups (a random write per block), so a small share costs more
#: than it saves: a random DFA over two letters (about 15 % peeled) took
#: 1.23 s with the peeling against 0.49 s without, at 10^6 states. Real
#: models peel almost entirely (brp and nand: over 99 %).
_PEEL_SHARE = 1 / 2
#: Whole signature rounds go on while each multiplies the blocks by at
#: least ``_GROWTH``, and stop sooner when a round grows them by less than
#: ``_FAST`` and less than the round before: the rounds are slowing down
#: and the splitters finish for less. crowds at 10^6 states (64, 176, 400,
#: 720 blocks, then splitters to 26,980) saves its third round (215-245 ->
#: 170-205 ms); random systems, whose rounds speed up (2, 6, 82, 64,159,
#: ...), keep theirs.
#:
#: On the real models a round that does not triple the blocks saved the
#: splitters less than it cost: at 10^6 states tandem's second round
#: (7,768 -> 13,400 blocks, 41-50 ms) left the splitters at 154-183 ms,
#: against 148-165 ms from 7,768 blocks; crowds' (176 -> 400, 19-21 ms) at
#: 96-114 against 95-104 ms. Below ``_FEW`` blocks a round cannot show
#: more than doubling (2 blocks and 3 successors give at most 6
#: signatures), so there ``_GROWTH_FEW`` is enough to go on.
_GROWTH = 3
_GROWTH_FEW = 2
_FEW = 16
_FAST = 4

#: Signatures filed under each anchor block before the hash table takes the
#: rest (:func:`~abstractions._kernels.signatures._peel_blocks`). On brp and
#: nand at 10^6 states 4 to 64 ran alike and 1 cost half as much again.
_CHAIN = 8


def more_rounds(k: int, count: int, last: float) -> bool:
    """Whether a whole round should follow one that took ``k`` blocks to ``count``.

    It should while the rounds triple the blocks (double them, from fewer
    than ``_FEW``) and do not slow down below ``_FAST``; ``last`` is the
    growth of the round before (0 for none). See :data:`_GROWTH`.

    Examples
    --------
    >>> more_rounds(2, 6, 0.0), more_rounds(6, 82, 3.0)  # a random system: on
    (True, True)
    >>> more_rounds(64, 176, 0.0), more_rounds(2829, 7768, 0.0)  # crowds, tandem: splitters
    (False, False)
    >>> more_rounds(100, 350, 5.0)  # tripled, but slower than the round before
    False
    """
    growth = count / k
    enough = _GROWTH_FEW if k < _FEW else _GROWTH
    return growth >= enough and (growth >= last or growth >= _FAST)


def _rounds_then_splitters(
    indptr: Ids, targets: Ids, wi: np.ndarray, wf: np.ndarray, mode: int, modulus: int,
    inv_tol: float, labels: Ids, k: int, table: Ids | None, salt: int, rounds: bool,
    bar: ProgressBar | None,
) -> tuple[Ids, int, bool]:
    """Signature rounds while they triple the blocks and do not slow down, then splitters.

    Returns the partition, its number of blocks and whether the splitters ran.
    """
    from abstractions._kernels import _signature_round

    nodes = indptr.shape[0] - 1
    # A deterministic system's signature is a tuple (a block per symbol):
    # its rounds number the tuples exactly, no hashing. Whole rounds of the
    # completion operator run while they at least triple the number of
    # blocks (_GROWTH; at most log2 n rounds of O(n + m): on random systems
    # they reach the answer in a handful) and do not slow down below
    # _FAST, then splitters, whose O(m log n) bound holds however slowly
    # the blocks split (long chains).
    last = 0.0  # the previous round's growth factor (none before the first)
    while True:
        if table is not None:
            new, count = tuple_round(table, labels, k)
        else:
            new, count = _signature_round(
                indptr, targets, wi, wf, mode, modulus, inv_tol, labels, np.uint64(salt)
            )
            count = int(count)
        if count == k or count == nodes:
            if bar is not None and count > k:
                bar.update(1, counted(count, "block"))
            return new, count, False
        growth = count / k
        if not rounds or not more_rounds(k, count, last):
            # Every new block is stable with respect to the old blocks (up
            # to hash collisions, which the check below catches): the old
            # partition is the splitter kernel's first constellations.
            within = np.empty(count, dtype=np.int64)
            within[new] = labels
            if bar is not None:  # the round, before the kernel runs
                bar.update(1, counted(count, "block"))
            result, count = splitters(
                indptr, targets, wi, wf, mode, modulus, inv_tol, new, count, within
            )
            if bar is not None:
                bar.update(1, counted(count, "block"))
            return result, count, True
        labels, k, last = new, count, growth
        if bar is not None:
            bar.update(1, counted(k, "block"))


def peel(
    indptr: Ids, targets: Ids, wi: np.ndarray, wf: np.ndarray, mode: int, modulus: int,
    inv_tol: float, labels: Ids, k: int, table: Ids | None, salt: int, rounds: bool,
    bar: ProgressBar | None,
) -> tuple[Ids, int] | None:
    """The least complete partition, solving only the part that a cycle reaches.

    The nodes that a cycle reaches are closed under successors, so the
    least complete partition restricted to them is their own least complete
    partition: rounds and splitters find it on that part alone (exact
    tuples for a deterministic system, hashes checked exactly otherwise).
    Each other node then takes its block in one look-up by its signature
    over its successors' final blocks, in reverse topological order
    (:func:`~abstractions._kernels.signatures._peel_blocks`). Real models
    are mostly such nodes: all but their absorbing states.

    Returns the least complete partition (block ids, not canonical) and
    its number of blocks; None when fewer than :data:`_PEEL_SHARE` of the
    nodes peel off, when sums are modular (two different sums may agree
    modulo the prime), or when the cyclic part's answer fails its exact
    check (a hash collision): a look-up is only right over final blocks.

    Examples
    --------
    A chain ``0 -> 1 -> 2`` into a loop, states 0 and 1 in one start block:
    state 2 is solved alone, then 1 and 0 each open a block of their own.

    >>> no_int, no_float = np.zeros(0, dtype=np.int64), np.zeros(0)
    >>> peel(np.array([0, 1, 2, 3]), np.array([1, 2, 2]), no_int, no_float, 0, 0, 1.0,
    ...      np.array([0, 0, 1]), 2, None, 1, True, None)
    (array([2, 1, 0]), 3)
    """
    from abstractions._kernels import _is_stable, _peel_blocks, _peel_order, table_size

    if modulus:
        return None
    nodes = indptr.shape[0] - 1
    # Scratch from numpy, which gives large arrays huge pages (a kernel's
    # own get none: a page fault per 4 KB written, a third of the time).
    order = np.empty(nodes, dtype=np.int64)
    blocks = np.empty(nodes, dtype=np.int64)
    peeled = int(_peel_order(indptr, targets, order, blocks))
    if peeled < _PEEL_SHARE * nodes:
        return None
    order = order[:peeled]
    # The peeling leaves a node's in-degree above 0 exactly when a cycle
    # reaches it: those are the nodes to solve first.
    keep = np.flatnonzero(blocks) if peeled < nodes else None
    blocks[:] = -1
    count = 0
    if keep is not None:
        # Only the kept nodes' new numbers are read (brp keeps 8,209 of
        # 917,523 nodes): no running sum over all of them.
        rename = np.empty(nodes, dtype=np.int64)
        rename[keep] = np.arange(keep.shape[0], dtype=np.int64)
        degree = np.diff(indptr)[keep]
        sub_ptr = np.zeros(keep.shape[0] + 1, dtype=np.int64)
        np.cumsum(degree, out=sub_ptr[1:])
        edges = np.repeat(indptr[keep] - sub_ptr[:-1], degree) + np.arange(sub_ptr[-1])
        sub_targets = rename[targets[edges]]
        sub_wi = wi[edges] if wi.size else wi
        sub_wf = wf[edges] if wf.size else wf
        sub_labels, sub_k = first_occurrence(labels[keep], k)
        sub_table = sub_targets.reshape(keep.shape[0], -1) if table is not None else None
        part, count, _ = _rounds_then_splitters(
            sub_ptr, sub_targets, sub_wi, sub_wf, mode, modulus, inv_tol, sub_labels, sub_k,
            sub_table, salt, rounds, bar,
        )
        part = np.asarray(part, dtype=np.int64)
        if table is None:
            # Hashed rounds merge on a collision, even blocks of the start.
            part, count = first_occurrence(part, count)
            if not np.array_equal(sub_labels[first_occurrences(part)][part], sub_labels):
                return None
            if not _is_stable(
                sub_ptr, sub_targets, sub_wi, sub_wf, mode, modulus, inv_tol, part, count
            ):
                return None
        blocks[keep] = part
    hashes = np.zeros(table_size(nodes), dtype=np.uint64)
    pool = np.empty(7 * nodes + 2 * targets.shape[0], dtype=np.int64)
    count = int(_peel_blocks(
        indptr, targets, wi, wf, mode, modulus, inv_tol, labels, blocks, count, order,
        np.uint64(salt), hashes, pool, _CHAIN,
    ))
    if bar is not None:
        bar.update(1, counted(count, "block"))
    return blocks, count


def refine(
    rel: Relation, labels: Ids, k: int, salt: int = _SALT, rounds: bool = True,
    bar: ProgressBar | None = None, rows: list[QuotientRows] | None = None,
) -> tuple[Ids, int, bool | None]:
    """The kernels' least complete partition above ``labels``, and whether it is complete.

    With ``rounds`` whole signature rounds run while they triple the
    blocks (see :data:`_GROWTH`); without, the splitter kernel takes over
    after the first round.
    The part of the relation that no cycle reaches is peeled off first
    (:func:`peel`) when it is large.

    Returns canonical labels, their block count and ``True``/``False`` when
    completeness is known, ``None`` when only an exact check on the
    relation can tell (sums modulo a prime). The partition is never more
    informative than the least complete one (hashes and modular sums can
    only merge states), so when it is complete it is the least one.

    ``bar`` counts a step per signature round that splits a block, one
    for the splitter kernel (when it returns) and one for the peeling;
    its note is the number of blocks, of the internal structure's nodes
    for a labelled transition system with several actions (one extra
    node per state and action).

    When the exact check builds the quotient's rows
    (:func:`~abstractions._engine.relation.checked_quotient_rows`) and they
    prove the answer complete, they are appended to ``rows`` (if given):
    the quotient of the answer then need not build them again.
    """
    from abstractions._kernels import _is_stable

    mode, wi, wf, modulus = kernel_input(rel)
    indptr, targets = rel.indptr, rel.targets
    n = rel.n
    if rel.how == "exists" and not rel.deterministic and rel.n_symbols > 1:
        indptr, targets, labels, k = split_by_action(rel, labels, k)
    # One compiled specialisation: read-only inputs, a writable start.
    indptr, targets, wi, wf = (readonly(a) for a in (indptr, targets, wi, wf))
    start, k_start = labels.copy(), k
    nodes = indptr.shape[0] - 1
    inv_tol = 1.0 / rel.tol
    table = targets.reshape(n, -1) if rel.deterministic else None
    args = (indptr, targets, wi, wf, mode, modulus, inv_tol, start, k, table, salt, rounds, bar)
    peeled = peel(*args)
    if peeled is not None:
        if peeled[1] == nodes:
            return _discrete(n)
        final, count = first_occurrence(peeled[0][:n], peeled[1])
        return final, count, True
    result, count, used_splitters = _rounds_then_splitters(*args)
    if count == nodes:
        return _discrete(n)
    complete: bool | None = True
    if table is None:
        # Hashed rounds: a collision may even have merged blocks of the
        # start, so join it back, then check exactly (on the relation
        # itself where the kernel's own sums are modular).
        result, count = first_occurrence(np.asarray(result, dtype=np.int64), count)
        reps = first_occurrences(result)
        if not np.array_equal(start[reps][result], start):
            result, count = pair_ids(result, count, start, k_start)
            reps = first_occurrences(result)
        if modulus:
            complete = None
        elif nodes == n and rel.n_symbols == 1:
            # The blocks' rows, then every state against them: two O(m)
            # passes, cheaper than the general check's stored signatures.
            built, complete = checked_quotient_rows(rel, result, reps)
            if complete and built is not None and rows is not None:
                rows.append(built)
        else:
            complete = None
        if complete is None and not modulus:
            complete = bool(
                _is_stable(indptr, targets, wi, wf, mode, modulus, inv_tol, result, count)
            )
    elif modulus and used_splitters:
        complete = None  # exact rounds, then splitters on modular sums
    if table is None and nodes == n:
        # Already canonical (numbered by first occurrence above).
        return result, count, complete
    final, count = first_occurrence(np.ascontiguousarray(result[:n], dtype=np.int64), count)
    return final, count, complete


def _discrete(n: int) -> tuple[Ids, int, bool]:
    """The answer when every node is a block of its own: the discrete partition, complete.

    Its canonical labels are ``0 .. n-1`` whatever ids the kernels gave,
    so no renumbering pass is needed (tandem and fms end so: 6-9 ms at
    10^6 states).
    """
    return np.arange(n, dtype=np.int64), n, True


def stable(rel: Relation, labels: Ids, k: int) -> bool | None:
    """Whether canonical ``labels`` (``k`` blocks) are complete, by the exact kernel check.

    One streaming pass of :func:`~abstractions._kernels.signatures._is_stable`,
    where sorting every state's rows (:func:`~abstractions._engine.relation.differs`)
    costs several. None when the kernel cannot tell exactly (sums modulo a
    prime, actions of a nondeterministic system), for a function (whose
    numpy check is one gather), and for small relations while the kernel
    is not compiled: the caller then checks in numpy.

    Examples
    --------
    >>> from abstractions._engine.relation import function_relation
    >>> stable(function_relation(np.array([1, 0])), np.array([0, 0]), 1) is None
    True
    """
    from abstractions._engine.primitives import _small
    from abstractions._kernels import _is_stable, warm

    if rel.is_function or (_small(rel.n + rel.m) and not warm("_is_stable")):
        return None
    if rel.how == "choices":
        # Two levels (a state's set of choice distributions): the kernel sees one.
        return None
    if rel.how == "exists" and not rel.deterministic and rel.n_symbols > 1:
        return None
    mode, wi, wf, modulus = kernel_input(rel)
    if modulus:
        return None
    return bool(
        _is_stable(rel.indptr, rel.targets, wi, wf, mode, modulus, 1.0 / rel.tol, labels, k)
    )


def least_complete(
    rel: Relation, labels: Ids, k: int, rounds: bool = True, bar: ProgressBar | None = None,
    rows: list[QuotientRows] | None = None,
) -> tuple[Ids, int]:
    """The least complete partition above ``labels``: :func:`refine`, checked and finished.

    ``rows`` receives the quotient's rows when the check built them (see
    :func:`refine`).
    """
    result, count, complete = refine(rel, labels, k, rounds=rounds, bar=bar, rows=rows)
    if complete is None:
        complete = not differs(rel, result, count, first_occurrences(result)).any()
    if complete:
        return result, count
    # Almost never: a collision of hashes merged states, or (floats)
    # rounding, which is not additive, made the splitter kernel's key of a
    # part of a block disagree with the block's. The completion operator
    # finishes from here, so the result is complete by the documented
    # definition (and, but for floats, still the least: it starts from
    # below the least complete partition above beta).
    return reference(rel, result, count)
