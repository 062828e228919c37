"""State weights: the distribution ``mu`` over states under which errors are measured.

Exact completeness asks the square to commute on *every* state. The
approximate notions (:func:`~abstractions.consistency_error`,
:func:`~abstractions.coarsen`, :func:`~abstractions.interchange_accuracy`)
weigh each state instead, and only the states in the support of ``mu``
count. Which states matter is a modelling choice, so this module offers the
usual ones and a :class:`Weights` record that says which was used:

* :func:`uniform`: every state alike (the default everywhere);
* :func:`reachable`: uniform on the states reachable from the inputs;
* :func:`occupancy`: the expected visits of runs from a distribution over
  inputs, up to a horizon or (for a computation) to the halt;
* :func:`stationary`: the long-run distribution of a Markov chain, exact
  (Fractions) when the chain is exact and small;
* :func:`from_array`: any non-negative array.

Systems other than Markov chains are read as random walks where a
distribution has to move (:func:`occupancy`, :func:`pushforward`): a
labelled system reads a uniformly random symbol, a nondeterministic one
takes a uniformly random successor.

Examples
--------
>>> from abstractions import Computation, weights
>>> C = Computation([1, 2, 2], halted=[False, False, True], inputs=[0])
>>> weights.occupancy(C).values          # the run 0 -> 1 -> 2 visits each state once
array([0.33333333, 0.33333333, 0.33333333])
>>> weights.reachable(Computation([1, 1, 0], inputs=[0])).values
array([0.5, 0.5, 0. ])
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from abstractions._engine.weighted import Floats, push, step_probabilities
from abstractions._validation import as_count, python_value, readonly
from abstractions.exceptions import (
    InvalidTypeError,
    InvalidValueError,
    NonHaltingError,
    SizeMismatchError,
    TooLargeError,
)
from abstractions.system import System, as_system

__all__ = [
    "WEIGHTINGS",
    "Weights",
    "as_weights",
    "from_array",
    "occupancy",
    "pushforward",
    "reachable",
    "stationary",
    "uniform",
]

#: The names :func:`as_weights` accepts for the weightings of this module.
WEIGHTINGS: tuple[str, ...] = ("uniform", "reachable", "occupancy", "stationary")

#: Largest chain solved with Fractions by :func:`stationary` (dense elimination, O(n^3)).
EXACT_MAX_STATES = 200
#: Largest linear system solved densely when scipy is not installed.
_DENSE_MAX = 5000


@dataclass(frozen=True, eq=False)
class Weights:
    """A probability distribution over a system's states, and how it was made.

    Attributes
    ----------
    values : numpy.ndarray of float64, shape (n,)
        ``mu(m)`` for every state; non-negative, summing to 1 (read-only).
    name : str
        How it was made: ``"uniform"``, ``"reachable"``, ``"occupancy"``,
        ``"stationary"``, ``"array"`` or ``"pushforward"``.
    params : tuple of (str, object) pairs
        The parameters it was made with (e.g. ``(("horizon", 5),)``).
    exact : tuple of Fraction or None
        The same distribution as exact fractions, where it is known exactly.

    Examples
    --------
    >>> from abstractions import Computation, weights
    >>> mu = weights.uniform(Computation([1, 0]))
    >>> mu
    Weights('uniform', 2 states, support 2)
    >>> mu.support
    array([ True,  True])
    """

    values: Floats
    name: str
    params: tuple[tuple[str, Any], ...] = ()
    exact: tuple[Fraction, ...] | None = field(default=None, repr=False)

    @property
    def n(self) -> int:
        """Number of states."""
        return int(self.values.shape[0])

    @property
    def support(self) -> np.ndarray:
        """Mask of the states with positive weight."""
        mask: np.ndarray = self.values > 0
        return mask

    def __repr__(self) -> str:
        params = "".join(f", {key}={value!r}" for key, value in self.params)
        return (
            f"Weights({self.name!r}{params}, {self.n} states, "
            f"support {int(np.count_nonzero(self.values))})"
        )


def _make(values: Floats, name: str, params: tuple[tuple[str, Any], ...] = (),
          exact: tuple[Fraction, ...] | None = None) -> Weights:
    total = float(values.sum())
    values = np.ascontiguousarray(values / total, dtype=np.float64)
    return Weights(readonly(values), name, params, exact)


def uniform(system: System) -> Weights:
    """Every state weighs ``1/n``.

    Examples
    --------
    >>> from abstractions import Computation
    >>> uniform(Computation([1, 2, 0])).values
    array([0.33333333, 0.33333333, 0.33333333])
    """
    S = as_system(system)
    n = S.n
    return Weights(readonly(np.full(n, 1.0 / n)), "uniform", (),
                   tuple([Fraction(1, n)] * n) if n <= EXACT_MAX_STATES else None)


def reachable(system: System) -> Weights:
    """Uniform on the states reachable from the system's inputs, 0 elsewhere.

    Examples
    --------
    >>> from abstractions import Computation
    >>> reachable(Computation([1, 1, 0], inputs=[0])).values
    array([0.5, 0.5, 0. ])
    """
    S = as_system(system)
    values = np.zeros(S.n, dtype=np.float64)
    values[S.reachable_states()] = 1.0
    return _make(values, "reachable")


def _start(S: System, inputs: Any) -> Floats:
    """A distribution over states from None (uniform over the inputs) or {input: weight}."""
    start = np.zeros(S.n, dtype=np.float64)
    if inputs is None:
        np.add.at(start, S.input_states, 1.0)
        return start
    if not isinstance(inputs, Mapping):
        raise InvalidTypeError(
            f"inputs must be None (every input alike) or a mapping {{input value: weight}}, "
            f"got {type(inputs).__name__}"
        )
    for x, w in inputs.items():
        value = _weight_value(w, f"inputs[{x!r}]")
        start[S.start(x)] += value
    if not start.sum() > 0:
        raise InvalidValueError("inputs gives every input weight 0; at least one must be positive")
    return start


def _weight_value(w: Any, name: str) -> float:
    if isinstance(w, (bool, np.bool_)) or not isinstance(w, numbers.Real):
        raise InvalidTypeError(f"{name} = {w!r} is not a number")
    value = float(w)
    if not np.isfinite(value) or value < 0:
        raise InvalidValueError(f"{name} = {w!r} is not a weight (must be finite and >= 0)")
    return value


def occupancy(system: System, inputs: Any = None, *, horizon: int | None = None) -> Weights:
    """The expected visits of runs started from a distribution over inputs.

    ``mu(m)`` is proportional to the expected number of times ``m`` is
    visited at steps ``0 .. horizon`` of a run whose input is drawn from
    ``inputs``. A computation's run stops at its halted state (counted
    once), so without a horizon its runs are followed to the halt.

    Parameters
    ----------
    system : System
        Any kind; labelled and nondeterministic systems are read as random
        walks (a uniformly random symbol, a uniformly random successor).
    inputs : mapping, optional
        ``{input value: weight}``; by default every input of the system alike.
    horizon : int, optional
        The last step counted. Required unless ``system`` is a
        :class:`~abstractions.Computation`.

    Returns
    -------
    Weights

    Raises
    ------
    NonHaltingError
        Without a horizon, if the run of a weighted input never halts.
    InvalidValueError
        Without a horizon for a system that does not halt; for bad ``inputs``.

    Examples
    --------
    A countdown: the run from 3 visits 3, 2, 1, 0.

    >>> from abstractions import Computation
    >>> C = Computation([0, 0, 1, 2], halted=[True, False, False, False], inputs=[3])
    >>> occupancy(C).values
    array([0.25, 0.25, 0.25, 0.25])
    >>> occupancy(C, horizon=1).values
    array([0. , 0. , 0.5, 0.5])
    """
    from abstractions.computation import Computation

    S = as_system(system)
    start = _start(S, inputs)
    rel = S._relation()
    probabilities = step_probabilities(rel)
    halted = S.halted if isinstance(S, Computation) else np.zeros(S.n, dtype=bool)
    if horizon is None:
        if not isinstance(S, Computation):
            raise InvalidValueError(
                f"occupancy of a {S.kind} system needs a horizon (its runs do not halt)"
            )
        final = S.final_states()
        stuck = np.flatnonzero((start > 0) & (final < 0))
        if stuck.size:
            m = int(stuck[0])
            names = [x for x, s in S.inputs.items() if s == m]
            raise NonHaltingError(
                f"the run from state {S.label(m)!r} never halts; give a horizon to count "
                f"its first steps only",
                input=names[0] if names else m,
                state=m,
            )
        steps = S.n
        params: tuple[tuple[str, Any], ...] = (("horizon", None),)
    else:
        steps = as_count(horizon, "horizon")
        params = (("horizon", steps),)
    if inputs is not None:
        params = (("inputs", dict(inputs)),) + params
    total = start.copy()
    mass = start
    for _ in range(steps):
        mass = push(rel, probabilities, np.where(halted, 0.0, mass))
        if not mass.any():
            break
        total += mass
    return _make(total, "occupancy", params)


def pushforward(system: System, weights: Any = None, steps: int = 1) -> Weights:
    """The distribution of the state ``steps`` steps after a state drawn from ``weights``.

    ``step^j mu``: halted states of a computation keep their mass (they are
    absorbing); other kinds move as random walks (see the module notes).

    Examples
    --------
    >>> from abstractions import Computation
    >>> pushforward(Computation([1, 2, 2]), steps=1).values
    array([0.        , 0.33333333, 0.66666667])
    """
    S = as_system(system)
    mu = as_weights(S, weights)
    count = as_count(steps, "steps")
    rel = S._relation()
    probabilities = step_probabilities(rel)
    mass = mu.values.copy()
    for _ in range(count):
        mass = push(rel, probabilities, mass)
    if not mass.sum() > 0:
        raise InvalidValueError(
            f"after {count} steps no mass is left (every weighted run reached a deadlock)"
        )
    return _make(mass, "pushforward", (("of", mu.name), ("steps", count)))


def from_array(system: System, values: Any) -> Weights:
    """Weights from a user array (normalised to sum 1).

    Parameters
    ----------
    system : System
    values : array_like, shape (n,)
        Non-negative finite numbers, not all 0. Ints and Fractions are kept
        exactly too.

    Raises
    ------
    InvalidValueError
        For a wrong shape or length, a negative, infinite or NaN entry, or
        all zeros; the message names the first offending index.
    InvalidTypeError
        For entries that are not numbers.

    Examples
    --------
    >>> from abstractions import Computation
    >>> from_array(Computation([1, 0]), [1, 3]).values
    array([0.25, 0.75])
    >>> from_array(Computation([1, 0]), [1, -1])
    Traceback (most recent call last):
    ...
    abstractions.exceptions.InvalidValueError: weights[1] = -1 is negative; weights must be >= 0
    """
    S = as_system(system)
    array = np.asarray(values) if not isinstance(values, np.ndarray) else values
    if array.ndim != 1:
        raise InvalidValueError(
            f"weights must be 1-dimensional (one weight per state), got shape {array.shape}"
        )
    if array.shape[0] != S.n:
        raise SizeMismatchError(
            f"weights has length {array.shape[0]}, but the system has {S.n} states"
        )
    exact: tuple[Fraction, ...] | None = None
    kind = array.dtype.kind
    if kind == "b":
        raise InvalidTypeError("weights must be numbers, got booleans (dtype bool)")
    if kind == "O":
        items = array.tolist()
        for i, x in enumerate(items):
            if isinstance(x, (bool, np.bool_)) or not isinstance(x, numbers.Real):
                raise InvalidTypeError(f"weights[{i}] = {x!r} is not a number")
        if all(isinstance(x, (numbers.Rational, np.integer)) for x in items):
            exact = tuple(Fraction(x) for x in items)
        floats = np.array([float(x) for x in items], dtype=np.float64)
    elif kind in "iuf":
        if kind in "iu":
            exact = tuple(Fraction(int(x)) for x in array.tolist())
        floats = array.astype(np.float64)
    else:
        raise InvalidTypeError(f"weights must be numbers, got dtype {array.dtype}")
    bad = np.flatnonzero(~np.isfinite(floats))
    if bad.size:
        i = int(bad[0])
        raise InvalidValueError(f"weights[{i}] = {python_value(array[i])!r} is not finite")
    negative = np.flatnonzero(floats < 0)
    if negative.size:
        i = int(negative[0])
        raise InvalidValueError(
            f"weights[{i}] = {python_value(array[i])!r} is negative; weights must be >= 0"
        )
    if not floats.sum() > 0:
        raise InvalidValueError("weights are all 0; at least one state must weigh something")
    if exact is not None:
        total = sum(exact, Fraction(0))
        exact = tuple(x / total for x in exact)
    return _make(floats, "array", (), exact)


def as_weights(system: System, weights: Any) -> Weights:
    """``weights`` as a :class:`Weights` of ``system``'s states.

    Parameters
    ----------
    system : System
    weights : None, Weights, str or array_like
        None: :func:`uniform`; a :class:`Weights` (checked against
        ``system.n``); one of :data:`WEIGHTINGS` (with default parameters);
        an array: :func:`from_array`.

    Raises
    ------
    SizeMismatchError
        If the weights are over another number of states.
    InvalidValueError, InvalidTypeError
        For an unknown name or a bad array (see :func:`from_array`).

    Examples
    --------
    >>> from abstractions import Computation
    >>> as_weights(Computation([1, 0]), None).name
    'uniform'
    """
    S = as_system(system)
    if weights is None:
        return uniform(S)
    if isinstance(weights, Weights):
        if weights.n != S.n:
            raise SizeMismatchError(
                f"weights are over {weights.n} states, but the system has {S.n} states"
            )
        return weights
    if isinstance(weights, str):
        if weights not in WEIGHTINGS:
            raise InvalidValueError(
                f"unknown weights {weights!r}; give an array, a Weights or one of "
                f"{', '.join(map(repr, WEIGHTINGS))}"
            )
        made: Weights = globals()[weights](S)
        return made
    return from_array(S, weights)


# ---------------------------------------------------------------------- stationary


def _components(indptr: np.ndarray, targets: np.ndarray, n: int) -> tuple[int, np.ndarray]:
    """Strongly connected components (scipy when installed, else networkx)."""
    try:
        from scipy.sparse import csr_matrix
        from scipy.sparse.csgraph import connected_components
    except ImportError:  # pragma: no cover - the test extra installs scipy
        import networkx as nx

        G = nx.DiGraph()
        G.add_nodes_from(range(n))
        sources = np.repeat(np.arange(n), np.diff(indptr))
        G.add_edges_from(zip(sources.tolist(), targets.tolist()))
        labels = np.empty(n, dtype=np.int64)
        count = 0
        for count, comp in enumerate(nx.strongly_connected_components(G)):
            labels[list(comp)] = count
        return count + 1, labels
    graph = csr_matrix((np.ones(targets.shape[0]), targets, indptr), shape=(n, n))
    count, labels = connected_components(graph, directed=True, connection="strong")
    return int(count), labels.astype(np.int64)


def _solve_float(rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, b: np.ndarray) -> Floats:
    """Solve the sparse square system ``A x = b`` given as coordinates."""
    size = b.shape[0]
    try:
        from scipy.sparse import csc_matrix
        from scipy.sparse.linalg import spsolve
    except ImportError:  # pragma: no cover - the test extra installs scipy
        if size > _DENSE_MAX:
            raise TooLargeError(
                f"solving for {size} states needs scipy (pip install scipy); without it "
                f"the limit is {_DENSE_MAX}"
            ) from None
        dense = np.zeros((size, size))
        np.add.at(dense, (rows, cols), vals)
        return np.linalg.solve(dense, b)
    if size == 1:
        return np.asarray(b / vals.sum(), dtype=np.float64)
    matrix = csc_matrix((vals, (rows, cols)), shape=(size, size))
    x: Floats = np.atleast_1d(spsolve(matrix, b))
    return x


def _solve_exact(matrix: list[dict[int, Fraction]], b: list[Fraction]) -> list[Fraction]:
    """Gauss--Jordan elimination over Fractions on sparse rows (small systems)."""
    size = len(b)
    rows = [dict(r) for r in matrix]
    rhs = list(b)
    for col in range(size):
        pivot = next(r for r in range(col, size) if rows[r].get(col, 0) != 0)
        rows[col], rows[pivot] = rows[pivot], rows[col]
        rhs[col], rhs[pivot] = rhs[pivot], rhs[col]
        p = rows[col][col]
        rows[col] = {c: v / p for c, v in rows[col].items()}
        rhs[col] = rhs[col] / p
        for r in range(size):
            factor = rows[r].get(col, 0) if r != col else 0
            if factor != 0:
                for c, v in rows[col].items():
                    value = rows[r].get(c, 0) - factor * v
                    if value == 0:
                        rows[r].pop(c, None)
                    else:
                        rows[r][c] = value
                rhs[r] -= factor * rhs[col]
    return rhs


def stationary(system: System, *, start: Any = None, exact: bool | None = None) -> Weights:
    """The long-run distribution of a Markov chain started from ``start``.

    The Cesàro limit ``lim (1/T) sum_{t<T} start P^t``: for an irreducible
    chain, its unique stationary distribution whatever the start; otherwise
    the mix of the stationary distributions of the closed classes, each
    weighted by the probability that the chain started from ``start`` ends
    up in it.

    Parameters
    ----------
    system : MarkovChain
    start : mapping, optional
        ``{input value: weight}``; by default every input alike.
    exact : bool, optional
        Solve with Fractions (the chain must be exact; at most 200 states).
        By default: exactly when the chain is exact and that small, in
        floats otherwise (sparse solves with scipy when it is installed).

    Returns
    -------
    Weights
        ``exact`` holds the Fractions when solved exactly.

    Raises
    ------
    InvalidTypeError
        If ``system`` is not a Markov chain.
    InvalidValueError
        For ``exact=True`` on a float chain.
    TooLargeError
        For ``exact=True`` above 200 states.

    Examples
    --------
    >>> from fractions import Fraction as F
    >>> from abstractions import TransitionSystem
    >>> T = TransitionSystem.probabilistic([[F(1, 2), F(1, 2)], [F(1, 4), F(3, 4)]])
    >>> stationary(T).exact
    (Fraction(1, 3), Fraction(2, 3))
    """
    from abstractions.systems import MarkovChain

    S = as_system(system, "system", MarkovChain)
    n = S.n
    rel = S._relation()
    if exact is None:
        exact = S.exact and n <= EXACT_MAX_STATES
    elif exact and not S.exact:
        raise InvalidValueError(
            "exact=True needs an exact chain (Fraction probabilities); this one has floats"
        )
    elif exact and n > EXACT_MAX_STATES:
        raise TooLargeError(
            f"exact stationary distributions are solved densely, for at most "
            f"{EXACT_MAX_STATES} states; this chain has {n} (use exact=False)"
        )
    p0 = _start(S, start)
    count, comp = _components(rel.indptr, rel.targets, n)
    sources = rel.sources()
    leaving = comp[sources] != comp[rel.targets]
    open_comp = np.zeros(count, dtype=bool)
    open_comp[comp[sources[leaving]]] = True
    transient = open_comp[comp]
    if exact:
        p_exact = [Fraction(int(w), rel.den) for w in rel.weights.tolist()]
        values_exact = _stationary_exact(rel, comp, transient, p0, p_exact, n)
        return Weights(
            readonly(np.array([float(x) for x in values_exact])),
            "stationary",
            (("start", start),) if start is not None else (),
            tuple(values_exact),
        )
    probabilities = step_probabilities(rel)
    result = np.zeros(n, dtype=np.float64)
    # Mass that ends in each closed class: its start mass plus what the
    # transient states send into it (expected visits v = p0_T (I - Q)^-1).
    enter = p0.copy()
    enter[transient] = 0.0
    t_states = np.flatnonzero(transient)
    if t_states.size and p0[t_states].any():
        position = np.full(n, -1, dtype=np.int64)
        position[t_states] = np.arange(t_states.size)
        inside = transient[sources] & transient[rel.targets]
        # (I - Q)^T v = p0_T
        rows = np.concatenate([np.arange(t_states.size), position[rel.targets[inside]]])
        cols = np.concatenate([np.arange(t_states.size), position[sources[inside]]])
        vals = np.concatenate([np.ones(t_states.size), -probabilities[inside]])
        visits = _solve_float(rows, cols, vals, p0[t_states])
        out = transient[sources] & ~transient[rel.targets]
        moved = visits[position[sources[out]]] * probabilities[out]
        enter += np.bincount(rel.targets[out], weights=moved, minlength=n)
    class_mass = np.bincount(comp, weights=enter, minlength=count)
    for c in np.flatnonzero((class_mass > 0) & ~open_comp).tolist():
        members = np.flatnonzero(comp == c)
        result[members] = class_mass[c] * _class_stationary(rel, probabilities, members, n)
    return _make(result, "stationary", (("start", start),) if start is not None else ())


def _class_stationary(rel: Any, probabilities: Floats, members: np.ndarray, n: int) -> Floats:
    """The stationary distribution of one closed class (float): pi (I - P) = 0, sum pi = 1."""
    size = members.shape[0]
    if size == 1:
        return np.ones(1)
    position = np.full(n, -1, dtype=np.int64)
    position[members] = np.arange(size)
    lo, hi = rel.indptr[members], rel.indptr[members + 1]
    idx = np.concatenate([np.arange(a, b) for a, b in zip(lo.tolist(), hi.tolist())])
    src = position[rel.sources()[idx]]
    dst = position[rel.targets[idx]]
    # (I - P)^T pi = 0 with the last equation replaced by sum(pi) = 1.
    keep = dst != size - 1
    rows = np.concatenate([np.arange(size - 1), dst[keep], np.full(size, size - 1)])
    cols = np.concatenate([np.arange(size - 1), src[keep], np.arange(size)])
    vals = np.concatenate([np.ones(size - 1), -probabilities[idx][keep], np.ones(size)])
    b = np.zeros(size)
    b[-1] = 1.0
    pi = _solve_float(rows, cols, vals, b)
    pi = np.maximum(pi, 0.0)
    return np.asarray(pi / pi.sum(), dtype=np.float64)


def _stationary_exact(rel: Any, comp: np.ndarray, transient: np.ndarray, p0: Floats,
                      p: list[Fraction], n: int) -> list[Fraction]:
    """:func:`stationary` with Fractions (small chains)."""
    sources = rel.sources().tolist()
    targets = rel.targets.tolist()
    start = [Fraction(x).limit_denominator(10**12) for x in p0.tolist()]
    total = sum(start, Fraction(0))
    start = [x / total for x in start]
    t_states = [s for s in range(n) if transient[s]]
    pos = {s: i for i, s in enumerate(t_states)}
    enter = [Fraction(0) if transient[s] else start[s] for s in range(n)]
    if t_states and any(start[s] for s in t_states):
        matrix: list[dict[int, Fraction]] = [{i: Fraction(1)} for i in range(len(t_states))]
        for s, t, w in zip(sources, targets, p):
            if transient[s] and transient[t]:
                row = matrix[pos[t]]
                row[pos[s]] = row.get(pos[s], Fraction(0)) - w
        visits = _solve_exact(matrix, [start[s] for s in t_states])
        for s, t, w in zip(sources, targets, p):
            if transient[s] and not transient[t]:
                enter[t] += visits[pos[s]] * w
    result = [Fraction(0)] * n
    for c in sorted(set(comp[~transient].tolist())):
        members = [s for s in range(n) if comp[s] == c]
        mass = sum((enter[s] for s in members), Fraction(0))
        if mass == 0:
            continue
        size = len(members)
        where = {s: i for i, s in enumerate(members)}
        eqs: list[dict[int, Fraction]] = [{i: Fraction(1)} for i in range(size - 1)]
        for s, t, w in zip(sources, targets, p):
            if s in where and where[t] != size - 1:
                row = eqs[where[t]]
                row[where[s]] = row.get(where[s], Fraction(0)) - w
        eqs.append({i: Fraction(1) for i in range(size)})
        pi = _solve_exact(eqs, [Fraction(0)] * (size - 1) + [Fraction(1)])
        for s, x in zip(members, pi):
            result[s] = mass * x
    return result
