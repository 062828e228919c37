"""Pictures: state graphs coloured by abstraction, quotients, Hasse diagrams.

:func:`draw_computation` and :func:`draw_abstract` draw a
:class:`~abstractions.Computation` (one step function), :func:`draw_system`
a labelled, nondeterministic or probabilistic
:class:`~abstractions.TransitionSystem`, and :func:`draw_lattice` a set of
partitions under the information order, :func:`draw_report` the candidates
of an abstraction report (variables read against description length). The
three state-graph pictures
share one painting layer: the same dots, arrows, rings and names.

Needs matplotlib, the optional ``plot`` extra (``pip install
'formal-abstractions[plot]'``). matplotlib is imported inside the functions,
so ``import abstractions`` and ``import abstractions.plotting`` never import
it. Layouts come from networkx (a core dependency); graphviz is not needed.

Every function draws on a matplotlib ``Axes`` you pass (``ax=...``;
``draw_abstract`` takes a pair) or on a new figure, and returns the axes it
drew on. The drawn artists carry a ``gid`` (``"states"``,
``"transitions"``, ``"halted"``, ``"inputs"``, ``"elements"``,
``"covers"``, ``"marked"``, ``"edge_labels"``), so a test or a notebook
can find them again. :func:`save_or_show` writes a figure to a file, or
shows it.

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

from abstractions.plotting.draw import (
    MAX_DRAWN_STATES,
    MAX_LABELLED_STATES,
    block_names,
    draw_abstract,
    draw_computation,
    draw_system,
)
from abstractions.plotting.lattice import MAX_LATTICE_ELEMENTS, draw_lattice
from abstractions.plotting.layout import LAYOUTS, SYSTEM_LAYOUTS, layout_positions
from abstractions.plotting.output import save_or_show, svg_picture
from abstractions.plotting.paint import block_colors
from abstractions.plotting.report import draw_report

__all__ = [
    "MAX_DRAWN_STATES",
    "MAX_LABELLED_STATES",
    "MAX_LATTICE_ELEMENTS",
    "LAYOUTS",
    "block_colors",
    "block_names",
    "layout_positions",
    "draw_computation",
    "draw_abstract",
    "draw_system",
    "SYSTEM_LAYOUTS",
    "draw_lattice",
    "draw_report",
    "save_or_show",
    "svg_picture",
]
