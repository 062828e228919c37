"""The Pareto view as a picture: candidate abstractions by variables read and description length."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from abstractions import AbstractionReport, InvalidTypeError
from abstractions.plotting.paint import new_axes, require_matplotlib

if TYPE_CHECKING:  # matplotlib is optional: imported for type checking only
    from matplotlib.axes import Axes

__all__ = ["draw_report"]

#: Colours of complete and not complete candidates.
_COMPLETE = (0.20, 0.60, 0.30, 1.0)
_INCOMPLETE = (0.85, 0.25, 0.20, 1.0)


def draw_report(report: AbstractionReport, ax: Axes | None = None, *,
                title: str | None = None) -> Axes:
    """Draw an :class:`~abstractions.report.AbstractionReport`: one dot per candidate.

    The x axis is the number of variables the candidate reads (its
    support), the y axis its description length (log scale when it spans a
    factor of 10 or more); the area of a
    dot grows with its number of blocks. Complete candidates are green, the
    others red; conserved ones (abstract step the identity) are hollow
    rings. Candidates without a support or a description length (a system
    without variables) are placed at x = 0 and y = their number of blocks,
    and the axis labels say so. The names of the candidates on the Pareto
    front (:meth:`~abstractions.report.AbstractionReport.pareto`) are
    written in bold.

    Parameters
    ----------
    report : AbstractionReport
    ax : matplotlib Axes, optional
        Where to draw; a new figure by default.
    title : str, optional

    Returns
    -------
    matplotlib Axes
        The dots carry the gid ``"candidates"``.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> import sympy
    >>> from abstractions import Computation, output_abstraction
    >>> from abstractions.report import abstraction_report
    >>> x, y = sympy.symbols("x y")
    >>> C = Computation.from_sympy({x: 4, y: 3}, {x: x - 1, y: y}, halted=sympy.Eq(x, 0),
    ...                            output=sympy.Eq(y, 0))
    >>> ax = draw_report(abstraction_report(C, output_abstraction(C)), ax=Figure().subplots())
    >>> [c.get_gid() for c in ax.collections]
    ['candidates']
    """
    require_matplotlib()
    if not isinstance(report, AbstractionReport):
        raise InvalidTypeError(
            f"report must be an AbstractionReport (from abstraction_report), got "
            f"{type(report).__name__}"
        )
    axes = new_axes(ax, (7.0, 4.5))
    rows = report.rows
    measured = all(r.support is not None and r.description is not None for r in rows)
    xs = np.array([len(r.support) if r.support is not None else 0 for r in rows], dtype=float)
    ys = np.array([r.description if r.description is not None else r.blocks for r in rows],
                  dtype=float)
    blocks = np.array([r.blocks for r in rows], dtype=float)
    sizes = 40.0 + 60.0 * np.log2(np.maximum(blocks, 1.0))
    colours = [_COMPLETE if r.complete else _INCOMPLETE for r in rows]
    faces = [(1.0, 1.0, 1.0, 0.0) if r.conserved else c for r, c in zip(rows, colours)]
    # spread candidates that share a point so that every name stays readable
    offsets = np.zeros(len(rows))
    seen: dict[tuple[float, float], int] = {}
    for i, point in enumerate(zip(xs.tolist(), ys.tolist())):
        offsets[i] = seen.get(point, 0)
        seen[point] = seen.get(point, 0) + 1
    axes.scatter(xs, ys, s=sizes, c=faces, edgecolors=colours, linewidths=2.0, zorder=3,
                 gid="candidates")
    front = set(report.pareto())
    for r, x, y, off in zip(rows, xs, ys, offsets):
        axes.annotate(
            f"{r.name} ({r.blocks} blocks)", (x, y), textcoords="offset points",
            xytext=(10, 6 - 14 * off), fontsize=9,
            fontweight="bold" if r.name in front else "normal",
        )
    if ys.size and ys.max() >= 10 * max(ys.min(), 1.0):
        axes.set_yscale("log")  # lengths over an order of magnitude or more
    else:
        axes.margins(y=0.2)
    axes.set_xlabel("variables read (support)" if measured else
                    "variables read (support; 0 where unknown)")
    axes.set_ylabel("description length (tree nodes)" if measured else
                    "description length (blocks where unknown)")
    top = max(xs.max() if xs.size else 1.0, 1.0)
    axes.set_xlim(-0.5, top + 2.0)
    axes.set_xticks(range(int(top) + 2))
    axes.grid(True, alpha=0.3)
    if title:
        axes.set_title(title)
    return axes
