"""The estimate of a budget year (issue 16): what the billing run will invoice a collectivité
for the contract years that start in that calendar year, when nothing changes. Pure: no
Django, no clock — the caller passes the subscriptions, the schedules and `today`.

Invariant: a line here is the line `billing.selectors.due_items` will invoice for that contract
year — same months (B2, `billing.domain.months_due`), same quantity (the one held on the
year's first day: pending reductions applied, co-termed additions renewed with the year, S4),
same price (the schedule in force on the year's first day, B3, `catalogue.domain.price` with
no units held before), same rounding. A change in billing's arithmetic changes the estimate
with it; a change here alone makes the estimate lie.

Years follow S2: from the term start, every 12 months, while the subscription is not ended by
a termination taking effect by then (the renewal job creates exactly these years). A year that
a termination cuts short is prorated (B2). A reduction taking effect inside a year is invoiced
in full and credited later (B10): the estimate, like the run, counts it in full.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from billing import domain
from catalogue import domain as pricing
from contracts import rules

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Change:
    """A quantity change of a subscription (S4): `applied` once the subscription's quantity
    reflects it (additions at once, reductions on their date)."""

    delta: Decimal
    effective_on: date
    applied: bool


@dataclass(frozen=True)
class Holding:
    """A running subscription as the estimate sees it."""

    subscription_id: int
    offer: str
    offer_name: str
    activated_on: date
    quantity: Decimal  # the subscription's quantity today (applied changes included)
    ends_on: date | None = None  # effective end of a termination (exclusive)
    changes: tuple[Change, ...] = ()


@dataclass(frozen=True)
class EstimateLine:
    subscription_id: int
    offer: str
    offer_name: str
    year_start: date
    year_end: date  # exclusive: the end of the contract year
    months: int
    period_end: date  # exclusive: the year's end or the effective end, whichever is first
    quantity: Decimal
    unit_price: Decimal
    free_quantity: Decimal
    annual_amount: Decimal
    amount: Decimal
    vat_rate: Decimal | None
    schedule: str
    invoice_expected_on: date
    notice_deadline: date | None  # last day to give notice so that this year is not renewed
    # the next termination still possible from today (S3): its last day and the end it gives
    next_notice: tuple[date, date] | None = None

    @property
    def vat_amount(self) -> Decimal:
        return domain.money(self.amount * self.vat_rate) if self.vat_rate is not None else ZERO

    @property
    def last_day(self) -> date:
        """The last day covered (inclusive), as people read a period."""
        return self.period_end - timedelta(days=1)

    @property
    def is_prorated(self) -> bool:
        return self.months < rules.TERM_MONTHS


@dataclass(frozen=True)
class Estimate:
    year: int
    lines: tuple[EstimateLine, ...]
    problems: tuple[str, ...] = ()

    @property
    def total_ht(self) -> Decimal:
        return domain.money(sum((line.amount for line in self.lines), ZERO))

    @property
    def total_vat(self) -> Decimal:
        return domain.money(sum((line.vat_amount for line in self.lines), ZERO))

    @property
    def total_ttc(self) -> Decimal:
        return self.total_ht + self.total_vat

    def by_offer(self) -> dict[str, Decimal]:
        """HT per offer name, in the order the lines come."""
        totals: dict[str, Decimal] = {}
        for line in self.lines:
            totals[line.offer_name] = totals.get(line.offer_name, ZERO) + line.amount
        return totals


def years_starting_in(
    *, activated_on: date, ends_on: date | None, year: int
) -> list[tuple[date, date]]:
    """S2: the contract years (start, end exclusive) that start in calendar `year` and that the
    renewal job will create: none starts on or after the effective end."""
    first_day, next_first_day = date(year, 1, 1), date(year + 1, 1, 1)
    start = rules.term_start(activated_on)
    years = []
    while start < next_first_day and (ends_on is None or start < ends_on):
        end = rules.add_months(start, rules.TERM_MONTHS)
        if start >= first_day:
            years.append((start, end))
        start = end
    return years


def quantity_on(holding: Holding, day: date) -> Decimal:
    """The quantity held on `day` (what billing's `_quantity_at` will read once the renewal
    job has applied the reductions due by then): later applied changes taken back, pending
    ones effective by `day` counted."""
    quantity = holding.quantity
    for change in holding.changes:
        if change.applied and change.effective_on > day:
            quantity -= change.delta
        elif not change.applied and change.effective_on <= day:
            quantity += change.delta
    return quantity


def notice_deadline_for(activated_on: date, year_start: date, today: date) -> date | None:
    """The last day a termination can be received so that the year starting `year_start`
    is not renewed (S3), None when that day has passed or the year is the first."""
    if year_start < rules.first_anniversary(activated_on):
        return None
    deadline, anniversary = rules.notice_deadline(activated_on, today)
    return deadline if anniversary == year_start else None


def estimate(
    *,
    holdings: Iterable[Holding],
    strate: str,
    year: int,
    schedules: Sequence[pricing.Schedule],
    today: date,
) -> Estimate:
    """The estimate of calendar `year` for one collectivité of `strate`. `schedules` are the
    candidates (published ones, and a draft placed first so that it wins a tie): each year is
    priced at the one in force on its first day. A year that cannot be priced is left out and
    its reason given in `problems`."""
    lines: list[EstimateLine] = []
    problems: list[str] = []
    for holding in holdings:
        for start, end in years_starting_in(
            activated_on=holding.activated_on, ends_on=holding.ends_on, year=year
        ):
            months = domain.months_due(start, end, holding.ends_on)
            quantity = quantity_on(holding, start)
            if months == 0 or quantity <= 0:
                continue
            try:
                [priced] = pricing.price(
                    schedules=schedules,
                    offer=holding.offer,
                    quantity=quantity,
                    strate=strate,
                    on=start,
                    offer_name=holding.offer_name,
                )
            except pricing.PricingError as exc:
                problems.append(str(exc))
                continue
            lines.append(
                EstimateLine(
                    subscription_id=holding.subscription_id,
                    offer=holding.offer,
                    offer_name=holding.offer_name,
                    year_start=start,
                    year_end=end,
                    months=months,
                    period_end=rules.add_months(start, months),
                    quantity=priced.quantity,
                    unit_price=priced.unit_price,
                    free_quantity=priced.free_quantity,
                    annual_amount=priced.amount,
                    amount=domain.prorated(priced.amount, months),
                    vat_rate=priced.vat_rate,
                    schedule=priced.schedule,
                    # B1: the monthly run of a year's first day (a first of month) invoices it.
                    invoice_expected_on=start,
                    notice_deadline=notice_deadline_for(holding.activated_on, start, today),
                    next_notice=rules.notice_deadline(holding.activated_on, today),
                )
            )
    lines.sort(key=lambda line: (line.year_start, line.offer_name, line.subscription_id))
    return Estimate(year=year, lines=tuple(lines), problems=tuple(problems))


@dataclass(frozen=True)
class ImpactRow:
    """One group (a collectivité, a strate or an offer) under two schedules, and year N."""

    key: str
    current: Decimal  # HT, at the published schedules
    proposed: Decimal  # HT, with the draft
    last_year: Decimal = ZERO  # HT invoiced for the contract years of year N

    @property
    def change(self) -> Decimal:
        return self.proposed - self.current

    @property
    def change_from_last_year(self) -> Decimal:
        return self.proposed - self.last_year


@dataclass(frozen=True)
class Member:
    """A collectivité's two estimates of the same year, and what year N cost it."""

    name: str
    strate: str
    current: Estimate
    proposed: Estimate
    last_year: Decimal = ZERO
    last_year_by_offer: dict[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class Impact:
    by_collectivite: tuple[ImpactRow, ...]
    by_strate: tuple[ImpactRow, ...]
    by_offer: tuple[ImpactRow, ...]
    total: ImpactRow


def _grouped(pairs: Iterable[tuple[str, Decimal, Decimal, Decimal]]) -> tuple[ImpactRow, ...]:
    sums: dict[str, tuple[Decimal, Decimal, Decimal]] = {}
    for key, current, proposed, last in pairs:
        was = sums.get(key, (ZERO, ZERO, ZERO))
        sums[key] = (was[0] + current, was[1] + proposed, was[2] + last)
    return tuple(ImpactRow(key, *values) for key, values in sorted(sums.items()))


def impact(members: Sequence[Member]) -> Impact:
    """A draft schedule's impact: per collectivité, per strate and per offer, the estimate at
    the published schedules, with the draft, the change, and year N. Each grouping sums to
    the same total: the difference between the two totals, to the cent."""
    offers: list[tuple[str, Decimal, Decimal, Decimal]] = []
    for member in members:
        current, proposed = member.current.by_offer(), member.proposed.by_offer()
        for offer in sorted(set(current) | set(proposed) | set(member.last_year_by_offer)):
            offers.append(
                (
                    offer,
                    current.get(offer, ZERO),
                    proposed.get(offer, ZERO),
                    member.last_year_by_offer.get(offer, ZERO),
                )
            )
    per_member = [(m.name, m.current.total_ht, m.proposed.total_ht, m.last_year) for m in members]
    total = ImpactRow(
        "Total",
        sum((m.current.total_ht for m in members), ZERO),
        sum((m.proposed.total_ht for m in members), ZERO),
        sum((m.last_year for m in members), ZERO),
    )
    return Impact(
        by_collectivite=_grouped(per_member),
        by_strate=_grouped(
            (m.strate, c, p, last) for m, (_, c, p, last) in zip(members, per_member, strict=True)
        ),
        by_offer=_grouped(offers),
        total=total,
    )
