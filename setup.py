"""Compiled modules for the wheel (everything else about the package is in pyproject.toml).

With ``REPOLENS_MYPYC=1`` the modules in ``COMPILED`` are compiled by mypyc from their own
source, as black compiles itself; without it (the sdist, ``pip install -e .``) they stay
pure Python, with identical output (tests/test_compiled.py compares the two byte for byte).
Only modules whose compiled form measured faster are listed (bench/RESULTS.md,
"Compiled and pure Python, module by module").
"""

from __future__ import annotations

import os
import sys

from setuptools import setup

COMPILED = (
    "repolens/scanning/sniff.py",
    "repolens/scanning/build.py",
    "repolens/scanning/reading.py",
    "repolens/scanning/chunks.py",
    "repolens/render/rows.py",
    "repolens/render/metrics.py",
    "repolens/core/cells.py",
    "repolens/core/times.py",
)
# Type-checked as mypyc compiles them; modules they import but that are not compiled
# are read for their types only.
MYPYC_OPTIONS = ("--ignore-missing-imports", "--follow-imports=silent")


# The commands that build extensions; metadata and the sdist never compile (nor need mypyc).
_BUILDS = {"bdist_wheel", "build", "build_ext"}


def ext_modules() -> list[object]:
    if os.environ.get("REPOLENS_MYPYC", "") != "1" or not _BUILDS & set(sys.argv[1:]):
        return []
    from mypyc.build import mypycify

    here = os.path.dirname(os.path.abspath(__file__))
    paths = [os.path.join("lib", path) for path in COMPILED]
    os.chdir(here)
    return mypycify([*MYPYC_OPTIONS, *paths], opt_level="3")


setup(ext_modules=ext_modules())
