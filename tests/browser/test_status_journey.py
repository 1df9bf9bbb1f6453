"""Staff open an incident in the back-office, an agent of a subscribing collectivité sees the
banner on every page and the status page, staff close the incident and the banner goes — in
a real browser, each page checked by axe-core (issue 13)."""

from __future__ import annotations

import time

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret, hotp_value
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from catalogue.models import AnnexVersion, Offer, ServiceFamily, TariffSchedule
from contracts.models import Subscription
from portal import services
from portal.models import Collectivite, Role
from status.models import Announcement, NotificationSent, Service
from tests.browser.conftest import axe_violations, site
from tests.conftest import TEST_PASSWORD
from tests.factories import MembershipFactory, UserFactory
from tests.factories.catalogue import build_catalogue

pytestmark = pytest.mark.browser


@pytest.fixture
def status_world(django_db_setup, django_db_blocker):
    secret = generate_totp_secret()
    with django_db_blocker.unblock():
        catalogue = build_catalogue()
        mail = Service.objects.create(slug="messagerie", name="Messagerie", position=1)
        mail.offers.set([catalogue.mail])
        visio = Service.objects.create(slug="visio", name="Visioconférence", position=2)
        visio.offers.set([catalogue.visio])
        tenant = Collectivite.objects.get(slug="test")
        sub = Subscription.objects.create(
            collectivite=tenant,
            offer=catalogue.mail,
            quantity=5,
            activated_on=timezone.localdate().replace(day=1),
        )
        staff = services.staff_user_create(
            email="annonces.parcours@syndicat.test",
            full_name="Nadia Annonces",
            password=TEST_PASSWORD,
            groups=["Administrateurs du syndicat"],
        )
        TOTP.activate(staff, secret)
        agent = UserFactory(email="agent.etat@commune-test.fr")
        agent.set_password(TEST_PASSWORD)
        agent.save()
        MembershipFactory(user=agent, collectivite=tenant, role=Role.AGENT)
        yield tenant, staff, secret, agent
        NotificationSent.objects.all().delete()
        Announcement.objects.all().delete()
        Service.objects.all().delete()
        sub.delete()
        TariffSchedule.objects.all().delete()
        AnnexVersion.objects.all().delete()
        Offer.objects.exclude(requires_offer=None).delete()
        Offer.objects.all().delete()
        ServiceFamily.objects.all().delete()
        for user in (staff, agent):
            user.groups.clear()
            user.memberships.all().delete()
            user.is_active = False
            user.email = f"parti-{user.pk}@exemple.invalid"
            user.save()


def _staff_sign_in(page, port, staff, secret):
    page.goto(site(settings.BASE_DOMAIN, port, "/comptes/login/"))
    page.get_by_label("Courriel").fill(staff.email)
    page.get_by_label("Mot de passe").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/comptes/2fa/authenticate/")
    page.get_by_label("Code").fill(f"{hotp_value(secret, int(time.time()) // 30):06d}")
    page.get_by_role("button", name="Connexion").click()


def test_staff_open_an_incident_the_agent_sees_it_staff_close_it(status_world, live_site, browser):
    tenant, staff, secret, agent = status_world
    staff_page = browser.new_context(locale="fr-FR").new_page()
    agent_page = browser.new_context(locale="fr-FR").new_page()
    for p in (staff_page, agent_page):
        p.set_default_timeout(10_000)

    _staff_sign_in(staff_page, live_site, staff, secret)
    staff_page.get_by_role("link", name="Annonces", exact=True).click()
    expect(staff_page.get_by_role("heading", name="Annonces", exact=True)).to_be_visible()
    assert axe_violations(staff_page) == []
    staff_page.get_by_label("Type d'annonce").select_option("incident")
    staff_page.get_by_label("Titre").fill("Messagerie indisponible")
    staff_page.get_by_label("Gravité (incident)").select_option("interrupted")
    staff_page.get_by_label("Messagerie").check()
    staff_page.get_by_label("Texte", exact=True).fill("Les boîtes ne répondent plus.")
    staff_page.get_by_role("button", name="Publier", exact=True).click()
    expect(staff_page.get_by_text("Annonce publiée : Messagerie indisponible")).to_be_visible()
    assert axe_violations(staff_page) == []

    host = tenant.primary_domain_name
    agent_page.goto(site(host, live_site, "/comptes/login/"))
    agent_page.get_by_label("Courriel").fill(agent.email)
    agent_page.get_by_label("Mot de passe").fill(TEST_PASSWORD)
    agent_page.get_by_role("button", name="Se connecter").click()
    banner = agent_page.get_by_role("region", name="Incident en cours")
    expect(banner).to_contain_text("Messagerie indisponible (interrompu)")
    nav = agent_page.get_by_role("navigation", name="Navigation principale")
    nav.get_by_role("link", name="Contrats").click()
    expect(banner).to_be_visible()
    nav.get_by_role("link", name="État des services").click()
    row = agent_page.locator("#service-messagerie")
    expect(row.get_by_role("heading")).to_contain_text("Interrompu")
    expect(agent_page.locator("#service-visio")).to_have_count(0)
    expect(agent_page.get_by_text("Les boîtes ne répondent plus.")).to_be_visible()
    assert axe_violations(agent_page) == []

    # Asking the support: the incident is shown, and the agent follows it instead (item 5)
    nav.get_by_role("link", name="Assistance").click()
    agent_page.get_by_role("link", name="Nouvelle demande").click()
    incidents = agent_page.get_by_role("region", name="Un incident est en cours sur vos services")
    expect(incidents).to_contain_text("Messagerie indisponible")
    assert axe_violations(agent_page) == []
    incidents.get_by_role("button", name="Suivre l'incident").click()
    expect(
        agent_page.get_by_text("Vous suivez l'incident « Messagerie indisponible »")
    ).to_be_visible()

    staff_page.get_by_role("button", name="Clore l'incident").click()
    expect(staff_page.get_by_text("Incident clos.")).to_be_visible()

    agent_page.reload()
    expect(agent_page.get_by_role("region", name="Incident en cours")).to_have_count(0)
    expect(agent_page.locator("#service-messagerie").get_by_role("heading")).to_contain_text(
        "Opérationnel"
    )
    staff_page.context.close()
    agent_page.context.close()
