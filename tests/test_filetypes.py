"""The file-type table: names, extensions, categories."""

from __future__ import annotations

import pytest

from repolens.scanning.filetypes import CATEGORIES, FileTypes, file_types


@pytest.mark.parametrize(
    ("name", "extension", "category"),
    [
        ("model.py", ".py", "code"),
        ("analysis.ipynb", ".ipynb", "notebook"),
        ("Makefile", "", "config"),
        ("Dockerfile", "", "config"),
        ("environment.yml", ".yml", "config"),
        ("README.md", ".md", "docs"),
        ("LICENSE", "", "docs"),
        ("driving_log.csv", ".csv", "data"),
        ("frames.npz", ".npz", "data"),
        ("center_001.JPG", ".jpg", "image"),
        ("run.mp4", ".mp4", "media"),
        ("model.h5", ".h5", "model"),
        ("best.ckpt", ".ckpt", "model"),
        ("weights.safetensors", ".safetensors", "model"),
        ("clf.joblib", ".joblib", "model"),
        ("data.tar.gz", ".tar.gz", "archive"),
        ("brain.nii.gz", ".nii.gz", "image"),
        ("module.cpython-311.pyc", ".pyc", "other"),
        (".gitignore", "", "config"),
        (".bashrc", "", None),
        ("noextension", "", None),
        ("trailing.", ".", None),
    ],
)
def test_table(name: str, extension: str, category: str | None) -> None:
    table = file_types()
    assert table.extension(name) == extension
    assert table.category(name) == category


def test_every_category_in_the_table_is_known_and_each_has_extensions() -> None:
    table = file_types()
    assert set(table.extensions.values()) == set(CATEGORIES)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[names]\n[extensions]\nsource = [".x"]\n', "unknown category"),
        ('[names]\n[extensions]\ncode = [".x"]\ndata = [".X"]\n', "listed twice"),
        ('[names]\n"a" = "nope"\n[extensions]\ncode = [".x"]\n', "unknown category"),
        ('[names]\n[extensions]\ncode = [".a.b.c"]\n', "two parts"),
    ],
)
def test_a_broken_table_is_refused(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FileTypes.from_toml(text)


def test_text_formats_the_engine_does_not_know_have_a_language() -> None:
    assert file_types().text_language("driving_log.csv") == "CSV"
    assert file_types().text_language("model.py") is None
