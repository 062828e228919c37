"""How simple an abstraction is: description length and conserved quantities.

The finish abstraction (:func:`~abstractions.finish_abstraction`) is
complete and minimal above the output, yet it explains nothing: its blocks
are "what the run will output", a function of the whole input, and its
abstract step is the identity. Two measures tell such abstractions from
mechanistic ones:

* :func:`description_length`: the size of a decision tree (or a binary
  decision diagram) over the state variables that computes the block of
  each state. An abstraction that reads few variables in a simple way is
  short; the finish abstraction of an adder must encode the whole carry
  look-ahead;
* :func:`is_conserved`: the abstract step is the identity: every state
  steps to a state of its own block, so the abstraction is a conserved
  quantity of the dynamics (an invariant). It is then complete, and all
  the work happens inside the blocks. The finish abstraction is one.

:func:`~abstractions.support.support` is the third measure: how many
variables an abstraction reads.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from abstractions._validation import Ids, as_count
from abstractions.computation import Computation
from abstractions.exceptions import InvalidValueError, TooLargeError
from abstractions.partition import Partition, canonical_labels
from abstractions.system import System, as_system
from abstractions.variables import Variables, require_variables

__all__ = [
    "BDD_MAX_STATES",
    "DESCRIPTION_METHODS",
    "description_length",
    "is_conserved",
]

#: Methods of :func:`description_length`.
DESCRIPTION_METHODS = ("tree", "bdd")

#: Most states :func:`description_length` turns into a BDD (it is built in
#: Python, one Shannon expansion per state and bit).
BDD_MAX_STATES = 50_000


def is_conserved(system: System, alpha: Any) -> bool:
    """Whether the abstract step of ``alpha`` is the identity: no transition leaves a block.

    Such an abstraction is a conserved quantity (an invariant) of the
    dynamics: complete, with all the computing done inside the blocks. The
    finish abstraction is one (a state's eventual output does not change
    as it runs); so is every partition into unions of the system's
    connected components.

    Parameters
    ----------
    system : System
        Any kind: for a computation, ``alpha(step(m)) == alpha(m)`` for
        every state (halted states step to themselves); for the other kinds,
        every transition stays in its block.
    alpha : Partition or array_like

    Returns
    -------
    bool

    Examples
    --------
    >>> from abstractions import Computation, Partition, finish_abstraction
    >>> C = Computation([1, 2, 2, 4, 4], halted=[False, False, True, False, True],
    ...                 output=["a", "a", "yes", "a", "no"])
    >>> is_conserved(C, finish_abstraction(C))
    True
    >>> is_conserved(C, Partition([0, 0, 1, 0, 1]))      # "has it halted" changes
    False
    """
    S = as_system(system)
    P = S._partition(alpha, "alpha")
    labels = P.labels
    if isinstance(S, Computation):
        return bool(np.array_equal(labels[S.step], labels))
    rel = S._relation()
    return bool(np.array_equal(labels[rel.targets], labels[rel.sources()]))


def _dense_codes(record: Variables) -> list[Ids]:
    """Each variable's codes renumbered densely over the values that occur."""
    return [canonical_labels(record.codes[j])[0] for j in range(len(record.names))]


def _groups(a: Ids, b: Ids) -> tuple[Ids, int]:
    """Dense ids of the pairs ``(a[i], b[i])`` (both dense and below ``len(a) + 1``)."""
    n = a.shape[0]
    return canonical_labels(a * (int(b.max()) + 1 if n else 1) + b)


def _entropy_by_node(groups: Ids, n_groups: int, owner: Ids, n_nodes: int, labels: Ids) -> Any:
    """Sum over each node of ``|g| * H(labels | g)`` for its groups ``g`` (in nats)."""
    pair, n_pairs = _groups(groups, labels)
    pair_count = np.bincount(pair, minlength=n_pairs).astype(np.float64)
    pair_group = np.zeros(n_pairs, dtype=np.int64)
    pair_group[pair] = groups
    group_count = np.bincount(groups, minlength=n_groups).astype(np.float64)
    # sum over pairs of -c log(c / |g|)
    terms = -pair_count * np.log(pair_count / group_count[pair_group])
    per_group = np.bincount(pair_group, weights=terms, minlength=n_groups)
    group_node = np.zeros(n_groups, dtype=np.int64)
    group_node[groups] = owner
    return np.bincount(group_node, weights=per_group, minlength=n_nodes)


def _tree(columns: list[Ids], labels: Ids, max_nodes: int) -> int:
    """Nodes of a decision tree grown top down, level by level (greedy: least entropy left)."""
    n = labels.shape[0]
    if n == 0:
        return 1
    node = np.zeros(n, dtype=np.int64)
    states = np.arange(n, dtype=np.int64)
    n_nodes = 1
    total = 0
    while states.shape[0]:
        lab = labels[states]
        # a node is a leaf when its states all lie in one block
        first = np.full(n_nodes, -1, dtype=np.int64)
        first[node] = lab
        mixed = np.zeros(n_nodes, dtype=bool)
        mixed[node[first[node] != lab]] = True
        total += n_nodes
        if total > max_nodes:
            raise TooLargeError(
                f"the decision tree has more than max_nodes={max_nodes} nodes; raise max_nodes"
            )
        keep = mixed[node]
        if not keep.any():
            break
        states, node, lab = states[keep], node[keep], lab[keep]
        renumber, n_nodes = canonical_labels(node)
        node = renumber
        best_cost = np.full(n_nodes, np.inf)
        best_var = np.full(n_nodes, -1, dtype=np.int64)
        best_children = np.full(n_nodes, np.iinfo(np.int64).max, dtype=np.int64)
        for j, column in enumerate(columns):
            groups, n_groups = _groups(node, column[states])
            group_node = np.zeros(n_groups, dtype=np.int64)
            group_node[groups] = node
            children = np.bincount(group_node, minlength=n_nodes)
            cost = _entropy_by_node(groups, n_groups, node, n_nodes, lab)
            splits = children >= 2
            better = splits & (
                (cost < best_cost - 1e-12)
                | ((np.abs(cost - best_cost) <= 1e-12) & (children < best_children))
            )
            best_cost[better] = cost[better]
            best_var[better] = j
            best_children[better] = children[better]
        if (best_var < 0).any():
            where = int(np.flatnonzero(best_var < 0)[0])
            members = states[node == where]
            raise InvalidValueError(
                f"the variables do not determine alpha: states {int(members[0])} and others "
                f"agree on every variable but lie in different blocks"
            )
        tested = best_var[node]
        chosen = np.empty(states.shape[0], dtype=np.int64)
        for j in np.unique(tested).tolist():
            where = tested == j
            chosen[where] = columns[j][states[where]]
        node, n_nodes = _groups(node, chosen)
    return total


def _bdd(columns: list[Ids], labels: Ids, n_blocks: int) -> int:
    """Nodes of a shared BDD of the block id's bits over the variables' bits (the dd package)."""
    try:
        import dd.autoref as autoref  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError(
            "description_length(method='bdd') needs the dd package: pip install "
            "'formal-abstractions[bdd]' (or pip install dd)"
        ) from None
    widths = [max(1, int(int(c.max()) + 1 - 1).bit_length()) if c.size else 1 for c in columns]
    bdd = autoref.BDD()
    names = [f"v{j}_{b}" for j, w in enumerate(widths) for b in range(w - 1, -1, -1)]
    bdd.declare(*names)
    # each state's bits, most significant first, variable by variable
    table = np.zeros((labels.shape[0], len(names)), dtype=np.int8)
    at = 0
    for c, w in zip(columns, widths):
        for b in range(w - 1, -1, -1):
            table[:, at] = (c >> b) & 1
            at += 1
    out_bits = max(0, int(n_blocks - 1).bit_length())
    nodes = [bdd.var(name) for name in names]

    def build(rows: Ids, level: int, bit: int) -> Any:
        values = (labels[rows] >> bit) & 1
        if values.min() == values.max():
            return bdd.true if values[0] else bdd.false
        ones = table[rows, level] == 1
        hi, lo = rows[ones], rows[~ones]
        # a combination no state has is a don't-care: skip the test where one side is empty
        if hi.shape[0] == 0:
            return build(lo, level + 1, bit)
        if lo.shape[0] == 0:
            return build(hi, level + 1, bit)
        return bdd.ite(nodes[level], build(hi, level + 1, bit), build(lo, level + 1, bit))

    rows = np.arange(labels.shape[0], dtype=np.int64)
    roots = [build(rows, 0, bit) for bit in range(out_bits)]
    nodes.clear()
    bdd.collect_garbage()
    if not roots:
        return 1  # one block: the constant
    seen: set[int] = set()
    todo = list(roots)
    while todo:
        u = todo.pop()
        key = abs(int(u.node)) if hasattr(u, "node") else id(u)
        if key in seen:
            continue
        seen.add(key)
        if u.var is not None:
            todo += [u.low, u.high]
    return len(seen)


def description_length(
    system: System, alpha: Any, *, method: str = "tree", max_nodes: int = 1_000_000
) -> int:
    """The size of a decision tree (or BDD) over the state variables that computes ``alpha``'s
    block.

    Parameters
    ----------
    system : System
        A system with variables.
    alpha : Partition or array_like
        The abstraction.
    method : {"tree", "bdd"}
        ``"tree"``: a decision tree that tests one variable per node (one
        child per value that occurs), grown top down choosing at each node
        the variable that leaves the least entropy of the block (ties: fewer
        children); the size is its number of nodes, tests and leaves. It is
        the smallest tree *found*, not proven smallest (that is NP-hard).
        ``"bdd"``: the nodes of a shared reduced ordered BDD of the bits of
        the block id over the bits of the variables (in the system's order,
        most significant bit first), built with the ``dd`` package (the
        optional ``bdd`` extra). Value combinations no state has are
        don't-cares, filled by skipping the test (so the size is an upper
        bound of the smallest BDD that agrees on the states).
    max_nodes : int, default 1_000_000
        Refuse larger trees with :class:`~abstractions.TooLargeError`.

    Returns
    -------
    int

    Raises
    ------
    InvalidValueError
        If the system has no variables, the variables do not determine
        ``alpha``, or an unknown method.
    TooLargeError
        For a tree beyond ``max_nodes``, or a BDD of more than
        :data:`BDD_MAX_STATES` states.
    ImportError
        For ``"bdd"`` without the ``dd`` package.

    Examples
    --------
    >>> from abstractions import Computation, Partition
    >>> C = Computation([1, 2, 3, 0], variables={"hi": [0, 0, 1, 1], "lo": [0, 1, 0, 1]})
    >>> description_length(C, Partition([0, 0, 1, 1]))   # test hi: one test, two leaves
    3
    >>> description_length(C, Partition([0, 1, 1, 0]))   # xor: hi, then lo twice
    7
    >>> description_length(C, Partition.bottom(4))        # a single leaf
    1
    """
    S = as_system(system)
    record = require_variables(S)
    if method not in DESCRIPTION_METHODS:
        raise InvalidValueError(
            f"method must be one of {', '.join(map(repr, DESCRIPTION_METHODS))}, got {method!r}"
        )
    P: Partition = S._partition(alpha, "alpha")
    limit = as_count(max_nodes, "max_nodes")
    columns = _dense_codes(record)
    if method == "tree":
        return _tree(columns, P.labels, limit)
    if S.n > BDD_MAX_STATES:
        raise TooLargeError(
            f"the system has {S.n} states; description_length(method='bdd') is limited to "
            f"BDD_MAX_STATES = {BDD_MAX_STATES} (use method='tree')"
        )
    # two states with the same variables must share the block, or no function computes it
    full = np.zeros(S.n, dtype=np.int64)
    for c in columns:
        full, _ = canonical_labels(full * (int(c.max()) + 1 if S.n else 1) + c)
    check = np.full(S.n, -1, dtype=np.int64)
    check[full] = P.labels
    if S.n and not np.array_equal(check[full], P.labels):
        raise InvalidValueError(
            "the variables do not determine alpha: two states agree on every variable but lie "
            "in different blocks"
        )
    return _bdd(columns, P.labels, P.n_blocks)
