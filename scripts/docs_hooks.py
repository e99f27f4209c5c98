"""The documentation's generated parts, filled in while MkDocs builds (``hooks:`` in
``mkdocs.yml``): nothing in ``docs/`` copies what the code already says.

A page asks for a part with an HTML comment on a line of its own:

- ``<!-- repolens:usage NAME -->``: the options of ``repolens NAME``, from the parser;
- ``<!-- repolens:cli -->``: every command's options, one section each, from the parser
  (a command added to ``repolens.commands`` appears without a word here);
- ``<!-- repolens:checks -->``: the table of checks, from ``checks.toml``;
- ``<!-- repolens:schema NAME -->``: the top-level fields of ``NAME.schema.json`` and the
  schema itself.

An unknown marker, or a command or schema that does not exist, stops the build.
"""

from __future__ import annotations

import argparse
import json
import os
import re
from pathlib import Path
from typing import Any

__all__ = ["commands", "expand", "on_page_markdown", "schema_names"]

MARKER = re.compile(r"^<!-- repolens:(\w+)(?: ([\w-]+))? -->$", re.M)
WIDTH = "88"  # argparse wraps help to $COLUMNS: the same page on every machine


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    from repolens.cli import build_parser

    parser = build_parser()
    for action in parser._actions:  # argparse keeps its subcommands only here
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise ValueError("the parser has no commands")


def commands() -> list[str]:
    """Every command the parser knows, in its order."""
    return list(_subparsers())


def _schemas() -> Path:
    import repolens

    return Path(repolens.__file__).parent / "schema"


def schema_names() -> list[str]:
    """Every schema the package ships (``metrics``, ``history``, ...)."""
    return sorted(path.name.removesuffix(".schema.json") for path in _schemas().glob("*.json"))


def _help(name: str) -> str:
    parsers = _subparsers()
    if name not in parsers:
        raise ValueError(f"no command {name!r} (the parser has {', '.join(parsers)})")
    previous = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = WIDTH
    try:
        text = parsers[name].format_help()
    finally:
        if previous is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = previous
    return f"```text\n{text.rstrip()}\n```"


def _cli() -> str:
    return "\n\n".join(f"## `repolens {name}`\n\n{_help(name)}" for name in commands())


def _checks() -> str:
    from repolens.render.findings import checks_markdown

    return checks_markdown().rstrip()


def _type(field: dict[str, Any]) -> str:
    kind = field.get("type", "")
    if isinstance(kind, list):
        return " or ".join(str(item) for item in kind)
    return str(kind or ("reference" if "$ref" in field else "—"))


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _schema(name: str) -> str:
    path = _schemas() / f"{name}.schema.json"
    if not path.is_file():
        raise ValueError(f"no schema {name!r} (there are {', '.join(schema_names())})")
    schema = json.loads(path.read_text(encoding="utf-8"))
    required = set(schema.get("required", ()))
    rows = [
        f"| `{key}` | {_type(field)} | {'yes' if key in required else 'no'} | "
        f"{_cell(field.get('description', '')) or '—'} |"
        for key, field in schema.get("properties", {}).items()
    ]
    table = "| field | type | required | meaning |\n|---|---|---|---|\n" + "\n".join(rows)
    title = _cell(schema.get("title", name))
    about = schema.get("description", "")
    whole = json.dumps(schema, indent=2, ensure_ascii=False)
    return (
        f"**{title}** (`lib/repolens/schema/{path.name}`). {about}\n\n{table}\n\n"
        f"The schema as the package ships it:\n\n```json\n{whole}\n```"
    )


def _part(kind: str, name: str | None) -> str:
    if kind == "usage" and name:
        return _help(name)
    if kind == "cli" and not name:
        return _cli()
    if kind == "checks" and not name:
        return _checks()
    if kind == "schema" and name:
        return _schema(name)
    raise ValueError(f"unknown marker repolens:{kind} {name or ''}".rstrip())


def expand(markdown: str) -> str:
    """``markdown`` with every marker replaced by what it asks for."""
    return MARKER.sub(lambda match: _part(match[1], match[2]), markdown)


def on_page_markdown(markdown: str, **_: Any) -> str:
    """The MkDocs hook."""
    return expand(markdown)
