"""Bubble sort on small arrays: what does an abstraction of sorting remember?

The computation bubble-sorts every array of length 3 over {0, 1, 2}, one
compare-and-swap per step. A state is (array, pass, position); it halts after
the last pass, and the output of a state is the array as it is now.

* Keeping "is the array sorted?" on every state, the minimal complete
  abstraction is a countdown: it forgets the array and remembers only how
  many compare-and-swap steps remain until the array is sorted (a number fixed
  by where the inversions sit relative to the scan).
* Keeping "the number of inversions", it remembers which of the remaining
  comparisons will swap: the inversion structure, not the values.
* Keeping the whole array on every state still merges states: once two
  states will never swap again and hold the same array, the scan position
  no longer matters.
* Keeping "the final array" (finish the computation) gives one class per
  multiset of values -- complete and minimal, but it computes nothing.

Run: python examples/bubble_sort.py [OUTDIR]
(saves the figures as PNG files in OUTDIR; without it, shows them)
"""

import sys
from itertools import product


from abstractions import (
    Computation,
    Partition,
    abstract_computation,
    finish_abstraction,
    minimal_complete_abstraction,
    output_abstraction,
)
from abstractions.plotting import draw_abstract, save_or_show

LENGTH = 3


def compare_swap(state):
    """One step of bubble sort: compare-and-swap at the position, then move on."""
    array, sweep, i = state
    a = list(array)
    if a[i] > a[i + 1]:
        a[i], a[i + 1] = a[i + 1], a[i]
    i += 1
    if i >= LENGTH - 1 - sweep:
        sweep, i = sweep + 1, 0
    return tuple(a), sweep, i


C = Computation.from_functions(
    compare_swap,
    {array: (array, 0, 0) for array in product(range(3), repeat=LENGTH)},
    halted=lambda state: state[1] >= LENGTH - 1,
    output=lambda state: state[0],
)
print(f"bubble sort of length-{LENGTH} arrays over {{0, 1, 2}}: "
      f"{C.n} states reachable from {len(C.input_values)} inputs")


def inversions(a):
    return sum(a[i] > a[j] for i in range(len(a)) for j in range(i + 1, len(a)))


keeps = {
    "is it sorted?": lambda a: list(a) == sorted(a),
    "number of inversions": inversions,
    "the first element": lambda a: a[0],
    "the whole array": None,
}
found = {}
for name, gamma in keeps.items():
    beta = output_abstraction(C, gamma)
    found[name] = minimal_complete_abstraction(C, beta)
    print(f"keep {name:22s}: beta has {beta.n_blocks:2d} blocks, "
          f"minimal complete abstraction {found[name].n_blocks:2d} classes")


def steps_until_sorted(m):
    """How many steps the run from state m takes until its array is sorted."""
    steps = 0
    while True:
        array = C.output_value(m)
        if list(array) == sorted(array):
            return steps
        m, steps = int(C.step[m]), steps + 1


# "Is it sorted?" is remembered as a countdown to sortedness, nothing more.
countdown = Partition.kernel(steps_until_sorted, C.n)
assert found["is it sorted?"] == countdown
A, _ = abstract_computation(C, countdown)
print(f"  'is it sorted?' is a countdown: abstract step {A.step.tolist()}")

final = finish_abstraction(C)
print(f"keep the final array (finish): {final.n_blocks} classes, one per multiset of values")
assert final.n_blocks == 10


OUTDIR = sys.argv[1] if len(sys.argv) > 1 else None  # where figures go (None: show them)

left, _ = draw_abstract(C, found["number of inversions"], labels=False)
save_or_show(left.figure, "bubble_sort", OUTDIR)
