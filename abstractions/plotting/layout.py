"""Where the states sit: layouts of computations, systems and Hasse diagrams."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import networkx as nx
import numpy as np

from abstractions import Computation, InvalidTypeError, InvalidValueError, Partition
from abstractions.plotting.paint import as_positions

__all__ = [
    "LAYOUTS",
    "SYSTEM_LAYOUTS",
    "circle",
    "hasse_positions",
    "layout_positions",
    "positions",
    "require_computation",
    "spring",
]

#: Names accepted by ``layout=`` in :func:`draw_computation`.
LAYOUTS: tuple[str, ...] = ("auto", "layered", "circular", "spring")

#: Names accepted by ``layout=`` in :func:`draw_system`.
SYSTEM_LAYOUTS: tuple[str, ...] = ("circular", "spring")


def _check_layout(layout: Any, known: tuple[str, ...]) -> str:
    if not isinstance(layout, str) or layout not in known:
        raise InvalidValueError(
            f"unknown layout {layout!r}; choose one of {', '.join(map(repr, known))}"
        )
    return layout


def circle(n: int) -> np.ndarray:
    """States on the unit circle in index order, clockwise from the top."""
    angle = np.pi / 2 - 2 * np.pi * np.arange(n) / max(n, 1)
    return np.column_stack([np.cos(angle), np.sin(angle)])


def spring(n: int, edges: Iterable[tuple[int, int]]) -> np.ndarray:
    """networkx's force-directed layout, seeded so that pictures are reproducible."""
    graph = nx.DiGraph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from(edges)
    pos = nx.spring_layout(graph, seed=0)
    return np.array([pos[s] for s in range(n)], dtype=float).reshape(n, 2)


def _recurrent(step: np.ndarray) -> np.ndarray:
    """Mask of the states on a cycle of ``step`` (halted states: their self-loop)."""
    n = step.shape[0]
    power = step.copy()
    reach = 1
    # step^(2^k) by repeated squaring; after at least n steps every run is on its cycle.
    while reach < n:
        power = power[power]
        reach *= 2
    mask = np.zeros(n, dtype=bool)
    mask[power] = True
    return mask


def _depth(step: np.ndarray, base: np.ndarray) -> np.ndarray:
    """Steps from each state into the set ``base`` (-1 where never)."""
    depth = np.where(base, 0, -1).astype(np.int64)
    # Each round settles the states one step further out; n rounds suffice.
    for _ in range(step.shape[0]):
        todo = (depth < 0) & (depth[step] >= 0)
        if not todo.any():
            break
        depth[todo] = depth[step[todo]] + 1
    return depth


def _single_cycle(step: np.ndarray) -> bool:
    """Whether ``step`` is one cycle through every state (e.g. a counter)."""
    m, seen = 0, 0
    for _ in range(step.shape[0]):
        m = int(step[m])
        seen += 1
        if m == 0:
            break
    return m == 0 and seen == step.shape[0]


def _layered(step: np.ndarray) -> np.ndarray:
    n = step.shape[0]
    pos = np.zeros((n, 2))
    if n == 0:
        return pos
    cyclic = _recurrent(step)
    depth = _depth(step, cyclic)
    width = int(depth.max())
    row = np.zeros(n)
    # Rightmost column: the cycles, each walked in order so its states sit together.
    order: list[int] = []
    placed = np.zeros(n, dtype=bool)
    for m in np.flatnonzero(cyclic).tolist():
        while not placed[m]:
            placed[m] = True
            order.append(m)
            m = int(step[m])
    row[order] = np.arange(len(order)) - (len(order) - 1) / 2
    for d in range(1, width + 1):
        layer = np.flatnonzero(depth == d)
        # Order a column by the rows of the successors (then by index): every
        # edge goes to the next column, so no two of these transitions cross.
        layer = layer[np.lexsort((layer, row[step[layer]]))]
        row[layer] = np.arange(layer.size) - (layer.size - 1) / 2
    pos[:, 0] = width - depth
    pos[:, 1] = -row
    return pos


def require_computation(computation: Any) -> Computation:
    """``computation`` if it is a Computation, else an error naming what it is."""
    if not isinstance(computation, Computation):
        raise InvalidTypeError(
            f"computation must be a Computation, got {type(computation).__name__}"
        )
    return computation


def layout_positions(computation: Computation, layout: str = "auto") -> np.ndarray:
    """Positions of the states for drawing, shape (n, 2).

    Parameters
    ----------
    computation : Computation
    layout : str, default "auto"
        One of :data:`LAYOUTS`. ``"layered"``: column = steps until the run
        reaches a halted state or a cycle (inputs towards the left, halted
        states and cycles in the rightmost column, each cycle's states
        together); each column is ordered by the successors' rows, so
        transitions between columns never cross. ``"circular"``: states on
        a circle in index order (a counter is a ring). ``"spring"``:
        networkx's force-directed layout, seeded so pictures are
        reproducible. ``"auto"`` picks circular when the step is a single
        cycle through all states, layered otherwise.

    Returns
    -------
    numpy.ndarray of float

    Raises
    ------
    InvalidValueError
        For an unknown ``layout``.
    InvalidTypeError
        If ``computation`` is not a Computation.

    Examples
    --------
    >>> from abstractions import Computation
    >>> layout_positions(Computation([1, 2, 2], halted=[False, False, True]))[:, 0]
    array([0., 1., 2.])
    """
    C = require_computation(computation)
    layout = _check_layout(layout, LAYOUTS)
    step = np.asarray(C.step)
    if layout == "auto":
        layout = "circular" if C.n > 1 and _single_cycle(step) else "layered"
    if layout == "layered":
        return _layered(step)
    if layout == "circular":
        return circle(C.n)
    return spring(C.n, ((m, s) for m, s in enumerate(step.tolist()) if m != s))


def positions(
    n: int, layout: str, pos: Any, edges: Iterable[tuple[int, int]], known: tuple[str, ...]
) -> np.ndarray:
    """``pos`` when given, else ``layout`` (circular or spring) over ``edges``."""
    if pos is not None:
        return as_positions(pos, n)
    if _check_layout(layout, known) == "circular":
        return circle(n)
    return spring(n, edges)


def hasse_positions(elements: list[Partition], covers: list[tuple[int, int]]) -> np.ndarray:
    """Height = number of blocks; each level ordered by the mean x of its lower covers."""
    k = len(elements)
    height = np.array([p.n_blocks for p in elements], dtype=float)
    x = np.zeros(k)
    lower: list[list[int]] = [[] for _ in range(k)]
    for i, j in covers:
        lower[j].append(i)
    for level in sorted(set(height.tolist())):
        members = [i for i in range(k) if height[i] == level]
        # Barycentre ordering keeps cover lines short and mostly uncrossed.
        key = [float(np.mean([x[i] for i in lower[m]])) if lower[m] else 0.0 for m in members]
        members = [m for _, m in sorted(zip(key, members))]
        for rank, m in enumerate(members):
            x[m] = rank - (len(members) - 1) / 2
    return np.column_stack([x, height])
