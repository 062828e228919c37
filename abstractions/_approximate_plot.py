"""Pictures of the approximate notions: the error-size frontier and the refinement dendrogram.

Waiting for a home in :mod:`abstractions.plotting` (being made a package);
uses public names only, like the plotting module, and imports matplotlib
(the ``plot`` extra) and scipy (for the dendrogram) inside the functions.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from abstractions.frontier import Frontier
from abstractions.minimal import minimal_complete_abstraction
from abstractions.refinement import refinement_linkage

__all__ = ["draw_frontier", "draw_refinement"]


def _axes(ax: Any, size: tuple[float, float]) -> Any:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots(figsize=size)
    return new


def draw_frontier(frontier: Frontier, ax: Any = None, *, title: str | None = None,
                  mark: dict[str, int] | None = None) -> Any:
    """Draw a :class:`~abstractions.Frontier`: error and information kept against blocks.

    Parameters
    ----------
    frontier : Frontier
    ax : matplotlib Axes, optional
    title : str, optional
    mark : dict of str to int, optional
        Points to label, ``{text: number of blocks}``.

    Returns
    -------
    matplotlib Axes
        The error's axes (the information is on a twin axis).
    """
    if not isinstance(frontier, Frontier):
        raise TypeError(f"frontier must be a Frontier, got {type(frontier).__name__}")
    axes = _axes(ax, (7.0, 4.0))
    blocks = frontier.blocks
    axes.plot(blocks, frontier.errors, color="tab:red", drawstyle="steps-post",
              label=f"consistency error ({frontier.metric})")
    if blocks.max() > 20 * max(int(blocks.min()), 1):
        axes.set_xscale("log")
    axes.set_xlabel("blocks")
    axes.set_ylabel("consistency error", color="tab:red")
    twin = axes.twinx()
    twin.plot(blocks, frontier.information, color="tab:blue", drawstyle="steps-post",
              label="information kept about beta (bits)")
    twin.set_ylabel("information about beta (bits)", color="tab:blue")
    for text, k in (mark or {}).items():
        i = int(np.flatnonzero(blocks <= k)[0])
        axes.annotate(text, (blocks[i], frontier.errors[i]), textcoords="offset points",
                      xytext=(8, 12), arrowprops={"arrowstyle": "->"})
    axes.invert_xaxis()
    if title:
        axes.set_title(title)
    return axes


def draw_refinement(system: Any, beta: Any, ax: Any = None, *, gamma: float = 0.5,
                    labels: Any = None, title: str | None = None) -> Any:
    """Draw the refinement history from ``beta`` as a dendrogram (scipy).

    Leaves are the blocks of the minimal complete abstraction above
    ``beta``; two blocks join at height ``gamma ** r``, ``r`` the round of
    the completion operator that first told them apart.

    Parameters
    ----------
    system : System
    beta : Partition or array_like
    ax : matplotlib Axes, optional
    gamma : float, default 0.5
    labels : callable, optional
        ``labels(block) -> str`` for the leaves.
    title : str, optional

    Returns
    -------
    matplotlib Axes
    """
    from scipy.cluster.hierarchy import dendrogram

    axes = _axes(ax, (7.0, 4.0))
    Z = refinement_linkage(system, beta, gamma=gamma)
    K = minimal_complete_abstraction(system, beta).n_blocks
    names = [str(b) if labels is None else str(labels(b)) for b in range(K)]
    if K >= 2:
        dendrogram(Z, ax=axes, labels=names, color_threshold=0.99, leaf_rotation=90)
    axes.set_ylabel(f"distance {gamma}^round")
    if title:
        axes.set_title(title)
    return axes
