"""Command line: ``python -m abstractions demo`` (also the ``abstractions`` script)."""

from __future__ import annotations

import argparse
import os
import sys

from abstractions.exceptions import AbstractionsError

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = argparse.ArgumentParser(
        prog="abstractions",
        description="Formal abstractions of computations.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="print a worked example on built-in data")
    demo.add_argument("--bits", type=int, default=3, help="input length of the parity machine")
    args = parser.parse_args(argv)
    try:
        if args.command == "demo":
            from abstractions.demo import run_demo

            run_demo(args.bits)
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (AbstractionsError, ValueError, TypeError) as err:
        print(f"abstractions: error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
