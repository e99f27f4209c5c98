"""Adversarial inputs for the content checks and pattern matchers (issue 18: a cost bound
per byte). Each case repeats the input that a check or an expression handles worst: the
cases an attack run found (over 120 s or gigabytes each before), and the worst input of
every other expression in checks/*.py, checks/*.toml and scanning/*.py.

``run`` goes the way a scan goes: a file's bytes through the ``Inspector`` (prefilter,
decoding, every content check, suppressions, imports), a file past the content cap through
a ``ContentStream``, archives through ``list_members``, ignore lines through
``IgnoreRules`` on every folder of a deep path. tests/test_bounds.py runs these cases at
small sizes; ``make bench-hostile`` at full size.
"""

from __future__ import annotations

import bz2
import gzip
import json
import math
import struct
import tarfile
from collections.abc import Callable
from pathlib import Path

from hostile_case import Case

from repolens.checks.archives import list_members
from repolens.checks.config import CheckSettings
from repolens.checks.environment import MAX_TOML_CHARS
from repolens.checks.run import Inspector
from repolens.core.records import FileRecord, Kind, State
from repolens.scanning.filetypes import file_types
from repolens.scanning.ignore import IgnoreRules
from repolens.scanning.options import ContentStream

__all__ = ["CASES", "directory_only_zip", "inspected", "record"]

KEY = "AKIA" + "Z7Q4XK3MPLW2R9TB"  # made up, split so that no scanner flags this file
HEADER = "-----BEGIN " + "RSA PRIVATE KEY-----"
_ENTRY = struct.Struct("<4s4s4H3L5H2L")  # a zip central-directory entry, without its name


def repeated(unit: str, size: int, head: str = "", tail: str = "") -> str:
    """``unit`` repeated to about ``size`` characters, between ``head`` and ``tail``."""
    return head + unit * max(1, (size - len(head) - len(tail)) // len(unit)) + tail


def record(path: str, size: int, category: str | None = None) -> FileRecord:
    """The record a scan makes of a readable text file at ``path``."""
    table = file_types()
    extension = table.extension(path.rsplit("/", 1)[-1])
    return FileRecord(
        path=path,
        kind=Kind.FILE,
        extension=extension,
        category=category or table.classify(path, extension) or "other",
        language=None,
        size_bytes=size,
        modified_ns=0,
        changed_ns=0,
        birth_ns=None,
        is_binary=False,
        encoding="utf-8",
        lines=None,
        counts=None,
        state=State.OK,
        reason="",
    )


def inspected(item: tuple[FileRecord, bytes | ContentStream]) -> int:
    """What the checks find in one file, the way ``repolens check`` reads it."""
    inspector = Inspector(CheckSettings())
    try:
        inspector(*item)
        if inspector.problems and "not checked (" in inspector.problems[0]:
            raise RuntimeError(inspector.problems[0])
        return len(inspector.findings) + len(inspector.imported)
    finally:
        inspector.sizes.close()


def units(unit: str, head: str = "", tail: str = "") -> Callable[[int], str]:
    """A text of ``unit`` repeated to a size, between ``head`` and ``tail``."""
    return lambda size: repeated(unit, size, head, tail)


def file_case(
    name: str, exercises: str, path: str, make: Callable[[int], str], cap: int | None = None
) -> Case:
    """A case of one file's content, made to a size by ``make``; ``cap``: the largest
    content read in full (a larger one is refused, ``Case.cap``)."""

    def build(size: int, _scratch: Path) -> tuple[FileRecord, bytes]:
        data = make(size).encode("utf-8")
        return record(path, len(data)), data

    return Case(name, exercises, build, inspected, cap)  # type: ignore[arg-type]


def notebook_case(name: str, exercises: str, make: Callable[[int], str], first: str = "") -> Case:
    """A notebook whose code cell (after a first one holding ``first``, if given) is made
    to a size by ``make``."""

    def build(size: int, _scratch: Path) -> tuple[FileRecord, bytes]:
        sources = [first, make(size)] if first else [make(size)]
        cells = [
            {
                "cell_type": "code",
                "execution_count": n,
                "metadata": {},
                "outputs": [],
                "source": text,
            }
            for n, text in enumerate(sources, 1)
        ]
        document = {
            "cells": cells,
            "metadata": {"kernelspec": {"name": "python3", "language": "python"}},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
        data = json.dumps(document).encode()
        return record("analysis.ipynb", len(data), "notebook"), data

    return Case(name, exercises, build, inspected)  # type: ignore[arg-type]


def streamed_case(name: str, exercises: str, path: str, make: Callable[[int], str]) -> Case:
    """A text file past the content cap (8 MiB and a bit at least, whatever the size)."""

    def build(size: int, scratch: Path) -> tuple[FileRecord, ContentStream]:
        target = scratch / path
        target.write_text(make(max(size, (8 << 20) + 4096)), encoding="utf-8")
        length = target.stat().st_size
        return record(path, length), ContentStream(str(target), length)

    return Case(name, exercises, build, inspected)  # type: ignore[arg-type]


def _central_directory_zip(size: int, scratch: Path) -> str:
    """A zip of a central directory of about ``size`` bytes (see ``directory_only_zip``)."""
    path = scratch / "many.zip"
    directory_only_zip(path, max(1, size // 54))
    return str(path)


def directory_only_zip(path: Path, entries: int) -> None:
    """A zip of nothing but a central directory of ``entries`` names (f0000000.png, ...)
    and its end records (zip64): a listing reads every entry, an extraction nothing."""
    with open(path, "wb") as handle:
        for index in range(entries):
            name = b"f%07d.png" % index
            fields = (0, 0, 0, 0, 0, 0, 0, len(name), 0, 0, 0, 0, 0, 0)
            handle.write(_ENTRY.pack(b"PK\x01\x02", b"\x14\x00\x14\x00", *fields) + name)
        end = handle.tell()
        handle.write(
            struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, entries, entries, end, 0)
        )
        handle.write(struct.pack("<4sLQL", b"PK\x06\x07", 0, end, 1))
        handle.write(
            struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 2**32 - 1, 2**32 - 1, 0)
        )


def zeros_tar(compress: Callable[[bytes], bytes], suffix: str, block: int = 1 << 20):  # type: ignore[no-untyped-def]
    """A builder of compressed tars of about ``size`` bytes whose one member claims a
    terabyte of zeros: a stream holding its header, then streams of ``block`` zeros each
    (gzip writes 1 MiB of zeros in 1 KiB, bzip2 100 MiB in 113 bytes)."""

    def build(size: int, scratch: Path) -> str:
        header = tarfile.TarInfo("zeros.bin")
        header.size = 1 << 40
        zeros = compress(b"\0" * block)
        path = scratch / f"zeros{suffix}"
        with open(path, "wb") as handle:
            handle.write(compress(header.tobuf() + b"\0" * (block - 512)))
            for _index in range(max(1, size // len(zeros))):
                handle.write(zeros)
        return str(path)

    return build


def _globstars(size: int, _scratch: Path) -> tuple[str, list[str]]:
    """'**/a/**/a/.../**/b' (60 globstars) and every folder of nested a/ folders whose
    paths add up to about ``size`` bytes, as the walk matches them."""
    depth = max(2, int(math.sqrt(size)))
    line = "**/" + "a/**/" * 60 + "b"
    return line, ["/".join(["a"] * level) for level in range(1, depth + 1)]


def _stars(size: int, _scratch: Path) -> tuple[str, list[str]]:
    """'*a*a*...*b' against names of 'a' (the fnmatch worst case), 200-byte names."""
    return "*a" * 30 + "*b", ["a" * 200] * max(1, size // 200)


def _match_all(item: tuple[str, list[str]]) -> int:
    line, paths = item
    rules = IgnoreRules.from_patterns([line])
    return sum(rules.ignored(path, True) for path in paths)


def _pyproject(size: int) -> str:
    names = ", ".join(f'"p{index}>=1"' for index in range(max(1, size // 12)))
    return f"[project]\ndependencies = [{names}]\n"


def _poetry(size: int) -> str:
    names = "".join(f'p{index} = "1"\n' for index in range(max(1, size // 12)))
    return f"[tool.poetry.dependencies]\n{names}"


CASES = [
    # The cases the attack run found.
    file_case(r"'=C:\a' repeated in a CSV", "PA001 (data)", "data/log.csv", units("=C:\\a")),
    file_case(
        "an unclosed '/*' then '/* ' repeated in a .c file",
        "PA001 lexer (C)",
        "src/x.c",
        units("/* ", "/home/u/ x\n/*"),
    ),
    file_case("key headers on one line", "SE001, suppressions", "keys.py", units(HEADER)),
    file_case(
        "'mongodb://' repeated, a secret name after",
        "SE001 (URIs)",
        "db.py",
        units("mongodb://", "", "\npassword = 1\n"),
    ),
    file_case(
        "'password = ' lines, short and long",
        "SE001 (assignments)",
        "cfg.py",
        units("password = 'x'\n" + "token" * 500 + "\n"),
    ),
    file_case("'a+a+...' in a .py", "imports (EN002)", "big.py", units("a+", "import os\nx = ")),
    notebook_case("'a+a+...' in a notebook cell", "imports, cells", units("a+", "import os\nx = ")),
    Case("'**/a/**/.../**/b' on nested a/ folders", "gitignore **", _globstars, _match_all),  # type: ignore[arg-type]
    Case(
        "a .tar.gz of zeros",
        "DU002 (tar.gz)",
        zeros_tar(lambda data: gzip.compress(data, 9), ".tar.gz"),
        list_members,  # type: ignore[arg-type]
    ),
    Case(
        "a .tar.bz2 of zeros (100 MiB per 113 bytes)",
        "DU002 (tar.bz2)",
        zeros_tar(lambda data: bz2.compress(data, 9), ".tar.bz2", 100 << 20),
        list_members,  # type: ignore[arg-type]
    ),
    Case("a zip of directory entries only", "DU002 (zip)", _central_directory_zip, list_members),  # type: ignore[arg-type]
    streamed_case(
        "a .py past the 8 MiB content cap",
        "SE001, PA001 streamed",
        "big.py",
        units("x = 1\n", tail=f'KEY = "{KEY}"\nP = "/home/u/x"\n'),
    ),
    streamed_case("one 8 MiB line", "SE001 streamed (pieces)", "one.txt", units("y", tail=KEY)),
    streamed_case(
        "key ids on every line past the cap", "SE001 streamed", "keys.cfg", units(f"k = {KEY}\n")
    ),
    # The worst inputs of the other expressions and lexers.
    file_case(
        "strings that never close ('\"\\')", "PA001 lexer (C)", "s.c", units('"\\', "/home/u/\n")
    ),
    file_case(
        '\'"\\"\\"\' lines in a .sh', "PA001 lexer (#)", "r.sh", units('"\\"\\"\n', "/home/u/\n")
    ),
    file_case(
        "Python strings each with a path", "PA001 (strings)", "p.py", units('"C:\\\\a" ', "x = [")
    ),
    file_case(
        "'#\\n' comment lines in a .py", "lexer (comments)", "c.py", units("#\n", "'/home/u/x'\n")
    ),
    file_case("triple quotes in a .py", "lexer (strings)", "t.py", units('"""\n', "'/home/u/x'\n")),
    file_case(
        "UNC shares repeated in a CSV", "PA001 (UNC)", "data/u.csv", units("\\\\srv\\share,")
    ),
    file_case("'/home/u/' repeated in a CSV", "PA001 (POSIX)", "data/h.csv", units("/home/u/")),
    file_case("':/' and ':\\' with no drive", "PA001 prefilter", "notes.txt", units(":/:\\")),
    file_case(
        "'sk-' and 80 key characters",
        "SE001 (OpenAI)",
        "k.py",
        units("sk-" + "a" * 80 + " ", "AKIA\n"),
    ),
    file_case("'xoxb-' tokens back to back", "SE001 (Slack)", "k.cfg", units("xoxb-aaaaaaaaaaaa ")),
    file_case(
        "'ghp_' and 300 characters", "SE001 (GitHub)", "g.py", units("ghp_" + "a" * 300 + " ")
    ),
    file_case("AWS key ids back to back", "SE001 (AWS)", "aws.py", units(KEY)),
    file_case(
        "'repolens: ignore[' never closed",
        "suppression grammar",
        "s.py",
        units("# repolens: ignore[PA001\n", f'KEY = "{KEY}"\n'),
    ),
    file_case(
        "'x; ' statements on one line",
        "imports (statements)",
        "semi.py",
        units("x; ", "import os\n"),
    ),
    file_case("'import a, a, ...'", "imports (one statement)", "i.py", units("a, ", "import os, ")),
    file_case(
        "nested try/except ImportError",
        "imports (blocks)",
        "n.py",
        units("try:\n import a\nexcept ImportError:\n pass\n"),
    ),
    file_case(
        "pyproject.toml of many dependencies",
        "EN (pyproject)",
        "pyproject.toml",
        _pyproject,
        MAX_TOML_CHARS,
    ),
    file_case(
        "a Poetry table of many dependencies",
        "EN (Poetry)",
        "pyproject.toml",
        _poetry,
        MAX_TOML_CHARS,
    ),
    file_case(
        "setup.py of quoted '\"a[' strings",
        "EN (setup.py)",
        "setup.py",
        units('"a[ ', "install_requires = ["),
    ),
    notebook_case(
        "'from aaa...' lines in a late cell", "NB009", units("from " + "a" * 200 + "\n"), "x = 1"
    ),
    Case("'*a*a*...*b' on long names of 'a'", "gitignore *", _stars, _match_all),  # type: ignore[arg-type]
]
