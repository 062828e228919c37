"""Lumping a random walk on a cube: from the d-cube to the Ehrenfest chain.

A particle walks on the 2^d vertices of the d-dimensional cube (d-bit
strings): each step it flips one of the d coordinates, chosen uniformly,
so it moves to each neighbour with probability 1/d. The probabilities are
exact fractions.

We only want to know "is the particle at the corner 0?" (beta). For a
Markov chain, an abstraction is complete when it is a lumping: states in a
block have the same probability of moving into each block, so the blocks
form a Markov chain of their own. beta is not one -- from a neighbour of the
corner the walk reaches it with probability 1/d, from further away not at
all. The minimal complete abstraction above beta is the distance from the
corner (the number of 1 bits): d + 1 classes, and the lumped chain moves
from distance k to k - 1 with probability k/d and to k + 1 with probability
(d - k)/d -- the Ehrenfest urn. Its stationary distribution is the lumped
uniform distribution of the cube, binomial(d, k) / 2^d.

The same lumping comes out with float probabilities (compared within a
tolerance, 1e-9 by default). And it needs the symmetry: if the walk flips
the first coordinate with probability 1/2 and each other one with
probability 1/4, the distance is not a lumping any more, and the minimal
one must also keep the first coordinate.

Run: python examples/cube_lumping.py [OUTDIR]
(saves the figures as PNG files in OUTDIR; without it, shows them)
"""

import sys
from fractions import Fraction
from math import comb

import matplotlib.pyplot as plt
import numpy as np

from abstractions import (
    Partition,
    TransitionSystem,
    abstract_computation,
    find_violation,
    minimal_complete_abstraction,
    output_abstraction,
)
from abstractions.plotting import draw_system, save_or_show


def cube_walk(d, flip=None):
    """The walk's transition matrix on the d-cube, exact: flip[i] = P(flip coordinate i)."""
    flip = [Fraction(1, d)] * d if flip is None else flip
    n = 2**d
    matrix = np.full((n, n), Fraction(0), dtype=object)
    for v in range(n):
        for i in range(d):
            matrix[v, v ^ (1 << i)] = flip[i]
    return matrix


def weight(v):
    """Distance from the corner 0: the number of 1 bits."""
    return v.bit_count()


def lump(d):
    """Lump the walk on the d-cube above 'is it the corner'; check it is the Ehrenfest chain."""
    matrix = cube_walk(d)
    corner = [v == 0 for v in range(2**d)]
    T = TransitionSystem.probabilistic(matrix, output=corner)
    assert T.exact
    P = minimal_complete_abstraction(T, output_abstraction(T))
    distance = Partition.kernel([weight(v) for v in range(T.n)])
    assert P == distance and P.n_blocks == d + 1
    Q, P = abstract_computation(T, P)
    # Block ids come by first occurrence; vertex 2^k - 1 is the first at distance k.
    assert [int(P.labels[2**k - 1]) for k in range(d + 1)] == list(range(d + 1))
    M = Q.probability_matrix().tolist()  # dense, exact Fractions (a small chain)
    ehrenfest = [[Fraction(k, d) if j == k - 1 else Fraction(d - k, d) if j == k + 1 else 0
                  for j in range(d + 1)] for k in range(d + 1)]
    assert M == ehrenfest
    pi = [Fraction(comb(d, k), 2**d) for k in range(d + 1)]
    assert [sum(pi[k] * M[k][j] for k in range(d + 1)) for j in range(d + 1)] == pi

    # Float mode: the same matrix in floats, compared within the tolerance.
    F = TransitionSystem.probabilistic(matrix.astype(float), output=corner)
    assert not F.exact
    P_float = minimal_complete_abstraction(F, output_abstraction(F))
    Q_float, _ = abstract_computation(F, P_float)
    assert P_float == P
    gap = np.abs(np.array(M, dtype=float) - Q_float.probability_matrix()).max()
    assert gap < 1e-12
    return T, P, Q, M, pi


results = {d: lump(d) for d in (3, 5)}
for d, (T, P, Q, M, pi) in results.items():
    print(f"d = {d}: {T.n} vertices, {T.n_transitions} transitions -> {P.n_blocks} classes "
          f"(distance from the corner), the same in float mode")
    print("  lumped chain (row: distance now, column: distance next):")
    for row in M:
        print("    " + " ".join(f"{p!s:>4s}" for p in row))
    print("  stationary: " + " ".join(str(p) for p in pi))



def into(matrix, s, P, b):
    """P(s, B): the probability of moving from s into block b of P."""
    return sum(matrix[s, t] for t in P.blocks()[b])


walk = cube_walk(3)
T3 = TransitionSystem.probabilistic(walk, output=[v == 0 for v in range(8)])
beta = output_abstraction(T3)
s1, s2 = find_violation(T3, beta)
corner = int(beta.labels[0])
print(f"'is it the corner' alone is not a lumping: {s1} and {s2} (distances "
      f"{weight(s1)}, {weight(s2)}) reach the corner with probability "
      f"{into(walk, s1, beta, corner)} and {into(walk, s2, beta, corner)}")
assert into(walk, s1, beta, corner) != into(walk, s2, beta, corner)

biased = cube_walk(3, flip=[Fraction(1, 2), Fraction(1, 4), Fraction(1, 4)])
B = TransitionSystem.probabilistic(biased, output=[v == 0 for v in range(8)])
distance = Partition.kernel([weight(v) for v in range(8)])
s1, s2 = find_violation(B, distance)
b = int(distance.labels[0])
print("biased walk (first coordinate 1/2, others 1/4): distance is not a lumping:")
print(f"  {s1} and {s2} (both at distance {weight(s1)}) reach the corner with probability "
      f"{into(biased, s1, distance, b)} and {into(biased, s2, distance, b)}")
assert weight(s1) == weight(s2) and into(biased, s1, distance, b) != into(biased, s2, distance, b)
P_biased = minimal_complete_abstraction(B, output_abstraction(B))
print(f"  minimal lumping: {P_biased.n_blocks} classes: {P_biased}")
assert P_biased == Partition.kernel([(weight(v), v & 1) for v in range(8)])


OUTDIR = sys.argv[1] if len(sys.argv) > 1 else None  # where figures go (None: show them)


def columns(d, spacing):
    """Vertex positions: one column per distance from the corner, in index order."""
    xy = np.zeros((2**d, 2))
    for k in range(d + 1):
        column = [v for v in range(2**d) if weight(v) == k]
        xy[column, 0] = k * spacing
        xy[column, 1] = (len(column) - 1) / 2 - np.arange(len(column))
    return xy


# The 5-cube's middle columns hold 10 vertices: spread the columns to match.
for d, spacing, name in ((3, 1.0, "cube_lumping"), (5, 2.5, "cube_lumping_d5")):
    T, P, Q, _, _ = results[d]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 8), height_ratios=[3, 1])
    draw_system(T, P, top, pos=columns(d, spacing), marked=[v == 0 for v in range(T.n)],
                labels=(lambda v, d=d: format(v, f"0{d}b")) if d == 3 else False,
                edge_labels=d == 3, node_size=500 if d == 3 else 120,
                title=f"walk on the {d}-cube: colour = distance from the corner (ringed)")
    chain = np.column_stack([np.arange(d + 1) * spacing, np.zeros(d + 1)])
    draw_system(Q, Partition.top(Q.n), bottom, pos=chain, marked=[k == 0 for k in range(d + 1)],
                title="the lumped chain: the Ehrenfest urn")
    save_or_show(fig, name, OUTDIR)
