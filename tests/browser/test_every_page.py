"""Every page each person of the demo reaches by following links, at 360 px wide (a
secrétaire de mairie on her phone): nothing is wider than the screen — a wide table scrolls in
its own region — and no link shown to someone leads to a refusal or an error.

The crawl starts at the person's home page and follows the links of the same site (GET only:
nothing is changed), up to `LIMIT` links per person; a file (PDF, CSV, XLSX, feed) is only
checked for its answer, and one page of each shape (one invoice for all) is drawn."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from tests.browser.demo_site import demo_site
from tests.browser.test_demo_journeys import sign_in

pytestmark = pytest.mark.browser

WIDTH = 360
LIMIT = 70
PEOPLE = [
    ("val-de-saire", "admin@val-de-saire.demo"),
    ("val-de-saire", "agent@val-de-saire.demo"),
    ("val-de-saire", "maire@val-de-saire.demo"),
    ("val-de-saire", "referent@val-de-saire.demo"),
    ("brevands", "secretaire@brevands.demo"),
    (None, "admin@numerique-demo.fr"),
    (None, "finances@numerique-demo.fr"),
]
# What a link may point at without being a page to look at.
LEAVE = ("/comptes/logout/", "/comptes/2fa/", "/admin/")
ASK = """async url => {
    const answer = await fetch(url, {redirect: "manual"});
    return [answer.status, answer.headers.get("content-type") || ""];
}"""


@pytest.fixture(scope="module")
def demo(demo_template):
    with demo_site(demo_template, "2027-01-14T10:00:00+01:00") as site:
        yield site


def _links(page, host: str) -> list[str]:
    found = []
    for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
        parts = urlsplit(href)
        if parts.netloc == host and not parts.path.startswith(LEAVE):
            found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


@pytest.mark.parametrize(("slug", "email"), PEOPLE, ids=[email for _, email in PEOPLE])
def test_every_page_fits_a_phone_and_every_link_answers(demo, page, slug, email):
    sign_in(page, demo, slug, email)
    page.set_viewport_size({"width": WIDTH, "height": 740})
    host = urlsplit(demo.url(slug)).netloc
    todo, seen, drawn, wide, refused = ["/"], set(), set(), [], []
    while todo and len(seen) < LIMIT:
        path = todo.pop(0)
        if path in seen:
            continue
        seen.add(path)
        # Asked from the page (its cookies, the browser's resolution of *.localhost); a
        # redirection answers 0 here and is not followed.
        status, kind = page.evaluate(ASK, demo.url(slug, path))
        if status >= 400:
            refused.append(f"{path} ({status})")
            continue
        if status != 200 or "text/html" not in kind:
            continue
        shape = re.sub(r"\d+", "N", path.partition("?")[0])  # one invoice's page for all
        if shape in drawn:
            continue
        drawn.add(shape)
        page.goto(demo.url(slug, path))
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > WIDTH:
            wide.append(f"{path} ({width} px)")
        todo += [link for link in _links(page, host) if link not in seen]
    assert len(seen) > 5, "the crawl found the person's pages"
    assert wide == [], f"pages wider than {WIDTH} px for {email}"
    assert refused == [], f"links shown to {email} that are refused"
