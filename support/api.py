"""Assistance in the JSON API (/api/v1/): tickets for the syndicate's staff, and a
collectivité's view of its own tickets.

- `GET /support/tickets` (staff): the open queue, soonest breach first, filterable by channel;
  `GET /support/tickets/{id}` the ticket with its whole history (internal notes included);
  `POST /support/tickets/{id}/replies` a public reply or an internal note.
- `GET /collectivites/{id}/support/tickets` and `…/{ticket_id}`: what the collectivité's site
  shows its members — public history only — for a token whose user is a member there
  (agents see the tickets they asked for, functional administrators and signatories all);
  staff read it too. Anyone else gets a 404: another collectivité's tickets are not revealed.

Working durations are integers of minutes; instants ISO 8601.
"""

# No `from __future__ import annotations`: ninja reads the endpoints' annotations at import.

import datetime as dt

from django.http import Http404
from django.utils import timezone
from ninja import Router, Schema
from ninja import Status as HttpStatus

from portal.access import is_syndicate_staff, roles_in
from portal.api_common import ERRORS, WRITE_ERRORS, _require
from portal.models import Collectivite, Role
from support import selectors, services
from support.models import Status, SupportChannel, Ticket

router = Router(tags=["assistance"])
SEE_ALL_ROLES = {Role.FUNCTIONAL_ADMIN, Role.SIGNATORY}


class EventOut(Schema):
    id: int
    kind: str
    at: dt.datetime
    author: str | None
    from_staff: bool
    public: bool
    status: str
    body: str
    minutes_spent: int
    via_email: bool


class TicketOut(Schema):
    id: int
    number: str
    collectivite: str
    channel: str
    offer: str | None
    subject: str
    priority: str
    status: str
    status_label: str
    requester: str
    assignee: str | None
    opened_at: dt.datetime
    first_response_at: dt.datetime | None
    resolved_at: dt.datetime | None
    rating: int | None
    next_target: str | None = None
    working_minutes_left: int | None = None


class TicketDetailOut(TicketOut):
    description: str
    events: list[EventOut]


class ReplyIn(Schema):
    body: str
    public: bool = True
    minutes_spent: int = 0


def _ticket_out(ticket: Ticket, row=None) -> dict:
    left = row.left if row is not None else None
    return {
        "id": ticket.pk,
        "number": ticket.number,
        "collectivite": ticket.collectivite.slug,
        "channel": ticket.channel.code,
        "offer": ticket.offer.code if ticket.offer else None,
        "subject": ticket.subject,
        "priority": ticket.priority,
        "status": ticket.status,
        "status_label": str(Status(ticket.status).label),
        "requester": ticket.requester.email,
        "assignee": ticket.assignee.email if ticket.assignee else None,
        "opened_at": ticket.opened_at,
        "first_response_at": ticket.first_response_at,
        "resolved_at": ticket.resolved_at,
        "rating": ticket.rating,
        "next_target": row.kind if row is not None else None,
        "working_minutes_left": None if left is None else int(left.total_seconds() // 60),
    }


def _detail_out(ticket: Ticket, *, public_only: bool) -> dict:
    events = [e for e in ticket.events.all() if e.public or not public_only]
    return {
        **_ticket_out(ticket),
        "description": ticket.description,
        "events": [
            {
                "id": e.pk,
                "kind": e.kind,
                "at": e.at,
                "author": e.author.email if e.author else None,
                "from_staff": e.from_staff,
                "public": e.public,
                "status": e.status,
                "body": e.body,
                "minutes_spent": e.minutes_spent if not public_only else 0,
                "via_email": e.via_email,
            }
            for e in events
        ],
    }


def _staff_ticket(request, pk: int) -> Ticket:
    _require(request, is_syndicate_staff)
    try:
        return selectors.ticket_get(pk=pk)
    except Ticket.DoesNotExist as exc:
        raise Http404 from exc


@router.get(
    "/support/tickets",
    response={200: list[TicketOut], **ERRORS},
    summary="File des demandes d'assistance ouvertes",
)
def ticket_queue(request, channel: str = ""):
    _require(request, is_syndicate_staff)
    found = SupportChannel.objects.filter(code=channel).first() if channel else None
    if channel and found is None:
        raise Http404
    rows = selectors.queue(channel=found, now=timezone.now())
    return [_ticket_out(row.ticket, row) for row in rows]


@router.get(
    "/support/tickets/{ticket_id}",
    response={200: TicketDetailOut, **WRITE_ERRORS},
    summary="Une demande d'assistance et tout son historique",
)
def ticket_detail(request, ticket_id: int):
    return _detail_out(_staff_ticket(request, ticket_id), public_only=False)


@router.post(
    "/support/tickets/{ticket_id}/replies",
    response={201: EventOut, **WRITE_ERRORS},
    summary="Répondre à une demande (ou y ajouter une note interne)",
)
def ticket_reply(request, ticket_id: int, payload: ReplyIn):
    ticket = _staff_ticket(request, ticket_id)
    event = services.ticket_reply(
        ticket=ticket,
        author=request.user,
        body=payload.body,
        public=payload.public,
        minutes_spent=max(payload.minutes_spent, 0),
        now=timezone.now(),
    )
    return HttpStatus(201, {
        "id": event.pk, "kind": event.kind, "at": event.at, "author": request.user.email,
        "from_staff": event.from_staff, "public": event.public, "status": event.status,
        "body": event.body, "minutes_spent": event.minutes_spent, "via_email": False,
    })  # fmt: skip


def _member_tickets(request, collectivite_id: int):
    collectivite = Collectivite.objects.filter(pk=collectivite_id).first()
    if collectivite is None:
        raise Http404
    held = roles_in(request.user, collectivite)
    tickets = Ticket.objects.filter(collectivite=collectivite)
    if held:
        _require(request, lambda u: True)  # staff who are also members owe the second factor
        if not held & SEE_ALL_ROLES:
            tickets = tickets.filter(requester=request.user)
        return collectivite, tickets
    if is_syndicate_staff(request.user):
        _require(request, is_syndicate_staff)
        return collectivite, tickets
    raise Http404


@router.get(
    "/collectivites/{collectivite_id}/support/tickets",
    response={200: list[TicketOut], **WRITE_ERRORS},
    summary="Les demandes d'assistance d'une collectivité",
)
def collectivite_tickets(request, collectivite_id: int):
    _, tickets = _member_tickets(request, collectivite_id)
    tickets = tickets.select_related("collectivite", "channel", "offer", "requester", "assignee")
    return [_ticket_out(ticket) for ticket in tickets]


@router.get(
    "/collectivites/{collectivite_id}/support/tickets/{ticket_id}",
    response={200: TicketDetailOut, **WRITE_ERRORS},
    summary="Une demande d'assistance, comme la collectivité la voit",
)
def collectivite_ticket(request, collectivite_id: int, ticket_id: int):
    collectivite, tickets = _member_tickets(request, collectivite_id)
    if not tickets.filter(pk=ticket_id).exists():
        raise Http404
    ticket = selectors.ticket_of_collectivite(collectivite=collectivite, pk=ticket_id)
    return _detail_out(ticket, public_only=True)
