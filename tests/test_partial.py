"""Partial and zero-letter DFAs, one-call reachable minimisation, and .zarr in save/load.

A partial DFA's completeness is checked against its definition (a missing
transition is an observation: related states lack the same letters and
step into the same blocks on the others) over every partition of up to 5
states; the minimal abstraction against the least complete partition above
``beta`` found by brute force. :func:`minimize` is checked, for every kind,
against brute force on the reachable part, and the DFA peers (automata-lib,
pyformlang) against our minimisation of the DFA completed with a rejecting
trap state (they minimise languages, where a missing transition rejects).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from abstractions import (
    Computation,
    LabelledSystem,
    Minimized,
    Partition,
    TransitionSystem,
    abstract_computation,
    completion,
    find_violation,
    is_complete,
    load,
    minimal_complete_abstraction,
    minimize,
    output_abstraction,
    save,
)
from abstractions.exceptions import FileFormatError, InvalidTypeError, InvalidValueError
from abstractions.strategies import transition_systems
from tests import naive
from tests.helpers import labels_of, require_extra, require_peer

# --------------------------------------------------------------------------
# The definition, written out.


def _signature(table: list[list[int]], labels: list[int], s: int) -> tuple:
    """Per letter: None without a transition, else the block of the successor."""
    return tuple(None if row[s] < 0 else labels[row[s]] for row in table)


def _complete(table: list[list[int]], labels: list[int]) -> bool:
    n = len(labels)
    return all(
        _signature(table, labels, s) == _signature(table, labels, t)
        for s in range(n)
        for t in range(n)
        if labels[s] == labels[t]
    )


def _least_complete_above(table: list[list[int]], beta: list[int]) -> list[int]:
    n = len(beta)
    found = [p for p in naive.set_partitions(n) if naive.leq(beta, p) and _complete(table, p)]
    return naive.least(found)


@st.composite
def partial_dfas(draw, max_states: int = 5, max_letters: int = 2):
    """A partial step table (-1: missing), 0..max_letters letters, a 0/1 output, start states."""
    n = draw(st.integers(1, max_states))
    k = draw(st.integers(0, max_letters))
    table = [draw(st.lists(st.integers(-1, n - 1), min_size=n, max_size=n)) for _ in range(k)]
    output = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    starts = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=2, unique=True))
    T = LabelledSystem(np.array(table, dtype=np.int64).reshape(k, n), output=output,
                       inputs=starts)
    return T, table


# --------------------------------------------------------------------------
# Building partial and zero-letter DFAs.


def test_missing_transitions_in_every_form():
    """-1, None, a missing key of {state: {symbol: target}} and networkx gaps give one system."""
    by_rows = LabelledSystem({"a": [1, 1, -1], "b": [None, 2, 0]}, output=[0, 1, 1])
    by_array = LabelledSystem(np.array([[1, 1, -1], [-1, 2, 0]]), symbols="ab",
                              output=[0, 1, 1])
    by_states = LabelledSystem({0: {"a": 1}, 1: {"a": 1, "b": 2}, 2: {"b": 0}},
                               output=[0, 1, 1])
    assert by_rows == by_array
    assert by_states.steps.tolist() == by_rows.steps.tolist()
    assert by_states.state_labels == (0, 1, 2)
    assert by_rows.partial and by_rows.n_transitions == 4
    assert by_rows.steps.tolist() == [[1, 1, -1], [-1, 2, 0]]
    assert list(by_rows.transitions(0)) == [("a", 1, 1)]
    assert TransitionSystem.labelled([[1, None]]) == LabelledSystem([[1, -1]])
    text = by_rows.table()
    assert "'a'->1" in text and "'b'->" not in text.splitlines()[1]


def test_state_dicts_name_states_inputs_and_outputs():
    """The automata-lib form: states by name, inputs by name, output by a mapping."""
    D = LabelledSystem(
        {"q0": {"a": "q1", "b": None}, "q1": {"a": "q1"}},
        output={"q1": True, "q0": False},
        inputs=["q0"],
        symbols=["b", "a"],
    )
    assert D.state_labels == ("q0", "q1") and D.symbols == ("b", "a")
    assert D.steps.tolist() == [[-1, -1], [1, 1]]
    assert D.inputs == {0: 0} and [D.output_value(s) for s in range(2)] == [False, True]
    with pytest.raises(InvalidValueError, match="'q2' is not a state"):
        LabelledSystem({"q0": {"a": "q2"}})
    with pytest.raises(InvalidValueError, match="not in symbols"):
        LabelledSystem({"q0": {"c": "q0"}}, symbols=["a"])
    with pytest.raises(InvalidValueError, match="twice"):
        LabelledSystem({"q0": {"a": "q0"}}, state_labels=["x"])
    with pytest.raises(InvalidValueError, match="no value for state 'q1'"):
        LabelledSystem({"q0": {"a": "q1"}, "q1": {}}, output={"q0": 1})
    with pytest.raises(InvalidValueError, match="inputs names 'q9'"):
        LabelledSystem({"q0": {"a": "q0"}}, inputs=["q9"])
    # Positions work too, symbols may be any iterable, and a trap gets a fresh name.
    E = LabelledSystem({"q0": {"a": "q1"}, "q1": {}}, inputs=[0], symbols=iter("a"))
    assert E.inputs == {0: 0} and E.symbols == ("a",)
    F = LabelledSystem({"sink": {"a": "sink"}, "x": {}})
    assert F.with_sink().state_labels == ("sink", "x", "sink_")


def test_bad_missing_markers_are_still_refused():
    """Only -1 and None mean "missing": -2, -1.0, True and out-of-range ids are errors."""
    with pytest.raises(InvalidValueError, match=r"steps\[0\]"):
        LabelledSystem([[0, -2]])
    with pytest.raises(InvalidTypeError, match=r"steps\[0\]"):
        LabelledSystem([[0, -1.0]])
    with pytest.raises(InvalidTypeError, match=r"steps\[0\]"):
        LabelledSystem([[0, True]])
    with pytest.raises(InvalidValueError, match="out of range"):
        LabelledSystem([[0, 2]])


def test_zero_letter_dfas():
    """No letters: the size comes from output, state_labels or n; the minimum is beta itself."""
    T = LabelledSystem({}, output=["x", "y", "x"])
    assert (T.n, T.symbols, T.n_transitions, T.steps.shape, T.partial) == (3, (), 0, (0, 3), False)
    assert LabelledSystem([], n=2).n == 2
    assert LabelledSystem(np.zeros((0, 4), dtype=np.int64)).n == 4
    assert TransitionSystem.labelled([], state_labels=["a", "b"]).n == 2
    beta = output_abstraction(T)
    assert minimal_complete_abstraction(T, beta) == beta
    assert is_complete(T, Partition.bottom(3))
    A, _ = abstract_computation(T, beta)
    assert A.n == 2 and A.symbols == () and A.steps.shape == (0, 2)
    assert minimize(T).system.n == 2
    with pytest.raises(InvalidValueError, match="number of states"):
        LabelledSystem({})
    with pytest.raises(InvalidValueError, match="at least one state"):
        LabelledSystem({}, n=0)
    with pytest.raises(InvalidValueError, match=r"steps\[0\] has length 2, expected 3"):
        LabelledSystem([[0, 1]], n=3)


# --------------------------------------------------------------------------
# The algorithms against the definition.


@given(partial_dfas())
def test_partial_completeness_matches_the_definition(drawn):
    """is_complete, find_violation and completion agree with the definition on every partition."""
    T, table = drawn
    for p in naive.set_partitions(T.n):
        P = Partition(p)
        expected = _complete(table, p)
        assert is_complete(T, P) == expected
        witness = find_violation(T, P)
        assert (witness is None) == expected
        if witness is not None:
            s, t = witness
            assert p[s] == p[t] and _signature(table, p, s) != _signature(table, p, t)
        signature_kernel = naive.canonical(
            [(p[s], _signature(table, p, s)) for s in range(T.n)]
        )
        assert labels_of(completion(T, P)) == signature_kernel


@given(partial_dfas(), st.data())
def test_partial_minimal_is_the_brute_force_least(drawn, data):
    """Every method gives the least complete partition above beta (all partitions searched)."""
    T, table = drawn
    beta = data.draw(st.lists(st.integers(0, 2), min_size=T.n, max_size=T.n))
    truth = _least_complete_above(table, naive.canonical(beta))
    for method in ("auto", "rounds", "splitters", "reference"):
        assert labels_of(minimal_complete_abstraction(T, beta, method=method)) == truth


@given(partial_dfas())
def test_partial_quotient_keeps_missing_transitions_missing(drawn):
    """The quotient's step on a letter is the block of any member's step, or missing for all."""
    T, table = drawn
    P = minimal_complete_abstraction(T, output_abstraction(T))
    A, q = abstract_computation(T, P)
    for a, row in enumerate(table):
        for s in range(T.n):
            got = int(A.steps[a, q.labels[s]])
            assert got == (-1 if row[s] < 0 else int(q.labels[row[s]]))
    assert A.n_transitions == sum(1 for row in A.steps for t in row if t >= 0)


@given(partial_dfas())
def test_restriction_and_trap_state(drawn):
    """Restriction keeps gaps; with_sink adds one distinct trap, one more block when reachable."""
    T, table = drawn
    R, states = T.restrict_to_reachable()
    for a, row in enumerate(table):
        expected = [-1 if row[s] < 0 else int(np.searchsorted(states, row[s])) for s in states]
        assert R.steps[a].tolist() == expected
    S = T.with_sink()
    assert not S.partial
    if not T.partial:
        assert S is T
        return
    assert S.n == T.n + 1 and S.output_value(T.n) == "sink"
    small, big = minimize(T), minimize(S)
    reaches_gap = any(row[s] < 0 for row in table for s in states.tolist())
    assert big.system.n == small.system.n + int(reaches_gap)


def test_fast_paths_are_for_total_dfas_only():
    """The engine's tuple fast path is used only when every state has every letter."""
    total = LabelledSystem([[1, 0], [0, 0]])
    partial = LabelledSystem([[1, 0], [0, -1]])
    assert total._relation().deterministic
    assert not partial._relation().deterministic and partial._relation().partial
    assert not LabelledSystem({}, n=2)._relation().deterministic
    # 0 and 1 agree on "a" into one block; only the gap on "b" tells them apart.
    both = LabelledSystem([[0, 0], [0, -1]], output=[0, 0])
    assert minimal_complete_abstraction(both, Partition.bottom(2)).n_blocks == 2


def test_sink_completion_agrees_with_the_general_rounds_on_larger_dfas():
    """The kernels (gaps into a virtual sink) agree with whole rounds of the LTS signatures."""
    rng = np.random.default_rng(3)
    for n, gaps in ((3000, 0.05), (5000, 0.5), (2000, 0.99)):
        steps = rng.integers(0, n, size=(2, n))
        steps[rng.random(steps.shape) < gaps] = -1
        # A long chain too, so that the splitters (not only the rounds) split it.
        steps[0, : n // 2] = np.arange(1, n // 2 + 1)
        T = LabelledSystem(steps, output=rng.random(n) < 0.01)
        beta = output_abstraction(T)
        general = minimal_complete_abstraction(T, beta, method="rounds")
        assert minimal_complete_abstraction(T, beta) == general
        assert minimal_complete_abstraction(T, beta, method="splitters") == general
        assert is_complete(T, general)


def test_consumers_that_need_every_transition_say_so():
    """Evaluators that follow one successor per letter refuse a partial DFA, naming the gap."""
    from abstractions import consistency_error, first_return
    from abstractions.frontier import coarsen
    from abstractions.machines import sample_strings

    T = LabelledSystem({"a": [1, -1]}, output=[0, 1], inputs=[0])
    for call in (
        lambda: consistency_error(T, Partition.top(2)),
        lambda: first_return(T, [True, True]),
        lambda: sample_strings(T, 2, 1),
        lambda: coarsen(T, Partition.top(2)),
    ):
        with pytest.raises(InvalidValueError, match="state 1 has no transition on 'a'.*with_sink"):
            call()
    assert consistency_error(T.with_sink(), Partition.top(3)).total == 0


def test_networkx_round_trip_of_a_partial_dfa():
    """to_networkx then from_networkx(kind="labelled") gives the partial DFA back."""
    pytest.importorskip("networkx")
    from abstractions.graphs import from_networkx

    T = LabelledSystem({"a": [1, -1, 2], "b": [-1, 2, 0]}, output=[0, 1, 1])
    G = T.to_networkx()
    assert G.number_of_edges() == T.n_transitions
    back = from_networkx(G, kind="labelled")
    assert back.steps.tolist() == T.steps.tolist() and back.symbols == T.symbols


@pytest.mark.parametrize("suffix", [".npz", ".json"])
def test_partial_and_zero_letter_files_round_trip(tmp_path, suffix):
    """save/load keeps gaps (-1) and zero letters."""
    for i, T in enumerate([
        LabelledSystem({"a": [1, -1], "b": [-1, -1]}, output=["x", "y"], inputs=[0]),
        LabelledSystem({}, output=[True, False, True]),
    ]):
        path = tmp_path / f"t{i}{suffix}"
        save(T, path)
        assert load(path) == T


# --------------------------------------------------------------------------
# minimize: every kind, against brute force on the reachable part.


def _edges(S) -> list[tuple]:
    """(source, symbol, target, weight) of every transition, through the public API."""
    if isinstance(S, Computation):
        return [(s, 0, int(t), 1) for s, t in enumerate(S.step.tolist())]
    return [(s, a, t, w) for s in range(S.n) for a, t, w in S.transitions(s)]


def _how(S) -> str:
    return "sum" if S.kind in ("probabilistic", "ctmc") else "exists"


def _check_minimize(S, beta: list[int]) -> None:
    result = minimize(S, beta)
    assert isinstance(result, Minimized)
    states = S.reachable_states()
    assert result.states.tolist() == states.tolist()
    R = S.restrict(states)
    kept = naive.canonical([beta[s] for s in states.tolist()])
    candidates = naive.system_complete_partitions_above(_edges(R), R.n, kept, _how(R))
    assert labels_of(result.partition) == naive.least(candidates)
    assert result.system == abstract_computation(R, result.partition)[0]
    # On the kept states it is the whole system's minimal abstraction, restricted.
    whole = minimal_complete_abstraction(S, beta)
    assert labels_of(result.partition) == naive.canonical(whole.labels[states].tolist())


@given(st.data(), transition_systems(max_states=5, max_symbols=2, exact=True, partial=True))
def test_minimize_every_transition_kind(data, T):
    """Labelled, nondeterministic, Markov: minimize is brute-force minimal on the reachable part."""
    starts = data.draw(st.lists(st.integers(0, T.n - 1), min_size=1, max_size=2, unique=True))
    fields = T.to_dict()
    fields.update(input_values=tuple(range(len(starts))), input_states=np.array(starts))
    S = type(T).from_dict(fields)
    beta = data.draw(st.lists(st.integers(0, 1), min_size=S.n, max_size=S.n))
    _check_minimize(S, beta)


@given(partial_dfas(), st.data())
def test_minimize_partial_dfas(drawn, data):
    """Partial and zero-letter DFAs: minimize is brute-force minimal on the reachable part."""
    T, _ = drawn
    beta = data.draw(st.lists(st.integers(0, 1), min_size=T.n, max_size=T.n))
    _check_minimize(T, beta)


@given(st.data(), st.integers(1, 6))
def test_minimize_computations(data, n):
    """Computations: brute-force minimal on the reachable part; beta defaults to the output."""
    step = data.draw(st.lists(st.integers(0, n - 1), min_size=n, max_size=n))
    output = data.draw(st.lists(st.integers(0, 2), min_size=n, max_size=n))
    C = Computation(step, output=output, inputs=[0])
    _check_minimize(C, output)
    default, given = minimize(C), minimize(C, output_abstraction(C))
    assert default.system == given.system and default.partition == given.partition


def test_minimize_options_and_errors():
    """reachable=False keeps every state; beta is over the whole system; bad arguments named."""
    C = Computation([1, 0, 0, 2], output=[0, 1, 0, 1], inputs=[0])
    everything = minimize(C, reachable=False)
    assert everything.states.tolist() == [0, 1, 2, 3]
    assert everything.partition == minimal_complete_abstraction(C, output_abstraction(C))
    assert minimize(C).states.tolist() == [0, 1]
    with pytest.raises(ValueError, match="beta"):
        minimize(C, [0, 1])
    with pytest.raises(InvalidTypeError, match="reachable"):
        minimize(C, reachable="yes")
    with pytest.raises(InvalidValueError, match="method"):
        minimize(C, method="nope")


# --------------------------------------------------------------------------
# Peers: language minimisation of partial DFAs.


def _accepting_partial(rng: np.random.Generator) -> LabelledSystem:
    n = int(rng.integers(1, 8))
    k = int(rng.integers(1, 3))
    table = rng.integers(-1, n, size=(k, n))
    return LabelledSystem(table, symbols="ab"[:k], output=rng.integers(0, 2, size=n) == 1,
                          inputs=[0])


def _language_minimal_size(T: LabelledSystem) -> tuple[int, bool]:
    """States of the minimal total DFA (missing = into a rejecting trap); has it a dead state?"""
    small = minimize(T.with_sink(False)).system
    # A dead block accepts nothing from itself on: its reachable blocks all reject.
    dead = False
    for b in range(small.n):
        stack, reached = [b], {b}
        while stack:
            x = stack.pop()
            for _, y, _ in small.transitions(x):
                if y not in reached:
                    reached.add(y)
                    stack.append(y)
        if not any(small.output_value(y) is True for y in reached):
            dead = True
    return small.n, dead


def test_automata_lib_partial_minify_agrees():
    """automata-lib (allow_partial=True) minifies to ours minus the dead state it trims.

    automata-lib treats a missing transition as rejecting (language
    equivalence) and drops the block that accepts nothing (the trap and
    every state equivalent to it) from a partial DFA's minimum. So its
    count is that of our minimal *total* DFA (``with_sink(False)``,
    restricted to the reachable states) minus one when that DFA has a dead
    block. Our own partial minimum, where a gap is an observation, is at
    least as large as the trimmed one.
    """
    require_peer("automata-lib")
    from automata.fa.dfa import DFA

    rng = np.random.default_rng(7)
    for seed in range(150):
        T = _accepting_partial(rng)
        symbols = T.symbols
        steps = T.steps
        dfa = DFA(
            states=set(range(T.n)),
            input_symbols=set(symbols),
            transitions={
                s: {a: int(steps[j, s]) for j, a in enumerate(symbols) if steps[j, s] >= 0}
                for s in range(T.n)
            },
            initial_state=0,
            final_states={s for s in range(T.n) if T.output_value(s) is True},
            allow_partial=True,
        )
        size, dead = _language_minimal_size(T)
        peer = len(dfa.minify().states)
        # An empty language keeps one (rejecting) state.
        assert peer == max(size - int(dead), 1), f"seed {seed}"
        assert minimize(T).system.n >= peer, f"seed {seed}"


def test_pyformlang_partial_minimize_agrees():
    """pyformlang's minimize of a partial DFA: our total DFA's count, unless the trash is alone.

    pyformlang completes the reachable part with a "TRASH" state, minimises,
    and keeps the trash block only when a state of the DFA is in it (a
    reachable state that accepts nothing from there on). So its count is
    that of our ``with_sink(False)`` minimum, minus one when the sink is
    reachable and alone in its block.
    """
    require_peer("pyformlang")
    from pyformlang.finite_automaton import DeterministicFiniteAutomaton, State, Symbol

    rng = np.random.default_rng(11)
    for seed in range(150):
        T = _accepting_partial(rng)
        steps = T.steps
        dfa = DeterministicFiniteAutomaton()
        dfa.add_start_state(State(0))
        for s in range(T.n):
            if T.output_value(s) is True:
                dfa.add_final_state(State(s))
            for j, a in enumerate(T.symbols):
                if steps[j, s] >= 0:
                    dfa.add_transition(State(s), Symbol(a), State(int(steps[j, s])))
        ours = minimize(T.with_sink(False))
        kept = ours.states.tolist()
        alone = False
        if T.partial and T.n in kept:
            block = ours.partition.labels[kept.index(T.n)]
            alone = int((ours.partition.labels == block).sum()) == 1
        peer = len(dfa.minimize().states)
        assert peer == ours.system.n - int(alone), f"seed {seed}"


# --------------------------------------------------------------------------
# .zarr in save/load.


def test_zarr_round_trip_through_save_and_load(tmp_path):
    """save(path.zarr) writes the chunked store; load reads a Computation and a Partition back."""
    require_extra("distributed")
    C = Computation([1, 2, 0, 0], halted=[False, False, True, False], output=["a", "b", "a", "c"],
                    inputs={"x": 0, "y": 3}, state_labels=["p", "q", "r", "s"])
    save(C, tmp_path / "c.zarr")
    assert load(tmp_path / "c.zarr") == C
    assert load(str(tmp_path / "c.zarr"), kind=Computation) == C
    P = Partition([0, 1, 0, 2])
    save(P, tmp_path / "p.zarr")
    assert load(tmp_path / "p.zarr") == P
    with pytest.raises(FileFormatError, match="holds a partition, expected a computation"):
        load(tmp_path / "p.zarr", kind=Computation)


@pytest.mark.slow  # about a second per store written
@settings(max_examples=30)
@given(T=transition_systems(max_states=5, max_symbols=2, partial=True))
def test_every_kind_round_trips_through_zarr(tmp_path_factory, T):
    """Labelled (partial too), nondeterministic and Markov systems come back equal from .zarr."""
    require_extra("distributed")
    path = tmp_path_factory.mktemp("zarr") / "t.zarr"
    save(T, path)
    assert load(path) == T
    assert load(path, kind=type(T)) == T


def test_zero_letter_and_named_dfas_round_trip_through_zarr(tmp_path):
    """Zero letters, gaps, tuple names and named inputs survive the chunked store."""
    require_extra("distributed")
    from fractions import Fraction

    for i, T in enumerate([
        LabelledSystem({}, output=[True, False, True]),
        LabelledSystem({"a": [1, -1], "b": [-1, -1]}, output=["x", ("y", 1)],
                       inputs={"go": 0}, state_labels=[("p", 1), "q"]),
        TransitionSystem.probabilistic([[Fraction(1, 3), Fraction(2, 3)], [0, 1]]),
    ]):
        save(T, tmp_path / f"t{i}.zarr")
        assert load(tmp_path / f"t{i}.zarr") == T


def test_truncated_zarr_store_is_rejected(tmp_path):
    """A chunk file cut short makes load fail with a FileFormatError naming the store."""
    require_extra("distributed")
    path = tmp_path / "big.zarr"
    save(Computation(np.roll(np.arange(1000), 1)), path)
    chunks = sorted((path / "step" / "c").iterdir())
    assert chunks
    data = chunks[0].read_bytes()
    chunks[0].write_bytes(data[: len(data) // 2])
    with pytest.raises(FileFormatError, match="big.zarr"):
        load(path)
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "absent.zarr")
    # The fields of another kind are checked the same way, chunk by chunk.
    dfa = tmp_path / "dfa.zarr"
    save(LabelledSystem(np.roll(np.arange(600), 1)[None, :]), dfa)
    chunk = sorted((dfa / "field_steps" / "c").iterdir())[0]
    chunk.write_bytes(chunk.read_bytes()[:-3])
    with pytest.raises(FileFormatError, match="dfa.zarr"):
        load(dfa)


def test_zarr_without_the_extra_names_it(tmp_path, monkeypatch):
    """Without zarr, save and load of .zarr raise an ImportError naming the 'distributed' extra."""
    import sys

    monkeypatch.setitem(sys.modules, "zarr", None)
    with pytest.raises(ImportError, match="'distributed' extra"):
        save(Partition([0, 1]), tmp_path / "p.zarr")
    with pytest.raises(ImportError, match="'distributed' extra"):
        load(tmp_path / "p.zarr")
