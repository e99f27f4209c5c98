"""The command line over the library: parse, check every setting, call, print.

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
import os
import sys
import traceback
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import NoReturn, TextIO

from ._version import __version__
from .core.printable import printable
from .core.units import human_bytes
from .render.summary import Summary
from .scanning.cache import default_cache_dir
from .scanning.ignore import InvalidPattern, validate_excludes
from .scanning.options import ScanError, ScanOptions, ScanResult, check_root
from .scanning.scanner import ScanStream

__all__ = ["main"]

FORMATS = ("json", "csv")
EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_NOTEBOOK, EXIT_FINDINGS = 0, 1, 2, 3, 4
EXIT_REPOSITORY_FAILED = 5
CHECK_FORMATS = ("text", "json", "sarif")
FAIL_ON = ("error", "warning", "note", "never")
DEFAULT_OUTPUT = "repolens-report"
DESCRIPTION = (
    "repolens: reproducible metrics for research code repositories. "
    "'repolens scan' writes metrics.json and files.csv; 'repolens report' adds charts "
    "and an HTML report. Exit codes: 0 success, 1 unexpected failure, 2 bad arguments, "
    "settings, root or output folder, 3 a report notebook cell failed, 4 'repolens check' "
    "found problems at or above --fail-on, 5 'repolens portfolio': a repository failed."
)


class UsageError(Exception):
    """Bad arguments: exit 2 with one line."""


class WriteFailed(Exception):
    """A report could not be written after the scan (disk full, say): exit 1, one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _formats(text: str) -> tuple[str, ...]:
    chosen = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [part for part in chosen if part not in FORMATS]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(
            f"unknown format {', '.join(unknown) or repr(text)}; choose from {', '.join(FORMATS)}"
        )
    return chosen


def _top(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def _cache_options(command: argparse.ArgumentParser, what: str, again: str) -> None:
    """--cache-dir, --no-cache and -q, as scan and history take them."""
    command.add_argument(
        "--cache-dir",
        default=None,
        help=f"{what} (default: $REPOLENS_CACHE_DIR, else {default_cache_dir()})",
    )
    command.add_argument("--no-cache", action="store_true", help=again)
    command.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="repolens", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"repolens {__version__}")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)
    command = commands.add_parser(
        "scan",
        help="analyse a tree and write metrics.json and files.csv",
        description="Analyse every file under PATH and write the metrics reports.",
    )
    command.add_argument(
        "path",
        nargs="?",
        default=None,
        help="the tree to analyse (default: $ANALYSIS_PATH)",
    )
    command.add_argument(
        "-o",
        "--output-dir",
        default=None,
        help=f"where reports go (default: $OUTPUT_DIR, else ./{DEFAULT_OUTPUT})",
    )
    command.add_argument(
        "--format",
        type=_formats,
        default=FORMATS,
        metavar="LIST",
        help="comma-separated report files to write: json,csv (default: both)",
    )
    command.add_argument(
        "--json",
        dest="json_stream",
        choices=["-"],
        default=None,
        help="'--json -' prints the metrics document to stdout instead of the summary",
    )
    command.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="GLOB",
        help="leave out paths matching a gitignore-style glob (repeatable)",
    )
    command.add_argument(
        "--no-gitignore",
        action="store_true",
        help="do not apply .gitignore rules (they apply only inside a git work tree)",
    )
    command.add_argument(
        "--follow-symlinks",
        action="store_true",
        help="follow symbolic links (each directory is still visited once)",
    )
    command.add_argument(
        "--top",
        type=_top,
        default=10,
        metavar="N",
        help="length of the largest-files lists (default: 10)",
    )
    _cache_options(command, "incremental cache folder", "read every file again")

    report = commands.add_parser(
        "report",
        help="run the analysis notebook on a tree and write the HTML report",
        description="Execute the analysis notebook with papermill on PATH, writing the "
        "executed notebook, metrics.json, files.csv, charts and report.html into the "
        "output folder. Settings come from the options, else from the environment.",
    )
    report.add_argument(
        "path", nargs="?", default=None, help="the tree to analyse (default: $ANALYSIS_PATH)"
    )
    report.add_argument(
        "-o",
        "--output-dir",
        default=None,
        help=f"where the report goes (default: $OUTPUT_DIR, else ./{DEFAULT_OUTPUT})",
    )
    report.add_argument(
        "--top",
        type=_top,
        default=None,
        metavar="N",
        help="rows in the rankings (default: $REPOLENS_TOP_N, else 10)",
    )
    report.add_argument(
        "--exclude",
        action="append",
        default=None,
        metavar="GLOB",
        help="leave out paths matching a glob (repeatable; default: "
        "$REPOLENS_EXCLUDE, comma-separated)",
    )
    report.add_argument(
        "--title", default=None, help="the report's heading (default: $REPOLENS_TITLE)"
    )
    report.add_argument(
        "--notebook",
        default=None,
        help="the notebook to run (default: $REPOLENS_NOTEBOOK, else the one installed "
        "with repolens)",
    )
    report.add_argument(
        "--baseline",
        default=None,
        metavar="METRICS_JSON",
        help="an earlier metrics.json of the same tree: the report says what changed "
        "(default: $REPOLENS_BASELINE)",
    )
    report.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")

    checker = commands.add_parser(
        "check",
        help="say what stops the tree from being reproduced, with evidence and a fix",
        description="Scan PATH once and run every check: notebooks, absolute paths, the "
        "environment, assets, junk, duplicates, secrets, findability. Exit 4 when a finding "
        "is at or above --fail-on.",
    )
    checker.add_argument(
        "path",
        nargs="*",
        default=[],
        help="the tree to check (default: $ANALYSIS_PATH); or files, as pre-commit passes "
        "them: the tree is the working folder and only findings in those files are reported",
    )
    checker.add_argument(
        "--format",
        dest="check_format",
        choices=CHECK_FORMATS,
        default="text",
        help="what to print: text for people (default), json, or sarif (SARIF 2.1.0)",
    )
    checker.add_argument(
        "--fail-on",
        choices=FAIL_ON,
        default="error",
        help="exit 4 when a finding is at this level or above (default: error)",
    )
    checker.add_argument(
        "--select",
        action="append",
        default=[],
        metavar="IDS",
        help="only these checks "
        "or families, comma-separated (NB,PA001); replaces the tree's own select",
    )
    checker.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="IDS",
        help="leave these checks or families out, comma-separated; adds to the tree's own ignore",
    )
    checker.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="GLOB",
        help="leave out paths matching a gitignore-style glob (repeatable)",
    )
    checker.add_argument(
        "-o",
        "--output-dir",
        default=None,
        help="also write metrics.json, files.csv, findings.csv, findings.json and "
        "findings.sarif here",
    )
    checker.add_argument(
        "--sarif-base",
        default=None,
        metavar="DIR",
        help="make SARIF paths relative to DIR (the repository root when the tree is a "
        "sub-folder of it), not to the tree",
    )
    checker.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    # The portfolio's own output folder, left out of each repository's scan by identity.
    checker.add_argument("--skip-folder", action="append", default=[], help=argparse.SUPPRESS)

    history = commands.add_parser(
        "history",
        help="how the repository grew: the tree at every commit of its first-parent line",
        description="Read the first-parent line of REV in the git repository holding PATH "
        "(only its folder PATH when that is below the top) and write history.json and "
        "history.csv: files, bytes and lines by category and language, notebooks, LFS "
        "pointers and the largest files at every commit, and the commits where large files "
        "and large folders arrived. Each distinct blob is analysed once (cached by blob id).",
    )
    history.add_argument(
        "path",
        nargs="?",
        default=None,
        help="the repository (default: $ANALYSIS_PATH, else the working folder)",
    )
    history.add_argument(
        "--rev", default="HEAD", help="the commit whose line is read (default: HEAD)"
    )
    history.add_argument(
        "--since", default=None, metavar="DATE", help="only commits from DATE on (YYYY-MM-DD)"
    )
    history.add_argument(
        "--max-commits", type=_top, default=None, metavar="N", help="only the newest N commits"
    )
    history.add_argument(
        "-o",
        "--output-dir",
        default=None,
        help="where history.json and history.csv go "
        f"(default: $OUTPUT_DIR, else ./{DEFAULT_OUTPUT})",
    )
    _cache_options(history, "blob cache folder", "analyse every blob again")

    portfolio = commands.add_parser(
        "portfolio",
        help="scan and check many repositories, then compare them in one table",
        description="Analyse every repository of LIST (scan and every check) into "
        "DIR/<name>/, then merge the rows into DIR/portfolio.json and portfolio.csv. LIST is "
        "a text file of folders (one per line, '#' comments, relative to the list's folder) "
        "or a folder whose subfolders are the repositories. With --shard (or "
        "$JOB_COMPLETION_INDEX and $REPOLENS_SHARDS, as in a Kubernetes Indexed Job) only "
        "that shard is analysed and nothing is merged; --merge only merges the rows of the "
        "run (--run-id). Exit 5 when a repository failed, is missing or is stale (the others "
        "and the table are still written); 130 on Ctrl-C, 143 on SIGTERM.",
    )
    portfolio.add_argument(
        "list",
        nargs="?",
        default=None,
        metavar="LIST",
        help="the list file or folder (default: $REPOLENS_PORTFOLIO_LIST)",
    )
    portfolio.add_argument(
        "-o",
        "--output-dir",
        default=None,
        help=f"where results go (default: $OUTPUT_DIR, else ./{DEFAULT_OUTPUT})",
    )
    portfolio.add_argument(
        "--jobs",
        type=_top,
        default=None,
        metavar="N",
        help="repositories analysed at once, each in its own process (default: the CPUs; "
        "1 with --shard)",
    )
    portfolio.add_argument(
        "--shard",
        default=None,
        metavar="INDEX/COUNT",
        help="analyse only the repositories at positions p with p %% COUNT == INDEX",
    )
    portfolio.add_argument(
        "--merge",
        action="store_true",
        help="only merge the results that exist (the step after the sharded runs)",
    )
    portfolio.add_argument(
        "--shards",
        type=_top,
        default=None,
        metavar="COUNT",
        help="with --merge: how many shards ran (default: $REPOLENS_SHARDS, else 1)",
    )
    portfolio.add_argument(
        "--run-id",
        default=None,
        metavar="ID",
        help="the run's id, written into every row; a merge takes only rows of its run and "
        "names the others stale (default: $REPOLENS_RUN_ID; a run that analyses and merges "
        "everything makes one; --shard and --merge need the same one)",
    )
    portfolio.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    return parser


def print_summary(result: ScanResult, summary: Summary, written: list[Path], out: TextIO) -> None:
    """The short human summary printed after a scan."""
    total = summary.files
    print(
        f"{printable(result.root)}: {total.files:,} files, {human_bytes(total.size_bytes)}, "
        f"{total.counts.code:,} lines of code ({total.counts.comment:,} comment, "
        f"{total.counts.blank:,} blank) in {result.elapsed:.2f} s",
        file=out,
    )
    width = max([len(name) for name in summary.by_category] + [8])
    print(f"  {'category':<{width}} {'files':>9} {'size':>10} {'code':>10}", file=out)
    for name, group in summary.by_category.items():
        print(
            f"  {name:<{width}} {group.files:>9,} {human_bytes(group.size_bytes):>10} "
            f"{group.counts.code:>10,}",
            file=out,
        )
    notebooks = summary.notebooks
    if notebooks.notebooks or notebooks.invalid:
        print(
            f"  notebooks: {notebooks.notebooks} ({notebooks.cells} cells, "
            f"{human_bytes(notebooks.output_bytes)} of outputs, "
            f"{notebooks.with_errors} with errors, "
            f"{notebooks.out_of_order} run out of order, {notebooks.invalid} invalid)",
            file=out,
        )
    if summary.largest:
        largest = summary.largest[0]
        print(f"  largest: {printable(largest.path)} ({human_bytes(largest.size_bytes)})", file=out)
    unusual = {state: n for state, n in summary.by_state.items() if state != "ok"}
    if unusual:
        print("  states: " + ", ".join(f"{state} {n:,}" for state, n in unusual.items()), file=out)
    if result.gitignored or result.excluded:
        print(
            f"  left out: {result.gitignored:,} git-ignored, {result.excluded:,} excluded", file=out
        )
    for note in (*result.notes, result.cache_note):
        if note:
            print(f"  note: {printable(note)}", file=out)
    for path in written:
        print(f"  wrote {printable(str(path))}", file=out)


def _setting(value: str | None, variable: str, what: str) -> str | None:
    """An option's value, else the environment's (an empty variable counts as unset).

    An option given as an empty string is an error, not a reason to fall back."""
    if value is not None:
        if not value:
            raise UsageError(f"{what} is empty: name a folder")
        return value
    return os.environ.get(variable) or None


def _analysis_path(args: argparse.Namespace) -> str:
    path = _setting(args.path, "ANALYSIS_PATH", "PATH")
    if path is None:
        raise UsageError("no PATH given and $ANALYSIS_PATH is not set")
    return path


def _output_dir(args: argparse.Namespace) -> Path:
    return Path(_setting(args.output_dir, "OUTPUT_DIR", "--output-dir") or DEFAULT_OUTPUT)


def prepare_output_dir(folder: Path) -> None:
    """Create the output folder and prove it writable, before any scan: ``UsageError``."""
    from .core.folders import OutputFolderError, prepare_output_folder

    try:
        prepare_output_folder(folder)
    except OutputFolderError as error:
        raise UsageError(str(error)) from None


def _excludes(globs: Sequence[str]) -> tuple[str, ...]:
    try:
        validate_excludes(globs)
    except InvalidPattern as error:
        raise UsageError(str(error)) from None
    return tuple(globs)


def _run_scan(args: argparse.Namespace) -> int:
    from .render.report import REPORT_FILES, ReportWriter
    from .render.summary import Summariser

    path = _analysis_path(args)
    to_stdout = args.json_stream == "-"
    output_dir = _output_dir(args)
    cache_dir = None if args.no_cache else Path(args.cache_dir or default_cache_dir())
    excludes = _excludes(args.exclude)
    check_root(path)
    if not to_stdout:
        prepare_output_dir(output_dir)

    progress = None
    if sys.stderr.isatty() and not args.quiet:
        from .core.progress import ProgressLine

        progress = ProgressLine(sys.stderr)
    try:
        writer = ReportWriter(None if to_stdout else output_dir, args.format)
    except OSError as error:
        raise WriteFailed(
            f"cannot write the reports into {output_dir}: {error.strerror or error}"
        ) from None
    options = ScanOptions(
        gitignore=False if args.no_gitignore else None,
        excludes=excludes,
        follow_symlinks=args.follow_symlinks,
        cache_dir=cache_dir,
        skip=(output_dir, *(output_dir / name for name in REPORT_FILES), *writer.own_paths()),
    )
    try:
        stream = ScanStream(path, options, progress)  # checks the root and the settings
    except BaseException:
        writer.discard()
        raise
    summariser = Summariser(args.top)
    try:
        for record in stream:
            summariser.add(record)
            stream.encoded = writer.add(record, stream.encoded)  # rows kept by the cache
        result = stream.result()
        summary = summariser.summary()
        written: list[Path] = []
        if to_stdout:
            if hasattr(sys.stdout, "reconfigure"):  # no string may stop the document halfway
                sys.stdout.reconfigure(errors="backslashreplace")
            writer.write_json(sys.stdout, result, summary)
            sys.stdout.flush()
        else:
            written = writer.finish(result, summary)
    except OSError as error:
        if to_stdout:
            raise
        raise WriteFailed(
            f"cannot write the reports into {output_dir}: {error.strerror or error}"
        ) from None
    finally:
        writer.discard()
        if progress is not None:
            progress.close()
    if not args.quiet:
        print_summary(result, summary, written, sys.stderr if to_stdout else sys.stdout)
    return 0


def _check_targets(paths: list[str]) -> tuple[str, frozenset[str] | None]:
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


def _in_files(path: str, files: frozenset[str]) -> bool:
    """A finding about one of the files, or about a folder holding one (junk folders)."""
    if not path:
        return False
    if path.endswith("/"):
        return any(name.startswith(path) for name in files)
    return path in files


def _run_check(args: argparse.Namespace) -> int:
    from .checks import ConfigError, Level, check, load_settings
    from .checks.config import parse_ids
    from .core.records import FileRecord
    from .render.findings import dumps, sarif_document, write_findings_csv, write_text
    from .render.report import REPORT_FILES, ReportWriter
    from .render.summary import Summariser

    target, files = _check_targets(args.path)
    args.path = target or None
    path = _analysis_path(args)
    root = check_root(path)
    excludes = _excludes(args.exclude)
    try:
        select = parse_ids(",".join(args.select), "--select")
        ignore = parse_ids(",".join(args.ignore), "--ignore")
        settings = load_settings(root).merged(select, ignore)
    except ConfigError as error:
        raise UsageError(str(error)) from None
    prefix = ""
    if args.sarif_base is not None:
        prefix = os.path.relpath(root, os.path.abspath(args.sarif_base)).replace(os.sep, "/")
        if prefix.startswith(".."):
            raise UsageError(f"--sarif-base {args.sarif_base}: the tree is not inside it")
        prefix = "" if prefix == "." else prefix + "/"
    output_dir = None if args.output_dir is None else _output_dir(args)
    if output_dir is not None:
        prepare_output_dir(output_dir)
    progress = None
    if sys.stderr.isatty() and not args.quiet:
        from .core.progress import ProgressLine

        progress = ProgressLine(sys.stderr)
    summariser = Summariser()
    writer = None
    try:
        if output_dir is not None:
            writer = ReportWriter(output_dir)
    except OSError as error:
        raise WriteFailed(
            f"cannot write the findings into {output_dir}: {error.strerror or error}"
        ) from None
    skip = (
        ()
        if output_dir is None or writer is None
        else (
            output_dir,
            *(output_dir / name for name in (*REPORT_FILES, *CHECK_FILES)),
            *writer.own_paths(),
        )
    ) + tuple(args.skip_folder)

    def consume(record: FileRecord) -> None:
        summariser.add(record)
        if writer is not None:
            writer.add(record)

    try:
        outcome = check(
            root,
            ScanOptions(excludes=excludes, skip=skip),
            settings,
            progress,
            consume=consume,
            hold=False,
        )
    except OSError as error:  # the scan records its own read errors: this is a write failing
        if writer is None:
            raise
        writer.discard()
        raise WriteFailed(
            f"cannot write the findings into {output_dir}: {error.strerror or error}"
        ) from None
    except BaseException:
        if writer is not None:
            writer.discard()
        raise
    finally:
        if progress is not None:
            progress.close()
    findings = outcome.findings
    if files is not None:
        findings = tuple(item for item in findings if _in_files(item.path, files))
        outcome = replace(outcome, findings=findings)
    document = _findings_document(outcome)
    sarif = None
    if output_dir is not None or args.check_format == "sarif":  # it re-reads notebooks
        sarif = sarif_document(findings, root, _notebook_lines(root, findings), prefix)
    if output_dir is not None and writer is not None:
        try:
            writer.finish(outcome.scan, summariser.summary(), findings)
            write_findings_csv(output_dir / "findings.csv", findings)
            _write(output_dir / "findings.json", dumps(document))
            _write(output_dir / "findings.sarif", dumps(sarif))
        except OSError as error:
            raise WriteFailed(
                f"cannot write the findings into {output_dir}: {error.strerror or error}"
            ) from None
    if not args.quiet:
        if hasattr(sys.stdout, "reconfigure"):
            sys.stdout.reconfigure(errors="backslashreplace")
        if args.check_format == "json":
            sys.stdout.write(dumps(document))
        elif args.check_format == "sarif":
            sys.stdout.write(dumps(sarif))
        else:
            write_text(findings, sys.stdout, outcome.scan.root)
    for problem in (outcome.settings.note, *outcome.problems):
        if problem:
            print(f"repolens: note: {printable(problem)}", file=sys.stderr)
    failing = None if args.fail_on == "never" else Level(args.fail_on)
    return EXIT_FINDINGS if outcome.at_or_above(failing) else EXIT_OK


CHECK_FILES = ("findings.csv", "findings.json", "findings.sarif")


def _write(path: Path, text: str) -> None:
    from .core.atomic import atomic_write

    with atomic_write(path, "w") as handle:
        handle.write(text)


def _findings_document(outcome) -> dict:  # type: ignore[no-untyped-def]
    from .render.findings import finding_dict

    return {
        "tool": {"name": "repolens", "version": __version__},
        "root": outcome.scan.root,
        "settings": outcome.settings.source or None,
        "counts": outcome.counts(),
        "by_check": outcome.by_check(),
        "findings": [finding_dict(item) for item in outcome.findings],
    }


def _notebook_lines(root: str, findings) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    """The lines of the notebooks that findings point into (for SARIF regions)."""
    from .core import safeio
    from .core.records import path_bytes

    lines: dict[str, list[str]] = {}
    for item in findings:
        if item.cell is not None and item.path not in lines:
            try:
                real = os.fsdecode(path_bytes(item.path))  # the name, not its shown form
                data = safeio.read_content(os.path.join(root, real), 64 << 20)
            except OSError:
                continue
            lines[item.path] = data.decode("utf-8", "replace").split("\n")
    return lines


def _run_history(args: argparse.Namespace) -> int:
    from .history import HistoryError, HistoryOptions, run_history
    from .history.git import parse_since

    path = _setting(args.path, "ANALYSIS_PATH", "PATH") or "."
    output_dir = _output_dir(args)
    cache_dir = None if args.no_cache else Path(args.cache_dir or default_cache_dir())
    try:
        since = None if args.since is None else parse_since(args.since)
    except HistoryError as error:
        raise UsageError(str(error)) from None
    check_root(path)
    prepare_output_dir(output_dir)
    progress = None
    if sys.stderr.isatty() and not args.quiet:
        from .core.progress import ProgressLine

        progress = ProgressLine(sys.stderr)
    options = HistoryOptions(
        rev=args.rev, since=since, max_commits=args.max_commits, cache_dir=cache_dir
    )
    try:
        result = run_history(path, output_dir, options, progress)
    except HistoryError as error:
        raise UsageError(str(error)) from None
    except OSError as error:
        raise WriteFailed(
            f"cannot write the history into {output_dir}: {error.strerror or error}"
        ) from None
    finally:
        if progress is not None:
            progress.close()
    if not args.quiet:
        print_history(result, sys.stdout)
    return 0


def print_history(result, out: TextIO) -> None:  # type: ignore[no-untyped-def]
    """The short human summary printed after ``repolens history``."""
    first, last = result.first or {}, result.last or {}
    print(
        f"{printable(result.repository)}: {result.commits:,} commits from "
        f"{(first.get('time') or '?')[:10]} to {(last.get('time') or '?')[:10]}; "
        f"{result.blobs:,} distinct blobs, "
        f"{result.analysed:,} analysed in this run, in {result.elapsed:.2f} s",
        file=out,
    )
    for label, row in (("first", first), ("now", last)):
        if row:
            print(
                f"  {label:>5}: {row['files']:,} files, {human_bytes(row['bytes'])}, "
                f"{row['code']:,} lines of code, {row['notebooks']['notebooks']:,} notebooks",
                file=out,
            )
    for event in result.events[:10]:
        what = "folder of" if event.kind == "large_folder" else "file of"
        size = f"{event.files:,} files, " if event.kind == "large_folder" else ""
        print(
            f"  {event.commit[:10]} {printable(event.path)}: {what} "
            f"{size}{human_bytes(event.bytes)}" + (" (LFS)" if event.lfs else ""),
            file=out,
        )
    if len(result.events) > 10:
        print(f"  ... and {len(result.events) - 10} more arrivals in history.json", file=out)
    for note in result.notes:
        print(f"  note: {printable(note)}", file=out)
    for path in result.written:
        print(f"  wrote {printable(str(path))}", file=out)


PORTFOLIO_ENVIRONMENT = (
    "REPOLENS_PORTFOLIO_LIST",
    "OUTPUT_DIR",
    "REPOLENS_SHARDS",
    "REPOLENS_RUN_ID",
    "JOB_COMPLETION_INDEX",
)
"""Every variable ``repolens portfolio`` reads (the Indexed Job sets the last itself)."""
EXIT_TERMINATED = 143  # 128 + SIGTERM, as a shell and Kubernetes report a process it ended


def _shard(args: argparse.Namespace) -> tuple[int, int] | None:
    """(index, count) from --shard, else from an Indexed Job's environment; None: all."""
    text = args.shard
    if text is None and os.environ.get("JOB_COMPLETION_INDEX"):
        count = os.environ.get("REPOLENS_SHARDS")
        if not count:
            raise UsageError("$JOB_COMPLETION_INDEX is set but $REPOLENS_SHARDS is not")
        text = f"{os.environ['JOB_COMPLETION_INDEX']}/{count}"
    if text is None:
        return None
    index, slash, count = text.partition("/")
    try:
        pair = int(index), int(count)
    except ValueError:
        pair = (-1, 0)
    if not slash or pair[1] < 1 or not 0 <= pair[0] < pair[1]:
        raise UsageError(f"shard {text!r}: give INDEX/COUNT with 0 <= INDEX < COUNT")
    return pair


def _shard_count(args: argparse.Namespace) -> int:
    if args.shards is not None:
        return int(args.shards)
    text = os.environ.get("REPOLENS_SHARDS") or "1"
    try:
        return _top(text)
    except argparse.ArgumentTypeError as error:
        raise UsageError(f"$REPOLENS_SHARDS: {error}") from None


def _run_id(args: argparse.Namespace, alone: bool) -> str:
    """The run's id: --run-id, else $REPOLENS_RUN_ID, else (for a run that analyses and
    merges every repository itself) a new one."""
    from .portfolio.rows import RUN_ID, new_run_id

    text = args.run_id if args.run_id is not None else os.environ.get("REPOLENS_RUN_ID") or None
    if text is None:
        if alone:
            return new_run_id()
        raise UsageError(
            "a shard and a merge need the run's id: give --run-id ID or set $REPOLENS_RUN_ID, "
            "the same for every shard and for the merge"
        )
    if not RUN_ID.fullmatch(text):
        raise UsageError(
            f"run id {printable(repr(text)[:80])}: 1 to 128 letters, digits and . _ : -, "
            "starting with a letter or digit"
        )
    return text


def _run_portfolio(args: argparse.Namespace) -> int:
    """The portfolio, with SIGTERM (as Kubernetes stops a pod) ending it like Ctrl-C:
    every worker ended first, then exit 143 (Ctrl-C: 130, from ``main``)."""
    import signal

    terminated = []

    def on_terminate(number: int, _frame: object) -> None:
        terminated.append(number)
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, on_terminate)
    except ValueError:  # not the main thread: SIGTERM is not delivered here anyway
        previous = None
    try:
        return _portfolio(args)
    except KeyboardInterrupt:
        if not terminated:
            raise
        print("repolens: terminated", file=sys.stderr)
        return EXIT_TERMINATED
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _portfolio(args: argparse.Namespace) -> int:
    from .portfolio.listing import ListError, read_list, shard_of
    from .portfolio.merge import STATUSES, merge
    from .portfolio.run import analyse_all

    source = _setting(args.list, "REPOLENS_PORTFOLIO_LIST", "LIST")
    if source is None:
        raise UsageError("no LIST given and $REPOLENS_PORTFOLIO_LIST is not set")
    output_dir = _output_dir(args)
    shard = None if args.merge else _shard(args)
    if args.merge and args.shard is not None:
        raise UsageError("--merge and --shard do not go together: merge after the shards ran")
    run_id = _run_id(args, alone=not args.merge and shard is None)
    try:
        repositories = read_list(source, skip=output_dir)
    except ListError as error:
        raise UsageError(str(error)) from None
    prepare_output_dir(output_dir)
    out = sys.stderr
    if not args.merge:
        mine = repositories
        if shard is not None:
            mine = [repo for repo in repositories if shard_of(repo.index, shard[1]) == shard[0]]
        if args.jobs is not None:
            jobs = args.jobs
        elif shard is not None:  # a pod of an Indexed Job: the cluster runs the shards at once
            jobs = 1
        else:
            jobs = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1

        def report(repository, row, done: int, total: int) -> None:  # type: ignore[no-untyped-def]
            if not args.quiet:
                what = (
                    row["status"] if row["status"] == "ok" else f"{row['status']}: {row['reason']}"
                )
                print(
                    f"[{done}/{total}] {printable(repository.name)}: {printable(what)} "
                    f"({row.get('seconds', 0):.1f} s)",
                    file=out,
                    flush=True,
                )

        where = "" if shard is None else f" (shard {shard[0]} of {shard[1]})"
        if not args.quiet:
            print(
                f"repolens: analysing {len(mine)} of {len(repositories)} repositories{where} "
                f"into {printable(str(output_dir))}, {min(jobs, max(len(mine), 1))} at a time, "
                f"run {printable(run_id)}",
                file=out,
                flush=True,
            )
        try:
            rows = analyse_all(mine, output_dir, jobs, report, run_id=run_id)
        except OSError as error:
            raise WriteFailed(
                f"cannot write into {output_dir}: {error.strerror or error}"
            ) from None
        if shard is not None:  # a pod of the Indexed Job: the merge is a later step
            return EXIT_REPOSITORY_FAILED if any(row["status"] != "ok" for row in rows) else 0
    shards = _shard_count(args) if args.merge else 1
    try:
        document = merge(repositories, output_dir, shards, run_id=run_id)
    except OSError as error:
        raise WriteFailed(
            f"cannot write the portfolio into {output_dir}: {error.strerror or error}"
        ) from None
    counts = document["counts"]
    if not args.quiet:
        print(
            f"repolens: portfolio of {document['repositories']} repositories "
            f"(run {printable(run_id)}): "
            + ", ".join(f"{counts[status]} {status}" for status in STATUSES)
            + f"; wrote {printable(str(output_dir / 'portfolio.json'))} and "
            + f"{printable(str(output_dir / 'portfolio.csv'))}",
            file=out,
        )
        for row in document["rows"]:
            if row["status"] != "ok":
                print(
                    f"  {printable(row['name'])} (shard {row['shard']}): {row['status']}: "
                    f"{printable(row['reason'])}",
                    file=out,
                )
        if document["failed_shards"] and shards > 1:
            failed = ", ".join(str(index) for index in document["failed_shards"])
            print(f"  shards with failures: {failed}", file=out)
    return EXIT_REPOSITORY_FAILED if counts["ok"] != document["repositories"] else 0


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


def _check_settings(root: str) -> None:
    """The tree's check settings, read before the notebook runs: settings that cannot work
    are exit 2 here, not a failed cell (exit 3) later."""
    from .checks import ConfigError, load_settings

    try:
        load_settings(root)
    except ConfigError as error:
        raise UsageError(str(error)) from None


def _run_report(args: argparse.Namespace) -> int:
    from .render.reporting import NotebookFailed, find_notebook, run_report

    path = _analysis_path(args)
    output_dir = _output_dir(args)
    if args.top is not None:
        top = args.top
    else:
        try:
            top = _top(os.environ.get("REPOLENS_TOP_N") or "10")
        except argparse.ArgumentTypeError as error:
            raise UsageError(f"$REPOLENS_TOP_N: {error}") from None
    excludes = args.exclude
    if excludes is None:
        excludes = [
            g.strip() for g in os.environ.get("REPOLENS_EXCLUDE", "").split(",") if g.strip()
        ]
    excludes = list(_excludes(excludes))
    title = args.title if args.title is not None else os.environ.get("REPOLENS_TITLE", "")
    baseline = (
        args.baseline if args.baseline is not None else os.environ.get("REPOLENS_BASELINE", "")
    )
    if baseline:
        from .render.baseline import BaselineError, load_baseline

        try:
            load_baseline(baseline)
        except BaselineError as error:
            raise UsageError(f"--baseline {error}") from None
        baseline = os.path.abspath(baseline)
    root = check_root(path)
    _check_settings(root)
    try:
        notebook = find_notebook(args.notebook)
    except FileNotFoundError as error:
        raise UsageError(str(error)) from None
    prepare_output_dir(output_dir)
    if not args.quiet:
        print(
            f"repolens: analysing {printable(path)} into {printable(str(output_dir))}",
            file=sys.stderr,
            flush=True,
        )
    try:
        files = run_report(
            root,
            output_dir,
            notebook=notebook,
            top_n=top,
            exclude=excludes,
            title=title,
            baseline=baseline,
        )
    except NotebookFailed as error:
        print(f"repolens: the report notebook failed: {printable(str(error))}", file=sys.stderr)
        return EXIT_NOTEBOOK
    if not args.quiet:
        print(
            f"repolens: wrote {printable(str(files.html))} and {printable(str(files.notebook))}",
            file=sys.stderr,
        )
    return 0


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())[:300]
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _save_traceback() -> str:
    """Write the current traceback to a file for a bug report; say where, or print it
    when ``REPOLENS_DEBUG`` is set or no file can be written."""
    details = "".join(f"{printable(line)}\n" for line in traceback.format_exc().splitlines())
    if os.environ.get("REPOLENS_DEBUG"):
        print(details, file=sys.stderr, end="")
        return ""
    import tempfile

    try:
        descriptor, path = tempfile.mkstemp(prefix="repolens-traceback-", suffix=".txt")
        with os.fdopen(descriptor, "w", encoding="utf-8", errors="backslashreplace") as handle:
            handle.write(details)
    except OSError:
        print(details, file=sys.stderr, end="")
        return ""
    return f" (details for a bug report: {path})"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help(sys.stderr)
            return 2
        if args.command == "report":
            return _run_report(args)
        if args.command == "check":
            return _run_check(args)
        if args.command == "history":
            return _run_history(args)
        if args.command == "portfolio":
            return _run_portfolio(args)
        return _run_scan(args)
    except (UsageError, ScanError) as error:
        print(f"repolens: error: {printable(str(error))}", file=sys.stderr)
        return EXIT_USAGE
    except WriteFailed as error:
        print(f"repolens: error: {printable(str(error))}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print("repolens: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1
    except Exception as error:  # an unexpected failure: one line, the traceback in a file
        print(
            f"repolens: unexpected failure: {printable(_one_line(error))}{_save_traceback()}",
            file=sys.stderr,
        )
        return EXIT_FAILURE
