"""Real-browser fixtures: JupyterLab and Voila servers (tests/browser/servers.py) and
Debian's Chromium driven by Playwright.

Skipped, with the reason shown by ``pytest -ra``, where Chromium or Playwright is absent.
"""

from __future__ import annotations

import importlib.util
import os

import pytest

from tests.browser.kernel_messages import record_kernel_problems
from tests.browser.servers import CHROMIUM, CHROMIUM_ARGS, lab_server, voila_server


def require_browser() -> None:
    """Skip the calling test module, saying why, unless Chromium and Playwright are here.
    With VAE_EXPLAINER_REQUIRE_BROWSER=1 (set by .ci/run) a missing browser fails instead."""
    missing = None
    if not CHROMIUM.exists():
        missing = (f"Debian's chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    elif importlib.util.find_spec("playwright") is None:
        missing = "playwright is not installed (pip install -e '.[dev]')"
    if missing and os.environ.get("VAE_EXPLAINER_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser tests required but {missing}", pytrace=False)
    if missing:
        pytest.skip(f"browser tests skipped: {missing}", allow_module_level=True)


@pytest.fixture(scope="session")
def lab_url(tmp_path_factory):
    with lab_server(tmp_path_factory.mktemp("lab-notebooks"),
                    tmp_path_factory.mktemp("lab-settings")) as url:
        yield url


@pytest.fixture(scope="session")
def voila_url(tmp_path_factory):
    with voila_server(tmp_path_factory.mktemp("voila-notebooks")) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser):
    """A fresh page that records console errors, page errors and failed loopback requests
    (``page.problems``), and every error the kernel sends it (``page.kernel_problems``, see
    tests/browser/kernel_messages.py)."""
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    pg = context.new_page()
    pg.problems = []
    pg.kernel_problems = record_kernel_problems(pg)
    pg.on("console", lambda m: pg.problems.append(f"console {m.type}: {m.text}")
          if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.problems.append(f"page error: {e}"))
    pg.on("requestfailed", lambda r: pg.problems.append(f"request failed: {r.url} {r.failure}")
          if "127.0.0.1" in r.url else None)
    pg.on("response", lambda r: pg.problems.append(f"HTTP {r.status}: {r.url}")
          if r.status >= 400 and "127.0.0.1" in r.url else None)
    yield pg
    context.close()
