"""Check a portfolio the container wrote, one pod per index and then the merge, against
the library's own run on the same repositories.

    python scripts/check_portfolio.py OUTPUT REPOSITORIES EXITS

OUTPUT is what the pods wrote (their shared volume), REPOSITORIES the folder they read,
EXITS lines of "INDEX STATUS" for each pod, then "merge STATUS". Exit 1, saying why, on
any difference.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import jsonschema

from repolens.portfolio import load_portfolio_schema, read_list


def main(output: str, repositories: str, exits: str) -> int:
    document = json.loads((Path(output) / "portfolio.json").read_text("utf-8"))
    jsonschema.validate(document, load_portfolio_schema())
    shards = document["shards"]
    with tempfile.TemporaryDirectory() as scratch:
        subprocess.run(
            [sys.executable, "-m", "repolens", "portfolio", repositories, "-o", scratch, "-q"],
            check=False,
        )
        local = json.loads((Path(scratch) / "portfolio.json").read_text("utf-8"))
    problems = []
    strip = [{k: v for k, v in row.items() if k != "shard"} for row in document["rows"]]
    if strip != [{k: v for k, v in row.items() if k != "shard"} for row in local["rows"]]:
        problems.append("the merged rows differ from the library's own run")
    if [row["shard"] for row in document["rows"]] != [i % shards for i in range(len(strip))]:
        problems.append("rows are not assigned to shards by position")
    statuses = dict(line.split() for line in Path(exits).read_text().splitlines() if line)
    for index in range(shards):
        failed = any(r["status"] != "ok" for r in document["rows"] if r["shard"] == index)
        expected = "5" if failed else "0"
        if statuses.get(str(index)) != expected:
            problems.append(f"index {index} exited {statuses.get(str(index))}, not {expected}")
    anything_failed = document["counts"]["ok"] != document["repositories"]
    if statuses.get("merge") != ("5" if anything_failed else "0"):
        problems.append(f"the merge exited {statuses.get('merge')}")
    if len(read_list(repositories)) != document["repositories"]:
        problems.append("the merge does not cover every repository")
    for problem in problems:
        print(f"check_portfolio: {problem}", file=sys.stderr)
    if not problems:
        print(
            f"check_portfolio: {document['repositories']} repositories over {shards} indexes "
            f"({document['counts']}) equal the library's run",
            file=sys.stderr,
        )
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    sys.exit(main(*sys.argv[1:]))
