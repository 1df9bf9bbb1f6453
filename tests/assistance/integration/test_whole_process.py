"""T1–T4 end to end, with frozen time: a ticket opened by an agent, the first reply mailed
(threaded) and answered by e-mail through a real Dovecot, the wait for the collectivité that
stops the clock, the 75 % and breach warnings (once each), resolution and rating, the month's
report; then an out-of-scope request estimated, accepted by the signatory, its time recorded
and invoiced by the next billing run at the accepted price."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta
from decimal import Decimal
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core import mail as django_mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from billing import services as billing_services
from portal.models import AuditEvent
from support import selectors, services, tasks
from support.models import Estimate, SlaWarning, Status, TargetKind, TicketEvent
from tests.support.dovecot import deliver, unseen_count

PARIS = ZoneInfo("Europe/Paris")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def _reply_mail(to_message, sender: str, text: str) -> bytes:
    reply = EmailMessage()
    reply["From"] = sender
    reply["To"] = to_message.from_email
    reply["Subject"] = f"Re: {to_message.subject}"
    reply["Message-ID"] = "<reponse-1@mairie.test>"
    reply["In-Reply-To"] = to_message.extra_headers["Message-ID"]
    reply["References"] = to_message.extra_headers["References"]
    reply.set_content(
        f"{text}\n\nLe 02/03/2026 à 10:10, Support a écrit :\n> {to_message.body[:40]}\n"
    )
    return bytes(reply)


def test_a_ticket_from_opening_to_rating(
    tenant, agent, technician, lead, subscribed, support_mailbox,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    with time_machine.travel(at(2026, 3, 2, 9, 0), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            ticket = services.ticket_open(
                collectivite=tenant,
                requester=agent,
                opened_by=agent,
                data=services.TicketInput(
                    subject="Messagerie inaccessible",
                    description="Plus aucun courriel depuis ce matin.",
                    priority="blocking",
                    offer=subscribed.mail,
                ),
                now=timezone.now(),
            )
        assert ticket.channel.code == "messagerie-stockage"
        services.ticket_assign(
            ticket=ticket, assignee=technician, author=lead, now=at(2026, 3, 2, 9, 5)
        )

    # Blocking on mail: first response within 1 working hour. 75 % at 9:45 → the assignee.
    with django_capture_on_commit_callbacks(execute=True):
        assert services.sla_warnings_send(now=at(2026, 3, 2, 9, 46)) == 1
        assert services.sla_warnings_send(now=at(2026, 3, 2, 9, 50)) == 0
    warned = django_mail.outbox[-1]
    assert warned.to == [technician.email]
    assert warned.subject == f"[{ticket.number}] 75 % du délai atteint : Messagerie inaccessible"
    # Breach at 10:00 → the support lead, once.
    with django_capture_on_commit_callbacks(execute=True):
        assert services.sla_warnings_send(now=at(2026, 3, 2, 10, 5)) == 1
        assert services.sla_warnings_send(now=at(2026, 3, 2, 10, 6)) == 0
    assert django_mail.outbox[-1].to == [lead.email]
    assert set(SlaWarning.objects.filter(ticket=ticket).values_list("kind", "level")) == {
        (TargetKind.FIRST_RESPONSE, "75"),
        (TargetKind.FIRST_RESPONSE, "breach"),
    }

    # The first reply, mailed to the agent and threaded; then the ticket waits for them.
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_reply(
            ticket=ticket,
            author=technician,
            body="Quel message d'erreur s'affiche ?",
            now=at(2026, 3, 2, 10, 10),
        )
    services.ticket_status_change(
        ticket=ticket, status=Status.WAITING, author=technician, now=at(2026, 3, 2, 10, 10)
    )
    sent = django_mail.outbox[-1]
    assert sent.to == [agent.email]
    assert sent.subject == f"Re: [{ticket.number}] Messagerie inaccessible"
    assert sent.reply_to == ["support@portail.test"]
    assert sent.extra_headers["In-Reply-To"] == f"<ticket-{ticket.pk}@{settings.BASE_DOMAIN}>"
    assert sent.extra_headers["References"] == f"<ticket-{ticket.pk}@{settings.BASE_DOMAIN}>"
    assert sent.extra_headers["Message-ID"].startswith(f"<ticket-{ticket.pk}-")

    ticket.refresh_from_db()
    # Waiting: the clock stands still overnight, whatever the hour.
    reading = selectors.ticket_clock(
        ticket=ticket, kind=TargetKind.INTERVENTION, now=at(2026, 3, 2, 17, 0)
    )
    assert (reading.elapsed, reading.deadline) == (timedelta(minutes=70), None)
    assert services.sla_warnings_send(now=at(2026, 3, 2, 17, 0)) == 0

    # The agent answers by e-mail; the beat job reads it from the support mailbox (Dovecot).
    deliver(support_mailbox, _reply_mail(sent, agent.email, "Erreur 550 : boîte pleine."))
    with time_machine.travel(at(2026, 3, 3, 9, 0), tick=False):
        assert tasks.fetch_mailbox() == {"taken": 1}
        assert tasks.fetch_mailbox() == {}
    assert unseen_count(support_mailbox) == 0
    ticket.refresh_from_db()
    answer = ticket.events.get(via_email=True)
    assert (answer.author, answer.body, answer.kind) == (
        agent,
        "Erreur 550 : boîte pleine.",
        TicketEvent.Kind.REPLY,
    )
    assert ticket.status == Status.NEW  # the clock runs again

    services.ticket_status_change(
        ticket=ticket, status=Status.IN_PROGRESS, author=technician, now=at(2026, 3, 3, 9, 30),
        minutes_spent=20,
    )  # fmt: skip
    ticket.refresh_from_db()
    intervention = selectors.ticket_clock(
        ticket=ticket, kind=TargetKind.INTERVENTION, now=at(2026, 3, 3, 12, 0)
    )
    assert intervention.elapsed == timedelta(minutes=100)  # 9:00–10:10, then 9:00–9:30
    assert not intervention.breached

    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_status_change(
            ticket=ticket, status=Status.RESOLVED, author=technician, now=at(2026, 3, 3, 11, 0)
        )
    assert (
        django_mail.outbox[-1].subject
        == f"Re: [{ticket.number}] Demande résolue : Messagerie inaccessible"
    )
    services.ticket_rate(ticket=ticket, user=agent, rating=5, now=at(2026, 3, 3, 11, 5))
    with pytest.raises(ValidationError) as again:
        services.ticket_rate(ticket=ticket, user=agent, rating=1, now=at(2026, 3, 3, 11, 6))
    assert again.value.messages == [services.RATING_ALREADY]

    [row] = selectors.monthly_report(year=2026, month=3, now=at(2026, 4, 1))
    assert (row.channel, row.service, row.opened, row.resolved) == (
        "Messagerie et stockage", "Messagerie BlueMind 2 Go", 1, 1,
    )  # fmt: skip
    assert row.median_first_response == timedelta(minutes=70)
    assert row.median_intervention == timedelta(minutes=100)
    assert (row.within_target, row.measured, row.mean_rating) == (1, 1, 5)


def test_out_of_scope_estimated_accepted_recorded_and_invoiced(
    tenant, agent, signatory, technician, catalogue, channels, syndicate, audit_floor,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    ticket = services.ticket_open(
        collectivite=tenant,
        requester=agent,
        opened_by=technician,  # by phone: the syndicate opens it on the agent's behalf
        data=services.TicketInput(
            subject="Mettre à jour les postes du secrétariat",
            description="Trois postes sous Windows 10.",
            priority="normal",
        ),
        now=at(2026, 4, 7, 10, 0),
    )
    assert ticket.channel.code == "logiciels"  # "autre" → the default channel

    with django_capture_on_commit_callbacks(execute=True):
        estimate = services.estimate_propose(
            ticket=ticket,
            technician=technician,
            reason="mise à jour des postes",
            offer=catalogue.hourly,
            quantity=Decimal("3"),
            description="Mise à jour de trois postes.",
            today=date(2026, 4, 7),
            now=at(2026, 4, 7, 10, 30),
        )
    assert (estimate.unit_price, estimate.amount) == (Decimal("55.00"), Decimal("165.00"))
    assert estimate.schedule_label == "délibération 2025-42 du 12/12/2025"
    assert django_mail.outbox[-1].to == [signatory.email]
    ticket.refresh_from_db()
    assert (ticket.status, ticket.out_of_scope_reason) == (Status.WAITING, "mise à jour des postes")

    with pytest.raises(ValidationError) as not_signatory:
        services.estimate_decide(
            estimate=estimate, signatory=agent, accept=True, po_number="X",
            ip_address="192.0.2.1", now=at(2026, 4, 7, 11, 0),
        )  # fmt: skip
    assert not_signatory.value.messages == [services.ESTIMATE_NOT_SIGNATORY]

    estimate = services.estimate_decide(
        estimate=estimate, signatory=signatory, accept=True, po_number="ENG-2026-117",
        ip_address="192.0.2.7", now=at(2026, 4, 7, 11, 0),
    )  # fmt: skip
    assert estimate.state == Estimate.State.ACCEPTED
    assert (estimate.decided_by, estimate.decided_from) == (signatory, "192.0.2.7")
    assert (
        estimate.accepted_sha256
        == hashlib.sha256(services.estimate_text(estimate).encode()).hexdigest()
    )
    assert "Quantité : 3 h (par heure)" in estimate.accepted_text
    assert "Prix unitaire : 55,00\u00a0€ — Montant : 165,00\u00a0€" in estimate.accepted_text
    event = AuditEvent.objects.get(id__gt=audit_floor, action="support.estimate_accepted")
    assert event.data["sha256"] == estimate.accepted_sha256

    with pytest.raises(ValidationError) as beyond:
        services.intervention_time_record(
            estimate=estimate, quantity=Decimal("3.5"), technician=technician,
            delivered_on=date(2026, 4, 9), now=at(2026, 4, 9, 17, 0),
        )  # fmt: skip
    assert beyond.value.message_dict == {
        "quantity": [
            "Le temps passé dépasse le devis accepté (3 h) : faites accepter un nouveau devis."
        ]
    }
    estimate = services.intervention_time_record(
        estimate=estimate, quantity=Decimal("2.5"), technician=technician,
        delivered_on=date(2026, 4, 9), now=at(2026, 4, 9, 17, 0),
    )  # fmt: skip

    recorded = AuditEvent.objects.get(id__gt=audit_floor, action="support.intervention_recorded")
    assert recorded.summary == (
        f"Intervention de la demande {ticket.number} : 2,5 h à facturer (137,50\u00a0€)."
    )

    invoice = billing_services.invoice_issue(
        collectivite=tenant, as_of=date(2026, 5, 1), issue_date=date(2026, 5, 1)
    )
    [line] = invoice.lines.all()
    assert (line.label, line.quantity, line.unit_price, line.amount) == (
        f"Intervention exceptionnelle — demande n° {ticket.number}",
        Decimal("2.50"),
        Decimal("55.00"),
        Decimal("137.50"),
    )
    assert invoice.po_number == "ENG-2026-117"
    with pytest.raises(ValidationError) as twice:
        services.intervention_time_record(
            estimate=estimate, quantity=Decimal("1"), technician=technician,
            delivered_on=date(2026, 4, 10), now=at(2026, 4, 10, 17, 0),
        )  # fmt: skip
    assert twice.value.messages == [services.ESTIMATE_ALREADY_RECORDED]
