"""The theorem in a picture: the lattice of complete abstractions above beta.

A tiny computation: three runs that end in the same halted state "done"
(a0 -> a1 -> done, b0 -> b1 -> done, c1 -> done). Keep only "has it
halted?" (beta). beta itself is not complete -- a1 and a0 are both "not
halted", but a1 halts next and a0 does not.

complete_abstractions lists every complete abstraction above beta. By the
Knaster-Tarski argument they form a complete lattice, and its least element
is the minimal complete abstraction, reached by iterating the completion
operator from beta: here "how many steps until the halt" (3 classes). Every
other complete abstraction above beta knows at least that much.

Run: python examples/lattice.py [OUTDIR]
(saves the figures as PNG files in OUTDIR; without it, shows them)
"""

import sys

import matplotlib.pyplot as plt

from abstractions import (
    Computation,
    complete_abstractions,
    completion,
    halting_abstraction,
    is_complete,
    minimal_complete_abstraction,
)
from abstractions.plotting import draw_computation, draw_lattice, save_or_show

names = ["a0", "a1", "done", "b0", "b1", "c1"]
C = Computation(
    step=[1, 2, 2, 4, 2, 2],
    halted=[name == "done" for name in names],
    state_labels=names,
    inputs={"a": 0, "b": 3, "c": 5},
)


def named(P):
    """The blocks of P with the states' names, e.g. 'a0 b0 | a1 b1 c1 | done'."""
    return " | ".join(" ".join(names[m] for m in block) for block in P.blocks())


beta = halting_abstraction(C)
print(f"beta = 'has it halted?': {named(beta)}   complete? {is_complete(C, beta)}")

chain = [beta]
while completion(C, chain[-1]) != chain[-1]:
    chain.append(completion(C, chain[-1]))
print("Kleene iteration beta, C(beta), ...:")
for i, P in enumerate(chain):
    print(f"  C^{i}(beta) = {named(P)}")

lattice = complete_abstractions(C, beta)
least = minimal_complete_abstraction(C, beta)
print(f"{len(lattice)} complete abstractions above beta:")
for P in lattice:
    print(f"  {named(P)}" + ("   <- the least one" if P == least else ""))
assert least == chain[-1] == lattice[0]
assert all(least <= P for P in lattice)


OUTDIR = sys.argv[1] if len(sys.argv) > 1 else None  # where figures go (None: show them)

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5), width_ratios=[2, 3])
draw_computation(C, least, left, title="the computation, coloured by the least one")
draw_lattice(lattice, right, title="complete abstractions above beta (least marked)")
for text, P in zip(right.texts, lattice):
    text.set_text(named(P))  # state names instead of indices
save_or_show(fig, "lattice", OUTDIR)
