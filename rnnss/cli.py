"""The ``rnnss`` command line: the demo tour and the library's main jobs from the shell."""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

__all__ = ["main"]


class UsageError(Exception):
    """A user error reported as one line with exit code 2 (no traceback)."""


def _cmd_demo(args: argparse.Namespace) -> int:
    from .demo import demo_report

    print(demo_report(), end="")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one sub-parser per subcommand."""
    parser = argparse.ArgumentParser(
        prog="rnnss",
        description="Recurrent neural networks as state-space systems.",
    )
    from . import __version__

    parser.add_argument("--version", action="version", version=f"rnnss {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = sub.add_parser("demo", help="tour of what rnnss shows about a built-in model", description="Print a report on the built-in default model.")
    demo.set_defaults(func=_cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``rnnss`` console script; returns the exit code.

    Exit codes: 0 success, 2 bad usage or bad input (a one-line message on stderr, no traceback).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args))
    except (UsageError, ValueError, TypeError, OSError) as exc:
        print(f"rnnss {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
