"""Nondeterministic systems: a transition relation (Kripke structures, LTSs).

The functor is ``F(X) = P(A x X)``: a state has a set of successors, each
reached by an action (one action when unlabelled). An abstraction is
complete when related states reach the same set of (action, block) pairs;
the least complete abstraction above ``beta`` is the coarsest strong
bisimulation that refines ``beta``.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, ClassVar

import numpy as np

from abstractions._engine.relation import Relation, quotient_rows
from abstractions._validation import Ids, as_index_array, python_value
from abstractions.exceptions import InvalidTypeError, InvalidValueError
from abstractions.partition import Partition
from abstractions.systems._parse import (
    check_csr,
    flat,
    is_sparse,
    label_ids,
    matrix_entries,
    row_pointers,
    sorted_transitions,
)
from abstractions.systems.base import TransitionSystem

__all__ = ["NondeterministicSystem"]


class NondeterministicSystem(TransitionSystem):
    """A system whose transition is a relation (a Kripke structure or LTS).

    Also built by :meth:`TransitionSystem.nondeterministic`.

    Parameters
    ----------
    successors : tuple, sequence of sequences, 2-d array or sparse matrix
        ``(indptr, indices)`` CSR arrays; or one sequence of successor
        ids per state; or a square 0/1 (bool) adjacency matrix, dense or
        any object with ``tocsr()`` (scipy.sparse).
    labels : array_like or sequence of sequences, optional
        An action label per transition (a labelled transition system),
        laid out like ``successors``: a flat array beside CSR
        ``indices``, or one sequence per state. Not with a matrix.
    output : array_like, optional
        The observable output of each state (see
        :class:`~abstractions.systems.LabelledSystem`).
    output_values : sequence, optional
    inputs : mapping or sequence of int, optional
        Start states, as for a Computation; by default every state.
    state_labels : sequence, optional
        Distinct hashable names of the states.

    Raises
    ------
    InvalidValueError
        For malformed CSR arrays, a successor out of range, a non-square
        matrix, or labels that do not match the transitions.
    InvalidTypeError
        For successors of another type or non-integer ids.

    Notes
    -----
    Repeated transitions are merged and each state's transitions are sorted
    by (label, target). A state without successors (a deadlock) is allowed.

    Examples
    --------
    >>> T = NondeterministicSystem([[1, 2], [1], [2, 2]])
    >>> T.n_transitions, T.successors(0), T.successors(2)
    (4, array([1, 2]), array([2]))
    """

    __slots__ = ()

    kind: ClassVar[str] = "nondeterministic"
    schema: ClassVar[Mapping[str, str]] = MappingProxyType(
        {"indptr": "ids", "targets": "ids", "edge_labels": "ids", "symbols": "values"}
    )

    def __init__(
        self,
        successors: Any,
        *,
        labels: Any = None,
        output: Any = None,
        output_values: Sequence[Any] | None = None,
        inputs: Any = None,
        state_labels: Sequence[Hashable] | None = None,
    ) -> None:
        if is_sparse(successors) or (
            isinstance(successors, np.ndarray) and successors.ndim == 2
        ):
            if labels is not None:
                raise InvalidValueError(
                    "labels need successors as CSR arrays or one sequence per state, not a matrix"
                )
            n, src, dst, data = matrix_entries(successors, "successors")
            bad = np.flatnonzero(data != 1) if data.dtype.kind != "b" else np.zeros(0, np.int64)
            if bad.size:
                i = int(bad[0])
                raise InvalidValueError(
                    f"successors must be a 0/1 adjacency matrix, got {data[i]!r} at "
                    f"({int(src[i])}, {int(dst[i])})"
                )
            lab = None
        else:
            n, src, dst, lab = _relation(successors, labels)
        edge_labels, symbols = (None, None) if lab is None else label_ids(lab)
        self._set_shared(n, output, output_values, inputs, state_labels)
        self._store_own(_canonical(n, src, dst, edge_labels, symbols))

    def _to_fields(self) -> dict[str, Any]:
        return {
            "indptr": self._indptr,
            "targets": self._targets,
            "edge_labels": self._edge_labels,
            "symbols": self._symbols,
        }

    @classmethod
    def _from_fields(cls, own: dict[str, Any], shared: dict[str, Any]) -> NondeterministicSystem:
        n, src, dst = check_csr(cls._needed(own, "indptr"), cls._needed(own, "targets"), "transitions")
        edge_labels, symbols = own["edge_labels"], own["symbols"]
        if (edge_labels is None) != (symbols is None):
            given, missing = ("edge_labels", "symbols") if symbols is None else ("symbols", "edge_labels")
            raise InvalidValueError(f"{given} was given without {missing}: labels need both")
        sym = None
        names = None
        if symbols is not None:
            if isinstance(symbols, (str, bytes)) or not isinstance(symbols, Iterable):
                raise InvalidTypeError(
                    f"symbols must be a sequence of actions, got {type(symbols).__name__}"
                )
            names = tuple(python_value(x) for x in symbols)
            try:
                distinct = len(set(names))
            except TypeError:
                raise InvalidTypeError("symbols must be hashable") from None
            if distinct != len(names):
                raise InvalidValueError(f"symbols must be distinct, got {names!r}")
            sym = as_index_array(edge_labels, "edge_labels", n=len(names), length=dst.shape[0])
        self = object.__new__(cls)
        self._set_shared(n, **shared)
        self._store_own(_canonical(n, src, dst, sym, names))
        return self

    def _relation(self) -> Relation:
        return Relation(how="exists", **self._relation_fields())

    def _restrict_own(self, index: Ids, position: Ids) -> tuple[Any, ...]:
        indptr, targets, edge_labels, _ = self._restrict_csr(index, position)
        return indptr, targets, edge_labels, self._symbols

    def _quotient_own(self, P: Partition, rows: Any = None) -> tuple[Any, ...]:
        if rows is None:
            rows = quotient_rows(self._relation(), P.labels, P.representatives())
        indptr, sym, dst, _ = rows
        return (
            indptr,
            np.ascontiguousarray(dst),
            None if self._edge_labels is None else np.ascontiguousarray(sym),
            self._symbols,
        )


def _canonical(
    n: int, src: Ids, dst: Ids, sym: Ids | None, symbols: tuple[Any, ...] | None
) -> tuple[Any, ...]:
    """The stored fields: transitions sorted by (source, symbol, target), repeats merged."""
    ids = np.zeros(src.shape[0], dtype=np.int64) if sym is None else sym
    src, dst, ids, _ = sorted_transitions(src, dst, ids, n, 1 if symbols is None else max(len(symbols), 1))
    keep = np.ones(src.shape[0], dtype=bool)
    keep[1:] = (src[1:] != src[:-1]) | (dst[1:] != dst[:-1]) | (ids[1:] != ids[:-1])
    src, dst, ids = src[keep], dst[keep], ids[keep]
    return (
        row_pointers(src, n),
        np.ascontiguousarray(dst),
        None if sym is None else np.ascontiguousarray(ids),
        symbols,
    )


def _relation(successors: Any, labels: Any) -> tuple[int, Ids, Ids, np.ndarray | None]:
    """(n, sources, targets, labels or None) from CSR arrays or a list of lists."""
    if isinstance(successors, tuple) and len(successors) == 2:
        n, src, dst = check_csr(successors[0], successors[1], "successors")
        if labels is None:
            return n, src, dst, None
        lab = flat(labels)
        if lab.shape[0] != dst.shape[0]:
            raise InvalidValueError(
                f"labels has {lab.shape[0]} entries, expected {dst.shape[0]} (one per transition)"
            )
        return n, src, dst, lab
    if isinstance(successors, (str, bytes)) or not isinstance(successors, Iterable):
        raise InvalidTypeError(
            "successors must be (indptr, indices) arrays, one sequence of successors per "
            f"state, or an adjacency matrix; got {type(successors).__name__}"
        )
    rows = list(successors)
    n = len(rows)
    if n == 0:
        raise InvalidValueError("successors must have at least one state")
    lab_rows = None
    if labels is not None:
        if isinstance(labels, (str, bytes)) or not isinstance(labels, Iterable):
            raise InvalidTypeError("labels must hold one sequence of labels per state")
        lab_rows = list(labels)
        if len(lab_rows) != n:
            raise InvalidValueError(
                f"labels has {len(lab_rows)} rows, expected {n} (one per state)"
            )
    src_parts, dst_parts, lab_parts = [], [], []
    for s, row in enumerate(rows):
        if isinstance(row, (str, bytes)) or not isinstance(row, Iterable):
            raise InvalidTypeError(f"successors[{s}] must be a sequence of states, got {row!r}")
        targets = as_index_array(list(row), f"successors[{s}]", n=n)
        src_parts.append(np.full(targets.shape[0], s, dtype=np.int64))
        dst_parts.append(targets)
        if lab_rows is not None:
            if isinstance(lab_rows[s], (str, bytes)):
                raise InvalidTypeError(
                    f"labels[{s}] must be a sequence of labels (one per successor), "
                    f"got the string {lab_rows[s]!r}"
                )
            row_labels = list(lab_rows[s])
            if len(row_labels) != targets.shape[0]:
                raise InvalidValueError(
                    f"labels[{s}] has {len(row_labels)} entries, but state {s} has "
                    f"{targets.shape[0]} successors"
                )
            lab_parts.extend(row_labels)
    src = np.concatenate(src_parts)
    dst = np.concatenate(dst_parts)
    if lab_rows is None:
        return n, src, dst, None
    lab = np.empty(len(lab_parts), dtype=object)
    lab[:] = lab_parts
    return n, src, dst, lab
