"""A portfolio of untrusted repositories cannot mix them up: one folder each, the output
folder never scanned, rows of this run only and validated, every CSV cell guarded, no
link followed out of a folder, lists read as text whatever their line ends.

Every repository here is generated; each states the files it holds."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from repolens.cli import main
from repolens.core.cells import FORMULA_PREFIXES
from repolens.portfolio import load_portfolio_schema, read_list
from repolens.portfolio.names import MAX_NAME, RESERVED, folder_names
from repolens.portfolio.rows import COLUMNS, MAX_ROW_BYTES, RUN_ID, Row, valid_row

from .conftest import make_tree, python_env

SAFE = "^[A-Za-z0-9][A-Za-z0-9._-]*$"


def _digest(path: str, size: int = 8) -> str:
    return hashlib.sha256(os.fsencode(path)).hexdigest()[:size]


def _run(*args: str) -> int:
    return main(["portfolio", *args, "-q"])


def _document(out: Path) -> dict[str, Any]:
    document = json.loads((out / "portfolio.json").read_text("utf-8"), parse_constant=_no_constant)
    jsonschema.validate(document, load_portfolio_schema())
    return document


def _no_constant(text: str) -> Any:
    raise AssertionError(f"{text} in portfolio.json")


def _csv_cells(out: Path) -> list[list[str]]:
    with open(out / "portfolio.csv", newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def _assert_guarded(out: Path) -> None:
    """Every cell of portfolio.csv is empty, a whole number, or text a spreadsheet shows
    as text (no formula start)."""
    for row in _csv_cells(out)[1:]:
        for cell in row:
            if cell and not cell.isdigit():
                assert not cell.startswith(FORMULA_PREFIXES[:-1]), cell


# --- folder names --------------------------------------------------------------------


def _check_names(entries: list[tuple[str, str]]) -> list[str]:
    names = folder_names(entries)
    assert len(names) == len(entries)
    keys = [name.lower() for name in names]
    assert len(set(keys)) == len(keys), names  # unique, also on a case-insensitive disk
    assert not set(keys) & RESERVED
    for name in names:
        assert 0 < len(name) <= MAX_NAME and name[0].isalnum(), name
        assert all(ch.isascii() and (ch.isalnum() or ch in "._-") for ch in name), name
    assert folder_names(entries) == names  # the same list gives the same names
    return names


def test_a_hashed_name_never_takes_a_listed_folders_own_name() -> None:
    taken = f"x-{_digest('a/x')}"  # what a/x would become: a folder is called that already
    names = _check_names([("a/x", "x"), ("b/x", "x"), (f"c/{taken}", taken)])
    assert names[2] == taken  # a name held alone is kept
    assert names[0] == f"x-{_digest('a/x', 16)}"  # the longer suffix
    assert names[1] == f"x-{_digest('b/x')}"


def test_every_suffix_taken_still_gives_a_folder_of_its_own() -> None:
    suffixed = [f"x-{_digest('a/x', size)}" for size in (8, 16, 32)]
    entries = [("a/x", "x"), ("b/x", "x"), *((f"c/{name}", name) for name in suffixed)]
    names = _check_names(entries)
    assert names[2:] == suffixed and names[0] not in suffixed and names[0].startswith("x-")


@pytest.mark.parametrize(
    ("folders", "expected"),
    [
        (["Data", "data", "DATA"], 3),  # case only: one folder on macOS or Windows
        ([".", "..", "", "/"], 4),  # nothing usable left: "repository" each, suffixed
        (["x" * 300, "x" * 301], 2),  # cut to 64: then the same
        (["a\nb", "a\rb", "a_b"], 3),  # newline, carriage return: "_" like the safe one
        (["\u202egpj.py", "\u2066x\u2069", "gpj.py"], 3),  # bidi controls
        (["portfolio.json", "Portfolio.CSV", "portfolio_checks.png", "portfolio"], 4),
        (["-rf", "--merge", "_x_", "x"], 4),  # option-like and edge characters
        (["\udcff\udcfe", "\udcff"], 2),  # bytes that are not UTF-8 (surrogate-escaped)
    ],
)
def test_adversarial_names_become_distinct_safe_folders(folders: list[str], expected: int) -> None:
    entries = [(f"list/{index}/{folder}", folder) for index, folder in enumerate(folders)]
    names = _check_names(entries)
    assert len(set(names)) == expected
    assert not {"portfolio.json", "portfolio.csv"} & {name.lower() for name in names}


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(alphabet="aAbB._-", max_size=4),
            st.text(max_size=70),
            st.sampled_from(sorted(RESERVED)),
        ),
        min_size=1,
        max_size=12,
    ),
    st.data(),
)
def test_names_are_unique_for_any_list(folders: list[str], data: st.DataObject) -> None:
    entries = [(f"p{index}/{folder}", folder) for index, folder in enumerate(folders)]
    names = folder_names(entries)
    # an adversary who knows the rule: a new folder named like one of the suffixed names
    copied = data.draw(st.sampled_from(names))
    _check_names([*entries, (f"q/{copied}", copied)])


# --- the whole command: no two repositories in one folder -----------------------------


def test_colliding_names_keep_every_repositorys_result(tmp_path: Path) -> None:
    taken = f"x-{_digest('a/x')}"
    files = {"a/x": 1, "b/x": 2, f"c/{taken}": 3, "d/Data": 4, "e/data": 5}
    for path, count in files.items():
        make_tree(tmp_path / path, {f"f{n}.py": f"n = {n}\n" for n in range(count)})
    (tmp_path / "list.txt").write_text("".join(f"{path}\n" for path in files))
    out = tmp_path / "out"
    assert _run(str(tmp_path / "list.txt"), "-o", str(out), "--jobs", "2") == 0
    rows = _document(out)["rows"]
    assert [row["files"] for row in rows] == list(files.values())  # none lost, none mixed
    assert len({row["name"].lower() for row in rows}) == 5
    assert rows[2]["name"] == taken
    for row in rows:  # each folder holds its own repository's reports
        metrics = json.loads((out / row["name"] / "metrics.json").read_text())
        assert metrics["summary"]["total_files"] == row["files"]


# --- the output folder is never scanned ------------------------------------------------


@pytest.fixture
def nested(tmp_path: Path) -> Path:
    """``big`` (3 files of its own) holds the output folder; ``small`` (2 files) and
    ``other`` (1 file) are beside it."""
    make_tree(tmp_path / "big", {"a.py": "a = 1\n", "b.py": "b = 2\n", "c.txt": "c\n"})
    make_tree(tmp_path / "small", {"s.py": "s = 1\n", "t.py": "t = 1\n"})
    make_tree(tmp_path / "other", {"o.py": "o = 1\n"})
    (tmp_path / "list.txt").write_text("big\nsmall\nother\n")
    return tmp_path


@pytest.mark.parametrize(
    "alias",
    [
        "big/out",  # as it is
        "big/../big/out",  # through ..
        "link/out",  # through a symbolic link to the repository (a bind mount's twin)
    ],
)
def test_the_output_folder_inside_a_repository_is_never_counted(nested: Path, alias: str) -> None:
    (nested / "link").symlink_to(nested / "big")
    out = nested / alias
    for _ in range(3):  # the same count every run, whatever the others wrote meanwhile
        assert _run(str(nested / "list.txt"), "-o", str(out), "--jobs", "2") == 0
        rows = {row["path"]: row for row in _document(nested / "big" / "out")["rows"]}
        assert (rows["big"]["files"], rows["small"]["files"], rows["other"]["files"]) == (
            3,
            2,
            1,
        )


def test_a_link_to_the_output_folder_is_one_entry_not_its_content(nested: Path) -> None:
    out = nested / "results"
    (nested / "other" / "peek").symlink_to(out)  # other: 1 file and this link
    assert _run(str(nested / "list.txt"), "-o", str(out), "--jobs", "1") == 0
    assert _run(str(nested / "list.txt"), "-o", str(out), "--jobs", "1") == 0  # out is full
    rows = {row["path"]: row for row in _document(out)["rows"]}
    assert rows["other"]["files"] == 1 and rows["big"]["files"] == 3
    listed = (out / rows["other"]["name"] / "files.csv").read_text()
    assert "peek," in listed and "peek/" not in listed  # the link itself, never through it


def test_a_repository_inside_the_output_folder_is_not_analysed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    make_tree(out / "kept", {"k.py": "k = 1\n"})  # a repository someone put in the results
    make_tree(tmp_path / "fine", {"f.py": "f = 1\n"})
    (tmp_path / "alias").symlink_to(out)
    (tmp_path / "list.txt").write_text("out/kept\nfine\nout\nalias/kept\n")
    assert _run(str(tmp_path / "list.txt"), "-o", str(out)) == 5
    rows = _document(out)["rows"]
    assert [row["status"] for row in rows] == ["failed", "ok", "failed", "failed"]
    assert rows[2]["name"] == "out" and (out / "out" / "row.json").is_file()  # ours to write
    assert all("output folder" in row["reason"] for row in rows if row["status"] != "ok")
    assert (out / "kept" / "k.py").is_file()  # nothing of it was touched


def test_a_repository_that_would_be_its_own_result_folder_is_left_untouched(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    solo = make_tree(out / "solo", {"s.py": "s = 1\n", "row.json": "its own file\n"})
    (tmp_path / "list.txt").write_text("out/solo\n")  # its folder name is its own path
    assert _run(str(tmp_path / "list.txt"), "-o", str(out)) == 5
    (row,) = _document(out)["rows"]
    assert row["status"] == "missing" and row["name"] == "solo"
    assert (solo / "row.json").read_text() == "its own file\n"
    assert sorted(path.name for path in solo.iterdir()) == ["row.json", "s.py"]


def test_a_folder_list_leaves_out_the_output_folder_by_identity(nested: Path) -> None:
    folder = nested / "repos"
    make_tree(folder / "one", {"1.py": "x = 1\n"})
    (nested / "elsewhere").symlink_to(folder)
    out = nested / "elsewhere" / "results"  # inside the folder, named through a link
    assert _run(str(folder), "-o", str(out)) == 0
    assert [row["name"] for row in _document(folder / "results")["rows"]] == ["one"]


# --- folder mode never leaves the folder -------------------------------------------------


def test_a_folder_list_never_follows_a_link_out_of_it(tmp_path: Path) -> None:
    outside = make_tree(tmp_path / "outside", {"secret.txt": "the outside\n", "s.py": "s\n"})
    folder = tmp_path / "repos"
    make_tree(folder / "real", {"r.py": "r = 1\n"})
    (folder / "etc").symlink_to("/etc")
    (folder / "away").symlink_to(outside)
    (folder / "twin").symlink_to(folder / "real")  # inside, but still a link
    (folder / "file.txt").write_text("not a repository\n")
    (folder / ".hidden").mkdir()
    out = tmp_path / "out"
    assert _run(str(folder), "-o", str(out)) == 5
    rows = {row["name"]: row for row in _document(out)["rows"]}
    assert set(rows) == {"real", "etc", "away", "twin"}
    assert rows["real"]["status"] == "ok" and rows["real"]["files"] == 1
    for name in ("etc", "away", "twin"):
        assert rows[name]["status"] == "failed" and rows[name]["files"] is None
        assert "symbolic link: not followed" in rows[name]["reason"]
        assert not (out / name / "metrics.json").exists()
    everything = "".join(path.read_text() for path in out.rglob("*.json"))
    assert "secret.txt" not in everything and "passwd" not in everything


# --- lists: text as editors write it -----------------------------------------------------


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: text.encode(),
        lambda text: b"\xef\xbb\xbf" + text.encode(),  # a byte-order mark (Notepad)
        lambda text: text.replace("\n", "\r\n").encode(),  # CRLF
        lambda text: b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode(),
        lambda text: text.rstrip("\n").encode(),  # no last line end
    ],
    ids=["plain", "bom", "crlf", "bom-crlf", "no-last-newline"],
)
def test_a_list_reads_the_same_whatever_its_line_ends(tmp_path: Path, encode) -> None:  # type: ignore[no-untyped-def]
    for name in ("first", "second", "odd\u2028name"):  # a line separator inside a name
        make_tree(tmp_path / name, {"m.py": "m = 1\n"})
    (tmp_path / "list.txt").write_bytes(encode("# repositories\nfirst\n\nsecond\nodd\u2028name\n"))
    repositories = read_list(tmp_path / "list.txt")
    assert [repo.path for repo in repositories] == ["first", "second", "odd\u2028name"]
    assert _run(str(tmp_path / "list.txt"), "-o", str(tmp_path / "out")) == 0


def test_a_list_behind_a_link_is_read_as_a_configmap_mounts_it(tmp_path: Path) -> None:
    make_tree(tmp_path / "one", {"m.py": "m = 1\n"})
    (tmp_path / "real.txt").write_text("one\n")
    (tmp_path / "list.txt").symlink_to(tmp_path / "real.txt")
    assert [repo.path for repo in read_list(tmp_path / "list.txt")] == ["one"]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda path: path.symlink_to("/dev/zero"), "character device"),
        (lambda path: os.truncate(path.touch() or path, 17 << 20), "over 16 MiB"),
        (lambda path: path.write_text("a" * 5000 + "\n"), "line 1 is over 4,096 bytes"),
        (lambda path: path.write_bytes(b"\xff\xfe" + "a\n".encode("utf-16-le")), "not a text"),
    ],
    ids=["dev-zero", "sparse-17-mib", "long-line", "utf-16"],
)
def test_a_list_that_is_not_one_is_exit_2_at_once(  # type: ignore[no-untyped-def]
    tmp_path: Path, capsys, make, message
) -> None:
    make(tmp_path / "list.txt")
    assert main(["portfolio", str(tmp_path / "list.txt"), "-o", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err
    assert message in error and error.count("\n") == 1


# --- rows: this run's, whole, validated ---------------------------------------------------

EVIL = "=cmd|' /C calc'!A0"


def _swap(row: dict[str, Any], **changes: Any) -> bytes:
    return json.dumps({**row, **changes}).encode()


def _replace_number(row: dict[str, Any], text: str) -> bytes:
    return json.dumps({**row, "bytes": 12345}).replace("12345", text).encode()


def _without(key: str) -> Any:
    return lambda row: json.dumps({k: v for k, v in row.items() if k != key}).encode()


def _deep(_row: dict[str, Any]) -> bytes:
    return b'{"index": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"


# case -> (row.json bytes from the valid row, or a callable making the file; status; reason)
ROW_CASES: dict[str, tuple[Any, str, str]] = {
    "intact": (lambda row: json.dumps(row).encode(), "ok", ""),
    "nan": (lambda row: _replace_number(row, "NaN"), "missing", "not a number JSON allows"),
    "minus-infinity": (lambda row: _replace_number(row, "-Infinity"), "missing", "JSON allows"),
    "huge-exponent": (lambda row: _replace_number(row, "1e400"), "missing", "got `float`"),
    "5000-digits": (lambda row: _replace_number(row, "9" * 5000), "missing", "not a valid row"),
    "past-2-53": (lambda row: _swap(row, bytes=2**53), "missing", "<= 9007199254740991"),
    "negative": (lambda row: _swap(row, bytes=-3_000_000), "missing", ">= 0"),
    "fraction": (lambda row: _swap(row, files=1.5), "missing", "got `float`"),
    "boolean": (lambda row: _swap(row, files=True), "missing", "got `bool`"),
    "formula-number": (lambda row: _swap(row, bytes=EVIL), "missing", "got `str`"),
    "formula-plus": (lambda row: _swap(row, code="+1+1"), "missing", "got `str`"),
    "extra-key": (lambda row: _swap(row, evil=1), "missing", "unknown field `evil`"),
    "ok-without-measures": (_without("files"), "missing", "an ok row without files"),
    "failed-with-measures": (lambda row: _swap(row, status="failed"), "missing", "failed row"),
    "stale-status": (lambda row: _swap(row, status="stale"), "missing", "Invalid enum"),
    "deep": (_deep, "missing", "not a valid row"),
    "not-utf8": (lambda row: b"\xff" + json.dumps(row).encode(), "missing", "not UTF-8"),
    "long-checks": (lambda row: _swap(row, checks="X," * 6000), "missing", "length <= 10000"),
    "long-reason": (lambda row: _swap(row, reason="r" * 1001), "missing", "length <= 1000"),
    "not-json": (lambda _row: b"{broken", "missing", "not a valid row"),
    "array": (lambda _row: b"[1, 2]", "missing", "Expected `object`"),
    "other-repository": (lambda row: _swap(row, name="someone-else"), "missing", "another"),
    "other-index": (lambda row: _swap(row, index=row["index"] + 1), "missing", "another"),
    "no-run-id": (_without("run_id"), "missing", "run_id"),
    "bad-run-id": (lambda row: _swap(row, run_id="x\u202e"), "missing", "run_id"),
    "earlier-run": (lambda row: _swap(row, run_id="earlier-run"), "stale", "run earlier-run"),
    "over-1-mib": (lambda row: _swap(row, path="p" * MAX_ROW_BYTES), "missing", "over the"),
    "sparse-1-gib": ("sparse", "missing", "over the 1,048,576-byte limit"),
    "fifo": ("fifo", "missing", "a FIFO"),
    "dev-zero": ("dev-zero", "missing", "a symbolic link"),
    "link-to-a-row": ("link", "missing", "a symbolic link"),
    "folder-is-a-link": ("folder-link", "missing", "its folder is a symbolic link"),
    "no-row": ("gone", "missing", "did not finish"),
    "formula-text": (  # text that validates: kept, and guarded in the CSV
        lambda row: _swap(row, largest_file=EVIL, top_language="+1+1", checks="@SUM(1)"),
        "ok",
        "",
    ),
}


def _corrupt(folder: Path, how: Any, row: dict[str, Any], spare: Path) -> None:
    target = folder / "row.json"
    target.unlink()
    if how == "sparse":
        with open(target, "wb") as handle:
            handle.truncate(1 << 30)
    elif how == "fifo":
        os.mkfifo(target)
    elif how == "dev-zero":
        target.symlink_to("/dev/zero")
    elif how == "link":
        (spare / f"{folder.name}.json").write_text(json.dumps(row))
        target.symlink_to(spare / f"{folder.name}.json")
    elif how == "folder-link":
        (target.with_name("kept.json")).write_text(json.dumps(row))
        folder.rename(spare / folder.name)
        folder.symlink_to(spare / folder.name)
        (spare / folder.name / "kept.json").rename(spare / folder.name / "row.json")
    elif how != "gone":
        target.write_bytes(how(row))


def test_merge_takes_only_valid_rows_of_its_own_run(tmp_path: Path) -> None:
    names = list(ROW_CASES)
    for number, name in enumerate(names):
        make_tree(tmp_path / "repos" / name, {f"f{n}.py": "x = 1\n" for n in range(number + 1)})
    out = tmp_path / "out"
    assert _run(str(tmp_path / "repos"), "-o", str(out), "--jobs", "1", "--run-id", "r1") == 0
    spare = tmp_path / "spare"
    spare.mkdir()
    for name, (how, _status, _reason) in ROW_CASES.items():
        row = json.loads((out / name / "row.json").read_text())
        _corrupt(out / name, how, row, spare)
    merge = [sys.executable, "-m", "repolens", "portfolio", str(tmp_path / "repos")]
    result = subprocess.run(
        [*merge, "-o", str(out), "--merge", "--run-id", "r1"],
        capture_output=True,
        text=True,
        timeout=120,  # a FIFO or /dev/zero read would never end
        env=python_env(),
        check=False,
    )
    assert result.returncode == 5, result.stderr
    document = _document(out)  # validates against its schema, no NaN or Infinity
    rows = {row["name"]: row for row in document["rows"]}
    for name, (_how, status, reason) in ROW_CASES.items():
        row = rows[name]
        assert (row["status"], name) == (status, name), row["reason"]
        assert reason in row["reason"], (name, row["reason"])
        assert len(row["reason"]) <= 1000 and "\n" not in row["reason"]
        if status != "ok":
            assert all(row[key] is None for key in ("files", "bytes", "code", "largest_file"))
    assert rows["intact"]["files"] == names.index("intact") + 1
    assert rows["formula-text"]["largest_file"] == EVIL
    stale = sum(1 for case in ROW_CASES.values() if case[1] == "stale")
    missing = sum(1 for case in ROW_CASES.values() if case[1] == "missing")
    assert document["counts"] == {"ok": 2, "failed": 0, "missing": missing, "stale": stale}
    assert document["run_id"] == "r1"
    _assert_guarded(out)
    cells = _csv_cells(out)
    (formula_row,) = [row for row in cells if row[COLUMNS.index("name")] == "formula-text"]
    assert "'" + EVIL in formula_row and "'+1+1" in formula_row and "'@SUM(1)" in formula_row


def test_a_changed_repository_in_a_shard_that_did_not_run_again_is_stale(
    tmp_path: Path,
) -> None:
    repos = tmp_path / "repos"
    for name in ("alpha", "beta", "gamma", "delta"):
        make_tree(repos / name, {"m.py": "m = 1\n"})
    out = tmp_path / "out"
    for shard in ("0/2", "1/2"):
        assert _run(str(repos), "-o", str(out), "--shard", shard, "--run-id", "first") == 0
    assert _run(str(repos), "-o", str(out), "--merge", "--shards", "2", "--run-id", "first") == 0
    before = {row["name"]: row for row in _document(out)["rows"]}
    # beta (position 1 of alpha, beta, delta, gamma: shard 1) grows by 3 MB; only shard 0
    # (alpha and delta) runs again, in a new run
    (repos / "beta" / "weights.bin").write_bytes(b"\0" * 3_000_000)
    assert _run(str(repos), "-o", str(out), "--shard", "0/2", "--run-id", "second") == 0
    assert _run(str(repos), "-o", str(out), "--merge", "--shards", "2", "--run-id", "second") == 5
    document = _document(out)
    rows = {row["name"]: row for row in document["rows"]}
    assert rows["beta"]["status"] == rows["gamma"]["status"] == "stale"
    assert rows["beta"]["bytes"] is None  # never its old size
    assert "from run first, not from this run (second)" in rows["beta"]["reason"]
    assert rows["alpha"]["status"] == rows["delta"]["status"] == "ok"
    assert rows["alpha"]["bytes"] == before["alpha"]["bytes"]
    assert document["counts"] == {"ok": 2, "failed": 0, "missing": 0, "stale": 2}
    assert document["failed_shards"] == [1]


@pytest.mark.parametrize(
    ("args", "environment", "message"),
    [
        (["--shard", "0/2"], {}, "need the run's id"),
        (["--merge"], {}, "need the run's id"),
        (["--merge", "--run-id", ""], {}, "run id ''"),
        (["--run-id=-x"], {}, "starting with a letter or digit"),
        (["--run-id", "a" * 129], {}, "1 to 128"),
        ([], {"REPOLENS_RUN_ID": "a\nb"}, "run id 'a\\nb'"),
        ([], {"REPOLENS_RUN_ID": "\u202eevil"}, "run id"),
    ],
)
def test_a_missing_or_bad_run_id_is_exit_2(  # type: ignore[no-untyped-def]
    tmp_path: Path, capsys, monkeypatch, args, environment, message
) -> None:
    make_tree(tmp_path / "one", {"m.py": "m = 1\n"})
    (tmp_path / "list.txt").write_text("one\n")
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    out = tmp_path / "out"
    assert main(["portfolio", str(tmp_path / "list.txt"), "-o", str(out), *args]) == 2
    error = capsys.readouterr().err
    assert message in error and error.count("\n") == 1 and "\u202e" not in error
    assert not out.exists()


def test_a_run_writes_its_id_into_every_row(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    for name in ("one", "two", "three"):
        make_tree(tmp_path / "repos" / name, {"m.py": "m = 1\n"})
    out = tmp_path / "out"
    assert _run(str(tmp_path / "repos"), "-o", str(out), "--jobs", "2") == 0
    run_id = _document(out)["run_id"]
    assert RUN_ID.fullmatch(run_id)
    for name in ("one", "two", "three"):
        row = valid_row(json.loads((out / name / "row.json").read_text()))
        assert row.run_id == run_id
    monkeypatch.setenv("REPOLENS_RUN_ID", "from-the-job")
    assert _run(str(tmp_path / "repos"), "-o", str(out)) == 0
    assert _document(out)["run_id"] == "from-the-job"


def test_paths_that_look_like_formulas_are_guarded_in_the_csv(tmp_path: Path) -> None:
    folder = tmp_path / "repos"
    evil = EVIL.replace("/", "-")  # a folder's name holds no slash
    for name in (evil, "+1+1", "-1+1", "@SUM(1)", "\tTAB", "\rCR", "'quoted", "plain"):
        make_tree(folder / name, {"m.py": "m = 1\n"})
    out = tmp_path / "out"
    assert _run(str(folder), "-o", str(out)) == 0
    _assert_guarded(out)
    paths = [row[COLUMNS.index("path")] for row in _csv_cells(out)[1:]]
    assert "'" + evil in paths and "'\tTAB" in paths and "'\rCR" in paths and "plain" in paths


# --- the row schema and the row reader agree --------------------------------------------


def test_the_row_reader_and_the_schema_file_agree() -> None:
    schema = load_portfolio_schema()
    definitions = schema["$defs"]
    row_file = definitions["row_file"]
    assert set(row_file["properties"]) == set(Row.__struct_fields__)
    fields = Row.__struct_fields__
    required = fields[: len(fields) - len(Row.__struct_defaults__)]
    assert set(row_file["required"]) == set(required)
    assert set(required) == {"index", "name", "path", "status", "reason", "run_id"}
    table = schema["properties"]["rows"]["items"]
    assert set(table["properties"]) == set(table["required"]) == {*COLUMNS, "shard"}
    derived = msgspec.json.schema(Row)["$defs"]["Row"]["properties"]

    def bounds(spec: dict[str, Any]) -> dict[str, Any]:
        if "$ref" in spec:
            spec = {**definitions[spec["$ref"].rsplit("/", 1)[1]], **spec}
        options = spec.get("anyOf", [spec])
        found: dict[str, Any] = {}
        for option in options:
            for key in ("minimum", "maximum", "maxLength", "pattern", "enum"):
                if key in option:
                    found[key] = sorted(option[key]) if key == "enum" else option[key]
        return found

    for name, spec in row_file["properties"].items():
        assert bounds(spec) == bounds(derived[name]), name
