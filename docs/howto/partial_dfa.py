"""A partial DFA (missing transitions), and minimisation of its reachable part in one call."""

from abstractions import LabelledSystem, minimize

# The automata-lib layout: {state: {symbol: target}}; a symbol a state lacks
# is a missing transition (also -1 or None in a step row).
D = LabelledSystem(
    {
        "start": {"a": "seen_a", "b": "start"},
        "seen_a": {"b": "done"},  # no "a" here: the transition is missing
        "done": {},  # no transitions at all
        "also_done": {},  # like "done", but never reached from "start"
        "orphan": {"a": "orphan"},  # unreachable too
    },
    output={"start": False, "seen_a": False, "done": True, "also_done": True, "orphan": False},
    inputs=["start"],
)
print(D.steps)  # -1 marks a missing transition
print("partial:", D.partial)

# Restrict to the states reachable from the inputs, take the minimal
# complete abstraction above the output there, and build the quotient.
small, partition, states = minimize(D)
print("kept:", [D.label(s) for s in states], "->", small.n, "states")
print(small)
assert small.n == 3 and small.partial  # a missing transition stays missing

# A missing transition is an observation: a state without an "a" step is
# never merged with one that has it, and no trap state is added. To read a
# gap as "reject" (language equivalence, as automata-lib and pyformlang do),
# add a rejecting trap state first:
total = minimize(D.with_sink(False)).system
print("with a rejecting trap:", total.n, "states, partial:", total.partial)
