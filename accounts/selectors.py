"""Reads of service accounts for pages and the API. Like the services, most run in the
collectivité's schema; what the syndicate reads across collectivités (the quota-request queue,
provisioning failures, accounts near quota, usage totals) comes from the public projection
(projections app, kept by accounts/projection.py), never from the tenant schemas."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, F, Q, Sum

from accounts import domain, services
from accounts.models import LIVE_STATES, QuotaRequest, ServiceAccount
from catalogue.models import Offer
from contracts.models import Subscription
from portal.models import Collectivite
from portal.selectors import first_rows_and_count
from projections.models import AccountProjection, QuotaRequestProjection


@dataclass
class ServiceRow:
    """One service of the collectivité on the "Comptes" page: what is subscribed, what is
    used, its accounts."""

    offer: Offer
    kind: str
    subscription: Subscription | None
    accounts: list[ServiceAccount] = field(default_factory=list)
    live: int = 0
    training_missing: bool = False
    extra_offer: Offer | None = None

    @property
    def subscribed(self) -> int:
        return int(self.subscription.quantity) if self.subscription else 0

    @property
    def remaining(self) -> int:
        return domain.remaining(self.subscription.quantity, self.live) if self.subscription else 0

    @property
    def can_create(self) -> bool:
        return self.subscription is not None and self.remaining > 0 and not self.training_missing

    @property
    def used_bytes(self) -> int | None:
        read = [a.used_bytes for a in self.accounts if a.used_bytes is not None]
        return sum(read) if read else None

    @property
    def quota_bytes(self) -> int:
        return sum(a.quota_bytes or 0 for a in self.accounts if a.live or a.state == "closing")


def service_rows(*, collectivite: Collectivite, today: date) -> list[ServiceRow]:
    """Every service the collectivité subscribes to or still has accounts in."""
    accounts = list(
        ServiceAccount.objects.exclude(state=ServiceAccount.State.PURGED)
        .select_related("offer")
        .prefetch_related("quota_requests")
    )
    with_accounts = {a.offer_id for a in accounts}
    rows = []
    trained = services.referent_trained(collectivite)
    offers = services.account_offers()
    # One query each for every offer's running subscription and extra-quota offer (the same
    # rules as services.running_subscription / extra_quota_offer, which take the first).
    running: dict[int, Subscription] = {}
    for subscription in services.running_subscriptions(collectivite, offers, today):
        running.setdefault(subscription.offer_id, subscription)
    extras: dict[int, Offer] = {}
    for extra in services.extra_quota_offers(offers):
        extras.setdefault(extra.requires_offer_id, extra)
    for offer in offers:
        subscription = running.get(offer.pk)
        if subscription is None and offer.pk not in with_accounts:
            continue
        kind = services.kind_of(offer) or ""
        mine = [a for a in accounts if a.offer_id == offer.pk]
        rows.append(
            ServiceRow(
                offer=offer,
                kind=kind,
                subscription=subscription,
                accounts=mine,
                live=sum(1 for a in mine if a.live),
                training_missing=kind == "visio" and not trained,
                extra_offer=extras.get(offer.pk),
            )
        )
    return rows


def account_of_collectivite(pk: int) -> ServiceAccount:
    """In the current schema: another collectivité's account does not exist here."""
    return ServiceAccount.objects.select_related("offer").get(pk=pk)


def accounts_of_holder(email: str) -> list[ServiceAccount]:
    return list(
        ServiceAccount.objects.filter(email__iexact=email)
        .exclude(state=ServiceAccount.State.PURGED)
        .select_related("offer")
    )


def usage_totals(*, collectivite: Collectivite) -> list[dict]:
    """Per service of one collectivité: accounts open, failed, closing, space used and quota,
    for the syndicate's usage view — read from the public projection."""
    rows = list(
        AccountProjection.objects.filter(collectivite=collectivite)
        .values("offer_id", "kind")
        .annotate(
            live=Count("id", filter=Q(state__in=LIVE_STATES)),
            closing=Count("id", filter=Q(state=ServiceAccount.State.CLOSING)),
            failed=Count("id", filter=Q(state=ServiceAccount.State.FAILED)),
            used=Sum("used_bytes"),
            quota=Sum("quota_bytes"),
        )
    )
    # A plain id, not a join: the offer is looked up by id (DESIGN §2).
    names = dict(
        Offer.objects.filter(pk__in={r["offer_id"] for r in rows}).values_list("pk", "name")
    )
    for row in rows:
        row["offer__name"] = names.get(row["offer_id"], "")
    return sorted(rows, key=lambda r: (r["offer__name"], r["kind"]))


@dataclass(frozen=True)
class PendingQuotaRequest:
    collectivite_id: int
    collectivite_name: str
    request_id: int
    account_id: int
    holder: str
    login: str
    kind: str
    extra_gb: int
    reason: str
    requested_at: object
    used_bytes: int | None
    quota_bytes: int | None


def quota_requests_pending(*, limit: int | None = None) -> list[PendingQuotaRequest]:
    """The syndicate's queue: pending requests of every collectivité, oldest first, from the
    public projection (one indexed query, whatever the number of collectivités: no request
    reads the tenant schemas)."""
    rows = _pending_rows()
    if limit is not None:
        rows = rows[:limit]
    return [_pending(r) for r in rows]


def quota_requests_pending_head(*, limit: int) -> tuple[list[PendingQuotaRequest], int]:
    """The oldest `limit` pending requests and how many are pending, in one query."""
    rows, total = first_rows_and_count(_pending_rows(), limit)
    return [_pending(r) for r in rows], total


def _pending_rows():
    return (
        QuotaRequestProjection.objects.filter(status=QuotaRequest.Status.PENDING)
        .select_related("collectivite")
        .order_by("requested_at", "collectivite_id", "request_id")
    )


def _pending(r: QuotaRequestProjection) -> PendingQuotaRequest:
    return PendingQuotaRequest(
        collectivite_id=r.collectivite_id,
        collectivite_name=r.collectivite.name,
        request_id=r.request_id,
        account_id=r.account_id,
        holder=r.holder,
        login=r.login,
        kind=r.kind,
        extra_gb=r.extra_gb,
        reason=r.reason,
        requested_at=r.requested_at,
        used_bytes=r.used_bytes,
        quota_bytes=r.quota_bytes,
    )


# The name the pages used before the projection (kept for callers).
pending_quota_requests = quota_requests_pending


def provisioning_failures(*, limit: int | None = None) -> list[AccountProjection]:
    """Accounts of every collectivité whose last provisioning failed (creation failed, or an
    update or purge that did not go through), most recent first, with their collectivité."""
    rows = _failure_rows()
    return list(rows[:limit] if limit is not None else rows)


def provisioning_failures_head(*, limit: int) -> tuple[list[AccountProjection], int]:
    """The `limit` most recent failures and how many there are, in one query."""
    return first_rows_and_count(_failure_rows(), limit)


def _failure_rows():
    return (
        AccountProjection.objects.exclude(failure_reason="")
        .select_related("collectivite")
        .order_by("-updated_at", "-id")
    )


def accounts_near_quota(*, percent: int = 90, limit: int | None = None) -> list[AccountProjection]:
    """Open accounts of every collectivité at or above `percent` of their quota (A4)."""
    rows = (
        AccountProjection.objects.filter(usage_percent__gte=max(percent, 90))
        .exclude(state=ServiceAccount.State.CLOSED)
        .select_related("collectivite")
        .order_by("-usage_percent", "-updated_at", "id")
    )
    return list(rows[:limit] if limit is not None else rows)


def usage_overview() -> dict:
    """Across every collectivité: accounts by state, space used and quota (the projection)."""
    return AccountProjection.objects.aggregate(
        live=Count("id", filter=Q(state__in=LIVE_STATES)),
        failed=Count("id", filter=Q(state=ServiceAccount.State.FAILED)),
        closing=Count("id", filter=Q(state=ServiceAccount.State.CLOSING)),
        used=Sum("used_bytes"),
        quota=Sum("quota_bytes"),
    )


def reconciliation_latest():
    """The last nightly reconciliation of the projection (None before the first)."""
    from projections.models import ReconciliationReport

    return ReconciliationReport.objects.order_by("-started_at", "-id").first()


def quota_requests_recent(limit: int = 20) -> list[QuotaRequest]:
    """In the current schema: its latest requests."""
    return list(QuotaRequest.objects.select_related("account", "decided_by")[:limit])


# --- A collectivité's work queue (its functional administrators' home page) --------------


def accounts_needing_attention() -> list[ServiceAccount]:
    """Accounts being created or whose creation failed, oldest first."""
    return list(
        ServiceAccount.objects.filter(
            state__in=[ServiceAccount.State.PENDING, ServiceAccount.State.FAILED]
        )
        .select_related("offer")
        .order_by("created_at", "id")
    )


def accounts_nearly_full(*, percent: int = 90) -> list[ServiceAccount]:
    """Open accounts using at least `percent` % of their quota (A4), oldest first."""
    return list(
        ServiceAccount.objects.filter(
            state__in=LIVE_STATES, quota_bytes__gt=0, used_bytes__isnull=False
        )
        .filter(used_bytes__gte=F("quota_bytes") * percent / 100)
        .select_related("offer")
        .order_by("created_at", "id")
    )


def quota_requests_with_answers(*, answered_since) -> list[QuotaRequest]:
    """Requests waiting for the syndicate, and those it answered since `answered_since`,
    oldest first."""
    return list(
        QuotaRequest.objects.filter(
            Q(status=QuotaRequest.Status.PENDING)
            | Q(
                status__in=[QuotaRequest.Status.APPROVED, QuotaRequest.Status.REFUSED],
                decided_at__gte=answered_since,
            )
        )
        .select_related("account")
        .order_by("requested_at", "id")
    )


@dataclass(frozen=True)
class SeatGauge:
    """One service: accounts open against the quantity subscribed."""

    offer_name: str
    used: int
    subscribed: int

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.used / self.subscribed)) if self.subscribed else 100


def seat_gauges(*, collectivite: Collectivite, today: date) -> list[SeatGauge]:
    """Two queries whatever the number of services and accounts."""
    subscribed = (
        Subscription.objects.filter(
            collectivite=collectivite,
            activated_on__lte=today,
            offer__system__in=services.KIND_OF_SYSTEM,
            offer__requires_offer__isnull=True,
        )
        .exclude(status=Subscription.Status.ENDED)
        .exclude(ends_on__lte=today)
        .values("offer_id", "offer__name")
        .annotate(total=Sum("quantity"))
        .order_by("offer__name")
    )
    live = dict(
        ServiceAccount.objects.filter(state__in=LIVE_STATES)
        .values("offer_id")
        .annotate(n=Count("id"))
        .values_list("offer_id", "n")
    )
    return [
        SeatGauge(row["offer__name"], live.get(row["offer_id"], 0), int(row["total"]))
        for row in subscribed
    ]
