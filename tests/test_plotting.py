"""abstractions.plotting: what is drawn matches the computation and the partition."""

import ast
import subprocess
import sys
import warnings
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch

import abstractions
from abstractions import (
    Computation,
    NotCompleteError,
    Partition,
    SizeMismatchError,
    TooLargeError,
    TransitionSystem,
    abstract_computation,
    complete_abstractions,
    minimal_complete_abstraction,
    output_abstraction,
)
from abstractions.machines import bit_serial_parity, counter
from abstractions.plotting import (
    LAYOUTS,
    MAX_DRAWN_STATES,
    SYSTEM_LAYOUTS,
    block_colors,
    block_names,
    draw_abstract,
    draw_computation,
    draw_lattice,
    draw_system,
    layout_positions,
    save_or_show,
)


def _axes():
    return Figure().subplots()


def _by_gid(ax, gid):
    found = [a for a in [*ax.collections, *ax.patches] if a.get_gid() == gid]
    return found


def _one(ax, gid):
    (artist,) = [c for c in ax.collections if c.get_gid() == gid]
    return artist


def test_import_does_not_import_matplotlib():
    """``import abstractions`` and ``import abstractions.plotting`` leave matplotlib unimported."""
    code = (
        "import sys, abstractions, abstractions.plotting; "
        "print('matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_node_colours_match_blocks():
    """State m is drawn in its block's colour; states share a colour iff they share a block."""
    C = counter(12)
    P = Partition.kernel(np.arange(12) % 3)
    ax = draw_computation(C, P, ax=_axes())
    states = _one(ax, "states")
    assert isinstance(states, PathCollection)
    faces = states.get_facecolors()
    np.testing.assert_allclose(faces, block_colors(3)[P.labels])
    distinct = {tuple(row) for row in faces}
    assert len(distinct) == P.n_blocks
    assert Partition.kernel(lambda m: tuple(faces[m]), 12) == P


def test_state_and_transition_counts():
    """One dot per state; one arrow per non-halted state; rings for halted and input states."""
    C = bit_serial_parity(3)
    ax = draw_computation(C, C.output, ax=_axes())
    assert len(_one(ax, "states").get_offsets()) == C.n == 22
    arrows = _by_gid(ax, "transitions")
    assert all(isinstance(a, FancyArrowPatch) for a in arrows)
    assert len(arrows) == int((~C.halted).sum()) == 20
    assert len(_one(ax, "halted").get_offsets()) == 2
    assert len(_one(ax, "inputs").get_offsets()) == 8


def test_offsets_are_the_layout_positions():
    """States are drawn where layout_positions puts them, in state order."""
    C = bit_serial_parity(2)
    ax = draw_computation(C, ax=_axes(), layout="layered")
    np.testing.assert_allclose(_one(ax, "states").get_offsets(), layout_positions(C, "layered"))


def test_non_halted_fixed_point_gets_a_loop():
    """A state that steps to itself without halting is drawn with its own transition."""
    C = Computation([0, 0, 1])
    ax = draw_computation(C, ax=_axes())
    assert len(_by_gid(ax, "transitions")) == 3
    # the loop above state 0 may reach beyond the axes: it is not clipped there
    loops = [a for a in _by_gid(ax, "transitions") if a.get_clip_on() is False]
    assert len(loops) == 1
    assert not [c for c in ax.collections if c.get_gid() == "halted"]


def test_layered_layout_edges_point_one_column_right():
    """In the layered layout every transition goes one column to the right (towards the halt)."""
    C = bit_serial_parity(3)
    xy = layout_positions(C, "layered")
    moving = ~C.halted
    np.testing.assert_allclose(xy[C.step[moving], 0] - xy[moving, 0], 1.0)
    # and no two states share a position
    assert len({tuple(p) for p in xy.tolist()}) == C.n


def test_auto_layout_choices():
    """auto: circular for a single cycle, layered otherwise; spring gives finite positions."""
    ring = layout_positions(counter(8))
    np.testing.assert_allclose(np.hypot(ring[:, 0], ring[:, 1]), 1.0)
    C = Computation([1, 2, 0, 2, 3])  # a 3-cycle with a tail 4 -> 3 -> 2
    np.testing.assert_allclose(layout_positions(C), layout_positions(C, "layered"))
    xy = layout_positions(C, "spring")
    assert xy.shape == (5, 2) and np.isfinite(xy).all()
    assert set(LAYOUTS) == {"auto", "layered", "circular", "spring"}


def test_layered_layout_puts_cycles_last():
    """Cycles sit in the rightmost column, each tail state one column per step before it."""
    C = Computation([1, 2, 0, 2, 3, 5])  # 3-cycle 0 1 2, tail 4 -> 3 -> 2, fixed point 5
    xy = layout_positions(C, "layered")
    assert xy[:, 0].tolist() == [2, 2, 2, 1, 0, 2]
    # the cycle's states are adjacent rows, in cycle order
    rows = xy[[0, 1, 2], 1]
    assert sorted(np.abs(np.diff(rows)).tolist()) == [1, 1]


def test_too_large_names_the_limit_and_n():
    """Beyond max_states the error says the limit and the size."""
    with pytest.raises(TooLargeError, match=r"max_states=300.*n=301"):
        draw_computation(counter(301), ax=_axes())
    with pytest.raises(TooLargeError, match=r"max_states=5.*n=6"):
        draw_computation(counter(6), ax=_axes(), max_states=5)
    assert MAX_DRAWN_STATES == 300
    draw_computation(counter(6), ax=_axes(), max_states=6)  # at the limit: fine


def test_bad_partition_names_the_argument():
    """A partition of another size, or of the wrong type, raises an error naming `partition`."""
    with pytest.raises(SizeMismatchError, match="partition is a partition of 3 states.*5 states"):
        draw_computation(counter(5), Partition([0, 1, 1]), ax=_axes())
    with pytest.raises(ValueError, match="partition is a partition of 2 states"):
        draw_computation(counter(3), [0, 1], ax=_axes())
    with pytest.raises(TypeError, match="partition must be a 1-d sequence of labels, got str"):
        draw_computation(counter(3), "abc", ax=_axes())
    with pytest.raises(TypeError, match=r"partition\[0\] = \[0, 1\] is not hashable"):
        draw_computation(counter(3), [[0, 1], [2]], ax=_axes())
    # labels are accepted as well as Partitions
    ax = draw_computation(counter(3), ["a", "b", "a"], ax=_axes())
    faces = _one(ax, "states").get_facecolors()
    assert np.allclose(faces[0], faces[2]) and not np.allclose(faces[0], faces[1])


def test_bad_layout_and_pos_are_named():
    """Unknown layouts, layered on a non-halting run, and misshapen pos are refused clearly."""
    with pytest.raises(ValueError, match="unknown layout 'tree'"):
        draw_computation(counter(3), ax=_axes(), layout="tree")
    with pytest.raises(ValueError, match=r"pos must have shape \(3, 2\)"):
        draw_computation(counter(3), ax=_axes(), pos=np.zeros((2, 2)))
    with pytest.raises(TypeError, match="labels must be"):
        draw_computation(counter(3), ax=_axes(), labels="yes")


def test_labels_are_written_for_small_graphs_only():
    """State names appear up to the labelling limit, never beyond (unless asked)."""
    ax = draw_computation(counter(5), ax=_axes())
    assert [t.get_text() for t in ax.texts] == ["0", "1", "2", "3", "4"]
    assert not draw_computation(counter(50), ax=_axes()).texts
    ax = draw_computation(counter(3), ax=_axes(), labels=lambda s: f"s{s}")
    assert [t.get_text() for t in ax.texts] == ["s0", "s1", "s2"]


def test_draw_abstract_shares_colours_with_blocks():
    """The quotient has one dot per block, in the block's colour, one arrow per abstract step."""
    C = counter(12)
    P = minimal_complete_abstraction(C, Partition.kernel(np.arange(12) % 4))
    left, right = draw_abstract(C, P, Figure().subplots(1, 2))
    np.testing.assert_allclose(_one(left, "states").get_facecolors(), block_colors(4)[P.labels])
    np.testing.assert_allclose(_one(right, "states").get_facecolors(), block_colors(4))
    assert len(_by_gid(right, "transitions")) == 4


def test_draw_abstract_refuses_incomplete():
    """An incomplete partition has no quotient to draw."""
    with pytest.raises(NotCompleteError):
        draw_abstract(counter(4), Partition([0, 1, 1, 1]), Figure().subplots(1, 2))
    with pytest.raises(ValueError, match="ax must be a pair"):
        draw_abstract(counter(4), Partition.top(4), [_axes()])


def test_draw_lattice_marks_the_least_element():
    """The marked element is the minimal complete abstraction; covers are the Hasse edges."""
    C = Computation([1, 2, 0, 0, 3])
    beta = Partition.bottom(5)
    lattice = complete_abstractions(C, beta)
    ax = draw_lattice(lattice, ax=_axes())
    least = minimal_complete_abstraction(C, beta)
    where = lattice.index(least)
    dots = _one(ax, "elements")
    np.testing.assert_allclose(_one(ax, "marked").get_offsets(), dots.get_offsets()[[where]])
    faces = dots.get_facecolors()
    other = faces[(where + 1) % len(lattice)]
    odd = [i for i in range(len(lattice)) if not np.allclose(faces[i], other)]
    assert odd == [where]
    covers = _one(ax, "covers")
    assert isinstance(covers, LineCollection)
    expected = sum(
        1
        for p in lattice
        for q in lattice
        if p < q and not any(p < r < q for r in lattice)
    )
    assert len(covers.get_segments()) == expected


def test_draw_lattice_heights_are_block_counts():
    """More information is drawn higher: y is the number of blocks."""
    ps = [Partition.bottom(3), Partition([0, 0, 1]), Partition.top(3)]
    ax = draw_lattice(ps, ax=_axes())
    assert _one(ax, "elements").get_offsets()[:, 1].tolist() == [1, 2, 3]
    assert len(_one(ax, "covers").get_segments()) == 2


def test_draw_lattice_without_least_marks_nothing():
    """Two incomparable partitions have no least element: nothing is marked."""
    ax = draw_lattice([Partition([0, 0, 1]), Partition([0, 1, 1])], ax=_axes())
    assert not [c for c in ax.collections if c.get_gid() == "marked"]
    pair = [Partition([0, 0, 1]), Partition([0, 1, 1])]
    ax = draw_lattice(pair, ax=_axes(), mark=Partition([0, 1, 1]))
    elements = _one(ax, "elements").get_offsets()
    np.testing.assert_allclose(_one(ax, "marked").get_offsets(), elements[[1]])


def test_draw_lattice_bad_input():
    """Empty, mixed sizes, repeats, non-partitions, a foreign mark and too many are refused."""
    with pytest.raises(ValueError, match="empty"):
        draw_lattice([], ax=_axes())
    with pytest.raises(SizeMismatchError, match=r"partitions\[1\] is over 2 states"):
        draw_lattice([Partition.top(3), Partition.top(2)], ax=_axes())
    with pytest.raises(ValueError, match=r"partitions\[1\] = 0 \| 1 repeats partitions\[0\]"):
        draw_lattice([Partition.top(2), Partition.top(2)], ax=_axes())
    with pytest.raises(TypeError, match=r"partitions\[0\] must be a Partition, got list"):
        draw_lattice([[0, 1]], ax=_axes())
    with pytest.raises(ValueError, match="mark = 0 1 is not one of the partitions"):
        draw_lattice([Partition.top(2)], ax=_axes(), mark=Partition.bottom(2))
    with pytest.raises(TooLargeError, match="max_elements=1 partitions, got 2"):
        draw_lattice([Partition.top(2), Partition.bottom(2)], ax=_axes(), max_elements=1)


def test_new_figure_when_no_axes_given():
    """Without ax, a new figure is made (pyplot, Agg in the tests)."""
    import matplotlib.pyplot as plt

    ax = draw_computation(counter(3))
    assert ax.figure is not None
    plt.close(ax.figure)
    left, right = draw_abstract(counter(4), Partition([0, 1, 0, 1]))
    assert left.figure is right.figure
    plt.close(left.figure)


def test_block_colours_distinct():
    """Up to 20 blocks every block has its own colour."""
    for k in (1, 5, 10, 11, 20):
        assert len({tuple(c) for c in block_colors(k)}) == k
    assert block_colors(0).shape == (0, 4)
    assert block_colors(40).shape == (40, 4)


# ---------------------------------------------------------------- draw_system


def _dfa():
    """A DFA over {a, b}: 0 -a-> 1 -a-> 2, b back to 0, 2 loops on both."""
    return TransitionSystem.labelled({"a": [1, 2, 2], "b": [0, 0, 2]}, output=[0, 0, 1])


def _texts(ax):
    return sorted(t.get_text() for t in ax.texts if t.get_gid() == "edge_labels")


def test_draw_system_colours_and_arrows():
    """One dot per state in its block's colour; one arrow per pair of states joined by a step."""
    T = _dfa()
    P = Partition([0, 1, 1])
    ax = draw_system(T, P, ax=_axes())
    np.testing.assert_allclose(_one(ax, "states").get_facecolors(), block_colors(2)[P.labels])
    pairs = {(s, int(t)) for s in range(T.n) for t in T.successors(s)}
    assert pairs == {(0, 1), (0, 0), (1, 2), (1, 0), (2, 2)}
    assert len(_by_gid(ax, "transitions")) == len(pairs)
    # both symbols of 2 -> 2 share one arrow, and its text lists both
    assert _texts(ax) == ["a", "a", "a,b", "b", "b"]


def test_draw_system_texts_by_kind():
    """Probabilities are written as exact fractions (3 digits in float mode); plain arrows: none."""
    half = Fraction(1, 2)
    exact = np.array([[half, half], [0, 1]], dtype=object)
    written = _texts(draw_system(TransitionSystem.probabilistic(exact), ax=_axes()))
    assert written == ["1", "1/2", "1/2"]
    floats = TransitionSystem.probabilistic(np.array([[1 / 3, 2 / 3], [0.0, 1.0]]))
    assert _texts(draw_system(floats, ax=_axes())) == ["0.333", "0.667", "1"]
    plain = TransitionSystem.nondeterministic([[0, 1], []])
    ax = draw_system(plain, ax=_axes())
    assert _texts(ax) == [] and len(_by_gid(ax, "transitions")) == 2
    acts = TransitionSystem.nondeterministic([[1, 1], []], labels=[["x", "y"], []])
    assert _texts(draw_system(acts, ax=_axes())) == ["x,y"]


def test_draw_system_positions_marks_and_labels():
    """States sit at pos; marked states get rings; labels and edge texts can be switched off."""
    T = _dfa()
    xy = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 1.0]])
    ax = draw_system(T, ax=_axes(), pos=xy, marked=[False, False, True], labels=lambda s: f"q{s}")
    np.testing.assert_allclose(_one(ax, "states").get_offsets(), xy)
    np.testing.assert_allclose(_one(ax, "marked").get_offsets(), xy[[2]])
    assert [t.get_text() for t in ax.texts if t.get_gid() != "edge_labels"] == ["q0", "q1", "q2"]
    bare = draw_system(T, ax=_axes(), labels=False, edge_labels=False)
    assert not bare.texts and not [c for c in bare.collections if c.get_gid() == "marked"]
    ring = layout_positions(counter(3), "circular")
    np.testing.assert_allclose(_one(draw_system(T, ax=_axes()), "states").get_offsets(), ring)
    spring = _one(draw_system(T, ax=_axes(), layout="spring"), "states").get_offsets()
    assert np.isfinite(spring).all() and SYSTEM_LAYOUTS == ("circular", "spring")


def test_draw_system_quotient_shares_colours():
    """Drawing the quotient with Partition.top colours abstract state b like block b."""
    T = TransitionSystem.labelled([np.arange(6) * 2 % 6, (np.arange(6) * 2 + 1) % 6],
                                  output=np.arange(6) % 3 == 0)
    P = minimal_complete_abstraction(T, output_abstraction(T))
    Q, P = abstract_computation(T, P)
    left = draw_system(T, P, ax=_axes())
    right = draw_system(Q, Partition.top(Q.n), ax=_axes())
    faces = _one(left, "states").get_facecolors()
    np.testing.assert_allclose(_one(right, "states").get_facecolors(), faces[P.representatives()])


def test_draw_system_bad_input():
    """A Computation, too many states, bad layouts, pos, marked and labels are refused by name."""
    with pytest.raises(TypeError, match="system must be a TransitionSystem, got Computation"):
        draw_system(counter(3), ax=_axes())
    big = TransitionSystem.nondeterministic([[s] for s in range(301)])
    with pytest.raises(TooLargeError, match=r"max_states=300.*n=301"):
        draw_system(big, ax=_axes())
    with pytest.raises(ValueError, match="unknown layout 'layered'"):
        draw_system(_dfa(), ax=_axes(), layout="layered")
    with pytest.raises(SizeMismatchError, match=r"pos must have shape \(3, 2\)"):
        draw_system(_dfa(), ax=_axes(), pos=np.zeros((2, 2)))
    with pytest.raises(ValueError, match="marked"):
        draw_system(_dfa(), ax=_axes(), marked=[True])
    with pytest.raises(TypeError, match="labels must be"):
        draw_system(_dfa(), ax=_axes(), labels="yes")
    with pytest.raises(SizeMismatchError, match="partition"):
        draw_system(_dfa(), Partition.top(4), ax=_axes())


def test_save_or_show_saves_and_closes(tmp_path):
    """With a directory the figure is written as name.png and closed, and the path returned."""
    import matplotlib.pyplot as plt

    fig, _ = plt.subplots()
    assert save_or_show(fig, "picture", tmp_path) == tmp_path / "picture.png"
    assert [p.name for p in tmp_path.iterdir()] == ["picture.png"]
    assert not plt.fignum_exists(fig.number)


def test_save_or_show_takes_a_path(tmp_path):
    """A path-like name, or a name with a directory in it, is the file to write (folders made)."""
    import matplotlib.pyplot as plt

    fig, _ = plt.subplots()
    assert save_or_show(fig, tmp_path / "a" / "picture") == tmp_path / "a" / "picture.png"
    fig, _ = plt.subplots()
    where = save_or_show(fig, f"{tmp_path}/b/picture.svg")
    assert where == tmp_path / "b" / "picture.svg" and where.read_text().startswith("<?xml")
    fig, _ = plt.subplots()
    assert save_or_show(fig, "picture.svg", tmp_path) == tmp_path / "picture.svg"
    assert not plt.get_fignums()


def test_save_or_show_says_why_nothing_is_shown(tmp_path, monkeypatch):
    """Under a backend that cannot show (Agg, as in the tests), a bare name warns, saves nothing."""
    import matplotlib.pyplot as plt

    monkeypatch.chdir(tmp_path)
    fig, _ = plt.subplots()
    with pytest.warns(UserWarning, match=r"'picture' was neither shown nor saved.*'[Aa]gg'"):
        assert save_or_show(fig, "picture") is None
    assert plt.fignum_exists(fig.number) and not list(tmp_path.iterdir())
    plt.close(fig)


def test_draw_abstract_names_the_abstract_states():
    """Abstract states are named after their blocks: the first state's name, or as given."""
    C = bit_serial_parity(2)
    P = minimal_complete_abstraction(C, output_abstraction(C))
    _, right = draw_abstract(C, P, Figure().subplots(1, 2))
    first = P.representatives()
    written = [t.get_text() for t in right.texts]
    assert written == block_names(C, P) == [",".join(map(str, C.label(int(m)))) for m in first]
    names = [f"b{b}" for b in range(P.n_blocks)]
    _, right = draw_abstract(C, P, Figure().subplots(1, 2), names=names)
    assert [t.get_text() for t in right.texts] == names
    _, right = draw_abstract(C, P, Figure().subplots(1, 2), names=lambda b: b * 10)
    assert [t.get_text() for t in right.texts] == [str(b * 10) for b in range(P.n_blocks)]
    with pytest.raises(SizeMismatchError, match=f"each of the {P.n_blocks} blocks, got 2"):
        draw_abstract(C, P, Figure().subplots(1, 2), names=["a", "b"])
    with pytest.raises(TypeError, match="names must be a sequence"):
        draw_abstract(C, P, Figure().subplots(1, 2), names="ab")


def test_block_names_default():
    """Unnamed states: the output value where it is constant on each block and tells them apart."""
    C = Computation([1, 2, 2, 2], halted=[False, False, True, True], output=["a", "b", "c", "d"])
    assert block_names(C, Partition([0, 1, 2, 3])) == ["a", "b", "c", "d"]
    assert block_names(C, Partition([0, 1, 2, 2])) == ["0", "1", "2"]  # output not constant
    D = Computation([1, 2, 2, 2], halted=[False, False, True, True], output=[0, 1, 0, 1])
    assert block_names(D, Partition([0, 1, 2, 3])) == ["0", "1", "2", "3"]  # outputs repeat
    assert block_names(counter(6), Partition([0, 1, 2, 0, 1, 2])) == ["0", "1", "2"]


def test_draw_abstract_axes_is_a_deprecated_alias():
    """``axes=`` still works, with a DeprecationWarning; giving it beside ``ax=`` is an error."""
    pair = Figure().subplots(1, 2)
    with pytest.warns(DeprecationWarning, match=r"axes=.*deprecated.*ax="):
        left, right = draw_abstract(counter(4), Partition([0, 1, 0, 1]), axes=pair)
    assert (left, right) == (pair[0], pair[1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with pytest.raises(TypeError, match="not both"):
            draw_abstract(counter(4), Partition.top(4), ax=pair, axes=pair)


def test_plotting_uses_public_names_only():
    """The plotting package imports only names ``abstractions`` exports, and reads no ``_x``."""
    root = Path(abstractions.plotting.__file__).parent
    for path in root.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("abstractions"):
                if node.module == "abstractions":
                    assert {a.name for a in node.names} <= set(abstractions.__all__), path
                else:
                    assert node.module.startswith("abstractions.plotting"), (path, node.module)
            if isinstance(node, ast.Import):
                for alias in node.names:
                    assert not alias.name.startswith("abstractions.") or alias.name.startswith(
                        "abstractions.plotting"
                    ), (path, alias.name)
            if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
                assert node.attr.startswith("__"), (path, node.lineno, node.attr)
