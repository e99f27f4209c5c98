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

import contextlib
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.atomic import atomic_write
from ..core.progress import PROGRESS_VARIABLE, follow

Progress = Callable[[str, int, int | None], None]

__all__ = [
    "OPTIONAL",
    "PAGES",
    "NotebookFailed",
    "ReportFiles",
    "bundled_notebook",
    "drop_silent_sections",
    "find_notebook",
    "notebook_page",
    "run_notebook",
    "run_report",
    "write_page",
]

NOTEBOOK_NAME = "analyze.ipynb"
PAGES = {
    "analyze.ipynb": "report.html",
    "history.ipynb": "history.html",
    "portfolio.ipynb": "portfolio.html",
}
"""Each bundled notebook and the page it becomes."""


_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
"""The characters that reorder text around them. The page's own markup holds none, so
each one came from a name or a message, and the page shows it as ``\\u202e``: a name
cannot read backwards (``yp.jpg`` for ``gpj.py``) or reorder the text after it."""


class NotebookFailed(Exception):
    """A cell of the notebook raised: the message is its one-line error."""


@dataclass(frozen=True)
class ReportFiles:
    notebook: Path
    html: Path


def bundled_notebook(name: str = NOTEBOOK_NAME) -> Path:
    """A notebook installed with the package (``analyze.ipynb``, ``history.ipynb``,
    ``portfolio.ipynb``)."""
    from importlib import resources

    return Path(str(resources.files("repolens").joinpath("bundled", name)))


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


def _kernel_manager() -> type:
    """The kernel manager the notebooks run under: jupyter_client's, except that it does
    not interrupt a kernel it is shutting down. jupyter_client sends SIGINT before the
    shutdown request, and a kernel caught between two steps logs "KeyboardInterrupt
    caught in kernel." on the terminal of a run that went well."""
    from jupyter_client.manager import AsyncKernelManager

    class QuietShutdown(AsyncKernelManager):  # type: ignore[misc]
        async def _async_interrupt_kernel(self) -> None:
            if self.shutting_down:  # the shutdown request ends the kernel by itself
                return
            await super()._async_interrupt_kernel()

    return QuietShutdown


def _engine(progress: Progress) -> str:
    """A papermill engine that reports each cell run to ``progress`` ("notebook", cells
    done, of all); its name, registered with papermill."""
    from papermill.engines import NBClientEngine, papermill_engines

    class Counting(NBClientEngine):  # type: ignore[misc]
        @classmethod
        def execute_managed_notebook(cls, nb_man: Any, kernel_name: str, **kwargs: Any) -> Any:
            total = len(nb_man.nb.cells)
            done = [0]
            original = nb_man.cell_complete

            def complete(cell: Any, *args: Any, **more: Any) -> Any:
                done[0] += 1
                progress("notebook", done[0], total)
                return original(cell, *args, **more)

            nb_man.cell_complete = complete
            return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)

    papermill_engines.register("repolens-progress", Counting)
    return "repolens-progress"


@contextlib.contextmanager
def _kernel_progress(progress: Progress | None) -> Iterator[None]:
    """While a notebook runs: the kernel reports into a file (``$REPOLENS_PROGRESS``)
    that a thread of this process hands on to ``progress``."""
    if progress is None:
        yield
        return
    with tempfile.TemporaryDirectory(prefix="repolens-progress-") as folder:
        path = os.path.join(folder, "progress")
        previous = os.environ.get(PROGRESS_VARIABLE)
        os.environ[PROGRESS_VARIABLE] = path
        follower = follow(path, progress)
        try:
            yield
        finally:
            follower.stop()
            if previous is None:
                os.environ.pop(PROGRESS_VARIABLE, None)
            else:
                os.environ[PROGRESS_VARIABLE] = previous


def run_notebook(
    notebook: Path,
    executed: Path,
    parameters: dict[str, Any],
    log_output: bool = False,
    progress: Progress | None = None,
) -> None:
    """Execute ``notebook`` with papermill into ``executed``; ``NotebookFailed`` when a
    cell fails. ``progress`` hears of the cells run and of what the kernel reports (the
    files a scan reads)."""
    import papermill

    engine = {} if progress is None else {"engine_name": _engine(progress)}
    try:
        with _kernel_progress(progress):
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
                kernel_manager_class=_kernel_manager(),
                **engine,
            )
    except papermill.PapermillExecutionError as error:
        raise NotebookFailed(f"{error.ename}: {error.evalue}") from None


OPTIONAL = "report-optional"
"""A section whose cells carry this tag is on the page only when one of its code cells
showed something (the rerun's "Does it reproduce?" when rerun.json is in the folder)."""


def drop_silent_sections(cells: list[Any]) -> list[Any]:
    """``cells`` without the optional sections (runs of cells tagged ``OPTIONAL``) whose
    code cells have no output."""
    kept: list[Any] = []
    section: list[Any] = []

    def close() -> None:
        if any(cell.get("cell_type") == "code" and cell.get("outputs") for cell in section):
            kept.extend(section)
        section.clear()

    for cell in cells:
        if OPTIONAL in (cell.get("metadata", {}).get("tags") or ()):
            section.append(cell)
            continue
        close()
        kept.append(cell)
    close()
    return kept


def write_page(executed: Path, html: Path, title: str) -> Path:
    """An executed notebook as a page that carries no script: no code cells or prompts,
    no MathJax, Mermaid, require.js or widgets, no JavaScript output, and a
    Content-Security-Policy that lets the browser run none and load nothing from
    elsewhere. So ``$…$`` in a name or a commit subject is text, never maths; a bidi
    control from one is shown as its escape (``_BIDI``). An optional section that
    showed nothing is left out (``drop_silent_sections``).

    The title reaches ``<title>`` through nbconvert's escaping; the page's own heading is
    written (escaped) by the notebook."""
    from importlib import resources

    import nbformat
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    document = nbformat.read(executed, as_version=4)
    document.metadata["title"] = title
    document.metadata.pop("widgets", None)
    document.cells = drop_silent_sections(document.cells)
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
    with atomic_write(html, "w") as handle:
        handle.write(_BIDI.sub(lambda found: f"\\u{ord(found.group()):04x}", body))
    return html


def notebook_page(
    name: str,
    output_dir: Path,
    parameters: dict[str, Any],
    title: str,
    notebook: Path | None = None,
    log_output: bool = False,
    progress: Progress | None = None,
) -> ReportFiles:
    """Run a bundled notebook (``PAGES``) into ``output_dir`` and write its page there:
    ``history.ipynb`` and ``history.html``, say. ``NotebookFailed`` when a cell fails."""
    output_dir.mkdir(parents=True, exist_ok=True)
    executed = output_dir / name
    run_notebook(notebook or bundled_notebook(name), executed, parameters, log_output, progress)
    return ReportFiles(executed, write_page(executed, output_dir / PAGES[name], title))


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
    progress: Progress | None = None,
) -> ReportFiles:
    """Execute ``notebook`` on ``path`` into ``output_dir``.

    Raises ``NotebookFailed`` when a cell fails."""
    parameters = {
        "path": str(path),
        "output_dir": str(output_dir.resolve()),
        "top_n": top_n,
        "exclude": list(exclude),
        "title": title,
        "baseline": baseline,
    }
    return notebook_page(
        NOTEBOOK_NAME,
        output_dir,
        parameters,
        title or f"What is in {Path(path).name}",
        notebook,
        log_output,
        progress,
    )
