"""Support services one rule at a time: subscribed services or « autre », merge of duplicates,
the queue's order by working time left, refusal of an estimate, and inbound mails that are not
replies of a member (a real Dovecot)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError

from support import mail, selectors, services
from support.models import Estimate, Status, TicketEvent
from tests.support.dovecot import deliver

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=PARIS)


def _open(tenant, agent, *, subject="Un souci", priority="normal", offer=None, at=NOW):
    return services.ticket_open(
        collectivite=tenant, requester=agent, opened_by=agent,
        data=services.TicketInput(subject=subject, description="…", priority=priority,
                                  offer=offer),
        now=at,
    )  # fmt: skip


def test_only_a_subscribed_service_or_autre(tenant, agent, catalogue, channels):
    with pytest.raises(ValidationError) as refused:
        _open(tenant, agent, offer=catalogue.mail)  # not subscribed by the test collectivité
    assert refused.value.message_dict == {"offer": [services.OFFER_NOT_SUBSCRIBED]}
    assert _open(tenant, agent).channel.code == "logiciels"


def test_a_non_member_cannot_open_or_write(tenant, other_tenant, make_member, channels):
    stranger = make_member(other_tenant)
    with pytest.raises(ValidationError) as refused:
        _open(tenant, stranger)
    assert refused.value.messages == [services.NOT_A_MEMBER]


def test_merge_of_duplicates(tenant, other_tenant, agent, make_member, technician, channels):
    first = _open(tenant, agent, subject="Imprimante")
    again = _open(tenant, agent, subject="Imprimante (bis)")
    services.ticket_merge(duplicate=again, into=first, author=technician, now=NOW)
    again.refresh_from_db()
    assert (again.status, again.merged_into) == (Status.CLOSED, first)
    assert first.events.filter(kind=TicketEvent.Kind.MERGED, body=again.number).exists()

    elsewhere = _open(other_tenant, make_member(other_tenant), subject="Ailleurs")
    other = _open(tenant, agent, subject="Autre")
    with pytest.raises(ValidationError) as refused:
        services.ticket_merge(duplicate=other, into=elsewhere, author=technician, now=NOW)
    assert refused.value.messages == [services.MERGE_OTHER_COLLECTIVITE]
    with pytest.raises(ValidationError) as itself:
        services.ticket_merge(duplicate=other, into=other, author=technician, now=NOW)
    assert itself.value.messages == [services.MERGE_SELF]


def test_the_queue_puts_the_soonest_breach_first(tenant, agent, channels):
    _open(tenant, agent, subject="Normale")  # first response: 4 working hours
    _open(tenant, agent, subject="Bloquante", priority="blocking")  # 1 hour
    waiting = _open(tenant, agent, subject="En attente", priority="blocking")
    services.ticket_status_change(
        ticket=waiting, status=Status.WAITING, author=agent, now=datetime(2026, 3, 2, 9, 10, tzinfo=PARIS)
    )  # fmt: skip
    rows = selectors.queue(
        channel=channels["logiciels"], now=datetime(2026, 3, 2, 9, 30, tzinfo=PARIS)
    )
    assert [row.ticket.subject for row in rows] == ["Bloquante", "En attente", "Normale"]
    assert [int(row.left.total_seconds() // 60) for row in rows] == [30, 50, 210]
    assert [row.reading.running for row in rows] == [True, False, True]


def test_the_signatory_refuses_an_estimate(
    tenant, agent, signatory, technician, catalogue, channels
):
    ticket = _open(tenant, agent)
    estimate = services.estimate_propose(
        ticket=ticket, technician=technician, reason="formation du personnel",
        offer=catalogue.daily, quantity=Decimal("0.5"), today=NOW.date(), now=NOW,
    )  # fmt: skip
    assert estimate.amount == Decimal("190.00")
    with pytest.raises(ValidationError) as not_hourly:
        services.estimate_propose(
            ticket=ticket, technician=technician, reason="x", offer=catalogue.mail,
            quantity=Decimal("1"), today=NOW.date(), now=NOW,
        )  # fmt: skip
    assert not_hourly.value.message_dict == {"offer": [services.ESTIMATE_OFFER]}
    refused = services.estimate_decide(
        estimate=estimate, signatory=signatory, accept=False, ip_address="192.0.2.3", now=NOW
    )
    assert (refused.state, refused.accepted_sha256) == (Estimate.State.REFUSED, "")
    with pytest.raises(ValidationError) as recorded:
        services.intervention_time_record(
            estimate=refused, quantity=Decimal("0.5"), technician=technician,
            delivered_on=NOW.date(), now=NOW,
        )  # fmt: skip
    assert recorded.value.messages == [services.ESTIMATE_NOT_ACCEPTED]


def _mail(ticket, sender: str, message_id: str) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@portail.test"
    message["Subject"] = f"Re: [{ticket.number}] {ticket.subject}"
    message["Message-ID"] = message_id
    message.set_content("Voici ma réponse.\n\n> citation")
    return bytes(message)


def test_mails_from_strangers_and_twice_read_mails(
    tenant, other_tenant, agent, make_member, channels, support_mailbox
):
    ticket = _open(tenant, agent)
    deliver(support_mailbox, _mail(ticket, "inconnu@exemple.test", "<a@exemple.test>"))
    deliver(support_mailbox, _mail(ticket, make_member(other_tenant).email, "<b@exemple.test>"))
    deliver(support_mailbox, _mail(ticket, agent.email, "<c@exemple.test>"))
    assert mail.mailbox_fetch(now=NOW) == {"unknown sender": 1, "refused": 1, "taken": 1}
    [reply] = ticket.events.filter(via_email=True)
    assert reply.body == "Voici ma réponse."  # found by the subject's tag, quote removed
    # The same mail delivered again (a retried delivery) is one entry.
    deliver(support_mailbox, _mail(ticket, agent.email, "<c@exemple.test>"))
    assert mail.mailbox_fetch(now=NOW) == {"duplicate": 1}
    assert ticket.events.filter(via_email=True).count() == 1
    assert settings.SUPPORT_IMAP_HOST == "127.0.0.1"


def test_a_request_nobody_took_waits_on_the_syndicates_home(tenant, agent, channels, staff_admin):
    from django.test import Client

    from tests.conftest import page_text, sign_in

    ticket = _open(tenant, agent, subject="Messagerie bloquée", priority="blocking")
    site = sign_in(Client(HTTP_HOST=settings.BASE_DOMAIN), staff_admin)

    home = page_text(site.get("/"))

    assert 'Demandes d\'assistance à prendre <span class="count">1</span>' in home
    assert f"{ticket.number} Messagerie bloquée de la commune de Test" in home
    ticket.assignee = staff_admin
    ticket.save(update_fields=["assignee"])
    home = page_text(site.get("/"))
    assert "Aucune demande d'assistance en attente." in home
