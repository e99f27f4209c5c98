"""repolens' build backend: setuptools', with mypyc added to the wheel's build requirements
when ``REPOLENS_MYPYC=1`` asks for compiled modules (``setup.py`` names them).

Without the variable (an sdist, ``pip install -e .``, a plain ``pip install``) the wheel is
pure Python; with it, the modules of the per-file path are compiled by mypyc from the same
source, as black and mypy ship themselves. A wheel-building service sets the variable for
every platform it builds (``CIBW_ENVIRONMENT="REPOLENS_MYPYC=1"`` under cibuildwheel).
"""

from __future__ import annotations

import os

from setuptools import build_meta
from setuptools.build_meta import (
    build_editable,
    build_sdist,
    build_wheel,
    get_requires_for_build_editable,
    get_requires_for_build_sdist,
    prepare_metadata_for_build_editable,
    prepare_metadata_for_build_wheel,
)

__all__ = [
    "MYPYC_REQUIREMENT",
    "build_editable",
    "build_sdist",
    "build_wheel",
    "compiled_build",
    "get_requires_for_build_editable",
    "get_requires_for_build_sdist",
    "get_requires_for_build_wheel",
    "prepare_metadata_for_build_editable",
    "prepare_metadata_for_build_wheel",
]

# The compiler measured in bench/RESULTS.md: a newer one is taken on purpose, not by chance.
MYPYC_REQUIREMENT = "mypy==2.4.1"


def compiled_build() -> bool:
    """Whether this build compiles (``REPOLENS_MYPYC=1``)."""
    return os.environ.get("REPOLENS_MYPYC", "") == "1"


def get_requires_for_build_wheel(config_settings: dict[str, object] | None = None) -> list[str]:
    requires = build_meta.get_requires_for_build_wheel(config_settings)
    return [*requires, MYPYC_REQUIREMENT] if compiled_build() else requires
