"""From a need to an order, in a real browser, as the three people who do it: an agent asks,
the syndicate quotes, the signatory accepts, the syndicate approves (issue 4)."""

from __future__ import annotations

import time

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret, hotp_value
from django.conf import settings
from playwright.sync_api import expect

from catalogue.models import AnnexVersion, Offer, ServiceFamily, TariffSchedule
from contracts.models import Quote, QuoteAcceptance, ServiceRequest
from portal import services
from portal.models import Collectivite, Membership, Role, User
from tests.browser.conftest import axe_violations, site
from tests.conftest import TEST_PASSWORD
from tests.factories.catalogue import build_catalogue

pytestmark = pytest.mark.browser


@pytest.fixture
def people(django_db_setup, django_db_blocker):
    secret = generate_totp_secret()
    with django_db_blocker.unblock():
        build_catalogue()
        tenant = Collectivite.objects.get(slug="test")
        agent = User.objects.create_user(
            "agent.commande@exemple.fr", TEST_PASSWORD, full_name="Paul Agent"
        )
        mayor = User.objects.create_user(
            "maire.commande@exemple.fr", TEST_PASSWORD, full_name="Anne Maire"
        )
        Membership.objects.create(user=agent, collectivite=tenant, role=Role.AGENT)
        Membership.objects.create(user=mayor, collectivite=tenant, role=Role.SIGNATORY)
        staff = services.staff_user_create(
            email="admin.commande@syndicat.test",
            full_name="Nadia Syndicat",
            password=TEST_PASSWORD,
            groups=["Administrateurs du syndicat"],
        )
        TOTP.activate(staff, secret)
        yield tenant, agent, mayor, staff, secret
        QuoteAcceptance.objects.filter(quote__collectivite=tenant).delete()
        Quote.objects.filter(collectivite=tenant).update(previous=None)
        Quote.objects.filter(collectivite=tenant).delete()
        ServiceRequest.objects.filter(collectivite=tenant).delete()
        TariffSchedule.objects.all().delete()
        AnnexVersion.objects.all().delete()
        Offer.objects.exclude(requires_offer=None).delete()
        Offer.objects.all().delete()
        ServiceFamily.objects.all().delete()
        for user in (agent, mayor, staff):  # audited people are deactivated, never deleted
            user.memberships.all().delete()
            user.groups.clear()
            user.is_active = False
            user.email = f"parti-{user.pk}@exemple.invalid"
            user.save()


def _sign_in(page, host, port, email, secret=None):
    page.goto(site(host, port, "/comptes/login/"))
    page.get_by_label("Courriel").fill(email)
    page.get_by_label("Mot de passe").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    if secret:
        page.wait_for_url("**/comptes/2fa/authenticate/")
        page.get_by_label("Code").fill(f"{hotp_value(secret, int(time.time()) // 30):06d}")
        page.get_by_role("button", name="Connexion").click()


def test_request_quote_acceptance_approval(people, live_site, browser):
    tenant, agent, mayor, staff, secret = people
    host, backoffice = tenant.primary_domain_name, settings.BASE_DOMAIN

    # 1. The agent asks for two visio rooms and sends the request.
    agent_page = browser.new_context(locale="fr-FR").new_page()
    _sign_in(agent_page, host, live_site, agent.email)
    agent_page.goto(site(host, live_site, "/catalogue/visio/"))
    agent_page.get_by_role("complementary").get_by_label("Quantité").fill("2")
    agent_page.get_by_role("button", name="Ajouter à ma demande").click()
    agent_page.get_by_role("heading", name="Ma demande en cours").wait_for()
    assert axe_violations(agent_page) == []
    agent_page.get_by_role("button", name="Transmettre au syndicat").click()
    expect(agent_page.get_by_text("transmise", exact=False).first).to_be_visible()

    # 2. The syndicate makes the quote from it and sends it.
    staff_page = browser.new_context(locale="fr-FR").new_page()
    _sign_in(staff_page, backoffice, live_site, staff.email, secret)
    staff_page.goto(site(backoffice, live_site, "/commandes/"))
    assert axe_violations(staff_page) == []
    staff_page.get_by_role(
        "link", name=f"Demande n° {ServiceRequest.objects.get(collectivite=tenant).pk}"
    ).first.click()
    staff_page.get_by_role("button", name="Établir le devis").click()
    # The draft shows its prices; "Envoyer" asks before it fixes them.
    expect(staff_page.get_by_text("60,00\u00a0€").first).to_be_visible()
    asked: list[str] = []
    staff_page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    staff_page.get_by_role("button", name="Envoyer").click()
    staff_page.get_by_text("valable jusqu'au", exact=False).first.wait_for()
    assert asked == [
        "Envoyer ce devis de 60,00\u00a0€ HT aux signataires de la commune de Test ? "
        "Ses prix ne changeront plus."
    ]
    expect(staff_page.get_by_text("60,00\u00a0€").first).to_be_visible()  # one room free
    assert axe_violations(staff_page) == []
    quote = Quote.objects.get(collectivite=tenant)

    # 3. The signatory reads it and accepts with the purchase-order number.
    mayor_page = browser.new_context(locale="fr-FR").new_page()
    _sign_in(mayor_page, host, live_site, mayor.email)
    mayor_page.goto(site(host, live_site, f"/devis/{quote.pk}/"))
    assert axe_violations(mayor_page) == []
    mayor_page.get_by_label("Numéro de bon de commande ou d'engagement").fill("BC-2026-118")
    mayor_page.get_by_label("J'ai lu le devis et ses annexes").check()
    mayor_page.get_by_role("button", name="Accepter le devis").click()
    expect(mayor_page.get_by_text("BC-2026-118").first).to_be_visible()
    quote.refresh_from_db()
    assert quote.status == Quote.Status.ACCEPTED

    # 4. The syndicate approves: the order exists.
    staff_page.goto(site(backoffice, live_site, f"/devis/{quote.pk}/"))
    staff_page.get_by_role("button", name="Approuver le devis").click()
    expect(staff_page.get_by_role("button", name="Activer").first).to_be_visible()
    quote.refresh_from_db()
    assert quote.status == Quote.Status.APPROVED
    assert quote.acceptance.po_number == "BC-2026-118"
    assert quote.acceptance.signed_by == mayor
