"""Regenerate the bundled sample project ``examples/Detect_Lines``.

The sample is committed; this script documents how it was made and rebuilds
it byte for byte (images are written as raw PPM/PNG by hand, no image library,
so the bytes never depend on a library version). Run: python examples/make_sample.py

``python examples/make_sample.py --git DIR`` builds the sample as a git repository in
DIR instead, its files committed in four steps (scripts, notebooks, the camera frames,
the trained model) with fixed authors and dates, so the commit ids are always the same:
the history ``repolens history DIR`` reads.
"""

from __future__ import annotations

import json
import shutil
import struct
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent / "Detect_Lines"
FIXED_TIME = 1_700_000_000  # 2023-11-14: every file gets this mtime


def png(width: int, height: int, seed: int) -> bytes:
    """A small greyscale road-like PNG, deterministic from ``seed``."""
    rows = []
    for y in range(height):
        row = bytearray([0])  # filter: none
        for x in range(width):
            lane = abs(x - width // 2 - (y * seed) % 7 + 3) < 2
            row.append(230 if lane else (60 + (x * 7 + y * 3 + seed * 11) % 40))
        rows.append(bytes(row))
    raw = zlib.compress(b"".join(rows), 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def notebook(cells: list[dict], kernel: str = "python3") -> str:
    document = {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": kernel},
            "language_info": {"name": "python", "version": "3.8.10"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(document, indent=1, sort_keys=True) + "\n"


def md(cell_id: str, text: str) -> dict:
    return {
        "cell_type": "markdown",
        "id": cell_id,
        "metadata": {},
        "source": text.splitlines(keepends=True),
    }


def code(cell_id: str, text: str, count: int | None, outputs: list[dict] | None = None) -> dict:
    return {
        "cell_type": "code",
        "execution_count": count,
        "id": cell_id,
        "metadata": {},
        "outputs": outputs or [],
        "source": text.splitlines(keepends=True),
    }


def stream(text: str) -> dict:
    return {"name": "stdout", "output_type": "stream", "text": text.splitlines(keepends=True)}


def image_output(data: bytes, count: int) -> dict:
    import base64

    return {
        "data": {
            "image/png": base64.b64encode(data).decode("ascii"),
            "text/plain": ["<Figure size 640x480 with 1 Axes>"],
        },
        "execution_count": count,
        "metadata": {},
        "output_type": "execute_result",
    }


def error_output() -> dict:
    return {
        "ename": "ValueError",
        "evalue": "Error when checking input: expected 3 dimensions",
        "output_type": "error",
        "traceback": [
            "ValueError Traceback (most recent call last)",
            "----> 1 model.fit(X_train, y_train)",
            "ValueError: Error when checking input: expected 3 dimensions",
        ],
    }


SCRIPTS = {
    "model.py": '''"""Behavioural-cloning network (NVIDIA architecture) on the driving log."""

import csv
import os

import numpy as np

from utils.preprocess import crop, normalise

# Steering correction applied to the side cameras.
CORRECTION = 0.2


def load_samples(log_path):
    """Read the driving log: one row per frame, three cameras per row."""
    with open(log_path) as handle:
        return list(csv.reader(handle))[1:]


def build_model():
    from keras.layers import Conv2D, Dense, Flatten, Lambda
    from keras.models import Sequential

    model = Sequential()
    model.add(Lambda(normalise, input_shape=(160, 320, 3)))
    model.add(Conv2D(24, (5, 5), strides=(2, 2), activation="relu"))
    model.add(Conv2D(36, (5, 5), strides=(2, 2), activation="relu"))
    model.add(Flatten())
    model.add(Dense(100))
    model.add(Dense(1))
    model.compile(loss="mse", optimizer="adam")
    return model


if __name__ == "__main__":
    samples = load_samples(os.path.join("data", "driving_log.csv"))
    images = np.array([crop(row[0]) for row in samples])
    angles = np.array([float(row[3]) for row in samples])
    build_model().fit(images, angles, validation_split=0.2, epochs=5)
''',
    "drive.py": '''"""Serve steering predictions to the simulator."""

import argparse

# The simulator connects on this port.
PORT = 4567
# Where the simulator saved the recordings on the lab laptop.
RECORDINGS = r"C:\\Users\\student\\Desktop\\Detect_Lines\\data"


def main():
    parser = argparse.ArgumentParser(description="Remote driving")
    parser.add_argument("model", help="path to model.h5")
    args = parser.parse_args()
    print(f"loading {args.model} on port {PORT}")


if __name__ == "__main__":
    main()
''',
    "video.py": '''"""Turn a folder of frames into a video."""

import sys


def frames(folder):
    return sorted(folder)


if __name__ == "__main__":
    print(frames(sys.argv[1:]))
''',
    "utils/__init__.py": "",
    "utils/preprocess.py": '''"""Image preprocessing shared by training and driving."""


def crop(image, top=60, bottom=25):
    # Keep the road, drop the sky and the bonnet.
    return image[top:-bottom]


def normalise(image):
    return image / 127.5 - 1.0
''',
}


def write(path: Path, data: bytes | str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)


def main() -> None:
    if ROOT.exists():
        shutil.rmtree(ROOT)
    for name, text in SCRIPTS.items():
        write(ROOT / name, text)
    write(
        ROOT / "README.md",
        "# Detect_Lines\n\nBehavioural cloning: drive a simulated car "
        "from camera frames.\n\n## Files\n\n- `model.py` trains the network\n"
        "- `drive.py` drives the car\n- `data/` holds the driving log and frames\n",
    )
    write(
        ROOT / "requirements.txt",
        "numpy==1.24.4\nkeras==2.13.1\nopencv-python==4.8.0.76\ntqdm\n",
    )
    # AWS's own documentation example key: a credential committed by mistake, for the checks.
    write(
        ROOT / "config.yaml",
        "# training settings\nepochs: 5\nbatch_size: 32\n\ncorrection: 0.2\n\n"
        "# upload of the results\ns3_access_key: AKIAIOSFODNN7EXAMPLE\n",
    )
    write(ROOT / ".gitignore", "*.log\n")
    rows = ["center,left,right,steering,throttle,brake,speed"]
    images = []
    for index in range(12):
        for camera in ("center", "left", "right"):
            name = f"IMG/{camera}_2016_12_01_13_30_48_{index:03d}.png"
            images.append((name, png(32, 16, index + len(camera))))
        angle = round(((index * 37) % 21 - 10) / 40, 4)
        rows.append(
            f"IMG/center_{index:03d}.png,IMG/left_{index:03d}.png,"
            f"IMG/right_{index:03d}.png,{angle},0.9,0,30.19"
        )
    write(ROOT / "data/driving_log.csv", "\n".join(rows) + "\n")
    for name, data in images:
        write(ROOT / "data" / name, data)
    # A placeholder for the trained weights: the HDF5 signature, then zeros.
    write(ROOT / "model.h5", b"\x89HDF\r\n\x1a\n" + bytes(4088))
    write(ROOT / "archive/run1_frames.zip", b"PK\x03\x04" + bytes(252))
    write(ROOT / "__pycache__/model.cpython-38.pyc", b"\x55\x0d\x0d\x0a" + bytes(60))
    write(
        ROOT / "notebooks/01_explore_data.ipynb",
        notebook(
            [
                md("a1", "# Explore the driving log\n\nHow are steering angles distributed?\n"),
                code(
                    "a2",
                    "import pandas as pd\nlog = pd.read_csv('../data/driving_log.csv')\n"
                    "log.shape\n",
                    1,
                    [stream("(12, 7)\n")],
                ),
                code(
                    "a3",
                    "# histogram of steering angles\nlog.steering.hist()\n",
                    2,
                    [image_output(png(48, 32, 3), 2)],
                ),
            ]
        ),
    )
    # The copy Jupyter makes with File > Make a Copy, left beside the original.
    write(
        ROOT / "notebooks/01_explore_data - Copy.ipynb",
        (ROOT / "notebooks/01_explore_data.ipynb").read_bytes(),
    )
    write(
        ROOT / "notebooks/02_train_model.ipynb",
        notebook(
            [
                md("b1", "# Train\n"),
                code("b2", "from model import build_model\nmodel = build_model()\n", 3),
                code("b3", "model.fit(X_train, y_train)\n", 1, [error_output()]),
                code("b4", "model.save('../model.h5')\n", None),
            ]
        ),
    )
    write(
        ROOT / "notebooks/03_detect_lines.ipynb",
        notebook(
            [
                md("c1", "# Lane lines\n\nCanny edges, then a Hough transform.\n"),
                code(
                    "c2",
                    "import cv2\n\n\ndef edges(img):\n    # low and high thresholds\n"
                    "    return cv2.Canny(img, 50, 150)\n",
                    1,
                ),
                code("c3", "for i in range(3):\n    print(i)\n", 2, [stream("0\n1\n2\n")]),
            ]
        ),
    )
    # A notebook broken by a merge conflict: recorded as invalid.
    write(
        ROOT / "notebooks/04_merge_conflict.ipynb",
        '{\n "cells": [\n<<<<<<< HEAD\n  {"cell_type": "markdown"}\n=======\n'
        '  {"cell_type": "code"}\n>>>>>>> other\n ]\n}\n',
    )
    # Three notebooks a rerun judges (repolens rerun): one gives its saved results again,
    # one drifts (the correction changed after its outputs were saved), one needs a module
    # that requirements.txt does not declare (the EN002 check predicts the failure).
    angles = [round(((index * 37) % 21 - 10) / 40, 4) for index in range(12)]
    stats = (
        f"frames: {len(angles)}\n"
        f"mean steering: {sum(angles) / len(angles):.6f}\n"
        f"largest turn: {max(abs(a) for a in angles):.4f}\n"
    )
    read_log = (
        "import csv\n\nwith open('../data/driving_log.csv') as handle:\n"
        "    angles = [float(row['steering']) for row in csv.DictReader(handle)]\n"
    )
    write(
        ROOT / "notebooks/05_steering_stats.ipynb",
        notebook(
            [
                md("d1", "# Steering statistics\n"),
                code("d2", read_log, 1),
                code(
                    "d3",
                    "print(f'frames: {len(angles)}')\n"
                    "print(f'mean steering: {sum(angles) / len(angles):.6f}')\n"
                    "print(f'largest turn: {max(abs(a) for a in angles):.4f}')\n",
                    2,
                    [stream(stats)],
                ),
            ]
        ),
    )
    corrected = [angle + 0.2 for angle in angles]  # saved with the old correction
    write(
        ROOT / "notebooks/06_side_cameras.ipynb",
        notebook(
            [
                md("e1", "# Side cameras\n\nLeft frames steer back by the correction.\n"),
                code("e2", read_log + "CORRECTION = 0.25\n", 1),
                code(
                    "e3",
                    "left = [angle + CORRECTION for angle in angles]\n"
                    "print(f'mean left steering: {sum(left) / len(left):.6f}')\n",
                    2,
                    [stream(f"mean left steering: {sum(corrected) / len(corrected):.6f}\n")],
                ),
            ]
        ),
    )
    write(
        ROOT / "notebooks/07_lane_video.ipynb",
        notebook(
            [
                md("f1", "# Lane video\n\nThe detected lanes drawn on the test video.\n"),
                code(
                    "f2",
                    "from moviepy.editor import VideoFileClip\n\n"
                    "clip = VideoFileClip('../data/test_video.mp4')\n"
                    "print(f'{clip.duration:.1f} s')\n",
                    1,
                    [stream("10.0 s\n")],
                ),
            ]
        ),
    )
    write(
        ROOT / "notebooks/.ipynb_checkpoints/01_explore_data-checkpoint.ipynb",
        notebook([md("a1", "# Explore the driving log\n")]),
    )
    write(ROOT / "data/notes.txt", "")
    for path in sorted(ROOT.rglob("*")):
        import os

        os.utime(path, (FIXED_TIME, FIXED_TIME), follow_symlinks=False)


# The sample's own history: (date, subject, what the commit adds), oldest first.
HISTORY_STEPS = (
    (
        "2023-09-04T10:00:00+00:00",
        "Scripts to train and drive",
        ("*.py", "utils", "README.md", "requirements.txt", "config.yaml", ".gitignore"),
    ),
    ("2023-09-18T15:30:00+00:00", "Notebooks: explore, train, detect lines", ("notebooks",)),
    ("2023-10-02T09:15:00+00:00", "Camera frames and the driving log", ("data",)),
    (
        "2023-11-14T22:13:20+00:00",
        "Trained model and an archive of run 1",
        ("model.h5", "archive", "__pycache__"),
    ),
)


def git_history(target: Path) -> None:
    """The sample as a git repository in ``target`` (a new folder), in ``HISTORY_STEPS``."""
    import os
    import subprocess

    if target.exists():
        raise SystemExit(f"{target}: exists; give a new folder")
    shutil.copytree(ROOT, target, symlinks=True)
    for date, subject, paths in HISTORY_STEPS:
        environment = {
            **os.environ,
            "GIT_AUTHOR_NAME": "Sample Author",
            "GIT_AUTHOR_EMAIL": "author@example.org",
            "GIT_COMMITTER_NAME": "Sample Author",
            "GIT_COMMITTER_EMAIL": "author@example.org",
            "GIT_AUTHOR_DATE": date,
            "GIT_COMMITTER_DATE": date,
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CONFIG_NOSYSTEM": "1",
        }

        def git(*args: str, env: dict[str, str] = environment) -> None:
            subprocess.run(
                ["git", "-C", str(target), *args], check=True, env=env, capture_output=True
            )

        if date == HISTORY_STEPS[0][0]:
            git("init", "-q", "-b", "main")
        git("add", "-f", "--", *paths)
        git("commit", "-q", "--no-gpg-sign", "-m", subject)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Regenerate the bundled sample.")
    parser.add_argument("--git", metavar="DIR", help="build the sample as a git repository in DIR")
    arguments = parser.parse_args()
    if arguments.git:
        git_history(Path(arguments.git))
    else:
        main()
