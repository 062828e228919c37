"""Former home of completeness and the builders of ``beta``; kept so old imports work.

Everything here now lives in :mod:`abstractions.completeness` (the
commutative square and the quotient) and :mod:`abstractions.keep` (what to
keep).
"""

from abstractions.completeness import abstract_computation, find_violation, is_complete
from abstractions.keep import finish_abstraction, halting_abstraction, output_abstraction
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

