"""A repository of a portfolio rerun (``repolens portfolio --rerun``): its notebooks run
in the sandbox from what it declares, as ``repolens rerun -o`` runs them (the same
library call, ``rerun.run.rerun``), into ``<name>/rerun/`` beside its check's files, and
its row's reproduction columns (``rows.RERUN_COLUMNS``): notebooks rerun, how many
reproduced, and why the rerun could not run, if so. A rerun's own failure is recorded
in the row; the repository's check stands.
"""

from __future__ import annotations

import contextlib
import io
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..core.failures import failure_line
from ..core.printable import printable
from ..rerun.run import Options, rerun
from ..rerun.writers import rerun_document, write_rerun

__all__ = ["RERUN_FOLDER", "RerunRequest", "rerun_columns"]

RERUN_FOLDER = "rerun"


@dataclass(frozen=True, slots=True)
class RerunRequest:
    """How every repository is rerun: the rerun's options (the sandbox already chosen)
    and the folder of built environments they share."""

    options: Options = field(default_factory=Options)
    cache: str = ""


def _excludes(location: str, output: Path) -> tuple[str, ...]:
    """The portfolio's output folder as an exclude, when it lies inside the repository."""
    relative = os.path.relpath(os.path.abspath(output), os.path.abspath(location))
    if relative.startswith("..") or relative == ".":
        return ()
    return ("/" + relative.replace(os.sep, "/") + "/",)


def rerun_columns(
    location: str, folder: Path, output: Path, request: RerunRequest
) -> dict[str, Any]:
    """Rerun the repository at ``location`` into ``folder/rerun``; its row's columns."""
    target = folder / RERUN_FOLDER
    options = replace(
        request.options, excludes=(*request.options.excludes, *_excludes(location, output))
    )
    try:
        target.mkdir(exist_ok=True)
        with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
            done = rerun(location, options, target, Path(request.cache))
            document = rerun_document(
                done, options.settings, options.tolerance, options.jobs, options.twice, True
            )
            write_rerun(target, done, document)
    except OSError as error:
        problem = printable(f"the rerun could not write into {target}: {error.strerror or error}")
    except Exception as error:  # a surprise: the row says it, the check's results stand
        problem = f"repolens: {failure_line(error)}"
    else:
        result = done.result
        return {
            "rerun_notebooks": len(result.notebooks),
            "reproduced": result.reproduced,
            "rerun_problem": printable(result.environment_problem)[:300],
        }
    return {"rerun_notebooks": None, "reproduced": None, "rerun_problem": problem[:300]}
