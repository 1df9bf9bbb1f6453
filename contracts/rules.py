"""Contract date rules (DESIGN Q1, S1–S4): pure functions over `datetime.date`.

Every end date is exclusive — the first day no longer covered. "+ N months" is the same day N
months later, clamped to the month's last day (python-dateutil's relativedelta). Past quotes,
contracts and invoices are recomputed from these functions: a change here changes them all.
"""

from __future__ import annotations

from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

QUOTE_VALIDITY_MONTHS = 1
TERM_MONTHS = 12
NOTICE_MONTHS = 2


def add_months(day: date, months: int) -> date:
    """2026-01-31 + 1 month = 2026-02-28 (clamped)."""
    moved: date = day + relativedelta(months=months)
    return moved


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def first_of_next_month(day: date) -> date:
    return add_months(first_of_month(day), 1)


def quote_valid_until(issue_date: date) -> date:
    """Q1: the last day a quote can be signed (inclusive); expired from the next day."""
    return add_months(issue_date, QUOTE_VALIDITY_MONTHS)


def quote_is_expired(issue_date: date, on: date) -> bool:
    return on > quote_valid_until(issue_date)


def term_start(activation_date: date) -> date:
    """S1: the term runs from the first day of the activation month."""
    return first_of_month(activation_date)


def first_anniversary(activation_date: date) -> date:
    """S1: the end (exclusive) of the first contract year."""
    return add_months(term_start(activation_date), TERM_MONTHS)


def contract_year(activation_date: date, on_date: date) -> tuple[date, date]:
    """S2: the contract year (start, end exclusive) containing `on_date`, renewed tacitly
    every 12 months from the term start. Before the term start, the first year."""
    start = term_start(activation_date)
    if on_date < start:
        return start, add_months(start, TERM_MONTHS)
    years = (on_date.year - start.year) * 12 + (on_date.month - start.month)
    year_start = add_months(start, (years // TERM_MONTHS) * TERM_MONTHS)
    return year_start, add_months(year_start, TERM_MONTHS)


def notice_end(received_on: date) -> date:
    """S3: notice starts the first day of the month after receipt and lasts two months."""
    return add_months(first_of_next_month(received_on), NOTICE_MONTHS)


def termination_effective_end(activation_date: date, received_on: date) -> date:
    """S3: the first day no longer due: the notice is always respected, and in the first
    year the subscription stays due until the first anniversary."""
    return max(notice_end(received_on), first_anniversary(activation_date))


def next_anniversary(activation_date: date, on_date: date) -> date:
    """The next tacit renewal date after `on_date` (the end of its contract year)."""
    return contract_year(activation_date, on_date)[1]


def notice_deadline(activation_date: date, on_date: date) -> tuple[date, date]:
    """(last day to give notice, the anniversary it ends the contract at): the earliest
    anniversary still reachable by a termination received on `on_date` or later."""
    anniversary = next_anniversary(activation_date, on_date)
    while True:
        deadline = add_months(anniversary, -NOTICE_MONTHS) - timedelta(days=1)
        if deadline >= on_date and anniversary >= first_anniversary(activation_date):
            return deadline, anniversary
        anniversary = add_months(anniversary, TERM_MONTHS)


def months_between(start: date, end: date) -> int:
    """Whole months from `start` to `end` (both firsts of months, end exclusive)."""
    return (end.year - start.year) * 12 + (end.month - start.month)


def coterm_months(activation_date: date, addition_date: date) -> int:
    """S4: an addition is billed for the whole months left in the current contract year,
    the month of the addition counted."""
    _, year_end = contract_year(activation_date, addition_date)
    return months_between(first_of_month(addition_date), year_end)


# Quote states as the collectivité reads them (its signatory's words, not the workflow's).
QUOTE_STATE_WORDS = {
    "draft": "en préparation par le syndicat",
    "sent": "à signer",
    "accepted": "signé, en attente d'approbation par le syndicat",
    "approved": "approuvé : la commande est passée",
    "refused": "refusé par le syndicat",
    "expired": "expiré (non signé à temps)",
    "superseded": "remplacé par une nouvelle version",
}
QUOTE_SETTLED_STATES = frozenset({"approved", "refused", "expired", "superseded"})


def quote_state_words(status: str, valid_until: date | None, today: date) -> str:
    """Q1: a sent quote past its last day reads as expired even before the nightly job."""
    if status == "sent" and valid_until is not None and today > valid_until:
        status = "expired"
    return QUOTE_STATE_WORDS.get(status, status)


def last_covered_day(end_exclusive: date) -> date:
    """DESIGN §4: end dates are exclusive; people are shown the last day covered."""
    return end_exclusive - timedelta(days=1)
