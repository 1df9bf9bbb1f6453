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


# Every page the suite loads reports the ids it carries more than once (RGAA 8.2: unique
# ids); the `page` fixture fails the test that visited such a page.
DUPLICATE_IDS_MARK = "portal-duplicate-ids:"
DUPLICATE_IDS_SCRIPT = """
document.addEventListener("DOMContentLoaded", () => {
  const seen = new Map();
  for (const el of document.querySelectorAll("[id]")) {
    seen.set(el.id, (seen.get(el.id) || 0) + 1);
  }
  const twice = [...seen].filter(([, n]) => n > 1).map(([id]) => id);
  if (twice.length) { console.error("MARK" + location.pathname + " " + twice.join(",")); }
});
""".replace("MARK", DUPLICATE_IDS_MARK)


# Issue 18: every page the browser suite visits is also checked for Content-Security-Policy
# violations (a blocked script or style would be a broken page for its users).
CSP_MARK = "csp-violation:"
CSP_SCRIPT = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error("MARK" + location.pathname + " " + e.violatedDirective + " " + e.blockedURI);
});
""".replace("MARK", CSP_MARK)


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="fr-FR")
    context.add_init_script(DUPLICATE_IDS_SCRIPT)
    context.add_init_script(CSP_SCRIPT)
    page = context.new_page()
    page.set_default_timeout(10_000)
    found: list[str] = []
    blocked: list[str] = []
    page.on(
        "console",
        lambda msg: (
            found.append(msg.text.removeprefix(DUPLICATE_IDS_MARK))
            if msg.text.startswith(DUPLICATE_IDS_MARK)
            else blocked.append(msg.text.removeprefix(CSP_MARK))
            if msg.text.startswith(CSP_MARK)
            else None
        ),
    )
    yield page
    context.close()
    assert not found, f"ids en double (page puis ids) : {found}"
    assert not blocked, f"refusé par la Content-Security-Policy : {blocked}"


def duplicate_ids(page) -> list[str]:
    """The ids the current page carries more than once (after any htmx swap)."""
    return page.evaluate(
        """() => { const seen = new Map();
        for (const el of document.querySelectorAll('[id]')) seen.set(el.id, (seen.get(el.id)||0)+1);
        return [...seen].filter(([, n]) => n > 1).map(([id]) => id); }"""
    )


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


@pytest.fixture(scope="session")
def demo_template():
    """A database migrated once, that each demo of the session copies (demo_site.py)."""
    from tests.browser.demo_site import drop_database, migrated_template

    name = migrated_template()
    yield name
    drop_database(name)
