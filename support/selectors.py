"""Reads of the support app: calendars, a ticket's clock, the queue, guides, reports.

Every tenant-site read takes the collectivité and filters by it (another collectivité's
ticket is a DoesNotExist → 404)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Prefetch, Q, QuerySet

from contracts.models import Subscription
from portal.models import Collectivite
from support import sla
from support.models import (
    CLOCK_RUNNING,
    ClosureDay,
    Guide,
    SlaTarget,
    Status,
    SupportChannel,
    TargetKind,
    Ticket,
    TicketEvent,
)

OPEN_STATUSES = (Status.NEW, Status.IN_PROGRESS, Status.WAITING)
MILESTONE_OF = {
    TargetKind.FIRST_RESPONSE: "first_response_at",
    TargetKind.INTERVENTION: "intervention_at",
    TargetKind.RESOLUTION: "resolved_at",
}


def calendar_of(channel: SupportChannel) -> sla.WorkingCalendar:
    weekly: dict[int, list[sla.Window]] = {}
    for window in channel.windows.all():
        weekly.setdefault(window.weekday, []).append((window.starts_at, window.ends_at))
    closed = frozenset(ClosureDay.objects.values_list("day", flat=True))
    return sla.WorkingCalendar(weekly=weekly, closed_days=closed)


def targets_of(ticket: Ticket) -> dict[str, timedelta]:
    return {
        target.kind: timedelta(minutes=target.working_minutes)
        for target in SlaTarget.objects.filter(channel=ticket.channel_id, priority=ticket.priority)
    }


def status_history(ticket: Ticket) -> list[tuple[datetime, bool]]:
    """The clock's changes, from the ticket's own history (never a stored counter)."""
    return [
        (event.at, event.status in CLOCK_RUNNING)
        for event in ticket.events.all()
        if event.kind in (TicketEvent.Kind.OPENED, TicketEvent.Kind.STATUS)
    ]


def ticket_clock(
    *,
    ticket: Ticket,
    kind: str,
    now: datetime,
    calendar: sla.WorkingCalendar | None = None,
    targets: dict[str, timedelta] | None = None,
) -> sla.ClockReading | None:
    """Where `ticket` stands against its `kind` target; None when it has no such target."""
    targets = targets_of(ticket) if targets is None else targets
    if kind not in targets:
        return None
    changes = status_history(ticket)
    reached = getattr(ticket, MILESTONE_OF[TargetKind(kind)])
    if reached is not None and reached < now:
        # The target is met at its milestone: the clock is read there, and stays there.
        reading = sla.clock_reading(
            changes, targets[kind], reached, calendar or calendar_of(ticket.channel)
        )
        return sla.ClockReading(
            elapsed=reading.elapsed, target=reading.target, running=False, deadline=None
        )
    return sla.clock_reading(changes, targets[kind], now, calendar or calendar_of(ticket.channel))


def subscribed_offers(collectivite: Collectivite):
    from catalogue.models import Offer

    ids = Subscription.objects.filter(collectivite=collectivite).exclude(
        status=Subscription.Status.ENDED
    )
    return Offer.objects.filter(pk__in=ids.values("offer_id")).order_by("position", "name")


def channel_for(offer) -> SupportChannel:
    channel = None
    if offer is not None:
        channel = SupportChannel.objects.filter(offers=offer).first()
    return (
        channel
        or SupportChannel.objects.filter(is_default=True).first()
        or (SupportChannel.objects.first())
    )


# --- Service incidents (status app, issue 13 item 5) ------------------------------------------
# A request's service is a catalogue offer; a status service lists the offers its subscribers
# use (status/data/services.json): the mapping is that data, read through `Service.offers`.


def status_services_of(offer) -> QuerySet:
    from status.models import Service

    if offer is None:
        return Service.objects.none()
    return Service.objects.filter(offers=offer).order_by("position", "name")


def open_incidents_on(*, collectivite: Collectivite, offer=None, any_service: bool = False):
    """Incidents running on the service a request is about (its offer, mapped to status
    services), or on any of the collectivité's services when `any_service`."""
    from status import selectors as status_selectors

    incidents = status_selectors.open_incidents_for(collectivite=collectivite)
    if any_service:
        return list(incidents)
    if offer is None:
        return []
    return list(incidents.filter(services__in=status_services_of(offer)).distinct())


def incidents_linkable(*, ticket: Ticket):
    """Open incidents staff can link `ticket` to: those on its collectivité's services."""
    from status import selectors as status_selectors

    linked = ticket.incident_links.values("announcement_id")
    return status_selectors.open_incidents_for(collectivite=ticket.collectivite).exclude(
        pk__in=linked
    )


def tickets_of_collectivite(*, collectivite: Collectivite) -> QuerySet[Ticket]:
    return Ticket.objects.filter(collectivite=collectivite).select_related("channel", "offer")


def ticket_of_collectivite(*, collectivite: Collectivite, pk: int) -> Ticket:
    return _with_history(Ticket.objects.filter(collectivite=collectivite)).get(pk=pk)


def ticket_get(*, pk: int) -> Ticket:
    return _with_history(Ticket.objects.all()).get(pk=pk)


def _with_history(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    return tickets.select_related(
        "collectivite", "channel", "offer", "requester", "assignee", "merged_into"
    ).prefetch_related(
        Prefetch("events", queryset=TicketEvent.objects.select_related("author")),
        "attachments",
        "consents__agreed_by",
        "estimates__offer",
        "incident_links__announcement",
        "channel__windows",
    )


@dataclass(frozen=True)
class QueueRow:
    ticket: Ticket
    kind: str | None
    reading: sla.ClockReading | None

    @property
    def left(self) -> timedelta | None:
        return self.reading.left if self.reading else None


def queue(*, channel: SupportChannel | None, now: datetime, mine=None) -> list[QueueRow]:
    """Open tickets, soonest breach first (working time left on the next target due)."""
    tickets = Ticket.objects.filter(status__in=OPEN_STATUSES).select_related(
        "collectivite", "channel", "offer", "assignee"
    )
    if channel is not None:
        tickets = tickets.filter(channel=channel)
    if mine is not None:
        tickets = tickets.filter(assignee=mine)
    tickets = tickets.prefetch_related("events", "channel__windows")
    calendars: dict[int, sla.WorkingCalendar] = {}
    all_targets = {}
    for target in SlaTarget.objects.all():
        all_targets.setdefault((target.channel_id, target.priority), {})[target.kind] = timedelta(
            minutes=target.working_minutes
        )
    rows = []
    for ticket in tickets:
        calendar = calendars.setdefault(ticket.channel_id, calendar_of(ticket.channel))
        targets = all_targets.get((ticket.channel_id, ticket.priority), {})
        best: tuple[str | None, sla.ClockReading | None] = (None, None)
        for kind in TargetKind.values:
            if getattr(ticket, MILESTONE_OF[TargetKind(kind)]) is not None:
                continue
            reading = ticket_clock(
                ticket=ticket, kind=kind, now=now, calendar=calendar, targets=targets
            )
            if reading is not None and (best[1] is None or reading.left < best[1].left):
                best = (kind, reading)
        rows.append(QueueRow(ticket=ticket, kind=best[0], reading=best[1]))
    far = timedelta(days=36500)
    return sorted(rows, key=lambda row: (row.left if row.left is not None else far, row.ticket.pk))


def guides_matching(*, text: str, offer=None, limit: int = 5) -> list[Guide]:
    words = [word for word in text.split() if len(word) >= 3][:6]
    if not words:
        return []
    query = Q()
    for word in words:
        query |= Q(title__icontains=word)
    guides = Guide.objects.filter(query, published=True)
    if offer is not None:
        guides = guides.filter(Q(offer=offer) | Q(offer__isnull=True))
    return list(guides[:limit])


# --- Monthly report (per channel and service) -------------------------------------------------


@dataclass(frozen=True)
class ReportRow:
    channel: str
    service: str
    opened: int
    resolved: int
    median_first_response: timedelta | None
    median_intervention: timedelta | None
    within_target: int
    measured: int
    mean_rating: float | None
    # The status service the row's offer maps to, and its minutes interrupted that month.
    status_service: str = ""
    interrupted_minutes: int | None = None

    @property
    def share_within_target(self) -> float | None:
        return self.within_target / self.measured if self.measured else None


def monthly_report(*, year: int, month: int, now: datetime) -> list[ReportRow]:
    start = date(year, month, 1)
    end = date(year + (month == 12), month % 12 + 1, 1)
    tickets = (
        Ticket.objects.filter(opened_at__date__gte=start, opened_at__date__lt=end)
        .select_related("channel", "offer")
        .prefetch_related("events", "channel__windows")
        .order_by("channel__position", "channel__name", "offer__name", "pk")
    )
    groups: dict[tuple[str, str], list[Ticket]] = {}
    offers: dict[tuple[str, str], object] = {}
    for ticket in tickets:
        key = (ticket.channel.name, ticket.offer.name if ticket.offer else "Autre")
        groups.setdefault(key, []).append(ticket)
        offers[key] = ticket.offer
    availability = {
        row.service.pk: row.interrupted_minutes
        for row in monthly_availability(year=year, month=month, now=now)
    }
    calendars: dict[int, sla.WorkingCalendar] = {}
    rows = []
    for (channel, service), members in groups.items():
        first, intervention, ratings = [], [], []
        within = measured = 0
        for ticket in members:
            calendar = calendars.setdefault(ticket.channel_id, calendar_of(ticket.channel))
            targets = targets_of(ticket)
            for kind, bucket in (
                (TargetKind.FIRST_RESPONSE, first),
                (TargetKind.INTERVENTION, intervention),
            ):
                reading = ticket_clock(
                    ticket=ticket, kind=kind, now=now, calendar=calendar, targets=targets
                )
                if reading is not None and getattr(ticket, MILESTONE_OF[kind]) is not None:
                    bucket.append(reading.elapsed)
            reading = ticket_clock(
                ticket=ticket,
                kind=TargetKind.INTERVENTION,
                now=now,
                calendar=calendar,
                targets=targets,
            )
            if reading is not None and ticket.intervention_at is not None:
                measured += 1
                within += not reading.breached
            if ticket.rating:
                ratings.append(ticket.rating)
        rows.append(
            ReportRow(
                channel=channel,
                service=service,
                opened=len(members),
                resolved=sum(1 for t in members if t.resolved_at is not None),
                median_first_response=statistics.median(first) if first else None,
                median_intervention=statistics.median(intervention) if intervention else None,
                within_target=within,
                measured=measured,
                mean_rating=statistics.mean(ratings) if ratings else None,
                **_interruption(offers[(channel, service)], availability),
            )
        )
    return rows


def _interruption(offer, availability: dict[int, int]) -> dict:
    service = status_services_of(offer).first()
    if service is None:
        return {}
    return {"status_service": service.name, "interrupted_minutes": availability.get(service.pk, 0)}


@dataclass(frozen=True)
class ServiceAvailability:
    service: object  # status.models.Service
    interrupted_minutes: int


def monthly_availability(*, year: int, month: int, now: datetime) -> list[ServiceAvailability]:
    """Minutes each status service was interrupted in the month (issue 13 item 7), from
    `status.selectors.monthly_interrupted_minutes`, for the monthly report."""
    from status import selectors as status_selectors

    return [
        ServiceAvailability(
            service=service,
            interrupted_minutes=status_selectors.monthly_interrupted_minutes(
                service=service, year=year, month=month, now=now
            ),
        )
        for service in status_selectors.services_for()
    ]
