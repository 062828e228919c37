"""Progress bars: off when nobody sees them, forced with progress=, tqdm optional."""

from __future__ import annotations

import io

import pytest

from abstractions import Computation, InvalidTypeError
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
