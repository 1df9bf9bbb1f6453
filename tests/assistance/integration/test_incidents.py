"""Support requests tied to service incidents (issue 13 items 5 and 7): opening a request on a
service with an incident running shows it and offers to follow it instead; a request opened
anyway is linked, staff link others; when the incident closes every linked request still open
gets one public reply with the closing note (threaded e-mail) and is resolved — once, whatever
the retries; the monthly report shows the minutes each service was interrupted."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client

from portal.models import AuditEvent
from status import services as status_services
from status.models import Announcement, IncidentFollower, NotificationPreference, Service
from support import services, tasks
from support.mail import root_message_id
from support.models import Status, Ticket, TicketEvent, TicketIncident
from tests.conftest import host_of, page_text, sign_in

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=PARIS)  # a Monday
STARTED = datetime(2026, 3, 2, 8, 30, tzinfo=PARIS)
CLOSED = datetime(2026, 3, 2, 10, 0, tzinfo=PARIS)
CLOSING_NOTE = "<p>Le serveur de messagerie a été redémarré.</p>"
ANSWER = (
    "L'incident « Messagerie indisponible » est terminé depuis le 02/03/2026 à 10:00 : "
    "le service est rétabli.\n\n"
    "Le serveur de messagerie a été redémarré.\n\n"
    "Votre demande est résolue avec lui. Si le problème persiste, répondez à ce message : "
    "la demande sera rouverte."
)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def mail_service(subscribed):
    service = Service.objects.create(slug="messagerie", name="Messagerie", position=1)
    service.offers.set([subscribed.mail])  # the mapping is data: the offers of the service
    return service


@pytest.fixture
def incident(mail_service, technician, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        incident = status_services.announcement_create(
            kind=Announcement.Kind.INCIDENT,
            title="Messagerie indisponible",
            body="<p>Les boîtes ne répondent plus.</p>",
            severity="interrupted",
            services=[mail_service],
            starts_at=STARTED,
            created_by=technician,
        )
    status_services.announcement_update_post(
        announcement=incident, body="<p>Le fournisseur intervient.</p>", posted_by=technician
    )
    return incident


def _client(user, collectivite=None) -> Client:
    return sign_in(Client(HTTP_HOST=host_of(collectivite)), user, collectivite)


def _open(tenant, agent, offer, subject="Messagerie lente") -> Ticket:
    return services.ticket_open(
        collectivite=tenant,
        requester=agent,
        opened_by=agent,
        data=services.TicketInput(
            subject=subject, description="Depuis ce matin.", priority="normal", offer=offer
        ),
        now=NOW,
    )


def test_the_request_form_shows_the_incident_and_the_agent_follows_it(
    tenant, agent, subscribed, incident, mailoutbox, django_capture_on_commit_callbacks
):
    client = _client(agent, tenant)
    text = page_text(client.get("/assistance/nouvelle/"))
    assert "Un incident est en cours sur vos services" in text  # before a service is chosen
    assert "Messagerie indisponible" in text
    assert "depuis le 02/03/2026 à 08:30" in text
    assert "Dernière mise à jour, le 02/03/2026 à 09:00 :" in text
    assert "Le fournisseur intervient." in text
    assert f'href="/etat-des-services/#annonce-{incident.pk}"' in text
    assert "Suivre l'incident" in text

    # htmx: the panel follows the service chosen (the visio has no incident)
    panel = page_text(client.get("/assistance/incidents-en-cours/", {"offer": subscribed.mail.pk}))
    assert "Un incident est en cours sur ce service" in panel
    assert "Messagerie indisponible" in panel
    chosen = page_text(client.get("/assistance/nouvelle/", {"offer": subscribed.mail.pk}))
    assert "Un incident est en cours sur ce service" in chosen
    none = client.get("/assistance/incidents-en-cours/", {"offer": subscribed.visio.pk})
    assert none.content.decode().strip() == ""

    response = client.post(f"/etat-des-services/incidents/{incident.pk}/suivre/", follow=True)
    assert (
        "Vous suivez l'incident « Messagerie indisponible » : ses mises à jour et sa fin vous "
        "seront envoyées par courriel." in page_text(response)
    )
    client.post(f"/etat-des-services/incidents/{incident.pk}/suivre/")  # twice is one follow
    assert IncidentFollower.objects.filter(announcement=incident, user=agent).count() == 1
    assert not Ticket.objects.exists()

    # the follower gets the update and end e-mails, like the functional administrators
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        status_services.announcement_update_post(
            announcement=incident, body="<p>Retour prévu à 10 h.</p>", posted_by=None
        )
    assert [m.subject for m in mailoutbox if m.to == [agent.email]] == [
        "[État des services] Mise à jour de l'incident : Messagerie indisponible"
    ]
    assert "Retour prévu à 10 h." in mailoutbox[-1].body


def test_an_opted_out_follower_is_told_and_gets_no_email(
    tenant, agent, incident, mailoutbox, django_capture_on_commit_callbacks
):
    NotificationPreference.objects.create(user=agent, status_emails=False)
    response = _client(agent, tenant).post(
        f"/etat-des-services/incidents/{incident.pk}/suivre/", follow=True
    )
    assert (
        "Vous suivez l'incident « Messagerie indisponible », mais vous avez refusé les courriels "
        "d'état des services : réactivez-les dans Mes notifications pour recevoir ses mises à "
        "jour." in page_text(response)
    )
    with django_capture_on_commit_callbacks(execute=True):
        status_services.announcement_update_post(
            announcement=incident, body="<p>Toujours en cours.</p>", posted_by=None
        )
    assert not [m for m in mailoutbox if m.to == [agent.email]]


def test_another_collectivites_member_cannot_follow(other_tenant, make_member, incident):
    outsider = make_member(other_tenant)
    response = _client(outsider, other_tenant).post(
        f"/etat-des-services/incidents/{incident.pk}/suivre/"
    )
    assert response.status_code == 404
    assert not IncidentFollower.objects.exists()


def test_a_request_opened_anyway_is_linked(tenant, agent, subscribed, incident):
    response = _client(agent, tenant).post(
        "/assistance/nouvelle/",
        {
            "offer": str(subscribed.mail.pk),
            "subject": "Pièce jointe bloquée",
            "description": "Un autre souci.",
            "priority": "normal",
            "account_label": "",
        },
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    page = page_text(_client(agent, tenant).get(f"/assistance/{ticket.pk}/"))
    assert (
        f'<a href="/etat-des-services/#annonce-{incident.pk}">Messagerie indisponible</a> — '
        "en cours : votre demande sera résolue à sa fin" in page
    )
    link = TicketIncident.objects.get()
    assert (link.ticket, link.announcement, link.automatic) == (ticket, incident, True)
    note = ticket.events.get(kind=TicketEvent.Kind.NOTE)
    assert (
        note.body == "Liée à l'incident « Messagerie indisponible » (ouverte pendant l'incident)."
    )
    assert not note.public
    # a request on a service without incident is not linked
    _open(tenant, agent, subscribed.forfait, subject="Logiciel de paie")
    assert TicketIncident.objects.count() == 1


def test_closing_the_incident_answers_and_resolves_linked_requests_once(
    tenant, agent, technician, subscribed, incident, mailoutbox, django_capture_on_commit_callbacks
):
    opened_anyway = _open(tenant, agent, subscribed.mail)
    other = _open(tenant, agent, subscribed.forfait, subject="Boîte partagée")
    already_resolved = _open(tenant, agent, subscribed.forfait, subject="Déjà réglée")

    staff = _client(technician)
    page = page_text(staff.get(f"/assistance/{other.pk}/"))
    assert "Lier à l'incident" in page
    assert "Messagerie indisponible (depuis le 02/03/2026 à 08:30)" in page
    response = staff.post(f"/assistance/{other.pk}/incident/", {"incident": incident.pk})
    assert response.status_code == 302
    services.ticket_incident_link(
        ticket=already_resolved, incident=incident, author=technician, now=NOW
    )
    services.ticket_status_change(
        ticket=already_resolved, status=Status.RESOLVED, author=technician, now=NOW
    )
    with pytest.raises(ValidationError) as error:
        services.ticket_incident_link(ticket=other, incident=incident, author=technician, now=NOW)
    assert error.value.messages == ["La demande est déjà liée à cet incident."]

    mailoutbox.clear()
    with (
        time_machine.travel(CLOSED + timedelta(minutes=5), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        status_services.incident_close(
            announcement=incident, closed_by=technician, ends_at=CLOSED, body=CLOSING_NOTE
        )

    for ticket in (opened_anyway, other):
        ticket.refresh_from_db()
        assert ticket.status == Status.RESOLVED
        [reply] = ticket.events.filter(kind=TicketEvent.Kind.REPLY)
        assert (reply.body, reply.public, reply.from_staff) == (ANSWER, True, True)
        assert reply.author == technician
        assert ticket.first_response_at == CLOSED + timedelta(minutes=5)
        link = ticket.incident_links.get()
        assert link.answered_event == reply
    already_resolved.refresh_from_db()
    assert not already_resolved.events.filter(kind=TicketEvent.Kind.REPLY).exists()

    # the requester's e-mails go out threaded, as for any public reply, then "résolue"
    for ticket in (opened_anyway, other):
        subjects = [m.subject for m in mailoutbox if f"[{ticket.number}]" in m.subject]
        assert subjects == [
            f"Re: [{ticket.number}] {ticket.subject}",
            f"Re: [{ticket.number}] Demande résolue : {ticket.subject}",
        ]
        reply_mail = next(m for m in mailoutbox if m.subject == subjects[0])
        assert reply_mail.to == [agent.email]
        assert "Le serveur de messagerie a été redémarré." in reply_mail.body
        assert reply_mail.extra_headers["In-Reply-To"] == root_message_id(ticket)
        assert reply_mail.extra_headers["References"] == root_message_id(ticket)
    assert AuditEvent.objects.filter(action="support.incident_answered").count() == 2
    sent = len(mailoutbox)

    # closing again, or the task run again, changes nothing
    with pytest.raises(ValidationError):
        status_services.incident_close(announcement=incident, closed_by=technician)
    assert tasks.answer_incident_tickets(incident.pk, technician.pk, "Encore") == 0
    assert TicketEvent.objects.filter(kind=TicketEvent.Kind.REPLY).count() == 2
    assert AuditEvent.objects.filter(action="support.incident_answered").count() == 2
    assert len(mailoutbox) == sent


def test_an_incident_closed_by_alertmanager_is_answered_by_the_assignee(
    tenant, agent, technician, subscribed, incident, django_capture_on_commit_callbacks
):
    ticket = _open(tenant, agent, subscribed.mail)
    services.ticket_assign(ticket=ticket, assignee=technician, author=technician, now=NOW)
    with (
        time_machine.travel(CLOSED, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        status_services.incident_close(announcement=incident, closed_by=None)
    [reply] = ticket.events.filter(kind=TicketEvent.Kind.REPLY)
    assert reply.author == technician
    assert reply.body == ANSWER.replace("Le serveur de messagerie a été redémarré.\n\n", "")


def test_the_monthly_report_shows_the_minutes_interrupted(
    tenant, agent, technician, subscribed, incident, django_capture_on_commit_callbacks
):
    _open(tenant, agent, subscribed.mail)
    with time_machine.travel(CLOSED, tick=False):
        status_services.incident_close(announcement=incident, closed_by=technician)
    with time_machine.travel(datetime(2026, 4, 1, 9, 0, tzinfo=PARIS), tick=False):
        client = _client(technician)
        page = page_text(client.get("/assistance/rapport/", {"mois": "2026-03"}))
        assert "Service interrompu" in page
        assert '1 h 30 <span class="muted">(Messagerie)</span>' in page
        assert '<tr><td>Messagerie</td><td class="num">1 h 30</td></tr>' in page
        csv = client.get("/assistance/rapport.csv", {"mois": "2026-03"}).content.decode()
        assert csv.splitlines()[0].endswith(";service (état des services);minutes interrompues")
        assert csv.splitlines()[1].endswith(";Messagerie;90")
        april = page_text(client.get("/assistance/rapport/", {"mois": "2026-02"}))
        assert '<tr><td>Messagerie</td><td class="num">0 min</td></tr>' in april


def test_staff_link_only_to_an_incident_running_on_the_collectivites_services(
    tenant, agent, technician, subscribed, incident
):
    elsewhere = Service.objects.create(slug="annuaire", name="Annuaire", position=9)
    other_incident = status_services.announcement_create(
        kind=Announcement.Kind.INCIDENT,
        title="Annuaire lent",
        severity="degraded",
        services=[elsewhere],
        created_by=technician,
    )
    ticket = _open(tenant, agent, subscribed.forfait, subject="Annuaire")
    staff = _client(technician)
    response = staff.post(f"/assistance/{ticket.pk}/incident/", {"incident": other_incident.pk})
    assert response.status_code == 200  # re-rendered: the choice is not offered
    assert not ticket.incident_links.exists()
    with pytest.raises(ValidationError) as error:
        services.ticket_incident_link(
            ticket=ticket, incident=other_incident, author=technician, now=NOW
        )
    assert error.value.messages == ["Cet incident ne concerne aucun service de la collectivité."]
    with time_machine.travel(CLOSED, tick=False):
        status_services.incident_close(announcement=incident, closed_by=technician)
    with pytest.raises(ValidationError) as error:
        services.ticket_incident_link(ticket=ticket, incident=incident, author=technician, now=NOW)
    assert error.value.messages == ["Cet incident n'est plus en cours : la demande ne s'y lie pas."]
