"""The real-repository benchmark's own machinery (bench/checks): scoring, scratch work trees,
fixes applied literally, and the truth tools' judgements on minimal reproductions.

Every fixture is generated here; no repository is fetched."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import nbformat
import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench" / "checks"
sys.path.insert(0, str(BENCH))

import corpus  # noqa: E402
import scoring  # noqa: E402
from apply_fix import NotApplicable, _en002, _en003  # noqa: E402
from truth_tools.dependencies import dependency_truth  # noqa: E402
from truth_tools.files import asset_truth, duplicate_truth, junk_truth  # noqa: E402
from truth_tools.notebooks import notebook_truth  # noqa: E402
from truth_tools.paths import decoded_paths, path_truth  # noqa: E402
from truth_tools.secrets import secret_candidates  # noqa: E402


def finding(
    check: str, path: str, line: int | None = None, cell: int | None = None, message: str = ""
) -> dict:
    return {
        "check": check,
        "level": "warning",
        "path": path,
        "line": line,
        "cell": cell,
        "message": message,
    }


def git(root: Path, *args: str) -> str:
    environment = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
    environment.update(
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@t",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@t",
    )
    done = subprocess.run(
        ["git", "-C", str(root), *args], capture_output=True, check=True, env=environment
    )
    return done.stdout.decode().strip()


# --- scoring -------------------------------------------------------------------------------


TRUTH = {
    "expected": [
        {"check": "PA001", "path": "a.py", "line": 10, "cell": None},
        {"check": "PA001", "path": "b.py", "line": 3, "cell": None},
        {
            "check": "EN002",
            "path": "x.py",
            "line": 1,
            "cell": None,
            "key": "cv2",
            "also": [["y.py", 4, None]],
        },
        {"check": "NB009", "path": "n.ipynb", "line": 1, "cell": 9},
    ],
    "judged": [
        {
            "check": "PA001",
            "path": "c.cpp",
            "line": 120,
            "cell": None,
            "verdict": "wrong",
            "reason": "an escape",
        }
    ],
    "removed": [
        {"check": "PA001", "path": "b.py", "line": 3, "cell": None, "reason": "a system path"}
    ],
    "reviews": [
        {"path": "k.py", "line": 2, "cell": None, "verdict": "SE001", "reason": "a real key"}
    ],
}


@pytest.mark.parametrize(
    ("found", "verdict"),
    [
        (finding("PA001", "a.py", 12), "right"),  # within the tolerance of 2 lines
        (finding("PA001", "a.py", 13), "unjudged"),  # a docstring opening further up: no match
        (finding("PA001", "c.cpp", 120), "wrong"),  # judged by reading
        (finding("PA001", "b.py", 3), "unjudged"),  # removed from truth, not judged: unjudged
        (
            finding("EN002", "z.py", 7, message="imports cv2 (distribution opencv-python), which"),
            "right",
        ),
        (finding("EN002", "x.py", 1, message="imports numpy, which"), "unjudged"),
        (finding("NB009", "n.ipynb", 1, 7), "right"),  # one per notebook: the path decides
        (finding("SE001", "k.py", 2), "right"),  # a reviewed secret is truth
    ],
)
def test_a_finding_is_right_wrong_or_unjudged(found: dict, verdict: str) -> None:
    result = scoring.score_repository([found], TRUTH)
    assert [outcome.verdict for outcome in result.outcomes] == [verdict]


def test_the_same_problem_reported_twice_is_a_false_alarm_and_misses_are_counted() -> None:
    found = [finding("PA001", "a.py", 10), finding("PA001", "a.py", 10)]
    result = scoring.score_repository(found, TRUTH)
    assert [o.verdict for o in result.outcomes] == ["right", "wrong"]
    assert result.outcomes[1].reason == "the same problem reported twice"
    # 4 entries less 1 removed plus 1 reviewed secret = 4 expected; one was found
    assert len(result.missed) == 3
    table = scoring.score([result])
    assert table["PA001"].right == 1 and table["PA001"].wrong == 1
    assert table["PA001"].precision == 0.5 and table["PA001"].recall == 1.0
    assert table["EN002"].recall == 0.0 and table["EN002"].precision is None
    families = scoring.totals(table)
    assert set(families) == {"PA", "EN", "NB", "SE"}


def test_changes_since_the_last_run_name_added_and_removed_findings() -> None:
    key = scoring.place_key(finding("PA001", "a.py", 10))
    assert key == "PA001\ta.py\t\t10"
    before = {"r": [key, "FI003\t\t\t"]}
    after = {"r": [key, "NB006\tn.ipynb\t3\t"], "s": ["FI001\t\t\t"]}
    assert scoring.changes(before, after) == {
        "r": (["NB006\tn.ipynb\t3\t"], ["FI003\t\t\t"]),
        "s": (["FI001\t\t\t"], []),
    }
    assert scoring.changes(before, before) == {}


# --- the manifest and scratch work trees ---------------------------------------------------


def test_the_manifest_pins_at_least_twelve_repositories_by_commit() -> None:
    repositories = corpus.load_manifest()
    assert len(repositories) >= 12
    assert all(len(item.commit) == 40 for item in repositories)
    assert len({item.slug for item in repositories}) == len(repositories)
    for item in repositories:  # every repository has its truth file, built for its commit
        truth = json.loads((BENCH / "truth" / f"{item.slug}.json").read_text("utf-8"))
        assert truth["commit"] == item.commit


def test_a_bad_manifest_is_refused(tmp_path: Path) -> None:
    manifest = tmp_path / "m.toml"
    manifest.write_text('[[repository]]\nname = "a/b"\nurl = "u"\ncommit = "HEAD"\n')
    with pytest.raises(ValueError, match="40 lowercase hex"):
        corpus.load_manifest(manifest)


def test_a_scratch_tree_holds_the_pinned_commit_and_names_missing_blobs(tmp_path: Path) -> None:
    origin = tmp_path / "clones" / "o+r"
    origin.mkdir(parents=True)
    git(origin, "init", "-q")
    (origin / "keep.py").write_text("print(1)\n")
    (origin / "run.sh").write_text("#!/bin/sh\n")
    (origin / "run.sh").chmod(0o755)
    (origin / "gone.bin").write_bytes(b"x" * 5000)
    os.symlink("/dev/zero", origin / "zero")
    os.symlink("keep.py", origin / "alias.py")
    git(origin, "add", "-A")
    git(origin, "commit", "-qm", "one")
    commit = git(origin, "rev-parse", "HEAD")
    (origin / "keep.py").write_text("print(2)\n")  # a later commit must not leak in
    git(origin, "commit", "-qam", "two")
    blob = git(origin, "rev-parse", "HEAD:gone.bin")
    (origin / ".git" / "objects" / blob[:2] / blob[2:]).unlink()  # a partial snapshot
    repository = corpus.Repository("o/r", "unused", commit, "test", "test")
    tree = corpus.prepare(repository, tmp_path / "work", tmp_path / "clones")
    assert tree.path == tmp_path / "work" / "o+r"
    assert (tree.path / "keep.py").read_text() == "print(1)\n"
    assert os.access(tree.path / "run.sh", os.X_OK)
    assert os.readlink(tree.path / "zero") == "/dev/zero"  # kept as a link, never read
    assert tree.missing == ("gone.bin",) and tree.files == 4
    assert git(tree.path, "rev-parse", "HEAD") == commit
    assert "keep.py" in git(tree.path, "ls-files")


@pytest.mark.parametrize("path", ["../x", "/etc/passwd", "a/../../x", ".git/config", "a//b"])
def test_a_path_that_leaves_the_scratch_tree_is_refused(tmp_path: Path, path: str) -> None:
    assert corpus._safe_target(tmp_path, path) is None


def test_a_path_through_a_link_is_refused(tmp_path: Path) -> None:
    os.symlink("/tmp", tmp_path / "a")
    assert corpus._safe_target(tmp_path, "a/b") is None
    assert corpus._safe_target(tmp_path, "b/c") == tmp_path / "b" / "c"


# --- truth tools on minimal reproductions (the failure classes of issue 20) ----------------


@pytest.mark.parametrize(
    ("text", "is_path"),
    [
        ("A:\n", False),  # print("Matrix A:\n", a), decoded
        ("Step B:\t", False),
        ("C:\\Users\\x\\Detect_Lines", True),
        ("C:/Users/HP/Desktop/CSV FILES/a.csv", True),
        ("k:\\OWEe0a<1O1O1O", False),  # an RLE mask in COCO annotations
        ("C:/Program Files (x86)/Eigen/include", False),  # Windows' own install location
        ("\\\\server\\share\\data", True),
        ("/home/ana/data", True),
        ("https://example.org/home/x", False),
    ],
)
def test_paths_are_judged_on_decoded_literals(text: str, is_path: bool) -> None:
    assert bool(list(decoded_paths(text))) is is_path


def test_path_truth_reads_every_prefix_one_literal_once_and_skips_c_escapes(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(
        "base = r'C:\\Users\\me\\Detect_Lines'\n"  # line 1: a prefixed single-quoted literal
        'print("Matrix A:\\n", a)\n'  # not a path
        "doc = '''\n\nsee D:/data/x.csv'''\n"  # line 5: where the path starts in the literal
        "# C:/in/a/comment\n"
        "p = 'C:/Users/x/y'  # one literal, one problem (not /Users/x again)\n"
    )
    (tmp_path / "m.cpp").write_text(
        'cout << "Singular values of A:\\n";\n// C:/x/y\nf("E:\\\\data\\\\b");\n'
    )
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "t.py").write_text("p = 'C:/Users/x/y'\n")
    found = sorted(
        (e.places[0].path, e.places[0].line)
        for e in path_truth(tmp_path, ["a.py", "m.cpp", "tests/t.py"])
    )
    assert found == [("a.py", 1), ("a.py", 5), ("a.py", 7), ("m.cpp", 3)]


def _notebook(
    path: Path, counts: list[int | None], tags: list[str] | None = None, error: bool = False
) -> None:
    cells = []
    for index, count in enumerate(counts):
        cell = nbformat.v4.new_code_cell(f"x{index} = 1", execution_count=count)
        if error and index == 0:
            cell.outputs = [
                nbformat.v4.new_output("error", ename="ZeroDivisionError", evalue="", traceback=[])
            ]
            cell.metadata["tags"] = tags or []
        cells.append(cell)
    document = nbformat.v4.new_notebook(
        cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}}
    )
    nbformat.write(document, str(path))


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ([1, 2, 3], set()),
        ([0, 0, 0], set()),  # all zero: no order, no gap
        ([41, 42, 43], {"NB004"}),  # starts at 41: code ran before, not out of order
        ([3, 1, 2], {"NB002"}),
        ([1, 1, 2], set()),  # a repeated count is a copied cell, not an order
        ([1, 2, 5], {"NB004"}),
    ],
)
def test_execution_counts_are_described_as_what_they_are(
    tmp_path: Path, counts: list, expected: set
) -> None:
    _notebook(tmp_path / "n.ipynb", counts)
    assert {e.check for e in notebook_truth(tmp_path, ["n.ipynb"])} == expected


def test_an_intended_error_is_not_a_saved_error(tmp_path: Path) -> None:
    _notebook(tmp_path / "meant.ipynb", [1], tags=["raises-exception"], error=True)
    _notebook(tmp_path / "saved.ipynb", [1], error=True)
    found = {
        (e.check, e.places[0].path)
        for e in notebook_truth(tmp_path, ["meant.ipynb", "saved.ipynb"])
    }
    assert found == {("NB001", "saved.ipynb")}


def test_dependency_truth_maps_imports_to_distributions_and_keeps_guards_in_their_file(
    tmp_path: Path,
) -> None:
    files = {
        "requirements.txt": "matplotlib==3.8\nscikit-optimize==0.9\npaho-mqtt\n",
        "a.py": "import pylab\nimport skopt\nimport paho.mqtt.client\nimport requests\n"
        "from pkg import mod\n",
        "b.py": "try:\n    import yaml\nexcept ImportError:\n    yaml = None\n",
        "c.py": "import yaml\n",
        "pkg/__init__.py": "",
        "pkg/mod.py": "",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    found = list(dependency_truth(tmp_path, sorted(files)))
    assert {e.key for e in found if e.check == "EN002"} == {"requests", "yaml"}
    yaml_places = next(e for e in found if e.key == "yaml").places
    assert [p.path for p in yaml_places] == ["c.py"]  # the guard in b.py exempts b.py only
    assert [(e.check, e.places[0].line) for e in found if e.check == "EN003"] == [("EN003", 3)]


def test_firmware_modules_are_the_standard_library_of_a_micropython_tree(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text("import machine\nimport utime\nimport uasyncio\n")
    (tmp_path / "requirements.txt").write_text("\n")
    assert [
        e for e in dependency_truth(tmp_path, ["main.py", "requirements.txt"]) if e.check == "EN002"
    ] == []


def test_no_environment_at_all_names_what_to_write(tmp_path: Path) -> None:
    (tmp_path / "run.py").write_text("import cv2\nimport numpy\n")
    (entry,) = dependency_truth(tmp_path, ["run.py"])
    assert entry.check == "EN001"
    assert entry.extra["distributions"] == ["numpy", "opencv-python"]


def test_duplicates_junk_and_lfs_candidates_come_from_git_and_checksums(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.bin").write_bytes(b"1" * 2048)
    (tmp_path / "b.bin").write_bytes(b"1" * 2048)
    (tmp_path / "small.pkl").write_bytes(b"p" * 1300)  # under the 100 KiB floor
    (tmp_path / "Weights.H5").write_bytes(b"w" * (200 << 10))
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "m.pyc").write_bytes(b"c")
    (tmp_path / "~WRL1234.tmp").write_bytes(b"w")
    files = ["__pycache__/m.pyc", "Weights.H5", "a/x.bin", "b.bin", "small.pkl", "~WRL1234.tmp"]
    git(tmp_path, "add", *files)
    (duplicate,) = duplicate_truth(tmp_path, files)
    assert [p.path for p in duplicate.places] == ["a/x.bin", "b.bin"]
    assets = [(e.check, e.key) for e in asset_truth(tmp_path, files)]
    assert assets == [("AS003", "*.H5")]  # the pattern as the file name writes it
    assert sorted(e.places[0].path for e in junk_truth(tmp_path, files)) == [
        "__pycache__/",
        "~WRL1234.tmp",
    ]


def test_secret_candidates_include_generic_credentials_but_never_image_payloads(
    tmp_path: Path,
) -> None:
    (tmp_path / "pub.py").write_text(
        'client.username_pw_set("lab", password="Xk9#mQ2v!")\n'
        'BROKER = "mqtt://lab:S3cretPass@broker.lab.example"\n'
        "PASSWORD = os.environ['PASSWORD']\n"
        'requests.post("https://maker.ifttt.com/trigger/x/with/key/cp5kerGL75CjAK7YNML9Zp")\n'
    )
    image = nbformat.v4.new_output(
        "display_data", data={"image/png": "AKIA" + "A" * 16 + "=" * 3000}
    )
    cell = nbformat.v4.new_code_cell("plot()", outputs=[image], execution_count=1)
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), str(tmp_path / "n.ipynb"))
    entropy: Counter[str] = Counter()
    found = list(secret_candidates(tmp_path, ["pub.py", "n.ipynb"], entropy))
    lines = {item["line"] for item in found if item["path"] == "pub.py"}
    assert lines == {1, 2, 4}
    assert not [item for item in found if item["path"] == "n.ipynb"]
    assert all("Xk9#mQ" not in json.dumps(item) for item in found)  # values are redacted


# --- fixes applied literally --------------------------------------------------------------


def test_a_pin_that_is_not_a_requirement_is_a_wrong_fix(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("-e .\nnumpy\n")
    wrong = {
        "check": "EN003",
        "path": "requirements.txt",
        "line": 1,
        "fix": "Pin it: write `-==<version>` on line 1 of requirements.txt.",
    }
    with pytest.raises(NotApplicable, match="not a valid requirement"):
        _en003(tmp_path, wrong, {})
    right = {
        "check": "EN003",
        "path": "requirements.txt",
        "line": 2,
        "fix": "Pin it: write `numpy==<version>` on line 2 of requirements.txt.",
    }
    _en003(tmp_path, right, {})
    assert (tmp_path / "requirements.txt").read_text().split("\n")[1] == "numpy==1.0"


def test_an_added_dependency_goes_where_the_fix_says_or_the_fix_is_wrong(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("numpy==1.0")
    _en002(tmp_path, {"fix": "Add the line `opencv-python` to requirements.txt."}, {})
    assert (tmp_path / "requirements.txt").read_text() == "numpy==1.0\nopencv-python\n"
    (tmp_path / "setup.cfg").write_text("[options]\ninstall_requires =\n    numpy\n")
    _en002(
        tmp_path,
        {"fix": "Add the line `    paho-mqtt` to install_requires in [options] of setup.cfg."},
        {},
    )
    assert (tmp_path / "setup.cfg").read_text().split("\n")[2] == "    paho-mqtt"
    (tmp_path / "setup.py").write_text('setup(install_requires=["numpy"])\n')
    _en002(tmp_path, {"fix": 'Add "regex" to install_requires in setup.py.'}, {})
    assert (tmp_path / "setup.py").read_text() == 'setup(install_requires=["regex", "numpy"])\n'
    with pytest.raises(NotApplicable, match="no list where the fix says"):
        _en002(tmp_path, {"fix": 'Add "regex" to dependencies in [project] of setup.py.'}, {})
    with pytest.raises(NotApplicable, match="no literal way"):
        _en002(tmp_path, {"fix": 'Add "regex" to setup.py.'}, {})


def _bench_run_module():  # type: ignore[no-untyped-def]
    """bench/checks/run.py under a name of its own (another ``run`` may be imported)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_checks_run", BENCH / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_new_run_replaces_its_section_and_keeps_the_rest_and_its_notes(tmp_path: Path) -> None:
    bench_run = _bench_run_module()
    HEADING, write_section = bench_run.HEADING, bench_run.write_section

    results = tmp_path / "RESULTS.md"
    results.write_text(f"# Benchmarks\n\n## Speed\n\nfast\n\n{HEADING}\n\nold table\n")
    write_section(f"{HEADING}\n\nfirst table\n", results)
    text = results.read_text()
    assert "old table" not in text and "first table" in text and "## Speed\n\nfast" in text
    results.write_text(text + "\n<!-- checks notes -->\nwhat the table means\n\n## Later\n\nkept\n")
    write_section(f"{HEADING}\n\nsecond table\n", results)
    text = results.read_text()
    assert "first table" not in text and "second table" in text
    assert text.index("second table") < text.index("what the table means") < text.index("## Later")
    assert text.count(HEADING) == 1 and "## Speed\n\nfast" in text


def test_looking_for_users_of_a_removed_copy_never_reads_a_link_or_a_fifo(tmp_path: Path) -> None:
    from apply_fix import _referenced

    os.symlink("/dev/zero", tmp_path / "zero.py")
    os.mkfifo(tmp_path / "pipe.py")
    (tmp_path / "use.py").write_text("open('data/copy.csv')\n")
    assert _referenced(tmp_path, ["other/copy.csv"]) == "use.py names copy.csv"
    assert _referenced(tmp_path, ["nothing.bin"]) is None


def test_odd_file_names_reach_the_scratch_tree_and_the_truth_file(tmp_path: Path) -> None:
    origin = tmp_path / "clones" / "o+odd"
    origin.mkdir(parents=True)
    git(origin, "init", "-q")
    odd = os.fsdecode(b"new\nline \xff\xe2\x80\xae.py")  # a newline, a 0xFF byte, a bidi override
    (origin / odd).write_text("p = 'C:/Users/me/x'\n")
    git(origin, "add", "-A")
    git(origin, "commit", "-qm", "odd")
    repository = corpus.Repository("o/odd", "unused", git(origin, "rev-parse", "HEAD"), "t", "t")
    tree = corpus.prepare(repository, tmp_path / "work", tmp_path / "clones")
    assert (tree.path / odd).is_file() and tree.missing == ()
    from truth_tools.common import tracked_files

    files = tracked_files(tree.path)
    assert files == [odd]
    (entry,) = path_truth(tree.path, files)
    target = tmp_path / "truth.json"
    corpus.write_text(target, json.dumps({"expected": [entry.as_dict()]}, indent=1))
    assert json.loads(target.read_text("utf-8"))["expected"][0]["path"] == odd
