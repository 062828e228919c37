"""Hasse diagrams: a set of partitions under the information order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from abstractions import (
    InvalidTypeError,
    InvalidValueError,
    Partition,
    SizeMismatchError,
    TooLargeError,
)
from abstractions.plotting.layout import hasse_positions
from abstractions.plotting.paint import as_count, finish, new_axes, require_matplotlib

if TYPE_CHECKING:  # matplotlib is optional: imported for type checking only
    from matplotlib.axes import Axes

__all__ = ["MARK", "MAX_LATTICE_ELEMENTS", "draw_lattice"]

#: Default ``max_elements`` of :func:`draw_lattice`.
MAX_LATTICE_ELEMENTS: int = 200

#: Colour of the marked element of a Hasse diagram.
MARK = (0.95, 0.55, 0.10, 1.0)


def draw_lattice(
    partitions: Sequence[Partition],
    ax: Axes | None = None,
    *,
    mark: Partition | None = None,
    labels: bool | None = None,
    max_elements: int = MAX_LATTICE_ELEMENTS,
    title: str | None = None,
) -> Axes:
    """Draw the Hasse diagram of partitions under the information order.

    Each partition is a dot at the height of its number of blocks (more
    information higher up, the discrete partition at the top); a line joins
    ``P`` below ``Q`` when ``Q`` covers ``P`` (``P < Q`` with nothing of the
    given set in between). Pass ``complete_abstractions(C, beta)`` to see the
    theorem: a lattice with a least element, the minimal complete
    abstraction above ``beta``.

    Parameters
    ----------
    partitions : sequence of Partition
        Distinct partitions of the same states.
    ax : matplotlib.axes.Axes, optional
    mark : Partition, optional
        The element to highlight; by default the least element of the set
        (below all others), if there is one.
    labels : bool, optional
        Write each partition's blocks (``"0 1 | 2"``); by default when there
        are at most 30 elements.
    max_elements : int, default MAX_LATTICE_ELEMENTS (200)
        Refuse larger sets (the order is found by comparing all pairs).
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
        With the elements as a ``PathCollection`` of gid ``"elements"``
        (offsets in the given order), the covering lines as a
        ``LineCollection`` of gid ``"covers"`` and the marked element's ring
        as gid ``"marked"``.

    Raises
    ------
    InvalidTypeError
        If an element is not a Partition.
    InvalidValueError
        If ``partitions`` is empty or repeats an element, or ``mark`` is not
        one of them.
    SizeMismatchError
        If the partitions are over different numbers of states.
    TooLargeError
        If there are more than ``max_elements`` partitions.

    Examples
    --------
    The partitions of 3 states: one bottom, three in the middle, one top.

    >>> from matplotlib.figure import Figure
    >>> from abstractions import Partition
    >>> ps = [Partition(x) for x in ([0, 0, 0], [0, 0, 1], [0, 1, 0], [0, 1, 1], [0, 1, 2])]
    >>> ax = draw_lattice(ps, ax=Figure().subplots())
    >>> len(ax.collections[0].get_segments())        # covering pairs
    6
    """
    elements = _check_elements(partitions, as_count(max_elements, "max_elements"))
    k = len(elements)
    below = np.array([[p <= q and p != q for q in elements] for p in elements], dtype=bool)
    if mark is None:
        least = [i for i in range(k) if below[i].sum() == k - 1]
        marked = least[0] if least else None
    else:
        if not isinstance(mark, Partition):
            raise InvalidTypeError(f"mark must be a Partition, got {type(mark).__name__}")
        if mark not in elements:
            raise InvalidValueError(f"mark = {mark} is not one of the partitions")
        marked = elements.index(mark)
    # Covers: P < Q with no R strictly between (the transitive reduction).
    between = below.astype(np.int64) @ below.astype(np.int64)
    covers = [(i, j) for i in range(k) for j in range(k) if below[i, j] and not between[i, j]]
    xy = hasse_positions(elements, covers)
    require_matplotlib()
    from matplotlib.collections import LineCollection

    axes = new_axes(ax)
    lines = LineCollection([(xy[i], xy[j]) for i, j in covers], colors="0.5", lw=1.0, zorder=1)
    lines.set_gid("covers")
    axes.add_collection(lines)
    colors = np.tile((0.55, 0.70, 0.90, 1.0), (k, 1))
    if marked is not None:
        colors[marked] = MARK
    dots = axes.scatter(xy[:, 0], xy[:, 1], s=120, c=colors, edgecolors="0.25", zorder=3)
    dots.set_gid("elements")
    if marked is not None:
        ring = axes.scatter(
            xy[marked : marked + 1, 0], xy[marked : marked + 1, 1], s=380,
            facecolors="none", edgecolors=[MARK], linewidths=2.0, zorder=2,
        )
        ring.set_gid("marked")
    if labels is None:
        labels = k <= 30
    if labels:
        for i, p in enumerate(elements):
            axes.annotate(
                str(p), xy[i], xytext=(0, 9), textcoords="offset points",
                ha="center", fontsize=7, zorder=4,
            )
    finish(axes, xy, title)
    return axes


def _check_elements(partitions: Any, limit: int) -> list[Partition]:
    if isinstance(partitions, Partition) or not isinstance(partitions, Sequence):
        raise InvalidTypeError(
            f"partitions must be a sequence of Partition, got {type(partitions).__name__}"
        )
    elements = list(partitions)
    if not elements:
        raise InvalidValueError("partitions is empty: there is nothing to draw")
    if len(elements) > limit:
        raise TooLargeError(
            f"draw_lattice draws at most max_elements={limit} partitions, got {len(elements)}"
        )
    seen: dict[Partition, int] = {}
    for i, p in enumerate(elements):
        if not isinstance(p, Partition):
            raise InvalidTypeError(f"partitions[{i}] must be a Partition, got {type(p).__name__}")
        if p.n != elements[0].n:
            raise SizeMismatchError(
                f"partitions[{i}] is over {p.n} states but partitions[0] over {elements[0].n}"
            )
        j = seen.setdefault(p, i)
        if j != i:
            raise InvalidValueError(f"partitions[{i}] = {p} repeats partitions[{j}]")
    return elements
