"""The documentation site: built strictly (a warning fails), its generated parts agree with
the code (every command and option from the parser, the checks from checks.toml, every
schema), a page per command, and README's links into it resolve."""

from __future__ import annotations

import argparse
import importlib.util
import re
import shutil
import subprocess
from pathlib import Path
from types import ModuleType

import pytest

from repolens.checks import checks_table
from repolens.cli import build_parser
from repolens.render.findings import checks_markdown

from .conftest import PYTHON, REPO, python_env

DOCS = REPO / "docs"


def _hooks() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_hooks", REPO / "scripts" / "docs_hooks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


HOOKS = _hooks()


def _commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_every_command_has_a_page_with_its_generated_options() -> None:
    nav = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    names = HOOKS.commands()
    assert set(names) == set(_commands()) and len(names) >= 6
    for name in names:
        page = DOCS / "commands" / f"{name}.md"
        assert page.is_file(), f"docs/commands/{name}.md: every command has a page"
        assert f"<!-- repolens:usage {name} -->" in page.read_text(encoding="utf-8")
        assert f"commands/{name}.md" in nav


def test_the_cli_reference_names_every_option_of_every_command() -> None:
    """Generated, not copied: the check synopsis once left out --sarif-base."""
    reference = HOOKS.expand((DOCS / "reference" / "cli.md").read_text(encoding="utf-8"))
    assert "<!-- repolens:" not in reference
    options = {
        option
        for parser in _commands().values()
        for action in parser._actions
        for option in action.option_strings
    }
    assert "--sarif-base" in options
    missing = sorted(option for option in options if option not in reference)
    assert missing == []
    for name in _commands():
        assert f"## `repolens {name}`" in reference
        assert f"usage: repolens {name}" in reference


def test_the_checks_page_is_generated_from_the_table_of_checks() -> None:
    page = HOOKS.expand((DOCS / "checks.md").read_text(encoding="utf-8"))
    assert checks_markdown().rstrip() in page
    rows = re.findall(r"^\| `([A-Z]{2}\d{3})` \|", page, flags=re.M)
    assert rows == list(checks_table())
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert not re.search(r"^\| `[A-Z]{2}\d{3}` \|", readme, flags=re.M)  # one place only


def test_the_schemas_page_shows_every_schema_field() -> None:
    source = (DOCS / "reference" / "schemas.md").read_text(encoding="utf-8")
    names = HOOKS.schema_names()
    assert set(names) == {"metrics", "history", "portfolio", "rerun"}
    for name in names:
        assert f"<!-- repolens:schema {name} -->" in source
    page = HOOKS.expand(source)
    assert "| `schema_version` | string | yes |" in page
    assert "| `file_metrics` |" in page and '"$schema"' in page


@pytest.mark.parametrize(
    "marker", ["<!-- repolens:usage nothing -->", "<!-- repolens:schema nothing -->"]
)
def test_a_marker_for_nothing_stops_the_build(marker: str) -> None:
    with pytest.raises(ValueError, match="nothing"):
        HOOKS.expand(f"# Page\n\n{marker}\n")


def test_readme_links_into_the_docs_resolve() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\((docs/[^)#\s]+)", readme)
    assert len(links) >= 5, links
    assert [link for link in links if not (REPO / link).is_file()] == []


def _build(config_dir: Path, site: Path) -> subprocess.CompletedProcess[str]:
    # never with -q: it hides the warnings --strict counts
    return subprocess.run(
        [PYTHON, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=config_dir,
        capture_output=True,
        text=True,
        env={**python_env(), "NO_MKDOCS_2_WARNING": "1"},
        timeout=300,
        check=False,
    )


@pytest.mark.slow
def test_the_site_builds_strictly_and_a_broken_link_fails_it(tmp_path: Path) -> None:
    if importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec("material") is None:
        pytest.skip('the docs extra is not installed: pip install -e ".[docs]" (.ci/run does)')
    done = _build(REPO, tmp_path / "site")
    assert done.returncode == 0, done.stderr[-3000:]
    check_page = (tmp_path / "site" / "commands" / "check" / "index.html").read_text()
    assert "--sarif-base" in check_page
    for shot in ("report", "history", "portfolio"):
        assert (tmp_path / "site" / "screenshots" / f"tutorial-{shot}.png").is_file()

    copy = tmp_path / "copy"
    shutil.copytree(DOCS, copy / "docs")
    shutil.copy(REPO / "mkdocs.yml", copy)
    (copy / "scripts").mkdir()
    shutil.copy(REPO / "scripts" / "docs_hooks.py", copy / "scripts")
    with open(copy / "docs" / "speed.md", "a", encoding="utf-8") as page:
        page.write("\n[a page that is not there](nowhere.md)\n")
    broken = _build(copy, tmp_path / "broken")
    assert broken.returncode != 0 and "nowhere.md" in broken.stderr, broken.stderr[-2000:]
