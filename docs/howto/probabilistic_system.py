"""Build a Markov chain: exact (fractions, sympy rationals) or float; dense or CSR."""

from fractions import Fraction

import numpy as np
import sympy

from abstractions import (
    Partition,
    TransitionSystem,
    minimal_complete_abstraction,
    output_abstraction,
)

# A walk on a path 0 - 1 - 2 - 3 that stops at the ends; we watch "at an end?".
half = Fraction(1, 2)
exact = np.array(
    [[1, 0, 0, 0], [half, 0, half, 0], [0, half, 0, half], [0, 0, 0, 1]], dtype=object
)
ends = [True, False, False, True]
T = TransitionSystem.probabilistic(exact, output=ends)  # int / Fraction entries: exact mode
lumped = minimal_complete_abstraction(T, output_abstraction(T))
print("exact:", T.exact, lumped)
assert T.exact and lumped == Partition([0, 1, 1, 0])  # 1 and 2 mirror each other

h = sympy.Rational(1, 2)  # sympy rationals are exact too
symbolic = np.array([[1, 0, 0, 0], [h, 0, h, 0], [0, h, 0, h], [0, 0, 0, 1]], dtype=object)
rational = TransitionSystem.probabilistic(symbolic, output=ends)
assert rational.exact and minimal_complete_abstraction(rational, output_abstraction(rational)) == lumped

# Floats: probabilities are compared within tol (default 1e-9), rows must sum to 1 within tol.
floats = TransitionSystem.probabilistic(exact.astype(float), output=ends)
assert not floats.exact
assert minimal_complete_abstraction(floats, output_abstraction(floats)) == lumped

# CSR: (indptr, indices, data), the layout of scipy.sparse.csr_matrix (which is accepted too).
indptr = np.array([0, 1, 3, 5, 6])
indices = np.array([0, 0, 2, 1, 3, 3])
data = np.array([1.0, 0.5, 0.5, 0.5, 0.5, 1.0])
sparse = TransitionSystem.probabilistic((indptr, indices, data), output=ends)
print("CSR:", sparse.n_transitions, "transitions, probabilities", sparse.probabilities.tolist())
assert minimal_complete_abstraction(sparse, output_abstraction(sparse)) == lumped
