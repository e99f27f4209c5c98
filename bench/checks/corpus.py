"""The corpus of real repositories: the manifest, clones, and scratch work trees.

A repository is cloned once into the clones folder (``$REPOLENS_BENCH_REPOS``, a folder of
clones named ``owner+name``; default ``$REPOLENS_BENCH_DATA/checks/repos``) and its pinned
commit is written into a scratch work tree: a git repository whose index is that commit
and whose files are the commit's blobs. Blobs a partial clone lacks are left out and
named (``Tree.missing``), so a snapshot without its largest files still measures.

Nothing from a repository runs: git runs with no system or global configuration and
with hooks, filters and fsmonitor switched off; files are written by this module from
``git cat-file``, never by a checkout that could run a filter; a path that would leave
the work tree, or go through a symbolic link, is refused.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "MANIFEST",
    "Repository",
    "Tree",
    "clones_folder",
    "git",
    "load_manifest",
    "prepare",
    "slug",
    "write_text",
]

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "manifest.toml"
DATA = Path(os.environ.get("REPOLENS_BENCH_DATA", "/var/tmp/repolens-bench"))

# Every key that could make git run a program, turned off (git -c is read last).
_SAFE = (
    "core.hooksPath=/dev/null",
    "core.fsmonitor=false",
    "core.sshCommand=false",
    "core.askPass=",
    "protocol.ext.allow=never",
    "protocol.file.allow=always",
    "diff.external=",
    "core.pager=cat",
    "submodule.recurse=false",
)
_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_LFS_SKIP_SMUDGE": "1",
    "LC_ALL": "C",
}


@dataclass(frozen=True)
class Repository:
    name: str  # owner/name
    url: str
    commit: str
    kind: str
    why: str

    @property
    def slug(self) -> str:
        return slug(self.name)


@dataclass(frozen=True)
class Tree:
    repository: Repository
    path: Path  # the scratch work tree
    files: int  # files written
    missing: tuple[str, ...]  # paths whose blobs the clone lacks (left out)
    submodules: tuple[str, ...]  # gitlinks (never fetched)


def write_text(path: Path, text: str) -> None:
    """Write a file of the benchmark whole or not at all (a kill never leaves half of it)."""
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, "utf-8")
    os.replace(partial, path)


def slug(name: str) -> str:
    """``owner/name`` as a folder name: ``owner+name``."""
    return name.replace("/", "+")


def load_manifest(path: Path = MANIFEST) -> list[Repository]:
    document = tomllib.loads(path.read_text("utf-8"))
    repositories = [
        Repository(
            name=row["name"],
            url=row["url"],
            commit=row["commit"],
            kind=row.get("kind", ""),
            why=row.get("why", ""),
        )
        for row in document["repository"]
    ]
    names = [item.name for item in repositories]
    if len(set(names)) != len(names):
        raise ValueError("a repository is listed twice in the manifest")
    for item in repositories:
        if len(item.commit) != 40 or any(c not in "0123456789abcdef" for c in item.commit):
            raise ValueError(f"{item.name}: commit must be 40 lowercase hex digits")
    return repositories


def clones_folder() -> Path:
    configured = os.environ.get("REPOLENS_BENCH_REPOS")
    return Path(configured) if configured else DATA / "checks" / "repos"


def git(
    directory: Path, *args: str, input: bytes | None = None, check: bool = True
) -> subprocess.CompletedProcess[bytes]:
    """git with no configuration but ours, nothing that runs a program, no prompt."""
    command = ["git"]
    for key in _SAFE:
        command += ["-c", key]
    command += ["-C", str(directory), *args]
    environment = {**os.environ, **_ENV}
    return subprocess.run(command, input=input, capture_output=True, env=environment, check=check)


def _has_commit(clone: Path, commit: str) -> bool:
    result = git(clone, "cat-file", "-e", f"{commit}^{{commit}}", check=False)
    return result.returncode == 0


def _clone(repository: Repository, clones: Path) -> Path:
    clone = clones / repository.slug
    if not clone.exists():
        clones.mkdir(parents=True, exist_ok=True)
        git(clones, "clone", "--quiet", "--no-checkout", repository.url, str(clone))
    if not _has_commit(clone, repository.commit):
        git(clone, "fetch", "--quiet", "origin", repository.commit)
    if not _has_commit(clone, repository.commit):
        raise RuntimeError(f"{repository.name}: commit {repository.commit} not in {clone}")
    return clone


def _entries(clone: Path, commit: str) -> Iterator[tuple[str, str, str]]:
    """``(mode, object id, path)`` of every entry of the commit's tree, recursively."""
    listing = git(clone, "ls-tree", "-r", "-z", "--full-tree", commit).stdout
    for item in listing.split(b"\0"):
        if not item:
            continue
        head, _, name = item.partition(b"\t")
        mode, _kind, object_id = head.decode().split()
        yield mode, object_id, os.fsdecode(name)


def _safe_target(root: Path, path: str) -> Path | None:
    """Where ``path`` goes under ``root``, or None when it would leave it."""
    parts = path.split("/")
    if not path or path.startswith("/") or any(part in ("", ".", "..", ".git") for part in parts):
        return None
    target = root.joinpath(*parts)
    parent = target.parent
    while parent != root:  # no folder on the way may be a link
        if parent.is_symlink():
            return None
        parent = parent.parent
    return target


def _blobs(clone: Path, ids: list[str]) -> Iterator[tuple[str, bytes | None]]:
    """Each blob's content (None when the clone lacks it), in the order asked."""
    batch = git(clone, "cat-file", "--batch", input="".join(f"{i}\n" for i in ids).encode())
    data = batch.stdout
    position = 0
    for object_id in ids:
        end = data.index(b"\n", position)
        header = data[position:end].decode()
        position = end + 1
        if header.endswith(" missing"):
            yield object_id, None
            continue
        size = int(header.split()[2])
        yield object_id, data[position : position + size]
        position += size + 1


def prepare(repository: Repository, scratch: Path, clones: Path | None = None) -> Tree:
    """A fresh work tree of the pinned commit under ``scratch/<owner+name>``."""
    clone = _clone(repository, clones or clones_folder())
    root = scratch / repository.slug
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    git(root, "init", "--quiet")
    alternates = root / ".git" / "objects" / "info" / "alternates"
    objects = git(clone, "rev-parse", "--git-common-dir").stdout.decode().strip()
    alternates.write_text(str((clone / objects / "objects").resolve()) + "\n")
    git(root, "read-tree", repository.commit)
    git(root, "update-ref", "HEAD", repository.commit)
    entries = list(_entries(clone, repository.commit))
    submodules = tuple(path for mode, _, path in entries if mode == "160000")
    wanted = [(mode, oid, path) for mode, oid, path in entries if mode != "160000"]
    contents = dict(_blobs(clone, sorted({oid for _, oid, _ in wanted})))
    missing: list[str] = []
    written = 0
    for mode, object_id, path in wanted:
        target = _safe_target(root, path)
        content = contents.get(object_id)
        if target is None or content is None:
            missing.append(path)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if mode == "120000":
            os.symlink(os.fsdecode(content), target)
        else:
            descriptor = os.open(
                target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644
            )
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(content)
            if mode == "100755":
                os.chmod(target, 0o755 & ~stat.S_IWOTH)
        written += 1
    git(root, "update-index", "--refresh", "-q", check=False)  # stat data for `git status`
    return Tree(repository, root, written, tuple(sorted(missing)), submodules)
