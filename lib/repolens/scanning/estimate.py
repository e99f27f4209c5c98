"""How many entries a scan will meet, counted ahead of it: the total its progress line
shows until the walk gives the exact one. One ``os.scandir`` pass in a thread of its own
(about a quarter of a second for the 78,000 files of the Linux tree, warm), without the
ignore rules (so inside a git work tree it may count more than the scan records), never
following a link, never entering ``.git``."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

__all__ = ["count_entries", "estimate_in_background"]


def count_entries(root: str, stop: threading.Event | None = None) -> int | None:
    """Entries under ``root`` that are not folders (None when stopped first)."""
    count = 0
    folders = [root]
    while folders:
        if stop is not None and stop.is_set():
            return None
        folder = folders.pop()
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    try:
                        is_folder = entry.is_dir(follow_symlinks=False)
                    except OSError:
                        is_folder = False
                    if not is_folder:
                        count += 1
                    elif entry.name != ".git":
                        folders.append(entry.path)
        except OSError:
            count += 1  # a folder that cannot be listed is one record
    return count


def estimate_in_background(root: str, found: Callable[[int], None]) -> threading.Event:
    """Count ``root`` in a daemon thread and call ``found(count)``; set the returned event
    to stop it (the scan ended first)."""
    stop = threading.Event()

    def run() -> None:
        count = count_entries(root, stop)
        if count is not None and not stop.is_set():
            found(count)

    threading.Thread(target=run, name="repolens-estimate", daemon=True).start()
    return stop
