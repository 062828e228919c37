"""Structured states: the Variables record, systems that know their variables,
from_functions on tuples, from_sympy(reachable_from=...), and beta builders
bound to a computation (issue 14, item 3)."""

from __future__ import annotations

import pickle
from collections import namedtuple
from itertools import product

import numpy as np
import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from abstractions import (
    Computation,
    InvalidTypeError,
    InvalidValueError,
    Partition,
    SizeMismatchError,
    TooLargeError,
    UnknownVariableError,
    Variables,
    variable_abstraction,
)
from abstractions.symbolic import partition_from_expression
from tests import naive

x, y, z = sympy.symbols("x y z")


def test_variables_record_round_trips_values():
    """from_values keeps each state's value (Python identity) and its order of names."""
    V = Variables.from_values({"x": [3, 1, 3], "flag": ["a", None, "a"]})
    assert V.names == ("x", "flag") and V.n == 3
    assert V.values("x").tolist() == [3, 1, 3]
    assert V.values("flag").tolist() == ["a", None, "a"]
    assert V == Variables.from_values({"x": [3, 1, 3], "flag": ["a", None, "a"]})
    assert V != Variables.from_values({"x": [3, 1, 3], "flag": ["a", None, "b"]})
    assert pickle.loads(pickle.dumps(V)) == V
    with pytest.raises(AttributeError):
        V.names = ("y",)  # type: ignore[misc]


def test_variables_bad_input_names_the_argument():
    """Repeated or non-string names, bad codes and unknown reads raise the library's errors."""
    with pytest.raises(InvalidValueError, match="'x' is named twice"):
        Variables(["x", "x"], [[0], [0]], [range(1), range(1)])
    with pytest.raises(InvalidTypeError, match="names must be strings"):
        Variables([1], [[0]], [range(1)])
    with pytest.raises(InvalidValueError, match="codes of variable 'x' at state 1 is 5"):
        Variables(["x"], [[0, 5]], [range(2)])
    with pytest.raises(InvalidValueError, match="shape"):
        Variables(["x"], [0, 1], [range(2)])
    with pytest.raises(UnknownVariableError, match="reads\\['x'\\]: 'w' is not a variable"):
        Variables(["x"], [[0]], [range(1)], reads={"x": ["w"]})
    with pytest.raises(SizeMismatchError):
        Computation([1, 0], variables=Variables.from_values({"x": [0, 1, 2]}))
    with pytest.raises((InvalidValueError, SizeMismatchError)):
        Computation([1, 0], variables={"x": [0, 1, 2]})


def test_unknown_variable_is_a_key_and_value_error():
    """An unknown name raises UnknownVariableError (a KeyError and ValueError) naming it."""
    C = Computation([1, 0], variables={"bit": [0, 1]})
    with pytest.raises(UnknownVariableError, match="'byte' is not a variable; the variables are"):
        C.values("byte")
    with pytest.raises(UnknownVariableError):
        variable_abstraction(C, ["bit", "byte"])
    with pytest.raises(InvalidValueError, match="names 'bit' twice"):
        variable_abstraction(C, ["bit", "bit"])
    with pytest.raises(InvalidValueError, match="has no variables"):
        variable_abstraction(Computation([1, 0]), "bit")
    assert issubclass(UnknownVariableError, InvalidValueError)


def test_system_keeps_variables_through_restrict_pickle_power():
    """restrict, restrict_to_reachable, pickling, equality and power keep the variables."""
    C = Computation([1, 2, 2, 0], halted=[False, False, True, False], inputs=[3],
                    variables={"pc": [0, 1, 2, 0], "acc": ["a", "b", "c", "d"]})
    assert C.variables == ("pc", "acc")
    R, kept = C.restrict_to_reachable()
    assert kept.tolist() == [0, 1, 2, 3]
    S = C.restrict([2, 1, 0])
    assert S.values("acc").tolist() == ["c", "b", "a"]
    assert S.values("pc").tolist() == [2, 1, 0]
    assert pickle.loads(pickle.dumps(C)) == C
    assert C != Computation([1, 2, 2, 0], halted=[False, False, True, False], inputs=[3],
                            variables={"pc": [0, 1, 2, 0], "acc": ["a", "b", "c", "e"]})
    assert C.power(2).variables == C.variables
    assert Computation([1, 0]).variables == () and Computation([1, 0]).state_variables is None


@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 1), st.integers(0, 2)),
                min_size=1, max_size=12),
       st.lists(st.booleans(), min_size=3, max_size=3))
def test_variable_abstraction_is_the_partition_by_values(rows, chosen):
    """variable_abstraction(C, V) puts two states together iff they agree on every variable of V."""
    n = len(rows)
    C = Computation(list(range(n)), variables={
        "a": [r[0] for r in rows], "b": [r[1] for r in rows], "c": [r[2] for r in rows]})
    names = [v for v, keep in zip("abc", chosen) if keep]
    P = variable_abstraction(C, names)
    expect = naive.canonical([tuple(r[j] for j, keep in enumerate(chosen) if keep) for r in rows])
    assert P.labels.tolist() == expect


def test_from_functions_named_tuples_and_positions():
    """Named tuples give their fields; variables=True or names give positions of plain tuples."""
    Clock = namedtuple("Clock", "hour minute")
    C = Computation.from_functions(
        lambda c: Clock(c.hour + c.minute // 30, (c.minute + 30) % 60), [Clock(0, 0)],
        halted=lambda c: c.hour == 2)
    assert C.variables == ("hour", "minute")
    assert [tuple(s) for s in C.state_labels] == list(
        zip(C.values("hour").tolist(), C.values("minute").tolist()))
    P = Computation.from_functions(lambda s: ((s[0] + 1) % 3, s[1]), [(0, "u")])
    assert P.variables == ()                      # plain tuples: no names to give
    Q = Computation.from_functions(lambda s: ((s[0] + 1) % 3, s[1]), [(0, "u")], variables=True)
    assert Q.variables == ("x0", "x1") and Q.values("x1").tolist() == ["u"] * 3
    R = Computation.from_functions(lambda s: ((s[0] + 1) % 3, s[1]), [(0, "u")],
                                   variables=["count", "tag"])
    assert R.values("count").tolist() == [0, 1, 2]
    with pytest.raises(InvalidValueError, match="names 1 positions"):
        Computation.from_functions(lambda s: s, [(0, 1)], variables=["a"])
    with pytest.raises(InvalidValueError, match="not tuples of one length"):
        Computation.from_functions(lambda s: s, [3], variables=["a"])
    with pytest.raises(InvalidTypeError, match="sequence of names"):
        Computation.from_functions(lambda s: s, [(0,)], variables="a")


@given(st.integers(1, 4), st.integers(1, 3), st.integers(0, 3), st.integers(0, 2),
       st.sampled_from(["sum", "swap", "count"]))
def test_reachable_from_equals_restricted_product_space(nx, ny, sx, sy, kind):
    """from_sympy(reachable_from=S) equals the full enumeration with inputs S restricted to its
    reachable states."""
    sx, sy = sx % nx, sy % ny
    steps = {
        "sum": {x: (x + y) % nx, y: (y + 1) % ny},
        "swap": {x: y % nx, y: x % ny},
        "count": {x: sympy.Min(x + 1, nx - 1), y: y},
    }[kind]
    domains = {x: nx, y: ny}
    halted = sympy.Eq(x, nx - 1)
    fast = Computation.from_sympy(domains, steps, halted=halted, output=x + y,
                                  reachable_from=[(sx, sy)])
    full = Computation.from_sympy(domains, steps, halted=halted, output=x + y, inputs=[(sx, sy)])
    expect, kept = full.restrict_to_reachable()
    assert fast == expect
    assert fast.variables == ("x", "y")
    for name in fast.variables:
        assert fast.values(name).tolist() == full.values(name)[kept].tolist()


def test_reachable_from_never_builds_the_product_space():
    """A huge product space with a small reachable part: only the reachable states are built."""
    C = Computation.from_sympy({x: 10**6, y: 10**6, z: 10**6}, {x: x + 1, y: y, z: z},
                               halted=x >= 650, reachable_from=[(0, 5, 7)])
    assert C.n == 651
    assert C.values("x").tolist() == list(range(651))
    with pytest.raises(TooLargeError, match="max_states=100"):
        Computation.from_sympy({x: 10**6}, {x: x + 1}, halted=x >= 650, reachable_from=[0],
                               max_states=100)


def test_halted_states_are_not_stepped_and_hints_fit():
    """A step leaving the domain only on halted states is fine; elsewhere the hint fits the way it
    leaves."""
    C = Computation.from_sympy({x: 5}, {x: x + 1}, halted=sympy.Eq(x, 4), reachable_from=[0])
    assert C.n == 5 and C.step.tolist() == [1, 2, 3, 4, 4]
    with pytest.raises(InvalidValueError, match="Min\\(\\.\\.\\., 4\\)") as err:
        Computation.from_sympy({x: 5}, {x: x + 1}, reachable_from=[0])
    assert "Mod(..., 5)" in str(err.value) and "Piecewise" in str(err.value)
    with pytest.raises(InvalidValueError, match="Max\\(\\.\\.\\., 0\\)"):
        Computation.from_sympy({x: 5}, {x: x - 1}, reachable_from=[2])
    with pytest.raises(InvalidValueError) as err:
        Computation.from_sympy({x: range(2, 6)}, {x: x + 1}, reachable_from=[2])
    assert "Mod" not in str(err.value)           # wrapping needs a domain 0..k-1
    with pytest.raises(InvalidValueError, match="floor"):
        Computation.from_sympy({x: 5}, {x: x / 2}, reachable_from=[3])
    with pytest.raises(InvalidValueError, match="reachable_from is empty"):
        Computation.from_sympy({x: 5}, {x: x}, reachable_from=[])


def test_sympy_records_syntactic_reads():
    """from_sympy records which variables each next value reads, the halting condition's among
    them."""
    C = Computation.from_sympy({x: 3, y: 3, z: 2}, {x: (x + y) % 3}, halted=sympy.Eq(z, 1))
    reads = C.state_variables.reads
    assert set(reads["x"]) == {"x", "y", "z"}
    assert set(reads["y"]) == {"y"}     # an unchanged variable reads nothing else


@given(st.integers(2, 5), st.integers(1, 4), st.integers(0, 4))
def test_expression_bound_to_a_computation_needs_no_restrict(nx, ny, start):
    """Partition.from_expression(expr, C) on a reachable computation equals the product-space one
    restricted."""
    start %= nx
    domains = {x: nx, y: ny}
    steps = {x: (x + 1) % nx, y: (y + x) % ny}
    C = Computation.from_sympy(domains, steps, reachable_from=[(start, 0)])
    full = Computation.from_sympy(domains, steps, inputs=[(start, 0)])
    _, kept = full.restrict_to_reachable()
    for expr in [(x + y) % 2, "x > 1", (x, y % 2)]:
        bound = partition_from_expression(expr, C)
        space = partition_from_expression(expr, domains)
        assert bound == Partition.from_labels(space.labels[kept])
        assert Partition.from_expression(expr, C) == bound


def test_expression_bound_errors():
    """A system without variables, or non-integer variables, is refused clearly."""
    with pytest.raises(InvalidValueError, match="system without variables"):
        partition_from_expression(x, Computation([1, 0]))
    C = Computation([1, 0], variables={"x": ["a", "b"]})
    with pytest.raises(InvalidValueError, match="not integers"):
        partition_from_expression(x, C)
    D = Computation([1, 0], variables={"x": [0, 1]})
    with pytest.raises(InvalidValueError):
        partition_from_expression(sympy.Symbol("w") + 1, D)


def test_product_of_domains_matches_itertools():
    """The states of from_sympy are the product space in mixed radix, first variable most
    significant."""
    C = Computation.from_sympy({x: 2, y: 3}, {x: x, y: y})
    assert list(zip(C.values("x").tolist(), C.values("y").tolist())) == list(
        product(range(2), range(3)))
    assert np.array_equal(variable_abstraction(C, "y").labels, [0, 1, 2, 0, 1, 2])


@pytest.mark.parametrize("suffix", [".npz", ".json"])
def test_save_and_load_keep_the_variables(tmp_path, suffix):
    """Both formats keep names, per-state values, levels (sympy ranges too) and reads."""
    from abstractions import load, save

    Pair = namedtuple("Pair", "a b")
    cases = [
        Computation.from_sympy({x: 10**6, y: 3}, {x: x + 1, y: (y + 1) % 3}, halted=x >= 5,
                               reachable_from=[(0, 0)]),
        Computation.from_functions(lambda s: Pair((s.a + 1) % 3, s.b), [Pair(0, "u")]),
        Computation([1, 0], variables={"t": [(1, "a"), b"z"], "u": [None, 2.5]}),
    ]
    for C in cases:
        path = tmp_path / f"c{suffix}"
        save(C, path)
        back = load(path)
        assert back == C and back.state_variables == C.state_variables
        for name in C.variables:
            assert back.values(name).tolist() == C.values(name).tolist()


def test_hand_written_json_variables_and_bad_files(tmp_path):
    """A JSON computation may give {name: values per state}; a broken record: FileFormatError."""
    import json

    from abstractions import FileFormatError, load

    path = tmp_path / "c.json"
    path.write_text(json.dumps({"kind": "computation", "step": [1, 2, 2],
                                "variables": {"pc": [0, 1, 2], "flag": ["a", "a", "b"]}}))
    C = load(path)
    assert C.variables == ("pc", "flag") and C.values("flag").tolist() == ["a", "a", "b"]
    bad = [
        {"variables": {"pc": 3}},
        {"variables": [1, 2, 3]},
        {"variables": {"pc": [0, 1]}},
        {"variables": {"names": ["pc"], "levels": [{"start": 0, "stop": 3, "step": 0}],
                       "reads": None, "codes": [[0, 1, 2]]}},
        {"variables": {"names": ["pc"], "levels": [[0, 1]], "reads": None,
                       "codes": [[0, 1, 2]]}},
        {"variables": {"names": ["pc"], "levels": [[0, 1, 2]], "reads": {"pc": ["q"]},
                       "codes": [[0, 1, 2]]}},
        {"variables": {"names": ["pc"], "levels": [[0, 1, 2]], "reads": None,
                       "codes": [[0, 1]]}},
    ]
    for extra in bad:
        path.write_text(json.dumps({"kind": "computation", "step": [1, 2, 2], **extra}))
        with pytest.raises(FileFormatError):
            load(path)
