"""Hypothesis strategies for partitions, computations and transition systems.

Strategies that generate valid :class:`~abstractions.Partition`,
:class:`~abstractions.Computation` and
:class:`~abstractions.TransitionSystem` objects, for property-based tests
of code built on :mod:`abstractions` (and of :mod:`abstractions` itself).
They build valid values directly instead of filtering, and they shrink
towards simple examples: partitions towards one block, transitions
towards state 0, computations towards fewer states, no halting and one
output.

This module is public API for downstream property tests:
:func:`partitions`, :func:`computations`, :func:`transition_systems` and
:func:`complete_partitions` (the complete abstractions of a computation or
system, optionally above a given ``beta``) keep their names and keyword
arguments. It needs `hypothesis <https://hypothesis.readthedocs.io>`_ and
is not imported by ``import abstractions``. Installing
:mod:`abstractions` registers :func:`partitions`, :func:`computations` and
:func:`transition_systems` for ``st.from_type`` through a ``hypothesis``
entry point.

Examples
--------
>>> from hypothesis import given, settings
>>> from abstractions.strategies import partitions
>>> @settings(max_examples=20, database=None)
... @given(partitions(4))
... def test_four_states(p):
...     assert p.n == 4 and p.labels[0] == 0
>>> test_four_states()

A downstream property: every complete abstraction of a drawn computation
has an abstract computation whose square commutes.

>>> from hypothesis import strategies as st
>>> from abstractions import Computation, abstract_computation
>>> @settings(max_examples=20, database=None)
... @given(st.data(), computations(max_states=6))
... def test_square_commutes(data, c):
...     p = data.draw(complete_partitions(c))
...     a, q = abstract_computation(c, p)
...     assert (q.labels[c.step] == a.step[q.labels]).all()
>>> test_square_commutes()
>>> @settings(max_examples=5, database=None)
... @given(st.from_type(Computation))
... def test_registered(c):
...     assert isinstance(c, Computation)
>>> test_registered()
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from abstractions.computation import Computation
from abstractions.partition import Partition
from abstractions.systems import KINDS, TransitionSystem

__all__ = ["partitions", "computations", "transition_systems", "complete_partitions"]


def _hypothesis_setup_hook() -> None:
    """Register the strategies for ``st.from_type`` (hypothesis entry point).

    Defined before this module imports hypothesis, and registering callables
    that look the strategies up when they are first needed: importing
    hypothesis runs its entry points, which import this module, so either
    module may be the one being imported first.
    """
    from hypothesis import strategies as st

    st.register_type_strategy(Partition, lambda _: partitions())
    st.register_type_strategy(Computation, lambda _: computations())
    st.register_type_strategy(TransitionSystem, lambda _: transition_systems())


# Imported after the hook on purpose (see _hypothesis_setup_hook).
from hypothesis import strategies as st  # noqa: E402
from hypothesis.errors import InvalidArgument  # noqa: E402


def _check_count(value: Any, name: str) -> int:
    """Return ``value`` as a non-negative int or raise ``InvalidArgument``."""
    if isinstance(value, bool):
        raise InvalidArgument(f"{name}={value!r} must be an integer, not a bool")
    try:
        count = operator.index(value)
    except TypeError:
        raise InvalidArgument(
            f"{name}={value!r} must be an integer, got {type(value).__name__}"
        ) from None
    if count < 0:
        raise InvalidArgument(f"{name}={count} must be non-negative")
    return count


def _check_range(min_states: Any, max_states: Any) -> tuple[int, int]:
    lo = _check_count(min_states, "min_states")
    hi = _check_count(max_states, "max_states")
    if lo > hi:
        raise InvalidArgument(f"min_states={lo} is larger than max_states={hi}")
    return lo, hi


@st.composite
def _restricted_growth_strings(draw: st.DrawFn, n: int) -> list[int]:
    """Draw a restricted growth string of length ``n``.

    Entry ``i`` lies in ``0 .. max(entries before i) + 1``: exactly the
    canonical (first-occurrence) labels, each partition drawn one way.
    Every entry shrinks towards 0, so examples shrink towards one block.
    """
    labels: list[int] = []
    highest = -1
    for _ in range(n):
        label = draw(st.integers(min_value=0, max_value=highest + 1))
        labels.append(label)
        highest = max(highest, label)
    return labels


def partitions(
    n: int | None = None, *, min_states: int = 0, max_states: int = 10
) -> st.SearchStrategy[Partition]:
    """Return a strategy of partitions.

    Parameters
    ----------
    n : int, optional
        Number of states. When given, every partition is over exactly
        ``n`` states and ``min_states`` / ``max_states`` are ignored;
        otherwise the number of states is drawn.
    min_states, max_states : int
        Bounds on the number of states when ``n`` is not given.

    Returns
    -------
    hypothesis.strategies.SearchStrategy
        Generates :class:`~abstractions.Partition` objects.

    Raises
    ------
    hypothesis.errors.InvalidArgument
        For a negative or non-integer size, or ``min_states > max_states``.

    See Also
    --------
    complete_partitions : complete partitions of a given computation.

    Notes
    -----
    Partitions are drawn as restricted growth strings: the label of state
    ``i`` is drawn from ``0 .. m + 1`` where ``m`` is the largest label of
    the states before it. This is the canonical form, so each partition
    has one encoding, and the strategy shrinks towards the bottom partition
    (one block) and towards fewer states.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from abstractions import Partition
    >>> @settings(max_examples=20, database=None)
    ... @given(partitions(min_states=1, max_states=5))
    ... def test_bounds(p):
    ...     assert Partition.bottom(p.n) <= p <= Partition.top(p.n)
    >>> test_bounds()
    """
    if n is not None:
        size = _check_count(n, "n")
        sizes: st.SearchStrategy[int] = st.just(size)
    else:
        lo, hi = _check_range(min_states, max_states)
        sizes = st.integers(min_value=lo, max_value=hi)
    return sizes.flatmap(_restricted_growth_strings).map(Partition.from_labels)


@st.composite
def _computations(
    draw: st.DrawFn,
    min_states: int,
    max_states: int,
    halting: bool | None,
    max_outputs: int,
    all_inputs: bool | None,
) -> Computation:
    n = draw(st.integers(min_value=min_states, max_value=max_states))
    step = draw(st.lists(st.integers(0, n - 1), min_size=n, max_size=n)) if n else []

    if halting is False or n == 0:
        halted = [False] * n
    else:
        halted = draw(st.lists(st.booleans(), min_size=n, max_size=n))
        if halting is True:
            # At least one halted state, built directly rather than filtered.
            halted[draw(st.integers(0, n - 1))] = True

    k = draw(st.integers(min_value=1, max_value=max_outputs))
    output = draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n))

    subset = all_inputs is False or (all_inputs is None and n > 0 and draw(st.booleans()))
    inputs: dict[int, int] | None = None
    if subset and n > 0:
        starts = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True))
        inputs = {s: s for s in starts}

    return Computation(
        step,
        halted=halted,
        output=output,
        inputs=inputs,
        output_values=tuple(range(k)),
    )


def computations(
    *,
    min_states: int = 1,
    max_states: int = 10,
    halting: bool | None = None,
    max_outputs: int = 3,
    all_inputs: bool | None = None,
) -> st.SearchStrategy[Computation]:
    """Return a strategy of computations.

    Parameters
    ----------
    min_states, max_states : int
        Bounds on the number of states.
    halting : bool or None
        ``True``: at least one state halts; ``False``: no state halts;
        ``None`` (default): the halted states are drawn freely (possibly
        none).
    max_outputs : int
        The number of output values ``k`` is drawn from ``1 .. max_outputs``;
        the output values are ``0 .. k-1`` and each state's output id is
        drawn from them.
    all_inputs : bool or None
        ``True``: every state is an input (``inputs=None``); ``False``: the
        inputs are a drawn non-empty set of states, each input value being
        its start state; ``None`` (default): either.

    Returns
    -------
    hypothesis.strategies.SearchStrategy
        Generates :class:`~abstractions.Computation` objects.

    Raises
    ------
    hypothesis.errors.InvalidArgument
        For negative or non-integer bounds, ``min_states > max_states``,
        ``max_outputs < 1``, or ``min_states == 0`` together with
        ``halting=True`` or ``all_inputs=False`` (a computation without
        states has no halted state and no input).

    Notes
    -----
    Transitions are drawn as integers in ``range(n)`` and shrink towards
    state 0; halted flags shrink towards ``False``. Halted states are
    absorbing (:class:`~abstractions.Computation` stores ``step[m] = m``
    for them), so the drawn transition of a halted state is ignored.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> @settings(max_examples=20, database=None)
    ... @given(computations(max_states=5, halting=True))
    ... def test_some_state_halts(c):
    ...     assert 1 <= c.n <= 5 and c.halted.any()
    >>> test_some_state_halts()
    """
    lo, hi = _check_range(min_states, max_states)
    k = _check_count(max_outputs, "max_outputs")
    if k < 1:
        raise InvalidArgument(f"max_outputs={k} must be at least 1")
    if halting not in (None, True, False):
        raise InvalidArgument(f"halting={halting!r} must be None, True or False")
    if all_inputs not in (None, True, False):
        raise InvalidArgument(f"all_inputs={all_inputs!r} must be None, True or False")
    if lo == 0 and (halting is True or all_inputs is False):
        raise InvalidArgument(
            "min_states=0 allows computations without states, which cannot have "
            "a halted state (halting=True) or a set of inputs (all_inputs=False); "
            "use min_states >= 1"
        )
    return _computations(lo, hi, halting, k, all_inputs)


@st.composite
def _transition_systems(
    draw: st.DrawFn,
    kinds: tuple[str, ...],
    min_states: int,
    max_states: int,
    max_symbols: int,
    max_outputs: int,
    exact: bool | None,
    partial: bool = False,
) -> TransitionSystem:
    kind = draw(st.sampled_from(kinds))
    n = draw(st.integers(min_value=min_states, max_value=max_states))
    state = st.integers(0, n - 1)
    k = draw(st.integers(min_value=1, max_value=max_symbols))
    outputs = draw(st.integers(min_value=1, max_value=max_outputs))
    output = draw(st.lists(st.integers(0, outputs - 1), min_size=n, max_size=n))
    values = tuple(range(outputs))
    if kind == "labelled":
        # -1 (a missing transition) only when asked; it shrinks towards state 0.
        target = st.one_of(state, st.just(-1)) if partial else state
        steps = [draw(st.lists(target, min_size=n, max_size=n)) for _ in range(k)]
        return TransitionSystem.labelled(steps, output=output, output_values=values)
    if kind == "nondeterministic":
        successors = [draw(st.lists(state, max_size=3)) for _ in range(n)]
        labels = None
        if k > 1:
            labels = [
                draw(st.lists(st.integers(0, k - 1), min_size=len(row), max_size=len(row)))
                for row in successors
            ]
        return TransitionSystem.nondeterministic(
            successors, labels=labels, output=output, output_values=values
        )
    use_exact = draw(st.booleans()) if exact is None else exact
    if kind == "ctmc":
        # 0 to 3 rates a row (an empty row is absorbing; a target may be the
        # state itself), small integers or halves: exact ints, or floats
        # whose sums are exact, so equal totals stay equal.
        indptr, targets, rates = [0], [], []
        for _ in range(n):
            row = draw(st.lists(state, max_size=3))
            halves = draw(st.lists(st.integers(1, 6), min_size=len(row), max_size=len(row)))
            targets += row
            rates += [Fraction(h, 2) if use_exact else h / 2 for h in halves]
            indptr.append(len(targets))
        data = np.array(rates, dtype=object if use_exact else np.float64)
        return TransitionSystem.ctmc(
            (np.array(indptr), np.array(targets, dtype=np.int64), data),
            output=output, output_values=values,
        )
    # A Markov chain: 1 to 3 entries a row, small integer weights over the
    # row's total, exact (Fractions) or floats.
    indptr, targets, probabilities = [0], [], []
    for _ in range(n):
        row = draw(st.lists(state, min_size=1, max_size=3))
        weights = draw(st.lists(st.integers(1, 3), min_size=len(row), max_size=len(row)))
        total = sum(weights)
        targets += row
        probabilities += [Fraction(w, total) if use_exact else w / total for w in weights]
        indptr.append(len(targets))
    data = np.array(probabilities, dtype=object if use_exact else np.float64)
    return TransitionSystem.probabilistic(
        (np.array(indptr), np.array(targets, dtype=np.int64), data),
        output=output, output_values=values,
    )


def transition_systems(
    *,
    kinds: Sequence[str] = KINDS,
    min_states: int = 1,
    max_states: int = 8,
    max_symbols: int = 2,
    max_outputs: int = 2,
    exact: bool | None = None,
    partial: bool = False,
) -> st.SearchStrategy[TransitionSystem]:
    """Return a strategy of transition systems.

    Parameters
    ----------
    kinds : sequence of str
        The kinds to draw from (``"labelled"``, ``"nondeterministic"``,
        ``"probabilistic"``, ``"ctmc"``; default all four).
    min_states, max_states : int
        Bounds on the number of states (at least 1).
    max_symbols : int
        Labelled systems draw ``1 .. max_symbols`` symbols; nondeterministic
        ones with more than one are labelled transition systems (an action
        per transition).
    max_outputs : int
        The number of output values is drawn from ``1 .. max_outputs``.
    exact : bool or None
        Markov chains and CTMCs only: ``True`` for Fraction probabilities
        (rates), ``False`` for floats (the default ``tol``), ``None``
        (default) either.
    partial : bool, default False
        Labelled systems may lack transitions (partial DFAs, ``-1`` in
        ``steps``).

    Returns
    -------
    hypothesis.strategies.SearchStrategy
        Generates :class:`~abstractions.TransitionSystem` objects.

    Raises
    ------
    hypothesis.errors.InvalidArgument
        For an unknown or empty ``kinds``, bounds that are not integers,
        ``min_states < 1`` or ``min_states > max_states``, ``max_symbols``
        or ``max_outputs`` below 1, or an ``exact`` that is not a bool or
        None.

    Notes
    -----
    Targets shrink towards state 0, successor lists towards fewer entries
    (a nondeterministic state may have none: a deadlock), and a Markov
    chain's rows towards one entry of probability 1.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from abstractions import minimal_complete_abstraction, is_complete
    >>> @settings(max_examples=20, database=None)
    ... @given(transition_systems(kinds=["probabilistic"], exact=True))
    ... def test_lumping_is_complete(T):
    ...     beta = Partition.from_labels(T.output)
    ...     assert T.exact and is_complete(T, minimal_complete_abstraction(T, beta))
    >>> test_lumping_is_complete()
    """
    if isinstance(kinds, str) or not isinstance(kinds, Sequence):
        raise InvalidArgument(f"kinds={kinds!r} must be a sequence of kinds from {KINDS}")
    chosen = tuple(kinds)
    unknown = [kind for kind in chosen if kind not in KINDS]
    if unknown or not chosen:
        raise InvalidArgument(f"kinds={kinds!r} must be a non-empty sequence from {KINDS}")
    lo, hi = _check_range(min_states, max_states)
    if lo < 1:
        raise InvalidArgument(f"min_states={lo} must be at least 1 (a system has states)")
    symbols = _check_count(max_symbols, "max_symbols")
    outputs = _check_count(max_outputs, "max_outputs")
    if symbols < 1 or outputs < 1:
        raise InvalidArgument(
            f"max_symbols={symbols} and max_outputs={outputs} must be at least 1"
        )
    if exact is not None and not isinstance(exact, bool):
        raise InvalidArgument(f"exact={exact!r} must be None, True or False")
    if not isinstance(partial, bool):
        raise InvalidArgument(f"partial={partial!r} must be True or False")
    return _transition_systems(chosen, lo, hi, symbols, outputs, exact, partial)


def complete_partitions(
    computation: Computation | TransitionSystem, *, above: Partition | None = None
) -> st.SearchStrategy[Partition]:
    """Return a strategy of complete partitions of ``computation``.

    Parameters
    ----------
    computation : Computation or TransitionSystem
        The computation (or system) whose complete partitions are drawn.
    above : Partition, optional
        Draw only complete partitions ``P >= above`` (those that keep at
        least the information of ``above``, e.g. ``output_abstraction(C)``).

    Returns
    -------
    hypothesis.strategies.SearchStrategy
        Generates partitions ``P`` of ``computation.n`` states with
        ``is_complete(computation, P)`` (and ``P >= above``).

    Raises
    ------
    hypothesis.errors.InvalidArgument
        If ``computation`` is not a Computation or TransitionSystem, or
        ``above`` is not a Partition of ``computation.n`` states.

    See Also
    --------
    abstractions.minimal_complete_abstraction

    Notes
    -----
    A partition ``beta`` is drawn with :func:`partitions` and the minimal
    complete abstraction above ``beta | above`` is returned. Every complete
    partition ``P >= above`` arises this way (from ``beta = P``), and the
    strategy shrinks towards the minimal complete abstraction above
    ``above`` (one block by default): the least element of the lattice of
    complete abstractions above it.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from abstractions import Computation, is_complete
    >>> counter = Computation([1, 2, 3, 0])
    >>> @settings(max_examples=20, database=None)
    ... @given(complete_partitions(counter))
    ... def test_complete(p):
    ...     assert is_complete(counter, p)
    >>> test_complete()
    >>> from abstractions import output_abstraction
    >>> C = Computation([1, 2, 3, 0], output=[0, 1, 0, 1])
    >>> @settings(max_examples=20, database=None)
    ... @given(complete_partitions(C, above=output_abstraction(C)))
    ... def test_keeps_output(p):
    ...     assert is_complete(C, p) and p >= output_abstraction(C)
    >>> test_keeps_output()
    """
    from abstractions.minimal import minimal_complete_abstraction

    if not isinstance(computation, (Computation, TransitionSystem)):
        raise InvalidArgument(
            "computation must be a Computation or TransitionSystem, got "
            f"{type(computation).__name__}"
        )
    if above is not None:
        if not isinstance(above, Partition):
            raise InvalidArgument(f"above must be a Partition, got {type(above).__name__}")
        if above.n != computation.n:
            raise InvalidArgument(
                f"above is a partition of {above.n} states, but the computation has "
                f"{computation.n}"
            )
        floor = above
    else:
        floor = Partition.bottom(computation.n)
    return partitions(computation.n).map(
        lambda beta: minimal_complete_abstraction(computation, beta | floor)
    )
