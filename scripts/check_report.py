"""Check a report folder that a container wrote against the library's own scan.

    python scripts/check_report.py OUTPUT_DIR DATA_DIR

Exits non-zero, saying what is wrong, unless OUTPUT_DIR holds a schema-valid
metrics.json whose totals equal a scan of DATA_DIR here, files.csv with a row per
record, the executed notebook, report.html and every chart.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import jsonschema

from repolens import load_schema, scan, summarise

CHARTS = ("bytes_by_category", "lines_by_language", "largest_files", "notebook_health", "activity")


def main(output: Path, data: Path) -> list[str]:
    problems = []
    document = json.loads((output / "metrics.json").read_text(encoding="utf-8"))
    jsonschema.validate(document, load_schema())
    expected = summarise(scan(data).records)
    summary = document["summary"]
    for key, value in (
        ("total_files", expected.total_files),
        ("total_lines", expected.total_lines),
        ("total_size_bytes", expected.total_size_bytes),
        ("code_lines", expected.code_lines),  # code files and code cells, never data rows
    ):
        if summary[key] != value:
            problems.append(f"{key}: container says {summary[key]}, the library {value}")
    rows = (output / "files.csv").read_text(encoding="utf-8").count("\n") - 1
    if rows != len(document["file_metrics"]):
        problems.append(f"files.csv has {rows} rows for {len(document['file_metrics'])} records")
    html = (output / "report.html").read_text(encoding="utf-8")
    if "Where the bytes are" not in html or "analysis.analyse(" in html:
        problems.append("report.html lacks its sections or shows code")
    if not (output / "analyze.ipynb").is_file():
        problems.append("no executed notebook")
    for chart in CHARTS:
        path = output / f"{chart}.png"
        if not path.is_file() or not path.read_bytes().startswith(b"\x89PNG"):
            problems.append(f"missing chart {path.name}")
    return problems


if __name__ == "__main__":
    found = main(Path(sys.argv[1]), Path(sys.argv[2]))
    for problem in found:
        print(f"check_report: {problem}", file=sys.stderr)
    if not found:
        print(f"check_report: {sys.argv[1]} is complete and agrees with the library")
    sys.exit(1 if found else 0)
