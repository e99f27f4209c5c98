"""``repolens scan`` as a user runs it: a subprocess, exit codes, files, environment."""

from __future__ import annotations

import json
import subprocess
import sysconfig
from pathlib import Path

import pytest

from .conftest import PYTHON, REPO, SAMPLE, make_tree, python_env


def run(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "-m", "repolens", *args],
        capture_output=True,
        text=True,
        env=env or python_env(),
        cwd=cwd,
        timeout=120,
    )


def test_scan_writes_both_reports_and_prints_a_summary(tmp_path: Path) -> None:
    result = run("scan", str(SAMPLE), "-o", str(tmp_path / "out"), "--no-cache")
    assert result.returncode == 0, result.stderr
    document = json.loads((tmp_path / "out" / "metrics.json").read_text())
    lines = (tmp_path / "out" / "files.csv").read_text().splitlines()
    assert len(lines) == 1 + len(document["file_metrics"])
    assert f"{document['summary']['total_files']} files" in result.stdout
    assert "wrote" in result.stdout


def test_path_and_output_come_from_the_environment(tmp_path: Path) -> None:
    env = python_env() | {"ANALYSIS_PATH": str(SAMPLE), "OUTPUT_DIR": str(tmp_path / "env-out")}
    result = run("scan", "--no-cache", "-q", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert (tmp_path / "env-out" / "metrics.json").is_file()


def test_json_to_stdout(tmp_path: Path) -> None:
    result = run("scan", str(SAMPLE), "--json", "-", "--no-cache", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["summary"]["total_files"] == len(document["file_metrics"])
    assert "files" in result.stderr  # the human summary moves to stderr
    assert list(tmp_path.iterdir()) == []


def test_format_chooses_the_files(tmp_path: Path) -> None:
    result = run("scan", str(SAMPLE), "-o", str(tmp_path), "--format", "csv", "--no-cache", "-q")
    assert result.returncode == 0
    assert sorted(path.name for path in tmp_path.iterdir()) == ["files.csv"]


def test_top_sets_the_ranking_length(tmp_path: Path) -> None:
    run("scan", str(SAMPLE), "-o", str(tmp_path), "--top", "3", "--no-cache", "-q")
    summary = json.loads((tmp_path / "metrics.json").read_text())["summary"]
    assert len(summary["largest_files"]) == 3 and summary["top_n"] == 3


def test_exclude_and_no_gitignore(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "tree", {"a.py": "x\n", "img/b.png": b"\x89PNG\r\n\x1a\n"})
    run(
        "scan",
        str(root),
        "-o",
        str(tmp_path / "o"),
        "--exclude",
        "img/",
        "--no-cache",
        "--no-gitignore",
        "-q",
    )
    document = json.loads((tmp_path / "o" / "metrics.json").read_text())
    assert [item["file_path"] for item in document["file_metrics"]] == ["a.py"]
    assert document["settings"]["excluded_entries"] == 1


def test_an_output_folder_inside_the_tree_is_not_scanned(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "tree", {"a.py": "x\n"})
    for _ in range(2):
        result = run("scan", str(root), "-o", str(root / "reports"), "--no-cache", "-q")
        assert result.returncode == 0, result.stderr
    document = json.loads((root / "reports" / "metrics.json").read_text())
    assert [item["file_path"] for item in document["file_metrics"]] == ["a.py"]


def test_the_cache_makes_the_second_run_reuse_results(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "tree", {"a.py": "x\n", "b.py": "y\n"})
    args = ("scan", str(root), "-o", str(tmp_path / "o"), "--cache-dir", str(tmp_path / "c"), "-q")
    assert run(*args).returncode == 0
    assert len(list((tmp_path / "c").iterdir())) == 1
    first = (tmp_path / "o" / "files.csv").read_text()
    assert run(*args).returncode == 0
    assert (tmp_path / "o" / "files.csv").read_text() == first


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["scan", "{missing}"], "no such directory"),
        (["scan", "{file}"], "not a directory"),
        (["scan"], "no PATH given"),
        (["scan", "{root}", "--top", "0"], "must be 1 or more"),
        (["scan", "{root}", "--top", "many"], "not a whole number"),
        (["scan", "{root}", "--format", "xml"], "unknown format xml"),
        (["scan", "{root}", "--bogus"], "unrecognized arguments"),
        (["frobnicate"], "invalid choice"),
        (["scan", "{root}", "-o", "{file}/sub"], "cannot create output folder"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(
    tmp_path: Path, args: list[str], message: str
) -> None:
    (tmp_path / "file").write_text("x")
    root = make_tree(tmp_path / "root", {"a.py": "x\n"})
    out = tmp_path / "out"
    names = {
        "missing": str(tmp_path / "missing"),
        "file": str(tmp_path / "file"),
        "root": str(root),
    }
    argv = [arg.format(**names) for arg in args]
    if "-o" not in argv and argv[0] == "scan":
        argv += ["-o", str(out)]
    result = run(*argv, "--no-cache" if argv[0] == "scan" else "--version", cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not out.exists()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["file", "root"]


def test_no_command_shows_help_and_exits_2() -> None:
    result = run()
    assert result.returncode == 2 and "scan" in result.stderr


def test_an_unexpected_failure_exits_1(tmp_path: Path) -> None:
    code = (
        "import sys, repolens.cli as cli, repolens.commands.scan as command\n"
        "def boom(*a, **k): raise RuntimeError('kaboom')\n"
        "command.ScanStream = boom\n"
        "sys.exit(cli.main(['scan', sys.argv[1], '--no-cache', '-o', sys.argv[2]]))\n"
    )
    result = subprocess.run(
        [PYTHON, "-c", code, str(SAMPLE), str(tmp_path / "o")],
        capture_output=True,
        text=True,
        env=python_env(),
    )
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1  # one line, no traceback on the terminal
    assert "RuntimeError: kaboom" in result.stderr and "unexpected failure" in result.stderr
    saved = Path(result.stderr.split("bug report: ")[1].rstrip(")\n"))
    assert "Traceback" in saved.read_text() and "boom" in saved.read_text()
    saved.unlink()


def test_console_script_and_version() -> None:
    script = Path(sysconfig.get_path("scripts")) / "repolens"
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.startswith("repolens ")


def test_report_writes_the_html_report(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "tree", {"a.py": "x = 1\n", "b.csv": "a\n1\n"})
    result = run("report", str(root), "-o", str(tmp_path / "out"), "--top", "2", "-q")
    assert result.returncode == 0, result.stderr
    names = {path.name for path in (tmp_path / "out").iterdir()}
    assert {"report.html", "analyze.ipynb", "metrics.json", "files.csv"} <= names
    html = (tmp_path / "out" / "report.html").read_text()
    assert "Where the bytes are" in html and "analysis.analyse(" not in html


def test_report_settings_come_from_the_environment(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "tree", {"a.py": "x = 1\n", "skip/b.py": "y = 2\n"})
    env = python_env() | {
        "ANALYSIS_PATH": str(root),
        "OUTPUT_DIR": str(tmp_path / "out"),
        "REPOLENS_EXCLUDE": "skip/",
        "REPOLENS_TOP_N": "1",
    }
    result = run("report", "-q", env=env, cwd=REPO)
    assert result.returncode == 0, result.stderr
    document = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert [item["file_path"] for item in document["file_metrics"]] == ["a.py"]
    assert document["summary"]["top_n"] == 1


def test_report_on_a_missing_tree_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    result = run("report", str(tmp_path / "nope"), "-o", str(tmp_path / "out"))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].endswith("no such directory")
    assert not (tmp_path / "out").exists()


def test_a_failing_notebook_exits_3_with_its_error(tmp_path: Path) -> None:
    notebook = tmp_path / "fails.ipynb"
    notebook.write_text(
        json.dumps(
            {
                "cells": [
                    {
                        "cell_type": "code",
                        "metadata": {"tags": ["parameters"]},
                        "outputs": [],
                        "execution_count": None,
                        "source": "path = ''\n",
                    },
                    {
                        "cell_type": "code",
                        "metadata": {},
                        "outputs": [],
                        "execution_count": None,
                        "source": "raise ValueError('the data is odd')\n",
                    },
                ],
                "metadata": {
                    "kernelspec": {
                        "name": "python3",
                        "language": "python",
                        "display_name": "Python 3",
                    }
                },
                "nbformat": 4,
                "nbformat_minor": 5,
            }
        )
    )
    root = make_tree(tmp_path / "tree", {"a.py": "x\n"})
    result = run("report", str(root), "-o", str(tmp_path / "out"), "--notebook", str(notebook))
    assert result.returncode == 3
    assert "ValueError: the data is odd" in result.stderr
