"""The approximate notions' kernels equal their naive twins (also with NUMBA_DISABLE_JIT=1)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests import naive


def _ints(xs) -> np.ndarray:
    return np.ascontiguousarray(np.array(xs, dtype=np.int64).reshape(-1))


@st.composite
def pair_tables(draw):
    """States moving between blocks: few blocks (flat table) or many (bucketed by block)."""
    k = draw(st.sampled_from([1, 3, 6, 1100, 5000]))
    n = draw(st.integers(0, 30))
    # Many blocks: draw ids from a few values anyway, so that pairs repeat.
    pool = draw(st.lists(st.integers(0, k - 1), min_size=1, max_size=6))
    src = draw(st.lists(st.sampled_from(pool), min_size=n, max_size=n))
    dst = draw(st.lists(st.sampled_from(pool), min_size=n, max_size=n))
    w = draw(st.one_of(st.just([]),
                       st.lists(st.integers(0, 3), min_size=n, max_size=n)))
    return k, src, dst, [float(x) for x in w]


@given(pair_tables())
def test_plurality_equals_naive_for_few_and_many_blocks(case):
    """The plurality kernel (flat table or counting sort) equals the dictionaries, exactly."""
    from abstractions._kernels import _plurality

    k, src, dst, w = case
    best, total, top = _plurality(_ints(src), _ints(dst), np.array(w, dtype=np.float64), k)
    e_best, e_total, e_top = naive.plurality(src, dst, w, k)
    # Integer weights: every sum is exact in any order.
    assert best.tolist() == e_best
    assert total.tolist() == e_total and top.tolist() == e_top


@given(pair_tables(), st.data())
def test_first_mismatch_equals_naive(case, data):
    """The first mismatched state of positive weight, or -1."""
    from abstractions._kernels import _first_mismatch

    k, src, dst, w = case
    best = data.draw(st.lists(st.integers(0, k - 1), min_size=k, max_size=k)) if k < 10 else \
        list(np.array(dst + [0] * k)[:k])
    got = _first_mismatch(_ints(src), _ints(dst), _ints(best), np.array(w, dtype=np.float64))
    assert got == naive.first_mismatch(src, dst, best, w)


@st.composite
def chains_and_blocks(draw):
    """A chain in CSR form with dyadic probabilities (exact sums), blocks and integer weights."""
    n = draw(st.integers(1, 9))
    k = draw(st.integers(1, n)) if draw(st.booleans()) else n
    indptr, targets, eighths = [0], [], []
    for _ in range(n):
        parts = draw(st.lists(st.integers(1, 8), min_size=1, max_size=4))
        total = sum(parts)
        # Split 8 eighths over the targets in proportion (the last takes the rest).
        share = [p * 8 // total for p in parts[:-1]]
        share.append(8 - sum(share))
        row = [(draw(st.integers(0, n - 1)), q) for q in share if q > 0]
        row.sort()
        targets += [t for t, _ in row]
        eighths += [q for _, q in row]
        indptr.append(len(targets))
    labels = draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n))
    w = draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    exact = draw(st.booleans())
    return indptr, targets, eighths, labels, k, [float(x) for x in w], exact


@given(chains_and_blocks())
def test_lumping_defect_equals_naive(case):
    """Scores and mean rows of the lumpability kernel equal the definition's, exactly."""
    from abstractions._kernels import _lumping_defect

    indptr, targets, eighths, labels, k, w, exact = case
    if exact:
        num, prob, scale = eighths, [], 8.0
    else:
        num, prob, scale = [], [q / 8 for q in eighths], 1e9
    got = _lumping_defect(_ints(indptr), _ints(targets), _ints(labels), k,
                          np.array(w, dtype=np.float64), np.array(prob, dtype=np.float64),
                          _ints(num), scale)
    expected = naive.lumping_defect(indptr, targets, labels, k, w, prob, num, scale)
    for a, b in zip(got, expected):
        assert a.tolist() == list(b)



@st.composite
def profile_cases(draw, *, max_states=14):
    """A function, a start partition, integer weights (or none), a round limit.

    Besides uniform draws, steps into a few states and starts of one block:
    big blocks split by a few touched states over many rounds, so that the
    untouched remainder is now the largest part, now not.
    """
    n = draw(st.integers(1, max_states))
    pool = draw(st.one_of(st.just(n), st.integers(1, n)))
    step = draw(st.lists(st.integers(0, pool - 1), min_size=n, max_size=n))
    if draw(st.booleans()):
        step = [(i + 1) % n if s % 3 else s for i, s in enumerate(step)]
    k = draw(st.integers(1, n))
    labels = draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n))
    w = draw(st.one_of(st.just([]), st.lists(st.integers(0, 3).map(float),
                                            min_size=n, max_size=n)))
    max_rounds = draw(st.sampled_from([-1, -1, 0, 1, 2, 4]))
    return step, labels, w, max_rounds


def _profile(step, labels, w, max_rounds, dtype=np.int32):
    from abstractions._kernels import _function_profile

    ix = np.empty(0, dtype=dtype)
    return _function_profile(_ints(step), _ints(labels), np.array(w, dtype=np.float64),
                             max_rounds, ix)


@given(profile_cases())
def test_function_profile_equals_naive(case):
    """Blocks and losses of every round (only touched states read) equal the rounds from scratch.

    Integer weights: every sum is exact in any order, so the losses agree
    exactly although the kernel keeps a block's mass by subtraction.
    """
    blocks, loss = _profile(*case)
    expected_blocks, expected_loss = naive.function_profile(*case)
    assert blocks.tolist() == expected_blocks
    assert loss.tolist() == expected_loss


@given(profile_cases(max_states=80))
def test_function_profile_equals_naive_on_longer_runs(case):
    """More states, more rounds: blocks and integer-weight losses still equal the definition's."""
    blocks, loss = _profile(*case)
    expected_blocks, expected_loss = naive.function_profile(*case)
    assert blocks.tolist() == expected_blocks
    assert loss.tolist() == expected_loss


@given(profile_cases(max_states=40), st.lists(st.floats(0.0, 1.0), min_size=40, max_size=40))
def test_function_profile_real_weights_match_naive(case, reals):
    """Real weights: the same blocks, and losses within 1e-12 of the total mass.

    The kernel keeps a block's mass and takes its touched states' mass off
    it, so its last bits may differ from the naive sums (a few roundings
    of a number at most the total mass): the tolerance is relative to the
    total mass, far above those roundings and far below any weight.
    """
    step, labels, _, max_rounds = case
    w = reals[: len(step)]
    blocks, loss = _profile(step, labels, w, max_rounds)
    expected_blocks, expected_loss = naive.function_profile(step, labels, w, max_rounds)
    assert blocks.tolist() == expected_blocks
    total = sum(w)
    for got, expected in zip(loss.tolist(), expected_loss, strict=True):
        assert math.isclose(got, expected, rel_tol=1e-12, abs_tol=1e-12 * total)
        assert got >= 0.0


@pytest.mark.slow
@given(profile_cases())
def test_function_profile_int64_kernel_equals_naive(case):
    """With an int64 index witness (n + blocks past 2**31 - 1) the kernel gives the same rounds."""
    assert [x.tolist() for x in _profile(*case, dtype=np.int64)] == [
        list(x) for x in naive.function_profile(*case)
    ]


def test_function_profile_refuses_a_too_narrow_witness():
    """An int32 witness for blocks numbered past 2**31 - 1 is an error, not a wrap-around."""
    from abstractions._kernels import _function_profile

    with pytest.raises(ValueError, match="int32"):
        _function_profile(_ints([0]), _ints([2**31]), np.zeros(0), -1, np.empty(0, np.int32))


@st.composite
def greedy_cases(draw):
    """A function (a few states or past the all-pairs threshold), a start, weights, a price."""
    from abstractions import Computation, Partition, weights

    n = draw(st.one_of(st.integers(1, 12), st.integers(60, 110)))
    pool = draw(st.integers(1, n))
    step = draw(st.lists(st.integers(0, pool - 1), min_size=n, max_size=n))
    out = draw(st.lists(st.integers(0, 2), min_size=n, max_size=n))
    S = Computation(_ints(step), output=_ints(out))
    cut = draw(st.integers(1, n))
    alpha = Partition(_ints([i % cut for i in range(n)]))
    raw = draw(st.one_of(st.none(), st.lists(st.integers(0, 3), min_size=n, max_size=n)))
    if raw is not None and not any(raw):
        raw[0] = 1
    mu = None if raw is None else weights.from_array(S, raw)
    target = draw(st.integers(1, n))
    bound = draw(st.sampled_from([math.inf, 0.0, 0.1, 0.5]))
    price = draw(st.sampled_from([0.0, 0.5, 3.0]))
    per_weight = draw(st.booleans())
    return S, alpha, mu, target, bound, price, per_weight


@given(greedy_cases())
def test_function_greedy_kernel_makes_the_python_greedys_merges(case):
    """coarsen's kernel for a function makes the same merges, with the same figures to the bit.

    Its naive twin is the Python version, ``frontier._FunctionGreedy`` run by
    ``frontier._greedy_loop`` (it stays in the package: ``_Greedy`` shares the
    loop, and ``tests/test_frontier.py`` checks its costs against recomputation).
    """
    from abstractions.frontier import (
        _function_loop,
        _FunctionGreedy,
        _greedy_loop,
        _quotient,
        _setup,
    )

    S, alpha, mu, target, bound, price, per_weight = case
    S, P, mu, _, B = _setup(S, alpha, mu, None, None)
    Q = _quotient(S, P, mu, B)
    got = _function_loop(Q, target, bound, price, per_weight)
    expected = _greedy_loop(_FunctionGreedy(Q), Q.K, target, bound, price, per_weight)
    assert got == expected


@st.composite
def grouped_chains(draw, dense=True):
    """A Markov chain, a coarse alpha, groups of alpha's blocks, and some whole groups as parts.

    Probabilities are drawn from a few values (so rows agree exactly and
    groups score 0), or dense (so rows into one group exceed the 8 and 128
    entries where numpy's pairwise summation changes its order).
    """
    from abstractions import Partition, TransitionSystem, weights

    n = draw(st.integers(2, 12))
    dense = dense and draw(st.booleans()) and draw(st.booleans())
    if dense:
        n = draw(st.sampled_from([150, 300]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    if dense:
        P = rng.random((n, n))
    else:
        P = rng.integers(0, 3, (n, n)).astype(np.float64) * (rng.random((n, n)) < 0.6)
        P[np.arange(n), rng.integers(0, n, n)] += 1.0
    T = TransitionSystem.probabilistic(P / P.sum(axis=1, keepdims=True))
    mu = weights.from_array(T, rng.integers(0, 3, n) + (np.arange(n) == 0))
    alpha = Partition.top(n) if draw(st.booleans()) else Partition(rng.integers(0, n, n))
    group = rng.integers(0, min(draw(st.integers(1, 4)), alpha.n_blocks), alpha.n_blocks)
    return T, alpha, mu, group, rng


@given(grouped_chains())
def test_tv_group_errors_equals_evaluate(case):
    """The kernel's group errors are frontier._evaluate's (numpy) to the last bit.

    And both are the TV lumpability defect of each group from its definition
    (each unit's row into the groups against the group's weighted mean row).
    """
    from abstractions._kernels.approximate import _tv_group_errors
    from abstractions.frontier import _evaluate, _quotient
    from abstractions.keep import output_abstraction

    T, alpha, mu, group, rng = case
    Q = _quotient(T, alpha, mu, output_abstraction(T))
    ug = group[Q.block]
    present = np.unique(ug)
    chosen = rng.permutation(present)[: rng.integers(1, present.shape[0] + 1)]
    parts = [np.flatnonzero(ug == g) for g in chosen]
    parts = [p[rng.permutation(p.shape[0])] for p in parts]
    units = np.concatenate(parts).astype(np.int64)
    bounds = np.cumsum([0] + [p.shape[0] for p in parts])
    got = _tv_group_errors(Q.ptr, np.stack([Q.rows.block, Q.rows.q]), Q.rows.raw, Q.w, units,
                           group, bounds)
    want = _evaluate(Q, units, group, "tv", Q.K)[chosen]
    assert np.array_equal(got, want)
    k = int(group.max()) + 1
    for p, value in zip(parts, got.tolist()):
        R = np.zeros((p.shape[0], k))
        for i, u in enumerate(p.tolist()):
            for j in range(Q.ptr[u], Q.ptr[u + 1]):
                R[i, group[Q.rows.block[j]]] += Q.rows.raw[j]
        w = Q.w[p]
        fit = w if w.sum() > 0 else np.ones_like(w)
        mean = fit @ R / fit.sum()
        assert math.isclose(value, float(w @ (0.5 * np.abs(R - mean).sum(axis=1))),
                            abs_tol=1e-12)


@settings(max_examples=40)
@given(grouped_chains(dense=False))
def test_tv_merge_errors_kernel_matches_the_numpy_costs(case):
    """_tv_merge_errors (the chain greedy's costs) against frontier._evaluate, merge after merge.

    The union's error is the same float; a group moving into both merged
    groups is updated from its rows into them only, to within rounding.
    """
    from abstractions.frontier import _Greedy, _quotient
    from abstractions.keep import output_abstraction

    T, alpha, mu, group, rng = case
    Q = _quotient(T, alpha, mu, output_abstraction(T))
    plain, fast = _Greedy(Q, "tv"), _Greedy(Q, "tv")
    plain.kernel = None
    if fast.kernel is None:
        fast._start_kernel()
    for _ in range(12):
        roots = sorted(set(plain.root.tolist()))
        if len(roots) < 2:
            return
        pairs = [(x, y) for i, x in enumerate(roots) for y in roots[i + 1:]]
        for j in rng.permutation(len(pairs))[:10].tolist():
            x, y = pairs[j]
            want = plain._errors_after(x, y)
            got = fast._errors_after(x, y)
            assert got[:2] == want[:2]
            assert np.allclose(got[2], want[2], rtol=0, atol=1e-12)
        x, y = (int(v) for v in rng.choice(roots, 2, replace=False))
        plain.merge(x, y)
        fast.merge(x, y)
        assert np.allclose(fast.error, plain.error, rtol=0, atol=1e-12)
