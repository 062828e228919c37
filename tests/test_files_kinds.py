"""Saving and loading every kind of system: exact round trips, crafted files refused."""

from __future__ import annotations

import json
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from abstractions import (
    ContinuousTimeMarkovChain,
    FileFormatError,
    LabelledSystem,
    MarkovChain,
    NondeterministicSystem,
    Partition,
    System,
    TransitionSystem,
    abstract_computation,
    load,
    minimal_complete_abstraction,
    output_abstraction,
    save,
)
from abstractions.strategies import complete_partitions, transition_systems

# The file formats; .zarr (also in files.SUFFIXES) is the chunked store, which
# tests/test_partial.py round-trips.
SUFFIXES = (".npz", ".json")

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False),
    st.text(max_size=3),
    st.binary(max_size=2),
)
values = st.one_of(scalars, st.tuples(scalars, scalars))


def distinct(count: int):
    return st.lists(values, min_size=count, max_size=count, unique=True)


@st.composite
def named_systems(draw):
    """Transition systems with names, output values, inputs and symbols of many types."""
    T = draw(transition_systems(max_states=6, max_symbols=3, partial=True))
    fields = T.to_dict()
    if draw(st.booleans()):
        fields["state_labels"] = tuple(draw(distinct(T.n)))
    fields["output_values"] = tuple(draw(distinct(T.n_outputs)))
    if fields.get("symbols") is not None:
        fields["symbols"] = tuple(draw(distinct(len(T.symbols))))
    if draw(st.booleans()):
        starts = draw(st.lists(st.integers(0, T.n - 1), min_size=1, max_size=3))
        fields["input_values"] = tuple(draw(distinct(len(starts))))
        fields["input_states"] = np.array(starts)
    if T.kind == "probabilistic":
        if T.exact and draw(st.booleans()):
            # a denominator beyond int64: numerators are stored as JSON integers
            scale = 2**70 + draw(st.integers(0, 5))
            fields["numerators"] = tuple(int(x) * scale for x in fields["numerators"])
            fields["denominator"] *= scale
        elif not T.exact:
            fields["tol"] = draw(st.sampled_from([1e-18, 1e-9, 1 / 3, 0.1 + 0.2, 5e-13]))
    if T.kind == "ctmc":
        if T.exact and draw(st.booleans()):
            # rates beyond int64 (and, or, a denominator beyond it)
            scale = 2**70 + draw(st.integers(0, 5))
            fields["numerators"] = tuple(int(x) * scale for x in fields["numerators"])
            fields["denominator"] *= draw(st.sampled_from([1, scale]))
        elif not T.exact:
            fields["tol"] = draw(st.sampled_from([1e-9, 1 / 3, 0.1 + 0.2, 5e-13, 2.5]))
    return System.from_dict(fields)


def _round_trip(system, path):
    save(system, path)
    loaded = load(path)
    assert type(loaded) is type(system)
    assert loaded == system
    return loaded


@pytest.mark.parametrize("suffix", SUFFIXES)
@given(system=named_systems())
def test_every_kind_round_trips_exactly(tmp_path_factory, suffix, system):
    """save then load gives an equal system: names, values, symbols, Fractions, floats and tol."""
    loaded = _round_trip(system, tmp_path_factory.mktemp("kinds") / f"s{suffix}")
    assert loaded.state_labels == system.state_labels
    if isinstance(system, (MarkovChain, ContinuousTimeMarkovChain)):
        assert loaded.exact == system.exact
        assert loaded.tol.hex() == system.tol.hex()
        name = "probabilities" if isinstance(system, MarkovChain) else "rates"
        weights, again = getattr(system, name), getattr(loaded, name)
        if system.exact:
            assert again == weights
        else:
            assert [p.hex() for p in again.tolist()] == [p.hex() for p in weights.tolist()]


@pytest.mark.parametrize("suffix", SUFFIXES)
@given(data=st.data(), system=transition_systems(max_states=6, max_symbols=3, partial=True))
def test_quotients_and_restrictions_round_trip(tmp_path_factory, suffix, data, system):
    """Quotients (symbols kept in their order, UNDETERMINED outputs) and restrictions round-trip."""
    folder = tmp_path_factory.mktemp("quotients")
    P = data.draw(complete_partitions(system))
    A, _ = abstract_computation(system, P)
    _round_trip(A, folder / f"a{suffix}")
    R, _ = system.restrict_to_reachable()
    _round_trip(R, folder / f"r{suffix}")


def test_compressed_npz_and_big_systems(tmp_path):
    """Compressed archives, and a system of 100,000 states, load back equal."""
    rng = np.random.default_rng(0)
    n = 100_000
    T = TransitionSystem.labelled(rng.integers(0, n, size=(3, n)), output=rng.integers(0, 2, n))
    save(T, tmp_path / "t.npz", compress=True)
    assert load(tmp_path / "t.npz") == T
    weights = rng.random((n, 2))
    weights /= weights.sum(axis=1, keepdims=True)
    indptr = np.arange(0, 2 * n + 1, 2)
    M = MarkovChain((indptr, rng.integers(0, n, 2 * n), weights.ravel()), tol=1e-6)
    save(M, tmp_path / "m.npz")
    assert load(tmp_path / "m.npz") == M


def test_hand_written_json_of_each_kind(tmp_path):
    """The module's hand-written examples load as the kinds they say."""
    docs = {
        "labelled": '{"kind": "labelled", "steps": [[1, 2, 2], [0, 0, 2]], "symbols": ["a", "b"],'
        ' "output": [false, false, true]}',
        "nondeterministic": '{"kind": "nondeterministic", "indptr": [0, 2, 3], "targets": [0, 1, 1],'
        ' "edge_labels": [0, 1, 0], "symbols": ["send", "recv"]}',
        "exact": '{"kind": "probabilistic", "indptr": [0, 2, 3], "targets": [0, 1, 1],'
        ' "numerators": [1, 1, 2], "denominator": 2}',
        "float": '{"kind": "probabilistic", "indptr": [0, 2, 3], "targets": [0, 1, 1],'
        ' "probabilities": [0.5, 0.5, 1.0], "tol": 1e-9, "inputs": [0]}',
        "ctmc": '{"kind": "ctmc", "indptr": [0, 2, 2], "targets": [0, 1],'
        ' "numerators": [1, 6], "denominator": 2}',
    }
    loaded = {}
    for name, text in docs.items():
        (tmp_path / f"{name}.json").write_text(text)
        loaded[name] = load(tmp_path / f"{name}.json")
    assert isinstance(loaded["labelled"], LabelledSystem)
    assert loaded["labelled"].output_value(2) is True
    assert isinstance(loaded["nondeterministic"], NondeterministicSystem)
    assert list(loaded["nondeterministic"].transitions(0)) == [("send", 0, 1), ("recv", 1, 1)]
    assert loaded["exact"].probabilities == (Fraction(1, 2),) * 2 + (Fraction(1),)
    assert loaded["float"].inputs == {0: 0} and not loaded["float"].exact
    assert isinstance(loaded["ctmc"], ContinuousTimeMarkovChain)
    assert loaded["ctmc"].exit_rates == (Fraction(7, 2), Fraction(0))


@pytest.mark.parametrize("kind", [LabelledSystem, NondeterministicSystem, MarkovChain, TransitionSystem])
def test_load_kind_checks(tmp_path, kind):
    """load(kind=...) takes any system class and names both kinds when they differ."""
    T = TransitionSystem.nondeterministic([[1], [0]])
    save(T, tmp_path / "t.json")
    if isinstance(T, kind):
        assert load(tmp_path / "t.json", kind=kind) == T
        return
    with pytest.raises(FileFormatError, match="holds a nondeterministic system, expected an? "):
        load(tmp_path / "t.json", kind=kind)


# ---------------------------------------------------------------------- crafted files


def _arrays(system):
    from abstractions.files import _npz_arrays

    return dict(_npz_arrays(system))


def _meta(arrays):
    return json.loads(str(arrays["meta"]))


def _set_meta(arrays, **changes):
    meta = _meta(arrays)
    meta.update(changes)
    arrays["meta"] = np.array(json.dumps(meta))


LTS = TransitionSystem.nondeterministic([[1, 2], [0], []], labels=[["a", "b"], ["a"], []])
DFA = TransitionSystem.labelled({"x": [1, 0, 2], "y": [2, 2, 2]}, output=[0, 0, 1])
EXACT = TransitionSystem.probabilistic([[Fraction(1, 3), Fraction(2, 3)], [0, 1]])
FLOAT = TransitionSystem.probabilistic([[0.25, 0.75], [0.0, 1.0]], tol=1e-6)


@pytest.mark.parametrize(
    ("system", "change", "words"),
    [
        (DFA, lambda a: a.update(steps=np.array([1, 0, 2])), ["'steps' must be a 2-d array of integers"]),
        (DFA, lambda a: a.update(steps=np.array([[1, 0, 3], [2, 2, 2]])), ["inconsistent", "3"]),
        (DFA, lambda a: a.update(steps=np.zeros((2, 4), np.int64)), ["inconsistent", "length"]),
        (DFA, lambda a: _set_meta(a, symbols=["x", "x"]), ["inconsistent", "distinct"]),
        (DFA, lambda a: _set_meta(a, symbols=["x"]), ["inconsistent", "symbols has 1 entries"]),
        (DFA, lambda a: a.pop("steps"), ["missing the array 'steps' of a labelled system"]),
        (DFA, lambda a: a.update(step=np.array([0, 0, 0])), ["'step.npy' does not belong in a labelled system"]),
        (LTS, lambda a: a.update(edge_labels=np.array([0, 5, 0])), ["inconsistent", "edge_labels"]),
        (LTS, lambda a: a.pop("edge_labels"), ["inconsistent", "symbols was given without edge_labels"]),
        (LTS, lambda a: a.update(indptr=np.array([0, 2, 1, 3])), ["inconsistent", "must not decrease"]),
        (LTS, lambda a: a.update(indptr=np.array([0, 2, 3, 9])), ["inconsistent", "indptr ends at 9"]),
        (LTS, lambda a: a.update(targets=np.array([1, 2, 7])), ["inconsistent", "7"]),
        (LTS, lambda a: a.update(targets=np.array([1.0, 2.0, 0.0])), ["'targets' must be a 1-d array of integers"]),
        (LTS, lambda a: _set_meta(a, symbols={"range": 10**9}), ["names more values than the 3 states"]),
        (LTS, lambda a: a.update(labels=np.array([0, 0, 0])), ["'labels.npy' does not belong"]),
        (EXACT, lambda a: a.update(numerators=np.array([1, 1, 3])), ["inconsistent", "row 0", "sums to 2/3"]),
        (EXACT, lambda a: a.update(numerators=np.array([-1, 4, 3])), ["inconsistent", "negative"]),
        (EXACT, lambda a: a.update(numerators=np.array([1, 2])), ["inconsistent", "numerators has 2 entries"]),
        (EXACT, lambda a: _set_meta(a, denominator=0), ["inconsistent", "denominator must be at least 1"]),
        (EXACT, lambda a: _set_meta(a, denominator=1.5), ["inconsistent", "denominator must be an integer"]),
        (EXACT, lambda a: _set_meta(a, numerators=[1, 2, 3]), ["both an array and in 'meta'"]),
        (EXACT, lambda a: (a.pop("numerators"), _set_meta(a, numerators=[1, "2", 3])), ["'numerators' must hold integers"]),
        (EXACT, lambda a: a.update(probabilities=np.array([0.5, 0.5, 1.0])), ["inconsistent", "exactly one of"]),
        (EXACT, lambda a: _set_meta(a, tol=1e-30), ["inconsistent", "below 1e-18"]),
        (FLOAT, lambda a: a.update(probabilities=np.array([0.25, np.nan, 1.0])), ["inconsistent", "not a probability"]),
        (FLOAT, lambda a: a.update(probabilities=np.array([0.25, 0.70, 1.0])), ["inconsistent", "row 0"]),
        (FLOAT, lambda a: a.update(probabilities=np.array([1, 0, 1])), ["'probabilities' must be a 1-d array of floats"]),
        (FLOAT, lambda a: _set_meta(a, tol=True), ["inconsistent", "tol must be a float"]),
        (FLOAT, lambda a: _set_meta(a, tol="1e-6"), ["inconsistent", "tol must be a float"]),
        (FLOAT, lambda a: _set_meta(a, denominator=3), ["inconsistent", "denominator goes with numerators"]),
        (FLOAT, lambda a: _set_meta(a, colour="red"), ["'meta' must be a JSON object"]),
    ],
)
def test_crafted_npz_of_new_kinds(tmp_path, system, change, words):
    """Each wrong member of a labelled, nondeterministic or Markov archive is a FileFormatError."""
    arrays = _arrays(system)
    change(arrays)
    path = tmp_path / "bad.npz"
    with open(path, "wb") as f:
        np.savez(f, **arrays)
    with pytest.raises(FileFormatError) as info:
        load(path)
    assert info.value.path == str(path)
    for word in words:
        assert word in info.value.problem, info.value.problem


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('{"kind": "labelled"}', ["missing 'steps' of a labelled system"]),
        ('{"kind": "labelled", "steps": 3}', ["'steps' must be a JSON array"]),
        ('{"kind": "labelled", "steps": [[0], [0, 0]]}', ["inconsistent"]),
        ('{"kind": "labelled", "steps": [[0]], "step": [0]}', ["unknown key 'step' for a labelled"]),
        ('{"kind": "nondeterministic", "indptr": [0, 1]}', ["inconsistent", "needs the field 'targets'"]),
        ('{"kind": "nondeterministic", "indptr": [0, 1], "targets": [0], "edge_labels": [0]}',
         ["inconsistent", "edge_labels was given without symbols"]),
        ('{"kind": "nondeterministic", "indptr": [0, 1], "targets": [0], "symbols": {"range": 99}}',
         ["names more values"]),
        ('{"kind": "probabilistic", "indptr": [0, 1], "targets": [0]}', ["inconsistent", "exactly one of"]),
        ('{"kind": "probabilistic", "indptr": [0, 1], "targets": [0], "numerators": [1]}',
         ["inconsistent", "needs the field 'denominator'"]),
        ('{"kind": "probabilistic", "indptr": [0, 1], "targets": [0], "numerators": [true], "denominator": 1}',
         ["'numerators' must hold integers"]),
        ('{"kind": "probabilistic", "indptr": [0, 1], "targets": [0], "probabilities": ["1"]}',
         ["inconsistent", "floats"]),
        ('{"kind": "probabilistic", "indptr": [0, 1], "targets": [0], "probabilities": [1.0], "tol": 2}',
         ["inconsistent", "tol must be in (0, 1)"]),
        ('{"kind": "ctmc", "indptr": [0, 1], "targets": [0], "rates": [-2.0]}',
         ["inconsistent", "rates[0] = -2.0", "not a rate"]),
        ('{"kind": "ctmc", "indptr": [0, 1], "targets": [0], "numerators": [-2], "denominator": 1}',
         ["inconsistent", "numerators[0] = -2 is negative"]),
        ('{"kind": "ctmc", "indptr": [0, 1], "targets": [0], "rates": [1e12], "tol": 1e-9}',
         ["inconsistent", "tol=1e-09 is too small for the exit rate 1000000000000.0 of state 0"]),
        ('{"kind": "ctmc", "indptr": [0, 1], "targets": [0], "rates": [1.0], "tol": -1}',
         ["inconsistent", "tol must be positive and finite, got -1"]),
        ('{"kind": "ctmc", "indptr": [0, 1], "targets": [0], "probabilities": [1.0]}',
         ["unknown key 'probabilities'"]),
    ],
)
def test_crafted_json_of_new_kinds(tmp_path, text, words):
    """Malformed JSON systems of the new kinds raise FileFormatError naming the problem."""
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(FileFormatError) as info:
        load(path)
    for word in words:
        assert word in info.value.problem, info.value.problem


small = st.lists(st.integers(-1, 4), max_size=5)
json_field = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 2**65), st.floats(), st.text(max_size=2),
    small, st.lists(small, max_size=3), st.lists(st.floats(0, 1), max_size=4),
    st.dictionaries(st.sampled_from(["range", "bytes"]), st.integers(-1, 5), max_size=1),
)


@st.composite
def json_systems(draw):
    kind = draw(st.sampled_from(["labelled", "nondeterministic", "probabilistic", "ctmc"]))
    keys = sorted(System.kinds()[kind].schema) + ["output", "output_values", "inputs", "state_labels"]
    doc = {"kind": kind}
    for key in draw(st.lists(st.sampled_from(keys), unique=True)):
        doc[key] = draw(json_field)
    return doc


@given(doc=json_systems())
def test_json_fuzz_of_new_kinds(tmp_path_factory, doc):
    """Any JSON document near the new kinds' schemas loads or raises FileFormatError only."""
    path = tmp_path_factory.mktemp("fuzz") / "doc.json"
    path.write_text(json.dumps(doc))
    try:
        obj = load(path)
    except FileFormatError:
        return
    assert isinstance(obj, TransitionSystem)


member_arrays = st.sampled_from([
    np.array([0, 1]), np.array([0, 1, 2]), np.array([[0, 1], [1, 0]]), np.array([0.5, 0.5]),
    np.array([1.0]), np.array([True]), np.array([], dtype=np.int64), np.array(3),
    np.array([2**63], dtype=np.uint64), np.array("labelled"), np.array("probabilistic"),
    np.array("nondeterministic"), np.array("abstractions"), np.array(1),
    np.array('{"output_values": [0, 1], "input_values": {"range": 2}, "state_labels": null,'
             ' "symbols": [0], "denominator": 2, "tol": 0.5}'),
])


@given(members=st.dictionaries(
    st.sampled_from(["format", "version", "kind", "steps", "indptr", "targets", "edge_labels",
                     "numerators", "probabilities", "output", "input_states", "meta"]),
    member_arrays, max_size=12))
def test_npz_fuzz_of_new_kinds(tmp_path_factory, members):
    """Any archive of the new kinds' members loads or raises FileFormatError only."""
    path = tmp_path_factory.mktemp("fuzz") / "a.npz"
    with open(path, "wb") as f:
        np.savez(f, **members)
    try:
        obj = load(path)
    except FileFormatError:
        return
    assert isinstance(obj, TransitionSystem)


def test_from_dict_errors():
    """System.from_dict names unknown kinds and fields, and refuses another kind's class."""
    with pytest.raises(ValueError, match="unknown kind 'graph'"):
        System.from_dict({"kind": "graph"})
    with pytest.raises(ValueError, match="unknown field 'colour'"):
        System.from_dict({"kind": "labelled", "steps": [[0]], "colour": 1})
    with pytest.raises(ValueError, match="not a MarkovChain"):
        MarkovChain.from_dict(DFA.to_dict())
    with pytest.raises(ValueError, match="has no 'kind'"):
        System.from_dict({"steps": [[0]]})
    assert LabelledSystem.from_dict({"steps": [[0]]}) == TransitionSystem.labelled([[0]])
    with pytest.raises(TypeError, match="mapping"):
        System.from_dict([1])


def test_minimal_abstraction_survives_a_round_trip(tmp_path):
    """A quotient saved and loaded has the same minimal abstraction: nothing of it is lost."""
    T = TransitionSystem.probabilistic(
        [[Fraction(1, 3), Fraction(2, 3), 0], [0, Fraction(1, 2), Fraction(1, 2)], [0, 0, 1]],
        output=["a", "a", "b"],
    )
    alpha = minimal_complete_abstraction(T, output_abstraction(T))
    A, _ = abstract_computation(T, alpha)
    for suffix in SUFFIXES:
        B = _round_trip(A, tmp_path / f"a{suffix}")
        assert minimal_complete_abstraction(B, output_abstraction(B)) == Partition.top(B.n)
    assert math.isclose(1.0, float(sum(A.probabilities[:2])))


@pytest.mark.parametrize("suffix", [".npz", ".json"])
def test_variables_of_every_kind_round_trip(tmp_path, suffix):
    """Structured states are part of any kind (System.to_dict / from_dict): saved and loaded."""
    from abstractions import System, load, save

    fields = {"kind": "labelled", "steps": [[1, 2, 0], [0, 0, 0]], "symbols": ("a", "b"),
              "variables": {"x": [0, 1, 1], "y": ["p", "q", "r"]}}
    T = System.from_dict(fields)
    assert T.variables == ("x", "y") and T.values("y").tolist() == ["p", "q", "r"]
    assert System.from_dict(T.to_dict()) == T
    path = tmp_path / f"t{suffix}"
    save(T, path)
    back = load(path)
    assert back == T and back.variables == ("x", "y")
    assert back.values("x").tolist() == [0, 1, 1]


@pytest.mark.parametrize("suffix", SUFFIXES)
@pytest.mark.parametrize("exact", [True, False])
def test_mdp_round_trips(tmp_path, suffix, exact):
    """A Markov decision process (actions, deadlock, both modes, its quotient) saves and loads equal."""
    from abstractions import MarkovDecisionProcess

    one = Fraction(1) if exact else 1.0
    half = Fraction(1, 2) if exact else 0.5
    third = Fraction(1, 3) if exact else 0.25
    rows = [
        [("go", {1: half, 2: half}), (("t", 1), {0: one})],
        [("go", {2: third, 3: one - third})],
        [],
        [(None, {3: one})],
    ]
    for actions in ("respect", "ignore"):
        M = MarkovDecisionProcess(rows, output=["s", "s", "x", "y"], actions=actions,
                                  state_labels=["a", "b", "c", "d"])
        loaded = _round_trip(M, tmp_path / f"m{actions}{suffix}")
        assert loaded.exact == exact and loaded.actions_mode == actions
        assert loaded.choices(0) == M.choices(0) and loaded.symbols == ("go", ("t", 1), None)
        P = minimal_complete_abstraction(M, output_abstraction(M))
        A, _ = abstract_computation(M, P)
        _round_trip(A, tmp_path / f"q{actions}{suffix}")
    big = MarkovDecisionProcess([[{0: Fraction(1, 2**70), 1: 1 - Fraction(1, 2**70)}], [{1: 1}]])
    assert _round_trip(big, tmp_path / f"big{suffix}").choices(0)[0][1][0] == Fraction(1, 2**70)
