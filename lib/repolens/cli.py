"""The command line: the parser assembled from the commands (``commands/``, one module
each), and every exception mapped to its exit code (``commands.errors``), nothing else.

Exit codes: 0 success; 2 bad arguments, settings or root, or an output folder that
cannot be written (one line on stderr, checked before any scan, nothing written);
3 the report notebook failed in a cell (its one-line error on stderr); 4 ``repolens
check`` found problems at or above --fail-on; 5 ``repolens portfolio``: a repository
failed, is missing or is stale (the rest and the table are written); 1 an
unexpected failure (one line; the traceback goes to a file it names, or to stderr
with ``REPOLENS_DEBUG=1``), or a report that could not be written after the scan;
130 interrupted (Ctrl-C); 143 ``repolens portfolio`` stopped by SIGTERM (its workers
ended first, in both cases).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn

from ._version import __version__
from .commands import COMMANDS
from .commands.errors import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_USAGE, UsageError, WriteFailed
from .core.failures import failure_line
from .core.printable import printable
from .scanning.options import ScanError

__all__ = ["build_parser", "main"]

DESCRIPTION = (
    "repolens: reproducible metrics for research code repositories. "
    "'repolens scan' writes metrics.json and files.csv; 'repolens report' adds charts "
    "and an HTML report. Exit codes: 0 success, 1 unexpected failure, 2 bad arguments, "
    "settings, root or output folder, 3 a report notebook cell failed, 4 'repolens check' "
    "found problems at or above --fail-on, 5 'repolens portfolio': a repository failed."
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


def build_parser() -> argparse.ArgumentParser:
    """``repolens`` and one subcommand per module of ``COMMANDS``."""
    parser = _Parser(prog="repolens", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"repolens {__version__}")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)
    for command in COMMANDS:
        command.add_arguments(
            commands.add_parser(command.NAME, help=command.HELP, description=command.DESCRIPTION)
        )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = build_parser()
    runs = {command.NAME: command.run for command in COMMANDS}
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        return runs[args.command](args)
    except (UsageError, ScanError) as error:
        print(f"repolens: error: {printable(str(error))}", file=sys.stderr)
        return EXIT_USAGE
    except WriteFailed as error:
        print(f"repolens: error: {printable(str(error))}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print("repolens: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_FAILURE
    except Exception as error:  # an unexpected failure: one line, the traceback in a file
        print(f"repolens: {failure_line(error)}", file=sys.stderr)
        return EXIT_FAILURE
