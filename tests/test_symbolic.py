"""sympy: symbolic computations over finite domains, expressions as abstractions, Partition conversion."""

from __future__ import annotations

import ast
import itertools
import math
import operator
from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy.combinatorics.partitions import Partition as SympyPartition
from sympy.core.relational import Relational

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
    """Evaluation is one array operation per expression node: as many steps for 200 states as for 2000."""
    counts: list[int] = []
    real = symbolic._Evaluator.__call__

    def counting(self, expr):
        counts[-1] += 1
        return real(self, expr)

    def per_value(self, expr):
        raise AssertionError(f"{expr} was evaluated value by value")

    monkeypatch.setattr(symbolic._Evaluator, "__call__", counting)
    monkeypatch.setattr(symbolic._Evaluator, "_by_sympy", per_value)
    for size in (5, 50):
        counts.append(0)
        C = Computation.from_sympy({x: size, y: 40}, {x: (x * y) % size}, halted=sympy.Eq(x, 0),
                                   output=x % 3, state_labels=False)
        assert C.n == size * 40 and C.state_labels is None
    assert counts[0] == counts[1] <= 20


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
        ({"variables": {x: 4}, "step": {x: x / 2}}, ValueError, r"step for x at state x=1 is 1/2, not an integer"),
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


# ---------------------------------------------------------------------- exact evaluation


DOMAINS = {x: range(-4, 5), y: range(3)}


@st.composite
def int_expressions(draw, depth=3):
    """Random integer/rational expressions in x, y: arithmetic, powers, Mod, floor, Min/Max, Piecewise."""
    leaves = st.sampled_from([x, y, sympy.Integer(0), sympy.Integer(2), sympy.Integer(-3),
                              sympy.Rational(1, 2), sympy.Integer(2**62)])
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return draw(leaves)
    a = draw(int_expressions(depth=depth - 1))
    b = draw(int_expressions(depth=depth - 1))
    if b.is_zero:
        b = sympy.Integer(3)  # sympy itself refuses Mod(a, 0) when it sees the zero
    op = draw(st.integers(0, 10))
    try:
        expr = _combine(draw, op, a, b)
    except (TypeError, ValueError, ZeroDivisionError, AttributeError):  # sympy met zoo while building
        return a
    return a if expr.has(sympy.zoo, sympy.nan, sympy.oo) else expr


def _combine(draw, op, a, b):
    if op == 0:
        return a + b
    if op == 1:
        return a * b
    if op == 2:
        return a - b
    if op == 3:
        return sympy.Pow(a, draw(st.integers(-2, 5)))
    if op == 4:
        return sympy.Mod(a, b)
    if op == 5:
        return sympy.floor(a / b)
    if op == 6:
        return sympy.ceiling(a) + sympy.Abs(b)
    if op == 7:
        return sympy.Min(a, b, evaluate=False) * sympy.Max(a, 1, evaluate=False)
    if op == 8:
        condition = sympy.Or(sympy.Lt(a, b, evaluate=False), sympy.Eq(b, 1, evaluate=False), evaluate=False)
        return sympy.Piecewise((a, condition), (b, True), evaluate=False)
    if op == 9:
        return sympy.Mod(sympy.Pow(a, draw(st.integers(0, 40))), b)
    return a / b


def naive_value(expr, point):
    """The value of expr at one state, by the definitions, in Python ints and Fractions."""
    from fractions import Fraction

    def ev(e):
        if e in point:
            return point[e]
        if e in (sympy.true, sympy.false):
            return bool(e)
        if isinstance(e, sympy.Integer):
            return int(e)
        if isinstance(e, sympy.Rational):
            return Fraction(int(e.p), int(e.q))
        if e in (sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
            raise ZeroDivisionError(str(e))  # sympy folded a division by zero into a constant
        if isinstance(e, sympy.ITE):
            return ev(e.args[1]) if ev(e.args[0]) else ev(e.args[2])
        args = [ev(a) for a in e.args] if not isinstance(e, sympy.Piecewise) else None
        if isinstance(e, sympy.Add):
            return sum(args)
        if isinstance(e, sympy.Mul):
            return math.prod(args)
        if isinstance(e, sympy.Pow):
            base, k = args
            return Fraction(base) ** k if k < 0 else base**k
        if isinstance(e, sympy.Mod):
            return args[0] % args[1]
        if isinstance(e, sympy.floor):
            return math.floor(args[0])
        if isinstance(e, sympy.ceiling):
            return math.ceil(args[0])
        if isinstance(e, sympy.Abs):
            return abs(args[0])
        if isinstance(e, sympy.Min):
            return min(args)
        if isinstance(e, sympy.Max):
            return max(args)
        if isinstance(e, sympy.Piecewise):
            for value, condition in e.args:
                if ev(condition):
                    return ev(value)
            raise ZeroDivisionError("undefined")
        if isinstance(e, Relational):
            compare = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
                       "==": operator.eq, "!=": operator.ne}[e.rel_op]
            return compare(*args)
        if isinstance(e, sympy.Or):
            return any(args)
        if isinstance(e, sympy.And):
            return all(args)
        if isinstance(e, sympy.Not):
            return not args[0]
        raise NotImplementedError(type(e))

    value = ev(expr)
    if isinstance(value, Fraction) and value.denominator == 1:
        return int(value)
    return value


@given(int_expressions())
def test_exact_evaluation_matches_python_state_by_state(expr):
    """The vectorised exact evaluator agrees with Python ints and Fractions state by state (or both fail)."""
    states = list(itertools.product(*DOMAINS.values()))
    limit, symbolic.MAX_BITS = symbolic.MAX_BITS, 10**6  # agreement, not the size limit, is tested here
    try:
        try:
            expected = [naive_value(expr, {x: a, y: b}) for a, b in states]
        except ZeroDivisionError:
            with pytest.raises(ValueError, match="by zero|undefined"):
                Computation.from_sympy(DOMAINS, [x, y], output=expr)
            return
        C = Computation.from_sympy(DOMAINS, [x, y], output=expr)
    finally:
        symbolic.MAX_BITS = limit
    got = [C.output_value(m) for m in range(C.n)]
    assert got == expected
    assert [type(v) for v in got] == [type(v) for v in expected]


@settings(max_examples=50)
@given(int_expressions())
def test_expression_strings_parse_to_the_same_computation(expr):
    """str(expr), parsed without evaluation, gives the same computation as the sympy object."""
    limit, symbolic.MAX_BITS = symbolic.MAX_BITS, 10**6
    try:
        try:
            direct = Computation.from_sympy(DOMAINS, [x, y], output=expr)
        except ValueError as err:
            with pytest.raises(ValueError) as info:
                Computation.from_sympy(DOMAINS, [x, y], output=str(expr))
            # the same kind of problem; which one is met first (and at which state) may
            # differ, as the parsed tree keeps the operands in another order
            def problem(message):
                if "by zero" in message:
                    return "by zero"
                return message.split(" cannot be evaluated on every state: ")[-1].split(" at state")[0]

            assert problem(str(err)) == problem(str(info.value))
            return
        assert Computation.from_sympy(DOMAINS, [x, y], output=str(expr)) == direct
    finally:
        symbolic.MAX_BITS = limit


def test_int64_overflow_is_exact():
    """Powers beyond int64 are exact: Mod(x**30, 7) is pow(x, 30, 7), big domains stay Python ints."""
    C = Computation.from_sympy({x: 7}, {x: sympy.Mod(x**30, 7)})
    assert C.step.tolist() == [pow(v, 30, 7) for v in range(7)]
    C = Computation.from_sympy({x: 1000}, {x: sympy.Mod(x**5 * 3**40 + x, 1000)}, state_labels=False)
    assert C.step.tolist() == [(v**5 * 3**40 + v) % 1000 for v in range(1000)]
    big = range(2**64 - 2, 2**64 + 2)
    C = Computation.from_sympy({x: big}, {x: sympy.Max(x - 1, 2**64 - 2)}, output=x * x)
    assert C.state_labels == tuple(big)
    assert C.output_values == tuple(v * v for v in big)
    assert all(type(v) is int for v in C.output_values)
    assert C.step.tolist() == [0, 0, 1, 2]


def test_divisions_are_exact_rationals():
    """x / 3 gives Fractions (ints where integral), never floats; floor and ceiling are exact."""
    C = Computation.from_sympy({x: range(-3, 4)}, [x], output=(x / 3, sympy.floor(x / 2), sympy.ceiling(x / 2)))
    assert C.output_value(0) == (-1, -2, -1)
    assert C.output_value(1) == (Fraction(-2, 3), -1, -1)
    assert type(C.output_value(0)[0]) is int and type(C.output_value(1)[0]) is Fraction
    huge = 2**80 + 1  # float64 would round it
    C = Computation.from_sympy({x: 3}, [x], output=sympy.floor((x + huge) / 2))
    assert C.output_values == ((huge) // 2, (huge + 1) // 2)


def test_piecewise_pieces_are_evaluated_only_where_chosen():
    """A piece may be undefined where its condition does not select it."""
    C = Computation.from_sympy({x: range(-2, 3)}, [x], output=sympy.Piecewise((1 / x, sympy.Ne(x, 0)), (0, True)))
    assert [C.output_value(m) for m in range(5)] == [Fraction(-1, 2), -1, 0, 1, Fraction(1, 2)]
    with pytest.raises(ValueError, match="division by zero at state x=0"):
        Computation.from_sympy({x: range(-2, 3)}, [x], output=1 / x)
    with pytest.raises(ValueError, match=r"no condition of the Piecewise holds\) at state x=-2"):
        Computation.from_sympy({x: range(-2, 3)}, [x], output=sympy.Piecewise((x, x > 0)))


def test_unknown_functions_are_evaluated_by_sympy_once_per_value():
    """factorial, sqrt, Sum: sympy's own exact value, once per distinct argument; irrationals refused."""
    C = Computation.from_sympy({x: 10, y: 100}, [x, y], output=sympy.factorial(x) % 11, state_labels=False)
    assert [C.output_value(m) for m in range(0, C.n, 100)] == [math.factorial(v) % 11 for v in range(10)]
    assert Computation.from_sympy({x: 5}, [x], output=sympy.sqrt(x * x)).output_values == (0, 1, 2, 3, 4)
    k = sympy.Symbol("k")
    C = Computation.from_sympy({x: 3}, [x], output=sympy.Sum(k * x, (k, 1, 3)))
    assert C.output_values == (0, 6, 12)
    with pytest.raises(ValueError, match="sqrt\\(2\\), not a rational number at state x=2"):
        Computation.from_sympy({x: 5}, [x], output=sympy.sqrt(x))


def test_huge_intermediates_are_refused_not_computed():
    """An expression beyond MAX_BITS is refused at once (its bound is known before computing)."""
    with pytest.raises(ValueError, match="MAX_BITS"):
        Computation.from_sympy({x: 7}, [x], output=x ** (10**9))
    with pytest.raises(ValueError, match="MAX_BITS"):
        Computation.from_sympy({x: 7}, [x], output="10**10**10")
    assert Computation.from_sympy({x: 7}, [x], output="Mod(10**10**10, 7)").output_values == (pow(10, 10**10, 7),)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("x + 1", 4), ("x - 2*x", -3), ("x / 2", Fraction(3, 2)), ("x // 2", 1), ("x % 2", 1),
        ("-x ** 2", -9), ("(x + 1) * 2", 8), ("0.1 * x", Fraction(3, 10)), ("x > 2", True),
        ("1 < x <= 3", True), ("x == 3 and not x < 0", True), ("(x > 5) | (x < 4)", True),
        ("~(x > 2)", False), ("Mod(x, 2)", 1), ("Max(x, 5) - Min(x, 1)", 4), ("abs(-x)", 3),
        ("floor(x / 2) + ceiling(x / 2)", 3), ("Piecewise((0, x < 2), (x, True))", 3),
        ("Eq(x, 3)", True), ("ITE(x > 1, x > 2, False)", True), ("True", True), ("  x  ", 3),
    ],
)
def test_expression_strings(text, value):
    """Strings use Python syntax and a short list of sympy functions; values come out exact."""
    C = Computation.from_sympy({x: 4}, [x], output=text)
    assert C.output_value(3) == value and type(C.output_value(3)) is type(value)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("__import__('os').system('true')", "calling"),
        ("x.__class__", "Attribute"),
        ("[x for x in ()]", "ListComp"),
        ("lambda: x", "Lambda"),
        ("x if x else 1", "IfExp"),
        ("'text'", "str literal"),
        ("f(x)", "calling 'f'"),
        ("Mod(x, q=2)", "keyword"),
        ("x ^ 2", r"write \*\* for a power"),
        ("x @ x", "BinOp"),
        ("(x := 1)", "NamedExpr"),
        ("x[0]", "Subscript"),
        ("1j", "complex literal"),
        ("x +", "not an expression"),
        ("x\0", "not an expression"),
        ("-" * 150 + "x", "nested more than 100 levels"),
        ("abs(" * 300 + "x" + ")" * 300, "not an expression|nested"),
        ("x" * 20_000, "limit is 10000"),
        ("y + 1", "uses y, which is not a state variable"),
    ],
)
def test_expression_strings_refused(text, match):
    """Anything but numbers, variables, operators and listed functions is refused; nothing runs."""
    with pytest.raises(ValueError, match=match):
        Computation.from_sympy({x: 4}, [x], output=text)


def test_expression_strings_run_no_code(tmp_path, monkeypatch):
    """A malicious string creates no file and never reaches eval, exec or sympify."""
    import builtins

    target = tmp_path / "pwned"

    real_compile = builtins.compile
    calls = []

    def forbidden(*args, **kwargs):
        calls.append(args)
        raise AssertionError("code was evaluated")

    def syntax_tree_only(source, filename, mode, flags=0, *args, **kwargs):
        # ast.parse compiles with PyCF_ONLY_AST: a syntax tree, no code object
        if not flags & ast.PyCF_ONLY_AST:
            forbidden(source)
        return real_compile(source, filename, mode, flags, *args, **kwargs)

    sympy.Integer(1)  # sympy is imported before the traps are set
    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    monkeypatch.setattr(builtins, "compile", syntax_tree_only)
    monkeypatch.setattr(sympy, "sympify", forbidden)
    monkeypatch.setattr(sympy, "parse_expr", forbidden, raising=False)
    attacks = [
        f"__import__('os').system('touch {target}')",
        f"open('{target}', 'w')",
        "().__class__.__base__.__subclasses__()",
        f"Mod(x, __import__('pathlib').Path('{target}').touch())",
        f"Piecewise((x, __import__('os').system('touch {target}')), (0, True))",
    ]
    for text in attacks:
        with pytest.raises(ValueError, match="not allowed in an expression string"):
            Computation.from_sympy({x: 4}, {x: text})
    monkeypatch.undo()
    assert not target.exists() and calls == []
    assert Computation.from_sympy({x: 4}, {x: "Mod(x + 1, 4)"}).step.tolist() == [1, 2, 3, 0]
