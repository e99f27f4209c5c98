"""What a file is, by name and extension: one table (``filetypes.toml``)."""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

__all__ = ["CATEGORIES", "FileTypes", "file_types"]

CATEGORIES: tuple[str, ...] = (
    "code",
    "notebook",
    "config",
    "docs",
    "data",
    "image",
    "media",
    "model",
    "archive",
    "other",
)


@dataclass(frozen=True)
class FileTypes:
    """The file-type table: exact names, extensions and extra text languages."""

    names: dict[str, str]
    extensions: dict[str, str]
    languages: dict[str, str]
    text_extensions: frozenset[str]
    longest_extension: int
    digest: str
    prefixes: tuple[tuple[str, str, str], ...] = ()  # (prefix, category, why)
    folders: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (category, why)

    @classmethod
    def from_toml(cls, text: str) -> FileTypes:
        table = tomllib.loads(text)
        extensions: dict[str, str] = {}
        for category, exts in table["extensions"].items():
            if category not in CATEGORIES:
                raise ValueError(f"unknown category {category!r} in file-type table")
            for ext in exts:
                key = ext.lower()
                if key in extensions:
                    raise ValueError(f"extension {ext!r} listed twice in file-type table")
                extensions[key] = category
        for name, category in table["names"].items():
            if category not in CATEGORIES:
                raise ValueError(f"unknown category {category!r} for name {name!r}")
        rules: dict[str, tuple[str, str]] = {}
        for section in ("prefixes", "folders"):
            for key, (category, why) in table.get(section, {}).items():
                if category not in CATEGORIES:
                    raise ValueError(f"unknown category {category!r} for {section} {key!r}")
                rules[f"{section}:{key}"] = (category, why)
        longest = max(ext.count(".") for ext in extensions) if extensions else 1
        if longest > 2:
            raise ValueError("extensions of more than two parts are not supported")
        return cls(
            names=dict(table["names"]),
            extensions=extensions,
            languages={k.lower(): v for k, v in table.get("languages", {}).items()},
            text_extensions=frozenset(
                ext.lower() for ext in table.get("text", {}).get("always", [])
            ),
            longest_extension=longest,
            digest=hashlib.sha256(text.encode("utf-8")).hexdigest()[:16],
            prefixes=tuple(
                (key.split(":", 1)[1], *value)
                for key, value in rules.items()
                if key.startswith("prefixes:")
            ),
            folders={
                key.split(":", 1)[1]: value
                for key, value in rules.items()
                if key.startswith("folders:")
            },
        )

    def extension(self, name: str) -> str:
        """The extension a name is classified by: a two-part one the table knows
        (".tar.gz"), else the last suffix; lower-cased, "" for none (a leading dot
        is not an extension)."""
        start = len(name) - len(name.lstrip("."))
        dot = name.rfind(".")
        if dot <= start:
            return ""
        if self.longest_extension > 1:
            previous = name.rfind(".", start + 1, dot)
            if previous > start:
                double = name[previous:].lower()
                if double in self.extensions:
                    return double
        return name[dot:].lower()

    def category(self, name: str, extension: str | None = None) -> str | None:
        """The category a file name implies, or None when the table does not know it.

        ``extension`` saves reading the name again when the caller has it already."""
        if name in self.names:
            return self.names[name]
        if name[:1] == "." and name.lower() in self.extensions:  # dot-files: ".DS_Store"
            return self.extensions[name.lower()]
        return self.extensions.get(self.extension(name) if extension is None else extension)

    def name_rule(self, path: str) -> tuple[str, str] | None:
        """``(category, why)`` when a name or a folder on the path says the file is not
        what its extension claims (AppleDouble ``._x.mp4``, ``__MACOSX/``, ``~$x.docx``)."""
        name = path.rsplit("/", 1)[-1]
        for prefix, category, why in self.prefixes:
            if name.startswith(prefix) and len(name) > len(prefix):
                return category, why
        if self.folders and "/" in path:
            for folder in path.split("/")[:-1]:
                if folder in self.folders:
                    return self.folders[folder]
        return None

    def classify(self, path: str, extension: str) -> str | None:
        """The category a path's name implies (name rules first), or None."""
        rule = self.name_rule(path)
        if rule is not None:
            return rule[0]
        return self.category(path.rsplit("/", 1)[-1], extension)

    def is_text_extension(self, extension: str, category: str) -> bool:
        """Whether files so named should hold text: then binary content says the name lies."""
        return category in ("code", "notebook", "config") or extension in self.text_extensions

    def text_language(self, name: str) -> str | None:
        """The language for a text format the counting engine does not know."""
        return self.languages.get(self.extension(name))


@cache
def file_types() -> FileTypes:
    """The bundled table, parsed once on first use."""
    table = resources.files("repolens.scanning").joinpath("filetypes.toml")
    text = table.read_text(encoding="utf-8")
    return FileTypes.from_toml(text)
