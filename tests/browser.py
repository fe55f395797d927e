"""A page opened in real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright), as a person would open
it: what it logged to the console, the errors it raised, what each Plotly chart drew, and a screenshot."""

from __future__ import annotations

import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

# The flags a closed network needs: without the background ones Chromium keeps trying to reach Google's hosts.
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]

# What a Plotly chart draws: for each chart (a .js-plotly-plot), its traces and the marks drawn for them.
_CHARTS = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(chart => ({
    id: chart.id,
    traces: (chart._fullData || []).length,
    marks: Array.from(chart.querySelectorAll('.scatterlayer path.js-line, .scatterlayer path.point,'
        + ' .barlayer .point path, .boxlayer path.box, .heatmaplayer image, .hm image'))
        .filter(mark => { const box = mark.getBBox(); return box.width > 0 || box.height > 0; }).length,
}))"""


def chromium() -> str:
    """Chromium's path; without it the test fails where the whole suite must run (CI sets REQUIRE_ALL_TESTS) and is
    skipped, with the way to install it, elsewhere."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    message = "headless Chromium is needed: apt-get install chromium (.ci/run installs it)"
    if os.environ.get("REQUIRE_ALL_TESTS"):
        pytest.fail(message)
    pytest.skip(message)


@dataclass
class Opened:
    console: list[tuple[str, str]]  # (type, text) of every console message
    errors: list[str]  # uncaught errors, failed requests, and any request off the local file system
    charts: list[dict]  # per chart: id, traces, marks
    anomalies: list[str]


def open_page(path: Path, screenshot: Path | None = None, width: int = 1280, height: int | None = None) -> Opened:
    """Open the page (and take a screenshot of all of it, or of its top ``height`` pixels); in a thread of its own, since the test session runs an asyncio loop (the Twisted reactor's),
    inside which Playwright's synchronous API refuses to run."""
    executable = chromium()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_open_page, executable, path, screenshot, width, height).result(timeout=180)


def _open_page(executable: str, path: Path, screenshot: Path | None, width: int, height: int | None) -> Opened:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height or 900})
            console, errors = [], []
            page.on("console", lambda message: console.append((message.type, message.text)))
            page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
            page.on("requestfailed", lambda request: errors.append(f"request failed: {request.url}"))
            page.on("request", lambda request: None if request.url.startswith(("file:", "data:", "blob:", "about:"))
                    else errors.append(f"network request: {request.url}"))
            page.goto(path.resolve().as_uri(), wait_until="load")
            page.wait_for_timeout(500)  # Plotly draws right after load; give it a moment
            charts = page.evaluate(_CHARTS)
            anomalies = page.eval_on_selector_all(".anomalies li", "items => items.map(item => item.textContent)")
            if screenshot is not None:
                page.screenshot(path=str(screenshot), full_page=height is None)  # the whole page, or its top
            return Opened(console, errors, charts, anomalies)
        finally:
            browser.close()
