"""The CTMC kind: ordinary lumpability of rates, from the definition and against Storm.

The truth is brute force from the definition (``tests/naive.py``): a
partition is complete when related states have the same total rate into
every block, their own block and self-loops included; the least complete
partition above beta is found among all partitions of up to 5 states.
"""

from __future__ import annotations

import math
import os
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from abstractions import (
    ContinuousTimeMarkovChain,
    InvalidTypeError,
    InvalidValueError,
    MarkovChain,
    Partition,
    System,
    TransitionSystem,
    abstract_computation,
    find_violation,
    is_complete,
    minimal_complete_abstraction,
    output_abstraction,
)
from abstractions.strategies import transition_systems
from tests import naive
from tests.helpers import require_extra

# ---------------------------------------------------------------------- the definition


def _edges(matrix):
    """(source, symbol 0, target, exact rate) of every non-zero entry of a dense matrix."""
    return [
        (s, 0, t, Fraction(r))
        for s, row in enumerate(matrix)
        for t, r in enumerate(row)
        if r != 0
    ]


def _lumped(edges, labels, s):
    """The total rate of state ``s`` into each block (non-zero totals only)."""
    return naive.system_signature(edges, labels, "sum", s)


@st.composite
def rate_matrices(draw, max_states=5):
    """Square matrices of rates: mostly zeros, small integers and halves, self-loops allowed."""
    n = draw(st.integers(1, max_states))
    rate = st.one_of(st.just(0), st.just(0), st.integers(1, 3), st.sampled_from([0.5, 1.5]))
    return [[Fraction(draw(rate)) for _ in range(n)] for _ in range(n)]


def _build(matrix, exact, **kwargs):
    if exact:
        return ContinuousTimeMarkovChain(np.array(matrix, dtype=object), **kwargs)
    return ContinuousTimeMarkovChain(np.array(matrix, dtype=np.float64), **kwargs)


# ---------------------------------------------------------------------- brute force


@settings(max_examples=40)
@given(matrix=rate_matrices(), exact=st.booleans())
def test_is_complete_is_ordinary_lumpability_on_every_partition(matrix, exact):
    """is_complete agrees with the definition on every partition of the states."""
    T = _build(matrix, exact)
    edges, n = _edges(matrix), len(matrix)
    for labels in naive.set_partitions(n):
        truth = naive.system_is_complete(edges, n, labels, "sum")
        assert is_complete(T, Partition.from_labels(labels)) == truth, labels


@settings(max_examples=25)
@given(data=st.data(), matrix=rate_matrices(), exact=st.booleans())
def test_minimal_is_the_coarsest_complete_refinement(data, matrix, exact):
    """The minimal complete abstraction above beta is the least complete partition above it."""
    n = len(matrix)
    beta = data.draw(st.lists(st.integers(0, 2), min_size=n, max_size=n))
    T = _build(matrix, exact, output=beta)
    edges = _edges(matrix)
    above = naive.system_complete_partitions_above(edges, n, naive.canonical(beta), "sum")
    truth = naive.least(above)
    for method in ("auto", "rounds", "splitters", "reference"):
        ours = minimal_complete_abstraction(T, output_abstraction(T), method=method)
        assert naive.as_list(ours.labels) == truth, method


@settings(max_examples=30)
@given(matrix=rate_matrices(), exact=st.booleans())
def test_quotient_is_the_lumped_chain(matrix, exact):
    """Rate from block a into block b is every member's total rate into b; exact stays exact."""
    T = _build(matrix, exact, output=[0] * len(matrix))
    P = minimal_complete_abstraction(T, output_abstraction(T))
    Q, _ = abstract_computation(T, P)
    assert isinstance(Q, ContinuousTimeMarkovChain) and Q.exact == exact
    labels = naive.as_list(P.labels)
    lumped = {}
    for a in range(Q.n):
        for _, b, rate in Q.transitions(a):
            assert isinstance(rate, Fraction) == exact
            lumped[a, b] = Fraction(rate)
    edges = _edges(matrix)
    for s in range(len(matrix)):
        expected = {(labels[s], b): r for (_, b), r in _lumped(edges, labels, s)}
        got = {key: r for key, r in lumped.items() if key[0] == labels[s]}
        assert got == expected


def test_self_loops_count():
    """A self-loop is a rate into the state's own block: it is not removed from the diagonal."""
    # 0 and 1 both move to 2 at rate 1; 0 also loops at rate 2. With the
    # diagonal dropped (the generator's lumpability) they would be lumpable.
    T = ContinuousTimeMarkovChain([[2, 1, 0], [0, 0, 1], [0, 0, 0]], output=[0, 0, 1])
    assert not is_complete(T, Partition.from_labels([0, 0, 1]))
    T2 = ContinuousTimeMarkovChain([[0, 0, 1], [0, 0, 1], [0, 0, 0]], output=[0, 0, 1])
    assert is_complete(T2, Partition.from_labels([0, 0, 1]))
    # rate 2 into the own block each way: 0 <-> 1 (the block total is what counts)
    T3 = ContinuousTimeMarkovChain([[2, 0, 1], [0, 2, 1], [0, 0, 0]], output=[0, 0, 1])
    T4 = ContinuousTimeMarkovChain([[0, 2, 1], [2, 0, 1], [0, 0, 0]], output=[0, 0, 1])
    assert is_complete(T3, Partition.from_labels([0, 0, 1]))
    assert is_complete(T4, Partition.from_labels([0, 0, 1]))


def test_violation_names_rates():
    """The witness of an incomplete partition speaks of rates, not probabilities."""
    T = ContinuousTimeMarkovChain([[0, 3], [0, 1]])
    assert find_violation(T, Partition.bottom(2)) == (0, 1)
    with pytest.raises(ValueError, match="with rate 3 and 1"):
        abstract_computation(T, Partition.bottom(2))


def test_rates_beyond_int64_are_exact():
    """Exact rates whose sums pass 2**62 are Python ints: no overflow, no wrong merge."""
    big = 2**70
    matrix = [[0, big, big], [2 * big, 0, 0], [0, big + 1, big - 1]]
    T = ContinuousTimeMarkovChain(matrix)
    truth = naive.least(naive.system_complete_partitions_above(_edges(matrix), 3, [0, 0, 0], "sum"))
    assert naive.as_list(minimal_complete_abstraction(T, Partition.bottom(3)).labels) == truth
    assert naive.as_list(minimal_complete_abstraction(T, Partition.bottom(3)).labels) == [0, 0, 0]
    Q, _ = abstract_computation(T, Partition.bottom(3))
    assert Q.rates == (Fraction(2 * big),)


def test_float_tolerance_is_absolute():
    """Float totals are compared as multiples of tol: equal within it, apart beyond it."""
    matrix = [[0.0, 0.0, 1.0], [0.0, 0.0, 1.0 + 1e-12], [0.0, 0.0, 0.0]]
    T = ContinuousTimeMarkovChain(matrix, output=[0, 0, 1])
    assert minimal_complete_abstraction(T, output_abstraction(T)).n_blocks == 2
    fine = ContinuousTimeMarkovChain(matrix, output=[0, 0, 1], tol=1e-14)
    assert minimal_complete_abstraction(fine, output_abstraction(fine)).n_blocks == 3


# ---------------------------------------------------------------------- views and the spine


def test_views_and_constructors():
    """rates, exit_rates, rate_matrix; TransitionSystem.ctmc, scipy and CSR inputs agree."""
    import scipy.sparse as sp

    dense = [[0, Fraction(1, 2), 3], [0, 0, 0], [1, 0, 1]]
    T = TransitionSystem.ctmc(dense)
    assert isinstance(T, ContinuousTimeMarkovChain) and T.kind == "ctmc"
    assert T.exact and T.rates == (Fraction(1, 2), Fraction(3), Fraction(1), Fraction(1))
    assert T.exit_rates == (Fraction(7, 2), Fraction(0), Fraction(2))
    assert (T.rate_matrix() == np.array(dense, dtype=object)).all()
    F = ContinuousTimeMarkovChain(sp.csr_array(np.array(dense, dtype=float)))
    assert not F.exact and F.exit_rates.tolist() == [3.5, 0.0, 2.0]
    assert F.rate_matrix(sparse=True).toarray().tolist() == [[0, 0.5, 3], [0, 0, 0], [1, 0, 1]]
    csr = ContinuousTimeMarkovChain(
        (np.array([0, 2, 2, 4]), np.array([1, 2, 0, 2]), np.array([0.5, 3.0, 1.0, 1.0]))
    )
    assert csr == F
    assert "ctmc" in System.kinds()


def test_restrict_keeps_the_rates():
    """restrict_to_reachable keeps every rate of the reachable states (and exactness)."""
    T = ContinuousTimeMarkovChain([[0, 2, 0, 0], [1, 0, 0, 0], [0, 0, 0, 5], [0, 0, 0, 0]],
                                  inputs=[0])
    R, index = T.restrict_to_reachable()
    assert naive.as_list(index) == [0, 1]
    assert isinstance(R, ContinuousTimeMarkovChain) and R.exact
    assert R.rates == (Fraction(2), Fraction(1))


@settings(max_examples=30)
@given(matrix=rate_matrices(), exact=st.booleans())
def test_embedded_and_uniformised_chains(matrix, exact):
    """The jump chain is R / E (absorbing states loop); our lumpings lump the uniformised chain."""
    T = _build(matrix, exact, output=[0] * len(matrix))
    J = T.embedded()
    assert isinstance(J, MarkovChain) and J.exact == exact
    for s, row in enumerate(matrix):
        total = sum(row)
        expected = {t: r / total for t, r in enumerate(row) if r} if total else {s: 1}
        got = {t: Fraction(p) for _, t, p in J.transitions(s)}
        assert got.keys() == expected.keys()
        for t in got:
            assert math.isclose(got[t], expected[t], rel_tol=1e-12)
    U = T.uniformised()
    assert isinstance(U, MarkovChain)
    ours = minimal_complete_abstraction(T, output_abstraction(T))
    assert is_complete(U, ours)
    # uniformising cancels the rate into the own block: its least lumping is coarser
    assert minimal_complete_abstraction(U, output_abstraction(U)) <= ours


@settings(max_examples=20)
@given(T=transition_systems(kinds=["ctmc"], max_states=6))
def test_drawn_ctmcs_lump_and_pickle(T):
    """The strategy's CTMCs: the minimal abstraction is complete; pickling keeps them equal."""
    import pickle

    P = minimal_complete_abstraction(T, output_abstraction(T))
    assert is_complete(T, P)
    assert pickle.loads(pickle.dumps(T)) == T


# ---------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("matrix", "kwargs", "error", "words"),
    [
        ([[0, -1], [0, 0]], {}, InvalidValueError, "(0, 1) = Fraction(-1, 1) is not a rate"),
        ([[0.0, -1.5], [0.0, 0.0]], {}, InvalidValueError, "(0, 1) = -1.5 is not a rate"),
        ([[0.0, float("nan")], [0.0, 0.0]], {}, InvalidValueError, "(0, 1) = nan is not a rate"),
        ([[0.0, float("inf")], [0.0, 0.0]], {}, InvalidValueError, "(0, 1) = inf is not a rate"),
        ([[1, 0.5], [0, 0]], {}, InvalidTypeError, "mixes exact and float entries"),
        ([[1.0]], {"tol": 0}, InvalidValueError, "tol must be positive and finite, got 0"),
        ([[1.0]], {"tol": -1e-9}, InvalidValueError, "tol must be positive and finite, got -1e-09"),
        ([[1.0]], {"tol": float("nan")}, InvalidValueError, "tol must be positive and finite"),
        ([[1.0]], {"tol": True}, InvalidTypeError, "tol must be a float, got True"),
        ([[1.0]], {"tol": "1e-9"}, InvalidTypeError, "tol must be a float, got '1e-9'"),
        ([[1e8, 1e8], [0.0, 0.0]], {"tol": 1e-9}, InvalidValueError,
         "tol=1e-09 is too small for the exit rate 200000000.0 of state 0"),
        ([[1.0, 2.0]], {}, InvalidValueError, "square"),
    ],
)
def test_errors_name_the_argument_and_value(matrix, kwargs, error, words):
    """Bad rates, mixed kinds, a bad tol and the overflow guard raise, naming what is wrong."""
    with pytest.raises(error) as info:
        ContinuousTimeMarkovChain(np.array(matrix, dtype=object) if matrix == [[1, 0.5], [0, 0]]
                                  else matrix, **kwargs)
    assert words in str(info.value)
    assert isinstance(info.value, (ValueError, TypeError))


def test_overflow_guard_allows_a_coarser_tol():
    """The guard's suggested tol is accepted; exact rates of any size are always accepted."""
    T = ContinuousTimeMarkovChain([[1e8, 1e8], [0.0, 0.0]], tol=1e-7)
    assert T.tol == 1e-7
    assert ContinuousTimeMarkovChain([[10**40, 10**40], [0, 0]]).exit_rates == (
        Fraction(2 * 10**40), Fraction(0))


def test_uniformised_rate_checks():
    """A uniformisation rate below the largest exit rate is refused, naming both."""
    T = ContinuousTimeMarkovChain([[0, 2], [1, 0]])
    with pytest.raises(InvalidValueError, match="at least the largest exit rate 2, got 1"):
        T.uniformised(1)
    assert T.uniformised(4).probabilities == (
        Fraction(1, 2), Fraction(1, 2), Fraction(1, 4), Fraction(3, 4)
    )


# ---------------------------------------------------------------------- Storm DRN by hand


def test_drn_ctmc_with_exit_rates(tmp_path):
    """A DRN CTMC reads as a CTMC of its rates; a wrong declared exit rate is refused."""
    from abstractions import FileFormatError
    from abstractions.formats import read_drn

    text = (
        "@type: CTMC\n@parameters\n\n@reward_models\n\n@nr_states\n2\n@model\n"
        "state 0 !3 init\n\taction 0\n\t\t0 : 1\n\t\t1 : 2\n"
        "state 1 !1 done\n\taction 0\n\t\t1 : 1\n"
    )
    path = tmp_path / "c.drn"
    path.write_text(text)
    T = read_drn(path)
    assert isinstance(T, ContinuousTimeMarkovChain)
    assert T.exit_rates.tolist() == [3.0, 1.0] and T.inputs == {0: 0}
    path.write_text(text.replace("!3", "!4"))
    with pytest.raises(FileFormatError, match="exit rate 4.0, but its rates sum to 3.0"):
        read_drn(path)
    path.write_text(text.replace("CTMC", "DTMC"))
    with pytest.raises(FileFormatError, match="an exit rate in a DTMC"):
        read_drn(path)


# ---------------------------------------------------------------------- Storm


def _stable_by_definition(T, labels):
    """Related states have equal total rates into every block, from T's own entries.

    Exact rates are summed exactly; float rates (as exact Fractions of the
    floats) are compared after rounding to multiples of ``T.tol``.
    """
    how = "sum" if T.exact else ("round", Fraction(T.tol))
    src = np.repeat(np.arange(T.n), np.diff(T.indptr))
    edges = [(int(s), 0, int(t), Fraction(r)) for s, t, r in zip(src, T.targets, T.rates)]
    by_state = {}
    for e in edges:
        by_state.setdefault(e[0], []).append(e)
    seen = {}
    for s in range(T.n):
        sig = naive.system_signature(by_state.get(s, []), labels, how, s)
        if seen.setdefault(labels[s], sig) != sig:
            return False
    return True


def _storm_ctmc(indptr, targets, rates, beta):
    """A stormpy sparse CTMC of these rates, every state initial, beta as labels b<j>."""
    import stormpy.datastructures as sd
    import stormpy.models as sm

    n = indptr.shape[0] - 1
    rows = np.repeat(np.arange(n), np.diff(indptr))
    builder = sd.SparseMatrixBuilder[float](rows=n, columns=n, entries=rows.shape[0],
                                            force_dimensions=True)
    builder.add_next_values(rows.tolist(), targets.tolist(), [float(r) for r in rates])
    labeling = sm.StateLabeling(n)
    labeling.add_label("init")
    labeling.set_states("init", sd.BitVector(n, True))
    for j in range(int(max(beta)) + 1):
        labeling.add_label(f"b{j}")
        labeling.set_states(f"b{j}", sd.BitVector(n, [s for s in range(n) if beta[s] == j]))
    components = sm.SparseModelComponents[float](
        transition_matrix=builder.build(), state_labeling=labeling, rate_transitions=True
    )
    return sm.SparseCtmc[float](components)


def _storm_blocks(model):
    import stormpy.transformations as stt

    options = stt.BisimulationOptions()
    options.bisimulation_type = stt.BisimulationType.STRONG
    return int(stt.perform_bisimulation(model, [], options=options).nr_states)


def test_storm_random_ctmcs_have_our_partition():
    """Storm's strong bisimulation of random CTMCs (self-loops, absorbing states) is ours.

    Storm gives the quotient, not the state-to-block map: ours refines beta
    and is stable by the definition, so it refines Storm's coarsest stable
    partition above beta; with as many blocks it is that partition.
    """
    require_extra("models")
    for seed in range(150):
        rng = np.random.default_rng([seed, 7])
        n = int(rng.integers(1, 12 if seed % 5 else 40))
        degrees = rng.integers(0, min(3, n) + 1, size=n)  # 0: absorbing
        targets = np.concatenate(
            [np.sort(rng.choice(n, size=d, replace=False)) for d in degrees] + [np.zeros(0, int)]
        ).astype(np.int64)
        indptr = np.concatenate([[0], np.cumsum(degrees)]).astype(np.int64)
        # rates in halves 0.5 .. 3: float sums are exact, so both tools see exact ties
        rates = rng.integers(1, 7, size=targets.size) / 2
        beta = np.unique(rng.integers(0, int(rng.integers(1, 3)), size=n), return_inverse=True)[1]
        T = ContinuousTimeMarkovChain((indptr, targets, rates), output=beta.tolist())
        ours = minimal_complete_abstraction(T, output_abstraction(T))
        labels = naive.as_list(ours.labels)
        assert naive.leq(naive.canonical(beta.tolist()), labels), seed
        assert _stable_by_definition(T, labels), seed
        storm = _storm_blocks(_storm_ctmc(indptr, targets, rates, beta.tolist()))
        assert storm == ours.n_blocks, (seed, storm, ours.n_blocks)


#: Storm's shipped CTMC examples (built with PRISM compatibility: they use
#: probabilistic-style commands), with their constants as shipped.
STORM_CTMCS = [
    "tiny.sm", "polling2.sm", "tandem5.sm", "cluster2.sm", "fms2.sm",
    pytest.param("embedded2.sm", marks=pytest.mark.slow),  # 3478 states: a few seconds
]


@pytest.mark.parametrize("name", STORM_CTMCS)
def test_storm_examples_lump_as_storm(name):
    """from_stormpy reads Storm's CTMCs; our lumping above labels and rewards has Storm's size."""
    require_extra("models")
    import stormpy
    from stormpy.examples import files as storm_files

    from abstractions.formats import from_stormpy

    path = os.path.join(storm_files.testfile_dir, "ctmc", name)
    program = stormpy.parse_prism_program(path, prism_compatibility=True)
    options = stormpy.BuilderOptions()
    options.set_build_all_labels()
    options.set_build_all_reward_models()
    model = stormpy.build_model(program, options=options)
    T = from_stormpy(model)
    assert isinstance(T, ContinuousTimeMarkovChain)
    assert (T.n, T.n_transitions) == (model.nr_states, model.nr_transitions)
    ours = minimal_complete_abstraction(T, output_abstraction(T))
    labels = naive.as_list(ours.labels)
    assert naive.leq(naive.canonical(naive.as_list(T.output)), labels)
    assert _stable_by_definition(T, labels)
    assert ours.n_blocks == _storm_blocks(model)


def test_approximate_notions_ask_for_a_random_walk():
    """consistency_error reads random walks: a CTMC is refused, naming its discrete chains."""
    from abstractions import consistency_error

    T = ContinuousTimeMarkovChain([[0, 1], [1, 0]])
    with pytest.raises(InvalidTypeError, match="embedded\\(\\) or uniformised\\(\\)"):
        consistency_error(T, Partition.bottom(2))
    assert consistency_error(T.embedded(), Partition.bottom(2)).total == 0


@pytest.mark.parametrize("name", ["tandem", "cluster", "fms"])
def test_benchmark_builder_scales_and_agrees(name):
    """The benchmark builds a scaled shipped model; ours and Storm count the same blocks."""
    require_extra("models")
    from benchmarks import ctmc_models

    model = ctmc_models.MODELS[name]
    value = ctmc_models.constant_for(model, 500)
    assert model.states(value) >= 500
    row = ctmc_models.time_model(ctmc_models.build(name, value), repeats=1)
    assert row["states"] > 100
    assert row["blocks_ours"] == row["blocks_storm"]
