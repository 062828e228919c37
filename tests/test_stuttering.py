"""Stuttering abstractions: functions, branching bisimulation, weak bisimulation."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from abstractions import (
    AbstractionsError,
    Computation,
    InvalidTypeError,
    InvalidValueError,
    Partition,
    SizeMismatchError,
    TransitionSystem,
    halting_abstraction,
    minimal_complete_abstraction,
    output_abstraction,
    stuttering_abstraction,
)
from abstractions._engine import stuttering as stuttering_engine
from abstractions._engine.relation import Relation
from abstractions._engine.stuttering import branching_classes
from abstractions._kernels import (
    _branching_round,
    _next_change,
    _saturate,
    _silent_scc,
)
from abstractions.strategies import computations, transition_systems
from tests import naive


def _ints(xs) -> np.ndarray:
    return np.ascontiguousarray(np.array(xs, dtype=np.int64).reshape(-1))


def edges_of(T) -> list[tuple]:
    """(source, action, target) triples of a transition system (action None if unlabelled)."""
    out = []
    for s in range(T.n):
        for j in range(T.indptr[s], T.indptr[s + 1]):
            a = None if T.edge_labels is None else T.symbols[T.edge_labels[j]]
            out.append((s, a, int(T.targets[j])))
    return out


def lts(n, edges, output=None):
    """A NondeterministicSystem from (source, action, target) triples (action None: unlabelled)."""
    successors: list[list[int]] = [[] for _ in range(n)]
    actions: list[list] = [[] for _ in range(n)]
    for s, a, t in edges:
        successors[s].append(t)
        actions[s].append(a)
    labels = actions if any(a is not None for _, a, _ in edges) else None
    return TransitionSystem.nondeterministic(successors, labels=labels, output=output)


def as_relation_of_runs(C):
    """A computation as a relation: every step silent, halted states deadlocked."""
    return [(m, None, int(C.step[m])) for m in range(C.n) if not C.halted[m]]


@st.composite
def small_ltss(draw, max_n=6, actions=("tau", "a", "b")):
    n = draw(st.integers(1, max_n))
    edges = draw(
        st.lists(
            st.tuples(st.integers(0, n - 1), st.sampled_from(actions), st.integers(0, n - 1)),
            max_size=3 * n,
            unique=True,
        )
    )
    beta = naive.canonical(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    return n, edges, beta


# ------------------------------------------------------------------ kernels


@st.composite
def functions_with_labels(draw, max_n=10):
    n = draw(st.integers(0, max_n))
    step = draw(st.lists(st.integers(0, n - 1), min_size=n, max_size=n)) if n else []
    labels = draw(st.lists(st.integers(0, 2), min_size=n, max_size=n))
    halted = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    step = [m if h else s for m, (s, h) in enumerate(zip(step, halted))]
    return step, labels, halted


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
@given(data=functions_with_labels(), sensitive=st.booleans())
def test_next_change_matches_naive(data, sensitive, dtype):
    """_next_change: the first state of another block, or the end (halted / diverged)."""
    step, labels, halted = data
    n = len(step)
    diverged = n + 1 if sensitive else n
    got = _next_change(_ints(step), _ints(labels), np.array(halted, dtype=bool), n, diverged,
                       np.empty(0, dtype=dtype))
    assert got.tolist() == naive.next_change(step, labels, halted, n, diverged)


@st.composite
def graphs_with_flags(draw, max_n=8):
    n = draw(st.integers(0, max_n))
    successors = [draw(st.lists(st.integers(0, n - 1), max_size=3)) for _ in range(n)] if n else []
    indptr = np.zeros(n + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(r) for r in successors])
    targets = _ints([t for r in successors for t in r])
    inert = np.array(draw(st.lists(st.booleans(), min_size=len(targets), max_size=len(targets))),
                     dtype=bool)
    return indptr, targets, inert


@given(graphs_with_flags())
def test_silent_scc_matches_naive(data):
    """_silent_scc: mutual reachability classes, sinks first, cycle flags."""
    indptr, targets, inert = data
    n = indptr.shape[0] - 1
    comp, cyclic, count = _silent_scc(indptr, targets, inert)
    edges = [(s, "tau" if inert[j] else "a", int(targets[j]))
             for s in range(n) for j in range(indptr[s], indptr[s + 1])]
    expected, expected_cyclic = naive.silent_components(n, edges, [0] * n, "tau")
    assert naive.canonical(comp.tolist()) == expected
    assert count == len(set(expected))
    for s, a, t in edges:
        if a == "tau":
            assert comp[s] >= comp[t]  # sinks first: a topological order
    for u in range(n):
        assert bool(cyclic[comp[u]]) == expected_cyclic[expected[u]]


@given(small_ltss(max_n=7), st.booleans())
def test_branching_round_matches_naive(data, sensitive):
    """_branching_round splits nodes by (label, branching signature), on an acyclic inert graph."""
    n, edges, beta = data
    # Keep the silent steps inside a block acyclic: only downwards.
    edges = [(s, a, t) for s, a, t in edges if not (a == "tau" and beta[s] == beta[t] and t >= s)]
    names = ("tau", "a", "b")
    edges.sort(key=lambda e: (e[0], names.index(e[1]), e[2]))
    indptr = np.zeros(n + 1, dtype=np.int64)
    for s, _, _ in edges:
        indptr[s + 1] += 1
    indptr = np.cumsum(indptr)
    targets = _ints([t for _, _, t in edges])
    symbols = _ints([names.index(a) for _, a, _ in edges])
    cyclic = [bool(c) for c in np.random.default_rng(n).random(n) < 0.3]
    new, count, work = _branching_round(
        indptr, targets, symbols, 0, np.array(cyclic), _ints(beta), max(beta) + 1, sensitive,
        10**9,
    )
    expected = naive.branching_round(n, edges, beta, "tau", cyclic, sensitive)
    assert naive.canonical(new.tolist()) == expected
    assert count == len(set(expected))


@given(small_ltss(max_n=7), st.booleans())
def test_saturate_matches_naive(data, sensitive):
    """_saturate: each node's non-inert moves after inert steps, sorted, once each."""
    n, edges, beta = data
    edges = [(s, a, t) for s, a, t in edges if not (a == "tau" and beta[s] == beta[t] and t >= s)]
    names = ("tau", "a", "b")
    edges.sort(key=lambda e: (e[0], names.index(e[1]), e[2]))
    indptr = np.cumsum([0] + [sum(1 for e in edges if e[0] == u) for u in range(n)])
    cyclic = [bool(c) for c in np.random.default_rng(n).random(n) < 0.3]
    args = (_ints(indptr), _ints([t for _, _, t in edges]),
            _ints([names.index(a) for _, a, _ in edges]), 0, np.array(cyclic), _ints(beta),
            sensitive)
    ptr, targets, symbols, div, done = _saturate(*args, 10**6)
    assert done
    expected, expected_div = naive.saturate(n, edges, beta, "tau", cyclic, sensitive)
    for v in range(n):
        row = [(names[a], t) for a, t in zip(symbols[ptr[v]:ptr[v + 1]].tolist(),
                                              targets[ptr[v]:ptr[v + 1]].tolist())]
        assert row == sorted(expected[v], key=lambda e: (names.index(e[0]), e[1]))
    assert div.tolist() == expected_div
    size = sum(len(moves) for moves in expected)
    assert _saturate(*args, 0)[4] == (size == 0)  # over the limit: refused


# ------------------------------------------------------------------ one function


@given(computations(max_states=9, max_outputs=3), st.booleans())
def test_function_stuttering_is_collapsed_trace_equality(C, sensitive):
    """Related states of a computation have one collapsed trace through beta, ending alike."""
    beta = output_abstraction(C)
    P = stuttering_abstraction(C, beta, divergence="sensitive" if sensitive else "blind")
    expected = naive.stuttering_classes(
        C.step.tolist(), C.halted.tolist(), beta.labels.tolist(), sensitive
    )
    assert P.labels.tolist() == expected


def test_function_stuttering_on_every_small_computation():
    """Exhaustive: every computation on at most 3 states, every halted set, every beta."""
    for n in range(1, 4):
        for step in itertools.product(range(n), repeat=n):
            for halted in itertools.product([False, True], repeat=n):
                C = Computation(list(step), halted=list(halted))
                for beta in naive.set_partitions(n):
                    for sensitive in (True, False):
                        P = stuttering_abstraction(
                            C, beta, divergence="sensitive" if sensitive else "blind"
                        )
                        expected = naive.stuttering_classes(
                            C.step.tolist(), list(halted), beta, sensitive
                        )
                        assert P.labels.tolist() == expected, (step, halted, beta, sensitive)


@given(computations(max_states=6, max_outputs=2), st.booleans())
def test_function_stuttering_is_branching_bisimulation_of_its_runs(C, sensitive):
    """A computation is a relation whose steps are all silent and whose halted states deadlock."""
    beta = output_abstraction(C)
    P = stuttering_abstraction(C, beta, divergence="sensitive" if sensitive else "blind")
    expected = naive.branching_bisimilarity(
        C.n, as_relation_of_runs(C), beta.labels.tolist(), None, sensitive
    )
    assert P.labels.tolist() == expected


@given(computations(min_states=1, max_states=40, max_outputs=3), st.booleans())
def test_function_fast_path_matches_the_general_engine(C, sensitive):
    """The O(n) "next change" reduction equals branching signatures on the relation of runs."""
    beta = output_abstraction(C)
    P = stuttering_abstraction(C, beta, divergence="sensitive" if sensitive else "blind")
    moves = [m for m in range(C.n) if not C.halted[m]]
    indptr = np.zeros(C.n + 1, dtype=np.int64)
    indptr[1:] = np.cumsum(~C.halted)
    rel = Relation(indptr, _ints(C.step[moves]), "exists")
    labels, count = branching_classes(rel, beta.labels, beta.n_blocks, -1, sensitive)
    assert P.labels.tolist() == labels.tolist() and P.n_blocks == count


def test_halting_is_termination_not_divergence():
    """A halted state ends its trace; a silent cycle diverges (told apart when sensitive)."""
    # 0 halts; 1 cycles on itself without halting; both show the same block.
    C = Computation([0, 1], halted=[True, False])
    assert stuttering_abstraction(C, [0, 0]).n_blocks == 2
    assert stuttering_abstraction(C, [0, 0], divergence="blind").n_blocks == 1


def test_stuttering_is_coarser_than_minimal_complete():
    """Stuttering is coarser than the minimal complete abstraction when beta sees halting.

    (Otherwise it is not: the minimal complete abstraction does not tell a
    halted state from a silent cycle with the same block, stuttering does.)
    """
    rng = np.random.default_rng(1)
    for _ in range(20):
        n = 30
        C = Computation(rng.integers(0, n, n), halted=rng.random(n) < 0.1)
        beta = Partition.from_labels(rng.integers(0, 3, n))
        blind = stuttering_abstraction(C, beta, divergence="blind")
        assert beta <= blind <= minimal_complete_abstraction(C, beta)
        beta = beta | halting_abstraction(C)
        assert beta <= stuttering_abstraction(C, beta) <= minimal_complete_abstraction(C, beta)


# ------------------------------------------------------------------ branching bisimulation


@given(small_ltss(), st.booleans())
def test_branching_matches_brute_force(data, sensitive):
    """The coarsest branching bisimulation equals brute force over every partition above beta."""
    n, edges, beta = data
    assume(any(a == "tau" for _, a, _ in edges))
    T = lts(n, edges)
    P = stuttering_abstraction(
        T, beta, silent="tau", divergence="sensitive" if sensitive else "blind"
    )
    expected = naive.branching_bisimilarity(n, edges_of(T), beta, "tau", sensitive)
    assert P.labels.tolist() == expected
    # The second phase alone (the constellation algorithm) agrees, and so
    # does the saturating phase 2 that it replaced.
    tau = T.symbols.index("tau")
    alone, _ = branching_classes(T._relation(), _ints(beta), max(beta) + 1, tau, sensitive,
                                 rounds=False)
    assert alone.tolist() == expected
    saturated, _ = branching_classes(T._relation(), _ints(beta), max(beta) + 1, tau,
                                     sensitive, rounds=False, finish="saturate")
    assert saturated.tolist() == expected


def _every_lts(n, actions):
    """Every LTS on n states over the actions (each possible transition present or not)."""
    possible = [(s, a, t) for s in range(n) for a in actions for t in range(n)]
    for chosen in itertools.product([False, True], repeat=len(possible)):
        yield [e for e, keep in zip(possible, chosen) if keep]


def test_branching_on_every_two_state_lts():
    """Exhaustive: every LTS on 2 states over {tau, a}, every beta, both divergence modes."""
    for edges in _every_lts(2, ("tau", "a")):
        # Both actions always occur as labels (a dummy self-loop on a third state
        # would change the system), so spell the labels out only when present.
        if not any(a == "tau" for _, a, _ in edges):
            continue
        T = lts(2, edges)
        for beta in naive.set_partitions(2):
            for sensitive in (True, False):
                P = stuttering_abstraction(
                    T, beta, silent="tau", divergence="sensitive" if sensitive else "blind"
                )
                expected = naive.branching_bisimilarity(2, edges_of(T), beta, "tau", sensitive)
                assert P.labels.tolist() == expected, (edges, beta, sensitive)
                alone, _ = branching_classes(T._relation(), _ints(beta), max(beta) + 1,
                                             T.symbols.index("tau"), sensitive, rounds=False)
                assert alone.tolist() == expected, (edges, beta, sensitive)


@pytest.mark.slow  # exhaustive: every Kripke structure on 3 states
def test_stuttering_on_every_three_state_kripke_structure():
    """Exhaustive: every relation on 3 states (all steps silent), every beta, both modes."""
    for edges in _every_lts(3, (None,)):
        T = lts(3, edges)
        for beta in naive.set_partitions(3):
            for sensitive in (True, False):
                P = stuttering_abstraction(
                    T, beta, divergence="sensitive" if sensitive else "blind"
                )
                expected = naive.branching_bisimilarity(3, edges, beta, None, sensitive)
                assert P.labels.tolist() == expected, (edges, beta, sensitive)
                alone, _ = branching_classes(T._relation(), _ints(beta), max(beta) + 1, -1,
                                             sensitive, rounds=False)
                assert alone.tolist() == expected, (edges, beta, sensitive)


def test_groote_vaandrager_with_one_block():
    """beta of one block: the classic examples of branching bisimulation."""
    # 0 = tau.a, 1 = a, 2 = 0 (deadlock), 3 = tau.a + b, 4 = a + tau.b.(a + b) ...
    T = lts(4, [(0, "tau", 1), (1, "a", 2), (3, "tau", 1), (3, "b", 2)])
    assert stuttering_abstraction(T, Partition.bottom(4), silent="tau").labels.tolist() == [
        0, 0, 1, 2
    ]
    # a.(tau.b + c) + a.c  vs  a.(b + c)... the tau that loses an option is not inert:
    # 0 -tau-> 1, 0 -c-> 2, 1 -b-> 2: 0 and 1 differ (0 can still do c).
    U = lts(3, [(0, "tau", 1), (0, "c", 2), (1, "b", 2)])
    assert stuttering_abstraction(U, Partition.bottom(3), silent="tau").n_blocks == 3
    # A silent cycle is divergence: tau-loop vs deadlock.
    V = lts(2, [(0, "tau", 0), (1, "a", 1)])
    sensitive = stuttering_abstraction(V, [0, 0, ], silent="tau")
    assert sensitive.n_blocks == 2


def test_divergence_modes_differ_on_a_silent_loop():
    """A state with a silent self-loop is a deadlock when blind, not when sensitive."""
    T = lts(3, [(0, "tau", 0), (2, "a", 2)])
    assert stuttering_abstraction(T, [0, 0, 0], silent="tau").labels.tolist() == [0, 1, 2]
    blind = stuttering_abstraction(T, [0, 0, 0], silent="tau", divergence="blind")
    assert blind.labels.tolist() == [0, 0, 1]


def test_branching_on_labelled_systems():
    """A labelled system with a silent letter is an LTS with one transition per letter."""
    T = TransitionSystem.labelled({"i": [1, 2, 2], "go": [0, 0, 2]}, output=[0, 0, 1])
    P = stuttering_abstraction(T, output_abstraction(T), silent="i")
    expected = naive.branching_bisimilarity(3, edges_of(T), [0, 0, 1], "i", True)
    assert P.labels.tolist() == expected


@given(small_ltss(), st.booleans())
def test_branching_when_saturation_is_too_large(data, sensitive):
    """With no room to saturate, signature rounds alone reach the same answer."""
    n, edges, beta = data
    assume(any(a == "tau" for _, a, _ in edges))
    T = lts(n, edges)
    tau = T.symbols.index("tau")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(stuttering_engine, "_SATURATION_FACTOR", 0)
        patch.setattr(stuttering_engine, "_SATURATION_SLACK", 0)
        alone, _ = branching_classes(T._relation(), _ints(beta), max(beta) + 1, tau, sensitive,
                                     rounds=False, finish="saturate")
    assert alone.tolist() == naive.branching_bisimilarity(n, edges_of(T), beta, "tau", sensitive)


def test_long_chains_take_one_strong_refinement():
    """A chain of 20000 visible steps is not 20000 rounds: the strong engine finishes it."""
    n = 20_000
    edges = [(s, "a", s + 1) for s in range(n - 1)] + [(0, "tau", 0)]
    T = lts(n, edges)
    beta = np.zeros(n, dtype=np.int64)
    beta[-1] = 1
    P = stuttering_abstraction(T, beta, silent="tau")
    assert P.n_blocks == n  # every state is its distance to the end
    assert stuttering_abstraction(T, beta, silent="tau", divergence="blind").n_blocks == n


# ------------------------------------------------------------------ bad input


def test_silent_not_among_the_labels():
    """A silent action that is not a label is refused, naming it and the labels."""
    T = lts(2, [(0, "a", 1)])
    with pytest.raises(InvalidValueError, match=r"silent='tau' is not among the labels.*'a'"):
        stuttering_abstraction(T, [0, 0], silent="tau")


def test_silent_is_needed_exactly_when_there_are_labels():
    """Labelled systems need silent=; systems without labels refuse it."""
    with pytest.raises(InvalidValueError, match="say which one is the silent step"):
        stuttering_abstraction(lts(2, [(0, "a", 1)]), [0, 0])
    with pytest.raises(InvalidValueError, match="no action labels"):
        stuttering_abstraction(Computation([1, 0]), [0, 0], silent="tau")
    with pytest.raises(InvalidValueError, match="no action labels"):
        stuttering_abstraction(lts(2, [(0, None, 1)]), [0, 0], silent=0)


@pytest.mark.parametrize("divergence, error", [("strong", InvalidValueError),
                                               (True, InvalidTypeError),
                                               (None, InvalidTypeError)])
def test_bad_divergence(divergence, error):
    """divergence must be 'sensitive' or 'blind'."""
    with pytest.raises(error, match="divergence") as info:
        stuttering_abstraction(Computation([1, 0]), [0, 0], divergence=divergence)
    assert isinstance(info.value, AbstractionsError)


def test_beta_of_the_wrong_size():
    """beta over another number of states is a SizeMismatchError."""
    with pytest.raises(SizeMismatchError):
        stuttering_abstraction(Computation([1, 0]), [0, 0, 0])


# ------------------------------------------------------------------ weak bisimulation


def _matrix(T):
    return [list(row) for row in T.probability_matrix()]


@given(transition_systems(kinds=["probabilistic"], max_states=6, exact=True))
def test_weak_bisimulation_matches_brute_force(T):
    """Exact chains: the coarsest weak bisimulation above the output, by brute force."""
    beta = output_abstraction(T)
    P = stuttering_abstraction(T, beta)
    assert P.labels.tolist() == naive.weak_bisimilarity(_matrix(T), beta.labels.tolist())


@given(transition_systems(kinds=["probabilistic"], max_states=6, exact=False))
def test_weak_bisimulation_float_chains(T):
    """Float chains (weights 1-3 over their total) give the exact answer."""
    beta = output_abstraction(T)
    P = stuttering_abstraction(T, beta)
    exact = [[Fraction(x).limit_denominator(100) for x in row] for row in _matrix(T)]
    assert P.labels.tolist() == naive.weak_bisimilarity(exact, beta.labels.tolist())


def test_weak_bisimulation_examples():
    """A detour through a self-loop is invisible; a state that cannot leave is not."""
    # 0 -> 1 (1/2 stay, 1/2 on to 2); 2 absorbing; 3 absorbing with 0's label.
    half = Fraction(1, 2)
    T = TransitionSystem.probabilistic(
        [[0, 1, 0, 0], [0, half, half, 0], [0, 0, 1, 0], [0, 0, 0, 1]],
        output=["x", "x", "y", "x"],
    )
    P = stuttering_abstraction(T, output_abstraction(T))
    assert P.labels.tolist() == [0, 0, 1, 2]
    with pytest.raises(InvalidValueError, match="blind"):
        stuttering_abstraction(T, output_abstraction(T), divergence="blind")
    with pytest.raises(InvalidValueError, match="no action labels"):
        stuttering_abstraction(T, output_abstraction(T), silent="tau")


def _storm_weak_blocks(T, beta):
    """Storm's weak bisimulation quotient size (an explicit-format DTMC, every state initial)."""
    stormpy = pytest.importorskip("stormpy")
    import tempfile
    from pathlib import Path

    from stormpy.transformations import (
        BisimulationOptions,
        BisimulationType,
        StateLabelPreservation,
    )

    folder = Path(tempfile.mkdtemp())
    lines = ["dtmc"]
    for s in range(T.n):
        for _, t, p in T.transitions(s):
            lines.append(f"{s} {t} {float(p)!r}")
    (folder / "m.tra").write_text("\n".join(lines) + "\n")
    names = " ".join(f"b{b}" for b in range(beta.n_blocks))
    rows = [f"{s} init b{beta.labels[s]}" for s in range(T.n)]
    (folder / "m.lab").write_text(f"#DECLARATION\ninit {names}\n#END\n" + "\n".join(rows) + "\n")
    model = stormpy.build_model_from_explicit(str(folder / "m.tra"), str(folder / "m.lab"))
    options = BisimulationOptions()
    options.bisimulation_type = BisimulationType.WEAK
    options.state_label_preservation = StateLabelPreservation.ALL
    return stormpy.transformations.perform_bisimulation(model, [], options=options).nr_states


def test_weak_bisimulation_agrees_with_storm():
    """Random chains of up to 40 states: as many classes as Storm's weak bisimulation, and a
    weak bisimulation by the definition (so the same partition: Storm's is one too, and ours is
    the coarsest)."""
    rng = np.random.default_rng(7)
    for trial in range(40):
        n = int(rng.integers(2, 41))
        rows = []
        for s in range(n):
            k = int(rng.integers(1, 4))
            targets = rng.integers(0, n, k)
            # Mostly short hops inside a small window, so silent paths are common.
            if rng.random() < 0.7:
                targets = np.minimum(s + rng.integers(0, 3, k), n - 1)
            weights = rng.integers(1, 4, k)
            row = [Fraction(0)] * n
            for t, w in zip(targets.tolist(), weights.tolist()):
                row[t] += Fraction(w, int(weights.sum()))
            rows.append(row)
        T = TransitionSystem.probabilistic(rows)
        beta = Partition.from_labels(rng.integers(0, 2, n))
        P = stuttering_abstraction(T, beta)
        assert P.n_blocks == _storm_weak_blocks(T, beta), trial
        if n <= 12:
            assert naive.is_weak_bisimulation(rows, P.labels.tolist())
