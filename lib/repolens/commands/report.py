"""``repolens report``: run the analysis notebook with papermill on a tree, writing the
executed notebook, the metrics reports, the charts and report.html. Settings come from
the options, else from the environment (``REPORT_ENVIRONMENT``: what a Job's ConfigMap
may set)."""

from __future__ import annotations

import argparse
import os
import sys

from ..checks import ConfigError, load_settings
from ..core.printable import printable
from ..render.baseline import BaselineError, load_baseline
from ..render.reporting import NotebookFailed, find_notebook, run_report
from ..scanning.options import check_root
from .errors import EXIT_NOTEBOOK, UsageError
from .options import (
    DEFAULT_OUTPUT,
    add_excludes,
    add_output_dir,
    add_quiet,
    add_top,
    analysis_path,
    excludes,
    output_dir,
    prepare_output_dir,
    progress_line,
    whole_number,
)

__all__ = ["DESCRIPTION", "HELP", "NAME", "REPORT_ENVIRONMENT", "add_arguments", "run"]

NAME = "report"
HELP = "run the analysis notebook on a tree and write the HTML report"
DESCRIPTION = (
    "Execute the analysis notebook with papermill on PATH, writing the "
    "executed notebook, metrics.json, files.csv, charts and report.html into the "
    "output folder. Settings come from the options, else from the environment."
)
REPORT_ENVIRONMENT = (
    "ANALYSIS_PATH",
    "OUTPUT_DIR",
    "REPOLENS_TOP_N",
    "REPOLENS_EXCLUDE",
    "REPOLENS_TITLE",
    "REPOLENS_NOTEBOOK",
    "REPOLENS_BASELINE",
)
"""Every variable ``repolens report`` reads: the Job's ConfigMap may set exactly these."""


def add_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "path", nargs="?", default=None, help="the tree to analyse (default: $ANALYSIS_PATH)"
    )
    add_output_dir(
        command, f"where the report goes (default: $OUTPUT_DIR, else ./{DEFAULT_OUTPUT})"
    )
    add_top(command, None, "rows in the rankings (default: $REPOLENS_TOP_N, else 10)")
    add_excludes(
        command,
        "leave out paths matching a glob (repeatable; default: $REPOLENS_EXCLUDE, comma-separated)",
        from_environment=True,
    )
    command.add_argument(
        "--title", default=None, help="the report's heading (default: $REPOLENS_TITLE)"
    )
    command.add_argument(
        "--notebook",
        default=None,
        help="the notebook to run (default: $REPOLENS_NOTEBOOK, else the one installed "
        "with repolens)",
    )
    command.add_argument(
        "--baseline",
        default=None,
        metavar="METRICS_JSON",
        help="an earlier metrics.json of the same tree: the report says what changed "
        "(default: $REPOLENS_BASELINE)",
    )
    add_quiet(command, "print nothing on success")


def _top(args: argparse.Namespace) -> int:
    if args.top is not None:
        return int(args.top)
    try:
        return whole_number(os.environ.get("REPOLENS_TOP_N") or "10")
    except argparse.ArgumentTypeError as error:
        raise UsageError(f"$REPOLENS_TOP_N: {error}") from None


def _baseline(args: argparse.Namespace) -> str:
    """The baseline's absolute path ('' for none), read once here so that one that
    cannot be read is exit 2 now, not a failed cell later."""
    baseline = (
        args.baseline if args.baseline is not None else os.environ.get("REPOLENS_BASELINE", "")
    )
    if not baseline:
        return baseline
    try:
        load_baseline(baseline)
    except BaselineError as error:
        raise UsageError(f"--baseline {error}") from None
    return os.path.abspath(baseline)


def _check_settings(root: str) -> None:
    """The tree's check settings, read before the notebook runs: settings that cannot work
    are exit 2 here, not a failed cell (exit 3) later."""
    try:
        load_settings(root)
    except ConfigError as error:
        raise UsageError(str(error)) from None


def run(args: argparse.Namespace) -> int:
    path = analysis_path(args)
    folder = output_dir(args)
    top = _top(args)
    globs = args.exclude
    if globs is None:
        globs = [g.strip() for g in os.environ.get("REPOLENS_EXCLUDE", "").split(",") if g.strip()]
    left_out = list(excludes(globs))
    title = args.title if args.title is not None else os.environ.get("REPOLENS_TITLE", "")
    baseline = _baseline(args)
    root = check_root(path)
    _check_settings(root)
    try:
        notebook = find_notebook(args.notebook)
    except FileNotFoundError as error:
        raise UsageError(str(error)) from None
    prepare_output_dir(folder)
    if not args.quiet:
        print(
            f"repolens: analysing {printable(path)} into {printable(str(folder))}",
            file=sys.stderr,
            flush=True,
        )
    progress = progress_line(args)
    try:
        files = run_report(
            root,
            folder,
            notebook=notebook,
            top_n=top,
            exclude=left_out,
            title=title,
            baseline=baseline,
            progress=progress,
        )
    except NotebookFailed as error:
        print(f"repolens: the report notebook failed: {printable(str(error))}", file=sys.stderr)
        return EXIT_NOTEBOOK
    finally:
        if progress is not None:
            progress.close()
    if not args.quiet:
        print(
            f"repolens: wrote {printable(str(files.html))} and {printable(str(files.notebook))}",
            file=sys.stderr,
        )
    return 0
