"""repolens: reproducible metrics for research code repositories.

``scan`` walks a tree and records every file; ``summarise`` turns the records
(or the scan result itself) into totals; ``write_reports`` writes metrics.json and
files.csv as one checkable set (``verify_report_set``). For trees of any size,
``ScanStream`` yields the records one by one (sorted by path) into a ``Summariser``
and a ``ReportWriter``, holding none of them.
pandas and matplotlib are imported only by ``to_frame`` and the charts module.
"""

from ._version import __version__
from .core.records import FileRecord, Kind, LineCounts, NotebookStats, State
from .render.frame import notebooks_frame, to_frame
from .render.metrics import SCHEMA_VERSION, load_schema, metrics_document
from .render.report import (
    ReportWriter,
    verify_report_set,
    write_files_csv,
    write_metrics_json,
    write_reports,
)
from .render.summary import Group, NotebookTotals, Summariser, Summary, summarise
from .scanning.cache import default_cache_dir
from .scanning.filetypes import CATEGORIES
from .scanning.options import ScanError, ScanOptions, ScanResult
from .scanning.scanner import ScanStream, scan

__all__ = [
    "CATEGORIES",
    "SCHEMA_VERSION",
    "FileRecord",
    "Group",
    "Kind",
    "LineCounts",
    "NotebookStats",
    "NotebookTotals",
    "ReportWriter",
    "ScanError",
    "ScanOptions",
    "ScanResult",
    "ScanStream",
    "State",
    "Summariser",
    "Summary",
    "__version__",
    "default_cache_dir",
    "load_schema",
    "metrics_document",
    "notebooks_frame",
    "scan",
    "summarise",
    "to_frame",
    "verify_report_set",
    "write_files_csv",
    "write_metrics_json",
    "write_reports",
]
