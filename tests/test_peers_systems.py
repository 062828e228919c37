"""Ours agrees with automata-lib, pyformlang, bispy and Storm on small random systems.

The peers come from the ``test`` extra. Each test asks for its peer first
(``require_peer``): where a peer cannot be installed it skips, saying why,
and in CI (``ABSTRACTIONS_REQUIRE_PEERS=1``) it fails instead. They are
driven through the adapters of the ``benchmarks`` package, so these tests
also check the encodings the benchmark uses (the DFA as a two-library Hopcroft input; the relation as a
bispy graph; the three kinds as Storm MDPs / DTMCs). The ground truth is a
naive signature refinement written from the definitions, itself checked
against brute force over all partitions of up to 6 states.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from typing import Any

import numpy as np
import pytest

from abstractions import minimal_complete_abstraction, output_abstraction
from benchmarks import peers, systems
from benchmarks.harness import Instance, canonical, merged_but_split, unstable_pair
from tests.helpers import require_peer

KINDS = ("labelled", "nondeterministic", "probabilistic")
JOB_OF = {"labelled": "dfa", "nondeterministic": "nondeterministic", "probabilistic": "lumping"}





# --------------------------------------------------------------------------
# Random small instances, and the truth from the definitions.


def _random_instance(
    kind: str,
    rng: np.random.Generator,
    *,
    max_states: int = 9,
    classes: int | None = None,
    deadlocks: bool = True,
) -> Any:
    """A random system of ``kind``: 1..max_states states, beta of 1..n classes.

    Labelled: 1..3 letters. Nondeterministic: 0..4 distinct successors per
    state (0 only with ``deadlocks``). Probabilistic: 1..3 successors with
    weights 1..3.
    """
    n = int(rng.integers(1, max_states + 1))
    k = int(rng.integers(1, n + 1)) if classes is None else classes
    beta = np.unique(rng.integers(0, k, size=n), return_inverse=True)[1].astype(np.int8)
    if kind == "labelled":
        steps = rng.integers(0, n, size=(int(rng.integers(1, 4)), n))
        return Instance(kind, beta, steps=steps)
    low = 0 if deadlocks and kind == "nondeterministic" else 1
    high = 4 if kind == "nondeterministic" else 3
    degrees = rng.integers(low, min(high, n) + 1, size=n)
    targets = np.concatenate(
        [np.sort(rng.choice(n, size=d, replace=False)) for d in degrees] + [np.zeros(0, int)]
    )
    indptr = np.concatenate([[0], np.cumsum(degrees)])
    weights = rng.integers(1, 4, size=targets.size) if kind == "probabilistic" else None
    return Instance(kind, beta, indptr=indptr, targets=targets, weights=weights)


def _signature(inst: Any, block: list[int], s: int) -> Any:
    """What a complete abstraction must agree on for state s, given the blocks."""
    if inst.kind == "labelled":
        return tuple(block[int(row[s])] for row in inst.steps)
    lo, hi = int(inst.indptr[s]), int(inst.indptr[s + 1])
    succ = [int(t) for t in inst.targets[lo:hi]]
    if inst.kind == "nondeterministic":
        return frozenset(block[t] for t in succ)
    total = int(inst.weights[lo:hi].sum())
    into: dict[int, Fraction] = {}
    for t, w in zip(succ, inst.weights[lo:hi].tolist()):
        into[block[t]] = into.get(block[t], Fraction(0)) + Fraction(w, total)
    return frozenset(into.items())


def _naive(inst: Any) -> np.ndarray:
    """Coarsest stable refinement of beta: split by signature until nothing changes."""
    block = canonical(inst.beta).tolist()
    while True:
        keys = [(block[s], _signature(inst, block, s)) for s in range(inst.n)]
        ids: dict[Any, int] = {}
        new = [ids.setdefault(key, len(ids)) for key in keys]
        if len(ids) == len(set(block)):
            return np.asarray(new)
        block = new


def _stable(inst: Any, labels: np.ndarray) -> bool:
    """The definition: states of one block have equal signatures."""
    block = [int(x) for x in labels]
    seen: dict[int, Any] = {}
    return all(seen.setdefault(block[s], _signature(inst, block, s)) ==
               _signature(inst, block, s) for s in range(inst.n))  # fmt: skip


def _partitions(n: int) -> Iterator[list[int]]:
    """Every partition of range(n) as a restricted growth string."""
    if n == 0:
        yield []
        return
    for head in _partitions(n - 1):
        for j in range(max(head, default=-1) + 2):
            yield head + [j]


def _refines(finer: np.ndarray, coarser: np.ndarray) -> bool:
    """Every block of ``finer`` lies inside a block of ``coarser``."""
    return merged_but_split(np.asarray(finer), np.asarray(coarser)) is None


def _instances(kind: str, count: int, **kwargs: Any) -> Iterator[tuple[int, Any]]:
    """``count`` seeded instances; a fifth of them larger (up to 40 states, longer refinements)."""
    for seed in range(count):
        rng = np.random.default_rng([seed, KINDS.index(kind)])
        if seed % 5 == 4 and "max_states" not in kwargs:
            yield seed, _random_instance(kind, rng, max_states=40, **kwargs)
        else:
            yield seed, _random_instance(kind, rng, **kwargs)


def _ours(inst: Any, method: str = "auto", exact: bool = True) -> np.ndarray:
    T = systems.ours_system(inst, exact)
    return np.asarray(minimal_complete_abstraction(T, output_abstraction(T), method=method).labels)


def _peer(name: str, inst: Any) -> tuple[np.ndarray | None, int]:
    """The peer's partition (None where it does not expose one) and block count."""
    solver = systems.make_solver(name, JOB_OF[inst.kind])
    result = solver.solve(solver.prepare(inst))
    labels = None if solver.labels is None else canonical(solver.labels(result, inst.n))
    return labels, solver.blocks(result, inst.n)


# --------------------------------------------------------------------------
# The truth.


@pytest.mark.parametrize("kind", KINDS)
def test_naive_is_the_coarsest_stable_refinement(kind: str) -> None:
    """Brute force over all partitions: the naive answer is the least stable one above beta."""
    for seed, inst in _instances(kind, 60, max_states=6):
        truth = _naive(inst)
        stable = [
            np.asarray(p)
            for p in _partitions(inst.n)
            if _refines(np.asarray(p), inst.beta) and _stable(inst, np.asarray(p))
        ]
        assert any(np.array_equal(p, truth) for p in stable), seed
        # least in the information order: every stable refinement of beta refines it
        assert all(_refines(p, truth) for p in stable), seed


@pytest.mark.parametrize("kind", KINDS)
def test_unstable_pair_is_the_stability_check(kind: str) -> None:
    """The benchmark's numpy verdict agrees with the definition, and names a real pair."""
    rng = np.random.default_rng(5)
    for seed, inst in _instances(kind, 60):
        candidates = [_naive(inst), canonical(inst.beta), np.arange(inst.n),
                      rng.integers(0, 3, size=inst.n)]  # fmt: skip
        for labels in candidates:
            pair = unstable_pair(inst, labels)
            assert (pair is None) == _stable(inst, labels), (seed, labels)
            if pair is not None:
                s, t = pair
                assert labels[s] == labels[t]
                block = [int(x) for x in labels]
                assert _signature(inst, block, s) != _signature(inst, block, t)


@pytest.mark.parametrize("kind", KINDS)
def test_ours_is_the_truth(kind: str) -> None:
    """Our fast core and our reference return the naive partition (float and exact lumping)."""
    for seed, inst in _instances(kind, 150):
        truth = _naive(inst)
        np.testing.assert_array_equal(_ours(inst), truth, err_msg=f"seed {seed}")
        np.testing.assert_array_equal(_ours(inst, "reference"), truth, err_msg=f"seed {seed}")
        if kind == "probabilistic":
            # weights 1..3: distinct probabilities differ far beyond the float tolerance
            np.testing.assert_array_equal(_ours(inst, exact=False), truth, err_msg=f"seed {seed}")


# --------------------------------------------------------------------------
# The peers.


@pytest.mark.parametrize("peer", ["automata-lib", "pyformlang"])
def test_dfa_minimisers_agree(peer: str) -> None:
    """automata-lib's and pyformlang's Hopcroft give our partition of every state."""
    require_peer(peer)
    for seed, inst in _instances("labelled", 150, classes=2):
        labels, blocks = _peer(peer, inst)
        ours = _ours(inst)
        np.testing.assert_array_equal(labels, ours, err_msg=f"seed {seed}")
        assert blocks == ours.max() + 1


def test_bispy_paige_tarjan_agrees() -> None:
    """bispy's Paige--Tarjan gives our bisimulation, deadlock states included."""
    require_peer("bispy")
    for seed, inst in _instances("nondeterministic", 150):
        labels, blocks = _peer("bispy", inst)
        ours = _ours(inst)
        np.testing.assert_array_equal(labels, ours, err_msg=f"seed {seed}")
        assert blocks == ours.max() + 1


@pytest.mark.parametrize("kind", KINDS)
def test_storm_gives_our_partition(kind: str) -> None:
    """Storm's coarsest bisimulation is our partition, state by state.

    stormpy hands back the quotient, not the map from states to blocks, so
    the partition is compared through what determines it: ours refines
    beta and is stable (checked from the definitions by ``unstable_pair``,
    not by our engine), so it refines Storm's coarsest stable partition
    above beta; a refinement with as many blocks is the same partition.
    """
    require_peer("storm")
    for seed, inst in _instances(kind, 150):
        _, blocks = _peer("storm", inst)
        ours = _ours(inst)
        assert _refines(ours, inst.beta), f"seed {seed}"
        assert unstable_pair(inst, ours) is None, f"seed {seed}"
        assert blocks == ours.max() + 1, f"seed {seed}"


def test_storm_dfa_needs_action_sensitive_bisimulation() -> None:
    """Without matching choices by position, Storm merges a-then-b with b-then-a.

    State 0 reads a -> 2, b -> 3 and state 1 reads a -> 3, b -> 2; only 2
    accepts, so they differ on the word "a" (4 blocks). Storm's default MDP
    bisimulation compares the *sets* of choices and merges them.
    """
    require_peer("storm")
    import stormpy.transformations

    inst = Instance("labelled", np.array([0, 0, 1, 0]), steps=np.array([[2, 3, 2, 3], [3, 2, 2, 3]]))
    assert _ours(inst).max() + 1 == 4
    assert _peer("storm", inst)[1] == 4
    model, _ = peers.storm_model(inst)
    options = stormpy.transformations.BisimulationOptions()
    assert options.action_sensitive is False  # Storm's default
    quotient = stormpy.transformations.perform_bisimulation(model, [], options=options)
    assert quotient.nr_states == 3


def test_storm_keeps_deadlocks_apart_with_a_sink() -> None:
    """A deadlock state gets one choice into an extra sink, which is not counted as a block."""
    require_peer("storm")
    # 0 and 1 are deadlocks, 2 -> 0, 3 -> 3; all in one beta class
    inst = Instance(
        "nondeterministic", np.zeros(4, dtype=np.int8), indptr=np.array([0, 0, 0, 1, 2]),
        targets=np.array([0, 3]),
    )  # fmt: skip
    model, sink = peers.storm_model(inst)
    assert sink and model.nr_states == 5
    assert _peer("storm", inst)[1] == 3 == _ours(inst).max() + 1  # {0, 1}, {2}, {3}

