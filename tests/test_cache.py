"""The incremental cache: unchanged files are not read again; a bad cache is never trusted."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from repolens import ScanOptions, scan
from repolens.scanning.cache import read_raw, write_raw

from .conftest import make_tree, notebook_json

TREE = {
    "a.py": "# a\nx = 1\n",
    "b.csv": "h\n1\n",
    "img.png": b"\x89PNG\r\n\x1a\n" + bytes(30),
    "nb.ipynb": notebook_json(
        [{"cell_type": "code", "source": "y = 2\n", "outputs": [], "execution_count": 1}]
    ),
    "empty.txt": "",
}


@pytest.fixture
def counted_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every path whose content the scan opens."""
    import repolens.scanning.reading as reading

    reads: list[str] = []
    original = reading._read_head

    def spy(path: str, follow: bool = False):
        reads.append(os.path.basename(path))
        return original(path, follow)

    monkeypatch.setattr(reading, "_read_head", spy)
    return reads


def options(cache: Path) -> ScanOptions:
    return ScanOptions(cache_dir=cache)


def test_an_unchanged_tree_is_not_read_again(tmp_path: Path, counted_reads: list[str]) -> None:
    root = make_tree(tmp_path / "tree", TREE)
    first = scan(root, options(tmp_path / "cache"))
    assert sorted(counted_reads) == sorted(TREE)
    counted_reads.clear()
    second = scan(root, options(tmp_path / "cache"))
    assert counted_reads == []
    assert second.records == first.records
    assert (second.cache_hits, second.cache_misses) == (len(TREE), 0)


def test_a_changed_file_is_read_again(tmp_path: Path, counted_reads: list[str]) -> None:
    root = make_tree(tmp_path / "tree", TREE)
    scan(root, options(tmp_path / "cache"))
    counted_reads.clear()
    (root / "a.py").write_text("# a\nx = 1\ny = 2\nz = 3\n")
    result = scan(root, options(tmp_path / "cache"))
    assert counted_reads == ["a.py"]
    assert {r.path: r for r in result.records}["a.py"].lines == 4


def test_a_file_replaced_with_the_same_size_and_mtime_is_read_again(
    tmp_path: Path, counted_reads: list[str]
) -> None:
    root = make_tree(tmp_path / "tree", TREE)
    scan(root, options(tmp_path / "cache"))
    before = (root / "a.py").stat()
    (root / "a.py").unlink()
    (root / "a.py").write_text("# b\ny = 1\n")  # same size, new inode
    os.utime(root / "a.py", ns=(before.st_atime_ns, before.st_mtime_ns))
    counted_reads.clear()
    scan(root, options(tmp_path / "cache"))
    assert counted_reads == ["a.py"]


def msgpack_frames(header: object, entries: list[object]) -> bytes:
    """A cache file's bytes: a header frame and one frame of entries."""
    import msgspec

    out = b""
    for payload in (msgspec.msgpack.encode(header), msgspec.msgpack.encode(entries)):
        out += len(payload).to_bytes(4, "big") + payload
    return out


@pytest.mark.parametrize(
    "damage",
    [
        b"",
        b"not json at all",
        b"[1, 2, 3]",
        b"\x00\x00\x00\x01\xc0",  # a header frame holding nil
        b"\xff\xff\xff\xff" + b"x" * 100,  # a frame length past the limit
        b"\x00\x00\x10\x00" + b"\x91" * 4096,  # nested arrays with no end
        msgpack_frames({"format": "someone-else"}, []),
        msgpack_frames(None, [1, 2]),
    ],
)
def test_a_corrupt_or_foreign_cache_is_ignored_and_rebuilt(
    tmp_path: Path, damage: bytes, counted_reads: list[str]
) -> None:
    root = make_tree(tmp_path / "tree", TREE)
    reference = scan(root, options(tmp_path / "cache")).records
    (cache_file,) = (tmp_path / "cache").iterdir()
    cache_file.write_bytes(damage)
    counted_reads.clear()
    result = scan(root, options(tmp_path / "cache"))
    assert result.records == reference
    assert sorted(counted_reads) == sorted(TREE)
    counted_reads.clear()
    scan(root, options(tmp_path / "cache"))  # rebuilt: trusted again
    assert counted_reads == []


def test_entries_with_the_right_key_but_garbage_payload_are_read_again(
    tmp_path: Path, counted_reads: list[str]
) -> None:
    root = make_tree(tmp_path / "tree", TREE)
    reference = scan(root, options(tmp_path / "cache")).records
    (cache_file,) = (tmp_path / "cache").iterdir()
    header, entries = read_raw(cache_file)
    for entry in entries:
        entry[2:] = ["code", None, "maybe", None, "many", [1], "exploded", 3, None]
    write_raw(cache_file, header, entries)
    counted_reads.clear()
    assert scan(root, options(tmp_path / "cache")).records == reference
    assert sorted(counted_reads) == sorted(TREE)


def test_an_unwritable_cache_folder_is_a_note_not_a_failure(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "tree", TREE)
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("")
    result = scan(root, options(blocker / "cache"))
    assert len(result.records) == len(TREE)
    assert result.cache_note is not None and "cache not saved" in result.cache_note


def test_no_cache_dir_means_no_cache(tmp_path: Path, counted_reads: list[str]) -> None:
    root = make_tree(tmp_path / "tree", TREE)
    scan(root)
    scan(root)
    assert len(counted_reads) == 2 * len(TREE)


def test_a_scan_stopped_halfway_leaves_the_old_cache_whole(
    tmp_path: Path, counted_reads: list[str]
) -> None:
    from repolens import ScanStream

    root = make_tree(tmp_path / "tree", TREE)
    scan(root, options(tmp_path / "cache"))
    (cache_file,) = (tmp_path / "cache").iterdir()
    before = cache_file.read_bytes()
    (root / "a.py").write_text("# changed\nx = 2\ny = 3\n")
    stream = iter(ScanStream(root, options(tmp_path / "cache")))
    next(stream)
    stream.close()  # the consumer stopped (an error, a kill of the writer)
    assert cache_file.read_bytes() == before
    assert [path.name for path in (tmp_path / "cache").iterdir()] == [cache_file.name]
    counted_reads.clear()
    assert scan(root, options(tmp_path / "cache")).cache_hits == len(TREE) - 1
    assert counted_reads == ["a.py"]


def test_files_that_are_gone_leave_the_cache_and_new_ones_join_it(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "tree", TREE)
    scan(root, options(tmp_path / "cache"))
    (root / "b.csv").unlink()
    (root / "c.py").write_text("z = 1\n")
    scan(root, options(tmp_path / "cache"))
    (cache_file,) = (tmp_path / "cache").iterdir()
    _header, entries = read_raw(cache_file)
    paths = [entry[0] for entry in entries]
    assert paths == sorted(paths) == sorted(set(TREE) - {"b.csv"} | {"c.py"})


def test_a_warm_scan_writes_the_reports_from_the_cached_rows_byte_for_byte(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from repolens.cli import main
    from repolens.render import report

    root = make_tree(tmp_path / "tree", {**TREE, "odd,name\n=1.py": "x = 1\n"})
    cold, warm = tmp_path / "cold", tmp_path / "warm"
    assert main(["scan", str(root), "-o", str(cold), "--no-cache", "-q"]) == 0
    cache = ["--cache-dir", str(tmp_path / "cache")]
    assert main(["scan", str(root), "-o", str(warm), *cache, "-q"]) == 0  # fills the cache
    encoded: list[str] = []
    real = report.ReportWriter.encode

    def spy(self, record):  # type: ignore[no-untyped-def]
        encoded.append(record.path)
        return real(self, record)

    monkeypatch.setattr(report.ReportWriter, "encode", spy)
    assert main(["scan", str(root), "-o", str(warm), *cache, "-q"]) == 0
    assert encoded == []  # every row came from the cache
    assert (warm / "files.csv").read_bytes() == (cold / "files.csv").read_bytes()
    first, second = ((folder / "metrics.json").read_text() for folder in (cold, warm))
    assert first.split("\n", 2)[2] == second.split("\n", 2)[2]  # all but the timestamp


@pytest.mark.parametrize(
    "rows",
    [
        ("x\r\nevil,row\r\n", '{"file_path": "a.py"}'),  # a second CSV row
        ("a.py" + ",x" * 26 + "\r\n", '{"file_path": "a.py"}, {"file_path": "evil"}'),
        ("b.csv" + ",x" * 26 + "\r\n", '{"file_path": "b.csv"}'),  # another file's rows
        ("a.py" + ",x" * 26 + "\r\n", '{"file_path": "a.py",\n"x": 1}'),  # two lines
        ("a.py" + ",x" * 26, '{"file_path": "a.py"}'),  # no row end
    ],
)
def test_report_rows_from_a_hostile_cache_are_encoded_again(
    tmp_path: Path, rows: tuple[str, str]
) -> None:
    from repolens.cli import main

    root = make_tree(tmp_path / "tree", TREE)
    cold, warm = tmp_path / "cold", tmp_path / "warm"
    assert main(["scan", str(root), "-o", str(cold), "--no-cache", "-q"]) == 0
    cache = ["--cache-dir", str(tmp_path / "cache")]
    assert main(["scan", str(root), "-o", str(warm), *cache, "-q"]) == 0
    (cache_file,) = (tmp_path / "cache").iterdir()
    header, entries = read_raw(cache_file)
    for entry in entries:
        if entry[0] == "a.py":
            entry[-1] = list(rows)
    write_raw(cache_file, header, entries)
    assert main(["scan", str(root), "-o", str(warm), *cache, "-q"]) == 0
    assert (warm / "files.csv").read_bytes() == (cold / "files.csv").read_bytes()
    first, second = ((folder / "metrics.json").read_text() for folder in (cold, warm))
    assert first.split("\n", 2)[2] == second.split("\n", 2)[2]
