"""The peer libraries as benchmark solvers: automata-lib, pyformlang, BisPy, Storm.

Each adapter says, once, how its peer is set up, called on an instance and
read back (see :class:`benchmarks.harness.Solver`):

* ``automata-lib`` and ``pyformlang``: Hopcroft DFA minimisation, on a
  complete DFA (:class:`DFA`) that the job derives from its instance;
* ``bispy``: Paige--Tarjan maximum bisimulation with beta as the initial
  partition, on the instance's transitions (letters forgotten: one edge
  ``s -> step(s)`` per state is exactly our stability condition);
* ``storm`` (stormpy): strong bisimulation of a sparse model built from the
  instance (:func:`storm_model`).

The peers are imported when an adapter is made, so importing this module
needs none of them; :func:`installed` says which are there.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from benchmarks.harness import Instance, Solver

__all__ = [
    "DFA",
    "PEERS",
    "automata_lib",
    "bispy",
    "installed",
    "make_peer",
    "pyformlang",
    "storm",
    "storm_model",
]


@dataclass(frozen=True)
class DFA:
    """A complete DFA: ``steps[a, s]`` is the state after letter ``a`` from state ``s``.

    The answer is read back for the first ``n`` states of the instance; an
    encoding's extra states (numbered after them) are left out.
    """

    steps: np.ndarray  # shape (k, n_states)
    accepting: list[int]

    @property
    def n_states(self) -> int:
        return int(self.steps.shape[1])


def _letter(a: int) -> str:
    """The DFA libraries' name of letter ``a``: "a", "b", ..."""
    return chr(ord("a") + a)


def _blocks_from(labels: Callable[[Any, int], np.ndarray]) -> Callable[[Any, int], int]:
    """The number of blocks, from a labels reader."""
    return lambda result, n: len(set(labels(result, n).tolist()))


def automata_lib(to_dfa: Callable[[Instance], DFA]) -> Solver:
    """automata-lib's Hopcroft (``DFA._minify``) on every state of ``to_dfa(instance)``.

    ``DFA.minify()`` first drops the states unreachable from the initial
    state; its routine ``_minify`` is told that every state is reachable
    (our DFAs are complete, where automata-lib's minimisation is right).
    """
    from automata.base import config
    from automata.fa.dfa import DFA as AutomataDFA

    # Skip validating/freezing the result DFA: bookkeeping, not Hopcroft
    # (this only makes the peer faster).
    config.should_validate_automata = False
    config.allow_mutable_automata = True

    def prepare(inst: Instance) -> Any:
        dfa = to_dfa(inst)
        rows = [(_letter(a), row.tolist()) for a, row in enumerate(dfa.steps)]
        transitions = {s: {a: row[s] for a, row in rows} for s in range(dfa.n_states)}
        return dfa.n_states, {a for a, _ in rows}, transitions, set(dfa.accepting)

    def solve(inp: tuple[Any, ...]) -> Any:
        n_states, letters, transitions, final = inp
        return AutomataDFA._minify(
            reachable_states=set(range(n_states)),
            input_symbols=letters,
            transitions=transitions,
            initial_state=0,
            reachable_final_states=final,
            retain_names=True,  # result states are frozensets of our states
        )

    def labels(dfa: Any, n: int) -> np.ndarray:
        out = np.full(n, -1, dtype=np.int64)
        for j, block in enumerate(dfa.states):
            out[[s for s in block if s < n]] = j
        return out

    return Solver("automata-lib", prepare, solve, labels, _blocks_from(labels))


def pyformlang(to_dfa: Callable[[Instance], DFA]) -> Solver:
    """pyformlang's Hopcroft partition step on every state of ``to_dfa(instance)``."""
    from pyformlang.finite_automaton import DeterministicFiniteAutomaton

    def prepare(inst: Instance) -> Any:
        dfa = to_dfa(inst)
        out = DeterministicFiniteAutomaton()
        for a, row in enumerate(dfa.steps.tolist()):
            out.add_transitions([(s, _letter(a), t) for s, t in enumerate(row)])
        out.add_start_state(0)
        for s in dfa.accepting:
            out.add_final_state(s)
        return out

    def solve(dfa: Any) -> Any:
        # minimize() = Hopcroft over all states (_get_partition), then a
        # rebuild on the states reachable from the start, which would drop
        # states and merge names: time the Hopcroft part, whose partition
        # covers them all.
        return dfa._get_partition()

    def labels(partition: Any, n: int) -> np.ndarray:
        # Blocks in pyformlang's order (canonicalised later); states beyond
        # n and pyformlang's own trash state (None) are left out.
        out = np.full(n, -1, dtype=np.int64)
        for j, group in enumerate(partition.get_groups()):
            out[[s.value for s in group if s is not None and s.value < n]] = j
        return out

    return Solver("pyformlang", prepare, solve, labels, _blocks_from(labels))


def bispy() -> Solver:
    """BisPy's Paige--Tarjan on the instance's transitions, beta as the initial partition.

    Not BisPy's Dovier-Piazza-Policriti variant, which answers wrongly on
    some small systems. BisPy splits blocks by the counterimage
    (predecessors) of a splitter, i.e. s ~ t requires a bisimilar
    successor.
    """
    import networkx as nx
    from bispy import Algorithms, compute_maximum_bisimulation

    def prepare(inst: Instance) -> Any:
        # an "integer graph" (nodes 0..n-1 in order) and beta's blocks
        sources, targets = inst.edges()
        graph = nx.DiGraph()
        graph.add_nodes_from(range(inst.n))
        graph.add_edges_from(zip(sources.tolist(), targets.tolist()))
        order = np.argsort(inst.beta, kind="stable")
        cuts = np.flatnonzero(np.diff(inst.beta[order])) + 1
        return graph, [part.tolist() for part in np.split(order, cuts)]

    def solve(inp: tuple[Any, list[Any]]) -> Any:
        graph, blocks = inp
        return compute_maximum_bisimulation(graph, blocks, algorithm=Algorithms.PaigeTarjan)

    def labels(result: Any, n: int) -> np.ndarray:
        out = np.full(n, -1, dtype=np.int64)
        for j, block in enumerate(result):
            out[list(block)] = j
        return out

    return Solver("bispy", prepare, solve, labels, lambda result, n: len(result))


def storm_model(inst: Instance) -> tuple[Any, bool]:
    """The instance as a Storm sparse model; also whether a sink state was added.

    Labelled: an MDP whose state s has one Dirac choice per letter, in
    letter order. Nondeterministic: an MDP with one Dirac choice per
    successor (a deadlock state: one choice into an extra sink state with
    label ``sink``; Storm's MDPs need a choice in every state).
    Probabilistic: a DTMC. Every state carries ``init`` (so none is
    unreachable) and the label ``b<j>`` of its beta class.
    """
    import stormpy.datastructures as sd
    import stormpy.models as sm

    n = inst.n
    if inst.kind == "labelled":
        assert inst.steps is not None
        k = inst.steps.shape[0]
        cols = inst.steps.T.reshape(-1)  # state-major: s's choices are rows k*s .. k*s+k-1
        group_start = np.arange(0, k * n, k)
        indptr = np.arange(0, k * n + 1)
        values = np.ones(k * n)
        sink = False
    else:
        assert inst.indptr is not None and inst.targets is not None
        cols, indptr = inst.targets, inst.indptr
        deadlocks = np.flatnonzero(np.diff(indptr) == 0)
        sink = inst.kind == "nondeterministic" and deadlocks.size > 0
        if sink:
            # each deadlock state gets the one target n (the sink), which loops
            counts = np.diff(indptr)
            counts[deadlocks] = 1
            cols = np.insert(cols.astype(np.int64), indptr[deadlocks], n)
            cols = np.append(cols, n)
            indptr = np.zeros(n + 2, dtype=np.int64)
            np.cumsum(np.append(counts, 1), out=indptr[1:])
        if inst.kind == "nondeterministic":
            group_start = indptr[:-1]  # row r = the r-th transition
            values = np.ones(cols.shape[0])
            indptr = np.arange(cols.shape[0] + 1)
        else:
            values = inst.probabilities()
    size = n + int(sink)
    rows = np.repeat(np.arange(indptr.shape[0] - 1), np.diff(indptr))
    if inst.kind == "probabilistic":
        builder = sd.SparseMatrixBuilder[float](rows=size, columns=size, entries=rows.shape[0])
        builder.add_next_values(rows.tolist(), cols.tolist(), values.tolist())
    else:
        builder = sd.SparseMatrixBuilder[float](
            rows=indptr.shape[0] - 1,
            columns=size,
            entries=rows.shape[0],
            force_dimensions=True,
            has_custom_row_grouping=True,
            row_groups=size,
        )
        builder.add_next_values(
            rows.tolist(), cols.tolist(), values.tolist(), group_start.tolist()
        )
    labeling = sm.StateLabeling(size)
    labeling.add_label("init")
    labeling.set_states("init", sd.BitVector(size, True))
    for j in range(int(inst.beta.max(initial=-1)) + 1):
        labeling.add_label(f"b{j}")
        labeling.set_states(f"b{j}", sd.BitVector(size, np.flatnonzero(inst.beta == j).tolist()))
    if sink:
        labeling.add_label("sink")
        labeling.set_states("sink", sd.BitVector(size, [n]))
    components = sm.SparseModelComponents[float](
        transition_matrix=builder.build(), state_labeling=labeling
    )
    if inst.kind == "probabilistic":
        return sm.SparseDtmc[float](components), sink
    return sm.SparseMdp[float](components), sink


def storm() -> Solver:
    """Storm's strong bisimulation; it exposes the number of blocks only.

    No formula is passed, so Storm's initial partition is every label but
    ``init``: beta. For a labelled system the bisimulation is *action
    sensitive* (choice i of one state is matched only with choice i of
    another, i.e. letter by letter); Storm's default compares the sets of
    choices, which would identify ``a -> x, b -> y`` with ``a -> y, b -> x``.
    """
    import stormpy.transformations as st

    def prepare(inst: Instance) -> Any:
        model, sink = storm_model(inst)
        options = st.BisimulationOptions()
        options.bisimulation_type = st.BisimulationType.STRONG
        # a relation's successors are a set, unordered
        options.action_sensitive = inst.kind == "labelled"
        return model, options, sink

    def solve(inp: Any) -> Any:
        model, options, sink = inp
        return st.perform_bisimulation(model, [], options=options), sink

    def blocks(result: Any, n: int) -> int:
        quotient, sink = result
        return int(quotient.nr_states) - int(sink)

    return Solver("storm", prepare, solve, None, blocks)


#: Each peer and the module it needs.
PEERS: dict[str, str] = {
    "automata-lib": "automata",
    "bispy": "bispy",
    "pyformlang": "pyformlang",
    "storm": "stormpy",
}


def installed(peer: str) -> bool:
    """Whether ``peer``'s library can be imported here."""
    return importlib.util.find_spec(PEERS[peer]) is not None


def make_peer(name: str, to_dfa: Callable[[Instance], DFA]) -> Solver:
    """The peer solver ``name``; the DFA tools read ``to_dfa(instance)``."""
    if name == "automata-lib":
        return automata_lib(to_dfa)
    if name == "pyformlang":
        return pyformlang(to_dfa)
    if name == "bispy":
        return bispy()
    if name == "storm":
        return storm()
    raise ValueError(f"unknown peer {name!r}; choose from {', '.join(PEERS)}")
