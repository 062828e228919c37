"""Which variables an abstraction reads: a bit-serial adder."""

import sympy

from abstractions import (
    Computation,
    Partition,
    abstraction_report,
    cone_of_influence,
    description_length,
    finish_abstraction,
    is_conserved,
    minimal_complete_abstraction,
    minimal_variable_abstraction,
    support,
    variable_abstraction,
)

# Add two 3-bit numbers bit by bit: shift a and b right, carry in c, count in i.
a, b, c, i = sympy.symbols("a b c i")
C = Computation.from_sympy(
    {a: 8, b: 8, c: 2, i: 4},
    {a: sympy.floor(a / 2), b: sympy.floor(b / 2),
     c: sympy.floor((a % 2 + b % 2 + c) / 2), i: i + 1},
    halted=sympy.Eq(i, 3),
    reachable_from=[(x, y, 0, 0) for x in range(8) for y in range(8)],
)
print(C.n, "reachable states of", 8 * 8 * 2 * 4, "; variables", C.variables)

# beta: the carry out, once the run has halted (bound to C: no .restrict needed)
beta = Partition.from_expression(sympy.Piecewise((c, sympy.Eq(i, 3)), (2, True)), C)
finish = finish_abstraction(C, lambda state: state[2])
print("finish abstraction:", finish.n_blocks, "blocks, reads", support(C, finish),
      "conserved:", is_conserved(C, finish))

found = minimal_variable_abstraction(C, beta, method="exact")
print("minimal variable abstraction:", found.variables, "optimal:", found.optimal)
print("cone of influence of c:", cone_of_influence(C, "c"))
M = minimal_complete_abstraction(C, beta)
print("minimal complete above beta:", M.n_blocks, "blocks, reads", support(C, M))
print("description length of 'i' alone:", description_length(C, variable_abstraction(C, "i")))

report = abstraction_report(C, beta, {"carry and counter": variable_abstraction(C, ["c", "i"])})
print(report.table())
print("pareto front:", report.pareto())
