"""Whole journeys in a real browser, each page checked with axe-core (RGAA): no serious or
critical violation."""

from __future__ import annotations

import time

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret, hotp_value
from django.conf import settings
from playwright.sync_api import expect

from portal import services
from portal.models import Collectivite, Membership, Role, User
from tests.browser.conftest import axe_violations, site
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def committed(django_db_blocker):
    """Data the live server can see; removed after the test."""
    created: list = []
    with django_db_blocker.unblock():
        yield created
        for obj in reversed(created):
            obj.delete()


def test_agent_signs_in_on_their_collectivite_site(committed, django_db_blocker, live_site, page):
    with django_db_blocker.unblock():
        tenant = Collectivite.objects.get(slug="test")
        agent = User.objects.create_user(
            "agent.navigateur@exemple.fr", TEST_PASSWORD, full_name="Camille Navigateur"
        )
        committed.append(agent)
        Membership.objects.create(user=agent, collectivite=tenant, role=Role.AGENT)
    host = tenant.primary_domain_name

    page.goto(site(host, live_site, "/"))
    assert "/comptes/login/" in page.url
    assert axe_violations(page) == []

    page.get_by_label("Courriel").fill(agent.email)
    page.get_by_label("Mot de passe").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()

    page.get_by_role("heading", name="Bienvenue sur le portail de la commune de Test").wait_for()
    assert "Camille Navigateur" in page.content()
    assert page.get_by_role("heading", name="Factures").is_visible()
    assert axe_violations(page) == []

    # the keyboard reaches the skip link first, and it leads to the content
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Aller au contenu"


def test_staff_signs_in_with_a_second_factor_and_manages_collectivites(
    committed, django_db_blocker, live_site, page
):
    secret = generate_totp_secret()
    with django_db_blocker.unblock():
        staff = services.staff_user_create(
            email="admin.navigateur@syndicat.test",
            full_name="Nadia Navigateur",
            password=TEST_PASSWORD,
            groups=["Administrateurs du syndicat"],
        )
        committed.append(staff)
        TOTP.activate(staff, secret)
        tenant = Collectivite.objects.get(slug="test")
    backoffice = settings.BASE_DOMAIN

    page.goto(site(backoffice, live_site, "/comptes/login/"))
    assert axe_violations(page) == []
    page.get_by_label("Courriel").fill(staff.email)
    page.get_by_label("Mot de passe").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()

    page.wait_for_url("**/comptes/2fa/authenticate/")
    assert axe_violations(page) == []
    page.get_by_label("Code").fill(f"{hotp_value(secret, int(time.time()) // 30):06d}")
    page.get_by_role("button", name="Connexion").click()

    page.get_by_role("heading", name="Bonjour Nadia Navigateur").wait_for()  # the work queue
    assert axe_violations(page) == []
    page.get_by_role("link", name="Collectivités", exact=True).click()
    page.get_by_role("heading", name="Collectivités membres").wait_for()
    assert axe_violations(page) == []
    page.get_by_label("Rechercher").fill("Autre")  # htmx filters as one types
    expect(page.get_by_role("row", name="Commune de Test")).to_have_count(0)
    expect(page.get_by_role("row", name="Commune Autre")).to_have_count(1)
    assert "q=Autre" in page.url  # the filtered list can be bookmarked

    page.goto(site(backoffice, live_site, f"/collectivites/{tenant.pk}/"))
    page.get_by_role("heading", name="Commune de Test").wait_for()
    assert axe_violations(page) == []

    page.goto(site(backoffice, live_site, "/collectivites/nouvelle/"))
    page.get_by_role("button", name="Créer la collectivité").click()
    expect(page.get_by_text("Ce champ est obligatoire.").first).to_be_visible()
    assert axe_violations(page) == []
