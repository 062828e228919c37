"""Systems as networkx graphs and scipy.sparse matrices, abstract systems as quotient graphs.

Every kind goes both ways through networkx, with one convention:

================================  ==============================================
graph                             system (:func:`from_networkx`)
================================  ==============================================
``DiGraph``, out-degree 1         :class:`~abstractions.Computation` (node
                                  attribute ``halted``)
``DiGraph``, any out-degree       nondeterministic system (a Kripke structure)
edges with a ``label``            LTS (:class:`~abstractions.NondeterministicSystem`
(``MultiDiGraph`` or not)         with actions); ``kind="labelled"``: a DFA
edges with a ``weight``           :class:`~abstractions.MarkovChain`
================================  ==============================================

Node attribute ``output`` gives the outputs. :func:`to_networkx` writes
these conventions back (with the graph attribute ``kind``, which
:func:`from_networkx` then follows), for quotients too, and
:func:`quotient_graph` draws the abstract system of a complete partition
as a graph on the blocks. :func:`to_scipy` gives the transition matrix
of any system as a ``scipy.sparse.csr_array`` at any size.

This module uses only the public names of :mod:`abstractions`.

networkx is imported when one of these functions is called, never by
``import abstractions``.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from fractions import Fraction
from typing import Any

import numpy as np

from abstractions.completeness import abstract_computation
from abstractions.computation import Computation
from abstractions.exceptions import InvalidTypeError, InvalidValueError, SizeMismatchError
from abstractions.partition import Partition
from abstractions.system import System, as_system
from abstractions.systems import ContinuousTimeMarkovChain, MarkovChain, TransitionSystem

__all__ = ["KINDS", "from_networkx", "to_networkx", "to_scipy", "quotient_graph"]


#: The kinds :func:`from_networkx` builds.
KINDS = ("computation", "labelled", "nondeterministic", "probabilistic", "ctmc")


def _require_graph(G: Any) -> Any:
    # networkx ships no types; unused-ignore keeps this valid where the mypy
    # configuration already ignores its missing imports
    import networkx as nx  # type: ignore[import-untyped,unused-ignore]

    if not isinstance(G, nx.DiGraph):
        raise InvalidTypeError(
            f"G must be a networkx.DiGraph or MultiDiGraph (a directed graph), "
            f"got {type(G).__name__}"
        )
    return nx


def _kind_of(
    G: Any, kind: str | None, label: str | None, weight: str | None, functional: bool
) -> str:
    """The kind a graph describes: ``kind``, else the one it was written as, else by its edges."""
    if kind is None:
        kind = G.graph.get("kind")
    if kind is not None:
        if kind not in KINDS:
            raise InvalidValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
        return str(kind)
    attributes: set[str] = set()
    for *_, data in G.edges(data=True):
        attributes.update(data)
    if label is not None and label in attributes:
        return "nondeterministic"
    if weight is not None and weight in attributes:
        return "probabilistic"
    if G.is_multigraph():
        return "nondeterministic"
    if functional and all(d <= 1 for _, d in G.out_degree()):
        return "computation"
    return "nondeterministic"


def from_networkx(
    G: Any,
    *,
    kind: str | None = None,
    label: str | None = "label",
    weight: str | None = "weight",
    halted: str | None = "halted",
    output: str | None = "output",
    inputs: Mapping[Any, Hashable] | Iterable[Hashable] | None = None,
    functional: bool = True,
) -> Any:
    """Build a system of any kind from a directed graph (see the module notes).

    Parameters
    ----------
    G : networkx.DiGraph or networkx.MultiDiGraph
        Nodes are the states, in ``G``'s node order, and the node objects
        become the state labels (unless they are exactly ``0 .. n-1`` in
        order: then states are known by index, as in ``Computation(step)``).
    kind : {"computation", "labelled", "nondeterministic", "probabilistic", "ctmc"}, optional
        By default ``G.graph["kind"]`` (as :func:`to_networkx` writes it),
        else: edges with a ``label`` make an LTS, edges with a ``weight``
        a Markov chain, a ``DiGraph`` with out-degree at most 1 a
        computation, any other graph a nondeterministic system.
    label : str or None, default "label"
        The edge attribute holding the action (LTS, labelled system).
    weight : str or None, default "weight"
        The edge attribute holding the probability (Markov chain) or rate
        (``"ctmc"``): floats, or ints and :class:`fractions.Fraction` for
        an exact chain.
    halted : str or None, default "halted"
        Computations: node attribute marking the halted states (truthy:
        halted; missing: not halted). None: no state halts. A computation's
        node that is not halted has out-degree 1: its one edge is its
        step; a halted node has out-degree 0, a self-loop, or one edge
        that is ignored (halted states are absorbing).
    output : str or None, default "output"
        Node attribute holding each state's output value. If no node has
        it (or ``output`` is None) the output is the state itself (a
        computation) or one value for all (the other kinds); if some nodes
        have it, every node must. ``G.graph["output_values"]``, as written
        by :func:`to_networkx`, fixes the order of output values.
    inputs : mapping or iterable, optional
        ``{input value: node}``, or nodes that are inputs (each its own
        value). By default ``G.graph["inputs"]`` when present (as written by
        :func:`to_networkx`), otherwise every node is an input.
    functional : bool, default True
        Whether a plain ``DiGraph`` with out-degree at most 1 (and no
        ``kind``) is a computation; False makes it a nondeterministic
        system (``TransitionSystem.from_networkx`` passes False).

    Returns
    -------
    Computation, LabelledSystem, NondeterministicSystem or MarkovChain

    Raises
    ------
    InvalidValueError
        If a computation's node that is not halted has out-degree other
        than 1 (the message names the node, its successors and the kind
        that fits), an edge lacks its label or weight, a labelled system's
        node has an action twice (one it lacks is a missing transition of
        a partial DFA), an input names no node, or
        only some nodes have an output.
    InvalidTypeError
        If ``G`` is not a networkx directed graph.

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
    abstractions.exceptions.InvalidValueError: node 'start' has out-degree 2 (successors 'middle', 'end'); every state of a computation that is not halted needs exactly one successor (for a nondeterministic system: TransitionSystem.from_networkx(G))

    An LTS from a ``MultiDiGraph`` with a ``label`` on each edge:

    >>> L = nx.MultiDiGraph()
    >>> L.add_edges_from([(0, 1, {"label": "coin"}), (1, 0, {"label": "tea"}),
    ...                   (1, 0, {"label": "coffee"})])
    [0, 0, 1]
    >>> T = from_networkx(L)
    >>> T.kind, T.symbols, list(T.transitions(1))
    ('nondeterministic', ('coin', 'tea', 'coffee'), [('tea', 0, 1), ('coffee', 0, 1)])

    A Markov chain from edge weights:

    >>> M = from_networkx(nx.DiGraph([(0, 1, {"weight": 0.5}), (0, 0, {"weight": 0.5}),
    ...                               (1, 1, {"weight": 1.0})]))
    >>> M.kind, M.probabilities
    ('probabilistic', array([0.5, 0.5, 1. ]))
    """
    _require_graph(G)
    kind = _kind_of(G, kind, label, weight, functional)
    nodes = list(G.nodes)
    n = len(nodes)
    index = {node: i for i, node in enumerate(nodes)}
    plain = nodes == list(range(n))
    labels = None if plain else nodes
    output_ids, output_values = _outputs(G, nodes, output)
    if output_ids is None and kind != "computation":
        # no observations: every state looks the same (as in an .aut file), so the
        # minimal complete abstraction above the output is the coarsest bisimulation
        output_ids, output_values = np.zeros(n, dtype=np.int64), (None,)
    start = _inputs(G, nodes, index, inputs, labels is not None)
    shared: dict[str, Any] = {
        "output": output_ids,
        "output_values": output_values,
        "inputs": start,
        "state_labels": labels,
    }
    if kind == "computation":
        if G.is_multigraph():
            raise InvalidTypeError(
                "G is a MultiDiGraph, but a computation is a networkx.DiGraph with one edge per "
                "state; for several edges per state use TransitionSystem.from_networkx(G) "
                "(with a label attribute: an LTS)"
            )
        return _computation(G, nodes, index, halted, shared)
    sources, targets, data = [], [], []
    for u, v, attributes in G.edges(data=True):
        sources.append(index[u])
        targets.append(index[v])
        data.append(attributes)
    if kind in ("probabilistic", "ctmc"):
        return _markov(kind, nodes, sources, targets, data, weight, shared, G.graph)
    if kind == "labelled":
        return _labelled(G, nodes, sources, targets, data, label, shared)
    return _nondeterministic(G, nodes, sources, targets, data, label, shared)


def _edge_value(data: dict[str, Any], name: str | None, u: Any, v: Any, what: str) -> Any:
    if name is None or name not in data:
        raise InvalidValueError(
            f"the edge ({u!r}, {v!r}) has no {name!r} attribute; every edge of a {what} needs one"
        )
    return _scalar(data[name])


def _outputs(G: Any, nodes: list[Any], output: str | None) -> tuple[Any, tuple[Any, ...] | None]:
    if output is None:
        return None, None
    have = [output in data for _, data in G.nodes(data=True)]
    if not any(have):
        return None, None
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
        return np.array([position[v] for v in values], dtype=np.int64), output_values
    # an object array keeps tuples as values (numpy would make a 2-d array)
    output_ids = np.empty(len(values), dtype=object)
    for i, value in enumerate(values):
        output_ids[i] = value
    return output_ids, None


def _inputs(
    G: Any, nodes: list[Any], index: dict[Any, int], inputs: Any, named: bool
) -> dict[Any, int] | None:
    if inputs is None:
        inputs = G.graph.get("inputs")
    if inputs is None:
        return {node: i for i, node in enumerate(nodes)} if named else None
    pairs = inputs.items() if isinstance(inputs, Mapping) else ((v, v) for v in inputs)
    start = {}
    for value, node in pairs:
        try:
            start[value] = index[node]
        except (KeyError, TypeError):
            raise InvalidValueError(
                f"input {value!r} starts at {node!r}, which is not a node of G"
            ) from None
    return start


def _computation(
    G: Any, nodes: list[Any], index: dict[Any, int], halted: str | None, shared: dict[str, Any]
) -> Computation:
    n = len(nodes)
    halts = np.zeros(n, dtype=bool)
    if halted is not None:
        halts[:] = [bool(value) for _, value in G.nodes(data=halted, default=False)]
    step = np.arange(n, dtype=np.int64)
    for i, node in enumerate(nodes):
        successors = list(G.successors(node))
        if len(successors) == 1:
            step[i] = index[successors[0]]
        elif not (halts[i] and len(successors) == 0):
            shown = ", ".join(repr(s) for s in successors[:5])
            shown += ", ..." if len(successors) > 5 else ""
            where = f" (successors {shown})" if successors else ""
            fits = (
                " (for a nondeterministic system: TransitionSystem.from_networkx(G))"
                if successors
                else " (mark it halted, or add a self-loop)"
            )
            raise InvalidValueError(
                f"node {node!r} has out-degree {len(successors)}{where}; every state of a "
                f"computation that is not halted needs exactly one successor{fits}"
            )
    return Computation(step, halted=halts, **shared)


def _csr(n: int, sources: list[int], *columns: list[Any]) -> tuple[Any, ...]:
    """Row pointers and the columns, ordered by source (stable)."""
    src = np.asarray(sources, dtype=np.int64)
    order = np.argsort(src, kind="stable")
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
    return (indptr, *([column[j] for j in order.tolist()] for column in columns))


def _markov(
    kind: str,
    nodes: list[Any],
    sources: list[int],
    targets: list[int],
    data: list[dict[str, Any]],
    weight: str | None,
    shared: dict[str, Any],
    graph: dict[str, Any],
) -> Any:
    values = [
        _edge_value(d, weight, nodes[s], nodes[t], "Markov chain")  # or CTMC
        for s, t, d in zip(sources, targets, data)
    ]
    indptr, dst, probabilities = _csr(len(nodes), sources, targets, values)
    exact = all(
        isinstance(p, (int, Fraction)) and not isinstance(p, bool) for p in probabilities
    )
    if not probabilities:
        # No weights to tell the mode (a CTMC without transitions): the graph's record.
        exact = bool(graph.get("exact", True))
    array = np.empty(len(probabilities), dtype=object if exact else np.float64)
    array[:] = probabilities
    build = TransitionSystem.probabilistic if kind == "probabilistic" else TransitionSystem.ctmc
    options = {} if exact or "tol" not in graph else {"tol": graph["tol"]}
    return build((indptr, np.asarray(dst, dtype=np.int64), array), **shared, **options)


def _nondeterministic(
    G: Any,
    nodes: list[Any],
    sources: list[int],
    targets: list[int],
    data: list[dict[str, Any]],
    label: str | None,
    shared: dict[str, Any],
) -> Any:
    n = len(nodes)
    has = [label is not None and label in d for d in data]
    if not any(has) and G.graph.get("symbols") is None:
        indptr, dst = _csr(n, sources, targets)
        return TransitionSystem.nondeterministic(
            (indptr, np.asarray(dst, dtype=np.int64)), **shared
        )
    actions = [
        _edge_value(d, label, nodes[s], nodes[t], "labelled transition system")
        for s, t, d in zip(sources, targets, data)
    ]
    known = G.graph.get("symbols")
    if known is not None and _all_in(actions, known):
        # the order the graph was written with: the same system back
        actions_order = list(known)
    else:
        actions_order = list(dict.fromkeys(actions))
    position = {a: j for j, a in enumerate(actions_order)}
    ids = [position[a] for a in actions]
    indptr, dst, edge = _csr(n, sources, targets, ids)
    fields = {
        "kind": "nondeterministic",
        "indptr": indptr,
        "targets": np.asarray(dst, dtype=np.int64),
        "edge_labels": np.asarray(edge, dtype=np.int64),
        "symbols": tuple(actions_order),
    }
    # from_dict stores the transitions in the kind's canonical order (sorted by
    # label and target, repeats merged), as every constructor does
    bare = TransitionSystem.nondeterministic([[] for _ in range(n)], **shared)
    return System.from_dict({**bare.to_dict(), **fields})


def _labelled(
    G: Any,
    nodes: list[Any],
    sources: list[int],
    targets: list[int],
    data: list[dict[str, Any]],
    label: str | None,
    shared: dict[str, Any],
) -> Any:
    n = len(nodes)
    actions = [
        _edge_value(d, label, nodes[s], nodes[t], "labelled system")
        for s, t, d in zip(sources, targets, data)
    ]
    known = G.graph.get("symbols")
    order = list(known) if known is not None and _all_in(actions, known) else None
    symbols = order if order is not None else list(dict.fromkeys(actions))
    position = {a: j for j, a in enumerate(symbols)}
    steps = np.full((len(symbols), n), -1, dtype=np.int64)
    for s, t, a in zip(sources, targets, actions):
        row = position[a]
        if steps[row, s] >= 0:
            raise InvalidValueError(
                f"node {nodes[s]!r} has two edges labelled {a!r}; a labelled system (DFA) has "
                f'one per action (for several: kind="nondeterministic")'
            )
        steps[row, s] = t
    # A node without an edge on some action is a partial DFA (-1: no transition).
    return TransitionSystem.labelled(steps, symbols=symbols, **shared)


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
        weighted = S.kind in ("probabilistic", "ctmc")
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
    if isinstance(S, (MarkovChain, ContinuousTimeMarkovChain)):
        # The mode and tolerance, which the weights alone do not always tell.
        G.graph["exact"] = S.exact
        if not S.exact:
            G.graph["tol"] = S.tol
    if labelled:
        G.graph["symbols"] = tuple(S.symbols)
    return G


#: ``to_scipy(system)`` with no ``symbol``: every transition.
_EVERY = object()


def to_scipy(system: System, *, symbol: Any = _EVERY) -> Any:
    """The transition matrix of any system as a ``scipy.sparse.csr_array``, at any size.

    Parameters
    ----------
    system : System
        A computation: ``1.0`` at ``(m, step(m))`` (halted states on the
        diagonal); a Markov chain: its probabilities (a CTMC: its rates; floats: an exact
        chain's Fractions are rounded, as scipy holds no rationals); a
        labelled or nondeterministic system: the number of transitions
        from ``s`` to ``t`` (1.0 for a relation, the number of actions
        for an LTS). Quotients are systems too:
        ``to_scipy(abstract_computation(M, P)[0])`` is the lumped chain.
    symbol : optional
        Only the transitions labelled ``symbol`` (a labelled system or an
        LTS): the 0/1 matrix of one action.

    Returns
    -------
    scipy.sparse.csr_array
        Shape ``(n, n)``, dtype float64.

    Raises
    ------
    ImportError
        Without scipy (``pip install abstractions[sparse]``).
    InvalidValueError
        For a ``symbol`` the system does not have.

    See Also
    --------
    abstractions.MarkovChain.probability_matrix

    Examples
    --------
    >>> from abstractions import Partition, TransitionSystem, abstract_computation
    >>> M = TransitionSystem.probabilistic([[0, 0.5, 0.5], [0, 1, 0], [0, 0, 1]],
    ...                                    output=["s", "t", "t"])
    >>> A, _ = abstract_computation(M, Partition([0, 1, 1]))
    >>> to_scipy(A).toarray()
    array([[0., 1.],
           [0., 1.]])
    >>> T = TransitionSystem.labelled({"a": [1, 0], "b": [1, 1]})
    >>> to_scipy(T, symbol="a").toarray()
    array([[0., 1.],
           [1., 0.]])
    """
    try:
        import scipy.sparse as sp  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        raise ImportError(
            "to_scipy needs scipy (pip install abstractions[sparse]), which is not installed"
        ) from None
    S = as_system(system)
    n = S.n
    if isinstance(S, Computation):
        if symbol is not _EVERY:
            raise InvalidValueError("a computation has no symbols; call to_scipy without symbol")
        rows = np.arange(n, dtype=np.int64)
        cols = S.step.astype(np.int64)
        data = np.ones(n, dtype=np.float64)
    else:
        assert isinstance(S, TransitionSystem)
        rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(S.indptr))
        cols = S.targets.astype(np.int64)
        if S.kind in ("probabilistic", "ctmc"):
            weights = S.probabilities if S.kind == "probabilistic" else S.rates  # type: ignore[attr-defined]
            data = np.array([float(p) for p in weights], dtype=np.float64)
        else:
            data = np.ones(cols.size, dtype=np.float64)
        if symbol is not _EVERY:
            symbols = S.symbols
            if symbols is None or symbol not in symbols:
                raise InvalidValueError(
                    f"symbol = {symbol!r} is not one of the system's symbols "
                    f"{'(it has none)' if symbols is None else list(symbols)}"
                )
            assert S.edge_labels is not None
            keep = S.edge_labels == symbols.index(symbol)
            rows, cols, data = rows[keep], cols[keep], data[keep]
    return sp.csr_array((data, (rows, cols)), shape=(n, n))


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
