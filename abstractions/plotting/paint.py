"""The painting layer every picture of a state graph shares.

A drawing function turns its object into a :class:`Scene` (where each state
sits, its colour, the arrows with their bend and text, the rings and the
names) and :func:`paint` puts the scene on an ``Axes``; so a computation, its
quotient and a labelled, nondeterministic or probabilistic system are drawn
by the same code, with the same markers, arrows and ``gid`` of each artist.
The checks of the drawing functions' arguments live here too.

These are the building blocks of :mod:`abstractions.plotting`, whose
functions are the way to draw. matplotlib is imported inside the functions
that need it.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from abstractions import (
    AbstractionsError,
    InvalidTypeError,
    InvalidValueError,
    Partition,
    SizeMismatchError,
)

if TYPE_CHECKING:  # matplotlib is optional: imported for type checking only
    from matplotlib.axes import Axes

__all__ = [
    "Edge",
    "Labeller",
    "PLAIN",
    "RING",
    "Scene",
    "as_count",
    "as_mask",
    "as_partition",
    "as_positions",
    "block_colors",
    "finish",
    "new_axes",
    "marker_area",
    "paint",
    "require_matplotlib",
    "short",
    "state_colors",
]

#: Colour of states when no partition is given.
PLAIN = (0.80, 0.80, 0.80, 1.0)

#: Text written for a state: a function of its name (or id).
Labeller = Callable[[Any], str]


def require_matplotlib() -> None:
    """Raise a clear ImportError, naming the extra to install, without matplotlib."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:  # pragma: no cover - the test extra installs matplotlib
        raise ImportError(
            "abstractions.plotting needs matplotlib: pip install 'formal-abstractions[plot]'"
        ) from None


# --------------------------------------------------------------------------
# Checks of the drawing functions' arguments (with public names only).


def as_count(value: Any, name: str) -> int:
    """``value`` as a non-negative int, or an error naming ``name``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise InvalidTypeError(
            f"{name} must be a non-negative integer, got {value!r} of type {type(value).__name__}"
        )
    if value < 0:
        raise InvalidValueError(f"{name} must be non-negative, got {value}")
    return int(value)


def as_partition(value: Any, n: int, name: str = "partition") -> Partition:
    """A Partition of ``n`` states from a Partition or labels; errors name ``name``."""
    if isinstance(value, Partition):
        partition = value
    else:
        try:
            partition = Partition(value)
        except AbstractionsError as err:
            # Partition's message names its own argument, "labels"; say
            # which of ours it was.
            text = str(err)
            text = name + text[len("labels") :] if text.startswith("labels") else f"{name}: {text}"
            raise type(err)(text) from None
    if partition.n != n:
        raise SizeMismatchError(
            f"{name} is a partition of {partition.n} states, but there are {n} states"
        )
    return partition


def as_mask(values: Any, n: int, name: str) -> np.ndarray:
    """One flag per state (booleans, or the integers 0 and 1)."""
    array = np.asarray(values)
    if array.shape != (n,):
        raise SizeMismatchError(
            f"{name} must have one flag per state, shape ({n},); got {array.shape}"
        )
    if array.dtype.kind in "iuO" and np.isin(array, (0, 1)).all():
        return array.astype(bool)
    if array.dtype.kind != "b":
        raise InvalidTypeError(f"{name} must hold booleans, got {array.dtype} values")
    return array.astype(bool)


def as_positions(pos: Any, n: int) -> np.ndarray:
    """``pos`` as finite (x, y) rows, one per state."""
    try:
        xy = np.asarray(pos, dtype=float)
    except (TypeError, ValueError):
        raise InvalidTypeError(
            f"pos must be an array of (x, y) positions, got {type(pos).__name__}"
        ) from None
    if xy.shape != (n, 2):
        raise SizeMismatchError(f"pos must have shape ({n}, 2), one row per state; got {xy.shape}")
    if not np.isfinite(xy).all():
        row = int(np.flatnonzero(~np.isfinite(xy).all(axis=1))[0])
        raise InvalidValueError(f"pos[{row}] = {xy[row].tolist()} is not finite")
    return xy


def short(label: Hashable, *, inner: bool = False) -> str:
    """A compact name for a state: a tuple without brackets (inner ones with), strings unquoted.

    >>> short((("1", 0), 2)), short(""), short(3)
    ('(1,0),2', '-', '3')
    """
    if isinstance(label, tuple):
        text = ",".join(short(part, inner=True) for part in label)
        return f"({text})" if inner else text
    if isinstance(label, str):
        return label or "-"
    return str(label)


# --------------------------------------------------------------------------
# Colours and sizes.


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
    require_matplotlib()
    from matplotlib import colormaps

    k = as_count(n_blocks, "n_blocks")
    if k <= 10:
        return np.asarray(colormaps["tab10"](np.arange(k)), dtype=float)
    if k <= 20:
        # tab20 pairs a dark and a light shade; take the dark ones first.
        order = np.r_[np.arange(0, 20, 2), np.arange(1, 20, 2)][:k]
        return np.asarray(colormaps["tab20"](order), dtype=float)
    return np.asarray(colormaps["hsv"](np.arange(k) / k), dtype=float)


def state_colors(partition: Partition | None, n: int) -> np.ndarray:
    """Each state in its block's colour; all grey without a partition."""
    if partition is None:
        return np.tile(PLAIN, (n, 1))
    return block_colors(partition.n_blocks)[partition.labels]


def marker_area(n: int, size: float | None = None) -> float:
    """Marker area in points^2: ``size``, or smaller for more states."""
    return float(size) if size is not None else float(np.clip(4000 / max(n, 1), 30, 400))


# --------------------------------------------------------------------------
# The scene and its painting.


@dataclass(frozen=True)
class Edge:
    """One arrow ``source -> target`` (a loop above the state when they are equal).

    ``bend`` is how far the arrow bows, as a fraction of its length
    (matplotlib's ``arc3`` radius); ``text`` is written at its middle.
    """

    source: int
    target: int
    bend: float = 0.0
    text: str = ""


@dataclass(frozen=True)
class Scene:
    """What a picture of a state graph shows, in data coordinates.

    ``rings`` maps a gid (``"halted"``, ``"marked"``) to the states drawn
    with an outer ring; ``outlined`` are the states drawn with a thick black
    outline (gid ``"inputs"``). ``names`` are written above the states
    (``names_above``) or on them.
    """

    xy: np.ndarray
    colors: np.ndarray
    edges: Sequence[Edge]
    size: float
    rings: dict[str, np.ndarray] = field(default_factory=dict)
    outlined: np.ndarray | None = None
    names: Sequence[str] | None = None
    names_above: bool = True
    edge_texts: bool = True
    equal_aspect: bool = False


def new_axes(ax: Axes | None, size: tuple[float, float] = (7.0, 5.0)) -> Axes:
    """``ax``, or the axes of a new pyplot figure."""
    if ax is not None:
        return ax
    require_matplotlib()
    import matplotlib.pyplot as plt

    _, new = plt.subplots(figsize=size)
    return new


def _loop_points(radius: float) -> list[tuple[float, float]]:
    """The cubic Bezier of a loop above a state, in points from its centre.

    From the rim at 60 degrees, pulled up and round, back to the rim at 120
    degrees (where the arrow head points into the state).
    """

    def at(degrees: float, distance: float) -> tuple[float, float]:
        angle = np.radians(degrees)
        return (distance * float(np.cos(angle)), distance * float(np.sin(angle)))

    reach = radius + 18
    return [at(60, radius), at(40, reach), at(140, reach), at(120, radius + 1)]


def _loop_top(radius: float) -> float:
    """How high above the state's centre its loop reaches, in points (the curve at t = 1/2)."""
    heights = [y for _, y in _loop_points(radius)]
    return (heights[0] + 3 * heights[1] + 3 * heights[2] + heights[3]) / 8


def _loop(axes: Axes, x: float, y: float, radius: float, style: dict[str, Any]) -> Any:
    """A small loop above the state at ``(x, y)``, from its rim back to its rim.

    Drawn as a path in points around the state, not with a connection style:
    matplotlib shortens a connection at both ends by circles around its end
    points, which for a loop (both ends at the state's centre) cuts it to a
    stub or nothing depending on the state's position. It may reach beyond
    the axes, so it is not clipped there.
    """
    from matplotlib.patches import FancyArrowPatch
    from matplotlib.path import Path
    from matplotlib.transforms import Affine2D, ScaledTranslation

    path = Path(_loop_points(radius), [Path.MOVETO, Path.CURVE4, Path.CURVE4, Path.CURVE4])
    # points -> inches -> display, then moved to the state's place in the data
    where = Affine2D().scale(1 / 72) + axes.figure.dpi_scale_trans
    # (typed for affine transforms, but it only maps the one point through transData)
    where += ScaledTranslation(x, y, axes.transData)  # type: ignore[arg-type]
    return FancyArrowPatch(
        path=path, transform=where, shrinkA=0, shrinkB=0, clip_on=False, **style
    )


#: A ring's marker area is this many times the state's (its radius: the square root).
RING = 2.2


def _arrow(axes: Axes, edge: Edge, xy: np.ndarray, radius: float, ringed: bool) -> Any:
    from matplotlib.patches import FancyArrowPatch

    start = (float(xy[edge.source, 0]), float(xy[edge.source, 1]))
    style: dict[str, Any] = {
        "arrowstyle": "-|>", "mutation_scale": 8, "color": "0.35", "lw": 0.8, "zorder": 1
    }  # fmt: skip
    if edge.source == edge.target:
        # a loop leaves from the outer ring where there is one
        return _loop(axes, *start, radius * np.sqrt(RING) if ringed else radius, style)
    end = (float(xy[edge.target, 0]), float(xy[edge.target, 1]))
    return FancyArrowPatch(
        posA=start, posB=end, connectionstyle=f"arc3,rad={edge.bend}",
        shrinkA=radius, shrinkB=radius + 1, **style,
    )  # fmt: skip


def _middle(edge: Edge, xy: np.ndarray) -> tuple[float, float]:
    """Where an arc bulges furthest: arc3 puts its control point at the chord's
    middle plus ``bend * (dy, -dx)``; the curve passes half way there."""
    (x0, y0), (x1, y1) = xy[edge.source], xy[edge.target]
    dx, dy = x1 - x0, y1 - y0
    return (float(x0 + x1) / 2 + edge.bend * dy / 2, float(y0 + y1) / 2 - edge.bend * dx / 2)


def _rings(axes: Axes, points: np.ndarray, size: float, gid: str) -> None:
    """Black rings around the states at ``points`` (halted or marked states)."""
    rings = axes.scatter(
        points[:, 0], points[:, 1], s=size * RING, facecolors="none",
        edgecolors="black", linewidths=1.0, zorder=2,
    )  # fmt: skip
    rings.set_gid(gid)


def paint(axes: Axes, scene: Scene, title: str | None = None) -> Axes:
    """Draw ``scene`` on ``axes``: arrows, states, rings, outlines, names; return ``axes``.

    The artists carry gids: ``"transitions"`` (one patch per edge),
    ``"edge_labels"``, ``"states"`` (offsets in state order), each key of
    ``scene.rings`` and ``"inputs"``.
    """
    xy, size = scene.xy, scene.size
    if scene.equal_aspect:
        # Arcs and their texts are placed in data coordinates, which match
        # the display's only at equal aspect.
        axes.set_aspect("equal")
    radius = float(np.sqrt(size) / 2)  # marker radius in points: arrows stop at the rim
    middles = []  # where the arcs bulge furthest: kept inside the axes
    ringed = {int(s) for states in scene.rings.values() for s in states}
    looped = {edge.source for edge in scene.edges if edge.source == edge.target}

    def loop_top(s: int) -> float:
        return _loop_top(radius * np.sqrt(RING) if s in ringed else radius)

    for edge in scene.edges:
        arrow = _arrow(axes, edge, xy, radius, edge.source in ringed)
        arrow.set_gid("transitions")
        axes.add_patch(arrow)
        if edge.source == edge.target:
            where = (float(xy[edge.source, 0]), float(xy[edge.source, 1]))
            offset = loop_top(edge.source) + 6
        else:
            where, offset = _middle(edge, xy), 0.0
            middles.append(where)
        if scene.edge_texts and edge.text:
            note = axes.annotate(
                edge.text, where, xytext=(0.0, offset), textcoords="offset points",
                ha="center", va="center", fontsize=7, zorder=5,
                bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.8},
            )  # fmt: skip
            note.set_gid("edge_labels")
    states = axes.scatter(
        xy[:, 0], xy[:, 1], s=size, c=scene.colors, edgecolors="0.25", linewidths=0.5, zorder=3
    )
    states.set_gid("states")
    for gid, states_ringed in scene.rings.items():
        if states_ringed.size:
            _rings(axes, xy[states_ringed], size, gid)
    if scene.outlined is not None and scene.outlined.size:
        outline = axes.scatter(
            xy[scene.outlined, 0], xy[scene.outlined, 1], s=size, facecolors="none",
            edgecolors="black", linewidths=2.0, zorder=4,
        )  # fmt: skip
        outline.set_gid("inputs")
    if scene.names is not None:
        fontsize = 8 if len(scene.names) <= 20 else 6
        for s, name in enumerate(scene.names):
            if scene.names_above:
                # above the state, or above its loop
                rise = (loop_top(s) if s in looped else radius) + 2
                place: dict[str, Any] = {"xytext": (0, rise), "textcoords": "offset points",
                                         "va": "bottom"}  # fmt: skip
            else:
                place = {"va": "center"}
            axes.annotate(name, xy[s], ha="center", fontsize=fontsize, zorder=5, **place)
    finish(axes, np.vstack([xy, np.reshape(middles, (-1, 2))]), title)
    return axes


def finish(axes: Axes, xy: np.ndarray, title: str | None) -> None:
    """No axis lines; limits with a margin around ``xy``; the title."""
    axes.set_axis_off()
    if xy.size:
        lo, hi = xy.min(axis=0), xy.max(axis=0)
        pad = np.maximum((hi - lo) * 0.12, 0.3)
        axes.set_xlim(lo[0] - pad[0], hi[0] + pad[0])
        axes.set_ylim(lo[1] - pad[1], hi[1] + pad[1])
    if title is not None:
        axes.set_title(title, fontsize=10)
