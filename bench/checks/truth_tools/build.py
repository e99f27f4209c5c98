"""Build the truth file of each repository of the manifest, without running repolens.

    cd bench/checks && python -m truth_tools [--only owner/name ...] [--scratch DIR]

For each repository: the pinned commit is written into a scratch work tree (corpus.py),
then each tool lists what should be found: notebooks.py (nbformat), paths.py (tokenize and
a C string lexer), dependencies.py (ast, the distributions' metadata, deptry as a
cross-check), files.py (sha256, git check-attr, gitignore templates, top-level names) and
secrets.py (detect-secrets and our own scan: candidates, to be reviewed).

The truth file (truth/<owner+name>.json) keeps what people decided by reading the code:
``reviews`` (verdicts on secret candidates), ``added`` (problems the tools missed),
``removed`` (tool entries that are not problems), ``judged`` (findings of repolens that
are wrong, each with its reason) and ``fixes`` (verdicts on fixes that are prose). A
rebuild rewrites the tools' sections and keeps those.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from corpus import DATA, Tree, load_manifest, prepare, write_text  # noqa: E402

from .common import tracked_files  # noqa: E402
from .dependencies import dependency_truth, deptry_missing  # noqa: E402
from .files import asset_truth, duplicate_truth, findability_truth, junk_truth  # noqa: E402
from .notebooks import notebook_truth  # noqa: E402
from .paths import path_truth  # noqa: E402
from .secrets import secret_candidates  # noqa: E402

__all__ = ["HAND_KEPT", "build_truth", "main", "truth_path"]

TRUTH = HERE.parent / "truth"
HAND_KEPT = ("reviews", "added", "removed", "judged", "fixes", "notes")
TOOLS = (
    notebook_truth,
    path_truth,
    dependency_truth,
    duplicate_truth,
    asset_truth,
    junk_truth,
    findability_truth,
)


def truth_path(name: str) -> Path:
    return TRUTH / f"{name.replace('/', '+')}.json"


def _versions() -> dict[str, str]:
    versions = {"python": sys.version.split()[0]}
    for name in ("nbformat", "deptry", "detect-secrets", "PyYAML"):
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "absent"
    return versions


def build_truth(tree: Tree, previous: dict | None = None) -> dict:
    root = tree.path
    files = tracked_files(root)
    expected = [item.as_dict() for tool in TOOLS for item in tool(root, files)]
    entropy: Counter[str] = Counter()
    candidates = list(secret_candidates(root, files, entropy))
    document = {
        "repository": tree.repository.name,
        "commit": tree.repository.commit,
        "built_with": _versions(),
        "files": len(files),
        "missing_files": list(tree.missing),
        "submodules": list(tree.submodules),
        "expected": expected,
        "secret_candidates": candidates,
        "detect_secrets_entropy_hits": {"total": sum(entropy.values()), "files": len(entropy)},
        "deptry": deptry_missing(root, files),
    }
    for key in HAND_KEPT:
        document[key] = (previous or {}).get(key, [])
    return document


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--only", action="append", default=[], help="owner/name (repeatable)")
    parser.add_argument("--scratch", type=Path, default=DATA / "checks" / "work")
    args = parser.parse_args(argv)
    TRUTH.mkdir(exist_ok=True)
    for repository in load_manifest():
        if args.only and repository.name not in args.only:
            continue
        print(f"truth: {repository.name}", file=sys.stderr)
        tree = prepare(repository, args.scratch)
        path = truth_path(repository.name)
        previous = json.loads(path.read_text("utf-8")) if path.exists() else None
        document = build_truth(tree, previous)
        write_text(path, json.dumps(document, indent=1) + "\n")
    return 0
