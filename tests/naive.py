"""Naive twins: obviously correct pure-Python versions written from the definitions.

Everything here works on plain Python lists of ints (labels: state -> block
label) and is deliberately slow and simple: double loops, repeated merging,
step-by-step simulation. The package's fast code is tested against these.
Nothing in this module imports :mod:`abstractions`.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterator, Sequence

__all__ = [
    "as_list",
    "canonical",
    "join",
    "meet",
    "pullback",
    "leq",
    "blocks",
    "is_complete",
    "find_violation",
    "reach",
    "final_states",
    "completion",
    "kleene_minimal",
    "set_partitions",
    "complete_partitions_above",
    "least",
    "first_occurrence",
    "meet_roots",
    "cycle_states",
    "sequence_classes",
    "pair_labels",
    "predecessors_by_block",
    "sort_descending",
    "system_signature",
    "system_is_complete",
    "system_completion",
    "system_minimal",
    "system_complete_partitions_above",
    "row_ids",
    "plurality",
    "conflicts",
    "linear_key",
    "determines",
    "smallest_determining_size",
    "closure",
    "smallest_complete_variable_set_size",
]


def as_list(values) -> list:
    """Turn an array or sequence into a list of Python ints (or other items)."""
    return [int(v) if hasattr(v, "__index__") else v for v in values]


def canonical(labels: Sequence[Hashable]) -> list[int]:
    """Relabel blocks 0, 1, 2, ... in order of first occurrence."""
    ids: dict[Hashable, int] = {}
    out = []
    for label in labels:
        if label not in ids:
            ids[label] = len(ids)
        out.append(ids[label])
    return out


def blocks(labels: Sequence[int]) -> list[list[int]]:
    """Blocks of a canonical labelling, in block-id order, states increasing."""
    result: dict[int, list[int]] = {}
    for state, label in enumerate(labels):
        result.setdefault(label, []).append(state)
    return [result[b] for b in sorted(result)]


def join(a: Sequence[int], b: Sequence[int]) -> list[int]:
    """Common refinement: two states together iff together in both."""
    return canonical(list(zip(a, b)))


def meet(a: Sequence[int], b: Sequence[int]) -> list[int]:
    """Finest common coarsening: transitive closure of the union, by repeated merging."""
    n = len(a)
    component = list(range(n))
    changed = True
    while changed:
        changed = False
        for i in range(n):
            for j in range(n):
                related = a[i] == a[j] or b[i] == b[j]
                if related and component[i] != component[j]:
                    old, new = component[j], component[i]
                    component = [new if c == old else c for c in component]
                    changed = True
    return canonical(component)


def pullback(labels: Sequence[int], f: Sequence[int]) -> list[int]:
    """f*(P): i ~ j iff f(i) and f(j) are in the same block of P."""
    return canonical([labels[f[i]] for i in range(len(f))])


def leq(p: Sequence[int], q: Sequence[int]) -> bool:
    """Information order p <= q: every block of q lies inside one block of p."""
    n = len(p)
    return all(p[i] == p[j] for i in range(n) for j in range(n) if q[i] == q[j])


def is_complete(step: Sequence[int], labels: Sequence[int]) -> bool:
    """Same block implies successors in the same block (double loop)."""
    n = len(step)
    return all(
        labels[step[i]] == labels[step[j]]
        for i in range(n)
        for j in range(n)
        if labels[i] == labels[j]
    )


def find_violation(step: Sequence[int], labels: Sequence[int]) -> tuple[int, int] | None:
    """The contract's witness: smallest m2 disagreeing with the first state m1 of its block."""
    first: dict[int, int] = {}
    for m2 in range(len(step)):
        m1 = first.setdefault(labels[m2], m2)
        if labels[step[m1]] != labels[step[m2]]:
            return (m1, m2)
    return None


def reach(step: Sequence[int], starts: Sequence[int]) -> list[bool]:
    """States reachable from ``starts`` by following step (worklist search)."""
    seen = [False] * len(step)
    todo = list(starts)
    while todo:
        s = todo.pop()
        if not seen[s]:
            seen[s] = True
            todo.append(step[s])
    return seen


def reach_relation(successors: Sequence[Sequence[int]], starts: Sequence[int]) -> list[bool]:
    """States reachable from ``starts`` along successor lists (worklist search)."""
    seen = [False] * len(successors)
    todo = list(starts)
    while todo:
        s = todo.pop()
        if not seen[s]:
            seen[s] = True
            todo.extend(successors[s])
    return seen


def final_states(step: Sequence[int], halted: Sequence[bool]) -> list[int]:
    """For each state, the halted state its run reaches (simulated), or -1."""
    n = len(step)
    result = []
    for m in range(n):
        s = m
        for _ in range(n + 1):
            if halted[s]:
                break
            s = step[s]
        result.append(s if halted[s] else -1)
    return result


def completion(step: Sequence[int], labels: Sequence[int]) -> list[int]:
    """C(P) = P join P pulled back along step."""
    return join(labels, pullback(labels, step))


def kleene_minimal(step: Sequence[int], beta: Sequence[int]) -> list[int]:
    """Least fixed point of C above beta: iterate beta, C(beta), ... until it stops."""
    current = canonical(beta)
    while True:
        nxt = completion(step, current)
        if nxt == current:
            return current
        current = nxt


def set_partitions(n: int) -> Iterator[list[int]]:
    """Every partition of n states, as restricted growth strings (canonical labels)."""
    if n == 0:
        yield []
        return

    def extend(prefix: list[int], highest: int) -> Iterator[list[int]]:
        if len(prefix) == n:
            yield list(prefix)
            return
        for label in range(highest + 2):
            prefix.append(label)
            yield from extend(prefix, max(highest, label))
            prefix.pop()

    yield from extend([0], 0)


def complete_partitions_above(step: Sequence[int], beta: Sequence[int]) -> list[list[int]]:
    """Brute force: every complete partition P with beta <= P."""
    return [
        p
        for p in set_partitions(len(step))
        if leq(beta, p) and is_complete(step, p)
    ]


def least(partitions: list[list[int]]) -> list[int]:
    """The element below all others (fails if there is none)."""
    candidates = [p for p in partitions if all(leq(p, q) for q in partitions)]
    if len(candidates) != 1:
        raise AssertionError(f"no unique least element among {partitions}")
    return candidates[0]


# --- twins of the kernels -------------------------------------------------


def first_occurrence(values: Sequence[int], k: int) -> tuple[list[int], int]:
    """Twin of ``_first_occurrence``: canonical relabel and number of blocks."""
    labels = canonical(values)
    return labels, len(set(labels))


def meet_roots(a: Sequence[int], b: Sequence[int]) -> list[int]:
    """Twin of ``_meet_roots`` after canonicalising: the meet."""
    return meet(a, b)


def cycle_states(step: Sequence[int]) -> list[bool]:
    """States on a cycle of step: those that come back to themselves."""
    n = len(step)
    result = []
    for s in range(n):
        t = step[s]
        for _ in range(n):
            if t == s:
                break
            t = step[t]
        result.append(t == s)
    return result


def sequence_classes(step: Sequence[int], beta: Sequence[int]) -> list[int]:
    """Canonical classes of the label sequences beta(m), beta(step(m)), ...

    Two runs that agree on their first n labels agree forever (n states, so
    the pair of runs repeats within n steps), so the first n labels decide.
    """
    n = len(step)
    words = []
    for s in range(n):
        word = []
        for _ in range(n):
            word.append(beta[s])
            s = step[s]
        words.append(tuple(word))
    return canonical(words)


def pair_labels(a: Sequence[int], b: Sequence[int]) -> tuple[list[int], int]:
    """Twin of ``_pair_labels``: canonical labels of the pairs and their number."""
    labels = canonical(list(zip(a, b)))
    return labels, len(set(labels))


# --- transition systems ---------------------------------------------------
#
# A system is a list of transitions (source, symbol, target, weight) over n
# states and an aggregation: "exists" (nondeterministic: the set of
# (symbol, block) pairs reached), "sum" (labelled and exact probabilistic:
# total weight per (symbol, block), zero totals left out), or ("round", tol)
# (float probabilities: totals rounded to multiples of tol), or
# ("mod", p) (sums modulo p).


def predecessors_by_block(
    indptr: Sequence[int], targets: Sequence[int], labels: Sequence[int]
) -> tuple[list[int], list[list[tuple[int, int]]]]:
    """Twin of ``_predecessors_by_block``: the new numbers, and each new target's predecessors.

    States are numbered block by block, by old number within a block; the
    transitions into each new target are (new source, transition) pairs,
    by old source.
    """
    n = len(indptr) - 1
    rank = [0] * n
    for new, s in enumerate(sorted(range(n), key=lambda s: (labels[s], s))):
        rank[s] = new
    preds: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for s in range(n):
        for j in range(indptr[s], indptr[s + 1]):
            preds[rank[targets[j]]].append((rank[s], j))
    return rank, preds


def sort_descending(keys: Sequence[int]) -> list[int]:
    """Twin of the splitter kernel's region sort: the keys from largest to smallest."""
    return sorted(keys, reverse=True)


def system_signature(edges, labels: Sequence[int], how, s: int) -> frozenset:
    """F(alpha)(xi(s)): what state s's transitions look like through ``labels``."""
    totals: dict = {}
    for src, sym, dst, w in edges:
        if src == s:
            key = (sym, labels[dst])
            totals[key] = totals.get(key, 0) + w
    if how == "exists":
        return frozenset(totals)
    if isinstance(how, tuple) and how[0] == "round":
        rounded = {k: int(math.floor(v / how[1] + 0.5)) for k, v in totals.items()}
        return frozenset((k, v) for k, v in rounded.items() if v != 0)
    if isinstance(how, tuple) and how[0] == "mod":
        return frozenset((k, v % how[1]) for k, v in totals.items() if v % how[1] != 0)
    return frozenset((k, v) for k, v in totals.items() if v != 0)


def system_is_complete(edges, n: int, labels: Sequence[int], how) -> bool:
    """Every two related states have the same signature (double loop)."""
    sig = [system_signature(edges, labels, how, s) for s in range(n)]
    return all(
        sig[s] == sig[t] for s in range(n) for t in range(n) if labels[s] == labels[t]
    )


def system_completion(edges, n: int, labels: Sequence[int], how) -> list[int]:
    """C(P) = P join ker(signature)."""
    return canonical(
        [(labels[s], system_signature(edges, labels, how, s)) for s in range(n)]
    )


def system_minimal(edges, n: int, beta: Sequence[int], how) -> list[int]:
    """Kleene iteration of the completion operator from beta."""
    current = canonical(beta)
    while True:
        nxt = system_completion(edges, n, current, how)
        if nxt == current:
            return current
        current = nxt


def peeled_states(indptr: Sequence[int], targets: Sequence[int]) -> set[int]:
    """The states that no cycle reaches: not reachable from a state that reaches itself."""
    n = len(indptr) - 1
    succ = [list(targets[indptr[s]:indptr[s + 1]]) for s in range(n)]

    def after(s: int) -> set[int]:  # reachable in one step or more
        seen: set[int] = set()
        stack = list(succ[s])
        while stack:
            t = stack.pop()
            if t not in seen:
                seen.add(t)
                stack.extend(succ[t])
        return seen

    reached: set[int] = set()
    for s in range(n):
        if s in after(s):
            reached |= {s} | after(s)
    return set(range(n)) - reached


def peel_blocks(edges, n: int, how, start: Sequence[int], blocks: Sequence[int], nb: int,
                order: Sequence[int]) -> tuple[list[int], int]:
    """Blocks of the states of ``order``, last to first, by (start block, signature) look-up.

    Each block of ``blocks`` (-1: to be found) is known by the signature of
    its first state; a state of ``order`` joins the first block known by
    its own start block and signature, or opens block ``nb``.
    """
    blocks = list(blocks)
    known: dict = {}
    seen: set[int] = set()
    for s in range(n):
        if blocks[s] >= 0 and blocks[s] not in seen:
            seen.add(blocks[s])
            known.setdefault((start[s], system_signature(edges, blocks, how, s)), blocks[s])
    for s in reversed(order):
        key = (start[s], system_signature(edges, blocks, how, s))
        if key not in known:
            known[key] = nb
            nb += 1
        blocks[s] = known[key]
    return blocks, nb


def system_complete_partitions_above(edges, n: int, beta: Sequence[int], how) -> list[list[int]]:
    """Brute force: every complete partition P with beta <= P."""
    return [
        p
        for p in set_partitions(n)
        if leq(beta, p) and system_is_complete(edges, n, p, how)
    ]


def row_ids(rows: Sequence[Sequence[int]]) -> tuple[list[int], int]:
    """Number the distinct rows by first occurrence (a dict of tuples)."""
    index: dict[tuple, int] = {}
    ids = [index.setdefault(tuple(int(x) for x in row), len(index)) for row in rows]
    return ids, len(index)


# ---------------------------------------------------------------- distributed doubling
# Twins of abstractions._kernels.doubling, on lists.

__all__ += ["route", "requests", "gather_pairs", "pair_rows", "number_rows", "answer_rows",
            "apply_ids"]


def route(dest: Sequence[int], nparts: int) -> tuple[list[int], list[int]]:
    """Positions grouped by receiver (ties in order), and where each receiver's run ends."""
    order = [i for p in range(nparts) for i in range(len(dest)) if dest[i] == p]
    ends = [sum(1 for d in dest if d <= p) for p in range(nparts)]
    return order, ends


def answer_rows(labels, g, final, lo: int, req) -> tuple[list[list[int]], int]:
    """``[label, pointer or -1 if final]`` per requested state, and the first bad request."""
    out: list[list[int]] = [[], []]
    for j, x in enumerate(req):
        if not lo <= x < lo + len(labels):
            return out, j
        out[0].append(labels[x - lo])
        out[1].append(-1 if final[x - lo] else g[x - lo])
    return out, -1


def requests(g, final, bounds) -> tuple[list[int], list[int], list[int]]:
    """Active states grouped by the chunk owning their ``g`` (ties in order), targets, run ends."""
    def owner(t: int) -> int:
        return max(p for p in range(len(bounds) - 1) if bounds[p] <= t)

    asking = [i for i in range(len(g)) if not final[i]]
    pos = [i for p in range(len(bounds) - 1) for i in asking if owner(g[i]) == p]
    ends = [sum(1 for i in asking if owner(g[i]) <= p) for p in range(len(bounds) - 1)]
    return pos, [g[i] for i in pos], ends


def gather_pairs(labels, pos, answers) -> tuple[list[int], list[int], list[int]]:
    """Per asking state: its label, the label at ``g`` (``~label`` if final), the pointer there."""
    rows = [(x, y) for got in answers for x, y in zip(got[0], got[1])]
    return ([labels[i] for i in pos], [~x if y < 0 else x for x, y in rows],
            [y for _, y in rows])


def pair_rows(a, b, nparts: int):
    """Distinct pairs by first occurrence, counted, then grouped by their numbering partition."""
    firsts: dict[tuple[int, int], int] = {}
    codes = [firsts.setdefault((x, y), len(firsts)) for x, y in zip(a, b)]
    pairs = list(firsts)
    mask = (1 << 64) - 1

    def owner(x: int, y: int) -> int:
        h = ((x & mask) * 0x9E3779B97F4A7C15 + (y & mask) * 0xC2B2AE3D27D4EB4F) & mask
        return (h >> 32) % nparts

    order = [c for p in range(nparts) for c in range(len(pairs)) if owner(*pairs[c]) == p]
    blocks = [[[pairs[c][0] for c in order if owner(*pairs[c]) == p],
               [pairs[c][1] for c in order if owner(*pairs[c]) == p],
               [codes.count(c) for c in order if owner(*pairs[c]) == p]] for p in range(nparts)]
    return codes, order, blocks


def number_rows(a, b, count_of, base: int, alone_bit: int):
    """Per row its block's label: ``base | local``, ALONE if one state, ``~`` if it leaves."""
    firsts: dict[tuple[int, int], int] = {}
    ids = [firsts.setdefault((x, y), len(firsts)) for x, y in zip(a, b)]
    sizes = [sum(k for i, k in zip(ids, count_of) if i == c) for c in range(len(firsts))]
    final = [any(y < 0 for i, y in zip(ids, b) if i == c) for c in range(len(firsts))]
    labels = []
    for c in range(len(firsts)):
        v = base | c | (alone_bit if sizes[c] == 1 else 0)
        labels.append(~v if sizes[c] == 1 or final[c] else v)
    leaving = sum(1 for v in labels if v < 0)
    staying = sum(sizes[c] for c in range(len(firsts)) if labels[c] >= 0)
    return [labels[i] for i in ids], len(firsts), leaving, staying


def apply_ids(labels, g, final, active, gg, codes, per_pair):
    """A chunk after a round: ``~id`` (negative) means the label is ``id`` and the state leaves."""
    labels, g, final = list(labels), list(g), list(final)
    for j, i in enumerate(active):
        v = per_pair[codes[j]]
        labels[i] = ~v if v < 0 else v
        final[i] = final[i] or v < 0
        g[i] = gg[j]
    return labels, g, final


# ---------------------------------------------------------------- high-level steps
# Twins of abstractions._kernels.steps, simulated step by step.

__all__ += [
    "first_return_positions",
    "first_scheduled",
    "next_change",
]


def first_scheduled(step: Sequence[int], schedule: Sequence[bool], m: int, at_least: int) -> int:
    """The first scheduled state of m's run after ``at_least`` (0 or 1) steps, or -1."""
    n = len(step)
    s = m
    for i in range(2 * n + 1):
        if i >= at_least and schedule[s]:
            return s
        s = step[s]
    return -1


def first_return_positions(
    step: Sequence[int], schedule: Sequence[bool], starts: Sequence[int]
) -> tuple[list[int], list[int]]:
    """Twin of ``_first_return``: positions among the scheduled states (-1: none)."""
    position = {s: i for i, s in enumerate(s for s in range(len(step)) if schedule[s])}
    induced = [
        position.get(first_scheduled(step, schedule, s, 1), -1)
        for s in range(len(step)) if schedule[s]
    ]
    entry = [position.get(first_scheduled(step, schedule, s, 0), -1) for s in starts]
    return induced, entry


def next_change(
    step: Sequence[int], labels: Sequence[int], halted: Sequence[bool], ended: int, diverged: int
) -> list[int]:
    """Twin of ``_next_change``: the first state of another block, or how the run ends."""
    n = len(step)
    result = []
    for m in range(n):
        s = m
        answer = diverged
        for _ in range(n + 1):
            if halted[s]:
                answer = ended
                break
            if labels[step[s]] != labels[m]:
                answer = step[s]
                break
            s = step[s]
        result.append(answer)
    return result + [ended, diverged]


# ---------------------------------------------------------------- stuttering, from the definitions
# An LTS is (n, edges) with edges a list of (source, action, target); the
# silent action is ``silent`` (None: every transition is silent).

__all__ += [
    "branching_bisimilarity",
    "coarsest",
    "collapsed_trace",
    "diverges",
    "inert_reach",
    "is_branching_bisimulation",
    "stuttering_classes",
]


def collapsed_trace(
    step: Sequence[int], halted: Sequence[bool], beta: Sequence[int], m: int, sensitive: bool
) -> tuple:
    """m's trace through beta with repeats collapsed, and how it ends.

    Simulated for long enough that two different collapsed traces of an
    n-state function differ in what is returned: a halted state ends it
    ("halted"); a cycle on which beta never changes ends it too ("diverges",
    or "halted" when divergence is not observed); otherwise the first
    4n + 4 changes are returned.
    """
    n = len(step)
    seen: list[int] = []
    run = [m]
    s = m
    for _ in range((4 * n + 8) * (n + 1)):
        if halted[s]:
            break
        s = step[s]
        run.append(s)
    for s in run:
        if not seen or seen[-1] != beta[s]:
            seen.append(beta[s])
    if halted[run[-1]]:
        return (*seen, "halted")
    # The run is eventually periodic; its last n states lie on the cycle.
    cycle = run[-n:]
    if len({beta[s] for s in cycle}) == 1:
        return (*seen, "diverges" if sensitive else "halted")
    return tuple(seen[: 4 * n + 4])


def stuttering_classes(
    step: Sequence[int], halted: Sequence[bool], beta: Sequence[int], sensitive: bool
) -> list[int]:
    """States with the same collapsed trace, canonically numbered."""
    return canonical(
        [collapsed_trace(step, halted, beta, m, sensitive) for m in range(len(step))]
    )


def _is_silent(action, silent) -> bool:
    return silent is None or action == silent


def _moves(n: int, edges) -> list[list[tuple]]:
    """Per state, its (action, target) pairs."""
    out: list[list[tuple]] = [[] for _ in range(n)]
    for s, a, t in edges:
        out[s].append((a, t))
    return out


def inert_reach(n: int, edges, labels: Sequence[int], silent, t: int, moves=None) -> list[int]:
    """The states reached from t by silent steps through t's class (t included)."""
    moves = _moves(n, edges) if moves is None else moves
    found = [t]
    todo = [t]
    while todo:
        u = todo.pop()
        for a, v in moves[u]:
            if _is_silent(a, silent) and labels[v] == labels[t] and v not in found:
                found.append(v)
                todo.append(v)
    return found


def diverges(n: int, edges, labels: Sequence[int], silent, t: int, moves=None) -> bool:
    """Whether t has an infinite silent path through its class (it reaches a silent cycle)."""
    moves = _moves(n, edges) if moves is None else moves
    for u in inert_reach(n, edges, labels, silent, t, moves):
        # u lies on a silent cycle inside the class if a silent step takes it
        # to a state of the class from which it is reached again.
        for a, v in moves[u]:
            inside = _is_silent(a, silent) and labels[v] == labels[t]
            if inside and u in inert_reach(n, edges, labels, silent, v, moves):
                return True
    return False


def is_branching_bisimulation(
    n: int, edges, labels: Sequence[int], silent, sensitive: bool
) -> bool:
    """The definition, checked for every related pair and every transition.

    For s R t and every s -a-> s': either a is silent and s' R s, or t has
    a path of silent steps through its own class to some t'' with
    t'' -a-> t' and s' R t'. With ``sensitive``: s diverges inside its
    class exactly when t does.
    """
    moves = _moves(n, edges)
    reach = [inert_reach(n, edges, labels, silent, t, moves) for t in range(n)]
    div = [diverges(n, edges, labels, silent, t, moves) if sensitive else False
           for t in range(n)]
    for s in range(n):
        for t in range(n):
            if labels[s] != labels[t] or s == t:
                continue
            if div[s] != div[t]:
                return False
            for a, s2 in moves[s]:
                if _is_silent(a, silent) and labels[s2] == labels[s]:
                    continue  # an inert step: matched by doing nothing
                if not any(
                    b == a and labels[v] == labels[s2] for t2 in reach[t] for b, v in moves[t2]
                ):
                    return False
    return True


def coarsest(candidates: list[list[int]]) -> list[int]:
    """The valid partition that every valid one refines (asserted to exist)."""
    best = min(candidates, key=lambda p: len(set(p)))
    assert all(leq(best, p) for p in candidates), "no coarsest one"
    return best


def branching_bisimilarity(
    n: int, edges, beta: Sequence[int], silent, sensitive: bool
) -> list[int]:
    """Brute force: the coarsest branching bisimulation above beta, over every partition."""
    return coarsest(
        [
            p
            for p in set_partitions(n)
            if leq(beta, p) and is_branching_bisimulation(n, edges, p, silent, sensitive)
        ]
    )


__all__ += ["branching_round", "silent_components"]


def silent_components(n: int, edges, labels: Sequence[int], silent):
    """Mutual reachability by silent steps inside a block; per component, has it a cycle."""
    inert = [(s, v) for s, a, v in edges if _is_silent(a, silent) and labels[s] == labels[v]]

    def reach(u: int) -> set[int]:
        found, todo = {u}, [u]
        while todo:
            x = todo.pop()
            for s, v in inert:
                if s == x and v not in found:
                    found.add(v)
                    todo.append(v)
        return found

    reaches = [reach(u) for u in range(n)]
    component = canonical([frozenset(v for v in reaches[u] if u in reaches[v]) for u in range(n)])
    cyclic = {}
    for u in range(n):
        members = [v for v in range(n) if component[v] == component[u]]
        cyclic[component[u]] = len(members) > 1 or (u, u) in inert
    return component, cyclic


def branching_round(n: int, edges, labels: Sequence[int], silent, cyclic: Sequence[bool],
                    sensitive: bool) -> list[int]:
    """Twin of ``_branching_round`` on an acyclic inert graph: (label, signature) classes.

    The signature of a node: its non-inert (action, block) moves, joined
    over every node it reaches by inert steps; with ``sensitive``, also
    whether it reaches (or is) a node with a cycle.
    """
    def signature(v: int) -> frozenset:
        seen = set()
        for u in inert_reach(n, edges, labels, silent, v):
            if sensitive and cyclic[u]:
                seen.add("diverges")
            for s, a, t in edges:
                if s == u and not (_is_silent(a, silent) and labels[t] == labels[u]):
                    seen.add((a, labels[t]))
        return frozenset(seen)

    return canonical([(labels[v], signature(v)) for v in range(n)])


__all__ += ["saturate"]


def saturate(n: int, edges, labels: Sequence[int], silent, cyclic: Sequence[bool],
             sensitive: bool) -> tuple[list[set], list[bool]]:
    """Twin of ``_saturate``: per node, the non-inert moves after inert steps; divergence."""
    moves, div = [], []
    for v in range(n):
        reached = inert_reach(n, edges, labels, silent, v)
        moves.append({(a, t) for s, a, t in edges if s in reached
                      and not (_is_silent(a, silent) and labels[t] == labels[s])})
        div.append(sensitive and any(cyclic[u] for u in reached))
    return moves, div


# ---------------------------------------------------------------- weak bisimulation of Markov chains
# P is a list of rows of probabilities (Fractions, or floats compared exactly).

__all__ += ["can_leave", "is_weak_bisimulation", "weak_bisimilarity"]


def can_leave(P, labels: Sequence[int], s: int) -> bool:
    """Whether s reaches, with positive probability, a state outside its class."""
    n = len(P)
    seen, todo = {s}, [s]
    while todo:
        u = todo.pop()
        for t in range(n):
            if P[u][t] > 0:
                if labels[t] != labels[s]:
                    return True
                if t not in seen:
                    seen.add(t)
                    todo.append(t)
    return False


def is_weak_bisimulation(P, labels: Sequence[int]) -> bool:
    """Baier--Katoen--Hermanns--Wolf: for s R t, s leaves its class iff t does, and when both
    can leave in one step, their conditional distributions over the other classes agree."""
    n = len(P)

    def prob(s: int, c: int):
        return sum((P[s][t] for t in range(n) if labels[t] == c), 0 * P[s][0])

    leave = [can_leave(P, labels, s) for s in range(n)]
    for s in range(n):
        for t in range(s + 1, n):
            if labels[s] != labels[t]:
                continue
            if leave[s] != leave[t]:
                return False
            ps, pt = prob(s, labels[s]), prob(t, labels[t])
            if ps < 1 and pt < 1:
                for c in set(labels) - {labels[s]}:
                    if prob(s, c) * (1 - pt) != prob(t, c) * (1 - ps):
                        return False
    return True


def weak_bisimilarity(P, beta: Sequence[int]) -> list[int]:
    """Brute force: the coarsest weak bisimulation above beta, over every partition."""
    return coarsest(
        [p for p in set_partitions(len(P)) if leq(beta, p) and is_weak_bisimulation(P, p)]
    )
def plurality(src, dst, w, k):
    """Per source block: (best target, total weight, weight into best), by dictionaries.

    Ties go to the lowest target; a block of weight 0 takes the target of
    most states. Empty ``w`` weighs every state 1.
    """
    weights = [1.0] * len(src) if len(w) == 0 else [float(x) for x in w]
    mass: dict = {}
    count: dict = {}
    for a, b, x in zip(src, dst, weights):
        mass[(a, b)] = mass.get((a, b), 0.0) + x
        count[(a, b)] = count.get((a, b), 0) + 1
    best, total, top = [], [], []
    for a in range(k):
        targets = sorted(b for (s, b) in mass if s == a)
        if not targets:
            best.append(-1)
            total.append(0.0)
            top.append(0.0)
            continue
        weight = sum(mass[(a, b)] for b in targets)
        if weight > 0:
            b = max(targets, key=lambda t: (mass[(a, t)], -t))
            best.append(b)
            top.append(mass[(a, b)])
        else:
            best.append(max(targets, key=lambda t: (count[(a, t)], -t)))
            top.append(0.0)
        total.append(weight)
    return best, total, top


def first_mismatch(labels, nxt, best, w):
    """The first state of positive weight (any, for an empty w) with nxt != best[label], or -1."""
    for i, (a, b) in enumerate(zip(labels, nxt)):
        if b != best[a] and (len(w) == 0 or w[i] > 0):
            return i
    return -1


def lumping_defect(indptr, targets, labels, k, w, prob, num, scale):
    """Per state, the TV from its block's mean row; the mean rows. From the definition.

    Rows through the blocks are dictionaries (block -> probability); a
    float probability is compared in quanta ``floor(p * scale + 0.5)`` and
    dropped when that is 0. Sums run over blocks in increasing order and
    states in increasing order, so that dyadic inputs give the same floats
    as any correct implementation that sums in that order.
    """
    n = len(indptr) - 1
    exact = len(num) > 0
    rows = []
    for s in range(n):
        raw: dict = {}
        for j in range(indptr[s], indptr[s + 1]):
            b = labels[targets[j]]
            raw[b] = raw.get(b, 0) + (num[j] if exact else prob[j])
        row = {}
        for b in sorted(raw):
            if exact:
                row[b] = (raw[b] / scale, raw[b])
            else:
                q = math.floor(raw[b] * scale + 0.5)
                if q != 0:
                    row[b] = (raw[b], q)
        rows.append(row)
    score = [0.0] * n
    mb, mc, mp = [], [], []
    for b in range(k):
        members = [s for s in range(n) if labels[s] == b]
        weight = 0.0
        for s in members:
            weight += w[s]
        fit = {s: (w[s] if weight > 0 else 1.0) for s in members}
        total_fit = weight if weight > 0 else float(len(members))
        targets_b = sorted({c for s in members for c in rows[s]})
        mean = {}
        for c in targets_b:
            acc = 0.0
            for s in members:
                if c in rows[s]:
                    acc += fit[s] * rows[s][c][0]
            mean[c] = acc / total_fit
            mb.append(b)
            mc.append(c)
            mp.append(mean[c])
        weighted = [s for s in members if w[s] > 0]
        quanta = [{c: q for c, (_, q) in rows[s].items()} for s in weighted]
        if all(x == quanta[0] for x in quanta):
            continue
        tail = 0.0
        for c in targets_b:
            tail += mean[c]
        for s in members:
            dev = 0.0
            covered = 0.0
            for c in sorted(rows[s]):
                dev += abs(rows[s][c][0] - mean[c])
                covered += mean[c]
            score[s] = max(0.5 * (dev + tail - covered), 0.0)
    return score, mb, mc, mp



def function_profile(step, labels, w, max_rounds):
    """Blocks and plurality loss of each completion round for a function, from the definition.

    Round ``j + 1`` is the partition of pairs (block, next block) of round
    ``j``; ``loss[j] = sum_B (mu(B) - max_C mu(B & step^-1 C))`` (counts when
    ``w`` is empty), up to the first round that splits nothing or round
    ``max_rounds`` (negative: no limit).
    """
    n = len(step)
    blocks, losses = [], []
    r = 0
    while True:
        k = len(set(labels))
        blocks.append(k)
        # mass[a][b]: the weight of the states of block a stepping into block b.
        mass: dict = {}
        for i in range(n):
            row = mass.setdefault(labels[i], {})
            b = labels[step[i]]
            row[b] = row.get(b, 0.0) + (w[i] if len(w) else 1.0)
        loss = 0.0
        for a in sorted(mass):
            loss += sum(mass[a].values()) - max(mass[a].values())
        losses.append(loss)
        ids: dict = {}
        new = [ids.setdefault((labels[i], labels[step[i]]), len(ids)) for i in range(n)]
        if len(ids) == k or (max_rounds >= 0 and r >= max_rounds):
            return blocks, losses
        labels = new
        r += 1


def conflicts(key: Sequence[int], alpha: Sequence[int], limit: int) -> list[tuple[int, int]]:
    """Pairs (first state with the key, a later state with it in another block), one per key, in order."""
    first: dict = {}
    reported: set = set()
    out: list[tuple[int, int]] = []
    for j, k in enumerate(key):
        if len(out) >= limit:
            break
        if k not in first:
            first[k] = j
            continue
        i = first[k]
        if k not in reported and alpha[i] != alpha[j]:
            reported.add(k)
            out.append((i, j))
    return out


def linear_key(base: Sequence[int], codes: Sequence[Sequence[int]], rows: Sequence[int],
               weights: Sequence[int]) -> list[int]:
    """base[i] + sum over t of codes[rows[t]][i] * weights[t]."""
    return [b + sum(codes[r][i] * w for r, w in zip(rows, weights)) for i, b in enumerate(base)]


def determines(rows: Sequence[Sequence], columns: Sequence[int], labels: Sequence[int]) -> bool:
    """States that agree on the chosen columns of their rows share a label."""
    seen: dict = {}
    for row, label in zip(rows, labels):
        key = tuple(row[j] for j in columns)
        if seen.setdefault(key, label) != label:
            return False
    return True


def smallest_determining_size(rows: Sequence[Sequence], labels: Sequence[int]) -> int:
    """The size of a smallest set of columns that determines the labels (every subset tried)."""
    from itertools import combinations

    k = len(rows[0]) if rows else 0
    for size in range(k + 1):
        if any(determines(rows, c, labels) for c in combinations(range(k), size)):
            return size
    raise ValueError("the columns do not determine the labels")


def closure(start: set, reads: dict) -> set:
    """The least superset of start closed under v -> reads[v]."""
    closed = set(start)
    changed = True
    while changed:
        changed = False
        for v in list(closed):
            for u in reads[v]:
                if u not in closed:
                    closed.add(u)
                    changed = True
    return closed


def smallest_complete_variable_set_size(rows: Sequence[Sequence], step: Sequence[int],
                                        beta: Sequence[int]) -> int:
    """Fewest columns whose partition is complete for step and determines beta (every subset tried)."""
    from itertools import combinations

    k = len(rows[0]) if rows else 0
    for size in range(k + 1):
        for c in combinations(range(k), size):
            labels = canonical([tuple(row[j] for j in c) for row in rows])
            if leq(beta, labels) and is_complete(step, labels):
                return size
    raise ValueError("no set of columns works")
