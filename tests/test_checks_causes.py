"""One finding per cause, each described as what it is (issue 20): notebooks' counts and
intended errors, suppressions inside cells, junk of Office and CMake, Git LFS advice that
matches the file. Each a minimal reproduction of what real repositories showed."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from repolens.checks import CheckSettings, check
from repolens.checks.assets import lfs_pattern

from .conftest import make_tree, notebook_json


def code(source: str, count: int | None, outputs: list | None = None, tags: list | None = None):  # type: ignore[no-untyped-def]
    return {
        "cell_type": "code",
        "execution_count": count,
        "metadata": {"tags": tags} if tags else {},
        "source": source,
        "outputs": outputs or [],
    }


ERROR = {"output_type": "error", "ename": "NameError", "evalue": "x", "traceback": []}


def findings(tmp_path: Path, files: dict, select: tuple[str, ...]) -> list:  # type: ignore[type-arg]
    root = make_tree(tmp_path / "tree", files)
    return list(check(root, settings=CheckSettings(select=select)).findings)


@pytest.mark.parametrize(
    ("counts", "order", "gap", "said"),
    [
        # a copied cell: [23] then [23] is no order, and 1..23 has no gap: nothing at all
        ([*range(1, 24), 23], False, False, ""),
        # every count 0 (saved by a tool that resets them): no order, no gap
        ([0, 0, 0], False, False, ""),
        # a notebook that starts at [41] with no gap after: the late start, said as such
        ([41, 42, 43], False, True, "start at [41]: the kernel ran 40 cells before"),
        # a real gap and a real disorder
        ([1, 2, 5], False, True, "jump ([2] to [5])"),
        ([1, 3, 2], True, False, ""),
    ],
)
def test_execution_counts_are_described_as_what_they_are(
    tmp_path: Path, counts: list[int], order: bool, gap: bool, said: str
) -> None:
    cells = [code(f"x{index} = {index}", count) for index, count in enumerate(counts)]
    found = findings(tmp_path, {"n.ipynb": notebook_json(cells)}, ("NB002", "NB004"))
    assert any(item.check == "NB002" for item in found) is order
    gaps = [item for item in found if item.check == "NB004"]
    assert bool(gaps) is gap
    if said:
        assert said in gaps[0].message
    assert not any("[0] to [0]" in item.message for item in found)


def test_an_intended_error_is_no_error(tmp_path: Path) -> None:
    cells = [
        code("undefined_name", 1, [ERROR], tags=["raises-exception"]),
        code("# NBVAL_RAISES_EXCEPTION\n1 / 0", 2, [ERROR]),
        code("broken()", 3, [ERROR]),
    ]
    found = findings(tmp_path, {"n.ipynb": notebook_json(cells)}, ("NB001",))
    assert [(item.check, item.cell) for item in found] == [("NB001", 2)]
    assert "raises-exception" in found[0].fix  # the fix names the tag for a lesson's error


def test_a_suppression_inside_a_cell_covers_the_cells_own_finding(tmp_path: Path) -> None:
    cells = [
        code("x = 1  # repolens: ignore[NB001]\nfail()", 1, [ERROR]),
        code("fail()", 2, [ERROR]),
    ]
    found = findings(tmp_path, {"n.ipynb": notebook_json(cells)}, ("NB001",))
    assert [item.cell for item in found] == [1]


def test_a_first_cell_that_only_installs_or_mounts_is_not_the_first(tmp_path: Path) -> None:
    setup = code("!pip install -q gym\nfrom google.colab import drive\ndrive.mount('/x')", 1)
    quiet = [setup, code("import numpy as np\nimport gym", 2), code("np.ones(2)", 3)]
    late = [setup, code("x = 1", 2), code("import numpy as np", 3)]
    files = {"quiet.ipynb": notebook_json(quiet), "late.ipynb": notebook_json(late)}
    found = findings(tmp_path, files, ("NB009",))
    assert [item.path for item in found] == ["late.ipynb"]


def test_office_temp_files_and_cmake_build_output_are_junk(tmp_path: Path) -> None:
    files = {
        "~WRL1234.tmp": b"\xd0\xcf\x11\xe0" + b"\0" * 600,  # Word's temporary copy (OLE)
        "~$report.docx": b"\0" * 162,
        "cmake-build-debug/main.o": b"\0" * 10,
        "ch2/CMakeCache.txt": "CMAKE_HOME_DIRECTORY:INTERNAL=/home/ana/slam/ch2\n",
        "ch2/cmake_install.cmake": 'set(CMAKE_INSTALL_PREFIX "/usr/local")\n',
        "ch2/CMakeFiles/app.dir/DependInfo.cmake": 'set(F "/home/ana/slam/ch2/main.cpp")\n',
        "ch2/main.cpp": "int main() { return 0; }\n",
    }
    found = findings(tmp_path, files, ("JU001", "PA001"))
    assert sorted(item.path for item in found if item.check == "JU001") == [
        "ch2/CMakeCache.txt",
        "ch2/CMakeFiles/",
        "ch2/cmake_install.cmake",
        "cmake-build-debug/",
        "~$report.docx",
        "~WRL1234.tmp",
    ]
    # the paths CMake wrote into its build files are that build's: one cause, one finding
    assert [item for item in found if item.check == "PA001"] == []


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


def test_lfs_advice_matches_the_file_and_skips_small_files(tmp_path: Path) -> None:
    big = b"\x89HDF\r\n\x1a\n" + b"\0" * (200 << 10)
    root = make_tree(tmp_path / "repo", {"Weights.H5": big, "tiny.pkl": b"\x80\x04"})
    git(root, "init", "-q")
    git(root, "add", ".")
    found = list(check(root, settings=CheckSettings(select=("AS003",))).findings)
    assert [item.fix.split('"')[1] for item in found] == ["*.H5"]  # git matches case


@pytest.mark.parametrize(
    ("path", "pattern"),
    [
        ("models/Weights.H5", "*.H5"),
        ("data/frames.tar.gz", "*.gz"),
        ("models/final_model", "/models/final_model"),  # no extension: the file itself
        ("odd/a name.[1]", "/odd/a\\ name.\\[1\\]"),  # no pattern fits: the path, escaped
    ],
)
def test_the_lfs_pattern_fits_the_file(path: str, pattern: str) -> None:
    assert lfs_pattern(path) == pattern


def test_a_library_copied_twice_is_one_finding_naming_both_folders(tmp_path: Path) -> None:
    """Two vendored copies of one library (5 headers of 1.8 KiB and a small file each):
    one DU001 naming both folders, not five pairs; a third copy of one header elsewhere is
    still its own group."""
    files: dict[str, str] = {}
    for project in ("ExtendedKalmanFilter", "UnscentedKalmanFilter"):
        for number in range(5):
            files[f"{project}/src/Eigen/Core/h{number}.h"] = f"// header {number}\n" * 120
        files[f"{project}/src/Eigen/README"] = "Eigen\n"
        files[f"{project}/src/main.cpp"] = f"// {project}\nint main() {{ return 0; }}\n"
    files["MPC/h0.h"] = "// header 0\n" * 120
    found = findings(tmp_path, files, ("DU001",))
    folders = [item for item in found if item.path.endswith("/")]
    assert [item.path for item in folders] == ["ExtendedKalmanFilter/src/Eigen/"]
    assert "UnscentedKalmanFilter/src/Eigen/" in folders[0].message
    assert "6 files" in folders[0].message
    assert [item.path for item in found if not item.path.endswith("/")] == [
        "ExtendedKalmanFilter/src/Eigen/Core/h0.h"
    ]


def test_two_folders_of_one_copied_file_are_that_file_s_finding(tmp_path: Path) -> None:
    """``a/x/big.bin`` and ``b/x/big.bin`` (2 KiB, the same): the file is copied, not a
    library; one DU001 at the file, none naming the folders ``a/x/`` or ``a/``."""
    files = {f"{top}/x/big.bin": "same bytes\n" * 200 for top in ("a", "b")}
    found = findings(tmp_path, files, ("DU001",))
    assert [item.path for item in found] == ["a/x/big.bin"]
