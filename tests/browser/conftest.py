"""Browser tests: Playwright driving Debian's Chromium (never a downloaded browser) against a
live server on the test database, and axe-core (vendored from the npm registry) checking each
page for accessibility.

The live server runs in a thread of this process and sees only committed data, so the data a
journey needs is committed by its fixture and removed afterwards.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.test.testcases import LiveServerThread

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
AXE = Path(__file__).parent / "vendor" / "axe-4.14.1.min.js"
# Without these, Chromium tries to reach Google's services at start, which this network refuses.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make
# around it are synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def live_server_port(django_db_setup, django_db_blocker):
    thread = LiveServerThread("127.0.0.1", StaticFilesHandler, port=0)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    yield thread.port
    thread.terminate()


@pytest.fixture
def live_site(live_server_port, django_db_blocker):
    """The live server's port, with the database open to its thread for this test only."""
    with django_db_blocker.unblock():
        yield live_server_port


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: `make test` installs Debian's chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def site(host: str, port: int, path: str = "/") -> str:
    return f"http://{host}:{port}{path}"


def axe_violations(page) -> list[dict]:
    """Serious and critical accessibility violations axe-core finds on the current page."""
    # Evaluated through the DevTools protocol, not as a <script> of the page: the portal's
    # Content-Security-Policy rightly refuses inline scripts.
    page.evaluate("() => {\n" + AXE.read_text(encoding="utf-8") + "\n}")
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]
