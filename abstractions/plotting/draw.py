"""State graphs: a computation, a computation beside its quotient, a transition system."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from abstractions import (
    Computation,
    ContinuousTimeMarkovChain,
    InvalidTypeError,
    InvalidValueError,
    MarkovChain,
    Partition,
    SizeMismatchError,
    System,
    TooLargeError,
    TransitionSystem,
    abstract_computation,
)
from abstractions import block_names as core_block_names
from abstractions.plotting.layout import (
    SYSTEM_LAYOUTS,
    layout_positions,
    positions,
    require_computation,
)
from abstractions.plotting.paint import (
    Edge,
    Labeller,
    Scene,
    as_count,
    as_mask,
    as_partition,
    as_positions,
    marker_area,
    new_axes,
    paint,
    require_matplotlib,
    short,
    state_colors,
)

if TYPE_CHECKING:  # matplotlib is optional: imported for type checking only
    from matplotlib.axes import Axes

__all__ = [
    "MAX_DRAWN_STATES",
    "MAX_LABELLED_STATES",
    "block_names",
    "draw_abstract",
    "draw_computation",
    "draw_system",
]

#: Default ``max_states`` of :func:`draw_computation`: beyond a few hundred
#: states a state graph is a hairball; draw an abstraction's quotient instead.
MAX_DRAWN_STATES: int = 300

#: Up to this many states, :func:`draw_computation` writes the state names.
MAX_LABELLED_STATES: int = 40


def _check_size(n: int, limit: int, what: str, hint: str) -> None:
    if n > limit:
        raise TooLargeError(
            f"draw_{what} draws at most max_states={limit} states, but the {what} has "
            f"n={n}; {hint}, or pass a larger max_states"
        )


def _labeller(labels: bool | Labeller | None, n: int, default: Labeller) -> Labeller | None:
    """The text of each state's name: ``default``, a given callable, or none."""
    if labels is None:
        labels = n <= MAX_LABELLED_STATES
    if labels is True:
        return default
    if labels is False:
        return None
    if callable(labels):
        return labels
    raise InvalidTypeError(
        f"labels must be None, a bool or a callable on state names, got {type(labels).__name__}"
    )


def _computation_scene(
    C: Computation, P: Partition | None, xy: np.ndarray, names: list[str] | None,
    size: float | None,
) -> Scene:  # fmt: skip
    """A computation's picture: one arrow per state that has not halted."""
    step = np.asarray(C.step)
    edges = [
        # Steps within one column (along a cycle) bow out so they do not run
        # through the states between.
        Edge(m, s, 0.08 if xy[m, 0] != xy[s, 0] else 0.5)
        for m, s in enumerate(step.tolist())
        if not C.halted[m]  # absorbing: the self-loop is implied by the ring
    ]
    return Scene(
        xy=xy,
        colors=state_colors(P, C.n),
        edges=edges,
        size=marker_area(C.n, size),
        rings={"halted": np.flatnonzero(C.halted)},
        outlined=np.unique(C.input_states),
        names=names,
    )


def _legend(axes: Axes, scene: Scene) -> None:
    """Explain the input outline and the halted ring, where there are such states."""
    from matplotlib.lines import Line2D

    handles = []
    if scene.outlined is not None and scene.outlined.size:
        handles.append(Line2D([], [], marker="o", ls="", mfc="white", mec="black", mew=2.0,
                              label="input state"))  # fmt: skip
    if scene.rings["halted"].size:
        handles.append(Line2D([], [], marker="o", ls="", mfc="white", mec="black", mew=1.0,
                              ms=10, label="halted state"))  # fmt: skip
    if handles:
        axes.legend(handles=handles, loc="best", fontsize=7, framealpha=0.8)


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
    C = require_computation(computation)
    n = C.n
    hint = "draw an abstraction's quotient (draw_abstract), restrict to the reachable states"
    _check_size(n, as_count(max_states, "max_states"), "computation", hint)
    P = None if partition is None else as_partition(partition, n)
    xy = layout_positions(C, layout) if pos is None else as_positions(pos, n)
    name = _labeller(labels, n, short)
    require_matplotlib()
    scene = _computation_scene(
        C, P, xy, None if name is None else [name(C.label(m)) for m in range(n)], node_size
    )
    axes = paint(new_axes(ax), scene, title)
    if legend:
        _legend(axes, scene)
    return axes


def block_names(system: System, partition: Any) -> list[str]:
    """The default name of each block of ``partition``, as :func:`draw_abstract` writes it.

    The rule of :func:`abstractions.block_names` (the one the quotient of
    :func:`~abstractions.abstract_computation` carries): when the system
    names its states, a block is named after its first state; otherwise by
    its output value where the output is constant on every block and tells
    the blocks apart, and by its first state's id where not. Shortened for
    a picture.

    Parameters
    ----------
    system : System
    partition : Partition or array_like

    Returns
    -------
    list of str
        One name per block, in block order.

    Examples
    --------
    >>> from abstractions import Computation, Partition
    >>> from abstractions.machines import counter
    >>> block_names(counter(6), Partition([0, 1, 2, 0, 1, 2]))
    ['0', '1', '2']
    >>> C = Computation([1, 2, 2], halted=[False, False, True], output=["odd", "even", "odd"])
    >>> block_names(C, Partition([0, 1, 0]))
    ['odd', 'even']
    """
    return [short(name) for name in core_block_names(system, partition)]


def _names(names: Any, default: Callable[[], list[str]], k: int) -> list[str]:
    """The name of each of ``k`` blocks: given as a sequence or a callable, or the default."""
    if names is None:
        return default()
    if callable(names):
        return [str(names(b)) for b in range(k)]
    if isinstance(names, str) or not isinstance(names, Sequence):
        raise InvalidTypeError(
            f"names must be a sequence of block names or a callable on block ids, "
            f"got {type(names).__name__}"
        )
    if len(names) != k:
        raise SizeMismatchError(f"names must name each of the {k} blocks, got {len(names)} names")
    return [short(name) for name in names]


def draw_abstract(
    computation: Computation,
    partition: Any,
    ax: Sequence[Axes] | None = None,
    *,
    names: Sequence[Any] | Callable[[int], Any] | None = None,
    max_states: int = MAX_DRAWN_STATES,
    layout: str = "auto",
    labels: bool | Labeller | None = None,
    axes: Sequence[Axes] | None = None,
) -> tuple[Axes, Axes]:
    """Draw the computation coloured by a complete abstraction, and its quotient beside it.

    Abstract state ``b`` (block ``b``) is drawn in the colour of its block
    and named after it, so the picture shows which concrete states each
    abstract state stands for; the abstract step is the commutative
    square's ``tau_A``.

    Parameters
    ----------
    computation : Computation
    partition : Partition or array_like
        A complete abstraction.
    ax : pair of matplotlib.axes.Axes, optional
        Where to draw the computation and the quotient; by default a new
        figure with two panels.
    names : sequence or callable, optional
        The name of each abstract state (block): a sequence in block order,
        or a callable on block ids. By default :func:`block_names`: the
        name of the block's first state, or its output value.
    max_states : int, default MAX_DRAWN_STATES (300)
        As in :func:`draw_computation`, for the concrete computation.
    layout : str, default "auto"
        For the concrete computation (the quotient always uses "auto").
    labels : bool or callable, optional
        For the concrete states, as in :func:`draw_computation`.
    axes : pair of matplotlib.axes.Axes, optional
        Deprecated alias of ``ax``.

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
        As in :func:`draw_computation`; also if ``names`` does not name
        every block.

    Warns
    -----
    DeprecationWarning
        When called with ``axes=``.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> from abstractions import Partition
    >>> from abstractions.machines import counter
    >>> left, right = draw_abstract(counter(6), Partition([0, 1, 0, 1, 0, 1]),
    ...                             ax=Figure().subplots(1, 2), names=["even", "odd"])
    >>> len(right.collections[0].get_offsets())     # Z_2
    2
    >>> [t.get_text() for t in right.texts]
    ['even', 'odd']
    """
    if axes is not None:
        warnings.warn(
            "draw_abstract(axes=...) is deprecated; pass the pair of axes as ax=...",
            DeprecationWarning,
            stacklevel=2,
        )
        if ax is not None:
            raise InvalidTypeError("pass the pair of axes as ax=, not both ax= and axes=")
        ax = axes
    C = require_computation(computation)
    A, P = abstract_computation(C, partition)
    limit = as_count(max_states, "max_states")
    # before any figure exists, so a refusal leaves none behind
    _check_size(C.n, limit, "computation",
                "draw an abstraction's quotient, restrict to the reachable states")  # fmt: skip
    block = _names(names, lambda: block_names(C, P), P.n_blocks)
    if ax is None:
        require_matplotlib()
        import matplotlib.pyplot as plt

        _, pair = plt.subplots(1, 2, figsize=(11.0, 4.5), width_ratios=[3, 2])
        left, right = pair[0], pair[1]
    else:
        if len(ax) != 2:
            raise InvalidValueError(f"ax must be a pair of Axes, got {len(ax)} of them")
        left, right = ax[0], ax[1]
    draw_computation(
        C, P, left, max_states=limit, layout=layout, labels=labels,
        title=f"computation: {C.n} states, {P.n_blocks} blocks",
    )  # fmt: skip
    scene = _computation_scene(A, Partition.top(A.n), layout_positions(A), block, None)
    paint(right, scene, f"abstract computation: {A.n} states")
    return left, right


# --------------------------------------------------------------------------
# Transition systems.


def _require_system(system: Any) -> TransitionSystem:
    if not isinstance(system, TransitionSystem):
        raise InvalidTypeError(
            f"system must be a TransitionSystem, got {type(system).__name__}; "
            f"draw a Computation with draw_computation"
        )
    return system


def _system_edges(T: TransitionSystem) -> dict[tuple[int, int], str]:
    """Each drawn arrow ``(s, t)`` and its text: its symbols, or its probability (rate)."""
    probabilistic = isinstance(T, (MarkovChain, ContinuousTimeMarkovChain))
    exact = probabilistic and T.exact  # type: ignore[attr-defined]
    texts: dict[tuple[int, int], list[str]] = {}
    for s in range(T.n):
        for symbol, t, weight in T.transitions(s):
            if probabilistic:
                text = str(weight) if exact else f"{float(weight):.3g}"
            else:
                text = "" if symbol is None else short(symbol)
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
    n = T.n
    _check_size(n, as_count(max_states, "max_states"), "system",
                "draw an abstraction's quotient")  # fmt: skip
    P = None if partition is None else as_partition(partition, n)
    ring = np.zeros(n, dtype=bool) if marked is None else as_mask(marked, n, "marked")
    arrows = _system_edges(T)
    xy = positions(n, layout, pos, arrows, SYSTEM_LAYOUTS)
    name = _labeller(labels, n, str)
    if edge_labels is None:
        edge_labels = n <= MAX_LABELLED_STATES
    try:
        bend = float(bend)
    except (TypeError, ValueError):
        raise InvalidTypeError(f"bend must be a number, got {type(bend).__name__}") from None
    require_matplotlib()
    scene = Scene(
        xy=xy,
        colors=state_colors(P, n),
        edges=[Edge(s, t, bend, text) for (s, t), text in arrows.items()],
        size=marker_area(n, node_size),
        rings={"marked": np.flatnonzero(ring)},
        names=None if name is None else [name(s) for s in range(n)],
        names_above=False,
        edge_texts=bool(edge_labels),
        equal_aspect=True,
    )
    return paint(new_axes(ax), scene, title)
