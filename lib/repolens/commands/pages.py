"""The page a command writes beside its documents: a bundled notebook run on them with
papermill and turned into HTML (``render.reporting.notebook_page``): ``history.html``
after ``repolens history``, ``portfolio.html`` after ``repolens portfolio``. Without the
notebook extras installed, the documents are written and a note says how to get the
page."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path
from typing import Any

from ..core.printable import printable
from ..core.progress import ProgressLine
from .errors import EXIT_NOTEBOOK

__all__ = ["add_page_option", "write_page"]


def add_page_option(command: argparse.ArgumentParser, page: str) -> None:
    command.add_argument(
        "--no-page",
        action="store_true",
        help=f"write the documents only, not {page} (which runs a notebook)",
    )


def write_page(
    notebook: str, folder: Path, parameters: dict[str, Any], title: str, quiet: bool
) -> int:
    """Run the bundled ``notebook`` into ``folder`` and write its page; 0, or
    ``EXIT_NOTEBOOK`` with one line when a cell failed. A missing papermill is a note."""
    from ..render.reporting import PAGES, NotebookFailed, notebook_page

    page = PAGES[notebook]
    if importlib.util.find_spec("papermill") is None:
        print(
            f"repolens: note: {page} not written: it needs the notebook extras "
            '(pip install "repolens[notebooks]")',
            file=sys.stderr,
        )
        return 0
    if not quiet:
        print(f"repolens: drawing {page}", file=sys.stderr, flush=True)
    progress = None if quiet else ProgressLine(sys.stderr)
    try:
        files = notebook_page(notebook, folder, parameters, title, progress=progress)
    except NotebookFailed as error:
        print(f"repolens: the {page} notebook failed: {printable(str(error))}", file=sys.stderr)
        return EXIT_NOTEBOOK
    finally:
        if progress is not None:
            progress.close()
    if not quiet:
        print(f"repolens: wrote {printable(str(files.html))}", file=sys.stderr)
    return 0
