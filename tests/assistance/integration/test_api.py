"""Assistance in the JSON API: the staff's queue and tickets (internal notes included), a
reply through the API, and a collectivité's view of its own tickets (public history only);
another collectivité's member gets a 404."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.test import Client

from portal import services as portal_services
from portal.models import Role
from support import services
from tests.conftest import host_of

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=PARIS)


class Api:
    def __init__(self, user) -> None:
        _, raw = portal_services.api_token_create(user=user, name="tests")
        self.client = Client(HTTP_HOST=host_of(None), HTTP_AUTHORIZATION=f"Bearer {raw}")

    def get(self, path: str):
        return self.client.get(f"/api/v1{path}")

    def post(self, path: str, body: dict):
        return self.client.post(f"/api/v1{path}", body, content_type="application/json")


def _ticket(tenant, agent, subscribed, technician):
    ticket = services.ticket_open(
        collectivite=tenant, requester=agent, opened_by=agent,
        data=services.TicketInput(subject="Drive plein", description="Plus de place.",
                                  priority="normal", offer=subscribed.mail),
        now=NOW,
    )  # fmt: skip
    services.ticket_reply(ticket=ticket, author=technician, body="Note", public=False, now=NOW)
    return ticket


def test_staff_read_the_queue_and_reply(tenant, agent, technician, subscribed):
    ticket = _ticket(tenant, agent, subscribed, technician)
    api = Api(technician)
    queue = api.get("/support/tickets?channel=messagerie-stockage")
    assert queue.status_code == 200
    [row] = [r for r in queue.json() if r["id"] == ticket.pk]
    assert (row["number"], row["status"], row["collectivite"]) == (ticket.number, "new", "test")
    assert row["next_target"] == "first_response"

    detail = api.get(f"/support/tickets/{ticket.pk}").json()
    assert [e["kind"] for e in detail["events"]] == ["opened", "note"]

    reply = api.post(f"/support/tickets/{ticket.pk}/replies", {"body": "Nous videz la corbeille."})
    assert reply.status_code == 201
    empty = api.post(f"/support/tickets/{ticket.pk}/replies", {"body": " "})
    assert (empty.status_code, empty.json()["errors"]) == (422, {"body": services.EMPTY_REPLY})


def test_a_collectivite_sees_its_own_tickets_without_internal_notes(
    tenant, other_tenant, agent, technician, make_member, subscribed
):
    ticket = _ticket(tenant, agent, subscribed, technician)
    mine = Api(agent)
    listed = mine.get(f"/collectivites/{tenant.pk}/support/tickets")
    assert [t["number"] for t in listed.json()] == [ticket.number]
    detail = mine.get(f"/collectivites/{tenant.pk}/support/tickets/{ticket.pk}").json()
    assert [e["kind"] for e in detail["events"]] == ["opened"]

    stranger = Api(make_member(other_tenant, Role.FUNCTIONAL_ADMIN))
    assert stranger.get(f"/collectivites/{tenant.pk}/support/tickets").status_code == 404
    assert (
        stranger.get(f"/collectivites/{other_tenant.pk}/support/tickets/{ticket.pk}").status_code
        == 404
    )
    assert stranger.get(f"/collectivites/{other_tenant.pk}/support/tickets").json() == []
    assert Api(agent).get("/support/tickets").status_code == 403
