"""S3/S4 edge cases: reductions never take more than is held, a terminating contract takes no
addition, a late-recorded termination removes the year renewed meanwhile, and a receipt says
what was held when it was received."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from pypdf import PdfReader

from contracts import services
from contracts.documents import termination_receipt_pdf
from contracts.models import Quote, QuoteLine
from tests.factories.catalogue import build_catalogue


@pytest.fixture
def catalogue(db):
    return build_catalogue()


def _activate(tenant, offer, quantity, day, ref):
    quote = Quote.objects.create(reference=ref, collectivite=tenant, title="t", status="approved")
    line = QuoteLine.objects.create(quote=quote, offer=offer, label=offer.name, quantity=quantity)
    services.line_activate(line=line, activated_on=day, activated_by=None)
    line.refresh_from_db()
    return line


def test_pending_reductions_count(catalogue, tenant):
    sub = _activate(tenant, catalogue.mail, 10, date(2026, 3, 17), "R1").subscription
    services.termination_record(
        subscription=sub,
        received_on=date(2027, 1, 15),
        today=date(2027, 1, 15),
        quantity=Decimal("6"),
    )
    with pytest.raises(ValidationError) as error:
        services.termination_record(
            subscription=sub,
            received_on=date(2027, 1, 15),
            today=date(2027, 1, 15),
            quantity=Decimal("6"),
        )
    assert error.value.message_dict["quantity"] == [
        services.REDUCTION_TOO_LARGE.format(quantity=Decimal("4"))
    ]


def test_no_addition_to_a_terminating_contract(catalogue, tenant):
    sub = _activate(tenant, catalogue.mail, 8, date(2026, 3, 17), "R2").subscription
    services.termination_record(
        subscription=sub, received_on=date(2026, 4, 2), today=date(2026, 4, 2)
    )
    with pytest.raises(ValidationError) as error:
        _activate(tenant, catalogue.mail, 2, date(2026, 10, 5), "R3")
    assert error.value.messages == [services.ADDITION_TO_TERMINATING]


def test_late_recorded_termination_removes_the_renewed_year(catalogue, tenant):
    sub = _activate(tenant, catalogue.mail, 5, date(2026, 3, 17), "R4").subscription
    services.renewals_run(today=date(2027, 3, 1))
    assert sub.years.count() == 2
    # received on 20/12/2026, recorded in March: ends at the first anniversary (S3)
    termination = services.termination_record(
        subscription=sub, received_on=date(2026, 12, 20), today=date(2027, 3, 5)
    )
    assert termination.effective_end == date(2027, 3, 1)
    assert list(sub.years.values_list("start", flat=True)) == [date(2026, 3, 1)]


def test_receipt_keeps_the_quantity_held_at_reception(catalogue, tenant):
    sub = _activate(tenant, catalogue.mail, 10, date(2026, 3, 17), "R5").subscription
    termination = services.termination_record(
        subscription=sub,
        received_on=date(2027, 1, 15),
        today=date(2027, 1, 15),
        quantity=Decimal("6"),
    )
    before = termination_receipt_pdf(termination)
    services.renewals_run(today=date(2027, 4, 1))  # the reduction takes effect
    sub.refresh_from_db()
    assert sub.quantity == Decimal("4")
    termination.refresh_from_db()
    assert termination_receipt_pdf(termination) == before
    text = " ".join(
        page.extract_text() for page in PdfReader(__import__("io").BytesIO(before)).pages
    )
    assert "6 sur 10" in " ".join(text.split())
