"""networkx: computations from and to graphs, abstract computations as quotient graphs."""

from __future__ import annotations

from fractions import Fraction as F

import networkx as nx
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from abstractions import (
    UNDETERMINED,
    Computation,
    LabelledSystem,
    MarkovChain,
    NondeterministicSystem,
    NotCompleteError,
    Partition,
    TransitionSystem,
    abstract_computation,
    find_violation,
    minimal_complete_abstraction,
    output_abstraction,
)
from abstractions.graphs import from_networkx, quotient_graph, to_networkx, to_scipy
from abstractions.machines import parity_by_counting
from abstractions.strategies import (
    complete_partitions,
    computations,
    partitions,
    transition_systems,
)
from tests.helpers import require_extra


@given(computations(max_states=8))
def test_round_trip_through_networkx(c):
    """from_networkx(to_networkx(C)) == C, inputs and output values included."""
    assert from_networkx(to_networkx(c)) == c
    assert Computation.from_networkx(c.to_networkx()) == c


def test_round_trip_of_named_machine():
    """Tuple state labels survive as node objects and come back as state labels."""
    c = parity_by_counting(2)
    G = c.to_networkx()
    assert set(G.nodes) == set(c.state_labels)
    assert Computation.from_networkx(G) == c


@given(st.data(), computations(max_states=8))
def test_to_networkx_structure(data, c):
    """One edge per state to its step; halted/output/block attributes match the arrays."""
    p = data.draw(partitions(c.n))
    G = c.to_networkx(partition=p)
    assert list(G.nodes) == list(range(c.n))
    assert all(G.out_degree(m) == 1 for m in G.nodes)
    assert sorted(G.edges) == sorted((m, int(c.step[m])) for m in range(c.n))
    for m in range(c.n):
        assert G.nodes[m]["halted"] == bool(c.halted[m])
        assert G.nodes[m]["output"] == c.output_value(m)
        assert G.nodes[m]["block"] == int(p.labels[m])


def test_from_networkx_attributes_and_order():
    """Node order gives state order; node attributes give halting and output."""
    G = nx.DiGraph()
    G.add_node("b", out="B")
    G.add_node("a", out="A", stop=True)
    G.add_edge("b", "a")
    c = Computation.from_networkx(G, halted="stop", output="out")
    assert c.state_labels == ("b", "a")
    np.testing.assert_array_equal(c.step, [1, 1])
    np.testing.assert_array_equal(c.halted, [False, True])
    assert c.run("b") == "A"
    assert c.inputs == {"b": 0, "a": 1}
    # with the attributes switched off: nothing halts, a node with no edge is an error
    with pytest.raises(ValueError, match="node 'a' has out-degree 0"):
        Computation.from_networkx(G, halted=None)
    d = Computation.from_networkx(G, halted="stop", output=None)
    assert d.output_values == ("b", "a")


def test_halted_node_edges():
    """A halted node may have no edge, a self-loop, or an edge that is ignored (absorbing)."""
    for edges in ([], [(1, 1)], [(1, 0)]):
        G = nx.DiGraph([(0, 1)] + edges)
        G.nodes[1]["halted"] = True
        c = Computation.from_networkx(G)
        np.testing.assert_array_equal(c.step, [1, 1])
        assert c.state_labels is None  # nodes 0..n-1 in order are plain indices


def test_inputs_argument():
    """inputs= takes nodes or {value: node}; an unknown node is named."""
    G = nx.DiGraph([("x", "y"), ("y", "y")])
    assert Computation.from_networkx(G, inputs=["x"]).inputs == {"x": 0}
    assert Computation.from_networkx(G, inputs={"go": "x"}).inputs == {"go": 0}
    with pytest.raises(ValueError, match="'z', which is not a node"):
        Computation.from_networkx(G, inputs=["z"])


@pytest.mark.parametrize(
    ("edges", "node", "degree"),
    [
        ([(0, 1), (0, 2), (1, 1), (2, 2)], "0", 2),
        ([(0, 1)], "1", 0),
        ([("a", "b"), ("b", "a"), ("b", "c"), ("c", "c")], "'b'", 2),
    ],
)
def test_out_degree_errors_name_the_node(edges, node, degree):
    """Out-degree other than 1 on a running state is a ValueError naming the node."""
    G = nx.DiGraph(edges)
    with pytest.raises(ValueError, match=f"node {node} has out-degree {degree}"):
        Computation.from_networkx(G)


def test_bad_graphs():
    """Undirected graphs, multigraphs and non-graphs are TypeErrors; partial outputs are named."""
    for G in (nx.Graph([(0, 1)]), nx.MultiDiGraph([(0, 1), (1, 0)]), [(0, 1)]):
        with pytest.raises(TypeError, match="DiGraph"):
            Computation.from_networkx(G)
    G = nx.DiGraph([(0, 1), (1, 0)])
    G.nodes[0]["output"] = "x"
    with pytest.raises(ValueError, match="node 1 has no 'output' attribute"):
        Computation.from_networkx(G)
    with pytest.raises(ValueError, match="partition"):
        Computation([1, 0]).to_networkx(Partition([0, 0, 0]))


@given(st.data(), computations(max_states=8))
def test_quotient_graph_matches_networkx(data, c):
    """For a complete partition, quotient_graph is nx.quotient_graph plus the block self-loops.

    networkx's quotient graph only joins distinct blocks (STYLE rule 10): the
    abstract computation also needs the edge of every block that steps into
    itself, so those are compared separately.
    """
    p = data.draw(complete_partitions(c))
    Q = quotient_graph(c, p)
    A, _ = abstract_computation(c, p)
    blocks = [frozenset(b.tolist()) for b in p.blocks()]
    theirs = nx.quotient_graph(c.to_networkx(), blocks)
    block_id = {b: i for i, b in enumerate(blocks)}
    their_edges = {(block_id[u], block_id[v]) for u, v in theirs.edges}
    ours = set(Q.edges)
    loops = {(b, b) for b in range(p.n_blocks) if A.step[b] == b}
    assert their_edges == ours - loops
    assert {(b, b) for b in range(p.n_blocks) if Q.has_edge(b, b)} == loops
    assert sorted(ours) == sorted(enumerate(A.step.tolist()))
    for b, block in enumerate(blocks):
        assert Q.nodes[b]["states"] == block
        assert Q.nodes[b]["halted"] == bool(A.halted[b])
    # the quotient graph is itself a computation: the abstract one
    again = Computation.from_networkx(Q)
    np.testing.assert_array_equal(again.step, A.step)
    np.testing.assert_array_equal(again.halted, A.halted)


def test_quotient_graph_outputs_and_incomplete():
    """Blocks whose states disagree on the output get UNDETERMINED; incomplete partitions raise."""
    c = Computation([1, 2, 3, 0], output=["a", "b", "a", "c"])
    Q = quotient_graph(c, Partition([0, 1, 0, 1]))
    assert Q.nodes[0]["output"] == "a" and Q.nodes[1]["output"] is UNDETERMINED
    bad = Partition([0, 0, 1, 1])
    assert find_violation(c, bad) is not None
    with pytest.raises(NotCompleteError):
        quotient_graph(c, bad)


# ---------------------------------------------------------------------- every kind, both ways


@given(S=st.one_of(computations(max_states=6),
                   transition_systems(max_states=6, max_symbols=3, partial=True)))
def test_every_kind_round_trips_through_networkx(S):
    """to_networkx then from_networkx gives back the same system, for every kind."""
    assert from_networkx(to_networkx(S)) == S


def test_quotients_round_trip_through_networkx():
    """A quotient (named abstract states, UNDETERMINED outputs) goes out and back equal."""
    M = TransitionSystem.probabilistic(
        [[0, 0.5, 0.5], [0, 1, 0], [0, 0, 1]], output=["s", "t", "t"], state_labels=["a", "b", "c"]
    )
    A, _ = abstract_computation(M, minimal_complete_abstraction(M, output_abstraction(M)))
    G = A.to_networkx()
    assert list(G.nodes) == ["a", "b"]
    assert from_networkx(G) == A


def test_plain_graphs_by_their_shape():
    """A MultiDiGraph with labels is an LTS, weights a Markov chain, branching a relation."""
    L = nx.MultiDiGraph()
    L.add_edges_from(
        [("p", "q", {"label": "a"}), ("p", "q", {"label": "b"}), ("q", "p", {"label": "a"})]
    )
    T = TransitionSystem.from_networkx(L)
    assert isinstance(T, NondeterministicSystem) and T.symbols == ("a", "b")
    assert T.state_labels == ("p", "q") and T.n_transitions == 3
    D = from_networkx(
        nx.MultiDiGraph([(0, 1, {"label": "a"}), (1, 1, {"label": "a"})]), kind="labelled"
    )
    assert isinstance(D, LabelledSystem) and D.steps.tolist() == [[1, 1]]
    W = from_networkx(
        nx.DiGraph(
            [(0, 1, {"weight": F(1, 3)}), (0, 0, {"weight": F(2, 3)}), (1, 1, {"weight": 1})]
        )
    )
    assert isinstance(W, MarkovChain) and W.exact
    R = from_networkx(nx.DiGraph([(0, 1), (0, 0), (1, 1)]))
    assert isinstance(R, NondeterministicSystem) and R.symbols is None
    # out-degree 1 everywhere: still a computation, unless a transition system is asked for
    assert isinstance(from_networkx(nx.DiGraph([(0, 1), (1, 0)])), Computation)
    assert isinstance(
        TransitionSystem.from_networkx(nx.DiGraph([(0, 1), (1, 0)])), NondeterministicSystem
    )


def test_wrong_graphs_name_the_fitting_constructor():
    """Branching points to TransitionSystem.from_networkx; DFA defects named (a gap is none)."""
    with pytest.raises(ValueError, match="TransitionSystem.from_networkx"):
        Computation.from_networkx(nx.DiGraph([(0, 1), (0, 0), (1, 1)]))
    with pytest.raises(TypeError, match="TransitionSystem.from_networkx"):
        Computation.from_networkx(nx.MultiDiGraph([(0, 1, {"label": "a"}), (1, 0, {"label": "a"})]))
    # A node without an edge on an action is a partial DFA, not an error.
    partial = from_networkx(
        nx.MultiDiGraph([(0, 1, {"label": "a"}), (0, 0, {"label": "b"}), (1, 1, {"label": "a"})]),
        kind="labelled",
    )
    assert partial.partial and partial.steps.tolist() == [[1, 1], [0, -1]]
    with pytest.raises(ValueError, match="node 0 has two edges labelled 'a'"):
        from_networkx(
            nx.MultiDiGraph(
                [(0, 1, {"label": "a"}), (0, 0, {"label": "a"}), (1, 1, {"label": "a"})]
            ),
            kind="labelled",
        )
    with pytest.raises(ValueError, match=r"edge \(0, 0\) has no 'weight'"):
        from_networkx(nx.DiGraph([(0, 1, {"weight": 0.5}), (0, 0), (1, 1, {"weight": 1.0})]))
    with pytest.raises(ValueError, match="kind must be one of"):
        from_networkx(nx.DiGraph([(0, 0)]), kind="mdp")


def test_to_scipy_every_kind_and_quotients():
    """to_scipy: the transition matrix of any kind, of one symbol, of quotients, at any size."""
    require_extra("sparse")
    C = Computation([1, 2, 2], halted=[False, False, True])
    assert to_scipy(C).toarray().tolist() == [[0, 1, 0], [0, 0, 1], [0, 0, 1]]
    T = TransitionSystem.nondeterministic([[1], [0, 1]], labels=[["a"], ["b", "c"]])
    assert to_scipy(T).toarray().tolist() == [[0, 1], [1, 1]]
    assert to_scipy(T, symbol="b").toarray().tolist() == [[0, 0], [1, 0]]
    with pytest.raises(ValueError, match="symbol = 'z' is not one of"):
        to_scipy(T, symbol="z")
    n = 20_000  # above the dense limit: a cycle with a self-loop, lumped to one state
    M = TransitionSystem.probabilistic(
        (
            np.arange(0, 2 * n + 1, 2),
            np.stack([(np.arange(n) + 1) % n, np.arange(n)], 1).ravel(),
            np.full(2 * n, 0.5),
        ),
        output=np.zeros(n, dtype=np.int64),
    )
    with pytest.raises(ValueError, match="sparse=True"):
        M.probability_matrix()
    big = M.probability_matrix(sparse=True)
    assert big.shape == (n, n) and big.nnz == 2 * n and np.allclose(big.sum(axis=1), 1)
    A, _ = abstract_computation(M, minimal_complete_abstraction(M, output_abstraction(M)))
    assert A.probability_matrix(sparse=True).toarray().tolist() == [[1.0]]
    exact = TransitionSystem.probabilistic([[F(1, 3), F(2, 3)], [0, 1]])
    assert np.allclose(exact.to_scipy().toarray(), [[1 / 3, 2 / 3], [0, 1]])


def _lts(*edges):
    return nx.MultiDiGraph([(u, v, {"label": a}) for u, v, a in edges])


def test_graphs_without_outputs_observe_nothing():
    """Without an output attribute a transition system's states all look alike: bisimulation."""
    T = TransitionSystem.from_networkx(
        _lts(("i", "p", "coin"), ("i", "q", "coin"), ("p", "i", "tea"), ("q", "i", "tea"))
    )
    assert T.output_values == (None,)
    assert minimal_complete_abstraction(T, output_abstraction(T)).n_blocks == 2
    assert Computation.from_networkx(nx.DiGraph([(0, 1), (1, 0)])).n_outputs == 2  # as before
