"""Charts draw aggregated data on the axes they are given and never fail on nothing."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest

from repolens import scan, summarise
from repolens.core.units import human_bytes
from repolens.render import charts, narrative

from .conftest import SAMPLE


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 B"),
        (1023, "1023 B"),
        (1536, "1.5 KiB"),
        (5 * 1024**2, "5.0 MiB"),
        (176_112_081, "168.0 MiB"),
        (3 * 1024**3, "3.0 GiB"),
        (2 * 1024**4, "2.0 TiB"),
    ],
)
def test_human_bytes(size: int, text: str) -> None:
    assert human_bytes(size) == text


SUMMARY_CHARTS = [
    charts.plot_bytes_by_category,
    charts.plot_lines_by_language,
    charts.plot_largest_files,
]
RECORD_CHARTS = [charts.plot_notebook_health, charts.plot_activity]


@pytest.mark.parametrize("plot", SUMMARY_CHARTS + RECORD_CHARTS, ids=lambda f: f.__name__)
def test_charts_draw_on_the_given_axes(plot, tmp_path: Path) -> None:
    records = scan(SAMPLE).records
    data = summarise(records) if plot in SUMMARY_CHARTS else records
    _figure, ax = plt.subplots()
    assert plot(data, ax=ax) is ax
    assert ax.get_title(loc="left")
    assert ax.patches, "no bars drawn"
    path = charts.save_chart(ax, tmp_path / "chart.png")
    assert path.read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize("plot", SUMMARY_CHARTS + RECORD_CHARTS, ids=lambda f: f.__name__)
def test_charts_of_nothing_say_so(plot) -> None:
    data = summarise([]) if plot in SUMMARY_CHARTS else []
    ax = plot(data)
    assert next(text.get_text() for text in ax.texts).startswith("No ")
    plt.close(ax.figure)


def test_one_bar_per_category_whatever_the_file_count() -> None:
    summary = summarise(scan(SAMPLE).records)
    ax = charts.plot_bytes_by_category(summary)
    assert len(ax.patches) == len(summary.by_category)
    plt.close(ax.figure)


def test_sentences_read_the_sample() -> None:
    records = scan(SAMPLE).records
    summary = summarise(records)
    assert "59 files" in narrative.overview_sentence(summary)
    assert narrative.bytes_sentence(summary).startswith(
        "<p><strong>Notebook</strong> files hold the most bytes"  # 8 notebooks, 8.8 KiB
    )
    assert "1 notebook</strong> was saved with an error" in narrative.notebooks_sentence(summary)
    assert "could not be analysed" in narrative.problems_sentence(records)
    assert narrative.overview_sentence(summarise([])).startswith(
        "<p><strong>This tree holds no files</strong>"
    )


def test_sentences_say_one_line_not_one_lines(tmp_path: Path) -> None:
    (tmp_path / "one.py").write_text("x = 1\n")  # 1 line of code
    summary = summarise(scan(tmp_path).records)
    sentence = narrative.overview_sentence(summary)
    assert "1 line of code" in sentence and "1 lines" not in sentence
    assert "1 line " in narrative.languages_sentence(summary)


def test_size_axes_tick_at_round_numbers_of_their_unit() -> None:
    summary = summarise(scan(SAMPLE).records)  # largest category: 8.8 KiB of notebooks
    ax = charts.plot_bytes_by_category(summary)
    ticks = [tick for tick in ax.get_xticks() if tick <= ax.get_xlim()[1]]
    assert len(ticks) >= 3
    assert all(tick % 512 == 0 for tick in ticks)  # 0, 2.5 KiB, 5 KiB, ...: whole half KiB
    labels = [label.get_text() for label in ax.get_xticklabels()][: len(ticks)]
    assert all(label == "0" or label.endswith(" KiB") for label in labels), labels
    assert not any("." in label and len(label.split(" ")[0].split(".")[1]) > 1 for label in labels)
    plt.close(ax.figure)


def test_lines_of_code_never_count_data(tmp_path: Path) -> None:
    rows = "".join(f"{index},0.5\n" for index in range(400))
    (tmp_path / "log.csv").write_text("frame,angle\n" + rows)  # 401 rows of data
    (tmp_path / "train.py").write_text("import os\nprint(os.sep)\n")  # 2 lines of code
    summary = summarise(scan(tmp_path).records)
    assert summary.code_lines == 2 and summary.data_rows == 401
    overview = narrative.overview_sentence(summary)
    assert "2 lines of code" in overview and "401 rows of data" in overview
    languages = narrative.languages_sentence(summary)
    assert "Python" in languages and "CSV" not in languages
    assert list(summary.code_languages) == ["Python"]


def commit(root: Path, name: str, when: str) -> None:
    (root / name).parent.mkdir(parents=True, exist_ok=True)
    (root / name).write_text(f"{name} {when}\n")
    env = {
        **os.environ,
        "GIT_AUTHOR_DATE": when,
        "GIT_COMMITTER_DATE": when,
        "GIT_AUTHOR_NAME": "Lab",
        "GIT_AUTHOR_EMAIL": "lab@example.org",
        "GIT_COMMITTER_NAME": "Lab",
        "GIT_COMMITTER_EMAIL": "lab@example.org",
    }
    subprocess.run(["git", "-C", str(root), "add", name], check=True, env=env)
    subprocess.run(["git", "-C", str(root), "commit", "-qm", name], check=True, env=env)


def test_activity_comes_from_git_when_there_is_a_history(tmp_path: Path) -> None:
    from repolens.scanning.activity import git_activity

    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    commit(root, "data/a.csv", "2024-01-10T10:00:00+00:00")
    commit(root, "src/b.py", "2024-01-20T10:00:00+00:00")
    commit(root, "src/c.py", "2024-03-05T10:00:00+00:00")  # 3 commits, 2 months
    history = git_activity(str(root))
    assert history is not None and history.commits == 3
    assert history.by_month == {"2024-01": 2, "2024-03": 1}
    assert history.last_by_folder == {"src": "2024-03-05", "data": "2024-01-10"}
    sentence = narrative.activity_sentence(scan(root).records, history)
    assert sentence.startswith("<p>From git: 3 commits") and "data" in sentence
    ax = charts.plot_activity(scan(root).records, history=history)
    assert [tick.get_text() for tick in ax.get_xticklabels()] == ["2024-01", "2024-03"]
    plt.close(ax.figure)
    assert git_activity(str(tmp_path / "repo" / "src")).commits == 2  # only that folder


def test_activity_falls_back_to_file_times_outside_git(tmp_path: Path) -> None:
    from repolens.scanning.activity import git_activity

    (tmp_path / "a.txt").write_text("x\n")
    assert git_activity(str(tmp_path)) is None
    assert "From file times" in narrative.activity_sentence(scan(tmp_path).records)
