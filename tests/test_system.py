"""The System base: what every kind shares, checked on every kind.

Pickling, equality by value, restriction, reachability, inputs and names,
networkx, complete_abstractions and the builders of beta all come from one
place; these tests run each of them on computations and on every kind of
transition system, against definitions written out in tests/naive.py.
"""

from __future__ import annotations

import pickle
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from abstractions import (
    Computation,
    InvalidTypeError,
    InvalidValueError,
    LabelledSystem,
    MarkovChain,
    NondeterministicSystem,
    Partition,
    System,
    TooLargeError,
    TransitionSystem,
    complete_abstractions,
    finish_abstraction,
    halting_abstraction,
    minimal_complete_abstraction,
    output_abstraction,
)
from abstractions.strategies import computations, partitions
from tests import naive
from tests.helpers import labels_of
from tests.test_systems import systems


def _edges(S: System) -> list[tuple[int, int]]:
    """(source, target) of every transition, from the public views."""
    if isinstance(S, Computation):
        return [(m, int(t)) for m, t in enumerate(S.step)]
    return [(s, t) for s in range(S.n) for _, t, _ in S.transitions(s)]


any_system = st.one_of(computations(max_states=8), systems().map(lambda case: case[0]))


@given(any_system)
def test_every_kind_pickles_and_compares_by_value(S):
    """pickle round-trips every kind to an equal object of the same class that still works."""
    copy = pickle.loads(pickle.dumps(S))
    assert type(copy) is type(S) and copy == S and repr(copy) == repr(S)
    beta = output_abstraction(S)
    assert minimal_complete_abstraction(copy, beta) == minimal_complete_abstraction(S, beta)
    with pytest.raises(TypeError):
        hash(S)


def test_equality_is_by_value_and_kind():
    """Equal arguments give equal systems; a different array, value or kind does not."""
    a = TransitionSystem.labelled([[1, 0], [0, 0]], output=["x", "y"])
    assert a == TransitionSystem.labelled([[1, 0], [0, 0]], output=["x", "y"])
    assert a != TransitionSystem.labelled([[1, 0], [0, 1]], output=["x", "y"])
    assert a != TransitionSystem.labelled([[1, 0], [0, 0]], output=["x", "z"])
    assert a != TransitionSystem.nondeterministic([[1, 0], [0]], output=["x", "y"])
    assert TransitionSystem.nondeterministic([[1], [0]]) == NondeterministicSystem([[1], [0]])
    chain = [[0.5, 0.5], [0.0, 1.0]]
    assert MarkovChain(chain) == MarkovChain(chain) != MarkovChain(chain, tol=1e-6)
    assert Computation([1, 0]) != TransitionSystem.from_computation(Computation([1, 0]))


@given(any_system, st.data())
def test_reachable_states_follow_every_transition(S, data):
    """reachable_states is the closure of the inputs' start states under the transitions."""
    starts = data.draw(st.lists(st.integers(0, S.n - 1), min_size=1, max_size=S.n, unique=True))
    same = S.restrict(np.arange(S.n))  # drops only output values no state has
    assert _edges(same) == _edges(S) and same.output_values == tuple(
        dict.fromkeys(S.output_value(m) for m in range(S.n))
    )
    seen = set(starts)
    frontier = list(starts)
    edges = _edges(S)
    while frontier:
        s = frontier.pop()
        for a, b in edges:
            if a == s and b not in seen:
                seen.add(b)
                frontier.append(b)
    if isinstance(S, Computation):
        T = Computation(S.step, halted=S.halted, inputs=starts)
    else:
        T = _with_inputs(S, starts)
    assert T.reachable_states().tolist() == sorted(seen)


def _with_inputs(S: TransitionSystem, starts: list[int]) -> TransitionSystem:
    """The same transition system with the given start states (through the public constructors)."""
    if isinstance(S, LabelledSystem):
        return LabelledSystem(S.steps, output=S.output, output_values=S.output_values,
                              symbols=S.symbols, inputs=starts)
    if isinstance(S, NondeterministicSystem):
        labels = None if S.edge_labels is None else [S.symbols[a] for a in S.edge_labels]
        return NondeterministicSystem((S.indptr, S.targets), labels=labels, output=S.output,
                                      output_values=S.output_values, inputs=starts)
    assert isinstance(S, MarkovChain)
    data = np.array(S.probabilities, dtype=object if S.exact else float)
    return MarkovChain((S.indptr, S.targets, data), tol=S.tol, output=S.output,
                       output_values=S.output_values, inputs=starts)


@given(any_system)
def test_restrict_to_reachable_keeps_the_transitions(S):
    """The restricted system has exactly the transitions among the kept states, renumbered."""
    R, states = S.restrict_to_reachable()
    assert type(R) is type(S) and R.n == len(states)
    old = {(int(states[a]), int(states[b])) for a, b in _edges(R)}
    kept = set(states.tolist())
    assert old == {(a, b) for a, b in _edges(S) if a in kept}
    assert [R.output_value(i) for i in range(R.n)] == [S.output_value(int(m)) for m in states]
    assert R.reachable_states().tolist() == list(range(R.n))


def test_restrict_refuses_a_set_the_transitions_leave():
    """A set that is not closed names a state and the successor outside it."""
    T = TransitionSystem.nondeterministic([[1], [2], [2]], state_labels=["a", "b", "c"])
    with pytest.raises(InvalidValueError, match="holds state 'a' but not its successor 'b'"):
        T.restrict([0, 2])
    assert T.restrict([2]).state_labels == ("c",)


def test_transition_systems_have_inputs_and_names():
    """Inputs and state names work for every kind as for a computation."""
    T = TransitionSystem.labelled({"a": [1, 2, 2], "b": [0, 0, 2]}, inputs={"init": 0},
                                  state_labels=["p", "q", "r"], output=[0, 0, 1])
    assert T.inputs == {"init": 0} and T.start("init") == 0 and T.state_index("r") == 2
    assert T.label(1) == "q" and "'a'->q" in T.table()
    M = TransitionSystem.probabilistic([[0, 1], [1, 0]], inputs=[1])
    assert M.reachable_states().tolist() == [0, 1] and M.input_states.tolist() == [1]
    C = Computation([1, 1], inputs={"go": 0}, state_labels=["s", "t"])
    D = TransitionSystem.from_computation(C)
    assert D.inputs == {"go": 0} and D.state_labels == ("s", "t") and D.steps.tolist() == [[1, 1]]


def test_transitions_lists_symbol_target_weight():
    """transitions(s) yields (symbol, target, weight) for every kind."""
    from fractions import Fraction

    lts = TransitionSystem.nondeterministic([[1, 1], []], labels=[["go", "stop"], []])
    assert list(lts.transitions(0)) == [("go", 1, 1), ("stop", 1, 1)]
    assert list(lts.transitions(1)) == []
    chain = TransitionSystem.probabilistic([[Fraction(1, 3), Fraction(2, 3)], [0, 1]])
    assert list(chain.transitions(0)) == [(None, 0, Fraction(1, 3)), (None, 1, Fraction(2, 3))]


def test_views_a_kind_lacks_are_missing_attributes():
    """hasattr tells the kinds apart; n_transitions replaces the deprecated m."""
    dfa = TransitionSystem.labelled([[1, 0]])
    relation = TransitionSystem.nondeterministic([[1], [0]])
    chain = TransitionSystem.probabilistic([[0, 1], [1, 0]])
    assert hasattr(dfa, "steps") and not hasattr(relation, "steps")
    assert hasattr(chain, "probabilities") and not hasattr(dfa, "probabilities")
    assert not hasattr(chain, "halted") and hasattr(Computation([0]), "halted")
    assert not hasattr(Computation([0]), "successors")
    with pytest.warns(DeprecationWarning, match="n_transitions"):
        assert relation.m == relation.n_transitions == 2


@given(any_system)
def test_to_networkx_has_every_transition(S):
    """to_networkx: a node per state with its output, an edge per transition."""
    G = S.to_networkx(Partition.bottom(S.n))
    assert G.number_of_nodes() == S.n and G.graph["kind"] == S.kind
    assert sorted((int(a), int(b)) for a, b in G.edges()) == sorted(_edges(S))
    assert all(G.nodes[m]["block"] == 0 for m in range(S.n))
    assert [G.nodes[m]["output"] for m in range(S.n)] == [S.output_value(m) for m in range(S.n)]


@given(systems(max_states=6))
def test_quotient_graph_of_every_kind(case):
    """quotient_graph draws the abstract system of the minimal complete abstraction."""
    from abstractions.graphs import quotient_graph

    T, _, _ = case
    P = minimal_complete_abstraction(T, output_abstraction(T))
    G = quotient_graph(T, P)
    assert G.number_of_nodes() == P.n_blocks
    assert set().union(*(G.nodes[b]["states"] for b in G.nodes)) == set(range(T.n))


@given(systems(max_states=6), st.data())
def test_complete_abstractions_of_every_kind_is_brute_force(case, data):
    """complete_abstractions lists exactly the complete partitions above beta."""
    T, edges, how = case
    beta = data.draw(partitions(T.n))
    found = [labels_of(P) for P in complete_abstractions(T, beta)]
    expected = naive.system_complete_partitions_above(edges, T.n, labels_of(beta), how)
    assert sorted(found) == sorted(expected)
    assert found[0] == labels_of(minimal_complete_abstraction(T, beta))


def test_complete_abstractions_is_iterative_and_bounded():
    """No recursion limit for many states, and a huge beta-block is refused at once."""
    n = 3 * sys.getrecursionlimit()
    C = Computation((np.arange(n) + 1) % n)
    assert complete_abstractions(C, Partition.top(n)) == [Partition.top(n)]
    with pytest.raises(TooLargeError, match="max_candidates"):
        complete_abstractions(C)  # B(n) candidates: refused before any search


def test_halting_abstraction_of_every_kind():
    """Computations: the termination map; other kinds: terminal (absorbing or dead) states."""
    assert halting_abstraction(Computation([1, 1], halted=[False, True])).labels.tolist() == [0, 1]
    relation = TransitionSystem.nondeterministic([[1], [], [2], [0, 2]])
    assert labels_of(halting_abstraction(relation)) == [0, 1, 1, 0]
    chain = TransitionSystem.probabilistic([[0.5, 0.5], [0.0, 1.0]])
    assert labels_of(halting_abstraction(chain)) == [0, 1]
    dfa = TransitionSystem.labelled([[1, 1], [0, 1]])
    assert labels_of(halting_abstraction(dfa)) == [0, 1]


def test_finish_abstraction_needs_a_computation():
    """finish_abstraction explains why other kinds have no run to finish."""
    with pytest.raises(InvalidTypeError, match="a labelled system has no single run to finish"):
        finish_abstraction(TransitionSystem.labelled([[1, 0]]))
    with pytest.raises(InvalidTypeError, match="computation must be a Computation, got list"):
        finish_abstraction([0, 1])


def test_the_kinds_are_subclasses_of_one_base():
    """One System base; the constructors return the kind's own class."""
    kinds = [
        (TransitionSystem.labelled([[0]]), LabelledSystem),
        (TransitionSystem.nondeterministic([[0]]), NondeterministicSystem),
        (TransitionSystem.probabilistic([[1]]), MarkovChain),
    ]
    for T, cls in kinds:
        assert type(T) is cls and isinstance(T, TransitionSystem) and isinstance(T, System)
    assert isinstance(Computation([0]), System) and not isinstance(Computation([0]), TransitionSystem)
    with pytest.raises(InvalidTypeError, match="TransitionSystem.labelled"):
        TransitionSystem([[0]])


def test_notebook_view_every_kind():
    """Every kind and Partition show a compact HTML summary; reprs stay one short line when large."""
    from fractions import Fraction

    from abstractions import Computation, Partition, TransitionSystem

    systems = [
        Computation([1, 2, 2], halted=[False, False, True], output=["a", "b", "<c>"]),
        TransitionSystem.labelled({"x": [1, 0, 2]}),
        TransitionSystem.nondeterministic([[1, 2], [], [0]], labels=[["a", "b"], [], ["a"]]),
        TransitionSystem.probabilistic([[0, Fraction(1, 2), Fraction(1, 2)], [0, 1, 0], [0, 0, 1]]),
    ]
    for S in systems:
        html = S._repr_html_()
        assert html.startswith(f"<div><b>{type(S).__name__}</b>: 3 states") and "<table>" in html
        assert html.count("<tr>") == 4  # header and three states
    assert "&lt;c&gt;" in systems[0]._repr_html_()  # escaped
    for S in systems:  # small: a picture too (matplotlib comes with the test extra)
        html = S._repr_html_()
        assert html.count("<svg") == 1 and html.endswith("</svg>\n</div>")
    big = Computation((np.arange(221) + 1) % 221)
    html = big._repr_html_()
    assert "<svg" not in html
    assert html.count("<tr>") == 11 and "211 more states" in html
    P = Partition.from_labels(np.arange(221) % 7)
    assert "\n" not in repr(P) and len(repr(P)) < 80 and "\n" not in repr(big)
    html = P._repr_html_()
    assert "221 states into 7 blocks" in html and "0, 7, 14, 21, 28, 35, 42, 49, ..." in html
    assert "1 block</b>" not in Partition.bottom(1)._repr_html_()
    assert "of 1 state into 1 block<" in Partition.bottom(1)._repr_html_()


def test_messages_speak_python():
    """Wrong ids and flags are described in Python terms, not numpy reprs."""
    from abstractions import Computation, InvalidTypeError

    with pytest.raises(InvalidTypeError) as info:
        Computation(["1", "0"])
    assert str(info.value) == "step must hold integer ids, got strings (step[0] = '1' is of type str)"
    with pytest.raises(InvalidTypeError, match=r"got floats \(step\[1\] = 0.5 is of type float\)"):
        Computation([1.0, 0.5])
    with pytest.raises(InvalidTypeError, match=r"halted must hold booleans, got strings \(halted\[0\] = 'x'\)"):
        Computation([0, 1], halted=["x", "y"])
