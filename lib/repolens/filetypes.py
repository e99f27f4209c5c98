"""What a file is, by name and extension: one table (``filetypes.toml``)."""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
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

    def is_text_extension(self, extension: str, category: str) -> bool:
        """Whether files so named should hold text: then binary content says the name lies."""
        return category in ("code", "notebook", "config") or extension in self.text_extensions

    def text_language(self, name: str) -> str | None:
        """The language for a text format the counting engine does not know."""
        return self.languages.get(self.extension(name))


@cache
def file_types() -> FileTypes:
    """The bundled table, parsed once on first use."""
    text = resources.files("repolens").joinpath("filetypes.toml").read_text(encoding="utf-8")
    return FileTypes.from_toml(text)
