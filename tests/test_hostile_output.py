"""What repolens prints and points at, from trees with hostile names: terminals see every
invisible or steering character escaped, SARIF URIs lead to the files themselves.

Trees are generated here; each states the names it holds."""

from __future__ import annotations

import json
import os
import subprocess
import unicodedata
from pathlib import Path
from urllib.parse import unquote_to_bytes

import pytest

from repolens.core.printable import printable, printable_json
from repolens.core.records import display_path, path_bytes
from repolens.render.findings import sarif_uri

from .conftest import PYTHON, python_env
from .test_hostile import git, git_init

HIDDEN = {"Cc", "Cf", "Cs", "Zl", "Zp"}


def hidden(text: str) -> list[str]:
    """The characters of ``text`` a terminal would act on or not show (bar line ends)."""
    return [c for c in text if c not in "\n\t" and unicodedata.category(c) in HIDDEN]


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("\u202egpj.py", "\\u202egpj.py"),  # shows as yp.jpg when raw
        ("a\u202a\u202b\u202c\u202d.py", "a\\u202a\\u202b\\u202c\\u202d.py"),
        ("\u2066x\u2067y\u2068z\u2069", "\\u2066x\\u2067y\\u2068z\\u2069"),
        ("lrm\u200erlm\u200falm\u061c", "lrm\\u200erlm\\u200falm\\u061c"),
        ("zero\u200bwidth\u200djoin\ufeff", "zero\\u200bwidth\\u200djoin\\ufeff"),
        ("soft\u00adhyphen", "soft\\xadhyphen"),
        ("line\u2028para\u2029", "line\\u2028para\\u2029"),
        ("esc\x1b[31mred\x07", "esc\\x1b[31mred\\x07"),
        ("cr\rnl\ndel\x7f", "cr\\x0dnl\\x0adel\\x7f"),
        ("c1\x85\x9b", "c1\\x85\\x9b"),
        ("tag\U000e0041", "tag\\U000e0041"),
        ("byte\udcff", "byte\\xff"),  # a byte that was not UTF-8, as os.fsdecode gives it
        ("tab\tstays", "tab\tstays"),
        ("café 数据 ok", "café 数据 ok"),
        ("nbsp\u00a0stays", "nbsp\u00a0stays"),
    ],
)
def test_printable_escapes_what_a_terminal_would_hide_or_obey(text: str, shown: str) -> None:
    assert printable(text) == shown
    assert not hidden(printable(text))


def test_printable_json_is_the_same_document_with_nothing_hidden() -> None:
    document = {"path": "\u202egpj.py\u2028\x85\U000e0041\t\x1b", "n": [1, "ok é"]}
    text = printable_json(json.dumps(document, indent=2, ensure_ascii=False))
    assert json.loads(text) == document
    assert not hidden(text) and "ok é" in text


HOSTILE_NAMES = [  # 12 files, each with one absolute path in it (one PA001 finding each)
    b"\xe2\x80\xaegpj.py",  # U+202E
    b"a\xe2\x81\xa6b\xe2\x81\xa9.py",  # U+2066, U+2069
    b"zero\xe2\x80\x8bwidth.py",  # U+200B
    b"ls\xe2\x80\xa8ps\xe2\x80\xa9.py",  # U+2028, U+2029
    b"esc\x1b[31m.py",
    b"c1\xc2\x85\xc2\x9b.py",  # U+0085, U+009B
    b"cr\r.py",
    b"nl\n.py",
    b"bom\xef\xbb\xbf.py",
    b"alm\xd8\x9c.py",  # U+061C
    b"lrm\xe2\x80\x8e\xe2\x80\x8f.py",
    b"ff\xff.py",  # not UTF-8
]
CONTENT = b'DATA = "/home/alice/data.csv"\n'


def hostile_tree(root: Path, names: list[bytes] = HOSTILE_NAMES) -> Path:
    root.mkdir(parents=True)
    for name in names:
        with open(os.path.join(os.fsencode(root), name), "wb") as handle:
            handle.write(CONTENT)
    return root


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [PYTHON, "-m", "repolens", *args],
        capture_output=True,
        env=python_env(),
        cwd=cwd,
        timeout=300,
        check=False,
    )


def terminal_text(done: subprocess.CompletedProcess[bytes]) -> str:
    text = (done.stdout + done.stderr).decode("utf-8", "surrogateescape")
    assert not hidden(text), sorted({f"U+{ord(c):04X}" for c in hidden(text)})
    return text


def test_check_text_escapes_every_hostile_name(tmp_path: Path) -> None:
    root = hostile_tree(tmp_path / "tree")
    done = run("check", str(root), "--fail-on", "never")
    text = terminal_text(done)
    assert done.returncode == 0
    for shown in ("\\u202egpj.py:1", "a\\u2066b\\u2069.py", "esc\\x1b[31m.py", "ff\\xff.py"):
        assert shown in text
    assert text.count(": hard-coded absolute path '") == len(HOSTILE_NAMES)


@pytest.mark.parametrize("format_", ["json", "sarif"])
def test_check_json_and_sarif_escape_them_as_json(tmp_path: Path, format_: str) -> None:
    root = hostile_tree(tmp_path / "tree")
    done = run("check", str(root), "--format", format_, "--fail-on", "never")
    terminal_text(done)
    document = json.loads(done.stdout)
    assert document  # the escapes are JSON's own: the document reads back whole


def test_scan_prints_the_largest_name_escaped(tmp_path: Path) -> None:
    root = hostile_tree(tmp_path / "tree")
    (root / "\u202egpj.py").write_bytes(CONTENT * 100)  # the largest file
    done = run("scan", str(root), "-o", str(tmp_path / "out"))
    assert done.returncode == 0
    assert "largest: \\u202egpj.py" in terminal_text(done)


def test_a_hostile_root_name_is_escaped_in_notes_and_errors(tmp_path: Path) -> None:
    missing = tmp_path / "no\u202edir\x1b[2J"
    done = run("scan", str(missing), "-o", str(tmp_path / "out"))
    assert done.returncode == 2 and "no\\u202edir\\x1b[2J" in terminal_text(done)
    root = hostile_tree(tmp_path / "tree", [b"a.py"])
    (root / ".repolens.toml").write_text('"sel\u202eect" = 1\n')
    done = run("check", str(root))
    assert done.returncode == 2 and "sel\\u202eect" in terminal_text(done)
    (root / ".repolens.toml").unlink()
    (root / "pyproject.toml").symlink_to("/etc/\u202ehosts")
    done = run("check", str(root), "--fail-on", "never")
    assert done.returncode == 0 and "pyproject.toml is a link out of the tree" in (
        terminal_text(done)
    )


def test_history_prints_arrivals_and_notes_escaped(tmp_path: Path) -> None:
    root = git_init(tmp_path / "repo")
    (root / "\u202egpj.bin").write_bytes(b"\0" * (2 << 20))  # over 1 MiB: an arrival
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "\u202eadd\x1b[31m $\\href{https://e.vil}{x}$")
    done = run("history", str(root), "-o", str(tmp_path / "out"), "--no-cache")
    assert done.returncode == 0, done.stderr
    assert "\\u202egpj.bin" in terminal_text(done)


def test_portfolio_prints_names_and_reasons_escaped(tmp_path: Path) -> None:
    good = hostile_tree(tmp_path / "good\u202erepo", [b"a.py"])
    listing = tmp_path / "list.txt"
    listing.write_text(f"{good.name}\nmissing\u202e\x1b[2Jrepo\n")
    done = run("portfolio", str(listing), "-o", str(tmp_path / "out"), "--jobs", "1")
    text = terminal_text(done)
    assert done.returncode == 5 and "missing\\u202e\\x1b[2Jrepo" in text


def test_report_says_where_it_writes_escaped(tmp_path: Path) -> None:
    root = hostile_tree(tmp_path / "tree\u202e", [b"a.py"])
    (root / ".repolens.toml").write_text('select = ["NB\u202e"]\n')
    done = run("report", str(root), "-o", str(tmp_path / "out"))
    assert done.returncode == 2 and "NB\\u202e" in terminal_text(done)


SARIF_NAMES = [  # 14 names: each one PA001 finding, each URI must lead back to it
    b"back\\slash.py",
    b"per%25cent%.py",
    b"hash#frag.py",
    b"query?x=1.py",
    b"sp ace.py",
    b"ff\xff.py",
    b"nl\nline.py",
    b"caf\xc3\xa9.py",
    b"colon:x.py",
    b"\xe2\x80\xaegpj.py",
    b"lit\\x41.py",  # a backslash, x, 4, 1: not the byte 0x41
    b"\\\\double.py",
    b"plus+amp&semi;.py",
    b"sub dir",  # a folder: its file is sub dir/inner%.py
]


def sarif_tree(root: Path) -> Path:
    hostile_tree(root, SARIF_NAMES[:-1])
    inner = os.path.join(os.fsencode(root), SARIF_NAMES[-1])
    os.mkdir(inner)
    with open(os.path.join(inner, b"inner%.py"), "wb") as handle:
        handle.write(CONTENT)
    return root


def uris(document: dict) -> list[str]:
    return [
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for result in document["runs"][0]["results"]
    ]


def decoded(uri: str) -> bytes:
    """RFC 3986 percent-decoding to bytes, as a SARIF viewer resolves a relative URI."""
    assert all(c.isascii() and c.isprintable() and c not in " #?\\" for c in uri), uri
    return unquote_to_bytes(uri)


def test_every_sarif_uri_decodes_to_the_file_it_names(tmp_path: Path) -> None:
    root = sarif_tree(tmp_path / "tree")
    done = run("check", str(root), "--format", "sarif", "--fail-on", "never")
    found = [uri for uri in uris(json.loads(done.stdout)) if uri != "."]
    assert len(found) == len(SARIF_NAMES)
    for uri in found:
        path = os.path.join(os.fsencode(root), decoded(uri))
        assert os.path.isfile(os.fsdecode(path)), uri


def test_sarif_uris_under_a_base_keep_the_real_bytes_of_both(tmp_path: Path) -> None:
    base = tmp_path / "repo"
    root = sarif_tree(base / "sub\udcff dir")  # the tree's own folder has a 0xFF byte
    done = run(
        "check", str(root), "--format", "sarif", "--sarif-base", str(base), "--fail-on", "never"
    )
    found = [uri for uri in uris(json.loads(done.stdout))]
    assert found and all(uri.startswith("sub%FF%20dir") for uri in found)
    for uri in found:
        assert os.path.exists(os.path.join(os.fsencode(base), decoded(uri))), uri


@pytest.mark.parametrize("name", SARIF_NAMES)
def test_path_bytes_undoes_display_path(name: bytes) -> None:
    shown, _utf8 = display_path(os.fsdecode(name))
    assert path_bytes(shown) == name
    assert unquote_to_bytes(sarif_uri("", shown)) == name
