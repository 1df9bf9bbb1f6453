"""Reads for the budget estimate (issue 16): the subscriptions and schedules that
`billing.estimates` computes over, and what was invoiced per year, offer and strate."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from django.db.models import Prefetch, Sum
from django.db.models.functions import Coalesce

from billing import estimates
from billing.models import InvoiceLine
from catalogue import domain as pricing
from catalogue import selectors as catalogue_selectors
from catalogue.models import TariffSchedule
from contracts.models import QuantityChange, Subscription
from portal.models import Collectivite

HISTORY_YEARS = 5


def _holding(sub: Subscription) -> estimates.Holding:
    return estimates.Holding(
        subscription_id=sub.pk,
        offer=sub.offer.code,
        offer_name=sub.offer.name,
        activated_on=sub.activated_on,
        quantity=sub.quantity,
        ends_on=sub.ends_on,
        changes=tuple(
            estimates.Change(delta=c.delta, effective_on=c.effective_on, applied=c.applied)
            for c in sub.changes.all()
        ),
    )


def holdings(*, collectivite: Collectivite | None = None) -> dict[int, list[estimates.Holding]]:
    """The running yearly subscriptions, per collectivité id (all of them by default)."""
    rows = (
        Subscription.objects.exclude(status=Subscription.Status.ENDED)
        .select_related("offer")
        .prefetch_related(Prefetch("changes", queryset=QuantityChange.objects.order_by("id")))
        .order_by("collectivite_id", "offer__name", "pk")
    )
    if collectivite is not None:
        rows = rows.filter(collectivite=collectivite)
    result: dict[int, list[estimates.Holding]] = {}
    for sub in rows:
        result.setdefault(sub.collectivite_id, []).append(_holding(sub))
    return result


def schedules(*, draft: TariffSchedule | None = None) -> list[pricing.Schedule]:
    """The published schedules, and `draft` first (it wins a tie of effective dates)."""
    published = catalogue_selectors.pricing_schedules()
    if draft is None:
        return published
    return [catalogue_selectors.schedule_as_domain(draft)] + [
        s for s in published if s.id != draft.pk
    ]


def estimate_for(
    *,
    collectivite: Collectivite,
    year: int,
    today: date,
    draft: TariffSchedule | None = None,
) -> estimates.Estimate:
    """What the billing run will invoice `collectivite` for the contract years that start in
    `year`, at the published schedules (or with `draft`)."""
    return estimates.estimate(
        holdings=holdings(collectivite=collectivite).get(collectivite.pk, []),
        strate=collectivite.strate,
        year=year,
        schedules=schedules(draft=draft),
        today=today,
    )


def _year_lines(year: int):
    return InvoiceLine.objects.filter(
        source__startswith="year:", period_start__year=year, subscription__isnull=False
    )


def draft_impact(*, draft: TariffSchedule, year: int, today: date) -> estimates.Impact:
    """A draft schedule's impact on every collectivité's estimate of `year`, compared with the
    published schedules and with what the contract years of `year - 1` were invoiced."""
    held = holdings()
    published, proposed = schedules(), schedules(draft=draft)
    last: dict[int, dict[str, Decimal]] = {}
    for row in (
        _year_lines(year - 1)
        .values("invoice__collectivite_id", "offer__name")
        .annotate(total=Sum("amount"))
    ):
        per = last.setdefault(row["invoice__collectivite_id"], {})
        per[row["offer__name"]] = row["total"]
    members = []
    for collectivite in Collectivite.objects.order_by("name"):
        mine = held.get(collectivite.pk, [])
        members.append(
            estimates.Member(
                name=collectivite.name,
                strate=collectivite.get_strate_display(),
                current=estimates.estimate(
                    holdings=mine,
                    strate=collectivite.strate,
                    year=year,
                    schedules=published,
                    today=today,
                ),
                proposed=estimates.estimate(
                    holdings=mine,
                    strate=collectivite.strate,
                    year=year,
                    schedules=proposed,
                    today=today,
                ),
                last_year=sum(last.get(collectivite.pk, {}).values(), Decimal("0.00")),
                last_year_by_offer=last.get(collectivite.pk, {}),
            )
        )
    return estimates.impact(members)


def invoiced_by_year(
    *, years: Sequence[int], collectivite: Collectivite | None = None, by: str = "offer__name"
) -> dict[int, dict[str, Decimal]]:
    """HT invoiced per invoice year and per `by` (an offer's name, or the buyer's strate), for
    `years`; credit notes are not deducted (they are listed with the invoices)."""
    rows = InvoiceLine.objects.filter(invoice__year__in=list(years))
    if collectivite is not None:
        rows = rows.filter(invoice__collectivite=collectivite)
    result: dict[int, dict[str, Decimal]] = {year: {} for year in years}
    for row in (
        rows.values("invoice__year", by)
        .annotate(total=Coalesce(Sum("amount"), Decimal("0")))
        .order_by("invoice__year", by)
    ):
        result[row["invoice__year"]][str(row[by] or "—")] = row["total"]
    return result


def spending(*, collectivite: Collectivite | None, today: date) -> dict[str, object]:
    """The last five years invoiced and next year's estimate, per offer (one collectivité, or
    all the members when None): what the chart and its table show."""
    year = today.year
    years = list(range(year - HISTORY_YEARS + 1, year + 1))
    history = invoiced_by_year(years=years, collectivite=collectivite)
    if collectivite is not None:
        upcoming = estimate_for(collectivite=collectivite, year=year + 1, today=today).by_offer()
    else:
        upcoming = {}
        held, published = holdings(), schedules()
        for member in Collectivite.objects.all():
            result = estimates.estimate(
                holdings=held.get(member.pk, []),
                strate=member.strate,
                year=year + 1,
                schedules=published,
                today=today,
            )
            for offer, amount in result.by_offer().items():
                upcoming[offer] = upcoming.get(offer, Decimal("0")) + amount
    return {"years": years, "history": history, "estimate_year": year + 1, "estimate": upcoming}
