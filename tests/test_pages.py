"""Every page repolens writes (report, history, portfolio) carries no script and no maths
rendering, from hostile data: commit subjects and names with ``$…$``, markup that would
close a table or open a script, and bidi controls. The hostile text is on the page, as
text. The executed notebooks keep every output out of MathJax's reach too, for the
viewers that load it (Jupyter, ``jupyter nbconvert``)."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from repolens.core.records import display_path
from repolens.render.display import NO_MATHS
from repolens.render.reporting import bundled_notebook, notebook_page, run_report

from .conftest import REPO, make_tree
from .test_hostile import git, git_init

pytestmark = pytest.mark.slow

MATHS = "$\\href{https://e.vil}{x}$"
SUBJECT = f"{MATHS} <script>alert(1)</script></table> \u202egpj.py"
NAME = "$\\href{https:e.vil}{x}$ <script>alert(2)<\u202egpj.csv"  # no "/" in a file name


class Page(HTMLParser):
    """A page as a browser builds it: its elements and the text it shows."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    @property
    def shown(self) -> str:
        return "".join(self.text)


def assert_no_script_and_text_as_text(html: Path, *hostile: str) -> Page:
    raw = html.read_text("utf-8")
    page = Page(raw)
    assert "script" not in page.tags and "<script" not in raw.lower()
    assert "MathJax" not in raw and "require.js" not in raw
    assert "Content-Security-Policy" in raw and "default-src 'none'" in raw
    assert "\u202e" not in raw  # bidi controls are shown as their escapes
    for text in hostile:
        assert text in page.shown, text  # on the page, as text
    return page


def assert_outputs_out_of_maths(executed: Path) -> None:
    """Every HTML output of the executed notebook is inside an element MathJax skips."""
    notebook = nbformat.read(executed, as_version=4)
    shown = 0
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            html = output.get("data", {}).get("text/html")
            if html is None:
                continue
            text = "".join(html) if isinstance(html, list) else html
            assert NO_MATHS.split()[0] in text and "mathjax_ignore" in text, text[:200]
            shown += 1
    assert shown


def test_the_history_page_from_hostile_commits(tmp_path: Path) -> None:
    root = git_init(tmp_path / "repo")
    (root / "a.py").write_text("x = 1\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "start")
    (root / NAME).write_bytes(b"1,2\n" * (300_000))  # 1.2 MB: an arrival, the largest
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", SUBJECT)
    out = tmp_path / "out"
    files = notebook_page(
        "history.ipynb",
        out,
        {"path": str(root), "output_dir": str(out), "top_n": 3},
        f"History of {SUBJECT}",
    )
    page = assert_no_script_and_text_as_text(
        files.html,
        f"{MATHS} <script>alert(1)</script></table> \\u202egpj.py",
        "alert(2)<\\u202egpj.csv",
    )
    assert page.tags.count("table") >= 1  # the arrivals, and no table closed early
    assert_outputs_out_of_maths(files.notebook)


def test_the_portfolio_page_from_hostile_names(tmp_path: Path) -> None:
    make_tree(tmp_path / "lab", {"a.py": "x = 1\n"})
    listing = tmp_path / "list.txt"
    listing.write_text(f"lab\n{SUBJECT.replace('/', '|')}\n")  # the second is missing
    out = tmp_path / "out"
    files = notebook_page(
        "portfolio.ipynb",
        out,
        {"results": str(out), "repositories": str(listing), "jobs": 1},
        "Portfolio",
    )
    shown = SUBJECT.replace("/", "|").replace("\u202e", "\\u202e")
    assert_no_script_and_text_as_text(files.html, shown)  # the missing one's path and reason
    assert_outputs_out_of_maths(files.notebook)


def test_the_report_page_from_hostile_names(tmp_path: Path) -> None:
    tree = make_tree(tmp_path / "tree", {NAME: "1,2\n" * 5000, "b.py": "x = 1\n"})
    out = tmp_path / "out"
    files = run_report(str(tree), out, notebook=bundled_notebook())
    shown = display_path(NAME)[0].replace("\u202e", "\\u202e")  # as reports write names
    assert_no_script_and_text_as_text(files.html, shown)
    assert_outputs_out_of_maths(files.notebook)


def test_a_javascript_output_or_widget_never_reaches_a_page(tmp_path: Path) -> None:
    """Even an output that is a script (a library's widget, say) is dropped by the page."""
    from repolens.render.reporting import write_page

    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [
        nbformat.v4.new_output(
            "display_data", data={"application/javascript": "alert(3)", "text/plain": "x"}
        ),
        nbformat.v4.new_output(
            "display_data",
            data={"application/vnd.jupyter.widget-view+json": {"model_id": "m"}, "text/plain": "w"},
        ),
        nbformat.v4.new_output("display_data", data={"text/html": f"<p>{MATHS}</p>"}),
    ]
    notebook.cells = [cell]
    notebook.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    executed = tmp_path / "n.ipynb"
    nbformat.write(notebook, executed)
    html = write_page(executed, tmp_path / "n.html", "<script>alert(4)</script>")
    raw = html.read_text()
    assert "alert(3)" not in raw and "widget-state" not in raw and "<script" not in raw.lower()
    assert "&lt;script&gt;alert(4)" in raw  # the title, escaped
    assert MATHS in Page(raw).shown


def test_the_notebooks_show_html_only_through_the_maths_free_wrapper() -> None:
    bundled = REPO / "lib" / "repolens" / "bundled"
    for name in ("analyze.ipynb", "history.ipynb", "portfolio.ipynb"):
        source = "\n".join(
            cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            for cell in json.loads((bundled / name).read_text())["cells"]
            if cell["cell_type"] == "code"
        )
        assert "from IPython.display import HTML" not in source, name
        assert "from repolens.render.display import HTML, no_maths" in source, name
        assert "no_maths()" in source, name


def _defaults(name: str) -> dict[str, object]:
    """The literals of a bundled notebook's parameters cell."""
    import ast

    notebook = nbformat.read(bundled_notebook(name), as_version=4)
    cell = next(c for c in notebook.cells if "parameters" in c.metadata.get("tags", []))
    found = {}
    for node in ast.parse(cell.source).body:
        if isinstance(node, ast.Assign):
            found[node.targets[0].id] = ast.literal_eval(node.value)  # type: ignore[attr-defined]
    return found


def test_each_notebook_writes_its_defaults_into_a_folder_of_its_own() -> None:
    """nbmake runs every notebook with its defaults: the history notebook once wrote
    history.json into reports/sample, so the next `make report` grew a section."""
    folders = {
        "analyze.ipynb": _defaults("analyze.ipynb")["output_dir"],
        "history.ipynb": _defaults("history.ipynb")["output_dir"],
        "portfolio.ipynb": _defaults("portfolio.ipynb")["results"],
    }
    assert len(set(folders.values())) == 3, folders
    assert folders["analyze.ipynb"] == "reports/sample"


def test_notebook_path_prints_each_installed_notebook(capsys) -> None:  # type: ignore[no-untyped-def]
    from repolens.cli import main

    for name in ("analyze", "history", "portfolio"):
        assert main(["notebook-path", name]) == 0
        printed = Path(capsys.readouterr().out.strip())
        assert printed.is_file() and printed.name == f"{name}.ipynb"
        assert printed == bundled_notebook(f"{name}.ipynb").resolve()
    assert main(["notebook-path"]) == 0
    assert capsys.readouterr().out.strip().endswith("analyze.ipynb")
    assert main(["notebook-path", "nothing"]) == 2


def test_the_report_page_with_a_hostile_rerun_shows_it_first_as_text(tmp_path: Path) -> None:
    from .test_rerun_view import rerun_json

    tree = make_tree(tmp_path / "tree", {"a.py": "x = 1\n"})
    out = tmp_path / "out"
    rerun_json(out, SUBJECT)
    files = run_report(str(tree), out, notebook=bundled_notebook())
    shown = SUBJECT.replace("\u202e", "\\u202e")
    page = assert_no_script_and_text_as_text(files.html, shown, "Does it reproduce?")
    assert page.shown.index("Does it reproduce?") < page.shown.index("What to fix first")
    assert_outputs_out_of_maths(files.notebook)


def test_the_report_page_without_a_rerun_has_no_such_section(tmp_path: Path) -> None:
    tree = make_tree(tmp_path / "tree", {"a.py": "x = 1\n"})
    files = run_report(str(tree), tmp_path / "out", notebook=bundled_notebook())
    assert "Does it reproduce?" not in files.html.read_text("utf-8")
    assert "Does it reproduce?" in files.notebook.read_text("utf-8")  # the notebook keeps it
