"""The full report: run the analysis notebook with papermill, then write HTML.

``run_report`` is what ``repolens report``, ``make report``, the container
image and the Kubernetes Job run. It writes into the output folder the
executed notebook (``analyze.ipynb``), what the notebook writes itself
(``metrics.json``, ``files.csv``, one PNG per chart) and ``report.html``
(nbconvert without code cells, the title in ``<title>``). The notebook ships
inside the package (``repolens/bundled/analyze.ipynb``; ``notebooks/analyze.ipynb``
in a checkout is a link to it), so an installed repolens runs from any folder.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .writers import atomic_write

__all__ = ["NotebookFailed", "ReportFiles", "find_notebook", "run_report"]

NOTEBOOK_NAME = "analyze.ipynb"


class NotebookFailed(Exception):
    """A cell of the notebook raised: the message is its one-line error."""


@dataclass(frozen=True)
class ReportFiles:
    notebook: Path
    html: Path


def bundled_notebook() -> Path:
    """The analysis notebook installed with the package."""
    from importlib import resources

    return Path(str(resources.files("repolens").joinpath("bundled", NOTEBOOK_NAME)))


def find_notebook(explicit: str | None = None) -> Path:
    """The analysis notebook: ``explicit``, else ``$REPOLENS_NOTEBOOK``, else the bundled one."""
    chosen = explicit or os.environ.get("REPOLENS_NOTEBOOK")
    if chosen:
        path = Path(chosen)
        if not path.is_file():
            raise FileNotFoundError(f"{chosen}: no such notebook")
        return path
    path = bundled_notebook()
    if not path.is_file():
        raise FileNotFoundError(f"{path}: the bundled notebook is missing; reinstall repolens")
    return path


def run_report(
    path: str,
    output_dir: Path,
    *,
    notebook: Path,
    top_n: int = 10,
    exclude: Sequence[str] = (),
    title: str = "",
    baseline: str = "",
    log_output: bool = False,
) -> ReportFiles:
    """Execute ``notebook`` on ``path`` into ``output_dir``.

    Raises ``NotebookFailed`` when a cell fails."""
    from importlib import resources

    import nbformat
    import papermill
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    output_dir.mkdir(parents=True, exist_ok=True)
    executed = output_dir / NOTEBOOK_NAME
    parameters = {
        "path": str(path),
        "output_dir": str(output_dir.resolve()),
        "top_n": top_n,
        "exclude": list(exclude),
        "title": title,
        "baseline": baseline,
    }
    try:
        papermill.execute_notebook(
            str(notebook),
            str(executed),
            parameters=parameters,
            kernel_name="python3",
            progress_bar=False,
            log_output=log_output,
            cwd=str(Path.cwd()),
            # The kernel's own notices (it talks over local TCP) are not the report's
            # business; its errors still reach stderr.
            extra_arguments=["--IPKernelApp.log_level=ERROR"],
        )
    except papermill.PapermillExecutionError as error:
        raise NotebookFailed(f"{error.ename}: {error.evalue}") from None
    document = nbformat.read(executed, as_version=4)
    # nbconvert escapes the metadata title into <title>; the page's own heading is
    # written (escaped) by the notebook.
    document.metadata["title"] = title or f"What is in {Path(path).name}"
    template = Path(str(resources.files("repolens").joinpath("bundled")))
    exporter = HTMLExporter(
        template_name="report",
        extra_template_basedirs=[str(template)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    # Cells tagged report-hide speak to people running the notebook, not to its readers.
    exporter.register_preprocessor(
        TagRemovePreprocessor(remove_cell_tags=("report-hide",)), enabled=True
    )
    body, _resources = exporter.from_notebook_node(document)
    html = output_dir / "report.html"
    with atomic_write(html, "w") as handle:
        handle.write(body)
    return ReportFiles(executed, html)
