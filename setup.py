"""Compiled modules for the wheel (everything else about the package is in pyproject.toml).

With ``REPOLENS_MYPYC=1`` the modules named in build_backend/compiled.txt are compiled by
mypyc from their own source, as black compiles itself; without it (the sdist,
``pip install -e .``) they stay pure Python, with identical output (tests/test_compiled.py
compares the two byte for byte).
"""

from __future__ import annotations

import os
import sys

from setuptools import setup

HERE = os.path.dirname(os.path.abspath(__file__))


def compiled_modules() -> list[str]:
    """The paths under lib/ that build_backend/compiled.txt names (one a line, # comments)."""
    with open(os.path.join(HERE, "build_backend", "compiled.txt"), encoding="utf-8") as handle:
        lines = [line.split("#", 1)[0].strip() for line in handle]
    return [line for line in lines if line]


# Type-checked as mypyc compiles them; modules they import but that are not compiled
# are read for their types only.
MYPYC_OPTIONS = ("--ignore-missing-imports", "--follow-imports=silent")


# The commands that build extensions; metadata and the sdist never compile (nor need mypyc).
_BUILDS = {"bdist_wheel", "build", "build_ext"}


def ext_modules() -> list[object]:
    if os.environ.get("REPOLENS_MYPYC", "") != "1" or not _BUILDS & set(sys.argv[1:]):
        return []
    from mypyc.build import mypycify

    paths = [os.path.join("lib", path) for path in compiled_modules()]
    os.chdir(HERE)
    return mypycify([*MYPYC_OPTIONS, *paths], opt_level="3")


if __name__ == "__main__":  # as setuptools runs it; importing it builds nothing
    setup(ext_modules=ext_modules())
