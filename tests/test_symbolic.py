"""sympy: symbolic computations over finite domains, expressions as abstractions, Partition conversion."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st
from sympy.combinatorics.partitions import Partition as SympyPartition

import abstractions.symbolic as symbolic
from abstractions import Computation, Partition, TooLargeError, minimal_complete_abstraction
from abstractions.strategies import partitions

x, y, z = sympy.symbols("x y z")


def naive_step(domains, functions):
    """The step array by a Python loop over itertools.product (the order the library promises)."""
    states = list(itertools.product(*domains))
    index = {s: i for i, s in enumerate(states)}
    return states, [index[tuple(f(*s) for f in functions)] for s in states]


@given(p=st.integers(2, 11), k=st.integers(1, 4))
def test_multiplication_mod_p_matches_a_loop(p, k):
    """x -> x*y mod p, y fixed, gives the same step as a Python loop over all states."""
    C = Computation.from_sympy({x: p, y: range(1, k + 1)}, {x: (x * y) % p})
    states, step = naive_step([range(p), range(1, k + 1)], [lambda a, b: a * b % p, lambda a, b: b])
    assert C.state_labels == tuple(states)
    np.testing.assert_array_equal(C.step, step)


def test_ranges_with_offsets_and_steps():
    """Domains may be any increasing range; values are encoded by their position."""
    domain = range(2, 11, 4)  # 2, 6, 10
    C = Computation.from_sympy([(x, domain), (z, 2)], [sympy.Piecewise((2, sympy.Eq(x, 10)), (x + 4, True)), 1 - z])
    states, step = naive_step([domain, range(2)], [lambda a, b: 2 if a == 10 else a + 4, lambda a, b: 1 - b])
    assert C.state_labels == tuple(states)
    np.testing.assert_array_equal(C.step, step)


def test_enumeration_is_vectorised(monkeypatch):
    """Each expression is compiled once and called once on arrays of all n states."""
    calls = []
    real = sympy.lambdify

    def counting(args, expr, **kwargs):
        f = real(args, expr, **kwargs)

        def wrapped(*columns):
            calls.append([np.shape(c) for c in columns])
            return f(*columns)

        return wrapped

    monkeypatch.setattr(sympy, "lambdify", counting)
    C = Computation.from_sympy({x: 50, y: 40}, {x: (x * y) % 50}, halted=sympy.Eq(x, 0), output=x % 3,
                               state_labels=False)
    assert C.n == 2000 and C.state_labels is None
    assert len(calls) == 4  # step[x], step[y], halted, output
    assert all(shapes == [(2000,), (2000,)] for shapes in calls)


def test_halted_output_and_inputs():
    """Halting and output expressions, tuple outputs and inputs given as value tuples."""
    C = Computation.from_sympy(
        {x: 8, y: 2},
        {x: sympy.Max(x - 1, 0)},
        halted=sympy.Eq(x, 0),
        output=(y, x > 3),
        inputs=[(5, 1), (2, 0)],
    )
    assert C.inputs == {(5, 1): C.state_index((5, 1)), (2, 0): C.state_index((2, 0))}
    assert C.run((5, 1)) == (1, False)
    assert C.output_value(C.state_index((7, 0))) == (0, True)
    one = Computation.from_sympy({x: 4}, {x: sympy.Max(x - 1, 0)}, halted=x < 1, inputs=[3])
    assert one.state_labels == (0, 1, 2, 3)
    assert one.run(3) == 0
    assert Computation.from_sympy({x: 3}, [x], halted=sympy.true).halted.all()
    assert not Computation.from_sympy({x: 3}, [x], halted=sympy.false).halted.any()


def test_counter_minimal_abstraction_from_expression():
    """A counter mod 12 keeping value mod 4 has the 4-block abstraction given by the expression."""
    C = Computation.from_sympy({x: 12}, {x: (x + 1) % 12})
    keep = Partition.from_expression(x % 4, {x: 12})
    assert minimal_complete_abstraction(C, keep) == keep
    assert keep == Partition.kernel(np.arange(12) % 4)


@given(st.integers(1, 6), st.integers(1, 6))
def test_partition_from_expression_is_a_kernel(a, b):
    """Partition.from_expression is Partition.kernel of the expression's values in state order."""
    states = list(itertools.product(range(a), range(b)))
    P = Partition.from_expression((x + y) % 3, {x: a, y: b})
    assert P == Partition.kernel([(s + t) % 3 for s, t in states])
    Q = Partition.from_expression((x > 1, y), {x: a, y: b})
    assert Q == Partition.kernel([(s > 1, t) for s, t in states])
    assert Partition.from_expression(sympy.Integer(1), {x: a}) == Partition.bottom(a)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"variables": {x: 7}, "step": {x: x + 1}}, ValueError, r"step for x at state x=6 is 7, outside range\(0, 7\)"),
        ({"variables": {x: 4}, "step": {x: x / 2}}, ValueError, r"step for x at state x=1 is 0.5, not an integer"),
        ({"variables": {x: 4}, "step": {x: 1 / x}}, ValueError, "cannot be evaluated"),
        ({"variables": {x: 4}, "step": {x: y}}, ValueError, "uses y, which is not a state variable"),
        ({"variables": {x: 4}, "step": {y: x}}, ValueError, "y, which is not a state variable"),
        ({"variables": {x: 4}, "step": [x, x]}, ValueError, "2 expressions for 1 variables"),
        ({"variables": {x: 4}, "step": "x"}, TypeError, "step must be a mapping"),
        ({"variables": {"x": 4}, "step": [x]}, TypeError, "must be a sympy Symbol"),
        ({"variables": {x: 2.5}, "step": [x]}, TypeError, "must be an int k"),
        ({"variables": {x: 0}, "step": [x]}, ValueError, "non-empty"),
        ({"variables": {x: range(5, 0, -1)}, "step": [x]}, ValueError, "increasing"),
        ({"variables": [(x, 2), (x, 3)], "step": [x, x]}, ValueError, "listed twice"),
        ({"variables": [x, y], "step": [x, y]}, TypeError, "pairs"),
        ({"variables": {}, "step": []}, ValueError, "at least one variable"),
        ({"variables": 3, "step": []}, TypeError, "variables must be a mapping"),
        ({"variables": {x: 4}, "step": [x], "halted": x + 1}, ValueError, "true or false"),
        ({"variables": {x: 4}, "step": [x], "output": ()}, ValueError, "empty sequence"),
        ({"variables": {x: 4}, "step": [x], "inputs": [(1, 2)]}, ValueError, "needs 1 values"),
        ({"variables": {x: 4}, "step": [x], "inputs": [9]}, ValueError, r"inputs for x \(entry 0\) is 9"),
        ({"variables": {x: 1000, y: 1000}, "step": [x, y], "max_states": 10**5}, TooLargeError, "1000 \\* 1000"),
        ({"variables": {x: 4}, "step": [x], "output": object()}, TypeError, "sympy expression"),
    ],
)
def test_from_sympy_errors(kwargs, error, match):
    """Bad variables, domains or expressions raise errors naming the variable, state or value."""
    with pytest.raises(error, match=match):
        Computation.from_sympy(**kwargs)


def test_expression_errors():
    """from_expression checks its symbols and domains like from_sympy."""
    with pytest.raises(ValueError, match="not a state variable"):
        Partition.from_expression(x + y, {x: 3})
    with pytest.raises(TooLargeError):
        Partition.from_expression(x, {x: 10}, max_states=5)


@given(partitions(min_states=1, max_states=10))
def test_sympy_partition_round_trip(p):
    """to_sympy then from_sympy is the identity; sympy's RGS equals the canonical labels."""
    q = p.to_sympy()
    assert isinstance(q, SympyPartition)
    assert Partition.from_sympy(q) == p
    assert list(q.RGS) == p.labels.tolist()
    assert sorted(sorted(int(e) for e in b) for b in q.args) == sorted(b.tolist() for b in p.blocks())


def test_sympy_partition_errors(monkeypatch):
    """Elements other than exactly 0..n-1, non-partitions and sizes beyond the limit are refused."""
    with pytest.raises(ValueError, match="element 5 .* exactly 0..2"):
        Partition.from_sympy(SympyPartition([0, 1], [5]))
    with pytest.raises(ValueError, match="element -1"):
        Partition.from_sympy(SympyPartition([0, -1]))
    with pytest.raises(TypeError, match="element a .* not an integer"):
        Partition.from_sympy(SympyPartition([0], [sympy.Symbol("a")]))
    with pytest.raises(TypeError, match="not an integer"):
        Partition.from_sympy(SympyPartition([0], [sympy.Rational(1, 2)]))
    with pytest.raises(TypeError, match="sympy.combinatorics.partitions.Partition"):
        Partition.from_sympy([[0, 1]])
    with pytest.raises(TypeError, match="must be a Partition"):
        symbolic.partition_to_sympy([0, 1])
    with pytest.raises(ValueError, match="0 states"):
        Partition.top(0).to_sympy()
    monkeypatch.setattr(symbolic, "SYMPY_MAX_STATES", 3)
    with pytest.raises(TooLargeError, match="SYMPY_MAX_STATES = 3"):
        Partition.top(4).to_sympy()
    with pytest.raises(TooLargeError, match="4 elements"):
        Partition.from_sympy(SympyPartition([0, 1], [2, 3]))
    assert Partition.from_sympy(SympyPartition([0, 1], [2])) == Partition([0, 0, 1])


def test_default_limit_is_documented_value():
    """The documented limit is what the conversion enforces."""
    assert symbolic.SYMPY_MAX_STATES == 1000
    with pytest.raises(TooLargeError):
        Partition.top(1001).to_sympy()
