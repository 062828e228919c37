"""Pictures: state graphs coloured by abstraction, quotients, Hasse diagrams.

:func:`draw_computation` and :func:`draw_abstract` draw a
:class:`~abstractions.Computation` (one step function), :func:`draw_system`
a labelled, nondeterministic or probabilistic
:class:`~abstractions.TransitionSystem`, and :func:`draw_lattice` a set of
partitions under the information order.

Needs matplotlib, the optional ``plot`` extra (``pip install
'abstractions[plot]'``). matplotlib is imported inside the functions, so
``import abstractions`` and ``import abstractions.plotting`` never import it.
Layouts come from networkx (a core dependency); graphviz is not needed.

Every function draws on a matplotlib ``Axes`` you pass (``ax=...``) or on a
new figure, and returns the axes it drew on. The drawn artists carry a
``gid`` (``"states"``, ``"transitions"``, ``"halted"``, ``"inputs"``,
``"elements"``, ``"covers"``, ``"marked"``, ``"edge_labels"``), so a test
or a notebook can find them again.

Examples
--------
Colour a counter mod 6 by "value mod 3" (a ``Figure`` made directly works
with any backend):

>>> from matplotlib.figure import Figure
>>> from abstractions import Partition
>>> from abstractions.machines import counter
>>> ax = Figure().subplots()
>>> ax = draw_computation(counter(6), Partition([0, 1, 2, 0, 1, 2]), ax=ax)
>>> [c.get_gid() for c in ax.collections]
['states', 'inputs']
"""

from __future__ import annotations

import os
from collections.abc import Callable, Hashable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np

from abstractions._validation import as_bool_array, as_count
from abstractions.computation import Computation
from abstractions.consistency import _as_partition, _require_computation, abstract_computation
from abstractions.exceptions import (
    InvalidTypeError,
    InvalidValueError,
    SizeMismatchError,
    TooLargeError,
)
from abstractions.partition import Partition
from abstractions.systems import TransitionSystem

if TYPE_CHECKING:  # matplotlib is optional: imported for type checking only
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "MAX_DRAWN_STATES",
    "MAX_LABELLED_STATES",
    "MAX_LATTICE_ELEMENTS",
    "LAYOUTS",
    "block_colors",
    "layout_positions",
    "draw_computation",
    "draw_abstract",
    "draw_system",
    "SYSTEM_LAYOUTS",
    "draw_lattice",
    "save_or_show",
]

#: Default ``max_states`` of :func:`draw_computation`: beyond a few hundred
#: states a state graph is a hairball; draw an abstraction's quotient instead.
MAX_DRAWN_STATES: int = 300

#: Up to this many states, :func:`draw_computation` writes the state names.
MAX_LABELLED_STATES: int = 40

#: Default ``max_elements`` of :func:`draw_lattice`.
MAX_LATTICE_ELEMENTS: int = 200

#: Names accepted by ``layout=`` in :func:`draw_computation`.
LAYOUTS: tuple[str, ...] = ("auto", "layered", "circular", "spring")

#: Colour of states when no partition is given.
_PLAIN = (0.80, 0.80, 0.80, 1.0)
#: Colour of the marked element of a Hasse diagram.
_MARK = (0.95, 0.55, 0.10, 1.0)

Labeller = Callable[[Hashable], str]


def _require_matplotlib() -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError:  # pragma: no cover - the test extra installs matplotlib
        raise ImportError(
            "abstractions.plotting needs matplotlib: pip install 'abstractions[plot]'"
        ) from None


def block_colors(n_blocks: int) -> np.ndarray:
    """The RGBA colour of each block, as drawn by this module.

    Block ``b`` of any partition with ``n_blocks`` blocks gets row ``b``, so
    a partition and the states of its quotient computation share colours.

    Parameters
    ----------
    n_blocks : int
        Number of blocks, at least 0.

    Returns
    -------
    numpy.ndarray of float, shape (n_blocks, 4)
        Qualitative colours (matplotlib's ``tab10``/``tab20``) up to 20
        blocks; beyond that, evenly spaced hues (neighbouring blocks stay
        distinguishable, but not every pair is).

    Examples
    --------
    >>> block_colors(3).shape
    (3, 4)
    """
    _require_matplotlib()
    from matplotlib import colormaps

    k = as_count(n_blocks, "n_blocks")
    if k <= 10:
        return np.asarray(colormaps["tab10"](np.arange(k)), dtype=float)
    if k <= 20:
        # tab20 pairs a dark and a light shade; take the dark ones first.
        order = np.r_[np.arange(0, 20, 2), np.arange(1, 20, 2)][:k]
        return np.asarray(colormaps["tab20"](order), dtype=float)
    return np.asarray(colormaps["hsv"](np.arange(k) / k), dtype=float)


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

    Examples
    --------
    >>> from abstractions import Computation
    >>> layout_positions(Computation([1, 2, 2], halted=[False, False, True]))[:, 0]
    array([0., 1., 2.])
    """
    C = _require_computation(computation)
    if not isinstance(layout, str) or layout not in LAYOUTS:
        raise InvalidValueError(
            f"unknown layout {layout!r}; choose one of {', '.join(map(repr, LAYOUTS))}"
        )
    n = C.n
    if layout == "auto":
        layout = "circular" if n > 1 and _single_cycle(C.step) else "layered"
    if layout == "layered":
        return _layered(C.step)
    if layout == "circular":
        angle = np.pi / 2 - 2 * np.pi * np.arange(n) / max(n, 1)
        return np.column_stack([np.cos(angle), np.sin(angle)])
    graph = nx.DiGraph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from((m, int(s)) for m, s in enumerate(C.step.tolist()) if m != s)
    pos = nx.spring_layout(graph, seed=0)
    return np.array([pos[m] for m in range(n)], dtype=float).reshape(n, 2)


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


def _new_axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots(figsize=size)
    return new


def _labeller(labels: bool | Labeller | None, n: int) -> Labeller | None:
    if labels is None:
        labels = n <= MAX_LABELLED_STATES
    if labels is True:
        return _short
    if labels is False:
        return None
    if callable(labels):
        return labels
    raise InvalidTypeError(
        f"labels must be None, a bool or a callable on state names, got {type(labels).__name__}"
    )


def _short(label: Hashable) -> str:
    """A compact name for a state: tuples without brackets, strings unquoted."""
    if isinstance(label, tuple):
        return ",".join(_short(part) for part in label)
    if isinstance(label, str):
        return label or "-"
    return str(label)


def draw_computation(
    computation: Computation,
    partition: Any = None,
    ax: Axes | None = None,
    *,
    max_states: int = MAX_DRAWN_STATES,
    layout: str = "auto",
    pos: Any = None,
    labels: bool | Labeller | None = None,
    node_size: float | None = None,
    title: str | None = None,
    legend: bool = True,
) -> Axes:
    """Draw the state graph, states coloured by the blocks of ``partition``.

    Each state is a dot, each transition an arrow to the next state. Halted
    states get an outer ring (their self-loop is implied and not drawn);
    input states a thick black outline.

    Parameters
    ----------
    computation : Computation
    partition : Partition or array_like, optional
        An abstraction of the states; block ``b`` is drawn in
        ``block_colors(partition.n_blocks)[b]``. By default all states are grey.
    ax : matplotlib.axes.Axes, optional
        Where to draw; by default a new figure.
    max_states : int, default MAX_DRAWN_STATES (300)
        Refuse to draw more states than this (the picture would be
        unreadable and slow); raise it deliberately if you must.
    layout : str, default "auto"
        See :func:`layout_positions`.
    pos : array_like of float, shape (n, 2), optional
        Positions of the states, overriding ``layout``.
    labels : bool or callable, optional
        Write the state names (by default when there are at most
        :data:`MAX_LABELLED_STATES` states); a callable turns a state name
        into the text written.
    node_size : float, optional
        Marker area in points^2; by default smaller for more states.
    title : str, optional
    legend : bool, default True
        Explain the halted and input markers.

    Returns
    -------
    matplotlib.axes.Axes
        With the states as a ``PathCollection`` of gid ``"states"`` (offsets
        in state order), the transitions as patches of gid
        ``"transitions"``, and the rings of gid ``"halted"`` and
        ``"inputs"`` (each present only when such states exist).

    Raises
    ------
    TooLargeError
        If the computation has more than ``max_states`` states.
    SizeMismatchError
        If ``partition`` (or ``pos``) is not over the computation's states.
    InvalidValueError, InvalidTypeError
        For a malformed ``partition``, ``pos``, ``layout`` or ``labels``.

    See Also
    --------
    draw_abstract : the computation beside its quotient.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> from abstractions.machines import bit_serial_parity
    >>> C = bit_serial_parity(2)
    >>> ax = draw_computation(C, C.output, ax=Figure().subplots())
    >>> len(ax.collections[0].get_offsets()), len(ax.patches)   # 10 states, 8 not halted
    (10, 8)
    """
    C = _require_computation(computation)
    limit = as_count(max_states, "max_states")
    n = C.n
    _check_size(n, limit)
    P = Partition.bottom(n) if partition is None else _as_partition(partition, n, "partition")
    colors = np.tile(_PLAIN, (n, 1)) if partition is None else block_colors(P.n_blocks)[P.labels]
    xy = _positions(C, layout, pos)
    name = _labeller(labels, n)
    _require_matplotlib()
    from matplotlib.lines import Line2D
    from matplotlib.patches import FancyArrowPatch

    axes = _new_axes(ax, (7.0, 5.0))
    size = node_size if node_size is not None else float(np.clip(4000 / max(n, 1), 30, 400))
    radius = float(np.sqrt(size) / 2)  # marker radius in points: arrows stop at the rim
    for m, s in enumerate(C.step.tolist()):
        if C.halted[m]:
            continue  # absorbing: the self-loop is implied by the ring
        if m == s:
            # A fixed point that has not halted: a small loop above the dot.
            arrow = FancyArrowPatch(
                posA=(float(xy[m, 0]), float(xy[m, 1])),
                posB=(float(xy[m, 0]), float(xy[m, 1])),
                connectionstyle=f"arc,angleA=60,angleB=120,armA={radius + 10},"
                f"armB={radius + 10},rad=4",
                arrowstyle="-|>",
                mutation_scale=8,
                color="0.35",
                lw=0.8,
                zorder=1,
            )
        else:
            arrow = FancyArrowPatch(
                posA=(float(xy[m, 0]), float(xy[m, 1])),
                posB=(float(xy[s, 0]), float(xy[s, 1])),
                # Steps within one column (along a cycle) bow out so they
                # do not run through the states between.
                connectionstyle="arc3,rad=0.08"
                if xy[m, 0] != xy[s, 0]
                else "arc3,rad=0.5",
                arrowstyle="-|>",
                mutation_scale=8,
                shrinkA=radius,
                shrinkB=radius + 1,
                color="0.35",
                lw=0.8,
                zorder=1,
            )
        arrow.set_gid("transitions")
        axes.add_patch(arrow)
    states = axes.scatter(
        xy[:, 0], xy[:, 1], s=size, c=colors, edgecolors="0.25", linewidths=0.5, zorder=3
    )
    states.set_gid("states")
    halted = np.flatnonzero(C.halted)
    if halted.size:
        _rings(axes, xy[halted], size, "halted")
    starts = np.unique(C.input_states)
    if starts.size:
        outline = axes.scatter(
            xy[starts, 0], xy[starts, 1], s=size, facecolors="none",
            edgecolors="black", linewidths=2.0, zorder=4,
        )
        outline.set_gid("inputs")
    if name is not None:
        fontsize = 8 if n <= 20 else 6
        for m in range(n):
            axes.annotate(
                name(C.label(m)), xy[m], xytext=(0, radius + 2), textcoords="offset points",
                ha="center", va="bottom", fontsize=fontsize, zorder=5,
            )
    if legend and (halted.size or starts.size):
        handles = []
        if starts.size:
            handles.append(Line2D([], [], marker="o", ls="", mfc="white", mec="black",
                                  mew=2.0, label="input state"))
        if halted.size:
            handles.append(Line2D([], [], marker="o", ls="", mfc="white", mec="black",
                                  mew=1.0, ms=10, label="halted state"))
        axes.legend(handles=handles, loc="best", fontsize=7, framealpha=0.8)
    _finish(axes, xy, title)
    return axes


def _check_size(n: int, limit: int) -> None:
    if n > limit:
        raise TooLargeError(
            f"draw_computation draws at most max_states={limit} states, but the computation "
            f"has n={n}; draw an abstraction's quotient (draw_abstract), restrict to the "
            f"reachable states, or pass a larger max_states"
        )


def _positions(C: Computation, layout: str, pos: Any) -> np.ndarray:
    if pos is None:
        return layout_positions(C, layout)
    try:
        xy = np.asarray(pos, dtype=float)
    except (TypeError, ValueError):
        raise InvalidTypeError(
            f"pos must be an array of (x, y) positions, got {type(pos).__name__}"
        ) from None
    if xy.shape != (C.n, 2):
        raise SizeMismatchError(f"pos must have shape ({C.n}, 2), one row per state; got {xy.shape}")
    if not np.isfinite(xy).all():
        row = int(np.flatnonzero(~np.isfinite(xy).all(axis=1))[0])
        raise InvalidValueError(f"pos[{row}] = {xy[row].tolist()} is not finite")
    return xy


def _rings(axes: Axes, points: np.ndarray, size: float, gid: str) -> None:
    """Black rings around the states at ``points`` (halted or marked states)."""
    rings = axes.scatter(
        points[:, 0], points[:, 1], s=size * 2.2, facecolors="none",
        edgecolors="black", linewidths=1.0, zorder=2,
    )
    rings.set_gid(gid)


def _finish(axes: Axes, xy: np.ndarray, title: str | None) -> None:
    axes.set_axis_off()
    if xy.size:
        lo, hi = xy.min(axis=0), xy.max(axis=0)
        pad = np.maximum((hi - lo) * 0.12, 0.3)
        axes.set_xlim(lo[0] - pad[0], hi[0] + pad[0])
        axes.set_ylim(lo[1] - pad[1], hi[1] + pad[1])
    if title is not None:
        axes.set_title(title, fontsize=10)


def draw_abstract(
    computation: Computation,
    partition: Any,
    axes: Sequence[Axes] | None = None,
    *,
    max_states: int = MAX_DRAWN_STATES,
    layout: str = "auto",
    labels: bool | Labeller | None = None,
) -> tuple[Axes, Axes]:
    """Draw the computation coloured by a complete abstraction, and its quotient beside it.

    Abstract state ``b`` (block ``b``) is drawn in the colour of its block,
    so the picture shows which concrete states each abstract state stands
    for; the abstract step is the commutative square's ``tau_A``.

    Parameters
    ----------
    computation : Computation
    partition : Partition or array_like
        A complete abstraction.
    axes : pair of matplotlib.axes.Axes, optional
        Where to draw the computation and the quotient; by default a new
        figure with two panels.
    max_states : int, default MAX_DRAWN_STATES (300)
        As in :func:`draw_computation`, for the concrete computation.
    layout : str, default "auto"
        For the concrete computation (the quotient always uses "auto").
    labels : bool or callable, optional
        For the concrete states; abstract states are labelled by block id.

    Returns
    -------
    tuple of matplotlib.axes.Axes
        The concrete and the abstract panel.

    Raises
    ------
    NotCompleteError
        If ``partition`` is not complete (no quotient exists); draw it with
        :func:`draw_computation` and inspect :func:`~abstractions.find_violation`.
    TooLargeError, SizeMismatchError
        As in :func:`draw_computation`.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> from abstractions import Partition
    >>> from abstractions.machines import counter
    >>> left, right = Figure().subplots(1, 2)
    >>> left, right = draw_abstract(counter(6), Partition([0, 1, 0, 1, 0, 1]), (left, right))
    >>> len(right.collections[0].get_offsets())     # Z_2
    2
    """
    C = _require_computation(computation)
    A, P = abstract_computation(C, partition)
    limit = as_count(max_states, "max_states")
    _check_size(C.n, limit)  # before any figure exists, so a refusal leaves none behind
    if axes is None:
        import matplotlib.pyplot as plt

        _require_matplotlib()
        _, pair = plt.subplots(1, 2, figsize=(11.0, 4.5), width_ratios=[3, 2])
        left, right = pair[0], pair[1]
    else:
        if len(axes) != 2:
            raise InvalidValueError(f"axes must be a pair of Axes, got {len(axes)} of them")
        left, right = axes[0], axes[1]
    draw_computation(
        C, P, left, max_states=limit, layout=layout, labels=labels,
        title=f"computation: {C.n} states, {P.n_blocks} blocks",
    )
    draw_computation(
        A, Partition.top(A.n), right, max_states=max(A.n, 1),
        labels=lambda b: f"{b}", legend=False,
        title=f"abstract computation: {A.n} states",
    )
    return left, right


#: Names accepted by ``layout=`` in :func:`draw_system`.
SYSTEM_LAYOUTS: tuple[str, ...] = ("circular", "spring")


def _require_system(system: Any) -> TransitionSystem:
    if not isinstance(system, TransitionSystem):
        raise InvalidTypeError(
            f"system must be a TransitionSystem, got {type(system).__name__}; "
            f"draw a Computation with draw_computation"
        )
    return system


def _system_positions(T: TransitionSystem, layout: str, pos: Any) -> np.ndarray:
    if pos is not None:
        try:
            xy = np.asarray(pos, dtype=float)
        except (TypeError, ValueError):
            raise InvalidTypeError(
                f"pos must be an array of (x, y) positions, got {type(pos).__name__}"
            ) from None
        if xy.shape != (T.n, 2):
            raise SizeMismatchError(
                f"pos must have shape ({T.n}, 2), one row per state; got {xy.shape}"
            )
        if not np.isfinite(xy).all():
            row = int(np.flatnonzero(~np.isfinite(xy).all(axis=1))[0])
            raise InvalidValueError(f"pos[{row}] = {xy[row].tolist()} is not finite")
        return xy
    if not isinstance(layout, str) or layout not in SYSTEM_LAYOUTS:
        raise InvalidValueError(
            f"unknown layout {layout!r}; choose one of {', '.join(map(repr, SYSTEM_LAYOUTS))}"
        )
    n = T.n
    if layout == "circular":
        angle = np.pi / 2 - 2 * np.pi * np.arange(n) / max(n, 1)
        return np.column_stack([np.cos(angle), np.sin(angle)])
    graph = nx.DiGraph()
    graph.add_nodes_from(range(n))
    sources = np.repeat(np.arange(n), np.diff(T.indptr))
    graph.add_edges_from(zip(sources.tolist(), T.targets.tolist()))
    spring = nx.spring_layout(graph, seed=0)
    return np.array([spring[s] for s in range(n)], dtype=float).reshape(n, 2)


def _edge_texts(T: TransitionSystem) -> dict[tuple[int, int], str]:
    """The text on each drawn arrow ``(s, t)``: its symbols, or its probability."""
    sources = np.repeat(np.arange(T.n), np.diff(T.indptr)).tolist()
    targets = T.targets.tolist()
    # Read once: the exact probabilities are rebuilt as Fractions on each access.
    probabilities = T.probabilities if T.kind == "probabilistic" else ()
    texts: dict[tuple[int, int], list[str]] = {}
    for i, (s, t) in enumerate(zip(sources, targets)):
        if T.kind == "probabilistic":
            p = probabilities[i]
            text = str(p) if T.exact else f"{float(p):.3g}"
        elif T.edge_labels is not None and T.symbols is not None:
            text = _short(T.symbols[int(T.edge_labels[i])])
        else:
            text = ""
        texts.setdefault((s, t), []).append(text)
    return {edge: ",".join(t for t in parts if t) for edge, parts in texts.items()}


def draw_system(
    system: TransitionSystem,
    partition: Any = None,
    ax: Axes | None = None,
    *,
    layout: str = "circular",
    pos: Any = None,
    marked: Any = None,
    labels: bool | Callable[[int], str] | None = None,
    edge_labels: bool | None = None,
    bend: float = 0.15,
    max_states: int = MAX_DRAWN_STATES,
    node_size: float | None = None,
    title: str | None = None,
) -> Axes:
    """Draw a labelled, nondeterministic or probabilistic system, states coloured by block.

    Each state is a dot; one arrow joins ``s`` to ``t`` when ``s`` has any
    transition to ``t``, and its text lists what the transitions carry: the
    symbols (a labelled system, or a nondeterministic one with action
    labels) or the probability (a Markov chain, as an exact fraction in
    exact mode). Arrows bow to one side, so ``s -> t`` and ``t -> s`` stay
    apart; a transition to the state itself is a small loop above it.

    Parameters
    ----------
    system : TransitionSystem
    partition : Partition or array_like, optional
        An abstraction of the states; block ``b`` is drawn in
        ``block_colors(partition.n_blocks)[b]``, so a system's blocks and the
        states of its quotient share colours. By default all states are grey.
    ax : matplotlib.axes.Axes, optional
        Where to draw; by default a new figure.
    layout : str, default "circular"
        One of :data:`SYSTEM_LAYOUTS`: states on a circle in index order, or
        networkx's force-directed layout (seeded, so pictures are
        reproducible).
    pos : array_like of float, shape (n, 2), optional
        Positions of the states, overriding ``layout``.
    marked : array_like of bool, shape (n,), optional
        States drawn with an outer ring, e.g. the accepting states of a DFA.
    labels : bool or callable, optional
        Write the state ids (by default when there are at most
        :data:`MAX_LABELLED_STATES` states); a callable turns a state id
        into the text written.
    edge_labels : bool, optional
        Write the symbols or probabilities on the arrows (by default when
        there are at most :data:`MAX_LABELLED_STATES` states).
    bend : float, default 0.15
        How far the arrows bow, as a fraction of their length (matplotlib's
        ``arc3`` radius); raise it when arrows run through other states.
    max_states : int, default MAX_DRAWN_STATES (300)
        Refuse to draw more states than this.
    node_size : float, optional
        Marker area in points^2; by default smaller for more states.
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
        With the states as a ``PathCollection`` of gid ``"states"`` (offsets
        in state order), one arrow of gid ``"transitions"`` per pair of
        states joined by a transition, the arrow texts of gid
        ``"edge_labels"`` and the rings of gid ``"marked"`` (present only
        when some state is marked).

    Raises
    ------
    InvalidTypeError
        If ``system`` is not a TransitionSystem, or for a malformed ``pos``
        or ``labels``.
    TooLargeError
        If the system has more than ``max_states`` states.
    SizeMismatchError
        If ``partition``, ``pos`` or ``marked`` is not over the system's states.
    InvalidValueError
        For a malformed ``partition`` or ``pos``, or an unknown ``layout``.

    See Also
    --------
    draw_computation : the same picture for a single step function.

    Examples
    --------
    A DFA over {a, b}: 3 states, 6 transitions, 5 arrows (2 -> 2 on both
    symbols is one arrow).

    >>> from matplotlib.figure import Figure
    >>> from abstractions import TransitionSystem
    >>> T = TransitionSystem.labelled({"a": [1, 2, 2], "b": [0, 0, 2]}, output=[0, 0, 1])
    >>> ax = draw_system(T, T.output, ax=Figure().subplots(), marked=T.output == 1)
    >>> len([p for p in ax.patches if p.get_gid() == "transitions"])
    5
    >>> sorted(t.get_text() for t in ax.texts if t.get_gid() == "edge_labels")
    ['a', 'a', 'a,b', 'b', 'b']
    """
    T = _require_system(system)
    limit = as_count(max_states, "max_states")
    n = T.n
    if n > limit:
        raise TooLargeError(
            f"draw_system draws at most max_states={limit} states, but the system has "
            f"n={n}; draw an abstraction's quotient, or pass a larger max_states"
        )
    P = Partition.bottom(n) if partition is None else _as_partition(partition, n, "partition")
    colors = np.tile(_PLAIN, (n, 1)) if partition is None else block_colors(P.n_blocks)[P.labels]
    ring = np.zeros(n, dtype=bool) if marked is None else as_bool_array(marked, "marked", length=n)
    xy = _system_positions(T, layout, pos)
    if labels is None:
        labels = n <= MAX_LABELLED_STATES
    if labels is True:
        name: Callable[[int], str] | None = str
    elif labels is False:
        name = None
    elif callable(labels):
        name = labels
    else:
        raise InvalidTypeError(
            f"labels must be None, a bool or a callable on state ids, got {type(labels).__name__}"
        )
    if edge_labels is None:
        edge_labels = n <= MAX_LABELLED_STATES
    _require_matplotlib()
    from matplotlib.patches import FancyArrowPatch

    axes = _new_axes(ax, (7.0, 5.0))
    # Arcs and their texts are placed in data coordinates, which match the
    # display's only at equal aspect.
    axes.set_aspect("equal")
    size = node_size if node_size is not None else float(np.clip(4000 / max(n, 1), 30, 400))
    radius = float(np.sqrt(size) / 2)  # marker radius in points: arrows stop at the rim
    try:
        bend = float(bend)
    except (TypeError, ValueError):
        raise InvalidTypeError(f"bend must be a number, got {type(bend).__name__}") from None
    middles = []  # where the arcs bulge furthest: kept inside the axes
    for (s, t), text in _edge_texts(T).items():
        x0, y0 = float(xy[s, 0]), float(xy[s, 1])
        if s == t:
            arrow = FancyArrowPatch(
                posA=(x0, y0), posB=(x0, y0),
                connectionstyle=f"arc,angleA=60,angleB=120,armA={radius + 10},"
                f"armB={radius + 10},rad=4",
                arrowstyle="-|>", mutation_scale=8, color="0.35", lw=0.8, zorder=1,
            )
            where, offset = (x0, y0), (0.0, radius + 14)
        else:
            x1, y1 = float(xy[t, 0]), float(xy[t, 1])
            arrow = FancyArrowPatch(
                posA=(x0, y0), posB=(x1, y1), connectionstyle=f"arc3,rad={bend}",
                arrowstyle="-|>", mutation_scale=8, shrinkA=radius, shrinkB=radius + 1,
                color="0.35", lw=0.8, zorder=1,
            )
            # The arc's midpoint: arc3 puts its control point at the chord's
            # middle plus bend * (dy, -dx); the curve passes half way there.
            dx, dy = x1 - x0, y1 - y0
            where = ((x0 + x1) / 2 + bend * dy / 2, (y0 + y1) / 2 - bend * dx / 2)
            offset = (0.0, 0.0)
            middles.append(where)
        arrow.set_gid("transitions")
        axes.add_patch(arrow)
        if edge_labels and text:
            note = axes.annotate(
                text, where, xytext=offset, textcoords="offset points", ha="center",
                va="center", fontsize=7, zorder=5,
                bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.8},
            )
            note.set_gid("edge_labels")
    states = axes.scatter(
        xy[:, 0], xy[:, 1], s=size, c=colors, edgecolors="0.25", linewidths=0.5, zorder=3
    )
    states.set_gid("states")
    if ring.any():
        _rings(axes, xy[ring], size, "marked")
    if name is not None:
        fontsize = 8 if n <= 20 else 6
        for s in range(n):
            axes.annotate(
                name(s), xy[s], ha="center", va="center", fontsize=fontsize, zorder=5,
            )
    _finish(axes, np.vstack([xy, np.reshape(middles, (-1, 2))]), title)
    return axes


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
    xy = _hasse_positions(elements, covers)
    _require_matplotlib()
    from matplotlib.collections import LineCollection

    axes = _new_axes(ax, (7.0, 5.0))
    lines = LineCollection([(xy[i], xy[j]) for i, j in covers], colors="0.5", lw=1.0, zorder=1)
    lines.set_gid("covers")
    axes.add_collection(lines)
    colors = np.tile((0.55, 0.70, 0.90, 1.0), (k, 1))
    if marked is not None:
        colors[marked] = _MARK
    dots = axes.scatter(xy[:, 0], xy[:, 1], s=120, c=colors, edgecolors="0.25", zorder=3)
    dots.set_gid("elements")
    if marked is not None:
        ring = axes.scatter(
            xy[marked : marked + 1, 0], xy[marked : marked + 1, 1], s=380,
            facecolors="none", edgecolors=[_MARK], linewidths=2.0, zorder=2,
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
    _finish(axes, xy, title)
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


def _hasse_positions(elements: list[Partition], covers: list[tuple[int, int]]) -> np.ndarray:
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


def save_or_show(fig: Figure, name: str, outdir: str | os.PathLike[str] | None = None) -> None:
    """Save ``fig`` as ``outdir/name.png`` and close it, or show it when ``outdir`` is None.

    What the worked examples in ``examples/`` do with their figures: each
    takes an optional output directory on its command line.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    name : str
        File name without the ``.png``.
    outdir : str or path, optional
        An existing directory; None shows the figure on screen instead
        (``matplotlib.pyplot.show``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> with tempfile.TemporaryDirectory() as out:
    ...     save_or_show(fig, "empty", out)
    ...     sorted(p.name for p in pathlib.Path(out).iterdir())
    ['empty.png']
    """
    _require_matplotlib()
    import matplotlib.pyplot as plt

    if outdir is None:
        plt.show()
        return
    fig.savefig(Path(outdir) / f"{name}.png", dpi=90, bbox_inches="tight")
    plt.close(fig)
