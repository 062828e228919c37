"""Progress bars for long work: tqdm where it is installed, one plain line otherwise.

Long enumerations (:meth:`~abstractions.Computation.from_functions`,
:meth:`~abstractions.Computation.from_sympy`), loading of large model
files (:mod:`abstractions.formats`) and long minimisations
(:func:`~abstractions.minimal_complete_abstraction`: steps, with the
number of blocks beside them) take a ``progress`` argument:

``None`` (default)
    show a bar only where someone can see it (stderr is a terminal, or the
    code runs in a Jupyter kernel) and only for work expected to take more
    than about a second;
``True`` / ``False``
    force it on or off.

The bar is `tqdm <https://tqdm.github.io>`_'s when tqdm is installed (the
optional ``progress`` extra; in a notebook its widget through
``tqdm.auto``), otherwise one line on stderr redrawn at most ten times a
second. Nothing here is imported by ``import abstractions`` beyond this
module, and tqdm only when a bar is shown.

Examples
--------
>>> import io
>>> from abstractions.progress import progress_bar
>>> stream = io.StringIO()
>>> with progress_bar(True, total=3, desc="exploring", stream=stream, use_tqdm=False) as bar:
...     for _ in range(3):
...         bar.update()
>>> "exploring: 3/3 [" in stream.getvalue()
True
>>> with progress_bar(False, total=3) as bar:   # off: does nothing
...     bar.update(3)
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import Any, Self, TextIO

from abstractions.exceptions import InvalidTypeError

__all__ = ["ProgressBar", "counted", "interactive", "progress_bar", "wanted"]


def interactive() -> bool:
    """Whether someone can see a progress bar: stderr is a terminal, or a Jupyter kernel runs.

    Examples
    --------
    >>> isinstance(interactive(), bool)
    True
    """
    try:
        if sys.stderr is not None and sys.stderr.isatty():
            return True
    except (AttributeError, ValueError):  # a closed or replaced stream
        pass
    shell_module = sys.modules.get("IPython")
    if shell_module is None:
        return False
    try:
        shell = shell_module.get_ipython()
    except Exception:
        return False
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def wanted(progress: Any, work: float = 0.0, threshold: float = 0.0) -> bool:
    """Resolve a ``progress=`` argument: forced on or off, or by default where visible and long.

    Parameters
    ----------
    progress : bool or None
        The user's choice; None lets :func:`interactive` and the size decide.
    work, threshold : float
        A bar shows by default only when ``work >= threshold`` (e.g. states
        times steps against what takes about a second).

    Raises
    ------
    InvalidTypeError
        If ``progress`` is not None, True or False.

    Examples
    --------
    >>> wanted(True), wanted(False), wanted(None, work=1, threshold=10)
    (True, False, False)
    """
    if progress is None:
        return work >= threshold and interactive()
    if isinstance(progress, bool):
        return progress
    raise InvalidTypeError(f"progress must be None, True or False, got {progress!r}")


def counted(count: int, noun: str) -> str:
    """``count`` and ``noun``, plural unless the count is one: a bar's note.

    Examples
    --------
    >>> counted(1, "block"), counted(3, "block")
    ('1 block', '3 blocks')
    """
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


class ProgressBar:
    """A progress bar, or nothing when it is off; use :func:`progress_bar` to make one.

    ``update(k)`` counts ``k`` more units; ``note(text)`` shows a short
    status beside the count (e.g. the number of blocks). Used as a context
    manager it closes itself.
    """

    def __init__(
        self,
        enabled: bool,
        *,
        total: int | None = None,
        desc: str = "",
        unit: str = "it",
        stream: TextIO | None = None,
        use_tqdm: bool | None = None,
        delay: float = 0.0,
    ) -> None:
        self.enabled = enabled
        self.delay = delay
        self.count = 0
        self.total = total
        self.desc = desc
        self.unit = unit
        self._note = ""
        self._stream = stream
        self._tqdm: Any = None
        self._last = 0.0
        self._start = time.perf_counter()
        self._width = 0
        if not enabled:
            return
        if use_tqdm is not False:
            try:
                from tqdm.auto import tqdm  # type: ignore[import-untyped,unused-ignore]
            except ImportError:
                if use_tqdm:
                    raise
            else:
                self._tqdm = tqdm(
                    total=total, desc=desc, unit=unit, file=stream, leave=False,
                    dynamic_ncols=True, delay=delay,
                )  # fmt: skip

    def update(self, k: int = 1, note: str | None = None) -> None:
        """Count ``k`` more units of work, and replace the note when one is given.

        Unlike :meth:`note`, this redraws at most ten times a second, so it
        may be called once per round of a fast loop.
        """
        if not self.enabled:
            return
        self.count += k
        if note is not None:
            self._note = note
        if self._tqdm is not None:
            if note is not None:
                self._tqdm.set_postfix_str(note, refresh=False)
            self._tqdm.update(k)
        else:
            self._draw()

    def note(self, text: str) -> None:
        """Show ``text`` beside the count (replacing the previous note)."""
        if not self.enabled:
            return
        self._note = text
        if self._tqdm is not None:
            self._tqdm.set_postfix_str(text, refresh=True)
        else:
            self._draw(force=True)

    def _draw(self, force: bool = False) -> None:
        now = time.perf_counter()
        if now - self._start < self.delay:
            return  # quick work shows nothing
        done = self.total is not None and self.count >= self.total
        if not (force or done or now - self._last >= 0.1):
            return
        self._last = now
        stream = sys.stderr if self._stream is None else self._stream
        count = (
            f"{self.count}/{self.total}" if self.total is not None else f"{self.count} {self.unit}"
        )
        note = f", {self._note}" if self._note else ""
        line = f"{self.desc}: {count} [{now - self._start:.1f} s{note}]".ljust(self._width)
        self._width = max(self._width, len(line))
        try:
            stream.write("\r" + line)
            stream.flush()
        except (OSError, ValueError):  # a closed stream: stop drawing, keep working
            self.enabled = False

    def close(self) -> None:
        """Remove the bar."""
        if not self.enabled:
            return
        self.enabled = False
        if self._tqdm is not None:
            self._tqdm.close()
            return
        if not self._width:
            return  # nothing was drawn
        stream = sys.stderr if self._stream is None else self._stream
        try:
            stream.write("\r" + " " * self._width + "\r")
            stream.flush()
        except (OSError, ValueError):
            pass

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def progress_bar(
    progress: Any,
    *,
    total: int | None = None,
    desc: str = "",
    unit: str = "it",
    work: float = 0.0,
    threshold: float = 0.0,
    stream: TextIO | None = None,
    use_tqdm: bool | None = None,
) -> ProgressBar:
    """A progress bar for ``progress=`` (see :func:`wanted`), or one that does nothing.

    Parameters
    ----------
    progress : bool or None
        The caller's ``progress=`` argument.
    total : int, optional
        The number of units when known (states, lines); else a count.
    desc, unit : str
        What is being done, and what is counted.
    work, threshold : float
        By default the bar shows only when ``work >= threshold``, and
        only once the work has run for a second (forced bars show at once).
    stream : text stream, optional
        Where to draw; default stderr.
    use_tqdm : bool or None
        None: tqdm when installed; False: the plain line; True: tqdm or
        ImportError.

    Returns
    -------
    ProgressBar
    """
    return ProgressBar(
        wanted(progress, work, threshold),
        total=total, desc=desc, unit=unit, stream=stream, use_tqdm=use_tqdm,
        delay=1.0 if progress is None else 0.0,
    )  # fmt: skip
