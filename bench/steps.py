"""The per-file path step by step, in this interpreter: how long each step takes over every
file of a tree, with whatever build of repolens is imported (compiled or pure Python).

Each step runs over the same values (the tree's walk entries, heads and records, taken once
beforehand), so the steps can be timed apart from the disk and from each other. Run it once
with the compiled build importable and once with the pure source first on the path, and
compare (``bench/compiled.py`` does both and writes the table).

Usage: python bench/steps.py TREE [--repeat N]  (prints one JSON object: step -> seconds)
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import replace

from repolens.render.encoding import encode_window
from repolens.render.metrics import item_text
from repolens.render.rows import csv_row
from repolens.render.summary import Summariser
from repolens.scanning import build, walk
from repolens.scanning.chunks import complete_chunk, prepare_chunk
from repolens.scanning.counting import count_with_engine
from repolens.scanning.filetypes import file_types
from repolens.scanning.sniff import SNIFF_BYTES, sniff

__all__ = ["compiled_modules", "main", "steps"]


def compiled_modules() -> list[str]:
    """The repolens modules this interpreter imports from compiled extensions."""
    found = []
    for name, module in sorted(sys.modules.items()):
        path = getattr(module, "__file__", "") or ""
        if name.startswith("repolens") and path.endswith((".so", ".pyd")):
            found.append(name)
    return found


def _heads(entries: list[walk.Entry]) -> list[bytes]:
    heads = []
    for entry in entries:
        try:
            with open(entry.path, "rb") as handle:
                heads.append(handle.read(SNIFF_BYTES))
        except OSError:
            heads.append(b"")
    return heads


def steps(tree: str) -> dict[str, Callable[[], object]]:
    """Each step of the per-file path as a function of no arguments, over the whole tree."""
    table = file_types()
    entries = list(walk.walk(tree))
    files = [entry for entry in entries if entry.kind.value == "file" and entry.error is None]
    bases = [build.walk_fields(entry, table) for entry in files]
    heads = _heads(files)
    pairs = list(zip(files, bases, strict=True))
    prepared = prepare_chunk(pairs, table, 64 << 20, False)
    counted = count_with_engine(prepared.paths)
    done = list(prepared.done)
    records = complete_chunk(replace(prepared, done=list(done)), counted, table, 64 << 20)
    records.sort(key=lambda record: record.path)

    def csv_rows() -> object:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        for record in records:
            writer.writerow(csv_row(record))
        return out

    def summary() -> object:
        summariser = Summariser(10)
        for record in records:
            summariser.add(record)
        return summariser.summary()

    return {
        "walk (listing, lstat, order)": lambda: list(walk.walk(tree)),
        "walk fields (build)": lambda: [build.walk_fields(entry, table) for entry in files],
        "sniff": lambda: [sniff(head, len(head) < SNIFF_BYTES) for head in heads],
        "open, fstat, read head, sniff, classify (reading)": lambda: prepare_chunk(
            pairs, table, 64 << 20, False
        ),
        "records from the engine's counts (chunks, build)": lambda: complete_chunk(
            replace(prepared, done=list(done)), counted, table, 64 << 20
        ),
        "summary (render.summary)": summary,
        "files.csv rows (render.rows)": csv_rows,
        "metrics.json items (render.metrics)": lambda: [item_text(record) for record in records],
        "both rows, a window at a time (render.encoding)": lambda: [
            encode_window(records[start : start + 4096]) for start in range(0, len(records), 4096)
        ],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tree")
    parser.add_argument("--repeat", type=int, default=3, help="runs per step; the best is kept")
    args = parser.parse_args()
    timed: dict[str, object] = {"compiled": compiled_modules()}
    for name, step in steps(os.path.abspath(args.tree)).items():
        best = float("inf")
        for _ in range(args.repeat):
            started = time.process_time()
            step()
            best = min(best, time.process_time() - started)
        timed[name] = best
    timed["compiled"] = compiled_modules()
    print(json.dumps(timed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
