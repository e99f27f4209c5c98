"""PA001 on the failure classes real repositories showed (issue 20): each a minimal
reproduction, judged on what the language decodes, never on how the source spells it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from repolens.checks import CheckSettings, check
from repolens.checks.paths import code_hits, data_hits

from .conftest import make_tree, notebook_json

PATHS = CheckSettings(select=("PA001",))


def paths_of(tmp_path: Path, files: dict[str, str]) -> list[tuple[str, int | None, str]]:
    """``(path, line, the path named)`` of every PA001 of a tree made of ``files``."""
    outcome = check(make_tree(tmp_path / "tree", files), settings=PATHS)
    found = []
    for item in outcome.findings:
        named = item.message.split("'", 1)[1].rsplit("'", 1)[0] if "'" in item.message else ""
        found.append((item.path, item.line, named or item.evidence))
    return sorted(found)


# Each row: a file whose every literal the old expressions misread, and the paths (line,
# path) a reader of the language finds in it. Counts: stated by the rows themselves.
CASES = {
    "an escape after 'A:' is a line break, not a drive (Python)": (
        "a.py",
        "print(\"Matrix A:\\n\", a)\nprint('Step B:\\t', b)\n",
        [],
    ),
    "an escape after 'A:' is a line break, not a drive (C++)": (
        "m.cpp",
        'cout << "Singular values of A:\\n" << s;\nprintf("%s:\\n", x);\n',
        [],
    ),
    "a path with a space is kept whole to the end of the literal": (
        "p.py",
        "df = pd.read_csv('C:/Users/HP/Desktop/CSV files/marks.csv')\n",
        [(1, "C:/Users/HP/Desktop/CSV files/marks.csv")],
    ),
    "C:/Users/x is one path, not also /Users/x": (
        "q.py",
        "a = 'C:/Users/HP/PycharmProjects/x/iris.csv'\n",
        [(1, "C:/Users/HP/PycharmProjects/x/iris.csv")],
    ),
    "a path in a docstring is reported at its own line": (
        "d.py",
        'def f():\n    """Read the frames.\n\n    They lie in D:\\\\lab\\\\frames.\n    """\n',
        [(4, "D:\\lab\\frames")],
    ),
    "every string prefix and quote form is read": (
        "prefixes.py",
        "a = r'C:\\Users\\me\\Detect_Lines'\n"
        "b = R'D:\\data'\n"
        "c = rb'E:\\bytes'\n"
        "d = f'F:/runs/{name}'\n"
        "e = u'G:\\\\unicode'\n"
        "g = Rb'H:\\x'\n"
        "h = '''I:/triple'''\n"
        'i = r"""J:\\raw triple"""\n',
        [
            (1, "C:\\Users\\me\\Detect_Lines"),
            (2, "D:\\data"),
            (3, "E:\\bytes"),
            (4, "F:/runs/{name}"),
            (5, "G:\\unicode"),
            (6, "H:\\x"),
            (7, "I:/triple"),
            (8, "J:\\raw triple"),
        ],
    ),
    "a YAML value, decoded: a relative path with escaped backslashes is none": (
        "config.yml",
        'script: ".\\\\tools\\\\run.cmd"\ndata: "D:\\\\lab\\\\data"\nplain: /mnt/lab/data\n',
        [(2, "D:\\lab\\data"), (3, "/mnt/lab/data")],
    ),
    "a TOML value: basic strings decode, literal strings do not": (
        "settings.toml",
        "[paths]\nbasic = \"C:\\\\data\\\\in\"\nliteral = 'E:\\out'\n",
        [(2, "C:\\data\\in"), (3, "E:\\out")],
    ),
    "Windows' own install locations are system paths, like /usr": (
        "FindEigen3.cmake",
        "find_path(EIGEN PATHS /usr/include C:/Program Files/Eigen/include)\n",
        [],
    ),
    "an escaped newline after 'a:' in a script of an HTML page is no drive": (
        "plot.html",
        '<script>var s="  // Assign z = 0, y = a:\\n  // a*-b";</script>\n<p>D:\\lab\\n1</p>\n',
        [(2, "D:\\lab\\n1")],
    ),
    "a CI service's machine is not the lab's": (
        "appveyor.yml",
        'environment:\n  PYTHON: "C:\\\\Python313-x64"\n',
        [],
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_paths_are_judged_on_the_decoded_literal(tmp_path: Path, case: str) -> None:
    name, text, expected = CASES[case]
    found = paths_of(tmp_path, {name: text})
    assert found == [(name, line, path) for line, path in expected]


def test_a_notebook_cell_path_with_a_prefix_is_found_at_its_line(tmp_path: Path) -> None:
    cell = {
        "cell_type": "code",
        "execution_count": 1,
        "metadata": {},
        "outputs": [],
        "source": "import cv2\nself.base_path = r'C:\\Users\\student\\Detect_Lines'\n",
    }
    found = paths_of(tmp_path, {"n.ipynb": notebook_json([cell])})
    assert found == [("n.ipynb", 2, "C:\\Users\\student\\Detect_Lines")]


def test_data_files_count_fields_and_strings_not_mask_text(tmp_path: Path) -> None:
    coco = {"segmentation": {"counts": "k:\\OWEe0a<1O1N2M3N2O1"}, "file": "C:\\Users\\a\\1.png"}
    files = {
        "log.csv": "center,angle\nC:\\My Data\\IMG\\c1.jpg,0.1\nC:\\My Data\\IMG\\c2.jpg,0.2\n",
        "masks.json": json.dumps(coco),
    }
    outcome = check(make_tree(tmp_path / "tree", files), settings=PATHS)
    by_path = {item.path: item for item in outcome.findings}
    assert by_path["log.csv"].message.startswith("2 absolute paths")
    assert by_path["log.csv"].evidence == "C:\\My Data\\IMG\\c1.jpg"
    assert by_path["masks.json"].message.startswith("1 absolute path ")


def test_the_decoded_offset_maps_back_to_the_source_line() -> None:
    # escapes before the path (a line break written \n, a letter written \x41) move the
    # decoded text against the source: the line is still the source's
    text = 'x = "first\\nsecond"\ny = """a\nb\\x41\\n\nc C:\\\\Users\\\\z"""\n'
    assert [(line, path) for line, _offset, path in code_hits("x.py", "code", text, True)] == [
        (4, "C:\\Users\\z")
    ]
    rows = list(data_hits("d.csv", "a,b\n\\\\srv\\share\\x.png,1\n"))
    assert [(line, path) for line, _offset, path in rows] == [(2, "\\\\srv\\share\\x.png")]
