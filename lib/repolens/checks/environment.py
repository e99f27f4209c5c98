"""Environment checks (EN): a specification exists, declares what the code imports, pins it.

Specifications are looked for where repo2docker looks, in its order. Imports are read
from the statements of Python files and notebook code cells (``python_imports.py``: one
pass, no AST; IPython magics and shell lines blanked out). The standard library comes from
``sys.stdlib_module_names``, modules and packages of the repository itself are left out,
and import names map to distributions through ``imports.toml`` (cv2 -> opencv-python,
sklearn -> scikit-learn, ...).
"""

from __future__ import annotations

import heapq
import itertools
import re
import sys
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from ..core.findings import Finding
from ..scanning.notebooks import CELL_LIMIT
from .lexers import syntax_named, tokens
from .python_imports import MAX_IMPORTS, imports_in
from .source import Source, evidence_at, finding

__all__ = [
    "MAX_DECLARED",
    "MAX_TOML_CHARS",
    "Declared",
    "Imported",
    "add_local_names",
    "declarations",
    "distribution_of",
    "environment_findings",
    "imports_of",
    "is_requirements_file",
    "is_specification",
    "normalise",
]

# repo2docker's order: these names, at the top of the tree or in binder/ or .binder/.
SPEC_NAMES = (
    "Dockerfile",
    "environment.yml",
    "environment.yaml",
    "Pipfile",
    "Pipfile.lock",
    "requirements.txt",
    "pyproject.toml",
    "setup.py",
    "setup.cfg",
    "install.R",
    "DESCRIPTION",
    "Project.toml",
    "renv.lock",
)
MAX_DECLARED = 10_000  # dependencies read from one file; past them, a note
MAX_TOML_CHARS = 1 << 20  # a pyproject.toml or Pipfile longer than this is not parsed
_REQUIREMENTS = re.compile(r"^(?:.*/)?requirements[\w.-]*\.(?:txt|in)$")
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


@dataclass(frozen=True, slots=True)
class Imported:
    module: str  # top-level name: "cv2"
    path: str
    line: int
    cell: int | None
    text: str
    optional: bool = False  # under ``try: ... except ImportError`` (so optional everywhere)


@dataclass(frozen=True, slots=True)
class Declared:
    name: str  # normalised distribution name
    path: str
    line: int
    pinned: bool
    text: str
    application: bool = True  # an environment to install (requirements, conda, Pipfile),
    # not a library's metadata (pyproject.toml, setup.py), where ranges are right


def normalise(name: str) -> str:
    """A distribution name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


@cache
def _table() -> dict[str, object]:
    text = resources.files("repolens.checks").joinpath("imports.toml").read_text("utf-8")
    return tomllib.loads(text)


def _distributions() -> dict[str, tuple[str, ...]]:
    modules = _table()["modules"]
    assert isinstance(modules, dict)
    return {module: tuple(normalise(name) for name in names) for module, names in modules.items()}


def distribution_of(module: str) -> str:
    """The distribution to install for an import name (``cv2`` -> ``opencv-python``);
    the import name itself when ``imports.toml`` does not list it."""
    found = _distributions().get(module)
    return found[0] if found else module


def _python2_stdlib() -> frozenset[str]:
    python2 = _table().get("python2", {})
    assert isinstance(python2, dict)
    return frozenset(python2.get("stdlib", []))


def is_requirements_file(path: str) -> bool:
    """A pip requirements file anywhere: ``requirements*.txt`` (or ``.in``), or any ``.txt``
    or ``.in`` in a folder named ``requirements`` (``requirements/dev.txt``)."""
    parts = path.split("/")
    leaf = parts[-1]
    return bool(_REQUIREMENTS.match(leaf)) or (
        len(parts) > 1 and parts[-2] == "requirements" and leaf.endswith((".txt", ".in"))
    )


def is_specification(path: str) -> bool:
    """Whether a path is an environment specification repo2docker would use: at the top
    of the tree or in ``binder/`` (or a top-level ``requirements/`` folder)."""
    parts = path.split("/")
    if len(parts) == 1 or (len(parts) == 2 and parts[0] in ("binder", ".binder")):
        return parts[-1] in SPEC_NAMES or is_requirements_file(path)
    return len(parts) == 2 and is_requirements_file(path)


def imports_of(source: Source, notes: list[str] | None = None) -> Iterator[Imported]:
    """The imports a Python file or a notebook's code cells need to run (documentation
    builds under ``docs/`` are left out: their tools are not the project's dependencies).

    A cell over ``CELL_LIMIT`` is not read for imports, and a source with more than
    ``MAX_IMPORTS`` import statements is read up to there; ``notes`` says so."""
    is_python = source.path.endswith((".py", ".pyw")) or source.notebook is not None
    if not is_python or source.path.split("/", 1)[0] in ("docs", "doc"):
        return
    if source.notebook is not None:
        metadata = source.notebook.get("metadata")
        spec = metadata.get("kernelspec") if isinstance(metadata, dict) else None
        language = spec.get("language") if isinstance(spec, dict) else None
        if isinstance(language, str) and language.lower() not in ("python", "python3", ""):
            return
    is_setup = source.path.rsplit("/", 1)[-1] == "setup.py"
    for cell, code in source.code_chunks():
        if "import" not in code:
            continue
        if cell is not None and len(code) > CELL_LIMIT:
            if notes is not None:
                notes.append(
                    f"{source.path}, cell {cell + 1}: not read for imports: "
                    f"{len(code):,} characters, over the {CELL_LIMIT:,}-character cell limit"
                )
            continue
        found = imports_in(code)
        if found.stopped is not None and notes is not None:
            where = source.path if cell is None else f"{source.path}, cell {cell + 1}"
            notes.append(
                f"{where}: imports read up to line {found.stopped:,} "
                f"(the first {MAX_IMPORTS:,}); the rest were not read"
            )
        for module in sorted(found.optional):
            yield Imported(module, source.path, 0, cell, "", optional=True)
        seen: set[str] = set()
        last: tuple[int, str] = (0, "")
        for name, number, offset in found.found:
            module = name.split(".")[0]
            if module in seen or (
                is_setup and module in ("setuptools", "pkg_resources", "distutils")
            ):
                continue
            seen.add(module)  # only the first import of a module can be reported
            if last[0] != number:
                last = (number, evidence_at(code, offset))
            yield Imported(module, source.path, number, cell, last[1])


def _requirement(line: str) -> tuple[str, bool] | None:
    text = line.split("#", 1)[0].strip()
    if not text or text.startswith(("-", "git+", "http:", "https:", "file:", ".")):
        return None
    match = _NAME.match(text)
    if match is None:
        return None
    rest = text[match.end() :].strip()
    if rest.startswith("["):
        rest = rest[rest.find("]") + 1 :].strip()
    return match.group(1), bool(re.match(r"^(==|~=|>=|<=|>|<|===|!=|@|=)", rest))


def declarations(source: Source, notes: list[str] | None = None) -> Iterator[Declared]:
    """What an environment file declares (requirements, environment.yml, Pipfile,
    pyproject.toml, setup.py, setup.cfg), with whether each entry names a version: at
    most ``MAX_DECLARED`` entries, and a TOML file only up to ``MAX_TOML_CHARS`` (TOML is
    parsed whole, at about a second per MiB); ``notes`` says when either stops it."""
    for count, item in enumerate(_declarations(source, notes), 1):
        if count > MAX_DECLARED:
            if notes is not None:
                notes.append(
                    f"{source.path}: dependencies read up to line {item.line:,} "
                    f"(the first {MAX_DECLARED:,}); the rest were not read"
                )
            return
        yield item


def _declarations(source: Source, notes: list[str] | None) -> Iterator[Declared]:
    name = source.path.rsplit("/", 1)[-1]
    lines = source.lines
    if is_requirements_file(source.path):
        for number, line in enumerate(lines, 1):
            found = _requirement(line)
            if found:
                yield Declared(normalise(found[0]), source.path, number, found[1], line.strip())
    elif name in ("environment.yml", "environment.yaml"):
        section = ""
        for number, line in enumerate(lines, 1):
            if line[:1].isalpha():  # a top-level key: channels, dependencies, ...
                section = line.split(":", 1)[0].strip()
                continue
            stripped = line.strip()
            if section != "dependencies" or not stripped.startswith("- "):
                continue
            if stripped.endswith(":"):  # "- pip:" opens the pip list
                continue
            entry = stripped[2:].strip().strip("'\"")
            if "::" in entry:
                entry = entry.split("::", 1)[1]
            match = _NAME.match(entry)
            if match and match.group(1) not in ("pip", "python"):
                pinned = bool(re.search(r"[=<>]", entry[match.end() :]))
                yield Declared(normalise(match.group(1)), source.path, number, pinned, stripped)
    elif name in ("Pipfile", "pyproject.toml") and len(source.text) > MAX_TOML_CHARS:
        if notes is not None:
            notes.append(
                f"{source.path}: not read for dependencies: {len(source.text):,} characters, "
                f"over the {MAX_TOML_CHARS:,} a TOML specification is read up to"
            )
    elif name in ("Pipfile", "pyproject.toml", "setup.cfg", "setup.py"):
        yield from _declared_in_text(source, name)


def _toml_entries(table: dict[str, Any], name: str) -> Iterator[str]:
    """The requirement strings a Pipfile or a pyproject.toml declares."""
    if name == "Pipfile":
        for section in ("packages", "dev-packages"):
            for package, version in (table.get(section) or {}).items():
                pinned = isinstance(version, str) and version.strip() not in ("*", "")
                yield f"{package}{'==' if pinned else ''}"
        return
    project = table.get("project") or {}
    yield from project.get("dependencies") or []
    for extra in (project.get("optional-dependencies") or {}).values():
        yield from extra
    yield from (table.get("build-system") or {}).get("requires") or []
    for group in (table.get("dependency-groups") or {}).values():
        yield from (item for item in group if isinstance(item, str))
    poetry = ((table.get("tool") or {}).get("poetry") or {}).get("dependencies") or {}
    yield from (f"{package}==" for package in poetry if package != "python")


def _declared_in_text(source: Source, name: str) -> Iterator[Declared]:
    if name in ("Pipfile", "pyproject.toml"):
        try:
            table = tomllib.loads(source.text)
        except (tomllib.TOMLDecodeError, ValueError):
            table = {}
        entries = [
            entry
            for entry in itertools.islice(_toml_entries(table, name), MAX_DECLARED + 1)
            if isinstance(entry, str)
        ]
        del table
        wanted = {item for entry in entries for item in (entry, entry.rstrip("="))}
        where = _lines_of_values(source.text, wanted)
        for entry in entries:
            found = _requirement(entry)
            if found:
                number = where.get(entry) or where.get(entry.rstrip("=")) or 1
                yield Declared(
                    normalise(found[0]),
                    source.path,
                    number,
                    found[1],
                    entry,
                    application=name == "Pipfile",
                )
        return
    # setup.py / setup.cfg: quoted requirement strings and install_requires lines
    quoted_count = "install_requires" in source.text or name == "setup.cfg"
    for number, line in enumerate(source.lines, 1):
        for quoted in _QUOTED_REQUIREMENT.findall(line) if quoted_count else ():
            found = _requirement(quoted)
            if found:
                yield Declared(
                    normalise(found[0]), source.path, number, found[1], line.strip(), False
                )
        if name == "setup.cfg" and line.startswith((" ", "\t")):
            found = _requirement(line)
            if found:
                yield Declared(
                    normalise(found[0]), source.path, number, found[1], line.strip(), False
                )


_QUOTED_REQUIREMENT = re.compile(
    r"""["']([A-Za-z0-9][A-Za-z0-9._-]*\s*(?:\[[^\]"']*\])?\s*(?:[=<>~!]=?[^"']*)?)["']"""
)
_TOML_KEY = re.compile(r"^[ \t]*([A-Za-z0-9_.-]+)[ \t]*=", re.MULTILINE)


def _lines_of_values(text: str, wanted: set[str]) -> dict[str, int]:
    """The line each ``wanted`` string value or key of a TOML text is first written on:
    one lexer pass and one of the keys, so finding the line of every dependency costs
    the text's length once."""
    strings = (
        (token.start, text[token.start + 1 : token.end - 1])
        for token in tokens(text, syntax_named("hash"))
        if token.kind == "string"
    )
    keys = ((match.start(1), match.group(1)) for match in _TOML_KEY.finditer(text))
    lines: dict[str, int] = {}
    line, position = 1, 0
    for offset, value in heapq.merge(strings, keys):
        line += text.count("\n", position, offset)
        position = offset
        if value in wanted:
            lines.setdefault(value, line)
    return lines


def add_local_names(path: str, names: set[str]) -> None:
    """Add the module and package names a path provides (its folders, a module file)."""
    parts = path.split("/")
    names.update(parts[:-1])
    leaf = parts[-1]
    if leaf.endswith((".py", ".pyw", ".pyx", ".so", ".pyd")):
        names.add(leaf.split(".", 1)[0])


def _local_names(paths: Iterable[str]) -> set[str]:
    """Module and package names the repository provides itself."""
    names: set[str] = set()
    for path in paths:
        add_local_names(path, names)
    return names


def environment_findings(
    paths: Iterable[str],
    code_files: int,
    specifications: list[str],
    imported: list[Imported],
    declared: list[Declared],
    local_names: set[str] | None = None,
) -> Iterator[Finding]:
    """EN001 when nothing is declared at all; else EN002 per undeclared module (at its first
    import) and EN003 per dependency without a version."""
    if code_files and not specifications:
        yield finding(
            "EN001",
            "",
            f"{code_files:,} Python, R or Julia script{'s' if code_files != 1 else ''} or "
            f"notebook{'s' if code_files != 1 else ''}, but no requirements.txt, "
            "environment.yml, Pipfile, pyproject.toml, setup.py or Dockerfile.",
            fix="Write requirements.txt with the packages the code imports (pipreqs lists "
            "them), pinned to the versions you used.",
        )
        return
    if not specifications:
        return
    declared_names = {item.name for item in declared}
    optional = {item.module for item in imported if item.optional}
    imported = [item for item in imported if not item.optional]
    local = local_names if local_names is not None else _local_names(paths)
    stdlib = set(sys.stdlib_module_names) | {"__future__"} | _python2_stdlib()
    table = _distributions()
    reported: set[str] = set()
    for item in sorted(imported, key=lambda i: (i.path, -1 if i.cell is None else i.cell, i.line)):
        module = item.module
        if module in reported or module in stdlib or module in local or module in optional:
            continue
        if module.startswith("_") or module.endswith(("_pb2", "_pb2_grpc")):  # generated
            continue
        candidates = table.get(module, (normalise(module),))
        if declared_names.intersection(candidates) or normalise(module) in declared_names:
            continue
        reported.add(module)
        distribution = distribution_of(module)
        target = specifications[0]
        yield finding(
            "EN002",
            item.path,
            f"imports {module}"
            + (f" (distribution {distribution})" if distribution != module else "")
            + f", which {', '.join(specifications[:3])} "
            + ("does" if len(specifications) == 1 else "do")
            + " not declare.",
            evidence=item.text,
            line=item.line,
            cell=item.cell,
            fix=f"Add {distribution} to {target}"
            + (
                " (with the version you use: pip show " + distribution + ")."
                if target.endswith(".txt")
                else "."
            ),
        )
    for item in declared:
        if not item.pinned and item.application:
            yield finding(
                "EN003",
                item.path,
                f"{item.text.split('#')[0].strip().lstrip('- ')} names no version.",
                evidence=item.text,
                line=item.line,
                fix=f"Pin it: {item.text.split()[0]}==<the version you use> (pip freeze shows it).",
            )
