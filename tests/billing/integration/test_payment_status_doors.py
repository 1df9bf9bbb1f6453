"""One read model (B4): each payment status of an invoice shows the same French words on the
back-office pages, the collectivité's page, the API and the CSV/XLSX export; the API's and
the pages' status filters find the same invoices."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from openpyxl import load_workbook

from billing import domain, exports, selectors
from billing.models import CreditNote, Invoice, InvoiceLine, Payment
from portal import services as portal_services
from portal.models import Role
from tests.conftest import host_of, page_text, sign_in
from tests.factories.catalogue import EXEMPT, build_catalogue

PARIS = ZoneInfo("Europe/Paris")
TODAY = date(2026, 6, 20)
S = domain.PaymentStatus


def at(day: date):
    return time_machine.travel(datetime(day.year, day.month, day.day, 10, tzinfo=PARIS), tick=False)


def _invoice(tenant, offer, n: int, *, paid="0", credited="0") -> Invoice:
    invoice = Invoice.objects.create(
        number=f"FAC-2026-{n:05d}",
        year=2026,
        collectivite=tenant,
        issue_date=date(2026, 4, 1),
        due_date=date(2026, 5, 1),
        buyer={"name": tenant.name, "siret": tenant.siret},
        seller={"name": "Syndicat", "siret": tenant.siret},
        total_ht=Decimal("100.00"),
        total_vat=Decimal("0.00"),
        total_ttc=Decimal("100.00"),
    )
    line = InvoiceLine.objects.create(
        invoice=invoice,
        source=f"test:{n}",
        offer=offer,
        label=offer.name,
        quantity=Decimal("1"),
        unit_price=Decimal("100.00"),
        amount=Decimal("100.00"),
        vat_exemption=EXEMPT,
    )
    if Decimal(paid):
        Payment.objects.create(
            invoice=invoice, paid_on=date(2026, 4, 20), mandate_reference=f"M-{n}", amount=paid
        )
    if Decimal(credited):
        note = CreditNote.objects.create(
            number=f"AV-2026-{n:05d}",
            year=2026,
            invoice=invoice,
            issue_date=date(2026, 4, 10),
            reason="r",
            total_ht=credited,
            total_vat=Decimal("0"),
            total_ttc=credited,
        )
        note.lines.create(invoice_line=line, label=line.label, amount=credited)
    return invoice


@pytest.fixture
def four(tenant):
    offer = build_catalogue().mail
    return {
        S.UNPAID: _invoice(tenant, offer, 1),
        S.PARTLY_PAID: _invoice(tenant, offer, 2, paid="40.00"),
        S.PAID: _invoice(tenant, offer, 3, paid="100.00"),
        S.CREDITED: _invoice(tenant, offer, 4, credited="100.00"),
    }


def _row_of(text: str, number: str) -> str:
    match = re.search(rf"{number}(.*?)</tr>", text, re.S)
    assert match, number
    return re.sub(r"<[^>]+>", " ", match.group(1))


def test_every_status_reads_the_same_on_every_door(
    four, tenant, staff_finance, make_member, django_capture_on_commit_callbacks
):
    with at(TODAY):
        back_office = page_text(
            sign_in(Client(HTTP_HOST=host_of(None)), staff_finance).get("/factures/")
        )
        member = make_member(tenant, Role.AGENT)
        own_site = page_text(
            sign_in(Client(HTTP_HOST=host_of(tenant)), member, tenant).get("/factures/")
        )
        _, token = portal_services.api_token_create(user=staff_finance, name="t")
        api = Client(HTTP_HOST=host_of(None), HTTP_AUTHORIZATION=f"Bearer {token}")
        listed = {i["number"]: i for i in api.get("/api/v1/invoices").json()["items"]}
        found = exports.rows(2026)
    csv_rows = {
        row["Numéro"]: row
        for row in csv.DictReader(
            io.StringIO(exports.rows_csv(found).decode("utf-8-sig")), delimiter=";"
        )
    }
    sheet = load_workbook(io.BytesIO(exports.rows_xlsx(found, 2026))).active
    titles = [c.value for c in sheet[1]]
    xlsx_rows = {r[titles.index("Numéro")]: r for r in sheet.iter_rows(min_row=2, values_only=True)}

    for status, invoice in four.items():
        label = domain.PAYMENT_STATUS_LABELS[status]
        words = label[0].upper() + label[1:]
        assert words in _row_of(back_office, invoice.number), (status, "back-office")
        assert words in _row_of(own_site, invoice.number), (status, "site")
        assert (listed[invoice.number]["status"], listed[invoice.number]["status_label"]) == (
            status.value,
            label,
        )
        assert csv_rows[invoice.number]["État du paiement"] == label
        assert xlsx_rows[invoice.number][titles.index("État du paiement")] == label
        # The filters of the API and of the selector find exactly this invoice.
        with at(TODAY):
            by_api = api.get(f"/api/v1/invoices?status={status.value}").json()["items"]
        assert [i["number"] for i in by_api] == [invoice.number]
        by_selector = selectors.invoice_list(
            filters=selectors.InvoiceFilters(statuses=(status,)), today=TODAY
        )
        assert [i.number for i in by_selector] == [invoice.number]
    # Overdue (due 01/05/2026, something left): the unpaid and the partly paid ones.
    overdue = selectors.invoice_list(filters=selectors.InvoiceFilters(overdue=True), today=TODAY)
    assert sorted(i.number for i in overdue) == ["FAC-2026-00001", "FAC-2026-00002"]
    assert "en retard de 50 jours" in _row_of(back_office, "FAC-2026-00001")
