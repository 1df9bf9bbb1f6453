"""Reads of service accounts for pages and the API. Like the services, they run in the
collectivité's schema, except `pending_quota_requests`, which reads every schema at once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db import connection
from django.db.models import Count, F, Q, Sum

from accounts import domain, services
from accounts.models import LIVE_STATES, QuotaRequest, ServiceAccount
from catalogue.models import Offer
from contracts.models import Subscription
from portal.models import Collectivite


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
    for offer in services.account_offers():
        subscription = services.running_subscription(collectivite, offer, today)
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
                extra_offer=services.extra_quota_offer(offer),
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


def usage_totals() -> list[dict]:
    """Per service: accounts open, space used and quota, for the syndicate's usage view."""
    return list(
        ServiceAccount.objects.exclude(state=ServiceAccount.State.PURGED)
        .values("offer__name", "kind")
        .annotate(
            live=Count("id", filter=Q(state__in=LIVE_STATES)),
            closing=Count("id", filter=Q(state=ServiceAccount.State.CLOSING)),
            failed=Count("id", filter=Q(state=ServiceAccount.State.FAILED)),
            used=Sum("used_bytes"),
            quota=Sum("quota_bytes"),
        )
        .order_by("offer__name")
    )


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


# Schema names come from our own table (django-tenants validates them) and are quoted.
PENDING_SQL = (
    "SELECT %s, %s, r.id, a.id, a.given_name || ' ' || a.surname, a.login, a.kind, "
    "r.extra_gb, r.reason, r.requested_at, a.used_bytes, a.quota_bytes "
    "FROM {source} WHERE r.status = 'pending'"
)


def pending_quota_requests() -> list[PendingQuotaRequest]:
    """The syndicate's queue: pending requests of every collectivité, oldest first, read in
    one statement across the tenant schemas (schema names come from our own table and are
    quoted)."""
    collectivites = list(Collectivite.objects.values_list("pk", "name", "schema_name"))
    if not collectivites:
        return []
    parts, params = [], []
    quote = connection.ops.quote_name
    for pk, name, schema in collectivites:
        source = (
            f"{quote(schema)}.accounts_quotarequest r "
            f"JOIN {quote(schema)}.accounts_serviceaccount a ON a.id = r.account_id"
        )
        parts.append(PENDING_SQL.format(source=source))
        params += [pk, name]
    sql = " UNION ALL ".join(parts) + " ORDER BY 10, 1, 3"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [PendingQuotaRequest(*row) for row in cursor.fetchall()]


def quota_requests_recent(limit: int = 20) -> list[QuotaRequest]:
    return list(QuotaRequest.objects.select_related("account", "decided_by")[:limit])


# --- The syndicate's cross-collectivité queues (home page, navigation badges) ---------------
# Call sites use these names only: the Scale issue swaps their bodies for a read of a
# public-schema projection, so that no page reads every tenant schema.


def quota_requests_pending() -> list[PendingQuotaRequest]:
    """Quota requests waiting for the syndicate, every collectivité, oldest first."""
    return pending_quota_requests()


@dataclass(frozen=True)
class ProvisioningFailure:
    collectivite_id: int
    collectivite_name: str
    account_id: int
    holder: str
    login: str
    kind: str
    failure_reason: str
    created_at: object


FAILURES_SQL = (
    "SELECT %s, %s, a.id, a.given_name || ' ' || a.surname, a.login, a.kind, "
    "a.failure_reason, a.created_at FROM {schema}.accounts_serviceaccount a "
    "WHERE a.state = 'failed'"
)


def provisioning_failures() -> list[ProvisioningFailure]:
    """Accounts whose provisioning failed, every collectivité, oldest first (one statement;
    schema names come from our own table and are quoted)."""
    collectivites = list(Collectivite.objects.values_list("pk", "name", "schema_name"))
    if not collectivites:
        return []
    parts, params = [], []
    quote = connection.ops.quote_name
    for pk, name, schema in collectivites:
        parts.append(FAILURES_SQL.format(schema=quote(schema)))
        params += [pk, name]
    sql = " UNION ALL ".join(parts) + " ORDER BY 8, 1, 3"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [ProvisioningFailure(*row) for row in cursor.fetchall()]


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
