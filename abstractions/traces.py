"""Empirical systems: the finite system a set of recorded traces shows.

A learned computation (a recurrent network reading a string) is observed
through *traces*: the state at the start, then the state after each symbol
read, so a trace of ``T`` symbols has ``T + 1`` states. Observed states are
hashable values, or activation vectors made finite by a quantiser
(:mod:`abstractions.quantizers`). :func:`from_traces` builds the system
whose states are the distinct observed states and whose transitions are
the observed steps:

* ``kind="labelled"`` (default): one successor per (state, letter), a
  :class:`~abstractions.LabelledSystem` (a DFA with an output). Where the
  traces show several successors for one (state, letter) -- a *conflict*:
  the quantiser merged states the network keeps apart -- the most frequent
  one is kept, and the conflict is reported. A (state, letter) never
  observed goes to one extra *sink* state whose output is
  :data:`UNOBSERVED`; :attr:`EmpiricalSystem.unobserved` lists them.
* ``kind="nondeterministic"``: every observed successor, a
  :class:`~abstractions.NondeterministicSystem` (conflicts become choices).
* ``kind="probabilistic"``: the observed frequencies as a
  :class:`~abstractions.MarkovChain` (the letters are marginalised: the
  chain of the process that produced the traces); the raw counts are kept
  in :attr:`EmpiricalSystem.counts`.

Outputs, when given, are one per observed state of each trace (e.g. the
network's accept/reject after each prefix); a state observed with several
outputs takes the most frequent, and that too is reported.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

import numpy as np

from abstractions._keys import as_key_rows, first_rows, row_ids
from abstractions._validation import Ids, Mask, python_value, readonly
from abstractions.exceptions import InvalidTypeError, InvalidValueError
from abstractions.quantizers import check_finite
from abstractions.system import System
from abstractions.systems import LabelledSystem, MarkovChain, NondeterministicSystem

__all__ = ["EmpiricalSystem", "UNOBSERVED", "KINDS", "from_traces", "quantize"]

#: The kinds of system :func:`from_traces` builds.
KINDS: tuple[str, ...] = ("labelled", "nondeterministic", "probabilistic")


class _Unobserved:
    """Output of the sink state that stands for transitions never observed."""

    _instance: _Unobserved | None = None

    def __new__(cls) -> _Unobserved:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNOBSERVED"

    def __reduce__(self) -> str:
        return "UNOBSERVED"


#: Output value of the sink state of an empirical system: where the traces
#: never showed what happens.
UNOBSERVED = _Unobserved()


@dataclass(frozen=True, eq=False)
class EmpiricalSystem:
    """What :func:`from_traces` returns: the system and how it came from the traces.

    Attributes
    ----------
    system : System
        The empirical system: states ``0 .. n_observed-1`` are the distinct
        observed states in order of first observation; a sink state
        ``n_observed`` follows when some transition was never observed.
    kind : str
        ``"labelled"``, ``"nondeterministic"`` or ``"probabilistic"``.
    alphabet : tuple
        The letters, in the order of the system's symbols (``(None,)`` when
        the traces had no symbols).
    keys : numpy.ndarray or tuple
        The observation of each observed state: an int64 array of
        quantised rows ``(n_observed, d)``, or a tuple of hashable values.
    state_ids : numpy.ndarray of int64
        The state of every recorded observation, trace after trace.
    offsets : numpy.ndarray of int64
        Trace ``i``'s states are ``state_ids[offsets[i]:offsets[i+1]]``.
    letters : numpy.ndarray of int64
        The letter id of every step, trace after trace (trace ``i``'s
        are ``letters[offsets[i] - i : offsets[i+1] - i - 1]``).
    conflicts : numpy.ndarray of int64, shape (c, 2)
        The (state, letter id) pairs observed with more than one successor.
    output_conflicts : numpy.ndarray of int64
        The states observed with more than one output.
    sink : int or None
        The sink state, or None when every transition was observed (or
        the kind needs none).
    unobserved : numpy.ndarray of bool or None
        Labelled kind: ``unobserved[a, s]`` when state ``s`` was never seen
        reading letter ``a`` (its step goes to the sink).
    counts : numpy.ndarray of int64, shape (m, 4)
        Rows ``(state, letter id, successor, times observed)``, one per
        distinct observed step.
    quantizer : callable or None
        The quantiser the observations went through.
    """

    system: System
    kind: str
    alphabet: tuple[Any, ...]
    keys: Any
    state_ids: Ids
    offsets: Ids
    letters: Ids
    conflicts: Ids
    output_conflicts: Ids
    sink: int | None
    unobserved: Mask | None
    counts: Ids
    quantizer: Any

    @property
    def n_observed(self) -> int:
        """Number of distinct observed states (the sink left out)."""
        return int(self.system.n - (0 if self.sink is None else 1))

    @property
    def n_traces(self) -> int:
        """Number of traces."""
        return int(self.offsets.shape[0] - 1)

    @property
    def n_conflicts(self) -> int:
        """Number of (state, letter) pairs observed with more than one successor."""
        return int(self.conflicts.shape[0])

    @property
    def visits(self) -> Ids:
        """How often each state of :attr:`system` was observed (0 for the sink)."""
        return np.bincount(self.state_ids, minlength=self.system.n)

    def trace(self, i: int) -> Ids:
        """The states of trace ``i``."""
        return self.state_ids[self.offsets[i] : self.offsets[i + 1]]

    def lookup(self, observations: Any) -> Ids:
        """The state of each new observation, or -1 where it was never observed.

        The observations go through the same quantiser as the traces.

        Parameters
        ----------
        observations : array_like or sequence
            Vectors, shape ``(N, d)``, or ``N`` hashable values, like the
            states of one trace.

        Examples
        --------
        >>> E = from_traces([["a", "b", "a"]], symbols=[["x", "y"]])
        >>> E.lookup(["b", "c"]).tolist()
        [1, -1]
        """
        return self.lookup_keys(
            _observation_keys(_one_trace(observations, self.quantizer), self.quantizer)
        )

    def lookup_keys(self, keys: Any) -> Ids:
        """The state of each already quantised key (as in :attr:`keys`), or -1 if never observed.

        Examples
        --------
        >>> E = from_traces(np.array([[[0.2], [0.9]]]), quantizer=lambda X: X[:, 0] > 0.5)
        >>> E.lookup_keys(np.array([[1], [0], [7]])).tolist()
        [1, 0, -1]
        """
        new = keys
        if isinstance(self.keys, tuple):
            index = {key: i for i, key in enumerate(self.keys)}
            return np.array([index.get(key, -1) for key in new], dtype=np.int64)
        new = np.asarray(new)
        if new.ndim == 1:
            new = new[:, None]
        if new.dtype.kind not in "iu" or new.ndim != 2 or new.shape[1] != self.keys.shape[1]:
            raise InvalidValueError(
                "observations do not quantise like the traces did (keys of another shape)"
            )
        ids, _ = row_ids(np.concatenate([self.keys, new.astype(np.int64)]))
        found = ids[self.keys.shape[0] :]
        return np.where(found < self.keys.shape[0], found, -1)


# ---------------------------------------------------------------------- parsing


def _is_sequence(value: Any) -> bool:
    return isinstance(value, (Sequence, np.ndarray)) and not isinstance(value, (str, bytes))


def _one_trace(trace: Any, quantizer: Any) -> Any:
    """One trace as a numeric array (vectors, or scalars) or a list of hashables."""
    if isinstance(trace, np.ndarray) or quantizer is not None:
        try:
            array = np.asarray(trace)
        except (ValueError, TypeError) as err:
            raise InvalidValueError(f"a trace's vectors differ in length: {err}") from None
        if array.dtype == object and quantizer is not None:
            raise InvalidValueError(
                "a trace's vectors differ in length (they do not stack into an array)"
            )
        if array.dtype.kind in "biuf":
            return array
        if array.ndim != 1:
            raise InvalidTypeError(
                f"vector observations must be numbers, got dtype {array.dtype}"
            )
        return list(array.tolist())
    if not _is_sequence(trace) and not isinstance(trace, str):
        raise InvalidTypeError(
            f"a trace must be a sequence of observations, got {type(trace).__name__}"
        )
    return list(trace)


def _flatten_traces(traces: Any, quantizer: Any) -> tuple[Any, Ids]:
    """All observations in one array (or list) and the trace offsets.

    A numpy array is a batch: shape ``(B, T+1)`` of scalar observations or
    ``(B, T+1, d)`` of vectors. Otherwise ``traces`` is a sequence of
    traces, each a sequence of hashable observations or an array of
    vectors.
    """
    if isinstance(traces, np.ndarray):
        if traces.ndim not in (2, 3):
            raise InvalidValueError(
                f"traces as an array must have shape (traces, states) or (traces, states, "
                f"features), got shape {traces.shape}"
            )
        B, L = traces.shape[:2]
        if L == 0:
            raise InvalidValueError("every trace needs at least one state (the start state)")
        offsets = np.arange(B + 1, dtype=np.int64) * L
        flat = traces.reshape((B * L,) + traces.shape[2:])
        if flat.dtype.kind in "biuf":
            return flat, offsets
        return list(flat.tolist()) if flat.ndim == 1 else _ragged_object(flat), offsets
    if not _is_sequence(traces):
        raise InvalidTypeError(
            f"traces must be an array or a sequence of traces, got {type(traces).__name__}"
        )
    parts = [_one_trace(trace, quantizer) for trace in traces]
    if not parts:
        raise InvalidValueError("traces is empty: give at least one trace")
    lengths = np.array([len(p) for p in parts], dtype=np.int64)
    empty = np.flatnonzero(lengths == 0)
    if empty.size:
        raise InvalidValueError(
            f"traces[{int(empty[0])}] is empty; every trace has its start state, so at "
            "least one state"
        )
    offsets = np.zeros(len(parts) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    arrays = [isinstance(p, np.ndarray) for p in parts]
    if all(arrays):
        shapes = {p.shape[1:] for p in parts}
        if len(shapes) > 1:
            first = parts[0].shape[1:]
            i = next(i for i, p in enumerate(parts) if p.shape[1:] != first)
            raise InvalidValueError(
                f"ragged traces: traces[{i}] holds observations of shape {parts[i].shape[1:]}, "
                f"traces[0] of shape {first}"
            )
        return np.concatenate(parts), offsets
    if any(arrays):
        i = arrays.index(not arrays[0])
        raise InvalidValueError(
            f"ragged traces: traces[0] and traces[{i}] hold different kinds of observation "
            "(vectors and hashable values)"
        )
    merged: list[Any] = []
    for p in parts:
        merged.extend(p)
    return merged, offsets


def _ragged_object(flat: np.ndarray) -> NoReturn:
    raise InvalidTypeError(
        f"traces as an array must hold numbers, got dtype {flat.dtype}; give a list of "
        "traces for hashable observations"
    )


def _observation_keys(observations: Any, quantizer: Any) -> Any:
    """Keys of the observations: int64 rows, or a list of hashable values."""
    if quantizer is not None:
        if isinstance(observations, np.ndarray):
            check_finite(observations, "traces")
        keys = quantizer(observations)
        n = len(observations)
        if isinstance(keys, np.ndarray) and keys.dtype.kind in "biuf":
            if keys.ndim not in (1, 2) or keys.shape[0] != n:
                raise InvalidValueError(
                    f"the quantizer returned an array of shape {keys.shape} for {n} "
                    f"observations; expected ({n},) or ({n}, d)"
                )
            check_finite(keys, "the quantizer's output")
            return as_key_rows(keys)
        if not _is_sequence(keys) or len(keys) != n:
            raise InvalidValueError(
                f"the quantizer must return one key per observation ({n}), got "
                f"{type(keys).__name__}"
                + (f" of length {len(keys)}" if hasattr(keys, "__len__") else "")
            )
        values = list(keys.tolist() if isinstance(keys, np.ndarray) else keys)
        _check_hashable(values, "the quantizer's output")
        return values
    if isinstance(observations, np.ndarray):
        check_finite(observations, "traces")
        return as_key_rows(observations)
    _check_hashable(observations, "traces")
    return [python_value(v) for v in observations]


def _check_hashable(values: list[Any], name: str) -> None:
    for i, value in enumerate(values):
        try:
            hash(value)
        except TypeError:
            hint = (
                " (vectors need a quantizer, e.g. GridQuantizer(0.1), or a numpy array)"
                if name == "traces" else " (return ints, tuples or strings)"
            )
            raise InvalidTypeError(
                f"{name} holds the unhashable {type(value).__name__} {value!r} at position "
                f"{i}; observed states must be hashable{hint}"
            ) from None
        if isinstance(value, float) and math.isnan(value):
            raise InvalidValueError(f"{name} holds nan at position {i}")


def _hashable_ids(values: list[Any]) -> tuple[Ids, tuple[Hashable, ...]]:
    """First-occurrence ids of hashable values and the distinct values."""
    index: dict[Any, int] = {}
    ids = np.fromiter((index.setdefault(v, len(index)) for v in values), np.int64, len(values))
    return ids, tuple(index)


def quantize(observations: Any, quantizer: Any = None) -> tuple[Ids, Any]:
    """State ids of observations: equal keys, one id, numbered by first occurrence.

    Parameters
    ----------
    observations : array_like or sequence
        Vectors ``(N, d)`` (numbers), or ``N`` hashable values.
    quantizer : callable, optional
        Maps the ``(N, d)`` vectors to keys (see :mod:`abstractions.quantizers`);
        fitted on ``observations`` first when it has a ``fit`` method and
        is not fitted.

    Returns
    -------
    ids : numpy.ndarray of int64
    keys : numpy.ndarray or tuple
        The key of each id: int64 rows, or hashable values.

    Examples
    --------
    >>> from abstractions.quantizers import GridQuantizer
    >>> ids, keys = quantize(np.array([[0.1, 0.9], [0.0, 1.1], [1.0, 0.0]]), GridQuantizer(1.0))
    >>> ids.tolist(), keys.tolist()
    ([0, 0, 1], [[0, 1], [1, 0]])
    """
    obs = _one_trace(observations, quantizer)
    _fit(quantizer, obs)
    keys = _observation_keys(obs, quantizer)
    return _ids_of_keys(keys)


def _fit(quantizer: Any, observations: Any) -> None:
    if quantizer is None:
        return
    if not callable(quantizer):
        raise InvalidTypeError(
            f"quantizer must be callable (e.g. GridQuantizer(0.1)), got {type(quantizer).__name__}"
        )
    if getattr(quantizer, "fitted", True) is False and hasattr(quantizer, "fit"):
        if not isinstance(observations, np.ndarray):
            raise InvalidTypeError("a quantizer that learns needs vector observations")
        check_finite(observations, "traces")
        quantizer.fit(observations)


def _ids_of_keys(keys: Any) -> tuple[Ids, Any]:
    if isinstance(keys, np.ndarray):
        ids, count = row_ids(keys)
        return ids, readonly(keys[first_rows(ids, count)])
    return _hashable_ids(keys)


def _flat_sequences(
    values: Any, name: str, offsets: Ids, extra: int
) -> tuple[Any, bool]:
    """Per-trace sequences of ``len(trace) + extra`` entries, flattened.

    Returns the flat values (a numpy array when given as one) and whether
    they are a numpy array.
    """
    B = offsets.shape[0] - 1
    lengths = np.diff(offsets) + extra
    if isinstance(values, np.ndarray):
        if values.ndim != 2 or values.shape[0] != B:
            raise InvalidValueError(
                f"{name} as an array must have shape ({B}, ...) (one row per trace), got "
                f"shape {values.shape}"
            )
        bad = np.flatnonzero(lengths != values.shape[1])
        if bad.size:
            i = int(bad[0])
            raise InvalidValueError(
                f"ragged traces: {name}[{i}] has {values.shape[1]} entries, but trace {i} has "
                f"{int(lengths[i] - extra)} states, so it needs {int(lengths[i])}"
            )
        return values.reshape(-1), True
    if not _is_sequence(values):
        raise InvalidTypeError(
            f"{name} must be an array or one sequence per trace, got {type(values).__name__}"
        )
    rows = list(values)
    if len(rows) != B:
        raise InvalidValueError(
            f"{name} has {len(rows)} sequences, but there are {B} traces (one each)"
        )
    for i, row in enumerate(rows):
        if not (_is_sequence(row) or isinstance(row, str)):
            raise InvalidTypeError(
                f"{name}[{i}] must be a sequence, got {type(row).__name__}"
            )
        if len(row) != lengths[i]:
            raise InvalidValueError(
                f"ragged traces: {name}[{i}] has {len(row)} entries, but trace {i} has "
                f"{int(lengths[i] - extra)} states, so it needs {int(lengths[i])}"
            )
    # Fast paths, one numpy call instead of a Python loop over every entry: rows
    # that are 1-d arrays (a recorder's answers), or strings of letters.
    if rows and all(isinstance(r, np.ndarray) and r.ndim == 1 for r in rows):
        joined = np.concatenate(rows)
        if joined.dtype.kind in "biufSU":
            return joined, True
    if rows and all(isinstance(r, str) for r in rows):
        return np.array(list("".join(rows)), dtype=str), True
    flat: list[Any] = []
    for i, row in enumerate(rows):
        if not (_is_sequence(row) or isinstance(row, str)):
            raise InvalidTypeError(
                f"{name}[{i}] must be a sequence, got {type(row).__name__}"
            )
        if len(row) != lengths[i]:
            raise InvalidValueError(
                f"ragged traces: {name}[{i}] has {len(row)} entries, but trace {i} has "
                f"{int(lengths[i] - extra)} states, so it needs {int(lengths[i])}"
            )
        flat.extend(row.tolist() if isinstance(row, np.ndarray) else row)
    return flat, False


def _letters(
    symbols: Any, alphabet: Sequence[Any] | None, offsets: Ids
) -> tuple[Ids, tuple[Any, ...]]:
    """Letter ids of every step and the alphabet."""
    steps = int(offsets[-1] - (offsets.shape[0] - 1))
    if symbols is None:
        if alphabet is not None:
            raise InvalidValueError("alphabet was given without symbols")
        return np.zeros(steps, dtype=np.int64), (None,)
    flat, is_array = _flat_sequences(symbols, "symbols", offsets, -1)
    given: tuple[Any, ...] | None = None
    if alphabet is not None:
        if isinstance(alphabet, str):
            alphabet = tuple(alphabet)
        if not _is_sequence(alphabet) or len(alphabet) == 0:
            raise InvalidValueError(f"alphabet must be a non-empty sequence, got {alphabet!r}")
        given = tuple(python_value(a) for a in alphabet)
        if len(set(given)) != len(given):
            raise InvalidValueError(f"alphabet holds a letter twice: {given!r}")
    if is_array and flat.dtype.kind in "biuSU":
        values, inverse = np.unique(flat, return_inverse=True)
        seen = tuple(python_value(v) for v in values.tolist())
        codes = inverse.reshape(-1).astype(np.int64)
    else:
        _check_hashable(list(flat), "symbols")
        codes, seen = _hashable_ids(list(flat))
    if given is None:
        try:
            order = sorted(range(len(seen)), key=lambda i: seen[i])
        except TypeError:
            order = list(range(len(seen)))
        given = tuple(seen[i] for i in order)
    position = {a: i for i, a in enumerate(given)}
    remap = np.empty(len(seen), dtype=np.int64)
    for j, value in enumerate(seen):
        if value not in position:
            where = int(np.flatnonzero(codes == j)[0])
            trace = int(np.searchsorted(offsets - np.arange(offsets.shape[0]), where, "right")) - 1
            step = where - int(offsets[trace] - trace)
            raise InvalidValueError(
                f"symbols[{trace}][{step}] = {value!r} is not in the alphabet {given!r}"
            )
        remap[j] = position[value]
    return remap[codes], given


def _output_ids(outputs: Any, offsets: Ids) -> tuple[Ids, tuple[Any, ...]]:
    flat, is_array = _flat_sequences(outputs, "outputs", offsets, 0)
    if is_array and flat.dtype.kind in "biuSU":
        values, inverse = np.unique(flat, return_inverse=True)
        ids = inverse.reshape(-1).astype(np.int64)
        return ids, tuple(python_value(v) for v in values.tolist())
    if is_array and flat.dtype.kind == "f":
        check_finite(flat, "outputs")
        values, inverse = np.unique(flat, return_inverse=True)
        return inverse.reshape(-1).astype(np.int64), tuple(values.tolist())
    items = [python_value(v) for v in flat]
    _check_hashable(items, "outputs")
    return _hashable_ids(items)


def _plurality(groups: Ids, values: Ids, n_values: int) -> tuple[Ids, Ids, Ids, Ids]:
    """Per distinct (group, value) pair: the most frequent value of each group.

    Returns the distinct groups (sorted), their most frequent value (ties:
    the smallest value id, i.e. the first observed), the groups with more
    than one value, and the distinct (group, value, count) rows as one
    array of shape (m, 3).
    """
    key = groups * n_values + values
    uniq, counts = np.unique(key, return_counts=True)
    g, v = uniq // n_values, uniq % n_values
    order = np.lexsort((-counts, g))  # stable: equal counts keep ascending value
    gs = g[order]
    start = np.ones(gs.shape[0], dtype=bool)
    start[1:] = gs[1:] != gs[:-1]
    heads = order[start]
    sizes = np.diff(np.append(np.flatnonzero(start), gs.shape[0]))
    conflicted = gs[start][sizes > 1]
    rows = np.column_stack([g, v, counts]).astype(np.int64)
    return g[heads], v[heads], conflicted, rows


# ---------------------------------------------------------------------- building


def from_traces(
    traces: Any,
    *,
    symbols: Any = None,
    outputs: Any = None,
    quantizer: Any = None,
    alphabet: Sequence[Any] | None = None,
    kind: str = "labelled",
) -> EmpiricalSystem:
    """The system that recorded traces show, on the distinct observed states.

    Parameters
    ----------
    traces : array_like or sequence of sequences
        A numpy array of shape ``(B, T+1)`` (hashable scalars) or
        ``(B, T+1, d)`` (vectors), or a sequence of traces of any lengths,
        each a sequence of hashable observations or an array ``(T_i+1, d)``
        of vectors. A trace of ``T`` symbols has ``T + 1`` states: the start
        state, then the state after each symbol.
    symbols : array_like or sequence of sequences, optional
        The letter read at each step: shape ``(B, T)``, or one sequence of
        ``T_i`` letters per trace (a string is a sequence of letters).
        Without it every step reads the one letter ``None``.
    outputs : array_like or sequence of sequences, optional
        One hashable output per observed state (e.g. the network's answer
        after each prefix): shape ``(B, T+1)``, or one sequence per trace.
        Without it every observed state is its own output (its index).
    quantizer : callable, optional
        Maps vectors to keys (:mod:`abstractions.quantizers`); fitted on the
        observations first if it learns and is not fitted yet. Without it,
        observations are compared exactly.
    alphabet : sequence, optional
        The letters, in the order of the system's symbols; a letter of
        ``symbols`` outside it is an error. By default the letters seen,
        sorted.
    kind : {"labelled", "nondeterministic", "probabilistic"}
        The system to build (see :mod:`abstractions.traces`).

    Returns
    -------
    EmpiricalSystem
        ``.system`` is the system; the other attributes say which
        observation each state is and what conflicted.

    Raises
    ------
    InvalidValueError
        For ragged traces (symbols or outputs of the wrong length, vectors of
        different lengths), a letter outside ``alphabet``, NaN or infinite
        activations, an unknown ``kind``, a quantiser returning the wrong
        number of keys.
    InvalidTypeError
        For unhashable observations, or a quantiser that returns
        unhashable keys.

    Notes
    -----
    Vector observations go through one pass of the quantiser, then one
    hash-table pass numbers the distinct rows (a numba kernel), and the
    transitions are counted with one sort: about a second for a million
    recorded steps.

    Examples
    --------
    Two traces of a parity counter, observed as hashable states:

    >>> E = from_traces([["even", "odd", "even", "even"], ["even", "odd", "odd"]],
    ...                 symbols=["110", "10"], outputs=[[1, 0, 1, 1], [1, 0, 0]])
    >>> E.system.steps          # rows: letters "0", "1"; columns: even, odd
    array([[0, 1],
           [1, 0]])
    >>> E.keys, E.alphabet, E.n_conflicts, E.sink
    (('even', 'odd'), ('0', '1'), 0, None)

    A quantised state that is seen going to two places is a conflict:

    >>> E = from_traces(np.array([[[0.1], [0.9], [0.2]], [[0.1], [0.0], [0.2]]]),
    ...                 symbols=[[1, 1], [0, 1]], quantizer=lambda X: X[:, 0] > 0.5)
    >>> E.conflicts.tolist(), E.sink            # state 0 reading letter 1
    ([[0, 1]], 2)
    >>> E.unobserved.tolist()                   # state 1 never read a 0
    [[False, True], [False, False]]
    """
    if kind not in KINDS:
        raise InvalidValueError(f"kind must be one of {', '.join(map(repr, KINDS))}, got {kind!r}")
    observations, offsets = _flatten_traces(traces, quantizer)
    _fit(quantizer, observations)
    keys = _observation_keys(observations, quantizer)
    state_ids, table = _ids_of_keys(keys)
    n = len(table)
    letters, names = _letters(symbols, alphabet, offsets)
    k = len(names)
    out_ids, out_values = (None, ()) if outputs is None else _output_ids(outputs, offsets)

    # Step i goes from observation i to i + 1, except at the last state of a trace.
    moves = np.ones(state_ids.shape[0], dtype=bool)
    moves[offsets[1:] - 1] = False
    at = np.flatnonzero(moves)
    src, dst = state_ids[at], state_ids[at + 1]
    heads, best, conflicted, rows = _plurality(src * k + letters, dst, n)
    counts = np.column_stack([rows[:, 0] // k, rows[:, 0] % k, rows[:, 1], rows[:, 2]])
    conflicts = np.column_stack([conflicted // k, conflicted % k]).astype(np.int64)

    output_conflicts = np.zeros(0, dtype=np.int64)
    state_output: Ids | None = None
    if out_ids is not None:
        owners, chosen, output_conflicts, _ = _plurality(state_ids, out_ids, len(out_values))
        state_output = np.empty(n, dtype=np.int64)
        state_output[owners] = chosen
    starts = np.unique(state_ids[offsets[:-1]])
    sink: int | None = None
    unobserved: Mask | None = None

    if kind == "labelled":
        steps = np.full((k, n + 1), n, dtype=np.int64)
        steps[heads % k, heads // k] = best
        unobserved = readonly(steps[:, :n] == n)
        if unobserved.any():
            sink = n
        else:
            steps = steps[:, :n]
        output, values = _with_sink(state_output, out_values, sink)
        system: System = LabelledSystem(
            steps, output=output, output_values=values, symbols=names, inputs=starts
        )
    elif kind == "nondeterministic":
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(counts[:, 0], minlength=n), out=indptr[1:])
        labels = None if symbols is None else np.array(names, dtype=object)[counts[:, 1]]
        output, values = _with_sink(state_output, out_values, None)
        system = NondeterministicSystem(
            (indptr, counts[:, 2]), labels=labels, output=output, output_values=values,
            inputs=starts,
        )
    else:
        system, sink = _markov(src, dst, n, state_output, out_values, starts)
    return EmpiricalSystem(
        system=system,
        kind=kind,
        alphabet=names,
        keys=table,
        state_ids=readonly(state_ids),
        offsets=readonly(offsets),
        letters=readonly(letters),
        conflicts=readonly(conflicts),
        output_conflicts=readonly(np.asarray(output_conflicts, dtype=np.int64)),
        sink=sink,
        unobserved=unobserved,
        counts=readonly(counts.astype(np.int64)),
        quantizer=quantizer,
    )


def _with_sink(
    state_output: Ids | None, values: tuple[Any, ...], sink: int | None
) -> tuple[Any, Any]:
    """Output ids and values, with the sink's :data:`UNOBSERVED` appended."""
    if state_output is None:
        if sink is None:
            return None, None
        # No outputs: each observed state is its own, and the sink is still UNOBSERVED.
        return np.arange(sink + 1, dtype=np.int64), (*range(sink), UNOBSERVED)
    if sink is None:
        return state_output, values
    return np.append(state_output, len(values)), (*values, UNOBSERVED)


def _markov(
    src: Ids, dst: Ids, n: int, state_output: Ids | None, values: tuple[Any, ...], starts: Ids
) -> tuple[System, int | None]:
    """The chain of observed frequencies (letters marginalised)."""
    key = src * n + dst
    uniq, counts = np.unique(key, return_counts=True)
    s, t = uniq // n, uniq % n
    totals = np.bincount(s, weights=counts, minlength=n)
    dead = np.flatnonzero(totals == 0)
    sink = n if dead.size else None
    size = n + (1 if dead.size else 0)
    probs = counts / totals[s]
    if dead.size:
        s = np.concatenate([s, dead, [n]])
        t = np.concatenate([t, np.full(dead.shape[0], n), [n]])
        probs = np.concatenate([probs, np.ones(dead.shape[0] + 1)])
    order = np.lexsort((t, s))
    s, t, probs = s[order], t[order], probs[order]
    indptr = np.zeros(size + 1, dtype=np.int64)
    np.cumsum(np.bincount(s, minlength=size), out=indptr[1:])
    output, out_values = _with_sink(state_output, values, sink)
    chain = MarkovChain(
        (indptr, t.astype(np.int64), probs), output=output, output_values=out_values, inputs=starts
    )
    return chain, sink
