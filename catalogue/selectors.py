"""Reads of the catalogue, and the bridge from tariff rows to the pricing domain."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Prefetch, QuerySet

from catalogue import domain
from catalogue.models import (
    AnnexVersion,
    Offer,
    ServiceFamily,
    StrateInclusion,
    TariffLine,
    TariffSchedule,
)
from portal.models import Collectivite


def families_with_offers(*, orderable_only: bool = True) -> list[ServiceFamily]:
    offers = Offer.objects.select_related("requires_offer").order_by("position", "name")
    if orderable_only:
        offers = offers.filter(orderable=True)
    families = ServiceFamily.objects.prefetch_related(Prefetch("offers", queryset=offers))
    return [f for f in families if f.offers.all()] if orderable_only else list(families)


def offer_get(*, code: str, orderable_only: bool = True) -> Offer:
    qs = Offer.objects.select_related("family", "requires_offer")
    if orderable_only:
        qs = qs.filter(orderable=True)
    return qs.get(code=code)


def annex_current(*, offer: Offer) -> AnnexVersion | None:
    return offer.annex_versions.order_by("-version").first()


def schedules_published() -> QuerySet[TariffSchedule]:
    return TariffSchedule.objects.filter(status=TariffSchedule.Status.PUBLISHED)


def _rule(line: TariffLine) -> domain.Rule:
    return domain.Rule(
        offer=line.offer.code,
        offer_name=line.offer.name,
        unit_price=line.unit_price,
        strate_prices={sp.strate: sp.unit_price for sp in line.strate_prices.all()},
        first_free=line.first_free_quantity,
        vat_rate=line.vat_rate,
        vat_exemption=line.vat_exemption,
    )


def schedule_as_domain(schedule: TariffSchedule) -> domain.Schedule:
    lines = schedule.lines.select_related("offer").prefetch_related("strate_prices")
    return domain.Schedule(
        id=schedule.pk,
        label=f"délibération n° {schedule.deliberation_number} du "
        f"{schedule.deliberation_date:%d/%m/%Y}",
        effective_from=schedule.effective_from,
        rules={line.offer.code: _rule(line) for line in lines},
    )


def pricing_schedules() -> list[domain.Schedule]:
    """Every published schedule, ready for `catalogue.domain.price`."""
    return [schedule_as_domain(s) for s in schedules_published()]


def schedule_in_force(*, on: date) -> TariffSchedule | None:
    return schedules_published().filter(effective_from__lte=on).order_by("-effective_from").first()


def offer_price(
    *,
    offer: Offer,
    collectivite: Collectivite,
    on: date,
    quantity: Decimal | int = 1,
    held: int = 0,
) -> list[domain.PriceLine]:
    schedule = schedule_in_force(on=on)
    schedules = [schedule_as_domain(schedule)] if schedule else []
    return domain.price(
        schedules=schedules,
        offer=offer.code,
        quantity=quantity,
        strate=collectivite.strate,
        on=on,
        held=held,
    )


def inclusions_for(
    *, offer: Offer, strate: str, schedule: TariffSchedule | None
) -> QuerySet[StrateInclusion]:
    if schedule is None:
        return StrateInclusion.objects.none()
    return StrateInclusion.objects.filter(schedule=schedule, offer=offer, strate=strate)


def schedule_detail(*, pk: int) -> TariffSchedule:
    return TariffSchedule.objects.prefetch_related(
        Prefetch(
            "lines",
            queryset=TariffLine.objects.select_related("offer", "offer__family").prefetch_related(
                "strate_prices"
            ),
        )
    ).get(pk=pk)


@dataclass(frozen=True)
class PriceSummary:
    """What one more unit of an offer costs a collectivité, and why."""

    unit_price: Decimal | None
    billing_unit: str
    free_left: int
    schedule_label: str
    strate: str | None
    vat_rate: Decimal | None
    vat_exemption: str
    error: str = ""


def price_summary(
    *, offer: Offer, collectivite: Collectivite, schedule: domain.Schedule | None, held: Decimal
) -> PriceSummary:
    try:
        [line] = domain.price(
            schedules=[schedule] if schedule else [],
            offer=offer.code,
            quantity=1,
            strate=collectivite.strate,
            on=schedule.effective_from if schedule else date.min,
            held=int(held),
            offer_name=offer.name,
        )
    except domain.PricingError as exc:
        return PriceSummary(None, offer.get_billing_unit_display(), 0, "", None, None, "", str(exc))
    rule = schedule.rules[offer.code]
    return PriceSummary(
        unit_price=line.unit_price,
        billing_unit=offer.get_billing_unit_display(),
        free_left=max(0, rule.first_free - int(held)),
        schedule_label=line.schedule,
        strate=line.strate,
        vat_rate=line.vat_rate,
        vat_exemption=line.vat_exemption,
    )


@dataclass(frozen=True)
class PreviewRow:
    collectivite: Collectivite
    today: Decimal | None
    proposed: Decimal | None
    problems: list[str]

    @property
    def change(self) -> Decimal | None:
        if self.today is None or self.proposed is None:
            return None
        return self.proposed - self.today


def _yearly_amount(
    schedule: domain.Schedule | None,
    collectivite: Collectivite,
    holdings: list[tuple[str, Decimal]],
) -> tuple[Decimal | None, list[str]]:
    if schedule is None:
        return None, ["Aucune grille tarifaire n'est en vigueur aujourd'hui."]
    lines, problems = [], []
    for code, quantity in holdings:
        try:
            lines += domain.price(
                schedules=[schedule],
                offer=code,
                quantity=quantity,
                strate=collectivite.strate,
                on=schedule.effective_from,
            )
        except domain.PricingError as exc:
            problems.append(str(exc))
    return (None if problems else domain.total(lines)), problems


def schedule_preview(*, draft: TariffSchedule, today: date, collectivites=None) -> list[PreviewRow]:
    """For each collectivité (or each of `collectivites`, a page of them): what its yearly
    subscriptions cost under the schedule in force today and under `draft`, for the same
    quantities."""
    from contracts.selectors import subscriptions_active

    current_row = schedule_in_force(on=today)
    current = schedule_as_domain(current_row) if current_row else None
    proposed = schedule_as_domain(draft)
    if collectivites is None:
        collectivites = Collectivite.objects.order_by("name")
    collectivites = list(collectivites)
    # quantities summed per offer, so that a first-free rule applies once per collectivité
    holdings: dict[int, dict[str, Decimal]] = {}
    subscriptions = subscriptions_active(on=today).filter(collectivite__in=collectivites)
    for sub in subscriptions.select_related("offer").order_by("offer__code"):
        if sub.offer.is_yearly:
            held_here = holdings.setdefault(sub.collectivite_id, {})
            held_here[sub.offer.code] = held_here.get(sub.offer.code, Decimal("0")) + sub.quantity
    rows = []
    for collectivite in collectivites:
        held = sorted(holdings.get(collectivite.pk, {}).items())
        today_amount, problems_today = _yearly_amount(current, collectivite, held)
        proposed_amount, problems = _yearly_amount(proposed, collectivite, held)
        rows.append(
            PreviewRow(collectivite, today_amount, proposed_amount, problems_today + problems)
        )
    return rows
