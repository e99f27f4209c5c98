"""Generate a portfolio of repositories for the benchmark and the container test.

    python examples/make_portfolio.py DIR [--repos N] [--broken-every K]

DIR gets N folders (``project-000`` ...) of mixed sizes: scripts, a notebook with
outputs, a CSV, some small images, and every 10th one a larger dataset and a model file.
Every K-th (default 25, counting from the 13th) has a ``.repolens.toml`` that does not
parse, so ``repolens check`` refuses it and the portfolio records it as failed. The same
arguments give the same bytes.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

NOTEBOOK_CELL = {
    "cell_type": "code",
    "execution_count": 1,
    "metadata": {},
    "outputs": [{"output_type": "stream", "name": "stdout", "text": ["done\n"]}],
    "source": ["import numpy as np\n", "print('done')\n"],
}


def broken(index: int, every: int) -> bool:
    return every > 0 and index % every == 12


def make_repository(folder: Path, index: int, every: int) -> None:
    rng = random.Random(index)
    folder.mkdir(parents=True)
    scripts = 2 + rng.randrange(12)
    for number in range(scripts):
        lines = [
            f"def step_{n}(x):\n    # step {n}\n    return x + {n}\n\n"
            for n in range(5 + rng.randrange(60))
        ]
        (folder / f"module_{number}.py").write_text("import os\n\n" + "".join(lines))
    (folder / "README.md").write_text(f"# Project {index}\n\nWhat it does.\n")
    (folder / "requirements.txt").write_text("numpy==1.26.4\n")
    notebook = {
        "cells": [NOTEBOOK_CELL] * (1 + rng.randrange(8)),
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (folder / "analysis.ipynb").write_text(json.dumps(notebook))
    rows = 20 + rng.randrange(2000) * (20 if index % 10 == 0 else 1)
    (folder / "data.csv").write_text("a,b\n" + "".join(f"{n},{n * 2}\n" for n in range(rows)))
    images = folder / "frames"
    images.mkdir()
    for number in range(rng.randrange(40)):
        (images / f"f{number:03d}.png").write_bytes(
            b"\x89PNG\r\n\x1a\n" + bytes([number % 256]) * 200
        )
    if index % 10 == 0:
        (folder / "model.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(256 * 1024))
    if broken(index, every):
        (folder / ".repolens.toml").write_text("select = [\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--repos", type=int, default=200)
    parser.add_argument("--broken-every", type=int, default=25)
    args = parser.parse_args()
    if args.folder.exists():
        raise SystemExit(f"{args.folder}: exists; give a new folder")
    for index in range(args.repos):
        make_repository(args.folder / f"project-{index:03d}", index, args.broken_every)


if __name__ == "__main__":
    main()
