"""People and roles in a real browser (issue 10): the functional administrator invites a new
signatory from the members page, she accepts the invitation, chooses her password and signs
the waiting quote; every page checked with axe-core, at 1280 and 360 px wide."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from catalogue.models import AnnexVersion, Offer, ServiceFamily, TariffSchedule
from contracts import services as contracts
from contracts.models import Quote, QuoteAcceptance
from portal.models import Collectivite, Invitation, Membership, Role, User
from tests.browser.conftest import axe_violations, site
from tests.conftest import TEST_PASSWORD
from tests.factories.catalogue import build_catalogue

pytestmark = pytest.mark.browser


@pytest.fixture
def setting(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        catalogue = build_catalogue()
        tenant = Collectivite.objects.get(slug="test")
        admin = User.objects.create_user(
            "admin.membres@exemple.fr", TEST_PASSWORD, full_name="Julien Admin"
        )
        Membership.objects.create(user=admin, collectivite=tenant, role=Role.FUNCTIONAL_ADMIN)
        today = timezone.localdate()
        quote = contracts.quote_create(
            collectivite=tenant, title="Messagerie", created_by=None, today=today
        )
        contracts.quote_line_set(quote=quote, offer=catalogue.mail, quantity=3)
        contracts.quote_send(quote=quote, sent_by=None, today=today)
        yield tenant, admin, quote
        QuoteAcceptance.objects.filter(quote__collectivite=tenant).delete()
        Quote.objects.filter(collectivite=tenant).delete()
        TariffSchedule.objects.all().delete()
        AnnexVersion.objects.all().delete()
        Offer.objects.exclude(requires_offer=None).delete()
        Offer.objects.all().delete()
        ServiceFamily.objects.all().delete()
        Invitation.objects.filter(collectivite=tenant).delete()
        for user in User.objects.filter(email__in=[admin.email, "signataire.membres@exemple.fr"]):
            user.memberships.all().delete()  # audited people are deactivated, never deleted
            EmailAddress.objects.filter(user=user).delete()
            user.is_active = False
            user.email = f"parti-{user.pk}@exemple.invalid"
            user.save()


def test_admin_invites_a_signatory_who_signs_the_quote(setting, live_site, browser):
    tenant, admin, quote = setting
    host = tenant.primary_domain_name
    mail.outbox.clear()

    admin_page = browser.new_context(locale="fr-FR").new_page()
    admin_page.goto(site(host, live_site, "/comptes/login/"))
    admin_page.get_by_label("Courriel").fill(admin.email)
    admin_page.get_by_label("Mot de passe").fill(TEST_PASSWORD)
    admin_page.get_by_role("button", name="Se connecter").click()
    admin_page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Personnes et rôles"
    ).click()
    admin_page.get_by_role("heading", name="Personnes et rôles").wait_for()
    for width in (1280, 360):
        admin_page.set_viewport_size({"width": width, "height": 900})
        assert axe_violations(admin_page) == [], width
    # a submission without a role keeps what was typed and says why
    admin_page.get_by_label("Adresse électronique").fill("signataire.membres@exemple.fr")
    admin_page.get_by_label("Nom complet").fill("Élodie Signataire")
    admin_page.get_by_role("button", name="Envoyer l'invitation", exact=True).click()
    expect(admin_page.get_by_role("alert")).to_contain_text("Choisissez au moins un rôle.")
    expect(admin_page.get_by_label("Adresse électronique")).to_have_value(
        "signataire.membres@exemple.fr"
    )
    admin_page.get_by_role("group", name="Rôles (obligatoire)").get_by_label("Signataire").check()
    admin_page.get_by_role("button", name="Envoyer l'invitation", exact=True).click()
    expect(
        admin_page.get_by_text("Invitation envoyée à signataire.membres@exemple.fr")
    ).to_be_visible()
    assert axe_violations(admin_page) == []

    [message] = mail.outbox
    url = re.search(r"http://\S+/invitation/\S+/", message.body).group(0)
    signatory_page = browser.new_context(locale="fr-FR").new_page()
    signatory_page.goto(url.replace(f"{host}/", f"{host}:{live_site}/"))
    assert axe_violations(signatory_page) == []
    signatory_page.get_by_label("Nom complet").fill("Élodie Signataire")
    signatory_page.locator("#id_password1").fill(TEST_PASSWORD)
    signatory_page.locator("#id_password2").fill(TEST_PASSWORD)
    signatory_page.get_by_role("button", name="Accepter l'invitation").click()
    expect(signatory_page.get_by_role("heading", name="Bienvenue sur le portail")).to_be_visible()

    signatory_page.goto(site(host, live_site, f"/devis/{quote.pk}/"))
    signatory_page.get_by_label("Numéro de bon de commande ou d'engagement").fill("ENG-2026-7")
    signatory_page.get_by_label("J'ai lu le devis et ses annexes").check()
    signatory_page.get_by_role("button", name="Accepter le devis").click()
    expect(signatory_page.get_by_text("ENG-2026-7").first).to_be_visible()
    quote.refresh_from_db()
    assert quote.status == Quote.Status.ACCEPTED
    assert quote.acceptance.signed_by.email == "signataire.membres@exemple.fr"
