"""What the commands share, defined once: the options several take (output folder, cache,
quiet, excludes, a whole number such as --top) and the settings they read the same way
(an option, else the environment: ``$ANALYSIS_PATH``, ``$OUTPUT_DIR``), the output folder
proved writable before any scan, and the progress line on a terminal."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from ..core.folders import OutputFolderError, prepare_output_folder
from ..core.progress import ProgressLine
from ..scanning.cache import default_cache_dir
from ..scanning.ignore import InvalidPattern, validate_excludes
from .errors import UsageError

__all__ = [
    "DEFAULT_OUTPUT",
    "add_cache_options",
    "add_excludes",
    "add_output_dir",
    "add_quiet",
    "add_top",
    "analysis_path",
    "cache_dir",
    "excludes",
    "output_dir",
    "prepare_output_dir",
    "progress_line",
    "setting",
    "whole_number",
]

DEFAULT_OUTPUT = "repolens-report"


def whole_number(text: str) -> int:
    """An option's value as a whole number of 1 or more (argparse's ``type``)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def add_output_dir(command: argparse.ArgumentParser, help: str) -> None:
    command.add_argument("-o", "--output-dir", default=None, help=help)


def add_quiet(command: argparse.ArgumentParser, help: str) -> None:
    command.add_argument("-q", "--quiet", action="store_true", help=help)


def add_excludes(
    command: argparse.ArgumentParser,
    help: str = "leave out paths matching a gitignore-style glob (repeatable)",
    from_environment: bool = False,
) -> None:
    """--exclude GLOB, repeatable; none given is [] (None with ``from_environment``: the
    command then reads its default from the environment)."""
    command.add_argument(
        "--exclude",
        action="append",
        default=None if from_environment else [],
        metavar="GLOB",
        help=help,
    )


def add_top(command: argparse.ArgumentParser, default: int | None, help: str) -> None:
    command.add_argument("--top", type=whole_number, default=default, metavar="N", help=help)


def add_cache_options(command: argparse.ArgumentParser, what: str, again: str) -> None:
    """--cache-dir and --no-cache, as scan and history take them."""
    command.add_argument(
        "--cache-dir",
        default=None,
        help=f"{what} (default: $REPOLENS_CACHE_DIR, else {default_cache_dir()})",
    )
    command.add_argument("--no-cache", action="store_true", help=again)


def setting(value: str | None, variable: str, what: str) -> str | None:
    """An option's value, else the environment's (an empty variable counts as unset).

    An option given as an empty string is an error, not a reason to fall back."""
    if value is not None:
        if not value:
            raise UsageError(f"{what} is empty: name a folder")
        return value
    return os.environ.get(variable) or None


def analysis_path(args: argparse.Namespace) -> str:
    path = setting(args.path, "ANALYSIS_PATH", "PATH")
    if path is None:
        raise UsageError("no PATH given and $ANALYSIS_PATH is not set")
    return path


def output_dir(args: argparse.Namespace) -> Path:
    return Path(setting(args.output_dir, "OUTPUT_DIR", "--output-dir") or DEFAULT_OUTPUT)


def prepare_output_dir(folder: Path) -> None:
    """Create the output folder and prove it writable, before any scan: ``UsageError``."""
    try:
        prepare_output_folder(folder)
    except OutputFolderError as error:
        raise UsageError(str(error)) from None


def excludes(globs: Sequence[str]) -> tuple[str, ...]:
    try:
        validate_excludes(globs)
    except InvalidPattern as error:
        raise UsageError(str(error)) from None
    return tuple(globs)


def cache_dir(args: argparse.Namespace) -> Path | None:
    """The cache folder --cache-dir and --no-cache choose (None: no cache)."""
    return None if args.no_cache else Path(args.cache_dir or default_cache_dir())


def progress_line(args: argparse.Namespace) -> ProgressLine | None:
    """Progress on standard error unless -q was given: one line updated in place on a
    terminal, a line every few seconds anywhere else (CI, a Job's log)."""
    if args.quiet:
        return None
    return ProgressLine(sys.stderr)
