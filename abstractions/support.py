"""Which variables an abstraction reads: supports, cones of influence, variable abstractions.

For a computation whose states are made of variables (see
:mod:`abstractions.variables`), an abstraction ``alpha`` *reads* a set of
variables ``V`` when the values of ``V`` determine its block: states that
agree on ``V`` are in one block of ``alpha``. Determination is monotone
(a superset of a determining set determines), so

* the **support** of ``alpha`` (:func:`support`) is a smallest determining
  set. A variable is *necessary* when leaving it alone out breaks
  determination; every determining set contains every necessary variable,
  so when the necessary variables determine ``alpha`` they are the unique
  support. Otherwise a search finds the smallest one (see below);
* the **cone of influence** of some variables (:func:`cone_of_influence`)
  is their closure under "the next value of ``v`` reads ``u``": syntactic
  from the update expressions of a sympy computation (with the halting
  condition's variables), or semantic from the state table (the support of
  each next value). The abstraction that keeps the variables of a closed set
  is complete;
* :func:`minimal_variable_abstraction` finds the fewest variables whose
  abstraction (:func:`~abstractions.variables.variable_abstraction`) is
  complete and keeps ``beta``.

The finish abstraction (:func:`~abstractions.finish_abstraction`) is
complete and minimal above the output but usually reads every variable the
output depends on; a variable abstraction is complete because it carries
out the computation step by step. :mod:`abstractions.simplicity` measures
the other half (description length, conserved quantities).

Notes
-----
Finding a smallest determining set is NP-hard in general (it is a minimum
hitting set: every pair of states in different blocks must be told apart
by a chosen variable). :func:`support` solves it as an *implicit hitting
set* problem: it keeps a pool of witness pairs (states that agree on a
candidate set but lie in different blocks, each standing for the set of
variables on which its two states differ), finds a smallest set of
variables hitting every witness by branch and bound, and checks that set
on all states; a failed check adds witnesses. The answer is exact; the
branch and bound has a budget, beyond which :class:`~abstractions.TooLargeError`
is raised. Each check is one hashing pass over the states.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np

from abstractions._validation import Ids, as_count
from abstractions.completeness import is_complete
from abstractions.computation import Computation
from abstractions.exceptions import (
    InvalidTypeError,
    InvalidValueError,
    TooLargeError,
)
from abstractions.minimal import minimal_complete_abstraction
from abstractions.partition import Partition
from abstractions.system import System, as_system
from abstractions.variables import (
    Variables,
    key_labels,
    require_variables,
    variable_names,
)

__all__ = [
    "SUPPORT_BUDGET",
    "VariableAbstraction",
    "cone_of_influence",
    "minimal_variable_abstraction",
    "support",
]

#: Default budget of :func:`support` and ``minimal_variable_abstraction(method="exact")``:
#: nodes of the branch and bound (and candidate sets checked).
SUPPORT_BUDGET = 100_000

#: Witness pairs kept from one failed check (at most one per group of states).
_WITNESSES = 64


class _Budget:
    def __init__(self, limit: int, what: str) -> None:
        self.left = limit
        self.limit = limit
        self.what = what

    def tick(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise TooLargeError(
                f"{self.what} needs more than budget={self.limit} steps of its exact search; "
                f"raise the budget, or use an approximate method"
            )


def _bits(mask: int) -> list[int]:
    out = []
    while mask:
        low = mask & -mask
        out.append(low.bit_length() - 1)
        mask ^= low
    return out


def _popcount(mask: int) -> int:
    return bin(mask).count("1")


class _Determination:
    """Does a set of variables (a bitmask) determine a labelling of the states?

    Keeps the per-variable codes (dense where a domain is larger than the
    number of states) and answers with witness pairs: states that agree on
    the set but have different labels. A failing check stops after
    :data:`_WITNESSES` witnesses, so it is usually much cheaper than a
    passing one, which reads every state.
    """

    def __init__(self, record: Variables, labels: Ids) -> None:
        from abstractions._kernels import _dense_ids, hash_table

        self.record = record
        self.labels = np.ascontiguousarray(labels, dtype=np.int64)
        self.n = record.n
        self.k = len(record.names)
        self.full = (1 << self.k) - 1
        # one hash table for every check: fresh memory would cost page faults each time
        self.table = hash_table(max(self.n, 1))
        self.columns: list[Ids] = []
        self.sizes: list[int] = []
        self.codes = record.codes
        for j in range(self.k):
            row = record.codes[j]
            size = int(row.max()) + 1 if self.n else 1
            if size > 2 * self.n + 64:
                # a wide domain of which few values occur: number those densely
                row, size = _dense_ids(row, self.table)
                self.codes = None  # type: ignore[assignment]
            self.columns.append(np.ascontiguousarray(row, dtype=np.int64))
            self.sizes.append(max(int(size), 1))
        if self.codes is None:
            self.codes = np.vstack(self.columns) if self.k else record.codes
        total = 1
        for size in self.sizes:
            total *= size
        self.strides: list[int] | None = None
        self.all_key: Ids | None = None
        if total < 2**62:
            strides = [1] * self.k
            for j in range(self.k - 2, -1, -1):
                strides[j] = strides[j + 1] * self.sizes[j + 1]
            self.strides = strides
        self.cache: dict[int, list[int]] = {}
        self.pool: list[int] = []
        self.checks = 0

    def key(self, columns: Sequence[int]) -> Ids:
        """A key per state, equal exactly when the states agree on ``columns``."""
        from abstractions._kernels import _dense_ids

        key = np.zeros(self.n, dtype=np.int64)
        span = 1
        for j in columns:
            if span * self.sizes[j] >= 2**62:
                key, span = _dense_ids(key, self.table)
            key = key * self.sizes[j] + self.columns[j]
            span *= self.sizes[j]
        return key

    def key_of(self, mask: int) -> Ids:
        """The key of a set of variables: built up, or the key of all with the rest taken out.

        With mixed-radix strides for all variables (when their product fits
        in int64), any subset's key is a sum of its digits times the
        strides: one pass of :func:`_linear_key`.
        """
        from abstractions._kernels import _linear_key

        chosen = _bits(mask)
        if self.strides is None:
            return self.key(chosen)
        if 2 * len(chosen) <= self.k or self.all_key is None and len(chosen) < self.k:
            base, rows, sign = np.zeros(self.n, dtype=np.int64), chosen, 1
        else:
            if self.all_key is None:
                self.all_key = _linear_key(
                    np.zeros(self.n, dtype=np.int64), self.codes,
                    np.arange(self.k, dtype=np.int64), np.array(self.strides, dtype=np.int64),
                )
            base, rows, sign = self.all_key, _bits(self.full & ~mask), -1
        weights = np.array([sign * self.strides[j] for j in rows], dtype=np.int64)
        key: Ids = _linear_key(base, self.codes, np.array(rows, dtype=np.int64), weights)
        return key

    def pairs(self, key: Ids) -> np.ndarray:
        from abstractions._kernels import _conflicts

        self.checks += 1
        pairs: np.ndarray = _conflicts(key, self.labels, self.table, _WITNESSES)
        return pairs

    def masks(self, pairs: np.ndarray) -> list[int]:
        """For each witness pair, the bitmask of the variables on which its states differ."""
        if pairs.shape[0] == 0:
            return []
        codes = self.record.codes
        differ = codes[:, pairs[:, 0]] != codes[:, pairs[:, 1]]  # (k, pairs)
        weights = [1 << j for j in range(self.k)]
        return sorted({sum(w for w, d in zip(weights, col) if d) for col in differ.T.tolist()})

    def witnesses(self, mask: int) -> list[int]:
        """Witness masks for ``mask`` (empty: it determines the labels); added to the pool."""
        found = self.cache.get(mask)
        if found is None:
            for w in self.pool:
                if not w & mask:
                    return [w]  # a known pair already agrees on the set
            found = self.cache[mask] = self.masks(self.pairs(self.key_of(mask)))
            self.pool += found
        return found

    def determines(self, mask: int) -> bool:
        return not self.witnesses(mask)

    def necessary(self) -> int:
        """The variables without which the others do not determine the labels.

        Group testing: if all variables but a group ``G`` determine the
        labels, no variable of ``G`` is necessary (monotonicity), so halves
        are split only where the test fails. A failing test is cheap (it
        stops at the first witnesses), a passing one reads every state, and
        there are few passing ones when few variables are necessary.
        """
        necessary = 0

        def split(group: list[int]) -> None:
            nonlocal necessary
            mask = sum(1 << j for j in group)
            if self.determines(self.full & ~mask):
                return
            if len(group) == 1:
                necessary |= mask
                return
            half = len(group) // 2
            split(group[:half])
            split(group[half:])

        split(list(range(self.k)))
        return necessary


def _reduce(sets: list[int]) -> list[int]:
    """The sets that contain no other set (a hitting set of those hits them all)."""
    kept: list[int] = []
    for s in sorted(set(sets), key=_popcount):
        if not any(t & s == t for t in kept):
            kept.append(s)
    return kept


def _min_hitting_set(sets: list[int], forced: int, budget: _Budget) -> int:
    """A smallest superset of ``forced`` that meets every set in ``sets`` (branch and bound)."""
    unhit0 = _reduce([s for s in sets if not s & forced])
    # Greedy upper bound: the variable in the most unhit sets, repeatedly.
    best = forced
    rest = unhit0
    while rest:
        counts: dict[int, int] = {}
        for s in rest:
            for v in _bits(s):
                counts[v] = counts.get(v, 0) + 1
        v = max(counts, key=lambda u: (counts[u], -u))
        best |= 1 << v
        rest = [s for s in rest if not s >> v & 1]
    best_size = _popcount(best)

    def packing(unhit: list[int]) -> int:
        # Disjoint sets each need their own variable: a lower bound.
        used, count = 0, 0
        for s in unhit:
            if not s & used:
                used |= s
                count += 1
        return count

    def search(chosen: int, excluded: int, unhit: list[int]) -> None:
        nonlocal best, best_size
        budget.tick()
        size = _popcount(chosen)
        if not unhit:
            if size < best_size:
                best, best_size = chosen, size
            return
        if size + packing(unhit) >= best_size:
            return
        target = min(unhit, key=lambda s: _popcount(s & ~excluded))
        options = _bits(target & ~excluded)
        if not options:
            return
        frequency = {v: sum(1 for s in unhit if s >> v & 1) for v in options}
        for v in sorted(options, key=lambda u: (-frequency[u], u)):
            bit = 1 << v
            search(chosen | bit, excluded, [s for s in unhit if not s & bit])
            excluded |= bit

    search(forced, 0, sorted(unhit0, key=_popcount))
    return best


def _support_mask(D: _Determination, budget: _Budget, name: str) -> tuple[int, int]:
    """(a smallest determining set, the necessary variables), as bitmasks."""
    bad = D.pairs(D.key_of(D.full))
    if bad.shape[0]:
        m1, m2 = (int(v) for v in bad[0])
        raise InvalidValueError(
            f"the variables do not determine {name}: states {m1} and {m2} agree on every "
            f"variable but lie in different blocks"
        )
    D.cache[D.full] = []
    necessary = D.necessary()
    while True:
        candidate = _min_hitting_set(D.pool, necessary, budget)
        if D.determines(candidate):
            return candidate, necessary


def _names_of(record: Variables, mask: int) -> tuple[str, ...]:
    return tuple(record.names[j] for j in _bits(mask))


def _labels(system: System, alpha: Any, name: str) -> Partition:
    return system._partition(alpha, name)


def support(system: System, alpha: Any, *, budget: int = SUPPORT_BUDGET) -> tuple[str, ...]:
    """The fewest variables whose values determine the block of ``alpha``.

    Parameters
    ----------
    system : System
        A system with variables (:attr:`~abstractions.System.variables`).
    alpha : Partition or array_like
        The abstraction (one block label per state).
    budget : int, default SUPPORT_BUDGET
        Nodes of the exact search allowed (see the module notes); the
        search is needed only when the necessary variables do not already
        determine ``alpha``.

    Returns
    -------
    tuple of str
        The variables, in the system's order. When several sets of the
        smallest size determine ``alpha``, one of them.

    Raises
    ------
    InvalidValueError
        If the system has no variables, or even all variables together do
        not determine ``alpha`` (two states agree on every variable but lie
        in different blocks; the message names them).
    TooLargeError
        If the search needs more than ``budget`` nodes.

    Notes
    -----
    ``V`` determines ``alpha`` when ``alpha <= variable_abstraction(V)``
    in the information order. A variable is necessary when all the others
    do not determine ``alpha``; each necessary variable is in every
    determining set (monotonicity), so ``k + 1`` passes over the states
    settle the common case where they determine ``alpha``.

    Examples
    --------
    >>> from abstractions import Computation, Partition
    >>> C = Computation([1, 2, 3, 0], variables={"hi": [0, 0, 1, 1], "lo": [0, 1, 0, 1],
    ...                                          "sum": [0, 1, 1, 2]})
    >>> support(C, Partition([0, 0, 1, 1]))       # the high bit
    ('hi',)
    >>> support(C, Partition([0, 1, 1, 0]))       # hi xor lo: sum alone does it
    ('sum',)
    """
    S = as_system(system)
    record = require_variables(S)
    P = _labels(S, alpha, "alpha")
    D = _Determination(record, P.labels)
    mask, _ = _support_mask(D, _Budget(as_count(budget, "budget"), "support"), "alpha")
    return _names_of(record, mask)


# ---------------------------------------------------------------------- cone of influence

_HOW = ("auto", "syntactic", "semantic")


def _computation(system: Any, name: str) -> Computation:
    if isinstance(system, System) and not isinstance(system, Computation):
        raise InvalidTypeError(
            f"{name} needs a Computation (one step per state), got a {system.kind} system"
        )
    result: Computation = as_system(system, "system", Computation)
    return result


def _next_labels(C: Computation, record: Variables, j: int) -> Ids:
    """The code of variable ``j`` after one step, per state (halted states keep theirs)."""
    out: Ids = record.codes[j][C.step]
    return out


def _reads(C: Computation, record: Variables, how: str, budget: int) -> list[int]:
    """For each variable, the bitmask of the variables its next value reads."""
    if how == "auto":
        how = "syntactic" if record.reads is not None else "semantic"
    if how == "syntactic":
        graph = record.reads
        if graph is None:
            raise InvalidValueError(
                "the computation has no update expressions to read dependencies from "
                "(build it with Computation.from_sympy), so only how='semantic' works"
            )
        index = {v: j for j, v in enumerate(record.names)}
        masks = []
        for v in record.names:
            masks.append(sum(1 << index[u] for u in graph.get(v, (v,))))
        return masks
    masks = []
    for j in range(len(record.names)):
        D = _Determination(record, _next_labels(C, record, j))
        mask, _ = _support_mask(
            D, _Budget(budget, "cone_of_influence"), f"the next value of {record.names[j]!r}"
        )
        masks.append(mask)
    return masks


def _closure(start: int, reads: list[int]) -> int:
    closed, todo = start, _bits(start)
    while todo:
        j = todo.pop()
        new = reads[j] & ~closed
        closed |= new
        todo += _bits(new)
    return closed


def cone_of_influence(
    system: Computation, variables: Any, *, how: str = "auto", budget: int = SUPPORT_BUDGET
) -> tuple[str, ...]:
    """The variables that the next values of ``variables`` read, closed under that relation.

    Parameters
    ----------
    system : Computation
        A computation with variables.
    variables : str or sequence of str
        Where to start.
    how : {"auto", "syntactic", "semantic"}
        ``"syntactic"``: from the update expressions of a sympy computation
        (``v`` reads the free symbols of its next-value expression and of
        the halting condition; a variable left unchanged reads only
        itself). ``"semantic"``: from the state table, the :func:`support`
        of each variable's next value (which accounts for halting, as a
        halted state keeps its values). ``"auto"``: syntactic where the
        expressions are known.
    budget : int, default SUPPORT_BUDGET
        For the semantic supports.

    Returns
    -------
    tuple of str
        The closure, in the system's order. Its
        :func:`~abstractions.variables.variable_abstraction` is complete: the
        next values of the variables it keeps are functions of them.

    Raises
    ------
    UnknownVariableError
        For a name that is not a variable.
    InvalidValueError
        For ``how="syntactic"`` without update expressions, or an unknown
        ``how``.

    Examples
    --------
    >>> import sympy
    >>> from abstractions import Computation
    >>> x, y, z = sympy.symbols("x y z")
    >>> C = Computation.from_sympy({x: 4, y: 4, z: 2}, {x: (x + y) % 4, y: y, z: 1 - z})
    >>> cone_of_influence(C, "x")
    ('x', 'y')
    >>> cone_of_influence(C, "z", how="semantic")
    ('z',)
    """
    C = _computation(system, "cone_of_influence")
    record = require_variables(C)
    if how not in _HOW:
        raise InvalidValueError(f"how must be one of {', '.join(map(repr, _HOW))}, got {how!r}")
    chosen = variable_names(C, variables)
    start = sum(1 << record.index(v) for v in chosen)
    return _names_of(record, _closure(start, _reads(C, record, how, as_count(budget, "budget"))))


# ------------------------------------------------------------------- minimal variable abstractions

_METHODS = ("cone", "greedy", "exact")


@dataclass(frozen=True, eq=False)
class VariableAbstraction:
    """The result of :func:`minimal_variable_abstraction`.

    Attributes
    ----------
    variables : tuple of str
        The variables kept, in the system's order.
    partition : Partition
        Their :func:`~abstractions.variables.variable_abstraction`: complete,
        and at least ``beta``.
    method : str
        ``"cone"``, ``"greedy"`` or ``"exact"``.
    optimal : bool
        Whether no smaller set of variables works: always for ``"exact"``;
        for the others when the size meets the lower bound.
    lower_bound : int
        No set of fewer variables works: the size of the support of the
        minimal complete abstraction above ``beta`` (a complete abstraction
        above ``beta`` is above it), or more after an exact search.
    """

    variables: tuple[str, ...]
    partition: Partition
    method: str
    optimal: bool
    lower_bound: int

    def __repr__(self) -> str:
        proven = "optimal" if self.optimal else f"lower bound {self.lower_bound}"
        return (
            f"<VariableAbstraction ({self.method}, {proven}): {', '.join(self.variables)}; "
            f"{self.partition.n_blocks} blocks>"
        )


class _Search:
    """Shared state of the methods: the system, beta, the minimal complete abstraction."""

    def __init__(self, C: Computation, record: Variables, beta: Partition, budget: int) -> None:
        self.C = C
        self.record = record
        self.beta = beta
        self.k = len(record.names)
        self.budget = budget
        self.M = minimal_complete_abstraction(C, beta)
        self.keeps = _Determination(record, self.M.labels)
        support_mask, necessary = _support_mask(
            self.keeps, _Budget(budget, "minimal_variable_abstraction"), "the minimal complete "
            "abstraction above beta"
        )
        self.support = support_mask
        self.necessary = necessary
        self.lower = _popcount(support_mask)
        self.complete_cache: dict[int, bool] = {}

    def partition(self, mask: int) -> Partition:
        labels, count = key_labels(self.record, _bits(mask))
        return Partition._from_canonical(labels, count)

    def determines(self, mask: int) -> bool:
        """Whether the variables keep the minimal complete abstraction (so beta)."""
        return self.keeps.determines(mask)

    def complete(self, mask: int) -> bool:
        known = self.complete_cache.get(mask)
        if known is None:
            known = self.complete_cache[mask] = is_complete(self.C, self.partition(mask))
        return known

    def violations(self, mask: int) -> int:
        """How far the variables are from complete: blocks the completion operator adds."""
        P = self.partition(mask)
        return P.pullback(self.C.step).join(P).n_blocks - P.n_blocks

    def works(self, mask: int) -> bool:
        return self.determines(mask) and self.complete(mask)


def _greedy(search: _Search) -> int:
    full = (1 << search.k) - 1
    mask = search.support
    while not search.works(mask):
        rest = _bits(full & ~mask)
        if not rest:
            raise InvalidValueError(
                "no set of variables gives a complete abstraction that keeps beta: even all "
                "variables together do not (they do not determine the states' successors)"
            )
        scores = {v: search.violations(mask | 1 << v) for v in rest}
        mask |= 1 << min(rest, key=lambda v: (scores[v], v))
    # Drop what the later choices made unnecessary, last added first.
    for v in sorted(_bits(mask & ~search.necessary), reverse=True):
        smaller = mask & ~(1 << v)
        if search.works(smaller):
            mask = smaller
    return mask


def _exact(search: _Search, upper: int) -> tuple[int, int]:
    """A smallest working set below ``upper`` (or ``upper`` itself) and the proven lower bound."""
    budget = _Budget(search.budget, "minimal_variable_abstraction(method='exact')")
    # A complete variable abstraction determines the next value of each variable it keeps,
    # so it contains the necessary variables of each of those next values.
    needs: dict[int, int] = {}

    def need(j: int) -> int:
        if j not in needs:
            D = _Determination(search.record, _next_labels(search.C, search.record, j))
            bad = D.pairs(D.key(range(D.k)))
            if bad.shape[0]:
                needs[j] = -1  # no set of variables determines it: j cannot be kept
            else:
                needs[j] = D.necessary()
        return needs[j]

    def forced(mask: int) -> int:
        closed, todo = mask, _bits(mask)
        while todo:
            j = todo.pop()
            extra = need(j)
            if extra < 0:
                return -1
            extra &= ~closed
            closed |= extra
            todo += _bits(extra)
        return closed

    base = forced(search.necessary)
    best = upper
    if base < 0:
        return best, _popcount(best)
    lower = max(search.lower, _popcount(base))
    free = _bits(((1 << search.k) - 1) & ~base)
    for size in range(lower, _popcount(best)):
        for extra in combinations(free, size - _popcount(base)):
            budget.tick()
            mask = base | sum(1 << v for v in extra)
            closed = forced(mask)
            if closed != mask:  # not closed under the necessary reads: a larger set is tried too
                continue
            if search.works(mask):
                return mask, size
        lower = size + 1
    return best, _popcount(best)


def minimal_variable_abstraction(
    system: Computation,
    beta: Any,
    *,
    method: str = "greedy",
    budget: int = SUPPORT_BUDGET,
) -> VariableAbstraction:
    """The fewest variables whose abstraction is complete and keeps ``beta``.

    Parameters
    ----------
    system : Computation
        A computation with variables.
    beta : Partition or array_like
        What to keep.
    method : {"greedy", "cone", "exact"}
        ``"cone"``: the :func:`cone_of_influence` of the :func:`support` of
        ``beta``. ``"greedy"``: start from the support of the minimal
        complete abstraction above ``beta`` and add, while the abstraction
        is not complete, the variable that leaves the fewest violations
        (blocks the completion operator still splits), then drop variables
        that became unnecessary. ``"exact"``: the greedy answer, then a
        search over smaller sets (each must contain the necessary variables
        of the next values of its own variables), with a budget.
    budget : int, default SUPPORT_BUDGET
        Candidate sets and search nodes allowed; beyond it,
        :class:`~abstractions.TooLargeError`.

    Returns
    -------
    VariableAbstraction
        The variables, their partition, the method and whether the answer
        is proven optimal.

    Raises
    ------
    InvalidValueError
        If the system has no variables, or no set of variables works (the
        variables do not determine the successors), or an unknown method.
    TooLargeError
        If a search needs more than ``budget`` steps.

    Notes
    -----
    Keeping ``beta`` is monotone in the set of variables, completeness is
    not (a variable added may read one that is left out), which is why the
    smallest set is NP-hard to find in general. Every complete abstraction
    above ``beta`` is above the minimal complete one ``M``, so the support
    of ``M`` is a lower bound.

    Examples
    --------
    A counter whose low digit carries into the high one, and a flag that
    copies the low digit's parity. To keep "is the low digit zero", the
    low digit alone is complete:

    >>> import sympy
    >>> from abstractions import Computation, Partition
    >>> hi, lo, odd = sympy.symbols("hi lo odd")
    >>> C = Computation.from_sympy(
    ...     {hi: 3, lo: 4, odd: 2},
    ...     {hi: (hi + sympy.floor((lo + 1) / 4)) % 3, lo: (lo + 1) % 4, odd: (lo + 1) % 2})
    >>> beta = Partition.kernel(C.values("lo") == 0)
    >>> found = minimal_variable_abstraction(C, beta, method="exact")
    >>> found.variables, found.optimal
    (('lo',), True)
    >>> minimal_variable_abstraction(C, Partition.kernel(C.values("hi")), method="cone").variables
    ('hi', 'lo')
    """
    C = _computation(system, "minimal_variable_abstraction")
    record = require_variables(C)
    if method not in _METHODS:
        raise InvalidValueError(
            f"method must be one of {', '.join(map(repr, _METHODS))}, got {method!r}"
        )
    B = _labels(C, beta, "beta")
    limit = as_count(budget, "budget")
    search = _Search(C, record, B, limit)
    if method == "cone":
        start = _Determination(record, B.labels)
        beta_support, _ = _support_mask(start, _Budget(limit, "support"), "beta")
        mask = _closure(beta_support, _reads(C, record, "auto", limit))
        lower = search.lower
    elif method == "greedy":
        mask = _greedy(search)
        lower = search.lower
    else:
        mask, lower = _exact(search, _greedy(search))
    size = _popcount(mask)
    optimal = method == "exact" or size <= lower
    return VariableAbstraction(
        _names_of(record, mask), search.partition(mask), method, optimal,
        size if optimal else lower,
    )
