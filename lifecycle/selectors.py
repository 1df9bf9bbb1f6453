"""Reads of the end of a membership: the syndicate's queues (Avis, suspensions, retention,
exports), each at a constant number of queries. The home page work queues (issue B) count
from these."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from contracts.models import Subscription
from lifecycle.models import (
    OPEN_SUSPENSION,
    RetentionCase,
    ReversibilityExport,
    Suspension,
    SyndicateNotice,
)
from portal.models import Collectivite


def notices_pending() -> QuerySet[SyndicateNotice]:
    return SyndicateNotice.objects.filter(acknowledged_at__isnull=True).select_related(
        "collectivite"
    )


def notices_recent(limit: int = 30) -> QuerySet[SyndicateNotice]:
    return SyndicateNotice.objects.filter(acknowledged_at__isnull=False).select_related(
        "collectivite", "acknowledged_by"
    )[:limit]


def suspensions_to_decide() -> QuerySet[Suspension]:
    """The finance queue: proposals waiting for a person's decision, oldest first."""
    return (
        Suspension.objects.filter(status=Suspension.Status.PROPOSED)
        .select_related("collectivite", "invoice")
        .order_by("proposed_on", "id")
    )


def suspensions_open() -> QuerySet[Suspension]:
    return (
        Suspension.objects.filter(status__in=OPEN_SUSPENSION)
        .exclude(status=Suspension.Status.PROPOSED)
        .select_related("collectivite", "invoice", "decided_by")
        .order_by("status", "noticed_on", "id")
    )


def suspensions_closed(limit: int = 30) -> QuerySet[Suspension]:
    return (
        Suspension.objects.exclude(status__in=OPEN_SUSPENSION)
        .select_related("collectivite", "invoice", "decided_by")
        .order_by("-noticed_on", "-id")[:limit]
    )


def ended_collectivites() -> QuerySet[Collectivite]:
    """Collectivités that had contracts and have none without an end."""
    running = Subscription.objects.filter(collectivite=OuterRef("pk"), ends_on__isnull=True)
    return (
        Collectivite.objects.filter(subscriptions__isnull=False)
        .exclude(Exists(running))
        .distinct()
        .order_by("name")
    )


def retention_cases() -> QuerySet[RetentionCase]:
    return RetentionCase.objects.select_related("collectivite").order_by("-ended_on", "-id")


def reversibility_exports(
    collectivite: Collectivite | None = None,
) -> QuerySet[ReversibilityExport]:
    found = ReversibilityExport.objects.select_related("collectivite", "requested_by")
    if collectivite is not None:
        found = found.filter(collectivite=collectivite)
    return found


def counts() -> dict[str, int]:
    """For the home page work queues: what waits for the syndicate."""
    return {
        "notices": notices_pending().count(),
        "suspensions_to_decide": suspensions_to_decide().count(),
    }
