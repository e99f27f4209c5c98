"""Verdicts and causes: each kind of failure named, tied to the static finding that
predicted it, a missing data file explained by the tree and git, and the recall of the
static checks counted."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from repolens.checks.environment import distribution_of
from repolens.core.findings import Finding, Level
from repolens.rerun.causes import (
    AS_SAVED,
    Context,
    FileFacts,
    classify,
    named_paths,
    recall,
    verdict,
)
from repolens.rerun.facts import declared_names, gather, is_ignored
from repolens.rerun.model import (
    Cause,
    CauseKind,
    CellComparison,
    CellError,
    CellRun,
    CellState,
    Difference,
    DifferenceKind,
    Execution,
    ExecutionState,
    Verdict,
)

from .conftest import make_tree
from .test_hostile import git, git_init

NOTEBOOK = "analysis/run.ipynb"


def failed(name: str, value: str, traceback: str = "", path: str = NOTEBOOK) -> Execution:
    """A run that failed in its third cell (index 2) with ``name: value``."""
    return Execution(
        path,
        ExecutionState.FAILED,
        (
            CellRun(0, CellState.RAN),
            CellRun(2, CellState.FAILED, 0.1, CellError(name, value, traceback)),
            CellRun(3, CellState.NOT_REACHED),
        ),
    )


COMPLETED = Execution(NOTEBOOK, ExecutionState.COMPLETED, (CellRun(0, CellState.RAN),))
SAME = CellComparison(0, (), 1)
DIFFERS = CellComparison(1, (Difference(DifferenceKind.NUMBER, "1", "2"),), 1)

EN002 = Finding(
    "EN002",
    Level.WARNING,
    NOTEBOOK,
    "imports cv2 (distribution opencv-python), which requirements.txt does not declare.",
    "Add opencv-python to requirements.txt.",
    evidence="import cv2",
    line=1,
    cell=1,
)
PA001 = Finding(
    "PA001",
    Level.WARNING,
    NOTEBOOK,
    "hard-coded absolute path '/home/ana/data/frames.csv' in cell 3.",
    "Use a relative path.",
    evidence="pd.read_csv('/home/ana/data/frames.csv')",
    line=1,
    cell=2,
)
PA001_DATA = Finding(
    "PA001",
    Level.WARNING,
    "driving_log.csv",
    "12 absolute paths in this data file, the first on line 1.",
    "Store paths relative to the data file.",
    evidence="/home/ana/sim/IMG/center_1.jpg",
    line=1,
)


@pytest.mark.parametrize(
    ("execution", "comparisons", "expected"),
    [
        (COMPLETED, (SAME,), Verdict.REPRODUCED),
        (COMPLETED, (), Verdict.REPRODUCED),
        (COMPLETED, (SAME, DIFFERS), Verdict.DIFFERS),
        (failed("ValueError", "x"), (SAME,), Verdict.FAILED),
        (Execution(NOTEBOOK, ExecutionState.TIMED_OUT), (), Verdict.TIMED_OUT),
        (Execution(NOTEBOOK, ExecutionState.NOT_RUN, reason="no kernel"), (), Verdict.NOT_RUN),
    ],
)
def test_the_verdict_follows_the_run_then_the_comparison(
    execution: Execution, comparisons: tuple[CellComparison, ...], expected: Verdict
) -> None:
    assert verdict(execution, comparisons) is expected


@pytest.mark.parametrize(
    ("name", "value", "kind"),
    [
        ("ModuleNotFoundError", "No module named 'cv2'", CauseKind.MISSING_MODULE),
        ("ImportError", "No module named sklearn.linear_model", CauseKind.MISSING_MODULE),
        (
            "FileNotFoundError",
            "[Errno 2] No such file or directory: 'data/x.csv'",
            CauseKind.MISSING_FILE,
        ),
        ("OSError", "File b'data/x.csv' does not exist", CauseKind.MISSING_FILE),
        (
            "OSError",
            "Unable to open file (unable to open file: name = 'model.h5', errno = 2, "
            "error message = 'No such file')",
            CauseKind.MISSING_FILE,
        ),
        (
            "error",
            "OpenCV(4.8.0) :-1: error: (-215:Assertion failed) !_src.empty() "
            "in function 'cvtColor'",
            CauseKind.MISSING_FILE,
        ),
        (
            "URLError",
            "<urlopen error [Errno -3] Temporary failure in name resolution>",
            CauseKind.NETWORK,
        ),
        ("gaierror", "[Errno -2] Name or service not known", CauseKind.NETWORK),
        (
            "ConnectionError",
            "HTTPSConnectionPool(host='x.org', port=443): Max retries exceeded",
            CauseKind.NETWORK,
        ),
        ("OSError", "[Errno 101] Network is unreachable", CauseKind.NETWORK),
        ("ConnectionRefusedError", "[Errno 111] Connection refused", CauseKind.NETWORK),
        (
            "Exception",
            "URL fetch failure on https://x.org/d.npz: None -- [Errno -3]",
            CauseKind.NETWORK,
        ),
        ("AssertionError", "Torch not compiled with CUDA enabled", CauseKind.GPU),
        ("RuntimeError", "Found no NVIDIA driver on your system.", CauseKind.GPU),
        (
            "InvalidArgumentError",
            "Cannot assign a device for operation: /device:GPU:0",
            CauseKind.GPU,
        ),
        ("MemoryError", "", CauseKind.OUT_OF_MEMORY),
        ("_ArrayMemoryError", "Unable to allocate 50.0 GiB for an array", CauseKind.OUT_OF_MEMORY),
        ("RuntimeError", "CUDA out of memory. Tried to allocate 2 GiB", CauseKind.OUT_OF_MEMORY),
        ("DeadKernelError", "Kernel died", CauseKind.KERNEL_UNAVAILABLE),
        ("NameError", "name 'x' is not defined", CauseKind.OTHER),
        ("ImportError", "cannot import name 'x' from 'y'", CauseKind.OTHER),
    ],
)
def test_each_exception_is_named_by_its_cause(name: str, value: str, kind: CauseKind) -> None:
    cause = classify(failed(name, value))
    assert cause is not None and cause.kind is kind
    assert cause.evidence == f"{name}: {value}".strip()


def test_an_error_the_notebook_saved_is_said_to_be_kept_on_purpose() -> None:
    """The failing cell (index 2) gave the outputs it saved, its error included: a lesson's
    "this fails" cell. Only then; a cause told by its kind stays as it is."""
    run = failed("ValueError", "invalid literal for int() with base 10: 'hello'")
    as_saved = CellComparison(2, (), 1)
    cause = classify(run, Context(), (SAME, as_saved))
    assert cause == Cause(
        CauseKind.OTHER,
        f"ValueError: invalid literal for int() with base 10: 'hello' ({AS_SAVED})",
        "ValueError: invalid literal for int() with base 10: 'hello'",
    )
    other_error = CellComparison(2, (Difference(DifferenceKind.TEXT, "KeyError", "ValueError"),), 1)
    for comparisons in ((SAME,), (SAME, other_error), (CellComparison(2, (), 0),)):
        cause = classify(run, Context(), comparisons)
        assert cause is not None and AS_SAVED not in cause.detail
    missing = classify(
        failed("ModuleNotFoundError", "No module named 'cv2'"), Context(), (as_saved,)
    )
    assert missing is not None and missing.kind is CauseKind.MISSING_MODULE
    assert AS_SAVED not in missing.detail


def test_a_missing_module_names_its_distribution_and_the_en002_that_predicted_it() -> None:
    cause = classify(failed("ModuleNotFoundError", "No module named 'cv2'"), Context((EN002,)))
    assert cause == Cause(
        CauseKind.MISSING_MODULE,
        "No module named 'cv2' (distribution opencv-python); EN002 predicted it",
        "ModuleNotFoundError: No module named 'cv2'",
        "EN002 analysis/run.ipynb, cell 2, line 1",
        True,
    )


def test_a_missing_module_no_finding_predicted_says_the_check_missed_it() -> None:
    cause = classify(
        failed("ModuleNotFoundError", "No module named 'sklearn.svm'"), Context((EN002,))
    )
    assert cause is not None and not cause.predicted and cause.finding == ""
    assert cause.detail == (
        "No module named 'sklearn' (distribution scikit-learn); no EN002 finding: the static "
        "check missed it"
    )
    assert distribution_of("sklearn") == "scikit-learn" and distribution_of("numpy") == "numpy"


@pytest.mark.parametrize(
    ("module", "declared"),
    [("seaborn", "seaborn"), ("sklearn.svm", "scikit-learn"), ("cv2", "opencv-python")],
)
def test_a_declared_module_the_run_lacked_is_not_a_miss_of_the_static_check(
    module: str, declared: str
) -> None:
    """``--env current``, or a build that left a requirement out: the specification
    declares the distribution, so EN002 rightly said nothing."""
    context = Context(declared={declared: "requirements.txt:8", "numpy": "requirements.txt:1"})
    cause = classify(failed("ModuleNotFoundError", f"No module named '{module}'"), context)
    assert cause is not None and cause.kind is CauseKind.MISSING_MODULE
    assert cause.detail.endswith(
        ": declared (requirements.txt:8) but not in the environment the notebook ran in"
    )
    assert not cause.predicted and "missed" not in cause.detail
    undeclared = classify(failed("ModuleNotFoundError", "No module named 'torch'"), context)
    assert undeclared is not None and "the static check missed it" in undeclared.detail


def test_declared_names_read_the_specifications_as_en002_does(tmp_path: Path) -> None:
    """Expected: 3 names from the top requirements.txt, 1 from binder/environment.yml, 1
    from requirements/dev.txt; a nested requirements file, a link to /dev/zero and a FIFO
    give none."""
    make_tree(
        tmp_path,
        {
            "requirements.txt": "Seaborn==0.7.0\nnumpy\n# a comment\nscikit_learn>=1\n",
            "binder/environment.yml": "dependencies:\n  - pip:\n    - vega_datasets\n",
            "requirements/dev.txt": "pytest\n",
            "sub/requirements.txt": "torch\n",
        },
    )
    (tmp_path / "Pipfile").symlink_to("/dev/zero")
    os.mkfifo(tmp_path / "binder" / "requirements.txt")
    assert declared_names(str(tmp_path)) == {
        "seaborn": "requirements.txt:1",
        "numpy": "requirements.txt:2",
        "scikit-learn": "requirements.txt:4",
        "vega-datasets": "binder/environment.yml:3",
        "pytest": "requirements/dev.txt:1",
    }
    assert declared_names(str(tmp_path / "absent")) == {}


def test_a_module_of_the_repository_itself_is_said_to_be_off_the_path() -> None:
    context = Context(local_modules=frozenset({"helpers"}))
    cause = classify(failed("ModuleNotFoundError", "No module named 'helpers'"), context)
    assert cause is not None and "a module of the repository itself" in cause.detail


@pytest.mark.parametrize(
    ("missing", "finding"),
    [
        ("/home/ana/data/frames.csv", "PA001 analysis/run.ipynb, cell 3, line 1"),
        ("/home/ana/sim/IMG/center_7.jpg", "PA001 driving_log.csv:1"),
    ],
)
def test_an_absolute_path_links_the_pa001_that_predicted_it(missing: str, finding: str) -> None:
    execution = failed("FileNotFoundError", f"[Errno 2] No such file or directory: '{missing}'")
    cause = classify(execution, Context((PA001_DATA, PA001)))
    assert cause is not None and cause.kind is CauseKind.MISSING_FILE
    assert cause.predicted and cause.finding == finding
    assert cause.detail.startswith(f"absolute path {missing}: it exists only where")


def test_an_absolute_path_no_finding_predicted_says_the_check_missed_it() -> None:
    execution = failed(
        "FileNotFoundError", "[Errno 2] No such file or directory: 'C:\\\\x\\\\y.csv'"
    )
    cause = classify(execution, Context((PA001,)))
    assert cause is not None and not cause.predicted
    assert cause.detail.endswith("no PA001 finding: the static check missed it")


@pytest.mark.parametrize(
    ("facts", "git_answered", "why"),
    [
        (
            FileFacts("analysis/data/x.csv", exists=True, lfs_pointer=True),
            True,
            "a Git LFS pointer whose content was never fetched (git lfs pull)",
        ),
        (FileFacts("analysis/data/x.csv", ignored=True), True, "git-ignored: a clone never has it"),
        (
            FileFacts("analysis/data/x.csv", committed=True),
            True,
            "committed once and deleted since",
        ),
        (FileFacts("analysis/data/x.csv"), True, "never committed"),
        (FileFacts("analysis/data/x.csv"), False, "not in the tree"),
        (
            FileFacts("analysis/data/x.csv", exists=True),
            True,
            "in the tree, but not where the notebook ran: another notebook or script writes it?",
        ),
    ],
)
def test_a_relative_data_file_is_explained_by_the_tree_and_git(
    facts: FileFacts, git_answered: bool, why: str
) -> None:
    execution = failed("FileNotFoundError", "[Errno 2] No such file or directory: 'data/x.csv'")
    context = Context(files={facts.path: facts}, git=git_answered)
    cause = classify(execution, context)
    assert cause is not None and cause.kind is CauseKind.MISSING_FILE
    assert cause.detail == f"analysis/data/x.csv: {why}"


def test_a_file_outside_the_repository_is_said_so() -> None:
    execution = failed("FileNotFoundError", "[Errno 2] No such file or directory: '../../x.csv'")
    assert named_paths(execution) == ("../x.csv",)
    cause = classify(execution)
    assert cause is not None and cause.detail == "../x.csv: outside the repository"


def test_an_lfs_pointer_read_as_data_is_a_missing_file_whatever_the_error() -> None:
    execution = failed("UnidentifiedImageError", "cannot identify image file 'img/a.png'")
    facts = FileFacts("analysis/img/a.png", exists=True, lfs_pointer=True)
    cause = classify(execution, Context(files={facts.path: facts}))
    assert cause is not None and cause.kind is CauseKind.MISSING_FILE
    assert "Git LFS pointer" in cause.detail


def test_the_states_of_a_run_name_their_causes() -> None:
    timed_out = Execution(
        NOTEBOOK,
        ExecutionState.TIMED_OUT,
        (CellRun(4, CellState.TIMED_OUT),),
        reason="cell 5 ran past 60 s",
    )
    assert classify(timed_out) == Cause(
        CauseKind.TIMEOUT, "cell 5 ran past 60 s", "cell 5 ran past 60 s"
    )
    no_kernel = Execution(NOTEBOOK, ExecutionState.NOT_RUN, reason="kernel 'ir' not available")
    assert classify(no_kernel).kind is CauseKind.KERNEL_UNAVAILABLE  # type: ignore[union-attr]
    unbuilt = Execution(NOTEBOOK, ExecutionState.NOT_RUN, reason="no environment")
    cause = classify(
        unbuilt, Context(environment_problem="requirements.txt: no version of tensorflow==1.2")
    )
    assert cause is not None and cause.kind is CauseKind.ENVIRONMENT
    killed = Execution(
        NOTEBOOK,
        ExecutionState.FAILED,
        (CellRun(1, CellState.FAILED, error=CellError("DeadKernelError", "Kernel died")),),
        resources={"killed": "memory", "peak_bytes": 2 << 30},
    )
    assert classify(killed).kind is CauseKind.OUT_OF_MEMORY  # type: ignore[union-attr]


def test_results_that_differ_only_where_two_runs_differ_are_nondeterministic() -> None:
    assert classify(COMPLETED, Context(), (SAME, DIFFERS), nondeterministic=(1,)) == Cause(
        CauseKind.NONDETERMINISTIC, "cell 2 gave different outputs in two fresh runs"
    )
    assert classify(COMPLETED, Context(), (SAME, DIFFERS), nondeterministic=()) is None
    assert classify(COMPLETED, Context(), (SAME,), nondeterministic=(0,)) is None


def test_recall_counts_the_failures_a_static_finding_predicted() -> None:
    module = Cause(CauseKind.MISSING_MODULE, "m", finding="EN002 a", predicted=True)
    missed = Cause(CauseKind.MISSING_MODULE, "m")
    network = Cause(CauseKind.NETWORK, "n")
    measured = recall(
        [
            (Verdict.FAILED, module),
            (Verdict.FAILED, missed),
            (Verdict.FAILED, network),
            (Verdict.TIMED_OUT, Cause(CauseKind.TIMEOUT, "t")),
            (Verdict.REPRODUCED, None),
            (Verdict.DIFFERS, None),
        ]
    )
    assert (measured.failures, measured.predicted) == (4, 1)
    assert measured.by_cause == (
        ("missing module", 2, 1),
        ("needs network", 1, 0),
        ("timeout", 1, 0),
    )
    assert measured.sentence == (
        "A static finding predicted 1 of 4 runtime failures (missing module: 1 of 2 (EN002); "
        "needs network: 0 of 1; timeout: 0 of 1)."
    )
    assert recall([]).sentence.startswith("No notebook failed")


# -- the tree and git -----------------------------------------------------------------------


def test_gather_asks_the_tree_and_git_about_each_file_a_failure_names(tmp_path: Path) -> None:
    root = git_init(tmp_path / "repo")
    make_tree(
        root,
        {
            ".gitignore": "data/raw/\n*.tmp\n",
            "analysis/run.ipynb": "{}",
            "analysis/data/pointer.csv": "version https://git-lfs.github.com/spec/v1\noid sha256:"
            + "0" * 64
            + "\nsize 12345\n",
            "analysis/data/gone.csv": "1,2\n",
            "helpers/__init__.py": "",
        },
    )
    git(root, "add", "-A")
    git(root, "commit", "-qm", "first")
    git(root, "rm", "-q", "analysis/data/gone.csv")
    git(root, "commit", "-qm", "gone")
    errors = {
        "pointer": "data/pointer.csv",
        "gone": "data/gone.csv",
        "ignored": "../data/raw/frames.csv",
        "never": "data/never.csv",
        "scratch": "x.tmp",
    }
    executions = [
        failed(
            "FileNotFoundError",
            f"[Errno 2] No such file or directory: '{path}'",
            path=f"analysis/{key}.ipynb",
        )
        for key, path in errors.items()
    ]
    context = gather(
        str(root),
        [EN002],
        executions,
        paths=["helpers/__init__.py", "analysis/run.ipynb"],
    )
    assert context.git and context.findings == (EN002,)
    assert {"helpers", "analysis"} <= context.local_modules
    assert set(context.files) == {
        "analysis/data/pointer.csv",
        "analysis/data/gone.csv",
        "data/raw/frames.csv",
        "analysis/data/never.csv",
        "analysis/x.tmp",
    }
    assert context.files["analysis/data/pointer.csv"] == FileFacts(
        "analysis/data/pointer.csv", exists=True, lfs_pointer=True, tracked=True, committed=True
    )
    assert context.files["analysis/data/gone.csv"] == FileFacts(
        "analysis/data/gone.csv", committed=True
    )
    assert context.files["data/raw/frames.csv"].ignored
    assert context.files["analysis/x.tmp"].ignored
    assert context.files["analysis/data/never.csv"] == FileFacts("analysis/data/never.csv")
    details = [classify(execution, context).detail for execution in executions]  # type: ignore[union-attr]
    assert details == [
        "analysis/data/pointer.csv: a Git LFS pointer whose content was never fetched "
        "(git lfs pull)",
        "analysis/data/gone.csv: committed once and deleted since",
        "data/raw/frames.csv: git-ignored: a clone never has it",
        "analysis/data/never.csv: never committed",
        "analysis/x.tmp: git-ignored: a clone never has it",
    ]


def test_gather_outside_git_knows_only_the_tree(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "plain", {".gitignore": "*\n", "a.ipynb": "{}"})
    execution = failed(
        "FileNotFoundError", "[Errno 2] No such file or directory: 'b.csv'", path="a.ipynb"
    )
    context = gather(str(root), (), [execution])
    assert not context.git and context.files == {"b.csv": FileFacts("b.csv")}
    assert classify(execution, context).detail == "b.csv: not in the tree"  # type: ignore[union-attr]


def test_gather_never_reads_a_fifo_or_follows_a_link_out(tmp_path: Path) -> None:
    import os

    root = git_init(tmp_path / "repo")
    os.mkfifo(root / "pipe.csv")
    (root / "zero.csv").symlink_to("/dev/zero")
    executions = [
        failed(
            "UnicodeDecodeError",
            f"'utf-8' codec can't decode byte 0xff in '{name}'",
            path="n.ipynb",
        )
        for name in ("pipe.csv", "zero.csv")
    ]
    context = gather(str(root), (), executions)
    assert context.files["pipe.csv"].exists and not context.files["pipe.csv"].lfs_pointer
    assert context.files["zero.csv"].exists and not context.files["zero.csv"].lfs_pointer


def test_ignore_rules_of_every_folder_on_the_way_down_apply(tmp_path: Path) -> None:
    root = git_init(tmp_path / "repo")
    make_tree(root, {".gitignore": "*.log\n", "a/.gitignore": "secret/\n!keep.log\n"})
    (root / ".git" / "info").mkdir(exist_ok=True)
    (root / ".git" / "info" / "exclude").write_text("scratch/\n")
    assert is_ignored(str(root), "x.log") and is_ignored(str(root), "a/secret/b.csv")
    assert not is_ignored(str(root), "a/keep.log") and is_ignored(str(root), "scratch/x")
    assert not is_ignored(str(root), "a/b.csv")
