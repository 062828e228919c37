"""A computation written as sympy expressions, enumerated with numpy."""

import sympy

from abstractions import Computation, Partition, is_complete, minimal_complete_abstraction

x, y = sympy.symbols("x y")
# x <- x * y mod 11 with a fixed multiplier y in 1..10: 110 states, no Python loop per state
C = Computation.from_sympy({x: 11, y: range(1, 11)}, {x: (x * y) % 11})
keep = Partition.from_expression(sympy.Eq(x, 0), {x: 11, y: range(1, 11)})  # "is x zero"
P = minimal_complete_abstraction(C, keep)
print(C.n, keep.n_blocks, P.n_blocks)
assert C.n == 110 and keep.n_blocks == 2 and is_complete(C, P)
assert P == keep  # x * y is zero exactly when x is: "is x zero" is already complete
