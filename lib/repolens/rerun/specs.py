"""What a repository declares about its environment, read as data, in repo2docker's order.

repo2docker looks in ``binder/`` (or ``.binder/``) when it exists, else at the top of the
tree, and takes the first of: a Dockerfile, environment.yml, Pipfile (its lock first),
requirements.txt (with the static dependencies of pyproject.toml). repolens does the same
with one difference that makes it safe: nothing of the repository is built or run on the
host. A Dockerfile is reported, not built; a conda environment contributes its pip-able
parts (conda names mapped to PyPI names where one exists, the rest reported); a
requirements line that is not a plain requirement (``-e``, a path, a URL, an index
option) is reported and left out, so packages come from PyPI only; ``setup.py`` is not
run and a pyproject's project is not built (their code would run), only the
dependencies pyproject.toml lists statically are installed. Every input is a value:
``read_specification`` reads files through the safe reader, the rest are pure functions.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ..core import safeio
from ..core.tomlread import TomlError
from ..core.tomlread import loads as toml_loads

__all__ = [
    "MAX_SPEC_BYTES",
    "Requirement",
    "Specification",
    "conda_requirement",
    "environment_yml_requirements",
    "pipfile_requirements",
    "plain_requirement",
    "pyproject_requirements",
    "read_specification",
    "requirement_lines",
    "spec_folder",
]

MAX_SPEC_BYTES = 1 << 20  # a specification file larger than this is reported, not read
MAX_INCLUDES = 5  # ``-r other.txt`` followed this deep
_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
_PLAIN = re.compile(
    rf"^(?P<name>{_NAME})\s*(?:\[[A-Za-z0-9._,\s-]*\])?\s*"
    r"(?P<version>(?:(?:===|==|!=|~=|<=|>=|<|>)\s*[A-Za-z0-9.*+!_-]+\s*,?\s*)*)"
    r"(?:;\s*(?P<marker>[^#]*))?$"
)
# conda packages with another name on PyPI, and those PyPI does not have at all
CONDA_RENAMES = {
    "pytorch": "torch",
    "py-opencv": "opencv-python",
    "opencv": "opencv-python",
    "matplotlib-base": "matplotlib",
    "pytables": "tables",
    "tensorflow-gpu": "tensorflow",
    "pyqt": "PyQt5",
    "graphviz": "",
    "python-graphviz": "graphviz",
    "pywin32": "",
}
CONDA_SKIPPED = frozenset({"python", "pip", "ipykernel", "jupyter", "notebook", "jupyterlab"})
CONDA_NOT_PYPI = re.compile(
    r"^(?:r-.*|r|lib.*|cudatoolkit|cudnn|cuda-.*|nodejs|mkl|mkl-.*|openblas|blas|"
    r"_libgcc_mutex|_openmp_mutex|ca-certificates|openssl|zlib|xz|tk|ncurses|readline|"
    r"sqlite|bzip2|ld_impl_.*|gcc.*|gxx.*|gfortran.*|cmake|make|git|ffmpeg|hdf5|julia)$"
)


@dataclass(frozen=True, slots=True)
class Requirement:
    """One line of the specification: kept (``text`` is what uv installs) or left out
    (``reason`` says why)."""

    text: str
    source: str  # "requirements.txt:3"
    reason: str = ""  # empty when kept

    @property
    def kept(self) -> bool:
        return not self.reason


@dataclass(frozen=True, slots=True)
class Specification:
    """What the repository declares, in repo2docker's order, and what repolens makes of it."""

    files: tuple[str, ...]  # the files used, relative to the root
    requirements: tuple[Requirement, ...]  # kept and left out, in file order
    notes: tuple[str, ...] = ()  # "Dockerfile not built", "setup.py not run", ...

    @property
    def installed(self) -> tuple[str, ...]:
        return tuple(item.text for item in self.requirements if item.kept)

    @property
    def left_out(self) -> tuple[Requirement, ...]:
        return tuple(item for item in self.requirements if not item.kept)


def spec_folder(names: set[str]) -> str:
    """``binder/`` or ``.binder/`` when the tree has one (names at the top), else the top."""
    for folder in ("binder", ".binder"):
        if folder in names:
            return folder
    return ""


def plain_requirement(text: str) -> str | None:
    """The requirement when ``text`` is a plain PEP 508 one from an index, else None."""
    text = " ".join(text.split())
    return text if text and _PLAIN.match(text) else None


def requirement_lines(
    text: str, source: str, include: Callable[[str], str | None] | None = None, depth: int = 0
) -> Iterator[Requirement]:
    """The requirements of a pip requirements file: plain ones kept, everything that would
    need a build, a path, a URL or another index left out with a reason. ``include`` reads
    a file named by ``-r`` (None when it cannot be read)."""
    lines = text.replace("\\\n", "").splitlines()
    for number, raw in enumerate(lines, 1):
        line = re.sub(r"(^|\s)#.*$", "", raw).strip()
        if not line:
            continue
        where = f"{source}:{number}"
        option = re.match(r"^(-r|--requirement)(?:\s+|=)(\S+)$", line)
        if option and include is not None and depth < MAX_INCLUDES:
            name = option.group(2)
            included = include(name)
            if included is None:
                yield Requirement(line, where, "the included file cannot be read inside the tree")
            else:
                yield from requirement_lines(included, name, include, depth + 1)
            continue
        if line.startswith("-"):
            reason = (
                "an editable or local install needs a build: not installed"
                if line.startswith(("-e", "--editable"))
                else "an option: packages come from PyPI, as wheels"
            )
            yield Requirement(line, where, reason)
            continue
        kept = plain_requirement(line)
        if kept is None:
            yield Requirement(line, where, "not a plain requirement (a path, a URL or a VCS)")
        else:
            yield Requirement(kept, where)


def conda_requirement(entry: str, source: str) -> Requirement | None:
    """One conda dependency as a PyPI requirement (None for the interpreter and the tools
    repolens adds itself): ``numpy=1.21`` -> ``numpy==1.21.*``, ``conda-forge::x`` -> x."""
    entry = entry.strip().strip("'\"")
    entry = entry.split("::")[-1]
    match = re.match(rf"^({_NAME})\s*(.*)$", entry)
    if not match:
        return Requirement(entry, source, "not a conda package specification")
    name, version = match.group(1).lower(), match.group(2).replace(" ", "")
    if name in CONDA_SKIPPED:
        return None
    renamed = CONDA_RENAMES.get(name, name)
    if not renamed or CONDA_NOT_PYPI.match(name):
        return Requirement(entry, source, "a conda package with no PyPI distribution")
    if version.startswith("=") and not version.startswith("=="):
        number = version[1:].split("=")[0]  # a build string after a second '=' is conda's
        version = f"=={number}" if number.count(".") >= 2 or "*" in number else f"=={number}.*"
        version = version.replace(".*.*", ".*")
    text = f"{renamed}{version}"
    kept = plain_requirement(text)
    if kept is None:
        return Requirement(entry, source, "a conda version this reading cannot map")
    return Requirement(kept, source)


def environment_yml_requirements(
    text: str, source: str, include: Callable[[str], str | None] | None = None
) -> Iterator[Requirement]:
    """The dependencies of an environment.yml, read line by line (its list form is all a
    conda environment uses): conda ones mapped, the ``pip:`` list kept as requirements;
    ``include`` reads a file a ``-r`` line of that list names, beside the environment.yml
    (as conda runs pip there)."""
    section = ""
    pip_indent = -1
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split(" #")[0].rstrip()
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip())
        if indent == 0:
            section = line.split(":")[0].strip()
            pip_indent = -1
            continue
        if section != "dependencies":
            continue
        item = line.strip()
        if not item.startswith("- "):
            continue
        value = item[2:].strip()
        where = f"{source}:{number}"
        if pip_indent >= 0 and indent > pip_indent:
            yield from requirement_lines(value, where, include)
            continue
        pip_indent = -1
        if value.rstrip(":").strip() == "pip" and value.endswith(":"):
            pip_indent = indent
            continue
        converted = conda_requirement(value, where)
        if converted is not None:
            yield converted


def _pipfile_entry(name: str, value: Any, source: str) -> Requirement:
    if isinstance(value, str):
        version = "" if value.strip() == "*" else value.strip()
        text = f"{name}{version}"
    elif isinstance(value, dict):
        if any(key in value for key in ("git", "path", "file", "editable")):
            return Requirement(name, source, "a path or VCS entry needs a build: not installed")
        version = str(value.get("version", "*")).strip()
        extras = value.get("extras")
        extra = f"[{','.join(map(str, extras))}]" if isinstance(extras, list) and extras else ""
        marker = f"; {value['markers']}" if isinstance(value.get("markers"), str) else ""
        text = f"{name}{extra}{'' if version == '*' else version}{marker}"
    else:
        return Requirement(name, source, "not a Pipfile entry")
    kept = plain_requirement(text)
    return Requirement(kept, source) if kept else Requirement(text, source, "not a requirement")


def pipfile_requirements(text: str, source: str) -> Iterator[Requirement]:
    """[packages] of a Pipfile (TOML) or ``default`` of a Pipfile.lock (JSON)."""
    if source.endswith(".lock"):
        try:
            document = json.loads(text)
        except ValueError as error:
            yield Requirement("", source, f"not JSON: {error}")
            return
        packages = document.get("default") if isinstance(document, dict) else None
    else:
        try:
            document = toml_loads(text)
        except TomlError as error:
            yield Requirement("", source, f"not TOML: {error}")
            return
        packages = document.get("packages")
    if not isinstance(packages, dict):
        return
    for name, value in packages.items():
        yield _pipfile_entry(str(name), value, f"{source} [{name}]")


def pyproject_requirements(text: str, source: str) -> tuple[list[Requirement], list[str]]:
    """The dependencies pyproject.toml's [project] lists statically, and notes."""
    try:
        document = toml_loads(text)
    except TomlError as error:
        return [], [f"{source} not read: {error}"]
    project = document.get("project")
    if not isinstance(project, dict):
        return [], [f"{source} has no [project] table: its dependencies are not read"]
    notes = []
    if "dependencies" in (project.get("dynamic") or []):
        notes.append(f"{source} declares its dependencies as dynamic: they need a build to know")
    dependencies = project.get("dependencies") or []
    found = []
    for item in dependencies if isinstance(dependencies, list) else []:
        kept = plain_requirement(str(item))
        found.append(
            Requirement(kept, source)
            if kept
            else Requirement(str(item), source, "not a plain requirement (a path, a URL)")
        )
    notes.append(
        f"{source}: the project itself is not built or installed (building runs its code); "
        "its listed dependencies are"
    )
    return found, notes


def _reader(root: str, folder: str) -> Callable[[str], str | None]:
    """Reads a specification file under the root (never a link, never over the cap)."""

    def read(name: str) -> str | None:
        relative = os.path.normpath(os.path.join(folder, name))
        if relative.startswith(("..", "/")) or os.path.isabs(name):
            return None
        try:
            data = safeio.read_small_file(os.path.join(root, relative), MAX_SPEC_BYTES)
        except OSError:
            return None
        return data.decode("utf-8", "replace")

    return read


def read_specification(root: str) -> Specification:
    """What ``root`` declares, in repo2docker's order (see the module's docstring)."""
    try:
        top = set(os.listdir(root))
    except OSError:
        top = set()
    folder = spec_folder(top)
    try:
        names = set(os.listdir(os.path.join(root, folder))) if folder else top
    except OSError:
        names = set()
    read = _reader(root, folder)

    def where(name: str) -> str:
        return f"{folder}/{name}" if folder else name

    notes: list[str] = []
    if "Dockerfile" in names:
        notes.append(
            f"{where('Dockerfile')} is not built (repo2docker would use it alone); "
            "the environment comes from the other files"
        )
    for conda in ("environment.yml", "environment.yaml"):
        if conda in names:
            text = read(conda)
            if text is None:
                return Specification((where(conda),), (), (*notes, f"{where(conda)} unreadable"))
            found = tuple(environment_yml_requirements(text, where(conda), read))
            return Specification((where(conda),), found, tuple(notes))
    for pipfile in ("Pipfile.lock", "Pipfile"):
        if pipfile in names:
            text = read(pipfile)
            found = () if text is None else tuple(pipfile_requirements(text, where(pipfile)))
            return Specification((where(pipfile),), found, tuple(notes))
    files: list[str] = []
    found_list: list[Requirement] = []
    requirements = ["requirements.txt"] if "requirements.txt" in names else []
    if not requirements:
        requirements = sorted(n for n in names if re.match(r"^requirements[\w.-]*\.txt$", n))
    for name in requirements:
        text = read(name)
        if text is not None:
            files.append(where(name))
            found_list.extend(requirement_lines(text, where(name), read))
    if "pyproject.toml" in names:
        text = read("pyproject.toml")
        if text is not None:
            files.append(where("pyproject.toml"))
            more, more_notes = pyproject_requirements(text, where("pyproject.toml"))
            found_list.extend(more)
            notes.extend(more_notes)
    if "setup.py" in names:
        notes.append(
            f"{where('setup.py')} is not run (building it runs the repository's code); "
            "declare its dependencies in requirements.txt or pyproject.toml"
        )
    return Specification(tuple(files), tuple(found_list), tuple(notes))
