"""B9 in a real browser: the signatory gives the new budget year's engagement number on the
collectivité's site (page « Factures »), an agent reads it without a form — at 1280 and
360 px wide, each page checked by axe-core. Screenshots go to $SCREENSHOTS_DIR when set."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from billing.models import EngagementNumber
from portal.models import Collectivite, Role
from tests.browser.conftest import axe_violations, site
from tests.conftest import TEST_PASSWORD
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("SCREENSHOTS_DIR")


@pytest.fixture
def people(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        tenant = Collectivite.objects.get(slug="test")
        made = {}
        for role, email in (
            (Role.SIGNATORY, "maire.parcours@commune-test.fr"),
            (Role.AGENT, "agent.parcours@commune-test.fr"),
        ):
            user = UserFactory(email=email)
            user.set_password(TEST_PASSWORD)
            user.save()
            MembershipFactory(user=user, collectivite=tenant, role=role)
            made[role] = user
        yield tenant, made
        EngagementNumber.objects.filter(collectivite=tenant).delete()
        for user in made.values():
            user.memberships.all().delete()
            user.is_active = False
            user.email = f"parti-{user.pk}@exemple.invalid"
            user.save()


def _sign_in(page, host, port, user):
    page.goto(site(host, port, "/comptes/login/"))
    page.get_by_label("Courriel").fill(user.email)
    page.get_by_label("Mot de passe").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def _shot(page, name):
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        for width in (1280, 360):
            page.set_viewport_size({"width": width, "height": 900})
            page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})


def test_the_signatory_gives_the_engagement_number_and_an_agent_reads_it(
    people, live_site, browser
):
    tenant, users = people
    host = tenant.primary_domain_name
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    _sign_in(page, host, live_site, users[Role.SIGNATORY])
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Factures"
    ).click()
    expect(page.get_by_role("heading", name="Numéros d'engagement")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Enregistrer le numéro d'engagement").click()
    expect(page.get_by_text("Indiquez le numéro d'engagement.").first).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_label("Numéro d'engagement").fill("ENG-2027-000118")
    page.get_by_role("button", name="Enregistrer le numéro d'engagement").click()
    expect(page.get_by_text("ENG-2027-000118")).to_be_visible()
    _shot(page, "engagement-signataire")
    context.close()

    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    _sign_in(page, host, live_site, users[Role.AGENT])
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Factures"
    ).click()
    expect(page.get_by_text("ENG-2027-000118")).to_be_visible()
    expect(page.get_by_role("button", name="Enregistrer le numéro d'engagement")).to_have_count(0)
    assert axe_violations(page) == []
    _shot(page, "engagement-agent")
    context.close()
