"""The public names of :mod:`abstractions`, for type checkers and for its lazy loader.

Each ``from ... import`` below names the module that defines a public name;
``abstractions/__init__.py`` reads this file to load that module on the
first use of the name, and type checkers read it as the package's types.
"""

from abstractions import weights
from abstractions._warmup import warmup
from abstractions.approximate import (
    ConsistencyError,
    TraceError,
    consistency_error,
    trace_error,
)
from abstractions.completeness import (
    abstract_computation,
    block_names,
    completion,
    find_violation,
    is_complete,
)
from abstractions.computation import Computation
from abstractions.exceptions import (
    AbstractionsError,
    FileFormatError,
    InvalidTypeError,
    InvalidValueError,
    NonHaltingError,
    NotCompleteError,
    SizeMismatchError,
    TooLargeError,
    UnknownInputError,
    UnknownVariableError,
)
from abstractions.explain import BlockTable, bisimilar, describe, equivalence_class
from abstractions.files import load, save
from abstractions.frontier import Frontier, coarsen, optimal_coarsening, polish
from abstractions.interchange import (
    InterchangeEstimate,
    interchange_accuracy,
    sampled_interchange_accuracy,
)
from abstractions.keep import finish_abstraction, halting_abstraction, output_abstraction
from abstractions.minimal import (
    METHODS,
    SYSTEM_METHODS,
    Minimized,
    complete_abstractions,
    minimal_complete_abstraction,
    minimize,
)
from abstractions.partition import Partition
from abstractions.refinement import (
    RefinementProfile,
    refinement_linkage,
    refinement_profile,
    split_rounds,
)
from abstractions.report import AbstractionReport, Candidate, abstraction_report
from abstractions.simplicity import (
    BDD_MAX_STATES,
    DESCRIPTION_METHODS,
    description_length,
    is_conserved,
)
from abstractions.steps import NO_RETURN, first_entry, first_return
from abstractions.stuttering import stuttering_abstraction
from abstractions.support import (
    SUPPORT_BUDGET,
    VariableAbstraction,
    cone_of_influence,
    minimal_variable_abstraction,
    support,
)
from abstractions.system import UNDETERMINED, System
from abstractions.systems import (
    ContinuousTimeMarkovChain,
    LabelledSystem,
    MarkovChain,
    MarkovDecisionProcess,
    NondeterministicSystem,
    TransitionSystem,
)
from abstractions.variables import Variables, variable_abstraction
from abstractions.weights import Weights

__version__ = "0.1.0"

__all__ = [
    "System",
    "Computation",
    "Partition",
    "TransitionSystem",
    "LabelledSystem",
    "NondeterministicSystem",
    "MarkovChain",
    "ContinuousTimeMarkovChain",
    "MarkovDecisionProcess",
    "SYSTEM_METHODS",
    "is_complete",
    "find_violation",
    "completion",
    "minimal_complete_abstraction",
    "minimize",
    "Minimized",
    "abstract_computation",
    "block_names",
    "describe",
    "BlockTable",
    "bisimilar",
    "equivalence_class",
    "complete_abstractions",
    "weights",
    "Weights",
    "consistency_error",
    "ConsistencyError",
    "trace_error",
    "TraceError",
    "refinement_profile",
    "RefinementProfile",
    "split_rounds",
    "refinement_linkage",
    "coarsen",
    "Frontier",
    "optimal_coarsening",
    "polish",
    "interchange_accuracy",
    "sampled_interchange_accuracy",
    "InterchangeEstimate",
    "output_abstraction",
    "halting_abstraction",
    "finish_abstraction",
    "first_return",
    "first_entry",
    "NO_RETURN",
    "stuttering_abstraction",
    "Variables",
    "variable_abstraction",
    "support",
    "SUPPORT_BUDGET",
    "cone_of_influence",
    "minimal_variable_abstraction",
    "VariableAbstraction",
    "description_length",
    "DESCRIPTION_METHODS",
    "BDD_MAX_STATES",
    "is_conserved",
    "abstraction_report",
    "AbstractionReport",
    "Candidate",
    "METHODS",
    "warmup",
    "UNDETERMINED",
    "AbstractionsError",
    "InvalidTypeError",
    "InvalidValueError",
    "NonHaltingError",
    "NotCompleteError",
    "SizeMismatchError",
    "TooLargeError",
    "UnknownInputError",
    "UnknownVariableError",
    "FileFormatError",
    "save",
    "load",
    "__version__",
]
