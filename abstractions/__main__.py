"""Command line: ``python -m abstractions`` (also the ``abstractions`` script).

Commands: ``demo``, ``minimize FILE``, ``check FILE PARTITION_FILE`` and
``info FILE`` (see :mod:`abstractions.cli`). Exit status: 0 success (for
``check``: complete), 1 ``check`` found the partition not complete, 2 an
error, reported as one line ``abstractions: error: ...`` on stderr (argparse
usage errors also exit 2).
"""

from __future__ import annotations

import argparse
import os
import sys

from abstractions.exceptions import AbstractionsError

__all__ = ["main", "EXIT_ERROR"]

#: Exit status for every error (bad file, bad argument), as argparse uses for usage errors.
EXIT_ERROR = 2


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    from abstractions.cli import add_commands, run_command

    parser = argparse.ArgumentParser(
        prog="abstractions",
        description="Formal abstractions of computations.",
        epilog="exit status: 0 success (check: complete), 1 check: not complete, 2 error",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="print a worked example on built-in data")
    demo.add_argument("--bits", type=int, default=3, help="input length of the parity machine")
    add_commands(commands)
    args = parser.parse_args(argv)
    try:
        if args.command == "demo":
            from abstractions.demo import run_demo

            run_demo(args.bits)
        else:
            return run_command(args)
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (AbstractionsError, ValueError, TypeError) as err:
        print(f"abstractions: error: {err}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as err:
        # e.g. a missing file: strerror and the file name, not a traceback
        where = f": {err.filename}" if err.filename else ""
        print(f"abstractions: error: {err.strerror or err}{where}", file=sys.stderr)
        return EXIT_ERROR
    return 0


if __name__ == "__main__":
    sys.exit(main())
