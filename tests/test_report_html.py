"""report.html as a browser reads it: nothing from the tree, the parameters or the
environment becomes markup; the report runs from any folder and -q keeps it quiet."""

from __future__ import annotations

import json
import os
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

from .conftest import PYTHON, make_tree, python_env

TITLE = "<img src=z onerror=alert(4)><script>alert(1)</script> & co"
HOSTILE = {
    # the largest file: it is named in the narrative, the chart and the table
    "a` <img src=y onerror=alert(2)> `.txt": "payload line\n" * 2000,
    # the longest text
    "<script>alert(3)<b>.py": "x = 1\n" * 3000,
    # a notebook saved with an error, whose kernel name is markup too
    "<svg onload=alert(5)>.ipynb": json.dumps(
        {
            "cells": [
                {
                    "cell_type": "code",
                    "execution_count": 2,
                    "metadata": {},
                    "source": "1/0",
                    "outputs": [
                        {
                            "output_type": "error",
                            "ename": "ZeroDivisionError",
                            "evalue": "<i onclick=alert(6)>",
                            "traceback": ["<a href=javascript:alert(7)>x</a>"],
                        }
                    ],
                },
                {
                    "cell_type": "code",
                    "execution_count": 1,
                    "metadata": {},
                    "source": "x",
                    "outputs": [],
                },
            ],
            "metadata": {"kernelspec": {"name": "<b onmouseover=alert(8)>", "language": "python"}},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
    ),
    # a notebook that cannot be read: its reason and name reach the problems table
    "<iframe srcdoc=alert(9)>.ipynb": "{not json",
}


HEADINGS = {"What to fix first", "Overview", "Where the bytes are"}


class Markup(HTMLParser):
    """Every element and attribute of a page, and the text of its scripts and title."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.scripts: list[str] = []
        self.title = ""
        self.text: list[str] = []
        self._inside: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))
        if tag in ("script", "title"):
            self._inside = tag
            if tag == "script":
                self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == self._inside:
            self._inside = None

    def handle_data(self, data: str) -> None:
        if self._inside == "script":
            self.scripts[-1] += data
        elif self._inside == "title":
            self.title += data
        else:
            self.text.append(data)


def test_no_element_or_attribute_comes_from_input_and_the_report_runs_anywhere(
    tmp_path: Path,
) -> None:
    root = make_tree(tmp_path / "tree", HOSTILE)
    out = tmp_path / "out"
    elsewhere = tmp_path / "elsewhere"  # no notebooks/ folder here or above
    elsewhere.mkdir()
    env = python_env()
    env.pop("REPOLENS_NOTEBOOK", None)
    done = subprocess.run(
        [PYTHON, "-m", "repolens", "report", str(root), "-o", str(out), "--title", TITLE, "-q"],
        capture_output=True,
        text=True,
        cwd=elsewhere,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == "" and done.stdout == ""  # -q: silent on success

    page = Markup()
    page.feed((out / "report.html").read_text("utf-8"))
    assert page.title == TITLE  # the title is the report's, escaped
    tags = {tag for tag, _attrs in page.tags}
    assert not tags & {"svg", "iframe", "b", "i"}  # none of the input's elements exist
    for tag, attrs in page.tags:
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name, value)
            if name != "alt":  # alt text names the files, as text: the parser kept it whole
                assert "alert(" not in (value or ""), (tag, name, value)
        if tag == "img":
            assert dict(attrs)["src"].startswith("data:image/png;base64,")
            assert (dict(attrs).get("alt") or "").strip()  # every chart says what it shows
        if tag == "a":
            assert not (dict(attrs).get("href") or "").startswith("javascript:")
    assert not any("alert(" in script for script in page.scripts)
    text = "".join(page.text)
    for shown in ("a` <img src=y onerror=alert(2)> `.txt", "<script>alert(3)<b>.py"):
        assert shown in text  # named, as text
    assert "<svg onload=alert(5)>.ipynb" in text and "<iframe srcdoc=alert(9)>.ipynb" in text
    assert "<b onmouseover=alert(8)>" in text
    assert os.path.exists(out / "metrics.json")
    headings = [data.strip() for data in page.text if data.strip() in HEADINGS]
    assert headings[:2] == ["What to fix first", "Overview"]  # the verdict comes first
    assert not re.search(r"(In|Out)\s*\[\d+\]", text)  # no prompts
    assert not page.scripts  # nothing to load: the page works offline
    assert "NB001" in text and "Fix:" in text
