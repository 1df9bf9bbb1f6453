"""Issue 16 in a real browser: the signatory reads next year's estimate and the spending
chart from the invoices page, and finance reads revenue and a draft's impact — each page at
1280 and 360 px, checked by axe-core (ESTIMATE_SCREENSHOTS=<dir> keeps the screenshots)."""

from __future__ import annotations

import os
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret, hotp_value
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from billing import services as billing
from billing.models import Invoice, InvoiceLine, NumberSequence
from catalogue.models import AnnexVersion, Offer, ServiceFamily, TariffLine, TariffSchedule
from contracts.models import ContractYear, Subscription
from portal import services
from portal.models import Collectivite, Role, Syndicate
from tests.browser.conftest import axe_violations, site
from tests.conftest import TEST_PASSWORD
from tests.factories import MembershipFactory, UserFactory
from tests.factories.catalogue import EXEMPT, build_catalogue

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("ESTIMATE_SCREENSHOTS", "")


@pytest.fixture
def budget(django_db_setup, django_db_blocker):
    secret = generate_totp_secret()
    with django_db_blocker.unblock():
        catalogue = build_catalogue()
        Syndicate.objects.update_or_create(
            pk=1, defaults={"name": "Syndicat du parcours", "siret": "73282932000074"}
        )
        tenant = Collectivite.objects.get(slug="test")
        today = timezone.localdate()
        start = date(today.year, 1, 1)
        sub = Subscription.objects.create(
            collectivite=tenant, offer=catalogue.mail, quantity=10, activated_on=start
        )
        ContractYear.objects.create(subscription=sub, start=start, end=date(today.year + 1, 1, 1))
        billing.invoice_issue(collectivite=tenant, as_of=today, issue_date=today)
        draft = TariffSchedule.objects.create(
            deliberation_number="P-1", deliberation_date=today, title="Projet de grille",
            effective_from=date(today.year + 1, 1, 1), status="draft",
        )  # fmt: skip
        TariffLine.objects.create(
            schedule=draft, offer=catalogue.mail, unit_price=Decimal("30"), vat_exemption=EXEMPT
        )
        signatory = UserFactory(email="signataire.budget@commune-test.fr", full_name="Marie Maire")
        signatory.set_password(TEST_PASSWORD)
        signatory.save()
        MembershipFactory(user=signatory, collectivite=tenant, role=Role.SIGNATORY)
        finance = services.staff_user_create(
            email="finances.budget@syndicat.test", full_name="Yves Finances",
            password=TEST_PASSWORD, groups=["Finances du syndicat"],
        )  # fmt: skip
        TOTP.activate(finance, secret)
        yield tenant, signatory, finance, secret, draft
        NumberSequence.objects.all().delete()
        InvoiceLine.objects.all().delete()
        Invoice.objects.all().delete()
        ContractYear.objects.filter(subscription=sub).delete()
        sub.delete()
        TariffSchedule.objects.all().delete()
        AnnexVersion.objects.all().delete()
        Offer.objects.exclude(requires_offer=None).delete()
        Offer.objects.all().delete()
        ServiceFamily.objects.all().delete()
        for user in (signatory, finance):
            user.memberships.all().delete()
            user.groups.clear()
            user.is_active = False
            user.email = f"parti-{user.pk}@exemple.invalid"
            user.save()


def _check_both_widths(page, name: str) -> None:
    for width, height in ((1280, 900), (360, 780)):
        page.set_viewport_size({"width": width, "height": height})
        assert axe_violations(page) == [], (name, width)
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= width, (name, width, scroll)  # no sideways scrolling of the page
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)


def test_the_estimate_reaches_the_signatory_and_finance(budget, live_site, page):
    tenant, signatory, finance, secret, draft = budget
    year = timezone.localdate().year + 1
    page.goto(site(tenant.primary_domain_name, live_site, "/comptes/login/"))
    page.get_by_label("Courriel").fill(signatory.email)
    page.get_by_label("Mot de passe").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Factures", exact=True
    ).click()
    page.get_by_role("link", name="Estimation de l'an prochain").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Estimation {year} de vos dépenses auprès du syndicat"
    )
    expect(page.get_by_role("img", name="Montants facturés par année")).to_be_visible()
    _check_both_widths(page, "tenant-estimate")

    page.context.clear_cookies()
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(site(settings.BASE_DOMAIN, live_site, "/comptes/login/"))
    page.get_by_label("Courriel").fill(finance.email)
    page.get_by_label("Mot de passe").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/comptes/2fa/authenticate/")
    page.get_by_label("Code").fill(f"{hotp_value(secret, int(time.time()) // 30):06d}")
    page.get_by_role("button", name="Connexion").click()
    page.goto(site(settings.BASE_DOMAIN, live_site, "/facturation/"))
    page.get_by_role("link", name="Recettes et estimation").first.click()
    expect(page.get_by_role("heading", name="Par strate")).to_be_visible()
    _check_both_widths(page, "backoffice-spending")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("link", name="Projet de grille").click()
    expect(page.get_by_role("heading", name="Par collectivité")).to_be_visible()
    _check_both_widths(page, "backoffice-impact")
