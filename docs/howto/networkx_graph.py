"""A computation from a networkx graph, and its abstract computation back as a graph."""

import networkx as nx

from abstractions import Computation, minimal_complete_abstraction, output_abstraction

G = nx.cycle_graph(4, create_using=nx.DiGraph)  # a counter mod 4: 0 -> 1 -> 2 -> 3 -> 0
nx.set_node_attributes(G, {node: node % 2 for node in G}, "output")  # it outputs parity
C = Computation.from_networkx(G)  # one out-edge per node; "halted" and "output" attributes
P = minimal_complete_abstraction(C, output_abstraction(C))
H = C.to_networkx(P)  # nodes carry "block", "output" and "halted" attributes
print(P.n_blocks, sorted(H.nodes(data="block")))
assert P.n_blocks == 2 and H.nodes[3]["block"] == H.nodes[1]["block"]
