"""The floors of ``lib/repolens``: each module imports only from its own floor and the
floors below it, and no modules import each other in a loop.

Imports are read from the source with ``ast``: every ``import`` and ``from ... import``
anywhere in a module (inside functions and ``if TYPE_CHECKING:`` blocks too: a lazy
import is still a dependency), and the module names handed to ``import_module`` or a
fork server's preload list. A module that no floor claims fails the suite, so a new
one must be given its place here.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "lib" / "repolens"

FLOORS: tuple[tuple[str, tuple[str, ...]], ...] = (
    # bottom first: (floor, the packages and modules it holds); a name ending in ".*"
    # is a package with everything under it, any other name one module exactly
    ("core", ("repolens.core.*", "repolens._version")),
    ("scanning", ("repolens.scanning.*",)),
    ("checks", ("repolens.checks.*",)),
    ("render", ("repolens.render.*",)),
    ("analysis", ("repolens.analysis.*",)),
    ("rerun", ("repolens.rerun.*",)),
    ("history", ("repolens.history.*",)),
    ("portfolio", ("repolens.portfolio.*",)),
    ("commands", ("repolens.commands.*",)),
    # the package's face: its names, ``python -m``, the parser, and the notebooks' name
    # for scanning.activity
    ("entry", ("repolens", "repolens.__main__", "repolens.cli", "repolens.activity")),
)
"""What each floor is for: docs/development.md says it in words."""

DYNAMIC_IMPORTS = frozenset({"import_module", "set_forkserver_preload"})
MAX_LINES = 600


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the module imported (a package's __init__ by its package name)
    line: int


def module_names(package: Path) -> dict[str, tuple[Path, bool]]:
    """Every module under ``package``: ``{dotted name: (file, is a package's __init__)}``."""
    found = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


def imports_in(name: str, source: str, is_package: bool, known: Iterable[str]) -> set[Import]:
    """The imports of module ``name`` (its ``source``) of modules of the package: the
    imported module where ``from X import y`` names one (``y`` a module of ``X``), else
    ``X`` itself. Names outside the package are left out; a name of the package that
    is no module is kept (``imports_from_nowhere`` reports it)."""
    known = frozenset(known)
    top = name.split(".", 1)[0]
    here = name if is_package else name.rpartition(".")[0]
    found: set[Import] = set()

    def add(target: str, line: int) -> None:
        if target == top or target.startswith(top + "."):
            found.add(Import(name, target, line))

    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here.split(".")[: len(here.split(".")) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            for alias in node.names:
                child = f"{target}.{alias.name}"
                add(child if child in known else target, node.lineno)
        elif isinstance(node, ast.Call):
            function = node.func
            called = function.attr if isinstance(function, ast.Attribute) else None
            called = function.id if isinstance(function, ast.Name) else called
            if called in DYNAMIC_IMPORTS:
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Constant) and isinstance(inner.value, str):
                        add(inner.value, node.lineno)
    return {item for item in found if item.target != name}


def floor_of(module: str, floors: tuple[tuple[str, tuple[str, ...]], ...] = FLOORS) -> int | None:
    """The floor's position (0 at the bottom), or None when no floor holds the module."""
    for position, (_floor, members) in enumerate(floors):
        for member in members:
            if member.endswith(".*"):
                package = member[:-2]
                if module == package or module.startswith(package + "."):
                    return position
            elif module == member:
                return position
    return None


def strongly_connected(graph: Mapping[str, Iterable[str]]) -> Iterator[list[str]]:
    """Tarjan's components of ``graph``, iteratively (no recursion limit to meet)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    yield sorted(component)


def violations(
    modules: Iterable[str],
    imports: Iterable[Import],
    floor: Callable[[str], int | None] = floor_of,
    names: tuple[str, ...] = tuple(name for name, _members in FLOORS),
) -> list[str]:
    """What breaks the floors, one line each: a module no floor holds, an import of a
    module that does not exist, an import of a floor above, and every loop."""
    modules = sorted(set(modules))
    problems = [
        f"{module}: no floor holds it (add it to FLOORS)"
        for module in modules
        if floor(module) is None
    ]
    graph: dict[str, set[str]] = {module: set() for module in modules}
    for item in sorted(imports, key=lambda item: (item.source, item.line, item.target)):
        if item.target not in graph:
            problems.append(
                f"{item.source} line {item.line}: imports {item.target}, which does not exist"
            )
            continue
        graph[item.source].add(item.target)
        low, high = floor(item.source), floor(item.target)
        if low is not None and high is not None and high > low:
            problems.append(
                f"{item.source} line {item.line}: imports {item.target} "
                f"({names[high]} is above {names[low]})"
            )
    for component in strongly_connected(graph):
        if len(component) > 1 or component[0] in graph[component[0]]:
            problems.append("a loop of imports: " + " -> ".join([*component, component[0]]))
    return problems


def package_imports(package: Path = PACKAGE) -> tuple[list[str], set[Import]]:
    found = module_names(package)
    imports: set[Import] = set()
    for name, (path, is_package) in found.items():
        imports |= imports_in(name, path.read_text("utf-8"), is_package, found)
    return sorted(found), imports


# -- the package as it is ----------------------------------------------------------------


def test_every_module_imports_only_its_own_floor_and_those_below_without_loops() -> None:
    modules, imports = package_imports()
    assert len(modules) > 50 and len(imports) > 100  # the package was read
    assert violations(modules, imports) == []


def test_no_module_is_longer_than_a_reader_can_hold() -> None:
    lengths = {
        path.relative_to(PACKAGE.parent).as_posix(): len(path.read_text("utf-8").splitlines())
        for path in PACKAGE.rglob("*.py")
    }
    assert {path: lines for path, lines in lengths.items() if lines > MAX_LINES} == {}


def test_the_command_line_reaches_the_library_only_through_the_commands() -> None:
    _modules, imports = package_imports()
    allowed = (
        "repolens._version",
        "repolens.commands",
        "repolens.core",
        "repolens.scanning.options",
    )
    from_cli = sorted({item.target for item in imports if item.source == "repolens.cli"})
    assert "repolens.commands" in from_cli
    assert [
        target
        for target in from_cli
        if not any(target == name or target.startswith(name + ".") for name in allowed)
    ] == []


def test_every_module_of_commands_is_a_command_or_what_they_share() -> None:
    from repolens.commands import COMMANDS

    modules, _imports = package_imports()
    rooms = {name for name in modules if name.startswith("repolens.commands.")}
    shared = {"repolens.commands.errors", "repolens.commands.options", "repolens.commands.pages"}
    assert {command.__name__ for command in COMMANDS} == rooms - shared
    for command in COMMANDS:
        assert command.__name__.rsplit(".", 1)[1] == command.NAME.replace("-", "_")
        assert callable(command.add_arguments) and callable(command.run)


# -- the test itself bites ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("module", "floor"),
    [
        ("repolens._version", "core"),
        ("repolens.core.gitsafe.process", "core"),
        ("repolens.scanning", "scanning"),
        ("repolens.analysis.checking", "analysis"),
        ("repolens.rerun.sandbox", "rerun"),
        ("repolens.commands.scan", "commands"),
        ("repolens", "entry"),
        ("repolens.cli", "entry"),
        ("repolens.helpers", None),  # a new module at the top: no floor until given one
        ("repolens.extras.tool", None),  # a new package: the same
        ("repolens.corefiles", None),  # a prefix of a floor's name is not that floor
    ],
)
def test_each_floor_holds_its_own_and_nothing_else(module: str, floor: str | None) -> None:
    position = floor_of(module)
    assert (None if position is None else FLOORS[position][0]) == floor


TOY_FLOORS = (("low", ("toy.low.*",)), ("high", ("toy.high.*",)), ("entry", ("toy",)))


def toy_floor(module: str) -> int | None:
    return floor_of(module, TOY_FLOORS)


TOY_NAMES = tuple(name for name, _members in TOY_FLOORS)
TOY_MODULES = ("toy", "toy.low", "toy.low.a", "toy.low.b", "toy.high", "toy.high.c")


def toy_imports(edges: Iterable[tuple[str, str]]) -> list[Import]:
    return [Import(source, target, number) for number, (source, target) in enumerate(edges, 1)]


@pytest.mark.parametrize(
    ("modules", "edges", "expected"),
    [
        pytest.param(
            TOY_MODULES,
            [("toy.high.c", "toy.low.a"), ("toy.low.a", "toy.low.b"), ("toy", "toy.high.c")],
            [],
            id="downward-and-sideways-only",
        ),
        pytest.param(
            TOY_MODULES,
            [("toy.low.a", "toy.high.c")],
            ["toy.low.a line 1: imports toy.high.c (high is above low)"],
            id="an-upward-import",
        ),
        pytest.param(
            TOY_MODULES,
            [("toy.low.b", "toy")],
            ["toy.low.b line 1: imports toy (entry is above low)"],
            id="an-import-of-the-entry",
        ),
        pytest.param(
            TOY_MODULES,
            [("toy.low.a", "toy.low.b"), ("toy.low.b", "toy.low.a")],
            ["a loop of imports: toy.low.a -> toy.low.b -> toy.low.a"],
            id="a-loop-on-one-floor",
        ),
        pytest.param(
            TOY_MODULES,
            [("toy.low.a", "toy.low.a")],
            ["a loop of imports: toy.low.a -> toy.low.a"],
            id="a-module-importing-itself",
        ),
        pytest.param(
            TOY_MODULES,
            [("toy.high.c", "toy.low.a"), ("toy.low.a", "toy.high.c")],
            [
                "toy.low.a line 2: imports toy.high.c (high is above low)",
                "a loop of imports: toy.high.c -> toy.low.a -> toy.high.c",
            ],
            id="a-loop-across-floors",
        ),
        pytest.param(
            (*TOY_MODULES, "toy.stray"),
            [],
            ["toy.stray: no floor holds it (add it to FLOORS)"],
            id="a-module-no-floor-holds",
        ),
        pytest.param(
            TOY_MODULES,
            [("toy.high.c", "toy.low.gone")],
            ["toy.high.c line 1: imports toy.low.gone, which does not exist"],
            id="an-import-of-nothing",
        ),
    ],
)
def test_violations_name_each_offending_import(
    modules: tuple[str, ...], edges: list[tuple[str, str]], expected: list[str]
) -> None:
    assert violations(modules, toy_imports(edges), toy_floor, TOY_NAMES) == expected


@pytest.mark.parametrize(
    ("name", "is_package", "source", "expected"),
    [
        ("toy.low.a", False, "from .b import thing\n", {"toy.low.b"}),
        ("toy.low.a", False, "from . import b\n", {"toy.low.b"}),
        ("toy.low.a", False, "from . import thing\n", {"toy.low"}),
        ("toy.low.a", False, "from ..high import c\n", {"toy.high.c"}),
        ("toy.low.a", False, "from ..high.c import x\n", {"toy.high.c"}),
        ("toy.low.a", False, "from .. import high\n", {"toy.high"}),
        ("toy.low", True, "from .a import x\nfrom ..high import c\n", {"toy.low.a", "toy.high.c"}),
        ("toy.low.a", False, "import toy.high.c\nimport os\nimport toyish\n", {"toy.high.c"}),
        ("toy.low.a", False, "def f():\n    from ..high import c\n", {"toy.high.c"}),
        (
            "toy.low.a",
            False,
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..high.c import T\n",
            {"toy.high.c"},
        ),
        (
            "toy.low.a",
            False,
            "context.set_forkserver_preload(['toy.high.c', 'os'])\n",
            {"toy.high.c"},
        ),
        ("toy.low.a", False, "importlib.import_module('toy.high')\n", {"toy.high"}),
        ("toy.low.a", False, "from __future__ import annotations\nimport json\n", set()),
    ],
)
def test_imports_are_read_wherever_they_are_written(
    name: str, is_package: bool, source: str, expected: set[str]
) -> None:
    found = imports_in(name, source, is_package, TOY_MODULES)
    assert {item.target for item in found} == expected


def test_components_are_found_in_a_long_chain_without_recursion() -> None:
    chain = {f"m{i}": {f"m{i + 1}"} for i in range(5000)}
    chain["m5000"] = {"m0"}
    assert [len(component) for component in strongly_connected(chain)] == [5001]
    chain["m5000"] = set()
    assert {len(component) for component in strongly_connected(chain)} == {1}
