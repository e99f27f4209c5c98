"""Every page repolens writes (report.html, history.html, portfolio.html) in a real browser
(headless Chromium driven by Playwright), at 1280 and at 390 pixels: no console error, no
page wider than the window, no text under 9 pixels (the words of the charts included, at
the size the reader sees them), alt text on every chart, no NaN, no empty table; the
report opens with what to fix first and its contents links land."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import PYTHON, REPO, python_env

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SAMPLE = REPO / "examples" / "Detect_Lines"
WIDTHS = (1280, 390)
SMALLEST_PX = 9.0

pytestmark = pytest.mark.slow

READING = """() => {
  const small = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.textContent.trim()) continue;
    const element = node.parentElement;
    const style = getComputedStyle(element);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    if (element.getClientRects().length === 0) continue;
    const size = parseFloat(style.fontSize);
    const text = node.textContent.trim().slice(0, 40);
    if (size < 9) small.push(`${element.tagName} ${size}px: ${text}`);
  }
  const charts = [...document.querySelectorAll('img')].map(image => {
    const narrow = image.currentSrc !== image.src;
    const drawn = Number(narrow ? image.dataset.narrowTextPx : image.dataset.textPx);
    return {
      alt: image.alt.trim(),
      seen: drawn * image.clientWidth / image.naturalWidth,
      loaded: image.complete && image.naturalWidth > 0,
    };
  });
  const tables = [...document.querySelectorAll('table')].map(
    table => table.querySelectorAll('tbody tr').length);
  return {
    small,
    charts,
    tables,
    text: document.body.innerText,
    scroll: document.documentElement.scrollWidth,
    client: document.documentElement.clientWidth,
  };
}"""


def _run(*args: str) -> None:
    done = subprocess.run(
        [PYTHON, "-m", "repolens", *args, "-q"],
        capture_output=True,
        text=True,
        env=python_env(),
        timeout=600,
        check=False,
    )
    assert done.returncode in (0, 5), done.stderr  # 5: the bundled list names one missing
    assert "Traceback" not in done.stderr and "KeyboardInterrupt" not in done.stderr


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The sample committed in four steps (``make_sample.py --git``): its history, then its
    report into the same folder (which shows the history); the bundled portfolio."""
    base = tmp_path_factory.mktemp("pages")
    repository = base / "Detect_Lines"
    subprocess.run(
        [PYTHON, str(REPO / "examples" / "make_sample.py"), "--git", str(repository)],
        check=True,
        capture_output=True,
    )
    out = base / "out"
    _run("history", str(repository), "-o", str(out), "--no-cache")
    _run("report", str(repository), "-o", str(out))
    _run("portfolio", str(REPO / "examples" / "portfolio" / "list.txt"), "-o", str(base / "p"))
    return {
        "report": out / "report.html",
        "history": out / "history.html",
        "portfolio": base / "p" / "portfolio.html",
    }


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


@pytest.mark.parametrize("name", ["report", "history", "portfolio"])
@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_reads_well_at_every_width(
    browser, pages: dict[str, Path], name: str, width: int, tmp_path: Path
) -> None:
    page = browser.new_page(viewport={"width": width, "height": 900})
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(pages[name].as_uri())
    found = page.evaluate(READING)
    assert errors == []
    assert found["scroll"] <= found["client"], f"{found['scroll']} px wide in {found['client']}"
    assert found["small"] == []
    charts = found["charts"]
    assert charts, "a page without a chart"
    for chart in charts:
        assert chart["loaded"] and chart["alt"], chart
        assert chart["seen"] >= SMALLEST_PX, chart
    assert all(rows > 0 for rows in found["tables"]), found["tables"]  # no empty table
    for word in ("NaN", "<NA>", "None"):
        assert word not in found["text"].split(), word
    page.screenshot(path=str(tmp_path / f"{name}-{width}.png"), full_page=True)
    assert (tmp_path / f"{name}-{width}.png").stat().st_size > 10_000


def test_the_report_opens_with_what_to_fix_and_its_contents_land(browser, pages) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(pages["report"].as_uri())
    headings = page.eval_on_selector_all("h2", "hs => hs.map(h => h.textContent.trim())")
    assert headings[0].startswith("What to fix first"), headings
    links = page.eval_on_selector_all(
        "nav.repolens-toc a", "links => links.map(a => a.getAttribute('href'))"
    )
    assert len(links) == len(headings)
    for link in links:
        assert page.query_selector(f"[id='{link[1:]}']") is not None, link


def test_the_report_shows_the_history_and_links_its_page(browser, pages) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(pages["report"].as_uri())
    alts = page.eval_on_selector_all("img", "images => images.map(i => i.alt)")
    assert any(alt.startswith("Bytes by category, and what arrived") for alt in alts), alts
    link = page.query_selector("a[href='history.html']")
    assert link is not None
    link.click()
    assert page.url.endswith("history.html")
    assert "grew" in page.title() or "grew" in page.inner_text("h1")
