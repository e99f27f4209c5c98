"""Scanning must stay light: no pandas, no matplotlib."""

from __future__ import annotations

import subprocess

from .conftest import PYTHON, SAMPLE, python_env

CODE = """
import sys
import repolens
result = repolens.scan(sys.argv[1])
repolens.summarise(result.records)
heavy = sorted(name for name in ("pandas", "matplotlib", "numpy") if name in sys.modules)
print(",".join(heavy) or "none")
"""


def test_a_scan_imports_neither_pandas_nor_matplotlib() -> None:
    out = subprocess.run(
        [PYTHON, "-c", CODE, str(SAMPLE)],
        capture_output=True,
        text=True,
        check=True,
        env=python_env(),
    ).stdout.strip()
    assert out == "none"


def test_public_names_are_exported() -> None:
    import repolens

    for name in repolens.__all__:
        assert hasattr(repolens, name), name
