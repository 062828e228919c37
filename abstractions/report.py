"""The Pareto view: candidate abstractions side by side.

No single number says which abstraction of a computation is "the"
explanation. The minimal complete abstraction keeps exactly what is needed
but may read every variable; the finish abstraction is complete with few
blocks but is a conserved quantity that computes nothing; a variable
abstraction reads few variables and carries out the computation step by
step. :func:`abstraction_report` puts candidates in one table: blocks, the
variables each reads (its :func:`~abstractions.support.support`), its
:func:`~abstractions.simplicity.description_length`, whether it is complete
(else its :func:`~abstractions.consistency_error`), how much it knows about
``beta`` (mutual information), and whether it is conserved.
:func:`abstractions.plotting.draw_report` draws it, and ``abstractions
report FILE`` prints it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from abstractions.approximate import consistency_error
from abstractions.completeness import is_complete
from abstractions.computation import Computation
from abstractions.exceptions import InvalidTypeError, InvalidValueError, TooLargeError
from abstractions.minimal import minimal_complete_abstraction
from abstractions.partition import Partition
from abstractions.simplicity import description_length, is_conserved
from abstractions.steps import first_entry
from abstractions.support import SUPPORT_BUDGET, minimal_variable_abstraction, support
from abstractions.system import System, as_system

__all__ = ["AbstractionReport", "Candidate", "abstraction_report"]


@dataclass(frozen=True, eq=False)
class Candidate:
    """One row of an :class:`AbstractionReport`.

    Attributes
    ----------
    name : str
    partition : Partition
        Over the system's states.
    blocks : int
    support : tuple of str or None
        The fewest variables that determine the block; None when the system
        has no variables, they do not determine it, or the search ran over
        its budget (see ``notes``).
    description : int or None
        :func:`~abstractions.simplicity.description_length` (tree), or None
        as for ``support``.
    complete : bool
    error : float
        :func:`~abstractions.consistency_error` under the uniform
        distribution (0 for a complete abstraction).
    information : float
        Mutual information between the block and ``beta``, in bits, under
        the uniform distribution over states.
    keeps_beta : bool
        Whether the abstraction determines ``beta`` (``beta <= partition``).
    conserved : bool
        Whether its abstract step is the identity
        (:func:`~abstractions.simplicity.is_conserved`).
    notes : str
        Why a column is missing, if one is.
    """

    name: str
    partition: Partition
    blocks: int
    support: tuple[str, ...] | None
    description: int | None
    complete: bool
    error: float
    information: float
    keeps_beta: bool
    conserved: bool
    notes: str = ""

    @property
    def support_size(self) -> int | None:
        """The number of variables read, or None."""
        return None if self.support is None else len(self.support)


def _dominates(a: Candidate, b: Candidate) -> bool:
    """``a`` is at least as good as ``b`` everywhere and better somewhere (fewer is better)."""
    def key(c: Candidate) -> tuple[float, ...]:
        big = math.inf
        return (
            big if c.support is None else len(c.support),
            big if c.description is None else c.description,
            c.error,
            -c.information,
        )

    ka, kb = key(a), key(b)
    no_worse = all(x <= y + 1e-12 for x, y in zip(ka, kb))
    return no_worse and any(x < y - 1e-12 for x, y in zip(ka, kb))


@dataclass(frozen=True, eq=False)
class AbstractionReport:
    """The table of :func:`abstraction_report`.

    Attributes
    ----------
    rows : tuple of Candidate
    beta : Partition
    beta_information : float
        The entropy of ``beta`` in bits: the most information a candidate
        can keep about it.
    """

    rows: tuple[Candidate, ...]
    beta: Partition
    beta_information: float

    def __getitem__(self, name: str) -> Candidate:
        for row in self.rows:
            if row.name == name:
                return row
        raise KeyError(f"no candidate named {name!r}; the candidates are "
                       f"{', '.join(repr(r.name) for r in self.rows)}")

    def __len__(self) -> int:
        return len(self.rows)

    def names(self) -> tuple[str, ...]:
        """The candidates' names, in order."""
        return tuple(row.name for row in self.rows)

    def pareto(self) -> tuple[str, ...]:
        """The candidates no other beats on every count: support size, description length,
        consistency error and information about ``beta`` (a missing count loses)."""
        return tuple(
            row.name for row in self.rows
            if not any(_dominates(other, row) for other in self.rows if other is not row)
        )

    def table(self) -> str:
        """The report as aligned plain text, one line per candidate."""
        header = ["candidate", "blocks", "support", "description", "complete", "error",
                  "keeps beta", f"info/beta ({self.beta_information:.3g} bits)", "conserved"]
        lines = [header]
        for row in self.rows:
            lines.append([
                row.name,
                str(row.blocks),
                "-" if row.support is None else f"{len(row.support)}: {', '.join(row.support)}",
                "-" if row.description is None else str(row.description),
                "yes" if row.complete else "no",
                f"{row.error:.3g}",
                "yes" if row.keeps_beta else "no",
                f"{row.information:.3g}",
                "yes" if row.conserved else "",
            ])
        widths = [max(len(line[j]) for line in lines) for j in range(len(header))]
        text = ["  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip() for line in lines]
        notes = [f"{row.name}: {row.notes}" for row in self.rows if row.notes]
        return "\n".join(text + (["notes:"] + ["  " + n for n in notes] if notes else []))

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:
        return (
            f"<AbstractionReport: {len(self.rows)} candidates, "
            f"beta has {self.beta.n_blocks} blocks>"
        )


def _mutual_information(alpha: Partition, beta: Partition) -> float:
    """I(alpha; beta) in bits under the uniform distribution over states."""
    n = alpha.n
    if n == 0:
        return 0.0
    joint = alpha.labels * beta.n_blocks + beta.labels
    _, counts = np.unique(joint, return_counts=True)
    pa = np.bincount(alpha.labels).astype(float)
    pb = np.bincount(beta.labels).astype(float)
    h_joint = -float(np.sum(counts / n * np.log2(counts / n)))
    h_a = -float(np.sum(pa / n * np.log2(pa / n)))
    h_b = -float(np.sum(pb / n * np.log2(pb / n)))
    return max(0.0, h_a + h_b - h_joint)


def _finish(C: Computation, beta: Partition) -> Partition:
    """Run to the halt, then look at ``beta`` (never-halting states: one more block)."""
    final = C.final_states()
    never = final < 0
    labels = np.where(never, -1, beta.labels[np.where(never, 0, final)])
    return Partition.from_labels(labels)


def _row(S: System, name: str, P: Partition, beta: Partition, budget: int) -> Candidate:
    notes = []
    found: tuple[str, ...] | None = None
    length: int | None = None
    if S.state_variables is not None:
        try:
            found = support(S, P, budget=budget)
            length = description_length(S, P)
        except (InvalidValueError, TooLargeError) as err:
            notes.append(str(err))
    complete = is_complete(S, P)
    error = 0.0 if complete else float(consistency_error(S, P).total)
    return Candidate(
        name=name, partition=P, blocks=P.n_blocks, support=found, description=length,
        complete=complete, error=error, information=_mutual_information(P, beta),
        keeps_beta=beta <= P, conserved=is_conserved(S, P), notes="; ".join(notes),
    )


def abstraction_report(
    system: System,
    beta: Any,
    candidates: Mapping[str, Any] | None = None,
    *,
    defaults: bool = True,
    k: int | None = None,
    schedule: Any = None,
    budget: int = SUPPORT_BUDGET,
) -> AbstractionReport:
    """Candidate abstractions side by side: size, variables read, description, error, information.

    Parameters
    ----------
    system : System
        Any kind; the variable columns need a system with variables, the
        finish, k-step, scheduled and variable candidates a Computation.
    beta : Partition or array_like
        What the candidates should keep.
    candidates : mapping of str to Partition or array_like, optional
        Your own candidates, by name, over the system's states.
    defaults : bool, default True
        Add the standard candidates first: ``"minimal complete"`` (above
        ``beta``), ``"finish"`` (run to the halt, then look at ``beta``;
        computations), and ``"variables"`` (the greedy
        :func:`~abstractions.support.minimal_variable_abstraction`; systems
        with variables).
    k : int, optional
        Also ``"k-step (k=...)"``: the minimal complete abstraction of
        ``C.power(k)`` above ``beta`` (complete for ``k`` steps at a time,
        measured here for one).
    schedule : array_like of bool, optional
        Also ``"scheduled"``: the minimal complete abstraction with this
        schedule, carried back to every state along the runs
        (``P.pullback(first_entry(C, schedule))``).
    budget : int, default SUPPORT_BUDGET
        For each support search.

    Returns
    -------
    AbstractionReport
        ``str(report)`` is the table; ``report.pareto()`` the candidates no
        other beats on every count.

    Raises
    ------
    InvalidTypeError
        For candidates that are not a mapping, or a computation-only
        candidate asked of another kind.
    SizeMismatchError
        For a candidate or ``beta`` over another number of states.

    Examples
    --------
    >>> import sympy
    >>> from abstractions import Computation, output_abstraction
    >>> x, y = sympy.symbols("x y")
    >>> C = Computation.from_sympy({x: 4, y: 3}, {x: x - 1, y: y}, halted=sympy.Eq(x, 0),
    ...                            output=sympy.Eq(y, 0))
    >>> report = abstraction_report(C, output_abstraction(C))
    >>> report.names()
    ('minimal complete', 'finish', 'variables')
    >>> report["finish"].conserved, report["variables"].support
    (True, ('y',))
    """
    S = as_system(system)
    B = S._partition(beta, "beta")
    if candidates is not None and not isinstance(candidates, Mapping):
        raise InvalidTypeError(
            f"candidates must be a mapping {{name: partition}}, got {type(candidates).__name__}"
        )
    chosen: list[tuple[str, Partition, str]] = []  # name, partition, note
    if defaults:
        chosen.append(("minimal complete", minimal_complete_abstraction(S, B), ""))
        if isinstance(S, Computation):
            chosen.append(("finish", _finish(S, B), ""))
            if S.state_variables is not None:
                try:
                    found = minimal_variable_abstraction(S, B, method="greedy", budget=budget)
                    chosen.append(("variables", found.partition, ""))
                except (InvalidValueError, TooLargeError):
                    pass  # no set of variables works (or the search is too large): no such row
    if k is not None or schedule is not None:
        if not isinstance(S, Computation):
            raise InvalidTypeError(
                f"k-step and scheduled candidates need a Computation, got a {S.kind} system"
            )
        if k is not None:
            chosen.append((f"{k}-step", minimal_complete_abstraction(S.power(k), B), ""))
        if schedule is not None:
            induced = minimal_complete_abstraction(S, B, schedule=schedule)
            chosen.append(("scheduled", induced.pullback(first_entry(S, schedule)), ""))
    for name, value in (candidates or {}).items():
        chosen.append((str(name), S._partition(value, f"candidates[{name!r}]"), ""))
    rows = []
    for name, P, note in chosen:
        row = _row(S, name, P, B, budget)
        if note:
            row = Candidate(**{**row.__dict__, "notes": "; ".join(filter(None, [note, row.notes]))})
        rows.append(row)
    sizes = np.bincount(B.labels).astype(float) / max(B.n, 1)
    entropy = -float(np.sum(sizes * np.log2(sizes))) if B.n else 0.0
    return AbstractionReport(tuple(rows), B, max(entropy, 0.0))
