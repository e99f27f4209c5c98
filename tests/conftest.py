"""Shared helpers: build trees from tables, run code without root's powers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

# Property tests judge behaviour, never speed: on a shared machine a slow example is no
# failure (speed is measured in bench/). Tests that set their own settings keep them.
settings.register_profile("repolens", deadline=None)
settings.load_profile("repolens")

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "examples" / "Detect_Lines"


def make_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    """Create ``files`` ({relative path: content}) under ``root``; return ``root``."""
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_bytes(content)
    return root


def notebook_json(cells: list[dict[str, Any]], kernel: str = "python3", **extra: Any) -> str:
    document = {
        "cells": cells,
        "metadata": {"kernelspec": {"name": kernel, "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
        **extra,
    }
    return json.dumps(document)


DROP_PERMISSION_OVERRIDES = [
    "setpriv",
    "--inh-caps=-dac_override,-dac_read_search",
    "--bounding-set=-dac_override,-dac_read_search",
]


def run_unprivileged(code: str, *args: str) -> Any:
    """Run Python ``code`` (which prints JSON) in a process that file modes bind, and parse it.

    Root reads any file whatever its mode: as root, the process runs without
    the capabilities that let it do so. Without root, it simply runs.
    """
    command = [sys.executable, "-c", code, *args]
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root and setpriv is missing: cannot test file permissions")
        command = DROP_PERMISSION_OVERRIDES + command
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def mode_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A temporary folder whose locked sub-folders are unlocked again afterwards."""
    path = tmp_path_factory.mktemp("modes")
    yield path
    for folder, dirs, _files in os.walk(path):
        for name in dirs:
            os.chmod(os.path.join(folder, name), 0o755)


def python_env() -> dict[str, str]:
    """The environment for a subprocess running this interpreter's repolens."""
    env = dict(os.environ)
    env.pop("ANALYSIS_PATH", None)
    env.pop("OUTPUT_DIR", None)
    return env


PYTHON = sys.executable

PEAK_RSS_KIB = """
def peak_rss_kib():
    # VmHWM belongs to this program's own memory map; ru_maxrss would carry over the
    # high-water mark of the process this one was forked from (pytest itself).
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
"""
"""Source of ``peak_rss_kib()`` for scripts that tests run in a subprocess."""
