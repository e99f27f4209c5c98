"""``repolens portfolio``: scan and check every repository of a list into its own
folder, locally in worker processes or one shard per pod of an Indexed Job, then merge
the rows into one table. SIGTERM (as Kubernetes stops a pod) ends it as Ctrl-C does:
every worker ended first."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from typing import Any

from ..core.printable import printable
from ..core.progress import progress_text
from ..portfolio.listing import ListError, Repository, read_list, shard_of
from ..portfolio.merge import STATUSES, merge
from ..portfolio.reproduce import RerunRequest
from ..portfolio.rows import RUN_ID, new_run_id
from ..portfolio.run import analyse_all
from ..rerun.environment import ENVIRONMENTS
from ..rerun.run import Options
from ..rerun.sandbox import SANDBOXES
from ..scanning.cache import default_cache_dir
from .errors import EXIT_REPOSITORY_FAILED, EXIT_TERMINATED, UsageError, write_failed
from .options import (
    DEFAULT_OUTPUT,
    add_output_dir,
    add_quiet,
    output_dir,
    prepare_output_dir,
    setting,
    whole_number,
)
from .pages import add_page_option, write_page
from .rerun import usable_sandbox

__all__ = ["DESCRIPTION", "HELP", "NAME", "PORTFOLIO_ENVIRONMENT", "add_arguments", "run"]

NAME = "portfolio"
HELP = "scan and check many repositories, then compare them in one table"
DESCRIPTION = (
    "Analyse every repository of LIST (scan and every check) into "
    "DIR/<name>/, then merge the rows into DIR/portfolio.json and portfolio.csv. LIST is "
    "a text file of folders (one per line, '#' comments, relative to the list's folder) "
    "or a folder whose subfolders are the repositories. With --shard (or "
    "$JOB_COMPLETION_INDEX and $REPOLENS_SHARDS, as in a Kubernetes Indexed Job) only "
    "that shard is analysed and nothing is merged; --merge only merges the rows of the "
    "run (--run-id). With --rerun each repository's notebooks are also rerun in a sandbox "
    "(as repolens rerun does, into DIR/<name>/rerun/) and the table gains how many "
    "reproduced. Exit 5 when a repository failed, is missing or is stale (the others "
    "and the table are still written); 2 when --rerun has no sandbox; 130 on Ctrl-C, 143 "
    "on SIGTERM. A run that merges also writes the page portfolio.html."
)
PORTFOLIO_ENVIRONMENT = (
    "REPOLENS_PORTFOLIO_LIST",
    "OUTPUT_DIR",
    "REPOLENS_SHARDS",
    "REPOLENS_RUN_ID",
    "JOB_COMPLETION_INDEX",
)
"""Every variable ``repolens portfolio`` reads (the Indexed Job sets the last itself)."""


def add_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "list",
        nargs="?",
        default=None,
        metavar="LIST",
        help="the list file or folder (default: $REPOLENS_PORTFOLIO_LIST)",
    )
    add_output_dir(command, f"where results go (default: $OUTPUT_DIR, else ./{DEFAULT_OUTPUT})")
    command.add_argument(
        "--jobs",
        type=whole_number,
        default=None,
        metavar="N",
        help="repositories analysed at once, each in its own process (default: the CPUs; "
        "1 with --shard)",
    )
    command.add_argument(
        "--shard",
        default=None,
        metavar="INDEX/COUNT",
        help="analyse only the repositories at positions p with p %% COUNT == INDEX",
    )
    command.add_argument(
        "--merge",
        action="store_true",
        help="only merge the results that exist (the step after the sharded runs)",
    )
    command.add_argument(
        "--shards",
        type=whole_number,
        default=None,
        metavar="COUNT",
        help="with --merge: how many shards ran (default: $REPOLENS_SHARDS, else 1)",
    )
    command.add_argument(
        "--run-id",
        default=None,
        metavar="ID",
        help="the run's id, written into every row; a merge takes only rows of its run and "
        "names the others stale (default: $REPOLENS_RUN_ID; a run that analyses and merges "
        "everything makes one; --shard and --merge need the same one)",
    )
    add_page_option(command, "portfolio.html")
    command.add_argument(
        "--rerun",
        action="store_true",
        help="also rerun each repository's notebooks in a sandbox and compare their outputs "
        "(repolens rerun): the table gains a reproduction column and sorts by it",
    )
    command.add_argument(
        "--sandbox",
        choices=SANDBOXES,
        default="auto",
        help="with --rerun: where the notebooks run (default: auto, as repolens rerun)",
    )
    command.add_argument(
        "--env",
        dest="environment",
        choices=ENVIRONMENTS,
        default="declared",
        help="with --rerun: the environment each rerun builds (default: declared)",
    )
    add_quiet(command, "print nothing but errors")


def _rerun(args: argparse.Namespace) -> RerunRequest | None:
    """How each repository is rerun with --rerun (exit 2 now when it cannot be)."""
    if not args.rerun:
        return None
    sandbox = usable_sandbox(args.sandbox, args.environment, "--rerun ")
    options = Options(environment=args.environment, sandbox=sandbox)
    return RerunRequest(options, str(default_cache_dir()))


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
        return whole_number(text)
    except argparse.ArgumentTypeError as error:
        raise UsageError(f"$REPOLENS_SHARDS: {error}") from None


def _run_id(args: argparse.Namespace, alone: bool) -> str:
    """The run's id: --run-id, else $REPOLENS_RUN_ID, else (for a run that analyses and
    merges every repository itself) a new one."""
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


def run(args: argparse.Namespace) -> int:
    """The portfolio, with SIGTERM (as Kubernetes stops a pod) ending it like Ctrl-C:
    every worker ended first, then exit 143 (Ctrl-C: 130, from the command line)."""
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


def _jobs(args: argparse.Namespace, shard: tuple[int, int] | None) -> int:
    if args.jobs is not None:
        return int(args.jobs)
    if shard is not None:  # a pod of an Indexed Job: the cluster runs the shards at once
        return 1
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1


def _portfolio(args: argparse.Namespace) -> int:
    source = setting(args.list, "REPOLENS_PORTFOLIO_LIST", "LIST")
    if source is None:
        raise UsageError("no LIST given and $REPOLENS_PORTFOLIO_LIST is not set")
    folder = output_dir(args)
    shard = None if args.merge else _shard(args)
    if args.merge and args.shard is not None:
        raise UsageError("--merge and --shard do not go together: merge after the shards ran")
    run_id = _run_id(args, alone=not args.merge and shard is None)
    rerun = None if args.merge else _rerun(args)
    try:
        repositories = read_list(source, skip=folder)
    except ListError as error:
        raise UsageError(str(error)) from None
    prepare_output_dir(folder)
    out = sys.stderr
    if not args.merge:
        mine = repositories
        if shard is not None:
            mine = [repo for repo in repositories if shard_of(repo.index, shard[1]) == shard[0]]
        jobs = _jobs(args, shard)

        started = time.monotonic()

        def report(repository: Repository, row: dict[str, Any], done: int, total: int) -> None:
            if not args.quiet:
                what = (
                    row["status"] if row["status"] == "ok" else f"{row['status']}: {row['reason']}"
                )
                if row.get("rerun_notebooks") is not None:
                    what += f", {row['reproduced']}/{row['rerun_notebooks']} reproduced"
                if row.get("rerun_problem"):
                    what += f" (rerun: {row['rerun_problem']})"
                print(
                    f"[{done}/{total}] {printable(repository.name)}: {printable(what)} "
                    f"({row.get('seconds', 0):.1f} s); "
                    + progress_text("portfolio", done, total, time.monotonic() - started),
                    file=out,
                    flush=True,
                )

        where = "" if shard is None else f" (shard {shard[0]} of {shard[1]})"
        if not args.quiet:
            print(
                f"repolens: analysing {len(mine)} of {len(repositories)} repositories{where} "
                f"into {printable(str(folder))}, {min(jobs, max(len(mine), 1))} at a time, "
                f"run {printable(run_id)}",
                file=out,
                flush=True,
            )
        try:
            rows = analyse_all(mine, folder, jobs, report, run_id=run_id, rerun=rerun)
        except OSError as error:
            raise write_failed("", folder, error) from None
        if shard is not None:  # a pod of the Indexed Job: the merge is a later step
            return EXIT_REPOSITORY_FAILED if any(row["status"] != "ok" for row in rows) else 0
    shards = _shard_count(args) if args.merge else 1
    try:
        document = merge(repositories, folder, shards, run_id=run_id)
    except OSError as error:
        raise write_failed("the portfolio", folder, error) from None
    counts = document["counts"]
    if not args.quiet:
        print(
            f"repolens: portfolio of {document['repositories']} repositories "
            f"(run {printable(run_id)}): "
            + ", ".join(f"{counts[status]} {status}" for status in STATUSES)
            + f"; wrote {printable(str(folder / 'portfolio.json'))} and "
            + f"{printable(str(folder / 'portfolio.csv'))}",
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
    if not args.no_page:
        parameters = {"results": str(folder.resolve()), "repositories": ""}
        title = f"Portfolio of {document['repositories']:,} repositories"
        drawn = write_page("portfolio.ipynb", folder, parameters, title, args.quiet)
        if drawn:
            return drawn
    return EXIT_REPOSITORY_FAILED if counts["ok"] != document["repositories"] else 0
