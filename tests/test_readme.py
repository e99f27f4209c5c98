"""README.md's samples work as written: Python blocks run, command lines parse."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from repolens import cli

from .conftest import PYTHON, REPO, python_env

README = (REPO / "README.md").read_text(encoding="utf-8")
DOCS = "\n".join(page.read_text(encoding="utf-8") for page in sorted((REPO / "docs").rglob("*.md")))
PYTHON_BLOCKS = re.findall(r"```python\n(.*?)```", README + DOCS, flags=re.DOTALL)
COMMANDS = [
    line.strip().strip("`")
    for line in re.findall(
        r"`(repolens (?:scan|report|check|history|portfolio)[^`]*)`", README + DOCS
    )
    if "OPTIONS" not in line and "--help" not in line
]


def test_readme_has_python_samples() -> None:
    assert PYTHON_BLOCKS, "README.md lost its library example"


@pytest.mark.parametrize("index", range(len(PYTHON_BLOCKS)))
def test_python_samples_run_from_the_repository_root(index: int, tmp_path: Path) -> None:
    """Each block runs in a fresh interpreter at the repository root, as a reader would."""
    script = tmp_path / "sample.py"
    script.write_text(PYTHON_BLOCKS[index], encoding="utf-8")
    done = subprocess.run(
        [PYTHON, str(script)],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=python_env(),
        timeout=120,
        check=False,
    )
    for folder in ("library", "streamed"):
        shutil.rmtree(REPO / "reports" / folder, ignore_errors=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("command", COMMANDS)
def test_command_lines_in_the_readme_parse(command: str) -> None:
    words = [word for word in shlex.split(command)[1:] if not word.startswith("[")]
    words = [
        word.replace("PATH", "/data").replace("OUT", "out").replace("LIST", "list.txt")
        for word in words
    ]
    args = cli.build_parser().parse_args(words)
    assert args.command in ("scan", "report", "check", "history", "portfolio")


def test_the_papermill_sample_writes_into_reports_not_the_checkout() -> None:
    lines = [line for line in README.splitlines() if line.startswith("|") and "papermill" in line]
    assert lines
    for line in lines:
        words = shlex.split(line.split("`")[1])
        words = words[words.index("papermill") :]
        assert words[1] == "$(repolens notebook-path)"  # the installed notebook, from any folder
        output, folder = words[2], words[words.index("output_dir") + 1]
        assert output.startswith("reports/") and folder.startswith("reports/")


def _try_it_lines() -> list[str]:
    """The lines of README's "try it" block: every one is meant to run as written."""
    blocks = [
        block
        for block in re.findall(r"```sh\n(.*?)```", README, flags=re.DOTALL)
        if block.startswith("# try it:")
    ]
    assert len(blocks) == 1, "README lost its block of lines to try"
    return [line for line in blocks[0].splitlines() if line and not line.startswith("#")]


def _console_env() -> dict[str, str]:
    """This interpreter's console scripts (repolens, papermill) first on PATH."""
    env = python_env()
    env["PATH"] = f"{Path(PYTHON).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


@pytest.mark.slow
def test_the_try_it_lines_run_as_written_from_an_empty_folder(tmp_path: Path) -> None:
    """README's fenced lines, verbatim, in a fresh folder outside the checkout: the
    papermill line finds the installed notebook, and the notebook makes its folder."""
    lines = _try_it_lines()
    assert len(lines) == 5 and any("papermill " in line for line in lines)
    for line in lines:
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", line],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env=_console_env(),
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, f"{line}\n{done.stderr[-3000:]}"
    assert (tmp_path / "out" / "scan" / "metrics.json").is_file()
    page = (tmp_path / "out" / "report" / "report.html").read_text(encoding="utf-8")
    assert "train.py" in page
    metrics = json.loads((tmp_path / "out" / "data" / "metrics.json").read_text())
    assert metrics["summary"]["total_files"] == 1  # demo/train.py, as the block writes it
    assert not (REPO / "out").exists() and not (REPO / "demo").exists()


def test_make_keeps_a_path_with_spaces_whole(tmp_path: Path) -> None:
    tree = tmp_path / "with space" / "my repo"
    tree.mkdir(parents=True)
    (tree / "a.py").write_text("x = 1\n")
    done = subprocess.run(
        ["make", "-s", "-C", str(REPO), "scan", f"PATH={tree}", f"PYTHON={PYTHON}"],
        capture_output=True,
        text=True,
        env=python_env(),
        timeout=120,
        check=False,
    )
    written = REPO / "reports" / "my repo"
    try:
        assert done.returncode == 0, done.stderr
        assert (written / "metrics.json").is_file()
        assert not (REPO / "reports" / "with").exists()
    finally:
        shutil.rmtree(written, ignore_errors=True)
