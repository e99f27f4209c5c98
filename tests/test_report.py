"""The metrics document and the CSV: schema, original keys, determinism, atomicity."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import jsonschema
import pytest

from repolens import (
    ScanOptions,
    load_schema,
    metrics_document,
    scan,
    summarise,
    write_files_csv,
    write_metrics_json,
)
from repolens.render.rows import CSV_COLUMNS

from .conftest import SAMPLE, make_tree

ORIGINAL_FILE_KEYS = {
    "file_path",
    "file_name",
    "file_type",
    "size_bytes",
    "line_count",
    "created_time",
    "modified_time",
}
ORIGINAL_SUMMARY_KEYS = {
    "total_files",
    "total_lines",
    "total_size_bytes",
    "total_size_mb",
    "files_by_type",
    "largest_file",
    "file_with_most_lines",
    "average_lines_per_file",
    "average_file_size_mb",
}


def written(root: Path, out: Path, **options: object) -> dict:
    result = scan(root, ScanOptions(**options))
    write_metrics_json(out, result, summarise(result.records))
    return json.loads(out.read_text(encoding="utf-8"))


def test_the_sample_report_follows_the_schema(tmp_path: Path) -> None:
    document = written(SAMPLE, tmp_path / "m.json")
    jsonschema.Draft202012Validator.check_schema(load_schema())
    jsonschema.validate(document, load_schema())


def test_the_original_keys_are_kept(tmp_path: Path) -> None:
    document = written(SAMPLE, tmp_path / "m.json")
    assert {"timestamp", "base_path", "file_metrics", "summary", "schema_version"} <= set(document)
    assert set(document["summary"]) >= ORIGINAL_SUMMARY_KEYS
    for item in document["file_metrics"]:
        assert set(item) >= ORIGINAL_FILE_KEYS


def test_streamed_json_equals_the_document(tmp_path: Path) -> None:
    result = scan(SAMPLE)
    summary = summarise(result.records)
    write_metrics_json(tmp_path / "m.json", result, summary)
    assert json.loads((tmp_path / "m.json").read_text()) == metrics_document(result, summary)


def test_two_runs_differ_only_in_the_timestamp(tmp_path: Path) -> None:
    first = tmp_path / "1.json"
    second = tmp_path / "2.json"
    for out in (first, second):
        result = scan(SAMPLE)
        write_metrics_json(out, result, summarise(result.records))
    texts = [path.read_text().splitlines() for path in (first, second)]
    assert texts[0][1].lstrip().startswith('"timestamp"')
    del texts[0][1], texts[1][1]
    assert texts[0] == texts[1]


def test_the_same_tree_elsewhere_gives_the_same_records(tmp_path: Path) -> None:
    import shutil

    copies = []
    for name in ("one", "two/deeper"):
        target = tmp_path / name
        shutil.copytree(SAMPLE, target, copy_function=shutil.copy2)
        document = written(target, tmp_path / f"{name.replace('/', '_')}.json")
        for item in document["file_metrics"]:
            item.pop("changed_time"), item.pop("created_time")  # set by the copy itself
        copies.append(document)
    assert copies[0]["file_metrics"] == copies[1]["file_metrics"]
    assert copies[0]["base_path"] != copies[1]["base_path"]


def test_names_that_are_not_utf8_give_valid_json(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    with open(os.path.join(os.fsencode(root), b"bad_\xff.csv"), "wb") as handle:
        handle.write(b"a\n")
    out = tmp_path / "m.json"
    document = written(root, out)
    out.read_bytes().decode("utf-8")  # strict UTF-8
    (item,) = document["file_metrics"]
    assert item["file_path"] == "bad_\\xff.csv" and item["path_is_utf8"] is False
    jsonschema.validate(document, load_schema())


def test_an_empty_tree_gives_a_valid_report(tmp_path: Path) -> None:
    (tmp_path / "tree").mkdir()
    document = written(tmp_path / "tree", tmp_path / "m.json")
    jsonschema.validate(document, load_schema())
    assert document["file_metrics"] == []
    assert document["summary"]["total_files"] == 0
    assert document["summary"]["largest_file"] is None


def test_csv_has_one_row_per_record(tmp_path: Path) -> None:
    result = scan(SAMPLE)
    write_files_csv(tmp_path / "f.csv", result.records)
    with open(tmp_path / "f.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == list(CSV_COLUMNS)
    assert [row["file_path"] for row in rows] == [record.path for record in result.records]
    model = next(row for row in rows if row["file_path"] == "model.py")
    assert model["language"] == "Python" and int(model["line_count"]) > 0


def test_a_failed_write_leaves_the_old_report_whole(tmp_path: Path) -> None:
    out = tmp_path / "m.json"
    out.write_text('{"old": true}')
    result = scan(make_tree(tmp_path / "tree", {"a.py": "x\n"}))
    summary = summarise(result.records)

    class Boom(Exception):
        pass

    import repolens.render.metrics as metrics

    original = metrics.file_metric

    def exploding(record):
        raise Boom

    metrics.file_metric = exploding
    try:
        with pytest.raises(Boom):
            write_metrics_json(out, result, summary)
    finally:
        metrics.file_metric = original
    assert out.read_text() == '{"old": true}'
    assert [path.name for path in tmp_path.iterdir() if path.name.endswith(".tmp")] == []


def test_since_last_time_counts_changes_and_findings_new_and_fixed(tmp_path: Path) -> None:
    from repolens import analysis
    from repolens.render import narrative

    tree = make_tree(
        tmp_path / "tree",
        {"a.py": "x = 1\n", "keys.yaml": "key: " + "AKIA" + "Z7Q4XK3MPLW2R9TB" + "\n"},
    )
    first = analysis.analyse(str(tree), str(tmp_path / "then"))
    (tree / "keys.yaml").unlink()  # a finding fixed
    (tree / "b.py").write_text("p = '/home/ana/data/'\n")  # a new one, and a new file
    now = analysis.analyse(str(tree), str(tmp_path / "now"))
    comparison = analysis.since(now, str(tmp_path / "then" / "metrics.json"))
    assert comparison is not None
    total = comparison.changes[-1]
    assert total.name == "total" and total.files == (2, 2)
    code = next(change for change in comparison.changes if change.name == "code")
    assert code.files == (1, 2) and code.code_lines == (1, 2)
    assert [item.check for item in comparison.new] == ["PA001"]
    assert [item["check"] for item in comparison.fixed] == ["SE001"]
    html = narrative.baseline_html(comparison)
    assert "1 new finding" in html and "1 finding</strong> fixed" in html
    assert first.findings and "No earlier report" in narrative.baseline_html(None)


def test_a_baseline_that_is_not_a_report_exits_2(tmp_path: Path) -> None:
    import subprocess

    from .conftest import PYTHON, python_env

    tree = make_tree(tmp_path / "tree", {"a.py": "x\n"})
    (tmp_path / "other.json").write_text('{"not": "a report"}')
    for baseline in (str(tmp_path / "missing.json"), str(tmp_path / "other.json")):
        done = subprocess.run(
            [
                PYTHON,
                "-m",
                "repolens",
                "report",
                str(tree),
                "-o",
                str(tmp_path / "out"),
                "--baseline",
                baseline,
            ],
            capture_output=True,
            text=True,
            env=python_env(),
            timeout=120,
        )
        assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
        assert not (tmp_path / "out").exists()
