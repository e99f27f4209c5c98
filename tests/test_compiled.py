"""The compiled wheel and the pure source give the same reports, byte for byte.

The wheel built with ``REPOLENS_MYPYC=1`` carries the modules ``setup.py`` names compiled
by mypyc; everything else (the sdist, ``pip install -e .``) runs them as Python. These
tests run both on the bundled sample and on the standard library and compare files.csv and
metrics.json (all but the run's ``timestamp``). They need a Python whose repolens came from
such a wheel: ``REPOLENS_COMPILED_PYTHON`` names it (scripts/wheel-smoke.sh sets it to its
clean venv, so .ci/run always runs them); without it they are skipped.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from .conftest import REPO, SAMPLE, python_env

COMPILED_PYTHON = os.environ.get("REPOLENS_COMPILED_PYTHON", "")
pytestmark = pytest.mark.skipif(
    not COMPILED_PYTHON,
    reason="no compiled build: REPOLENS_COMPILED_PYTHON names a Python whose repolens was "
    "installed from a wheel built with REPOLENS_MYPYC=1 (scripts/wheel-smoke.sh sets it)",
)
STDLIB = Path(sysconfig.get_paths()["stdlib"])
# The standard library without the packages installed beside it and without bytecode.
STDLIB_EXCLUDES = ("--exclude", "site-packages", "--exclude", "__pycache__")


def compiled_names() -> list[str]:
    """The modules the wheel compiles, as dotted names (build_backend/compiled.txt)."""
    sys.path.insert(0, str(REPO))
    try:
        from setup import compiled_modules
    finally:
        sys.path.remove(str(REPO))
    return [path.removesuffix(".py").replace("/", ".") for path in compiled_modules()]


def scan(python: str, env: dict[str, str], tree: Path, out: Path, *extra: str) -> None:
    command = [python, "-m", "repolens", "scan", str(tree), "-o", str(out), "-q", *extra]
    result = subprocess.run(
        command, env=env, cwd=out.parent, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def pure_env() -> dict[str, str]:
    """This checkout's source first on the path: nothing compiled is imported."""
    return python_env() | {"PYTHONPATH": str(REPO / "lib")}


def compiled_env() -> dict[str, str]:
    env = python_env()
    env.pop("PYTHONPATH", None)
    return env


def without_timestamp(document: bytes) -> bytes:
    """metrics.json without the one value that differs between two runs."""
    text, replaced = re.subn(rb'\n  "timestamp": "[^"]*",\n', b"\n", document, count=1)
    assert replaced == 1
    return text


def test_the_compiled_python_imports_every_listed_module_compiled(tmp_path: Path) -> None:
    names = compiled_names()
    assert len(names) >= 4  # the table is read, not empty
    code = (
        "import importlib, sys\n"
        "for name in sys.argv[1:]:\n"
        "    print(name, importlib.import_module(name).__file__)\n"
    )
    result = subprocess.run(
        [COMPILED_PYTHON, "-c", code, *names],
        env=compiled_env(),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    found = dict(line.split(" ", 1) for line in result.stdout.splitlines())
    assert set(found) == set(names)
    for name, path in found.items():
        assert path.endswith(".so"), f"{name} is not compiled: {path}"
    pure = subprocess.run(
        [sys.executable, "-c", code, *names],
        env=pure_env(),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert all(line.endswith(".py") for line in pure.stdout.splitlines()), pure.stdout


@pytest.mark.slow
@pytest.mark.parametrize(
    ("tree", "extra"),
    [(SAMPLE, ()), (STDLIB, STDLIB_EXCLUDES)],
    ids=["sample", "stdlib"],
)
def test_compiled_and_pure_write_the_same_reports(
    tmp_path: Path, tree: Path, extra: tuple[str, ...]
) -> None:
    pure, compiled, warm = tmp_path / "pure", tmp_path / "compiled", tmp_path / "warm"
    scan(sys.executable, pure_env(), tree, pure, "--no-cache", *extra)
    scan(COMPILED_PYTHON, compiled_env(), tree, compiled, "--no-cache", *extra)
    cache = ("--cache-dir", str(tmp_path / "cache"))
    scan(COMPILED_PYTHON, compiled_env(), tree, warm, *cache, *extra)  # writes the cache
    scan(COMPILED_PYTHON, compiled_env(), tree, warm, *cache, *extra)  # reads it
    rows = (pure / "files.csv").read_bytes()
    assert rows.count(b"\r\n") > (40 if tree == SAMPLE else 1000)  # a real tree was scanned
    document = without_timestamp((pure / "metrics.json").read_bytes())
    for other in (compiled, warm):
        assert (other / "files.csv").read_bytes() == rows
        assert without_timestamp((other / "metrics.json").read_bytes()) == document
