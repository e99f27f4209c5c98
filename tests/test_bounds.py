"""A cost bound per byte: every content check and pattern matcher spends time and memory in
proportion to its input, on the inputs it handles worst.

Two kinds of proof. The hostile cases of ``bench/hostile_content.py`` (the ones an attack
run found, and the worst input of every other expression) run at small sizes, each in a
process of its own with a deadline, so a case that went exponential again fails instead of
hanging the suite. And Hypothesis builds adversarial texts from the fragments that trigger
each check (repeated, mixed) and checks the same bounds in this process.

Bounds: CPU seconds (not wall time: other work on a shared machine counts little) and the
peak of Python's heap (tracemalloc: exact, not noisy), per MiB of input. The target is
1 s and 50 MiB per MiB (``make bench-hostile`` measures it at full size); the time bound
here is five times looser for slow and busy machines, and the sizes are chosen so that
the quadratic or exponential code these cases caught misses it by far (a CSV of '=C:\\a':
about 140 s per MiB at 256 KiB before; 'a+a+...': about 220 MiB per MiB of heap).
"""

from __future__ import annotations

import bz2
import contextlib
import importlib
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from repolens.checks.archives import MAX_MEMBERS, list_members, tar_byte_limit
from repolens.checks.lexers import syntax_named, tokens
from repolens.checks.python_imports import imports_in
from repolens.scanning.ignore import IgnoreRules

BENCH = Path(__file__).resolve().parent.parent / "bench"
MIB = 1 << 20
SECONDS_PER_MIB = 5.0  # the target is 1 s: room for a slow, busy machine
HEAP_PER_MIB = 50.0  # MiB of Python heap per MiB of input: the target itself
RSS_PER_MIB = 100.0  # growth of the peak RSS, which also holds what C libraries take
FIXED_HEAP = 4 * MIB  # what any run may take whatever its input (caches, a decoder)
FIXED_RSS = 24 * MIB
FIXED_SECONDS = 0.1
DEADLINE = 120  # seconds a case may take in its process before it counts as hung
SIZE = 256 << 10
# Cases whose old cost was quadratic in a factor that small inputs keep small: measured
# where the old code missed the bound by far (key headers: ~23 s per MiB at 2 MiB).
SIZES = {"key headers on one line": 2 * MIB}


@contextlib.contextmanager
def _bench_path() -> Iterator[None]:
    sys.path.insert(0, str(BENCH))
    try:
        yield
    finally:
        sys.path.remove(str(BENCH))


with _bench_path():
    hostile = importlib.import_module("hostile")
    CASES = hostile.cases("hostile_content")


@pytest.fixture(scope="module")
def measured() -> dict[str, dict[str, Any]]:
    """Every case measured in its own process, two at a time (the machine has two cores)."""
    with _bench_path(), ThreadPoolExecutor(2) as pool:
        futures = {
            case.name: pool.submit(
                hostile.measure_apart,
                "hostile_content",
                case.name,
                SIZES.get(case.name, SIZE),
                DEADLINE,
            )
            for case in CASES
        }
        return {name: future.result() for name, future in futures.items()}


@pytest.mark.parametrize("name", [case.name for case in CASES])
def test_every_hostile_case_costs_in_proportion_to_its_input(
    measured: dict[str, dict[str, Any]], name: str
) -> None:
    run = measured[name]
    assert "timeout" not in run, f"{name}: still running after {DEADLINE} s"
    assert "error" not in run, f"{name}: {run.get('error')}"
    mib = run["bytes"] / MIB
    assert run["bytes"] > 0
    assert run["seconds"] <= SECONDS_PER_MIB * mib + FIXED_SECONDS, (name, run)
    assert run["heap"] <= HEAP_PER_MIB * run["bytes"] + FIXED_HEAP, (name, run)
    assert run["rss"] <= RSS_PER_MIB * run["bytes"] + FIXED_RSS, (name, run)


def test_the_cases_cover_every_case_the_attack_run_found() -> None:
    exercised = " ".join(f"{case.name} {case.exercises}" for case in CASES)
    for found in ("C:\\a", "'/*'", "key headers", "a+a+", "notebook cell", "**/a/**"):
        assert found in exercised, found
    for found in ("tar.gz", "zip", "past the 8 MiB content cap"):
        assert found in exercised, found


# --- the same bounds on generated adversarial inputs, in this process ---------------------


def cost(run: Callable[[], object], size: int) -> tuple[float, int]:
    """CPU seconds of ``run`` (without tracemalloc, which slows allocation) and its heap
    peak (a second run, under tracemalloc)."""
    run()  # warm: compiled expressions and caches are not what is measured
    started = time.process_time()
    run()
    seconds = time.process_time() - started
    tracemalloc.start()
    try:
        run()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert seconds <= SECONDS_PER_MIB * size / MIB + FIXED_SECONDS, (seconds, size)
    assert peak <= HEAP_PER_MIB * size + FIXED_HEAP, (peak, size)
    return seconds, peak


def adversarial(fragments: list[str], size: int = 96 << 10) -> st.SearchStrategy[str]:
    """A unit of a few trigger fragments (and a little noise), repeated to ``size``."""
    unit = st.lists(
        st.one_of(st.sampled_from(fragments), st.text("ab \n\t\\\"'", max_size=3)),
        min_size=1,
        max_size=8,
    ).map("".join)
    return unit.filter(bool).map(lambda text: (text * (size // len(text) + 1))[:size])


PATH_FRAGMENTS = [
    "C:\\",
    "=C:\\a",
    "D:/x",
    "z:\\",
    "\\\\srv\\x",
    "\\\\\\\\srv\\\\x",
    "/home/u/",
    "/Users/a/",
    "/mnt/d/",
    "/content/drive",
    ":/",
    ":\\",
    "SCB's:\\n",
    "http://",
    "#!",
    "\r\n",
    "\t",
]
LEXER_FRAGMENTS = [
    '"',
    "'",
    '"""',
    "'''",
    "\\",
    "/*",
    "*/",
    "//",
    "#",
    "<!--",
    "-->",
    "--",
    "%",
    "\n",
    "r'",
]
SECRET_FRAGMENTS = [
    "AKIA",
    "ASIA",
    "ABCDEFGHIJKLMNOP",
    "ghp_",
    "github_pat_",
    "sk-",
    "T3BlbkFJ",
    "xoxb-",
    "hooks.slack.com/services/T",
    "/B",
    "AIza",
    "-----BEGIN ",
    "RSA ",
    "PRIVATE KEY-----",
    "a" * 36,
    "-",
    "_",
]
SUPPRESSION_FRAGMENTS = [
    "# repolens: ignore",
    "[",
    "]",
    ",",
    "SE001",
    "PA001",
    "PA-001",
    "ignored",
    "XX999",
    " [",
    "/* repolens: ignore[SE001] */",
    "repolens:",
]
IMPORT_FRAGMENTS = [
    "import a",
    "from b import c",
    "import a.b as c, d",
    "try:",
    "except ImportError:",
    "except (ValueError, ImportError) as e:",
    "if TYPE_CHECKING:",
    "elif x:",
    "else:",
    "finally:",
    "def f():",
    "class A:",
    "\n",
    "\n    ",
    ";",
    ":",
    "(",
    ")",
    "[",
    "]",
    "\\\n",
    '"""',
    "'",
    "#",
    "%%time\n",
    "!ls\n",
    "a+",
    "\t",
    "async ",
    "match x:",
    "lambda: 0",
]
FILE_NAMES = ["x.py", "x.c", "x.sh", "data.csv", "notes.md", "x.yaml", "x.txt"]


def _inspect(name: str, text: str) -> Callable[[], object]:
    with _bench_path():
        content = importlib.import_module("hostile_content")
    data = text.encode("utf-8", "surrogatepass")
    item = (content.record(name, len(data)), data)
    return lambda: content.inspected(item)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=adversarial(PATH_FRAGMENTS + LEXER_FRAGMENTS + SECRET_FRAGMENTS + SUPPRESSION_FRAGMENTS),
    name=st.sampled_from(FILE_NAMES),
)
def test_content_checks_stay_within_the_bound_on_generated_files(text: str, name: str) -> None:
    cost(_inspect(name, text), len(text.encode("utf-8", "surrogatepass")))


@settings(max_examples=15, deadline=None)
@given(text=adversarial(LEXER_FRAGMENTS), syntax=st.sampled_from(["python", "c", "hash", "markup"]))
def test_lexers_read_each_character_a_bounded_number_of_times(text: str, syntax: str) -> None:
    lexer = syntax_named(syntax)
    cost(lambda: sum(1 for _token in tokens(text, lexer)), len(text))


@settings(max_examples=15, deadline=None)
@given(text=adversarial(IMPORT_FRAGMENTS))
def test_import_discovery_stays_within_the_bound(text: str) -> None:
    cost(lambda: imports_in(text), len(text))


GLOB_PIECES = ["**/", "a/", "*", "?", "[a]", "[!b]", "a", "b", "*a", "**"]


@settings(max_examples=25, deadline=None)
@given(
    pieces=st.lists(st.sampled_from(GLOB_PIECES), min_size=1, max_size=40),
    depth=st.integers(1, 200),
)
def test_ignore_patterns_match_deep_paths_in_bounded_time(pieces: list[str], depth: int) -> None:
    rules = IgnoreRules.from_patterns(["".join(pieces) + "b"])
    paths = ["/".join(["a"] * level) + "/aaaa" for level in range(1, depth + 1)]
    size = sum(len(path) for path in paths)
    # Each path costs its length times the pattern's at worst (an automaton's states):
    # far from the exponential paths of backtracking.
    seconds, _peak = cost(lambda: [rules.ignored(path, True) for path in paths], size * 40)
    assert seconds < 2.0


# --- archives: bounded before anything is materialised ------------------------------------


def test_a_zip_of_300000_entries_is_listed_to_the_cap_in_flat_memory(tmp_path: Path) -> None:
    path = tmp_path / "many.zip"
    with _bench_path():
        importlib.import_module("hostile_content").directory_only_zip(path, 3 * MAX_MEMBERS)
    # 16 MB of directory: zipfile.ZipFile held 138 MB of objects before the cap applied
    tracemalloc.start()
    try:
        listing = list_members(str(path))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert listing is not None
    assert len(listing.names) == MAX_MEMBERS
    assert listing.names[:2] == ("f0000000.png", "f0000001.png")
    assert "100,000" in listing.stopped
    assert peak < 40 * MIB  # the names kept, not an object per entry of the archive


def test_a_compressed_tar_is_read_only_up_to_its_byte_limit(tmp_path: Path) -> None:
    import tarfile

    header = tarfile.TarInfo("zeros.bin")
    header.size = 1 << 40
    zeros = bz2.compress(b"\0" * (100 << 20), 9)  # 113 bytes for 100 MiB
    path = tmp_path / "bomb.tar.bz2"
    with open(path, "wb") as handle:
        handle.write(bz2.compress(header.tobuf() + b"\0" * (1 << 20), 9))
        handle.write(zeros * 200)  # 23 KB on disk, 20 GiB once decompressed
    started = time.process_time()
    listing = list_members(str(path))
    assert time.process_time() - started < 10  # decompressing 20 GiB takes minutes
    assert listing is not None and listing.names == ("zeros.bin",)
    assert f"{tar_byte_limit(path.stat().st_size):,}" in listing.stopped
