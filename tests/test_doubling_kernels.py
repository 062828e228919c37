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

from abstractions._kernels import _answer_rows, _apply_ids, _pair_ids, _route
from tests import naive

pytestmark = pytest.mark.filterwarnings(
    # The pair hash wraps around 2**64 by design (plain Python under NUMBA_DISABLE_JIT warns).
    "ignore:overflow encountered in scalar multiply:RuntimeWarning"
)


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
