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
