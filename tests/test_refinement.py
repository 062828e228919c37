"""The refinement history: k rounds, the profile, split rounds and the linkage."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from scipy.cluster import hierarchy

from abstractions import (
    Computation,
    Partition,
    completion,
    consistency_error,
    minimal_complete_abstraction,
    refinement_linkage,
    refinement_profile,
    split_rounds,
)
from abstractions.strategies import computations, partitions, transition_systems


@st.composite
def systems_and_betas(draw):
    if draw(st.booleans()):
        S = draw(computations(min_states=1, max_states=8))
    else:
        # the profile's errors read random walks: not CTMCs (rates)
        S = draw(transition_systems(kinds=("labelled", "nondeterministic", "probabilistic"),
                                    max_states=7))
    return S, draw(partitions(S.n))


def _kleene(S, beta):
    chain = [beta]
    while True:
        nxt = completion(S, chain[-1])
        if nxt == chain[-1]:
            return chain
        chain.append(nxt)


@given(systems_and_betas(), st.integers(0, 9))
def test_rounds_k_is_the_kth_iterate_of_the_completion_operator(case, k):
    """minimal_complete_abstraction(rounds=k) is C^k(beta), the answer once k is large."""
    S, beta = case
    chain = _kleene(S, beta)
    got = minimal_complete_abstraction(S, beta, rounds=k)
    assert got == chain[min(k, len(chain) - 1)]
    if k >= len(chain):
        assert got == minimal_complete_abstraction(S, beta)


@given(systems_and_betas())
def test_profile_reports_each_round(case):
    """The profile's rounds are the Kleene chain, with each round's error; the last is 0."""
    S, beta = case
    chain = _kleene(S, beta)
    p = refinement_profile(S, beta)
    assert p.blocks.tolist() == [P.n_blocks for P in chain]
    for j, P in enumerate(chain):
        assert math.isclose(p.errors[j], consistency_error(S, P).total, abs_tol=1e-12)
    assert p.errors[-1] == 0
    assert p.partition(p.rounds) == chain[-1]


@given(systems_and_betas())
def test_split_rounds_are_the_first_round_that_separates(case):
    """r(s, t) is the first j with C^j(beta) separating s and t, NEVER (-1) if none does."""
    S, beta = case
    chain = _kleene(S, beta)
    for s in range(S.n):
        r = split_rounds(S, beta, s)
        for t in range(S.n):
            apart = [j for j, P in enumerate(chain) if P.labels[s] != P.labels[t]]
            assert r[t] == (apart[0] if apart else -1)


@given(systems_and_betas())
def test_linkage_is_the_ultrametric_of_split_rounds(case):
    """scipy reads the linkage; its cophenetic distance between blocks is gamma ** split round."""
    S, beta = case
    gamma = 0.5
    Z = refinement_linkage(S, beta, gamma=gamma)
    final = minimal_complete_abstraction(S, beta)
    K = final.n_blocks
    assert Z.shape == (K - 1, 4)
    if K < 2:
        return
    assert hierarchy.is_valid_linkage(Z)
    assert Z[-1, 3] == K
    d = hierarchy.cophenet(Z)
    reps = final.representatives()
    for b in range(K):
        r = split_rounds(S, beta, int(reps[b]))
        for c in range(b + 1, K):
            # condensed index of the pair (b, c)
            i = K * b - b * (b + 1) // 2 + (c - b - 1)
            assert math.isclose(d[i], gamma ** r[reps[c]])
    hierarchy.dendrogram(Z, no_plot=True)


def test_profile_of_a_large_function_uses_the_shared_gather():
    """The function fast path agrees with consistency_error round by round."""
    rng = np.random.default_rng(1)
    n = 2000
    C = Computation(rng.integers(0, n, n))
    beta = Partition(rng.integers(0, 2, n))
    p = refinement_profile(C, beta, max_rounds=4)
    for j in range(p.rounds + 1):
        assert math.isclose(p.errors[j], consistency_error(C, p.partition(j)).total)
