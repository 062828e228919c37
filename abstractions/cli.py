"""The ``minimize``, ``check``, ``info`` and ``report`` commands of ``python -m abstractions``.

Exit codes (those of ``diff`` and ``cmp``): 0 success (for ``check``: the
partition is complete), 1 ``check`` found the partition not complete, 2 an
error (bad file, bad arguments), reported as one line on stderr, 130 after
Ctrl-C; see :mod:`abstractions.__main__`. ``minimize --out`` refuses to
write over its own input file (under any name).

While a command runs for longer than half a second, a spinner with the
current phase (loading, minimizing, ...) and the elapsed time is drawn on
stderr, but only when stderr is a terminal: pipes and log files get no
control characters.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, Self, TextIO, TypeVar

from abstractions.computation import Computation
from abstractions.exceptions import InvalidValueError
from abstractions.partition import Partition

__all__ = ["EXIT_NOT_COMPLETE", "KEEP_CHOICES", "Progress", "add_commands", "run_command"]

#: Pieces of ``--keep``, joined with ``+`` (e.g. ``output+halting``).
KEEP_CHOICES = ("output", "halting", "finish")
#: Exit status of ``check`` when the partition is not complete.
EXIT_NOT_COMPLETE = 1

T = TypeVar("T")


class Progress:
    """An elapsed-time spinner on a terminal, drawn by a background thread.

    Parameters
    ----------
    message : str
        What is running, e.g. ``"minimizing"``.
    stream : text stream, optional
        Where to draw; default ``sys.stderr``. Nothing is drawn unless
        ``stream.isatty()``.
    delay : float, default 0.5
        Seconds before the first frame: quick jobs show nothing.
    interval : float, default 0.1
        Seconds between frames.

    Examples
    --------
    >>> import io
    >>> with Progress("working", stream=io.StringIO()) as progress:   # not a terminal
    ...     pass
    >>> progress.frames
    0
    """

    _FRAMES = "|/-\\"

    def __init__(
        self,
        message: str,
        *,
        stream: TextIO | None = None,
        delay: float = 0.5,
        interval: float = 0.1,
    ) -> None:
        self.message = message
        self.stream = sys.stderr if stream is None else stream
        self.delay = delay
        self.interval = interval
        self.frames = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._width = 0

    def _enabled(self) -> bool:
        try:
            return bool(self.stream.isatty())
        except (AttributeError, ValueError):  # closed or tty-less stream
            return False

    def __enter__(self) -> Self:
        if self._enabled():
            self._start = time.perf_counter()
            self._thread = threading.Thread(target=self._spin, name="abstractions-progress", daemon=True)
            self._thread.start()
        return self

    def _spin(self) -> None:
        if self._stop.wait(self.delay):
            return
        while not self._stop.is_set():
            elapsed = time.perf_counter() - self._start
            frame = self._FRAMES[self.frames % len(self._FRAMES)]
            line = f"{frame} {self.message} ... {elapsed:.1f} s"
            # pad over a longer previous line (the message changes between phases)
            line = line.ljust(self._width)
            self._width = max(self._width, len(line))
            self.stream.write("\r" + line)
            self.stream.flush()
            self.frames += 1
            self._stop.wait(self.interval)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join()
        if self.frames:
            # wipe the spinner line so the command's own output starts clean
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()


def _timed(progress: Progress, message: str, job: Callable[[], T]) -> tuple[T, float]:
    """Run ``job`` under ``message``; return its result and its wall-clock seconds."""
    progress.message = message
    start = time.perf_counter()
    result = job()
    return result, time.perf_counter() - start


def _keep_value(text: str) -> str:
    parts = text.split("+")
    for part in parts:
        if part not in KEEP_CHOICES:
            raise argparse.ArgumentTypeError(
                f"unknown piece {part!r} in --keep {text!r}; use {', '.join(KEEP_CHOICES)} "
                f"joined with '+', e.g. output+halting"
            )
    return text


def add_commands(commands: Any) -> None:
    """Add ``minimize``, ``check``, ``info`` and ``report`` to an argparse subparsers object."""
    from abstractions.minimal import METHODS

    minimize = commands.add_parser(
        "minimize",
        help="the minimal complete abstraction of a saved computation",
        description="Compute the minimal complete abstraction above the kept information, "
        "print its block count, the abstract computation and the time taken.",
    )
    minimize.add_argument("file", help="a computation saved with abstractions.save (.npz or .json)")
    minimize.add_argument(
        "--keep",
        type=_keep_value,
        default="output+halting",
        help="what beta keeps: output, halting, finish, or several joined by '+' "
        "(default: output+halting)",
    )
    minimize.add_argument("--method", choices=list(METHODS), default="auto", help="algorithm")
    minimize.add_argument("--out", metavar="PARTITION_FILE", help="save the abstraction here (.npz or .json)")

    check = commands.add_parser(
        "check",
        help="is a saved partition complete for a saved computation?",
        description="Exit 0 if the partition is complete, 1 with a violation witness if not, "
        "2 on errors.",
    )
    check.add_argument("file", help="the computation")
    check.add_argument("partition_file", metavar="PARTITION_FILE", help="the partition")

    info = commands.add_parser("info", help="describe a saved computation or partition")
    info.add_argument("file")

    report = commands.add_parser(
        "report",
        help="candidate abstractions of a saved computation side by side",
        description="Print the table of abstractions.report.abstraction_report: the minimal "
        "complete abstraction, the finish abstraction, the minimal variable abstraction (when "
        "the computation has variables) and your own partitions, with their blocks, support, "
        "description length, consistency error and information kept about beta.",
    )
    report.add_argument("file", help="a computation saved with abstractions.save (.npz or .json)")
    report.add_argument(
        "--keep", type=_keep_value, default="output",
        help="what beta keeps: output, halting, finish, or several joined by '+' (default: output)",
    )
    report.add_argument(
        "--candidate", action="append", default=[], metavar="NAME=PARTITION_FILE",
        help="add a saved partition as a candidate (repeatable)",
    )
    report.add_argument("--k", type=int, default=None, help="add the k-step candidate")


def _keep(C: Computation, text: str) -> Partition:
    from abstractions.keep import finish_abstraction, halting_abstraction, output_abstraction

    makers: dict[str, Callable[[Computation], Partition]] = {
        "output": output_abstraction,
        "halting": halting_abstraction,
        "finish": finish_abstraction,
    }
    parts = [makers[part](C) for part in dict.fromkeys(text.split("+"))]
    beta = parts[0]
    for other in parts[1:]:
        beta = beta | other
    return beta


def _summary(C: Computation, out: TextIO) -> None:
    print(repr(C), file=out)
    text = str(C)
    if "\n" in text:
        print(text.split("\n", 1)[1], file=out)


def _shown(path: str) -> str:
    """A file name as printable text (a name that is not UTF-8 gets backslash escapes)."""
    return path.encode("utf-8", "backslashreplace").decode("utf-8")


def _same_file(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` name one file: the same path, a symlink or a hard link."""
    try:
        return os.path.samefile(a, b)
    except OSError:  # one does not exist (yet): compare where they would be
        return os.path.realpath(a) == os.path.realpath(b)


def run_command(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Run a parsed ``minimize``, ``check``, ``info`` or ``report`` command; return the exit status."""
    from abstractions.files import load

    stream = sys.stdout if out is None else out
    # Everything slow runs inside one Progress (loading a big file takes time
    # too); results are printed after it, so stdout never interleaves with
    # the spinner's line on the same terminal.
    if args.command == "minimize":
        from abstractions.minimal import minimal_complete_abstraction
        from abstractions.completeness import abstract_computation
        from abstractions.files import save

        if args.out and _same_file(args.file, args.out):
            # checked before any work: the abstraction would replace the computation
            raise InvalidValueError(
                f"--out {_shown(args.out)} is the input file {_shown(args.file)}; refusing to "
                f"write the abstraction over the computation (choose another file)"
            )
        with Progress(f"loading {args.file}") as progress:
            C = load(args.file, kind=Computation)
            progress.message = "building beta"
            beta = _keep(C, args.keep)
            alpha, seconds = _timed(
                progress, "minimizing",
                lambda: minimal_complete_abstraction(C, beta, method=args.method),
            )
            progress.message = "building the abstract computation"
            A, _ = abstract_computation(C, alpha)
            if args.out:
                progress.message = f"saving {args.out}"
                save(alpha, args.out)
        print(f"{_shown(args.file)}: {C.n} states; keeping {args.keep} (beta has {beta.n_blocks} blocks)", file=stream)
        print(f"minimal complete abstraction: {alpha.n_blocks} blocks for {C.n} states", file=stream)
        print("abstract computation:", end=" ", file=stream)
        _summary(A, stream)
        print(f"time: {seconds:.3f} s", file=stream)
        if args.out:
            print(f"saved the abstraction to {_shown(args.out)}", file=stream)
        return 0
    if args.command == "check":
        from abstractions.completeness import find_violation
        from abstractions.exceptions import SizeMismatchError

        with Progress(f"loading {args.file}") as progress:
            C = load(args.file, kind=Computation)
            progress.message = f"loading {args.partition_file}"
            P = load(args.partition_file, kind=Partition)
            if P.n != C.n:
                raise SizeMismatchError(
                    f"the partition is a partition of {P.n} states, but the computation "
                    f"has {C.n} states"
                )
            witness, seconds = _timed(progress, "checking", lambda: find_violation(C, P))
        if witness is None:
            print(f"complete: {P.n_blocks} blocks for {C.n} states ({seconds:.3f} s)", file=stream)
            return 0
        m1, m2 = witness
        s1, s2 = int(C.step[m1]), int(C.step[m2])
        print(
            f"not complete: states {C.label(m1)!r} and {C.label(m2)!r} share block "
            f"{int(P.labels[m1])}, but step to {C.label(s1)!r} (block {int(P.labels[s1])}) "
            f"and {C.label(s2)!r} (block {int(P.labels[s2])})",
            file=stream,
        )
        return EXIT_NOT_COMPLETE
    if args.command == "info":
        with Progress(f"loading {args.file}") as progress:
            obj = load(args.file)
            progress.message = "finding the reachable states"
            reachable = obj.reachable_states().shape[0] if isinstance(obj, Computation) else 0
        if isinstance(obj, Partition):
            sizes = obj.block_sizes()
            shown = f", block sizes {int(sizes.min())}..{int(sizes.max())}" if obj.n else ""
            print(f"{_shown(args.file)}: partition of {obj.n} states into {obj.n_blocks} blocks{shown}", file=stream)
            if obj.n and obj.n <= 32:
                print(f"blocks: {obj}", file=stream)
            return 0
        print(f"{_shown(args.file)}: computation", file=stream)
        print(
            f"{obj.n} states ({reachable} reachable from the inputs), "
            f"{int(obj.halted.sum())} halted, {obj.n_outputs} output values, "
            f"{len(obj.input_values)} inputs, "
            f"states {'named' if obj.state_labels is not None else 'numbered'}",
            file=stream,
        )
        _summary(obj, stream)
        return 0
    if args.command == "report":
        from abstractions.report import abstraction_report

        candidates = {}
        for text in args.candidate:
            name, sep, path = text.partition("=")
            if not sep or not name or not path:
                raise InvalidValueError(
                    f"--candidate {text!r} must be NAME=PARTITION_FILE, e.g. mine=p.npz"
                )
            candidates[name] = path
        with Progress(f"loading {args.file}") as progress:
            C = load(args.file, kind=Computation)
            loaded = {}
            for name, path in candidates.items():
                progress.message = f"loading {path}"
                loaded[name] = load(path, kind=Partition)
            progress.message = "building beta"
            beta = _keep(C, args.keep)
            result, seconds = _timed(
                progress, "comparing candidates",
                lambda: abstraction_report(C, beta, loaded, k=args.k),
            )
        print(f"{_shown(args.file)}: {C.n} states; keeping {args.keep} (beta has {beta.n_blocks} blocks)", file=stream)
        if not C.variables:
            print("the computation has no variables: no support or description length", file=stream)
        print(result.table(), file=stream)
        print(f"pareto front: {', '.join(result.pareto())}", file=stream)
        print(f"time: {seconds:.3f} s", file=stream)
        return 0
    raise ValueError(f"unknown command {args.command!r}")  # pragma: no cover - argparse checks
