"""Build a labelled system (a DFA / Moore machine): one step function per symbol."""

import numpy as np

from abstractions import (
    Computation,
    Partition,
    TransitionSystem,
    minimal_complete_abstraction,
    output_abstraction,
)

# Strings over {a, b}, state = number of a's read mod 4; accept when it is even.
count = np.arange(4)
as_array = TransitionSystem.labelled(
    np.array([(count + 1) % 4, count]),  # shape (k, n): row i is the step on symbol i
    output=count % 2 == 0,  # any hashable values, one per state
    symbols=("a", "b"),
)
as_mapping = TransitionSystem.labelled({"a": (count + 1) % 4, "b": count}, output=count % 2 == 0)
assert as_mapping.symbols == ("a", "b") and (as_mapping.steps == as_array.steps).all()
minimal = minimal_complete_abstraction(as_array, output_abstraction(as_array))
print(as_array.kind, as_array.n, "states,", as_array.steps.shape[0], "symbols ->", minimal)
assert minimal == Partition.kernel(count % 2)  # only the parity of the count matters

# A Computation is the one-symbol case; its minimal abstractions agree.
C = Computation((np.arange(6) + 1) % 6, output=np.arange(6) % 3 == 0)
one = TransitionSystem.from_computation(C)
assert minimal_complete_abstraction(one, output_abstraction(one)) == minimal_complete_abstraction(
    C, output_abstraction(C)
)
