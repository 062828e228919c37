"""Labelled, nondeterministic and probabilistic systems: one theory, one fast core.

The fast path (the splitter kernel) is checked against the Kleene iteration
in the package (``method="reference"``), against the naive twins written
from the definition (tests/naive.py), against brute force over all
partitions of small systems, and against the single-function core when
there is one symbol.
"""

from __future__ import annotations

import functools
import gc
import pickle
import weakref
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from abstractions import (
    SYSTEM_METHODS,
    Computation,
    NotCompleteError,
    Partition,
    TransitionSystem,
    abstract_computation,
    block_names,
    completion,
    find_violation,
    is_complete,
    minimal_complete_abstraction,
    output_abstraction,
)
from abstractions.exceptions import InvalidTypeError, InvalidValueError, SizeMismatchError
from abstractions.strategies import partitions
from tests import naive
from tests.helpers import labels_of

TOL = 1e-9


@st.composite
def systems(draw, *, max_states: int = 7, kinds=("labelled", "partial", "nondeterministic",
                                                  "lts", "exact", "float"), forward=False):
    """(system, naive edge list, naive aggregation) of a drawn kind.

    ``"partial"``: a labelled system with missing transitions (-1) and
    possibly no letters; a gap is no edge, so its signature lacks the letter.
    ``forward``: every transition goes to a later state (the last one
    loops), the shape of most real models: acyclic but for an absorbing state.
    """
    kind = draw(st.sampled_from(kinds))
    n = draw(st.integers(1, max_states))
    state = st.integers(0, n - 1)

    def successor(s: int) -> st.SearchStrategy[int]:
        return st.integers(min(s + 1, n - 1), n - 1) if forward else state

    if kind == "labelled":
        k = draw(st.integers(1, 3))
        steps = [[draw(successor(s)) for s in range(n)] for _ in range(k)]
        T = TransitionSystem.labelled(steps)
        edges = [(s, a, steps[a][s], 1) for a in range(k) for s in range(n)]
        return T, edges, "sum"
    if kind == "partial":
        k = draw(st.integers(0, 3))
        steps = [[draw(st.one_of(successor(s), st.just(-1))) for s in range(n)]
                 for _ in range(k)]
        T = TransitionSystem.labelled(steps, n=n)
        edges = [(s, a, steps[a][s], 1) for a in range(k) for s in range(n) if steps[a][s] >= 0]
        return T, edges, "exists"
    if kind in ("nondeterministic", "lts"):
        succ = [draw(st.lists(successor(s), max_size=3)) for s in range(n)]
        if kind == "lts":
            labels = [draw(st.lists(st.sampled_from("ab"), min_size=len(r), max_size=len(r)))
                      for r in succ]
        else:
            labels = [[0] * len(r) for r in succ]
        T = TransitionSystem.nondeterministic(succ, labels=labels if kind == "lts" else None)
        edges = sorted({(s, a, t, 1) for s in range(n) for t, a in zip(succ[s], labels[s])})
        return T, edges, "exists"
    rows = []
    for s in range(n):
        targets = draw(st.lists(successor(s), min_size=1, max_size=3))
        weights = draw(st.lists(st.integers(1, 3), min_size=len(targets),
                                max_size=len(targets)))
        total = sum(weights)
        rows.append([(t, Fraction(w, total)) for t, w in zip(targets, weights)])
    dense = np.full((n, n), Fraction(0), dtype=object)
    for s, row in enumerate(rows):
        for t, p in row:
            dense[s, t] += p
    if kind == "exact":
        T = TransitionSystem.probabilistic(dense)
        edges = [(s, 0, t, p) for s, row in enumerate(rows) for t, p in row]
        return T, edges, "sum"
    T = TransitionSystem.probabilistic(dense.astype(float), tol=TOL)
    edges = [(s, 0, t, float(p)) for s, row in enumerate(rows) for t, p in row]
    return T, edges, ("round", TOL)


@st.composite
def systems_and_partition(draw, **kwargs):
    T, edges, how = draw(systems(**kwargs))
    return T, edges, how, draw(partitions(T.n))


# ---------------------------------------------------------------------------
# Against the definition and brute force


@given(systems_and_partition())
def test_is_complete_is_the_definition(case):
    """is_complete says exactly whether related states have equal signatures."""
    T, edges, how, P = case
    expected = naive.system_is_complete(edges, T.n, labels_of(P), how)
    assert is_complete(T, P) == expected
    witness = find_violation(T, P)
    assert (witness is None) == expected
    if witness is not None:
        m1, m2 = witness
        assert m1 < m2 and P.labels[m1] == P.labels[m2]
        lab = labels_of(P)
        assert naive.system_signature(edges, lab, how, m1) != naive.system_signature(
            edges, lab, how, m2
        )


@given(systems_and_partition())
def test_completion_is_the_definition(case):
    """completion(T, P) = P joined with the kernel of the signature."""
    T, edges, how, P = case
    assert labels_of(completion(T, P)) == naive.system_completion(edges, T.n, labels_of(P), how)


@given(systems_and_partition(max_states=6))
def test_minimal_is_the_least_complete_abstraction_above_beta(case):
    """Brute force: the result is the least element of the complete partitions above beta."""
    T, edges, how, beta = case
    above = naive.system_complete_partitions_above(edges, T.n, labels_of(beta), how)
    expected = naive.least(above)
    for method in SYSTEM_METHODS:
        assert labels_of(minimal_complete_abstraction(T, beta, method=method)) == expected


@given(systems_and_partition(max_states=30))
def test_fast_core_equals_reference_and_naive(case):
    """The kernels (small systems: also the numpy rounds), the Kleene iteration and the naive twin agree."""
    from abstractions._engine import choice

    T, edges, how, beta = case
    fast = minimal_complete_abstraction(T, beta)
    assert fast == minimal_complete_abstraction(T, beta, method="reference")
    assert fast == minimal_complete_abstraction(T, beta, method="splitters")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(choice, "_SMALL", 0)  # rounds while they double, then splitters
        assert fast == minimal_complete_abstraction(T, beta)
    assert labels_of(fast) == naive.system_minimal(edges, T.n, labels_of(beta), how)
    assert is_complete(T, fast) and beta <= fast


@given(systems_and_partition(max_states=30, forward=True))
def test_peeling_the_acyclic_part_equals_naive(case):
    """Forward systems: the kernels peel all but the last state, and agree with the naive twin.

    Every state but the last is reached by no cycle, so the kernels solve
    the last state alone and give every other one its block by look-up,
    last to first (``refine.peel``; a partial DFA's sink and an LTS's
    action nodes count too, so the share threshold is lifted).
    """
    from abstractions._engine import choice, refine

    T, edges, how, beta = case
    peeled = []

    def spy(*args, **kwargs):
        result = real(*args, **kwargs)
        peeled.append(result is not None)
        return result

    real = refine.peel
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(refine, "peel", spy)
        patch.setattr(refine, "_PEEL_SHARE", 0)  # however few states peel off
        patch.setattr(choice, "_SMALL", 0)  # the kernels, not the small numpy path
        fast = minimal_complete_abstraction(T, beta)
    assert labels_of(fast) == naive.system_minimal(edges, T.n, labels_of(beta), how)
    # Peeled (unless every state alone is complete already, or one symbol
    # makes a function, which the functional-graph kernel solves).
    assert all(peeled) and (peeled or beta.n_blocks == T.n or T._relation().is_function)


def test_peeling_needs_half_the_states():
    """A random DFA, where few states lack predecessors, is not peeled; a chain is."""
    from abstractions._engine import refine

    rng = np.random.default_rng(0)
    n = 5000
    steps = rng.integers(0, n, size=(2, n))
    T = TransitionSystem.labelled(steps, output=rng.integers(0, 2, size=n))
    beta = output_abstraction(T)
    args = refine.kernel_input(T._relation())
    mode, wi, wf, modulus = args
    rel = T._relation()
    table = rel.targets.reshape(n, -1)
    assert refine.peel(rel.indptr, rel.targets, wi, wf, mode, modulus, 1.0, beta.labels,
                       beta.n_blocks, table, 1, True, None) is None
    chain = TransitionSystem.labelled([np.minimum(np.arange(n) + 1, n - 1)],
                                      output=np.arange(n) % 3 == 0)
    rel = chain._relation()
    mode, wi, wf, modulus = refine.kernel_input(rel)
    beta = output_abstraction(chain)
    peeled = refine.peel(rel.indptr, rel.targets, wi, wf, mode, modulus, 1.0, beta.labels,
                         beta.n_blocks, rel.targets.reshape(n, -1), 1, True, None)
    assert peeled is not None and peeled[1] == n  # a chain into a loop: every state apart
    assert minimal_complete_abstraction(chain, beta).n_blocks == n


@given(systems_and_partition(max_states=8), st.data())
def test_completion_is_monotone_and_extensive(case, data):
    """P <= C(P), and P <= Q implies C(P) <= C(Q) (the Knaster-Tarski premises)."""
    T, _, _, P = case
    Q = P | data.draw(partitions(T.n))
    CP, CQ = completion(T, P), completion(T, Q)
    assert P <= CP and Q <= CQ and CP <= CQ
    assert (CP == P) == is_complete(T, P)


# ---------------------------------------------------------------------------
# One symbol: the single-function core


@given(st.integers(1, 40).flatmap(
    lambda n: st.tuples(st.lists(st.integers(0, n - 1), min_size=n, max_size=n),
                        partitions(n))))
def test_one_symbol_agrees_with_the_single_function_core(case):
    """A step function as a 1-letter DFA, an out-degree-1 relation and a 0/1 chain."""
    step, beta = case
    n = len(step)
    expected = minimal_complete_abstraction(Computation(step), beta, method="linear")
    as_labelled = TransitionSystem.labelled([step])
    as_relation = TransitionSystem.nondeterministic([[t] for t in step])
    matrix = np.zeros((n, n), dtype=np.int64)
    matrix[np.arange(n), step] = 1
    as_chain = TransitionSystem.probabilistic(matrix)
    as_float_chain = TransitionSystem.probabilistic(matrix.astype(float))
    for T in (as_labelled, as_relation, as_chain, as_float_chain):
        assert minimal_complete_abstraction(T, beta) == expected
        assert is_complete(T, expected)


def test_from_computation_keeps_step_and_output():
    """from_computation is the one-symbol system with the same outputs."""
    C = Computation([1, 2, 3, 0], output=["a", "b", "a", "b"])
    T = TransitionSystem.from_computation(C)
    assert T.kind == "labelled" and T.symbols == (0,)
    assert np.array_equal(T.steps[0], C.step)
    assert output_abstraction(T) == output_abstraction(C)
    beta = output_abstraction(C)
    assert minimal_complete_abstraction(T, beta) == minimal_complete_abstraction(C, beta)


# ---------------------------------------------------------------------------
# Scale and the worst cases of round-based refinement


@pytest.mark.parametrize("n", [1, 2, 5000])
def test_long_chains(n):
    """A chain marked at its end needs n blocks; every kind gets there (no rounds)."""
    step = np.minimum(np.arange(n) + 1, n - 1)
    beta = Partition.kernel(np.arange(n) == n - 1)
    expected = Partition.top(n)
    matrix = (np.arange(n + 1), step, np.ones(n))
    kinds = [
        TransitionSystem.labelled([step, step]),
        TransitionSystem.nondeterministic((np.arange(n + 1), step)),
        TransitionSystem.probabilistic(matrix),
        TransitionSystem.probabilistic((np.arange(n + 1), step, np.ones(n, dtype=np.int64))),
    ]
    for T in kinds:
        assert minimal_complete_abstraction(T, beta) == expected


def test_random_systems_at_a_few_thousand_states():
    """Larger random instances of every kind: the kernel equals the reference."""
    rng = np.random.default_rng(7)
    n = 3000
    beta = Partition.kernel(rng.integers(0, 2, n))
    succ = rng.integers(0, 8, 3 * n)  # few targets: many merges, some splits
    indptr = np.arange(0, 3 * n + 1, 3)
    weights = rng.integers(1, 4, 3 * n)
    exact = (indptr, succ, [Fraction(int(w), int(t)) for w, t in
                            zip(weights, np.repeat(np.add.reduceat(weights, indptr[:-1]), 3))])
    kinds = [
        TransitionSystem.labelled(rng.integers(0, 8, (2, n))),
        TransitionSystem.nondeterministic((indptr, succ)),
        TransitionSystem.nondeterministic((indptr, succ), labels=rng.integers(0, 2, 3 * n)),
        TransitionSystem.probabilistic(exact),
    ]
    for T in kinds:
        fast = minimal_complete_abstraction(T, beta)
        assert fast == minimal_complete_abstraction(T, beta, method="reference")
        assert 1 < fast.n_blocks < n


@pytest.mark.slow  # the reference on 3,500 states with exact weights: seconds
def test_rounds_then_splitters():
    """Rounds while the blocks double, then the splitter kernel from their last two partitions.

    A random part splits fast (rounds), a chain one block per round (the
    hand-over to splitters): every kind still gets the reference's answer.
    """
    rng = np.random.default_rng(11)
    r, c = 2000, 1500
    chain = r + np.minimum(np.arange(c) + 1, c - 1)
    beta = Partition.kernel(np.concatenate([rng.integers(0, 2, r), np.arange(c) == c - 1]))
    steps = np.concatenate([rng.integers(0, r, (2, r)), [chain, chain]], axis=1)
    succ = [rng.integers(0, r, 3).tolist() for _ in range(r)] + [[int(t)] for t in chain]
    weights = [[Fraction(1, 3)] * 3 for _ in range(r)] + [[Fraction(1)] for _ in range(c)]
    indptr = np.cumsum([0] + [len(x) for x in succ])
    flat = np.array([t for x in succ for t in x])
    probs = [p for x in weights for p in x]
    kinds = [
        TransitionSystem.labelled(steps),
        TransitionSystem.nondeterministic(succ),
        TransitionSystem.nondeterministic(succ, labels=[[i % 2 for i in range(len(x))]
                                                        for x in succ]),
        TransitionSystem.probabilistic((indptr, flat, np.array(probs, dtype=object))),
        TransitionSystem.probabilistic((indptr, flat, np.array(probs, dtype=float))),
    ]
    for T in kinds:
        fast = minimal_complete_abstraction(T, beta)
        assert fast == minimal_complete_abstraction(T, beta, method="reference")
        assert fast.n_blocks > c


def test_rounds_go_on_exactly_while_more_rounds_says(monkeypatch):
    """Whole rounds run while ``more_rounds`` says so; the splitters start right after one it refuses.

    Spied on a random system (rounds that speed up) and on a random part
    with a long chain (rounds that slow down), whose answers stay the
    reference's.
    """
    import abstractions._kernels as kernels
    from abstractions._engine import refine as engine

    rng = np.random.default_rng(5)
    n = 3000
    # A random part that also steps into a chain: cycles reach the chain,
    # so nothing is peeled off and the rounds see it.
    chain = np.concatenate([rng.integers(0, 1001, 3000), 1000 + np.minimum(
        np.arange(2000) + 1, 1999)])
    cases = [
        (np.arange(0, 3 * n + 1, 3), rng.integers(0, n, 3 * n), rng.integers(0, 2, n)),
        (np.concatenate([np.arange(0, 3001, 3), 3000 + np.arange(1, 2001)]), chain,
         np.concatenate([rng.integers(0, 2, 1000), np.arange(2000) == 1999])),
    ]
    real_round, real_splitters = kernels._signature_round, engine.splitters
    seen: list[tuple[str, int]] = []

    def spied_round(*args):
        result = real_round(*args)
        seen.append(("round", int(result[1])))
        return result

    def spied_splitters(*args):
        seen.append(("splitters", 0))
        return real_splitters(*args)

    monkeypatch.setattr(kernels, "_signature_round", spied_round)
    monkeypatch.setattr(engine, "splitters", spied_splitters)
    for indptr, succ, beta in cases:
        seen.clear()
        T = TransitionSystem.nondeterministic((indptr, succ))
        start = Partition.kernel(beta)
        P = minimal_complete_abstraction(T, start)
        assert P == minimal_complete_abstraction(T, start, method="reference")
        counts = [start.n_blocks] + [c for what, c in seen if what == "round"]
        last = 0.0
        for i in range(1, len(counts) - 1):  # every round but the last was let go on
            assert engine.more_rounds(counts[i - 1], counts[i], last)
            last = counts[i] / counts[i - 1]
        if seen[-1][0] == "splitters":  # the last round was refused
            assert len(counts) >= 2 and not engine.more_rounds(counts[-2], counts[-1], last)
        else:  # or it finished the work
            assert counts[-1] in (counts[-2], n)
    monkeypatch.undo()


@given(systems_and_partition(kinds=("labelled",), max_states=12), st.sampled_from([0, 40]))
def test_tuple_round_is_the_completion_operator(case, extra_bits):
    """A labelled system's round (mixed-radix codes, renumbered before they overflow) is C(P)."""
    from abstractions._engine.refine import tuple_round

    T, edges, how, P = case
    # A declared block count far above the real one forces the renumbering.
    k = P.n_blocks << extra_bits
    new, count = tuple_round(T.targets.reshape(T.n, -1), P.labels, k)
    expected = naive.system_completion(edges, T.n, labels_of(P), how)
    assert naive.as_list(new) == expected and count == max(expected) + 1


@given(systems_and_partition(kinds=("nondeterministic", "lts", "exact", "float"),
                             max_states=12))
def test_hash_collisions_cost_time_not_correctness(case):
    """With every hash equal (salt 0) the rounds merge too much, never split too much.

    The kernels' answer is then no more informative than the least complete
    partition, and said to be complete only when it is that partition;
    minimal_complete_abstraction finishes it to the right answer.
    """
    from abstractions._engine import choice, refine

    T, edges, how, beta = case
    expected = naive.system_minimal(edges, T.n, labels_of(beta), how)
    labels, count, complete = refine.refine(T._relation(), beta.labels, beta.n_blocks, salt=0)
    result = Partition.from_labels(labels)
    assert result <= Partition.from_labels(expected) and beta <= result
    if complete:
        # Never said complete wrongly. (Said incomplete while right can happen
        # for an LTS: its pair nodes are checked too, and the answer is then
        # finished by the completion operator, which changes nothing.)
        assert labels_of(result) == expected
    elif complete is False and T.symbols is None:
        assert labels_of(result) != expected
    unlucky = functools.partial(refine.refine, salt=0)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(refine, "refine", unlucky)
        patch.setattr(choice, "_SMALL", 0)  # the kernels, not the small numpy path
        assert labels_of(minimal_complete_abstraction(T, beta)) == expected


# ---------------------------------------------------------------------------
# Exact arithmetic beyond int64, many symbols, floats


def test_exact_probabilities_beyond_int64():
    """Denominators whose lcm exceeds 2**62 take the modular path, still exact."""
    p, q = 2**61 - 1, 2**31 - 1  # primes: the common denominator is p * q > 2**62
    n = 5
    rows = [
        {2: Fraction(1, p), 3: 1 - Fraction(1, p)},
        {2: 1 - Fraction(1, p), 3: Fraction(1, p)},
        {2: 1 - Fraction(1, q), 4: Fraction(1, q)},
        {3: 1 - Fraction(1, q), 4: Fraction(1, q)},
        {4: Fraction(1)},
    ]
    dense = np.full((n, n), Fraction(0), dtype=object)
    for s, row in enumerate(rows):
        for t, x in row.items():
            dense[s, t] = x
    T = TransitionSystem.probabilistic(dense, output=[0, 0, 0, 0, 1])
    assert T.exact and T.probabilities[0] == Fraction(1, p)
    beta = output_abstraction(T)
    fast = minimal_complete_abstraction(T, beta)
    assert fast == minimal_complete_abstraction(T, beta, method="reference")
    assert labels_of(fast) == [0, 0, 1, 1, 2]
    lumped, _ = abstract_computation(T, fast)
    assert lumped.probabilities == (Fraction(1), 1 - Fraction(1, q), Fraction(1, q), Fraction(1))


def test_many_symbols_take_the_modular_path():
    """More symbols than bits in an int64 key: hashed keys, checked, same answer."""
    rng = np.random.default_rng(3)
    n, k = 40, 70
    steps = rng.integers(0, 8, (k, n))
    T = TransitionSystem.labelled(steps, output=np.arange(n) % 3 == 0)
    beta = output_abstraction(T)
    assert minimal_complete_abstraction(T, beta) == minimal_complete_abstraction(
        T, beta, method="reference"
    )


@pytest.mark.parametrize("kind", ["70 symbols", "denominators past 2**62"])
def test_modular_sums_in_the_splitter_kernel_are_checked(kind, monkeypatch):
    """Two chains (so rounds hand over to splitters) with keys summed modulo a prime."""
    import abstractions._kernels as kernels
    from abstractions._engine import choice

    monkeypatch.setattr(choice, "_SMALL", 0)  # the kernels, not the small numpy path
    calls = []
    real = kernels._coarsest_stable
    monkeypatch.setattr(kernels, "_coarsest_stable", lambda *a: calls.append(1) or real(*a))
    c = 30
    succ = np.concatenate([np.minimum(np.arange(c) + 1, c - 1)] * 2) + np.repeat([0, c], c)
    beta = Partition.kernel(np.arange(2 * c) % c == c - 1)
    if kind == "70 symbols":
        T = TransitionSystem.labelled(np.tile(succ, (70, 1)))
    else:
        # Step on w.p. 1/p (first chain) or 1/q (second), else stay: the
        # common denominator p * q is past 2**62.
        p, q = 2**61 - 1, 2**31 - 1
        dst = np.stack([succ, np.arange(2 * c)], axis=1).ravel()
        steps = [Fraction(1, d) for d in [p] * c + [q] * c]
        data = np.array([x for f in steps for x in (f, 1 - f)], dtype=object)
        T = TransitionSystem.probabilistic((np.arange(0, 4 * c + 1, 2), dst, data))
        assert T._num.dtype == object
    fast = minimal_complete_abstraction(T, beta)
    assert calls and fast == minimal_complete_abstraction(T, beta, method="reference")
    # The chains' copies merge, but for different step probabilities (where
    # only the absorbing ends do).
    assert fast.n_blocks == (c if kind == "70 symbols" else 2 * c - 1)


def test_float_tolerance_identifies_rounding_errors():
    """0.1 + 0.2 and 0.3 are one probability at tol 1e-9, two at tol 1e-17."""
    matrix = np.array([
        [0, 0, 0.1, 0.2, 0.7],
        [0, 0, 0.3, 0.0, 0.7],
        [0, 0, 1, 0, 0],
        [0, 0, 0, 1, 0],
        [0, 0, 0, 0, 1],
    ])
    output = [0, 0, 1, 1, 2]
    T = TransitionSystem.probabilistic(matrix, output=output)
    P = minimal_complete_abstraction(T, output_abstraction(T))
    assert labels_of(P) == [0, 0, 1, 1, 2]
    strict = TransitionSystem.probabilistic(matrix, output=output, tol=1e-17)
    assert strict.tol == 1e-17
    assert labels_of(minimal_complete_abstraction(strict, output_abstraction(strict))) == [
        0, 1, 2, 2, 3
    ]


def test_float_probabilities_that_round_to_zero():
    """A block probability below tol/2 is no transition, for every function alike."""
    matrix = np.array([[0.5, 0.5 - 1e-10, 1e-10], [0.5, 0.5, 0.0], [0.0, 0.0, 1.0]])
    T = TransitionSystem.probabilistic(matrix, output=[0, 0, 1])
    P = minimal_complete_abstraction(T, output_abstraction(T))
    assert P == minimal_complete_abstraction(T, output_abstraction(T), method="reference")
    assert labels_of(P) == [0, 0, 1] and is_complete(T, P)
    lumped, _ = abstract_computation(T, P)
    assert lumped.n == 2


@given(systems_and_partition(max_states=12, kinds=("float",)), st.sampled_from([0.1, 1e-3]))
def test_float_mode_with_coarse_tolerances(case, tol):
    """At any tol the answer is complete by the rounded definition and above beta."""
    T, _, _, beta = case
    coarse = TransitionSystem.probabilistic(
        (T.indptr, T.targets, T.probabilities), tol=tol
    )
    P = minimal_complete_abstraction(coarse, beta)
    assert is_complete(coarse, P) and beta <= P
    abstract_computation(coarse, P)


def test_exact_and_float_agree_on_random_chains():
    """The same rational chain, exact and as floats: the same lumping."""
    rng = np.random.default_rng(11)
    n = 400
    indptr = np.arange(0, 3 * n + 1, 3)
    succ = rng.integers(0, 40, 3 * n)
    weights = rng.integers(1, 4, 3 * n)
    totals = np.repeat(np.add.reduceat(weights, indptr[:-1]), 3)
    exact = TransitionSystem.probabilistic(
        (indptr, succ, [Fraction(int(w), int(t)) for w, t in zip(weights, totals)])
    )
    floats = TransitionSystem.probabilistic((indptr, succ, weights / totals))
    beta = Partition.kernel(np.arange(n) % 2)
    assert minimal_complete_abstraction(exact, beta) == minimal_complete_abstraction(floats, beta)


def test_sympy_rationals_are_exact():
    """sympy Rationals convert to Fractions."""
    sympy = pytest.importorskip("sympy")
    half = sympy.Rational(1, 2)
    T = TransitionSystem.probabilistic([[half, half], [0, 1]])
    assert T.exact and T.probabilities == (Fraction(1, 2), Fraction(1, 2), Fraction(1))


# ---------------------------------------------------------------------------
# The quotient


@given(systems_and_partition(max_states=12))
def test_quotient_commutes(case):
    """The abstract system's transitions are the image of the concrete ones."""
    T, _, _, beta = case
    P = minimal_complete_abstraction(T, beta)
    Q, q = abstract_computation(T, P)
    assert q == P and Q.kind == T.kind and Q.n == P.n_blocks
    lab = P.labels
    if T.kind == "labelled":
        # A gap (-1) stays a gap in the quotient.
        assert np.array_equal(Q.steps[:, lab], np.where(T.steps >= 0, lab[T.steps], -1))
        return
    # Every state's signature is its block's row in the quotient.
    for s in range(T.n):
        row = {}
        for j in range(T.indptr[s], T.indptr[s + 1]):
            key = (0 if T.edge_labels is None else int(T.edge_labels[j]), int(lab[T.targets[j]]))
            p = 1 if T.kind == "nondeterministic" else T.probabilities[j]
            row[key] = p if T.kind == "nondeterministic" else row.get(key, 0) + p
        b = int(lab[s])
        got = {}
        for j in range(Q.indptr[b], Q.indptr[b + 1]):
            key = (0 if Q.edge_labels is None else int(Q.edge_labels[j]), int(Q.targets[j]))
            got[key] = 1 if Q.kind == "nondeterministic" else Q.probabilities[j]
        if T.kind == "probabilistic" and not T.exact:
            assert got.keys() == row.keys()
            assert all(abs(got[k] - row[k]) <= 2 * TOL for k in row)
        else:
            assert got == row


def test_quotient_refuses_incomplete_partitions():
    """abstract_computation raises NotCompleteError with the witness and the reason."""
    T = TransitionSystem.nondeterministic([[1], [2], [2]], output=[0, 0, 1])
    with pytest.raises(NotCompleteError, match="state 0 has a successor in block 0 and state 1 does not") as info:
        abstract_computation(T, [0, 0, 1])
    assert info.value.witness == (0, 1)
    chain = TransitionSystem.probabilistic([[0, 1, 0], [0, 0.5, 0.5], [0, 0, 1]])
    with pytest.raises(NotCompleteError, match="probability"):
        abstract_computation(chain, [0, 0, 1])


def _chain(n, exact=False):
    """A birth-death chain (1/4 back, 3/4 on, the last state absorbing), output at the end."""
    src, dst, p = [], [], []
    q = (Fraction(1, 4), Fraction(3, 4)) if exact else (0.25, 0.75)
    for s in range(n - 1):
        src += [s, s]
        dst += [max(s - 1, 0), s + 1]
        p += list(q)
    src.append(n - 1)
    dst.append(n - 1)
    p.append(Fraction(1) if exact else 1.0)
    indptr = np.searchsorted(np.array(src), np.arange(n + 1))
    output = [0] * (n - 1) + [1]
    return TransitionSystem.probabilistic((indptr, np.array(dst), p), output=output)


@pytest.mark.parametrize("exact", [False, True])
def test_large_quotient_checks_in_one_pass(exact):
    """Above the numpy sizes: completeness by the row kernels, same verdicts and witness.

    A chain of 5000 states splits one block per round (every state is its
    own block); an incomplete partition is refused with find_violation's
    witness, and the quotient of the answer has every state's row.
    """
    T = _chain(5000, exact)
    P = minimal_complete_abstraction(T, output_abstraction(T))
    assert P.n_blocks == 5000 and is_complete(T, P)
    Q, _ = abstract_computation(T, P)
    assert Q.n_transitions == T.n_transitions
    bad = Partition([0] * 4998 + [1, 1])
    assert not is_complete(T, bad)
    with pytest.raises(NotCompleteError) as info:
        abstract_computation(T, bad)
    assert info.value.witness == find_violation(T, bad)
    # Self-loops lumped by the output: a complete partition of two blocks.
    loops = TransitionSystem.probabilistic(
        (np.arange(5001), np.arange(5000), [1.0] * 5000), output=[0, 1] * 2500
    )
    half = Partition([0, 1] * 2500)
    assert is_complete(loops, half)
    L, _ = abstract_computation(loops, half)
    assert L.n == 2 and L.targets.tolist() == [0, 1]


def test_quotient_of_the_engines_answer_skips_its_check(monkeypatch):
    """The partition minimal_complete_abstraction returns is not checked again by the quotient.

    Only that very partition: an equal one built by the user, and a
    k-round partition (not complete in general), are checked; the
    quotients agree either way.
    """
    from abstractions._engine import relation

    T = _chain(5000)
    P = minimal_complete_abstraction(T, output_abstraction(T))
    rounds = minimal_complete_abstraction(T, output_abstraction(T), rounds=3)
    checks = []
    agree = relation.kernel_rows_agree
    monkeypatch.setattr(relation, "kernel_rows_agree", lambda *a: checks.append(1) or agree(*a))
    Q, same = abstract_computation(T, P)
    assert checks == [] and same is P
    R, _ = abstract_computation(T, Partition(P.labels.copy()))
    assert checks == [1] and R == Q
    with pytest.raises(NotCompleteError):
        abstract_computation(T, rounds)
    assert checks == [1, 1]
    # The record is a weak one: it does not keep the partition's labels alive.
    ref = weakref.ref(P.labels)
    del P, same
    gc.collect()
    assert ref() is None


def test_quotient_takes_the_rows_of_the_engines_check(monkeypatch):
    """The rows that the engine's exact check built make the quotient of that very partition.

    A random Markov chain in floats goes through hashed rounds, whose
    answer the check proves complete by building the quotient's rows. The
    quotient of the returned partition takes them instead of building
    them; it equals the quotient of an equal partition, which builds its
    own. The rows are handed over once, and a partition that is dropped
    drops them.
    """
    from abstractions._engine import relation

    rng = np.random.default_rng(3)
    n = 5000
    # Ten rings of states: each state moves to three random states of the
    # next ring. Keeping ring 0 apart, the least complete partition is the
    # ten rings.
    ring = np.arange(n) % 10
    succ = 10 * rng.integers(0, n // 10, 3 * n) + np.repeat((ring + 1) % 10, 3)
    weights = rng.integers(1, 4, 3 * n).astype(float)
    weights /= np.repeat(np.add.reduceat(weights, np.arange(0, 3 * n, 3)), 3)
    T = TransitionSystem.probabilistic((np.arange(0, 3 * n + 1, 3), succ, weights))
    beta = Partition.kernel(ring == 0)
    built = []
    rows = relation.kernel_quotient_rows
    monkeypatch.setattr(relation, "kernel_quotient_rows", lambda *a: built.append(1) or rows(*a))
    P = minimal_complete_abstraction(T, beta)
    assert built == [1] and P == Partition.kernel(ring)  # the check's rows
    Q, _ = abstract_computation(T, P)
    assert built == [1]  # taken, not built again
    R, _ = abstract_computation(T, Partition(P.labels.copy()))
    assert built == [1, 1] and R == Q
    again, _ = abstract_computation(T, P)  # handed over once: built afresh
    assert built == [1, 1, 1] and again == Q
    kept = minimal_complete_abstraction(T, beta)
    old = weakref.ref(T._cache["complete_rows"][-1][2])
    fresh = minimal_complete_abstraction(T, beta)  # replaces the record: the old rows go
    gc.collect()
    assert old() is None and kept == fresh and "complete_rows" in T._cache
    del fresh  # a dropped partition drops its rows
    gc.collect()
    assert "complete_rows" not in T._cache


def test_quotient_names_its_states_lazily():
    """Names that are the blocks' first states are made when read, and equal either way.

    The quotient keeps them as an id array until they are read; equality,
    pickling and ``state_labels`` see the tuple of ints that ``block_names``
    gives.
    """
    T = _chain(5000)
    P = minimal_complete_abstraction(T, output_abstraction(T))
    Q, _ = abstract_computation(T, P)
    R, _ = abstract_computation(T, P)
    assert isinstance(Q._names, np.ndarray)
    assert pickle.loads(pickle.dumps(Q)) == Q == R
    assert Q.state_labels == block_names(T, P) == tuple(P.representatives().tolist())
    assert type(Q.state_labels[7]) is int and Q.state_index(7) == 7
    assert isinstance(Q._names, tuple) and Q == R


def test_warm_kernels_answer_small_systems():
    """Once the kernels are compiled, small systems go to them: same answers as the reference."""
    from abstractions import warmup
    from abstractions._engine import choice

    warmup()
    T = _chain(600)
    assert choice._kernels_warm(T._relation())
    beta = output_abstraction(T)
    P = minimal_complete_abstraction(T, beta)
    assert P == minimal_complete_abstraction(T, beta, method="reference")
    Q, _ = abstract_computation(T, P)
    assert Q.n == 600 and Q.n_transitions == T.n_transitions


def test_lumped_chain_keeps_outputs_and_exact_probabilities():
    """A symmetric walk on a 4-cycle lumped by distance from state 0."""
    half = Fraction(1, 2)
    dense = [[0, half, 0, half], [half, 0, half, 0], [0, half, 0, half], [half, 0, half, 0]]
    T = TransitionSystem.probabilistic(dense, output=[0, 1, 2, 1])
    P = minimal_complete_abstraction(T, output_abstraction(T))
    Q, _ = abstract_computation(T, P)
    assert P.n_blocks == 3 and Q.output_values == (0, 1, 2)
    assert Q.probability_matrix().tolist() == [[0, 1, 0], [half, 0, half], [0, 1, 0]]


# ---------------------------------------------------------------------------
# Worked cases of each kind


def test_dfa_for_multiples_of_three():
    """Binary numbers divisible by 3, read by a DFA with 24 states: 3 remain."""
    v = np.arange(24)
    T = TransitionSystem.labelled({"0": 2 * v % 24, "1": (2 * v + 1) % 24},
                                  output=v % 3 == 0)
    P = minimal_complete_abstraction(T, output_abstraction(T))
    assert labels_of(P) == [int(x) for x in v % 3]
    Q, _ = abstract_computation(T, P)
    assert Q.steps.tolist() == [[0, 2, 1], [1, 0, 2]]


def test_branching_time_is_not_trace_equivalence():
    """a.(b + c) and a.b + a.c have the same traces but are not bisimilar."""
    # 0 -a-> 1, 1 -b-> 3, 1 -c-> 3  versus  4 -a-> 5, 4 -a-> 6, 5 -b-> 3, 6 -c-> 3
    succ = [[1], [3, 3], [], [], [5, 6], [3], [3]]
    labels = [["a"], ["b", "c"], [], [], ["a", "a"], ["b"], ["c"]]
    T = TransitionSystem.nondeterministic(succ, labels=labels)
    assert T.symbols == ("a", "b", "c")
    P = minimal_complete_abstraction(T, Partition.bottom(7))
    assert P.labels[0] != P.labels[4]
    assert P.labels[2] == P.labels[3]  # deadlocks are bisimilar
    unlabelled = TransitionSystem.nondeterministic(succ)
    assert minimal_complete_abstraction(unlabelled, Partition.bottom(7)).labels[0] == \
        minimal_complete_abstraction(unlabelled, Partition.bottom(7)).labels[4]


def test_deadlocks_are_told_apart_from_live_states():
    """A state without successors differs from one with successors."""
    T = TransitionSystem.nondeterministic([[0], []])
    assert minimal_complete_abstraction(T, Partition.bottom(2)).n_blocks == 2


# ---------------------------------------------------------------------------
# Constructors and bad input


def test_input_formats_agree():
    """CSR arrays, lists, dense and sparse-like matrices give the same system."""
    lists = TransitionSystem.nondeterministic([[1, 0], [1], [0, 1, 1]])
    csr = TransitionSystem.nondeterministic((np.array([0, 2, 3, 6]), np.array([1, 0, 1, 0, 1, 1])))
    dense = TransitionSystem.nondeterministic(np.array([[1, 1, 0], [0, 1, 0], [1, 1, 0]], bool))
    for T in (csr, dense):
        assert np.array_equal(T.indptr, lists.indptr)
        assert np.array_equal(T.targets, lists.targets)
    assert lists.n_transitions == 5 and lists.successors(2).tolist() == [0, 1]

    class Sparse:  # the part of the scipy.sparse interface that is used
        shape = (2, 2)

        def tocsr(self):
            return self

        def tocoo(self):
            return self

        row = np.array([0, 1])
        col = np.array([1, 1])
        data = np.array([1.0, 1.0])

    chain = TransitionSystem.probabilistic(Sparse())
    assert chain.targets.tolist() == [1, 1] and not chain.exact
    # Python objects: Fractions only (kept as they are) or with ints (both
    # exact), floats only (float mode).
    objects = TransitionSystem.probabilistic(
        np.array([[0.5, 0.5], [0.0, 1.0]], dtype=object)
    )
    assert not objects.exact and objects.probabilities.tolist() == [0.5, 0.5, 1.0]
    fractions = TransitionSystem.probabilistic(
        np.array([[Fraction(1, 2), Fraction(1, 2)], [Fraction(0), Fraction(1)]], dtype=object)
    )
    mixed = TransitionSystem.probabilistic(
        np.array([[Fraction(1, 2), Fraction(1, 2)], [0, 1]], dtype=object)
    )
    assert fractions.exact and fractions.probabilities == mixed.probabilities


def test_repeated_entries_add_up():
    """CSR data with a repeated (row, column) entry is summed."""
    quarter = Fraction(1, 4)
    T = TransitionSystem.probabilistic(
        ([0, 3, 4], [1, 1, 0, 1], [quarter, quarter, Fraction(1, 2), 1])
    )
    assert T.probabilities == (Fraction(1, 2), Fraction(1, 2), Fraction(1))


@pytest.mark.parametrize(
    "build, error, match",
    [
        (lambda: TransitionSystem(), InvalidTypeError, "TransitionSystem.labelled"),
        (lambda: TransitionSystem.labelled([]), InvalidValueError, "number of states"),
        (lambda: TransitionSystem.labelled([], n=0), InvalidValueError, "at least one state"),
        (lambda: TransitionSystem.labelled([[0, 1], [0, 2]]), InvalidValueError, "steps\\[1\\]"),
        (lambda: TransitionSystem.labelled([[0, 1]], symbols="ab"), InvalidValueError,
         "symbols has 2"),
        (lambda: TransitionSystem.labelled([[0], [0]], symbols="aa"), InvalidValueError,
         "distinct"),
        (lambda: TransitionSystem.labelled({"a": [0]}, symbols="a"), InvalidValueError, "twice"),
        (lambda: TransitionSystem.labelled([[0.5]]), InvalidTypeError, "steps"),
        (lambda: TransitionSystem.nondeterministic([[1], [2]]), InvalidValueError,
         "successors\\[1\\]"),
        (lambda: TransitionSystem.nondeterministic(([0, 2, 1], [0, 0])), InvalidValueError,
         "must not decrease"),
        (lambda: TransitionSystem.nondeterministic(([0, 1], [0, 0])), InvalidValueError,
         "indptr ends at 1"),
        (lambda: TransitionSystem.nondeterministic(np.ones((2, 3))), InvalidValueError,
         "square"),
        (lambda: TransitionSystem.nondeterministic(np.array([[2, 0], [0, 1]])),
         InvalidValueError, "0/1"),
        (lambda: TransitionSystem.nondeterministic([[0, 1], [0]], labels=[["a"], ["b"]]),
         InvalidValueError, "labels\\[0\\] has 1"),
        (lambda: TransitionSystem.nondeterministic(np.eye(2), labels=[1, 1]), InvalidValueError,
         "not a matrix"),
        (lambda: TransitionSystem.nondeterministic(5), InvalidTypeError, "successors must be"),
        (lambda: TransitionSystem.nondeterministic([[0, 1], [1, 0]], labels=["ab", "cd"]),
         InvalidTypeError, "the string 'ab'"),
        (lambda: TransitionSystem.probabilistic([[0.5, 0.4], [0, 1]]), InvalidValueError,
         "row 0 of matrix sums to 0.9"),
        (lambda: TransitionSystem.probabilistic([[Fraction(1, 2), 0], [0, 1]]),
         InvalidValueError, "row 0 of matrix sums to 1/2"),
        (lambda: TransitionSystem.probabilistic([[-0.5, 1.5], [0, 1]]), InvalidValueError,
         "\\(0, 0\\) = -0.5"),
        (lambda: TransitionSystem.probabilistic([[Fraction(1, 2), 0.5], [0, 1]]),
         InvalidTypeError, "mixes exact and float"),
        (lambda: TransitionSystem.probabilistic([["a", 1], [0, 1]]), InvalidTypeError,
         "not a number"),
        (lambda: TransitionSystem.probabilistic([[1.0, 0.0]]), InvalidValueError, "square"),
        (lambda: TransitionSystem.probabilistic([[1.0]], tol=0), InvalidValueError, "tol"),
        (lambda: TransitionSystem.probabilistic([[np.nan]]), InvalidValueError,
         "not a probability"),
        (lambda: TransitionSystem.probabilistic(([0, 1], [0], [1, 1])), InvalidValueError,
         "data has 2"),
    ],
)
def test_bad_input_names_the_argument(build, error, match):
    """Bad input raises a ValueError/TypeError subclass naming what is wrong."""
    with pytest.raises(error, match=match):
        build()


def test_bad_use_of_the_functions():
    """Methods for computations, partitions of another size, views of another kind."""
    T = TransitionSystem.nondeterministic([[1], [0]])
    with pytest.raises(InvalidValueError, match="'linear' needs a system whose transition is one"):
        minimal_complete_abstraction(T, Partition.bottom(2), method="linear")
    with pytest.raises(SizeMismatchError):
        is_complete(T, Partition.bottom(3))
    # Views a kind does not have are missing attributes, so hasattr works.
    assert not hasattr(T, "steps") and not hasattr(T, "probabilities")
    assert not hasattr(T, "halted") and hasattr(T, "successors")
    with pytest.raises(AttributeError):
        T.steps
    with pytest.raises(InvalidValueError, match="out of range"):
        T.successors(2)
    with pytest.raises(AttributeError):
        T.kind = "labelled"
    with pytest.raises(InvalidTypeError, match="a Computation or a TransitionSystem"):
        is_complete([0, 1], Partition.bottom(2))
    assert "NondeterministicSystem: 2 states, 2 transitions" in repr(T)
