"""Which variables an abstraction reads: support, cone_of_influence,
minimal_variable_abstraction and their kernels (issue 14, item 4), checked
against brute force over every subset of variables on small systems."""

from __future__ import annotations

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
    NondeterministicSystem,
    Partition,
    TooLargeError,
    UnknownVariableError,
    VariableAbstraction,
    cone_of_influence,
    is_complete,
    minimal_complete_abstraction,
    minimal_variable_abstraction,
    support,
    variable_abstraction,
)
from tests import naive

DOMAINS = (2, 3, 2, 2)
SPACE = list(product(*(range(d) for d in DOMAINS)))
NAMES = ("a", "b", "c", "d")


@st.composite
def structured(draw, *, max_states=12):
    """A computation on distinct tuples of four variables (so the variables determine
    everything)."""
    index = draw(st.lists(st.integers(0, len(SPACE) - 1), min_size=1, max_size=max_states,
                          unique=True))
    rows = [SPACE[i] for i in index]
    n = len(rows)
    step = draw(st.lists(st.integers(0, n - 1), min_size=n, max_size=n))
    halted = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    C = Computation(step, halted=halted,
                    variables={v: [r[j] for r in rows] for j, v in enumerate(NAMES)})
    return C, rows


def _labels(draw, n, k=3):
    return draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n))


# ---------------------------------------------------------------------- kernels and their twins


@given(st.lists(st.integers(-3, 3), max_size=40), st.data(), st.integers(1, 5))
def test_conflicts_kernel_matches_naive(key, data, limit):
    """_conflicts gives the first pairs (first state of the key, later state in another block),
    one per key."""
    from abstractions._kernels import _conflicts, hash_table

    alpha = data.draw(st.lists(st.integers(0, 2), min_size=len(key), max_size=len(key)))
    slots = hash_table(max(len(key), 1))
    got = _conflicts(np.array(key, dtype=np.int64), np.array(alpha, dtype=np.int64), slots, limit)
    assert [tuple(p) for p in got.tolist()] == naive.conflicts(key, alpha, limit)


@given(st.lists(st.integers(-(2**62), 2**62), max_size=40), st.booleans())
def test_dense_ids_kernel_matches_naive(key, repeat):
    """_dense_ids numbers the keys by first occurrence, whatever their range."""
    from abstractions._kernels import _dense_ids, hash_table

    key = key + key[::2] if repeat else key
    slots = np.empty(hash_table(max(len(key), 1)).shape[0], dtype=np.int64)  # int64 slots too
    ids, count = _dense_ids(np.array(key, dtype=np.int64), slots)
    expect = naive.canonical(key)
    assert ids.tolist() == expect and count == len(set(key))


@given(st.integers(0, 12), st.integers(1, 4), st.data())
def test_linear_key_kernel_matches_naive(n, k, data):
    """_linear_key adds the weighted codes of the chosen rows to the base."""
    from abstractions._kernels import _linear_key

    codes = [data.draw(st.lists(st.integers(0, 5), min_size=n, max_size=n)) for _ in range(k)]
    base = data.draw(st.lists(st.integers(-100, 100), min_size=n, max_size=n))
    rows = data.draw(st.lists(st.integers(0, k - 1), max_size=k, unique=True))
    weights = data.draw(st.lists(st.integers(-50, 50), min_size=len(rows), max_size=len(rows)))
    got = _linear_key(np.array(base, dtype=np.int64), np.array(codes, dtype=np.int64).reshape(k, n),
                      np.array(rows, dtype=np.int64), np.array(weights, dtype=np.int64))
    assert got.tolist() == naive.linear_key(base, codes, rows, weights)


def test_hash_table_has_the_slots_the_kernels_use():
    """hash_table(n) has 1 << _table_bits(n) slots: the kernels probe no further."""
    from abstractions._kernels import hash_table
    from abstractions._kernels.variables import _table_bits

    bits = getattr(_table_bits, "py_func", _table_bits)
    for n in [0, 1, 2, 3, 5, 8, 9, 1000, 2**20 + 1]:
        assert hash_table(n).shape[0] == 1 << bits(n)


# ---------------------------------------------------------------------- support


@given(structured(), st.data())
def test_support_is_a_smallest_determining_set(system, data):
    """support(C, alpha) determines alpha and no smaller set of variables does (brute force)."""
    C, rows = system
    alpha = _labels(data.draw, C.n)
    found = support(C, alpha)
    columns = [NAMES.index(v) for v in found]
    assert list(found) == sorted(found, key=NAMES.index)
    assert naive.determines(rows, columns, alpha)
    assert len(found) == naive.smallest_determining_size(rows, alpha)
    assert Partition(alpha) <= variable_abstraction(C, found)


@given(st.integers(0, 2**8 - 1), st.integers(1, 8))
def test_support_exact_when_the_necessary_variables_do_not_suffice(mask, width):
    """Redundant encodings (x, x copies, parity, sums) need the search; it still finds the
    minimum."""
    bits = [(m >> np.arange(width)) & 1 for m in range(2**width)]
    values = {f"b{j}": [int(b[j]) for b in bits] for j in range(width)}
    values["copy0"] = values["b0"]
    values["low2"] = [int(m % 4) for m in range(2**width)]
    values["parity"] = [int(sum(b) % 2) for b in bits]
    C = Computation(list(range(2**width)), variables=values)
    rows = list(zip(*values.values()))
    chosen = [j for j in range(width) if mask >> j & 1]
    alpha = [int(sum(b[j] for j in chosen) % 2) for b in bits]
    found = support(C, alpha)
    assert len(found) == naive.smallest_determining_size(rows, alpha)
    assert naive.determines(rows, [list(values).index(v) for v in found], alpha)


def test_support_known_answers_and_errors():
    """The examples of the issue: a sum variable stands for hi xor lo; undetermined alpha is
    named."""
    C = Computation([1, 2, 3, 0], variables={"hi": [0, 0, 1, 1], "lo": [0, 1, 0, 1],
                                             "sum": [0, 1, 1, 2]})
    assert support(C, [0, 0, 1, 1]) == ("hi",)
    assert support(C, [0, 1, 1, 0]) == ("sum",)
    assert support(C, Partition.bottom(4)) == ()
    D = Computation([1, 0, 0], variables={"x": [0, 0, 1]})
    with pytest.raises(InvalidValueError, match="states 0 and 1 agree on every variable"):
        support(D, [0, 1, 1])
    with pytest.raises(InvalidValueError, match="has no variables"):
        support(Computation([1, 0]), [0, 1])
    with pytest.raises(InvalidValueError, match="budget"):
        support(C, [0, 1, 1, 0], budget=-1)


def test_support_budget_raises_too_large():
    """A search beyond its budget raises TooLargeError, never a wrong answer."""
    width = 6
    states = list(range(2**width))
    values = {f"b{j}": [(m >> j) & 1 for m in states] for j in range(width)}
    for j in range(width):  # each bit also as a copy: nothing is necessary
        values[f"c{j}"] = values[f"b{j}"]
    C = Computation(states, variables=values)
    alpha = [bin(m).count("1") % 2 for m in states]
    with pytest.raises(TooLargeError, match="budget=1"):
        support(C, alpha, budget=1)
    assert len(support(C, alpha)) == width


def test_support_on_other_kinds():
    """support needs only variables: it works on a nondeterministic system too."""
    T = NondeterministicSystem([[1], [0, 2], [2]])
    assert T.variables == ()
    with pytest.raises(InvalidValueError, match="has no variables"):
        support(T, [0, 0, 1])


# ---------------------------------------------------------------------- cone of influence


def test_cone_of_influence_syntactic_includes_halting():
    """The syntactic cone follows the update expressions and the halting condition's variables."""
    a, b, c, d = sympy.symbols("a b c d")
    C = Computation.from_sympy({a: 3, b: 3, c: 2, d: 2}, {a: (a + b) % 3, b: b, c: (c + d) % 2},
                               halted=sympy.Eq(d, 1) & sympy.Eq(c, 0))
    assert cone_of_influence(C, "b") == ("b",)
    assert cone_of_influence(C, "a") == ("a", "b", "c", "d")
    assert cone_of_influence(C, ["d"]) == ("d",)
    assert cone_of_influence(C, "b", how="semantic") == ("b",)
    with pytest.raises(UnknownVariableError):
        cone_of_influence(C, "e")
    with pytest.raises(InvalidValueError, match="how"):
        cone_of_influence(C, "a", how="magic")
    with pytest.raises(InvalidValueError, match="how='semantic'"):
        cone_of_influence(Computation([1, 0], variables={"x": [0, 1]}), "x", how="syntactic")
    with pytest.raises(InvalidTypeError, match="Computation"):
        cone_of_influence(NondeterministicSystem([[1], [0]]), "x")


@given(structured(), st.sets(st.sampled_from(NAMES), min_size=1))
def test_semantic_cone_is_closed_and_complete(system, start):
    """The semantic cone contains the start, its variable abstraction is complete, and it is
    closed."""
    C, rows = system
    cone = cone_of_influence(C, sorted(start, key=NAMES.index), how="semantic")
    assert set(start) <= set(cone)
    P = variable_abstraction(C, cone)
    assert naive.is_complete(C.step.tolist(), P.labels.tolist())
    # closed: every variable of the cone's next value is determined by the cone
    columns = [NAMES.index(v) for v in cone]
    for v in cone:
        nxt = C.values(v)[C.step].tolist()
        assert naive.determines(rows, columns, nxt)


@given(structured(), st.sets(st.sampled_from(NAMES), min_size=1))
def test_syntactic_cone_is_the_closure_of_the_reads(system, start):
    """With reads given, the cone is the closure of the start under the graph (naive closure)."""
    C, rows = system
    reads = {"a": ["b"], "b": ["b"], "c": ["a", "d"], "d": []}
    record = C.state_variables
    from abstractions import Variables

    D = Computation(C.step, halted=C.halted, variables=Variables(
        record.names, record.codes, record.levels, reads=reads))
    got = cone_of_influence(D, sorted(start), how="syntactic")
    assert set(got) == naive.closure(set(start), reads)


# ------------------------------------------------------------------- minimal variable abstractions


@given(structured(), st.data())
def test_minimal_variable_abstraction_against_brute_force(system, data):
    """Every method returns a complete abstraction above beta; exact is the fewest (brute force);
    optimal and lower_bound tell the truth."""
    C, rows = system
    beta = _labels(data.draw, C.n, 2)
    best = naive.smallest_complete_variable_set_size(rows, C.step.tolist(), beta)
    for method in ("greedy", "cone", "exact"):
        found = minimal_variable_abstraction(C, beta, method=method)
        assert isinstance(found, VariableAbstraction) and found.method == method
        assert found.partition == variable_abstraction(C, found.variables)
        assert is_complete(C, found.partition)
        assert Partition(beta) <= found.partition
        assert len(found.variables) >= best >= found.lower_bound
        if found.optimal:
            assert len(found.variables) == best
    assert len(minimal_variable_abstraction(C, beta, method="exact").variables) == best
    assert minimal_variable_abstraction(C, beta, method="exact").optimal


def test_minimal_variable_abstraction_ripple_carry_adder():
    """A bit-serial adder that shifts its operands: keeping the carry out needs the carry chain
    (a, b, c, i), brute force agrees; if the operands are not shifted, (a, b, i) recompute c."""
    width = 3
    a, b, c, i = sympy.symbols("a b c i")
    starts = [(x, y, 0, 0) for x in range(2**width) for y in range(2**width)]
    domains = {a: 2**width, b: 2**width, c: 2, i: width + 1}
    carry = sympy.floor((a % 2 + b % 2 + c) / 2)
    shifted = Computation.from_sympy(
        domains, {a: sympy.floor(a / 2), b: sympy.floor(b / 2), c: carry, i: i + 1},
        halted=sympy.Eq(i, width), reachable_from=starts)
    kept = Computation.from_sympy(
        domains, {c: sympy.floor((sympy.floor(a / 2**i) % 2 + sympy.floor(b / 2**i) % 2 + c) / 2),
                  i: i + 1},
        halted=sympy.Eq(i, width), reachable_from=starts)
    for C, expect in ((shifted, {"a", "b", "c", "i"}), (kept, {"a", "b", "i"})):
        beta = Partition.kernel(C.values("c") * C.halted)
        found = minimal_variable_abstraction(C, beta, method="exact")
        rows = list(zip(*(C.values(v).tolist() for v in C.variables)))
        assert len(found.variables) == naive.smallest_complete_variable_set_size(
            rows, C.step.tolist(), beta.labels.tolist())
        assert found.optimal and set(found.variables) == expect
        assert minimal_complete_abstraction(C, beta) <= found.partition


def test_minimal_variable_abstraction_errors():
    """Unknown method, a kind without one step, no variables: clear errors."""
    C = Computation([1, 0], variables={"x": [0, 1]})
    with pytest.raises(InvalidValueError, match="method must be one of"):
        minimal_variable_abstraction(C, [0, 0], method="best")
    with pytest.raises(InvalidTypeError, match="Computation"):
        minimal_variable_abstraction(NondeterministicSystem([[1], [0]]), [0, 0])
    with pytest.raises(InvalidValueError, match="has no variables"):
        minimal_variable_abstraction(Computation([1, 0]), [0, 0])
    found = minimal_variable_abstraction(C, [0, 0])
    assert found.variables == () and found.optimal and "optimal" in repr(found)
