"""The O(m log n) branching bisimulation (abstractions._engine.branching).

Called through ``branching_classes(..., rounds=False)``: the silent cycles
inside blocks contracted (the algorithm's precondition), no signature
rounds before it, so every split is made by the constellation algorithm.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from abstractions import Partition, TransitionSystem, stuttering_abstraction
from abstractions._engine import stuttering as stuttering_engine
from abstractions._engine.branching import _Refiner, constellation_classes
from abstractions._engine.stuttering import branching_classes
from abstractions._kernels import _branching_round
from abstractions.partition import canonical_labels
from tests import naive
from tests.test_stuttering import _every_lts, _ints, edges_of, lts

ACTIONS = ("tau", "a", "b", "c")


def _alone(T, beta, sensitive, silent="tau"):
    """The constellation algorithm alone on T above beta (a list of canonical labels)."""
    tau = -1 if silent is None else T.symbols.index(silent)
    labels, _ = branching_classes(
        T._relation(), _ints(beta), max(beta) + 1, tau, sensitive, rounds=False
    )
    return labels.tolist()


def test_every_two_state_lts():
    """Exhaustive: every LTS on 2 states over {tau, a}, every beta, both divergence modes."""
    for edges in _every_lts(2, ("tau", "a")):
        if not any(a == "tau" for _, a, _ in edges):
            continue
        T = lts(2, edges)
        for beta in naive.set_partitions(2):
            for sensitive in (True, False):
                expected = naive.branching_bisimilarity(2, edges_of(T), beta, "tau", sensitive)
                assert _alone(T, beta, sensitive) == expected, (edges, beta, sensitive)


def test_every_three_state_kripke_structure():
    """Exhaustive: every relation on 3 states (every step silent), every beta, both modes."""
    for edges in _every_lts(3, (None,)):
        T = lts(3, edges)
        for beta in naive.set_partitions(3):
            for sensitive in (True, False):
                expected = naive.branching_bisimilarity(3, edges, beta, None, sensitive)
                assert _alone(T, beta, sensitive, silent=None) == expected, (
                    edges, beta, sensitive
                )


@st.composite
def ltss_with_cycles(draw, max_n=6):
    """Small LTSs over tau, a, b, c with silent cycles planted, and betas of up to 3 blocks."""
    n = draw(st.integers(1, max_n))
    edges = set(
        draw(
            st.lists(
                st.tuples(st.integers(0, n - 1), st.sampled_from(ACTIONS),
                          st.integers(0, n - 1)),
                max_size=3 * n,
            )
        )
    )
    # A silent cycle through a few states (divergence, and a contraction).
    cycle = draw(st.lists(st.integers(0, n - 1), max_size=3, unique=True))
    for s, t in zip(cycle, cycle[1:] + cycle[:1]):
        edges.add((s, "tau", t))
    edges.add((0, "tau", n - 1))  # so "tau" is always a label
    beta = naive.canonical(draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)))
    return n, sorted(edges, key=lambda e: (e[0], ACTIONS.index(e[1]), e[2])), beta


@given(ltss_with_cycles(), st.booleans())
def test_matches_brute_force(data, sensitive):
    """On random small LTSs with several actions and silent cycles: the brute-force oracle."""
    n, edges, beta = data
    T = lts(n, edges)
    expected = naive.branching_bisimilarity(n, edges_of(T), beta, "tau", sensitive)
    assert _alone(T, beta, sensitive) == expected


def _random_lts(rng, n, local):
    """A random LTS on n states; ``local`` targets make long silent paths."""
    degree = int(rng.integers(1, 4))
    m = n * degree
    indptr = np.arange(0, m + 1, degree, dtype=np.int64)
    if local:
        targets = np.clip(np.repeat(np.arange(n), degree) + rng.integers(-3, 4, m), 0, n - 1)
    else:
        targets = rng.integers(0, n, m)
    actions = np.where(rng.random(m) < rng.random(), 0, rng.integers(1, 3, m))
    names = np.array(["tau", "a", "b"], dtype=object)
    return TransitionSystem.nondeterministic((indptr, targets), labels=names[actions])


@pytest.mark.parametrize("seed", range(6))
def test_matches_the_saturating_engine_on_medium_systems(seed):
    """On random LTSs of 200-2000 states: the same classes as rounds + saturation."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(200, 2000))
    T = _random_lts(rng, n, local=seed % 2 == 1)
    labels, k = canonical_labels(rng.integers(0, 1 + seed % 3, n), "beta")
    tau = T.symbols.index("tau")
    for sensitive in (True, False):
        old, _ = branching_classes(T._relation(), labels, k, tau, sensitive, finish="saturate")
        new, _ = branching_classes(T._relation(), labels, k, tau, sensitive, rounds=False)
        assert new.tolist() == old.tolist()
        both, _ = branching_classes(T._relation(), labels, k, tau, sensitive)
        assert both.tolist() == old.tolist()


@given(ltss_with_cycles(), st.booleans())
def test_rounds_out_of_work_hand_over(data, sensitive):
    """With no work allowed to the signature rounds, the constellations finish alone."""
    n, edges, beta = data
    T = lts(n, edges)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(stuttering_engine, "_ROUND_WORK", 0)
        patch.setattr(stuttering_engine, "_ROUND_SLACK", 0)
        P = stuttering_abstraction(
            T, beta, silent="tau", divergence="sensitive" if sensitive else "blind"
        )
    assert P.labels.tolist() == naive.branching_bisimilarity(
        n, edges_of(T), beta, "tau", sensitive
    )


def test_a_round_stops_at_its_work_limit():
    """_branching_round reports -1 labels once the signature entries pass the limit."""
    indptr, targets, symbols = _ints([0, 1, 2, 2]), _ints([1, 2]), _ints([1, 1])
    cyclic = np.zeros(3, dtype=bool)
    labels = _ints([0, 0, 1])
    _, count, work = _branching_round(indptr, targets, symbols, 0, cyclic, labels, 2, True, 1)
    assert count == -1 and work > 1
    _, count, work = _branching_round(indptr, targets, symbols, 0, cyclic, labels, 2, True, 2)
    assert count == 3 and work == 2


def test_the_chain_that_peels_one_state_per_round():
    """State i: a visible and a silent step to i + 1. Every state is its distance to the end.

    Signature rounds peel one state per round here; the constellations do
    not (3000 states in well under a second).
    """
    n = 3000
    edges = [(s, a, s + 1) for s in range(n - 1) for a in ("a", "tau")]
    T = lts(n, edges)
    for sensitive in (True, False):
        assert _alone(T, [0] * n, sensitive) == list(range(n))
    assert stuttering_abstraction(T, Partition.bottom(n), silent="tau").n_blocks == n


def test_direct_call_on_an_acyclic_system():
    """constellation_classes itself, on a system whose inert steps are acyclic."""
    # 0 -tau-> 1 -a-> 2, 3 -a-> 2, 4 -tau-> 2 (4 is a deadlock after tau: like 2).
    indptr = _ints([0, 1, 2, 2, 3, 4])
    targets, symbols = _ints([1, 2, 2, 2]), _ints([0, 1, 1, 0])
    labels, count = constellation_classes(
        indptr, targets, symbols, 0, np.zeros(5, dtype=bool), np.zeros(5, dtype=np.int64), 1,
        True,
    )
    assert naive.canonical(labels.tolist()) == [0, 0, 1, 0, 1] and count == 2


def _fan(k):
    """A block whose one split makes k new bottom states that each lack a different move.

    Node 0 is a sink (a block of its own); node 1 has a "b" move to it;
    nodes 2 .. k + 1 have a silent move to node 1, a "c" move to the sink
    and each its own action "a<i>" to the sink. The split by "c" cuts every
    silent move at once: k new bottom states, each with a move that no
    other has. (Relation arrays for constellation_classes: silent is 0, b
    1, c 2, a<i> 3 + i.)
    """
    out = [[], [(1, 0)]] + [[(0, 1), (2, 0), (3 + i, 0)] for i in range(k)]
    return _arrays(out), _ints([0] + [1] * (k + 1)), 2


def _star(k):
    """Node 0 a sink, nodes 1 .. k each with its own action to it: every bottom state differs."""
    out = [[]] + [[(1 + i, 0)] for i in range(k)]
    return _arrays(out), _ints([0] * (k + 1)), 1


def _arrays(out):
    indptr = np.cumsum([0] + [len(moves) for moves in out]).astype(np.int64)
    targets = _ints([t for moves in out for _, t in moves])
    symbols = _ints([a for moves in out for a, _ in moves])
    return indptr, targets, symbols


def _names(arrays):
    """The (source, action name, target) edges of relation arrays (action 0 is "tau")."""
    indptr, targets, symbols = arrays
    return [(s, "tau" if symbols[i] == 0 else f"x{symbols[i]}", int(targets[i]))
            for s in range(indptr.shape[0] - 1) for i in range(indptr[s], indptr[s + 1])]


@pytest.mark.parametrize("family", [_fan, _star])
def test_blocks_whose_bottom_states_each_lack_a_different_move(family):
    """The family that made the old check of new bottom states rescan: oracle, then saturation."""

    def classes(T, beta, sensitive, finish="constellations"):
        # The star has no silent move: an id no move has stands for tau.
        tau = T.symbols.index("tau") if "tau" in T.symbols else len(T.symbols)
        labels, _ = branching_classes(T._relation(), beta, int(beta.max()) + 1, tau, sensitive,
                                      rounds=finish == "saturate", finish=finish)
        return labels.tolist()

    for k in range(1, 6):
        arrays, beta, _ = family(k)
        n = beta.shape[0]
        T = lts(n, _names(arrays))
        for sensitive in (True, False):
            expected = naive.branching_bisimilarity(n, edges_of(T), beta.tolist(), "tau",
                                                    sensitive)
            assert classes(T, beta, sensitive) == expected, (k, sensitive)
    arrays, beta, _ = family(400)
    T = lts(beta.shape[0], _names(arrays))
    new = classes(T, beta, True)
    assert new == classes(T, beta, True, "saturate") and max(new) + 1 == beta.shape[0]


@pytest.mark.parametrize("family", [_fan, _star, "chain"])
def test_work_within_m_log_n(family):
    """The refinement's step count stays under (m + n) log2 n as the systems grow.

    The old check of new bottom states rescanned them at every split of
    their block: about k**2 / 2 steps on these families, 30 times the bound
    at k = 3200.
    """
    for k in (200, 800, 3200):
        if family == "chain":
            moves = [[(1, s + 1), (0, s + 1)] for s in range(k - 1)] + [[]]
            arrays, beta, blocks = _arrays(moves), _ints([0] * k), 1
        else:
            arrays, beta, blocks = family(k)
        indptr, targets, symbols = arrays
        n, m = indptr.shape[0] - 1, targets.shape[0]
        refiner = _Refiner(indptr, targets, symbols, 0, np.zeros(n, dtype=bool), beta, blocks,
                           True)
        refiner.run()
        assert len(refiner.members) == n  # every state apart on these families
        assert refiner.work <= (m + n) * np.log2(n), (k, refiner.work)
