"""Tree truth from git and checksums: duplicates (DU), assets (AS), junk (JU), findability (FI).

- DU001: tracked regular files of 1 KiB or more grouped by SHA-256; a group of two or more
  is one problem, any member is its place. Folders whose every file is the same at the
  same place (a vendored library copied twice, 1 KiB or more in all) are one problem,
  the outermost such folders its places, and the groups inside them no problem of their
  own.
- DU002: a zip or tar archive at least half of whose files lie unpacked beside it (in its
  folder, or in a folder named after it).
- AS001: a tracked file over 10 MiB. AS002: a folder with more than 2,500 entries.
- AS003: files git tracks outside Git LFS (``git check-attr filter``) that are models,
  audio or video, or archives of 100 KiB or more, or data files over 1 MiB; one problem per
  file pattern (``*.h5``, as the file names write it), any such file is the place. The
  100 KiB floor: below it a binary costs the history less than LFS costs every clone's
  setup (a 1 KiB pickle in LFS is a burden, not a saving).
- JU001: what GitHub's Python, macOS, Windows, Jupyter, CMake and Office gitignore
  templates ignore: ``__pycache__/``, ``.ipynb_checkpoints/``, ``__MACOSX/``,
  ``node_modules/``, ``.pytest_cache/``, ``.mypy_cache/``, ``cmake-build-*/``,
  ``CMakeFiles/``, ``CMakeScripts/`` (one problem per outermost folder), ``*.py[co]``,
  ``.DS_Store``, ``._*``, ``Thumbs.db``, ``~$*``, ``~WRL*.tmp``, Vim swap files, ``*~``,
  ``CMakeCache.txt``, ``cmake_install.cmake``, ``CTestTestfile.cmake``,
  ``install_manifest.txt`` (one per file), a virtual environment (pyvenv.cfg).
- FI001-FI003: the top-level names (README, LICENSE/LICENCE/COPYING, CITATION.cff or
  codemeta.json or CITATION).
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import tarfile
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

from .common import Expected, Place

__all__ = ["asset_truth", "duplicate_truth", "findability_truth", "junk_truth"]

MODEL = (
    ".h5",
    ".hdf5",
    ".keras",
    ".pkl",
    ".pickle",
    ".pt",
    ".pth",
    ".ckpt",
    ".onnx",
    ".pb",
    ".tflite",
    ".joblib",
    ".safetensors",
    ".caffemodel",
    ".weights",
    ".npz",
    ".npy",
    ".model",
    ".params",
)
MEDIA = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".mp3", ".wav", ".flac", ".ogg", ".m4a", ".aac")
ARCHIVE = (".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar", ".zst")
DATA = (
    ".csv",
    ".tsv",
    ".json",
    ".jsonl",
    ".parquet",
    ".feather",
    ".xlsx",
    ".xls",
    ".mat",
    ".dat",
    ".txt",
    ".xml",
    ".arff",
    ".data",
)
BINARY_FLOOR = 100 << 10
DATA_FLOOR = 1 << 20
_JUNK_FOLDERS = re.compile(
    r"^(__pycache__|\.ipynb_checkpoints|__MACOSX|node_modules|\.pytest_cache|\.mypy_cache"
    r"|cmake-build-[\w.-]+|CMakeFiles|CMakeScripts)$"
)
_JUNK_FILES = re.compile(
    r"^(.*\.py[co]|\.DS_Store|\._.+|Thumbs\.db|~\$.+|~WRL\d*\.tmp|\..+\.sw[a-p]|.+~|\.#.+"
    r"|CMakeCache\.txt|cmake_install\.cmake|CTestTestfile\.cmake|install_manifest\.txt)$"
)


def _git(root: Path, *args: str, input: bytes | None = None) -> bytes:
    environment = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
    return subprocess.run(
        ["git", "-C", str(root), *args],
        input=input,
        capture_output=True,
        check=True,
        env=environment,
    ).stdout


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def identical_folders(digests: dict[str, str]) -> list[list[str]]:
    """The outermost sets of folders whose every file (any size) is the same at the same
    relative path: a folder's digest is the SHA-256 of its sorted (path, file digest)."""
    contents: dict[str, list[str]] = defaultdict(list)
    for path, digest in digests.items():
        parts = path.split("/")
        for depth in range(1, len(parts)):
            contents["/".join(parts[:depth])].append(f"{'/'.join(parts[depth:])}\0{digest}")
    by_digest: dict[str, list[str]] = defaultdict(list)
    for folder, items in contents.items():
        if len(items) < 2:
            continue  # a folder of one file: that file's copy is the problem
        folder_digest = hashlib.sha256("\n".join(sorted(items)).encode()).hexdigest()
        by_digest[folder_digest].append(folder)
    same = {
        folder: tuple(sorted(group))
        for group in by_digest.values()
        if len(group) > 1
        for folder in group
    }
    outer = set()
    for folder, group in same.items():
        parent = folder.rsplit("/", 1)[0] if "/" in folder else None
        if parent is None or parent not in same or len(same[parent]) != len(group):
            outer.add(group)
    return [list(group) for group in sorted(outer)]


def duplicate_truth(root: Path, files: list[str]) -> Iterator[Expected]:
    groups: dict[str, list[str]] = defaultdict(list)
    digests = {path: _sha256(root / path) for path in files}
    for path in files:
        if (root / path).stat().st_size >= 1024:
            groups[digests[path]].append(path)
    sizes = {path: (root / path).stat().st_size for path in files}
    folders = [  # as for single files: copies of less than 1 KiB in all are no problem
        group
        for group in identical_folders(digests)
        if sum(size for path, size in sizes.items() if path.startswith(group[0] + "/")) >= 1024
    ]
    holder = {folder: number for number, group in enumerate(folders) for folder in group}

    def held(path: str) -> int | None:
        parts = path.split("/")
        return next(
            (
                holder["/".join(parts[:d])]
                for d in range(len(parts) - 1, 0, -1)
                if "/".join(parts[:d]) in holder
            ),
            None,
        )

    for group in folders:
        yield Expected(
            "DU001",
            tuple(Place(f"{folder}/") for folder in group),
            f"sha256 of every file: {len(group)} identical folders",
        )
    for digest, members in sorted(groups.items(), key=lambda item: min(item[1])):
        owners = {held(path) for path in members}
        if len(owners) == 1 and None not in owners:
            continue  # inside one set of identical folders: one problem, above
        if len(members) > 1:
            members.sort()
            yield Expected(
                "DU001",
                tuple(Place(p) for p in members),
                f"sha256 {digest[:12]}: {len(members)} files",
            )
    present = set(files)
    for path in files:
        lower = path.lower()
        names: list[str] = []
        try:
            if lower.endswith(".zip"):
                with zipfile.ZipFile(root / path) as archive:
                    names = [n for n in archive.namelist()[:100_000] if not n.endswith("/")]
            elif lower.endswith((".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")):
                with tarfile.open(root / path) as archive:
                    names = [m.name for m in archive.getmembers()[:100_000] if m.isfile()]
        except (OSError, zipfile.BadZipFile, tarfile.TarError, EOFError):
            continue
        if not names:
            continue
        folder = path.rsplit("/", 1)[0] + "/" if "/" in path else ""
        stem = re.sub(r"(\.tar)?\.[^.]+$", "", path.rsplit("/", 1)[-1])
        for base in (folder, f"{folder}{stem}/"):
            found = sum(1 for name in names if f"{base}{name.lstrip('./')}" in present)
            if found and found >= len(names) / 2:
                yield Expected(
                    "DU002",
                    (Place(path),),
                    f"{found} of {len(names)} members unpacked in {base or './'}",
                )
                break


def asset_truth(root: Path, files: list[str]) -> Iterator[Expected]:
    sizes = {path: (root / path).stat().st_size for path in files}
    for path, size in sizes.items():
        if size > 10 << 20:
            yield Expected("AS001", (Place(path),), f"{size:,} bytes")
    entries: Counter[str] = Counter()
    folders = {"/".join(p.split("/")[:d]) for p in files for d in range(1, p.count("/") + 1)}
    for item in [*files, *folders]:
        entries[item.rsplit("/", 1)[0] if "/" in item else ""] += 1
    for folder, count in sorted(entries.items()):
        if count > 2500:
            yield Expected("AS002", (Place(folder or "."),), f"{count} entries")
    candidates = []
    for path, size in sizes.items():
        lower = path.lower()
        binary = lower.endswith(MODEL + MEDIA + ARCHIVE) and size >= BINARY_FLOOR
        data = lower.endswith(DATA) and size > DATA_FLOOR
        if binary or data:
            candidates.append(path)
    if not candidates:
        return
    output = _git(
        root,
        "check-attr",
        "-z",
        "--stdin",
        "filter",
        input=b"".join(p.encode() + b"\0" for p in candidates),
    )
    fields = output.decode().split("\0")
    in_lfs = {fields[i] for i in range(0, len(fields) - 2, 3) if fields[i + 2] == "lfs"}
    groups: dict[str, list[str]] = defaultdict(list)
    for path in candidates:
        if path in in_lfs:
            continue
        name = path.rsplit("/", 1)[-1]
        match = re.search(r"(\.tar)?\.[^.]+$", name)
        groups[f"*{match.group(0)}" if match else name].append(path)
    for pattern, members in sorted(groups.items()):
        yield Expected(
            "AS003",
            tuple(Place(p) for p in sorted(members)),
            f"git check-attr: {len(members)} file(s) outside LFS",
            key=pattern,
        )


def junk_truth(root: Path, files: list[str]) -> Iterator[Expected]:
    folders: set[str] = set()
    environments = {
        p.rsplit("/", 1)[0] if "/" in p else "."
        for p in files
        if p.rsplit("/", 1)[-1] == "pyvenv.cfg"
    }
    for environment in sorted(environments):
        yield Expected("JU001", (Place(environment + "/"),), "pyvenv.cfg: a virtual environment")
    for path in files:
        parts = path.split("/")
        if any(path.startswith(env + "/") for env in environments if env != "."):
            continue
        for depth, part in enumerate(parts[:-1]):
            if _JUNK_FOLDERS.match(part):
                folders.add("/".join(parts[: depth + 1]))
                break
        else:
            if _JUNK_FILES.match(parts[-1]):
                yield Expected("JU001", (Place(path),), "gitignore templates: junk file")
    for folder in sorted(folders):
        yield Expected("JU001", (Place(folder + "/"),), "gitignore templates: junk folder")


def findability_truth(root: Path, files: list[str]) -> Iterator[Expected]:
    top = [path for path in files if "/" not in path]
    if not any(re.match(r"(?i)^readme(\.[\w.]+)?$", name) for name in top):
        yield Expected("FI001", (Place(""),), "no README at the top")
    if not any(re.match(r"(?i)^(licen[cs]e|copying)([.-][\w.-]+)?$", name) for name in top):
        yield Expected("FI002", (Place(""),), "no licence file at the top")
    if not any(
        name in ("CITATION.cff", "codemeta.json", "CITATION", "CITATION.bib") for name in top
    ):
        yield Expected("FI003", (Place(""),), "no citation file at the top")
