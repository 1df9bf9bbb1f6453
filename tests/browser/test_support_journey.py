"""Assistance in a real browser (issue 12): an agent opens a request with an attachment — the
practical guides are proposed while the subject is typed — and a technician works it from the
syndicate's queue (assignment, public reply, status); the agent sees the reply. Each page is
checked by axe-core. Screenshots at 1280 and 360 px go to $SUPPORT_SCREENSHOTS when set."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret, hotp_value
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from catalogue.models import AnnexVersion, Offer, ServiceFamily, TariffSchedule
from contracts.models import Subscription
from portal import services as portal_services
from portal.models import Collectivite, Role
from support import services
from support.models import Guide, SupportChannel, Ticket
from tests.browser.conftest import axe_violations, site
from tests.conftest import TEST_PASSWORD
from tests.factories import MembershipFactory, UserFactory
from tests.factories.catalogue import build_catalogue

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("SUPPORT_SCREENSHOTS")


def _shoot(page, name: str) -> None:
    if not SHOTS:
        return
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(Path(SHOTS) / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


@pytest.fixture
def helpdesk(django_db_setup, django_db_blocker):
    secret = generate_totp_secret()
    with django_db_blocker.unblock():
        catalogue = build_catalogue()
        tenant = Collectivite.objects.get(slug="test")
        sub = Subscription.objects.create(
            collectivite=tenant, offer=catalogue.mail, quantity=5,
            activated_on=timezone.localdate().replace(day=1),
        )  # fmt: skip
        channels = {channel.code: channel for channel in services.channels_load()}
        channels["messagerie-stockage"].offers.add(catalogue.mail)
        guide = Guide.objects.create(
            title="Configurer Thunderbird pour la messagerie", body="Menu Comptes…",
            offer=catalogue.mail,
        )  # fmt: skip
        agent = UserFactory(email="agent.assistance@commune-test.fr", full_name="Alice Agent")
        agent.set_password(TEST_PASSWORD)
        agent.save()
        MembershipFactory(user=agent, collectivite=tenant, role=Role.AGENT)
        technician = portal_services.staff_user_create(
            email="technicien.parcours@syndicat.test", full_name="Théo Technicien",
            password=TEST_PASSWORD, groups=["Administrateurs du syndicat"],
        )  # fmt: skip
        TOTP.activate(technician, secret)
        yield tenant, agent, technician, secret
        Ticket.objects.filter(collectivite=tenant).delete()
        SupportChannel.objects.all().delete()
        guide.delete()
        sub.delete()
        TariffSchedule.objects.all().delete()
        AnnexVersion.objects.all().delete()
        Offer.objects.exclude(requires_offer=None).delete()
        Offer.objects.all().delete()
        ServiceFamily.objects.all().delete()
        for user in (agent, technician):
            user.memberships.all().delete()
            user.groups.clear()
            user.is_active = False
            user.email = f"parti-{user.pk}@exemple.invalid"
            user.save()


def test_an_agent_asks_and_a_technician_answers(helpdesk, live_site, browser, tmp_path):
    tenant, agent, technician, secret = helpdesk
    host = tenant.primary_domain_name
    attachment = tmp_path / "capture-erreur.png"
    attachment.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)

    agent_page = browser.new_context(locale="fr-FR").new_page()
    agent_page.goto(site(host, live_site, "/comptes/login/"))
    agent_page.get_by_label("Courriel").fill(agent.email)
    agent_page.get_by_label("Mot de passe").fill(TEST_PASSWORD)
    agent_page.get_by_role("button", name="Se connecter").click()
    agent_page.get_by_role("link", name="Assistance", exact=True).click()
    expect(agent_page.get_by_role("heading", name="Assistance", exact=True)).to_be_visible()
    assert axe_violations(agent_page) == []
    _shoot(agent_page, "tenant-list-empty")

    agent_page.get_by_role("link", name="Nouvelle demande").click()
    agent_page.get_by_label("Service concerné").select_option(label="Messagerie BlueMind 2 Go")
    agent_page.get_by_label("Objet").press_sequentially("Thunderbird ne reçoit plus", delay=20)
    expect(
        agent_page.get_by_role("link", name="Configurer Thunderbird pour la messagerie")
    ).to_be_visible()
    agent_page.get_by_label("Description").fill("Depuis ce matin, plus aucun courriel.")
    agent_page.get_by_label("Priorité").select_option("blocking")
    agent_page.get_by_label("Pièces jointes").set_input_files(str(attachment))
    assert axe_violations(agent_page) == []
    _shoot(agent_page, "tenant-new")
    agent_page.get_by_role("button", name="Envoyer la demande").click()
    expect(agent_page.get_by_text("est enregistrée")).to_be_visible()
    expect(agent_page.get_by_role("link", name="capture-erreur.png")).to_be_visible()
    ticket = Ticket.objects.get(collectivite=tenant, subject="Thunderbird ne reçoit plus")

    staff_page = browser.new_context(locale="fr-FR").new_page()
    staff_page.goto(site(settings.BASE_DOMAIN, live_site, "/comptes/login/"))
    staff_page.get_by_label("Courriel").fill(technician.email)
    staff_page.get_by_label("Mot de passe").fill(TEST_PASSWORD)
    staff_page.get_by_role("button", name="Se connecter").click()
    staff_page.wait_for_url("**/comptes/2fa/authenticate/")
    staff_page.get_by_label("Code").fill(f"{hotp_value(secret, int(time.time()) // 30):06d}")
    staff_page.get_by_role("button", name="Connexion").click()
    # the staff's link carries the count of requests nobody took (« Assistance (1 à traiter) »)
    staff_page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name=re.compile(r"^Assistance")
    ).click()
    expect(staff_page.get_by_role("link", name=ticket.number)).to_be_visible()
    assert axe_violations(staff_page) == []
    _shoot(staff_page, "backoffice-queue")

    staff_page.get_by_role("link", name=ticket.number).click()
    staff_page.get_by_label("Attribuer à").select_option(label="Théo Technicien")
    staff_page.get_by_role("button", name="Attribuer").click()
    expect(staff_page.get_by_text("Attribution enregistrée.")).to_be_visible()
    staff_page.get_by_label("Message").fill("Vérifiez le mot de passe enregistré dans Thunderbird.")
    staff_page.locator("#id_minutes_spent").fill("10")  # the reply's (the status form has one)
    staff_page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(staff_page.get_by_text("Réponse envoyée.")).to_be_visible()
    expect(staff_page.get_by_text("10 min").first).to_be_visible()
    staff_page.get_by_label("Nouvel état").select_option("waiting")
    staff_page.get_by_role("button", name="Changer l'état").click()
    expect(staff_page.get_by_text("horloge arrêtée").first).to_be_visible()
    assert axe_violations(staff_page) == []
    _shoot(staff_page, "backoffice-ticket")

    agent_page.reload()
    expect(
        agent_page.get_by_text("Vérifiez le mot de passe enregistré dans Thunderbird.")
    ).to_be_visible()
    expect(agent_page.get_by_text("en attente de la collectivité").first).to_be_visible()
    assert axe_violations(agent_page) == []
    _shoot(agent_page, "tenant-ticket")
    staff_page.goto(site(settings.BASE_DOMAIN, live_site, "/assistance/rapport/"))
    assert axe_violations(staff_page) == []
    _shoot(staff_page, "backoffice-report")
    staff_page.goto(site(settings.BASE_DOMAIN, live_site, "/assistance/fiches/"))
    _shoot(staff_page, "backoffice-guides")
