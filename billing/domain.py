"""Billing arithmetic (B2, B4): whole months, prorated amounts, due dates. Pure: no Django,
no clock. Past invoices are recomputed from these functions: a change changes them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import TypeVar

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


# --- VAT (B8, EN 16931) -----------------------------------------------------------------------
#
# DESIGN B8: the syndicate is outside the scope of VAT for its administrative activities and
# may be subject to VAT for others (a SPIC, seed 001). VAT is set per tariff line: a rate, or
# no rate and the exemption mention. An invoice never mixes the outside-scope category `O`
# with another (EN 16931 BR-O-11, BR-O-12): a run makes one invoice per collectivité and VAT
# treatment. Amounts are net per line (B2, rounded at the line); VAT is computed per category
# and rate on the sum of the line net amounts, rounded half-up to the cent (EN 16931 BR-CO-17:
# VAT category tax amount = taxable amount × rate, rounded), and the totals add up those
# rounded figures (BR-CO-10, BR-CO-13 to -15), so that they reconcile to the cent.

VAT_STANDARD = "S"
VAT_OUTSIDE_SCOPE = "O"


class VatTreatment(StrEnum):
    """The two treatments an invoice may carry, never both (B8)."""

    OUTSIDE_SCOPE = "hors_champ"  # category O: the syndicate's administrative activities
    TAXED = "tva"  # category S at the line's rate: activities subject to VAT (a SPIC)


VAT_TREATMENT_LABELS = {
    VatTreatment.OUTSIDE_SCOPE: "hors champ de la TVA",
    VatTreatment.TAXED: "soumise à la TVA",
}


def vat_treatment(rate: Decimal | None) -> VatTreatment:
    """A line with a rate is taxed (category S, even at 0 %); without one it is outside the
    scope of VAT (category O)."""
    return VatTreatment.OUTSIDE_SCOPE if rate is None else VatTreatment.TAXED


T = TypeVar("T")


def split_by_vat_treatment(
    items: Iterable[T], rate_of: Callable[[T], Decimal | None]
) -> dict[VatTreatment, list[T]]:
    """B8: the items of one collectivité, one group per VAT treatment (in a fixed order:
    outside scope first), each group one invoice. Empty groups are left out."""
    groups: dict[VatTreatment, list[T]] = {}
    for treatment in VatTreatment:
        chosen = [item for item in items if vat_treatment(rate_of(item)) == treatment]
        if chosen:
            groups[treatment] = chosen
    return groups


@dataclass(frozen=True)
class VatGroup:
    """One VAT breakdown entry (BG-23): category `S` at a rate, or `O` with its mention."""

    category: str
    rate: Decimal | None
    exemption: str
    base: Decimal
    amount: Decimal


def vat_breakdown(lines: Iterable[tuple[Decimal, Decimal | None, str]]) -> list[VatGroup]:
    """`(net amount, VAT rate or None, exemption mention)` per line → the VAT breakdown: per
    category and rate, the sum of the line net amounts, and the VAT of that sum rounded
    half-up (BR-CO-17); rated groups first, by rate."""
    bases: dict[tuple[str, Decimal | None, str], Decimal] = {}
    for amount, rate, exemption in lines:
        key = (VAT_STANDARD, rate, "") if rate is not None else (VAT_OUTSIDE_SCOPE, None, exemption)
        bases[key] = bases.get(key, Decimal("0.00")) + amount
    ordered = sorted(bases.items(), key=lambda item: (item[0][1] is None, item[0][1] or 0))
    return [
        VatGroup(
            category=category,
            rate=rate,
            exemption=exemption,
            base=money(base),
            amount=money(base * rate) if rate is not None else Decimal("0.00"),
        )
        for (category, rate, exemption), base in ordered
    ]


@dataclass(frozen=True)
class Totals:
    ht: Decimal
    vat: Decimal
    ttc: Decimal


def totals(groups: Iterable[VatGroup]) -> Totals:
    """The document totals from its VAT breakdown (BR-CO-13 to -15)."""
    groups = list(groups)
    ht = sum((g.base for g in groups), Decimal("0.00"))
    vat = sum((g.amount for g in groups), Decimal("0.00"))
    return Totals(ht=ht, vat=vat, ttc=ht + vat)


# --- Engagement numbers (B9) ------------------------------------------------------------------


def engagement_for(
    *, budget_year: int, renewal: bool, original: str, given: dict[int, str]
) -> tuple[str, bool]:
    """B9: the engagement or purchase-order number of a contract year, and whether it is
    reused from an earlier budget year. The first year goes with the order's number
    (`original`); a renewal year with the number the collectivité gave for its budget year
    (`given`: budget year → number), else with the latest number before it — the last one
    given for an earlier budget year, or the order's — and the invoice says so."""
    if not renewal:
        return original, False
    if given.get(budget_year):
        return given[budget_year], False
    earlier = [year for year in given if year < budget_year and given[year]]
    previous = given[max(earlier)] if earlier else original
    return previous, bool(previous)


def engagements_joined(numbers: Iterable[str]) -> str:
    """Every distinct engagement number of an invoice's lines, whole, in first-seen order."""
    seen: list[str] = []
    for number in numbers:
        if number and number not in seen:
            seen.append(number)
    return ", ".join(seen)


# --- Credits when a paid-for period ends early (B2, B10) --------------------------------------


@dataclass(frozen=True)
class InvoicedPeriod:
    """An invoiced line of a subscription: a contract year, or a co-termed addition."""

    key: int
    period_start: date
    period_end: date  # exclusive
    months: int
    billable: Decimal  # quantity − free quantity
    unit_price: Decimal  # annual, per unit
    amount: Decimal
    left: Decimal  # what credit notes have not credited yet


@dataclass(frozen=True)
class Credit:
    key: int
    period_start: date
    months: int
    amount: Decimal


def early_end_credits(
    periods: Iterable[InvoicedPeriod], *, effective_end: date, quantity: Decimal | None
) -> list[Credit]:
    """B10: the whole months invoiced beyond `effective_end`, per line, credited.

    - A termination (`quantity` None) credits each line beyond the end: the months from the
      end (or the line's start, for a year invoiced before a late termination was recorded:
      the whole year) to the line's end, at the line's amount × months / line months.
    - A reduction of `quantity` units credits those units × the annual unit price × the
      months / 12 (S4 + B2), taken from the year's line first, then from its co-termed
      additions, never more units than a line bills.
    Never more than a line has left; lines that end by `effective_end` credit nothing."""
    credits: list[Credit] = []
    units_left = quantity
    for period in sorted(periods, key=lambda p: (p.period_start, p.key)):
        if period.period_end <= effective_end or period.left <= 0 or not period.months:
            continue
        start = max(effective_end, period.period_start)
        months = months_between(start, period.period_end)
        if months <= 0:
            continue
        if units_left is None:
            whole = months >= period.months
            amount = period.left if whole else money(period.amount * months / period.months)
        else:
            units = min(units_left, period.billable)
            if units <= 0:
                continue
            units_left -= units
            amount = money(units * period.unit_price * months / 12)
        amount = min(amount, period.left)
        if amount > 0:
            credits.append(Credit(key=period.key, period_start=start, months=months, amount=amount))
    return credits


# --- Payment of an invoice: the one read model (B4) --------------------------------------------
#
# Every door (the pages, the API, the CSV/XLSX exports, the filter forms) reads an invoice's
# payment through these functions and these words; `billing.selectors.status_q` is the same
# rule written as a database filter (a test walks every status through all of them).


class PaymentStatus(StrEnum):
    PAID = "paid"
    PARTLY_PAID = "partly_paid"
    UNPAID = "unpaid"
    CREDITED = "credited"


PAYMENT_STATUS_LABELS = {
    PaymentStatus.PAID: "payée",
    PaymentStatus.PARTLY_PAID: "partiellement payée",
    PaymentStatus.UNPAID: "non payée",
    PaymentStatus.CREDITED: "soldée par avoir",
}


def balance(*, total_ttc: Decimal, paid: Decimal, credited: Decimal) -> Decimal:
    """What is left to pay: the invoice less its payments and its credit notes."""
    return total_ttc - paid - credited


def payment_status(*, total_ttc: Decimal, paid: Decimal, credited: Decimal) -> PaymentStatus:
    """Something left: partly paid or unpaid, as a payment was received or not. Nothing left:
    settled by credit notes alone (nothing paid), else paid."""
    if balance(total_ttc=total_ttc, paid=paid, credited=credited) > 0:
        return PaymentStatus.PARTLY_PAID if paid > 0 else PaymentStatus.UNPAID
    if paid == 0 and credited > 0:
        return PaymentStatus.CREDITED
    return PaymentStatus.PAID


def days_overdue(*, due_date: date, left: Decimal, today: date) -> int:
    """Days past the due date while something is left to pay; 0 otherwise."""
    return (today - due_date).days if left > 0 and due_date < today else 0


def is_overdue(*, due_date: date, left: Decimal, today: date) -> bool:
    return days_overdue(due_date=due_date, left=left, today=today) > 0


@dataclass(frozen=True)
class PaymentState:
    """Where an invoice's payment stands on `today`, as every door shows it."""

    status: PaymentStatus
    paid: Decimal
    credited: Decimal
    balance: Decimal
    days_overdue: int

    @property
    def label(self) -> str:
        return PAYMENT_STATUS_LABELS[self.status]

    @property
    def settled(self) -> bool:
        return self.balance <= 0

    @property
    def overdue(self) -> bool:
        return self.days_overdue > 0


def payment_state(
    *, total_ttc: Decimal, paid: Decimal, credited: Decimal, due_date: date, today: date
) -> PaymentState:
    left = balance(total_ttc=total_ttc, paid=paid, credited=credited)
    return PaymentState(
        status=payment_status(total_ttc=total_ttc, paid=paid, credited=credited),
        paid=paid,
        credited=credited,
        balance=left,
        days_overdue=days_overdue(due_date=due_date, left=left, today=today),
    )


# --- The date of a billing run (B1, B4) -------------------------------------------------------

RUN_IN_FUTURE = (
    "La date de facturation ne peut être postérieure à aujourd'hui ({today}) : les factures "
    "portent cette date. Un aperçu est possible à toute date."
)
RUN_BEFORE_LAST_INVOICE = (
    "Une facture est déjà émise au {last} : la numérotation suit l'ordre des dates, la date "
    "de facturation ne peut être antérieure. Un aperçu est possible à toute date."
)


def run_date_error(*, as_of: date, today: date, last_issue: date | None) -> str:
    """Why a run (not a preview) cannot be dated `as_of`, or "": invoices carry the run's date
    and numbers follow dates (B4), so neither in the future nor before the last invoice."""
    if as_of > today:
        return RUN_IN_FUTURE.format(today=f"{today:%d/%m/%Y}")
    if last_issue is not None and as_of < last_issue:
        return RUN_BEFORE_LAST_INVOICE.format(last=f"{last_issue:%d/%m/%Y}")
    return ""
