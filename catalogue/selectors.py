"""Reads of the catalogue, and the bridge from tariff rows to the pricing domain."""

from __future__ import annotations

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
