"""Former home of completeness and the builders of ``beta``; kept so old imports work.

Everything here now lives in :mod:`abstractions.completeness` (the
commutative square and the quotient) and :mod:`abstractions.keep` (what to
keep).
"""

from abstractions.completeness import abstract_computation, find_violation, is_complete
from abstractions.computation import Computation
from abstractions.keep import finish_abstraction, halting_abstraction, output_abstraction
from abstractions.partition import Partition
from abstractions.system import UNDETERMINED

__all__ = [
    "UNDETERMINED",
    "is_complete",
    "find_violation",
    "abstract_computation",
    "output_abstraction",
    "halting_abstraction",
    "finish_abstraction",
]


# Transitional: the plotting module (being rewritten on public names) still
# imports these two private helpers; they go when it no longer does.
def _require_computation(computation: object) -> "Computation":
    from abstractions.computation import Computation
    from abstractions.system import as_system

    result: Computation = as_system(computation, "computation", Computation)
    return result


def _as_partition(value: object, n: int, name: str) -> "Partition":
    from abstractions.exceptions import SizeMismatchError
    from abstractions.partition import Partition, canonical_labels

    if isinstance(value, Partition):
        partition = value
    else:
        partition = Partition._from_canonical(*canonical_labels(value, name))
    if partition.n != n:
        raise SizeMismatchError(
            f"{name} is a partition of {partition.n} states, but the system has {n} states"
        )
    return partition
