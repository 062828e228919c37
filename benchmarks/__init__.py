"""Benchmarks of abstractions beside its peers, run as ``python -m benchmarks.<job>``.

Run from the repository root (the folder holding ``benchmarks/``), with the
peers installed (``pip install '.[bench]'``):

* ``python -m benchmarks.minimal --sizes 1e3 1e4 1e5``: one step function,
  every method of ours beside automata-lib, BisPy and pyformlang;
* ``python -m benchmarks.systems --sizes 1e3 1e4 1e5``: labelled,
  nondeterministic and probabilistic systems beside automata-lib,
  pyformlang, BisPy and Storm;
* ``python -m benchmarks.ctmc_models --states 1e5``: Storm's CTMC examples,
  scaled up by their constants, lumped by ours and by Storm;
* ``python -m benchmarks.lattice --sizes 1e6``: the lattice operations
  beside one numpy gather;
* ``python -m benchmarks.plot benchmarks/results/latest.json``: the figure
  of a ``minimal`` run.

:mod:`benchmarks.harness` holds what the jobs share (instances, the runner
in fresh processes, memory measurement, verification of the answers, JSON
output) and :mod:`benchmarks.peers` the peer adapters. The benchmarks use
only the public ``abstractions`` API.
"""

__all__: list[str] = []
