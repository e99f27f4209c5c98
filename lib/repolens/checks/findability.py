"""Findability basics (FI), offline: a README, a licence, a citation file at the top."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from ..core.findings import Finding
from .source import finding

__all__ = ["findability_findings", "spdx_of"]

_README = re.compile(r"^readme(\.[\w.]+)?$", re.IGNORECASE)
_LICENSE = re.compile(r"^(licen[cs]e|copying)([.-][\w.-]+)?$", re.IGNORECASE)
_CITATION = ("CITATION.cff", "codemeta.json", "CITATION.bib", "CITATION")
_SPDX = (
    ("MIT", re.compile(r"Permission is hereby granted, free of charge", re.I)),
    ("Apache-2.0", re.compile(r"Apache License,?\s+Version 2\.0", re.I)),
    ("GPL-3.0", re.compile(r"GNU GENERAL PUBLIC LICENSE\s+Version 3", re.I)),
    ("GPL-2.0", re.compile(r"GNU GENERAL PUBLIC LICENSE\s+Version 2", re.I)),
    ("BSD-3-Clause", re.compile(r"Neither the name of .{0,80} nor the names", re.I | re.S)),
    ("BSD-2-Clause", re.compile(r"Redistributions in binary form must reproduce", re.I)),
    ("CC-BY-4.0", re.compile(r"Creative Commons Attribution 4\.0", re.I)),
)


def spdx_of(text: str) -> str | None:
    """The SPDX id of a licence text, where its wording says it plainly."""
    declared = re.search(r"SPDX-License-Identifier:\s*([\w.+-]+)", text)
    if declared:
        return declared.group(1)
    for spdx, pattern in _SPDX:
        if pattern.search(text):
            return spdx
    return None


def findability_findings(top_level_names: Iterable[str]) -> Iterator[Finding]:
    names = list(top_level_names)
    if not any(_README.match(name) for name in names):
        yield finding("FI001", "", "no README at the top of the tree.")
    if not any(_LICENSE.match(name) for name in names):
        yield finding("FI002", "", "no LICENSE file at the top of the tree.")
    if not any(name in _CITATION for name in names):
        yield finding("FI003", "", "no CITATION.cff or codemeta.json at the top of the tree.")
