"""Per-repository settings: ``.repolens.toml``, else ``[tool.repolens]`` in ``pyproject.toml``.

    [tool.repolens]
    select = ["NB", "PA001"]       # ids or family prefixes; default: every check
    ignore = ["NB004"]             # ids or prefixes left out
    exclude = ["data/raw/", "*.csv"]  # paths no check reports (gitignore-style globs)

    [tool.repolens.per-file-ignores]
    "legacy/*.py" = ["PA001"]

A line is exempted inline with ``repolens: ignore[PA001]`` (or ``repolens: ignore`` for
every check) in a comment on that line.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ..scanning import safeio
from ..scanning.ignore import IgnoreRules, InvalidPattern, validate_excludes
from .model import Finding, checks_table

__all__ = ["CheckSettings", "ConfigError", "load_settings", "parse_ids"]

_MAX_BYTES = 1 << 20


class ConfigError(ValueError):
    """Settings that cannot work: the message names the file and the key."""


def parse_ids(values: object, where: str) -> tuple[str, ...]:
    """Check ids or family prefixes (``NB``, ``PA001``), checked against the table."""
    if isinstance(values, str):
        values = [part for part in values.split(",")]
    if not isinstance(values, list | tuple) or not all(isinstance(v, str) for v in values):
        raise ConfigError(f"{where}: expected a list of check ids")
    ids = tuple(value.strip().upper() for value in values if value.strip())
    known = checks_table()
    families = {check.family for check in known.values()}
    for value in ids:
        if value not in known and value not in families:
            raise ConfigError(
                f"{where}: unknown check {value!r} (known: {', '.join(sorted(families))} "
                "families, e.g. NB001)"
            )
    return ids


def _matches(check: str, ids: tuple[str, ...]) -> bool:
    return any(check == value or (check.startswith(value) and len(value) == 2) for value in ids)


@dataclass(frozen=True)
class CheckSettings:
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    per_file_ignores: dict[str, tuple[str, ...]] = field(default_factory=dict)
    source: str = ""  # which file they came from, "" for none
    note: str = ""  # why settings that exist were not used

    def wants(self, check: str) -> bool:
        if self.select and not _matches(check, self.select):
            return False
        return not _matches(check, self.ignore)

    def keeps(self, item: Finding) -> bool:
        if not self.wants(item.check):
            return False
        if not item.path:
            return True
        if self.exclude and _covers(_rules(self.exclude), item.path):
            return False
        return not any(
            _covers(_rules((glob,)), item.path) and _matches(item.check, ids)
            for glob, ids in self.per_file_ignores.items()
        )

    def merged(self, select: tuple[str, ...], ignore: tuple[str, ...]) -> CheckSettings:
        """These settings with the command line's: its --select replaces, --ignore adds."""
        return CheckSettings(
            select or self.select,
            (*self.ignore, *ignore),
            self.exclude,
            self.per_file_ignores,
            self.source,
            self.note,
        )


_EXCLUDES: dict[tuple[str, ...], IgnoreRules] = {}


def _rules(globs: tuple[str, ...]) -> IgnoreRules:
    if globs not in _EXCLUDES:
        _EXCLUDES[globs] = IgnoreRules.from_patterns(list(globs))
    return _EXCLUDES[globs]


def _covers(rules: IgnoreRules, path: str) -> bool:
    """Whether the rules match the path or a folder above it (``data/`` covers data/a.csv)."""
    parts = path.rstrip("/").split("/")
    for depth in range(1, len(parts)):
        if rules.ignored("/".join(parts[:depth]), True):
            return True
    return rules.ignored("/".join(parts), path.endswith("/"))


def _globs(values: object, where: str) -> tuple[str, ...]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ConfigError(f"{where}: expected a list of path globs")
    try:
        validate_excludes(values)
    except InvalidPattern as error:
        raise ConfigError(f"{where}: {error}") from None
    return tuple(values)


def load_settings(root: str | Path) -> CheckSettings:
    """The settings of the tree at ``root``; ``ConfigError`` when they cannot work."""
    for name, key in ((".repolens.toml", None), ("pyproject.toml", "tool.repolens")):
        path = Path(root) / name
        try:
            data = safeio.read_small_file(str(path), _MAX_BYTES)
        except FileNotFoundError:
            continue
        except OSError as error:
            raise ConfigError(f"{name}: cannot be read: {error.strerror or error}") from None
        try:
            document = tomllib.loads(data.decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            if key is not None:  # the project's own file, broken: not ours to refuse
                return CheckSettings(
                    note=f"{name} is not valid TOML, so [{key}] was not read: {error}"
                )
            raise ConfigError(f"{name}: not valid TOML: {error}") from None
        table = document if key is None else document.get("tool", {}).get("repolens")
        if table is None:
            continue
        if not isinstance(table, dict):
            raise ConfigError(f"{name}: [{key}] must be a table")
        where = name if key is None else f"{name} [{key}]"
        unknown = set(table) - {"select", "ignore", "exclude", "per-file-ignores"}
        if unknown:
            raise ConfigError(f"{where}: unknown setting {sorted(unknown)[0]!r}")
        per_file = table.get("per-file-ignores", {})
        if not isinstance(per_file, dict):
            raise ConfigError(f"{where}: per-file-ignores must be a table")
        return CheckSettings(
            select=parse_ids(table.get("select", []), f"{where} select"),
            ignore=parse_ids(table.get("ignore", []), f"{where} ignore"),
            exclude=_globs(table.get("exclude", []), f"{where} exclude"),
            per_file_ignores={
                glob: parse_ids(ids, f"{where} per-file-ignores {glob!r}")
                for glob, ids in per_file.items()
                if _globs([glob], f"{where} per-file-ignores")
            },
            source=name,
        )
    return CheckSettings()
