"""Settings of any shape, baselines of any size, numbers of any length: one line, exit 2.

Every settings file and baseline is generated here. Counts and sizes are stated where the
fixture is made; timings are bounds a quadratic algorithm misses by far, not benchmarks
(``bench/hostile_settings.py`` measures)."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import time
import tomllib
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from repolens.checks import (
    CheckSettings,
    ConfigError,
    Finding,
    Level,
    check,
    exemptions,
    load_settings,
)
from repolens.checks.exemptions import Exemptions
from repolens.core import tomlread
from repolens.render.baseline import BaselineError, compare, load_baseline
from repolens.scanning.ignore import IgnoreRules, Pattern, compile_pattern

from .conftest import PYTHON, make_tree, python_env

DEADLINE = 120


def repolens(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "-m", "repolens", *args],
        capture_output=True,
        text=True,
        env=python_env(),
        cwd=cwd,
        timeout=DEADLINE,
        check=False,
    )


def one_line_exit_2(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    return done.stderr


def tree_with(root: Path, name: str, text: str | bytes) -> Path:
    return make_tree(root, {"a.py": "x = 1\n", name: text})


DEEP = 3000  # levels: past Python's recursion limit inside tomllib

# .repolens.toml (ours): each body is a ConfigError naming the file and the key at fault.
OWN_SETTINGS_THAT_CANNOT_WORK = {
    "select a number": ("select = 5", "select"),
    "select of numbers": ("select = [5]", "select"),
    "select of dates": ("select = [1979-05-27]", "select"),
    "select of tables": ("select = [{a = 1}]", "select"),
    "unknown id": ('select = ["NB999"]', "NB999"),
    "id with a bidi control": ('select = ["NB\\u202e"]', "\\u202e"),
    "ignore a table": ("ignore = {a = 1}", "ignore"),
    "exclude a string": ('exclude = "data/"', "exclude"),
    "exclude a trailing backslash": ('exclude = ["\\\\"]', "exclude"),
    "exclude an unclosed bracket": ('exclude = ["[a"]', "'[a'"),
    "exclude empty": ('exclude = [""]', "exclude"),
    "per-file-ignores an array": ('per-file-ignores = ["a"]', "per-file-ignores"),
    "per-file-ignores of a number": ('[per-file-ignores]\n"a.py" = 5', "'a.py'"),
    "per-file-ignores of a table": ('[per-file-ignores]\n"a.py" = {x = 1}', "'a.py'"),
    "per-file-ignores a reversed range": ('[per-file-ignores]\n"[z-a]" = ["NB"]', "[z-a]"),
    "per-file-ignores a comment glob": ('[per-file-ignores]\n"#x" = ["NB"]', "'#x'"),
    "exclude of 65 runs of one sign": (
        "exclude = [" + ", ".join(f'"{"!" * (n % 2)}x{n}"' for n in range(65)) + "]",
        "runs",
    ),
    "unknown key": ("colour = 1", "'colour'"),
    "key with a newline and U+202E": ('"se\\u202elect\\n" = 1', "\\u202e"),
    "broken TOML": ("select = [\n", "not valid TOML"),
    "not UTF-8": (b"select = ['\xff']", "not UTF-8"),
    "a 5,000-digit number": ("select = " + "9" * 5000, "not valid TOML"),
    "arrays 3,000 deep": ("select = " + "[" * DEEP + "]" * DEEP, "nested more than"),
    "inline tables 3,000 deep": ("select = " + "{a=" * DEEP + "1" + "}" * DEEP, "nested more"),
    "a dotted key of 3,000 parts": ("a" + ".a" * DEEP + " = 1", "dotted key"),
    "a header of 3,000 parts": ("[a" + ".a" * DEEP + "]", "dotted key"),
}


@pytest.mark.parametrize(
    ("body", "named"),
    list(OWN_SETTINGS_THAT_CANNOT_WORK.values()),
    ids=list(OWN_SETTINGS_THAT_CANNOT_WORK),
)
def test_own_settings_that_cannot_work_are_one_config_error(
    tmp_path: Path, body: str | bytes, named: str
) -> None:
    root = tree_with(tmp_path / "tree", ".repolens.toml", body)
    with pytest.raises(ConfigError) as raised:
        load_settings(root)
    message = str(raised.value)
    assert message.startswith(".repolens.toml") and named in message, message
    assert "\n" not in message and len(message) < 400


# pyproject.toml [tool.repolens]: a wrong table of ours is a ConfigError too.
PYPROJECT_SETTINGS_THAT_CANNOT_WORK = {
    "repolens a string": ('[tool]\nrepolens = "x"', "[tool.repolens]: must be a table"),
    "repolens a number": ("tool.repolens = 5", "[tool.repolens]: must be a table"),
    "select a number": ("[tool.repolens]\nselect = 5", "[tool.repolens] select"),
    "per-file-ignores an array": (
        "[tool.repolens]\nper-file-ignores = [1]",
        "[tool.repolens] per-file-ignores",
    ),
}


@pytest.mark.parametrize(
    ("body", "named"),
    list(PYPROJECT_SETTINGS_THAT_CANNOT_WORK.values()),
    ids=list(PYPROJECT_SETTINGS_THAT_CANNOT_WORK),
)
def test_a_wrong_tool_repolens_table_is_one_config_error(
    tmp_path: Path, body: str, named: str
) -> None:
    root = tree_with(tmp_path / "tree", "pyproject.toml", body)
    with pytest.raises(ConfigError, match=r"^pyproject\.toml") as raised:
        load_settings(root)
    assert named in str(raised.value)


# pyproject.toml is the project's: when it cannot be read, ours are not read, with a note.
PROJECT_FILES_NOT_OURS = {
    "tool a number": ("tool = 5", "tool is a number, not a table"),
    "tool an array": ("tool = [1, 2]", "tool is an array, not a table"),
    "tool a string": ('tool = "repolens"', "tool is a string, not a table"),
    "broken TOML": ("[tool.repolens\n", "is not valid TOML"),
    "arrays 3,000 deep": ("x = " + "[" * DEEP + "]" * DEEP, "nested more than 32 deep"),
    "a dotted key of 3,000 parts": ("x" + ".x" * DEEP + " = 1", "dotted key"),
    "not UTF-8": (b"name = '\xff'", "is not UTF-8"),
}


@pytest.mark.parametrize(
    ("body", "said"), list(PROJECT_FILES_NOT_OURS.values()), ids=list(PROJECT_FILES_NOT_OURS)
)
def test_a_project_file_that_is_not_ours_to_refuse_is_a_note(
    tmp_path: Path, body: str | bytes, said: str
) -> None:
    root = tree_with(tmp_path / "tree", "pyproject.toml", body)
    found = load_settings(root)
    assert found.source == "" and said in found.note and "was not read" in found.note
    assert "\n" not in found.note


def test_tool_5_checks_the_tree_with_a_note_and_no_traceback(tmp_path: Path) -> None:
    root = tree_with(tmp_path / "tree", "pyproject.toml", "tool = 5\n")
    done = repolens("check", str(root), "--fail-on", "never")
    assert done.returncode == 0, done.stderr
    assert "pyproject.toml: tool is a number, not a table" in done.stderr
    assert "Traceback" not in done.stderr and "unexpected failure" not in done.stderr


@pytest.mark.parametrize("command", ["check", "report"])
def test_settings_nested_3000_deep_exit_2_with_one_line(tmp_path: Path, command: str) -> None:
    body = "select = " + "[" * DEEP + "]" * DEEP
    root = tree_with(tmp_path / "tree", ".repolens.toml", body)
    done = repolens(command, str(root), "-o", str(tmp_path / "out"))
    assert ".repolens.toml" in one_line_exit_2(done)
    assert not (tmp_path / "out").exists()  # nothing written, not even the folder


def test_report_refuses_settings_that_cannot_work_before_the_notebook(tmp_path: Path) -> None:
    root = tree_with(tmp_path / "tree", "pyproject.toml", '[tool.repolens]\nselect = ["XX1"]')
    done = repolens("report", str(root), "-o", str(tmp_path / "out"))
    assert "pyproject.toml [tool.repolens] select" in one_line_exit_2(done)


def settings_linked(tmp_path: Path, target: str) -> Path:
    root = tree_with(tmp_path / "tree", "config/real.toml", '[tool.repolens]\nselect = ["SE"]\n')
    (root / "pyproject.toml").symlink_to(target)
    return root


def test_a_link_to_a_regular_file_inside_the_tree_is_followed(tmp_path: Path) -> None:
    root = settings_linked(tmp_path, "config/real.toml")
    found = load_settings(root)
    assert (found.source, found.select, found.note) == ("pyproject.toml", ("SE",), "")
    done = repolens("check", str(root), "--format", "json", "--fail-on", "never")
    assert json.loads(done.stdout)["settings"] == "pyproject.toml", done.stderr


def test_own_settings_linked_inside_the_tree_are_followed(tmp_path: Path) -> None:
    root = tree_with(tmp_path / "tree", "shared/repolens.toml", 'ignore = ["FI"]\n')
    (root / ".repolens.toml").symlink_to("shared/repolens.toml")
    assert load_settings(root).ignore == ("FI",)


def make_fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


@pytest.mark.parametrize(
    ("target", "said"),
    [
        ("/etc/hostname", "a link out of the tree"),
        ("/dev/zero", "a link out of the tree"),
        ("../outside.toml", "a link out of the tree"),
        ("fifo", "a FIFO"),
        ("config", "a directory"),
        ("nothing-here", "a link to nothing"),
        ("pyproject.toml", "a link that loops"),
    ],
)
def test_a_link_that_is_not_a_regular_file_inside_the_tree_is_not_followed(
    tmp_path: Path, target: str, said: str
) -> None:
    (tmp_path / "outside.toml").write_text('[tool.repolens]\nselect = ["SE"]\n')
    root = settings_linked(tmp_path, target)
    make_fifo(root / "fifo")
    started = time.monotonic()
    found = load_settings(root)
    assert time.monotonic() - started < 10  # a FIFO is never opened for reading
    assert found.select == () and said in found.note and "was not read" in found.note
    done = repolens("check", str(root), "--fail-on", "never")
    assert done.returncode == 0 and said in done.stderr, done.stderr


def test_own_settings_that_are_a_fifo_or_too_large_exit_2(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "fifo", {"a.py": "x\n"})
    make_fifo(root / ".repolens.toml")
    assert "FIFO" in one_line_exit_2(repolens("check", str(root)))
    large = tree_with(tmp_path / "large", ".repolens.toml", "# " + "x" * (1 << 20) + "\n")
    assert "limit" in one_line_exit_2(repolens("check", str(large)))


# The bounds of tomlread: never an exception but TomlError, and tomllib's own answer
# for every document within them.
TOML_PIECES = st.sampled_from(
    ["[", "]", "{", "}", ".", "=", ",", "\n", "'", '"', '"""', "'''", "#", "\\", "a", "1", " "]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(TOML_PIECES, max_size=60).map("".join))
def test_tomlread_gives_tomllibs_answer_or_one_line(text: str) -> None:
    try:
        expected: object = tomllib.loads(text)
    except (ValueError, RecursionError):
        expected = None
    try:
        got: object = tomlread.loads(text)
    except tomlread.TomlError as error:
        assert "\n" not in str(error)
        assert expected is None or "bounds" in str(error)
        return
    assert got == expected


@pytest.mark.parametrize(
    ("text", "depth", "parts"),
    [
        ('a = "[[[{{{"\nb = [[1], [2, [3]]]\n', 3, 1),
        ("x = '''a.b.c\n[[\n'''\n", 0, 1),
        ('x = """a.b""""\ny.z.w = 1\n', 0, 3),
        ("x = 1 # [[[[ a.b.c.d\n", 0, 1),
        ("[tool.repolens.per-file-ignores]\n'a.b' = ['NB']\n", 1, 3),
        ("k = [1.5, 2.5, 3.5, 4.5, 5.5]\n", 1, 2),  # floats: one dot each, not a key
    ],
)
def test_the_shape_skips_strings_and_comments(text: str, depth: int, parts: int) -> None:
    shape = tomlread.shape(text)
    assert (shape.depth, shape.key_parts) == (depth, parts)
    tomllib.loads(text)  # each of them is TOML


@pytest.mark.parametrize(
    "text",
    [
        "a" + ".a" * (1 << 18) + " = 1\n",  # 512 KiB: tomllib alone runs out of memory
        "[a" + ".a" * (1 << 17) + "]\n",  # 256 KiB: tomllib alone took 41 s
        "x = [" + "[]," * (1 << 18) + "]\n",  # 262,144 arrays
        "".join(f"[t{i}]\n" for i in range(1 << 16)),  # 65,536 tables
    ],
    ids=["dotted key", "header", "arrays", "tables"],
)
def test_settings_tomllib_would_choke_on_are_refused_quickly(tmp_path: Path, text: str) -> None:
    root = tree_with(tmp_path / "tree", ".repolens.toml", text)
    started = time.monotonic()
    with pytest.raises(ConfigError, match="bounds"):
        load_settings(root)
    assert time.monotonic() - started < 10


def naive_covers(
    exclude: tuple[str, ...], per_file: dict[str, tuple[str, ...]], check: str, path: str
) -> bool:
    """What repolens did before the matcher: every glob as its own rules, for every finding."""

    def covers(rules: IgnoreRules) -> bool:
        parts = path.rstrip("/").split("/")
        if any(rules.ignored("/".join(parts[:depth]), True) for depth in range(1, len(parts))):
            return True
        return rules.ignored("/".join(parts), path.endswith("/"))

    if exclude and covers(IgnoreRules.from_patterns(list(exclude))):
        return True
    return any(
        covers(IgnoreRules.from_patterns([glob]))
        and any(check == v or (len(v) == 2 and check.startswith(v)) for v in ids)
        for glob, ids in per_file.items()
    )


GLOBS = st.sampled_from(
    [
        "a",
        "b/",
        "*.py",
        "a/*.py",
        "/b",
        "**/c",
        "a/**",
        "!a/x.py",
        "!b/",
        "d?",
        "[ab]/c",
        "*",
        "a/**/c",
        "x*y",
        "**/b/",
        "c/",
    ]
)
PATHS = st.lists(
    st.sampled_from(["a", "b", "c", "d1", "x.py", "xzy", "a.py"]), min_size=1, max_size=4
).map("/".join)
CHECKS = st.sampled_from(["NB001", "PA001", "SE002", "FI003"])
IDS = st.lists(st.sampled_from(["NB", "PA001", "SE", "FI003"]), min_size=1, max_size=2).map(tuple)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(GLOBS, max_size=4).map(tuple),
    st.dictionaries(GLOBS, IDS, max_size=4),
    CHECKS,
    PATHS,
    st.booleans(),
)
def test_the_matcher_says_what_every_glob_on_its_own_says(
    exclude: tuple[str, ...],
    per_file: dict[str, tuple[str, ...]],
    check_id: str,
    path: str,
    folder: bool,
) -> None:
    path = path + "/" if folder else path
    expected = naive_covers(exclude, per_file, check_id, path)
    assert Exemptions.from_globs(exclude, per_file).covers(check_id, path) == expected


def matcher_field(pattern: Pattern) -> str:
    """The field holding a compiled glob's matcher (over bytes, or over text)."""
    return "match_bytes" if hasattr(pattern, "match_bytes") else "match"


def opaque(glob: str) -> Pattern | None:
    """The same glob behind a matcher that is no regular expression (another engine)."""
    pattern = compile_pattern(glob)
    if pattern is None:
        return None
    field = matcher_field(pattern)
    original = getattr(pattern, field)
    return dataclasses.replace(pattern, **{field: lambda value: original(value)})


def over_bytes(glob: str) -> Pattern | None:
    """The same glob behind a Python expression over the path's bytes."""
    pattern = compile_pattern(glob)
    if pattern is None:
        return None
    source = exemptions._regex(pattern).pattern  # type: ignore[union-attr]
    compiled = re.compile(source if isinstance(source, bytes) else source.encode(), re.DOTALL)

    @dataclasses.dataclass(frozen=True)
    class BytesPattern:
        text: str
        negated: bool
        directory_only: bool
        basename_only: bool
        match_bytes: Callable[[bytes], object]

        def match(self, path: str) -> bool:
            return self.match_bytes(path.encode("utf-8", "surrogateescape")) is not None

    return BytesPattern(  # type: ignore[return-value]
        pattern.text,
        pattern.negated,
        pattern.directory_only,
        pattern.basename_only,
        compiled.fullmatch,
    )


EXCLUDE = ("data/*", "!data/keep.csv", "x/**/y")
# One "**" at most per glob: a glob of two or more runs on RE2 and is matched on its own.
PER_FILE = {"*.py": ("PA",), "legacy/": ("NB",), "a/**/b/*": ("SE001",)}
CASES = [  # (check, path, exempt)
    ("PA001", "data/x.csv", True),
    ("PA001", "data/keep.csv", False),
    ("PA001", "src/a.py", True),
    ("SE001", "src/a.py", False),
    ("NB001", "legacy/x.ipynb", True),
    ("NB001", "src/legacy", False),
    ("FI001", "x/1/2/y", True),
    ("SE001", "a/q/b/c.txt", True),
    ("SE002", "a/q/b/c.txt", False),
]


@pytest.mark.parametrize("compile_as", [opaque, over_bytes], ids=["another engine", "bytes"])
def test_globs_behind_any_matcher_say_the_same(
    monkeypatch: pytest.MonkeyPatch, compile_as: Callable[[str], Pattern | None]
) -> None:
    fast = Exemptions.from_globs(EXCLUDE, PER_FILE)
    assert all(group.unions for group in fast.per_file.values())
    assert [fast.covers(check_id, path) for check_id, path, _ in CASES] == [
        exempt for _, _, exempt in CASES
    ]
    monkeypatch.setattr(exemptions, "compile_pattern", compile_as)
    other = Exemptions.from_globs(EXCLUDE, PER_FILE)
    groups = list(other.per_file.values())
    if compile_as is opaque:
        assert all(not group.unions and group.rest for group in groups)  # each on its own
    else:
        assert all(group.binary and group.unions and not group.rest for group in groups)
    assert [other.covers(check_id, path) for check_id, path, _ in CASES] == [
        exempt for _, _, exempt in CASES
    ]


def test_40000_per_file_ignores_and_300_findings_take_a_match_per_folder(tmp_path: Path) -> None:
    globs = 40_000  # none of them names a finding's file
    lines = ["[per-file-ignores]"] + [f'"l{i}/*.py" = ["PA001"]' for i in range(globs)]
    lines.append('"kept/" = ["PA001"]')  # the last glob names half of the findings
    root = tree_with(tmp_path / "tree", ".repolens.toml", "\n".join(lines) + "\n")
    started = time.monotonic()
    loaded = load_settings(root)
    loading = time.monotonic() - started
    assert len(loaded.per_file_ignores) == globs + 1
    findings = [
        Finding("PA001", Level.WARNING, f"{'kept' if n % 2 else 'src'}/deep/m{n}.py", "m", "f")
        for n in range(300)
    ]
    started = time.monotonic()
    kept = [item for item in findings if loaded.keeps(item)]
    matching = time.monotonic() - started
    assert len(kept) == 150 and all(item.path.startswith("src/") for item in kept)
    # before: every glob for every finding, 34 s; now about 0.3 s of matching
    assert matching < 8, matching
    assert loading < 30, loading


def test_a_tree_whose_settings_exempt_everything_still_scans_whole(tmp_path: Path) -> None:
    root = make_tree(
        tmp_path / "tree",
        {
            ".repolens.toml": 'exclude = ["*", "!keep/", "!keep/*"]\n',
            "keep/a.py": "p = '/home/ana/data.csv'\n",
            "drop/b.py": "p = '/home/ana/data.csv'\n",
        },
    )
    paths = {item.path for item in check(root).findings if item.check == "PA001"}
    assert paths == {"keep/a.py"}


def test_merged_settings_keep_the_compiled_globs() -> None:
    base = CheckSettings(exclude=("data/",), per_file_ignores={"*.py": ("PA",)})
    merged = base.merged(("PA",), ("NB", "NB"))
    assert merged.exemptions is base.exemptions and merged.ignore == ("NB",)
    assert not merged.keeps(Finding("PA001", Level.WARNING, "a.py", "m", "f"))


# Baselines


def metrics(tmp_path: Path, name: str = "metrics.json", **changes: object) -> Path:
    """A metrics.json as repolens writes it (two categories, one finding), with changes."""
    document = {
        "timestamp": "2026-01-01T00:00:00+00:00",
        "summary": {
            "by_category": {
                "code": {"files": 2, "size_bytes": 300, "code_lines": 20, "lines": 30},
                "data": {"files": 1, "size_bytes": 5000, "code_lines": 0},
            }
        },
        "findings": [
            {
                "check": "SE001",
                "level": "error",
                "path": "keys.yaml",
                "cell": None,
                "line": 1,
                "message": "a key",
                "evidence": "AKIA…",
                "fix": "remove it",
            }
        ],
    }
    document.update(changes)
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return path


def with_category(tmp_path: Path, value: object, key: str = "size_bytes") -> Path:
    path = metrics(tmp_path)
    text = path.read_text().replace('"size_bytes": 300', f'"{key}": {value}')
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("value", "said"),
    [
        (
            "9" * 401,
            "<= 9223372036854775807",
        ),  # a 401-digit number: exit 3 from the notebook before
        ("9" * 5000, "out of range"),
        ("-1", ">= 0"),
        ("1.5", "got `float`"),
        ("1e400", "out of range"),
        ("NaN", "malformed"),
        ("-Infinity", "malformed"),
        ('"300"', "got `str`"),
        ("true", "got `bool`"),
        ("null", "got `null`"),
        ("[" * 100_000 + "]" * 100_000, "got `array`"),  # not descended into
    ],
    ids=[
        "401 digits",
        "5000 digits",
        "negative",
        "fraction",
        "1e400",
        "NaN",
        "-Infinity",
        "text",
        "boolean",
        "null",
        "arrays 100,000 deep",
    ],
)
def test_a_number_of_any_length_or_shape_is_one_baseline_error(
    tmp_path: Path, value: str, said: str
) -> None:
    with pytest.raises(BaselineError) as raised:
        load_baseline(with_category(tmp_path, value))
    assert said in str(raised.value) and "\n" not in str(raised.value), raised.value


def test_a_401_digit_number_in_a_baseline_exits_2_before_the_notebook(tmp_path: Path) -> None:
    tree = make_tree(tmp_path / "tree", {"a.py": "x\n"})
    baseline = with_category(tmp_path, "9" * 401)
    done = repolens("report", str(tree), "-o", str(tmp_path / "out"), "--baseline", str(baseline))
    assert "--baseline" in one_line_exit_2(done)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "document",
    [
        b"{not json",
        b"\xff\xfe",
        b"[]",
        b'{"summary": 5}',
        b'{"summary": {"by_category": []}}',
        b'{"summary": {"by_category": {"code": 5}}}',
        b'{"summary": {"by_category": {}}, "findings": {"a": 1}}',
        b'{"summary": {"by_category": {}}, "findings": [{"cell": -2}]}',
        b'{"summary": {"by_category": {}}, "timestamp": 5}',
    ],
)
def test_a_document_of_the_wrong_shape_is_one_baseline_error(
    tmp_path: Path, document: bytes
) -> None:
    path = tmp_path / "metrics.json"
    path.write_bytes(document)
    with pytest.raises(BaselineError) as raised:
        load_baseline(path)
    assert "\n" not in str(raised.value)


def test_too_many_categories_is_one_baseline_error(tmp_path: Path) -> None:
    categories = {f"c{i}": {"files": 1} for i in range(101)}  # 101: one over the cap
    path = metrics(tmp_path, summary={"by_category": categories})
    with pytest.raises(BaselineError, match="length <= 100"):
        load_baseline(path)


def test_a_baseline_over_the_cap_is_refused_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from repolens.render import baseline

    path = metrics(tmp_path)
    monkeypatch.setattr(baseline, "MAX_BYTES", 100)
    with pytest.raises(BaselineError, match="over the 100-byte limit"):
        load_baseline(path)


def test_a_baseline_that_is_a_fifo_or_a_link_to_a_device_is_not_read(tmp_path: Path) -> None:
    fifo = make_fifo(tmp_path / "fifo.json")
    zero = tmp_path / "zero.json"
    zero.symlink_to("/dev/zero")
    for path, said in ((fifo, "FIFO"), (zero, "character device")):
        started = time.monotonic()
        with pytest.raises(BaselineError, match=said):
            load_baseline(path)
        assert time.monotonic() - started < 10


def test_a_baseline_behind_a_link_is_read(tmp_path: Path) -> None:
    """A ConfigMap mounts files as links: the user's own file is followed to a regular one."""
    link = tmp_path / "link.json"
    link.symlink_to(metrics(tmp_path))
    assert load_baseline(link).summary.by_category["code"].files == 2


def test_a_31_mb_baseline_costs_its_size_once(tmp_path: Path) -> None:
    files = 75_000  # file_metrics the comparison never reads: ~31 MB with the findings
    findings = 40_000
    item = {
        "file_path": "src/module_{}.py",
        "file_name": "x.py",
        "file_type": ".py",
        "size_bytes": 1234,
        "line_count": 10,
        "created_time": "2026-01-01T00:00:00",
        "modified_time": "2026-01-01T00:00:00",
        "category": "code",
        "language": "Python",
        "state": "ok",
        "reason": None,
        "code_lines": 8,
        "comment_lines": 1,
    }
    document = {
        "timestamp": "then",
        "summary": {"by_category": {"code": {"files": files, "size_bytes": 74_040_000}}},
        "findings": [
            {
                "check": "PA001",
                "path": f"src/m{n}.py",
                "cell": None,
                "evidence": "/home/a",
                "message": "hard-coded",
                "line": 1,
                "level": "warning",
                "fix": "x",
            }
            for n in range(findings)
        ],
        "file_metrics": [dict(item, file_path=f"src/module_{n}.py") for n in range(files)],
    }
    path = tmp_path / "metrics.json"
    path.write_text(json.dumps(document))
    size = path.stat().st_size
    assert size > 25_000_000
    tracemalloc.start()
    started = time.monotonic()
    loaded = load_baseline(path)
    elapsed = time.monotonic() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(loaded.findings or ()) == findings
    assert elapsed < 30, elapsed  # before: 115 s
    assert peak < 3 * size, peak  # before: 3.9 GB for 31 MB; now the bytes and the findings


def test_the_comparison_reads_the_typed_baseline(tmp_path: Path) -> None:
    from repolens.render.summary import Summariser

    loaded = load_baseline(metrics(tmp_path))
    comparison = compare(Summariser().summary(), (), loaded)
    assert comparison.then == "2026-01-01T00:00:00+00:00"
    assert [change.name for change in comparison.changes] == ["code", "data", "total"]
    assert comparison.changes[-1].size_bytes == (5300, 0)
    assert [item["check"] for item in comparison.fixed] == ["SE001"] and comparison.new == ()


def bench_cases() -> list:
    import importlib.util

    path = Path(__file__).resolve().parent.parent / "bench" / "hostile_settings.py"
    spec = importlib.util.spec_from_file_location("hostile_settings", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module.CASES


@pytest.mark.parametrize("case", bench_cases(), ids=lambda case: case.name)
def test_each_hostile_settings_case_runs_at_a_small_size(tmp_path: Path, case) -> None:
    """The benchmark's cases at 64 KiB: processed or refused in one line, in bounded time."""
    built = case.build(64 << 10, tmp_path)
    started = time.monotonic()
    outcome = case.run(built)
    assert time.monotonic() - started < 20
    assert isinstance(outcome, int) or ("\n" not in outcome and outcome)


def test_a_glob_of_several_globstars_is_matched_on_its_own() -> None:
    rules = Exemptions.from_globs((), {"a/**/b/**": ("SE001",)})
    assert all(group.rest and not group.unions for group in rules.per_file.values())
    assert rules.covers("SE001", "a/q/b/c.txt")
    assert rules.covers("SE001", "a/b/c/d.txt")
    assert not rules.covers("SE002", "a/q/b/c.txt")
    assert not rules.covers("SE001", "a/q/c.txt")
