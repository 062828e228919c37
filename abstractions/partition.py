"""Abstractions as partitions of the states ``0 .. n-1``.

An abstraction keeps some information about a state and forgets the rest.
Two views of the same thing: an equivalence relation on states (a
partition: two states are related when the abstraction cannot tell them
apart), or a function ``alpha : M -> A`` (its kernel is the partition).
:class:`Partition` stores the first view as one canonical block id per state.

Order: the *information order* of the framework, ``P <= Q`` when ``P``
holds at most the information of ``Q`` (``P`` is coarser, every block of
``Q`` lies inside a block of ``P``). The discrete partition :meth:`Partition.top`
keeps everything, the one-block partition :meth:`Partition.bottom` nothing.
Join ``P | Q`` is the common refinement (what you know when you know both),
meet ``P & Q`` the finest common coarsening (what both let you know). With
these the partitions of a finite set form a complete lattice (not a
distributive one).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from abstractions._config import REPR_MAX_STATES
from abstractions._engine.primitives import first_occurrence as _first_occurrence
from abstractions._engine.primitives import meet_roots, pair_ids as _pair_ids
from abstractions._validation import Ids, as_count, as_index_array, as_state_subset, readonly
from abstractions.exceptions import (
    InvalidTypeError,
    InvalidValueError,
    SizeMismatchError,
)

__all__ = ["Partition", "canonical_labels", "first_occurrences", "label_array"]


def _python_objects(array: np.ndarray) -> np.ndarray:
    """An object array whose numpy scalars are replaced by the matching Python objects."""
    if not any(isinstance(item, np.generic) for item in array):
        return array
    return np.fromiter(
        (item.item() if isinstance(item, np.generic) else item for item in array),
        dtype=object,
        count=array.shape[0],
    )


def label_array(labels: Any, name: str) -> np.ndarray:
    """Turn any 1-d collection of hashable labels into a 1-d numpy array.

    The array keeps what Python equality says about the labels: a list goes
    to a numeric dtype only when every item is of one exact kind that the
    dtype holds without loss (Python ints that fit in int64, floats, bools,
    numeric numpy scalars); anything else (ints beyond 64 bits, strings,
    bytes, tuples, mixtures such as ``[1, 2.5]`` or ``[True, 2]``) stays an
    array of the Python objects themselves. numpy would turn ``2**63`` into
    a float, ``"a\\0"`` into ``"a"`` and ``[0, "0"]`` into two equal
    strings. An array given by the caller is taken as it is (its values are
    already what numpy made of them), except that numpy scalars inside an
    object array are unwrapped into Python scalars.

    Examples
    --------
    >>> label_array([2**63, 2**63 - 1], "labels").dtype
    dtype('O')
    >>> label_array([1, 2], "labels").dtype
    dtype('int64')
    """
    if isinstance(labels, Partition):
        return labels.labels
    if isinstance(labels, np.ndarray):
        if labels.ndim != 1:
            raise InvalidValueError(
                f"{name} must be 1-dimensional, got an array of shape {labels.shape}"
            )
        return _python_objects(labels) if labels.dtype.kind == "O" else labels
    if isinstance(labels, (str, bytes)) or not isinstance(labels, Iterable):
        raise InvalidTypeError(
            f"{name} must be a 1-d sequence of labels, got {type(labels).__name__}"
        )
    items = labels if isinstance(labels, (list, tuple)) else list(labels)  # generators too
    kinds = set(map(type, items))  # one C-level pass; decides the dtype without guessing
    if len(kinds) == 1:
        kind = next(iter(kinds))
        if kind is int:
            try:
                return np.array(items, dtype=np.int64)
            except OverflowError:  # beyond 64 bits: keep the Python ints
                pass
        elif kind is float:
            return np.array(items, dtype=np.float64)
        elif kind is bool:
            return np.array(items, dtype=bool)
        elif issubclass(kind, (np.number, np.bool_)):
            # numeric numpy scalars of one type: their own dtype, read back as Python scalars
            return np.array(items, dtype=kind)
    # One object per label: a list of tuples must not become a 2-d array.
    return _python_objects(np.fromiter(items, dtype=object, count=len(items)))


def first_occurrences(labels: Ids) -> Ids:
    """Index of the first state of each block of canonical ``labels``.

    Examples
    --------
    >>> first_occurrences(np.array([0, 1, 0, 2, 1]))
    array([0, 1, 3])
    """
    if labels.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    # Canonical labels: a block starts exactly where the running maximum of
    # the labels goes up, so no sort or scatter is needed. The steps as
    # bools, not a diff of int64s: a tenth of the memory written.
    running = np.maximum.accumulate(labels)
    starts = np.empty(running.shape[0], dtype=bool)
    starts[0] = True
    np.greater(running[1:], running[:-1], out=starts[1:])
    return np.flatnonzero(starts).astype(np.int64, copy=False)


#: The key that stands for every NaN label (see canonical_labels).
_NAN = object()


def canonical_labels(values: Any, name: str = "labels") -> tuple[Ids, int]:
    """Renumber arbitrary labels by first occurrence.

    Parameters
    ----------
    values : array_like
        One hashable label per state (ints, strings, tuples, ...).
    name : str, default "labels"
        Argument name used in error messages.

    Returns
    -------
    labels : numpy.ndarray of int64
        ``labels[i]`` is the number of distinct labels seen before the first
        occurrence of ``values[i]``'s label.
    n_blocks : int
        Number of distinct labels.

    Raises
    ------
    InvalidValueError
        If ``values`` is not 1-dimensional.
    InvalidTypeError
        If a label is not hashable.

    Notes
    -----
    Labels are compared by Python equality and hashing, never after a
    conversion to a fixed-width or float dtype: ``2**63`` and ``2**63 - 1``
    are two labels, and so are ``"a"``, ``b"a"`` and ``"a\\0"``. Python
    equality also decides mixed kinds: ``True == 1 == 1.0``, so these are
    one label (named by its first occurrence wherever values are kept).
    One exception: every NaN is the same label (Python's ``nan != nan``
    would make each NaN object its own block, and float arrays could not
    agree with lists). Arrays of Python ints that fit in int64 and numpy
    integer arrays of any size take a vectorised path, with no Python loop
    over the labels.

    Examples
    --------
    >>> canonical_labels(["b", "a", "b", "c"])
    (array([0, 1, 0, 2]), 3)
    >>> canonical_labels([2**63, 2**63 - 1, "a", b"a", "a\\0"])[1]
    5
    >>> canonical_labels([True, 1, 1.0, 2])[1]
    2
    """
    array = label_array(values, name)
    n = array.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64), 0
    kind = array.dtype.kind
    if kind in "iu":
        low, high = int(array.min()), int(array.max())
        if low >= 0 and high < 2 * n + 64:
            # Dense small ids (the common case: labels of another partition):
            # one linear pass, no sort.
            return _first_occurrence(array.astype(np.int64, copy=False), high + 1)
        if high - low < 2**62:
            # Sparse ints (codes, hashes): one hashing pass, no sort.
            if kind == "u":  # subtract before the cast: uint64 may exceed int64
                shifted = (array - array.dtype.type(low)).astype(np.int64)
            else:
                shifted = array.astype(np.int64) - low
            return _pair_ids(shifted, high - low + 1, np.zeros(n, dtype=np.int64), 1)
    if kind == "O":
        ids: dict[Any, int] = {}
        out = np.empty(n, dtype=np.int64)
        for i, item in enumerate(array):
            # All NaNs are one label, as in float arrays (np.unique); a dict
            # would tell NaN objects apart by identity.
            key = _NAN if type(item) is float and math.isnan(item) else item
            try:
                out[i] = ids.setdefault(key, len(ids))
            except TypeError:
                raise InvalidTypeError(
                    f"{name}[{i}] = {item!r} is not hashable, so it cannot be a label"
                    + (" (for a list of blocks use Partition.from_blocks)" if isinstance(item, list) else "")
                ) from None
        return out, len(ids)
    # Floats, strings, ints spread over more than 2**62: compress by
    # sorting, then renumber.
    _, inverse = np.unique(array, return_inverse=True)
    inverse = inverse.reshape(-1).astype(np.int64, copy=False)
    return _first_occurrence(inverse, int(inverse.max()) + 1)


class Partition:
    """A partition of the states ``0 .. n-1``: one abstraction of a computation.

    Stored as canonical labels: ``labels[m]`` is the block of state ``m``,
    blocks numbered by first occurrence (``labels[0] == 0`` and each new block
    takes the next id), so equal partitions have equal arrays and hashes.
    Immutable.

    Parameters
    ----------
    labels : array_like
        One hashable label per state; states with equal labels share a block.
        Same as :meth:`Partition.from_labels`.

    See Also
    --------
    Partition.from_labels, Partition.from_blocks, Partition.kernel

    Notes
    -----
    The order is the information order: ``P <= Q`` means ``P`` holds at most
    the information of ``Q`` (``P`` is coarser), the opposite of the usual
    "refinement" order. Join ``|`` is the common refinement, meet ``&`` the
    finest common coarsening.

    Examples
    --------
    >>> P = Partition([5, 5, 7, 5])
    >>> P
    Partition.from_blocks([[0, 1, 3], [2]], n=4)
    >>> P.labels
    array([0, 0, 1, 0])
    >>> Partition.bottom(4) <= P <= Partition.top(4)
    True
    """

    __slots__ = ("_labels", "_n_blocks", "_hash", "_representatives")

    _labels: Ids
    _n_blocks: int
    _hash: int | None
    _representatives: Ids | None

    def __init__(self, labels: Any) -> None:
        canonical, n_blocks = canonical_labels(labels)
        self._set(canonical, n_blocks)

    def _set(self, labels: Ids, n_blocks: int) -> None:
        object.__setattr__(self, "_labels", readonly(labels))
        object.__setattr__(self, "_n_blocks", n_blocks)
        object.__setattr__(self, "_hash", None)
        object.__setattr__(self, "_representatives", None)

    @classmethod
    def _from_canonical(cls, labels: Ids, n_blocks: int) -> Partition:
        """Wrap labels that are already canonical int64 (no checks)."""
        self = cls.__new__(cls)
        self._set(labels, n_blocks)
        return self

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Partition is immutable; cannot set {name!r}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (Partition._from_canonical, (np.array(self._labels), self._n_blocks))

    # ------------------------------------------------------------------ constructors

    @classmethod
    def from_labels(cls, labels: Any) -> Partition:
        """Partition whose blocks are the states with equal labels.

        Parameters
        ----------
        labels : array_like
            One hashable label per state (ints, strings, tuples, ...).

        Returns
        -------
        Partition

        Raises
        ------
        InvalidValueError
            If ``labels`` is not 1-dimensional.
        InvalidTypeError
            If a label is not hashable.

        Examples
        --------
        >>> Partition.from_labels(["x", "y", "x"]).labels
        array([0, 1, 0])
        """
        return cls(labels)

    @classmethod
    def from_blocks(cls, blocks: Iterable[Iterable[int]], n: int | None = None) -> Partition:
        """Partition with the given blocks.

        Parameters
        ----------
        blocks : iterable of iterables of int
            The blocks; together they must hold every state ``0 .. n-1``
            exactly once. Order does not matter.
        n : int, optional
            Number of states; by default the number of states listed.

        Returns
        -------
        Partition

        Raises
        ------
        InvalidValueError
            If a block is empty, a state is negative, ``>= n``, listed twice
            or missing.
        InvalidTypeError
            If a state is not an integer.

        Examples
        --------
        >>> Partition.from_blocks([[2], [0, 1]]).labels
        array([0, 0, 1])
        """
        if isinstance(blocks, (str, bytes)) or not isinstance(blocks, Iterable):
            raise InvalidTypeError(
                f"blocks must be an iterable of iterables of states, got {type(blocks).__name__}"
            )
        parts = []
        for j, block in enumerate(blocks):
            if isinstance(block, (str, bytes)) or not isinstance(block, Iterable):
                raise InvalidTypeError(
                    f"blocks[{j}] must be an iterable of states, got {block!r}"
                )
            states = as_index_array(list(block) if not isinstance(block, np.ndarray) else block, f"blocks[{j}]")
            if states.size == 0:
                raise InvalidValueError(f"blocks[{j}] is empty; every block needs a state")
            parts.append(states)
        total = sum(p.size for p in parts)
        size = total if n is None else as_count(n, "n")
        owner = np.full(size, -1, dtype=np.int64)
        for j, states in enumerate(parts):
            too_big = np.flatnonzero(states >= size)
            if too_big.size:
                raise InvalidValueError(
                    f"blocks[{j}] holds state {states[too_big[0]]}, out of range for {size} states"
                )
            _, first, counts = np.unique(states, return_index=True, return_counts=True)
            if (counts > 1).any():
                state = int(states[first[np.flatnonzero(counts > 1)[0]]])
                raise InvalidValueError(f"state {state} is listed twice in blocks[{j}]")
            taken = owner[states] >= 0
            if taken.any():
                state = int(states[np.flatnonzero(taken)[0]])
                raise InvalidValueError(
                    f"state {state} is in both blocks[{owner[state]}] and blocks[{j}]"
                )
            owner[states] = j
        missing = np.flatnonzero(owner < 0)
        if missing.size:
            raise InvalidValueError(
                f"state {missing[0]} is in no block ({missing.size} of {size} states missing)"
            )
        labels, n_blocks = _first_occurrence(owner, max(len(parts), 1))
        return cls._from_canonical(labels, n_blocks)

    @classmethod
    def kernel(
        cls,
        f: Callable[[Any], Any] | Mapping[int, Any] | Any,
        n: int | None = None,
        *,
        vectorized: bool = False,
    ) -> Partition:
        """The kernel of a function: states are related when ``f`` agrees on them.

        ``ker f = {(m1, m2) : f(m1) == f(m2)}``: the abstraction that keeps
        exactly the value of ``f``.

        Parameters
        ----------
        f : array_like, mapping or callable
            The function on states ``0 .. n-1``: an array of values (one per
            state), a mapping from state to value, or a callable taking a
            state index.
        n : int, optional
            Number of states; required for a callable, checked for an array.
        vectorized : bool, default False
            Call ``f`` once on ``numpy.arange(n)`` (it must return ``n``
            values) instead of once per state.

        Returns
        -------
        Partition

        Raises
        ------
        InvalidValueError
            If ``n`` is missing for a callable or disagrees with ``len(f)``,
            or a vectorised ``f`` returns the wrong shape.

        See Also
        --------
        Partition.pullback : ``Partition.kernel(f) == Partition.top(k).pullback(f)``.

        Examples
        --------
        >>> Partition.kernel(lambda m: m % 3, 6).labels
        array([0, 1, 2, 0, 1, 2])
        >>> Partition.kernel(lambda m: m // 2, 6, vectorized=True).n_blocks
        3
        """
        if callable(f) and not isinstance(f, np.ndarray):
            if n is None:
                raise InvalidValueError("n is required when f is a callable")
            size = as_count(n, "n")
            if vectorized:
                result = np.asarray(f(np.arange(size)))
                if result.shape != (size,):
                    raise InvalidValueError(
                        f"vectorized f must return {size} values for np.arange({size}), "
                        f"got shape {result.shape}"
                    )
                return cls(result)
            return cls([f(m) for m in range(size)])
        if isinstance(f, Mapping):
            if n is None:
                raise InvalidValueError("n is required when f is a mapping")
            size = as_count(n, "n")
            missing = [m for m in range(size) if m not in f]
            if missing:
                raise InvalidValueError(f"f has no value for state {missing[0]}")
            return cls([f[m] for m in range(size)])
        values = label_array(f, "f")
        if n is not None and values.shape[0] != as_count(n, "n"):
            raise InvalidValueError(f"f has {values.shape[0]} values but n = {n}")
        return cls(values)

    @classmethod
    def top(cls, n: int) -> Partition:
        """The discrete partition: every state alone (all the information).

        Examples
        --------
        >>> Partition.top(3).n_blocks
        3
        """
        size = as_count(n, "n")
        return cls._from_canonical(np.arange(size, dtype=np.int64), size)

    @classmethod
    def bottom(cls, n: int) -> Partition:
        """The one-block partition (no information); no blocks when ``n == 0``.

        Examples
        --------
        >>> Partition.bottom(3).labels
        array([0, 0, 0])
        """
        size = as_count(n, "n")
        return cls._from_canonical(np.zeros(size, dtype=np.int64), min(size, 1))

    # ------------------------------------------------------------------ views

    @property
    def labels(self) -> Ids:
        """Canonical block id of each state (read-only int64 array, shape ``(n,)``)."""
        return self._labels

    @property
    def n(self) -> int:
        """Number of states."""
        return int(self._labels.shape[0])

    @property
    def n_blocks(self) -> int:
        """Number of blocks (abstract states)."""
        return self._n_blocks

    def block_sizes(self) -> Ids:
        """Number of states in each block, in block-id order.

        Examples
        --------
        >>> Partition([0, 1, 0]).block_sizes()
        array([2, 1])
        """
        return np.bincount(self._labels, minlength=self._n_blocks).astype(np.int64)

    def representatives(self) -> Ids:
        """The first (smallest) state of each block, in block-id order.

        Examples
        --------
        >>> Partition([0, 1, 0, 2]).representatives()
        array([0, 1, 3])
        """
        reps = self._representatives
        if reps is None:
            reps = readonly(first_occurrences(self._labels))
            object.__setattr__(self, "_representatives", reps)
        return reps

    def blocks_csr(self) -> tuple[Ids, Ids]:
        """Block-to-states map in compressed form, for large partitions.

        Returns
        -------
        offsets : numpy.ndarray of int64, shape ``(n_blocks + 1,)``
        states : numpy.ndarray of int64, shape ``(n,)``
            Block ``b`` holds ``states[offsets[b]:offsets[b + 1]]``, increasing.

        Examples
        --------
        >>> offsets, states = Partition([0, 1, 0]).blocks_csr()
        >>> offsets, states
        (array([0, 2, 3]), array([0, 2, 1]))
        """
        states = np.argsort(self._labels, kind="stable").astype(np.int64)
        offsets = np.zeros(self._n_blocks + 1, dtype=np.int64)
        np.cumsum(self.block_sizes(), out=offsets[1:])
        return offsets, states

    def blocks(self) -> list[Ids]:
        """The blocks as arrays of states, in block-id order.

        Examples
        --------
        >>> Partition([0, 1, 0]).blocks()
        [array([0, 2]), array([1])]
        """
        offsets, states = self.blocks_csr()
        return [states[offsets[b] : offsets[b + 1]] for b in range(self._n_blocks)]

    # ------------------------------------------------------------------ order

    def _check_same_n(self, other: Partition, op: str) -> None:
        if self.n != other.n:
            raise SizeMismatchError(
                f"cannot {op} partitions of different sizes: {self.n} states and {other.n} states"
            )

    def __le__(self, other: object) -> bool:
        """``P <= Q``: ``P`` holds at most the information of ``Q`` (is coarser)."""
        if not isinstance(other, Partition):
            return NotImplemented
        self._check_same_n(other, "compare")
        if self._n_blocks > other._n_blocks:
            return False
        # P <= Q iff P is constant on every block of Q.
        mine_at_reps = self._labels[other.representatives()]
        return bool(np.array_equal(self._labels, mine_at_reps[other._labels]))

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Partition):
            return NotImplemented
        return other.__le__(self)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Partition):
            return NotImplemented
        return self._n_blocks < other._n_blocks and self <= other

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Partition):
            return NotImplemented
        return other.__lt__(self)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Partition):
            return NotImplemented
        return self._n_blocks == other._n_blocks and bool(
            np.array_equal(self._labels, other._labels)
        )

    def __hash__(self) -> int:
        value = self._hash
        if value is None:
            value = hash((self.n, self._labels.tobytes()))
            object.__setattr__(self, "_hash", value)
        return value

    # ------------------------------------------------------------------ lattice

    def join(self, other: Partition) -> Partition:
        """Common refinement: the least abstraction that knows both.

        Two states share a block of ``P | Q`` when they share a block of
        ``P`` and a block of ``Q``.

        Parameters
        ----------
        other : Partition
            A partition of the same states.

        Returns
        -------
        Partition

        Raises
        ------
        SizeMismatchError
            If the partitions have different ``n``.

        Examples
        --------
        >>> (Partition([0, 0, 1, 1]) | Partition([0, 1, 1, 1])).labels
        array([0, 1, 2, 2])
        """
        other = _require_partition(other, "other")
        self._check_same_n(other, "join")
        labels, count = _pair_ids(self._labels, self._n_blocks, other._labels, other._n_blocks)
        return Partition._from_canonical(labels, count)

    def meet(self, other: Partition) -> Partition:
        """Finest common coarsening: what both abstractions let you know.

        The transitive closure of the union of the two equivalence relations,
        computed as connected components (union-find over blocks).

        Parameters
        ----------
        other : Partition
            A partition of the same states.

        Returns
        -------
        Partition

        Raises
        ------
        SizeMismatchError
            If the partitions have different ``n``.

        Examples
        --------
        >>> (Partition([0, 0, 1, 2]) & Partition([0, 1, 1, 2])).labels
        array([0, 0, 0, 1])
        """
        other = _require_partition(other, "other")
        self._check_same_n(other, "meet")
        roots = meet_roots(self._labels, self._n_blocks, other._labels, other._n_blocks)
        labels, count = _first_occurrence(roots, max(self._n_blocks, 1))
        return Partition._from_canonical(labels, count)

    def __or__(self, other: object) -> Partition:
        if not isinstance(other, Partition):
            return NotImplemented
        return self.join(other)

    def __and__(self, other: object) -> Partition:
        if not isinstance(other, Partition):
            return NotImplemented
        return self.meet(other)

    def pullback(self, f: Any) -> Partition:
        """Pull this abstraction back along a map ``f`` into its states.

        ``f*(P)`` relates ``m1`` and ``m2`` when ``f(m1)`` and ``f(m2)`` share a
        block of ``P``. Pulled back along a computation's ``step`` this is "the
        abstraction of the next state".

        Parameters
        ----------
        f : array_like of int, shape (m,)
            The map: ``f[i]`` is a state of this partition (``0 <= f[i] < n``).

        Returns
        -------
        Partition
            A partition of the ``m`` states of ``f``'s domain.

        Raises
        ------
        InvalidValueError
            If ``f`` is not 1-d or holds a negative or out-of-range state.
        InvalidTypeError
            If ``f`` does not hold integers.

        Examples
        --------
        >>> P = Partition([0, 1, 1])
        >>> P.pullback([2, 0, 1, 0]).labels
        array([0, 1, 0, 1])
        """
        f = as_index_array(f, "f", n=self.n)
        labels, count = _first_occurrence(self._labels[f], max(self._n_blocks, 1))
        return Partition._from_canonical(labels, count)

    def restrict(self, states: Any) -> Partition:
        """This partition seen on a subset of the states.

        Parameters
        ----------
        states : array_like
            Distinct state ids, or a boolean mask of length ``n``. State ``i``
            of the result is ``states[i]``.

        Returns
        -------
        Partition

        Raises
        ------
        InvalidValueError
            If a state is out of range or listed twice.

        Examples
        --------
        >>> Partition([0, 1, 0, 2]).restrict([2, 3]).labels
        array([0, 1])
        """
        index = as_state_subset(states, self.n, "states")
        return self.pullback(index)

    # ------------------------------------------------------------------ display

    def __repr__(self) -> str:
        if self.n <= REPR_MAX_STATES:
            blocks = [b.tolist() for b in self.blocks()]
            return f"Partition.from_blocks({blocks}, n={self.n})"
        sizes = self.block_sizes()
        return (
            f"<Partition of {self.n} states into {self._n_blocks} blocks "
            f"(sizes {sizes.min()}..{sizes.max()})>"
        )

    def _repr_html_(self) -> str:
        """A compact HTML summary for Jupyter: sizes, then the first blocks and their states.

        Examples
        --------
        >>> html = Partition([0, 1, 0])._repr_html_()
        >>> html.startswith("<div><b>Partition</b> of 3 states into 2 blocks")
        True
        >>> "<td>0, 2</td>" in html
        True
        """
        from html import escape

        sizes = self.block_sizes()
        blocks = "1 block" if self._n_blocks == 1 else f"{self._n_blocks} blocks"
        states = "1 state" if self.n == 1 else f"{self.n} states"
        rows = []
        for b, members in enumerate(self.blocks()[:10]):
            shown = ", ".join(str(m) for m in members[:8].tolist())
            shown += ", ..." if members.size > 8 else ""
            rows.append(f"<tr><td>{b}</td><td>{int(sizes[b])}</td><td>{escape(shown)}</td></tr>")
        more = f"<p>... ({self._n_blocks - 10} more blocks)</p>" if self._n_blocks > 10 else ""
        return (
            f"<div><b>Partition</b> of {states} into {blocks}"
            f"<table><thead><tr><th>block</th><th>size</th><th>states</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>{more}</div>"
        )

    def __str__(self) -> str:
        if self.n <= REPR_MAX_STATES:
            return " | ".join(" ".join(str(s) for s in b.tolist()) for b in self.blocks())
        return repr(self)

    # ------------------------------------------------------------------ ecosystem
    # Thin delegates to abstractions.symbolic, which imports sympy only when called.

    @classmethod
    def from_expression(
        cls, expr: Any, variables: Any, *, max_states: int = 10_000_000
    ) -> Partition:
        """The kernel of a sympy expression of the state; see :func:`abstractions.symbolic.partition_from_expression`.

        Examples
        --------
        >>> import sympy
        >>> x = sympy.Symbol("x")
        >>> Partition.from_expression(x // 2, {x: 4}).labels
        array([0, 0, 1, 1])
        """
        from abstractions.symbolic import partition_from_expression

        return partition_from_expression(expr, variables, max_states=max_states)

    def to_sympy(self) -> Any:
        """As a ``sympy.combinatorics.partitions.Partition``; see :func:`abstractions.symbolic.partition_to_sympy`.

        Examples
        --------
        >>> Partition([0, 0, 1]).to_sympy()
        Partition({2}, {0, 1})
        """
        from abstractions.symbolic import partition_to_sympy

        return partition_to_sympy(self)

    @classmethod
    def from_sympy(cls, p: Any) -> Partition:
        """From a sympy ``Partition`` of ``0 .. n-1``; see :func:`abstractions.symbolic.partition_from_sympy`.

        Examples
        --------
        >>> from sympy.combinatorics.partitions import Partition as SympyPartition
        >>> Partition.from_sympy(SympyPartition([0, 1], [2])).labels
        array([0, 0, 1])
        """
        from abstractions.symbolic import partition_from_sympy

        return partition_from_sympy(p)


def _require_partition(value: Any, name: str) -> Partition:
    if not isinstance(value, Partition):
        raise InvalidTypeError(f"{name} must be a Partition, got {type(value).__name__}")
    return value
