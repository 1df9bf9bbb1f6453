"""B2, B4: whole months, prorated amounts half-up, due dates, numbers."""

from datetime import date
from decimal import Decimal

import pytest

from billing.domain import due_date, format_number, months_due, prorated

D = date


@pytest.mark.parametrize(
    ("start", "end", "effective_end", "months", "_case"),
    [
        (D(2026, 3, 1), D(2027, 3, 1), None, 12, "a whole year"),
        (D(2026, 3, 1), D(2027, 3, 1), D(2027, 3, 1), 12, "termination at the anniversary"),
        (D(2027, 3, 1), D(2028, 3, 1), D(2027, 9, 1), 6, "terminated mid-year: six months"),
        (D(2027, 3, 1), D(2028, 3, 1), D(2027, 3, 1), 0, "ended before the year started"),
        (D(2027, 3, 1), D(2028, 3, 1), D(2029, 1, 1), 12, "effective end after the year"),
        (D(2027, 12, 1), D(2028, 12, 1), D(2028, 2, 1), 2, "over the year end"),
    ],
)
def test_months_due(start, end, effective_end, months, _case):
    assert months_due(start, end, effective_end) == months


@pytest.mark.parametrize(
    ("annual", "months", "amount", "_case"),
    [
        (Decimal("240.00"), 12, Decimal("240.00"), "whole year"),
        (Decimal("240.00"), 6, Decimal("120.00"), "half"),
        (Decimal("100.00"), 1, Decimal("8.33"), "a twelfth rounds down"),
        (Decimal("100.00"), 5, Decimal("41.67"), "41.666… rounds up"),
        (Decimal("0.30"), 5, Decimal("0.13"), "0.125 rounds half up"),
        (Decimal("60.00"), 0, Decimal("0.00"), "nothing due"),
    ],
)
def test_prorated(annual, months, amount, _case):
    assert prorated(annual, months) == amount


@pytest.mark.parametrize(
    ("issued", "due"),
    [
        (D(2026, 3, 1), D(2026, 3, 31)),
        (D(2026, 12, 15), D(2027, 1, 14)),
        (D(2028, 2, 1), D(2028, 3, 2)),
    ],
)
def test_due_date_is_thirty_days_later(issued, due):
    assert due_date(issued) == due


def test_numbers():
    assert format_number("FAC", 2026, 1) == "FAC-2026-00001"
    assert format_number("AV", 2027, 12345) == "AV-2027-12345"


@pytest.mark.parametrize(
    ("_case", "total", "paid", "credited", "status", "label"),
    [
        ("nothing paid", "100.00", "0", "0", "unpaid", "non payée"),
        ("a payment", "100.00", "40.00", "0", "partly_paid", "partiellement payée"),
        ("paid and credited", "100.00", "40.00", "60.00", "paid", "payée"),
        ("paid", "100.00", "100.00", "0", "paid", "payée"),
        ("credited whole", "100.00", "0", "100.00", "credited", "soldée par avoir"),
        ("credited in part", "100.00", "0", "30.00", "unpaid", "non payée"),
        ("nothing to pay", "0.00", "0", "0", "paid", "payée"),
    ],
)
def test_payment_status_and_its_words(_case, total, paid, credited, status, label):
    from datetime import date

    from billing import domain

    state = domain.payment_state(
        total_ttc=Decimal(total),
        paid=Decimal(paid),
        credited=Decimal(credited),
        due_date=date(2026, 5, 1),
        today=date(2026, 5, 3),
    )
    assert (state.status, state.label) == (status, label)
    assert state.balance == Decimal(total) - Decimal(paid) - Decimal(credited)
    assert state.days_overdue == (2 if state.balance > 0 else 0)


@pytest.mark.parametrize(
    ("_case", "due", "today", "left", "days"),
    [
        ("due today", "2026-05-01", "2026-05-01", "1.00", 0),
        ("the day after", "2026-05-01", "2026-05-02", "1.00", 1),
        ("settled", "2026-05-01", "2026-06-02", "0.00", 0),
        ("over a year end", "2026-12-31", "2027-01-02", "0.01", 2),
    ],
)
def test_days_overdue(_case, due, today, left, days):
    from datetime import date

    from billing import domain

    assert (
        domain.days_overdue(
            due_date=date.fromisoformat(due), left=Decimal(left), today=date.fromisoformat(today)
        )
        == days
    )
