"""README.md's samples work as written: Python blocks run, command lines parse."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from repolens import cli

from .conftest import PYTHON, REPO, python_env

README = (REPO / "README.md").read_text(encoding="utf-8")
PYTHON_BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)
COMMANDS = [
    line.strip().strip("`")
    for line in re.findall(r"`(repolens (?:scan|report|check|history|portfolio)[^`]*)`", README)
    if "OPTIONS" not in line
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
    shutil.rmtree(REPO / "reports" / "library", ignore_errors=True)
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
    lines = [line for line in README.splitlines() if "papermill notebooks/analyze.ipynb" in line]
    assert lines
    for line in lines:
        words = shlex.split(line.split("`")[1])
        output, folder = words[2], words[words.index("output_dir") + 1]
        assert output.startswith("reports/") and folder.startswith("reports/")


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
