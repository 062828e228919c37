"""Progress bars: off when nobody sees them, forced with progress=, tqdm optional."""

from __future__ import annotations

import io
import sys

import numpy as np
import pytest

from abstractions import Computation, InvalidTypeError, Partition, minimal_complete_abstraction
from abstractions.progress import interactive, progress_bar, wanted
from tests.helpers import require_extra


def test_wanted_resolves_the_argument(monkeypatch):
    """True and False force; None shows only where interactive and for long work."""
    assert wanted(True) and not wanted(False)
    monkeypatch.setattr("abstractions.progress.interactive", lambda: True)
    assert wanted(None, work=10, threshold=5) and not wanted(None, work=1, threshold=5)
    monkeypatch.setattr("abstractions.progress.interactive", lambda: False)
    assert not wanted(None, work=10, threshold=5)
    with pytest.raises(InvalidTypeError, match="progress must be None, True or False, got 'yes'"):
        wanted("yes")


def test_not_interactive_under_pytest():
    """Captured stderr is not a terminal: the default is off."""
    assert interactive() is False


def test_plain_bar_draws_and_clears():
    """Without tqdm, one line is drawn with the count and note, and erased on close."""
    stream = io.StringIO()
    with progress_bar(True, total=5, desc="reading", stream=stream, use_tqdm=False) as bar:
        bar.update(2)
        bar.note("3 blocks")
        bar.update(3)
    text = stream.getvalue()
    assert "reading: 2/5" in text and "3 blocks" in text and "reading: 5/5" in text
    assert text.endswith("\r")


def test_off_bar_writes_nothing():
    """A bar that is off neither draws nor imports tqdm."""
    stream = io.StringIO()
    with progress_bar(False, total=5, stream=stream) as bar:
        bar.update(5)
        bar.note("x")
    assert stream.getvalue() == ""


def test_tqdm_bar():
    """With tqdm installed, a forced bar is tqdm's."""
    require_extra("progress")
    stream = io.StringIO()
    with progress_bar(True, total=4, desc="exploring", stream=stream, use_tqdm=True) as bar:
        bar.update(4)
        assert bar._tqdm is not None
    assert "exploring" in stream.getvalue()


def test_from_functions_progress(capsys):
    """from_functions counts explored states on stderr when forced, and says nothing by default."""
    C = Computation.from_functions(
        lambda s: min(s + 1, 3000), [0], halted=lambda s: s == 3000, progress=True
    )
    assert C.n == 3001
    assert "exploring" in capsys.readouterr().err
    Computation.from_functions(lambda s: min(s + 1, 3000), [0], halted=lambda s: s == 3000)
    assert capsys.readouterr().err == ""


# ---------------------------------------------------------------- minimisation


def _recording(monkeypatch, module, use_tqdm=False):
    """Make ``module``'s progress bars draw to a StringIO and keep them for the test."""
    from abstractions import progress as progress_module

    bars = []
    stream = io.StringIO()

    def record(progress, **options):
        options.update(stream=stream, use_tqdm=use_tqdm)
        bar = progress_module.progress_bar(progress, **options)
        bars.append(bar)
        return bar

    monkeypatch.setattr(f"{module}.progress_bar", record)
    return bars, stream


def _chain(n=40):
    """A chain into a fixed point, keeping only "at 0": every state its own block, n - 2 rounds."""
    C = Computation(np.maximum(np.arange(n) - 1, 0))
    return C, Partition.kernel(np.arange(n) == 0)


@pytest.mark.parametrize("method", ["rounds", "reference", "auto", "doubling", "splitters"])
def test_minimisation_bar_counts(monkeypatch, method):
    """Forced, the bar ends with the result's blocks; by rounds it counts the splitting rounds."""
    bars, stream = _recording(monkeypatch, "abstractions.minimal")
    C, beta = _chain()
    P = minimal_complete_abstraction(C, beta, method=method, progress=True)
    assert P == minimal_complete_abstraction(C, beta, method=method, progress=False)
    bar = bars[0]
    assert bar.enabled is False  # closed
    assert bar._note == f"{P.n_blocks} blocks"
    assert "minimising: " in stream.getvalue()
    # "auto" takes the small numpy rounds while the kernels are cold, the
    # kernels once they are compiled: its count depends on the tests before.
    if method in ("rounds", "reference"):
        r = bar.count
        assert minimal_complete_abstraction(C, beta, rounds=r) == P
        assert minimal_complete_abstraction(C, beta, rounds=r - 1) != P
    else:
        assert 1 <= bar.count <= C.n


def test_minimisation_bar_with_rounds_argument(monkeypatch):
    """With ``rounds=`` the bar counts the rounds that split, at most ``rounds``."""
    bars, _ = _recording(monkeypatch, "abstractions.minimal")
    C, beta = _chain()
    P = minimal_complete_abstraction(C, beta, rounds=5, progress=True)
    assert bars[0].count == 5 and bars[0]._note == f"{P.n_blocks} blocks"


def test_minimisation_bar_on_a_relation(monkeypatch):
    """Nondeterministic: signature rounds and splitters report; the answer is unchanged."""
    from abstractions import TransitionSystem

    bars, stream = _recording(monkeypatch, "abstractions.minimal")
    n = 30
    v = np.arange(n)
    T = TransitionSystem.nondeterministic([[0]] + [[m - 1, max(m - 2, 0)] for m in v[1:]])
    beta = Partition.kernel(np.arange(n) == 0)
    for method in ("splitters", "rounds"):
        P = minimal_complete_abstraction(T, beta, method=method, progress=True)
        assert P == minimal_complete_abstraction(T, beta, method=method, progress=False)
        assert bars[-2].count >= 1 and bars[-2]._note == f"{P.n_blocks} blocks"


def test_minimisation_quiet_by_default(capsys):
    """Unforced (not interactive under pytest) or forced off, nothing is written."""
    C, beta = _chain()
    minimal_complete_abstraction(C, beta)
    minimal_complete_abstraction(C, beta, method="rounds", progress=False)
    assert capsys.readouterr().err == ""


def test_minimisation_bar_without_tqdm(monkeypatch, capsys):
    """Without tqdm a forced bar is the plain line on stderr, erased at the end."""
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # import fails
    C, beta = _chain()
    P = minimal_complete_abstraction(C, beta, method="rounds", progress=True)
    assert P.n_blocks == C.n
    err = capsys.readouterr().err
    assert "minimising: " in err and err.endswith("\r")


def test_minimisation_tqdm_bar(monkeypatch):
    """With tqdm installed, the forced bar is tqdm's, with the blocks beside the count."""
    require_extra("progress")
    bars, stream = _recording(monkeypatch, "abstractions.minimal", use_tqdm=True)
    C, beta = _chain()
    minimal_complete_abstraction(C, beta, method="rounds", progress=True)
    assert bars[0]._tqdm is not None and "minimising" in stream.getvalue()


def test_minimisation_rejects_bad_progress():
    """progress must be None, True or False."""
    C, beta = _chain()
    with pytest.raises(InvalidTypeError, match="progress must be None, True or False"):
        minimal_complete_abstraction(C, beta, progress="yes")


# ---------------------------------------------------------------- from_sympy


def test_from_sympy_bar_counts_expressions(monkeypatch):
    """Over the product space: one count per expression (halted, then each variable)."""
    sympy = pytest.importorskip("sympy")
    bars, stream = _recording(monkeypatch, "abstractions.symbolic")
    x, y = sympy.symbols("x y")
    args = ({x: 7, y: 3}, {x: (x + y) % 7, y: y})
    C = Computation.from_sympy(*args, halted=sympy.Eq(x, 0), progress=True)
    assert C == Computation.from_sympy(*args, halted=sympy.Eq(x, 0), progress=False)
    bar = bars[0]
    assert (bar.count, bar.total, bar._note) == (3, 3, "21 states")
    assert "enumerating: 3/3" in stream.getvalue()


def test_from_sympy_bar_counts_explored_states(monkeypatch):
    """With reachable_from: the states of each frontier, the depth beside them."""
    sympy = pytest.importorskip("sympy")
    bars, stream = _recording(monkeypatch, "abstractions.symbolic")
    x, y = sympy.symbols("x y")
    args = ({x: 10**6, y: 10**6}, {x: x + 1, y: y + 2})
    options = {"halted": x >= 3, "reachable_from": [(0, 0), (1, 0)]}
    C = Computation.from_sympy(*args, **options, progress=True)
    assert C == Computation.from_sympy(*args, **options, progress=False)
    bar = bars[0]
    assert bar.count == C.n == 7 and bar._note == "depth 3"  # (3, 6) is 3 steps from (0, 0)
    assert "exploring: 2 states" in stream.getvalue()  # the first frontier


def test_from_sympy_quiet_by_default(capsys):
    """Unforced under pytest, or forced off, from_sympy writes nothing."""
    sympy = pytest.importorskip("sympy")
    x = sympy.Symbol("x")
    Computation.from_sympy({x: 5}, {x: (x + 1) % 5})
    Computation.from_sympy({x: 5}, {x: (x + 1) % 5}, reachable_from=[0], progress=False)
    assert capsys.readouterr().err == ""


def test_minimisation_note_in_the_singular(monkeypatch):
    """One block is "1 block", not "1 blocks"."""
    bars, _ = _recording(monkeypatch, "abstractions.minimal")
    minimal_complete_abstraction(Computation([1, 2, 0]), [0, 0, 0], progress=True)
    assert bars[0]._note == "1 block"
