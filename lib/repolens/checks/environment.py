"""Environment checks (EN): a specification exists, declares what the code imports, pins it.

Specifications are looked for where repo2docker looks, in its order. Imports are read
from the statements of Python files and notebook code cells (``python_imports.py``: one
pass, no AST; IPython magics and shell lines blanked out); what environment files declare
is read by ``declarations.py``; which distribution provides a module comes from
``distributions.py`` (distributions' own metadata, a curated table, and the environment
repolens runs in).

An import is not the repository's concern when it is:

- the standard library (this Python's, Python 2's, and in a MicroPython or CircuitPython
  tree, whose code imports ``machine``, ``utime``, ``board``, ... or holds boot.py or
  code.py, that firmware's built-in modules);
- the repository's own: a module or package in the importing file's folder or a folder
  above it, at the top, in ``src/``, in a folder with a setup.py, setup.cfg or
  pyproject.toml (and its ``src/``), anywhere when the importing file edits ``sys.path``;
  or a module some file writes at run time (``open('name.py', 'w')``, a notebook's
  ``%%file name.py``);
- guarded (``try: ... except ImportError``) in that file;
- in a notebook, what the kernel brings (IPython, ipykernel), or what the notebook installs
  itself (``%pip install x``, ``!pip install x``: EN004 notes that instead).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..core.findings import Finding
from ..scanning.notebooks import CELL_LIMIT
from .board import board_files, for_the_board
from .declarations import Declared, Include, is_requirements_file, read_declarations
from .distributions import installed_version, normalise, tables
from .python_imports import MAX_IMPORTS, imports_in
from .source import Source, evidence_at, finding

__all__ = [
    "MAX_DECLARED",
    "MAX_TOML_CHARS",
    "Declared",
    "Imported",
    "Include",
    "SourceFacts",
    "Tree",
    "declarations",
    "distribution_of",
    "environment_findings",
    "imports_of",
    "is_requirements_file",
    "is_specification",
    "source_facts",
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
# The order a fix looks for the file the environment is built from (repo2docker's: a
# Dockerfile only when it installs packages itself; then conda, Pipfile, pip).
_BUILT_FROM = (
    "Dockerfile",
    "environment.yml",
    "environment.yaml",
    "Pipfile",
    "requirements.txt",
    "setup.py",
    "setup.cfg",
    "pyproject.toml",
)
MAX_DECLARED = 10_000  # dependencies read from one file; past them, a note
MAX_TOML_CHARS = 1 << 20  # a pyproject.toml or Pipfile longer than this is not parsed
_PIP_INSTALL = re.compile(
    r"^[^\S\n]*(?:[!%]\s*)?(?:python3?\s+-m\s+)?(?:pip3?|conda|mamba)\s+install\b([^\n]*)",
    re.MULTILINE,
)
_WRITTEN = re.compile(
    r"""open\(\s*[rbfu]?["']([A-Za-z_]\w*)\.py["']\s*,\s*["'][wax]"""
    r"""|%%(?:write)?file\s+(?:-a\s+)?([A-Za-z_]\w*)\.py"""
    r"""|["']([A-Za-z_]\w*)\.py["']\s*\)\s*\.write_text"""
)
_EDITS_PATH = re.compile(r"\bsys\.path\s*(?:\.\s*(?:append|insert|extend)\b|\+?=)")


@dataclass(frozen=True, slots=True)
class Imported:
    module: str  # top-level name: "cv2"
    path: str
    line: int
    cell: int | None
    text: str
    optional: bool = False  # under ``try: ... except ImportError``: optional in this file


@dataclass(frozen=True)
class SourceFacts:
    """What one source says about its own imports beyond the import statements."""

    path: str
    edits_path: bool = False  # sys.path.append(...): a module may come from anywhere
    written: frozenset[str] = frozenset()  # modules it writes at run time
    installs: tuple[tuple[int | None, int, tuple[str, ...]], ...] = ()  # (cell, line, names)


@dataclass
class Tree:
    """What the whole tree tells EN002, gathered as records stream by."""

    provided: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    package_roots: set[str] = field(default_factory=set)
    firmware: bool = False  # boot.py or code.py somewhere, or a firmware import
    facts: dict[str, SourceFacts] = field(default_factory=dict)

    def add_path(self, path: str) -> None:
        """Record the module and packages a path provides, folder by folder."""
        parts = path.split("/")
        leaf = parts[-1]
        if leaf in ("setup.py", "setup.cfg", "pyproject.toml"):
            self.package_roots.add("/".join(parts[:-1]))
        if leaf in ("boot.py", "code.py"):
            self.firmware = True
        for depth in range(len(parts) - 1):
            self.provided["/".join(parts[:depth])].add(parts[depth])
        if leaf.endswith((".py", ".pyw", ".pyx", ".so", ".pyd", ".pyi")):
            self.provided["/".join(parts[:-1])].add(leaf.split(".", 1)[0])

    def is_local(self, module: str, path: str, board: bool = False) -> bool:
        """Whether ``module`` is the repository's own for the file at ``path``; ``board``:
        the file runs on a microcontroller, which also imports from ``lib/`` beside it and
        in the folders above it (the board's root)."""
        folder = path.rsplit("/", 1)[0] if "/" in path else ""
        facts = self.facts.get(path)
        if facts is not None and facts.edits_path:
            return any(module in names for names in self.provided.values())
        places = {"", "src"}
        parts = folder.split("/") if folder else []
        places.update("/".join(parts[:depth]) for depth in range(len(parts) + 1))
        if board:
            places.update("/".join([*parts[:depth], "lib"]) for depth in range(len(parts) + 1))
        for root in self.package_roots:
            places.update((root, f"{root}/src" if root else "src"))
        return any(module in self.provided.get(place, ()) for place in places)

    def written(self) -> set[str]:
        return {name for facts in self.facts.values() for name in facts.written}


def distribution_of(module: str) -> str:
    """The distribution to install for an import name (``cv2`` -> ``opencv-python``);
    the import name itself when no distribution is known to provide it."""
    found = tables().distributions(module)
    return found[0] if found else module


def is_specification(path: str) -> bool:
    """Whether a path is an environment specification repo2docker would use: at the top
    of the tree or in ``binder/`` (or a top-level ``requirements/`` folder)."""
    parts = path.split("/")
    if len(parts) == 1 or (len(parts) == 2 and parts[0] in ("binder", ".binder")):
        return parts[-1] in SPEC_NAMES or is_requirements_file(path)
    return len(parts) == 2 and is_requirements_file(path)


def source_facts(source: Source) -> SourceFacts | None:
    """Whether a Python source or notebook edits sys.path, which modules it writes, and
    (a notebook) what it installs itself; None when it says none of these."""
    text = source.text
    if not ("sys.path" in text or ".py" in text or "install" in text):
        return None
    written = frozenset(
        next(name for name in match.groups() if name) for match in _WRITTEN.finditer(text)
    )
    installs = []
    if source.notebook is not None:
        for cell, code in source.code_chunks():
            if "install" not in code:
                continue
            for match in _PIP_INSTALL.finditer(code):
                names = _installed_names(match.group(1))
                if names:
                    line = code.count("\n", 0, match.start()) + 1
                    installs.append((cell, line, names))
    facts = SourceFacts(source.path, _EDITS_PATH.search(text) is not None, written, tuple(installs))
    return facts if facts.edits_path or facts.written or facts.installs else None


def _installed_names(arguments: str) -> tuple[str, ...]:
    """The distributions an install command names (options, files and URLs left out)."""
    names = []
    words = re.split(r"\s+", re.split(r"&&|;|\||#", arguments, maxsplit=1)[0].strip())
    skip = False
    for word in words:
        if skip:
            skip = False
            continue
        if word in (
            "-r",
            "-c",
            "-e",
            "-i",
            "--index-url",
            "--extra-index-url",
            "-f",
            "--target",
            "-t",
            "-c",
        ):
            skip = True
            continue
        if not word or word.startswith(("-", ".", "/", "$", "{", "git+", "http")):
            continue
        match = re.match(r"^['\"]?([A-Za-z0-9][A-Za-z0-9._-]*)", word)
        if match:
            names.append(normalise(match.group(1)))
    return tuple(names)


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


def declarations(source: Source, notes: list[str] | None = None) -> Iterator[Declared | Include]:
    """What an environment file declares, with whether each entry names a version: at
    most ``MAX_DECLARED`` entries, and a TOML file only up to ``MAX_TOML_CHARS``;
    ``notes`` says when either stops it. A Dockerfile declares what it installs itself."""
    name = source.path.rsplit("/", 1)[-1]
    if name in ("Pipfile", "pyproject.toml") and len(source.text) > MAX_TOML_CHARS:
        if notes is not None:
            notes.append(
                f"{source.path}: not read for dependencies: {len(source.text):,} characters, "
                f"over the {MAX_TOML_CHARS:,} a TOML specification is read up to"
            )
        return
    found = (
        _dockerfile(source)
        if name == "Dockerfile"
        else read_declarations(source.path, source.text, notes)
    )
    for count, item in enumerate(found, 1):
        if count > MAX_DECLARED:
            if notes is not None:
                notes.append(
                    f"{source.path}: dependencies read up to line {item.line:,} "
                    f"(the first {MAX_DECLARED:,}); the rest were not read"
                )
            return
        yield item


def _dockerfile(source: Source) -> Iterator[Declared]:
    """The distributions a Dockerfile installs by name (``pip install x``, ``conda install
    x``), not through a file (``-r requirements.txt``, ``.``)."""
    text = re.sub(r"\\\r?\n", " ", source.text)  # continued lines, one
    for number, line in enumerate(text.split("\n"), 1):
        for match in _PIP_INSTALL.finditer(line.replace("RUN ", "", 1)):
            for name in _installed_names(match.group(1)):
                yield Declared(
                    name, source.path, number, False, line.strip()[:120], False, "main", "docker"
                )


def _built_from(specifications: list[str], declared: list[Declared]) -> str:
    """The file the environment is built from, as repo2docker chooses (binder/ first; a
    Dockerfile only when it installs packages itself)."""
    installs = {item.path for item in declared if item.syntax == "docker"}
    binder = [path for path in specifications if path.startswith(("binder/", ".binder/"))]
    candidates = binder or [path for path in specifications if "/" not in path]
    by_name = {path.rsplit("/", 1)[-1]: path for path in candidates}
    for name in _BUILT_FROM:
        path = by_name.get(name)
        if path is not None and (name != "Dockerfile" or path in installs):
            return path
    requirements = [path for path in specifications if is_requirements_file(path)]
    return (requirements or candidates or specifications)[0]


def _add_line(target: str, distribution: str, declared: list[Declared]) -> str:
    """The exact change that declares ``distribution`` in ``target``, in its syntax."""
    name = target.rsplit("/", 1)[-1]
    syntaxes = {item.syntax for item in declared if item.path == target}
    if name == "Dockerfile":
        return f"Add the line `RUN pip install {distribution}` to {target}."
    if name in ("environment.yml", "environment.yaml"):
        if "pip" in syntaxes:
            return f"Add the line `- {distribution}` to the pip list of {target}."
        named = next(
            (conda for conda, pypi in tables().conda.items() if pypi == distribution),
            distribution,
        )
        return f"Add the line `- {named}` to the dependencies of {target}."
    if name == "Pipfile":
        return f'Add the line `{distribution} = "*"` to [packages] in {target}.'
    if name == "setup.py":
        return f'Add "{distribution}" to install_requires in {target}.'
    if name == "setup.cfg":
        return f"Add the line `    {distribution}` to install_requires in [options] of {target}."
    if name == "pyproject.toml":
        if "poetry" in syntaxes:
            return f'Add the line `{distribution} = "*"` to [tool.poetry.dependencies] in {target}.'
        return f'Add "{distribution}" to dependencies in [project] of {target}.'
    return f"Add the line `{distribution}` to {target}."


def _pinned_line(item: Declared) -> str | None:
    """EN003's fix: the entry written with a version, in its file's syntax; None when no
    version belongs there."""
    requirement = item.requirement
    if item.syntax == "conda":
        version = installed_version(item.name)
        short = ".".join(version.split(".")[:2]) if version else "<version>"
        head = item.text.lstrip("- ").split()[0].split("=")[0]
        return f"Pin it: write `- {head}={short}` on line {item.line} of {item.path}" + _whence(
            version
        )
    if requirement is None:
        return None
    if requirement.url:
        base = requirement.url.split("#", 1)
        egg = f"#{base[1]}" if len(base) > 1 else ""
        return (
            f"Pin a commit: write `{base[0]}@<commit>{egg}` on line {item.line} of {item.path} "
            "(the commit you ran: git rev-parse HEAD in its clone)."
        )
    version = installed_version(requirement.name)
    shown = version or "<version>"
    if item.syntax == "pipfile":
        line = f'{requirement.name} = "=={shown}"'
    else:
        line = f"{requirement.name}{requirement.extras}=={shown}"
        if requirement.marker:
            line += f"; {requirement.marker}"
        if item.text.startswith("- "):
            line = f"- {line}"
    return f"Pin it: write `{line}` on line {item.line} of {item.path}" + _whence(version)


def _whence(version: str | None) -> str:
    if version:
        return " (the version installed where repolens ran: put the one you used)."
    return " (put the version you used in place of <version>: pip show or conda list)."


def environment_findings(
    code_files: int,
    specifications: list[str],
    imported: list[Imported],
    declared: list[Declared],
    tree: Tree | None = None,
) -> Iterator[Finding]:
    """EN001 when nothing is declared at all; else EN002 per undeclared module (at its first
    import), EN003 per dependency of an environment without a version, and EN004 per
    notebook that installs what the repository does not declare."""
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
    tree = tree or Tree()
    table = tables()
    names = {item.name for item in declared}
    for meta, members in table.metapackages.items():
        if meta in names:
            names.update(members)
    target = _built_from(specifications, declared)
    yield from _undeclared(imported, names, tree, target, declared, specifications)
    yield from _installed_in_notebooks(tree, names, target)
    for item in declared:
        if not item.pinned and item.application and item.syntax != "docker":
            fix = _pinned_line(item)
            if fix is None:
                continue
            yield finding(
                "EN003",
                item.path,
                f"{item.text.split(' #')[0].strip().lstrip('- ')} names no version.",
                evidence=item.text,
                line=item.line,
                fix=fix,
            )


def _undeclared(
    imported: list[Imported],
    names: set[str],
    tree: Tree,
    target: str,
    declared: list[Declared],
    specifications: list[str],
) -> Iterator[Finding]:
    table = tables()
    stdlib = table.stdlib
    firmware = tree.firmware or any(item.module in table.firmware_markers for item in imported)
    if firmware:
        stdlib = stdlib | table.firmware
    optional = {(item.path, item.module) for item in imported if item.optional}
    written = tree.written()
    installed = {
        path: {name for _cell, _line, found in facts.installs for name in found}
        for path, facts in tree.facts.items()
        if facts.installs
    }
    # What only a board has: the markers, CircuitPython's built-ins and the firmware's
    # modules CPython lacks (network, ujson, urequests, ...).
    board_only = table.firmware_markers | table.board | (table.firmware - table.stdlib)
    built_in_on_board = table.board | table.board_shared
    on_board = board_files(
        [(item.path, item.module) for item in imported if item.cell is None], board_only
    )
    reported: set[tuple[str, bool]] = set()  # (module, on a board): a board and its host
    # each get their own finding
    for item in sorted(
        (item for item in imported if not item.optional),
        key=lambda i: (i.path, -1 if i.cell is None else i.cell, i.line),
    ):
        module = item.module
        board = item.path in on_board
        if (module, board) in reported or module in stdlib or module in written:
            continue
        if board and module in built_in_on_board:
            continue
        if (item.path, module) in optional or module.startswith("_"):
            continue
        if module.endswith(("_pb2", "_pb2_grpc")):  # generated
            continue
        if item.cell is not None and module in table.kernel:
            continue
        candidates = {normalise(module), *table.distributions(module)}
        if names & candidates or installed.get(item.path, set()) & candidates:
            continue
        if tree.is_local(module, item.path, board):
            continue
        reported.add((module, board))
        finding_ = _undeclared_finding(item, target, declared, specifications)
        yield for_the_board(finding_, module, target) if board else finding_


def _undeclared_finding(
    item: Imported, target: str, declared: list[Declared], specifications: list[str]
) -> Finding:
    table = tables()
    module = item.module
    known = table.distributions(module)
    files = ", ".join(specifications[:3])
    verb = "does" if len(specifications) == 1 else "do"
    if known or table.is_known(module):
        distribution = known[0] if known else normalise(module)
        shown = f" (distribution {distribution})" if distribution != normalise(module) else ""
        return finding(
            "EN002",
            item.path,
            f"imports {module}{shown}, which {files} {verb} not declare.",
            evidence=item.text,
            line=item.line,
            cell=item.cell,
            fix=_add_line(target, distribution, declared),
        )
    return finding(
        "EN002",
        item.path,
        f"imports {module}, which {files} {verb} not declare; no known distribution "
        f"provides `{module}`: a local module missing from the repository?",
        evidence=item.text,
        line=item.line,
        cell=item.cell,
        fix=f"If {module} is this repository's own module, add the missing file; if it is a "
        f"distribution, add its name to {target}.",
    )


def _installed_in_notebooks(tree: Tree, names: set[str], target: str) -> Iterator[Finding]:
    """EN004: a notebook that installs, for itself, what the repository does not declare."""
    for path, facts in sorted(tree.facts.items()):
        missing: list[str] = []
        first: tuple[int | None, int] | None = None
        for cell, line, found in facts.installs:
            new = [name for name in found if name not in names and name not in missing]
            if new and first is None:
                first = (cell, line)
            missing += new
        if first is None:
            continue
        cell, line = first
        shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
        yield finding(
            "EN004",
            path,
            f"installs {shown} itself (cell {(cell or 0) + 1}): declared for this notebook "
            "only, not for the repository.",
            line=line,
            cell=cell,
            fix=f"Declare {shown} in {target} too (the install line may stay, for Colab).",
        )
