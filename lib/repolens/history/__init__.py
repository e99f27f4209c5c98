"""``repolens history``: how a repository grew along its first-parent line, each
distinct blob analysed once by the scan's own reading and counting."""

from .git import HistoryError
from .run import HISTORY_FILES, HISTORY_SCHEMA_VERSION, HistoryOptions, HistoryResult, run_history

__all__ = [
    "HISTORY_FILES",
    "HISTORY_SCHEMA_VERSION",
    "HistoryError",
    "HistoryOptions",
    "HistoryResult",
    "run_history",
]
