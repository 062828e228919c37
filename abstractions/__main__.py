"""Command line: ``python -m abstractions`` (also the ``abstractions`` script).

Commands: ``demo``, ``minimize FILE``, ``check FILE PARTITION_FILE``,
``info FILE`` and ``report FILE`` (see :mod:`abstractions.cli`).

Exit status, for scripts to rely on:

===  ==================================================================
0    success (for ``check``: the partition is complete)
1    ``check`` found the partition not complete
2    any error, reported as one line ``abstractions: error: ...`` on
     stderr, without a traceback (argparse usage errors also exit 2)
130  interrupted (Ctrl-C)
===  ==================================================================

Closing standard output early (``| head``) or running with it closed stops
the output quietly and does not change the status: ``check`` still exits 1
for a partition that is not complete.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, TextIO

__all__ = ["EXIT_ERROR", "EXIT_INTERRUPTED", "main"]

#: Exit status for every error (bad file, bad argument), as argparse uses for usage errors.
EXIT_ERROR = 2
#: Exit status after Ctrl-C (128 + SIGINT), as shells report it.
EXIT_INTERRUPTED = 130


class _Output:
    """Standard output that a closed reader or an unencodable character cannot turn into an error.

    A command's exit status must not depend on whether anyone reads its
    output: after a broken pipe, further output is dropped; text the stream
    cannot encode is written with backslash escapes.
    """

    def __init__(self, stream: TextIO | None) -> None:
        self.stream = stream
        self.closed = stream is None

    def write(self, text: str) -> int:
        if self.stream is None or self.closed:
            return len(text)
        try:
            try:
                self.stream.write(text)
            except UnicodeEncodeError:
                encoding = getattr(self.stream, "encoding", None) or "utf-8"
                self.stream.write(text.encode(encoding, "backslashreplace").decode(encoding))
        except (BrokenPipeError, ValueError, OSError):  # reader gone, or stdout closed
            self._close()
        return len(text)

    def flush(self) -> None:
        if self.stream is None or self.closed:
            return
        try:
            self.stream.flush()
        except (BrokenPipeError, ValueError, OSError):
            self._close()

    def isatty(self) -> bool:
        return False

    def _close(self) -> None:
        self.closed = True
        # Point fd 1 at /dev/null, so the interpreter's own flush at exit
        # does not fail again (it would change the exit status to 120).
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self.stream.fileno() if self.stream is not None else 1)
            os.close(devnull)
        except (OSError, ValueError, AttributeError):
            pass




def _describe(err: BaseException) -> str:
    """One line that says what went wrong, without a traceback."""
    from abstractions.exceptions import AbstractionsError

    if isinstance(err, (AbstractionsError, ValueError, TypeError)):
        text = str(err)
    elif isinstance(err, OSError):
        where = f": {err.filename}" if err.filename else ""
        text = f"{err.strerror or err}{where}"
    elif isinstance(err, MemoryError):
        text = "out of memory"
    else:  # a bug or an unexpected failure: still one line, named by its type
        text = f"{type(err).__name__}: {err}"
    # one line: messages from other libraries may span several
    return " ".join(text.split()) if "\n" in text else text


def _report(message: str) -> None:
    try:
        print(f"abstractions: {message}", file=sys.stderr)
    except (OSError, ValueError, AttributeError):  # stderr closed too: the status still tells
        pass


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status (see the module notes)."""
    from abstractions.cli import add_commands, run_command

    parser = argparse.ArgumentParser(
        prog="abstractions",
        description="Formal abstractions of computations.",
        epilog="exit status: 0 success (check: complete), 1 check: not complete, 2 error, "
        "130 interrupted",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="print a worked example on built-in data")
    demo.add_argument("--bits", type=int, default=3, help="input length of the parity machine")
    add_commands(commands)
    args = parser.parse_args(argv)
    out = _Output(sys.stdout)
    stream: Any = out  # print() takes any object with write()
    try:
        if args.command == "demo":
            from abstractions.demo import run_demo

            run_demo(args.bits, out=stream)
            return 0
        return run_command(args, out=stream)
    except KeyboardInterrupt:
        _report("interrupted")
        return EXIT_INTERRUPTED
    except Exception as err:
        from abstractions._validation import interrupted

        if interrupted(err):
            _report("interrupted")
            return EXIT_INTERRUPTED
        _report(f"error: {_describe(err)}")
        return EXIT_ERROR
    finally:
        out.flush()


if __name__ == "__main__":
    sys.exit(main())
