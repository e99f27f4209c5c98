"""Record a judgement made by reading the code into a truth file's hand-kept sections.

    cd bench/checks && python -m truth_tools.judge owner/name SECTION '<json object>'

SECTION is one of reviews, added, removed, judged, fixes, notes. An entry equal in check,
path, line, cell (and key, fingerprint) to one already there replaces it, so a judgement
can be corrected by recording it again.
"""

from __future__ import annotations

import json
import sys

from .build import HAND_KEPT, truth_path, write_text

__all__ = ["record"]

_IDENTITY = ("check", "path", "line", "cell", "key", "fingerprint")


def record(name: str, section: str, entry: dict) -> None:
    if section not in HAND_KEPT:
        raise SystemExit(f"section must be one of {', '.join(HAND_KEPT)}")
    path = truth_path(name)
    document = json.loads(path.read_text("utf-8"))
    items = [
        item
        for item in document.get(section, [])
        if any(item.get(key) != entry.get(key) for key in _IDENTITY)
    ]
    items.append(entry)
    document[section] = items
    write_text(path, json.dumps(document, indent=1) + "\n")


if __name__ == "__main__":
    record(sys.argv[1], sys.argv[2], json.loads(sys.argv[3]))
