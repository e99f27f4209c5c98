"""repolens rerun: what a repository declares, the environment built from it, the
command's outputs and exit codes, and the sample's truth.

Environments are built with uv from PyPI wheels of one small pure-Python distribution
(six) and kept in a cache shared by the tests of this module, so a second build of the
same specification is a reuse.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from importlib import resources
from importlib.util import find_spec
from pathlib import Path

import jsonschema
import pytest

from repolens.core.findings import Finding, Level
from repolens.rerun.environment import build_environment, failure_summary, uv_available
from repolens.rerun.execute import kernel_for
from repolens.rerun.run import inferred_distributions, select_notebooks
from repolens.rerun.sandbox import available
from repolens.rerun.specs import (
    conda_requirement,
    read_specification,
    requirement_lines,
)

from .conftest import SAMPLE, make_tree, notebook_json, python_env

BWRAP = available("bwrap")
needs_bwrap = pytest.mark.skipif(not BWRAP, reason="bubblewrap cannot run here")
needs_uv = pytest.mark.skipif(not uv_available(), reason="uv is not installed")


def cell(source: str, text: str | None = None, count: int = 1, tags: tuple = ()) -> dict:
    outputs = [] if text is None else [{"name": "stdout", "output_type": "stream", "text": text}]
    return {
        "cell_type": "code",
        "execution_count": count,
        "metadata": {"tags": list(tags)},
        "outputs": outputs,
        "source": source,
    }


def rerun_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "repolens", "rerun", *args],
        capture_output=True,
        text=True,
        env=env or python_env(),
        check=False,
        timeout=600,
    )


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("environments")


# -- what a repository declares ---------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "kept", "reason"),
    [
        ("numpy==1.26.4", "numpy==1.26.4", ""),
        ("requests[socks] >=2.0, <3 ; python_version >= '3.8'", None, ""),
        ("-e .", None, "editable"),
        ("--index-url http://mirror.example/simple", None, "option"),
        ("./vendor/pkg", None, "not a plain requirement"),
        ("git+https://example.org/x.git#egg=x", None, "not a plain requirement"),
        ("pkg @ https://example.org/pkg.whl", None, "not a plain requirement"),
        ("torch  # the GPU build", "torch", ""),
    ],
)
def test_requirement_lines_keep_plain_requirements_only(
    line: str, kept: str | None, reason: str
) -> None:
    (found,) = requirement_lines(line, "requirements.txt")
    if reason:
        assert not found.kept and reason in found.reason
    else:
        assert found.kept and (kept is None or found.text == kept)


@pytest.mark.parametrize(
    ("entry", "text", "kept"),
    [
        ("numpy=1.21", "numpy==1.21.*", True),
        ("numpy=1.21.5=py39h_0", "numpy==1.21.5", True),
        ("conda-forge::scikit-learn>=1.0", "scikit-learn>=1.0", True),
        ("pytorch", "torch", True),
        ("py-opencv", "opencv-python", True),
        ("cudatoolkit=11.3", None, False),
        ("r-ggplot2", None, False),
    ],
)
def test_conda_names_map_to_pypi_or_are_reported(entry: str, text: str | None, kept: bool) -> None:
    found = conda_requirement(entry, "environment.yml:3")
    assert found is not None and found.kept is kept
    if text:
        assert found.text == text


def test_the_interpreter_and_pip_of_a_conda_environment_are_not_requirements() -> None:
    assert conda_requirement("python=3.9", "x") is None
    assert conda_requirement("pip", "x") is None


def test_specifications_are_read_in_repo2docker_order(tmp_path: Path) -> None:
    root = make_tree(
        tmp_path,
        {
            "requirements.txt": "six\n",  # ignored: binder/ is there
            "binder/environment.yml": (
                "name: x\nchannels:\n  - conda-forge\ndependencies:\n  - python=3.11\n"
                "  - numpy=1.26\n  - r-base\n  - pip\n  - pip:\n    - attrs==23.1.0\n"
                "    - -e .\n"
            ),
            "binder/requirements.txt": "never-read\n",  # environment.yml comes first
            "binder/Dockerfile": "FROM scratch\n",
        },
    )
    spec = read_specification(str(root))
    assert spec.files == ("binder/environment.yml",)
    assert spec.installed == ("numpy==1.26.*", "attrs==23.1.0")
    assert {item.text for item in spec.left_out} == {"r-base", "-e ."}
    assert any("Dockerfile is not built" in note for note in spec.notes)


def test_requirements_include_inside_the_tree_only(tmp_path: Path) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("stolen-name\n")
    root = make_tree(
        tmp_path / "repo",
        {
            "requirements.txt": "-r base.txt\n-r ../secret.txt\nsix\n",
            "base.txt": "attrs\n",
            "pyproject.toml": "[project]\nname = 'x'\ndependencies = ['packaging>=23']\n",
            "setup.py": "raise SystemExit('never run')\n",
        },
    )
    spec = read_specification(str(root))
    assert spec.installed == ("attrs", "six", "packaging>=23")
    assert "stolen-name" not in spec.installed
    assert any("setup.py is not run" in note for note in spec.notes)
    assert any("not built or installed" in note for note in spec.notes)


def test_an_environment_yml_pip_list_reads_its_requirements_file(tmp_path: Path) -> None:
    """conda runs the pip list's ``-r requirements.txt`` beside the environment.yml (as a
    notebook book declares its packages); a file outside the tree is never read."""
    (tmp_path / "outside.txt").write_text("stolen-name\n")
    root = make_tree(
        tmp_path / "repo",
        {
            "environment.yml": "name: book\ndependencies:\n  - python=3.5\n  - pip\n"
            "  - pip:\n    - -r requirements.txt\n    - -r ../outside.txt\n    - six\n",
            "requirements.txt": "numpy==1.26.4\npandas>=2  # the book's own pins\n",
        },
    )
    spec = read_specification(str(root))
    assert spec.installed == ("numpy==1.26.4", "pandas>=2", "six")
    assert [item.text for item in spec.left_out] == ["-r ../outside.txt"]


def test_a_pipfile_lock_comes_before_requirements(tmp_path: Path) -> None:
    lock = {"default": {"six": {"version": "==1.16.0"}, "x": {"git": "https://e.org/x"}}}
    root = make_tree(tmp_path, {"Pipfile.lock": json.dumps(lock), "requirements.txt": "never\n"})
    spec = read_specification(str(root))
    assert spec.installed == ("six==1.16.0",)
    assert len(spec.left_out) == 1


@pytest.mark.parametrize(
    ("metadata", "kernel"),
    [
        ({"kernelspec": {"name": "python3", "language": "python"}}, "python3"),
        ({"kernelspec": {"name": "conda-env-lab-py", "language": "python"}}, "python3"),
        ({"language_info": {"name": "python"}}, "python3"),
        ({}, "python3"),
        ({"kernelspec": {"name": "ir", "language": "R"}}, ""),
        ({"kernelspec": {"name": "julia-1.9", "language": "julia"}}, ""),
    ],
)
def test_a_python_notebook_gets_the_environments_kernel_another_language_none(
    metadata: dict, kernel: str
) -> None:
    name, why = kernel_for(metadata)
    assert name == kernel
    assert bool(why) is (kernel == "")


def test_notebooks_globs_match_the_path_or_the_name() -> None:
    paths = ["a/x.ipynb", "b/y.ipynb", "c.ipynb"]
    assert select_notebooks(paths, []) == ("a/x.ipynb", "b/y.ipynb", "c.ipynb")
    assert select_notebooks(paths, ["a/*"]) == ("a/x.ipynb",)
    assert select_notebooks(paths, ["y.ipynb", "c*"]) == ("b/y.ipynb", "c.ipynb")


def test_inferred_distributions_come_from_en002() -> None:
    def en002(message: str) -> Finding:
        return Finding("EN002", Level.WARNING, "n.ipynb", message, "fix")

    findings = [
        en002("imports cv2 (distribution opencv-python), which requirements.txt does not."),
        en002("imports six, which requirements.txt does not declare."),
        en002("imports cv2 (distribution opencv-python), which requirements.txt does not."),
        Finding("PA001", Level.ERROR, "x.py", "imports y", "fix"),
    ]
    assert inferred_distributions(findings) == ("opencv-python", "six")


def test_the_resolvers_message_is_cut_and_names_the_requirement() -> None:
    message = "\n".join(
        ["Using Python 3.11", "error: No solution found", "  Because six==0.0.1 has no"]
        + [f"line {n}" for n in range(40)]
    )
    short, named = failure_summary(message, ("attrs", "six==0.0.1"))
    assert named == "six==0.0.1"
    assert len(short.splitlines()) <= 6 and "Using Python" not in short


# -- environments built with uv ---------------------------------------------------------


@needs_uv
def test_a_declared_environment_is_built_once_then_reused(tmp_path: Path, cache: Path) -> None:
    root = make_tree(tmp_path, {"requirements.txt": "six==1.16.0\n"})
    first = build_environment("declared", read_specification(str(root)), cache)
    assert first.ready, first.problem
    assert "six==1.16.0" in first.lock.splitlines()
    assert "nbclient" in first.lock and "ipykernel" in first.lock
    second = build_environment("declared", read_specification(str(root)), cache)
    assert second.reused and not first.reused
    assert second.python == first.python and second.lock == first.lock


@needs_uv
@pytest.mark.parametrize(
    ("requirement", "words"),
    [
        ("six==0.0.999", "six"),  # no such version
        ("six==1.4.1", "wheels"),  # a source distribution only: never built on the host
    ],
)
def test_a_failed_build_is_a_result(
    tmp_path: Path, cache: Path, requirement: str, words: str
) -> None:
    root = make_tree(tmp_path, {"requirements.txt": f"{requirement}\n"})
    environment = build_environment("declared", read_specification(str(root)), cache)
    assert not environment.ready
    assert words in environment.problem
    assert environment.failed_requirement == requirement
    assert len(environment.problem.splitlines()) <= 6


# -- the command ------------------------------------------------------------------------


def schema() -> dict:
    text = resources.files("repolens.schema").joinpath("rerun.schema.json").read_text()
    return json.loads(text)


@needs_bwrap
def test_the_sample_gives_its_truth(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = rerun_cli(str(SAMPLE), "--env", "current", "--sandbox", "bwrap", "-o", str(out),
                     "--jobs", "2")  # fmt: skip
    assert done.returncode == 4, done.stderr
    document = json.loads((out / "rerun.json").read_text())
    jsonschema.validate(document, schema())
    verdicts = {item["path"]: item["verdict"] for item in document["notebooks"]}
    cv2 = "failed" if find_spec("cv2") is None else "reproduced"  # --env current: this one
    assert verdicts == {
        "notebooks/.ipynb_checkpoints/01_explore_data-checkpoint.ipynb": "reproduced",
        "notebooks/01_explore_data - Copy.ipynb": "ran, results differ",
        "notebooks/01_explore_data.ipynb": "ran, results differ",
        "notebooks/02_train_model.ipynb": "failed",  # model.py is not beside it
        "notebooks/03_detect_lines.ipynb": cv2,
        "notebooks/04_merge_conflict.ipynb": "not run",  # not valid JSON
        "notebooks/05_steering_stats.ipynb": "reproduced",
        "notebooks/06_side_cameras.ipynb": "ran, results differ",
        "notebooks/07_lane_video.ipynb": "failed",
    }
    by_path = {item["path"]: item for item in document["notebooks"]}
    drift = by_path["notebooks/06_side_cameras.ipynb"]["comparisons"]
    assert [c["cell"] for c in drift if not c["same"]] == [2]
    assert drift[-1]["differences"][0]["kind"] == "number"
    video = by_path["notebooks/07_lane_video.ipynb"]["cause"]
    assert video["kind"] == "missing module" and video["predicted"] is True
    assert video["finding"].startswith("EN002")
    rr = {(f["check"], f["path"]) for f in document["findings"]}
    assert ("RR001", "notebooks/07_lane_video.ipynb") in rr
    assert ("RR002", "notebooks/06_side_cameras.ipynb") in rr
    assert not any(path == "notebooks/05_steering_stats.ipynb" for _check, path in rr)
    with open(out / "rerun.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["path"] for row in rows] == sorted(verdicts)
    assert (out / "notebooks" / "notebooks" / "05_steering_stats.ipynb").is_file()
    assert not (out / "notebooks" / "notebooks" / "04_merge_conflict.ipynb").exists()
    sarif = json.loads((out / "findings.sarif").read_text())
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} <= {"RR001", "RR002", "RR003"}
    reproduced = sum(1 for verdict in verdicts.values() if verdict == "reproduced")
    assert f"{reproduced} of 9 notebooks reproduced" in done.stdout


@needs_bwrap
@needs_uv
def test_declared_fails_where_inferred_adds_what_en002_finds(tmp_path: Path, cache: Path) -> None:
    root = make_tree(
        tmp_path / "repo",
        {
            "requirements.txt": "attrs==23.1.0\n",
            "uses_six.ipynb": notebook_json([cell("import six\nprint(six.__name__)\n", "six\n")]),
        },
    )
    env = {**python_env(), "REPOLENS_CACHE_DIR": str(cache)}
    declared = rerun_cli(str(root), "--sandbox", "bwrap", "-o", str(tmp_path / "d"), env=env)
    assert declared.returncode == 4, declared.stderr
    document = json.loads((tmp_path / "d" / "rerun.json").read_text())
    (notebook,) = document["notebooks"]
    assert notebook["verdict"] == "failed"
    assert notebook["cause"]["kind"] == "missing module" and notebook["cause"]["predicted"]
    assert "attrs==23.1.0" in (tmp_path / "d" / "environment.lock.txt").read_text()
    inferred = rerun_cli(
        str(root), "--sandbox", "bwrap", "--env", "inferred", "-o", str(tmp_path / "i"), env=env
    )
    assert inferred.returncode == 0, inferred.stdout + inferred.stderr
    document = json.loads((tmp_path / "i" / "rerun.json").read_text())
    assert document["notebooks"][0]["verdict"] == "reproduced"
    assert "six" in document["environment"]["requested"]


@needs_bwrap
@needs_uv
def test_an_environment_that_cannot_be_built_runs_nothing(tmp_path: Path, cache: Path) -> None:
    root = make_tree(
        tmp_path / "repo",
        {
            "requirements.txt": "six==0.0.999\n",
            "a.ipynb": notebook_json([cell("print(1)\n", "1\n")]),
            "b.ipynb": notebook_json([cell("print(2)\n", "2\n")]),
        },
    )
    env = {**python_env(), "REPOLENS_CACHE_DIR": str(cache)}
    done = rerun_cli(str(root), "--sandbox", "bwrap", "-o", str(tmp_path / "o"), env=env)
    assert done.returncode == 4
    document = json.loads((tmp_path / "o" / "rerun.json").read_text())
    assert document["environment"]["failed_requirement"] == "six==0.0.999"
    assert [n["verdict"] for n in document["notebooks"]] == ["not run", "not run"]
    assert {n["cause"]["kind"] for n in document["notebooks"]} == {"environment not built"}
    assert [f["check"] for f in document["findings"]] == ["RR001", "RR001"]
    assert not (tmp_path / "o" / "environment.lock.txt").exists()


@needs_bwrap
def test_tags_kernels_timeouts_and_twice(tmp_path: Path) -> None:
    root = make_tree(
        tmp_path / "repo",
        {
            "tagged.ipynb": notebook_json(
                [
                    {
                        **cell("raise ValueError('expected')\n", tags=("raises-exception",)),
                        "outputs": [
                            {
                                "output_type": "error",
                                "ename": "ValueError",
                                "evalue": "expected",
                                "traceback": [],
                            }
                        ],
                    },
                    cell("print('after')\n", "after\n", 2),
                ]
            ),
            "r.ipynb": notebook_json([cell("print(1)\n")], kernel="ir").replace(
                '"language": "python"', '"language": "R"'
            ),
            "slow.ipynb": notebook_json([cell("import time\ntime.sleep(60)\n"), cell("1\n")]),
            "random.ipynb": notebook_json(
                [cell("import random\nprint(random.random())\n", "0.5\n")]
            ),
        },
    )
    out = tmp_path / "out"
    done = rerun_cli(
        str(root), "--env", "current", "--sandbox", "bwrap", "-o", str(out),
        "--timeout-cell", "3", "--twice", "--fail-on", "never", "--jobs", "2",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    document = json.loads((out / "rerun.json").read_text())
    jsonschema.validate(document, schema())
    by_path = {item["path"]: item for item in document["notebooks"]}
    assert by_path["tagged.ipynb"]["verdict"] == "reproduced"
    assert [c["state"] for c in by_path["tagged.ipynb"]["cells"]] == ["raised as tagged", "ran"]
    assert by_path["r.ipynb"]["verdict"] == "not run"
    assert by_path["r.ipynb"]["cause"]["kind"] == "kernel not available"
    assert by_path["slow.ipynb"]["verdict"] == "timed out"
    assert [c["state"] for c in by_path["slow.ipynb"]["cells"]] == ["timed out", "not reached"]
    assert by_path["random.ipynb"]["nondeterministic_cells"] == [0]
    assert by_path["random.ipynb"]["cause"]["kind"] == "nondeterministic"
    assert ("RR003", "random.ipynb") in {(f["check"], f["path"]) for f in document["findings"]}


def test_outputs_past_the_cap_are_dropped_and_said(tmp_path: Path) -> None:
    from repolens.rerun.environment import current_environment
    from repolens.rerun.execute import Settings, execute_notebook

    root = make_tree(
        tmp_path / "repo",
        {"loud.ipynb": notebook_json([cell("for _ in range(64):\n    print('x' * 65536)\n")])},
    )
    keep = tmp_path / "kept.ipynb"
    run = execute_notebook(
        str(root), "loud.ipynb", (0,), "python3", current_environment(), "none",
        Settings(cell_timeout=60, notebook_timeout=120, output_cap=256 << 10), keep,
    )  # fmt: skip
    assert run.state.value == "completed", run
    assert keep.stat().st_size < 512 << 10  # 4 MiB printed, 256 KiB kept
    assert "were dropped" in keep.read_text()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--sandbox", "docker"], "--sandbox docker cannot run here"),
        (["--timeout-cell", "10", "--timeout-notebook", "5"], "--timeout-cell"),
        (["--tolerance", "2"], "tolerance"),
        (["--jobs", "0"], "must be 1 or more"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(tmp_path: Path, args: list[str], words: str) -> None:
    if args[:2] == ["--sandbox", "docker"] and available("docker"):
        pytest.skip("docker answers here")
    done = rerun_cli(str(SAMPLE), "-o", str(tmp_path / "out"), *args)
    assert done.returncode == 2
    assert words in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out" / "rerun.json").exists()


def test_a_missing_root_exits_2(tmp_path: Path) -> None:
    done = rerun_cli(str(tmp_path / "nowhere"), "--sandbox", "none", "-o", str(tmp_path / "o"))
    assert done.returncode == 2 and "nowhere" in done.stderr


@needs_bwrap
def test_odd_names_links_and_fifos_are_results_not_crashes(tmp_path: Path) -> None:
    root = make_tree(
        tmp_path / "repo",
        {
            "new\nline.ipynb": notebook_json([cell("print(1)\n", "1\n")]),
            "bidi\u202eenilno.ipynb": notebook_json([cell("print(2)\n", "2\n")]),
            "deep.ipynb": "[" * 100_000 + "]" * 100_000,
        },
    )
    (root / b"\xff.ipynb".decode("utf-8", "surrogateescape")).write_text(
        notebook_json([cell("print(3)\n", "3\n")])
    )
    (root / "zero.ipynb").symlink_to("/dev/zero")
    os.mkfifo(root / "fifo.ipynb")
    out = tmp_path / "out"
    done = rerun_cli(str(root), "--env", "current", "--sandbox", "bwrap", "-o", str(out),
                     "--fail-on", "never")  # fmt: skip
    assert done.returncode == 0, done.stderr
    document = json.loads((out / "rerun.json").read_text())
    jsonschema.validate(document, schema())
    verdicts = {item["path"]: item["verdict"] for item in document["notebooks"]}
    assert verdicts["new\nline.ipynb"] == "reproduced"
    assert verdicts["bidi\u202eenilno.ipynb"] == "reproduced"
    assert verdicts["\\xff.ipynb"] == "reproduced"  # shown as the reports show such names
    assert verdicts["deep.ipynb"] == "not run"
    assert verdicts["zero.ipynb"] == "not run" and verdicts["fifo.ipynb"] == "not run"
    assert (out / "notebooks" / "new\nline.ipynb").is_file()
    with open(out / "rerun.csv", newline="") as handle:
        assert len(list(csv.DictReader(handle))) == 6


@needs_bwrap
def test_an_interrupted_rerun_stops_its_sandboxes_and_exits_130(tmp_path: Path) -> None:
    root = make_tree(
        tmp_path / "repo",
        {
            f"sleep{index}.ipynb": notebook_json([cell("import time\ntime.sleep(300)\n")])
            for index in range(2)
        },
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "repolens", "rerun", str(root), "--env", "current",
         "--sandbox", "bwrap", "--jobs", "2", "-o", str(tmp_path / "out")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=python_env(),
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(sandboxes_of(process.pid)) < 2:
        time.sleep(0.2)
    assert len(sandboxes_of(process.pid)) == 2, "the sandboxes did not start"
    started = sandboxes_of(process.pid)
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=60) == 130
    time.sleep(1)
    assert not [pid for pid in started if Path(f"/proc/{pid}").exists()]


def sandboxes_of(parent: int) -> list[int]:
    """The bubblewrap processes started by ``parent``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "comm").read_text().strip()
        except OSError:
            continue
        if command == "bwrap" and int(fields[1]) == parent:
            found.append(int(entry.name))
    return found


def test_no_sandbox_on_path_exits_2_saying_how_to_get_one(tmp_path: Path) -> None:
    env = {**python_env(), "PATH": str(tmp_path / "empty")}  # no bwrap, podman or docker
    done = rerun_cli(str(SAMPLE), "--env", "current", "-o", str(tmp_path / "out"), env=env)
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert "apt-get install bubblewrap" in line and "--sandbox none" in line
    assert not (tmp_path / "out").exists()
