"""B1–B4 over three years, frozen in time: activation, two renewals, an addition co-termed
with its year, a termination after the first year with its credit note, and the numbers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from billing import services
from billing.models import CreditNote, Invoice, InvoiceLine
from contracts import services as contracts
from contracts.models import Quote, QuoteLine
from tests.factories.catalogue import build_catalogue


@pytest.fixture
def catalogue(db):
    return build_catalogue()


def _approved_line(tenant, offer, quantity, day):
    quote = Quote.objects.create(
        reference=f"DEV-T-{day}",
        collectivite=tenant,
        title="t",
        status=Quote.Status.APPROVED,
    )
    return QuoteLine.objects.create(quote=quote, offer=offer, label=offer.name, quantity=quantity)


def _issue(tenant, day):
    with time_machine.travel(day, tick=False):
        contracts.renewals_run(today=day)
        return services.invoice_issue(collectivite=tenant, as_of=day, issue_date=day)


def test_three_years_of_a_mail_subscription(catalogue, tenant):
    # 17/03/2026: 10 mailboxes activated (24 €/account/year in the 2026 schedule).
    line = _approved_line(tenant, catalogue.mail, 10, "a")
    contracts.line_activate(line=line, activated_on=date(2026, 3, 17), activated_by=None)

    first = _issue(tenant, date(2026, 4, 1))
    assert first.number == "FAC-2026-00001"
    [year1] = first.lines.all()
    assert (year1.period_start, year1.period_end, year1.months) == (
        date(2026, 3, 1),
        date(2027, 3, 1),
        12,
    )
    assert (year1.quantity, year1.unit_price, year1.amount) == (
        Decimal("10"),
        Decimal("24.00"),
        Decimal("240.00"),
    )
    assert (first.issue_date, first.due_date) == (date(2026, 4, 1), date(2026, 5, 1))
    assert _issue(tenant, date(2026, 5, 1)) is None  # nothing new: never twice

    # 10/09/2026: 3 more, co-termed: September to February = 6 months, billed at the next run.
    more = _approved_line(tenant, catalogue.mail, 3, "b")
    contracts.line_activate(line=more, activated_on=date(2026, 9, 10), activated_by=None)
    second = _issue(tenant, date(2026, 10, 1))
    [addition] = second.lines.all()
    assert (addition.period_start, addition.period_end, addition.months) == (
        date(2026, 9, 1),
        date(2027, 3, 1),
        6,
    )
    assert addition.amount == Decimal("36.00")  # 3 × 24 × 6/12
    assert second.number == "FAC-2026-00002"

    # 01/03/2027: first renewal, 13 mailboxes for a year; new number sequence for 2027.
    third = _issue(tenant, date(2027, 3, 1))
    [year2] = third.lines.all()
    assert (year2.period_start, year2.quantity, year2.amount) == (
        date(2027, 3, 1),
        Decimal("13"),
        Decimal("312.00"),
    )
    assert third.number == "FAC-2027-00001"

    # 30/06/2027: termination received, effective 01/09/2027: 6 months of year 2 not used.
    subscription = (
        line.subscription if line.subscription else QuoteLine.objects.get(pk=line.pk).subscription
    )
    with time_machine.travel(date(2027, 6, 30), tick=False):
        termination = contracts.termination_record(
            subscription=subscription, received_on=date(2027, 6, 30), today=date(2027, 6, 30)
        )
    assert termination.effective_end == date(2027, 9, 1)
    credit = CreditNote.objects.get(invoice=third)
    assert (credit.number, credit.total_ttc) == ("AV-2027-00001", Decimal("156.00"))  # 312 × 6/12
    [credited] = credit.lines.all()
    assert credited.months == 6

    # 01/03/2028: no second renewal, nothing more to invoice.
    assert _issue(tenant, date(2028, 3, 1)) is None
    subscription.refresh_from_db()
    assert subscription.status == "ended"
    assert list(
        Invoice.objects.filter(collectivite=tenant)
        .order_by("number")
        .values_list("number", flat=True)
    ) == [
        "FAC-2026-00001",
        "FAC-2026-00002",
        "FAC-2027-00001",
    ]


def test_first_year_termination_yields_no_credit(catalogue, tenant):
    line = _approved_line(tenant, catalogue.visio, 3, "v")
    contracts.line_activate(line=line, activated_on=date(2026, 3, 17), activated_by=None)
    invoice = _issue(tenant, date(2026, 4, 1))
    assert invoice.total_ttc == Decimal("120.00")  # first room free: 2 × 60
    line.refresh_from_db()
    contracts.termination_record(
        subscription=line.subscription, received_on=date(2026, 4, 2), today=date(2026, 4, 2)
    )
    assert not CreditNote.objects.exists()  # due until the anniversary (S3)


def test_credit_notes_never_exceed_the_line(catalogue, tenant):
    line = _approved_line(tenant, catalogue.mail, 10, "c")
    contracts.line_activate(line=line, activated_on=date(2026, 3, 17), activated_by=None)
    invoice = _issue(tenant, date(2026, 4, 1))
    invoice_line = InvoiceLine.objects.get(invoice=invoice)
    services.credit_note_issue(
        invoice=invoice,
        amounts={invoice_line.pk: Decimal("200")},
        reason="Geste",
        issued_by=None,
        issue_date=date(2026, 4, 2),
    )
    with pytest.raises(ValidationError) as error:
        services.credit_note_issue(
            invoice=invoice,
            amounts={invoice_line.pk: Decimal("40.01")},
            reason="Encore",
            issued_by=None,
            issue_date=date(2026, 4, 3),
        )
    assert "40,00\u00a0€" in error.value.messages[0]
    assert CreditNote.objects.count() == 1


def test_payments_partial_and_not_beyond_the_balance(catalogue, tenant):
    line = _approved_line(tenant, catalogue.mail, 10, "p")
    contracts.line_activate(line=line, activated_on=date(2026, 3, 17), activated_by=None)
    invoice = _issue(tenant, date(2026, 4, 1))
    services.payment_record(
        invoice=invoice,
        paid_on=date(2026, 4, 20),
        mandate_reference="M-118",
        amount=Decimal("100"),
        recorded_by=None,
    )
    with pytest.raises(ValidationError) as error:
        services.payment_record(
            invoice=invoice,
            paid_on=date(2026, 4, 21),
            mandate_reference="M-119",
            amount=Decimal("140.01"),
            recorded_by=None,
        )
    assert error.value.message_dict["amount"] == [
        "Le paiement dépasse le reste dû (140,00\u00a0€)."
    ]
