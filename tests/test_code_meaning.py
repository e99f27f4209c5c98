"""One meaning of "code" everywhere: on a tree that is mostly CSV (8,000 rows in two files)
beside one Python file (4 lines of code) and one notebook (3 lines of code in its cells),
every number anywhere that says code is 7 or part of it: metrics.json's summary, the
printed summary, report.html, history.json and history.html, portfolio.json, portfolio.csv
and portfolio.html. Rows of data are named as rows, never as code."""

from __future__ import annotations

import csv
import json
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from repolens.core.linekinds import LineKind, is_code, line_kind, split_lines
from repolens.core.records import LineCounts

from .conftest import PYTHON, make_tree, notebook_json, python_env
from .test_hostile import git, git_init

pytestmark = pytest.mark.slow

CODE = 7  # 4 in analysis.py, 3 in the notebook's code cells
ROWS = 8000  # 5,000 + 3,000 non-blank rows of CSV
PYTHON_SOURCE = (  # 4 lines of code, 1 comment, 1 blank
    "import csv\n\n# read the table\nrows = list(csv.reader(open('data/a.csv')))\n"
    "print(len(rows))\nx = 1\n"
)


def _tree(root: Path) -> Path:
    notebook = notebook_json(
        [
            {"cell_type": "markdown", "source": "# Look\n", "metadata": {}},
            {
                "cell_type": "code",
                "source": "import pandas as pd\nframe = pd.read_csv('data/a.csv')\nframe.head()\n",
                "execution_count": 1,
                "outputs": [],
                "metadata": {},
            },
        ]
    )
    make_tree(
        root,
        {
            "analysis.py": PYTHON_SOURCE,
            "look.ipynb": notebook,
            "data/a.csv": "t,x\n" + "".join(f"{i},{i * 2}\n" for i in range(4999)),
            "data/b.csv": "".join(f"{i},{i % 7}\n" for i in range(3000)),
            "README.md": "# A tree of data\n\nMostly CSV.\n",
            "requirements.txt": "pandas==2.2.0\n",
        },
    )
    git_init(root)
    git(root, "add", "-A")
    git(root, "commit", "-qm", "data and one script")
    return root


class _Tables(HTMLParser):
    """The text of a page and its tables (header cells, then rows of cells)."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self.tables:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def _number(text: str) -> int:
    return int(text.replace(",", ""))


def _code_numbers(text: str) -> list[int]:
    """Every number a sentence gives as lines of code."""
    patterns = (
        r"([\d,]+) lines? of code",
        r"the code went from ([\d,]+) to ([\d,]+) lines",
        r"has the most code: ([\d,]+) lines?",
    )
    found = []
    for pattern in patterns:
        for match in re.finditer(pattern, text):
            found += [_number(group) for group in match.groups()]
    return found


def _code_cells(tables: list[list[list[str]]]) -> list[int]:
    """Every cell of a table column that says code (lines of code)."""
    cells = []
    for table in tables:
        header = table[0] if table else []
        for column, name in enumerate(header):
            if "code" in name and "language" not in name and "files" not in name:
                cells += [_number(row[column]) for row in table[1:] if row[column][:1].isdigit()]
    return cells


def _assert_page(path: Path) -> None:
    page = _Tables(path.read_text("utf-8"))
    text = " ".join("".join(page.text).split())
    numbers = _code_numbers(text) + _code_cells(page.tables)
    assert numbers, f"{path.name} says nothing of code"
    assert all(0 <= number <= CODE for number in numbers), (path.name, numbers)
    assert CODE in numbers, (path.name, numbers)
    assert "CSV" not in [cell for table in page.tables for row in table for cell in row[:1]] or (
        path.name != "portfolio.html"
    )
    for language in re.findall(r"(\S+) has the most code", text):
        assert language in ("Python", "Jupyter", "Notebooks"), language


def _walk_code_fields(value: object, where: str = "") -> list[tuple[str, int]]:
    """Every number in a JSON document under a key that says code."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, int) and not isinstance(item, bool) and "code" in str(key):
                found.append((f"{where}.{key}", item))
            found += _walk_code_fields(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _walk_code_fields(item, f"{where}[{index}]")
    return found


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [PYTHON, "-m", "repolens", *args],
        capture_output=True,
        text=True,
        env=python_env(),
        timeout=600,
        cwd=cwd,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    base = tmp_path_factory.mktemp("code")
    tree = _tree(base / "tree")
    scanned = _run("scan", str(tree), "-o", str(base / "scan"), "--no-cache")
    _run("history", str(tree), "-o", str(base / "report"), "--no-cache", "-q")
    _run("report", str(tree), "-o", str(base / "report"), "-q")
    (base / "list.txt").write_text(f"{tree}\n")
    _run("portfolio", str(base / "list.txt"), "-o", str(base / "portfolio"), "-q")
    return {"base": base, "printed": scanned.stdout}


def test_the_definition_names_each_kind_of_line() -> None:
    assert line_kind("data", "CSV") is LineKind.DATA
    assert line_kind("code", "HTML") is LineKind.MARKUP
    assert line_kind("image", "SVG") is LineKind.MARKUP
    assert line_kind("docs", "Markdown") is LineKind.TEXT
    assert line_kind("config", "YAML") is LineKind.CONFIG
    assert is_code("notebook", "Jupyter Notebooks") and is_code("code", "Python")
    counts = LineCounts(code=10, comment=3, blank=2)
    for category, language in (("data", "CSV"), ("code", "Python"), ("docs", "Markdown")):
        assert split_lines(category, language, counts).lines == counts.lines
    assert split_lines("data", "CSV", counts).code == 0


def test_metrics_json_calls_no_row_code(outputs) -> None:
    document = json.loads((outputs["base"] / "scan" / "metrics.json").read_text("utf-8"))
    summary = document["summary"]
    assert summary["code_lines"] == CODE
    assert summary["data_rows"] == ROWS
    assert summary["by_language"]["CSV"]["code_lines"] == 0
    assert summary["by_language"]["CSV"]["data_rows"] == ROWS
    fields = _walk_code_fields(summary)
    assert fields
    for where, number in fields:
        assert number <= max(CODE, 2), (where, number)  # code_files counts 2 files


def test_the_printed_summary_calls_no_row_code(outputs) -> None:
    printed = outputs["printed"]
    assert f"{CODE} lines of code" in printed and f"{ROWS:,} rows of data" in printed
    assert all(number <= CODE for number in _code_numbers(printed)), printed


def test_report_html_calls_no_row_code(outputs) -> None:
    _assert_page(outputs["base"] / "report" / "report.html")


def test_history_calls_no_row_code(outputs) -> None:
    document = json.loads((outputs["base"] / "report" / "history.json").read_text("utf-8"))
    last = document["commits"][-1]
    assert (last["code"], last["data_rows"]) == (CODE, ROWS)
    for group in last["groups"]:
        if group["kind"] != "code":
            assert group["code"] == 0 and group["comment"] == 0, group
    with open(outputs["base"] / "report" / "history.csv", newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["kind"] != "code":
                assert row["code"] == "0", row
    _assert_page(outputs["base"] / "report" / "history.html")


def test_portfolio_calls_no_row_code(outputs) -> None:
    folder = outputs["base"] / "portfolio"
    row = json.loads((folder / "portfolio.json").read_text("utf-8"))["rows"][0]
    assert row["code"] == CODE and row["data_rows"] == ROWS
    assert row["top_language"] in ("Python", "Jupyter Notebooks")
    with open(folder / "portfolio.csv", newline="", encoding="utf-8") as handle:
        table = list(csv.DictReader(handle))
    assert table[0]["code"] == str(CODE) and table[0]["top_language"] == row["top_language"]
    _assert_page(folder / "portfolio.html")
