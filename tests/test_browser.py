"""report.html in a real browser (headless Chromium driven by Playwright): no console
errors, no page wider than the window, alt text on every image, the findings first, and a
table of contents whose links land."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .conftest import PYTHON, SAMPLE, python_env

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import subprocess

    out = tmp_path_factory.mktemp("report")
    done = subprocess.run(
        [PYTHON, "-m", "repolens", "report", str(SAMPLE), "-o", str(out), "-q"],
        capture_output=True,
        text=True,
        env=python_env(),
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return out / "report.html"


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("no Chromium here: apt-get install chromium (.ci/run installs it)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def rerun_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample's report in a folder a rerun wrote into (rerun.json stated in
    test_rerun_view: 5 notebooks, long paths and excerpts)."""
    import subprocess

    from .test_rerun_view import rerun_json

    out = tmp_path_factory.mktemp("rerun-report")
    rerun_json(out, "_a_rather_long_name_that_does_not_break_" * 3)
    done = subprocess.run(
        [PYTHON, "-m", "repolens", "report", str(SAMPLE), "-o", str(out), "-q"],
        capture_output=True,
        text=True,
        env=python_env(),
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return out / "report.html"


def test_does_it_reproduce_comes_first_and_fits_a_phone(browser, rerun_report: Path) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(rerun_report.as_uri())
    assert errors == []
    headings = page.eval_on_selector_all("h2", "hs => hs.map(h => h.textContent.trim())")
    assert headings[0].startswith("Does it reproduce?"), headings
    assert headings[1].startswith("What to fix first"), headings
    links = page.eval_on_selector_all(
        "nav.repolens-toc a", "links => links.map(a => a.getAttribute('href'))"
    )
    assert links[0] == "#Does-it-reproduce?" and len(links) == len(headings)
    assert page.query_selector("[id='Does-it-reproduce?']") is not None
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        scroll, client = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert scroll <= client, f"the page is {scroll} px wide in a {client} px window"
        box = page.eval_on_selector("table.repolens-rerun", "t => t.getBoundingClientRect().right")
        assert box <= client, f"the rerun table ends at {box} px in a {client} px window"
    rows = page.eval_on_selector_all("table.repolens-rerun tbody tr", "rows => rows.length")
    assert rows == 5


def test_the_report_reads_well_in_a_browser(browser, report: Path, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(report.as_uri())
    assert errors == []
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        scroll, client = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert scroll <= client, f"the page is {scroll} px wide in a {client} px window"
    alts = page.eval_on_selector_all("img", "images => images.map(i => i.alt.trim())")
    assert alts and all(alts), alts
    headings = page.eval_on_selector_all("h2", "hs => hs.map(h => h.textContent.trim())")
    assert headings[0].startswith("What to fix first"), headings
    links = page.eval_on_selector_all(
        "nav.repolens-toc a", "links => links.map(a => a.getAttribute('href'))"
    )
    assert len(links) == len(headings)
    for link in links:
        assert page.query_selector(f"[id='{link[1:]}']") is not None, link
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(tmp_path / "report.png"))
    assert (tmp_path / "report.png").stat().st_size > 10_000
