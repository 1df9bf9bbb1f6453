"""What is due and not yet invoiced (B1–B3), priced; and reads of invoices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import (
    DecimalField,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from billing import domain
from billing.models import CreditNote, Delivery, EngagementNumber, Invoice, InvoiceLine, Payment
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
            # a quote's purchase order, else the number given when the contract was taken over
            original=_po_of(origin) or sub.engagement_number,
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
    return domain.balance(total_ttc=invoice.total_ttc, paid=paid, credited=credited)


# --- The invoices as every door reads them ----------------------------------------------------

_MONEY = DecimalField(max_digits=14, decimal_places=2)
_ZERO = Value(Decimal("0"), output_field=_MONEY)


def invoices_with_balance(invoices: QuerySet[Invoice] | None = None) -> QuerySet[Invoice]:
    """Invoices annotated with `paid`, `credited` and `balance` (`domain.balance`), in one
    query for a whole list."""
    paid = (
        Payment.objects.filter(invoice=OuterRef("pk"))
        .values("invoice")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    credited = (
        CreditNote.objects.filter(invoice=OuterRef("pk"))
        .values("invoice")
        .annotate(total=Sum("total_ttc"))
        .values("total")
    )
    invoices = Invoice.objects.all() if invoices is None else invoices
    return invoices.annotate(
        paid=Coalesce(Subquery(paid, output_field=_MONEY), _ZERO),
        credited=Coalesce(Subquery(credited, output_field=_MONEY), _ZERO),
    ).annotate(balance=F("total_ttc") - F("paid") - F("credited"))


def status_q(status: domain.PaymentStatus) -> Q:
    """`domain.payment_status` as a filter over `invoices_with_balance`."""
    settled, nothing_paid = Q(balance__lte=0), Q(paid=0)
    return {
        domain.PaymentStatus.UNPAID: ~settled & nothing_paid,
        domain.PaymentStatus.PARTLY_PAID: ~settled & ~nothing_paid,
        domain.PaymentStatus.CREDITED: settled & nothing_paid & Q(credited__gt=0),
        domain.PaymentStatus.PAID: settled & ~(nothing_paid & Q(credited__gt=0)),
    }[status]


def overdue_q(today: date) -> Q:
    """`domain.is_overdue` as a filter over `invoices_with_balance`."""
    return Q(balance__gt=0, due_date__lt=today)


@dataclass(frozen=True)
class InvoiceFilters:
    """What the pages, the API, the exports and the forms filter invoices by."""

    year: int | None = None
    collectivite_id: int | None = None
    statuses: tuple[domain.PaymentStatus, ...] = ()  # any of them; () = all
    overdue: bool | None = None
    unpaid_only: bool = False  # something left to pay


def invoice_list(*, filters: InvoiceFilters, today: date) -> QuerySet[Invoice]:
    """The invoices matching `filters`, most recent first, each annotated (`paid`,
    `credited`, `balance`); `invoice_payment_state` gives what people read of each."""
    rows = invoices_with_balance(Invoice.objects.select_related("collectivite"))
    if filters.year is not None:
        rows = rows.filter(year=filters.year)
    if filters.collectivite_id is not None:
        rows = rows.filter(collectivite_id=filters.collectivite_id)
    if filters.statuses:
        q = Q()
        for status in filters.statuses:
            q |= status_q(status)
        rows = rows.filter(q)
    if filters.overdue is not None:
        rows = rows.filter(overdue_q(today) if filters.overdue else ~overdue_q(today))
    if filters.unpaid_only:
        rows = rows.filter(balance__gt=0)
    return rows.order_by("-issue_date", "-number")


def invoice_payment_state(invoice: Invoice, *, today: date) -> domain.PaymentState:
    """Where an invoice's payment stands (annotated by `invoice_list`, else read now)."""
    if not hasattr(invoice, "paid"):
        invoice = invoices_with_balance(Invoice.objects.filter(pk=invoice.pk)).get()
    return domain.payment_state(
        total_ttc=invoice.total_ttc,
        paid=invoice.paid,
        credited=invoice.credited,
        due_date=invoice.due_date,
        today=today,
    )
