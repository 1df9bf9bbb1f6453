"""Finance starts the billing run, watches it finish, opens an invoice's PDF and downloads the
year's export — in a real browser, each page checked by axe-core (issue 5)."""

from __future__ import annotations

import time

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret, hotp_value
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from billing.models import BillingRun, ExportJob, Invoice, InvoiceLine, NumberSequence
from catalogue.models import AnnexVersion, Offer, ServiceFamily, TariffSchedule
from contracts.models import ContractYear, Subscription
from portal import services
from portal.models import Collectivite, Syndicate
from tests.browser.conftest import axe_violations, site
from tests.conftest import TEST_PASSWORD
from tests.factories.catalogue import build_catalogue

pytestmark = pytest.mark.browser


@pytest.fixture
def billable(django_db_setup, django_db_blocker):
    secret = generate_totp_secret()
    with django_db_blocker.unblock():
        catalogue = build_catalogue()
        Syndicate.objects.update_or_create(
            pk=1,
            defaults={
                "name": "Syndicat du parcours",
                "short_name": "Parcours",
                "siret": "73282932000074",
            },
        )
        tenant = Collectivite.objects.get(slug="test")
        start = timezone.localdate().replace(day=1)
        sub = Subscription.objects.create(
            collectivite=tenant, offer=catalogue.mail, quantity=10, activated_on=start
        )
        ContractYear.objects.create(
            subscription=sub, start=start, end=start.replace(year=start.year + 1)
        )
        finance = services.staff_user_create(
            email="finances.parcours@syndicat.test",
            full_name="Yves Finances",
            password=TEST_PASSWORD,
            groups=["Finances du syndicat"],
        )
        TOTP.activate(finance, secret)
        yield finance, secret
        ExportJob.objects.all().delete()
        NumberSequence.objects.all().delete()  # the numbers this test took, for the next tests
        InvoiceLine.objects.all().delete()
        Invoice.objects.all().delete()
        BillingRun.objects.all().delete()
        ContractYear.objects.filter(subscription=sub).delete()
        sub.delete()
        TariffSchedule.objects.all().delete()
        AnnexVersion.objects.all().delete()
        Offer.objects.exclude(requires_offer=None).delete()
        Offer.objects.all().delete()
        ServiceFamily.objects.all().delete()
        finance.groups.clear()
        finance.is_active = False
        finance.email = f"parti-{finance.pk}@exemple.invalid"
        finance.save()


def test_finance_runs_the_billing_and_exports_the_year(billable, live_site, page):
    finance, secret = billable
    host = settings.BASE_DOMAIN
    page.goto(site(host, live_site, "/comptes/login/"))
    page.get_by_label("Courriel").fill(finance.email)
    page.get_by_label("Mot de passe").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/comptes/2fa/authenticate/")
    page.get_by_label("Code").fill(f"{hotp_value(secret, int(time.time()) // 30):06d}")
    page.get_by_role("button", name="Connexion").click()

    page.goto(site(host, live_site, "/facturation/"))
    assert axe_violations(page) == []
    page.get_by_label("Date de facturation").fill(timezone.localdate().isoformat())
    page.get_by_role("button", name="Lancer").click()
    progress = page.get_by_role("progressbar")
    expect(progress).to_have_attribute("value", "100")
    expect(page.get_by_text("1 facture émise")).to_be_visible()
    assert axe_violations(page) == []

    invoice = Invoice.objects.get()
    page.get_by_role("link", name=invoice.number).click()
    page.get_by_role("heading", name=invoice.number).first.wait_for()
    assert axe_violations(page) == []
    # the browser's own request (its session), as clicking the link would make it
    pdf = page.evaluate(
        """async (url) => { const r = await fetch(url);
             const head = new Uint8Array(await r.arrayBuffer()).slice(0, 4);
             return [r.headers.get('content-type'), String.fromCharCode(...head)]; }""",
        f"/factures/{invoice.pk}/pdf/",
    )
    assert pdf == ["application/pdf", "%PDF"]

    page.goto(site(host, live_site, "/facturation/exports/"))
    page.get_by_label("Année").fill(str(timezone.localdate().year))
    page.get_by_role("button", name="Préparer l'export").click()
    expect(page.get_by_role("progressbar")).to_have_attribute("value", "100")
    assert axe_violations(page) == []
    with page.expect_download() as download:
        page.get_by_role(
            "link", name=f"Télécharger factures-{timezone.localdate().year}.xlsx"
        ).click()
    assert download.value.suggested_filename == f"factures-{timezone.localdate().year}.xlsx"
