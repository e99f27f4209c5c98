"""``repolens notebook-path``: where the installed package keeps a bundled notebook, so
papermill can run it from any folder (``papermill "$(repolens notebook-path)" ...``)."""

from __future__ import annotations

import argparse

from ..core.printable import printable
from ..render.reporting import PAGES, bundled_notebook
from .errors import UsageError

__all__ = ["DESCRIPTION", "HELP", "NAME", "NOTEBOOKS", "add_arguments", "run"]

NAME = "notebook-path"
HELP = "print where the installed notebook is, for papermill"
DESCRIPTION = (
    "Print the path of a notebook installed with repolens (analyze, the default; history; "
    "portfolio), so that papermill runs it from any folder: "
    'papermill "$(repolens notebook-path)" analyze.ipynb -p path /data -p output_dir out. '
    "The notebook makes its output folder itself."
)
NOTEBOOKS = tuple(name.removesuffix(".ipynb") for name in PAGES)


def add_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "notebook",
        nargs="?",
        default="analyze",
        choices=NOTEBOOKS,
        help="which notebook (default: analyze)",
    )


def run(args: argparse.Namespace) -> int:
    path = bundled_notebook(f"{args.notebook}.ipynb")
    if not path.is_file():
        raise UsageError(f"{path}: the bundled notebook is missing; reinstall repolens")
    print(printable(str(path.resolve())))
    return 0
