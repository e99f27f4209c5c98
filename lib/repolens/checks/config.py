"""Per-repository settings: ``.repolens.toml``, else ``[tool.repolens]`` in ``pyproject.toml``.

    [tool.repolens]
    select = ["NB", "PA001"]       # ids or family prefixes; default: every check
    ignore = ["NB004"]             # ids or prefixes left out
    exclude = ["data/raw/", "*.csv"]  # paths no check reports (gitignore-style globs)

    [tool.repolens.per-file-ignores]
    "legacy/*.py" = ["PA001"]

A line is exempted inline with ``repolens: ignore[PA001]`` (or ``repolens: ignore`` for
every check) in a comment on that line.

The files are the tree's, so any shape is expected. Either file is read through the safe
reader (a regular file of at most ``MAX_BYTES``); a symbolic link is followed only to a
regular file inside the tree. ``.repolens.toml`` is ours: what cannot work in it is a
``ConfigError`` (one line naming the file and the key). ``pyproject.toml`` belongs to the
project: when it cannot be read or its ``tool`` is not a table, the settings are not read
and ``CheckSettings.note`` says why; a wrong ``[tool.repolens]`` is a ``ConfigError``.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core import safeio, tomlread
from ..core.findings import Finding
from ..scanning.ignore import Pattern
from .exemptions import (
    MAX_EXCLUDE_RUNS,
    Exemptions,
    GlobError,
    compile_globs,
    exclude_runs,
    matches_check,
)
from .table import checks_table

__all__ = ["MAX_BYTES", "CheckSettings", "ConfigError", "load_settings", "parse_ids"]

MAX_BYTES = 1 << 20
SETTINGS_KEYS = ("select", "ignore", "exclude", "per-file-ignores")


class ConfigError(ValueError):
    """Settings that cannot work: the message names the file and the key."""


class _NotFollowed(Exception):
    """A settings file that is a link repolens does not follow: the message says why."""


def _shown(value: object) -> str:
    """A value of the settings in a message: quoted, escaped, on one line, not too long."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _kind(value: object) -> str:
    for kinds, name in (
        (bool, "a boolean"),
        (int, "a number"),
        (float, "a number"),
        (str, "a string"),
        (list, "an array"),
        (dict, "a table"),
    ):
        if isinstance(value, kinds):
            return name
    return "a date or time"


def parse_ids(values: object, where: str) -> tuple[str, ...]:
    """Check ids or family prefixes (``NB``, ``PA001``), checked against the table; each once."""
    if isinstance(values, str):
        values = values.split(",")
    if not isinstance(values, list | tuple):
        raise ConfigError(f"{where}: expected a list of check ids, not {_kind(values)}")
    for value in values:
        if not isinstance(value, str):
            raise ConfigError(f"{where}: expected a list of check ids, found {_kind(value)}")
    ids = tuple(dict.fromkeys(value.strip().upper() for value in values if value.strip()))
    known = checks_table()
    families = {check.family for check in known.values()}
    for value in ids:
        if value not in known and value not in families:
            raise ConfigError(
                f"{where}: unknown check {_shown(value)} (known: {', '.join(sorted(families))} "
                "families, e.g. NB001)"
            )
    return ids


@dataclass(frozen=True)
class CheckSettings:
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    per_file_ignores: dict[str, tuple[str, ...]] = field(default_factory=dict)
    source: str = ""  # which file they came from, "" for none
    note: str = ""  # why settings that exist were not used
    exemptions: Exemptions | None = field(default=None, compare=False, repr=False)
    """``exclude`` and ``per_file_ignores`` compiled; built from them when not given."""

    def __post_init__(self) -> None:
        if self.exemptions is None:
            built = Exemptions.from_globs(self.exclude, self.per_file_ignores)
            object.__setattr__(self, "exemptions", built)

    def wants(self, check: str) -> bool:
        if self.select and not matches_check(check, self.select):
            return False
        return not matches_check(check, self.ignore)

    def keeps(self, item: Finding) -> bool:
        if not self.wants(item.check):
            return False
        return self.exemptions is None or not self.exemptions.covers(item.check, item.path)

    def merged(self, select: tuple[str, ...], ignore: tuple[str, ...]) -> CheckSettings:
        """These settings with the command line's: its --select replaces, --ignore adds."""
        return CheckSettings(
            select or self.select,
            tuple(dict.fromkeys((*self.ignore, *ignore))),
            self.exclude,
            self.per_file_ignores,
            self.source,
            self.note,
            self.exemptions,
        )


def _read(root: str, name: str) -> bytes:
    """A settings file's bytes. ``FileNotFoundError`` when there is none, ``_NotFollowed``
    for a link that does not resolve to a regular file inside the tree, ``OSError``
    (``NotRegularFile``, ``TooLarge``) for anything else that cannot be read."""
    path = os.path.join(root, name)
    try:
        return safeio.read_small_file(path, MAX_BYTES)
    except safeio.NotRegularFile as error:
        if not stat.S_ISLNK(error.mode):
            raise
    inside = os.path.realpath(root)
    target = os.path.realpath(path)
    if os.path.commonpath([inside, target]) != inside:
        raise _NotFollowed("is a link out of the tree")
    try:  # the resolved path: its last part is no link, and only a regular file is read
        return safeio.read_small_file(target, MAX_BYTES)
    except FileNotFoundError:
        raise _NotFollowed("is a link to nothing") from None
    except safeio.NotRegularFile as error:
        what = (
            "is a link that loops"
            if stat.S_ISLNK(error.mode)
            else f"is a link to what is {error.strerror}"
        )
        raise _NotFollowed(what) from None
    except OSError as error:
        raise _NotFollowed(f"is a link to what cannot be read ({_reason(error)})") from None


def _reason(error: OSError) -> str:
    return error.strerror or str(error)


def _parse(data: bytes, name: str) -> dict[str, Any]:
    """The TOML document; ``ValueError`` with one line when it is not one (or is past the
    bounds of ``tomlread``: nested too deep, too many keys)."""
    try:
        return tomlread.loads(data.decode("utf-8").removeprefix("\ufeff"))
    except UnicodeDecodeError as error:
        raise ValueError(f"{name} is not UTF-8 (byte {error.start:,})") from None
    except tomlread.TomlError as error:
        raise ValueError(f"{name} is {error}") from None


def _globs(values: object, where: str) -> tuple[str, ...]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ConfigError(f"{where}: expected a list of path globs, not {_kind(values)}")
    return tuple(values)


def _compiled(globs: tuple[str, ...], where: str) -> tuple[Pattern, ...]:
    try:
        return compile_globs(globs)
    except GlobError as error:
        raise ConfigError(f"{where}: {_shown(error.glob)}: {error}") from None


def _settings(table: dict[str, Any], name: str, where: str) -> CheckSettings:
    """Settings from their table; ``ConfigError`` naming the key that cannot work."""
    unknown = sorted(key for key in table if key not in SETTINGS_KEYS)
    if unknown:
        raise ConfigError(
            f"{where}: unknown setting {_shown(unknown[0])} (known: {', '.join(SETTINGS_KEYS)})"
        )
    per_file = table.get("per-file-ignores", {})
    if not isinstance(per_file, dict):
        raise ConfigError(f"{where} per-file-ignores: must be a table, not {_kind(per_file)}")
    exclude = _globs(table.get("exclude", []), f"{where} exclude")
    excluded = _compiled(exclude, f"{where} exclude")
    if exclude_runs(excluded) > MAX_EXCLUDE_RUNS:
        raise ConfigError(
            f"{where} exclude: more than {MAX_EXCLUDE_RUNS} runs of '!' globs and others "
            "one after another; group the '!' globs"
        )
    per_file_ids = {
        glob: parse_ids(ids, f"{where} per-file-ignores {_shown(glob)}")
        for glob, ids in per_file.items()
    }
    patterns = _compiled(tuple(per_file_ids), f"{where} per-file-ignores")
    exemptions = Exemptions.build(excluded, list(zip(patterns, per_file_ids.values(), strict=True)))
    return CheckSettings(
        select=parse_ids(table.get("select", []), f"{where} select"),
        ignore=parse_ids(table.get("ignore", []), f"{where} ignore"),
        exclude=exclude,
        per_file_ignores=per_file_ids,
        source=name,
        exemptions=exemptions,
    )


def load_settings(root: str | Path) -> CheckSettings:
    """The settings of the tree at ``root``; ``ConfigError`` when they cannot work."""
    for name, key in ((".repolens.toml", None), ("pyproject.toml", "tool.repolens")):
        own = key is None
        unused = "the settings were not read" if own else f"[{key}] was not read"
        try:
            document = _parse(_read(str(root), name), name)
        except FileNotFoundError:
            continue
        except _NotFollowed as why:
            return CheckSettings(note=f"{name} {why}, so {unused}")
        except OSError as error:
            if own:
                raise ConfigError(f"{name}: cannot be read: {_reason(error)}") from None
            return CheckSettings(note=f"{name} cannot be read ({_reason(error)}), so {unused}")
        except ValueError as error:
            if own:
                raise ConfigError(str(error)) from None
            return CheckSettings(note=f"{error}, so {unused}")  # the project's file, not ours
        if own:
            return _settings(document, name, name)
        tool = document.get("tool")
        if tool is None:
            continue
        if not isinstance(tool, dict):
            return CheckSettings(note=f"{name}: tool is {_kind(tool)}, not a table, so {unused}")
        table = tool.get("repolens")
        if table is None:
            continue
        where = f"{name} [{key}]"
        if not isinstance(table, dict):
            raise ConfigError(f"{where}: must be a table, not {_kind(table)}")
        return _settings(table, name, where)
    return CheckSettings()
