"""The engine's form of a system's transitions, and the completion operator on it.

Every kind of system hands the algorithms one :class:`Relation`: CSR arrays
(the transitions of state ``s`` are ``indptr[s]:indptr[s+1]``, to
``targets[j]``), an optional symbol per transition, and how the transitions
of a state into one block *aggregate* into the observation that a complete
abstraction must preserve:

``"function"``
    one transition per state (a :class:`~abstractions.Computation`): the
    block of the successor;
``"exists"``
    whether there is a transition (on each symbol) into the block: labelled
    deterministic systems (one transition per symbol) and relations
    (bisimulation);
``"sum"``
    the exact sum of integer weights (numerators over the common
    denominator ``den``; ints beyond 64 bits as Python ints): Markov chains
    with exact probabilities (ordinary lumpability);
``"round"``
    the float sum, compared after rounding to a multiple of ``tol``;
``"choices"``
    two levels (a Markov decision process): the transitions are grouped
    into choices (``choices``), each choice's weights aggregate into a
    block distribution (exact numerators, or floats rounded to ``tol``),
    and a state observes the *set* of its choices' (action, distribution)
    pairs (:mod:`abstractions._engine.choices`).

A state's *signature* under a partition is the set of rows
``(symbol, block, aggregate)`` over the blocks its transitions reach, the
aggregate left out where it is 0 (rounded). The completion operator joins a
partition with the kernel of the signature; a partition is complete when
signatures are constant on its blocks. The functions here implement that
from the definition with numpy (the reference the kernels are checked
against): :func:`signature`, :func:`differs`, :func:`completion`,
:func:`reference`, plus :func:`reachable`.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from abstractions._engine.primitives import _small, pair_ids, reach, row_pointers, sequence_ids
from abstractions._validation import Ids, Mask
from abstractions.partition import canonical_labels

__all__ = [
    "AGGREGATIONS",
    "QuotientRows",
    "Relation",
    "function_relation",
    "signature",
    "differs",
    "violation",
    "describe",
    "completion",
    "reference",
    "quotient_rows",
    "quotient_rows_numpy",
    "checked_quotient_rows",
    "kernel_quotient_rows",
    "kernel_rows_agree",
    "rows_of",
    "reachable",
    "round_weights",
    "sort_order",
]

#: The rows of a quotient, one per block (:func:`quotient_rows`): row
#: pointers over the blocks, then each entry's symbol, target block and
#: aggregated weight.
QuotientRows = tuple[Ids, Ids, Ids, np.ndarray]

#: How transitions into one block aggregate (see the module notes).
AGGREGATIONS: tuple[str, ...] = ("function", "exists", "sum", "round", "choices")


@dataclass(frozen=True, eq=False)
class Relation:
    """A system's transitions as the engine sees them.

    Attributes
    ----------
    indptr : numpy.ndarray of int64, shape (n + 1,)
    targets : numpy.ndarray of int64, shape (m,)
        Sorted by (state, symbol, target) within each state.
    how : str
        One of :data:`AGGREGATIONS`.
    symbols : numpy.ndarray of int64 or None
        Symbol id of each transition, or None for one symbol.
    symbol_names : tuple or None
        The user's names of the symbols (for messages).
    weights : numpy.ndarray or None
        ``"sum"``: int64 (or object for ints beyond 64 bits) numerators;
        ``"round"``: float64 probabilities; otherwise None.
    den : int
        ``"sum"``: the common denominator of the weights.
    tol : float
        ``"round"``: the rounding resolution.
    deterministic : bool
        Exactly one transition per symbol, in symbol order, for every state
        (a function or a DFA): signatures are tuples of blocks.
    partial : bool
        At most one transition per symbol, in symbol order (a partial DFA;
        ``deterministic`` is then False): the engine may solve it as the
        DFA whose gaps step into one extra sink state of a block of its own.
    noun : str
        ``"sum"`` and ``"round"``: what a weight is, for messages
        (``"probability"``, ``"rate"``).
    choices : numpy.ndarray of int64 or None
        ``"choices"``: the choice of each transition (nondecreasing, choices
        numbered state by state); the symbol of a transition is its
        choice's action. Otherwise None.
    """

    indptr: Ids
    targets: Ids
    how: str
    symbols: Ids | None = None
    symbol_names: tuple[Any, ...] | None = None
    weights: np.ndarray | None = None
    den: int = 1
    tol: float = 1e-9
    deterministic: bool = False
    partial: bool = False
    noun: str = "probability"
    choices: Ids | None = None

    @property
    def n(self) -> int:
        """Number of states."""
        return int(self.indptr.shape[0] - 1)

    @property
    def m(self) -> int:
        """Number of transitions."""
        return int(self.targets.shape[0])

    @property
    def n_symbols(self) -> int:
        """Number of symbols (1 when unlabelled)."""
        return 1 if self.symbol_names is None else max(len(self.symbol_names), 1)

    @property
    def is_function(self) -> bool:
        """Whether every state has exactly one transition and there is one symbol."""
        return self.how == "function" or (
            self.deterministic and self.n_symbols == 1 and self.m == self.n
        )

    def step(self) -> Ids:
        """The successor of each state (only when :attr:`is_function`)."""
        return self.targets

    def sources(self) -> Ids:
        """The source state of each transition."""
        return np.repeat(np.arange(self.n, dtype=np.int64), np.diff(self.indptr))

    def symbol_ids(self) -> Ids:
        """The symbol id of each transition (zeros when unlabelled)."""
        if self.symbols is None:
            return np.zeros(self.m, dtype=np.int64)
        return self.symbols


def function_relation(step: Ids) -> Relation:
    """The relation of a single step function.

    Examples
    --------
    >>> function_relation(np.array([1, 0])).indptr
    array([0, 1, 2])
    """
    n = step.shape[0]
    return Relation(np.arange(n + 1, dtype=np.int64), step, "function", deterministic=True)


def sort_order(src: Ids, sym: Ids, dst: Ids, n: int, k: int) -> Ids:
    """The order of transitions by (source, symbol, target).

    Examples
    --------
    >>> sort_order(np.array([1, 0]), np.array([0, 0]), np.array([0, 1]), 2, 1)
    array([1, 0])
    """
    if n * k * n < 2**63:
        # One int64 key sorts several times faster than a three-key lexsort.
        key = (src * k + sym) * n + dst
        if key.shape[0] < 2 or bool(np.all(key[1:] >= key[:-1])):
            return np.arange(key.shape[0])
        return np.argsort(key, kind="stable")
    return np.lexsort((dst, sym, src))


def round_weights(values: np.ndarray, tol: float) -> Ids:
    """Float sums as integer multiples of ``tol`` (round half up).

    The caller guarantees ``values / tol`` fits in int64 (systems refuse a
    ``tol`` below ``1e-18``; block sums of probabilities are at most 1).

    Examples
    --------
    >>> round_weights(np.array([0.5, 0.2500000001]), 1e-6)
    array([500000, 250000])
    """
    return np.floor(values * (1.0 / tol) + 0.5).astype(np.int64)


def signature(rel: Relation, labels: Ids, raw: bool = False) -> tuple[Ids, Ids, Ids, np.ndarray]:
    """Rows ``(state, symbol, block, value)`` sorted by state, symbol, block.

    ``value`` aggregates the transitions of ``state`` on ``symbol`` into
    ``block``: 1 ("function", "exists"), the exact numerator sum ("sum"),
    or the float sum rounded to multiples of ``tol`` ("round"; with
    ``raw``, the float sum itself). Rows whose rounded sum is 0 are left
    out: such a state counts as having no transition there.

    Examples
    --------
    >>> rel = function_relation(np.array([1, 2, 2]))
    >>> signature(rel, np.array([0, 0, 1]))[2]
    array([0, 1, 1])
    """
    if rel.choices is not None:
        from abstractions._engine.choices import choice_signature

        return choice_signature(rel, labels)
    src = rel.sources()
    sym = rel.symbol_ids()
    blk = labels[rel.targets]
    k = rel.n_symbols
    order = sort_order(src, sym, blk, max(int(labels.max(initial=0)) + 1, rel.n), k)
    src, sym, blk = src[order], sym[order], blk[order]
    change = np.ones(src.shape[0], dtype=bool)
    change[1:] = (src[1:] != src[:-1]) | (sym[1:] != sym[:-1]) | (blk[1:] != blk[:-1])
    starts = np.flatnonzero(change)
    if rel.how in ("function", "exists"):
        agg: np.ndarray = np.ones(starts.shape[0], dtype=np.int64)
    elif starts.shape[0]:
        assert rel.weights is not None
        agg = np.add.reduceat(rel.weights[order], starts)
        if rel.how == "round":
            rounded = round_weights(agg, rel.tol)
            kept = rounded != 0
            starts = starts[kept]
            agg = agg[kept] if raw else rounded[kept]
    else:
        agg = np.zeros(0, dtype=np.int64 if rel.weights is None else rel.weights.dtype)
    return src[starts], sym[starts], blk[starts], agg


def differs(rel: Relation, labels: Ids, n_blocks: int, reps: Ids) -> Mask:
    """Mask of states whose signature differs from their block's first state's.

    ``reps[b]`` is the first state of block ``b``. Empty exactly when the
    partition is complete.

    Examples
    --------
    >>> rel = function_relation(np.array([1, 2, 3, 0]))
    >>> differs(rel, np.array([0, 1, 1, 1]), 2, np.array([0, 1]))
    array([False, False, False,  True])
    """
    n = rel.n
    if rel.is_function:
        nxt = labels[rel.step()]
        bad: Mask = nxt != nxt[reps][labels]
        return bad
    s_g, a_g, b_g, v_g = signature(rel, labels)
    gstart = np.searchsorted(s_g, np.arange(n + 1, dtype=np.int64))
    glen = np.diff(gstart)
    rep = reps[labels]
    bad = glen != glen[rep]
    cand = np.flatnonzero(~bad & (rep != np.arange(n)) & (glen > 0))
    lens = glen[cand]
    owner = np.repeat(cand, lens)
    offset = np.arange(owner.shape[0], dtype=np.int64) - np.repeat(np.cumsum(lens) - lens, lens)
    i = gstart[owner] + offset
    j = gstart[rep[owner]] + offset
    diff = (a_g[i] != a_g[j]) | (b_g[i] != b_g[j]) | np.asarray(v_g[i] != v_g[j], dtype=bool)
    bad[owner[diff]] = True
    return bad


def violation(rel: Relation, labels: Ids, n_blocks: int, reps: Ids) -> tuple[int, int] | None:
    """``(m1, m2)``: the first state ``m2`` whose signature differs from its block leader ``m1``'s.

    Examples
    --------
    >>> violation(function_relation(np.array([1, 2, 3, 0])), np.array([0, 1, 1, 1]), 2,
    ...           np.array([0, 1]))
    (1, 3)
    """
    bad = np.flatnonzero(differs(rel, labels, n_blocks, reps))
    if bad.size == 0:
        return None
    m2 = int(bad[0])
    return int(reps[labels[m2]]), m2


def describe(rel: Relation, labels: Ids, m1: int, m2: int, name: Any = repr) -> str:
    """Where the signatures of ``m1`` and ``m2`` differ, in words (for error messages).

    ``name(m)`` shows a state.

    Examples
    --------
    >>> describe(function_relation(np.array([1, 2, 3, 0])), np.array([0, 1, 1, 1]), 1, 3)
    'step to 2 (block 1) and 0 (block 0)'
    """
    if rel.is_function:
        t1, t2 = int(rel.targets[m1]), int(rel.targets[m2])
        return (
            f"step to {name(t1)} (block {int(labels[t1])}) and {name(t2)} (block {int(labels[t2])})"
        )
    if rel.choices is not None:
        from abstractions._engine.choices import describe_choices

        return describe_choices(rel, labels, m1, m2, name)
    s_g, a_g, b_g, v_g = signature(rel, labels, raw=True)

    def rows(s: int) -> dict[tuple[int, int], Any]:
        lo, hi = np.searchsorted(s_g, [s, s + 1])
        return {
            (int(a), int(b)): v.item() if isinstance(v, np.generic) else v
            for a, b, v in zip(a_g[lo:hi], b_g[lo:hi], v_g[lo:hi])
        }

    r1, r2 = rows(m1), rows(m2)
    for key in sorted(set(r1) | set(r2)):
        v1, v2 = r1.get(key, 0), r2.get(key, 0)
        if rel.how == "round":
            same = round_weights(np.array([v1, v2], dtype=np.float64), rel.tol)
            if same[0] == same[1]:
                continue
        elif v1 == v2:
            continue
        a, b = key
        on = "" if rel.symbol_names is None else f" on {rel.symbol_names[a]!r}"
        if rel.how in ("sum", "round"):
            if rel.how == "sum":
                v1, v2 = Fraction(v1, rel.den), Fraction(v2, rel.den)
            return f"move{on} into block {b} with {rel.noun} {v1} and {v2}"
        if rel.deterministic:
            return f"step{on} into different blocks"
        return (
            f"state {name(m1)} {'has a' if v1 else 'has no'} successor{on} in block {b} "
            f"and state {name(m2)} {'does' if v2 else 'does not'}"
        )
    return "have different successor blocks"  # pragma: no cover - called on a violation


def quotient_rows(rel: Relation, labels: Ids, reps: Ids) -> QuotientRows:
    """The signature rows of the first state of each block, as rows of the blocks.

    ``labels`` are canonical (numbered by first occurrence) and ``reps``
    their blocks' first states. For a complete partition these are the
    quotient's transitions, sorted,
    as ``(qptr, symbol, target block, aggregate)``: block ``b``'s are
    entries ``qptr[b]:qptr[b+1]``, the quotient's own CSR row pointers.
    Float sums are raw (not rounded). One O(m + k) pass of a kernel
    (:func:`~abstractions._kernels.csr._quotient_rows`) on large relations
    or once it is compiled, else :func:`quotient_rows_numpy`, its twin.

    Examples
    --------
    >>> rel = function_relation(np.array([1, 2, 3, 0]))
    >>> quotient_rows(rel, np.array([0, 1, 0, 1]), np.array([0, 1]))[2]
    array([1, 0])
    """
    from abstractions._kernels import warm

    exact_big = rel.weights is not None and rel.weights.dtype == object
    # The kernel reads one level of rows; an MDP's choices are two.
    if exact_big or rel.how == "choices" or (_small(rel.n + rel.m) and not warm("_quotient_rows")):
        return quotient_rows_numpy(rel, labels, reps)
    return kernel_quotient_rows(rel, labels, reps)


def _kernel_mode(rel: Relation) -> tuple[int, np.ndarray, np.ndarray]:
    """``(mode, int weights, float weights)`` of the row kernels (0 exists, 1 sum, 2 round)."""
    mode = {"function": 0, "exists": 0, "sum": 1, "round": 2}[rel.how]
    no_int = np.zeros(0, dtype=np.int64)
    no_float = np.zeros(0, dtype=np.float64)
    assert mode == 0 or rel.weights is not None
    return (
        mode,
        rel.weights if mode == 1 and rel.weights is not None else no_int,
        rel.weights if mode == 2 and rel.weights is not None else no_float,
    )


def kernel_quotient_rows(rel: Relation, labels: Ids, reps: Ids) -> QuotientRows:
    """:func:`quotient_rows` by the kernel (weights within int64).

    Examples
    --------
    >>> rel = function_relation(np.array([1, 2, 3, 0]))
    >>> kernel_quotient_rows(rel, np.array([0, 1, 0, 1]), np.array([0, 1]))[2]
    array([1, 0])
    """
    from abstractions._kernels import _quotient_rows

    same = _discrete_rows(rel, reps)
    if same is not None:
        return same
    mode, wi, wf = _kernel_mode(rel)
    symbols = np.zeros(0, dtype=np.int64) if rel.symbols is None else rel.symbols
    qptr, sym, dst, vi, vf = _quotient_rows(
        rel.indptr, rel.targets, symbols, wi, wf, mode, 1.0 / rel.tol, labels, reps,
        rel.n_symbols if rel.symbols is not None else 1,
    )
    agg = vi if mode == 1 else vf if mode == 2 else np.ones(dst.shape[0], dtype=np.int64)
    if 2 * dst.shape[0] < rel.m:
        # Few rows (few blocks): compact copies, so that the quotient does
        # not hold the kernel's buffers, sized for every transition.
        dst, agg = dst.copy(), agg.copy()
    if sym.shape[0] != dst.shape[0]:  # one symbol: the kernel writes no zeros
        sym = np.zeros(dst.shape[0], dtype=np.int64)  # untouched pages until read
    return qptr, sym, dst, agg


def _discrete_rows(rel: Relation, reps: Ids) -> QuotientRows | None:
    """The rows of a chain's discrete partition: its own transitions, when they are already rows.

    With every state a block of its own (canonical labels ``0 .. n-1``),
    a state's row is its transitions as they are, if each row's targets
    strictly increase (no repeats to add) and no weight rounds to 0 (none
    to drop); checked here in O(m) numpy. The kernel would sort and copy
    them all (tandem at 10^6 states: 39 ms, against a few). None
    otherwise: a Markov chain or CTMC only, and only when all holds.
    """
    n = rel.n
    # ``reps`` are the first states of canonical labels (what every caller
    # passes): n of them means the labels are 0 .. n-1, nothing to compare.
    if rel.how not in ("sum", "round") or rel.symbols is not None or reps.shape[0] != n:
        return None
    targets, weights = rel.targets, rel.weights
    assert weights is not None
    if weights.dtype == object:  # integers beyond 64 bits: the numpy rows
        return None
    increasing = np.ones(targets.shape[0], dtype=bool)
    np.greater(targets[1:], targets[:-1], out=increasing[1:])
    increasing[rel.indptr[:-1][np.diff(rel.indptr) > 0]] = True  # each row's first
    if not increasing.all():
        return None
    # Weights are not negative (checked when the chain was made), and the
    # rounding is monotone: the least weight tells whether any rounds to 0.
    if rel.how == "round" and targets.shape[0] and (
        np.floor(weights.min() * (1.0 / rel.tol) + 0.5) == 0
    ):
        return None
    return rel.indptr, np.zeros(targets.shape[0], dtype=np.int64), targets, weights


def kernel_rows_agree(rel: Relation, labels: Ids, rows: QuotientRows) -> bool:
    """Whether every state's transitions through ``labels`` equal its block's row (one symbol).

    ``rows`` are :func:`quotient_rows` of ``labels``; so this says whether
    ``labels`` is complete, in one pass (the kernel
    :func:`~abstractions._kernels.csr._rows_agree`).

    Examples
    --------
    >>> rel = Relation(np.array([0, 1, 2, 2]), np.array([1, 2]), "exists")
    >>> labels = np.array([0, 0, 1])
    >>> kernel_rows_agree(rel, labels, kernel_quotient_rows(rel, labels, np.array([0, 2])))
    False
    """
    from abstractions._kernels import _rows_agree

    qptr, _, dst, agg = rows
    mode, wi, wf = _kernel_mode(rel)
    no_int = np.zeros(0, dtype=np.int64)
    no_float = np.zeros(0, dtype=np.float64)
    bad = _rows_agree(
        rel.indptr, rel.targets, wi, wf, mode, 1.0 / rel.tol, labels, qptr, dst,
        agg if mode == 1 else no_int, agg if mode == 2 else no_float,
    )
    return int(bad) < 0


def checked_quotient_rows(
    rel: Relation, labels: Ids, reps: Ids, check: bool = True
) -> tuple[QuotientRows | None, bool | None]:
    """:func:`quotient_rows` and whether every state agrees with them (the partition is complete).

    Two O(m) kernel passes (the rows, then
    :func:`~abstractions._kernels.csr._rows_agree`), where :func:`differs`
    sorts every state's rows. ``(None, None)`` where the kernels do not
    apply (a function, several symbols, integers beyond 64 bits, a small
    relation while the kernels are not compiled): the caller checks with
    :func:`violation` and builds the rows itself. Without ``check`` (the
    partition is known to be complete) only the rows are built.

    Examples
    --------
    >>> rel = Relation(np.array([0, 1, 2]), np.array([1, 0]), "exists")
    >>> checked_quotient_rows(rel, np.array([0, 0]), np.array([0]))[1] in (True, None)
    True
    """
    from abstractions._kernels import warm

    if (
        rel.is_function
        or rel.how == "choices"
        or rel.n_symbols > 1
        or (rel.weights is not None and rel.weights.dtype == object)
        or (_small(rel.n + rel.m) and not warm("_quotient_rows", "_rows_agree"))
    ):
        return None, None
    rows = kernel_quotient_rows(rel, labels, reps)
    return rows, kernel_rows_agree(rel, labels, rows) if check else None


def quotient_rows_numpy(
    rel: Relation, labels: Ids, reps: Ids
) -> QuotientRows:
    """:func:`quotient_rows` in numpy: the representatives' signature (a sort of their rows).

    Examples
    --------
    >>> rel = function_relation(np.array([1, 2, 3, 0]))
    >>> quotient_rows_numpy(rel, np.array([0, 1, 0, 1]), np.array([0, 1]))[2]
    array([1, 0])
    """
    sub = rows_of(rel, reps)
    # Row b of ``sub`` is the first state of block b: the signature of the
    # sub-relation is already sorted by (block, symbol, target block), and
    # only the representatives' transitions are sorted, not all of them.
    src, sym, dst, agg = signature(sub, labels, raw=True)
    return row_pointers(src, reps.shape[0]), sym, dst, agg


def rows_of(rel: Relation, states: Ids) -> Relation:
    """The relation restricted to the transitions of ``states`` (row ``i`` is ``states[i]``).

    Targets keep their original ids, so it is a relation from ``states`` into
    all states; used to look at a few states without touching the others.

    Examples
    --------
    >>> rows_of(function_relation(np.array([1, 2, 0])), np.array([2, 0])).targets
    array([0, 1])
    """
    lengths = np.diff(rel.indptr)[states]
    indptr = np.zeros(states.shape[0] + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    offset = np.arange(indptr[-1], dtype=np.int64) - np.repeat(indptr[:-1], lengths)
    kept = np.repeat(rel.indptr[states], lengths) + offset
    choices = None
    if rel.choices is not None:
        # renumbered 0, 1, ... in the new order (still one run per choice)
        picked = rel.choices[kept]
        change = np.ones(picked.shape[0], dtype=np.int64)
        change[1:] = picked[1:] != picked[:-1]
        choices = np.cumsum(change) - 1
    return Relation(
        indptr,
        rel.targets[kept],
        "exists" if rel.how == "function" else rel.how,
        symbols=None if rel.symbols is None else rel.symbols[kept],
        symbol_names=rel.symbol_names,
        weights=None if rel.weights is None else rel.weights[kept],
        den=rel.den,
        tol=rel.tol,
        deterministic=rel.deterministic,
        partial=rel.partial,
        noun=rel.noun,
        choices=choices,
    )


def _triple_ids(a: Ids, b: Ids, v: np.ndarray) -> tuple[Ids, int]:
    """Canonical ids of the rows ``(a, b, v)`` (``v`` any hashable values)."""
    ka = int(a.max()) + 1 if a.size else 1
    kb = int(b.max()) + 1 if b.size else 1
    ab, kab = pair_ids(a, ka, b, kb)
    vid, kv = canonical_labels(v, "values")
    return pair_ids(ab, kab, vid, kv)


def completion(rel: Relation, labels: Ids, n_blocks: int) -> tuple[Ids, int]:
    """``P | ker(F(P) . xi)`` as canonical labels: states split by their whole signature.

    Examples
    --------
    >>> completion(function_relation(np.array([1, 2, 3, 0])), np.array([0, 1, 1, 1]), 2)
    (array([0, 1, 1, 2]), 3)
    """
    if rel.is_function:
        return pair_ids(labels, n_blocks, labels[rel.step()], n_blocks)
    s_g, a_g, b_g, v_g = signature(rel, labels)
    tid, kt = _triple_ids(a_g, b_g, v_g)
    # A state's label, then its rows position by position: O(number of rows).
    return sequence_ids(s_g, rel.n, tid, kt, seed=(labels, n_blocks))


def reference(rel: Relation, labels: Ids, n_blocks: int) -> tuple[Ids, int]:
    """Kleene iteration of :func:`completion` to its least fixed point above the labels.

    Examples
    --------
    >>> reference(function_relation(np.array([1, 2, 3, 0])), np.array([0, 1, 1, 1]), 2)
    (array([0, 1, 2, 3]), 4)
    """
    while True:
        new, count = completion(rel, labels, n_blocks)
        if count == n_blocks:
            return labels, n_blocks
        labels, n_blocks = new, count


def _reach_csr_numpy(indptr: Ids, targets: Ids, starts: Ids) -> Mask:
    """:func:`reachable` frontier by frontier in numpy (small inputs: no numba).

    One round per level, so up to ``n`` rounds on a chain: only for inputs
    below ``SMALL_INPUT``, where the kernel's compilation would cost more.
    """
    seen = np.zeros(indptr.shape[0] - 1, dtype=np.bool_)
    frontier = np.unique(starts)
    seen[frontier] = True
    while frontier.size:
        lengths = indptr[frontier + 1] - indptr[frontier]
        offsets = np.cumsum(lengths) - lengths
        edges = np.repeat(indptr[frontier] - offsets, lengths) + np.arange(
            int(lengths.sum()), dtype=np.int64
        )
        reached = targets[edges]
        frontier = np.unique(reached[~seen[reached]])
        seen[frontier] = True
    return seen


def reachable(rel: Relation, starts: Ids) -> Mask:
    """Mask of the states reachable from ``starts`` (they included).

    Examples
    --------
    >>> reachable(function_relation(np.array([1, 2, 2, 0])), np.array([0]))
    array([ True,  True,  True, False])
    """
    if rel.is_function:
        return reach(rel.step(), starts)
    if _small(rel.n + rel.m):
        return _reach_csr_numpy(rel.indptr, rel.targets, starts)
    from abstractions._kernels import _reach_csr

    seen: Mask = _reach_csr(rel.indptr, rel.targets, starts)
    return seen
