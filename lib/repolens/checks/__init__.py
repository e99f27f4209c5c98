"""``repolens check``: what stops a repository from being reproduced, with evidence and a fix.

Checks are small pure functions registered in ``run.py``; the table of checks is
``checks.toml``; findings are values (``model.py``) rendered by ``render.py``.
"""

from .config import CheckSettings, ConfigError, load_settings
from .model import Check, Finding, Level, checks_table
from .run import CheckResult, check

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
