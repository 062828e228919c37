"""How far from complete? The ball-catching robot's smaller world models.

The world of the ball-catching robot (see ball_catching_robot.py): a ball
thrown over a 3 x 3 floor from height 2, caught if it lands on the robot's
cell. The minimal complete abstraction that predicts the verdict has 6
blocks: (height, verdict to come). What does a model with fewer blocks cost?

* The refinement history: rounds of the completion operator from beta
  (the verdict on every state) climb from 3 blocks to the 6 of the minimal
  complete abstraction; each round is less consistent.
* The frontier: merging the 6 blocks greedily, cheapest increase of the
  consistency error first, shows what each smaller model gives up; with
  information about the verdict priced in, another frontier keeps the
  verdict and pays in consistency.
* The dendrogram: the round at which the completion operator first tells
  two blocks apart.

Weights: the occupancy of the runs of all throws (every state a run visits,
counted once per visit).

Run: python examples/robot_frontier.py [OUTDIR]
(saves the figures as PNG files in OUTDIR; without it, shows them)
"""

import sys
from itertools import product

import matplotlib.pyplot as plt

from abstractions import (
    Computation,
    coarsen,
    consistency_error,
    minimal_complete_abstraction,
    optimal_coarsening,
    output_abstraction,
    refinement_profile,
    weights,
)
from abstractions._approximate_plot import draw_frontier, draw_refinement
from abstractions.plotting import save_or_show

SIDE, HEIGHT, ROBOT = 3, 2, (1, 1)


def bounce(x, v):
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


throws = product(range(SIDE), range(SIDE), [HEIGHT], (-1, 0, 1), (-1, 0, 1), ["blue", "grey"])
C = Computation.from_functions(fly, {s: s for s in throws}, halted=lambda s: s[2] == 0,
                               output=verdict)
beta = output_abstraction(C)
mu = weights.occupancy(C)
best = minimal_complete_abstraction(C, beta)
final = C.final_states()


def name(block):
    m = int(best.blocks()[block][0])
    return f"z={C.label(m)[2]} {C.output_value(int(final[m]))}"


print(f"world: {C.n} states; weights: {mu}")
print(f"minimal complete abstraction above the verdict: {best.n_blocks} blocks")

profile = refinement_profile(C, beta, weights=mu)
print("\nrounds of the completion operator from beta:")
for j, (k, e) in enumerate(zip(profile.blocks, profile.errors)):
    print(f"  round {j}: {k} blocks, error {e:.3f}")

# Error first: merging whole pipelines keeps a deterministic model complete,
# so the error stays 0 while the verdict is forgotten. Pricing information
# (tradeoff: bits of the verdict lost count 10x an error of 1) keeps the
# verdict as long as it can and pays in consistency instead.
error_first = coarsen(C, best, weights=mu, beta=beta)
keep_verdict = coarsen(C, best, weights=mu, beta=beta, tradeoff=10)
print("\ngreedy frontiers from the minimal complete abstraction:")
print("          error first          keep the verdict")
print("  blocks  error  information  error  information")
for (k, e1, i1), (_, e2, i2) in zip(error_first.points(), keep_verdict.points()):
    print(f"  {k:6d}  {e1:.3f}  {i1:11.3f}  {e2:.3f}  {i2:11.3f}")
    _, optimum = optimal_coarsening(C, best, k, weights=mu, beta=beta)
    assert e1 >= optimum - 1e-12
three = keep_verdict.partition(blocks=3)
assert three == beta and abs(keep_verdict.errors[3] - profile.errors[0]) < 1e-12
print("\nkeeping the verdict with 3 blocks is beta itself; with 5 blocks:",
      " | ".join(", ".join(name(b) for b in range(best.n_blocks)
                           if keep_verdict.partition(blocks=5).labels[best.blocks()[b][0]] == g)
                 for g in range(5)))
assert consistency_error(C, best, weights=mu).total == 0

OUTDIR = sys.argv[1] if len(sys.argv) > 1 else None

fig, axes = plt.subplots(1, 2, figsize=(10, 4))
for ax, frontier, title in ((axes[0], error_first, "error first"),
                            (axes[1], keep_verdict, "keep the verdict (tradeoff=10)")):
    draw_frontier(frontier, ax, title=title)
    ax.plot(profile.blocks, profile.errors, "o", color="tab:green", label="rounds from beta",
            zorder=5, clip_on=False)
    ax.legend(loc="center left", fontsize="small")
fig.tight_layout()
save_or_show(fig, "robot_frontier", OUTDIR)

fig, ax = plt.subplots(figsize=(7, 4))
draw_refinement(C, beta, ax, labels=name,
                title="when the completion operator tells the blocks apart")
fig.tight_layout()
save_or_show(fig, "robot_frontier_dendrogram", OUTDIR)
