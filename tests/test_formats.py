"""Model checkers' formats: Aldebaran .aut, Storm .drn, PRISM and JANI through stormpy."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from abstractions import (
    Computation,
    FileFormatError,
    LabelledSystem,
    MarkovChain,
    NondeterministicSystem,
    Partition,
    System,
    TransitionSystem,
    abstract_computation,
    minimal_complete_abstraction,
    output_abstraction,
)
from abstractions.formats import (
    MODEL_SUFFIXES,
    load_model,
    read_aut,
    read_drn,
    save_model,
    write_aut,
    write_drn,
)
from abstractions.strategies import transition_systems

names = st.text(alphabet="abcxyz_01", min_size=1, max_size=4)


# ---------------------------------------------------------------------- Aldebaran


def test_read_aut_handles_quoting_and_spacing(tmp_path):
    """Quoted and unquoted actions, commas and parentheses inside quotes, blank lines, spaces."""
    path = tmp_path / "lts.aut"
    path.write_text(
        'des (1, 5, 3)\n\n(0, "a", 1)\n  ( 1 , b , 2 )\n(2, "send(1, 2)", 0)\n'
        '(1,"i",1)\n(0, "a", 1)\n'
    )
    T = read_aut(path)
    assert isinstance(T, NondeterministicSystem)
    assert T.n == 3 and T.inputs == {1: 1} and T.output_values == (None,)
    assert T.symbols == ("a", "b", "send(1, 2)", "i")
    assert list(T.transitions(1)) == [("b", 2, 1), ("i", 1, 1)]
    assert list(T.transitions(2)) == [("send(1, 2)", 0, 1)]
    assert T.n_transitions == 4  # the repeated (0, a, 1) is merged


@st.composite
def lts(draw):
    T = draw(transition_systems(kinds=["nondeterministic"], max_states=6, max_symbols=3))
    fields = T.to_dict()
    k = 1 if T.symbols is None else len(T.symbols)
    fields["symbols"] = tuple(draw(st.lists(names, min_size=k, max_size=k, unique=True)))
    if T.symbols is None:
        fields["edge_labels"] = np.zeros(T.n_transitions, dtype=np.int64)
    fields["output"] = np.zeros(T.n, dtype=np.int64)
    fields["output_values"] = (None,)
    start = draw(st.integers(0, T.n - 1))
    fields["input_values"], fields["input_states"] = (start,), np.array([start])
    return System.from_dict(fields)


@given(T=lts())
def test_aut_round_trip(tmp_path_factory, T):
    """An LTS with string actions, one output and one initial state comes back equal."""
    path = tmp_path_factory.mktemp("aut") / "t.aut"
    write_aut(T, path)
    U = read_aut(path)
    # actions are numbered in the order the file first uses them
    assert sorted(U.symbols) == sorted(s for s in T.symbols if s in U.symbols)
    assert _transitions(U) == _transitions(T)
    assert U.inputs == T.inputs and U.output_values == T.output_values
    B = minimal_complete_abstraction(U, output_abstraction(U))
    assert B == minimal_complete_abstraction(T, output_abstraction(T))


def _transitions(T):
    return sorted((s, a, t, w) for s in range(T.n) for a, t, w in T.transitions(s))


def test_aut_quotient_round_trip(tmp_path):
    """The bisimulation quotient of a read .aut file is written and read back equal."""
    path = tmp_path / "coffee.aut"
    path.write_text(
        'des (0, 4, 4)\n(0, "coin", 1)\n(0, "coin", 2)\n(1, "coffee", 3)\n(2, "coffee", 3)\n'
    )
    T = read_aut(path)
    A, _ = abstract_computation(
        T, minimal_complete_abstraction(T, output_abstraction(T)), names=None
    )
    save_model(A, tmp_path / "q.aut")
    assert load_model(tmp_path / "q.aut") == A
    assert A.n == 3


def test_write_aut_refusals(tmp_path):
    """What .aut cannot hold is refused, naming what and where it can go."""
    path = tmp_path / "x.aut"
    with pytest.raises(ValueError, match="write a Markov chain as .drn"):
        write_aut(TransitionSystem.probabilistic([[1.0]]), path)
    with pytest.raises(ValueError, match="from_computation"):
        write_aut(Computation([0]), path)
    with pytest.raises(ValueError, match="need an action"):
        write_aut(TransitionSystem.nondeterministic([[0]]), path)
    with pytest.raises(ValueError, match="2 output values"):
        write_aut(TransitionSystem.labelled([[1, 0]], output=[0, 1]), path)
    with pytest.raises(ValueError, match="2 inputs"):
        write_aut(TransitionSystem.labelled([[1, 0]], output=[0, 0], inputs=[0, 1]), path)
    with pytest.raises(ValueError, match="double quote"):
        write_aut(TransitionSystem.labelled({'say "hi"': [0]}, output=[0]), path)
    assert not path.exists()
    write_aut(TransitionSystem.labelled({0: [0], 1: [0]}, output=[0]), path)  # every state an input
    assert read_aut(path).symbols == ("0", "1") and read_aut(path).inputs == {0: 0}


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", ["empty"]),
        ("(0, a, 1)\n", ["line 1", "expected 'des"]),
        ("des (0, 1)\n(0, a, 0)\n", ["line 1", "expected 'des"]),
        ("des (0, 1, 0)\n", ["declares 0 states"]),
        ("des (0, 1, 99999999999)\n(0, a, 0)\n", ["declares 99999999999 states"]),
        ("des (0, 99999999, 2)\n(0, a, 0)\n", ["declares 99999999 transitions but has only 1"]),
        ("des (5, 1, 2)\n(0, a, 0)\n", ["initial state 5"]),
        ("des (0, 1, 2)\n(0, a, 2)\n", ["line 2", "state 2 is out of range"]),
        ("des (0, 2, 2)\n(0, a, 1)\n", ["declares 2 transitions but lists 1"]),
        ("des (0, 1, 2)\n(0, a, 1)\n(1, a, 0)\n", ["line 3", "more transitions than the 1"]),
        ("des (0, 1, 2)\n0, a, 1\n", ["line 2", "expected '(source"]),
        ("des (0, 1, 2)\n(0, a)\n", ["line 2"]),
        ("des (0, 1, 2)\n(\u0661, a, 1)\n", ["line 2"]),
        ("des (0, 1, 2)\n(-1, a, 1)\n", ["line 2"]),
        ("des (0, 1, 2)\n(00000000000000000000001, a, 1)\n", ["line 2"]),
    ],
)
def test_crafted_aut_files(tmp_path, text, words):
    """Malformed .aut files raise FileFormatError naming the line and the problem."""
    path = tmp_path / "bad.aut"
    path.write_text(text)
    with pytest.raises(FileFormatError) as info:
        read_aut(path)
    assert info.value.path == str(path)
    for word in words:
        assert word in info.value.problem, info.value.problem


def test_aut_not_text(tmp_path):
    """A binary file named .aut is reported as not UTF-8, with a hint for zip archives."""
    path = tmp_path / "bad.aut"
    path.write_bytes(b"PK\x03\x04\xff\xfe")
    with pytest.raises(FileFormatError, match="not UTF-8.*zip"):
        read_aut(path)


# ---------------------------------------------------------------------- Storm DRN


labels = st.lists(st.sampled_from(["a", "goal", "done here", "x1"]), unique=True, max_size=2).map(
    lambda items: tuple(sorted(items))
)


@st.composite
def drn_systems(draw):
    """Systems in the shape .drn files give back: str labels and actions, init inputs, rewards."""
    kind = draw(st.sampled_from(["probabilistic", "labelled", "nondeterministic"]))
    T = draw(transition_systems(kinds=[kind], max_states=6, max_symbols=3))
    fields = T.to_dict()
    if kind == "nondeterministic":
        # every state needs a choice: add a self-loop to deadlocks
        succ = [[t for _, t, _ in T.transitions(s)] or [s] for s in range(T.n)]
        acts = [[a for a, _, _ in T.transitions(s)] or [0] for s in range(T.n)]
        U = TransitionSystem.nondeterministic(succ, labels=acts)
        fields = U.to_dict()
        fields["output"], fields["output_values"] = T.output, T.output_values
    if fields.get("symbols") is not None:
        k = len(fields["symbols"])
        fields["symbols"] = tuple(draw(st.lists(names, min_size=k, max_size=k, unique=True)))
    rewards = draw(st.booleans())
    values = draw(st.lists(labels, min_size=T.n_outputs, max_size=T.n_outputs, unique=True))
    if rewards:
        exact = kind == "probabilistic" and T.exact
        amounts = st.fractions(0, 5, max_denominator=7) if exact else st.floats(0, 5)
        values = [(v, (("cost", draw(amounts)),)) for v in values]
        if len(set(values)) < len(values):
            values = [(v[0], (("cost", i),)) for i, v in enumerate(values)]
    # a file holds the values its states use, numbered as the states first use them
    used = list(dict.fromkeys(np.asarray(fields["output"]).tolist()))
    fields["output"] = np.array([used.index(v) for v in fields["output"].tolist()], dtype=np.int64)
    fields["output_values"] = tuple(values[v] for v in used)
    starts = sorted(set(draw(st.lists(st.integers(0, T.n - 1), min_size=1, max_size=3))))
    fields["input_values"], fields["input_states"] = tuple(starts), np.array(starts)
    if draw(st.booleans()):
        fields["state_labels"] = tuple(f"[s={i}]" for i in range(T.n))
    return System.from_dict(fields)


@given(T=drn_systems())
def test_drn_round_trip(tmp_path_factory, T):
    """Markov chains (exact and float), DFAs and LTSs come back equal through .drn."""
    path = tmp_path_factory.mktemp("drn") / "t.drn"
    write_drn(T, path)
    U = read_drn(path)
    if isinstance(T, NondeterministicSystem) and isinstance(U, LabelledSystem):
        # an LTS in which every state has each action once is a DFA
        assert _transitions(U) == _transitions(T)
        return
    assert type(U) is type(T)
    assert U == T, (U.to_dict(), T.to_dict())


def test_drn_reads_what_storm_writes(tmp_path):
    """Storm's own export of a DTMC with rewards and quoted labels reads as documented."""
    path = tmp_path / "m.drn"
    path.write_text(
        "// Exported by storm\n@type: DTMC\n@parameters\n\n@reward_models\nsteps time \n"
        "@nr_states\n3\n@nr_choices\n3\n@model\n"
        'state 0 [1, 0.5] init "a b"\n//[x=0\t& y=0]\n'
        "\taction 0 [1, 0]\n\t\t1 : 0.25\n\t\t2 : 0.75\n"
        "state 1 [0, 0] goal\n//[x=1\t& y=0]\n\taction 0 [0, 0]\n\t\t1 : 1\n"
        "state 2 [0, 0]\n//[x=2\t& y=0]\n\taction 0 [0, 0]\n\t\t2 : 1\n"
    )
    M = read_drn(path)
    assert isinstance(M, MarkovChain) and not M.exact
    assert M.inputs == {0: 0}
    assert M.state_labels == ("[x=0 & y=0]", "[x=1 & y=0]", "[x=2 & y=0]")
    # a DTMC's action rewards add to its state rewards
    assert M.output_value(0) == (("a b",), (("steps", 2.0), ("time", 0.5)))
    assert M.output_value(1) == (("goal",), (("steps", 0.0), ("time", 0.0)))


def test_drn_mdp_kinds(tmp_path):
    """A Dirac MDP is a DFA when each state has each action once, else an LTS."""
    head = "@type: MDP\n@parameters\n\n@reward_models\n\n@nr_states\n2\n@model\n"
    dfa = (
        head
        + "state 0 init\n\taction a\n\t\t1 : 1\n\taction b\n\t\t0 : 1\n"
        + "state 1\n\taction b\n\t\t1 : 1\n\taction a\n\t\t0 : 1.0\n"
    )
    (tmp_path / "dfa.drn").write_text(dfa)
    D = read_drn(tmp_path / "dfa.drn")
    assert isinstance(D, LabelledSystem) and D.symbols == ("a", "b")
    assert D.steps.tolist() == [[1, 0], [0, 1]]
    lts = (
        head
        + "state 0 init\n\taction a\n\t\t1 : 1\n\taction a\n\t\t0 : 1\n"
        + "state 1\n\taction __NOLABEL__\n\t\t1 : 1\n"
    )
    (tmp_path / "lts.drn").write_text(lts)
    L = read_drn(tmp_path / "lts.drn")
    assert isinstance(L, NondeterministicSystem) and L.symbols == ("a", None)
    K = read_drn(tmp_path / "lts.drn", actions=False)
    assert K.symbols is None and K.n_transitions == 3


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("@model\nstate 0\n", ["no '@type:'"]),
        ("@type: MA\n@nr_states\n1\n@model\n", ["holds a MA", "DTMCs"]),
        ("@type: DTMC\n@parameters\np q\n@nr_states\n1\n@model\n", ["parametric"]),
        ("@type: DTMC\n@value_type: double-interval\n@nr_states\n1\n@model\n", ["double-interval"]),
        ("@type: DTMC\n@nr_states\nmany\n@model\n", ["must be followed by a count"]),
        ("@type: DTMC\n@nr_states\n99999999\n@model\nstate 0\n", ["declares 99999999 states"]),
        ("@type: DTMC\n@nr_states\n1\n", ["ends before '@model'"]),
        ("@type: DTMC\n@colour: red\n", ["unexpected header line"]),
        ("@type: DTMC\n@nr_states\n2\n@model\nstate 1\n", ["expected 'state 0'"]),
        (
            "@type: DTMC\n@nr_states\n1\n@model\nstate 0\n\taction 0\n\t\t3 : 1\n",
            ["target state 3"],
        ),
        (
            "@type: DTMC\n@nr_states\n1\n@model\nstate 0\n\taction 0\n\t\t0 : lots\n",
            ["'lots' is not a number"],
        ),
        (
            "@type: DTMC\n@nr_states\n1\n@model\nstate 0\n\taction 0\n\t\t0 : $p\n",
            ["unknown placeholder"],
        ),
        (
            "@type: DTMC\n@nr_states\n1\n@model\nstate 0\n\taction 0\n\t\t0 : 0.5\n",
            ["inconsistent", "sums to 0.5"],
        ),
        ("@type: DTMC\n@nr_states\n1\n@model\nstate 0\n", ["state 0 has no choice"]),
        (
            "@type: DTMC\n@nr_states\n2\n@model\nstate 0\n\taction 0\n\t\t0 : 1\n",
            ["declares 2 states but lists 1"],
        ),
        (
            "@type: DTMC\n@nr_states\n1\n@nr_choices\n5\n@model\nstate 0\n\taction 0\n\t\t0 : 1\n",
            ["declares 5 choices"],
        ),
        (
            "@type: DTMC\n@nr_states\n1\n@model\n\t\t0 : 1\n",
            ["a transition before the first action"],
        ),
        (
            "@type: DTMC\n@reward_models\nr\n@nr_states\n1\n@model\nstate 0 [1, 2]\n",
            ["2 rewards, but 1 reward models"],
        ),
        ("@type: DTMC\n@nr_states\n1\n@model\nstate 0 [1\n", ["'[' without ']'"]),
        (
            "@type: MDP\n@nr_states\n1\n@model\nstate 0\n\taction a\n\t\t0 : 0.5\n",
            ["choice 0 of state 0", "not to 1"],
        ),
        (
            "@type: MDP\n@reward_models\nr\n@nr_states\n1\n@model\n"
            "state 0 [0]\n\taction a [3]\n\t\t0 : 1\n",
            ["action reward"],
        ),
    ],
)
def test_crafted_drn_files(tmp_path, body, words):
    """Malformed or unsupported .drn files raise FileFormatError naming the problem."""
    path = tmp_path / "bad.drn"
    path.write_text(body)
    with pytest.raises(FileFormatError) as info:
        read_drn(path)
    for word in words:
        assert word in str(info.value), str(info.value)


def test_write_drn_refusals(tmp_path):
    """Deadlocks, unwritable actions and labels, and undetermined outputs are refused."""
    path = tmp_path / "x.drn"
    with pytest.raises(ValueError, match="no transitions"):
        write_drn(TransitionSystem.nondeterministic([[1], []]), path)
    with pytest.raises(ValueError, match="whitespace"):
        write_drn(TransitionSystem.labelled({"a b": [0]}), path)
    with pytest.raises(ValueError, match="double quote"):
        write_drn(TransitionSystem.labelled([[0]], output=[('say "x"',)]), path)
    T = TransitionSystem.labelled([[1, 1]], output=[0, 1])
    A, _ = abstract_computation(T, Partition([0, 0]))
    with pytest.raises(ValueError, match="UNDETERMINED"):
        write_drn(A, path)
    with pytest.raises(ValueError, match="from_computation"):
        write_drn(Computation([0]), path)
    assert not path.exists()


# ---------------------------------------------------------------------- dispatch


def test_load_and_save_model_dispatch(tmp_path):
    """load_model and save_model pick the format by suffix, and name the ones they know."""
    T = TransitionSystem.labelled({"a": [1, 0]}, output=[("p",), ()], inputs=[0])
    for suffix in (".npz", ".json", ".drn"):
        save_model(T, tmp_path / f"t{suffix}")
        assert load_model(tmp_path / f"t{suffix}") == T
    with pytest.raises(ValueError, match=r"suffix '\.txt'.*\.aut"):
        load_model(tmp_path / "t.txt")
    with pytest.raises(ValueError, match="suffix '.pm'"):
        save_model(T, tmp_path / "t.pm")
    assert set(MODEL_SUFFIXES) >= {".npz", ".json", ".aut", ".drn", ".pm", ".jani"}


def test_drn_reads_unnamed_reward_models(tmp_path):
    """Storm writes an unnamed reward model as one space; it reads back as rew0."""
    path = tmp_path / "m.drn"
    path.write_text(
        "@type: DTMC\n@value_type: double\n@parameters\n\n@reward_models\n \n@nr_states\n1\n"
        "@nr_choices\n1\n@model\nstate 0 [2] init\n\taction 0 [1]\n\t\t0 : 1\n"
    )
    assert read_drn(path).output_values == (((), (("rew0", 3.0),)),)
