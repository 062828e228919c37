"""Labelled deterministic systems: one step function per symbol (DFA, Moore machine).

The functor is ``F(X) = X^A``: a state has one successor for each symbol of
the alphabet ``A``. An abstraction is complete when it is complete for every
symbol's step (``alpha >= step_a*(alpha)`` for all ``a``); the least
complete abstraction above the output kernel is the minimal Moore machine
(the minimal DFA for an accept/reject output).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, ClassVar

import numpy as np

from abstractions._engine.relation import Relation
from abstractions._validation import Ids, as_index_array, python_value, readonly
from abstractions.exceptions import InvalidTypeError, InvalidValueError
from abstractions.partition import Partition
from abstractions.systems.base import TransitionSystem

__all__ = ["LabelledSystem"]


class LabelledSystem(TransitionSystem):
    """A deterministic system with one step function per input symbol.

    Also built by :meth:`TransitionSystem.labelled`.

    Parameters
    ----------
    steps : array_like of shape (k, n), or mapping
        Row ``a`` is the step function on symbol ``a``. A mapping
        ``{symbol: step array}`` names the symbols by its keys.
    output : array_like, optional
        The output of each state (any hashable values, e.g. ``True`` for
        accepting states), or output ids with ``output_values``. Without
        it, every state is its own output (as for a Computation).
    output_values : sequence, optional
        The values the ids in ``output`` stand for.
    symbols : sequence of hashable, optional
        Names of the ``k`` symbols (default ``0 .. k-1``); not with a
        mapping.
    inputs : mapping or sequence of int, optional
        Start states (e.g. the initial state of a DFA), as for a
        Computation; by default every state.
    state_labels : sequence, optional
        Distinct hashable names of the states.

    Raises
    ------
    InvalidValueError
        For no symbols, no states, rows of different lengths, a target
        out of range, or repeated symbols.
    InvalidTypeError
        For non-integer targets.

    Examples
    --------
    >>> T = LabelledSystem({"a": [1, 1], "b": [0, 0]}, output=[0, 1])
    >>> T.kind, T.n, T.n_transitions, T.symbols
    ('labelled', 2, 4, ('a', 'b'))
    >>> T.steps
    array([[1, 1],
           [0, 0]])
    """

    __slots__ = ()

    kind: ClassVar[str] = "labelled"
    schema: ClassVar[Mapping[str, str]] = MappingProxyType({"steps": "id_table", "symbols": "values"})

    def __init__(
        self,
        steps: Any,
        *,
        output: Any = None,
        output_values: Sequence[Any] | None = None,
        symbols: Sequence[Hashable] | None = None,
        inputs: Any = None,
        state_labels: Sequence[Hashable] | None = None,
    ) -> None:
        if isinstance(steps, Mapping):
            if symbols is not None:
                raise InvalidValueError(
                    "symbols were given twice: as the keys of steps and as symbols"
                )
            names = tuple(steps.keys())
            rows = [steps[name] for name in names]
        else:
            if isinstance(steps, np.ndarray) and steps.ndim != 2:
                raise InvalidValueError(
                    f"steps must be a 2-d array of shape (symbols, states), got shape {steps.shape}"
                )
            try:
                rows = list(steps)
            except TypeError:
                raise InvalidTypeError(
                    f"steps must be a 2-d array or a mapping of step arrays, "
                    f"got {type(steps).__name__}"
                ) from None
            names = None
        if not rows:
            raise InvalidValueError("steps must have at least one symbol")
        k = len(rows)
        symbol_names = _symbol_names(names if names is not None else symbols, k)
        first = as_index_array(rows[0], f"steps[{symbol_names[0]!r}]")
        n = first.shape[0]
        if n == 0:
            raise InvalidValueError("steps must have at least one state")
        table = np.empty((k, n), dtype=np.int64)
        for a, row in enumerate(rows):
            table[a] = as_index_array(row, f"steps[{symbol_names[a]!r}]", n=n, length=n)
        self._set_shared(n, output, output_values, inputs, state_labels)
        self._store_own((*_labelled_csr(table), symbol_names))

    @property
    def steps(self) -> Ids:
        """The step functions, shape ``(k, n)``: ``steps[a, s]`` is the successor on symbol ``a``."""
        assert self._symbols is not None  # every labelled system has its symbols
        return readonly(self._targets.reshape(self.n, len(self._symbols)).T.copy())

    def _relation(self) -> Relation:
        return Relation(how="exists", deterministic=True, **self._relation_fields())

    def _to_fields(self) -> dict[str, Any]:
        return {"steps": self.steps, "symbols": self._symbols}

    @classmethod
    def _from_fields(cls, own: dict[str, Any], shared: dict[str, Any]) -> LabelledSystem:
        return cls(cls._needed(own, "steps"), symbols=own["symbols"], **shared)

    def _restrict_own(self, index: Ids, position: Ids) -> tuple[Any, ...]:
        indptr, targets, edge_labels, _ = self._restrict_csr(index, position)
        return indptr, targets, edge_labels, self._symbols

    def _quotient_own(self, P: Partition, rows: Any = None) -> tuple[Any, ...]:
        return (*_labelled_csr(P.labels[self.steps[:, P.representatives()]]), self._symbols)


def _symbol_names(names: Sequence[Hashable] | None, k: int) -> tuple[Any, ...]:
    if names is None:
        return tuple(range(k))
    names = tuple(python_value(x) for x in names)
    if len(names) != k:
        raise InvalidValueError(
            f"symbols has {len(names)} entries, expected {k} (one per step row)"
        )
    try:
        distinct = len(set(names))
    except TypeError:
        raise InvalidTypeError("symbols must be hashable") from None
    if distinct != k:
        raise InvalidValueError(f"symbols must be distinct, got {names!r}")
    return names


def _labelled_csr(table: Ids) -> tuple[Ids, Ids, Ids]:
    """(indptr, targets, edge_labels) of step functions ``table`` (shape (k, n)).

    State ``s`` has one transition per symbol, in symbol order.
    """
    k, n = table.shape
    indptr = np.arange(0, n * k + 1, k, dtype=np.int64)
    targets = np.ascontiguousarray(table.T, dtype=np.int64).reshape(-1)
    return indptr, targets, np.tile(np.arange(k, dtype=np.int64), n)
