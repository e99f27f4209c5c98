"""Code that runs on a microcontroller (MicroPython, CircuitPython) inside a repository:
which files are a board's, and EN002's fix for them (a library goes onto the board, never
into the host's environment)."""

from __future__ import annotations

from dataclasses import replace

from ..core.findings import Finding

__all__ = ["BLINKA", "BOARD_ENTRIES", "board_files", "for_the_board"]

BOARD_ENTRIES = ("boot.py", "main.py", "code.py")  # what a board runs when it starts
# CircuitPython's modules that Adafruit Blinka provides on a computer too (a Raspberry Pi).
BLINKA = frozenset(
    {"board", "digitalio", "busio", "analogio", "pwmio", "microcontroller", "neopixel_write",
     "pulseio", "rainbowio", "keypad", "usb_hid"}
)  # fmt: skip


def board_files(code: list[tuple[str, str]], markers: frozenset[str]) -> set[str]:
    """The files that run on a microcontroller, from ``(path, module)`` of the imports of
    files (never notebook cells: a notebook runs on a computer): those importing a module
    only a board has, and every file below a board's root, the folder of an entry point
    (boot.py, main.py, code.py) importing one; at the top of the tree only lib/, as the rest
    may be the host's. A module Blinka also gives a computer (``board``, ``digitalio``: a
    Raspberry Pi script) makes a board only in an entry point."""
    marked = {path for path, module in code if module in markers}
    sure = {path for path, module in code if module in markers - BLINKA}
    roots = {
        path.rsplit("/", 1)[0] if "/" in path else ""
        for path in marked
        if path.rsplit("/", 1)[-1] in BOARD_ENTRIES
    }
    prefixes = tuple(f"{root}/" if root else "lib/" for root in roots)
    entries = {path for path in marked if path.rsplit("/", 1)[-1] in BOARD_ENTRIES}
    return sure | entries | {path for path, _module in code if path.startswith(prefixes)}


def for_the_board(found: Finding, module: str, target: str) -> Finding:
    """EN002 in code that runs on a microcontroller (``board_files``): what it imports goes
    onto the board, never into the host's environment."""
    if any(word in module.lower() for word in ("secret", "credential")):
        return replace(
            found,
            fix=f"{module} holds credentials kept out of the repository: write it on the board "
            "from a template (commit one without the values, as sample_secrets.py) and say so "
            "in the README; never commit the real one.",
        )
    return replace(
        found,
        fix=f"Put what provides {module} on the board, in its lib/ folder: a library with "
        "mpremote mip install (MicroPython: its micropython-lib package name) or circup "
        "install (CircuitPython), or its file copied into the board's lib/ folder in this "
        f"repository; name it in the README. {target} is the host's environment, not "
        "the board's.",
    )
