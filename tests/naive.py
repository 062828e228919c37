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
    "tree_preds",
    "sequence_classes",
    "pair_labels",
    "predecessors",
    "sort_descending",
    "system_signature",
    "system_is_complete",
    "system_completion",
    "system_minimal",
    "system_complete_partitions_above",
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


def tree_preds(step: Sequence[int]) -> list[list[int]]:
    """For each state, the states off every cycle that step into it, increasing."""
    on_cycle = cycle_states(step)
    return [[s for s in range(len(step)) if step[s] == t and not on_cycle[s]] for t in range(len(step))]


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


def predecessors(indptr: Sequence[int], targets: Sequence[int]) -> list[list[tuple[int, int]]]:
    """Twin of ``_predecessors``: per target, its (source, transition) pairs by source."""
    n = len(indptr) - 1
    preds: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for s in range(n):
        for j in range(indptr[s], indptr[s + 1]):
            preds[targets[j]].append((s, j))
    return preds


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


def system_complete_partitions_above(edges, n: int, beta: Sequence[int], how) -> list[list[int]]:
    """Brute force: every complete partition P with beta <= P."""
    return [
        p
        for p in set_partitions(n)
        if leq(beta, p) and system_is_complete(edges, n, p, how)
    ]
