"""The ways labs use repolens besides the command line: conda/Binder, pre-commit, the
GitHub Action. Each file is checked against what it must agree with, and the hook is run."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from .conftest import REPO, python_env

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
ENVIRONMENT = yaml.safe_load((REPO / "environment.yml").read_text())
ACTION = yaml.safe_load((REPO / "action.yml").read_text())
HOOKS = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
# PyPI name -> conda-forge name, where they differ.
CONDA_NAMES = {"matplotlib": "matplotlib-base", "nbconvert": "nbconvert-core"}


def split(requirement: str) -> tuple[str, str]:
    match = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(.*?)\s*(?:#.*)?$", requirement)
    assert match, requirement
    return match.group(1).lower(), match.group(2).replace(" ", "")


def test_environment_yml_declares_what_pyproject_declares() -> None:
    wanted = {
        split(item)
        for item in PYPROJECT["project"]["dependencies"]
        + PYPROJECT["project"]["optional-dependencies"]["notebooks"]
    }
    conda: set[tuple[str, str]] = set()
    pip: set[tuple[str, str]] = set()
    for item in ENVIRONMENT["dependencies"]:
        if isinstance(item, dict):
            pip |= {split(entry) for entry in item["pip"] if not entry.startswith("-")}
        else:
            conda.add(split(item))
    assert "conda-forge" in ENVIRONMENT["channels"]
    for name, specifier in wanted:
        conda_name = CONDA_NAMES.get(name, name)
        assert (conda_name, specifier) in conda or (name, specifier) in pip, (name, specifier)
    declared = {name for name, _ in conda | pip}
    extra = declared - {CONDA_NAMES.get(n, n) for n, _ in wanted} - {n for n, _ in wanted}
    assert extra <= {"python", "pip"}, extra
    python = dict(conda)["python"]
    assert python == PYPROJECT["project"]["requires-python"]
    assert (
        "-e ."
        in next(item for item in ENVIRONMENT["dependencies"] if isinstance(item, dict))["pip"]
    )


def test_the_action_is_a_pinned_composite_with_the_promised_interface() -> None:
    assert ACTION["runs"]["using"] == "composite"
    assert {"path", "fail-on", "title"} <= set(ACTION["inputs"])
    assert {"errors", "warnings", "notes"} <= set(ACTION["outputs"])
    steps = ACTION["runs"]["steps"]
    uses = [step["uses"] for step in steps if "uses" in step]
    assert all(re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", item) for item in uses), uses
    assert any(item.startswith("github/codeql-action/upload-sarif@") for item in uses)
    assert any(item.startswith("actions/upload-artifact@") for item in uses)
    runs = " ".join(step.get("run", "") for step in steps)
    assert "repolens report" in runs and "repolens check" in runs
    for step in steps:  # inputs reach scripts through env, never pasted into them
        assert "${{" not in step.get("run", ""), step.get("name")


def test_the_projects_own_workflow_uses_the_action() -> None:
    workflow = yaml.safe_load((REPO / ".github" / "workflows" / "ci.yml").read_text())
    used = [
        step
        for job in workflow["jobs"].values()
        for step in job["steps"]
        if step.get("uses") == "./"
    ]
    assert used and used[0]["with"]["path"] == "examples/Detect_Lines"


def test_the_hook_runs_repolens_check_on_the_files_it_is_given() -> None:
    (hook,) = HOOKS
    assert hook["id"] == "repolens-check" and hook["entry"] == "repolens check"
    assert hook["pass_filenames"] is True and hook["language"] == "python"
    assert hook["args"] == ["--fail-on", "warning"]  # warnings and errors stop a commit


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(root), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.mark.slow
def test_pre_commit_runs_the_hook_and_stops_a_commit_with_an_error_or_a_warning(
    tmp_path: Path,
) -> None:
    if (
        shutil.which("pre-commit") is None
        and not (Path(sys.prefix) / "bin" / "pre-commit").exists()
    ):
        pytest.skip("pre-commit is not installed (pip install pre-commit)")
    if not (REPO / ".git").exists():
        pytest.skip("the hook is installed from a git checkout of repolens")
    revision = git(REPO, "rev-parse", "HEAD")
    repo = tmp_path / "lab"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / ".pre-commit-config.yaml").write_text(  # the hook's documented default args
        f"repos:\n  - repo: {REPO}\n    rev: {revision}\n    hooks:\n      - id: repolens-check\n"
    )
    (repo / "clean.py").write_text("import os\n")
    (repo / "config.yaml").write_text("key: " + "AKIA" + "Z7Q4XK3MPLW2R9TB" + "\n")
    (repo / "drive.py").write_text("DATA = r'C:\\Users\\ana\\Desktop\\data'\n")
    env = python_env() | {"PRE_COMMIT_HOME": str(tmp_path / "cache")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"

    def run(*files: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pre_commit", "run", "--files", *files],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )

    clean = run("clean.py")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    dirty = run("clean.py", "config.yaml")
    assert dirty.returncode != 0
    assert "SE001" in dirty.stdout and "config.yaml" in dirty.stdout
    # a warning stops the commit too: a path of one machine never passes silently
    path = run("clean.py", "drive.py")
    assert path.returncode != 0
    assert "PA001" in path.stdout and "C:\\Users\\ana" in path.stdout
