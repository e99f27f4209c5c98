"""``repolens check``: what stops a repository from being reproduced, with evidence and a fix.

Checks are small pure functions registered in ``run.py``; the table of checks is
``checks.toml`` (read by ``table.py``); findings are values of the ground floor
(``core.findings``), rendered by ``render.findings``.
"""

from ..core.findings import Finding, Level
from .config import CheckSettings, ConfigError, load_settings
from .run import CheckResult, check
from .table import Check, checks_table

__all__ = [
    "Check",
    "CheckResult",
    "CheckSettings",
    "ConfigError",
    "Finding",
    "Level",
    "check",
    "checks_table",
    "load_settings",
]
