"""The error-size frontier: coarsen's points are exact, the greedy against the optimum."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from abstractions import (
    Computation,
    Partition,
    TooLargeError,
    coarsen,
    consistency_error,
    optimal_coarsening,
    output_abstraction,
    polish,
    weights,
)
from abstractions.approximate import DEFAULT_METRICS
from abstractions.strategies import computations, partitions, transition_systems

RANDOM_WALKS = ("labelled", "nondeterministic", "probabilistic")


@st.composite
def cases(draw, max_states=7):
    if draw(st.booleans()):
        S = draw(computations(min_states=1, max_states=max_states))
    else:
        # the approximate notions read random walks: not CTMCs (rates)
        S = draw(transition_systems(kinds=RANDOM_WALKS, max_states=max_states))
    alpha = draw(partitions(S.n))
    raw = draw(st.lists(st.integers(0, 3), min_size=S.n, max_size=S.n))
    if not any(raw):
        raw[0] = 1
    return S, alpha, weights.from_array(S, raw)


def mutual_information(P, beta, mu):
    """I(P; beta) in bits under mu, from the joint table."""
    T = np.zeros((P.n_blocks, beta.n_blocks))
    np.add.at(T, (P.labels, beta.labels), mu)
    total = T.sum()
    px, py = T.sum(1), T.sum(0)
    return sum(T[i, j] / total * math.log2(T[i, j] * total / (px[i] * py[j]))
               for i in range(T.shape[0]) for j in range(T.shape[1]) if T[i, j] > 0)


@given(cases())
def test_every_point_of_the_frontier_is_exact(case):
    """Each point's error is consistency_error of its partition; information is I(block; beta)."""
    S, alpha, mu = case
    f = coarsen(S, alpha, weights=mu)
    beta = output_abstraction(S)
    assert f.blocks[0] == alpha.n_blocks and f.blocks[-1] == 1
    assert np.all(np.diff(f.blocks) == -1)
    for i in range(len(f)):
        P = f.partition(i)
        assert P.n_blocks == f.blocks[i] and P <= alpha
        assert math.isclose(f.errors[i], consistency_error(S, P, weights=mu).total,
                            abs_tol=1e-9)
        assert math.isclose(f.information[i], mutual_information(P, beta, mu.values),
                            abs_tol=1e-9)


@given(cases(max_states=6), st.integers(1, 4))
def test_greedy_is_never_better_than_the_optimum(case, k):
    """The exhaustive optimum's error is at most the greedy's at the same size."""
    S, alpha, mu = case
    best, error = optimal_coarsening(S, alpha, k, weights=mu)
    assert best.n_blocks <= k and best <= alpha
    assert math.isclose(error, consistency_error(S, best, weights=mu).total, abs_tol=1e-9)
    f = coarsen(S, alpha, weights=mu, max_blocks=k)
    assert f.errors[-1] >= error - 1e-9


def test_greedy_gap_to_the_optimum_is_reported(capsys):
    """Over 16 random small systems the greedy's mean gap to the optimum stays small."""
    rng = np.random.default_rng(3)
    gaps = []
    for trial in range(16):
        n = 6
        if trial % 2:
            S = Computation(rng.integers(0, n, n), output=rng.integers(0, 2, n))
        else:
            rows = rng.random((n, n)) * (rng.random((n, n)) < 0.4)
            rows[np.arange(n), rng.integers(0, n, n)] += 0.1
            from abstractions import TransitionSystem

            S = TransitionSystem.probabilistic(rows / rows.sum(1, keepdims=True))
        alpha = Partition.top(n)
        f = coarsen(S, alpha)
        for k in (2, 3):
            _, optimum = optimal_coarsening(S, alpha, k)
            greedy = f.errors[np.flatnonzero(f.blocks <= k)[0]]
            gaps.append(greedy - optimum)
    gaps = np.array(gaps)
    with capsys.disabled():
        print(f"\ngreedy - optimum over {gaps.size} cases: mean {gaps.mean():.4f}, "
              f"max {gaps.max():.4f}, optimal in {np.mean(gaps < 1e-9):.0%}")
    assert gaps.min() >= -1e-9
    assert gaps.mean() <= 0.1


def test_max_error_stops_before_the_merge_that_exceeds_it():
    """With max_error the frontier ends at the last point within it."""
    C = Computation((np.arange(8) + 1) % 8, output=np.arange(8) % 2)
    f = coarsen(C, Partition.top(8), max_error=0.0)
    assert f.errors.max() == 0.0
    assert f.blocks[-1] == 8


def test_bad_arguments_are_refused():
    """max_blocks < 1, a negative max_error, another metric and huge searches raise clearly."""
    C = Computation([1, 2, 0])
    with pytest.raises(ValueError, match="max_blocks must be at least 1, got 0"):
        coarsen(C, Partition.top(3), max_blocks=0)
    with pytest.raises(ValueError, match="max_error"):
        coarsen(C, Partition.top(3), max_error=-1)
    with pytest.raises(ValueError, match="max_error"):
        coarsen(C, Partition.top(3), max_error=float("nan"))
    with pytest.raises(ValueError, match="metric"):
        coarsen(C, Partition.top(3), metric="tv")
    with pytest.raises(ValueError, match="4 states"):
        coarsen(C, Partition.top(4))
    with pytest.raises(TooLargeError):
        optimal_coarsening(Computation(np.arange(30)), Partition.top(30), 5)
    with pytest.raises(ValueError, match="max_blocks"):
        optimal_coarsening(C, Partition.top(3), 0)


@given(cases(max_states=6), st.integers(1, 3), st.booleans())
def test_polish_never_raises_the_error_and_keeps_the_size(case, k, per_weight):
    """polish returns a coarsening with as many blocks and no more error; per_weight stays exact."""
    S, alpha, mu = case
    f = coarsen(S, alpha, weights=mu, max_blocks=k, per_weight=per_weight)
    for i in range(len(f)):
        assert math.isclose(f.errors[i], consistency_error(S, f.partition(i), weights=mu).total,
                            abs_tol=1e-9)
    P = f.partition(len(f) - 1)
    Q = polish(S, P, alpha=alpha, weights=mu)
    assert Q.n_blocks == P.n_blocks and Q <= alpha
    assert consistency_error(S, Q, weights=mu).total <= consistency_error(S, P, weights=mu).total \
        + 1e-12


@given(st.data())
def test_function_greedy_costs_are_exact_merge_after_merge(data):
    """For a function, every pair's incremental cost is the change of the exact error."""
    from abstractions.frontier import _FunctionGreedy, _quotient

    S = data.draw(computations(min_states=1, max_states=8))
    alpha = data.draw(partitions(S.n))
    raw = data.draw(st.lists(st.integers(0, 3), min_size=S.n, max_size=S.n))
    if not any(raw):
        raw[0] = 1
    mu = weights.from_array(S, raw)
    beta = output_abstraction(S)
    G = _FunctionGreedy(_quotient(S, alpha, mu, beta))

    def current():
        return Partition(G.root[alpha.labels])

    while True:
        P = current()
        error = consistency_error(S, P, weights=mu).total
        assert math.isclose(G.summary()[0], error, abs_tol=1e-9)
        assert math.isclose(G.summary()[1], mutual_information(P, beta, mu.values),
                            abs_tol=1e-9)
        T = np.zeros((P.n_blocks, beta.n_blocks))
        np.add.at(T, (P.labels, beta.labels), mu.values)
        assert math.isclose(G.summary()[2], T.max(axis=1).sum() / T.sum(), abs_tol=1e-9)
        groups = sorted(set(G.root.tolist()))
        if len(groups) < 2:
            return
        for i, x in enumerate(groups):
            for y in groups[i + 1:]:
                merged = Partition(np.where(G.root == y, x, G.root)[alpha.labels])
                expected = consistency_error(S, merged, weights=mu).total - error
                assert math.isclose(G.cost(x, y), expected, abs_tol=1e-9)
        x, y = data.draw(st.sampled_from([(a, b) for i, a in enumerate(groups)
                                          for b in groups[i + 1:]]))
        G.merge(x, y)


def _group_error(G, g, merge, members):
    """The error of group ``g`` once ``merge = (x, y)`` joins ``y`` into ``x``: one
    numpy evaluation of the units of ``members`` (groups, before the merge)."""
    from abstractions.frontier import _evaluate

    units = np.array([u for m in members for u in G.units[m]], dtype=np.int64)
    if not units.size:
        return 0.0
    group = np.where(G.root == merge[1], merge[0], G.root)
    return float(_evaluate(G.Q, units, group, G.metric, G.Q.K)[group[G.Q.block[units[0]]]])


@settings(max_examples=15, deadline=None)
@given(st.data())
def test_greedy_costs_on_the_quotient_are_exact_merge_after_merge(data):
    """A merge's errors, taken in one evaluation, are the group-by-group ones, bit for bit.

    (That the costs are exact is checked on the frontier's points above.)
    """
    from abstractions.frontier import _Greedy, _quotient

    S = data.draw(transition_systems(kinds=RANDOM_WALKS, max_states=6))
    alpha = data.draw(partitions(S.n))
    raw = data.draw(st.lists(st.integers(0, 3), min_size=S.n, max_size=S.n))
    if not any(raw):
        raw[0] = 1
    mu = weights.from_array(S, raw)
    Q = _quotient(S, alpha, mu, output_abstraction(S))
    G = _Greedy(Q, DEFAULT_METRICS[S.kind])
    # A Markov chain's costs also in the kernel (above _TV_KERNEL_UNITS units, or once warm).
    twin = None
    if G.metric == "tv" and Q.rows.n_symbols == 1:
        twin = _Greedy(Q, G.metric)
        if twin.kernel is None:
            twin._start_kernel()
        if G.kernel is not None:
            G.kernel = None
    while True:
        P = Partition(G.root[alpha.labels])
        error = consistency_error(S, P, weights=mu).total
        assert math.isclose(G.summary()[0], error, abs_tol=1e-9)
        groups = sorted(set(G.root.tolist()))
        if len(groups) < 2:
            return
        for i, x in enumerate(groups):
            for y in groups[i + 1:]:
                merged, changed, after = G._errors_after(x, y)
                assert changed == sorted((G.pred[x] & G.pred[y]) - {x, y})
                assert merged == _group_error(G, x, (x, y), [x, y])
                assert after == [_group_error(G, z, (x, y), [z]) for z in changed]
                if twin is not None:
                    # The union exactly; a changed group from its rows into x and y only.
                    got = twin._errors_after(x, y)
                    assert got[:2] == (merged, changed)
                    assert np.allclose(got[2], after, rtol=0, atol=1e-12)
        x, y = data.draw(st.sampled_from([(a, b) for i, a in enumerate(groups)
                                          for b in groups[i + 1:]]))
        keep, gone = (x, y) if data.draw(st.booleans()) else (y, x)
        G.merge(keep, gone)
        if twin is not None:
            twin.merge(keep, gone)
            assert twin.root.tolist() == G.root.tolist()
            assert twin.units == G.units
            assert np.allclose(twin.error, G.error, rtol=0, atol=1e-12)


def test_coarsen_of_a_function_is_the_same_with_and_without_the_kernel(monkeypatch):
    """Small quotients merge in Python, large ones in the kernel: the same frontier either way."""
    import abstractions.frontier as frontier

    rng = np.random.default_rng(5)
    C = Computation(rng.integers(0, 300, 300))
    alpha = Partition(rng.integers(0, 120, 300))
    results = []
    for threshold in (0, 10**9):
        monkeypatch.setattr(frontier, "_KERNEL_BLOCKS", threshold)
        F = coarsen(C, alpha, max_blocks=5)
        results.append(F)
    a, b = results
    assert a.blocks.tolist() == b.blocks.tolist() and a.merges.tolist() == b.merges.tolist()
    assert np.array_equal(a.errors, b.errors) and np.array_equal(a.information, b.information)


def planted_chain(blocks, size, leak, seed):
    """A metastable chain: dense random rows inside each planted block, ``leak`` out of it."""
    rng = np.random.default_rng(seed)
    n = blocks * size
    planted = np.repeat(np.arange(blocks), size)
    rows = rng.random((n, n)) * (planted[:, None] == planted[None, :])
    rows /= rows.sum(axis=1, keepdims=True)
    noise = rng.random((n, n)) * (rng.random((n, n)) < 0.05)
    noise[np.arange(n), rng.integers(0, n, n)] += 0.01
    noise /= noise.sum(axis=1, keepdims=True)
    from abstractions import TransitionSystem

    return TransitionSystem.probabilistic((1 - leak) * rows + leak * noise), Partition(planted)


@pytest.mark.parametrize("seed", [0, 1])
def test_coarsen_of_a_chain_reaches_the_planted_defect(seed):
    """On a planted metastable chain with noise, coarsen to k blocks beats the plant.

    The end of the frontier (the partition at max_blocks) has a
    lumpability defect at most the planted partition's own defect.
    """
    T, planted = planted_chain(3, 8, 0.05, seed)
    mu = weights.stationary(T)
    bound = consistency_error(T, planted, weights=mu).total
    f = coarsen(T, Partition.top(T.n), weights=mu, max_blocks=3)
    end = f.partition(blocks=3)
    assert end.n_blocks == 3
    assert math.isclose(f.errors[-1], consistency_error(T, end, weights=mu).total,
                        abs_tol=1e-9)
    assert f.errors[-1] <= bound + 1e-9


@settings(max_examples=15)
@given(st.integers(0, 2**32 - 1), st.integers(5, 10), st.integers(2, 4))
def test_the_end_of_a_chain_frontier_is_exact_and_no_worse_than_the_greedy(seed, n, k):
    """With max_blocks, every point is still exact, and the end is no worse than the plain greedy.

    The plain greedy is the frontier without max_blocks (no improvement of
    its end) read at the same size.
    """
    from abstractions import TransitionSystem

    rng = np.random.default_rng(seed)
    rows = rng.random((n, n)) * (rng.random((n, n)) < 0.4)
    rows[np.arange(n), rng.integers(0, n, n)] += 0.1
    T = TransitionSystem.probabilistic(rows / rows.sum(axis=1, keepdims=True))
    mu = weights.from_array(T, rng.integers(1, 4, n))
    f = coarsen(T, Partition.top(n), weights=mu, max_blocks=k)
    assert f.blocks.tolist() == list(range(n, k - 1, -1))
    for i in range(len(f)):
        P = f.partition(i)
        assert P.n_blocks == f.blocks[i]
        assert math.isclose(f.errors[i], consistency_error(T, P, weights=mu).total,
                            abs_tol=1e-9)
    plain = coarsen(T, Partition.top(n), weights=mu)
    assert f.errors[-1] <= plain.errors[plain.blocks.tolist().index(k)] + 1e-9


def most_probable_path_naive(P, population, k):
    """The most-probable-path lumping from its definition, macrostates as sets of states.

    Each round rebuilds the lumped chain from the states: a macrostate's
    row is the population-weighted mean of its states' rows summed into
    the macrostates. The least self-transition (ties: the oldest
    macrostate) joins the macrostate it most probably moves to (ties: the
    youngest). Exact fractions, so no rounding can break a tie.
    """
    from fractions import Fraction

    n = len(P)
    P = [[Fraction(x) for x in row] for row in P]
    pop = [Fraction(x) for x in population]

    def lumped(macro, a, b):
        mass = sum(pop[s] for s in macro[a])
        return sum(pop[s] * sum(P[s][t] for t in macro[b]) for s in macro[a]) / mass

    macro = [[s] for s in range(n)]           # in order of age
    while len(macro) > k:
        stay = [lumped(macro, a, a) for a in range(len(macro))]
        a = min(range(len(macro)), key=lambda i: (stay[i], i))
        others = [b for b in range(len(macro)) if b != a]
        t = max(others, key=lambda b: (lumped(macro, a, b), b))
        joined = macro[a] + macro[t]
        macro = [m for i, m in enumerate(macro) if i not in (a, t)] + [joined]
    labels = np.zeros(n, dtype=np.int64)
    for i, m in enumerate(macro):
        labels[m] = i
    return Partition(labels)


def sparse(P):
    """A dense matrix as the CSR arrays ``_most_probable_path`` takes (its nonzero entries)."""
    P = np.asarray(P, dtype=np.float64)
    r, c = np.nonzero(P)
    ptr = np.searchsorted(r, np.arange(P.shape[0] + 1)).astype(np.int64)
    return ptr, c.astype(np.int64), P[r, c]


def most_probable_path_dense(L, population, k):
    """The most-probable-path lumping on a dense matrix, one merge at a time, in place.

    The start's first (dense) version, kept as the oracle of the sparse one:
    each round scans all K macrostates for the least self-transition (ties:
    the oldest) and its row for the likeliest target (ties: the youngest,
    among all active macrostates when the row has nothing positive); the
    merged row is ``(L[a] * pop[a] + L[t] * pop[t]) / total``, the column
    ``L[:, t] += L[:, a]``. Same floats, so the sparse one must agree exactly.
    """
    L = np.array(L, dtype=np.float64)
    K = L.shape[0]
    pop = np.array(population, dtype=np.float64)
    age = np.arange(K, dtype=np.int64)
    active = np.ones(K, dtype=bool)
    slot = np.arange(K, dtype=np.int64)
    stay = np.diag(L).copy()
    for step in range(K - k):
        diag = np.where(active, stay, np.inf)
        low = np.flatnonzero(diag == diag.min())
        a = int(low[np.argmin(age[low])])
        row = np.where(active, L[a], -np.inf)
        row[a] = -np.inf
        likely = np.flatnonzero(row == row.max())
        t = int(likely[np.argmax(age[likely])])
        total = pop[a] + pop[t]
        if total > 0:
            merged = (L[a] * pop[a] + L[t] * pop[t]) / total
        else:
            merged = (L[a] + L[t]) / 2.0
        L[t] = merged
        L[:, t] += L[:, a]
        L[a] = 0.0
        L[:, a] = 0.0
        pop[t] = total
        active[a] = False
        age[t] = K + step
        stay[t] = L[t, t]
        slot[slot == a] = t
    return Partition(slot)


def lumped_chain_dense(Q):
    """The quotient chain as a dense K x K matrix (``np.add.at``), and each block's weight."""
    K, lab = Q.K, Q.block
    mass = np.bincount(lab, weights=Q.w, minlength=K).astype(np.float64)
    fit = np.where(mass[lab] > 0, Q.w, 1.0)
    fmass = np.bincount(lab, weights=fit, minlength=K)
    share = fit / fmass[lab]
    r = Q.rows
    L = np.zeros((K, K))
    np.add.at(L, (lab[r.unit], r.block), share[r.unit] * r.raw)
    return L, mass


@st.composite
def tie_chains(draw, max_states=9):
    """Row-stochastic (or sub-stochastic) matrices rich in ties, and populations with zeros.

    Rows are drawn from a few shapes: a random row of repeated values, an
    absorbing state (all on the diagonal), a state with nothing to others
    but part of its mass, an all-zero row, and a plain random float row.
    Populations are small integers, zeros included, or random floats.
    """
    n = draw(st.integers(2, max_states))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    P = np.zeros((n, n))
    for s in range(n):
        kind = draw(st.sampled_from(["repeated", "absorbing", "self", "zero", "float"]))
        if kind == "repeated":
            support = rng.random(n) < 0.5
            support[rng.integers(n)] = True
            P[s] = np.where(support, rng.choice([1.0, 2.0], n), 0.0)
            P[s] /= P[s].sum()
        elif kind == "absorbing":
            P[s, s] = 1.0
        elif kind == "self":
            P[s, s] = rng.choice([0.5, 0.25, 0.1])
        elif kind == "float":
            P[s] = rng.random(n) * (rng.random(n) < 0.6)
            P[s, rng.integers(n)] += 0.1
            P[s] /= P[s].sum()
    pops = draw(st.sampled_from(["ints", "zeros", "floats"]))
    if pops == "ints":
        population = rng.integers(0, 4, n).astype(np.float64)
    elif pops == "zeros":
        population = np.zeros(n)
    else:
        population = rng.random(n)
    k = draw(st.integers(1, n))
    return P, population, k


@settings(max_examples=300)
@given(tie_chains())
def test_sparse_most_probable_path_is_the_dense_one(case):
    """The sparse start merges exactly as the dense matrix does (ties, zero populations)."""
    from abstractions.frontier import _most_probable_path

    P, population, k = case
    got = Partition(_most_probable_path(*sparse(P), population, k))
    assert got == most_probable_path_dense(P, population, k)


@settings(max_examples=25)
@given(tie_chains(), st.integers(0, 200))
def test_most_probable_path_gives_up_only_past_its_work(case, work):
    """With a work bound it returns the unbounded partition or None, None only when bounded tighter.

    The bound counts the row and column entries the merges touch; a bound
    the run fits in changes nothing, a smaller one gives up.
    """
    from abstractions.frontier import _most_probable_path

    P, population, k = case
    free = _most_probable_path(*sparse(P), population, k)
    got = _most_probable_path(*sparse(P), population, k, work=work)
    if got is not None:
        assert np.array_equal(got, free)
        assert _most_probable_path(*sparse(P), population, k, work=work + 1) is not None
    elif work > 0:
        assert _most_probable_path(*sparse(P), population, k, work=work - 1) is None
    assert _most_probable_path(*sparse(P), population, k, work=10**6) is not None


@settings(max_examples=25)
@given(st.integers(0, 2**32 - 1), st.integers(2, 60), st.integers(1, 10), st.booleans())
def test_sparse_most_probable_path_on_sparse_chains(seed, n, k, walk):
    """On larger sparse chains (random walks on a ring, few random targets) too."""
    from abstractions.frontier import _most_probable_path

    rng = np.random.default_rng(seed)
    P = np.zeros((n, n))
    for s in range(n):
        if walk:
            for t in ((s - 1) % n, (s + 1) % n):
                P[s, t] += 0.5 * min(1.0, float(np.exp(-rng.standard_normal())))
            P[s, s] += 1.0 - P[s].sum()
        else:
            P[s, rng.integers(0, n, 3)] += rng.integers(1, 4, 3)
            P[s] /= P[s].sum()
    population = rng.random(n) * (rng.random(n) < 0.8)
    k = min(k, n)
    got = Partition(_most_probable_path(*sparse(P), population, k))
    assert got == most_probable_path_dense(P, population, k)


@settings(max_examples=30)
@given(st.data())
def test_the_most_probable_path_start_on_a_quotient_is_the_dense_one(data):
    """``_mpp_groups`` on the weighted quotient of a coarse ``alpha`` equals the dense lumping.

    The sparse rows hold exactly the dense quotient matrix's nonzero cells
    (summed in the same order), weights with zeros included.
    """
    from abstractions import TransitionSystem
    from abstractions.frontier import _lumped_rows, _mpp_groups, _quotient

    seed = data.draw(st.integers(0, 2**32 - 1))
    n = data.draw(st.integers(2, 12))
    rng = np.random.default_rng(seed)
    rows = rng.random((n, n)) * (rng.random((n, n)) < 0.4)
    rows[np.arange(n), rng.integers(0, n, n)] += 0.25
    rows /= rows.sum(axis=1, keepdims=True)
    T = TransitionSystem.probabilistic(rows)
    alpha = Partition(rng.integers(0, data.draw(st.integers(1, n)), n))
    w = rng.integers(0, 3, n).astype(np.float64)
    w[rng.integers(n)] = 1.0
    mu = weights.from_array(T, w)
    Q = _quotient(T, alpha, mu, output_abstraction(T))
    L, mass = lumped_chain_dense(Q)
    ptr, col, val, mass2 = _lumped_rows(Q)
    dense = np.zeros_like(L)
    dense[np.repeat(np.arange(Q.K), np.diff(ptr)), col] = val
    assert np.array_equal(dense, L) and np.array_equal(mass, mass2)
    k = data.draw(st.integers(1, Q.K))
    got = _mpp_groups(Q, k)
    if Q.K <= k:
        assert got is None
    else:
        assert Partition(got) == most_probable_path_dense(L, mass, k)


@settings(max_examples=25)
@given(st.integers(0, 2**32 - 1), st.integers(3, 7), st.integers(1, 3))
def test_most_probable_path_start_follows_its_definition(seed, n, k):
    """The most-probable-path start merges as the rule says (against exact fractions).

    Probabilities and populations are dyadic (multiples of 1/8 and small
    integers), so the float merges are exact and agree with the fractions,
    ties included.
    """
    from abstractions.frontier import _most_probable_path

    rng = np.random.default_rng(seed)
    counts = rng.multinomial(8, rng.dirichlet(np.ones(n)), size=n)
    P = counts / 8.0
    population = rng.integers(1, 5, n).astype(np.float64)
    got = Partition(_most_probable_path(*sparse(P), population, min(k, n)))
    assert got == most_probable_path_naive(P, population, min(k, n))
    assert most_probable_path_dense(P, population, min(k, n)) == got


def test_most_probable_path_start_by_hand():
    """A hand-worked case: the two leaky states join, then the least sticky pair.

    Self-transitions 0.9, 0.1, 0.2, 0.8: state 1 (0.1) moves mostly to 0
    and joins it; the pair {0, 1} (populations 1 and 3) has
    (0.9 + 0.05 + 3 * (0.7 + 0.1)) / 4 = 0.8375 of staying, so state 2
    (0.2) goes next, to 3.
    """
    from abstractions.frontier import _most_probable_path

    P = np.array([[0.9, 0.05, 0.05, 0.0],
                  [0.7, 0.1, 0.1, 0.1],
                  [0.0, 0.1, 0.2, 0.7],
                  [0.0, 0.0, 0.2, 0.8]])
    got = _most_probable_path(*sparse(P), np.array([1.0, 3.0, 1.0, 1.0]), 2)
    assert got.tolist() == [0, 0, 1, 1]


def test_most_probable_path_with_nothing_to_others_goes_to_the_youngest():
    """A macrostate with no probability to another joins the youngest (mpp-lumping's argmax).

    States 0 and 1 only stay (0.5 and 0.6), 2 and 3 are absorbing: 0 goes
    first and, with nothing positive to others, joins the youngest, 3;
    then 1 (0.6) joins the youngest, the merged {0, 3}.
    """
    from abstractions.frontier import _most_probable_path

    P = np.diag([0.5, 0.6, 1.0, 1.0])
    got = _most_probable_path(*sparse(P), np.ones(4), 2)
    assert got.tolist() == [0, 0, 1, 0]


def _random_chain(seed, n):
    """A random chain on ``n`` states (half its moves, one likely), and random weights."""
    from abstractions import TransitionSystem

    rng = np.random.default_rng(seed)
    rows = rng.random((n, n)) * (rng.random((n, n)) < 0.5)
    rows[np.arange(n), rng.integers(0, n, n)] += 0.1
    rows /= rows.sum(axis=1, keepdims=True)
    T = TransitionSystem.probabilistic(rows)
    return rows, T, weights.from_array(T, rng.integers(1, 4, n))


@settings(max_examples=10)
@given(st.integers(0, 2**32 - 1), st.integers(6, 12), st.integers(2, 4))
def test_the_end_of_a_chain_frontier_is_no_worse_than_the_most_probable_path(seed, n, k):
    """coarsen's end at k blocks is at most the raw defect of the most-probable-path start."""
    from abstractions.frontier import _most_probable_path

    rows, T, mu = _random_chain(seed, n)
    f = coarsen(T, Partition.top(n), weights=mu, max_blocks=k)
    start = Partition(_most_probable_path(*sparse(rows), mu.values.copy(), k))
    assert f.errors[-1] <= consistency_error(T, start, weights=mu).total + 1e-9


@settings(max_examples=10)
@given(st.integers(0, 2**32 - 1), st.integers(6, 12), st.integers(2, 4))
def test_a_chain_of_many_blocks_ends_without_the_greedy(seed, n, k):
    """Above _GREEDY_CHAIN_BLOCKS blocks the greedy is skipped: the end comes from the other
    starts (no worse than the most-probable-path one), every point is exact and the merges nest.
    """
    from abstractions import frontier

    rows, T, mu = _random_chain(seed, n)
    saved = frontier._GREEDY_CHAIN_BLOCKS
    frontier._GREEDY_CHAIN_BLOCKS = 3
    try:
        f = coarsen(T, Partition.top(n), weights=mu, max_blocks=k)
    finally:
        frontier._GREEDY_CHAIN_BLOCKS = saved
    assert f.blocks.tolist() == list(range(n, k - 1, -1))
    previous = Partition.top(n)
    for i in range(len(f)):
        P = f.partition(i)
        assert P.n_blocks == f.blocks[i] and P <= previous
        assert math.isclose(f.errors[i], consistency_error(T, P, weights=mu).total,
                            abs_tol=1e-9)
        previous = P
    start = Partition(most_probable_path_dense(rows.copy(), mu.values.copy(), k))
    assert f.errors[-1] <= consistency_error(T, start, weights=mu).total + 1e-9
