"""What is due and not yet invoiced (B1–B3), priced; and reads of invoices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Exists, OuterRef, Prefetch, QuerySet, Sum

from billing import domain
from billing.models import Delivery, EngagementNumber, Invoice, InvoiceLine
from catalogue import domain as pricing
from catalogue import selectors as catalogue_selectors
from contracts import rules
from contracts.models import ContractYear, QuantityChange, QuoteLine
from portal.models import Collectivite


@dataclass(frozen=True)
class DueItem:
    source: str
    offer_id: int
    subscription_id: int | None
    label: str
    period_start: date | None
    period_end: date | None
    months: int | None
    quantity: Decimal
    unit_price: Decimal
    free_quantity: Decimal
    amount: Decimal
    vat_rate: Decimal | None
    vat_exemption: str
    po_number: str
    po_reused: bool = False  # B9: a renewal year without its own engagement number


# Published schedules never change (catalogue: a published schedule is immutable), so their
# priced form is kept per process, keyed by the schedule and its publication.
_PUBLISHED: dict[tuple[int, object], pricing.Schedule] = {}


class _Schedules:
    """The schedule in force on a date (B3), looked up once per date."""

    def __init__(self) -> None:
        self._cache: dict[date, list[pricing.Schedule]] = {}

    def on(self, day: date) -> list[pricing.Schedule]:
        if day not in self._cache:
            row = catalogue_selectors.schedule_in_force(on=day)
            if row is None:
                self._cache[day] = []
            else:
                key = (row.pk, row.published_at)
                if key not in _PUBLISHED:
                    _PUBLISHED[key] = catalogue_selectors.schedule_as_domain(row)
                self._cache[day] = [_PUBLISHED[key]]
        return self._cache[day]


def schedules_on(day: date) -> list[pricing.Schedule]:
    """The published schedule in force on `day`, priced (empty when none is)."""
    return _Schedules().on(day)


def _po_of(quote_line: QuoteLine | None) -> str:
    if quote_line is None:
        return ""
    acceptance = getattr(quote_line.quote, "acceptance", None)
    return acceptance.po_number if acceptance else ""


def _quantity_at(subscription, day: date) -> Decimal:
    """The quantity held on `day`: later additions billed apart, later reductions not yet
    in effect."""
    later = subscription.changes.filter(applied=True, effective_on__gt=day).aggregate(
        total=Sum("delta")
    )["total"] or Decimal("0")
    return subscription.quantity - later


def due_items(*, collectivite: Collectivite, as_of: date, schedules=None) -> list[DueItem]:
    """Every contract year started on or before `as_of`, co-termed addition and one-off
    delivery (a quote line of a one-off offer, or a recorded `Delivery`) of the collectivité
    that no invoice carries yet, priced."""
    schedules = schedules or _Schedules()
    invoiced = set(
        InvoiceLine.objects.filter(invoice__collectivite=collectivite).values_list(
            "source", flat=True
        )
    )
    items: list[DueItem] = []
    given = dict(
        EngagementNumber.objects.filter(collectivite=collectivite).values_list(
            "budget_year", "number"
        )
    )
    years = (
        ContractYear.objects.filter(subscription__collectivite=collectivite, start__lte=as_of)
        .select_related("subscription__offer")
        .prefetch_related(
            Prefetch(
                "subscription__quote_lines",
                queryset=QuoteLine.objects.select_related("quote__acceptance").order_by("id"),
            )
        )
    )
    for year in years:
        source = f"year:{year.pk}"
        if source in invoiced:
            continue
        sub = year.subscription
        months = domain.months_due(year.start, year.end, sub.ends_on)
        if months == 0:
            continue
        quantity = _quantity_at(sub, year.start)
        [line] = pricing.price(
            schedules=schedules.on(year.start),
            offer=sub.offer.code,
            quantity=quantity,
            strate=collectivite.strate,
            on=year.start,
            offer_name=sub.offer.name,
        )
        origin = next(iter(sub.quote_lines.all()), None)  # prefetched, in id order
        po, reused = domain.engagement_for(
            budget_year=year.start.year,
            renewal=year.start > rules.term_start(sub.activated_on),
            original=_po_of(origin),
            given=given,
        )
        items.append(
            _item(
                source,
                sub.offer,
                sub.pk,
                year.start,
                rules.add_months(year.start, months),
                months,
                line,
                po,
                reused=reused,
            )
        )
    changes = QuantityChange.objects.filter(
        subscription__collectivite=collectivite, delta__gt=0, applied=True, effective_on__lte=as_of
    ).select_related("subscription__offer", "quote_line__quote__acceptance")
    for change in changes:
        source = f"change:{change.pk}"
        if source in invoiced:
            continue
        sub = change.subscription
        year_start, year_end = rules.contract_year(sub.activated_on, change.effective_on)
        start = rules.first_of_month(change.effective_on)
        months = domain.months_due(start, year_end, sub.ends_on)
        if months == 0:
            continue
        held = _quantity_at(sub, change.effective_on) - change.delta
        [line] = pricing.price(
            schedules=schedules.on(year_start),
            offer=sub.offer.code,
            quantity=change.delta,
            strate=collectivite.strate,
            on=year_start,
            held=int(held),
            offer_name=sub.offer.name,
        )
        items.append(
            _item(
                source,
                sub.offer,
                sub.pk,
                start,
                rules.add_months(start, months),
                months,
                line,
                _po_of(change.quote_line),
                addition=True,
            )
        )
    deliveries = QuoteLine.objects.filter(
        quote__collectivite=collectivite, activated_on__lte=as_of, subscription__isnull=True
    ).select_related("offer", "quote__acceptance")
    for delivery in deliveries:
        source = f"delivery:{delivery.pk}"
        if source in invoiced or delivery.offer.is_yearly:
            continue
        line = pricing.PriceLine(
            offer=delivery.offer.code,
            label=delivery.label,
            unit_price=delivery.unit_price,
            quantity=delivery.quantity,
            free_quantity=delivery.free_quantity,
            amount=delivery.amount,
            vat_rate=delivery.vat_rate,
            vat_exemption=delivery.vat_exemption,
            schedule="",
            strate=None,
        )
        items.append(
            _item(
                source,
                delivery.offer,
                None,
                delivery.activated_on,
                None,
                None,
                line,
                _po_of(delivery),
            )
        )
    items.extend(_recorded_deliveries(collectivite, as_of, invoiced))
    return items


def _recorded_deliveries(collectivite, as_of: date, invoiced: set[str]) -> list[DueItem]:
    """Deliveries recorded by other apps (support, trainings), priced when recorded."""
    items = []
    rows = Delivery.objects.filter(collectivite=collectivite, delivered_on__lte=as_of)
    for delivery in rows.select_related("offer"):
        source = f"item:{delivery.pk}"
        if source in invoiced:
            continue
        items.append(
            DueItem(
                source=source,
                offer_id=delivery.offer_id,
                subscription_id=None,
                label=delivery.label,
                period_start=delivery.delivered_on,
                period_end=None,
                months=None,
                quantity=delivery.quantity,
                unit_price=delivery.unit_price,
                free_quantity=delivery.free_quantity,
                amount=delivery.amount,
                vat_rate=delivery.vat_rate,
                vat_exemption=delivery.vat_exemption,
                po_number=delivery.po_number,
            )
        )
    return items


def _item(
    source, offer, subscription_id, start, end, months, line, po, *, addition=False, reused=False
) -> DueItem:
    amount = domain.prorated(line.amount, months) if months is not None else line.amount
    label = offer.name + (" (ajout en cours d'année)" if addition else "")
    return DueItem(
        source=source,
        offer_id=offer.pk,
        subscription_id=subscription_id,
        label=label,
        period_start=start,
        period_end=end,
        months=months,
        quantity=line.quantity,
        unit_price=line.unit_price,
        free_quantity=line.free_quantity,
        amount=amount,
        vat_rate=line.vat_rate,
        vat_exemption=line.vat_exemption,
        po_number=po,
        po_reused=reused,
    )


def collectivites_with_due_items(*, as_of: date) -> QuerySet[Collectivite]:
    """Collectivités that may have something to invoice (checked precisely per collectivité)."""
    return Collectivite.objects.filter(
        Exists(
            ContractYear.objects.filter(subscription__collectivite=OuterRef("pk"), start__lte=as_of)
        )
        | Exists(
            QuoteLine.objects.filter(quote__collectivite=OuterRef("pk"), activated_on__lte=as_of)
        )
        | Exists(Delivery.objects.filter(collectivite=OuterRef("pk"), delivered_on__lte=as_of))
    ).order_by("name")


def invoice_balance(invoice: Invoice) -> Decimal:
    paid = invoice.payments.aggregate(total=Sum("amount"))["total"] or Decimal("0")
    credited = invoice.credit_notes.aggregate(total=Sum("total_ttc"))["total"] or Decimal("0")
    return invoice.total_ttc - paid - credited
