"""Numba kernels on plain int arrays.

Private: the public functions in :mod:`abstractions` validate their input,
fix one dtype per role (``int64`` ids, ``bool`` flags) and then call these.
Kernels take and return contiguous numpy arrays and ints only, and are
compiled lazily (``cache=True``) on their first call, never at import of
:mod:`abstractions` (the public modules import this package inside the
functions that need it, so that ``import abstractions`` does not even load
numba).
"""

from abstractions._kernels.graph import _final_states, _reach
from abstractions._kernels.labels import _first_occurrence, _meet_roots
from abstractions._kernels.signatures import _is_stable, _signature_round
from abstractions._kernels.splitters import _coarsest_stable, _predecessors
from abstractions._kernels.refine import (
    _cycle_classes,
    _functional_graph,
    _pair_labels,
    _tree_classes,
)

__all__ = [
    "_first_occurrence",
    "_meet_roots",
    "_reach",
    "_final_states",
    "_functional_graph",
    "_cycle_classes",
    "_tree_classes",
    "_pair_labels",
    "_predecessors",
    "_coarsest_stable",
    "_signature_round",
    "_is_stable",
]
