"""``repolens check``: scan a tree once, run every selected check, print the findings
(text, JSON or SARIF) and, with -o, write them beside the metrics reports. Exit 4 when a
finding is at or above --fail-on."""

from __future__ import annotations

import argparse
import os
import sys

from ..analysis.checking import check_into
from ..checks import ConfigError, Level, load_settings
from ..checks.config import parse_ids
from ..core.printable import printable
from ..render.findings import dumps, write_text
from ..scanning.options import check_root
from .errors import EXIT_FINDINGS, EXIT_OK, UsageError, write_failed
from .options import (
    add_excludes,
    add_output_dir,
    add_quiet,
    analysis_path,
    excludes,
    output_dir,
    prepare_output_dir,
    progress_line,
)

__all__ = ["CHECK_FORMATS", "DESCRIPTION", "FAIL_ON", "HELP", "NAME", "add_arguments", "run"]

NAME = "check"
HELP = "say what stops the tree from being reproduced, with evidence and a fix"
DESCRIPTION = (
    "Scan PATH once and run every check: notebooks, absolute paths, the "
    "environment, assets, junk, duplicates, secrets, findability. Exit 4 when a finding "
    "is at or above --fail-on."
)
CHECK_FORMATS = ("text", "json", "sarif")
FAIL_ON = ("error", "warning", "note", "never")


def add_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "path",
        nargs="*",
        default=[],
        help="the tree to check (default: $ANALYSIS_PATH); or files, as pre-commit passes "
        "them: the tree is the working folder and only findings in those files are reported",
    )
    command.add_argument(
        "--format",
        dest="check_format",
        choices=CHECK_FORMATS,
        default="text",
        help="what to print: text for people (default), json, or sarif (SARIF 2.1.0)",
    )
    command.add_argument(
        "--fail-on",
        choices=FAIL_ON,
        default="error",
        help="exit 4 when a finding is at this level or above (default: error)",
    )
    command.add_argument(
        "--select",
        action="append",
        default=[],
        metavar="IDS",
        help="only these checks "
        "or families, comma-separated (NB,PA001); replaces the tree's own select",
    )
    command.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="IDS",
        help="leave these checks or families out, comma-separated; adds to the tree's own ignore",
    )
    add_excludes(command)
    add_output_dir(
        command,
        "also write metrics.json, files.csv, findings.csv, findings.json and findings.sarif here",
    )
    command.add_argument(
        "--sarif-base",
        default=None,
        metavar="DIR",
        help="make SARIF paths relative to DIR (the repository root when the tree is a "
        "sub-folder of it), not to the tree",
    )
    add_quiet(command, "print nothing but errors")
    # Folders left out of the scan by identity (whatever path leads to them), unlisted.


def _targets(paths: list[str]) -> tuple[str, frozenset[str] | None]:
    """The tree and, when files were named (pre-commit), those files relative to it."""
    if not paths:
        return "", None
    if len(paths) == 1 and os.path.isdir(paths[0]):
        return paths[0], None
    root = os.getcwd()
    files = set()
    for path in paths:
        if not path:
            raise UsageError("PATH is empty: name a folder, or files")
        if os.path.isdir(path):
            raise UsageError(f"{path}: name one folder, or only files (as pre-commit passes)")
        if not os.path.lexists(path):
            raise UsageError(f"{path}: no such file or folder")
        relative = os.path.relpath(os.path.abspath(path), root)
        if relative.startswith(".."):
            raise UsageError(f"{path}: not inside the working folder {root}")
        files.add(relative.replace(os.sep, "/"))
    return root, frozenset(files)


def _sarif_prefix(root: str, base: str | None) -> str:
    """The tree's place under --sarif-base, put before every SARIF path."""
    if base is None:
        return ""
    prefix = os.path.relpath(root, os.path.abspath(base)).replace(os.sep, "/")
    if prefix.startswith(".."):
        raise UsageError(f"--sarif-base {base}: the tree is not inside it")
    return "" if prefix == "." else prefix + "/"


def run(args: argparse.Namespace) -> int:
    target, files = _targets(args.path)
    args.path = target or None
    path = analysis_path(args)
    root = check_root(path)
    left_out = excludes(args.exclude)
    try:
        select = parse_ids(",".join(args.select), "--select")
        ignore = parse_ids(",".join(args.ignore), "--ignore")
        settings = load_settings(root).merged(select, ignore)
    except ConfigError as error:
        raise UsageError(str(error)) from None
    prefix = _sarif_prefix(root, args.sarif_base)
    folder = None if args.output_dir is None else output_dir(args)
    if folder is not None:
        prepare_output_dir(folder)
    progress = progress_line(args)
    try:
        report = check_into(
            root,
            settings,
            folder,
            excludes=left_out,
            files=files,
            sarif_prefix=prefix,
            sarif=args.check_format == "sarif",
            progress=progress,
        )
    except OSError as error:  # the scan records its own read errors: this is a write failing
        if folder is None:
            raise
        raise write_failed("the findings", folder, error) from None
    finally:
        if progress is not None:
            progress.close()
    outcome = report.checked.outcome
    if not args.quiet:
        if hasattr(sys.stdout, "reconfigure"):
            sys.stdout.reconfigure(errors="backslashreplace")
        if args.check_format == "json":
            sys.stdout.write(dumps(report.document))
        elif args.check_format == "sarif":
            sys.stdout.write(dumps(report.sarif))
        else:
            write_text(outcome.findings, sys.stdout, outcome.scan.root)
    for problem in (outcome.settings.note, *outcome.problems):
        if problem:
            print(f"repolens: note: {printable(problem)}", file=sys.stderr)
    failing = None if args.fail_on == "never" else Level(args.fail_on)
    return EXIT_FINDINGS if outcome.at_or_above(failing) else EXIT_OK
