"""Environment checks (EN): a specification exists, declares what the code imports, pins it.

Specifications are looked for where repo2docker looks, in its order. Imports are read
with ``ast`` from Python files and notebook code cells (IPython magics and shell lines
blanked out). The standard library comes from ``sys.stdlib_module_names``, modules and
packages of the repository itself are left out, and import names map to distributions
through ``imports.toml`` (cv2 -> opencv-python, sklearn -> scikit-learn, ...).
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources

from .model import Finding
from .source import Source, finding

__all__ = [
    "Declared",
    "Imported",
    "declarations",
    "environment_findings",
    "imports_of",
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
_REQUIREMENTS = re.compile(r"^(?:.*/)?requirements[\w.-]*\.(?:txt|in)$")
_MAGIC = re.compile(r"^\s*[%!?]")
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


@dataclass(frozen=True, slots=True)
class Imported:
    module: str  # top-level name: "cv2"
    path: str
    line: int
    cell: int | None
    text: str


@dataclass(frozen=True, slots=True)
class Declared:
    name: str  # normalised distribution name
    path: str
    line: int
    pinned: bool
    text: str


def normalise(name: str) -> str:
    """A distribution name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


@cache
def _distributions() -> dict[str, tuple[str, ...]]:
    text = resources.files("repolens.checks").joinpath("imports.toml").read_text("utf-8")
    table = tomllib.loads(text)["modules"]
    return {module: tuple(normalise(name) for name in names) for module, names in table.items()}


def is_specification(path: str) -> bool:
    """Whether a path is an environment specification repo2docker would use: at the top
    of the tree or in ``binder/`` (or a ``requirements/`` folder of requirement files)."""
    parts = path.split("/")
    leaf = parts[-1]
    if len(parts) == 1 or (len(parts) == 2 and parts[0] in ("binder", ".binder")):
        return leaf in SPEC_NAMES or bool(_REQUIREMENTS.match(leaf))
    return len(parts) == 2 and parts[0] == "requirements" and leaf.endswith((".txt", ".in"))


def _parse(code: str) -> ast.AST | None:
    lines = ["" if _MAGIC.match(line) else line for line in code.split("\n")]
    if lines and lines[0].lstrip().startswith("%%"):
        return None  # a cell magic: not Python
    try:
        return ast.parse("\n".join(lines))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def imports_of(source: Source) -> Iterator[Imported]:
    """Absolute imports in a Python file or a notebook's code cells."""
    is_python = source.path.endswith((".py", ".pyw")) or source.notebook is not None
    if not is_python:
        return
    if source.notebook is not None:
        metadata = source.notebook.get("metadata")
        spec = metadata.get("kernelspec") if isinstance(metadata, dict) else None
        language = spec.get("language") if isinstance(spec, dict) else None
        if isinstance(language, str) and language.lower() not in ("python", "python3", ""):
            return
    for cell, code in source.code_chunks():
        tree = _parse(code)
        if tree is None:
            continue
        lines = code.split("\n")
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                text = lines[node.lineno - 1].strip() if node.lineno <= len(lines) else ""
                yield Imported(name.split(".")[0], source.path, node.lineno, cell, text[:160])


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


def declarations(source: Source) -> Iterator[Declared]:
    """What an environment file declares (requirements, environment.yml, Pipfile,
    pyproject.toml, setup.py, setup.cfg), with whether each entry names a version."""
    name = source.path.rsplit("/", 1)[-1]
    lines = source.lines()
    if _REQUIREMENTS.match(name) or source.path.startswith("requirements/"):
        for number, line in enumerate(lines, 1):
            found = _requirement(line)
            if found:
                yield Declared(normalise(found[0]), source.path, number, found[1], line.strip())
    elif name in ("environment.yml", "environment.yaml"):
        for number, line in enumerate(lines, 1):
            stripped = line.strip()
            if not stripped.startswith("- ") or stripped.endswith(":"):
                continue
            entry = stripped[2:].strip().strip("'\"")
            if "::" in entry:
                entry = entry.split("::", 1)[1]
            match = _NAME.match(entry)
            if match and match.group(1) not in ("pip", "python", "conda-forge", "defaults"):
                pinned = bool(re.search(r"[=<>]", entry[match.end() :]))
                yield Declared(normalise(match.group(1)), source.path, number, pinned, stripped)
            elif match and match.group(1) in ("pip", "python"):
                continue
    elif name in ("Pipfile", "pyproject.toml", "setup.cfg", "setup.py"):
        yield from _declared_in_text(source, name)


def _declared_in_text(source: Source, name: str) -> Iterator[Declared]:
    if name in ("Pipfile", "pyproject.toml"):
        try:
            table = tomllib.loads(source.text)
        except (tomllib.TOMLDecodeError, ValueError):
            table = {}
        entries: list[str] = []
        if name == "Pipfile":
            for section in ("packages", "dev-packages"):
                for package, version in (table.get(section) or {}).items():
                    pinned = isinstance(version, str) and version.strip() not in ("*", "")
                    entries.append(f"{package}{'==' if pinned else ''}")
        else:
            project = table.get("project") or {}
            entries.extend(project.get("dependencies") or [])
            for extra in (project.get("optional-dependencies") or {}).values():
                entries.extend(extra)
            poetry = ((table.get("tool") or {}).get("poetry") or {}).get("dependencies") or {}
            entries.extend(f"{package}==" for package in poetry if package != "python")
        for entry in entries:
            if isinstance(entry, str):
                found = _requirement(entry)
                if found:
                    yield Declared(normalise(found[0]), source.path, 1, found[1], entry)
        return
    # setup.py / setup.cfg: quoted requirement strings and install_requires lines
    for number, line in enumerate(source.lines(), 1):
        for quoted in re.findall(
            r"""["']([A-Za-z0-9][A-Za-z0-9._-]*\s*(?:\[[^\]]*\])?\s*(?:[=<>~!]=?[^"']*)?)["']""",
            line,
        ):
            found = _requirement(quoted)
            if found and ("install_requires" in source.text or name == "setup.cfg"):
                yield Declared(normalise(found[0]), source.path, number, found[1], line.strip())
        if name == "setup.cfg" and line.startswith((" ", "\t")):
            found = _requirement(line)
            if found:
                yield Declared(normalise(found[0]), source.path, number, found[1], line.strip())


def _local_names(paths: Iterable[str]) -> set[str]:
    """Module and package names the repository provides itself."""
    names: set[str] = set()
    for path in paths:
        parts = path.split("/")
        for part in parts[:-1]:
            names.add(part)
        leaf = parts[-1]
        if leaf.endswith((".py", ".pyw", ".pyx", ".so", ".pyd")):
            names.add(leaf.split(".", 1)[0])
    return names


def environment_findings(
    paths: Iterable[str],
    code_files: int,
    specifications: list[str],
    imported: list[Imported],
    declared: list[Declared],
) -> Iterator[Finding]:
    """EN001 when nothing is declared at all; else EN002 per undeclared module (at its first
    import) and EN003 per dependency without a version."""
    if code_files and not specifications:
        yield finding(
            "EN001",
            "",
            f"{code_files:,} code file{'s' if code_files != 1 else ''} or notebook"
            f"{'s' if code_files != 1 else ''}, but no requirements.txt, environment.yml, "
            "Pipfile, pyproject.toml, setup.py or Dockerfile.",
            fix="Write requirements.txt with the packages the code imports (pipreqs lists "
            "them), pinned to the versions you used.",
        )
        return
    if not specifications:
        return
    declared_names = {item.name for item in declared}
    local = _local_names(paths)
    stdlib = set(sys.stdlib_module_names) | {"__future__"}
    table = _distributions()
    reported: set[str] = set()
    for item in sorted(imported, key=lambda i: (i.path, -1 if i.cell is None else i.cell, i.line)):
        module = item.module
        if module in reported or module in stdlib or module in local or module.startswith("_"):
            continue
        candidates = table.get(module, (normalise(module),))
        if declared_names.intersection(candidates) or normalise(module) in declared_names:
            continue
        reported.add(module)
        distribution = table[module][0] if module in table else module
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
        if not item.pinned:
            yield finding(
                "EN003",
                item.path,
                f"{item.text} names no version.",
                evidence=item.text,
                line=item.line,
                fix=f"Pin it: {item.text.split()[0]}==<the version you use> (pip freeze shows it).",
            )
