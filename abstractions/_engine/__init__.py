"""The engine: how the algorithms reach the numba kernels.

Private. :mod:`abstractions._engine.primitives` holds the array operations
every module shares (canonical relabelling, pair ids, the meet, reachability
on a function); the other modules choose and run the refinement algorithms.
Kernels themselves live in :mod:`abstractions._kernels` and see only arrays
and ints.
"""

__all__: list[str] = []
