"""Ignore rules looked up by name and suffix decide as the patterns tried one by one do.

``IgnoreRules`` compares lines without a wildcard and ``*.ext`` name lines as bytes (a
dictionary look-up per file); every other line is a regular expression, as before. The
reference here compiles every line as an expression and tries them from the last line
up, the rule git follows (tests/test_walk.py and tests/test_hostile.py compare the walk
with git itself)."""

from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st

from repolens.scanning.ignore import IgnoreRules, Pattern, compile_pattern


def reference(lines: list[str], path: str, is_dir: bool) -> bool:
    """The last matching line decides, every line a regular expression."""
    patterns: list[Pattern] = []
    for line in lines:
        pattern = compile_pattern(line)
        if pattern is not None:
            patterns.append(pattern)
    name = path.rsplit("/", 1)[-1]
    for pattern in reversed(patterns):
        if pattern.directory_only and not is_dir:
            continue
        if pattern.match(name if pattern.basename_only else path):
            return not pattern.negated
    return False


_parts = st.sampled_from(["a", "b", "ab", ".py", "a.py", "b.py", ".a.py", "é", "\udcff", "x y"])
_names = st.lists(_parts, min_size=1, max_size=3).map("".join)
_lines = st.builds(
    lambda negate, body, directory: ("!" if negate else "") + body + ("/" if directory else ""),
    st.booleans(),
    st.one_of(
        _names,  # a literal name
        _names.map(lambda name: "*" + name),  # a suffix
        st.lists(_names, min_size=1, max_size=3).map("/".join),  # a literal path
        _names.map(lambda name: "/" + name),  # anchored at the top
        _names.map(lambda name: "*" + name + "*"),  # an expression
        _names.map(lambda name: name + "?"),
        _names.map(lambda name: "**/" + name),
        st.just("*"),
        _names.map(lambda name: "\\" + name),  # an escape: an expression, not a literal
    ),
    st.booleans(),
)
_paths = st.lists(_names, min_size=1, max_size=3).map("/".join)


@settings(max_examples=400, deadline=None)
@given(st.lists(_lines, max_size=12), st.lists(st.tuples(_paths, st.booleans()), max_size=10))
def test_looked_up_rules_decide_as_every_line_tried_in_turn(
    lines: list[str], paths: list[tuple[str, bool]]
) -> None:
    rules = IgnoreRules.from_patterns(lines)
    for path, is_dir in paths:
        assert rules.ignored(path, is_dir) == reference(lines, path, is_dir), (path, is_dir)


def test_literal_and_suffix_lines_compile_no_expression() -> None:
    literal = compile_pattern("build/", fast=True)
    suffix = compile_pattern("*.pyc", fast=True)
    wild = compile_pattern("*.py[co]", fast=True)
    assert literal is not None and literal.literal == b"build" and literal.directory_only
    assert suffix is not None and suffix.suffix == b".pyc" and suffix.match("a.pyc")
    assert not suffix.match("a.pyc.txt") and suffix.match(".pyc")
    assert wild is not None and wild.literal is None and wild.suffix is None
    assert wild.match("x.pyo")
    assert compile_pattern("build/").literal is None  # type: ignore[union-attr]


def test_a_hundred_thousand_name_lines_compile_and_match_in_bounded_time() -> None:
    lines = [f"name{index}" for index in range(50_000)]
    lines += [f"*.ext{index}" for index in range(50_000)]
    started = time.process_time()
    rules = IgnoreRules.from_patterns(lines)
    hits = sum(rules.ignored(f"src/name{index}", False) for index in range(0, 100_000, 7))
    suffixes = sum(rules.ignored(f"src/f.ext{index}", False) for index in range(0, 100_000, 7))
    elapsed = time.process_time() - started
    assert hits == len(range(0, 50_000, 7)) and suffixes == len(range(0, 50_000, 7))
    # One expression per line cost about 3 s here; a look-up per line is a fraction of one.
    assert elapsed < 20
