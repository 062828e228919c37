"""The Pareto view: abstraction_report, its table, its Pareto front, draw_report
and the ``abstractions report FILE`` command (issue 14, item 5)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from abstractions import (
    AbstractionReport,
    Candidate,
    Computation,
    InvalidTypeError,
    NondeterministicSystem,
    Partition,
    SizeMismatchError,
    abstraction_report,
    consistency_error,
    description_length,
    finish_abstraction,
    is_complete,
    is_conserved,
    minimal_complete_abstraction,
    output_abstraction,
    save,
    support,
)
from abstractions.__main__ import main

x, y = sympy.symbols("x y")


def countdown() -> Computation:
    return Computation.from_sympy({x: 4, y: 3}, {x: x - 1, y: y}, halted=sympy.Eq(x, 0),
                                  output=sympy.Eq(y, 0))


def entropy_bits(labels) -> float:
    _, counts = np.unique(labels, return_counts=True)
    p = counts / counts.sum()
    return float(-(p * np.log2(p)).sum())


def test_rows_measure_what_they_say():
    """Each row's columns equal the functions they come from; the default candidates are all
    there."""
    C = countdown()
    beta = output_abstraction(C)
    mine = Partition.kernel(C.values("x") % 2)
    report = abstraction_report(C, beta, {"parity of x": mine}, k=2,
                                schedule=C.values("x") == 0)
    assert isinstance(report, AbstractionReport) and len(report) == 6
    assert report.names() == ("minimal complete", "finish", "variables", "2-step", "scheduled",
                              "parity of x")
    for row in report.rows:
        assert isinstance(row, Candidate)
        P = row.partition
        assert row.blocks == P.n_blocks
        assert row.support == support(C, P) and row.support_size == len(row.support)
        assert row.description == description_length(C, P)
        assert row.complete == is_complete(C, P)
        assert row.error == (0.0 if row.complete else consistency_error(C, P).total)
        assert row.keeps_beta == (beta <= P)
        assert row.conserved == is_conserved(C, P)
        joint = entropy_bits(P.labels) + entropy_bits(beta.labels) - entropy_bits(
            P.labels * beta.n_blocks + beta.labels)
        assert math.isclose(row.information, max(joint, 0.0), abs_tol=1e-9)
    assert report["minimal complete"].partition == minimal_complete_abstraction(C, beta)
    assert report["finish"].partition == finish_abstraction(C)
    assert report["finish"].conserved and report["variables"].support == ("y",)
    assert math.isclose(report.beta_information, entropy_bits(beta.labels))
    assert not report["parity of x"].complete or report["parity of x"].error == 0.0
    with pytest.raises(KeyError, match="no candidate named 'nope'"):
        report["nope"]


@given(st.lists(st.integers(0, 3), min_size=4, max_size=4))
def test_pareto_front_is_the_undominated_rows(extra):
    """A row is on the front iff no other row is at least as good on every count and better on
    one."""
    C = countdown()
    candidates = {"mine": np.resize(extra, C.n), "x": Partition.kernel(C.values("x"))}
    report = abstraction_report(C, output_abstraction(C), candidates)

    def key(r):
        return (len(r.support), r.description, r.error, -r.information)

    for row in report.rows:
        dominated = any(
            all(a <= b + 1e-12 for a, b in zip(key(o), key(row)))
            and any(a < b - 1e-12 for a, b in zip(key(o), key(row)))
            for o in report.rows if o is not row)
        assert (row.name in report.pareto()) == (not dominated)
    assert report.pareto()


def test_table_and_other_kinds():
    """The table has one line per row; systems without variables have no support column; other
    kinds get the minimal complete row only and refuse k-step rows."""
    C = countdown()
    text = abstraction_report(C, output_abstraction(C)).table()
    assert text.splitlines()[0].startswith("candidate") and "finish" in text
    plain = Computation(C.step, halted=C.halted, output=C.output)
    bare = abstraction_report(plain, output_abstraction(plain))
    assert bare.names() == ("minimal complete", "finish")
    assert all(r.support is None and r.description is None for r in bare.rows)
    T = NondeterministicSystem([[1], [0, 2], [2]])
    R = abstraction_report(T, [0, 0, 1])
    assert R.names() == ("minimal complete",)
    with pytest.raises(InvalidTypeError, match="need a Computation"):
        abstraction_report(T, [0, 0, 1], k=2)
    with pytest.raises(InvalidTypeError, match="candidates must be a mapping"):
        abstraction_report(C, output_abstraction(C), [Partition.top(C.n)])
    with pytest.raises(SizeMismatchError):
        abstraction_report(C, output_abstraction(C), {"short": [0, 1]})
    assert "candidates" in repr(bare) and str(bare) == bare.table()


def test_undetermined_candidate_gets_a_note():
    """A candidate the variables do not determine has no support, and the table says why."""
    C = Computation([1, 2, 2], halted=[False, False, True], variables={"v": [0, 0, 1]})
    report = abstraction_report(C, [0, 0, 1], {"odd": [0, 1, 1]}, defaults=False)
    assert report["odd"].support is None and "do not determine" in report["odd"].notes
    assert "notes:" in report.table()


def test_draw_report():
    """draw_report puts one dot per candidate, names the front in bold, refuses other objects."""
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    from abstractions.plotting import draw_report

    C = countdown()
    report = abstraction_report(C, output_abstraction(C))
    ax = draw_report(report, Figure().subplots(), title="countdown")
    (dots,) = [c for c in ax.collections if c.get_gid() == "candidates"]
    assert len(dots.get_offsets()) == len(report)
    bold = {t.get_text().split(" (")[0] for t in ax.texts if t.get_fontweight() == "bold"}
    assert bold == set(report.pareto())
    with pytest.raises(InvalidTypeError, match="AbstractionReport"):
        draw_report(report.rows, Figure().subplots())


def test_cli_report(tmp_path, capsys):
    """`abstractions report FILE` prints the table, the front and the time; bad candidates exit
    2."""
    C = countdown()
    path = tmp_path / "countdown.npz"
    save(C, path)
    mine = tmp_path / "mine.npz"
    save(Partition.kernel(C.halted), mine)
    status = main(["report", str(path), "--candidate", f"halted={mine}", "--k", "2"])
    out, _ = capsys.readouterr()
    assert status == 0
    assert "minimal complete" in out and "halted" in out and "2-step" in out
    assert "pareto front:" in out and "time:" in out
    assert "1: y" in out                      # the variables were saved with the computation
    status = main(["report", str(path), "--candidate", "nameless"])
    _, err = capsys.readouterr()
    assert status == 2 and "NAME=PARTITION_FILE" in err
