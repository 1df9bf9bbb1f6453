"""Reads of the service status: which services a collectivité uses, the board of the status
page, the feeds' items, the banner, the recipients of the notifier."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from contracts.models import Subscription
from portal.models import Collectivite, Membership, Role, User
from status import domain
from status.domain import STATE_LABELS, ServiceState
from status.models import Announcement, AnnouncementUpdate, FeedToken, IncidentFollower, Service

HISTORY_DAYS = 90
AVAILABILITY_MONTHS = 3
RUNNING = (Subscription.Status.ACTIVE, Subscription.Status.TERMINATING)
NOTIFIED_ROLES = (Role.FUNCTIONAL_ADMIN, Role.VISIO_REFERENT)


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def subscribed_offers(*, collectivite: Collectivite) -> QuerySet:
    """The offers `collectivite` holds a running subscription to (a subquery)."""
    return Subscription.objects.filter(collectivite=collectivite, status__in=RUNNING).values(
        "offer_id"
    )


def services_for(*, collectivite: Collectivite | None = None) -> QuerySet[Service]:
    """Every service, or those `collectivite` subscribes (contracts' subscriptions)."""
    services = Service.objects.all()
    if collectivite is not None:
        services = services.filter(offers__in=subscribed_offers(collectivite=collectivite))
    return services.distinct().order_by("position", "name")


def announcements_visible(
    *, collectivite: Collectivite | None = None, service: Service | None = None
) -> QuerySet[Announcement]:
    """Announcements of `service`, or concerning `collectivite` (those on its services, and
    the general ones, with no service), or all."""
    qs = Announcement.objects.all()
    if service is not None:
        qs = qs.filter(Q(services=service) | Q(services=None))
    if collectivite is not None:
        qs = qs.filter(Q(services__in=services_for(collectivite=collectivite)) | Q(services=None))
    if service is not None or collectivite is not None:
        qs = Announcement.objects.filter(pk__in=qs.values("pk"))
    return qs.prefetch_related(
        Prefetch("services", queryset=Service.objects.order_by("position", "name")),
        Prefetch("updates", queryset=AnnouncementUpdate.objects.order_by("posted_at", "pk")),
    ).order_by("-starts_at", "-pk")


def announcement_get(*, pk: int) -> Announcement:
    return announcements_visible().get(pk=pk)


def announcement_list(*, kind: str = "", open_only: bool = False) -> QuerySet[Announcement]:
    qs = announcements_visible()
    if kind:
        qs = qs.filter(kind=kind)
    if open_only:
        qs = qs.filter(kind=Announcement.Kind.INCIDENT, ends_at__isnull=True)
    return qs


def open_incidents_for(
    *, collectivite: Collectivite, service: Service | None = None
) -> QuerySet[Announcement]:
    """Incidents running now on the services `collectivite` subscribes (or on `service` only).

    The hook for support requests (issue 13 item 5): a support form calls it to show the
    incident and offer to follow it instead of opening a request."""
    services = services_for(collectivite=collectivite)
    if service is not None:
        services = services.filter(pk=service.pk)
    return (
        Announcement.objects.filter(
            pk__in=Announcement.objects.filter(
                kind=Announcement.Kind.INCIDENT,
                ends_at__isnull=True,
                starts_at__lte=timezone.now(),
                services__in=services,
            ).values("pk")
        )
        .prefetch_related(
            Prefetch("services", queryset=Service.objects.order_by("position", "name")),
            Prefetch("updates", queryset=AnnouncementUpdate.objects.order_by("-posted_at", "-pk")),
        )
        .order_by("-starts_at", "-pk")
    )


# --- The banner on every page of a collectivité's site --------------------------------------

GENERATION_KEY = "status:global:generation"  # global (portal.cache.GLOBAL_PREFIXES)
BANNER_KEY = "status:banner"  # per schema (portal.cache)
BANNER_TTL = 300  # bounds how long a subscription change takes to show


def status_changed() -> None:
    """Every write of an announcement calls this: each site's cached banner is stale."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        cache.set(GENERATION_KEY, 1, None)


@dataclass(frozen=True)
class BannerIncident:
    pk: int
    title: str
    severity: str
    state_label: str


def banner_incidents(*, collectivite: Collectivite) -> list[BannerIncident]:
    """Open incidents on the services `collectivite` subscribes: one cache round trip, and
    one query when an announcement changed since the site's last page."""
    found = cache.get_many([GENERATION_KEY, BANNER_KEY])
    generation = found.get(GENERATION_KEY, 0)
    cached = found.get(BANNER_KEY)
    if cached is not None and cached[0] == generation:
        return cached[1]
    rows = (
        Announcement.objects.filter(
            kind=Announcement.Kind.INCIDENT,
            ends_at__isnull=True,
            services__offers__in=subscribed_offers(collectivite=collectivite),
        )
        .values_list("pk", "title", "severity")
        .distinct()
        .order_by("pk")
    )
    incidents = [
        BannerIncident(pk, title, severity, STATE_LABELS[ServiceState(severity)])
        for pk, title, severity in rows
    ]
    cache.set(BANNER_KEY, (generation, incidents), BANNER_TTL)
    return incidents


# --- The status page --------------------------------------------------------------------------


@dataclass(frozen=True)
class Day:
    day: date
    state: ServiceState
    label: str


@dataclass(frozen=True)
class MonthAvailability:
    year: int
    month: int
    interrupted_minutes: int
    percent: Decimal


@dataclass(frozen=True)
class ServiceRow:
    service: Service
    state: ServiceState
    label: str
    days: list[Day]
    troubled_days: int
    months: list[MonthAvailability]


def _spans(announcements) -> dict[int, list[domain.Span]]:
    by_service: dict[int, list[domain.Span]] = {}
    for a in announcements:
        if a.kind == Announcement.Kind.NEWS:
            continue
        span = domain.Span(a.starts_at, a.ends_at, a.state)
        for service in a.services.all():
            by_service.setdefault(service.pk, []).append(span)
    return by_service


def status_board(*, collectivite: Collectivite | None = None, now: datetime) -> list[ServiceRow]:
    """Each service's state now, its last 90 days and its availability over the last months:
    two queries whatever the number of services and announcements."""
    zone = _zone()
    today = now.astimezone(zone).date()
    months = domain.recent_months(today=today, count=AVAILABILITY_MONTHS)
    oldest_month = domain.month_bounds(year=months[-1][0], month=months[-1][1], zone=zone)[0]
    since = min(oldest_month, now - timedelta(days=HISTORY_DAYS + 1))
    services = list(services_for(collectivite=collectivite))
    announcements = (
        Announcement.objects.exclude(kind=Announcement.Kind.NEWS)
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=since), services__in=services)
        .distinct()
        .prefetch_related("services")
    )
    spans = _spans(announcements)
    days = domain.days_back(today=today, count=HISTORY_DAYS)
    rows = []
    for service in services:
        own = spans.get(service.pk, [])
        states = domain.daily_states(spans=own, days=days, zone=zone)
        state = domain.state_at(spans=own, at=now)
        rows.append(
            ServiceRow(
                service=service,
                state=state,
                label=STATE_LABELS[state],
                days=[Day(d, s, STATE_LABELS[s]) for d, s in zip(days, states, strict=True)],
                troubled_days=sum(s is not ServiceState.OPERATIONAL for s in states),
                months=[_month(own, year, month, zone, now) for year, month in months],
            )
        )
    return rows


def _month(spans, year: int, month: int, zone: ZoneInfo, now: datetime) -> MonthAvailability:
    start, end = domain.month_bounds(year=year, month=month, zone=zone)
    minutes = domain.interrupted_minutes(spans=spans, start=start, end=end, now=now)
    total = domain.period_minutes(start=start, end=min(end, max(now, start)))
    return MonthAvailability(
        year, month, minutes, domain.availability_percent(interrupted=minutes, total=total)
    )


def monthly_interrupted_minutes(*, service: Service, year: int, month: int, now: datetime) -> int:
    """Minutes `service` was interrupted in a month (for reports: item 7)."""
    zone = _zone()
    start, end = domain.month_bounds(year=year, month=month, zone=zone)
    announcements = Announcement.objects.filter(
        Q(ends_at__isnull=True) | Q(ends_at__gt=start),
        kind=Announcement.Kind.INCIDENT,
        services=service,
        starts_at__lt=end,
    )
    spans = [domain.Span(a.starts_at, a.ends_at, a.state) for a in announcements]
    return domain.interrupted_minutes(spans=spans, start=start, end=end, now=now)


# --- Feeds and notifications ------------------------------------------------------------------


def feed_token_collectivite(*, key_hash: str, collectivite: Collectivite) -> FeedToken | None:
    return FeedToken.objects.filter(key_hash=key_hash, collectivite=collectivite).first()


def notification_recipients(*, announcement: Announcement) -> list[User]:
    """The functional administrators and referents of the collectivités that subscribe one of
    the announcement's services, and the people who follow it (item 5), without those who
    opted out; each person once."""
    offers = Service.objects.filter(announcements=announcement).values("offers")
    memberships = Membership.objects.filter(
        role__in=NOTIFIED_ROLES,
        collectivite__subscriptions__offer__in=offers,
        collectivite__subscriptions__status__in=RUNNING,
    )
    followers = IncidentFollower.objects.filter(announcement=announcement).values("user_id")
    return list(
        User.objects.filter(
            Q(pk__in=memberships.values("user_id")) | Q(pk__in=followers), is_active=True
        )
        .exclude(status_preference__status_emails=False)
        .order_by("pk")
    )


def is_following(*, announcement: Announcement, user: User) -> bool:
    return IncidentFollower.objects.filter(announcement=announcement, user=user).exists()


def status_emails_wanted(*, user: User) -> bool:
    """False when the person opted out of status e-mails (Mes notifications)."""
    return not User.objects.filter(pk=user.pk, status_preference__status_emails=False).exists()


def collectivites_of_recipient(*, user: User, announcement: Announcement) -> list[Collectivite]:
    offers = Service.objects.filter(announcements=announcement).values("offers")
    followed = IncidentFollower.objects.filter(announcement=announcement, user=user).values(
        "collectivite_id"
    )
    return list(
        Collectivite.objects.filter(
            Q(
                memberships__user=user,
                memberships__role__in=NOTIFIED_ROLES,
                subscriptions__offer__in=offers,
                subscriptions__status__in=RUNNING,
            )
            | Q(pk__in=followed)
        )
        .prefetch_related("domains")
        .distinct()
        .order_by("name")
    )


def maintenances_to_remind(*, now: datetime, notice_days: int) -> QuerySet[Announcement]:
    return Announcement.objects.filter(
        kind=Announcement.Kind.MAINTENANCE,
        starts_at__gt=now,
        starts_at__lte=now + timedelta(days=notice_days),
    ).order_by("starts_at")
