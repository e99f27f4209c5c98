"""Write the table EN002 maps imports to distributions with: from distributions' own metadata.

    python scripts/make_import_map.py [--site DIR ...] [--wheels DIR ...]
                                      [--download NAMES.txt --into DIR]
                                      [--pypi-list PYPI.tsv --top N]
                                      [--out lib/repolens/checks/import_map.tsv]

For every distribution it is given, the importable top-level names come from the
distribution itself: its ``top_level.txt`` when it has one, else the first part of every
path of its ``RECORD`` (a module ``name.py``, a package ``name/``, an extension
``name.cpython-311-x86_64-linux-gnu.so``; metadata, scripts, data outside the tree and
``__pycache__`` left out). Sources, each optional:

- the distributions installed where this script runs, and those of every ``--site``
  folder (a site-packages of another interpreter);
- every wheel in each ``--wheels`` folder (read as a zip: nothing of it runs);
- ``--download``: a file of distribution names, one a line, fetched as wheels with
  ``pip download --no-deps --only-binary=:all:`` into ``--into`` and read as above;
- ``--pypi-list`` with ``--top N``: the N distributions of best download rank in a TSV
  of PyPI's names (columns ``name`` and ``rank_among_15000_most_downloaded``), written
  to the table's list of known distributions (``import_map.tsv``'s ``=`` lines): names a
  fix may tell to install when no table row maps the import (``Add <name>``), where an
  unknown one is said to be unknown.

The table shipped was built (see the header it writes) from this machine's interpreters
(every site-packages under the interpreters of pyenv), the wheels of ax-platform,
scikit-optimize, paho-mqtt, opencv-python, opencv-python-headless and
opencv-contrib-python, and the 15,000 best-ranked names of PyPI's list as known names.
Rebuild it the same way, with more ``--download`` names for more rows.

Each row is ``module<TAB>distribution distribution ...``; ``#`` lines are comments. Rows
that the curated table (``checks/imports.toml``) also has are kept: the curated one adds
conda names and metapackages, and both are read.
"""

from __future__ import annotations

import argparse
import csv
import importlib.metadata
import re
import subprocess
import sys
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

__all__ = ["main", "modules_of_record", "read_wheel"]

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "lib" / "repolens" / "checks" / "import_map.tsv"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_EXTENSION = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\.(?:[\w-]+\.)?(?:so|pyd|dylib)$")
csv.field_size_limit(1 << 20)


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def modules_of_record(paths: Iterable[str]) -> set[str]:
    """Top-level importable names from the paths a distribution installs."""
    names: set[str] = set()
    for path in paths:
        first = path.replace("\\", "/").split("/", 1)
        head = first[0]
        if head in ("..", "") or head.endswith((".dist-info", ".egg-info", ".data")):
            continue
        if head == "__pycache__" or head.endswith(".pth"):
            continue
        if len(first) == 2:  # a package folder
            if _NAME.match(head):
                names.add(head)
        elif head.endswith(".py") and _NAME.match(head[:-3]):
            names.add(head[:-3])
        elif match := _EXTENSION.match(head):
            names.add(match.group(1))
    names.discard("tests")
    names.discard("test")
    return names


def _top_level(text: str | None) -> set[str]:
    if not text:
        return set()
    return {
        line.strip().split("/")[0]
        for line in text.splitlines()
        if _NAME.match(line.strip().split("/")[0] or "-")
    }


def installed(paths: list[str] | None) -> Iterator[tuple[str, set[str]]]:
    """``(distribution, modules)`` of the distributions installed (in ``paths``, or where
    this interpreter looks)."""
    for distribution in importlib.metadata.distributions(**({"path": paths} if paths else {})):
        name = distribution.metadata["Name"]
        if not name:
            continue
        modules = _top_level(distribution.read_text("top_level.txt"))
        if not modules:
            modules = modules_of_record(str(item) for item in distribution.files or ())
        yield name, modules - {"tests", "test"}


def read_wheel(path: Path) -> tuple[str, set[str]] | None:
    """``(distribution, modules)`` of a wheel, read as a zip archive."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            info = next(
                (n.split("/")[0] for n in names if n.split("/")[0].endswith(".dist-info")), None
            )
            if info is None:
                return None
            metadata = archive.read(f"{info}/METADATA").decode("utf-8", "replace")
            found = re.search(r"^Name:\s*(\S+)", metadata, re.MULTILINE)
            if found is None:
                return None
            top = f"{info}/top_level.txt"
            modules = (
                _top_level(archive.read(top).decode("utf-8", "replace")) if top in names else set()
            )
            return found.group(1), (modules or modules_of_record(names)) - {"tests", "test"}
    except (OSError, zipfile.BadZipFile, KeyError):
        return None


def download(names: list[str], into: Path) -> None:
    into.mkdir(parents=True, exist_ok=True)
    for name in names:
        command = [sys.executable, "-m", "pip", "download", "-q", "--no-deps"]
        command += ["--only-binary=:all:", "-d", str(into), name]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(f"{name}: no wheel ({done.stderr.strip().splitlines()[-1:]})", file=sys.stderr)


def top_names(pypi_list: Path, top: int) -> list[str]:
    """The ``top`` best-ranked names of a TSV of PyPI's names with a download rank."""
    ranked: list[tuple[int, str]] = []
    with pypi_list.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            rank = (row.get("rank_among_15000_most_downloaded") or "").strip()
            if rank.isdigit():
                ranked.append((int(rank), row["name"]))
    return [name for _rank, name in sorted(ranked)[:top]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--site", action="append", default=[], help="a site-packages folder")
    parser.add_argument("--wheels", action="append", default=[], type=Path)
    parser.add_argument("--download", type=Path, help="distribution names, one a line")
    parser.add_argument("--into", type=Path, default=Path("wheels"))
    parser.add_argument("--pypi-list", type=Path)
    parser.add_argument("--top", type=int, default=15000)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    table: dict[str, set[str]] = defaultdict(set)
    sources: list[str] = []

    def add(rows: Iterable[tuple[str, set[str]]], source: str) -> None:
        count = 0
        for distribution, modules in rows:
            count += 1
            for module in modules:
                table[module].add(normalise(distribution))
        sources.append(f"{count} distributions from {source}")

    add(installed(None), "this interpreter")
    for site in args.site:
        add(installed([site]), f"the site-packages of Python {Path(site).parents[2].name}")
    if args.download:
        names = [line.strip() for line in args.download.read_text("utf-8").splitlines()]
        download([name for name in names if name and not name.startswith("#")], args.into)
        args.wheels.append(args.into)
    for folder in args.wheels:
        wheels = (read_wheel(path) for path in sorted(folder.glob("*.whl")))
        add((item for item in wheels if item is not None), f"wheels in {folder.name}/")
    known = top_names(args.pypi_list, args.top) if args.pypi_list else []
    lines = [
        "# Import name -> the distributions that install it, from their own metadata",
        "# (top_level.txt, else RECORD). Written by scripts/make_import_map.py from:",
        *(f"#   {source}" for source in sources),
        f"# '=' lines: {len(known):,} known distribution names (PyPI's best-ranked by downloads).",
    ]
    lines += [f"{module}\t{' '.join(sorted(table[module]))}" for module in sorted(table)]
    lines += [f"={normalise(name)}" for name in sorted(set(known), key=normalise)]
    args.out.write_text("\n".join(lines) + "\n", "utf-8")
    print(f"{args.out}: {len(table):,} modules, {len(known):,} known names", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
