"""Issue 16: the estimate reaches the collectivité (its page, the PDF « Estimation 2027 »,
the autumn e-mail sent once per year) and the back-office sees spending across members and a
draft's impact; each page as the people who reach it, and no one else."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import IntegrityError
from django.test import Client, override_settings

from billing import estimate_services, services
from billing.models import EstimateNotice
from catalogue.models import TariffLine, TariffSchedule
from contracts import services as contracts
from contracts.models import Quote, QuoteLine
from portal.models import Role
from tests.conftest import host_of, page_text, sign_in
from tests.factories.catalogue import EXEMPT, build_catalogue

PARIS = ZoneInfo("Europe/Paris")
TODAY = date(2026, 11, 16)
NB = "\u00a0"


def at(day: date):
    return time_machine.travel(datetime(day.year, day.month, day.day, 10, tzinfo=PARIS), tick=False)


@pytest.fixture
def customer(tenant):
    """Commune de Test: 10 mailboxes since 17/03/2026, invoiced; 26,40 € each from 2027."""
    catalogue = build_catalogue()
    with at(TODAY):
        quote = Quote.objects.create(
            reference="DEV-B-1", collectivite=tenant, title="t", status="approved"
        )
        line = QuoteLine.objects.create(
            quote=quote, offer=catalogue.mail, label="Messagerie", quantity=10
        )
        contracts.line_activate(line=line, activated_on=date(2026, 3, 17), activated_by=None)
        services.invoice_issue(collectivite=tenant, as_of=TODAY, issue_date=TODAY)
    schedule = TariffSchedule.objects.create(
        deliberation_number="2026-31",
        deliberation_date=date(2026, 10, 9),
        effective_from=date(2027, 1, 1),
        title="Grille 2027",
        status="published",
    )
    TariffLine.objects.create(
        schedule=schedule, offer=catalogue.mail, unit_price=Decimal("26.40"), vat_exemption=EXEMPT
    )
    draft = TariffSchedule.objects.create(
        deliberation_number="2026-40",
        deliberation_date=date(2026, 12, 11),
        effective_from=date(2027, 1, 1),
        title="Projet 2027",
        status="draft",
    )
    TariffLine.objects.create(
        schedule=draft, offer=catalogue.mail, unit_price=Decimal("30.00"), vat_exemption=EXEMPT
    )
    return tenant, draft


def test_the_collectivite_reads_its_estimate_and_spending(customer, make_member):
    tenant, _ = customer
    agent = make_member(tenant, Role.AGENT)
    client = sign_in(Client(HTTP_HOST=host_of(tenant)), agent, tenant)
    with at(TODAY):
        text = page_text(client.get("/budget/"))
        invoices = page_text(client.get("/factures/"))
    assert "Estimation 2027 de vos dépenses auprès du syndicat" in text
    assert f"Total estimé : <strong>264,00{NB}€ TTC</strong>" in text
    assert "01/03/2027 → 29/02/2028" in text
    assert "31/12/2026" in text  # the last day to give notice
    assert 'class="bar-invoiced"' in text
    assert 'class="bar-estimated"' in text
    assert "style=" not in text.split("<main", 1)[1]
    assert f'<td class="num">240,00{NB}€</td>' in text  # invoiced in 2026, in the table
    assert 'href="/budget/"' in invoices


def test_the_pdf_estimation_2027(customer, make_member):
    tenant, _ = customer
    client = sign_in(Client(HTTP_HOST=host_of(tenant)), make_member(tenant, Role.SIGNATORY), tenant)
    with at(TODAY):
        response = client.get("/budget/estimation.pdf")
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="estimation-2027.pdf"'
    assert response.content.startswith(b"%PDF-")


def test_the_pages_are_for_members_and_billing_staff(
    customer, other_tenant, make_member, staff_finance
):
    tenant, draft = customer
    stranger = sign_in(
        Client(HTTP_HOST=host_of(tenant)), make_member(other_tenant, Role.SIGNATORY), tenant
    )
    with at(TODAY):
        assert stranger.get("/budget/").status_code == 404
        staff = sign_in(Client(HTTP_HOST=host_of(None)), staff_finance)
        spending = page_text(staff.get("/facturation/budget/"))
        impact = page_text(staff.get(f"/tarifs/{draft.pk}/impact/"))
        schedule_page = page_text(staff.get(f"/tarifs/{draft.pk}/"))
        agent_site = sign_in(Client(HTTP_HOST=host_of(None)), make_member(tenant, Role.AGENT))
        assert agent_site.get("/facturation/budget/").status_code in (302, 403, 404)
    assert "Estimation 2027" in spending
    assert "Par strate" in spending
    assert f"/tarifs/{draft.pk}/impact/" in schedule_page
    # 10 mailboxes: 264,00 € published, 300,00 € with the draft, 36,00 € more
    assert (
        f'264,00{NB}€</td><td class="num">300,00{NB}€</td><td class="num">36,00{NB}€'
        in impact.replace("\n", "")
    )


@override_settings(ESTIMATE_NOTICE_DATE="10-15")
def test_the_autumn_email_goes_once_per_year(
    customer, make_member, django_capture_on_commit_callbacks
):
    tenant, _ = customer
    make_member(tenant, Role.SIGNATORY, email="maire@test.fr")
    make_member(tenant, Role.FUNCTIONAL_ADMIN, email="dsi@test.fr")
    make_member(tenant, Role.AGENT, email="agent@test.fr")
    assert estimate_services.estimate_notices_run(today=date(2026, 10, 14)) == 0
    with at(date(2026, 10, 15)), django_capture_on_commit_callbacks(execute=True):
        assert estimate_services.estimate_notices_run(today=date(2026, 10, 15)) == 1
    with at(date(2026, 10, 16)), django_capture_on_commit_callbacks(execute=True):
        assert estimate_services.estimate_notices_run(today=date(2026, 10, 16)) == 0
    [message] = mail.outbox
    assert sorted(message.to) == ["dsi@test.fr", "maire@test.fr"]
    assert message.subject == "Estimation 2027 de vos dépenses auprès du syndicat — Commune de Test"
    assert f"264,00{NB}€ TTC" in message.body
    assert "facture attendue le 01/03/2027" in message.body
    assert "résiliez au plus tard le 31/12/2026" in message.body
    assert EstimateNotice.objects.get().total_ttc == Decimal("264.00")
    with pytest.raises(IntegrityError):
        EstimateNotice.objects.create(collectivite=tenant, year=2027, total_ttc=0)
