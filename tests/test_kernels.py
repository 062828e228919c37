"""Each numba kernel equals its naive twin (also run with NUMBA_DISABLE_JIT=1)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from abstractions._kernels import (
    _cycle_classes,
    _final_states,
    _first_occurrence,
    _meet_roots,
    _pair_labels,
    _reach,
    _reach_csr,
    _tree_classes,
    _tree_order,
)
from tests import naive

MAX_N = 12


def _ints(xs) -> np.ndarray:
    return np.ascontiguousarray(np.array(xs, dtype=np.int64).reshape(-1))


@st.composite
def values_and_k(draw):
    k = draw(st.integers(0, 6))
    n = draw(st.integers(0, MAX_N)) if k else 0
    values = draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)) if k else []
    return values, k


@st.composite
def two_labellings(draw):
    n = draw(st.integers(0, MAX_N))
    na = draw(st.integers(1, 5)) if n else 0
    nb = draw(st.integers(1, 5)) if n else 0
    a = naive.canonical(draw(st.lists(st.integers(0, na - 1), min_size=n, max_size=n))) if n else []
    b = naive.canonical(draw(st.lists(st.integers(0, nb - 1), min_size=n, max_size=n))) if n else []
    return a, b


@st.composite
def step_and_starts(draw):
    n = draw(st.integers(0, MAX_N))
    step = draw(st.lists(st.integers(0, n - 1), min_size=n, max_size=n)) if n else []
    starts = draw(st.lists(st.integers(0, n - 1), max_size=n)) if n else []
    return step, starts


@st.composite
def step_and_halted(draw):
    n = draw(st.integers(0, MAX_N))
    step = draw(st.lists(st.integers(0, n - 1), min_size=n, max_size=n)) if n else []
    halted = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    # the package stores halted states as absorbing; the kernel may rely on it
    step = [i if h else s for i, (s, h) in enumerate(zip(step, halted))]
    return step, halted


@given(values_and_k())
def test_first_occurrence_matches_naive(data):
    """_first_occurrence is the canonical first-occurrence relabelling."""
    values, k = data
    labels, count = _first_occurrence(_ints(values), k)
    expected_labels, expected_count = naive.first_occurrence(values, k)
    assert labels.dtype == np.int64
    assert labels.tolist() == expected_labels
    assert int(count) == expected_count


def test_first_occurrence_known_answer():
    """Values 5 3 5 0 3 relabel to 0 1 0 2 1 with 3 blocks."""
    labels, count = _first_occurrence(_ints([5, 3, 5, 0, 3]), 6)
    assert labels.tolist() == [0, 1, 0, 2, 1]
    assert int(count) == 3


def test_first_occurrence_empty_and_single():
    """No values give no labels and no blocks; one value gives one block."""
    labels, count = _first_occurrence(_ints([]), 0)
    assert labels.tolist() == [] and int(count) == 0
    labels, count = _first_occurrence(_ints([4]), 5)
    assert labels.tolist() == [0] and int(count) == 1


@given(two_labellings())
def test_meet_roots_matches_naive(data):
    """_meet_roots, canonicalised, is the meet (closure of the union)."""
    a, b = data
    na = max(a, default=-1) + 1
    nb = max(b, default=-1) + 1
    roots = _meet_roots(_ints(a), na, _ints(b), nb)
    assert len(roots) == len(a)
    # roots are a-block ids
    assert all(0 <= int(r) < na for r in roots)
    assert naive.canonical(roots.tolist()) == naive.meet_roots(a, b)


def test_meet_roots_chain():
    """Blocks linked in a chain 0-1, 1-2, 2-3 merge into one component."""
    a = [0, 0, 1, 1, 2, 2, 3]
    b = [0, 1, 1, 2, 2, 3, 3]
    roots = _meet_roots(_ints(a), 4, _ints(b), 4)
    assert naive.canonical(roots.tolist()) == [0] * 7


def test_meet_roots_empty_and_single():
    """The meet of empty labellings is empty; of one state is one block."""
    assert _meet_roots(_ints([]), 0, _ints([]), 0).tolist() == []
    assert naive.canonical(_meet_roots(_ints([0]), 1, _ints([0]), 1).tolist()) == [0]


@given(step_and_starts())
def test_reach_matches_naive(data):
    """_reach marks exactly the states reachable from the starts."""
    step, starts = data
    mask = _reach(_ints(step), _ints(starts))
    assert mask.dtype == np.bool_
    assert mask.tolist() == naive.reach(step, starts)


def test_reach_known_answer_and_empty():
    """From state 3 of 0<-1<-2<-3 with 0->0 every state is reached except 4."""
    step = [0, 0, 1, 2, 4]
    assert _reach(_ints(step), _ints([3])).tolist() == [True, True, True, True, False]
    assert _reach(_ints(step), _ints([])).tolist() == [False] * 5
    assert _reach(_ints([]), _ints([])).tolist() == []
    assert _reach(_ints([0]), _ints([0])).tolist() == [True]


@st.composite
def relation_and_starts(draw):
    n = draw(st.integers(1, MAX_N))
    successors = draw(st.lists(st.lists(st.integers(0, n - 1), max_size=4), min_size=n,
                               max_size=n))
    starts = draw(st.lists(st.integers(0, n - 1), max_size=4))
    return successors, starts


@given(relation_and_starts())
def test_reach_csr_equals_naive(case):
    """_reach_csr marks exactly the states reachable along the relation from the starts."""
    successors, starts = case
    indptr = _ints(np.cumsum([0] + [len(s) for s in successors]))
    targets = _ints([t for s in successors for t in s])
    got = _reach_csr(indptr, targets, _ints(starts))
    assert got.tolist() == naive.reach_relation(successors, starts)
    # ... and so does the numpy path of small relations.
    from abstractions._engine.relation import _reach_csr_numpy

    small = _reach_csr_numpy(indptr, targets, _ints(starts))
    assert small.dtype == np.bool_ and small.tolist() == got.tolist()


@given(step_and_halted())
def test_final_states_matches_naive(data):
    """_final_states gives the halted state each run reaches, -1 if none."""
    step, halted = data
    final = _final_states(_ints(step), np.array(halted, dtype=np.bool_))
    assert final.tolist() == naive.final_states(step, halted)


def test_final_states_known_answer_and_empty():
    """A tail into a halted state and a cycle without one."""
    step = [1, 2, 2, 4, 3]
    halted = np.array([False, False, True, False, False])
    assert _final_states(_ints(step), halted).tolist() == [2, 2, 2, -1, -1]
    assert _final_states(_ints([]), np.zeros(0, dtype=np.bool_)).tolist() == []
    assert _final_states(_ints([0]), np.array([True])).tolist() == [0]
    assert _final_states(_ints([0]), np.array([False])).tolist() == [-1]


# --- refinement kernels --------------------------------------------------------


@st.composite
def step_and_beta(draw, max_n=MAX_N):
    """A functional graph (random, or cycles with trees) and a labelling beta."""
    n = draw(st.integers(1, max_n))
    if draw(st.booleans()):
        step = draw(st.lists(st.integers(0, n - 1), min_size=n, max_size=n))
    else:
        # long cycles: a permutation with some states redirected into trees
        perm = draw(st.permutations(range(n)))
        step = [perm[(perm.index(s) + 1) % n] for s in range(n)]
        for s in draw(st.lists(st.integers(0, n - 1), max_size=n // 2)):
            step[s] = draw(st.integers(0, n - 1))
    k = draw(st.integers(1, 3))
    beta = naive.canonical(draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)))
    return step, beta


WITNESSES = [np.empty(0, dtype=np.int32), np.empty(0, dtype=np.int64)]


def _refine(step, beta, w, chunk=4096):
    """Run the three refinement kernels as the linear method does."""
    step_a, beta_a = _ints(step), _ints(beta)
    nb = max(beta, default=-1) + 1
    scratch = np.empty(4 * len(step), dtype=w.dtype)  # shared, as the linear method does
    on_cycle, queue, nxt = _tree_order(step_a, scratch)
    cls, n_cycle, prev_class, prev_label = _cycle_classes(step_a, beta_a, nb, on_cycle, w)
    count = _tree_classes(queue, nxt, cls, n_cycle, prev_class, prev_label, chunk, scratch)
    return cls, int(count)


@pytest.mark.parametrize("w", WITNESSES, ids=["int32", "int64"])
@given(step_and_beta())
def test_tree_order_matches_definition(w, data):
    """_tree_order marks the cycle states and lists every other state before its successor."""
    step, _ = data
    on_cycle, queue, nxt = _tree_order(_ints(step), np.empty(len(step), dtype=w.dtype))
    assert queue.dtype == nxt.dtype == w.dtype
    assert on_cycle.tolist() == naive.cycle_states(step)
    order = queue.tolist()
    assert sorted(order) == [s for s in range(len(step)) if not on_cycle[s]]
    place = {s: i for i, s in enumerate(order)}
    for i, s in enumerate(order):
        assert nxt[i] == step[s]
        assert on_cycle[step[s]] or place[step[s]] > i


@pytest.mark.parametrize("w", WITNESSES, ids=["int32", "int64"])
@given(step_and_beta())
def test_cycle_classes_match_sequences(w, data):
    """Cycle states share a class iff their label sequences agree; prev_* describe the cycle."""
    step, beta = data
    on_cycle = np.array(naive.cycle_states(step))
    cls, n_cycle, prev_class, prev_label = _cycle_classes(
        _ints(step), _ints(beta), max(beta) + 1, on_cycle, w
    )
    cycle = np.flatnonzero(on_cycle)
    assert (cls[~on_cycle] == -1 - np.array(beta)[~on_cycle]).all()
    assert sorted(set(cls[cycle].tolist())) == list(range(int(n_cycle)))
    expected = naive.sequence_classes(step, beta)
    assert naive.canonical(cls[cycle].tolist()) == naive.canonical([expected[s] for s in cycle])
    for y in cycle:
        x = step[y]
        assert prev_class[cls[x]] == cls[y]
        assert prev_label[cls[x]] == beta[y]


@pytest.mark.parametrize("w", WITNESSES, ids=["int32", "int64"])
@given(step_and_beta(), st.sampled_from([1, 2, 3, 4096]))
def test_refinement_kernels_match_sequence_classes(w, data, chunk):
    """The three kernels give the classes of the label sequences, with any chunk size."""
    step, beta = data
    cls, count = _refine(step, beta, w, chunk)
    assert sorted(set(cls.tolist())) == list(range(count))
    assert naive.canonical(cls.tolist()) == naive.sequence_classes(step, beta)


@pytest.mark.parametrize("chunk", [1, 7, 4096])
def test_tree_classes_past_two_children(chunk):
    """Classes with more than two children fill the hash table, which grows; classes stay exact."""
    rng = np.random.default_rng(3)
    # A star of 300 distinct labels into a fixed point, then random trees of 40 labels.
    n = 900
    step = np.concatenate([np.zeros(300, dtype=np.int64), rng.integers(0, 600, size=600)])
    beta = np.concatenate([np.arange(300), rng.integers(0, 40, size=600)])
    beta = naive.canonical(beta.tolist())
    cls, count = _refine(step.tolist(), beta, WITNESSES[0], chunk)
    assert sorted(set(cls.tolist())) == list(range(count))
    assert naive.canonical(cls.tolist()) == naive.sequence_classes(step.tolist(), beta)
    assert count > n // 2


def test_refinement_kernels_known_answers():
    """A cycle of period 2 inside a cycle of 4, trees that join it, a chain to a fixed point."""
    # 0->1->2->3->0 labelled 0 1 0 1 (period 2); 4->0 labelled 1 (periodic: like 3);
    # 5->4 labelled 1 (not periodic); 6->7->7 labelled 0 0 with 7 a fixed point.
    step = [1, 2, 3, 0, 0, 4, 7, 7]
    beta = [0, 1, 0, 1, 1, 1, 0, 0]
    cls, _ = _refine(step, beta, WITNESSES[0])
    assert naive.canonical(cls.tolist()) == [0, 1, 0, 1, 1, 2, 3, 3]


@pytest.mark.parametrize("chunk", [1, 7, 4096])
def test_refinement_kernels_grow_scratch(chunk):
    """A state with thousands of predecessors and a class of thousands of states."""
    n = 6000
    step = [0] * n  # a star into the fixed point 0
    beta = [i % 2 for i in range(n)]
    cls, _ = _refine(step, beta, WITNESSES[0], chunk)
    # the label-0 leaves read 0 0 0 ... like the fixed point itself
    assert naive.canonical(cls.tolist()) == beta
    # two levels: 3000 states into the fixed point, each with one predecessor
    half = n // 2
    step = [0] * half + list(range(half))
    beta = [0] * n
    cls, count = _refine(step, beta, WITNESSES[0], chunk)
    assert count == 1 and set(cls.tolist()) == {0}
    beta = [0] * half + [1] * half
    cls, _ = _refine(step, beta, WITNESSES[0], chunk)
    assert naive.canonical(cls.tolist()) == [0] * half + [1] * half


@given(two_labellings())
def test_pair_labels_matches_naive(data):
    """_pair_labels numbers the distinct pairs by first occurrence."""
    a, b = data
    kb = max(b, default=-1) + 1
    labels, count = _pair_labels(_ints(a), _ints(b), kb, len(a))
    assert labels.dtype == np.int64
    assert (labels.tolist(), int(count)) == naive.pair_labels(a, b)


def test_pair_labels_large_codes():
    """Codes far above n (the hashing path the direct index cannot take)."""
    a = np.array([10**9, 5, 10**9, 5, 7], dtype=np.int64)
    b = np.array([3, 3, 3, 4, 3], dtype=np.int64)
    labels, count = _pair_labels(a, b, 10**6, 5)
    assert labels.tolist() == [0, 1, 0, 2, 3] and int(count) == 4


# --- the splitter kernel of transition systems ------------------------------


@st.composite
def weighted_relations(draw):
    """(n, indptr, targets, int weights) with 0..3 transitions per state."""
    n = draw(st.integers(1, 9))
    rows = [draw(st.lists(st.integers(0, n - 1), max_size=3)) for _ in range(n)]
    weights = [draw(st.lists(st.integers(1, 6), min_size=len(r), max_size=len(r))) for r in rows]
    indptr = np.cumsum([0] + [len(r) for r in rows])
    targets = [t for r in rows for t in r]
    return n, _ints(indptr), _ints(targets), _ints([w for r in weights for w in r])


@pytest.mark.parametrize("w", WITNESSES, ids=["int32", "int64"])
@given(case=weighted_relations(), data=st.data())
def test_predecessors_by_block_equals_naive(w, case, data):
    """_predecessors_by_block numbers the states block by block and lists their predecessors."""
    from abstractions._kernels import _predecessors_by_block

    n, indptr, targets, weights = case
    k = data.draw(st.integers(1, 3))  # some blocks may be empty
    labels = data.draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n))
    wf = weights / 8.0
    for mode in (0, 1, 2):
        pindptr, psrc, pwi, pwf, rank, grouped = _predecessors_by_block(
            indptr, targets, weights, wf, mode, _ints(labels), k, w
        )
        assert psrc.dtype == w.dtype and pindptr.shape == (n + 1,)
        want_rank, want = naive.predecessors_by_block(
            naive.as_list(indptr), naive.as_list(targets), labels
        )
        assert rank.tolist() == want_rank
        assert [grouped[want_rank[s]] for s in range(n)] == labels
        got = [psrc[pindptr[t] : pindptr[t + 1]].tolist() for t in range(n)]
        assert got == [[s for s, _ in pairs] for pairs in want]
        edges = [j for pairs in want for _, j in pairs]  # in list order
        if mode == 1:
            assert pwi.tolist() == weights[edges].tolist()
        if mode == 2:
            assert pwf.tolist() == wf[edges].tolist()


def _encoded(how, n, indptr, targets, weights):
    """The kernels' encoding of a drawn relation and the naive edge list.

    Returns ``(edges, mode, wi, wf, modulus, inv_tol)``: float weights are
    multiples of 1/8 and tol is 1/64, so sums are exact and no block
    probability is a tie (a half-multiple of tol), where rounding the parts
    of a block and the block itself may differ.
    """
    src = [s for s in range(n) for _ in range(indptr[s], indptr[s + 1])]
    no_float = np.zeros(0)
    if how == "exists":
        edges = sorted({(s, 0, int(t), 1) for s, t in zip(src, targets)})
        return edges, 0, _ints([]), no_float, 0, 1.0
    if how == "sum" or how[0] == "mod":
        edges = [(s, 0, int(t), int(w)) for s, t, w in zip(src, targets, weights)]
        return edges, 1, weights, no_float, 0 if how == "sum" else how[1], 1.0
    wf = weights / 8.0
    edges = [(s, 0, int(t), float(w)) for s, t, w in zip(src, targets, wf)]
    return edges, 2, _ints([]), wf, 0, 1 / how[1]


HOWS = ["exists", "sum", ("mod", 7), ("round", 1 / 64)]


@pytest.mark.parametrize("w", WITNESSES, ids=["int32", "int64"])
@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize("first", ["whole set", "one round"])
@given(case=weighted_relations(), data=st.data())
def test_coarsest_stable_equals_naive(w, how, first, case, data):
    """_coarsest_stable from a partition stable under its constellations = Kleene iteration.

    Two starts: beta split by each state's key for the whole set (one
    constellation), and C(beta) with beta's blocks as constellations (the
    hand-over from signature rounds).
    """
    from abstractions._kernels import (
        _coarsest_stable,
        _first_occurrence,
        _predecessors_by_block,
    )

    n, indptr, targets, weights = case
    beta = naive.canonical(data.draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)))
    edges, mode, wi, wf, modulus, inv_tol = _encoded(how, n, indptr, targets, weights)
    if first == "whole set":
        everything = [0] * n
        start = naive.canonical(
            [(beta[s], naive.system_signature(edges, everything, how, s)) for s in range(n)]
        )
        within = [0] * (max(start) + 1)
    else:
        start = naive.system_completion(edges, n, beta, how)
        within = [0] * (max(start) + 1)
        for s in range(n):
            within[start[s]] = beta[s]
    # As the engine runs it: on the states numbered block by block, the
    # blocks brought back to the states' own numbers.
    k = max(start) + 1
    pindptr, psrc, pwi, pwf, rank, grouped = _predecessors_by_block(
        indptr, targets, wi, wf, mode, _ints(start), k, w
    )
    blk, count = _coarsest_stable(
        pindptr, psrc, pwi, pwf, mode, modulus, inv_tol, grouped, k, _ints(within), w
    )
    labels, _ = _first_occurrence(blk[rank], int(count))
    assert naive.as_list(labels) == naive.system_minimal(edges, n, beta, how)


@st.composite
def funnels(draw):
    """Relations where many states step into few: regions of dozens of touched states.

    ``hubs`` target states; each of the other states has 1..3 transitions
    into them, with weights 1..4, so a splitter touches most states at once
    and the regions sorted by key are long (the heapsort, not the insertion
    sort) and full of repeated keys.
    """
    hubs = draw(st.integers(1, 4))
    n = hubs + draw(st.integers(17, 48))
    rows = [draw(st.lists(st.integers(0, hubs - 1), min_size=1, max_size=3)) for _ in range(n)]
    weights = [draw(st.lists(st.integers(1, 4), min_size=len(r), max_size=len(r))) for r in rows]
    indptr = np.cumsum([0] + [len(r) for r in rows])
    targets = [t for r in rows for t in r]
    return n, _ints(indptr), _ints(targets), _ints([w for r in weights for w in r])


@pytest.mark.parametrize("how", HOWS)
@given(case=funnels(), data=st.data())
def test_coarsest_stable_sorts_long_regions(how, case, data):
    """_coarsest_stable with long touched regions (heapsorted) still equals the Kleene iteration."""
    from abstractions._kernels import (
        _coarsest_stable,
        _first_occurrence,
        _predecessors_by_block,
    )

    n, indptr, targets, weights = case
    beta = naive.canonical(data.draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    edges, mode, wi, wf, modulus, inv_tol = _encoded(how, n, indptr, targets, weights)
    everything = [0] * n
    start = naive.canonical(
        [(beta[s], naive.system_signature(edges, everything, how, s)) for s in range(n)]
    )
    w = WITNESSES[0]
    k = max(start) + 1
    pindptr, psrc, pwi, pwf, rank, grouped = _predecessors_by_block(
        indptr, targets, wi, wf, mode, _ints(start), k, w
    )
    blk, count = _coarsest_stable(
        pindptr, psrc, pwi, pwf, mode, modulus, inv_tol, grouped, k, _ints([0] * k), w
    )
    labels, _ = _first_occurrence(blk[rank], int(count))
    assert naive.as_list(labels) == naive.system_minimal(edges, n, beta, how)


@given(st.lists(st.integers(-3, 3) | st.integers(-(2**62), 2**62), max_size=80), st.data())
def test_sort_region_sorts_by_descending_key(keys, data):
    """_sort_region orders a region by descending key (any order among ties) and updates pos."""
    from abstractions._kernels.splitters import _sort_region

    n = len(keys) + 5
    lo = data.draw(st.integers(0, 5))
    r = len(keys)
    elems = np.arange(n, dtype=np.int32)[::-1].copy()
    region = elems[lo : lo + r].tolist()
    all_keys = np.zeros(n, dtype=np.int64)
    all_keys[region] = keys
    pos = np.empty(n, dtype=np.int32)
    pos[elems] = np.arange(n, dtype=np.int32)
    scratch_keys, scratch_elems = np.empty(r, dtype=np.int64), np.empty(r, dtype=np.int32)
    _sort_region(elems, pos, all_keys, lo, r, scratch_keys, scratch_elems)
    after = elems[lo : lo + r].tolist()
    assert sorted(after) == sorted(region)
    assert all_keys[after].tolist() == naive.sort_descending(keys)
    assert (pos[elems] == np.arange(n)).all()


@st.composite
def peelable_relations(draw):
    """(n, indptr, targets, int weights) mostly acyclic: real models' shape.

    Transitions go to later states, except a few loops and back edges
    (``back``), so the part that no cycle reaches is large but not all.
    Some rows have 17 or more transitions (the kernels' per-block scratch).
    """
    n = draw(st.integers(1, 24))
    back = draw(st.sets(st.integers(0, n - 1), max_size=3))
    rows = []
    for s in range(n):
        if s in back:
            row = draw(st.lists(st.integers(0, s), min_size=1, max_size=2))
        elif s < n - 1:
            wide = draw(st.integers(0, 9)) == 0
            row = draw(st.lists(st.integers(s + 1, n - 1), max_size=20 if wide else 3))
        else:
            row = []
        rows.append(row)
    weights = [draw(st.lists(st.integers(1, 6), min_size=len(r), max_size=len(r))) for r in rows]
    indptr = np.cumsum([0] + [len(r) for r in rows])
    targets = [t for r in rows for t in r]
    return n, _ints(indptr), _ints(targets), _ints([w for r in weights for w in r])


@given(case=weighted_relations() | peelable_relations())
def test_peel_order_is_the_acyclic_part_in_topological_order(case):
    """_peel_order lists exactly the states no cycle reaches, each before its peeled successors."""
    from abstractions._kernels import _peel_order

    n, indptr, targets, _ = case
    order, indeg = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    count = int(_peel_order(indptr, targets, order, indeg))
    got = order[:count].tolist()
    assert len(set(got)) == count
    assert set(got) == naive.peeled_states(naive.as_list(indptr), naive.as_list(targets))
    position = {s: i for i, s in enumerate(got)}
    for s in got:
        for t in targets[indptr[s]:indptr[s + 1]].tolist():
            assert position.get(t, count) > position[s]


@pytest.mark.parametrize("salt", [0, 1], ids=["colliding", "hashed"])
@pytest.mark.parametrize("how", HOWS)
@given(case=weighted_relations() | peelable_relations(), data=st.data())
def test_peel_blocks_equals_naive(salt, how, case, data):
    """_peel_blocks gives each peeled state the block of its (start, signature), exactly.

    The blocks of the cyclic part are drawn at random (stable or not): a
    peeled state joins the first block known by its start block and
    signature, or opens the next one; with salt 0 every hash collides and
    only the exact comparison tells blocks apart. The chain limit sends
    every signature to the hash table (0), most of them (1, 2) or none (8).
    """
    from abstractions._kernels import _peel_blocks, _peel_order

    n, indptr, targets, weights = case
    edges, mode, wi, wf, modulus, inv_tol = _encoded(how, n, indptr, targets, weights)
    order, scratch = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    order = order[: int(_peel_order(indptr, targets, order, scratch))]
    start = data.draw(st.lists(st.integers(0, 2), min_size=n, max_size=n))
    cyclic = sorted(set(range(n)) - set(order.tolist()))
    drawn = data.draw(st.lists(st.integers(0, 3), min_size=len(cyclic), max_size=len(cyclic)))
    blocks = [-1] * n
    for s, b in zip(cyclic, naive.canonical(drawn) if cyclic else []):
        blocks[s] = b
    nb = max(blocks) + 1
    limit = data.draw(st.sampled_from([0, 1, 2, 8]), label="limit")
    expected = naive.peel_blocks(edges, n, how, start, blocks, nb, order.tolist())
    size = 1 << max(1, 2 * n - 1).bit_length()
    got = _ints(blocks)
    count = _peel_blocks(
        indptr, targets, wi, wf, mode, modulus, inv_tol, _ints(start), got, nb, order,
        np.uint64(salt), np.zeros(size, dtype=np.uint64),
        np.empty(7 * n + 2 * targets.shape[0], dtype=np.int64), limit,
    )
    assert (naive.as_list(got), int(count)) == expected


@pytest.mark.parametrize("how", HOWS)
@given(case=weighted_relations(), data=st.data())
def test_signature_round_equals_naive(how, case, data):
    """_signature_round is one step of the completion operator, C(P).

    With a real salt the ids are C(P)'s canonical labels; with salt 0 every
    hash collides and every state gets id 0 (what the check must catch).
    """
    from abstractions._kernels import _signature_round

    n, indptr, targets, weights = case
    labels = naive.canonical(data.draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)))
    edges, mode, wi, wf, modulus, inv_tol = _encoded(how, n, indptr, targets, weights)
    expected = naive.system_completion(edges, n, labels, how)
    new, count = _signature_round(
        indptr, targets, wi, wf, mode, modulus, inv_tol, _ints(labels),
        np.uint64(0x9E3779B97F4A7C15),
    )
    assert naive.as_list(new) == expected and int(count) == max(expected) + 1
    new, count = _signature_round(
        indptr, targets, wi, wf, mode, modulus, inv_tol, _ints(labels), np.uint64(0)
    )
    assert naive.as_list(new) == [0] * n and int(count) == 1


@pytest.mark.parametrize("how", HOWS)
@given(case=weighted_relations(), data=st.data())
def test_is_stable_is_completeness(how, case, data):
    """_is_stable says exactly whether related states have equal signatures."""
    from abstractions._kernels import _is_stable

    n, indptr, targets, weights = case
    labels = naive.canonical(data.draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)))
    edges, mode, wi, wf, modulus, inv_tol = _encoded(how, n, indptr, targets, weights)
    got = _is_stable(indptr, targets, wi, wf, mode, modulus, inv_tol, _ints(labels),
                     max(labels) + 1)
    assert got == naive.system_is_complete(edges, n, labels, how)


@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize("missing", [False, True])
def test_is_stable_compares_many_blocks(how, missing):
    """Hubs reaching 40 blocks each are compared by per-block stamps, exactly."""
    from abstractions._kernels import _is_stable

    hubs, leaves = 5, 40
    n = hubs + leaves
    rows = [list(range(hubs, n)) for _ in range(hubs)] + [[] for _ in range(leaves)]
    if missing:
        # One hub swaps its last leaf for a hub: as many blocks, one other.
        rows[3] = rows[3][:-1] + [0]
    indptr = _ints(np.cumsum([0] + [len(r) for r in rows]))
    targets = _ints([t for r in rows for t in r])
    weights = _ints([1 + t % 3 for t in targets.tolist()])
    labels = [0] * hubs + list(range(1, leaves + 1))
    edges, mode, wi, wf, modulus, inv_tol = _encoded(how, n, indptr, targets, weights)
    stable = _is_stable(indptr, targets, wi, wf, mode, modulus, inv_tol, _ints(labels),
                        leaves + 1)
    assert stable == naive.system_is_complete(edges, n, labels, how) == (not missing)


@pytest.mark.parametrize("how", HOWS)
def test_signature_round_of_states_with_many_transitions(how):
    """States of more than 16 transitions take the per-block scratch path."""
    from abstractions._kernels import _is_stable, _signature_round

    rng = np.random.default_rng(3)
    n = 40
    degrees = rng.integers(0, 40, n)
    degrees[:3] = [0, 17, 39]
    indptr = _ints(np.concatenate([[0], np.cumsum(degrees)]))
    targets = _ints(rng.integers(0, n, int(indptr[-1])))
    weights = _ints(rng.integers(1, 7, int(indptr[-1])))
    for k in (2, 5, n):
        labels = naive.canonical(rng.integers(0, k, n).tolist())
        edges, mode, wi, wf, modulus, inv_tol = _encoded(how, n, indptr, targets, weights)
        new, count = _signature_round(
            indptr, targets, wi, wf, mode, modulus, inv_tol, _ints(labels),
            np.uint64(0x9E3779B97F4A7C15),
        )
        expected = naive.system_completion(edges, n, labels, how)
        assert naive.as_list(new) == expected and int(count) == max(expected) + 1
        stable = _is_stable(indptr, targets, wi, wf, mode, modulus, inv_tol, _ints(expected),
                            max(expected) + 1)
        assert stable == naive.system_is_complete(edges, n, expected, how)


@given(st.integers(1, 6).flatmap(lambda k: st.tuples(
    st.just(k),
    st.lists(st.tuples(st.integers(0, k - 1), st.integers(0, k - 1), st.integers(0, 2)),
             max_size=MAX_N),
    st.booleans())))
def test_plurality_equals_naive(case):
    """The plurality table kernel equals its naive twin (hash table against dictionaries)."""
    from abstractions._kernels import _plurality

    k, triples, use_weights = case
    src = _ints([t[0] for t in triples])
    dst = _ints([t[1] for t in triples])
    w = np.array([float(t[2]) for t in triples]) if use_weights else np.zeros(0)
    best, total, top = _plurality(src, dst, w, k)
    e_best, e_total, e_top = naive.plurality(src.tolist(), dst.tolist(), w.tolist(), k)
    assert best.tolist() == e_best
    assert np.allclose(total, e_total) and np.allclose(top, e_top)


# --- the gates: one specialisation, the disk cache, the notice, Ctrl-C -------


def test_gates_normalise_arguments():
    """int32, non-contiguous, writeable or read-only inputs reach the kernel as one type."""
    from abstractions._kernels import KERNELS, index_witness

    base = np.array([2, 0, 2, 1, 0, 1], dtype=np.int64)
    variants = [
        base,
        base.astype(np.int32),
        np.repeat(base, 2)[::2],  # a strided view
        base.copy(),
    ]
    variants[3].flags.writeable = False
    answers = [_first_occurrence(v, 3)[0].tolist() for v in variants]
    assert answers == [[0, 1, 0, 2, 1, 2]] * 4
    gate = KERNELS["_first_occurrence"]
    if hasattr(gate, "signatures"):
        # int64 ids and int32 indices: the only two (the int32 input took the latter).
        assert len(gate.signatures) <= 2
        assert all(not sig[0].mutable and sig[0].layout == "C" for sig in gate.signatures)
    assert index_witness(10).dtype == np.int32 and not index_witness(10).flags.writeable


def test_index_dtype_is_chosen_once():
    """One function chooses the index dtype, re-exported by the engine."""
    from abstractions._engine.primitives import index_dtype as engine_choice
    from abstractions._kernels import index_dtype

    assert engine_choice is index_dtype
    assert index_dtype(0) == np.int32 and index_dtype(2**31 - 2) == np.int32
    assert index_dtype(2**31 - 1) == np.int64 and index_dtype(2**40) == np.int64


def test_in_place_argument_must_be_writeable():
    """_tree_classes writes its classes in place, so a read-only array is refused, not copied."""
    w = WITNESSES[0]
    step, beta = _ints([1, 0]), _ints([0, 1])
    scratch = np.empty(8, dtype=w.dtype)
    on_cycle, queue, nxt = _tree_order(step, scratch)
    cls, n_cycle, prev_class, prev_label = _cycle_classes(step, beta, 2, on_cycle, w)
    cls.flags.writeable = False
    with pytest.raises(TypeError, match="writeable"):
        _tree_classes(queue, nxt, cls, n_cycle, prev_class, prev_label, 8, scratch)


def test_shared_scratch_is_checked():
    """A scratch too short for a kernel, or of another dtype, is refused before the kernel runs."""
    w = WITNESSES[0]
    step, beta = _ints([1, 0, 0]), _ints([0, 1, 1])
    with pytest.raises(ValueError, match="scratch has 2 entries; the kernel needs 3"):
        _tree_order(step, np.empty(2, dtype=w.dtype))
    with pytest.raises(TypeError, match="writeable C-contiguous int32/int64"):
        _tree_order(step, np.empty(3, dtype=np.float64))
    on_cycle, queue, nxt = _tree_order(step, np.empty(3, dtype=w.dtype))
    cls, n_cycle, prev_class, prev_label = _cycle_classes(step, beta, 2, on_cycle, w)
    assert queue.tolist() == [2] and int(n_cycle) == 2
    with pytest.raises(ValueError, match="scratch has 11 entries; the kernel needs 12"):
        _tree_classes(queue, nxt, cls, n_cycle, prev_class, prev_label, 8,
                      np.empty(11, dtype=w.dtype))
    with pytest.raises(TypeError, match="scratch must have the classes' dtype int32"):
        _tree_classes(queue, nxt, cls, n_cycle, prev_class, prev_label, 8,
                      np.empty(12, dtype=np.int64))
    with pytest.raises(ValueError, match="chunk must be at least 1, got 0"):
        _tree_classes(queue, nxt, cls, n_cycle, prev_class, prev_label, 0,
                      np.empty(12, dtype=w.dtype))
    with pytest.raises(ValueError, match="scratch has 1 entries; the kernel needs 2"):
        _first_occurrence(_ints([1, 0]), 2, np.empty(1, dtype=np.int64))
    with pytest.raises(TypeError, match="scratch must have the values' dtype int64"):
        _first_occurrence(_ints([1, 0]), 2, np.empty(2, dtype=np.int32))
    assert _first_occurrence(_ints([1, 0, 1]), 2, np.empty(5, dtype=np.int64))[0].tolist() == [
        0, 1, 0
    ]


def _python_env(**changes):
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_DISABLE_JIT", "NUMBA_CACHE_DIR")}
    env.update({k: v for k, v in changes.items() if v is not None})
    return env


_NOTICE_SCRIPT = """
import logging, sys
import numpy as np
from abstractions import Partition
from abstractions._config import SMALL_INPUT
n = SMALL_INPUT + 10
P = Partition(np.arange(n) % 7)
Q = Partition(np.arange(n) % 5)
print((P & Q).n_blocks, file=sys.stdout)
"""


@pytest.mark.slow  # a cold numba cache in a fresh interpreter
def test_first_compilation_is_announced_once(tmp_path):
    """A cold cache: one line on stderr says numba compiles; a warm cache: nothing is said."""
    import subprocess
    import sys

    env = _python_env(NUMBA_CACHE_DIR=str(tmp_path / "cache"))
    runs = [
        subprocess.run([sys.executable, "-c", _NOTICE_SCRIPT], capture_output=True, text=True,
                       env=env, timeout=600, check=True)
        for _ in range(2)
    ]
    cold, warm = (run.stderr.splitlines() for run in runs)
    notices = [line for line in cold if "numba is compiling" in line]
    assert len(notices) == 1, runs[0].stderr
    assert "warmup()" in notices[0] and "logging.getLogger('abstractions')" in notices[0]
    assert not [line for line in warm if "numba is compiling" in line], runs[1].stderr
    assert runs[0].stdout == runs[1].stdout == "1\n"
    # Silenced through logging, as the notice says.
    quiet = subprocess.run(
        [sys.executable, "-c", "import logging; logging.getLogger('abstractions')"
         ".setLevel(logging.ERROR)\n" + _NOTICE_SCRIPT],
        capture_output=True, text=True, env=_python_env(NUMBA_CACHE_DIR=str(tmp_path / "c2")),
        timeout=600, check=True,
    )
    assert "numba is compiling" not in quiet.stderr


@pytest.mark.slow  # a copy of the package with no disk cache: kernels compile
def test_read_only_install_runs_without_disk_cache(tmp_path):
    """No writable cache anywhere: kernels compile in memory, with exactly one warning."""
    import os
    import shutil
    import stat
    import subprocess
    import sys

    import abstractions

    site = tmp_path / "site"
    shutil.copytree(os.path.dirname(abstractions.__file__), site / "abstractions",
                    ignore=shutil.ignore_patterns("__pycache__"))
    # Unwritable even for root: every __pycache__ is a file, and HOME lies under a file.
    for folder in [site / "abstractions", *(p for p in (site / "abstractions").rglob("*")
                                            if p.is_dir())]:
        (folder / "__pycache__").write_text("")
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    for path in [site, *site.rglob("*")]:
        mode = path.stat().st_mode
        path.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    script = (
        "import abstractions, sys\n"
        "assert abstractions.__file__.startswith(sys.argv[1]), abstractions.__file__\n"
        + _NOTICE_SCRIPT
    )
    base = {k: v for k, v in _python_env().items() if k not in ("XDG_CACHE_HOME", "PYTHONPATH")}
    base.update(HOME=str(blocker / "home"), PYTHONPATH=str(site), PYTHONDONTWRITEBYTECODE="1")
    try:
        result = subprocess.run([sys.executable, "-c", script, str(site)], capture_output=True,
                                text=True, env=base, timeout=600, cwd=tmp_path, check=False)
        assert result.returncode == 0, result.stderr
        assert result.stdout == "1\n"
        warnings = [line for line in result.stderr.splitlines() if "RuntimeWarning" in line]
        assert len(warnings) == 1 and "cannot cache" in warnings[0], result.stderr
        assert "no locator" not in result.stderr
        # Turning the cache off on purpose is silent.
        base["ABSTRACTIONS_NUMBA_CACHE"] = "0"
        result = subprocess.run([sys.executable, "-c", script, str(site)], capture_output=True,
                                text=True, env=base, timeout=600, cwd=tmp_path, check=False)
        assert result.returncode == 0 and result.stdout == "1\n", result.stderr
        assert "RuntimeWarning" not in result.stderr
    finally:
        for path in [site, *site.rglob("*")]:
            path.chmod(path.stat().st_mode | stat.S_IWUSR)


_INTERRUPT_SCRIPT = """
import signal, sys
# Ctrl-C raises KeyboardInterrupt even if the parent ignores SIGINT (a background job).
signal.signal(signal.SIGINT, signal.default_int_handler)
import numpy as np
from abstractions import Partition
from abstractions._kernels import _tree_order, index_witness
n = 5_000_000
step = np.arange(1, n + 1, dtype=np.int64)
step[-1] = 0
w = index_witness(n)
scratch = np.empty(n, dtype=w.dtype)
_tree_order(step[:10] % 10, scratch)
print("ready", flush=True)
try:
    while True:
        _tree_order(step, scratch)
except KeyboardInterrupt as interrupt:
    inside = any("numba kernel" in note for note in getattr(interrupt, "__notes__", []))
    print("KeyboardInterrupt", "inside" if inside else "outside", flush=True)
# Still usable: kernels and the public API answer.
print(int(_tree_order(step[:10] % 10, scratch)[0].sum()), Partition([0, 1, 1]).n_blocks)
"""


def test_ctrl_c_in_a_kernel_is_a_keyboard_interrupt():
    """SIGINT during a kernel raises KeyboardInterrupt (not SystemError); the process goes on."""
    import signal
    import subprocess
    import sys
    import time

    outcomes = []
    for _ in range(4):  # the signal may land between two calls: then try again
        child = subprocess.Popen(
            [sys.executable, "-c", _INTERRUPT_SCRIPT], stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, env=_python_env(),
        )
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        time.sleep(0.7)
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=300)
        assert child.returncode == 0, err
        lines = out.splitlines()
        assert lines[0].startswith("KeyboardInterrupt"), out + err
        assert lines[1] == "10 2"
        outcomes.append(lines[0])
        if lines[0].endswith("inside"):
            break
    assert outcomes[-1] == "KeyboardInterrupt inside", outcomes


# --- the quotient's rows and the one-pass completeness check ----------------


@st.composite
def labelled_relations(draw):
    """(n, indptr, targets, int weights, symbols) with rows sorted by (symbol, target)."""
    n = draw(st.integers(1, 9))
    n_symbols = draw(st.integers(1, 3))
    rows = [
        sorted(draw(st.lists(st.tuples(st.integers(0, n_symbols - 1), st.integers(0, n - 1)),
                             max_size=4)))
        for _ in range(n)
    ]
    weights = [draw(st.integers(1, 6)) for r in rows for _ in r]
    indptr = np.cumsum([0] + [len(r) for r in rows])
    return (n, _ints(indptr), _ints([t for r in rows for _, t in r]), _ints(weights),
            _ints([a for r in rows for a, _ in r]), n_symbols)


@st.composite
def long_row_relations(draw):
    """Like :func:`labelled_relations` (one symbol), with rows of up to 24 transitions.

    Long rows with repeated targets: many transitions summed into one
    block, beside short rows, in one call of the row kernels.
    """
    n = draw(st.integers(1, 6))
    rows = [
        sorted(draw(st.lists(st.integers(0, n - 1), max_size=draw(st.sampled_from([3, 24])))))
        for _ in range(n)
    ]
    weights = [draw(st.integers(1, 6)) for r in rows for _ in r]
    indptr = np.cumsum([0] + [len(r) for r in rows])
    targets = [t for r in rows for t in r]
    return n, _ints(indptr), _ints(targets), _ints(weights), _ints([0] * len(targets)), 1


def _relation(how, case, with_symbols):
    """The engine's Relation of a drawn case (floats: multiples of 1/8, tol 1/64)."""
    from abstractions._engine.relation import Relation

    n, indptr, targets, weights, symbols, n_symbols = case
    names = tuple(range(n_symbols)) if with_symbols else None
    sym = symbols if with_symbols else None
    if how == "exists":
        return Relation(indptr, targets, "exists", symbols=sym, symbol_names=names)
    if how == "sum":
        return Relation(indptr, targets, "sum", symbols=sym, symbol_names=names,
                        weights=weights, den=64)
    return Relation(indptr, targets, "round", symbols=sym, symbol_names=names,
                    weights=weights / 8.0, tol=1 / 64)


def _naive_edges(how, case):
    n, indptr, targets, weights, symbols, _ = case
    src = [s for s in range(n) for _ in range(indptr[s], indptr[s + 1])]
    if how == "exists":
        return sorted({(s, int(a), int(t), 1) for s, a, t in zip(src, symbols, targets)})
    if how == "sum":
        return [(s, int(a), int(t), int(w)) for s, a, t, w in zip(src, symbols, targets, weights)]
    return [(s, int(a), int(t), float(w) / 8.0)
            for s, a, t, w in zip(src, symbols, targets, weights)]


def _naive_how(how):
    return ("round", 1 / 64) if how == "round" else how


@pytest.mark.parametrize("how", ["exists", "sum", "round"])
@pytest.mark.parametrize("with_symbols", [False, True])
@given(case=labelled_relations(), data=st.data())
def test_quotient_rows_kernel_equals_numpy(how, with_symbols, case, data):
    """_quotient_rows gives the numpy twin's rows exactly: same entries, order and sums."""
    from abstractions._engine.relation import kernel_quotient_rows, quotient_rows_numpy
    from abstractions.partition import first_occurrences

    rel = _relation(how, case, with_symbols)
    labels = _ints(naive.canonical(
        data.draw(st.lists(st.integers(0, 3), min_size=rel.n, max_size=rel.n))
    ))
    reps = first_occurrences(labels)
    got = kernel_quotient_rows(rel, labels, reps)
    want = quotient_rows_numpy(rel, labels, reps)
    for g, w in zip(got, want):
        assert g.tolist() == w.tolist()
    # Row b is the naive signature of block b's first state.
    edges = _naive_edges(how, case) if with_symbols else [
        (s, 0, t, v) for s, _, t, v in _naive_edges(how, case)
    ]
    qptr, sym, dst, _ = got
    assert qptr.tolist()[0] == 0 and qptr.shape == (reps.shape[0] + 1,)
    for b, r in enumerate(reps.tolist()):
        row = slice(qptr[b], qptr[b + 1])
        mine = {(int(a), int(c)) for a, c in zip(sym[row], dst[row])}
        sig = naive.system_signature(edges, labels.tolist(), _naive_how(how), r)
        assert mine == (set(sig) if how == "exists" else {key for key, _ in sig})


@pytest.mark.parametrize("how", ["exists", "sum", "round"])
@given(case=labelled_relations())
def test_quotient_rows_of_the_discrete_partition_equal_numpy(how, case):
    """The discrete partition's rows (a chain's own transitions where they are rows) = the twin's.

    Drawn rows may repeat a target or (floats) hold a weight that rounds
    to 0: then the kernel makes them; either way the rows are the twin's.
    """
    from abstractions._engine.relation import kernel_quotient_rows, quotient_rows_numpy

    rel = _relation(how, case, with_symbols=False)
    labels = np.arange(rel.n, dtype=np.int64)
    got = kernel_quotient_rows(rel, labels, labels)
    want = quotient_rows_numpy(rel, labels, labels)
    for g, w in zip(got, want):
        assert g.tolist() == w.tolist()


def test_discrete_rows_are_the_chains_own_transitions():
    """A chain's rows need no kernel for the discrete partition; repeats or tiny weights do."""
    from abstractions._engine.relation import Relation, _discrete_rows

    indptr = np.array([0, 2, 3, 3], dtype=np.int64)
    ident = np.arange(3, dtype=np.int64)
    rel = Relation(indptr, np.array([0, 2, 1]), "round", weights=np.array([0.5, 0.5, 1.0]))
    rows = _discrete_rows(rel, ident)
    assert rows is not None
    assert [r.tolist() for r in rows] == [[0, 2, 3, 3], [0, 0, 0], [0, 2, 1], [0.5, 0.5, 1.0]]
    repeated = Relation(indptr, np.array([2, 2, 1]), "round", weights=np.array([0.5, 0.5, 1.0]))
    tiny = Relation(indptr, np.array([0, 2, 1]), "round", weights=np.array([1e-12, 1.0, 1.0]))
    unsorted = Relation(indptr, np.array([2, 0, 1]), "sum", weights=np.array([1, 1, 2]), den=2)
    for other in (repeated, tiny, unsorted):
        assert _discrete_rows(other, ident) is None
    assert _discrete_rows(rel, np.array([0, 2])) is None  # labels [0, 0, 1]: two blocks


def test_quotient_rows_kernel_long_rows():
    """Rows longer than the insertion sort's limit are merged stably.

    Float sums of long runs agree to rounding only: numpy adds a run of 8 or
    more pairwise, the kernel in order.
    """
    from abstractions._engine.relation import Relation, kernel_quotient_rows, quotient_rows_numpy

    rng = np.random.default_rng(1)
    n, d = 50, 200
    targets = np.sort(rng.integers(0, n, size=(n, d)), axis=1).reshape(-1)
    weights = rng.random(n * d)
    indptr = np.arange(0, n * d + 1, d, dtype=np.int64)
    labels = _ints(naive.canonical(rng.integers(0, 7, size=n).tolist()))
    from abstractions.partition import first_occurrences

    reps = first_occurrences(labels)
    for rel in (Relation(indptr, targets, "round", weights=weights, tol=1e-9),
                Relation(indptr, targets, "exists")):
        got = kernel_quotient_rows(rel, labels, reps)
        want = quotient_rows_numpy(rel, labels, reps)
        for g, w in zip(got[:3], want[:3]):
            assert g.tolist() == w.tolist()
        assert got[3].dtype == want[3].dtype
        np.testing.assert_allclose(got[3], want[3], rtol=1e-13)


@pytest.mark.parametrize("how", ["exists", "sum", "round"])
@given(case=st.one_of(labelled_relations(), long_row_relations()), data=st.data())
def test_rows_agree_is_completeness(how, case, data):
    """kernel_rows_agree says exactly whether the partition is complete (naive double loop).

    Drawn partitions (mostly not complete) and the least complete one
    above them (complete) both.
    """
    from abstractions._engine.relation import kernel_quotient_rows, kernel_rows_agree
    from abstractions.partition import first_occurrences

    rel = _relation(how, case, with_symbols=False)
    n = rel.n
    edges = [(s, 0, t, v) for s, _, t, v in _naive_edges(how, case)]
    beta = naive.canonical(data.draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)))
    for labels in (beta, naive.system_minimal(edges, n, beta, _naive_how(how))):
        labels = _ints(labels)
        rows = kernel_quotient_rows(rel, labels, first_occurrences(labels))
        assert kernel_rows_agree(rel, labels, rows) == naive.system_is_complete(
            edges, n, labels.tolist(), _naive_how(how)
        )
