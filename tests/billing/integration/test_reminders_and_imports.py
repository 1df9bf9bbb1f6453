"""B4 follow-up: overdue invoices are reminded once, 15 days after their due date; payments
can be imported from the finance software's CSV, all or nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from billing import services
from billing.models import Payment
from contracts import services as contracts
from contracts.models import Quote, QuoteLine
from portal.models import Role
from tests.conftest import host_of, page_text, sign_in
from tests.factories.catalogue import build_catalogue


@pytest.fixture
def invoice(db, tenant, make_member):
    catalogue = build_catalogue()
    make_member(tenant, Role.SIGNATORY, email="maire@test.fr")
    quote = Quote.objects.create(
        reference="DEV-P-1", collectivite=tenant, title="t", status="approved"
    )
    line = QuoteLine.objects.create(quote=quote, offer=catalogue.mail, label="Mail", quantity=10)
    contracts.line_activate(line=line, activated_on=date(2026, 3, 17), activated_by=None)
    return services.invoice_issue(
        collectivite=tenant, as_of=date(2026, 4, 1), issue_date=date(2026, 4, 1)
    )


def test_overdue_reminder_once_fifteen_days_after_the_due_date(
    invoice, django_capture_on_commit_callbacks
):
    assert invoice.due_date == date(2026, 5, 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.overdue_reminders_run(today=date(2026, 5, 15)) == 0  # 14 days
        assert services.overdue_reminders_run(today=date(2026, 5, 16)) == 1
        assert services.overdue_reminders_run(today=date(2026, 5, 17)) == 0  # once
    [message] = mail.outbox
    assert message.to == ["maire@test.fr"]
    assert message.subject == f"Facture {invoice.number} : paiement en retard"
    assert "il reste 240,00\u00a0€ à payer par mandat administratif" in message.body


def test_paid_invoices_are_not_reminded(invoice, django_capture_on_commit_callbacks):
    services.payment_record(
        invoice=invoice,
        paid_on=date(2026, 4, 20),
        mandate_reference="M-1",
        amount=Decimal("240"),
        recorded_by=None,
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.overdue_reminders_run(today=date(2026, 6, 1)) == 0
    assert mail.outbox == []


def test_payments_import_all_or_nothing(invoice, staff_finance):
    site = sign_in(Client(HTTP_HOST=host_of(None)), staff_finance)
    good = f"facture;date;mandat;montant\n{invoice.number};20/04/2026;M-118;100,00\n{invoice.number};21/04/2026;M-119;140,00\n"
    bad = f"facture;date;mandat;montant\n{invoice.number};20/04/2026;M-118;100,00\nFAC-2026-99999;21/04/2026;M-119;10,00\n"
    response = site.post(
        "/factures/paiements/import/", {"file": SimpleUploadedFile("m.csv", bad.encode())}
    )
    assert "Ligne 3 : facture FAC-2026-99999 inconnue." in page_text(response)
    assert not Payment.objects.exists()
    with time_machine.travel(date(2026, 11, 23), tick=False):
        response = site.post(
            "/factures/paiements/import/",
            {"file": SimpleUploadedFile("m.csv", ("\ufeff" + good).encode())},
        )
    assert response.status_code == 302
    assert list(Payment.objects.order_by("paid_on").values_list("mandate_reference", "amount")) == [
        ("M-118", Decimal("100.00")),
        ("M-119", Decimal("140.00")),
    ]


def test_import_refuses_a_file_without_the_header(invoice, staff_finance):
    site = sign_in(Client(HTTP_HOST=host_of(None)), staff_finance)
    response = site.post(
        "/factures/paiements/import/", {"file": SimpleUploadedFile("m.csv", b"a;b\n")}
    )
    assert services.IMPORT_HEADER_ERROR in page_text(response)
