"""Systems as networkx graphs, and abstract systems as quotient graphs.

A computation is a functional graph: every state has exactly one successor.
:func:`from_networkx` reads such a :class:`networkx.DiGraph` (nodes become
states, node attributes give halting and output). :func:`to_networkx`
writes any kind of system (a computation as a ``DiGraph``, a labelled
system or LTS as a ``MultiDiGraph`` with a ``label`` per edge, a Markov
chain with a ``weight`` per edge), and :func:`quotient_graph` draws the
abstract system of a complete partition as a graph on the blocks.

This module uses only the public names of :mod:`abstractions`.

networkx is imported when one of these functions is called, never by
``import abstractions``.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from typing import Any

import numpy as np

from abstractions.completeness import abstract_computation
from abstractions.computation import Computation
from abstractions.exceptions import InvalidTypeError, InvalidValueError, SizeMismatchError
from abstractions.partition import Partition
from abstractions.system import System, as_system
from abstractions.systems import TransitionSystem

__all__ = ["from_networkx", "to_networkx", "quotient_graph"]


def _require_digraph(G: Any) -> Any:
    # networkx ships no types; unused-ignore keeps this valid where the mypy
    # configuration already ignores its missing imports
    import networkx as nx  # type: ignore[import-untyped,unused-ignore]

    if not isinstance(G, nx.DiGraph) or G.is_multigraph():
        raise InvalidTypeError(
            f"G must be a networkx.DiGraph (one edge per state: its step), got {type(G).__name__}"
        )
    return nx


def from_networkx(
    G: Any,
    *,
    halted: str | None = "halted",
    output: str | None = "output",
    inputs: Mapping[Any, Hashable] | Iterable[Hashable] | None = None,
) -> Computation:
    """Build a computation from a directed graph whose edges are the steps.

    Parameters
    ----------
    G : networkx.DiGraph
        Nodes are the states, in ``G``'s node order, and the node objects
        become the state labels (unless they are exactly ``0 .. n-1`` in
        order: then states are known by index, as in ``Computation(step)``).
        Every node that is not halted has out-degree 1: its one edge is its
        step. A halted node has out-degree 0, a self-loop, or one edge that
        is ignored (halted states are absorbing, as in
        :class:`~abstractions.Computation`).
    halted : str or None, default "halted"
        Node attribute marking the halted states (truthy: halted; missing:
        not halted). None: no state halts.
    output : str or None, default "output"
        Node attribute holding each state's output value. If no node has
        it (or ``output`` is None) the output is the state itself; if some
        nodes have it, every node must. ``G.graph["output_values"]``, as
        written by :func:`to_networkx`, fixes the order of output values.
    inputs : mapping or iterable, optional
        ``{input value: node}``, or nodes that are inputs (each its own
        value). By default ``G.graph["inputs"]`` when present (as written by
        :func:`to_networkx`), otherwise every node is an input.

    Returns
    -------
    Computation

    Raises
    ------
    InvalidValueError
        If a node that is not halted has out-degree other than 1 (the
        message names the node and its successors), an input names no
        node, or only some nodes have an output.
    InvalidTypeError
        If ``G`` is not a ``networkx.DiGraph`` (multigraphs included).

    See Also
    --------
    to_networkx, Computation.from_functions

    Examples
    --------
    >>> import networkx as nx
    >>> from abstractions import Computation
    >>> G = nx.DiGraph([("start", "middle"), ("middle", "end")])
    >>> G.nodes["end"]["halted"] = True
    >>> C = Computation.from_networkx(G)
    >>> C.state_labels, C.run("start")
    (('start', 'middle', 'end'), 'end')
    >>> G.add_edge("start", "end")
    >>> Computation.from_networkx(G)
    Traceback (most recent call last):
    ...
    abstractions.exceptions.InvalidValueError: node 'start' has out-degree 2 (successors 'middle', 'end'); every state that is not halted needs exactly one successor
    """
    _require_digraph(G)
    nodes = list(G.nodes)
    n = len(nodes)
    index = {node: i for i, node in enumerate(nodes)}
    halts = np.zeros(n, dtype=bool)
    if halted is not None:
        halts[:] = [bool(value) for _, value in G.nodes(data=halted, default=False)]
    step = np.arange(n, dtype=np.int64)
    for i, node in enumerate(nodes):
        successors = list(G.successors(node))
        if len(successors) == 1:
            step[i] = index[successors[0]]
        elif not (halts[i] and len(successors) == 0):
            shown = ", ".join(repr(s) for s in successors[:5]) + (", ..." if len(successors) > 5 else "")
            where = f" (successors {shown})" if successors else ""
            raise InvalidValueError(
                f"node {node!r} has out-degree {len(successors)}{where}; every state that is "
                f"not halted needs exactly one successor"
            )
    plain = nodes == list(range(n))
    labels = None if plain else nodes

    output_ids: Any = None
    output_values: tuple[Any, ...] | None = None
    if output is not None:
        have = [output in data for _, data in G.nodes(data=True)]
        if any(have):
            if not all(have):
                missing = nodes[have.index(False)]
                raise InvalidValueError(
                    f"node {missing!r} has no {output!r} attribute, but other nodes do; "
                    f"give every node an output or none"
                )
            values = [_scalar(data[output]) for _, data in G.nodes(data=True)]
            known = G.graph.get("output_values")
            if known is not None and _all_in(values, known):
                output_values = tuple(known)
                position = {v: j for j, v in enumerate(output_values)}
                output_ids = np.array([position[v] for v in values], dtype=np.int64)
            else:
                # an object array keeps tuples as values (numpy would make a 2-d array)
                output_ids = np.empty(len(values), dtype=object)
                for i, value in enumerate(values):
                    output_ids[i] = value

    if inputs is None:
        inputs = G.graph.get("inputs")
    start: dict[Any, int] | None = None
    if inputs is not None:
        pairs = inputs.items() if isinstance(inputs, Mapping) else ((v, v) for v in inputs)
        start = {}
        for value, node in pairs:
            try:
                start[value] = index[node]
            except (KeyError, TypeError):
                raise InvalidValueError(f"input {value!r} starts at {node!r}, which is not a node of G") from None
    elif labels is not None:
        start = {node: i for i, node in enumerate(nodes)}
    return Computation(
        step,
        halted=halts,
        output=output_ids,
        inputs=start,
        output_values=output_values,
        state_labels=labels,
    )


def _all_in(values: list[Any], known: Iterable[Any]) -> bool:
    try:
        allowed = set(known)
        return all(v in allowed for v in values)
    except TypeError:
        return False


def _scalar(value: Any) -> Any:
    """A numpy scalar as the matching Python object; anything else unchanged."""
    return value.item() if isinstance(value, np.generic) else value


def _blocks(partition: Any, n: int) -> np.ndarray | None:
    """Block ids of a partition (or labels) of ``n`` states, or None."""
    if partition is None:
        return None
    P = partition if isinstance(partition, Partition) else Partition.from_labels(partition)
    if P.n != n:
        raise SizeMismatchError(
            f"partition is a partition of {P.n} states, but the system has {n} states"
        )
    return P.labels


def to_networkx(system: System, partition: Partition | None = None) -> Any:
    """The system as a directed graph.

    Parameters
    ----------
    system : System
        A computation becomes a ``networkx.DiGraph`` with one edge per
        state, to its step (halted states have a self-loop). A labelled
        system, or a nondeterministic one with actions, becomes a
        ``networkx.MultiDiGraph`` with the symbol as edge attribute
        ``label``; an unlabelled relation a ``DiGraph``; a Markov chain a
        ``DiGraph`` whose edges carry the probability as ``weight``
        (a :class:`fractions.Fraction` when exact).
    partition : Partition, optional
        An abstraction of the states; each node then gets its ``block``.

    Returns
    -------
    networkx.DiGraph or networkx.MultiDiGraph
        Nodes are the state labels (indices when states are unnamed), in
        state order. Node attributes: ``output`` (the output value),
        ``halted`` (computations) and, with a partition, ``block`` (its
        block id). Graph attributes ``kind``, ``inputs``
        (``{input value: node}``) and ``output_values``; for a computation
        :func:`from_networkx` rebuilds exactly this computation.

    Raises
    ------
    InvalidTypeError
        If ``system`` is not a system.
    SizeMismatchError
        If ``partition`` is over another number of states.

    See Also
    --------
    from_networkx, quotient_graph

    Examples
    --------
    >>> from abstractions import Computation, Partition, TransitionSystem
    >>> C = Computation([1, 2, 2], halted=[False, False, True], output=["a", "b", "b"])
    >>> G = C.to_networkx(Partition([0, 1, 1]))
    >>> list(G.edges), G.nodes[2]
    ([(0, 1), (1, 2), (2, 2)], {'halted': True, 'output': 'b', 'block': 1})
    >>> Computation.from_networkx(G) == C
    True
    >>> T = TransitionSystem.labelled({"a": [1, 1], "b": [0, 1]})
    >>> sorted(to_networkx(T).edges(data="label"))
    [(0, 0, 'b'), (0, 1, 'a'), (1, 1, 'a'), (1, 1, 'b')]
    """
    import networkx as nx  # type: ignore[import-untyped,unused-ignore]

    S = as_system(system)
    blocks = _blocks(partition, S.n)
    nodes = list(S.state_labels) if S.state_labels is not None else list(range(S.n))
    labelled = isinstance(S, TransitionSystem) and S.symbols is not None
    G = nx.MultiDiGraph() if labelled else nx.DiGraph()
    values = [_scalar(v) for v in S.output_values]
    output = S.output.tolist()
    halted = S.halted.tolist() if isinstance(S, Computation) else None
    for i, node in enumerate(nodes):
        attributes: dict[str, Any] = {"output": values[output[i]]}
        if halted is not None:
            attributes = {"halted": halted[i], **attributes}
        if blocks is not None:
            attributes["block"] = int(blocks[i])
        G.add_node(node, **attributes)
    if isinstance(S, Computation):
        step = S.step.tolist()
        G.add_edges_from((nodes[i], nodes[step[i]]) for i in range(S.n))
    else:
        assert isinstance(S, TransitionSystem)
        weighted = S.kind == "probabilistic"
        for s in range(S.n):
            for symbol, t, weight in S.transitions(s):
                data: dict[str, Any] = {}
                if labelled:
                    data["label"] = symbol
                if weighted:
                    data["weight"] = weight
                G.add_edge(nodes[s], nodes[t], **data)
    G.graph["kind"] = S.kind
    G.graph["inputs"] = {
        _scalar(v): nodes[s] for v, s in zip(S.input_values, S.input_states.tolist())
    }
    G.graph["output_values"] = tuple(values)
    return G


def quotient_graph(system: System, partition: Partition) -> Any:
    """The abstract system of a complete partition, as a graph on its blocks.

    Parameters
    ----------
    system : System
        Any kind.
    partition : Partition
        A complete abstraction of ``system``.

    Returns
    -------
    networkx.DiGraph or networkx.MultiDiGraph
        :func:`to_networkx` of :func:`~abstractions.abstract_computation`:
        node ``b`` is block ``b``, with the attribute ``states`` (the
        frozenset of its states' labels) beside ``output`` (as in
        :func:`~abstractions.abstract_computation`:
        :data:`~abstractions.UNDETERMINED` where the block's states
        disagree) and ``halted`` for computations. Edges are the abstract
        transitions, self-loops included.

    Raises
    ------
    NotCompleteError
        If the partition is not complete (then no abstract step exists).

    See Also
    --------
    abstractions.abstract_computation

    Notes
    -----
    For a complete partition of a computation this is
    ``networkx.quotient_graph`` of :func:`to_networkx` with the same blocks,
    relabelled by block id, plus the self-loops networkx leaves out: its
    quotient has an edge between *distinct* blocks only, while a block that
    steps into itself (a fixed point of the abstract step, e.g. every
    halted block) needs its self-loop to be a computation.

    Examples
    --------
    >>> from abstractions import Computation, Partition
    >>> C = Computation([1, 2, 3, 0])                  # counter mod 4
    >>> Q = quotient_graph(C, Partition([0, 1, 0, 1]))  # parity
    >>> sorted(Q.edges), Q.nodes[0]["states"]
    ([(0, 1), (1, 0)], frozenset({0, 2}))
    """
    S = as_system(system)
    A, P = abstract_computation(S, partition, names=None)
    G = to_networkx(A)
    for b, states in enumerate(P.blocks()):
        G.nodes[b]["states"] = frozenset(S.label(int(m)) for m in states)
    return G
