"""Branching bisimulation by constellations and bottom states: O(m log n).

:func:`constellation_classes` refines a partition of a relation with a
silent action to its coarsest branching bisimulation, after the algorithm
of Groote, Jansen, Keiren and Wijs (ACM ToCL 2017; Jansen, Groote, Keiren,
Wijs, TACAS 2020). The inert silent transitions (silent, inside a block)
must be acyclic: :func:`~abstractions._engine.stuttering.branching_classes`
contracts the silent cycles first. Refinement only removes inert
transitions, so they stay acyclic, and every state reaches a *bottom* state
(one without inert transitions) by inert steps.

The criterion (GJKW, Lemma 4.1 of the 2017 paper, with acyclic inert
steps): a partition is a branching bisimulation exactly when, for every
block ``B``, every non-inert move ``a`` into a block ``B'`` that some state
of ``B`` has is had by every *bottom* state of ``B``. (A state then matches
any move of a related state by walking inertly to a bottom state.)

The algorithm keeps a coarser partition of the blocks, the
*constellations*, and the invariant that every block is stable under them:
if a state of ``B`` has an ``a``-move into constellation ``C`` (not a silent
move into ``B``'s own constellation, which is *constellation-inert*), every
bottom state of ``B`` has one. A round takes a constellation ``C`` of
several blocks, moves a block ``B`` of at most half its states into a
constellation of its own and restores the invariant:

1. the blocks with an ``a``-move into ``B`` split into the states that
   reach such a move by inert steps and the rest; the former split again
   by whether they reach an ``a``-move into ``C \\ B`` (the per-state counts
   of moves per (block, action, constellation) say which bottom states
   lost their last one, at the cost of the moves into ``B``);
2. ``B`` splits by its silent moves into ``C \\ B``, no longer inert;
3. states whose last inert step a split cut are *new bottom states*; they
   may lack a move their block has, so their blocks split until every new
   bottom state has every move of its block.

Every split runs the two searches (backwards from the states that have the
move, and backwards from the bottom states that lack it, counting inert
successors) in lockstep, and stops when the first one finishes with at most
half of the block: a split costs the smaller part and its transitions. A
state is in the smaller part of a split, and a transition goes into the
smaller half of a constellation, O(log n) times; a state becomes bottom
once. So the whole is O(m log n) (here with hash tables: expected), with
one simplification: step 3 finds the new bottom states that lack the move
it splits by by a scan of the block's unchecked ones, once per split it
makes. A new bottom state with every move of its block is checked for good
at its first scan, so only those that lack a move are scanned again (GJKW
order each slice's transitions so that even those cost nothing extra; on
a block with many new bottom states that each lack a different move, this
version is slower than O(m log n) by up to that number).

Divergence is a visible move: with ``sensitive``, a node that stands for a
silent cycle (``cyclic``) gets a self-loop with an action of its own, the
standard reduction of divergence-preserving to divergence-blind branching
bisimulation on systems whose silent cycles are contracted.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable
from typing import Any

import numpy as np

from abstractions._validation import Ids, Mask

__all__ = ["constellation_classes"]


def constellation_classes(
    indptr: Ids,
    targets: Ids,
    symbols: Ids,
    silent: int,
    cyclic: Mask,
    labels: Ids,
    k: int,
    sensitive: bool,
) -> tuple[Ids, int]:
    """The coarsest branching bisimulation that refines ``labels`` (``k`` blocks).

    Parameters
    ----------
    indptr, targets, symbols : ndarray of int64
        The relation in CSR form: node ``v``'s moves are
        ``targets[indptr[v]:indptr[v + 1]]`` with actions ``symbols[...]``.
        Silent moves inside a block of ``labels`` must be acyclic, and
        silent self-loops absent.
    silent : int
        The action id of the silent moves.
    cyclic : ndarray of bool
        Per node, whether it stands for a silent cycle (divergence).
    labels : ndarray of int64
        Block ids ``0 .. k-1`` of the starting partition.
    k : int
        The number of blocks.
    sensitive : bool
        Whether divergence is observed.

    Returns
    -------
    labels : ndarray of int64
        The block of each node (not canonical: ids as the refinement made
        them).
    count : int
        The number of blocks.

    Notes
    -----
    See the module docstring; expected O(m log n) time and O(n + m) memory.

    Examples
    --------
    ``tau.a`` (node 0), ``a`` (node 1), deadlock (node 2), ``tau.a + b``
    (node 3): 0 and 1 are branching bisimilar.

    >>> indptr = np.array([0, 1, 2, 2, 4]); targets = np.array([1, 2, 1, 2])
    >>> symbols = np.array([0, 1, 0, 2]); cyclic = np.zeros(4, dtype=bool)
    >>> labels, count = constellation_classes(indptr, targets, symbols, 0, cyclic,
    ...                                       np.zeros(4, dtype=np.int64), 1, True)
    >>> bool(labels[0] == labels[1]), count
    (True, 3)
    """
    refiner = _Refiner(indptr, targets, symbols, silent, cyclic, labels, k, sensitive)
    refiner.run()
    return np.array(refiner.block, dtype=np.int64), len(refiner.members)


Slice = tuple[int, int, int]  # (block, action, constellation)
#: A search of one side of a split: a step per yield, the states at the end.
_Search = Generator[None, None, set[int]]


class _Refiner:
    """The state of one refinement: blocks, constellations, move counts."""

    def __init__(
        self,
        indptr: Ids,
        targets: Ids,
        symbols: Ids,
        silent: int,
        cyclic: Mask,
        labels: Ids,
        k: int,
        sensitive: bool,
    ) -> None:
        n = indptr.shape[0] - 1
        src = np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr))
        dst = np.asarray(targets, dtype=np.int64)
        act = np.asarray(symbols, dtype=np.int64)
        if sensitive and bool(np.any(cyclic)):
            # Divergence as a visible self-loop with an action of its own.
            loops = np.flatnonzero(cyclic)
            div = int(act.max(initial=max(silent, 0))) + 1
            src = np.concatenate([src, loops])
            dst = np.concatenate([dst, loops])
            act = np.concatenate([act, np.full(loops.shape[0], div, dtype=np.int64)])
        self.n = n
        self.tau = silent
        self.block: list[int] = np.asarray(labels, dtype=np.int64).tolist()
        src_l, dst_l, act_l = src.tolist(), dst.tolist(), act.tolist()
        # Per node: moves out (action, target), moves in (source, action),
        # silent predecessors and successors.
        self.out: list[list[tuple[int, int]]] = [[] for _ in range(n)]
        self.into: list[list[tuple[int, int]]] = [[] for _ in range(n)]
        self.tau_pred: list[list[int]] = [[] for _ in range(n)]
        self.tau_succ: list[list[int]] = [[] for _ in range(n)]
        for s, a, t in zip(src_l, act_l, dst_l):
            self.out[s].append((a, t))
            self.into[t].append((s, a))
            if a == silent:
                self.tau_pred[t].append(s)
                self.tau_succ[s].append(t)
        block = self.block
        # inert[s]: silent moves of s that stay in its block.
        self.inert = [sum(1 for t in self.tau_succ[s] if block[t] == block[s]) for s in range(n)]
        self.members: list[set[int]] = [set() for _ in range(k)]
        for s in range(n):
            self.members[block[s]].add(s)
        self.bottom: list[set[int]] = [set() for _ in range(k)]
        for s in range(n):
            if self.inert[s] == 0:
                self.bottom[block[s]].add(s)
        # New bottom states (not yet checked to have every move of their block).
        self.fresh: list[set[int]] = [set(b) for b in self.bottom]
        # One constellation holds every block at first.
        self.const_of: list[int] = [0] * k
        # Constellations as lists with each block's position (removal by
        # swapping with the last), and a stack of those with several blocks.
        # (Not Python sets: taking an element of a set that lost many costs
        # its former size.)
        self.const_blocks: list[list[int]] = [list(range(k))]
        self.const_pos: list[int] = list(range(k))
        self.nontrivial: list[int] = [0] if k > 1 else []
        self.queued: list[bool] = [k > 1]
        # The size of each block's sets when last rebuilt (see _tidy).
        self.peak: list[int] = [len(x) for x in self.members]
        self.peak_bottom: list[int] = [len(x) for x in self.bottom]
        self.peak_fresh: list[int] = [len(x) for x in self.fresh]
        # Per slice (block, action, constellation): its sources and their
        # number of such moves; per block, its slices' (action, constellation).
        self.slices: dict[Slice, dict[int, int]] = {}
        self.slice_peak: dict[Slice, int] = {}
        self.block_slices: list[set[tuple[int, int]]] = [set() for _ in range(k)]
        for s, a in zip(src_l, act_l):
            key = (block[s], a, 0)
            sources = self.slices.get(key)
            if sources is None:
                sources = self.slices[key] = {}
                self.block_slices[block[s]].add((a, 0))
            sources[s] = sources.get(s, 0) + 1
        for key, sources in self.slices.items():
            self.slice_peak[key] = len(sources)
        # The moves each new bottom state has, for the current constellations.
        self.moves: dict[int, set[tuple[int, int]]] = {}
        self.pending: list[int] = list(range(k))

    # ------------------------------------------------------------ main loop

    def run(self) -> None:
        """Refine to the fixed point: stabilise, then split constellations."""
        self._stabilise_fresh()
        while self.nontrivial:
            c = self.nontrivial[-1]
            blocks = self.const_blocks[c]
            if len(blocks) < 2:
                self.nontrivial.pop()
                self.queued[c] = False
                continue
            b1, b2 = blocks[-1], blocks[-2]
            small = b1 if len(self.members[b1]) <= len(self.members[b2]) else b2
            self._split_constellation(c, small)
            self.moves.clear()  # the constellations changed
            self._stabilise_fresh()

    def _split_constellation(self, c: int, b: int) -> None:
        """Move block ``b`` out of constellation ``c`` into its own; restore stability."""
        new_c = len(self.const_blocks)
        blocks = self.const_blocks[c]
        last = blocks.pop()
        if last != b:
            blocks[self.const_pos[b]] = last
            self.const_pos[last] = self.const_pos[b]
        self.const_blocks.append([b])
        self.const_pos[b] = 0
        self.queued.append(False)
        self.const_of[b] = new_c
        block, tau = self.block, self.tau
        b_states = list(self.members[b])
        # Move the counts of the moves into b to the new constellation, and
        # group their sources by action.
        sources: dict[int, list[int]] = {}
        for t in b_states:
            for s, a in self.into[t]:
                x = block[s]
                self._count(x, a, c, s, -1)
                self._count(x, a, new_c, s, 1)
                sources.setdefault(a, []).append(s)
        for a, group in sources.items():
            by_block: dict[int, set[int]] = {}
            for s in group:
                by_block.setdefault(block[s], set()).add(s)
            for x, marked in by_block.items():
                if a == tau and self.const_of[x] == new_c:
                    continue  # inert, or silent into b's own constellation
                self._split_by_new_constellation(x, a, marked, c, new_c)
        # The silent moves of b into c are no longer constellation-inert.
        by_block = {}
        for s in b_states:
            by_block.setdefault(block[s], set()).add(s)
        for x in by_block:
            sources_x = self.slices.get((x, tau, c))
            if not sources_x:
                continue
            lacking = [s for s in self.bottom[x] if s not in sources_x]
            if lacking:
                self._split(x, sources_x, sources_x.__contains__, lacking)

    def _split_by_new_constellation(
        self, x: int, a: int, marked: set[int], c: int, new_c: int
    ) -> None:
        """Stabilise block ``x`` under ``a``-moves into ``new_c`` and into the rest of ``c``.

        ``marked`` are the states of ``x`` with an ``a``-move into ``new_c``.
        """
        bottom = self.bottom[x]
        if sum(1 for s in marked if s in bottom) < len(bottom):
            unmarked = (s for s in bottom if s not in marked)
            r, _ = self._split(x, marked, marked.__contains__, unmarked)
        else:
            r = x
        if a == self.tau and self.const_of[r] == c:
            return  # silent moves into its own constellation: inert
        rest = self.slices.get((r, a, c))
        if not rest:
            return
        # r's bottom states all have an a-move into new_c, and had one into
        # c: those that lost their last one are among the marked states.
        lacking = [s for s in marked if self.block[s] == r and s in self.bottom[r]
                   and s not in rest]
        if lacking:
            self._split(r, rest, rest.__contains__, lacking)

    def _stabilise_fresh(self) -> None:
        """Split blocks until each new bottom state has every move of its block.

        Old bottom states have every move of their block (the invariant), so
        a block that some new bottom state lacks a move of splits by it,
        with the new bottom states that lack it as the other side's seeds.
        """
        tau = self.tau
        while self.pending:
            x = self.pending.pop()
            fresh = self.fresh[x]
            if not fresh:
                continue
            own = self.const_of[x]
            wanted = self.block_slices[x]
            count = len(wanted) - ((tau, own) in wanted)
            split = None
            complete = []
            for s in fresh:
                moves = self._moves_of(s)
                if len(moves) == count:
                    # Every move of its block: so also of every part of it
                    # (a part has no move its block lacks); checked for good.
                    complete.append(s)
                elif split is None:
                    # s lacks a move of its block: find one (at most
                    # len(moves) + 2 looks) and split by it.
                    for key in wanted:
                        if key not in moves and key != (tau, own):
                            split = key
                            break
            if split is None:
                fresh.clear()  # (which also frees its table)
                self.peak_fresh[x] = 0
                continue
            fresh.difference_update(complete)
            sources = self.slices[(x, split[0], split[1])]
            lacking = [s for s in fresh if split not in self._moves_of(s)]
            r, u = self._split(x, sources, sources.__contains__, lacking)
            self.pending.append(r)
            self.pending.append(u)

    def _moves_of(self, s: int) -> set[tuple[int, int]]:
        """The (action, constellation) moves of ``s`` that are not constellation-inert.

        Computed once per state while the constellations stay as they are.
        """
        found = self.moves.get(s)
        if found is not None:
            return found
        block, const_of = self.block, self.const_of
        own = const_of[block[s]]
        found = set()
        for a, t in self.out[s]:
            key = (a, const_of[block[t]])
            if key != (self.tau, own):
                found.add(key)
        self.moves[s] = found
        return found

    # ------------------------------------------------------------ splitting

    def _count(self, x: int, a: int, c: int, s: int, delta: int) -> None:
        """Add ``delta`` to the number of ``s``'s ``a``-moves into ``c`` (slice of block ``x``)."""
        key = (x, a, c)
        sources = self.slices.get(key)
        if sources is None:
            sources = self.slices[key] = {}
            self.block_slices[x].add((a, c))
        value = sources.get(s, 0) + delta
        if value:
            sources[s] = value
            if len(sources) > self.slice_peak.get(key, 0):
                self.slice_peak[key] = len(sources)
        else:
            del sources[s]
            if not sources:
                del self.slices[key]
                del self.slice_peak[key]
                self.block_slices[x].discard((a, c))
            elif 4 * len(sources) < self.slice_peak[key]:
                self._tidy_slice(key)

    def _tidy(self, x: int) -> None:
        """Rebuild block ``x``'s sets once they hold a quarter of their former size.

        CPython's sets and dicts keep their table when entries go, and
        iterating one costs its table: a block that loses one state at a
        time to many splits would make every later look at it cost its
        original size. A rebuild costs the table, paid for by the removals.
        """
        if 4 * len(self.members[x]) < self.peak[x]:
            self.members[x] = set(self.members[x])
            self.peak[x] = len(self.members[x])
        if 4 * len(self.bottom[x]) < self.peak_bottom[x]:
            self.bottom[x] = set(self.bottom[x])
            self.peak_bottom[x] = len(self.bottom[x])
        if 4 * len(self.fresh[x]) < self.peak_fresh[x]:
            self.fresh[x] = set(self.fresh[x])
            self.peak_fresh[x] = len(self.fresh[x])

    def _tidy_slice(self, key: Slice) -> None:
        """Rebuild a slice's sources once they hold a quarter of their former number."""
        self.slices[key] = dict(self.slices[key])
        self.slice_peak[key] = len(self.slices[key])

    def _split(
        self,
        x: int,
        positive: Iterable[int],
        is_positive: Any,
        negative_bottom: Iterable[int],
    ) -> tuple[int, int]:
        """Split block ``x`` into the states that reach a positive one by inert steps, and the rest.

        ``positive`` lists (at least) the positive states of ``x``,
        ``negative_bottom`` every bottom state of ``x`` that is not positive
        (both may be lazy). Returns the blocks ``(reach, rest)``; the smaller
        part gets a new block id. The two searches run in lockstep, so the
        cost is that of the smaller part.
        """
        half = len(self.members[x]) // 2
        reach = self._reach(x, positive)
        rest = self._rest(x, negative_bottom, is_positive)
        found_reach: set[int] | None = None
        found_rest: set[int] | None = None
        # Alternate one step of each search until one is done.
        while True:
            try:
                next(reach)
            except StopIteration as stop:
                found_reach = stop.value
                break
            try:
                next(rest)
            except StopIteration as stop:
                found_rest = stop.value
                break
        if found_reach is not None:
            if len(found_reach) <= half:
                return self._carve(x, found_reach), x
            found_rest = _finish(rest)
            return x, self._carve(x, found_rest)
        assert found_rest is not None
        if len(found_rest) <= half:
            return x, self._carve(x, found_rest)
        found_reach = _finish(reach)
        return self._carve(x, found_reach), x

    def _reach(self, x: int, positive: Iterable[int]) -> _Search:
        """The states of ``x`` that reach a positive one by inert steps (one step per yield)."""
        block, tau_pred = self.block, self.tau_pred
        found: set[int] = set()
        stack: list[int] = []
        for s in positive:
            yield
            if s in found or block[s] != x:
                continue
            found.add(s)
            stack.append(s)
            while stack:
                u = stack.pop()
                for p in tau_pred[u]:
                    yield
                    if block[p] == x and p not in found:
                        found.add(p)
                        stack.append(p)
        return found

    def _rest(self, x: int, negative_bottom: Iterable[int], is_positive: Any) -> _Search:
        """The states of ``x`` whose inert steps all lead to such states, from the bottom up."""
        block, tau_pred, inert = self.block, self.tau_pred, self.inert
        found: set[int] = set()
        seen: dict[int, int] = {}
        stack: list[int] = []
        for s in negative_bottom:
            yield
            found.add(s)
            stack.append(s)
            while stack:
                u = stack.pop()
                for p in tau_pred[u]:
                    yield
                    if block[p] != x or is_positive(p):
                        continue
                    done = seen.get(p, 0) + 1
                    seen[p] = done
                    if done == inert[p]:
                        found.add(p)
                        stack.append(p)
        return found

    def _carve(self, x: int, part: set[int]) -> int:
        """Move ``part`` out of block ``x`` into a new block (same constellation); its id."""
        y = len(self.members)
        c = self.const_of[x]
        self.members[x] -= part
        self.members.append(part)
        self.peak.append(len(part))
        self.const_of.append(c)
        self.const_pos.append(len(self.const_blocks[c]))
        self.const_blocks[c].append(y)
        if not self.queued[c]:
            self.queued[c] = True
            self.nontrivial.append(c)
        block = self.block
        for s in part:
            block[s] = y
        bottom_x = self.bottom[x]
        moved_bottom = {s for s in part if s in bottom_x}
        bottom_x -= moved_bottom
        self.bottom.append(moved_bottom)
        self.peak_bottom.append(len(moved_bottom))
        fresh_x = self.fresh[x]
        moved_fresh = {s for s in part if s in fresh_x}
        fresh_x -= moved_fresh
        self.fresh.append(moved_fresh)
        self.peak_fresh.append(len(moved_fresh))
        self.block_slices.append(set())
        self._tidy(x)
        # The part's moves now count for its new block.
        for s in part:
            done: set[tuple[int, int]] = set()
            for a, t in self.out[s]:
                key = (a, self.const_of[block[t]])
                if key in done:
                    continue
                done.add(key)
                old = (x, key[0], key[1])
                sources = self.slices[old]
                number = sources.pop(s)
                if not sources:
                    del self.slices[old]
                    self.block_slices[x].discard(key)
                elif 4 * len(sources) < self.slice_peak[old]:
                    self._tidy_slice(old)
                new = (y, key[0], key[1])
                target = self.slices.get(new)
                if target is None:
                    target = self.slices[new] = {}
                    self.block_slices[y].add(key)
                target[s] = number
                if len(target) > self.slice_peak.get(new, 0):
                    self.slice_peak[new] = len(target)
        # Silent moves between the two parts are no longer inert: states
        # whose last inert move that was become bottom states.
        inert = self.inert
        for s in part:
            for t in self.tau_succ[s]:
                if block[t] == x:
                    inert[s] -= 1
                    if inert[s] == 0:
                        self._new_bottom(s, y)
            for p in self.tau_pred[s]:
                if block[p] == x:
                    inert[p] -= 1
                    if inert[p] == 0:
                        self._new_bottom(p, x)
        if self.fresh[x]:
            self.pending.append(x)
        if self.fresh[y]:
            self.pending.append(y)
        return y

    def _new_bottom(self, s: int, x: int) -> None:
        self.bottom[x].add(s)
        self.fresh[x].add(s)
        if len(self.bottom[x]) > self.peak_bottom[x]:
            self.peak_bottom[x] = len(self.bottom[x])
        if len(self.fresh[x]) > self.peak_fresh[x]:
            self.peak_fresh[x] = len(self.fresh[x])


def _finish(search: _Search) -> set[int]:
    """Run a lockstep search to its end; its result."""
    while True:
        try:
            next(search)
        except StopIteration as stop:
            found: set[int] = stop.value
            return found
