"""Every demo role's home page in a real browser, at 1280 and at 360 px: its work queue, no
serious or critical axe-core violation, no duplicate id, nothing wider than the screen, and
the navigation folded behind "Menu" on the narrow screen (issue 10)."""

from __future__ import annotations

import io
import time

import pytest
from allauth.mfa.totp.internal.auth import hotp_value
from django.conf import settings
from django.core.management import call_command

from portal.management.commands.load_demo import DEMO_PASSWORD, DEMO_TOTP_SECRET
from portal.models import Collectivite
from tests.browser.conftest import axe_violations, duplicate_ids, site

pytestmark = pytest.mark.browser

WIDTHS = (1280, 360)
# The footer's pages and the 404, checked at 360 px once on each kind of site.
EXTRA_PAGES = {
    "maire@val-de-saire.demo": ("/plan-du-site/", "/profil/", "/documents/", "/page-absente/"),
    "admin@numerique-demo.fr": ("/accessibilite/", "/donnees-personnelles/", "/page-absente/"),
}
# (who, site slug or None for the back-office, a text their home page shows)
ROLES = [
    ("maire@val-de-saire.demo", "val-de-saire", "Devis à signer"),
    ("admin@val-de-saire.demo", "val-de-saire", "Comptes utilisés sur les comptes souscrits"),
    ("agent@val-de-saire.demo", "val-de-saire", "Vos services"),
    ("referent@val-de-saire.demo", "val-de-saire", "Vos services"),
    ("secretaire@brevands.demo", "val-de-saire", "Vos services"),
    ("president@cc-bocage.demo", "cc-bocage", "Vos services"),
    ("admin@numerique-demo.fr", None, "à chiffrer"),
    ("finances@numerique-demo.fr", None, "échue"),
]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """`load_demo`'s data, committed for the live server (idempotent: kept between runs)."""
    with django_db_blocker.unblock():
        call_command("load_demo", "--force", stdout=io.StringIO())
        yield {c.slug: c.primary_domain_name for c in Collectivite.objects.all()}


def _sign_in(page, host: str, port: int, email: str, staff: bool) -> None:
    page.goto(site(host, port, "/comptes/login/"))
    page.get_by_label("Courriel").fill(email)
    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    if staff:
        page.wait_for_url("**/comptes/2fa/authenticate/")
        code = hotp_value(DEMO_TOTP_SECRET, int(time.time()) // 30)
        page.get_by_label("Code").fill(f"{code:06d}")
        page.get_by_role("button", name="Connexion").click()
    page.get_by_role("heading", name="À faire", exact=False).first.wait_for()


def _check(page, width: int, where: str) -> None:
    assert axe_violations(page) == [], where
    assert duplicate_ids(page) == [], where
    assert page.evaluate("document.documentElement.scrollWidth") <= width, where


@pytest.mark.parametrize(("email", "slug", "shows"), ROLES, ids=[r[0] for r in ROLES])
def test_each_demo_role_home_page_at_1280_and_360(demo, live_site, browser, email, slug, shows):
    host = demo[slug] if slug else settings.BASE_DOMAIN
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        _sign_in(page, host, live_site, email, staff=slug is None)
        assert shows in page.content()
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            page.reload()
            _check(page, width, f"{email} / at {width}px")
            menu = page.get_by_role("button", name="Menu")
            if width == 360:
                nav_link = page.get_by_role("navigation", name="Navigation principale").get_by_role(
                    "link", name="Contrats" if slug else "Commandes", exact=False
                )
                assert not nav_link.is_visible()
                menu.click()
                assert menu.get_attribute("aria-expanded") == "true"
                assert nav_link.is_visible()
            else:
                assert not menu.is_visible()
        for path in EXTRA_PAGES.get(email, ()):
            page.goto(site(host, live_site, path))
            _check(page, 360, f"{email} {path}")
    finally:
        context.close()
