"""Reads of contracts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from catalogue.models import Offer
from contracts.models import ServiceRequest, Subscription
from portal.models import Collectivite


def subscriptions_active(*, on: date | None = None) -> QuerySet[Subscription]:
    on = on or timezone.localdate()
    return Subscription.objects.filter(activated_on__lte=on).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gt=on)
    )


def quantity_held(*, collectivite: Collectivite, offer: Offer, on: date | None = None) -> Decimal:
    held = (
        subscriptions_active(on=on)
        .filter(collectivite=collectivite, offer=offer)
        .aggregate(total=Sum("quantity"))["total"]
    )
    return held or Decimal("0")


def holdings_by_offer(*, collectivite: Collectivite, on: date | None = None) -> dict[int, Decimal]:
    rows = (
        subscriptions_active(on=on)
        .filter(collectivite=collectivite)
        .values("offer_id")
        .annotate(total=Sum("quantity"))
    )
    return {row["offer_id"]: row["total"] for row in rows}


def draft_request(*, collectivite: Collectivite) -> ServiceRequest | None:
    return (
        ServiceRequest.objects.filter(collectivite=collectivite, status=ServiceRequest.Status.DRAFT)
        .prefetch_related("lines__offer__family", "lines__added_by")
        .first()
    )


def framework_in_force(*, on: date):
    from contracts.models import FrameworkAgreement

    return (
        FrameworkAgreement.objects.filter(effective_from__lte=on)
        .order_by("-effective_from")
        .first()
    )


def framework_to_sign(*, collectivite: Collectivite, on: date):
    """The framework agreement in force, if the collectivité has not signed it yet (Q3)."""
    from contracts.models import FrameworkSignature

    agreement = framework_in_force(on=on)
    if agreement is None:
        return None
    signed = FrameworkSignature.objects.filter(collectivite=collectivite, agreement=agreement)
    return None if signed.exists() else agreement
