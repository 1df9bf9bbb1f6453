"""Billing arithmetic (B2, B4): whole months, prorated amounts, due dates. Pure: no Django,
no clock. Past invoices are recomputed from these functions: a change changes them."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
PAYMENT_TERM_DAYS = 30


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def months_between(start: date, end: date) -> int:
    """Whole months from `start` to `end` (firsts of months; end exclusive); never negative."""
    return max(0, (end.year - start.year) * 12 + (end.month - start.month))


def months_due(year_start: date, year_end: date, effective_end: date | None = None) -> int:
    """B2: a contract year is due from its start to its end or the effective end of a
    termination, whichever comes first."""
    end = min(year_end, effective_end) if effective_end else year_end
    return months_between(year_start, end)


def prorated(annual_amount: Decimal, months: int) -> Decimal:
    """B2: annual price × months due / 12, half-up to the cent at the line."""
    return money(annual_amount * months / 12)


def due_date(issue_date: date) -> date:
    """B4: payable within 30 days of the issue date."""
    return issue_date + timedelta(days=PAYMENT_TERM_DAYS)


def format_number(prefix: str, year: int, number: int) -> str:
    """B4: `FAC-2026-00001`, `AV-2026-00001`."""
    return f"{prefix}-{year}-{number:05d}"
