"""Finance decides a proposed suspension for non-payment and prepares a collectivité's
reversibility export, watching it finish — in a real browser, each page checked by axe-core
(issue 15)."""

from __future__ import annotations

import time
from datetime import timedelta
from decimal import Decimal

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret, hotp_value
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from billing.models import Invoice
from lifecycle.models import ReversibilityExport, Suspension
from portal import services
from portal.models import Collectivite
from tests.browser.conftest import axe_violations, site
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def proposed(django_db_setup, django_db_blocker):
    secret = generate_totp_secret()
    with django_db_blocker.unblock():
        tenant = Collectivite.objects.get(slug="test")
        issued = timezone.localdate() - timedelta(days=90)
        invoice = Invoice.objects.create(
            number="FAC-PARCOURS-15",
            year=issued.year,
            collectivite=tenant,
            issue_date=issued,
            due_date=issued + timedelta(days=30),
            buyer={"name": tenant.name},
            seller={},
            total_ht=Decimal("240.00"),
            total_vat=Decimal("0"),
            total_ttc=Decimal("240.00"),
        )
        suspension = Suspension.objects.create(
            collectivite=tenant,
            invoice=invoice,
            status=Suspension.Status.PROPOSED,
            noticed_on=issued + timedelta(days=60),
            proposed_on=issued + timedelta(days=75),
        )
        finance = services.staff_user_create(
            email="finances.fin-adhesion@syndicat.test",
            full_name="Yves Finances",
            password=TEST_PASSWORD,
            groups=["Finances du syndicat"],
        )
        TOTP.activate(finance, secret)
        yield finance, secret, suspension
        for export in ReversibilityExport.objects.filter(collectivite=tenant):
            export.zip_file.delete(save=False)
            export.delete()
        Suspension.objects.filter(pk=suspension.pk).delete()
        invoice.delete()
        finance.groups.clear()
        finance.is_active = False
        finance.email = f"parti-{finance.pk}@exemple.invalid"
        finance.save()


def test_finance_suspends_then_prepares_the_export(proposed, live_site, page):
    finance, secret, suspension = proposed
    host = settings.BASE_DOMAIN
    page.goto(site(host, live_site, "/comptes/login/"))
    page.get_by_label("Courriel").fill(finance.email)
    page.get_by_label("Mot de passe").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/comptes/2fa/authenticate/")
    page.get_by_label("Code").fill(f"{hotp_value(secret, int(time.time()) // 30):06d}")
    page.get_by_role("button", name="Connexion").click()

    page.get_by_role("link", name="Fin d'adhésion").click()
    page.get_by_role("heading", name="Avis au syndicat", level=1).wait_for()
    assert axe_violations(page) == []
    page.get_by_role("link", name="Suspensions pour impayé").click()
    expect(page.get_by_text("1 suspension à décider")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Suspendre les comptes de Commune de Test").click()
    expect(page.get_by_text("Comptes de Commune de Test suspendus")).to_be_visible()
    expect(page.get_by_text("Aucune suspension à décider.")).to_be_visible()
    assert axe_violations(page) == []
    suspension.refresh_from_db()
    assert suspension.status == Suspension.Status.SUSPENDED
    assert suspension.decided_by == finance

    page.get_by_role("link", name="Exports de réversibilité").click()
    page.get_by_label("Collectivité").select_option(label="Commune de Test")
    page.get_by_role("button", name="Préparer l'export").click()
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "100")
    expect(page.get_by_role("link", name="Télécharger le ZIP")).to_be_visible()
    assert axe_violations(page) == []
    head = page.evaluate(
        """async () => { const link = document.querySelector('a.button[href$="/zip/"]');
             const r = await fetch(link.href);
             const bytes = new Uint8Array(await r.arrayBuffer()).slice(0, 2);
             return [r.headers.get('content-type'), String.fromCharCode(...bytes)]; }"""
    )
    assert head == ["application/zip", "PK"]
