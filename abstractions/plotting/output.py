"""Figures to files, or to the screen."""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from abstractions.plotting.paint import require_matplotlib

if TYPE_CHECKING:  # matplotlib is optional: imported for type checking only
    from matplotlib.figure import Figure

__all__ = ["NON_INTERACTIVE_BACKENDS", "save_or_show", "svg_picture"]

#: matplotlib's backends that write files only: ``pyplot.show`` shows nothing there.
NON_INTERACTIVE_BACKENDS: frozenset[str] = frozenset(
    {"agg", "cairo", "pdf", "pgf", "ps", "svg", "template"}
)


def _target(fig: Figure, name: str | os.PathLike[str], outdir: str | os.PathLike[str] | None
            ) -> Path | None:  # fmt: skip
    """The file to write, or None to show: ``outdir/name``, or ``name`` itself as a path."""
    path = Path(name)
    if outdir is not None:
        path = Path(outdir) / path
    elif not isinstance(name, os.PathLike) and len(path.parts) < 2:
        return None  # a bare name and no directory: show it
    # Keep a suffix matplotlib can write (".svg"); otherwise the name is a stem.
    if path.suffix.lstrip(".").lower() not in fig.canvas.get_supported_filetypes():
        path = path.with_name(path.name + ".png")
    return path


def save_or_show(
    fig: Figure, name: str | os.PathLike[str], outdir: str | os.PathLike[str] | None = None
) -> Path | None:
    """Save ``fig`` and close it, or show it on screen; return the file written.

    What the worked examples in ``examples/`` do with their figures: each
    takes an optional output directory on its command line.

    * With ``outdir``, the figure goes to ``outdir/name`` (as ``.png``
      unless ``name`` ends in another format matplotlib writes, such as
      ``.svg``).
    * Without ``outdir``, a path-like ``name``, or one with a directory in
      it (``"figures/counter"``), is the file to write.
    * Otherwise the figure is shown (``matplotlib.pyplot.show``). Where
      matplotlib cannot show anything (a non-interactive backend such as
      Agg, e.g. without a display), a warning says so and how to save the
      figure instead; the figure stays open.

    Missing directories are created.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    name : str or path
        The file name, without ``.png`` if you like; or the whole path.
    outdir : str or path, optional
        The directory to save into; None shows the figure unless ``name``
        is a path.

    Returns
    -------
    pathlib.Path or None
        The file written, or None when the figure was shown.

    Warns
    -----
    UserWarning
        When the figure should be shown but the backend cannot show it.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> with tempfile.TemporaryDirectory() as out:
    ...     save_or_show(fig, "empty", out).name
    ...     sorted(p.name for p in pathlib.Path(out).iterdir())
    'empty.png'
    ['empty.png']
    """
    require_matplotlib()
    import matplotlib.pyplot as plt

    path = _target(fig, name, outdir)
    if path is None:
        backend = plt.get_backend()
        if backend.lower() in NON_INTERACTIVE_BACKENDS:
            warnings.warn(
                f"figure {str(name)!r} was neither shown nor saved: matplotlib's backend "
                f"{backend!r} cannot show figures (no display?); pass a directory "
                f"(save_or_show(fig, {str(name)!r}, 'figures')) or a path to save it",
                UserWarning,
                stacklevel=2,
            )
            return None
        plt.show()
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90, bbox_inches="tight")
    plt.close(fig)
    return path


def svg_picture(system: Any, *, size: float = 3.0) -> str:
    """A small picture of ``system``'s state graph as SVG text (what notebooks embed).

    A :class:`~abstractions.Computation` is drawn by :func:`draw_computation`,
    any other kind by :func:`draw_system`, on a figure that is never shown.

    Examples
    --------
    >>> from abstractions import Computation
    >>> svg_picture(Computation([1, 2, 0])).lstrip().startswith("<?xml")
    True
    """
    import io

    import matplotlib
    from matplotlib.figure import Figure

    from abstractions.plotting.draw import draw_computation, draw_system

    fig = Figure(figsize=(size, size))
    ax = fig.subplots()
    if system.kind == "computation":
        draw_computation(system, ax=ax)
    else:
        draw_system(system, ax=ax)
    out = io.StringIO()
    # No date and fixed element ids: the same system gives the same text.
    with matplotlib.rc_context({"svg.hashsalt": "abstractions"}):
        fig.savefig(out, format="svg", bbox_inches="tight", metadata={"Date": None})
    return out.getvalue()
