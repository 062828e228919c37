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
   may lack a move their block has, so their blocks split until every
   bottom state has every move of its block.

Every split runs the two searches (backwards from the states that have the
move, and backwards from the bottom states that lack it, counting inert
successors) in lockstep, and stops when the first one finishes with at most
half of the block: a split costs the smaller part and its transitions.

New bottom states are kept apart from the others, as the four-way split of
Groote and Jansen (CONCUR 2025) does: when a split cuts silent moves from
the part that reaches the move into the rest, the states of that part
that reach such a silent move by inert steps split off into a block of
their own at once (they are branching bisimilar to no other state of their
part; see ``_Refiner._split``). That block holds every state the split made
bottom and no older bottom state. So a block is either stable or *new*:
all its bottom states are new. Step 3 is one pass over each new block's
slices (its moves grouped by action and target constellation); each slice
keeps the number of bottom states among its sources, so a look says
whether every bottom state has it, and if not the block splits by it, the
bottom states outside the slice seeding the other side. A state's moves
are counted into those numbers once, when it becomes bottom; a block never
gains a bottom state, so a slice found complete stays complete, and no
state is ever scanned again for a move it lacks.

Cost: a state is in the smaller part of a split, and a transition goes
into the smaller half of a constellation, O(log n) times; a state becomes
bottom once, and a new block's pass costs one move of a new bottom state
per complete slice, one split per other slice, and one skip per bottom
state in the slice a split is made by, which then stays complete for that
state (``_Refiner._stabilise_new`` itemises this). So the whole takes
O(m log n) time, expected rather than worst case because blocks, slices
and their counts live in Python's hash tables (sets and dicts, whose
look-ups are O(1) expected; the tables are rebuilt once they shrink to a
quarter, so that a walk over one costs its live entries), and O(n + m)
memory. ``_Refiner.work`` counts the steps.

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


class _Sources:
    """The sources of one slice and their numbers of moves in it.

    A list with each state's position (removal by swapping with the last),
    so that a walk over ``states`` that a lockstep search stops early costs
    only the states it yields: a hash table would also pass the slots of
    the entries removed from it.
    """

    __slots__ = ("counts", "pos", "states")

    def __init__(self) -> None:
        self.pos: dict[int, int] = {}
        self.states: list[int] = []
        self.counts: list[int] = []

    def add(self, s: int, number: int) -> None:
        """Add source ``s`` with ``number`` moves."""
        self.pos[s] = len(self.states)
        self.states.append(s)
        self.counts.append(number)

    def remove(self, s: int) -> int:
        """Remove source ``s``; its number of moves."""
        i = self.pos.pop(s)
        last, last_number = self.states.pop(), self.counts.pop()
        if last == s:
            return last_number
        number = self.counts[i]
        self.states[i], self.counts[i] = last, last_number
        self.pos[last] = i
        return number


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
        #: Steps taken (search steps, moves looked at, slices checked): the
        #: tests bound it by c (m + n) log2 n.
        self.work = 0
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
        # Bottom states per block as lists, with each state's position
        # (removal by swapping with the last): a lazy walk over them costs
        # the states it yields, with no deleted slots of a hash table to
        # skip. A state is bottom exactly when inert[s] == 0.
        self.bottom: list[list[int]] = [[] for _ in range(k)]
        self.bottom_pos: list[int] = [0] * n
        for s in range(n):
            if self.inert[s] == 0:
                self.bottom_pos[s] = len(self.bottom[block[s]])
                self.bottom[block[s]].append(s)
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
        self.peak_slices: list[int] = [0] * k
        # Per slice (block, action, constellation): its sources and their
        # number of such moves, and how many of the sources are bottom
        # states; per block, its slices' (action, constellation).
        self.slices: dict[Slice, _Sources] = {}
        self.bcount: dict[Slice, int] = {}
        self.block_slices: list[set[tuple[int, int]]] = [set() for _ in range(k)]
        for s, a in zip(src_l, act_l):
            key = (block[s], a, 0)
            sources = self.slices.get(key)
            if sources is None:
                sources = self.slices[key] = _Sources()
                self.block_slices[block[s]].add((a, 0))
            i = sources.pos.get(s)
            if i is None:
                sources.add(s, 1)
            else:
                sources.counts[i] += 1
        self.peak_slices = [len(x) for x in self.block_slices]
        inert = self.inert
        for key, sources in self.slices.items():
            self.bcount[key] = sum(1 for s in sources.states if inert[s] == 0)
        # A *new* block has only new bottom states (at first, every block):
        # it is stabilised by one pass over its slices (todo), splitting by
        # each slice that not every bottom state has. Every other block is
        # stable: its bottom states have every move of the block.
        self.new: list[bool] = [True] * k
        self.todo: list[list[tuple[int, int]]] = [list(x) for x in self.block_slices]
        self.pending: list[int] = list(range(k))
        # What the last _carve saw: the states that became bottom, and the
        # sources of the silent moves it made non-inert.
        self.new_bottom: set[int] = set()
        self.frontier: set[int] = set()

    # ------------------------------------------------------------ main loop

    def run(self) -> None:
        """Refine to the fixed point: stabilise, then split constellations."""
        self._stabilise_new()
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
            self._stabilise_new()

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
                self.work += 1
                x = block[s]
                self._count(x, a, c, s, -1)
                self._count(x, a, new_c, s, 1)
                sources.setdefault(a, []).append(s)
        # (New blocks are skipped: their pass over every slice of theirs,
        # in _stabilise_new, covers these moves too.)
        for a, group in sources.items():
            by_block: dict[int, set[int]] = {}
            for s in group:
                by_block.setdefault(block[s], set()).add(s)
            for x, marked in by_block.items():
                if a == tau and self.const_of[x] == new_c:
                    continue  # inert, or silent into b's own constellation
                if not self.new[x]:
                    self._split_by_new_constellation(x, a, marked, c, new_c)
        # The silent moves of b into c are no longer constellation-inert.
        by_block = {}
        for s in b_states:
            by_block.setdefault(block[s], set()).add(s)
        for x in by_block:
            sources_x = self.slices.get((x, tau, c))
            if sources_x is None or self.new[x]:
                continue
            self.work += len(self.bottom[x])
            has = sources_x.pos
            lacking = [s for s in self.bottom[x] if s not in has]
            if lacking:
                self._split(x, sources_x.states, has.__contains__, lacking)

    def _split_by_new_constellation(
        self, x: int, a: int, marked: set[int], c: int, new_c: int
    ) -> None:
        """Stabilise block ``x`` under ``a``-moves into ``new_c`` and into the rest of ``c``.

        ``marked`` are the states of ``x`` with an ``a``-move into ``new_c``;
        ``x`` is stable (not new).
        """
        bottom, inert = self.bottom[x], self.inert
        if sum(1 for s in marked if inert[s] == 0) < len(bottom):
            unmarked = (s for s in bottom if s not in marked)
            r, _ = self._split(x, marked, marked.__contains__, unmarked)
            if r < 0:
                return  # the part that reaches the move has only new bottom states
        else:
            r = x
        if a == self.tau and self.const_of[r] == c:
            return  # silent moves into its own constellation: inert
        rest = self.slices.get((r, a, c))
        if rest is None:
            return
        # r's bottom states all have an a-move into new_c, and had one into
        # c: those that lost their last one are among the marked states.
        has = rest.pos
        lacking = [s for s in marked if self.block[s] == r and inert[s] == 0
                   and s not in has]
        if lacking:
            self._split(r, rest.states, has.__contains__, lacking)

    def _stabilise_new(self) -> None:
        """Split the new blocks until each bottom state has every move of its block.

        A new block's bottom states are all new (``_split`` keeps it so), so
        one pass over its slices finds every split: a slice whose sources
        include fewer bottom states than the block has (``bcount``) splits
        it, the bottom states outside the slice seeding the other side.

        Cost of the pass, item by item (O(m) a round, plus splits that each
        cost their smaller part):

        * making the slice list: one item per later look;
        * a look at a slice that left the block: charged to the move that
          _carve took out of it (a move of the smaller part);
        * a look at a slice that every bottom state has: charged to the
          move of one bottom state in it. The pass of a new block runs in
          the part that keeps its id, and every bottom state of that part
          became bottom with the block (no block gains a bottom state: those
          a split makes go to a new block), so each move is charged once;
          a part that _carve makes gets a pass of its own, charged to its
          moves (it is the smaller part);
        * a look at a slice that splits the block: charged to the split
          (n - 1 splits at most in all), and the walk over the bottom
          states for the other side's seeds skips the bottom states in the
          slice: charged to their moves in it, once, as the slice is then
          had by every bottom state of their block for good;
        * counting a new bottom state's moves into ``bcount``: once per
          state (``_new_bottom``).
        """
        tau = self.tau
        while self.pending:
            x = self.pending.pop()
            while self.todo[x]:
                a, c = self.todo[x].pop()
                self.work += 1
                if a == tau and c == self.const_of[x]:
                    continue  # constellation-inert
                key = (x, a, c)
                sources = self.slices.get(key)
                if sources is None:
                    continue  # the slice left x with a part
                bottom = self.bottom[x]
                if self.bcount[key] == len(bottom):
                    continue
                has = sources.pos
                lacking = (s for s in bottom if s not in has)
                self._split(x, sources.states, has.__contains__, lacking)
            self.new[x] = False

    # ------------------------------------------------------------ splitting

    def _count(self, x: int, a: int, c: int, s: int, delta: int) -> None:
        """Add ``delta`` to the number of ``s``'s ``a``-moves into ``c`` (slice of block ``x``)."""
        key = (x, a, c)
        sources = self.slices.get(key)
        if sources is None:
            sources = self.slices[key] = _Sources()
            self.bcount[key] = 0
            self.block_slices[x].add((a, c))
            if len(self.block_slices[x]) > self.peak_slices[x]:
                self.peak_slices[x] = len(self.block_slices[x])
        i = sources.pos.get(s)
        if i is None:  # (delta is then 1)
            sources.add(s, delta)
            if self.inert[s] == 0:
                self.bcount[key] += 1
        elif sources.counts[i] + delta:
            sources.counts[i] += delta
        else:
            sources.remove(s)
            if self.inert[s] == 0:
                self.bcount[key] -= 1
            if not sources.states:
                del self.slices[key]
                del self.bcount[key]
                self.block_slices[x].discard((a, c))

    def _tidy(self, x: int) -> None:
        """Rebuild block ``x``'s sets once they hold a quarter of their former size.

        CPython's sets keep their table when entries go, and iterating one
        costs its table: a block that loses one state at a time to many
        splits would make every later walk over its states (or its slices)
        cost its original size. A rebuild costs the table, paid for by the
        removals; these sets are only ever walked whole.
        """
        if 4 * len(self.members[x]) < self.peak[x]:
            self.members[x] = set(self.members[x])
            self.peak[x] = len(self.members[x])
        if 4 * len(self.block_slices[x]) < self.peak_slices[x]:
            self.block_slices[x] = set(self.block_slices[x])
            self.peak_slices[x] = len(self.block_slices[x])

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
        (both may be lazy). Returns the blocks ``(reach, rest)``, where
        ``reach`` is -1 if every state that reaches a positive one became a
        new block (see below).

        The states of the reaching part that can reach the rest by inert
        steps (the sources of the silent moves between the parts, and what
        reaches them inertly: ``N``) split off at once into a *new* block.
        No state ``r`` of ``N`` is branching bisimilar to a state ``s`` of
        the reaching part outside ``N``: ``s`` reaches only such states by
        inert steps, so it could match the silent path from ``r`` into the
        rest only by a silent step inside the block into a state like the
        one the path reaches next, and by induction on the length of the
        path, a state of the rest, which no state of the reaching part is
        like. The new block holds every state the split made bottom (they
        had all their inert steps into the rest) and no older bottom state
        (which had none), so no block but a new one ever gains a bottom
        state. This is the state-based counterpart of the four-way split
        of Groote and Jansen (CONCUR 2025), which isolates the new bottom
        states in the same way.
        """
        was_new = self.new[x]
        r, u = self._bisect(x, positive, is_positive, negative_bottom)
        frontier, made = self.frontier, self.new_bottom
        fresh = -1
        if frontier:
            if len(self.bottom[r]) > len(made):
                # Some bottom states of r were bottom before: split them
                # (and what reaches only them) from the new block. The skip
                # over the new bottom states costs each of them once.
                older = (s for s in self.bottom[r] if s not in made)
                fresh, r = self._bisect(r, frontier, frontier.__contains__, older)
            else:
                fresh, r = r, -1
            self.new[fresh] = True
            self._tidy(fresh)
            self.todo[fresh] = list(self.block_slices[fresh])
            self.pending.append(fresh)
        for y in (r, u):
            if y >= 0 and y != x and was_new:
                # A carved part of a new block: its own pass (its moves,
                # the smaller part's, pay for it).
                self.todo[y] = list(self.block_slices[y])
                self.pending.append(y)
        return r, u

    def _bisect(
        self,
        x: int,
        positive: Iterable[int],
        is_positive: Any,
        negative_bottom: Iterable[int],
    ) -> tuple[int, int]:
        """Split block ``x`` in two by inert reachability of a positive state: ``(reach, rest)``.

        The smaller part gets a new block id. The two searches run in
        lockstep, so the cost is that of the smaller part.
        """
        half = len(self.members[x]) // 2
        reach = self._reach(x, positive)
        rest = self._rest(x, negative_bottom, is_positive)
        found_reach: set[int] | None = None
        found_rest: set[int] | None = None
        # Alternate one step of each search until one is done.
        while True:
            self.work += 2
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
                return self._carve(x, found_reach, True), x
            found_rest = self._finish(rest)
            return x, self._carve(x, found_rest, False)
        assert found_rest is not None
        if len(found_rest) <= half:
            return x, self._carve(x, found_rest, False)
        found_reach = self._finish(reach)
        return self._carve(x, found_reach, True), x

    def _finish(self, search: _Search) -> set[int]:
        """Run a lockstep search to its end; its result."""
        while True:
            self.work += 1
            try:
                next(search)
            except StopIteration as stop:
                found: set[int] = stop.value
                return found

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

    def _carve(self, x: int, part: set[int], reaching: bool) -> int:
        """Move ``part`` out of block ``x`` into a new block (same constellation); its id.

        ``reaching`` says whether ``part`` is the side that reaches the
        positive states (silent moves between the sides go from that side).
        """
        y = len(self.members)
        c = self.const_of[x]
        self.work += len(part)
        self.members[x] -= part
        self.members.append(part)
        self.peak.append(len(part))
        self.const_of.append(c)
        self.const_pos.append(len(self.const_blocks[c]))
        self.const_blocks[c].append(y)
        if not self.queued[c]:
            self.queued[c] = True
            self.nontrivial.append(c)
        self.new.append(self.new[x])
        self.todo.append([])
        block = self.block
        for s in part:
            block[s] = y
        bottom_x, pos = self.bottom[x], self.bottom_pos
        bottom_y: list[int] = []
        for s in part:
            if self.inert[s] == 0:
                last = bottom_x.pop()
                if last != s:
                    bottom_x[pos[s]] = last
                    pos[last] = pos[s]
                pos[s] = len(bottom_y)
                bottom_y.append(s)
        self.bottom.append(bottom_y)
        self.block_slices.append(set())
        # The part's moves now count for its new block.
        inert, bcount = self.inert, self.bcount
        const_of, tau_succ, tau_pred = self.const_of, self.tau_succ, self.tau_pred
        for s in part:
            done: set[tuple[int, int]] = set()
            moves = self.out[s]
            self.work += len(moves) + len(tau_succ[s]) + len(tau_pred[s])
            for a, t in moves:
                key = (a, const_of[block[t]])
                if key in done:
                    continue
                done.add(key)
                old = (x, key[0], key[1])
                sources = self.slices[old]
                number = sources.remove(s)
                if inert[s] == 0:
                    bcount[old] -= 1
                if not sources.states:
                    del self.slices[old]
                    del bcount[old]
                    self.block_slices[x].discard(key)
                new = (y, key[0], key[1])
                target = self.slices.get(new)
                if target is None:
                    target = self.slices[new] = _Sources()
                    bcount[new] = 0
                    self.block_slices[y].add(key)
                target.add(s, number)
                if inert[s] == 0:
                    bcount[new] += 1
        # Silent moves between the two parts are no longer inert: states
        # whose last inert move that was become bottom states. They, and the
        # sources of those moves, are all on the reaching side.
        made: set[int] = set()
        frontier: set[int] = set()
        for s in part:
            for t in tau_succ[s]:
                if block[t] == x:
                    frontier.add(s)
                    inert[s] -= 1
                    if inert[s] == 0:
                        made.add(s)
            for p in tau_pred[s]:
                if block[p] == x:
                    frontier.add(p)
                    inert[p] -= 1
                    if inert[p] == 0:
                        made.add(p)
        side = y if reaching else x
        for s in made:
            self._new_bottom(s, side)
        self.peak_slices.append(len(self.block_slices[y]))
        self._tidy(x)
        self.new_bottom, self.frontier = made, frontier
        return y

    def _new_bottom(self, s: int, x: int) -> None:
        """Make ``s`` a bottom state of block ``x``: count it in its slices (once per state)."""
        self.bottom_pos[s] = len(self.bottom[x])
        self.bottom[x].append(s)
        block, const_of, bcount = self.block, self.const_of, self.bcount
        done: set[tuple[int, int]] = set()
        self.work += len(self.out[s])
        for a, t in self.out[s]:
            key = (a, const_of[block[t]])
            if key not in done:
                done.add(key)
                bcount[(x, key[0], key[1])] += 1


