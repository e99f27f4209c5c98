"""Is a finding's fix right? Apply it literally to a scratch copy and check again.

"A fix is right when applying it literally removes the finding and breaks nothing."
Fixes of these kinds are mechanical and are applied here, as written:

- EN002 "Add the line `<line>` to <where>" or 'Add "<dist>" to <where>': the line added
  where it says (a requirements file or Dockerfile, an environment.yml's dependencies or
  pip list, a Pipfile or pyproject table, setup.cfg's install_requires, setup.py's
  install_requires list, pyproject's [project] dependencies).
- EN003 "Pin it: write `<line>` on line N of <file>" (or "Pin a commit: ..."): the line
  replaced by the fix's text, <version> as 1.0 and <commit> as a commit id.
- EN004 "Declare <dists> in <file> too": each added as a line of that file.
- EN001 "Write requirements.txt ...": requirements.txt with the distributions of the code's
  third-party imports (from the truth file).
- AS003 'git lfs track "<pattern>"': ``<pattern> filter=lfs diff=lfs merge=lfs -text`` in
  .gitattributes.
- JU001 "Delete it ... and add <glob> to .gitignore": the file or folder deleted (and
  removed from git's index), the glob added.
- DU001 "Keep <first> and remove the other copies": the other copies deleted.
  DU002 "Keep either <archive> or the unpacked files": the archive deleted.
- NB005 clear outputs; NB006 delete the empty cells; NB007 write a python3 kernelspec;
  NB009 move the import lines into the first code cell (nbformat).
- FI001-FI003: README.md, LICENSE or CITATION.cff written.

Then ``repolens check`` runs on the copy: right when no finding of the same problem is left
and no new error appears, and when what the fix wrote is still valid (a pinned line parses
as a requirement; a removed copy or archive is named by no text file of the tree). Other
fixes are prose (rerun the notebook, revoke a key, build the path from the project root):
they are judged by reading, and the verdict is kept in the truth file's ``fixes``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from scoring import finding_key, matches, place_key

__all__ = ["MECHANICAL", "FixVerdict", "judge_fix", "run_check"]


@dataclass(frozen=True)
class FixVerdict:
    verdict: str  # right | wrong | unjudged
    how: str  # applied | read | not judged
    reason: str


class NotApplicable(Exception):
    """The fix cannot be applied literally as written: that makes it wrong."""


def run_check(tree: Path) -> list[dict[str, Any]]:
    """``repolens check --format json`` on a tree: its findings."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "repolens",
            "check",
            str(tree),
            "--format",
            "json",
            "--fail-on",
            "never",
        ],
        capture_output=True,
        timeout=1800,
    )
    if result.returncode != 0:
        raise RuntimeError(f"repolens check failed on {tree}: {result.stderr.decode()[-300:]}")
    return json.loads(result.stdout)["findings"]


def _git(root: Path, *args: str) -> None:
    environment = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
    subprocess.run(
        ["git", "-C", str(root), "-c", "core.hooksPath=/dev/null", *args],
        capture_output=True,
        env=environment,
    )


def _inside(root: Path, path: str) -> Path:
    target = (root / path).resolve()
    if root.resolve() not in target.parents and target != root.resolve():
        raise NotApplicable(f"{path} is outside the tree")
    return target


def _append_line(root: Path, path: str, line: str) -> None:
    target = _inside(root, path)
    text = target.read_text("utf-8", "replace") if target.exists() else ""
    if text and not text.endswith("\n"):
        text += "\n"
    target.write_text(text + line + "\n", "utf-8")


_ADD = re.compile(
    r"^Add (?:the line `(?P<line>[^`]*)`|\"(?P<quoted>[^\"]+)\") to (?P<where>.+?)\.$"
)


def _insert_after(lines: list[str], index: int, text: str) -> None:
    lines.insert(index + 1, text)


def _into_list(lines: list[str], opening: str, entry: str, target: str) -> list[str]:
    """``"entry", `` written first into the list that ``opening`` opens (setup.py's
    install_requires, pyproject's dependencies)."""
    text = "\n".join(lines)
    found = re.search(opening, text)
    if found is None:
        raise NotApplicable(f"{target} has no list where the fix says")
    return (text[: found.end()] + f'"{entry}", ' + text[found.end() :]).split("\n")


def _add_entry(root: Path, where: str, entry: str, quoted: bool) -> None:
    """Add ``entry`` where EN002's fix says: a requirements or Dockerfile line, under a
    YAML list, a TOML table or setup.cfg's install_requires, or into a setup.py list."""
    target = where.rsplit(" ", 1)[-1]  # "... of setup.cfg", "... in Pipfile", "requirements.txt"
    path = _inside(root, target)
    lines = path.read_text("utf-8").split("\n") if path.exists() else []
    if where.startswith("the pip list of "):
        index = next((i for i, t in enumerate(lines) if t.strip() in ("- pip:", "-pip:")), None)
        if index is None:
            raise NotApplicable(f"{target} has no pip list")
        indent = len(lines[index]) - len(lines[index].lstrip()) + 2
        _insert_after(lines, index, " " * indent + entry)
    elif where.startswith("the dependencies of "):
        index = next((i for i, t in enumerate(lines) if t.startswith("dependencies:")), None)
        if index is None:
            raise NotApplicable(f"{target} has no dependencies list")
        _insert_after(lines, index, f"  {entry}")
    elif where.startswith("[") and " in " in where:
        table = where.split(" in ", 1)[0]
        index = next((i for i, t in enumerate(lines) if t.strip() == table), None)
        if index is None:
            raise NotApplicable(f"{target} has no {table}")
        _insert_after(lines, index, entry)
    elif where.startswith("install_requires in [options] of "):
        index = next((i for i, t in enumerate(lines) if t.startswith("install_requires")), None)
        if index is None:
            raise NotApplicable(f"{target} has no install_requires")
        _insert_after(lines, index, entry)
    elif where.startswith("install_requires in "):
        lines = _into_list(lines, r"install_requires\s*=\s*\[", entry, target)
    elif where.startswith("dependencies in [project] of "):
        lines = _into_list(lines, r"(?m)^dependencies\s*=\s*\[", entry, target)
    elif quoted:
        raise NotApplicable(f"no literal way to add {entry!r} to {where}")
    else:
        if lines and lines[-1] == "":
            lines.pop()
        lines.append(entry)
        lines.append("")
    path.write_text("\n".join(lines), "utf-8")


def _en002(root: Path, finding: dict[str, Any], truth: dict[str, Any]) -> None:
    match = _ADD.match(finding["fix"])
    if not match:
        raise NotApplicable("the fix names no line and file")
    quoted = match.group("quoted") is not None
    _add_entry(root, match.group("where"), match.group("quoted") or match.group("line"), quoted)


def _en004(root: Path, finding: dict[str, Any], truth: dict[str, Any]) -> None:
    match = re.match(r"^Declare (.+?) in (\S+) too", finding["fix"])
    if not match:
        raise NotApplicable("the fix names no distributions and file")
    for name in match.group(1).split(", "):
        _append_line(root, match.group(2), name)


def _en003(root: Path, finding: dict[str, Any], truth: dict[str, Any]) -> None:
    match = re.match(
        r"^Pin (?:it|a commit): write `([^`]*)` on line (\d+) of (.+?)(?: \(.*)?\.?$",
        finding["fix"],
    )
    if not match:
        raise NotApplicable("the fix gives no pinned line")
    pinned = match.group(1).replace("<version>", "1.0").replace("<commit>", "0" * 40)
    path = _inside(root, match.group(3))
    lines = path.read_text("utf-8").split("\n")
    number = int(match.group(2))
    original = lines[number - 1]
    indent = original[: len(original) - len(original.lstrip())]
    lines[number - 1] = indent + pinned
    path.write_text("\n".join(lines), "utf-8")
    requirement = pinned.strip().removeprefix("- ").strip()
    if path.name in ("environment.yml", "environment.yaml") and "==" not in requirement:
        return  # a conda spec (name=1.2), not a pip requirement
    if path.name == "Pipfile":
        return
    if requirement.startswith("git+"):
        return
    try:
        Requirement(requirement)
    except InvalidRequirement as error:
        raise NotApplicable(
            f"the pinned line {pinned!r} is not a valid requirement ({error})"
        ) from None


def _en001(root: Path, finding: dict[str, Any], truth: dict[str, Any]) -> None:
    entry = next((e for e in truth.get("expected", []) if e["check"] == "EN001"), {})
    names = entry.get("distributions", [])
    (root / "requirements.txt").write_text("".join(f"{name}==1.0\n" for name in names), "utf-8")


def _as003(root: Path, finding: dict[str, Any], truth: dict[str, Any]) -> None:
    match = re.search(r'git lfs track "([^"]+)"', finding["fix"])
    if not match:
        raise NotApplicable("the fix names no pattern")
    _append_line(root, ".gitattributes", f"{match.group(1)} filter=lfs diff=lfs merge=lfs -text")


def _remove(root: Path, path: str) -> None:
    target = _inside(root, path.rstrip("/"))
    if target.is_dir() and not target.is_symlink():
        shutil.rmtree(target)
    elif target.exists() or target.is_symlink():
        target.unlink()
    _git(root, "rm", "-r", "-q", "--cached", "--ignore-unmatch", "--", path.rstrip("/"))


def _ju001(root: Path, finding: dict[str, Any], truth: dict[str, Any]) -> None:
    match = re.search(r"add (.+?) to \.gitignore", finding["fix"]) or re.search(
        r"Delete (.+?)/, add it to \.gitignore", finding["fix"]
    )
    if not match:
        raise NotApplicable("the fix names no pattern for .gitignore")
    _remove(root, finding["path"])
    _append_line(root, ".gitignore", match.group(1))


def _referenced(root: Path, removed: list[str]) -> str | None:
    """A text file of the tree that names one of the removed files, if any."""
    names = {path.rsplit("/", 1)[-1] for path in removed}
    for folder, _, files in os.walk(root):
        if "/.git" in folder or folder.endswith(".git"):
            continue
        for name in files:
            path = Path(folder) / name
            if path.suffix.lower() not in (
                ".py",
                ".ipynb",
                ".md",
                ".rst",
                ".txt",
                ".cfg",
                ".toml",
                ".yml",
                ".yaml",
                ".sh",
                ".cpp",
                ".h",
                ".cc",
                ".c",
                ".json",
                ".m",
            ):
                continue
            try:
                info = path.lstat()  # a link to /dev/zero is never read
                if not stat.S_ISREG(info.st_mode) or info.st_size > 4 << 20:
                    continue
                text = path.read_text("utf-8", "replace")
            except OSError:
                continue
            for removed_name in names:
                if removed_name in text:
                    return f"{path.relative_to(root)} names {removed_name}"
    return None


def _du001(root: Path, finding: dict[str, Any], truth: dict[str, Any]) -> None:
    match = re.match(r"Keep (.+) and remove or link the other copies\.", finding["fix"])
    if not match:
        raise NotApplicable("the fix names no copy to keep")
    if match.group(1).endswith("/"):  # identical folders: the others are named as seen
        others = [p.strip() for p in finding.get("evidence", "").split(",")]
        others = [p for p in others if p and p != match.group(1)]
        for path in others:
            _remove(root, path)
        return
    group = next(
        (e for e in truth.get("expected", []) if e["check"] == "DU001" and matches(finding, e)),
        None,
    )
    if group is None:
        raise NotApplicable("the group is not known from sha256 truth")
    others = [
        place[0]
        for place in [[group["path"]], *group.get("also", [])]
        if place[0] != match.group(1)
    ]
    for path in others:
        _remove(root, path)
    if (where := _referenced(root, others)) and all(
        Path(p).name != Path(match.group(1)).name for p in others
    ):
        raise NotApplicable(f"a removed copy is still used: {where}")


def _du002(root: Path, finding: dict[str, Any], truth: dict[str, Any]) -> None:
    _remove(root, finding["path"])
    if where := _referenced(root, [finding["path"]]):
        raise NotApplicable(f"the archive is still used: {where}")


def _notebook(root: Path, path: str, change: Callable[[dict[str, Any]], None]) -> None:
    import nbformat

    target = _inside(root, path)
    notebook = nbformat.read(str(target), as_version=nbformat.NO_CONVERT)
    change(notebook)
    nbformat.write(notebook, str(target))


def _cells(notebook: dict[str, Any]) -> list[dict[str, Any]]:
    if "cells" in notebook:
        return notebook["cells"]
    return [cell for sheet in notebook.get("worksheets", []) for cell in sheet.get("cells", [])]


def _nb005(root: Path, finding: dict[str, Any], truth: dict[str, Any]) -> None:
    def clear(notebook: dict[str, Any]) -> None:
        for cell in _cells(notebook):
            if cell.get("cell_type") == "code":
                cell["outputs"] = []
                cell["execution_count" if "cells" in notebook else "prompt_number"] = None

    _notebook(root, finding["path"], clear)


def _source(cell: dict[str, Any]) -> str:
    value = cell.get("source", cell.get("input", ""))
    return value if isinstance(value, str) else "".join(value)


def _nb006(root: Path, finding: dict[str, Any], truth: dict[str, Any]) -> None:
    def delete(notebook: dict[str, Any]) -> None:
        keep = [
            c
            for c in notebook["cells"]
            if not (c.get("cell_type") == "code" and not _source(c).strip())
        ]
        notebook["cells"] = keep

    _notebook(root, finding["path"], delete)


def _nb007(root: Path, finding: dict[str, Any], truth: dict[str, Any]) -> None:
    def name(notebook: dict[str, Any]) -> None:
        notebook.setdefault("metadata", {})["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }

    _notebook(root, finding["path"], name)


def _nb009(root: Path, finding: dict[str, Any], truth: dict[str, Any]) -> None:
    pattern = re.compile(r"^\s*(import\s+\w|from\s+[\w.]+\s+import\s)")

    def move(notebook: dict[str, Any]) -> None:
        code = [cell for cell in notebook["cells"] if cell.get("cell_type") == "code"]
        if not code:
            return
        moved = []
        for cell in code[1:]:
            lines = _source(cell).split("\n")
            kept = []
            for line in lines:
                if pattern.match(line) and not line.startswith((" ", "\t")):
                    moved.append(line.strip())
                else:
                    kept.append(line)
            cell["source"] = "\n".join(kept)
        code[0]["source"] = _source(code[0]).rstrip("\n") + "\n" + "\n".join(moved)

    _notebook(root, finding["path"], move)


def _fi(root: Path, finding: dict[str, Any], truth: dict[str, Any]) -> None:
    texts = {
        "FI001": ("README.md", "# Project\n\nWhat it is, how to install it, how to run it.\n"),
        "FI002": ("LICENSE", "MIT License\n\nPermission is hereby granted, free of charge, ...\n"),
        "FI003": (
            "CITATION.cff",
            "cff-version: 1.2.0\nmessage: Cite it as below.\ntitle: Project\n"
            "authors:\n  - name: Someone\n",
        ),
    }
    name, text = texts[finding["check"]]
    (root / name).write_text(text, "utf-8")


MECHANICAL: dict[str, Callable[[Path, dict[str, Any], dict[str, Any]], None]] = {
    "EN001": _en001,
    "EN002": _en002,
    "EN003": _en003,
    "EN004": _en004,
    "AS003": _as003,
    "JU001": _ju001,
    "DU001": _du001,
    "DU002": _du002,
    "NB005": _nb005,
    "NB006": _nb006,
    "NB007": _nb007,
    "NB009": _nb009,
    "FI001": _fi,
    "FI002": _fi,
    "FI003": _fi,
}


def _same_problem(a: dict[str, Any], b: dict[str, Any]) -> bool:
    if a["check"] != b["check"]:
        return False
    if finding_key(a) is not None:
        return finding_key(a) == finding_key(b)
    same = a.get("path") == b.get("path") and a.get("cell") == b.get("cell")
    return same and (a["check"] != "EN003" or a.get("line") == b.get("line"))


def judge_fix(
    finding: dict[str, Any],
    tree: Path,
    truth: dict[str, Any],
    before: list[dict[str, Any]],
    scratch: Path,
) -> FixVerdict:
    """Apply a mechanical fix to a copy of ``tree`` and check again; or look up the verdict
    people gave a prose fix in the truth file."""
    prose = finding["check"] == "EN002" and not finding["fix"].startswith("Add ")
    if finding["check"] not in MECHANICAL or prose:
        for item in truth.get("fixes", []):
            if matches(finding, item):
                return FixVerdict(item["verdict"], "read", item.get("reason", ""))
        return FixVerdict("unjudged", "not judged", "a prose fix no one has judged yet")
    copy = scratch / "fix"
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(tree, copy, symlinks=True)
    try:
        MECHANICAL[finding["check"]](copy, finding, truth)
    except NotApplicable as why:
        return FixVerdict("wrong", "applied", str(why))
    except (OSError, ValueError, KeyError) as error:
        return FixVerdict("wrong", "applied", f"cannot be applied: {type(error).__name__}: {error}")
    after = run_check(copy)
    left = [item for item in after if _same_problem(item, finding)]
    if left:
        return FixVerdict(
            "wrong", "applied", f"the finding is still there: {left[0]['message'][:100]}"
        )
    known = {place_key(item) for item in before}
    new_errors = [
        item for item in after if item["level"] == "error" and place_key(item) not in known
    ]
    if new_errors:
        return FixVerdict(
            "wrong",
            "applied",
            f"a new error: {new_errors[0]['check']} {new_errors[0]['message'][:80]}",
        )
    return FixVerdict("right", "applied", "applied as written: the finding is gone, no new error")
