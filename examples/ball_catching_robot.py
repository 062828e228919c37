"""Ball-catching robot: which model of the world is a good ontology?

After "Good ontologies induce commutative diagrams": a ball flies over a
3 x 3 floor from height 2, falling one level per step, moving by its
horizontal velocity (each component -1, 0 or 1) and bouncing off the walls;
the sky is blue or grey. A robot stands on the middle cell. The run halts
when the ball lands; the output is "flying", "caught" (it lands on the
robot) or "missed".

A model is an abstraction of the world's state. A good model is complete
(its next state follows from its current state: the square commutes) and
predicts what we care about (it is >= beta, beta = the output on every
state). The candidates:

* sky colour: complete (the sky never changes) but it predicts nothing;
* "caught yet": what we care about, but not complete: it cannot tell when
  the catch happens;
* 2-D position and velocity: not complete -- without the height it cannot
  tell when the ball lands;
* 3-D position and velocity: complete and predictive, but it keeps more
  than needed;
* apparent size (seen from the robot): neither.

The minimal complete abstraction that predicts the catch keeps just the
height and the verdict to come: the robot's whole useful ontology.

Run: python examples/ball_catching_robot.py [OUTDIR]
(saves the figures as PNG files in OUTDIR; without it, shows them)
"""

import sys
from itertools import product


from abstractions import (
    Computation,
    Partition,
    TooLargeError,
    abstract_computation,
    is_complete,
    minimal_complete_abstraction,
    output_abstraction,
)
from abstractions.plotting import draw_computation, save_or_show

SIDE, HEIGHT, ROBOT = 3, 2, (1, 1)
VELOCITIES = (-1, 0, 1)


def bounce(x, v):
    """Move by v; at a wall, reverse the velocity instead of leaving the floor."""
    if not 0 <= x + v < SIDE:
        v = -v
    return x + v, v


def fly(state):
    x, y, z, vx, vy, sky = state
    x, vx = bounce(x, vx)
    y, vy = bounce(y, vy)
    return x, y, z - 1, vx, vy, sky


def verdict(state):
    x, y, z = state[:3]
    if z > 0:
        return "flying"
    return "caught" if (x, y) == ROBOT else "missed"


throws = product(range(SIDE), range(SIDE), [HEIGHT], VELOCITIES, VELOCITIES, ["blue", "grey"])
C = Computation.from_functions(
    fly, {s: s for s in throws}, halted=lambda s: s[2] == 0, output=verdict
)
print(f"world: {C.n} states reachable from {len(C.input_values)} throws")
beta = output_abstraction(C)


def apparent_size(state):
    """Larger when the ball is nearer the robot (height plus floor distance)."""
    x, y, z = state[:3]
    return 6 // (1 + z + abs(x - ROBOT[0]) + abs(y - ROBOT[1]))


models = {
    "sky colour": lambda s: s[5],
    "caught yet": lambda s: verdict(s) == "caught",
    "2-D position, velocity": lambda s: (s[0], s[1], s[3], s[4]),
    "3-D position, velocity": lambda s: s[:5],
    "apparent size": apparent_size,
}
print(f"{'model':24s} {'classes':>7s}  complete  predicts  completed with beta")
results = {}
for name, f in models.items():
    model = Partition.kernel(lambda m: f(C.label(m)), C.n)
    completed = minimal_complete_abstraction(C, model | beta)
    results[name] = (is_complete(C, model), model >= beta)
    print(f"{name:24s} {model.n_blocks:7d}  {str(results[name][0]):8s}  "
          f"{str(results[name][1]):8s}  {completed.n_blocks:7d} classes")
assert results == {
    "sky colour": (True, False),
    "caught yet": (False, False),
    "2-D position, velocity": (False, False),
    "3-D position, velocity": (True, True),
    "apparent size": (False, False),
}

best = minimal_complete_abstraction(C, beta)
A, _ = abstract_computation(C, best)


final = C.final_states()  # where the run from each state lands


def landing(m):
    """(height, how the throw from state m ends): what the best model knows."""
    return C.label(m)[2], C.output_value(int(final[m]))


assert best == Partition.kernel(landing, C.n)
print(f"minimal complete abstraction predicting the catch: {best.n_blocks} classes "
      f"(height, and whether the ball will be caught)")

try:
    draw_computation(C)
except TooLargeError as err:
    print(f"draw_computation(C) refuses: {err}")


OUTDIR = sys.argv[1] if len(sys.argv) > 1 else None  # where figures go (None: show them)

blocks = best.blocks()
names = ["z={}: {}".format(*landing(int(b[0]))) for b in blocks]
# A's states are named after their blocks' first states; label them by block instead
ax = draw_computation(A, Partition.top(A.n), labels=lambda s: names[A.state_index(s)],
                      title="the robot's ontology: height and verdict")
save_or_show(ax.figure, "ball_catching_robot", OUTDIR)
