"""Saving and loading: round trips of both formats, and every bad-file path."""

from __future__ import annotations

import json
import os
import pickle
import zipfile

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import abstractions
from abstractions import (
    UNDETERMINED,
    AbstractionsError,
    Computation,
    FileFormatError,
    Partition,
    abstract_computation,
    load,
    minimal_complete_abstraction,
    save,
)
from abstractions.files import FORMAT_VERSION
from abstractions.machines import counter, parity_by_counting
from abstractions.strategies import computations, partitions

SUFFIXES = [".npz", ".json"]

# Hashable values stored exactly (no NaN: it is not equal to itself), bytes and
# ints beyond 64 bits included.
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False),
    st.text(max_size=4),
    st.binary(max_size=3),
    st.integers(min_value=-(10**40), max_value=10**40),
)
values = st.one_of(scalars, st.tuples(scalars, scalars), st.tuples(st.tuples(scalars), scalars))


def distinct(count: int):
    return st.lists(values, min_size=count, max_size=count, unique=True)


@st.composite
def named_computations(draw):
    """Computations with state labels, output values and input values of many types."""
    c = draw(computations(max_states=6))
    labels = draw(st.none() | distinct(c.n))
    output_values = draw(distinct(c.n_outputs))
    inputs = None
    if draw(st.booleans()):
        names = draw(distinct(len(c.input_states)))
        inputs = dict(zip(names, c.input_states.tolist()))
    return Computation(
        c.step,
        halted=c.halted,
        output=c.output,
        inputs=inputs,
        output_values=output_values,
        state_labels=labels,
    )


def _check_error(err: FileFormatError, path, *words: str) -> None:
    assert isinstance(err, ValueError) and isinstance(err, AbstractionsError)
    assert err.path == str(path)
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.path, copy.problem, str(copy)) == (err.path, err.problem, str(err))
    message = str(err)
    assert message.startswith(str(path))
    for word in words:
        assert word in message, message


@pytest.mark.parametrize("suffix", SUFFIXES)
@given(c=named_computations())
def test_computation_round_trip(tmp_path_factory, suffix, c):
    """load(save(C)) == C in both formats, labels and values of every storable type included."""
    path = tmp_path_factory.mktemp("rt") / f"c{suffix}"
    save(c, path)
    back = load(path)
    assert back == c
    assert isinstance(back.output_values, type(c.output_values)) or len(c.output_values) == 0


@pytest.mark.parametrize("suffix", SUFFIXES)
@given(p=partitions(max_states=12))
def test_partition_round_trip(tmp_path_factory, suffix, p):
    """load(save(P)) == P in both formats."""
    path = tmp_path_factory.mktemp("rt") / f"p{suffix}"
    save(p, path)
    assert load(path, kind=Partition) == p


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_default_names_stay_ranges(tmp_path, suffix):
    """A computation on numbered states comes back with ranges, not tuples of n ints."""
    c = counter(5)
    save(c, tmp_path / f"c{suffix}")
    back = load(tmp_path / f"c{suffix}")
    assert back == c
    assert isinstance(back.output_values, range) and isinstance(back.input_values, range)


def test_machine_and_undetermined_round_trip(tmp_path):
    """Tuple state labels and the UNDETERMINED output of an abstract computation survive both formats."""
    c = parity_by_counting(3)
    a, _ = abstract_computation(c, minimal_complete_abstraction(c, Partition.kernel(c.halted)))
    assert UNDETERMINED in a.output_values
    for suffix in SUFFIXES:
        for obj in (c, a):
            save(obj, tmp_path / f"x{suffix}")
            assert load(tmp_path / f"x{suffix}") == obj
    assert load(tmp_path / "x.json").output_values.count(UNDETERMINED) == 1


def test_large_npz_compressed(tmp_path):
    """Arrays of any size go through .npz, compressed or not."""
    c = counter(100_000)
    for compress in (False, True):
        save(c, tmp_path / "big.npz", compress=compress)
        assert load(tmp_path / "big.npz") == c
    p = Partition.kernel(np.arange(100_000) % 7)
    save(p, tmp_path / "p.npz")
    assert load(tmp_path / "p.npz") == p


def test_json_is_one_key_per_line_and_hand_editable(tmp_path):
    """The JSON form is small, readable, and what the docstring schema says."""
    c = Computation([1, 2, 2], halted=[False, False, True], output=["run", "run", "done"],
                    inputs={("x", 1): 0}, state_labels=["a", "b", "c"])
    save(c, tmp_path / "c.json")
    doc = json.loads((tmp_path / "c.json").read_text())
    assert doc == {
        "format": "abstractions",
        "version": FORMAT_VERSION,
        "kind": "computation",
        "step": [1, 2, 2],
        "halted": [False, False, True],
        "output": [0, 0, 1],
        "output_values": ["run", "done"],
        "inputs": [[["x", 1], 0]],
        "state_labels": ["a", "b", "c"],
    }
    assert len((tmp_path / "c.json").read_text().splitlines()) == len(doc) + 2


def test_hand_written_json_forms(tmp_path):
    """Output values per state, start-state inputs, blocks with n, and a missing header all load."""
    path = tmp_path / "h.json"
    path.write_text(
        '{"kind": "computation", "step": [1, 2, 2], "output": [[0, 1], [0, 1], "end"], '
        '"inputs": [0, 1], "state_labels": ["a", "b", ["c", 3]]}'
    )
    c = load(path)
    assert c.output_values == ((0, 1), "end")
    assert c.inputs == {0: 0, 1: 1}
    assert c.state_labels == ("a", "b", ("c", 3))
    path.write_text('{"kind": "partition", "blocks": [[2], [0, 1]], "n": 3}')
    assert load(path) == Partition([0, 0, 1])
    path.write_text('{"kind": "partition", "labels": ["x", "y", "x"]}')
    assert load(path) == Partition([0, 1, 0])


# ---------------------------------------------------------------------- bad input


@pytest.mark.parametrize("name", ["c.txt", "c", "c.npy", "c.json.bak"])
def test_unknown_suffix(tmp_path, name):
    """An unknown suffix is a ValueError naming it, on save and on load."""
    with pytest.raises(ValueError, match="suffix"):
        save(counter(2), tmp_path / name)
    with pytest.raises(ValueError, match="suffix"):
        load(tmp_path / name)
    assert not (tmp_path / name).exists()


def test_save_bad_arguments(tmp_path):
    """Saving something else, or to a non-path, is a TypeError."""
    with pytest.raises(TypeError, match="TransitionSystem.* or a Partition"):
        save([1, 2], tmp_path / "x.npz")
    with pytest.raises(TypeError, match="path"):
        save(counter(2), 3)
    with pytest.raises(TypeError, match="kind"):
        load(tmp_path / "x.npz", kind=int)


@pytest.mark.parametrize("suffix", SUFFIXES)
@pytest.mark.parametrize(
    ("where", "value"),
    [("state_labels", frozenset({1})), ("state_labels", 1j), ("output", object())],
)
def test_unstorable_values_are_refused(tmp_path, suffix, where, value):
    """A label or value JSON cannot hold raises TypeError naming it, and writes nothing."""
    if where == "state_labels":
        c = Computation([0, 0], output=["y", "y"], state_labels=[1, value])
        field = "state_labels[1]"
    else:
        c = Computation([0, 0], output=np.array([1, value], dtype=object))
        field = "output_values[1]"
    with pytest.raises(TypeError, match=field.replace("[", r"\[")):
        save(c, tmp_path / f"c{suffix}")
    assert os.listdir(tmp_path) == []


def test_missing_file_and_directory(tmp_path):
    """A missing file is FileNotFoundError; saving into a missing directory leaves nothing."""
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "none.npz")
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "none.json")
    with pytest.raises(FileNotFoundError):
        save(counter(2), tmp_path / "no" / "c.npz")


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_failed_save_leaves_old_file(tmp_path, monkeypatch, suffix):
    """A save that fails midway leaves the previous file intact and no temporary file."""
    path = tmp_path / f"c{suffix}"
    save(counter(3), path)
    before = path.read_bytes()

    def broken_fsync(fd):
        os.write(fd, b"garbage")  # half a file has reached the disk
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(abstractions.files.os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="No space"):
        save(counter(4), path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == [path.name]
    monkeypatch.undo()
    assert load(path) == counter(3)


def _npz(path, **arrays):
    with open(path, "wb") as f:
        np.savez(f, **arrays)


def _good_arrays(c=None):
    from abstractions.files import _npz_arrays

    return dict(_npz_arrays(counter(3) if c is None else c))


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda a: a.pop("format"), ["not an abstractions file"]),
        (lambda a: a.update(format=np.array("other")), ["not an abstractions file", "'other'"]),
        (lambda a: a.update(version=np.array(99)), ["version 99"]),
        (lambda a: a.update(version=np.array("1")), ["version must be an integer"]),
        (lambda a: a.pop("kind"), ["missing 'kind'"]),
        (lambda a: a.update(kind=np.array("graph")), ["unknown kind 'graph'"]),
        (lambda a: a.update(kind=np.array(["computation"])), ["'kind' must be a single value"]),
        (lambda a: a.pop("step"), ["missing the array 'step'"]),
        (lambda a: a.update(step=np.array([1.0, 2.0, 0.0])), ["'step' must be a 1-d array of integers"]),
        (lambda a: a.update(halted=np.array([0, 0, 0])), ["'halted' must be a 1-d array of booleans"]),
        (lambda a: a.update(halted=np.zeros(2, bool)), ["inconsistent", "halted has length 2"]),
        (lambda a: a.update(step=np.array([1, 2, 5])), ["inconsistent", "step[2] = 5"]),
        (lambda a: a.pop("meta"), ["missing the array 'meta'"]),
        (lambda a: a.update(meta=np.array("{not json")), ["'meta' is not valid JSON"]),
        (lambda a: a.update(meta=np.array("[]")), ["'meta' must be a JSON object"]),
        (
            lambda a: a.update(
                meta=np.array('{"output_values": {"range": 3}, "input_values": [0, 1], '
                              '"state_labels": null}')
            ),
            ["2 input values but 3 input states"],
        ),
        (
            lambda a: a.update(
                meta=np.array('{"output_values": {"range": -3}, "input_values": {"range": 3}, '
                              '"state_labels": null}')
            ),
            ["needs a non-negative int"],
        ),
        (
            lambda a: a.update(
                meta=np.array('{"output_values": 5, "input_values": {"range": 3}, '
                              '"state_labels": null}')
            ),
            ["output_values must be a JSON array"],
        ),
        (
            lambda a: a.update(
                meta=np.array('{"output_values": {"range": 3}, "input_values": [0, 0, 1], '
                              '"state_labels": null}')
            ),
            ["listed twice"],
        ),
        (
            lambda a: a.update(
                meta=np.array('{"output_values": [{"x": 1}, 1, 2], "input_values": {"range": 3},'
                              ' "state_labels": null}')
            ),
            ["the only objects allowed"],
        ),
    ],
)
def test_bad_npz_contents(tmp_path, change, words):
    """A wrong, missing or inconsistent entry raises FileFormatError naming file and problem."""
    arrays = _good_arrays()
    change(arrays)
    path = tmp_path / "bad.npz"
    _npz(path, **arrays)
    with pytest.raises(FileFormatError) as info:
        load(path)
    _check_error(info.value, path, *words)


def test_bad_partition_npz(tmp_path):
    """A partition archive needs integer labels."""
    arrays = _good_arrays(Partition([0, 1]))
    arrays["labels"] = np.array(["a", "b"])
    _npz(tmp_path / "p.npz", **arrays)
    with pytest.raises(FileFormatError) as info:
        load(tmp_path / "p.npz")
    _check_error(info.value, tmp_path / "p.npz", "'labels' must be a 1-d array of integers")


@pytest.mark.parametrize("how", ["garbage", "empty", "truncated", "npy", "pickle", "bad member"])
def test_corrupt_npz(tmp_path, how):
    """Corrupt, truncated or foreign .npz files raise FileFormatError, never run pickles."""
    path = tmp_path / "c.npz"
    save(parity_by_counting(2), path)
    data = path.read_bytes()
    if how == "garbage":
        path.write_bytes(b"this is not a zip file at all")
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif how == "npy":
        with open(path, "wb") as f:
            np.save(f, np.arange(3))
    elif how == "pickle":
        with open(path, "wb") as f:
            np.savez(f, meta=np.array([{"a": 1}], dtype=object), step=np.arange(2))
    else:
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("step.npy", b"\x93NUMPY broken header")
    with pytest.raises(FileFormatError) as info:
        load(path)
    _check_error(info.value, path)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('{"kind": "computation", "step": [1, 0]', ["not valid JSON", "line 1"]),
        ("[1, 2]", ["must hold a JSON object, got a list"]),
        ('{"step": [0]}', ["missing 'kind'"]),
        ('{"kind": "machine"}', ["unknown kind 'machine'"]),
        ('{"kind": "computation", "format": "other", "step": [0]}', ["not an abstractions file"]),
        ('{"kind": "computation", "version": 2, "step": [0]}', ["version 2 is not supported"]),
        ('{"kind": "computation", "version": 0, "step": [0]}', ["version 0 is not supported"]),
        ('{"kind": "computation", "step": [0], "halt": [true]}', ["unknown key 'halt'"]),
        ('{"kind": "computation"}', ["missing 'step'"]),
        ('{"kind": "computation", "step": 3}', ["'step' must be a JSON array"]),
        ('{"kind": "computation", "step": [0, 2]}', ["inconsistent", "step[1] = 2"]),
        ('{"kind": "computation", "step": [0, 0.5]}', ["inconsistent", "integer ids"]),
        ('{"kind": "computation", "step": [0], "halted": [true, false]}', ["halted has length 2"]),
        ('{"kind": "computation", "step": [0], "output_values": [1]}', ["needs 'output'"]),
        ('{"kind": "computation", "step": [0], "output": [1], "output_values": [1, 1]}',
         ["inconsistent", "repeats"]),
        ('{"kind": "computation", "step": [0, 0], "inputs": [[1, 0], 1]}', ["inputs[1] = 1"]),
        ('{"kind": "computation", "step": [0, 0], "inputs": [[1, 0], [1, 1]]}',
         ["repeats the input value 1"]),
        ('{"kind": "computation", "step": [0, 0], "inputs": [["a", 5]]}', ["inconsistent", "inputs"]),
        ('{"kind": "computation", "step": [0, 0], "inputs": {"a": 0}}', ["'inputs' must be a JSON array"]),
        ('{"kind": "computation", "step": [0], "output": [{"a": 1}]}', ["the only objects allowed"]),
        ('{"kind": "computation", "step": [0, 1], "state_labels": ["a", "a"]}', ["repeats"]),
        ('{"kind": "partition"}', ["exactly one of 'labels' and 'blocks'"]),
        ('{"kind": "partition", "labels": [0], "blocks": [[0]]}', ["exactly one of"]),
        ('{"kind": "partition", "labels": [0], "n": 1}', ["'n' goes with 'blocks'"]),
        ('{"kind": "partition", "labels": 3}', ["'labels' must be a JSON array"]),
        ('{"kind": "partition", "blocks": [0, 1]}', ["array of arrays"]),
        ('{"kind": "partition", "blocks": [[0], [0, 1]]}', ["inconsistent", "state 0"]),
        ('{"kind": "partition", "blocks": [[0]], "n": 3}', ["inconsistent", "state 1 is in no block"]),
        ('{"kind": "partition", "labels": [0], "step": [0]}', ["unknown key 'step'"]),
    ],
)
def test_bad_json(tmp_path, text, words):
    """Every malformed JSON document raises FileFormatError naming the file and the problem."""
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(FileFormatError) as info:
        load(path)
    _check_error(info.value, path, *words)


def test_json_not_utf8(tmp_path):
    """Bytes that are not UTF-8 are reported as such."""
    path = tmp_path / "bad.json"
    path.write_bytes(b'{"kind": "\xff"}')
    with pytest.raises(FileFormatError) as info:
        load(path)
    _check_error(info.value, path, "not UTF-8")


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_wrong_kind(tmp_path, suffix):
    """kind= asks for a computation or a partition; the other raises naming both."""
    save(counter(3), tmp_path / f"c{suffix}")
    save(Partition([0, 1]), tmp_path / f"p{suffix}")
    with pytest.raises(FileFormatError) as info:
        load(tmp_path / f"c{suffix}", kind=Partition)
    _check_error(info.value, tmp_path / f"c{suffix}", "holds a computation, expected a partition")
    with pytest.raises(FileFormatError, match="holds a partition, expected a computation"):
        load(tmp_path / f"p{suffix}", kind=Computation)
    assert isinstance(load(tmp_path / f"p{suffix}", kind=Partition), Partition)


def test_str_and_pathlike_paths(tmp_path):
    """Paths may be str or os.PathLike; the suffix is case-insensitive."""
    save(counter(2), str(tmp_path / "c.NPZ"))
    assert load(tmp_path / "c.NPZ") == counter(2)


# ---------------------------------------------------------------------- fuzzing: only FileFormatError


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["undetermined", "range", "bytes", "x"]), inner, max_size=2
    ),
    max_leaves=12,
)
small_ids = st.lists(st.integers(-1, 4), max_size=5)


@st.composite
def json_documents(draw):
    """Documents near the schema: the right keys with values of any JSON shape."""
    kind = draw(st.sampled_from(["computation", "partition", "other"]))
    keys = sorted(
        {"computation": {"step", "halted", "output", "output_values", "inputs", "state_labels"},
         "partition": {"labels", "blocks", "n"}, "other": {"step"}}[kind]
    )
    doc = {"kind": kind}
    for key in draw(st.lists(st.sampled_from(keys), unique=True)):
        doc[key] = draw(json_values | small_ids | st.lists(small_ids, max_size=3))
    if draw(st.booleans()):
        doc["version"] = draw(st.sampled_from([1, 2, 0, "1", None]))
    return doc


@given(doc=json_documents())
def test_json_fuzz_raises_only_file_format_errors(tmp_path_factory, doc):
    """Any JSON document loads or raises FileFormatError, never another exception."""
    path = tmp_path_factory.mktemp("fuzz") / "doc.json"
    path.write_text(json.dumps(doc))
    try:
        obj = load(path)
    except FileFormatError:
        return
    assert isinstance(obj, (Computation, Partition))


arrays = st.sampled_from([
    np.array([0, 1]), np.array([1.5]), np.array([True, False]), np.array(["a", "bc"]),
    np.array(3), np.array([[0, 1]]), np.array([], dtype=np.int64), np.array([2**63], dtype=np.uint64),
    np.array([-5, 7], dtype=np.int8), np.array("computation"), np.array("partition"),
    np.array("abstractions"), np.array(1), np.array('{"output_values": [1], "input_values": [],'
                                                     ' "state_labels": null}'), np.array(b"x"),
])


@given(members=st.dictionaries(
    st.sampled_from(["format", "version", "kind", "labels", "step", "halted", "output",
                     "input_states", "meta"]), arrays, max_size=9))
def test_npz_fuzz_raises_only_file_format_errors(tmp_path_factory, members):
    """Any archive of such arrays loads or raises FileFormatError, never another exception."""
    path = tmp_path_factory.mktemp("fuzz") / "a.npz"
    with open(path, "wb") as f:
        np.savez(f, **members)
    try:
        obj = load(path)
    except FileFormatError:
        return
    assert isinstance(obj, (Computation, Partition))
