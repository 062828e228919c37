"""Reading an abstraction: a table per block, bisimilar states, equivalence classes.

:func:`describe` answers "what does each block of this abstraction stand
for?": its name (the rule of :func:`~abstractions.block_names`), its size,
a few of its states, its output and its abstract step.
:func:`bisimilar` and :func:`equivalence_class` answer the two questions
asked of a minimal complete abstraction most often: do these two states
behave the same, and which states behave like this one?
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from abstractions._validation import Ids, block_labels, python_value, show_label
from abstractions.completeness import block_names, completion
from abstractions.computation import Computation
from abstractions.exceptions import InvalidTypeError, InvalidValueError
from abstractions.keep import output_abstraction
from abstractions.minimal import minimal_complete_abstraction
from abstractions.partition import Partition
from abstractions.system import UNDETERMINED, System, as_system

__all__ = ["BlockTable", "describe", "bisimilar", "equivalence_class", "MAX_SHOWN_STATES"]

#: How many of a block's states :func:`describe` lists.
MAX_SHOWN_STATES = 4
#: The columns of :func:`describe`'s table.
_COLUMNS = ("block", "name", "size", "states", "output", "step", "stable")


class BlockTable:
    """The table :func:`describe` returns when pandas is not used: one row per block.

    ``rows`` is a list of dicts with the keys ``block``, ``name``,
    ``size``, ``states``, ``output``, ``step`` and ``stable``;
    ``str(table)`` aligns them as text, ``table.to_pandas()`` makes a
    DataFrame, and a notebook shows it as HTML.
    """

    def __init__(self, rows: list[dict[str, Any]], title: str = "") -> None:
        self.rows = rows
        self.title = title

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.rows)

    def to_pandas(self) -> Any:
        """The rows as a ``pandas.DataFrame`` indexed by block id."""
        import pandas as pd  # type: ignore[import-untyped,unused-ignore]

        return pd.DataFrame(self.rows, columns=list(_COLUMNS)).set_index("block")

    def _cells(self) -> list[list[str]]:
        header = list(_COLUMNS)
        body = [
            [str(row["block"]), show_label(row["name"]), str(row["size"]), row["states"],
             _shown(row["output"]), row["step"], "yes" if row["stable"] else "no"]
            for row in self.rows
        ]  # fmt: skip
        return [header, *body]

    def __str__(self) -> str:
        cells = self._cells()
        widths = [max(len(row[j]) for row in cells) for j in range(len(cells[0]))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells]
        return "\n".join(([self.title] if self.title else []) + lines)

    def __repr__(self) -> str:
        blocks = "1 block" if len(self.rows) == 1 else f"{len(self.rows)} blocks"
        return f"<BlockTable: {blocks}>"

    def _repr_html_(self) -> str:
        from html import escape

        cells = self._cells()
        head = "".join(f"<th>{escape(c)}</th>" for c in cells[0])
        body = "".join(
            "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in cells[1:]
        )
        caption = f"<caption>{escape(self.title)}</caption>" if self.title else ""
        return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _shown(value: Any) -> str:
    return "UNDETERMINED" if value is UNDETERMINED else repr(value)


def _weight(value: Any) -> str:
    if isinstance(value, Fraction):
        return str(value)
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _step_text(S: System, P: Partition, m: int, names: Sequence[Hashable]) -> str:
    """The transitions of state ``m`` seen through ``P``, naming the target blocks."""
    labels = P.labels
    if isinstance(S, Computation):
        return show_label(names[int(labels[int(S.step[m])])])
    # (symbol, block) -> summed weight, in order of first appearance
    seen: dict[tuple[Any, int], Any] = {}
    for symbol, target, weight in S.transitions(m):  # type: ignore[attr-defined]
        key = (symbol, int(labels[target]))
        weighted = S.kind in ("probabilistic", "ctmc")
        seen[key] = seen[key] + weight if key in seen and weighted else weight
    parts = []
    for (symbol, block), weight in seen.items():
        text = show_label(names[block])
        if symbol is not None:
            text = f"{show_label(symbol)} -> {text}"
        if S.kind in ("probabilistic", "ctmc"):
            text += f" ({_weight(weight)})"
        parts.append(text)
    return ", ".join(parts) if parts else "(none)"


def _names(names: Any, S: System, P: Partition) -> tuple[Hashable, ...]:
    if names is None:
        return block_names(S, P)
    return block_labels(names, P.n_blocks)


def describe(
    system: System,
    partition: Any,
    *,
    names: Sequence[Hashable] | Callable[[int], Hashable] | None = None,
    as_frame: bool | None = None,
) -> Any:
    """A table with one row per block of ``partition``: what each abstract state stands for.

    Parameters
    ----------
    system : System
        Any kind.
    partition : Partition or array_like
        An abstraction of its states, complete or not.
    names : sequence or callable, optional
        The blocks' names; by default :func:`~abstractions.block_names`
        (those :func:`~abstractions.abstract_computation` gives its states).
    as_frame : bool or None
        None (default): a ``pandas.DataFrame`` when pandas is installed,
        else a :class:`BlockTable`; True: a DataFrame (ImportError without
        pandas); False: a :class:`BlockTable`.

    Returns
    -------
    pandas.DataFrame or BlockTable
        Columns: ``name``, ``size``, ``states`` (the first
        :data:`MAX_SHOWN_STATES` states' names), ``output`` (the common
        output value, or :data:`~abstractions.UNDETERMINED`), ``step`` (the
        block's first state's transitions seen through the partition: the
        next block for a computation; ``symbol -> block`` pairs, with
        probabilities for a Markov chain) and ``stable`` (whether every
        state of the block has that step: all blocks are stable exactly
        when the partition is complete). The DataFrame is indexed by block
        id.

    See Also
    --------
    abstractions.abstract_computation, abstractions.block_names

    Examples
    --------
    >>> from abstractions import Computation, Partition
    >>> C = Computation([1, 2, 3, 0], output=["even", "odd", "even", "odd"])
    >>> print(describe(C, Partition([0, 1, 0, 1]), as_frame=False))
    block  name  size  states  output  step  stable
    0      even  2     0, 2    'even'  odd   yes
    1      odd   2     1, 3    'odd'   even  yes
    >>> print(describe(C, Partition([0, 0, 1, 1]), names=["low", "high"], as_frame=False))
    block  name  size  states  output        step  stable
    0      low   2     0, 1    UNDETERMINED  low   no
    1      high  2     2, 3    UNDETERMINED  high  no
    """
    S = as_system(system)
    P = partition if isinstance(partition, Partition) else Partition.from_labels(partition)
    if P.n != S.n:
        raise InvalidValueError(
            f"partition is a partition of {P.n} states, but the system has {S.n} states"
        )
    if as_frame not in (None, True, False):
        raise InvalidTypeError(f"as_frame must be None, True or False, got {as_frame!r}")
    block_name = _names(names, S, P)
    split = completion(S, P)
    # a block is stable when the completion operator leaves it whole
    pieces = np.bincount(P.labels[split.representatives()], minlength=P.n_blocks)
    sizes = P.block_sizes()
    rows = []
    for b, states in enumerate(P.blocks()):
        members: Ids = states
        outputs = np.unique(S.output[members])
        output = S.output_value(int(members[0])) if outputs.size == 1 else UNDETERMINED
        shown = ", ".join(show_label(S.label(int(m))) for m in members[:MAX_SHOWN_STATES].tolist())
        if members.size > MAX_SHOWN_STATES:
            shown += ", ..."
        rows.append(
            {
                "block": b,
                "name": python_value(block_name[b]),
                "size": int(sizes[b]),
                "states": shown,
                "output": output,
                "step": _step_text(S, P, int(members[0]), [show_label(x) for x in block_name]),
                "stable": bool(pieces[b] == 1),
            }
        )
    table = BlockTable(rows)
    if as_frame is False:
        return table
    if as_frame is None:
        try:
            import pandas  # type: ignore[import-untyped,unused-ignore]  # noqa: F401
        except ImportError:
            return table
    return table.to_pandas()


def _state(S: System, state: Any, name: str) -> int:
    """A state given by name (when the system names its states) or by index."""
    if S.state_labels is not None:
        return S.state_index(state)
    if isinstance(state, (bool, np.bool_)) or not isinstance(state, (int, np.integer)):
        raise InvalidTypeError(
            f"{name} must be a state index (the states are unnamed), got {state!r}"
        )
    if not 0 <= int(state) < S.n:
        raise InvalidValueError(
            f"{name} = {int(state)} is not a state: the states are 0..{S.n - 1}"
        )
    return int(state)


def _minimal(S: System, beta: Any) -> Partition:
    keep = output_abstraction(S) if beta is None else beta
    return minimal_complete_abstraction(S, keep)


def bisimilar(system: System, s: Any, t: Any, *, beta: Any = None) -> bool:
    """Whether states ``s`` and ``t`` share a block of the minimal complete abstraction above beta.

    For a nondeterministic system this is strong bisimilarity (with the
    outputs as state labels), for a Markov chain probabilistic
    bisimilarity (the same block of the coarsest lumping), for a DFA
    language equivalence (Myhill--Nerode), for a computation "the same
    output now and after every number of steps".

    Parameters
    ----------
    system : System
    s, t : state
        State names when the system names its states, else indices.
    beta : Partition, optional
        What must be kept; by default :func:`~abstractions.output_abstraction`.

    Examples
    --------
    >>> from abstractions import TransitionSystem
    >>> T = TransitionSystem.nondeterministic([[1, 2], [3], [3], [3]],
    ...                                      labels=[["coin", "coin"], ["tea"], ["tea"], ["tick"]],
    ...                                      output=[0, 0, 0, 0])
    >>> bisimilar(T, 1, 2), bisimilar(T, 0, 1)
    (True, False)
    """
    S = as_system(system)
    a, b = _state(S, s, "s"), _state(S, t, "t")
    labels = _minimal(S, beta).labels
    return bool(labels[a] == labels[b])


def equivalence_class(system: System, beta: Any, s: Any) -> Ids:
    """The states in ``s``'s block of the minimal complete abstraction above ``beta``.

    Parameters
    ----------
    system : System
    beta : Partition or None
        What must be kept; None for :func:`~abstractions.output_abstraction`.
    s : state
        A state name when the system names its states, else an index.

    Returns
    -------
    numpy.ndarray of int64
        The state indices, increasing (``system.label(m)`` names them).

    Examples
    --------
    >>> import numpy as np
    >>> from abstractions import Computation, Partition
    >>> C = Computation((np.arange(12) + 1) % 12)             # counter mod 12
    >>> equivalence_class(C, Partition.kernel(np.arange(12) % 3), 4)
    array([ 1,  4,  7, 10])
    """
    S = as_system(system)
    m = _state(S, s, "s")
    labels = _minimal(S, beta).labels
    return np.flatnonzero(labels == labels[m]).astype(np.int64)
