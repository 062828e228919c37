"""Minimal complete abstractions: the least fixed point of the completion operator.

``completion(S, P) = P | ker(F(P) . xi)`` is monotone and extensive, and its
fixed points are exactly the complete abstractions. By Knaster--Tarski the
complete abstractions above any ``beta`` form a complete lattice; its least
element -- the *minimal complete abstraction above beta* -- is the limit of
``beta <= C(beta) <= C(C(beta)) <= ...``, reached after fewer than ``n``
steps because each step that changes anything adds a block. This module
computes it (:func:`minimal_complete_abstraction`, fast, for every kind of
system) and, for small systems, the whole lattice
(:func:`complete_abstractions`).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from abstractions._engine.choice import FUNCTION_METHODS, METHODS, solve
from abstractions._engine.relation import QuotientRows, Relation, round_weights
from abstractions._engine.relation import completion as completion_rounds
from abstractions._validation import Ids, as_count
from abstractions.completeness import abstract_computation, completion
from abstractions.exceptions import InvalidTypeError, InvalidValueError, TooLargeError
from abstractions.keep import output_abstraction
from abstractions.partition import Partition
from abstractions.progress import ProgressBar, counted, progress_bar
from abstractions.system import System, as_system

__all__ = [
    "METHODS",
    "SYSTEM_METHODS",
    "minimal_complete_abstraction",
    "complete_abstractions",
    "minimize",
    "Minimized",
]

#: The methods that work for every kind of system (``"linear"`` and
#: ``"doubling"`` need the transition to be one function).
SYSTEM_METHODS: tuple[str, ...] = tuple(m for m in METHODS if m not in FUNCTION_METHODS)

#: By default a bar is considered from this many states plus transitions
#: on (smaller minimisations take well under a second by every method but
#: the reference, and the bar also waits for a second of work).
_PROGRESS_WORK = 1_000_000
#: A bar that is off (it keeps no state while off, so one serves every call).
_OFF = ProgressBar(False)


def _reference(system: System, beta: Partition, bar: ProgressBar) -> Partition:
    """Kleene iteration ``beta, C(beta), C(C(beta)), ...`` to the fixed point."""
    alpha = beta
    while True:
        nxt = completion(system, alpha)
        if nxt == alpha:
            return alpha
        alpha = nxt
        bar.update(1, counted(alpha.n_blocks, "block"))


def minimal_complete_abstraction(
    system: System,
    beta: Any,
    *,
    method: str = "auto",
    schedule: Any = None,
    rounds: int | None = None,
    progress: bool | None = None,
) -> Partition:
    """The least complete abstraction that keeps the information ``beta``.

    Parameters
    ----------
    system : System
        A :class:`~abstractions.Computation` or any
        :class:`~abstractions.TransitionSystem`.
    beta : Partition or array_like
        The information to keep, e.g. :func:`~abstractions.output_abstraction`.
    method : str, default "auto"
        One of :data:`METHODS`, the same names for every kind:

        - ``"auto"``: the fastest correct method for the system's shape and
          size: small systems in numpy (no kernel is compiled), a function
          by ``"linear"``, the other kinds by signature rounds while they
          triple the blocks, then ``"splitters"``.
        - ``"linear"`` (a function only): O(n) time and about 25 bytes of
          scratch per state; cycles are classified by the least rotation of
          their label word, trees class by class.
        - ``"doubling"`` (a function only): pointer doubling, at most
          ``ceil(log2 n) + 1`` rounds of one gather and one relabel.
        - ``"rounds"``: whole rounds of the completion operator on arrays
          (Moore's rounds for a function), one per step of the longest
          distinguishing path (``n`` on a chain).
        - ``"splitters"``: one round, then Paige--Tarjan splitters,
          O(m log n) whatever the shape.
        - ``"reference"``: the literal Kleene iteration of
          :func:`~abstractions.completion` over :class:`Partition` objects
          (readable, the oracle of the tests; up to ``n`` rounds).

        Every method returns the same canonical partition.
    schedule : array_like of bool, optional
        Apply the abstract step only at the scheduled states (checkpoints):
        the abstraction is then one of the first-return system
        ``induced, index = first_return(system, schedule)``. ``beta`` is
        still given on the system's states; it is kept on the scheduled
        ones, and the sink of ``induced`` (runs that never come back) is a
        block of its own. The result is a partition of ``induced``'s states,
        in the order of ``index``; carry it back to every state of a
        Computation with ``P.pullback(first_entry(system, schedule))``.
        With ``schedule = C.halted`` that is exactly
        :func:`~abstractions.finish_abstraction`.
    rounds : int, optional
        Stop after this many rounds of the completion operator:
        ``C^rounds(beta)``, the partition of states that no path of at most
        ``rounds`` steps tells apart (k-bisimulation). It is not complete
        in general; it is the answer when the iteration stops earlier.
        Computed by whole rounds, whatever ``method`` says.
    progress : bool or None
        A bar counting steps, with the current number of blocks beside the
        count: by default on an interactive terminal or notebook, for
        systems of at least a million states plus transitions (a thousand
        states for ``"reference"``), once the work has taken a second;
        True or False forces it
        (:mod:`abstractions.progress`). A step is a round of the completion
        operator that splits a block for ``"rounds"``, ``"reference"`` and
        ``rounds=`` (so the count is the least ``rounds`` that gives the
        result), a doubling round for ``"doubling"``, a signature round
        that splits a block for ``"splitters"``, and for ``"auto"`` the
        steps of what it runs (rounds in numpy on small systems, then
        ``"linear"`` or signature rounds and splitters). A compiled kernel
        (the whole of ``"linear"``, the splitter phase) counts one step
        when it returns and shows nothing while it runs. The number of
        steps is not known in advance, so the bar has no total. Checked
        once per round: no cost per state.

    Returns
    -------
    Partition
        Complete, ``>= beta``, and ``<=`` every complete partition ``>= beta``
        (of ``induced`` when a schedule is given; with ``rounds``:
        ``C^rounds(beta)``).

    Raises
    ------
    InvalidValueError
        For an unknown ``method``, or a function-only method on a system
        whose transition is not one function.
    SizeMismatchError
        If ``beta`` is not over the system's states.

    See Also
    --------
    complete_abstractions : all complete abstractions above ``beta`` (small n).

    Notes
    -----
    Knaster--Tarski: the completion operator ``C`` is monotone on the
    complete lattice of partitions, so its fixed points above ``beta`` form a
    complete lattice. Since ``C`` is also extensive, the chain
    ``beta <= C(beta) <= ...`` is increasing; on a finite lattice it stops at
    a fixed point ``alpha``, and by induction ``C^k(beta) <= gamma`` for every
    fixed point ``gamma >= beta``, so ``alpha`` is the least one. This is the
    coarsest stable refinement of ``beta`` (partition refinement, as in DFA
    minimisation and bisimulation).

    Examples
    --------
    A counter mod 16; keeping "value mod 4" needs only 4 abstract states,
    keeping "value == 0" needs all 16:

    >>> import numpy as np
    >>> from abstractions import Computation, Partition
    >>> C = Computation((np.arange(16) + 1) % 16)
    >>> minimal_complete_abstraction(C, Partition.kernel(np.arange(16) % 4)).n_blocks
    4
    >>> minimal_complete_abstraction(C, Partition.kernel(np.arange(16) == 0)).n_blocks
    16

    Checking in only at multiples of 4, "value == 0" needs 4 checkpoint
    classes (0, 4, 8, 12) and the sink:

    >>> minimal_complete_abstraction(C, Partition.kernel(np.arange(16) == 0),
    ...                              schedule=np.arange(16) % 4 == 0).n_blocks
    5

    Two rounds of the completion operator tell apart what two steps show:

    >>> two = minimal_complete_abstraction(C, Partition.kernel(np.arange(16) == 0), rounds=2)
    >>> [b.tolist() for b in two.blocks() if len(b) == 1]      # "0", "1 to go", "2 to go"
    [[0], [14], [15]]
    """
    S = as_system(system)
    if not isinstance(method, str):
        raise InvalidTypeError(f"method must be a string, got {type(method).__name__}")
    if method not in METHODS:
        raise InvalidValueError(
            f"unknown method {method!r}; choose one of {', '.join(map(repr, METHODS))}"
        )
    start = S._partition(beta, "beta")
    if schedule is not None:
        S, start = _on_schedule(S, start, schedule)
    limit = None if rounds is None else as_count(rounds, "rounds")
    if method == "reference" and limit is None:
        # Up to n rounds over Partition objects: the bar is considered sooner.
        with _bar(progress, S.n * S.n) as bar:
            result = _reference(S, start, bar)
            bar.update(0, counted(result.n_blocks, "block"))
        return result
    rel = S._relation()
    if limit is None and method in FUNCTION_METHODS and not rel.is_function:
        raise InvalidValueError(
            f"method {method!r} needs a system whose transition is one function (a "
            f"Computation); this {S.kind} system is not one: choose one of "
            f"{', '.join(map(repr, SYSTEM_METHODS))}"
        )
    rows: list[QuotientRows] = []
    with _bar(progress, rel.n + rel.m) as bar:
        if limit is not None:
            labels, count = start.labels, start.n_blocks
            for _ in range(limit):
                new, new_count = completion_rounds(rel, labels, count)
                if new_count == count:
                    break
                labels, count = new, new_count
                bar.update(1, counted(count, "block"))
        else:
            labels, count = solve(rel, start.labels, start.n_blocks, method, bar, rows=rows)
        bar.update(0, counted(count, "block"))
    result = Partition._from_canonical(labels, count)
    if limit is None:
        # Every engine returns the least complete partition: the quotient
        # of this very partition need not check it again, nor build the
        # rows that the engine's own check built.
        S._certify_complete(result, rows[0] if rows else None)
    return result


class Minimized(NamedTuple):
    """What :func:`minimize` returns: ``(system, partition, states)``."""

    #: The minimal system: the quotient of the kept states by ``partition``.
    system: Any
    #: The minimal complete abstraction, over the kept states (state ``i`` is ``states[i]``).
    partition: Partition
    #: The kept states of the original system, increasing (all of them without ``reachable``).
    states: Ids


def minimize(
    system: System, beta: Any = None, *, reachable: bool = True, method: str = "auto"
) -> Minimized:
    """The minimal system that keeps ``beta``, on the states reachable from the inputs.

    One call for what a user of automata libraries expects from
    "minimise": restrict to the reachable states
    (:meth:`~abstractions.System.restrict_to_reachable`), take the minimal
    complete abstraction above ``beta`` there
    (:func:`minimal_complete_abstraction`), and build the quotient
    (:func:`~abstractions.abstract_computation`). Written against the
    :class:`~abstractions.System` API alone, so it works for every kind.

    Parameters
    ----------
    system : System
        A :class:`~abstractions.Computation` or any
        :class:`~abstractions.TransitionSystem` (its ``inputs`` are the
        start states; by default every state is one).
    beta : Partition or array_like, optional
        The information to keep, over *all* of ``system``'s states (it is
        restricted to the kept ones). By default the output:
        :func:`~abstractions.output_abstraction` of the kept system (so the
        minimal DFA of an accept/reject output, the minimal Moore machine,
        the output-respecting bisimulation or lumping).
    reachable : bool, default True
        Keep only the states reachable from the inputs; False keeps every
        state.
    method : str, default "auto"
        As for :func:`minimal_complete_abstraction`.

    Returns
    -------
    Minimized
        ``(system, partition, states)``: the minimal system (of the same
        kind, one state per block, inputs and outputs carried over as by
        :func:`~abstractions.abstract_computation`); the minimal complete
        abstraction of the kept system above ``beta``; and the original
        ids of the kept states, so that original state ``states[i]`` lies
        in block ``partition.labels[i]``.

    Raises
    ------
    SizeMismatchError
        If ``beta`` is not over the system's states.
    InvalidValueError
        For an unknown ``method``.

    See Also
    --------
    minimal_complete_abstraction : the partition alone, over every state.

    Notes
    -----
    The states reachable from the inputs are closed under the transitions,
    so the restriction is a system of the same kind. On the kept states its
    minimal complete abstraction equals the restriction of the whole
    system's (whether two states are told apart depends only on the states
    reachable from them); what the call adds is dropping the unreachable
    states and their blocks, which makes the quotient the minimal machine.

    Examples
    --------
    A partial DFA over ``a, b`` from state 0; state 3 is unreachable, and 1
    and 2 both accept and have no transition at all:

    >>> from abstractions import TransitionSystem
    >>> T = TransitionSystem.labelled({"a": [1, -1, -1, 0], "b": [2, -1, -1, 3]},
    ...                               output=[False, True, True, False], inputs=[0])
    >>> small, partition, states = minimize(T)
    >>> states, partition.labels, small.steps
    (array([0, 1, 2]), array([0, 1, 1]), array([[ 1, -1],
           [ 1, -1]]))
    """
    if not isinstance(reachable, (bool, np.bool_)):
        raise InvalidTypeError(f"reachable must be True or False, got {reachable!r}")
    S = as_system(system)
    # Check beta against the whole system before restricting it.
    given = None if beta is None else S._partition(beta, "beta")
    if reachable:
        kept, states = S.restrict_to_reachable()
    else:
        kept, states = S, np.arange(S.n, dtype=np.int64)
    if given is None:
        start = output_abstraction(kept)
    else:
        start = Partition.from_labels(given.labels[states])
    partition = minimal_complete_abstraction(kept, start, method=method)
    quotient, _ = abstract_computation(kept, partition)
    return Minimized(quotient, partition, states)


def _bar(progress: Any, work: int) -> ProgressBar:
    """The progress bar of :func:`minimal_complete_abstraction` (see its ``progress``)."""
    if progress is None and work < _PROGRESS_WORK:
        return _OFF  # the default on small systems: not even a bar object to build
    return progress_bar(
        progress, desc="minimising", unit="steps", work=work, threshold=_PROGRESS_WORK
    )


def _on_schedule(S: System, beta: Partition, schedule: Any) -> tuple[System, Partition]:
    """The first-return system of ``S`` on ``schedule``, and ``beta`` on its states."""
    from abstractions.steps import first_return

    induced, index = first_return(S, schedule)
    labels = np.empty(index.shape[0], dtype=np.int64)
    labels[:-1] = beta.labels[index[:-1]]
    # The sink is no state of S: it observes that the run never comes back.
    labels[-1] = beta.n_blocks
    return induced, Partition.from_labels(labels)


def _bell_at_most(k: int, cap: int) -> int:
    """The Bell number B(k), or ``cap + 1`` as soon as it is known to exceed ``cap``.

    Rows of the Bell triangle start with B(i) and increase, so the
    computation stops at the first row past ``cap``: a huge block costs
    nothing to refuse.
    """
    row = [1]
    for _ in range(k):
        if row[-1] > cap:
            return cap + 1
        nxt = [row[-1]]
        for value in row:
            nxt.append(nxt[-1] + value)
        row = nxt
    return row[0]


def _rows(rel: Relation) -> list[list[tuple[int, int, Any, int]]]:
    """Per state, its transitions ``(symbol, target, weight, choice)`` as Python values.

    ``choice`` is the transition's choice for a Markov decision process,
    else the transition's own index.
    """
    sym = rel.symbol_ids().tolist()
    targets = rel.targets.tolist()
    weights = [1] * rel.m if rel.weights is None else rel.weights.tolist()
    choices = list(range(rel.m)) if rel.choices is None else rel.choices.tolist()
    indptr = rel.indptr.tolist()
    return [
        [(sym[j], targets[j], weights[j], choices[j]) for j in range(indptr[s], indptr[s + 1])]
        for s in range(rel.n)
    ]


def _signature_of(rows: list[tuple[int, int, Any, int]], labels: list[int], rel: Relation) -> Any:
    """A state's signature under (partial) ``labels``, as a comparable value."""
    if rel.how == "choices":
        # the set of (action, block distribution) of the state's choices
        grouped: dict[int, list[tuple[int, int, Any, int]]] = {}
        for row in rows:
            grouped.setdefault(row[3], []).append(row)
        floats = rel.weights is not None and rel.weights.dtype.kind == "f"
        inner = Relation(rel.indptr, rel.targets, "round" if floats else "sum", tol=rel.tol)
        return frozenset(
            (group[0][0], _signature_of([(0, t, w, 0) for _, t, w, _ in group], labels, inner))
            for group in grouped.values()
        )
    sums: dict[tuple[int, int], Any] = {}
    for a, t, w, _ in rows:
        key = (a, labels[t])
        sums[key] = sums.get(key, 0) + w
    if rel.how in ("function", "exists"):
        return frozenset(sums)
    if rel.how == "round":
        keys = list(sums)
        rounded = round_weights(np.array([sums[k] for k in keys], dtype=np.float64), rel.tol)
        return frozenset((k, int(r)) for k, r in zip(keys, rounded.tolist()) if r != 0)
    return frozenset(sums.items())


def complete_abstractions(
    system: System, beta: Any = None, *, max_candidates: int = 200_000
) -> list[Partition]:
    """Every complete abstraction above ``beta``: the lattice of the theorem.

    For small systems only: the candidates are all refinements of ``beta``
    (``prod B(|block|)`` of them, B the Bell numbers; every partition of up
    to 10 states is within the default budget). The search is iterative
    (no recursion, whatever ``n``) and prunes a candidate as soon as two
    states of one block with all their successors placed disagree.

    Parameters
    ----------
    system : System
        Any kind.
    beta : Partition or array_like, optional
        The information to keep; by default nothing (the bottom partition).
    max_candidates : int, default 200_000
        Refuse with :class:`~abstractions.TooLargeError` when ``beta`` has more
        refinements than this (which also bounds the memory of the answer).

    Returns
    -------
    list of Partition
        Sorted by number of blocks, then labels, so element 0 is the minimal
        complete abstraction above ``beta`` and the last is the top.

    Raises
    ------
    TooLargeError
        If there are more than ``max_candidates`` partitions above ``beta``.
    SizeMismatchError
        If ``beta`` is not over the system's states.

    Examples
    --------
    A 3-cycle keeping nothing: only the two trivial abstractions are complete.

    >>> from abstractions import Computation
    >>> [str(P) for P in complete_abstractions(Computation([1, 2, 0]))]
    ['0 1 2', '0 | 1 | 2']
    """
    S = as_system(system)
    n = S.n
    start = Partition.bottom(n) if beta is None else S._partition(beta, "beta")
    budget = as_count(max_candidates, "max_candidates")
    count = 1
    for size in start.block_sizes().tolist():
        count *= _bell_at_most(size, budget)
        if count > budget:
            raise TooLargeError(
                f"there are more than max_candidates={budget} partitions above beta "
                f"({n} states, {start.n_blocks} blocks of beta); complete_abstractions "
                f"is for small systems (every beta is fine up to 10 states)"
            )
    rel = S._relation()
    rows = _rows(rel)
    kept = start.labels.tolist()
    # Each completeness constraint (m1 ~ m2 implies equal signatures) is
    # checked as soon as m1, m2 and all their successors have blocks. Only
    # states of one beta-block can share a block, so the pairs stay few.
    checks: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for block in start.blocks():
        members = block.tolist()
        for i, m1 in enumerate(members):
            for m2 in members[i + 1 :]:
                last = max([m2] + [t for _, t, _, _ in rows[m1]] + [t for _, t, _, _ in rows[m2]])
                checks[last].append((m1, m2))
    labels = [0] * n
    block_kept: list[int] = []  # beta-block of each block made so far
    found: list[Partition] = []
    # Iterative depth-first search over restricted growth strings:
    # choice[i] is the next block to try for state i, opened[i] whether its
    # current block is one it opened (and must close when it moves on).
    choice = [0] * (n + 1)
    opened = [False] * (n + 1)
    i = 0
    while i >= 0:
        if i == n:
            found.append(
                Partition._from_canonical(np.array(labels, dtype=np.int64), len(block_kept))
            )
            i -= 1
            continue
        if opened[i]:
            block_kept.pop()
            opened[i] = False
        b = choice[i]
        if b > len(block_kept):
            i -= 1
            continue
        choice[i] = b + 1
        if b < len(block_kept) and block_kept[b] != kept[i]:
            continue  # a refinement of beta never joins two beta-blocks
        labels[i] = b
        if b == len(block_kept):
            block_kept.append(kept[i])
            opened[i] = True
        if all(
            labels[m1] != labels[m2]
            or _signature_of(rows[m1], labels, rel) == _signature_of(rows[m2], labels, rel)
            for m1, m2 in checks[i]
        ):
            i += 1
            choice[i] = 0
    found.sort(key=lambda P: (P.n_blocks, P.labels.tolist()))
    return found
