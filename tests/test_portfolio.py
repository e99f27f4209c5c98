"""repolens portfolio: many repositories, one table; sharded as an Indexed Job would.

The portfolio is generated here; ``REPOS`` states what each repository holds."""

from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path

import jsonschema
import pytest

from repolens.cli import main
from repolens.core.linekinds import is_code
from repolens.portfolio import COLUMNS, load_portfolio_schema, read_list
from repolens.portfolio.names import RESERVED
from repolens.scanning.scanner import scan

from .conftest import SAMPLE

# name -> {file: content}; the code lines of each are what a scan counts.
REPOS = {
    "alpha": {"train.py": "import os\n\n# train\nprint(os.getcwd())\n", "README.md": "# Alpha\n"},
    "beta": {"a.py": "x = 1\n", "b.py": "y = 2\nz = 3\n", "data/t.csv": "a,b\n1,2\n"},
    "gamma": {"notes.txt": "nothing to run\n"},
    # a setting that does not parse: `repolens check` refuses it, the portfolio records why
    "broken": {"x.py": "print(1)\n", ".repolens.toml": "select = [\n"},
}


def _make(root: Path) -> Path:
    for name, files in REPOS.items():
        for path, text in files.items():
            target = root / "repos" / name / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
    shutil.copytree(SAMPLE, root / "repos" / "Detect_Lines")
    (root / "more" / "alpha").mkdir(parents=True)  # a second "alpha": names collide
    (root / "more" / "alpha" / "m.py").write_text("m = 1\n")
    (root / "list.txt").write_text(
        "# the course's projects\n"
        "repos/alpha\n"
        "repos/beta\n\n"
        "repos/gamma\n"
        "repos/broken\n"
        f"{root / 'repos' / 'Detect_Lines'}\n"
        "more/alpha\n"
        "repos/alpha\n"  # listed twice: analysed once
        "gone/away\n"
    )
    return root / "list.txt"


EXPECTED = ["alpha", "beta", "gamma", "broken", "Detect_Lines", "alpha", "away"]
STATUS = ["ok", "ok", "ok", "failed", "ok", "ok", "failed"]


@pytest.fixture
def portfolio(tmp_path: Path) -> Path:
    return _make(tmp_path)


def _run(*args: str) -> int:
    return main(["portfolio", *args, "-q"])


def _document(out: Path) -> dict:
    return json.loads((out / "portfolio.json").read_text("utf-8"))


def test_every_repository_gets_a_row_and_failures_say_why(portfolio: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert _run(str(portfolio), "-o", str(out), "--jobs", "2") == 5  # one failed
    document = _document(out)
    jsonschema.validate(document, load_portfolio_schema())
    rows = document["rows"]
    assert [row["path"].rstrip("/").rsplit("/", 1)[-1] for row in rows] == EXPECTED
    assert [row["status"] for row in rows] == STATUS
    assert document["counts"] == {"ok": 5, "failed": 2, "missing": 0, "stale": 0}
    names = [row["name"] for row in rows]
    assert len(set(names)) == len(names)
    assert names[0].startswith("alpha-") and names[5].startswith("alpha-")
    assert "settings" in rows[3]["reason"] or "toml" in rows[3]["reason"]
    assert rows[6]["reason"] == "gone/away: no such directory"
    for row in rows:
        if row["status"] != "ok":
            assert row["files"] is None
            continue
        location = row["path"] if os.path.isabs(row["path"]) else portfolio.parent / row["path"]
        records = scan(location).records
        assert row["files"] == len(records)
        assert row["code"] == sum(  # lines of code only: rows of data are not code
            record.code or 0 for record in records if is_code(record.category, record.language)
        )
        assert (out / row["name"] / "metrics.json").is_file()
        assert (out / row["name"] / "findings.sarif").is_file()
    sample = rows[4]
    assert (sample["notebooks"], sample["notebooks_with_errors"], sample["errors"]) == (8, 1, 2)
    with open(out / "portfolio.csv", newline="", encoding="utf-8") as handle:
        table = list(csv.DictReader(handle))
    assert [row["name"] for row in table] == names
    assert list(table[0]) == [*COLUMNS, "shard"]


def test_the_same_inputs_give_the_same_table(portfolio: Path, tmp_path: Path) -> None:
    # --jobs 1 counts in this process (the engine's native threads now exist): the workers
    # of --jobs 3 must not be forked from it, or they wait forever on threads they lack.
    # the same run id: the table has no times, and the id is the one thing a new run changes
    assert _run(str(portfolio), "-o", str(tmp_path / "one"), "--jobs", "1", "--run-id", "r") == 5
    assert _run(str(portfolio), "-o", str(tmp_path / "two"), "--jobs", "3", "--run-id", "r") == 5
    assert _run(str(portfolio), "-o", str(tmp_path / "new"), "--jobs", "2") == 5
    for name in ("portfolio.json", "portfolio.csv"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()
    assert (tmp_path / "new" / "portfolio.csv").read_bytes() == (
        tmp_path / "one" / "portfolio.csv"
    ).read_bytes()  # the CSV holds no run id
    new = _document(tmp_path / "new")
    assert new["run_id"] != "r" and {**new, "run_id": "r"} == _document(tmp_path / "one")


def test_shards_write_only_their_folders_and_the_merge_names_missing_ones(
    portfolio: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = tmp_path / "whole"
    _run(str(portfolio), "-o", str(whole), "--jobs", "1")
    out = tmp_path / "sharded"
    repositories = read_list(portfolio)
    monkeypatch.setenv("REPOLENS_RUN_ID", "run-1")  # one id for the shards and the merge
    # shard 0 holds positions 0, 3 and 6: "broken" and "gone/away" fail there
    assert _run(str(portfolio), "-o", str(out), "--shard", "0/3") == 5
    mine = {repo.name for repo in repositories if repo.index % 3 == 0}
    assert {path.name for path in out.iterdir()} == mine  # its own folders, nothing else
    monkeypatch.setenv("JOB_COMPLETION_INDEX", "2")  # as the Indexed Job sets it
    monkeypatch.setenv("REPOLENS_SHARDS", "3")
    assert _run(str(portfolio), "-o", str(out)) == 0  # shard 2: gamma and more/alpha, both fine
    monkeypatch.delenv("JOB_COMPLETION_INDEX")
    assert _run(str(portfolio), "-o", str(out), "--merge") == 5
    document = _document(out)
    missing = [row for row in document["rows"] if row["status"] == "missing"]
    assert [row["index"] % 3 for row in missing] == [1] * len(missing) and missing
    assert document["failed_shards"] == [0, 1]  # 0: broken and gone/away; 1: never ran
    assert _run(str(portfolio), "-o", str(out), "--shard", "1/3") == 0
    assert _run(str(portfolio), "-o", str(out), "--merge", "--shards", "3") == 5
    merged = _document(out)
    reference = _document(whole)
    strip = [{k: v for k, v in row.items() if k != "shard"} for row in merged["rows"]]
    assert strip == [{k: v for k, v in row.items() if k != "shard"} for row in reference["rows"]]
    assert [row["shard"] for row in merged["rows"]] == [i % 3 for i in range(len(EXPECTED))]


def test_a_row_that_is_not_the_repositorys_own_is_not_trusted(
    portfolio: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    _run(str(portfolio), "-o", str(out), "--jobs", "1", "--run-id", "run-1")
    first = read_list(portfolio)[1]
    row = json.loads((out / first.name / "row.json").read_text())
    (out / first.name / "row.json").write_text(json.dumps({**row, "name": "someone-else"}))
    (out / read_list(portfolio)[2].name / "row.json").write_text("{broken")
    assert _run(str(portfolio), "-o", str(out), "--merge", "--run-id", "run-1") == 5
    rows = _document(out)["rows"]
    assert rows[1]["status"] == rows[2]["status"] == "missing"


def test_a_folder_of_repositories_is_a_list(portfolio: Path, tmp_path: Path) -> None:
    folder = portfolio.parent / "repos"
    out = folder / "results"  # inside the folder: not taken for a repository
    assert _run(str(folder), "-o", str(out), "--jobs", "2") == 5
    rows = _document(out)["rows"]
    assert [row["name"] for row in rows] == sorted(REPOS | {"Detect_Lines": {}})


def test_hostile_names_become_safe_folders(tmp_path: Path) -> None:
    for name in ("=cmd|' /C calc'!A0", "..", "a b$(touch x)", "portfolio.json"):
        folder = tmp_path / "repos" / name.replace("/", "_")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "f.py").write_text("f = 1\n")
    (tmp_path / "list.txt").write_text(
        "\n".join(f"repos/{p.name}" for p in sorted((tmp_path / "repos").iterdir())) + "\n"
    )
    out = tmp_path / "out"
    assert _run(str(tmp_path / "list.txt"), "-o", str(out)) == 0
    rows = _document(out)["rows"]
    assert all(row["name"][0].isalnum() for row in rows)
    # beside the repositories' folders: the table and the page, the names kept from them
    assert {path.name for path in out.iterdir()} == {row["name"] for row in rows} | RESERVED
    text = (out / "portfolio.csv").read_text("utf-8")
    assert "\n0,=" not in text and ",=cmd" not in text  # formula cells are guarded


@pytest.mark.parametrize(
    ("list_text", "args", "environment", "message"),
    [
        (None, [], {}, "no such list file or folder"),
        ("fifo", [], {}, "not a regular file"),
        ("# nothing\n\n", [], {}, "names no repository"),
        (b"\x00\x01binary", [], {}, "not a text file"),
        ("a\n", ["--shard", "3/3"], {}, "0 <= INDEX < COUNT"),
        ("a\n", ["--shard", "x"], {}, "INDEX/COUNT"),
        ("a\n", [], {"JOB_COMPLETION_INDEX": "0"}, "REPOLENS_SHARDS is not"),
        ("a\n", ["--merge", "--shard", "0/2"], {}, "do not go together"),
        ("a\n", ["--jobs", "0"], {}, "must be 1 or more"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(  # type: ignore[no-untyped-def]
    tmp_path: Path, capsys, monkeypatch, list_text, args, environment, message
) -> None:
    target = tmp_path / "list.txt"
    if list_text == "fifo":
        os.mkfifo(target)
    elif isinstance(list_text, bytes):
        target.write_bytes(list_text)
    elif list_text is not None:
        target.write_text(list_text)
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    assert main(["portfolio", str(target), "-o", str(tmp_path / "out"), *args]) == 2
    error = capsys.readouterr().err
    assert message in error and error.count("\n") == 1


def test_views_rank_name_outliers_and_escape(portfolio: Path, tmp_path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from repolens.portfolio import view

    out = tmp_path / "out"
    _run(str(portfolio), "-o", str(out), "--jobs", "1")
    document = view.load_portfolio(out / "portfolio.json")
    for row in document["rows"]:
        row["reason"] = row["reason"] and "<script>alert(1)</script>"
    document["rows"][3]["name"] = "<b>bold</b>"
    html = view.failures_html(document)
    assert "<script>" not in html and "&lt;script&gt;" in html and "&lt;b&gt;" in html
    frame = view.portfolio_frame(document)
    assert len(frame) == STATUS.count("ok")
    table = view.league(frame)
    worst = table.iloc[0]
    assert (worst["errors"], worst["warnings"]) == max(
        (int(frame.loc[name, "errors"]), int(frame.loc[name, "warnings"])) for name in frame.index
    )
    by_code = view.league(frame, "code")
    assert list(by_code["code"]) == sorted(frame["code"], reverse=True)
    with pytest.raises(KeyError, match="no column"):
        view.league(frame, "nonsense")
    # the sample is far bigger than the others: named as the outlier in bytes
    assert view.outliers(frame, "bytes")[0] == "Detect_Lines"
    assert "Detect_Lines" in view.distributions_sentence(frame)
    counted = view.checks_frame(frame)
    assert counted["repositories"].max() <= len(frame)
    for plot in (view.plot_distributions, view.plot_committed_bytes, view.plot_checks):
        assert plot(frame).get_title(loc="left")
        assert plot(frame.iloc[0:0]).texts  # nothing to draw: it says so


def test_the_league_sentence_counts_in_words_that_agree() -> None:
    from repolens.portfolio.view import league_sentence, portfolio_frame

    rows = [
        {**dict.fromkeys(COLUMNS, 0), "name": name, "status": "ok", "reason": "",
         "errors": errors, "warnings": 0, "top_language": "", "largest_file": "", "checks": ""}
        for name, errors in (("a", 1), ("b", 0))
    ]  # fmt: skip
    sentence = league_sentence(portfolio_frame({"rows": rows}))
    assert "(1 error, 0 warnings)" in sentence
    assert "1 has no error or warning" in sentence and "1 have" not in sentence
