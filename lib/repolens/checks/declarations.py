"""What an environment file declares: every file a builder reads, each in its own syntax.

- requirements files (``requirements*.txt``, ``*.in``, anything under ``requirements/``):
  one requirement a line (PEP 508, or a ``git+`` URL with ``#egg=``); ``-r``/``-c``
  includes are returned as ``Include`` and read by the caller (bounded, inside the tree);
- ``environment.yml``: conda packages (named as PyPI names them: pytorch -> torch) and
  its ``pip:`` list;
- ``Pipfile``: ``[packages]`` and ``[dev-packages]``;
- ``pyproject.toml``: PEP 621 dependencies and extras, ``[dependency-groups]``, Poetry's
  dependencies and groups, PDM's and Hatch's development dependencies;
- ``setup.py``: the ``setup()`` call read with ``ast`` (a file of at most ``AST_LIMIT``
  bytes; longer ones by their quoted requirement strings): install_requires,
  extras_require, tests_require, setup_requires, through module-level names too;
- ``setup.cfg``: ``[options]`` install_requires, tests_require, setup_requires and
  ``[options.extras_require]``.

TOML goes through the bounded reader (``core.tomlread``). Each entry says whether it names
a version, the line it stands on, whether it belongs to an environment to install (an
application: requirements, conda, Pipfile) or to a library's metadata (where ranges are
right), and whether it is for development and tests only.
"""

from __future__ import annotations

import ast
import heapq
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..core import tomlread
from .distributions import normalise, tables
from .lexers import syntax_named, tokens

__all__ = [
    "AST_LIMIT",
    "Declared",
    "Include",
    "Requirement",
    "is_requirements_file",
    "parse_requirement",
    "read_declarations",
]

AST_LIMIT = 64 << 10  # setup.py parsed whole up to this size (ast costs ~220 bytes a byte)
_REQUIREMENTS = re.compile(r"^(?:.*/)?requirements[\w.-]*\.(?:txt|in)$")
_PEP508 = re.compile(
    r"^\s*(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?P<extras>\[[^\]]*\])?\s*"
    r"(?P<spec>(?:===|==|~=|!=|<=|>=|<|>|=)[^;@]*|@\s*\S+)?\s*(?:;(?P<marker>.*))?$"
)
_EGG = re.compile(r"#egg=([A-Za-z0-9][A-Za-z0-9._-]*)")
_URL_REF = re.compile(r"^(?:git|hg|svn|bzr)\+\w+://[^#]*?\.?[^/#]*@[^/#]+")
_DEV_NAMES = re.compile(r"^(?:dev|develop|development|test|tests|testing|lint|docs?|doc)$", re.I)
_INCLUDE = re.compile(r"^\s*(?:-r|-c|--requirement|--constraint)(?:\s*=\s*|\s+)(\S+)")
_SETUP_KEYS = ("install_requires", "tests_require", "setup_requires", "extras_require")


@dataclass(frozen=True, slots=True)
class Requirement:
    """One requirement line, taken apart."""

    name: str  # as written; "" when the line names no distribution
    extras: str = ""
    spec: str = ""  # "==1.2", "@ https://...", "" for none
    marker: str = ""
    url: str = ""  # a VCS or archive URL the line installs from

    @property
    def pinned(self) -> bool:
        if self.url:
            return _URL_REF.match(self.url) is not None
        return bool(self.spec)


@dataclass(frozen=True, slots=True)
class Declared:
    name: str  # normalised distribution name
    path: str
    line: int
    pinned: bool
    text: str  # the entry as written
    application: bool = True  # an environment to install, not a library's metadata
    scope: str = "main"  # "main", or "dev" (development and tests)
    syntax: str = "pip"  # how the file writes it: pip, conda, pipfile
    requirement: Requirement | None = None


@dataclass(frozen=True, slots=True)
class Include:
    """A ``-r`` or ``-c`` line: another requirements file, relative to this one."""

    path: str
    line: int
    target: str


def _parsed(
    found: Requirement,
    path: str,
    line: int,
    text: str,
    application: bool,
    scope: str,
    syntax: str = "pip",
) -> Declared:
    """A dependency read from a requirement parsed out of ``text`` (one written as a PEP 508
    string, in whichever file)."""
    return Declared(
        normalise(found.name), path, line, found.pinned, text, application, scope, syntax, found
    )


def is_requirements_file(path: str) -> bool:
    """A pip requirements file anywhere: ``requirements*.txt`` (or ``.in``), or any ``.txt``
    or ``.in`` in a folder named ``requirements`` (``requirements/dev.txt``)."""
    parts = path.split("/")
    leaf = parts[-1]
    return bool(_REQUIREMENTS.match(leaf)) or (
        len(parts) > 1 and parts[-2] == "requirements" and leaf.endswith((".txt", ".in"))
    )


def parse_requirement(text: str) -> Requirement | None:
    """A requirement (PEP 508, or a VCS URL with ``#egg=``), or None for what is none: a
    blank, a comment, an option, a local path."""
    text = re.split(r"(?:^|\s)#(?!egg=)", text, maxsplit=1)[0].strip()
    if not text or text.startswith(("-", ".", "/", "file:")):
        if text.startswith(("-e ", "--editable")) and "+" in text.split()[-1]:
            return _url_requirement(text.split()[-1])
        return None
    if re.match(r"^(?:git|hg|svn|bzr)\+|^https?://", text):
        return _url_requirement(text)
    match = _PEP508.match(text)
    if match is None:
        return None
    spec = (match.group("spec") or "").strip()
    url = spec[1:].strip() if spec.startswith("@") else ""
    return Requirement(
        match.group("name"),
        match.group("extras") or "",
        "" if url else spec,
        (match.group("marker") or "").strip(),
        url,
    )


def _url_requirement(url: str) -> Requirement | None:
    egg = _EGG.search(url)
    name = egg.group(1) if egg else url.rstrip("/").split("#")[0].rsplit("/", 1)[-1]
    name = name.split("@")[0].removesuffix(".git")
    return Requirement(name, url=url) if re.match(r"^[A-Za-z0-9][\w.-]*$", name) else None


def _requirements(path: str, text: str) -> Iterator[Declared | Include]:
    scope = (
        "dev" if re.search(r"(?:^|[/_.-])(?:dev|test|tests|testing|lint|docs?)\b", path) else "main"
    )
    for number, line in enumerate(text.split("\n"), 1):
        include = _INCLUDE.match(line)
        if include is not None:
            yield Include(path, number, include.group(1))
            continue
        found = parse_requirement(line)
        if found is not None:
            yield _parsed(found, path, number, line.strip(), True, scope)


def _environment_yml(path: str, text: str) -> Iterator[Declared]:
    """Conda's dependencies (by their PyPI names) and the ``pip:`` list under them."""
    conda = tables().conda
    section, pip_indent = "", -1
    for number, line in enumerate(text.split("\n"), 1):
        if line[:1].isalpha():  # a top-level key: channels, dependencies, ...
            section, pip_indent = line.split(":", 1)[0].strip(), -1
            continue
        stripped = line.strip()
        if section != "dependencies" or not stripped.startswith("- "):
            continue
        indent = len(line) - len(line.lstrip())
        if stripped.rstrip().endswith(":"):  # "- pip:" opens the pip list
            pip_indent = indent if stripped[2:].strip().startswith("pip") else -1
            continue
        entry = stripped[2:].split(" #", 1)[0].strip().strip("'\"")
        if pip_indent >= 0 and indent > pip_indent:
            found = parse_requirement(entry)
            if found is not None:
                yield _parsed(found, path, number, stripped, True, "main")
            continue
        pip_indent = -1
        if "::" in entry:
            entry = entry.split("::", 1)[1]
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(.*)$", entry)
        if match is None or match.group(1) in ("pip", "python"):
            continue
        name = normalise(match.group(1))
        pinned = bool(re.match(r"^[=<>!~]", match.group(2).strip()))
        yield Declared(conda.get(name, name), path, number, pinned, stripped, True, "main", "conda")


def _toml_entries(table: dict[str, Any], name: str) -> Iterator[tuple[str, str, str]]:
    """``(requirement text, scope, syntax)`` of what a Pipfile or a pyproject.toml declares."""

    def named(section: Any, scope: str, syntax: str) -> Iterator[tuple[str, str, str]]:
        if isinstance(section, dict):
            for package, version in section.items():
                if package == "python" or not isinstance(package, str):
                    continue
                pinned = isinstance(version, str) and version.strip() not in ("*", "")
                pinned = pinned or (isinstance(version, dict) and "version" in version)
                yield f"{package}{'==' if pinned else ''}", scope, syntax

    def listed(section: Any, scope: str) -> Iterator[tuple[str, str, str]]:
        if isinstance(section, list):
            yield from ((item, scope, "pip") for item in section if isinstance(item, str))

    if name == "Pipfile":
        yield from named(table.get("packages"), "main", "pipfile")
        yield from named(table.get("dev-packages"), "dev", "pipfile")
        return
    project = table.get("project") or {}
    if isinstance(project, dict):
        yield from listed(project.get("dependencies"), "main")
        extras = project.get("optional-dependencies") or {}
        for extra, items in extras.items() if isinstance(extras, dict) else ():
            yield from listed(items, "dev" if _DEV_NAMES.match(str(extra)) else "main")
    build = table.get("build-system") or {}
    if isinstance(build, dict):
        yield from listed(build.get("requires"), "dev")
    groups = table.get("dependency-groups") or {}
    for items in groups.values() if isinstance(groups, dict) else ():
        yield from listed(items, "dev")
    tool = table.get("tool") or {}
    tool = tool if isinstance(tool, dict) else {}
    poetry = tool.get("poetry") or {}
    if isinstance(poetry, dict):
        yield from named(poetry.get("dependencies"), "main", "poetry")
        yield from named(poetry.get("dev-dependencies"), "dev", "poetry")
        poetry_groups = poetry.get("group") or {}
        for group in poetry_groups.values() if isinstance(poetry_groups, dict) else ():
            if isinstance(group, dict):
                yield from named(group.get("dependencies"), "dev", "poetry")
    pdm = tool.get("pdm") or {}
    pdm_dev = pdm.get("dev-dependencies") if isinstance(pdm, dict) else None
    for items in pdm_dev.values() if isinstance(pdm_dev, dict) else ():
        yield from listed(items, "dev")
    hatch = tool.get("hatch") or {}
    environments = hatch.get("envs") if isinstance(hatch, dict) else None
    for environment in environments.values() if isinstance(environments, dict) else ():
        if isinstance(environment, dict):
            yield from listed(environment.get("dependencies"), "dev")
            yield from listed(environment.get("extra-dependencies"), "dev")


def _toml(path: str, text: str, name: str, notes: list[str] | None) -> Iterator[Declared]:
    try:
        table = tomlread.loads(text)
    except tomlread.TomlError as error:
        if notes is not None:
            notes.append(f"{path}: not read for dependencies: {error}")
        return
    entries = list(_toml_entries(table, name))
    del table
    wanted = {item for entry, _, _ in entries for item in (entry, entry.rstrip("="))}
    where = _lines_of_values(text, wanted)
    for entry, scope, syntax in entries:
        found = parse_requirement(entry)
        if found is not None:
            number = where.get(entry) or where.get(entry.rstrip("=")) or 1
            yield _parsed(found, path, number, entry, name == "Pipfile", scope, syntax)


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


def _setup_cfg(path: str, text: str) -> Iterator[Declared]:
    """``[options]`` and ``[options.extras_require]``: values over indented lines."""
    section, key = "", ""
    for number, line in enumerate(text.split("\n"), 1):
        comment = line.lstrip().startswith(("#", ";"))
        stripped = "" if comment else re.split(r"\s#", line, maxsplit=1)[0]
        if line.startswith("["):
            section, key = line.strip().strip("[]").strip(), ""
            continue
        if not stripped.strip():
            continue
        if not line[:1].isspace():
            key, _, value = stripped.partition("=")
            key = key.strip()
        else:
            value = stripped
        wanted = (
            section == "options" and key in _SETUP_KEYS[:3]
        ) or section == "options.extras_require"
        if not wanted:
            continue
        scope = (
            "dev" if key in ("tests_require", "setup_requires") or _DEV_NAMES.match(key) else "main"
        )
        found = parse_requirement(value.strip())
        if found is not None:
            yield _parsed(found, path, number, line.strip(), False, scope)


def _literal_strings(
    node: ast.AST, names: dict[str, ast.AST], depth: int = 0
) -> Iterator[ast.Constant]:
    """The string constants of a list, tuple, dict of lists or a name bound to one."""
    if depth > 8:
        return
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node
    elif isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        for item in node.elts:
            yield from _literal_strings(item, names, depth + 1)
    elif isinstance(node, ast.Dict):
        for item in node.values:
            yield from _literal_strings(item, names, depth + 1)
    elif isinstance(node, ast.Name) and node.id in names:
        yield from _literal_strings(names[node.id], names, depth + 1)
    elif isinstance(node, ast.BinOp):
        yield from _literal_strings(node.left, names, depth + 1)
        yield from _literal_strings(node.right, names, depth + 1)


def _setup_py(path: str, text: str) -> Iterator[Declared]:
    """The requirements of the ``setup()`` call, read with ``ast``."""
    try:
        module = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        yield from _quoted_requirements(path, text)
        return
    names: dict[str, ast.AST] = {}
    for statement in module.body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target = statement.targets[0]
            if isinstance(target, ast.Name):
                names[target.id] = statement.value
    for node in ast.walk(module):
        if not isinstance(node, ast.Call):
            continue
        function = node.func
        called = function.id if isinstance(function, ast.Name) else getattr(function, "attr", "")
        if called != "setup":
            continue
        for keyword in node.keywords:
            if keyword.arg not in _SETUP_KEYS:
                continue
            scope = "main" if keyword.arg in ("install_requires", "extras_require") else "dev"
            for constant in _literal_strings(keyword.value, names):
                found = parse_requirement(constant.value)
                if found is not None:
                    yield _parsed(found, path, constant.lineno, constant.value, False, scope)


_QUOTED = re.compile(
    r"""["']([A-Za-z0-9][A-Za-z0-9._-]*\s*(?:\[[^\]"']*\])?\s*(?:[=<>~!]=?[^"']*)?)["']"""
)


def _quoted_requirements(path: str, text: str) -> Iterator[Declared]:
    """A setup.py too long (or not valid) for ``ast``: its quoted requirement strings, when
    it has ``install_requires`` at all."""
    if "install_requires" not in text:
        return
    for number, line in enumerate(text.split("\n"), 1):
        for quoted in _QUOTED.findall(line):
            found = parse_requirement(quoted)
            if found is not None:
                yield _parsed(found, path, number, quoted, False, "main")


def read_declarations(
    path: str, text: str, notes: list[str] | None = None
) -> Iterator[Declared | Include]:
    """What the environment file at ``path`` declares (and the files it includes)."""
    name = path.rsplit("/", 1)[-1]
    if is_requirements_file(path):
        yield from _requirements(path, text)
    elif name in ("environment.yml", "environment.yaml"):
        yield from _environment_yml(path, text)
    elif name in ("Pipfile", "pyproject.toml"):
        yield from _toml(path, text, name, notes)
    elif name == "setup.cfg":
        yield from _setup_cfg(path, text)
    elif name == "setup.py":
        if len(text) <= AST_LIMIT:
            yield from _setup_py(path, text)
        else:
            if notes is not None:
                notes.append(
                    f"{path}: {len(text):,} characters, over the {AST_LIMIT:,} setup.py is "
                    "parsed up to: read by its quoted requirement strings"
                )
            yield from _quoted_requirements(path, text)


def read_included(path: str, text: str) -> Iterator[Declared | Include]:
    """A file a ``-r``/``-c`` line names, read as a requirements file whatever its name."""
    yield from _requirements(path, text)
