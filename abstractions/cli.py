"""The ``minimize``, ``check``, ``info``, ``describe`` and ``report`` commands of ``python -m abstractions``.

Every command reads any system :func:`abstractions.formats.load_model`
reads: the library's ``.npz`` and ``.json`` files of every kind, Aldebaran
``.aut``, Storm ``.drn``, and PRISM or JANI models through stormpy
(``--constants`` sets their undefined constants). ``minimize --quotient
FILE`` writes the abstract system in the format of ``FILE``'s suffix, e.g.
``abstractions minimize model.aut --quotient reduced.aut``; its states
carry names (:func:`abstractions.block_names`).

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
from abstractions.exceptions import FileFormatError, InvalidValueError
from abstractions.partition import Partition
from abstractions.system import System

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
    """Add ``minimize``, ``check``, ``info``, ``describe`` and ``report`` to an argparse subparsers object."""
    from abstractions.minimal import METHODS

    model_help = (
        "a system: .npz or .json (abstractions.save), .aut (Aldebaran), .drn (Storm), "
        ".pm/.prism/.nm (PRISM) or .jani (JANI; these two need stormpy)"
    )
    keep_help = (
        "what beta keeps: output, halting, finish, or several joined by '+' (default: "
        "output+halting for a computation, output for the other kinds)"
    )
    constants_help = "values of a PRISM or JANI model's undefined constants, e.g. N=3,p=0.5"

    minimize = commands.add_parser(
        "minimize",
        help="the minimal complete abstraction of a saved system",
        description="Compute the minimal complete abstraction above the kept information, "
        "print its block count, the abstract system (its states named after their blocks) "
        "and the time taken.",
    )
    minimize.add_argument("file", help=model_help)
    minimize.add_argument("--keep", type=_keep_value, default=None, help=keep_help)
    minimize.add_argument("--method", choices=list(METHODS), default="auto", help="algorithm")
    minimize.add_argument("--out", metavar="PARTITION_FILE", help="save the abstraction here (.npz or .json)")
    minimize.add_argument(
        "--quotient", metavar="SYSTEM_FILE",
        help="save the abstract system here, in the format of its suffix (.npz, .json, .aut, .drn)",
    )  # fmt: skip
    minimize.add_argument("--constants", help=constants_help)

    check = commands.add_parser(
        "check",
        help="is a saved partition complete for a saved system?",
        description="Exit 0 if the partition is complete, 1 with a violation witness if not, "
        "2 on errors.",
    )
    check.add_argument("file", help="the system (" + model_help.split(": ", 1)[1] + ")")
    check.add_argument("partition_file", metavar="PARTITION_FILE", help="the partition")
    check.add_argument("--constants", help=constants_help)

    info = commands.add_parser("info", help="describe a saved system or partition")
    info.add_argument("file")
    info.add_argument("--constants", help=constants_help)

    describe = commands.add_parser(
        "describe",
        help="a table of the blocks of an abstraction: names, sizes, states, outputs, steps",
        description="Print one row per block: its name, size, first states, output and "
        "abstract step. Without PARTITION_FILE, the minimal complete abstraction above --keep.",
    )
    describe.add_argument("file", help=model_help)
    describe.add_argument("partition_file", metavar="PARTITION_FILE", nargs="?", help="the partition")
    describe.add_argument("--keep", type=_keep_value, default=None, help=keep_help)
    describe.add_argument("--constants", help=constants_help)

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


def _keep(S: System, text: str | None) -> tuple[str, Partition]:
    """The kept information ``beta`` that ``--keep`` names (defaults by kind), and its text."""
    from abstractions.keep import finish_abstraction, halting_abstraction, output_abstraction

    computation = isinstance(S, Computation)
    if text is None:
        text = "output+halting" if computation else "output"
    makers: dict[str, Callable[[Any], Partition]] = {
        "output": output_abstraction,
        "halting": halting_abstraction,
        "finish": finish_abstraction,
    }
    parts = list(dict.fromkeys(text.split("+")))
    if not computation:
        for part in parts:
            if part != "output":
                raise InvalidValueError(
                    f"--keep {part} needs a computation (it has halting states); a {S.kind} "
                    f"system keeps its output (--keep output)"
                )
    beta = makers[parts[0]](S)
    for part in parts[1:]:
        beta = beta | makers[part](S)
    return text, beta


def _summary(S: System, out: TextIO) -> None:
    print(repr(S), file=out)
    text = str(S)
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


def _load_system(path: str, constants: str | None) -> System:
    from abstractions.formats import load_model

    options = {"constants": constants} if constants else {}
    if constants and os.path.splitext(path)[1].lower() not in (".pm", ".prism", ".nm", ".sm", ".jani"):
        raise InvalidValueError("--constants is for PRISM and JANI models (.pm, .prism, .nm, .jani)")
    obj = load_model(path, progress=False, **options)
    if not isinstance(obj, System):
        raise FileFormatError(path, "holds a partition, expected a system")
    return obj


def _kind(S: System) -> str:
    """What a system is, in a few words: ``"computation"``, ``"Markov chain (exact)"``."""
    from abstractions.systems import ContinuousTimeMarkovChain, MarkovChain

    if isinstance(S, Computation):
        return "computation"
    if isinstance(S, (MarkovChain, ContinuousTimeMarkovChain)):
        what = "Markov chain" if isinstance(S, MarkovChain) else "CTMC"
        return f"{what} ({'exact' if S.exact else f'floats, tol={S.tol:g}'})"
    if S.kind == "labelled":
        return "labelled system (DFA / Moore machine)"
    return "nondeterministic system (LTS)" if S.symbols is not None else "nondeterministic system"  # type: ignore[attr-defined]


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def run_command(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Run a parsed ``minimize``, ``check``, ``info``, ``describe`` or ``report`` command; return the exit status."""
    from abstractions.files import load

    stream = sys.stdout if out is None else out
    constants = getattr(args, "constants", None)
    # Everything slow runs inside one Progress (loading a big file takes time
    # too); results are printed after it, so stdout never interleaves with
    # the spinner's line on the same terminal.
    if args.command == "minimize":
        from abstractions.completeness import abstract_computation
        from abstractions.files import save
        from abstractions.formats import save_model
        from abstractions.minimal import minimal_complete_abstraction

        for option, target in (("--out", args.out), ("--quotient", args.quotient)):
            if target and _same_file(args.file, target):
                # checked before any work: the result would replace the input
                raise InvalidValueError(
                    f"{option} {_shown(target)} is the input file {_shown(args.file)}; refusing to "
                    f"write over the system (choose another file)"
                )
        if args.out and os.path.splitext(args.out)[1].lower() in (".aut", ".drn"):
            raise InvalidValueError(
                f"--out saves the abstraction (a partition: .npz or .json); write the abstract "
                f"system to {_shown(args.out)} with --quotient"
            )
        with Progress(f"loading {args.file}") as progress:
            S = _load_system(args.file, constants)
            progress.message = "building beta"
            keep, beta = _keep(S, args.keep)
            alpha, seconds = _timed(
                progress, "minimizing",
                lambda: minimal_complete_abstraction(S, beta, method=args.method, progress=False),
            )
            progress.message = "building the abstract system"
            A, _ = abstract_computation(S, alpha)
            if args.out:
                progress.message = f"saving {args.out}"
                save(alpha, args.out)
            if args.quotient:
                progress.message = f"saving {args.quotient}"
                save_model(A, args.quotient)
        what = "computation" if isinstance(S, Computation) else "system"
        print(f"{_shown(args.file)}: {_kind(S)}, {_plural(S.n, 'state')}; keeping {keep} "
              f"(beta has {_plural(beta.n_blocks, 'block')})", file=stream)  # fmt: skip
        print(f"minimal complete abstraction: {_plural(alpha.n_blocks, 'block')} for "
              f"{_plural(S.n, 'state')}", file=stream)  # fmt: skip
        print(f"abstract {what}:", end=" ", file=stream)
        _summary(A, stream)
        print(f"time: {seconds:.3f} s", file=stream)
        if args.out:
            print(f"saved the abstraction to {_shown(args.out)}", file=stream)
        if args.quotient:
            print(f"saved the abstract {what} to {_shown(args.quotient)}", file=stream)
        return 0
    if args.command == "check":
        from abstractions.completeness import abstract_computation, find_violation
        from abstractions.exceptions import NotCompleteError, SizeMismatchError

        with Progress(f"loading {args.file}") as progress:
            S = _load_system(args.file, constants)
            progress.message = f"loading {args.partition_file}"
            P = load(args.partition_file, kind=Partition)
            if P.n != S.n:
                raise SizeMismatchError(
                    f"the partition is a partition of {_plural(P.n, 'state')}, but the "
                    f"{'computation' if isinstance(S, Computation) else 'system'} has "
                    f"{_plural(S.n, 'state')}"
                )
            witness, seconds = _timed(progress, "checking", lambda: find_violation(S, P))
            explanation = ""
            if witness is not None and not isinstance(S, Computation):
                try:  # the library's own account of where the transitions differ
                    abstract_computation(S, P, names=None)
                except NotCompleteError as err:
                    explanation = str(err).removeprefix("the partition is not complete: ")
        if witness is None:
            print(f"complete: {_plural(P.n_blocks, 'block')} for {_plural(S.n, 'state')} "
                  f"({seconds:.3f} s)", file=stream)  # fmt: skip
            return 0
        if explanation:
            print(f"not complete: {explanation}", file=stream)
            return EXIT_NOT_COMPLETE
        assert isinstance(S, Computation)
        m1, m2 = witness
        s1, s2 = int(S.step[m1]), int(S.step[m2])
        print(
            f"not complete: states {S.label(m1)!r} and {S.label(m2)!r} share block "
            f"{int(P.labels[m1])}, but step to {S.label(s1)!r} (block {int(P.labels[s1])}) "
            f"and {S.label(s2)!r} (block {int(P.labels[s2])})",
            file=stream,
        )
        return EXIT_NOT_COMPLETE
    if args.command == "describe":
        from abstractions.explain import describe
        from abstractions.minimal import minimal_complete_abstraction

        with Progress(f"loading {args.file}") as progress:
            S = _load_system(args.file, constants)
            if args.partition_file:
                if args.keep:
                    raise InvalidValueError("give either PARTITION_FILE or --keep, not both")
                progress.message = f"loading {args.partition_file}"
                P = load(args.partition_file, kind=Partition)
                title = f"{_plural(P.n_blocks, 'block')} of {_shown(args.partition_file)}"
            else:
                keep, beta = _keep(S, args.keep)
                progress.message = "minimizing"
                P = minimal_complete_abstraction(S, beta, progress=False)
                title = (f"minimal complete abstraction above {keep}: "
                         f"{_plural(P.n_blocks, 'block')} for {_plural(S.n, 'state')}")  # fmt: skip
            progress.message = "describing"
            table = describe(S, P, as_frame=False)
        print(f"{_shown(args.file)}: {_kind(S)}; {title}", file=stream)
        print(table, file=stream)
        return 0
    if args.command == "info":
        from abstractions.formats import load_model

        with Progress(f"loading {args.file}") as progress:
            options = {"constants": constants} if constants else {}
            obj = load_model(args.file, progress=False, **options)
            progress.message = "finding the reachable states"
            reachable = obj.reachable_states().shape[0] if isinstance(obj, System) else 0
        if isinstance(obj, Partition):
            sizes = obj.block_sizes()
            shown = f", block sizes {int(sizes.min())}..{int(sizes.max())}" if obj.n else ""
            print(f"{_shown(args.file)}: partition of {_plural(obj.n, 'state')} into "
                  f"{_plural(obj.n_blocks, 'block')}{shown}", file=stream)  # fmt: skip
            if obj.n and obj.n <= 32:
                print(f"blocks: {obj}", file=stream)
            return 0
        print(f"{_shown(args.file)}: {_kind(obj)}", file=stream)
        parts = [f"{_plural(obj.n, 'state')} ({reachable} reachable from the inputs)"]
        if isinstance(obj, Computation):
            parts.append(f"{int(obj.halted.sum())} halted")
        else:
            parts.append(_plural(obj.n_transitions, "transition"))
            if obj.symbols is not None:
                parts.append(_plural(len(obj.symbols), "symbol"))
        parts += [
            _plural(obj.n_outputs, "output value"),
            _plural(len(obj.input_values), "input"),
            f"states {'named' if obj.state_labels is not None else 'numbered'}",
        ]
        print(", ".join(parts), file=stream)
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
            keep, beta = _keep(C, args.keep)
            result, seconds = _timed(
                progress, "comparing candidates",
                lambda: abstraction_report(C, beta, loaded, k=args.k),
            )
        print(f"{_shown(args.file)}: {_plural(C.n, 'state')}; keeping {keep} (beta has "
              f"{_plural(beta.n_blocks, 'block')})", file=stream)
        if not C.variables:
            print("the computation has no variables: no support or description length", file=stream)
        print(result.table(), file=stream)
        print(f"pareto front: {', '.join(result.pareto())}", file=stream)
        print(f"time: {seconds:.3f} s", file=stream)
        return 0
    raise ValueError(f"unknown command {args.command!r}")  # pragma: no cover - argparse checks
