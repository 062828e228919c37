"""A PRISM model through stormpy: Knuth and Yao's die, lumped, its blocks described."""

import os

from stormpy.examples import files  # the "models" extra: stormpy (Linux wheels)

from abstractions import (
    abstract_computation,
    describe,
    minimal_complete_abstraction,
    output_abstraction,
)
from abstractions.formats import load_model

# Storm builds the explicit chain; labels become the output, valuations the state names
die = load_model(os.path.join(files.testfile_dir, "dtmc", "die.pm"), exact=True)
P = minimal_complete_abstraction(die, output_abstraction(die))
print(die.n, "states;", P.n_blocks, "blocks keep every label and reward (as Storm's quotient)")
# keep only whether the die has been thrown: the output value is (labels, rewards)
thrown = output_abstraction(die, lambda value: "done" in value[0])
Q = minimal_complete_abstraction(die, thrown)
A, _ = abstract_computation(die, Q)
print(A.n, "blocks keep only 'done':", A.state_labels)
print(describe(die, Q, as_frame=False))
