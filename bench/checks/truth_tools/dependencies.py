"""Environment truth (EN001-EN003): what the code imports, what the files declare.

Imports: ``ast`` over every Python file and every code cell of a Python notebook (shell and
magic lines blanked), outside ``docs/``. An import under ``try: ... except ImportError``
(or ``ModuleNotFoundError``, ``Exception``, a bare ``except``) or ``if TYPE_CHECKING:`` is
optional in that file only. Relative imports are local.

A module is the repository's own when a module or package of that name lies in the
importing file's folder or any folder above it, in ``src/``, or anywhere in the tree when
the importing file edits ``sys.path``; or when a file of the repository writes it at run
time (``open('name.py', 'w')``, a notebook's ``%%file name.py``).

The standard library is ``sys.stdlib_module_names``, Python 2's modules, and, in a
MicroPython or CircuitPython tree (its code imports ``machine``, ``utime``, ``board``,
``micropython`` ...), that firmware's built-in modules. In a notebook, ``IPython`` and
``ipykernel`` come with the kernel that runs it.

Declared: requirements files anywhere (``-r`` includes followed inside the tree), setup.py
(``ast``: install_requires, extras_require, tests_require), setup.cfg (configparser),
pyproject.toml (PEP 621 with extras, dependency-groups, build-system, poetry), Pipfile,
environment.yml (conda names mapped: pytorch -> torch, ...); a metapackage declares its
members (jupyter: notebook, nbconvert, ipykernel, ipywidgets, ...). Any other dependency
of a declared distribution does not declare it (deptry's DEP003: a transitive dependency
can go away with the next release of what brings it). A module is declared when the
distribution that provides it is: ``importlib.metadata.packages_distributions()`` of this
environment, and a table below of distributions whose import name differs from their
name (each read off the distribution's own top_level.txt or RECORD).

A notebook that installs a distribution itself (``%pip install x``, ``!pip install x``)
declares it for that notebook; EN004: such a notebook, when the repository declares not
all it installs (one problem per notebook, at its first install line).

EN001: Python, R or Julia code and none of repo2docker's files at the top or in binder/.
EN002: one problem per module imported (not optionally) and not declared; any import of it
is the place. EN003: a requirement of an environment to install (requirements files,
environment.yml, Pipfile) that names no version (a ``git+`` URL without ``@ref`` neither).
deptry's DEP001 list is recorded beside, as a cross-check.
"""

from __future__ import annotations

import ast
import configparser
import importlib.metadata
import json
import re
import subprocess
import sys
import tempfile
import tomllib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from .common import Expected, Place, code_cells, is_python_notebook, read_notebook, read_text

__all__ = ["dependency_truth", "deptry_missing"]

REPO2DOCKER = (
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
# import name -> distributions (PEP 503 names), read off each distribution's top_level.txt.
DISTRIBUTIONS = {
    "cv2": ("opencv-python", "opencv-contrib-python", "opencv-python-headless", "opencv"),
    "sklearn": ("scikit-learn",),
    "skimage": ("scikit-image",),
    "PIL": ("pillow",),
    "yaml": ("pyyaml",),
    "bs4": ("beautifulsoup4",),
    "dateutil": ("python-dateutil",),
    "dotenv": ("python-dotenv",),
    "pylab": ("matplotlib",),
    "mpl_toolkits": ("matplotlib",),
    "skopt": ("scikit-optimize",),
    "ax": ("ax-platform",),
    "paho": ("paho-mqtt",),
    "serial": ("pyserial",),
    "usb": ("pyusb",),
    "attr": ("attrs",),
    "google": ("protobuf", "google-api-python-client", "google-auth", "google-cloud-storage"),
    "googleapiclient": ("google-api-python-client",),
    "gym": ("gym", "gymnasium"),
    "jwt": ("pyjwt",),
    "OpenSSL": ("pyopenssl",),
    "Crypto": ("pycryptodome",),
    "git": ("gitpython",),
    "zmq": ("pyzmq",),
    "tensorflow_datasets": ("tensorflow-datasets",),
    "tensorflow_hub": ("tensorflow-hub",),
    "tensorflow_addons": ("tensorflow-addons",),
    "tensorflow_probability": ("tensorflow-probability",),
    "tensorflow_serving": ("tensorflow-serving-api",),
    "grpc": ("grpcio",),
    "pkg_resources": ("setuptools",),
    "IPython": ("ipython",),
    "tables": ("tables",),
    "umap": ("umap-learn",),
    "osgeo": ("gdal",),
    "gspread_dataframe": ("gspread-dataframe",),
    "smbus2": ("smbus2",),
    "smbus": ("smbus", "smbus2"),
    "RPi": ("rpi-gpio",),
    "pyvisa": ("pyvisa",),
    "discord": ("discord-py",),
    "oauth2client": ("oauth2client",),
    "pytorch_lightning": ("pytorch-lightning",),
    "lightning": ("lightning",),
    "omegaconf": ("omegaconf",),
    "taming": ("taming-transformers",),
    "clip": ("clip",),
    "transformers": ("transformers",),
    "mpl_toolkits.basemap": ("basemap",),
    "nbformat": ("nbformat",),
    "jupyter_core": ("jupyter-core",),
    "docutils": ("docutils",),
    "sphinx": ("sphinx",),
    "cvxpy": ("cvxpy",),
    "Bio": ("biopython",),
    "numba": ("numba",),
    "scipy": ("scipy",),
    "sympy": ("sympy",),
    "qutip": ("qutip",),
}
CONDA_TO_PYPI = {
    "pytorch": "torch",
    "pytables": "tables",
    "py-opencv": "opencv-python",
    "matplotlib-base": "matplotlib",
    "pytorch-lightning": "pytorch-lightning",
    "cudatoolkit": "cudatoolkit",
    "python-graphviz": "graphviz",
    "tensorflow-gpu": "tensorflow",
}
PYTHON2 = frozenset(
    [
        "__builtin__",
        "BaseHTTPServer",
        "CGIHTTPServer",
        "ConfigParser",
        "Cookie",
        "DocXMLRPCServer",
        "HTMLParser",
        "Queue",
        "ScrolledText",
        "SimpleHTTPServer",
        "SimpleXMLRPCServer",
        "SocketServer",
        "StringIO",
        "Tix",
        "Tkinter",
        "UserDict",
        "UserList",
        "UserString",
        "anydbm",
        "cPickle",
        "cStringIO",
        "commands",
        "cookielib",
        "copy_reg",
        "dbhash",
        "dummy_thread",
        "exceptions",
        "htmlentitydefs",
        "httplib",
        "md5",
        "mimetools",
        "new",
        "robotparser",
        "sets",
        "sha",
        "thread",
        "tkFileDialog",
        "tkMessageBox",
        "urllib2",
        "urlparse",
        "xmlrpclib",
    ]
)
# A metapackage declares what it exists to bring (jupyter's own Requires-Dist).
METAPACKAGES = {
    "jupyter": (
        "notebook",
        "jupyter-console",
        "nbconvert",
        "ipykernel",
        "ipywidgets",
        "jupyterlab",
    ),
}
# In a notebook, the kernel that runs it provides these.
KERNEL = frozenset({"IPython", "ipykernel"})
MICROPYTHON = frozenset(
    [
        "machine",
        "utime",
        "ujson",
        "uos",
        "usys",
        "uasyncio",
        "micropython",
        "network",
        "pyb",
        "esp",
        "esp32",
        "rp2",
        "framebuf",
        "uselect",
        "ustruct",
        "ucollections",
        "uerrno",
        "uio",
        "ubinascii",
        "uhashlib",
        "urandom",
        "ure",
        "usocket",
        "ussl",
        "utimeq",
        "uzlib",
        "bluetooth",
        "ubluetooth",
        "neopixel",
        "dht",
        "onewire",
        "ds18x20",
        "btree",
        "cryptolib",
        "gc",
        "array",
        "uarray",
        "lcd160cr",
        "pycom",
        "board",
        "digitalio",
        "analogio",
        "busio",
        "microcontroller",
        "supervisor",
        "wifi",
        "socketpool",
        "displayio",
        "pwmio",
        "pyboard",
        "upip",
        "uctypes",
        "uheapq",
        "uplatform",
        "webrepl",
        "ntptime",
        "mip",
        "asyncio",
    ]
)
_FIRMWARE_MARKERS = frozenset(
    {"machine", "utime", "micropython", "pyb", "board", "uasyncio", "digitalio"}
)
_MAGIC = re.compile(r"^\s*[%!?]")
_OPTIONAL = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})
_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$")


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Import:
    module: str
    place: Place
    optional: bool
    edits_path: bool


class _Visitor(ast.NodeVisitor):
    def __init__(self) -> None:
        self.found: list[tuple[str, int, bool]] = []
        self._optional = 0

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.found.append((alias.name.split(".")[0], node.lineno, self._optional > 0))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level == 0 and node.module:
            self.found.append((node.module.split(".")[0], node.lineno, self._optional > 0))

    def visit_Try(self, node: ast.Try) -> None:
        guarded = any(_catches(handler) for handler in node.handlers)
        self._optional += guarded
        for child in node.body:
            self.visit(child)
        self._optional -= guarded
        for child in (*node.handlers, *node.orelse, *node.finalbody):
            self.visit(child)

    visit_TryStar = visit_Try

    def visit_If(self, node: ast.If) -> None:
        test = node.test
        name = test.id if isinstance(test, ast.Name) else getattr(test, "attr", None)
        if name == "TYPE_CHECKING":
            for child in node.orelse:
                self.visit(child)
            return
        self.generic_visit(node)


def _catches(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(
        (k.id if isinstance(k, ast.Name) else getattr(k, "attr", "")) in _OPTIONAL for k in kinds
    )


def _parse_imports(code: str) -> list[tuple[str, int, bool]] | None:
    lines = ["" if _MAGIC.match(line) else line for line in code.split("\n")]
    if lines and lines[0].lstrip().startswith("%%"):
        return []
    try:
        tree = ast.parse("\n".join(lines))
    except (SyntaxError, ValueError, RecursionError):
        return None
    visitor = _Visitor()
    visitor.visit(tree)
    return visitor.found


def imports(root: Path, files: list[str]) -> Iterator[Import]:
    for path in files:
        if path.split("/", 1)[0] in ("docs", "doc"):
            continue
        chunks: list[tuple[int | None, str]] = []
        if path.endswith((".py", ".pyw")):
            text = read_text(root, path)
            chunks = [(None, text)] if text is not None else []
        elif path.endswith(".ipynb"):
            notebook = read_notebook(root, path)
            if notebook is not None and is_python_notebook(notebook):
                chunks = [(index, cell.get("source", "")) for index, cell in code_cells(notebook)]
        edits = any("sys.path" in code for _, code in chunks)
        for cell, code in chunks:
            for module, line, optional in _parse_imports(code) or []:
                if path.endswith("setup.py") and module in (
                    "setuptools",
                    "distutils",
                    "pkg_resources",
                ):
                    continue
                yield Import(module, Place(path, line, cell), optional, edits)


def _local(
    module: str, importer: str, files: set[str], folders: set[str], anywhere: set[str], edits: bool
) -> bool:
    parts = importer.split("/")[:-1]
    bases = ["/".join(parts[:depth]) for depth in range(len(parts), -1, -1)] + ["src"]
    for base in bases:
        prefix = f"{base}/" if base else ""
        if (
            f"{prefix}{module}.py" in files
            or f"{prefix}{module}" in folders
            or f"{prefix}{module}.so" in files
        ):
            return True
    return edits and module in anywhere


def _declared_requirements(
    root: Path, path: str, seen: set[str]
) -> Iterator[tuple[str, int, str, bool]]:
    """``(name, line, text, pinned)`` of a requirements file, ``-r`` includes followed."""
    if path in seen or len(seen) > 50:
        return
    seen.add(path)
    text = read_text(root, path)
    if text is None:
        return
    for number, line in enumerate(text.split("\n"), 1):
        entry = line.split(" #", 1)[0].strip()
        if entry.startswith("#") or not entry:
            continue
        if entry.startswith(("-r ", "-c ", "--requirement ")):
            target = entry.split(None, 1)[1].strip()
            included = "/".join([*path.split("/")[:-1], target])
            if ".." not in included.split("/"):
                yield from _declared_requirements(root, included, seen)
            continue
        if entry.startswith("-"):
            continue
        if "git+" in entry or entry.startswith(("http:", "https:")):
            name = re.search(r"#egg=([\w.-]+)", entry)
            url = entry.split("#", 1)[0]
            pinned = bool(re.search(r"@[0-9a-f]{7,40}$|@v?\d", url.rsplit("/", 1)[-1]))
            yield (
                (
                    name.group(1)
                    if name
                    else url.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")
                ),
                number,
                line.strip(),
                pinned,
            )
            continue
        match = _REQUIREMENT.match(entry.split(";", 1)[0])
        if match:
            yield (
                match.group(1),
                number,
                line.strip(),
                bool(re.match(r"\s*(==|~=|>=|<=|>|<|===|!=|@)", match.group(3))),
            )


def _literal_strings(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return [s for item in node.elts for s in _literal_strings(item)]
    if isinstance(node, ast.Dict):
        return [s for item in node.values if item is not None for s in _literal_strings(item)]
    return []


def _setup_py(text: str) -> list[str]:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return []
    assigned = {}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
        ):
            assigned[node.targets[0].id] = node.value
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg in (
            "install_requires",
            "extras_require",
            "tests_require",
            "setup_requires",
        ):
            value = node.value
            if isinstance(value, ast.Name) and value.id in assigned:
                value = assigned[value.id]
            found += _literal_strings(value)
    return found


def declared(root: Path, files: list[str]) -> tuple[set[str], list[tuple[str, str, int, str]]]:
    """Every distribution declared anywhere (PEP 503 names), and the unpinned entries of
    environments to install ``(path, name, line, text)``."""
    names: set[str] = set()
    unpinned: list[tuple[str, str, int, str]] = []
    for path in files:
        leaf = path.rsplit("/", 1)[-1]
        parts = path.split("/")
        text = None
        if re.match(r"^requirements[\w.-]*\.(txt|in)$", leaf) or (
            len(parts) > 1 and parts[-2] == "requirements" and leaf.endswith((".txt", ".in"))
        ):
            for name, line, entry, pinned in _declared_requirements(root, path, set()):
                names.add(normalise(name))
                if not pinned and not entry.startswith(("-r", "-c")):
                    unpinned.append((path, name, line, entry))
        elif leaf == "setup.py" and (text := read_text(root, path)):
            names.update(
                normalise(m.group(1)) for s in _setup_py(text) if (m := _REQUIREMENT.match(s))
            )
        elif leaf == "setup.cfg" and (text := read_text(root, path)):
            parser = configparser.ConfigParser(interpolation=None)
            try:
                parser.read_string(text)
            except configparser.Error:
                continue
            for section, key in (
                ("options", "install_requires"),
                ("options", "tests_require"),
                ("options", "setup_requires"),
            ):
                for entry in parser.get(section, key, fallback="").split("\n"):
                    if match := _REQUIREMENT.match(entry.strip()):
                        names.add(normalise(match.group(1)))
            if parser.has_section("options.extras_require"):
                for _, value in parser.items("options.extras_require"):
                    for entry in value.split("\n"):
                        if match := _REQUIREMENT.match(entry.strip()):
                            names.add(normalise(match.group(1)))
        elif leaf in ("pyproject.toml", "Pipfile") and (text := read_text(root, path)):
            try:
                table = tomllib.loads(text)
            except tomllib.TOMLDecodeError:
                continue
            project = table.get("project", {})
            entries = list(project.get("dependencies", []))
            for extra in project.get("optional-dependencies", {}).values():
                entries += extra
            for group in table.get("dependency-groups", {}).values():
                entries += [item for item in group if isinstance(item, str)]
            entries += table.get("build-system", {}).get("requires", [])
            poetry = table.get("tool", {}).get("poetry", {})
            entries += list(poetry.get("dependencies", {}))
            for group in poetry.get("group", {}).values():
                entries += list(group.get("dependencies", {}))
            for section in ("packages", "dev-packages"):
                for name, version in table.get(section, {}).items():
                    entries.append(name)
                    if leaf == "Pipfile" and version in ("*", ""):
                        unpinned.append((path, name, 1, f"{name} = {version!r}"))
            names.update(
                normalise(m.group(1))
                for e in entries
                if isinstance(e, str) and (m := _REQUIREMENT.match(e))
            )
        elif leaf in ("environment.yml", "environment.yaml") and (text := read_text(root, path)):
            try:
                document = yaml.safe_load(text)
            except yaml.YAMLError:
                continue
            lines = text.split("\n")
            for item in (document or {}).get("dependencies", []) or []:
                entries = item.get("pip", []) if isinstance(item, dict) else [item]
                for entry in entries:
                    entry = str(entry)
                    match = _REQUIREMENT.match(entry.split("::")[-1])
                    if not match:
                        continue
                    name = CONDA_TO_PYPI.get(match.group(1).lower(), match.group(1))
                    names.add(normalise(name))
                    if "git+" in entry:
                        names.add(
                            normalise(entry.rsplit("#egg=", 1)[-1])
                            if "#egg=" in entry
                            else normalise(
                                entry.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")
                            )
                        )
                    rest = match.group(3)
                    if match.group(1).lower() in ("python", "pip"):
                        continue
                    if not re.search(r"[=<>@]", rest) and not (
                        "git+" in entry and "@" in entry.rsplit("/", 1)[-1]
                    ):
                        line = next(
                            (n for n, text_line in enumerate(lines, 1) if entry in text_line), 1
                        )
                        unpinned.append((path, match.group(1), line, entry))
    return names, unpinned


def _run_time_modules(root: Path, files: list[str]) -> set[str]:
    """Modules the repository's own code writes at run time: ``open('x.py', 'w')`` in code,
    ``%%file x.py`` or ``%%writefile x.py`` in a notebook."""
    written: set[str] = set()
    for path in files:
        if path.endswith((".py", ".ipynb")) and (text := read_text(root, path)):
            written.update(re.findall(r"""open\(\s*["']([A-Za-z_]\w*)\.py["']\s*,\s*["']w""", text))
            written.update(re.findall(r"%%(?:write)?file\s+(?:-a\s+)?([A-Za-z_]\w*)\.py", text))
    return written


_INSTALL = re.compile(
    r"^\s*[!%]\s*(?:python3?\s+-m\s+)?(?:pip3?|conda|mamba)\s+install\b([^\n]*)", re.MULTILINE
)


def notebook_installs(root: Path, files: list[str]) -> dict[str, tuple[Place, list[str]]]:
    """What each Python notebook installs itself (``%pip install x``, ``!pip install x``):
    the first such line, and the distributions its install lines name."""
    found: dict[str, tuple[Place, list[str]]] = {}
    for path in files:
        if not path.endswith(".ipynb"):
            continue
        notebook = read_notebook(root, path)
        if notebook is None or not is_python_notebook(notebook):
            continue
        for index, cell in code_cells(notebook):
            source = cell.get("source", "")
            for match in _INSTALL.finditer(source):
                words = re.split(r"&&|;|\||#", match.group(1), maxsplit=1)[0].split()
                names, skip = [], False
                for word in words:
                    if skip:
                        skip = False
                    elif word in ("-r", "-c", "-e", "-i", "-f", "-t", "--index-url", "--target"):
                        skip = True
                    elif not word.startswith(("-", ".", "/", "$", "{", "git+", "http")):
                        name = re.match(r"^['\"]?([A-Za-z0-9][A-Za-z0-9._-]*)", word)
                        if name:
                            names.append(normalise(name.group(1)))
                if names:
                    line = source.count("\n", 0, match.start()) + 1
                    place, known = found.get(path, (Place(path, line, index), []))
                    found[path] = (place, known + [n for n in names if n not in known])
    return found


def deptry_missing(root: Path, files: list[str]) -> dict[str, object]:
    """deptry's DEP001 (missing) modules, as a cross-check; deptry reads pyproject.toml's
    [project] (or poetry, pdm) or the requirements files it is given, nothing else."""
    requirements = [
        p for p in files if re.match(r"^requirements[\w.-]*\.txt$", p.rsplit("/", 1)[-1])
    ]
    command = [sys.executable, "-m", "deptry", ".", "--no-ansi"]
    if requirements:
        command += ["--requirements-files", ",".join(requirements)]
    with tempfile.TemporaryDirectory() as scratch:
        output = Path(scratch) / "deptry.json"
        ran = subprocess.run(
            [*command, "--json-output", str(output)], capture_output=True, timeout=600, cwd=root
        )
        try:
            issues = json.loads(output.read_text())
        except (OSError, ValueError):
            last = ran.stderr.decode(errors="replace").strip().split("\n")[-1]
            return {"ran": False, "why": last[:200]}
    missing = sorted({item["module"] for item in issues if item["error"]["code"] == "DEP001"})
    return {"ran": True, "requirements_files": requirements, "DEP001": missing}


def dependency_truth(root: Path, files: list[str]) -> Iterator[Expected]:
    code = [path for path in files if path.lower().endswith((".py", ".pyw", ".ipynb", ".r", ".jl"))]
    specs = [
        path
        for path in files
        if path in REPO2DOCKER
        or (
            path.split("/")[0] in ("binder", ".binder")
            and path.count("/") == 1
            and path.split("/")[1] in REPO2DOCKER
        )
    ]
    if not code:
        return
    names, unpinned = declared(root, files) if specs else (set(), [])
    installs = notebook_installs(root, files)
    undeclared = _undeclared(root, files, names, installs)
    if not specs:
        distributions = sorted(DISTRIBUTIONS.get(module, (module,))[0] for module in undeclared)
        yield Expected(
            "EN001",
            (Place(""),),
            f"{len(code)} code files, none of repo2docker's files at the top or in binder/",
            extra={"distributions": distributions},
        )
        return
    for path, _name, line, entry in unpinned:
        yield Expected("EN003", (Place(path, line),), f"requirement without a version: {entry!r}")
    every = set(names)
    for meta, members in METAPACKAGES.items():
        if meta in every:
            every |= set(members)
    for _path, (place, installed) in sorted(installs.items()):
        missing = [name for name in installed if name not in every]
        if missing:
            yield Expected("EN004", (place,), f"the notebook installs {', '.join(missing)} itself")
    for module, where in sorted(undeclared.items()):
        yield Expected(
            "EN002",
            tuple(where),
            f"ast: imported in {len(where)} place(s), declared nowhere",
            key=module,
        )


def _undeclared(
    root: Path,
    files: list[str],
    names: set[str],
    installs: dict[str, tuple[Place, list[str]]] | None = None,
) -> dict[str, list[Place]]:
    """Third-party modules imported (not optionally) that ``names`` does not declare."""
    file_set = set(files)
    folders = {"/".join(p.split("/")[:d]) for p in files for d in range(1, p.count("/") + 1)}
    anywhere = {p.rsplit("/", 1)[-1].removesuffix(".py") for p in files if p.endswith(".py")}
    anywhere |= {f.rsplit("/", 1)[-1] for f in folders}
    found = list(imports(root, files))
    firmware = any(item.module in _FIRMWARE_MARKERS for item in found)
    stdlib = (
        set(sys.stdlib_module_names)
        | {"__future__"}
        | PYTHON2
        | (MICROPYTHON if firmware else set())
    )
    runtime = _run_time_modules(root, files)
    for meta, members in METAPACKAGES.items():
        if meta in names:
            names = names | set(members)
    environment = importlib.metadata.packages_distributions()
    places: dict[str, list[Place]] = defaultdict(list)
    for item in found:
        module = item.module
        if item.optional or module in stdlib or module in runtime or module.startswith("_"):
            continue
        if module in KERNEL and item.place.cell is not None:
            continue
        if module.endswith(("_pb2", "_pb2_grpc")):
            continue
        if _local(module, item.place.path, file_set, folders, anywhere, item.edits_path):
            continue
        candidates = {normalise(module), *DISTRIBUTIONS.get(module, ())}
        candidates |= {normalise(d) for d in environment.get(module, [])}
        if names & {normalise(c) for c in candidates}:
            continue
        own = (installs or {}).get(item.place.path)
        if own is not None and set(own[1]) & {normalise(c) for c in candidates}:
            continue  # the notebook installs it itself (EN004 says so)
        places[module].append(item.place)
    return dict(places)
