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
from billing.models import Payment, PaymentImport
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


def _send(site, content: str | bytes, name="mandats.csv", commit=None):
    data = content.encode() if isinstance(content, str) else content
    return site.post("/factures/paiements/import/", {"file": SimpleUploadedFile(name, data)})


@pytest.fixture
def finance_site(staff_finance):
    return sign_in(Client(HTTP_HOST=host_of(None)), staff_finance)


@pytest.fixture
def send(finance_site, django_capture_on_commit_callbacks):
    """Upload a file as finance; the import task runs (eagerly) once the upload commits."""

    def upload(content, name="mandats.csv"):
        with (
            time_machine.travel(date(2026, 11, 23), tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            response = _send(finance_site, content, name)
        return response

    return upload


def _detail(finance_site, response) -> str:
    assert response.status_code == 302, page_text(response)
    return page_text(finance_site.get(response["Location"]))


def test_payments_import_all_or_nothing(invoice, finance_site, send):
    good = f"facture;date;mandat;montant\n{invoice.number};20/04/2026;M-118;100,00\n{invoice.number};21/04/2026;M-119;140,00\n"
    bad = f"facture;date;mandat;montant\n{invoice.number};20/04/2026;M-118;100,00\nFAC-2026-99999;21/04/2026;M-119;10,00\n"

    page = _detail(finance_site, send(bad))

    assert "Rien n'a été enregistré : Ligne 3 : facture FAC-2026-99999 inconnue." in page
    assert not Payment.objects.exists()

    page = _detail(finance_site, send("\ufeff" + good))

    assert "2 paiements enregistrés." in page
    assert list(Payment.objects.order_by("paid_on").values_list("mandate_reference", "amount")) == [
        ("M-118", Decimal("100.00")),
        ("M-119", Decimal("140.00")),
    ]
    [done, refused] = PaymentImport.objects.order_by("-payments_count")
    assert (done.status, done.payments_count, refused.status) == ("done", 2, "failed")


def test_the_same_file_twice_records_its_payments_once(invoice, finance_site, send):
    good = f"facture;date;mandat;montant\n{invoice.number};20/04/2026;M-118;100,00\n"
    _detail(finance_site, send(good))

    response = send(good, name="encore.csv")

    assert response.status_code == 422
    assert (
        "Ce fichier a déjà été importé le 23/11/2026 à 01:00 (1 paiement(s)) : il n'est pas "
        "enregistré une seconde fois." in page_text(response)
    )
    assert Payment.objects.count() == 1
    assert PaymentImport.objects.count() == 1


def test_a_mandate_already_recorded_is_refused_from_another_file(invoice, finance_site, send):
    _detail(
        finance_site,
        send(f"facture;date;mandat;montant\n{invoice.number};20/04/2026;M-118;100,00\n"),
    )
    other = f"facture;date;mandat;montant\n{invoice.number};20/04/2026;M-118;100,00\n{invoice.number};22/04/2026;M-120;10,00\n"

    page = _detail(finance_site, send(other))

    assert (
        f"Ligne 2 : Le mandat M-118 est déjà enregistré sur {invoice.number} (paiement du "
        "20/04/2026)." in page
    )
    assert list(Payment.objects.values_list("mandate_reference", flat=True)) == ["M-118"]


@pytest.mark.parametrize(
    ("_case", "amount"),
    [
        ("nan", "NaN"),
        ("infinity", "Infinity"),
        ("exponent", "1e26"),
        ("negative", "-10,00"),
        ("thirteen_digits", "1234567890123"),
        ("three_decimals", "10,001"),
        ("formula", "=1+1"),
    ],
)
def test_odd_amounts_are_refused_by_line(invoice, finance_site, send, _case, amount):
    page = _detail(
        finance_site,
        send(f"facture;date;mandat;montant\n{invoice.number};20/04/2026;M-1;{amount}\n"),
    )

    assert f"Ligne 2 : montant « {amount} » illisible (attendu 1234,50)." in page
    assert not Payment.objects.exists()


def test_a_large_file_is_imported_by_the_task_with_its_progress(
    db, tenant, finance_site, send, staff_finance
):
    catalogue = build_catalogue()
    quote = Quote.objects.create(
        reference="DEV-P-9", collectivite=tenant, title="t", status="approved"
    )
    line = QuoteLine.objects.create(quote=quote, offer=catalogue.mail, label="Mail", quantity=500)
    contracts.line_activate(line=line, activated_on=date(2026, 3, 17), activated_by=None)
    invoice = services.invoice_issue(
        collectivite=tenant, as_of=date(2026, 4, 1), issue_date=date(2026, 4, 1)
    )
    rows = "".join(f"{invoice.number};20/04/2026;M-{n};1,00\n" for n in range(300))

    response = send("facture;date;mandat;montant\n" + rows)

    job = PaymentImport.objects.get()
    assert (job.status, job.payments_count, services.payments_import_progress(job)) == (
        "done",
        300,
        100,
    )
    assert "300 paiements enregistrés." in _detail(finance_site, response)
    assert Payment.objects.filter(invoice=invoice).count() == 300


def test_import_refuses_a_file_without_the_header(invoice, finance_site, send):
    page = _detail(finance_site, send("a;b\n"))

    assert services.IMPORT_HEADER_ERROR in page


def test_import_refuses_a_file_that_is_not_utf8(invoice, finance_site, send):
    response = send(
        "facture;date;mandat;montant\nFAC;20/04/2026;M-1;1,00\n".encode("latin-1") + b"\xe9"
    )

    assert response.status_code == 422
    assert "Le fichier doit être un CSV encodé en UTF-8." in page_text(response)
    assert not PaymentImport.objects.exists()
