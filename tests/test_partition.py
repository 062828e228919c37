"""Tests of abstractions.partition: canonical form, information order, lattice, pullback."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from abstractions import (
    AbstractionsError,
    InvalidTypeError,
    InvalidValueError,
    Partition,
    SizeMismatchError,
)
from abstractions.strategies import partitions
from tests import naive
from tests.helpers import labels_of, maps, same_size_partitions

# --- constructors ----------------------------------------------------------


def test_from_labels_ints():
    """Integer labels are renumbered by first occurrence."""
    p = Partition.from_labels([7, 7, 3, 9, 3])
    assert labels_of(p) == [0, 0, 1, 2, 1]
    assert p.n == 5
    assert p.n_blocks == 3


def test_from_labels_strings():
    """String labels: same string, same block."""
    p = Partition.from_labels(["b", "a", "b", "c"])
    assert labels_of(p) == [0, 1, 0, 2]


def test_from_labels_tuples():
    """Tuple labels are hashable labels, not a second dimension."""
    p = Partition.from_labels([(0, 1), (1, 0), (0, 1)])
    assert labels_of(p) == [0, 1, 0]
    q = Partition.from_labels([(1,), (2, 3), (1,)])
    assert labels_of(q) == [0, 1, 0]


def test_from_labels_mixed_kinds():
    """Labels of different kinds are different labels: 1 and "1" are two blocks."""
    assert labels_of(Partition.from_labels(["a", 1, "1"])) == [0, 1, 2]
    assert labels_of(Partition.from_labels([1, "1", (1,)])) == [0, 1, 2]
    assert labels_of(Partition.from_labels([None, 0, None])) == [0, 1, 0]


def test_from_labels_exact_python_equality():
    """Labels are never converted to a fixed-width or float dtype: big ints, bytes and NULs stay apart."""
    assert Partition([2**63, 2**63 - 1]).n_blocks == 2
    assert Partition([2**64 + 1, 2**64 + 1.0]).n_blocks == 2  # the float rounds to 2**64
    assert Partition([-(2**63) - 1, -(2**63)]).n_blocks == 2
    assert Partition(["a", b"a"]).n_blocks == 2
    assert Partition(["a", "a\0"]).n_blocks == 2
    assert Partition([b"a", b"a\0"]).n_blocks == 2
    assert Partition([0.1 + 0.2, 0.3]).n_blocks == 2


def test_from_labels_mixed_numbers_follow_python_equality():
    """True == 1 == 1.0 and -0.0 == 0.0 are one label each; every NaN is one label."""
    assert labels_of(Partition([True, 1, 1.0, 2, False, 0])) == [0, 0, 0, 1, 2, 2]
    assert labels_of(Partition([0.0, -0.0])) == [0, 0]
    nan = float("nan")
    for labels in ([nan, float("nan"), 1.0], [nan, float("nan"), "x"], np.array([nan, nan, 1.0])):
        assert Partition(labels).n_blocks == 2


@pytest.mark.parametrize(
    "labels",
    [
        np.array([3, 1, 3]), np.array([3, 1, 3], dtype=np.uint64), np.array([2**63 + 5, 1, 2**63 + 5], dtype=np.uint64),
        [3, 1, 3], (3, 1, 3), iter([3, 1, 3]), [np.int16(3), np.int16(1), np.int16(3)],
        np.array([3, 1, 3], dtype=object), np.array([np.int64(3), 1, 3], dtype=object),
    ],
)
def test_from_labels_numeric_containers(labels):
    """Arrays, lists, tuples, iterators, numpy scalars and object arrays give the same partition."""
    assert labels_of(Partition(labels)) == [0, 1, 0]


@given(st.lists(st.one_of(st.integers(0, 1), st.sampled_from(["0", "1"])), max_size=8)
       | st.lists(st.one_of(st.integers(-2, 2), st.text(max_size=1),
                            st.tuples(st.integers(0, 1)), st.none()), max_size=10))
def test_from_labels_any_hashables(raw):
    """Any hashable labels: same label (by ==) iff same block."""
    assert labels_of(Partition.from_labels(raw)) == naive.canonical(raw)


def test_from_labels_numpy_and_empty():
    """A numpy array of labels works, and no labels give the empty partition."""
    p = Partition.from_labels(np.array([2, 2, 0], dtype=np.int32))
    assert labels_of(p) == [0, 0, 1]
    e = Partition.from_labels([])
    assert e.n == 0 and e.n_blocks == 0 and e.blocks() == []


def test_from_labels_rejects_2d():
    """Labels of a 2-d array are rejected with InvalidValueError (a ValueError)."""
    with pytest.raises(InvalidValueError, match="labels"):
        Partition.from_labels(np.zeros((2, 3), dtype=np.int64))
    # a nested list is either read as 2-d or as unhashable labels: rejected either way
    with pytest.raises(AbstractionsError, match="labels"):
        Partition.from_labels([[0, 1], [1, 0]])


def test_from_blocks():
    """from_blocks lists each block's states; n inferred or given."""
    p = Partition.from_blocks([[2, 0], [1], [3, 4]])
    assert labels_of(p) == [0, 1, 0, 2, 2]
    q = Partition.from_blocks([[0, 1], [2]], n=3)
    assert labels_of(q) == [0, 0, 1]
    assert Partition.from_blocks([], n=0) == Partition.top(0)


@given(partitions(max_states=8))
def test_from_blocks_roundtrip(p):
    """from_blocks(P.blocks()) == P."""
    assert Partition.from_blocks([list(b) for b in p.blocks()], n=p.n) == p
    assert Partition.from_blocks([b.tolist() for b in p.blocks()]) == p


@pytest.mark.parametrize(
    ("blocks", "n", "match"),
    [
        ([[0], [1]], 3, "2"),  # state 2 missing
        ([[0, 1], [1, 2]], 3, "1"),  # state 1 twice
        ([[0, 1], [3]], 3, "3"),  # out of range
        ([[0, -1], [1]], None, "-1"),  # negative
        ([[0, 1], [], [2]], 3, "empty"),  # empty block
    ],
)
def test_from_blocks_rejects_bad_blocks(blocks, n, match):
    """Missing, duplicate, out-of-range, negative states and empty blocks are named."""
    with pytest.raises(InvalidValueError, match=match):
        Partition.from_blocks(blocks, n=n)


def test_from_blocks_rejects_non_int():
    """A non-integer state in a block is an InvalidTypeError (a TypeError)."""
    with pytest.raises(InvalidTypeError):
        Partition.from_blocks([[0, 1.5]], n=2)
    with pytest.raises(TypeError):
        Partition.from_blocks([["a"]], n=1)


def test_from_blocks_rejects_bools():
    """Booleans are not state ids in blocks (as for step, inputs and pullback maps)."""
    with pytest.raises(InvalidTypeError, match="True"):
        Partition.from_blocks([[True, 0]])


def test_kernel_of_array():
    """kernel(f) for an array puts states with equal values together."""
    p = Partition.kernel(np.array([5, 1, 5, 1, 2]))
    assert labels_of(p) == [0, 1, 0, 1, 2]
    assert Partition.kernel([1, 1, 0], 3) == Partition.from_labels([0, 0, 1])


def test_kernel_of_array_with_wrong_n():
    """kernel(array, n) with n != len(array) is rejected."""
    with pytest.raises(InvalidValueError):
        Partition.kernel([1, 1, 0], 4)


def test_kernel_of_callable():
    """kernel(f, n) of a callable calls f on each state."""
    calls = []

    def parity(i):
        calls.append(i)
        return i % 2

    p = Partition.kernel(parity, 5)
    assert labels_of(p) == [0, 1, 0, 1, 0]
    assert sorted(calls) == [0, 1, 2, 3, 4]


def test_kernel_of_vectorized_callable():
    """kernel(f, n, vectorized=True) calls f once on arange(n)."""
    calls = []

    def mod3(xs):
        calls.append(np.array(xs))
        return xs % 3

    p = Partition.kernel(mod3, 7, vectorized=True)
    assert labels_of(p) == [0, 1, 2, 0, 1, 2, 0]
    assert len(calls) == 1 and calls[0].tolist() == list(range(7))


def test_kernel_of_callable_needs_n():
    """A callable without n cannot be turned into a partition."""
    with pytest.raises((InvalidValueError, InvalidTypeError)):
        Partition.kernel(lambda i: i)


def test_top_and_bottom():
    """top(n) is the discrete partition, bottom(n) one block (none when n == 0)."""
    assert labels_of(Partition.top(4)) == [0, 1, 2, 3]
    assert labels_of(Partition.bottom(4)) == [0, 0, 0, 0]
    assert Partition.top(4).n_blocks == 4
    assert Partition.bottom(4).n_blocks == 1
    assert Partition.bottom(0).n_blocks == 0
    assert Partition.top(0) == Partition.bottom(0)
    assert Partition.top(1) == Partition.bottom(1)


def test_top_and_bottom_reject_negative_n():
    """top(-1) and bottom(-1) raise InvalidValueError."""
    with pytest.raises(InvalidValueError):
        Partition.top(-1)
    with pytest.raises(InvalidValueError):
        Partition.bottom(-1)


# --- canonical form --------------------------------------------------------


@given(st.lists(st.integers(-3, 3), max_size=12))
def test_from_labels_is_canonical(raw):
    """Labels start at 0 and each new block gets the next id (first occurrence)."""
    p = Partition.from_labels(raw)
    assert labels_of(p) == naive.canonical(raw)
    assert p.labels.dtype == np.int64
    assert p.n == len(raw)
    assert p.n_blocks == len(set(raw))


@given(st.lists(st.integers(0, 4), max_size=10), st.data())
def test_equal_partitions_have_equal_arrays_and_hashes(raw, data):
    """Relabelling blocks gives an equal partition, equal arrays and equal hashes."""
    values = sorted(set(raw))
    renamed = data.draw(st.permutations(values))
    rename = dict(zip(values, [f"x{v}" for v in renamed]))
    p = Partition.from_labels(raw)
    q = Partition.from_labels([rename[v] for v in raw])
    assert p == q
    assert hash(p) == hash(q)
    assert np.array_equal(p.labels, q.labels)


def test_unequal_partitions():
    """Different labels or different n make partitions unequal."""
    assert Partition.from_labels([0, 0, 1]) != Partition.from_labels([0, 1, 1])
    assert Partition.top(2) != Partition.top(3)
    assert Partition.bottom(2) != Partition.bottom(3)
    assert Partition.top(2) != "not a partition"


def test_labels_are_read_only():
    """The labels array is not writeable, and attributes cannot be reassigned."""
    p = Partition.from_labels([0, 1, 0])
    assert not p.labels.flags.writeable
    with pytest.raises(ValueError):
        p.labels[0] = 1
    with pytest.raises(AttributeError):
        p.labels = np.array([0, 0, 0])
    with pytest.raises(AttributeError):
        p.n = 4
    assert labels_of(p) == [0, 1, 0]


def test_from_labels_copies_its_input():
    """Mutating the input array later does not change the partition."""
    raw = np.array([0, 1, 0], dtype=np.int64)
    p = Partition.from_labels(raw)
    raw[:] = [1, 1, 1]
    assert labels_of(p) == [0, 1, 0]


@given(partitions(max_states=10))
def test_blocks_sizes_representatives(p):
    """blocks() lists block b's states increasing; sizes and representatives agree."""
    blocks = p.blocks()
    assert [b.tolist() for b in blocks] == naive.blocks(labels_of(p))
    assert all(b.dtype == np.int64 for b in blocks)
    assert p.block_sizes().tolist() == [len(b) for b in blocks]
    assert p.representatives().tolist() == [b[0] for b in naive.blocks(labels_of(p))]
    assert len(blocks) == p.n_blocks


def test_blocks_known_answer():
    """Blocks of 0 1 0 2 1 are {0,2}, {1,4}, {3}."""
    p = Partition.from_labels([0, 1, 0, 2, 1])
    assert [b.tolist() for b in p.blocks()] == [[0, 2], [1, 4], [3]]
    assert p.block_sizes().tolist() == [2, 2, 1]
    assert p.representatives().tolist() == [0, 1, 3]


# --- information order -----------------------------------------------------


def test_order_direction():
    """Coarser holds less information: bottom <= {0,1|2} <= top, strictly."""
    mid = Partition.from_labels([0, 0, 1])
    assert Partition.bottom(3) < mid < Partition.top(3)
    assert Partition.top(3) > mid > Partition.bottom(3)
    assert not mid <= Partition.bottom(3)
    assert not Partition.top(3) <= mid
    other = Partition.from_labels([0, 1, 1])
    assert not mid <= other and not other <= mid


@given(same_size_partitions(2))
def test_order_matches_naive(pq):
    """P <= Q iff every block of Q lies inside a block of P."""
    p, q = pq
    expected = naive.leq(labels_of(p), labels_of(q))
    assert (p <= q) == expected
    assert (q >= p) == expected
    assert (p < q) == (expected and p != q)
    assert (q > p) == (expected and p != q)


@given(partitions(max_states=10))
def test_top_greatest_bottom_least(p):
    """bottom(n) <= P <= top(n)."""
    assert Partition.bottom(p.n) <= p <= Partition.top(p.n)
    assert p | Partition.top(p.n) == Partition.top(p.n)
    assert p & Partition.bottom(p.n) == Partition.bottom(p.n)
    assert p | Partition.bottom(p.n) == p
    assert p & Partition.top(p.n) == p


@given(same_size_partitions(2))
def test_order_via_join_and_meet(pq):
    """P <= Q iff P | Q == Q iff P & Q == P."""
    p, q = pq
    assert (p <= q) == (p | q == q) == (p & q == p)


@given(same_size_partitions(3, max_states=7))
def test_order_is_a_partial_order(pqr):
    """Reflexive, antisymmetric, transitive."""
    p, q, r = pqr
    assert p <= p
    if p <= q and q <= p:
        assert p == q
    if p <= q and q <= r:
        assert p <= r


def test_order_rejects_other_sizes_and_types():
    """Comparing partitions of different n raises SizeMismatchError; other types TypeError."""
    with pytest.raises(SizeMismatchError):
        Partition.top(3) <= Partition.top(4)  # noqa: B015
    with pytest.raises(ValueError):
        Partition.top(3) < Partition.top(4)  # noqa: B015
    with pytest.raises(SizeMismatchError):
        Partition.top(3) >= Partition.top(4)  # noqa: B015
    with pytest.raises(TypeError):
        Partition.top(3) <= "abc"  # noqa: B015
    with pytest.raises(TypeError):
        Partition.top(3) | 3  # noqa: B018


def test_join_meet_reject_other_sizes():
    """Joining or meeting partitions of different n raises SizeMismatchError."""
    with pytest.raises(SizeMismatchError, match="3|4"):
        Partition.top(3) | Partition.top(4)  # noqa: B018
    with pytest.raises(SizeMismatchError):
        Partition.top(3) & Partition.top(4)  # noqa: B018
    with pytest.raises(SizeMismatchError):
        Partition.top(3).join(Partition.bottom(2))
    with pytest.raises(ValueError):
        Partition.top(3).meet(Partition.bottom(2))


# --- lattice ---------------------------------------------------------------


@given(same_size_partitions(2))
def test_join_and_meet_match_naive(pq):
    """Join is the common refinement, meet the closure of the union."""
    p, q = pq
    assert labels_of(p | q) == naive.join(labels_of(p), labels_of(q))
    assert labels_of(p & q) == naive.meet(labels_of(p), labels_of(q))
    assert p | q == p.join(q)
    assert p & q == p.meet(q)


@given(same_size_partitions(2, max_states=6))
def test_join_is_least_upper_bound(pq):
    """P | Q is above both, and below every partition above both (all partitions of n)."""
    p, q = pq
    j = p | q
    assert p <= j and q <= j
    for r in naive.set_partitions(p.n):
        r = Partition.from_labels(r)
        if p <= r and q <= r:
            assert j <= r


@given(same_size_partitions(2, max_states=6))
def test_meet_is_greatest_lower_bound(pq):
    """P & Q is below both, and above every partition below both (all partitions of n)."""
    p, q = pq
    m = p & q
    assert m <= p and m <= q
    for r in naive.set_partitions(p.n):
        r = Partition.from_labels(r)
        if r <= p and r <= q:
            assert r <= m


@given(same_size_partitions(2))
def test_commutativity(pq):
    """P | Q == Q | P and P & Q == Q & P."""
    p, q = pq
    assert p | q == q | p
    assert p & q == q & p


@given(same_size_partitions(3))
def test_associativity(pqr):
    """(P | Q) | R == P | (Q | R), and likewise for &."""
    p, q, r = pqr
    assert (p | q) | r == p | (q | r)
    assert (p & q) & r == p & (q & r)


@given(same_size_partitions(2))
def test_absorption(pq):
    """P | (P & Q) == P and P & (P | Q) == P."""
    p, q = pq
    assert p | (p & q) == p
    assert p & (p | q) == p


@given(partitions(max_states=10))
def test_idempotence(p):
    """P | P == P and P & P == P."""
    assert p | p == p
    assert p & p == p


def test_not_distributive():
    """Partitions of 3 states do not form a distributive lattice."""
    x = Partition.from_blocks([[0, 1], [2]])
    y = Partition.from_blocks([[0, 2], [1]])
    z = Partition.from_blocks([[1, 2], [0]])
    assert x & (y | z) != (x & y) | (x & z)
    # concretely: y | z is top, so the left side is x; each meet is bottom
    assert x & (y | z) == x
    assert (x & y) | (x & z) == Partition.bottom(3)


# --- pullback --------------------------------------------------------------


@st.composite
def partition_and_map(draw, max_states=8):
    p = draw(partitions(min_states=1, max_states=max_states))
    m = draw(st.integers(0, max_states))
    f = draw(maps(m, p.n))
    return p, f


@given(partition_and_map())
def test_pullback_matches_definition(pf):
    """f*(P) relates i, j iff f(i) and f(j) are in the same block of P."""
    p, f = pf
    q = p.pullback(f)
    assert q.n == len(f)
    assert labels_of(q) == naive.pullback(labels_of(p), f.tolist())
    # also the relational definition, pair by pair
    for i in range(len(f)):
        for j in range(len(f)):
            same = q.labels[i] == q.labels[j]
            assert same == (p.labels[f[i]] == p.labels[f[j]])


@given(partition_and_map())
def test_pullback_accepts_lists(pf):
    """pullback accepts a list as well as an array."""
    p, f = pf
    assert p.pullback(f.tolist()) == p.pullback(f)


@st.composite
def composable_maps(draw):
    p = draw(partitions(min_states=1, max_states=6))
    k = draw(st.integers(1, 6))
    m = draw(st.integers(0, 6))
    g = draw(maps(k, p.n))  # g: range(k) -> range(p.n)
    f = draw(maps(m, k))  # f: range(m) -> range(k)
    return p, g, f


@given(composable_maps())
def test_pullback_along_composite(pgf):
    """(g o f)*(P) == f*(g*(P)): P.pullback(g).pullback(f) == P.pullback(g[f])."""
    p, g, f = pgf
    assert p.pullback(g).pullback(f) == p.pullback(g[f])


@st.composite
def two_partitions_and_map(draw):
    p, q = draw(same_size_partitions(2, min_states=1, max_states=7))
    m = draw(st.integers(0, 7))
    f = draw(maps(m, p.n))
    return p, q, f


@given(two_partitions_and_map())
def test_pullback_preserves_join(pqf):
    """f*(P | Q) == f*(P) | f*(Q)."""
    p, q, f = pqf
    assert (p | q).pullback(f) == p.pullback(f) | q.pullback(f)


@given(two_partitions_and_map())
def test_pullback_is_monotone(pqf):
    """P <= Q implies f*(P) <= f*(Q)."""
    p, q, f = pqf
    if p <= q:
        assert p.pullback(f) <= q.pullback(f)
    assert (p & q).pullback(f) <= p.pullback(f)


@given(st.integers(1, 6).flatmap(lambda k: st.tuples(st.just(k), maps(8, k))))
def test_kernel_is_pullback_of_top(kf):
    """ker(f) == f*(top)."""
    k, f = kf
    assert Partition.kernel(f) == Partition.top(k).pullback(f)


def test_pullback_of_bottom_and_identity():
    """f*(bottom) is bottom; the identity pulls P back to itself."""
    p = Partition.from_labels([0, 1, 0, 2])
    assert p.pullback(np.arange(4)) == p
    assert Partition.bottom(4).pullback([3, 3, 1]) == Partition.bottom(3)
    assert p.pullback([]) == Partition.top(0)


@pytest.mark.parametrize(
    ("f", "error", "match"),
    [
        ([0, 1, 3], InvalidValueError, r"\bf\[2\]"),
        ([0, -1, 1], InvalidValueError, r"\bf\[1\]"),
        (np.array([0.0, 1.5]), InvalidTypeError, r"\bf\b"),
        (np.zeros((2, 2), dtype=np.int64), InvalidValueError, r"\bf\b"),
        (["a", "b"], InvalidTypeError, r"\bf\b"),
    ],
)
def test_pullback_rejects_bad_maps(f, error, match):
    """Out-of-range, negative, float, string and 2-d maps are rejected, naming f."""
    p = Partition.from_labels([0, 1, 0])
    with pytest.raises(error, match=match):
        p.pullback(f)


def test_pullback_error_names_index_and_value():
    """The message names the offending index and value: f[2] = 7."""
    p = Partition.top(3)
    with pytest.raises(InvalidValueError, match=r"f\[2\] = 7"):
        p.pullback([0, 1, 7])
    with pytest.raises(InvalidValueError, match=r"f\[1\] = -2"):
        p.pullback([0, -2, 1])


# --- restrict and repr -----------------------------------------------------


@given(st.data())
def test_restrict_matches_pullback(data):
    """restrict(states) keeps the blocks seen by the chosen states, in their order."""
    p = data.draw(partitions(min_states=1, max_states=10))
    states = data.draw(st.lists(st.integers(0, p.n - 1), unique=True, max_size=p.n))
    r = p.restrict(np.array(states, dtype=np.int64))
    assert r.n == len(states)
    assert labels_of(r) == naive.canonical([int(p.labels[s]) for s in states])


def test_restrict_by_mask():
    """A boolean mask of length n selects the states where it is True."""
    p = Partition.from_labels([0, 1, 0, 2, 1])
    r = p.restrict(np.array([False, True, True, False, True]))
    assert labels_of(r) == [0, 1, 0]
    assert p.restrict([4, 0]) == Partition.top(2)


def test_restrict_rejects_bad_states():
    """Out-of-range or repeated states are rejected."""
    p = Partition.top(3)
    with pytest.raises(InvalidValueError):
        p.restrict([0, 3])
    with pytest.raises(InvalidValueError):
        p.restrict([1, 1])


def test_repr_small_lists_blocks():
    """repr of a small partition is readable and shows its blocks."""
    p = Partition.from_labels([0, 1, 0, 2])
    text = repr(p)
    assert "Partition" in text
    for state in range(4):
        assert str(state) in text
    assert repr(Partition.from_labels([0, 1, 1, 2])) != text


def test_repr_large_is_a_summary():
    """repr of a large partition is short and gives its size."""
    p = Partition.kernel(np.arange(100_000) % 7)
    text = repr(p)
    assert "Partition" in text
    assert len(text) < 400
    assert "100000" in text.replace(",", "").replace("_", "")
    assert "7" in text


def test_partition_errors_are_abstractions_errors():
    """Every error raised for bad partitions derives from AbstractionsError."""
    with pytest.raises(AbstractionsError):
        Partition.top(-3)
    with pytest.raises(AbstractionsError):
        Partition.from_blocks([[0, 0]])


def test_partition_does_not_freeze_user_labels():
    """Partition.from_labels leaves the caller's array writeable and unchanged."""
    labels = np.array([3, 3, 1], dtype=np.int64)
    p = Partition.from_labels(labels)
    assert labels.flags.writeable
    labels[0] = 7
    assert p.labels.tolist() == [0, 0, 1]


@given(p=partitions(max_states=40))
def test_representatives_are_each_blocks_first_state(p):
    """representatives()[b] is the smallest state of block b, for every block (naive scan)."""
    labels = p.labels.tolist()
    want = [labels.index(b) for b in range(p.n_blocks)]
    assert p.representatives().tolist() == want
