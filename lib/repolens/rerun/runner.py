"""The program that runs INSIDE the sandbox, with the environment's interpreter: it copies
the repository into the scratch folder, runs one notebook there with nbclient, and tells
the host what happened on its standard output, one JSON document a line.

It imports nothing of repolens (the environment does not have it), only the standard
library and nbclient. Its standard output is the channel to the host: before the kernel
starts it keeps a private copy of that descriptor and points descriptor 1 at standard
error, so nothing the notebook prints can forge a line. The lines:

    {"event": "start", "cells": N}
    {"event": "cell", "index": I, "state": "running"}
    {"event": "cell", "index": I, "state": "ran", "seconds": S}
    {"event": "done", "state": ..., "cells": [...], "reason": ..., "notebook": {...}}

Each output is capped (``output_cap`` bytes of text per cell; a larger image is dropped,
saying so) and so is the notebook it sends (``notebook_cap``: past it, outputs are removed
from the end); the notebook's own time is capped by ``notebook_timeout``, each cell's by
``cell_timeout``. Usage: ``python runner.py CONFIG_JSON``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import sys
import time
from typing import Any

__all__ = ["main"]

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
TRACEBACK_LINES = 12


def _emit(channel: Any, document: dict[str, Any]) -> None:
    channel.write(json.dumps(document, ensure_ascii=True) + "\n")
    channel.flush()


def copy_tree(source: str, target: str, skip: tuple[str, ...]) -> list[str]:
    """Copy regular files, folders and links (as links) of ``source`` into ``target``;
    return what could not be copied. Special files are left out."""
    problems: list[str] = []
    os.makedirs(target, exist_ok=True)
    for folder, folders, files in os.walk(source, onerror=lambda e: problems.append(str(e))):
        relative = os.path.relpath(folder, source)
        folders[:] = [name for name in folders if name not in skip]
        destination = os.path.normpath(os.path.join(target, relative))
        for name in folders:
            path = os.path.join(folder, name)
            if os.path.islink(path):
                os.symlink(os.readlink(path), os.path.join(destination, name))
            else:
                os.makedirs(os.path.join(destination, name), exist_ok=True)
        for name in files:
            path = os.path.join(folder, name)
            try:
                mode = os.lstat(path).st_mode
                if stat.S_ISLNK(mode):
                    os.symlink(os.readlink(path), os.path.join(destination, name))
                elif stat.S_ISREG(mode):
                    shutil.copyfile(path, os.path.join(destination, name), follow_symlinks=False)
            except OSError as error:
                problems.append(f"{os.path.join(relative, name)}: {error.strerror or error}")
    return problems


def _error_of(outputs: list[Any]) -> dict[str, str] | None:
    for output in outputs:
        if output.get("output_type") == "error":
            trace = _ANSI.sub("", "\n".join(output.get("traceback") or []))
            return {
                "name": str(output.get("ename", "")),
                "value": str(output.get("evalue", ""))[:2000],
                "traceback": "\n".join(trace.splitlines()[-TRACEBACK_LINES:])[-4000:],
            }
    return None


def _size(output: Any) -> int:
    return len(json.dumps(output, ensure_ascii=False))


def fit(notebook: dict[str, Any], cap: int) -> bool:
    """Remove outputs from the end until the notebook is at most ``cap`` bytes as JSON;
    whether any had to go."""
    if _size(notebook) <= cap:
        return False
    for cell in reversed(notebook.get("cells", [])):
        while cell.get("outputs"):
            cell["outputs"].pop()
            cell.setdefault("metadata", {})["repolens_outputs_removed"] = True
            if _size(notebook) <= cap:
                return True
    return True


def run(config: dict[str, Any], channel: Any) -> dict[str, Any]:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    work = os.path.join(config["scratch"], "repository")
    for folder in ("home", "tmp"):
        os.makedirs(os.path.join(config["scratch"], folder), exist_ok=True)
    problems = copy_tree(config["source"], work, tuple(config.get("skip", [".git"])))
    path = os.path.join(work, config["notebook"])
    try:
        notebook = nbformat.read(path, as_version=4)
    except Exception as error:  # any reading failure of untrusted JSON is a result
        return {"state": "not run", "reason": f"not a notebook nbformat reads: {error}"[:500]}
    code = [i for i, cell in enumerate(notebook.cells) if cell.get("cell_type") == "code"]
    _emit(channel, {"event": "start", "cells": len(code), "copy_problems": problems[:20]})
    output_cap = int(config["output_cap"])

    class Client(NotebookClient):  # type: ignore[misc]
        """nbclient with each cell's text outputs capped as they arrive."""

        written: dict[int, int] = {}  # noqa: RUF012 - one client per run

        def output(self, outs, msg, display_id, cell_index):  # type: ignore[no-untyped-def]
            content = msg.get("content", {})
            size = len(json.dumps(content, ensure_ascii=False))
            total = self.written.get(cell_index, 0) + size
            self.written[cell_index] = total
            if total > output_cap:
                if total - size <= output_cap:
                    outs.append(
                        nbformat.v4.new_output(
                            "stream",
                            name="stderr",
                            text=f"[repolens: outputs past {output_cap} bytes were dropped]\n",
                        )
                    )
                return None
            return super().output(outs, msg, display_id, cell_index)

    client = Client(
        notebook,
        timeout=int(config["cell_timeout"]),
        kernel_name=config["kernel"],
        resources={"metadata": {"path": os.path.dirname(path)}},
        record_timing=True,  # when each cell ran: the comparison tells the run's clock from data
    )
    deadline = time.monotonic() + float(config["notebook_timeout"])
    cells: list[dict[str, Any]] = []
    state, reason = "completed", ""
    os.chdir(os.path.dirname(path))
    started = time.monotonic()
    try:
        with client.setup_kernel():
            for index, cell in enumerate(notebook.cells):
                if cell.get("cell_type") != "code":
                    continue
                if state != "completed":
                    cells.append({"index": index, "state": "not reached"})
                    continue
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    state, reason = "timed out", "the notebook ran past its time"
                    cells.append({"index": index, "state": "not reached"})
                    continue
                client.timeout = max(1, int(min(float(config["cell_timeout"]), remaining)))
                _emit(channel, {"event": "cell", "index": index, "state": "running"})
                begun = time.monotonic()
                entry: dict[str, Any] = {"index": index}
                try:
                    client.execute_cell(cell, index)
                    error = _error_of(cell.get("outputs", []))
                    entry["state"] = "raised as tagged" if error else "ran"
                    if error:
                        entry["error"] = error
                except CellTimeoutError:
                    entry["state"] = "timed out"
                    state = "timed out"
                    reason = f"cell {index + 1} ran past {client.timeout} s"
                except CellExecutionError as failure:
                    entry["state"] = "failed"
                    entry["error"] = _error_of(cell.get("outputs", [])) or {
                        "name": str(failure.ename),
                        "value": str(failure.evalue)[:2000],
                    }
                    state = "failed"
                except DeadKernelError:
                    entry["state"] = "failed"
                    entry["error"] = {
                        "name": "DeadKernelError",
                        "value": "the kernel died (killed by a limit: memory, processes?)",
                    }
                    state, reason = "failed", "the kernel died"
                entry["seconds"] = round(time.monotonic() - begun, 3)
                cells.append(entry)
                _emit(channel, {"event": "cell", **entry})
    except Exception as error:  # the kernel did not start: a result
        kind = type(error).__name__
        return {"state": "not run", "reason": f"the kernel did not start: {kind}: {error}"[:500]}
    removed = fit(notebook, int(config["notebook_cap"]))
    return {
        "state": state,
        "reason": reason,
        "cells": cells,
        "seconds": round(time.monotonic() - started, 3),
        "outputs_removed": removed,
        "notebook": notebook,
    }


def main(argv: list[str]) -> int:
    config = json.loads(argv[1])
    channel = os.fdopen(os.dup(1), "w", encoding="ascii")
    os.dup2(2, 1)  # whatever the notebook prints goes to standard error, not the channel
    sys.stdout = sys.stderr
    try:
        result = run(config, channel)
    except Exception as error:  # the runner reports its own failure as a result
        result = {"state": "not run", "reason": f"{type(error).__name__}: {error}"[:500]}
    _emit(channel, {"event": "done", **result})
    channel.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
