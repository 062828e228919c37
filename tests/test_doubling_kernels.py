"""The distributed engine's kernels (abstractions._kernels.doubling) against their naive twins.

No dask needed: the kernels work on plain arrays. CI runs this file once
more under ``NUMBA_DISABLE_JIT=1`` so that the kernel source itself is
exercised.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from abstractions._kernels import (
    _answer_rows,
    _apply_ids,
    _gather_pairs,
    _number_rows,
    _pair_ids,
    _pair_rows,
    _requests,
    _route,
)
from tests import naive

pytestmark = [
    # The pair hashes wrap around 2**64 by design (plain Python under NUMBA_DISABLE_JIT warns).
    pytest.mark.filterwarnings("ignore:overflow encountered in scalar multiply:RuntimeWarning"),
    pytest.mark.filterwarnings("ignore:overflow encountered in scalar add:RuntimeWarning"),
]


@settings(max_examples=80, deadline=None)
@given(dest=st.lists(st.integers(0, 4), max_size=60), extra=st.integers(0, 2))
def test_route_matches_naive(dest, extra):
    nparts = 5 + extra  # some receivers get nothing
    order, ends = _route(np.array(dest, dtype=np.int64), nparts)
    expected_order, expected_ends = naive.route(dest, nparts)
    assert order.tolist() == expected_order
    assert ends.tolist() == expected_ends


@settings(max_examples=80, deadline=None)
@given(
    pairs=st.lists(st.tuples(st.integers(-3, 3), st.integers(-3, 3)), max_size=80),
    big=st.booleans(),
    slots=st.sampled_from([2, 4, 1024]),
)
def test_pair_ids_match_naive(pairs, big, slots):
    """First-occurrence ids, the first row of each: a small table grows and stays exact."""
    scale = 1 << 40 if big else 1  # labels of the form (round, partition, local id)
    a = np.array([x * scale for x, _ in pairs], dtype=np.int64)
    b = np.array([y for _, y in pairs], dtype=np.int64)
    codes, first, count = _pair_ids(a, b, slots)
    expected, expected_count = naive.row_ids(list(zip(a.tolist(), b.tolist())))
    assert codes.tolist() == expected and count == expected_count
    assert first.tolist() == [expected.index(c) for c in range(expected_count)]


def test_pair_ids_rejects_a_table_size_that_is_not_a_power_of_two():
    with pytest.raises(ValueError, match="slots must be a power of two"):
        _pair_ids(np.zeros(3, np.int64), np.zeros(3, np.int64), 6)


@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_answer_rows_match_naive(data):
    n = data.draw(st.integers(1, 20))
    lo = data.draw(st.integers(0, 50))
    labels = data.draw(st.lists(st.integers(-9, 9), min_size=n, max_size=n))
    g = data.draw(st.lists(st.integers(0, 99), min_size=n, max_size=n))
    final = data.draw(st.lists(st.booleans(), min_size=n, max_size=n))
    req = data.draw(st.lists(st.integers(lo - 2, lo + n + 1), max_size=30))
    rows, bad = _answer_rows(np.array(labels), np.array(g), np.array(final), lo,
                             np.array(req, dtype=np.int64))
    expected, expected_bad = naive.answer_rows(labels, g, final, lo, req)
    assert bad == expected_bad
    if bad < 0:
        assert rows.tolist() == expected


@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_apply_ids_match_naive(data):
    n = data.draw(st.integers(1, 20))
    labels = data.draw(st.lists(st.integers(0, 9), min_size=n, max_size=n))
    g = data.draw(st.lists(st.integers(0, 99), min_size=n, max_size=n))
    final = data.draw(st.lists(st.booleans(), min_size=n, max_size=n))
    active = sorted(data.draw(st.sets(st.integers(0, n - 1))))
    pairs = data.draw(st.integers(1, 4))
    per_pair = data.draw(st.lists(st.integers(-9, 9), min_size=pairs, max_size=pairs))
    codes = data.draw(st.lists(st.integers(0, pairs - 1), min_size=len(active),
                               max_size=len(active)))
    gg = data.draw(st.lists(st.integers(-1, 99), min_size=len(active), max_size=len(active)))
    L0, g0, f0 = np.array(labels), np.array(g), np.array(final)
    got = _apply_ids(L0, g0, f0, np.array(active, dtype=np.int64), np.array(gg, dtype=np.int64),
                     np.array(codes, dtype=np.int64), np.array(per_pair, dtype=np.int64))
    expected = naive.apply_ids(labels, g, final, active, gg, codes, per_pair)
    assert [x.tolist() for x in got] == [list(e) for e in expected]
    # The inputs are left as they were.
    assert L0.tolist() == labels and g0.tolist() == g and f0.tolist() == final


@settings(max_examples=80, deadline=None)
@given(data=st.data(), uniform=st.booleans())
def test_requests_match_naive(data, uniform):
    """Grouped by owner, ties in order, by division or by the bounds (chunks of any size)."""
    if uniform:
        size = data.draw(st.integers(1, 6))
        nparts = data.draw(st.integers(1, 5))
        total = data.draw(st.integers((nparts - 1) * size + 1, nparts * size))
        bounds = [min(p * size, total) for p in range(nparts)] + [total]
    else:
        size = 0
        cuts = sorted(data.draw(st.lists(st.integers(1, 29), max_size=4, unique=True)))
        bounds = [0, *cuts, 30]
        total = 30
    n = data.draw(st.integers(0, 20))
    g = data.draw(st.lists(st.integers(0, total - 1), min_size=n, max_size=n))
    final = data.draw(st.lists(st.booleans(), min_size=n, max_size=n))
    pos, targets, ends = _requests(np.array(g, dtype=np.int64), np.array(final, dtype=bool),
                                   size, np.array(bounds, dtype=np.int64))
    assert (pos.tolist(), targets.tolist(), ends.tolist()) == naive.requests(g, final, bounds)


@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_gather_pairs_match_naive(data):
    """Filled an owner's answers at a time, each at the offset the previous call returned."""
    n = data.draw(st.integers(1, 12))
    labels = data.draw(st.lists(st.integers(-5, 5), min_size=n, max_size=n))
    sizes = data.draw(st.lists(st.integers(0, 4), max_size=4))
    m = sum(sizes)
    pos = data.draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m))
    answers = [
        [data.draw(st.lists(st.integers(-5, 5), min_size=k, max_size=k)),
         data.draw(st.lists(st.integers(-1, 9), min_size=k, max_size=k))]
        for k in sizes
    ]
    a, b, gg = (np.full(m, 99, dtype=np.int64) for _ in range(3))
    offset = 0
    for got in answers:
        offset = _gather_pairs(np.array(labels), np.array(pos, dtype=np.int64), offset,
                               np.array(got, dtype=np.int64).reshape(2, -1), a, b, gg)
    assert offset == m
    assert (a.tolist(), b.tolist(), gg.tolist()) == naive.gather_pairs(labels, pos, answers)


def test_gather_pairs_rejects_answers_past_the_end_and_read_only_outputs():
    L = np.arange(4, dtype=np.int64)
    pos = np.arange(2, dtype=np.int64)
    got = np.zeros((2, 3), dtype=np.int64)
    out = [np.empty(2, dtype=np.int64) for _ in range(3)]
    with pytest.raises(ValueError, match="do not fit"):
        _gather_pairs(L, pos, 0, got, *out)
    frozen = np.empty(3, dtype=np.int64)
    frozen.flags.writeable = False
    with pytest.raises(TypeError, match="writeable"):
        _gather_pairs(L, np.arange(3), 0, got, frozen, np.empty(3, np.int64), np.empty(3, np.int64))


@settings(max_examples=80, deadline=None)
@given(
    pairs=st.lists(st.tuples(st.integers(-3, 3), st.integers(-3, 3)), max_size=60),
    big=st.booleans(),
    nparts=st.integers(1, 5),
    slots=st.sampled_from([2, 1024]),
)
def test_pair_rows_match_naive(pairs, big, nparts, slots):
    """Counted distinct pairs, each receiver's three rows one contiguous block (a view)."""
    scale = 1 << 40 if big else 1
    a = np.array([x * scale for x, _ in pairs], dtype=np.int64)
    b = np.array([y * scale for _, y in pairs], dtype=np.int64)
    codes, order, flat, ends = _pair_rows(a, b, slots, nparts)
    expected_codes, expected_order, blocks = naive.pair_rows(a.tolist(), b.tolist(), nparts)
    assert codes.tolist() == expected_codes and order.tolist() == expected_order
    starts = [0, *ends.tolist()[:-1]]
    got = [flat[3 * s:3 * e].reshape(3, e - s).tolist() for s, e in zip(starts, ends.tolist())]
    assert got == blocks


@settings(max_examples=80, deadline=None)
@given(
    rows=st.lists(st.tuples(st.integers(0, 3), st.integers(-2, 3), st.integers(1, 3)),
                  max_size=40),
    rnd=st.integers(0, 40),
    part=st.integers(0, 9),
    slots=st.sampled_from([2, 1024]),
)
def test_number_rows_match_naive(rows, rnd, part, slots):
    """Ids (round, partition, local); one-state blocks marked; leaving blocks complemented."""
    a, b, k = (np.array([r[i] for r in rows], dtype=np.int64) for i in range(3))
    base = (rnd << 56) | (part << 36)
    alone = 1 << 62
    new, count, leaving, staying = _number_rows(a, b, k, slots, base, alone)
    assert (new.tolist(), count, leaving, staying) == naive.number_rows(
        a.tolist(), b.tolist(), k.tolist(), base, alone)
