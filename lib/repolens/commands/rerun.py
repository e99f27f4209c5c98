"""``repolens rerun``: run a repository's notebooks in a sandbox, from the environment it
declares, and compare what they give with what they saved.

Writes rerun.json, rerun.csv, environment.lock.txt, the findings' files and every
executed notebook (``notebooks/<path>``) into the output folder; prints the verdicts and
the findings RR001-RR003 (text, JSON or SARIF). Exit 0 when every notebook reproduced
(or only notes were found), 4 on findings at or above --fail-on, 2 for bad arguments, a
bad root or no usable sandbox (without ``--sandbox none``), 1 unexpected, 130
interrupted."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from ..core.findings import LEVEL_ORDER, Level
from ..core.printable import printable
from ..render.findings import dumps, sarif_document, write_text
from ..rerun.environment import ENVIRONMENTS, uv_available
from ..rerun.execute import Settings
from ..rerun.run import Options, Rerun, rerun
from ..rerun.sandbox import SANDBOXES, SandboxUnavailable, choose
from ..rerun.writers import rerun_document, write_rerun
from ..scanning.options import check_root
from .check import CHECK_FORMATS, FAIL_ON
from .errors import EXIT_FINDINGS, EXIT_OK, UsageError, write_failed
from .options import (
    add_cache_options,
    add_excludes,
    add_output_dir,
    add_quiet,
    analysis_path,
    cache_dir,
    excludes,
    output_dir,
    prepare_output_dir,
    whole_number,
)

__all__ = ["DESCRIPTION", "HELP", "NAME", "add_arguments", "run", "usable_sandbox"]

NAME = "rerun"
HELP = "run the notebooks in a sandbox from the declared environment: do they reproduce?"
DESCRIPTION = (
    "Build the environment PATH declares (with uv, wheels only), run every notebook in a "
    "sandbox (no network, a scratch copy, no host environment, limits), compare the "
    "fresh outputs with the saved ones and say why a notebook failed. Exit 0 when every "
    "notebook reproduced, 4 on findings at or above --fail-on (RR001 error: fails on a "
    "clean run; RR002 warning: results differ; RR003 note: nondeterministic), 2 for bad "
    "arguments or no sandbox."
)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0 or value > 7 * 86400:
        raise argparse.ArgumentTypeError(f"must be above 0 and at most a week, not {text}")
    return value


def _tolerance(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"a relative tolerance is from 0 to below 1, not {text}")
    return value


def add_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "path", nargs="?", default=None, help="the repository (default: $ANALYSIS_PATH)"
    )
    add_output_dir(command, "write rerun.json, rerun.csv, the lock and executed notebooks here")
    command.add_argument(
        "--notebooks", nargs="+", default=[], metavar="GLOB",
        help="only the notebooks matching these globs (the path, or the name)",
    )  # fmt: skip
    command.add_argument(
        "--timeout-cell", type=_seconds, default=600.0, metavar="S",
        help="stop a cell after S seconds (default 600)",
    )  # fmt: skip
    command.add_argument(
        "--timeout-notebook", type=_seconds, default=3600.0, metavar="S",
        help="stop a notebook after S seconds (default 3600)",
    )  # fmt: skip
    command.add_argument(
        "--sandbox", choices=SANDBOXES, default="auto",
        help="where the code runs: auto (podman or docker when usable, else bwrap), or "
        "none to run it without isolation, knowingly (default: auto)",
    )  # fmt: skip
    command.add_argument(
        "--env", dest="environment", choices=ENVIRONMENTS, default="declared",
        help="declared: built from the repository's specification (default); inferred: that "
        "plus what the EN002 check finds missing; current: this interpreter",
    )  # fmt: skip
    command.add_argument(
        "--jobs", type=whole_number, default=1, metavar="N", help="notebooks at once (default 1)"
    )
    command.add_argument(
        "--twice", action="store_true", help="run each notebook twice: nondeterminism vs drift"
    )
    command.add_argument(
        "--tolerance", type=_tolerance, default=1e-6, metavar="REL",
        help="relative tolerance for numbers in outputs (default 1e-6)",
    )  # fmt: skip
    command.add_argument(
        "--fail-on", choices=FAIL_ON, default="error",
        help="exit 4 when a finding is at this level or above (default: error)",
    )  # fmt: skip
    command.add_argument(
        "--format", dest="rerun_format", choices=CHECK_FORMATS, default="text",
        help="what to print: text (default), json (rerun.json) or sarif",
    )  # fmt: skip
    add_excludes(command)
    add_cache_options(
        command,
        "where built environments are kept",
        "build the environment in a temporary cache (nothing reused)",
    )
    add_quiet(command, "print nothing but errors")


class _Say:
    """Progress on standard error: one line rewritten on a terminal, else a line per step."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.terminal = sys.stderr.isatty()
        self.width = 0

    def __call__(self, text: str) -> None:
        if self.quiet or not text:
            return
        line = printable(f"repolens rerun: {text}")
        if self.terminal:
            shown = line[:119]
            sys.stderr.write("\r" + shown.ljust(self.width))
            self.width = len(shown)
            sys.stderr.flush()
        elif ", running " not in text:
            print(line, file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.terminal and self.width:
            sys.stderr.write("\r" + " " * self.width + "\r")
            sys.stderr.flush()


def _print(done: Rerun, document: dict[str, object], fmt: str) -> None:
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="backslashreplace")
    if fmt == "json":
        sys.stdout.write(dumps(document))
        return
    if fmt == "sarif":
        sys.stdout.write(dumps(sarif_document(done.findings, done.result.root)))
        return
    result = done.result
    for item in result.notebooks:
        why = f" ({item.cause.kind.value}: {item.cause.detail})" if item.cause else ""
        reason = f" - {item.execution.reason}" if item.execution.reason and not why else ""
        print(printable(f"{item.verdict.value:>18}  {item.path}{why}{reason}"))
    total = len(result.notebooks)
    print(
        f"{result.reproduced} of {total} notebook{'s' if total != 1 else ''} reproduced "
        f"({done.environment.mode} environment, sandbox {result.sandbox}, "
        f"{result.seconds:.1f} s)."
    )
    if done.environment.problem:
        print(printable(f"The environment was not built: {done.environment.problem}"))
    print()
    write_text(done.findings, sys.stdout, result.root)


def usable_sandbox(name: str, environment: str, flag: str = "") -> str:
    """The sandbox ``--sandbox NAME`` gives here, or exit 2 (UsageError) when there is none
    or when ``--env ENVIRONMENT`` needs uv and uv is not installed; ``flag`` names the option
    that asked for the rerun (``--rerun `` in the portfolio)."""
    try:
        sandbox = choose(name)
    except SandboxUnavailable as error:
        raise UsageError(str(error)) from None
    if environment != "current" and not uv_available():
        raise UsageError(
            f"{flag}--env {environment} builds with uv, which is not installed: "
            "pip install 'repolens[rerun]', or pass --env current"
        )
    return sandbox


def run(args: argparse.Namespace) -> int:
    root = check_root(analysis_path(args))
    left_out = excludes(args.exclude)
    if args.timeout_cell > args.timeout_notebook:
        raise UsageError("--timeout-cell is longer than --timeout-notebook")
    sandbox = usable_sandbox(args.sandbox, args.environment)
    folder = output_dir(args)
    prepare_output_dir(folder)
    settings = Settings(cell_timeout=args.timeout_cell, notebook_timeout=args.timeout_notebook)
    options = Options(
        environment=args.environment,
        sandbox=sandbox,
        notebooks=tuple(args.notebooks),
        jobs=args.jobs,
        twice=args.twice,
        tolerance=args.tolerance,
        settings=settings,
        excludes=(*left_out, *_inside(root, folder)),
    )
    cache = cache_dir(args)
    temporary = None
    if cache is None:
        temporary = tempfile.TemporaryDirectory(prefix="repolens-environments-")
        cache = Path(temporary.name)
    say = _Say(args.quiet)
    try:
        done = rerun(root, options, folder, cache, say)
    finally:
        say.close()
        if temporary is not None:
            temporary.cleanup()
    document = rerun_document(done, settings, args.tolerance, args.jobs, args.twice, True)
    try:
        write_rerun(folder, done, document)
    except OSError as error:
        raise write_failed("the rerun's results", folder, error) from None
    if not args.quiet:
        _print(done, document, args.rerun_format)
    if args.fail_on == "never":
        return EXIT_OK
    failing = LEVEL_ORDER[Level(args.fail_on)]
    hits = [item for item in done.findings if LEVEL_ORDER[item.level] <= failing]
    return EXIT_FINDINGS if hits else EXIT_OK


def _inside(root: str, folder: Path) -> tuple[str, ...]:
    """The output folder as an exclude, when it lies inside the repository."""
    relative = os.path.relpath(os.path.abspath(folder), root)
    if relative.startswith("..") or relative == ".":
        return ()
    return ("/" + relative.replace(os.sep, "/") + "/",)
