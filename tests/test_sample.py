"""The bundled sample states what it holds; a scan must find exactly that."""

from __future__ import annotations

from repolens import State, scan, summarise

from .conftest import SAMPLE

# What examples/Detect_Lines holds (see examples/make_sample.py):
EXPECTED_FILES = 59
EXPECTED_BY_CATEGORY = {
    "code": 5,  # model.py drive.py video.py utils/__init__.py utils/preprocess.py
    "notebook": 9,  # seven notebooks, "01_explore_data - Copy.ipynb", one checkpoint
    "config": 3,  # .gitignore config.yaml requirements.txt
    "docs": 2,  # README.md data/notes.txt
    "data": 1,  # data/driving_log.csv
    "image": 36,  # 12 frames x 3 cameras
    "model": 1,  # model.h5
    "archive": 1,  # archive/run1_frames.zip
    "other": 1,  # __pycache__/model.cpython-38.pyc
}
EXPECTED_STATES = {"ok": 17, "empty": 2, "binary": 39, "invalid": 1}
EXPECTED_CSV_LINES = 13  # header + 12 frames


def test_the_sample_holds_what_it_states() -> None:
    records = scan(SAMPLE).records
    summary = summarise(records)
    assert summary.total_files == EXPECTED_FILES
    assert {name: group.files for name, group in summary.by_category.items()} == (
        EXPECTED_BY_CATEGORY
    )
    assert summary.by_state == EXPECTED_STATES
    by_path = {record.path: record for record in records}
    assert by_path["data/driving_log.csv"].lines == EXPECTED_CSV_LINES
    assert by_path["notebooks/04_merge_conflict.ipynb"].state is State.INVALID
    notebooks = summary.notebooks
    assert (notebooks.notebooks, notebooks.invalid) == (8, 1)
    assert (notebooks.with_errors, notebooks.out_of_order, notebooks.image_outputs) == (1, 1, 2)


def test_the_sample_stays_small() -> None:
    total = sum(path.stat().st_size for path in SAMPLE.rglob("*") if path.is_file())
    assert total < 1_000_000
