"""A collectivité agent browses the catalogue, opens an offer, sees the price of their strate
and adds it to their request — in a real browser, each page checked by axe-core."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from catalogue.models import AnnexVersion, Offer, ServiceFamily, TariffSchedule
from contracts.models import ServiceRequest
from portal.models import Collectivite, Membership, Role, User
from tests.browser.conftest import axe_violations, site
from tests.conftest import TEST_PASSWORD
from tests.factories.catalogue import build_catalogue

pytestmark = pytest.mark.browser


@pytest.fixture
def committed_catalogue(django_db_blocker):
    with django_db_blocker.unblock():
        catalogue = build_catalogue()
        tenant = Collectivite.objects.get(slug="test")
        agent = User.objects.create_user(
            "agent.catalogue@exemple.fr", TEST_PASSWORD, full_name="Léa Catalogue"
        )
        Membership.objects.create(user=agent, collectivite=tenant, role=Role.AGENT)
        yield tenant, agent
        ServiceRequest.objects.filter(collectivite=tenant).delete()
        agent.delete()
        TariffSchedule.objects.all().delete()
        AnnexVersion.objects.all().delete()
        Offer.objects.exclude(requires_offer=None).delete()
        Offer.objects.all().delete()
        ServiceFamily.objects.all().delete()
        assert catalogue


def test_agent_finds_the_price_of_their_strate(committed_catalogue, live_site, page):
    tenant, agent = committed_catalogue
    page.goto(site(tenant.primary_domain_name, live_site, "/comptes/login/"))
    page.get_by_label("Courriel").fill(agent.email)
    page.get_by_label("Mot de passe").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()

    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Catalogue"
    ).click()
    page.get_by_role("heading", name="Catalogue des services").wait_for()
    assert axe_violations(page) == []

    page.get_by_role("link", name="Forfait Technologie").click()
    price = page.get_by_role("complementary")
    expect(price).to_contain_text("700,00\u00a0€ HT")
    expect(price).to_contain_text("Tarif de votre strate : Communes de 2 000 à 3 499 habitants")
    expect(page.get_by_text("Logiciels de sécurité : 5 licences")).to_be_visible()
    assert axe_violations(page) == []

    price.get_by_label("Quantité").fill("1")
    price.get_by_role("button", name="Ajouter à ma demande").click()
    page.get_by_role("heading", name="Ma demande en cours").wait_for()
    expect(page.get_by_role("row", name="Forfait Technologie")).to_contain_text("700,00\u00a0€")
    assert axe_violations(page) == []
