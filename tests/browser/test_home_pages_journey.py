"""Every role's home page in a real browser, at 1280 and at 360 px: its work queue, no
serious or critical axe-core violation, no duplicate id, nothing wider than the screen, and
the navigation folded behind "Menu" on the narrow screen (issue 10)."""

from __future__ import annotations

import time

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret, hotp_value
from django.conf import settings
from django.utils import timezone

from contracts.models import ServiceRequest
from portal import services
from portal.models import Collectivite, Membership, Role, User
from tests.browser.conftest import axe_violations, duplicate_ids, site
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.browser

WIDTHS = (1280, 360)
# (who, roles in the test collectivité or staff group, a text their home page shows)
ROLES = [
    ("signataire.accueil@exemple.fr", [Role.SIGNATORY], "Aucun devis n'attend votre signature."),
    ("admin.accueil@exemple.fr", [Role.FUNCTIONAL_ADMIN], "Aucun compte en attente ni en échec."),
    ("agent.accueil@exemple.fr", [Role.AGENT], "Vos demandes et où elles en sont"),
    ("referent.accueil@exemple.fr", [Role.VISIO_REFERENT], "Vos services"),
    ("syndicat.accueil@exemple.fr", "Administrateurs du syndicat", "Demandes à chiffrer"),
    ("finances.accueil@exemple.fr", "Finances du syndicat", "Aucune facture échue."),
]
# The footer's pages and the 404, checked at 360 px once on each kind of site.
EXTRA_PAGES = {
    "signataire.accueil@exemple.fr": ("/plan-du-site/", "/profil/", "/documents/", "/absente/"),
    "syndicat.accueil@exemple.fr": ("/accessibilite/", "/donnees-personnelles/", "/absente/"),
}


@pytest.fixture(scope="module")
def people(django_db_setup, django_db_blocker):
    """One person per role (staff with a second factor) and a request sent by the agent,
    committed for the live server and removed afterwards."""
    secret = generate_totp_secret()
    with django_db_blocker.unblock():
        tenant = Collectivite.objects.get(slug="test")
        users = []
        for email, roles, _ in ROLES:
            if isinstance(roles, str):
                user = services.staff_user_create(
                    email=email,
                    full_name="Claire Personnel",
                    password=TEST_PASSWORD,
                    groups=[roles],
                )
                TOTP.activate(user, secret)
            else:
                user = User.objects.create_user(email, TEST_PASSWORD, full_name="Léa Membre")
                for role in roles:
                    Membership.objects.create(user=user, collectivite=tenant, role=role)
            users.append(user)
        agent = User.objects.get(email="agent.accueil@exemple.fr")
        ServiceRequest.objects.create(
            collectivite=tenant,
            status=ServiceRequest.Status.SUBMITTED,
            submitted_at=timezone.now(),
            submitted_by=agent,
            created_by=agent,
        )
        yield tenant, secret
        ServiceRequest.objects.filter(collectivite=tenant, submitted_by=agent).delete()
        for user in users:  # audited people are deactivated, never deleted
            user.memberships.all().delete()
            user.groups.clear()
            user.is_active = False
            user.email = f"parti-{user.pk}@exemple.invalid"
            user.save()


def _sign_in(page, host: str, port: int, email: str, secret: str | None) -> None:
    page.goto(site(host, port, "/comptes/login/"))
    page.get_by_label("Courriel").fill(email)
    page.get_by_label("Mot de passe").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    if secret:
        page.wait_for_url("**/comptes/2fa/authenticate/")
        page.get_by_label("Code").fill(f"{hotp_value(secret, int(time.time()) // 30):06d}")
        page.get_by_role("button", name="Connexion").click()
    page.get_by_role("heading", name="À faire", exact=False).first.wait_for()


def _check(page, width: int, where: str) -> None:
    assert axe_violations(page) == [], where
    assert duplicate_ids(page) == [], where
    assert page.evaluate("document.documentElement.scrollWidth") <= width, where


def _refused_needs_are_seen(page, host: str, port: int) -> None:
    """A refused form comes back as typed, its error summary focused and in view (RGAA 11.10)."""
    page.set_viewport_size({"width": 360, "height": 640})
    page.goto(site(host, port, "/demandes/brouillon/"))
    page.get_by_label("réserver un nouveau nom de domaine en .fr").check()
    page.get_by_label("Précisions (services par utilisateur, quotas, assistance…)").fill("Gardé")
    page.get_by_role("button", name="Enregistrer les besoins").click()
    page.locator("[data-error-summary]").wait_for()
    assert page.evaluate("document.activeElement.hasAttribute('data-error-summary')")
    box = page.locator("[data-error-summary]").bounding_box()
    assert box is not None
    assert 0 <= box["y"] < 640
    assert page.get_by_label(
        "Précisions (services par utilisateur, quotas, assistance…)"
    ).input_value() == ("Gardé")
    page.locator("[data-error-summary] a").first.click()
    assert page.evaluate("document.activeElement.id") == "id_domain_name"
    _check(page, 360, "needs refused")


@pytest.mark.parametrize(("email", "roles", "shows"), ROLES, ids=[r[0] for r in ROLES])
def test_each_role_home_page_at_1280_and_360(people, live_site, browser, email, roles, shows):
    tenant, secret = people
    staff = isinstance(roles, str)
    host = settings.BASE_DOMAIN if staff else tenant.primary_domain_name
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        _sign_in(page, host, live_site, email, secret if staff else None)
        assert shows in page.content()
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            page.reload()
            _check(page, width, f"{email} / at {width}px")
            menu = page.get_by_role("button", name="Menu")
            if width == 360:
                nav_link = page.get_by_role("navigation", name="Navigation principale").get_by_role(
                    "link", name="Commandes" if staff else "Contrats", exact=False
                )
                assert not nav_link.is_visible()
                menu.click()
                assert menu.get_attribute("aria-expanded") == "true"
                assert nav_link.is_visible()
            else:
                assert not menu.is_visible()
        if email == "agent.accueil@exemple.fr":
            _refused_needs_are_seen(page, host, live_site)
        for path in EXTRA_PAGES.get(email, ()):
            page.goto(site(host, live_site, path))
            _check(page, 360, f"{email} {path}")
    finally:
        context.close()
