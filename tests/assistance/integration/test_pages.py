"""The assistance pages, as each role reaches them: an agent opens a request with an
attachment and sees the reply; the syndicate works the queue; the signatory decides an estimate;
the requester gives the remote-session consent; and isolation (P4): members of another
collectivité never see a ticket or an attachment, which are a 404, never a 403."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from portal.models import Role
from support import services
from support.models import Attachment, Estimate, Guide, RemoteConsent, Status, Ticket
from tests.conftest import host_of, page_text, sign_in

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=PARIS)


def _client(user, collectivite=None) -> Client:
    return sign_in(Client(HTTP_HOST=host_of(collectivite)), user, collectivite)


def _open(tenant, agent, subscribed, **extra) -> Ticket:
    return services.ticket_open(
        collectivite=tenant,
        requester=agent,
        opened_by=agent,
        data=services.TicketInput(
            subject="Messagerie lente",
            description="Depuis hier.",
            priority="normal",
            offer=subscribed.mail,
        ),  # fmt: skip
        files=[SimpleUploadedFile("capture.png", b"\x89PNG\r\n\x1a\nimage", "image/png")],
        now=NOW,
        **extra,
    )


def test_an_agent_opens_a_request_with_an_attachment(tenant, agent, subscribed):
    client = _client(agent, tenant)
    form = client.get("/assistance/nouvelle/")
    assert form.status_code == 200
    assert "Messagerie BlueMind 2 Go" in page_text(form)

    response = client.post(
        "/assistance/nouvelle/",
        {
            "offer": str(subscribed.mail.pk),
            "subject": "Impossible d'envoyer",
            "description": "Message d'erreur 550.",
            "priority": "blocking",
            "account_label": "",
            "files": [SimpleUploadedFile("erreur.pdf", b"%PDF-1.4 ...", "application/pdf")],
        },
    )
    ticket = Ticket.objects.get(subject="Impossible d'envoyer")
    assert response.status_code == 302
    assert response["Location"] == f"/assistance/{ticket.pk}/"
    assert (ticket.requester, ticket.priority, ticket.channel.code) == (
        agent, "blocking", "messagerie-stockage",
    )  # fmt: skip
    [attachment] = ticket.attachments.all()
    assert attachment.file.name.startswith(f"support/{tenant.schema_name}/{ticket.pk}/")
    download = client.get(f"/assistance/pieces/{attachment.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 ..."
    assert download["Content-Disposition"] == 'attachment; filename="erreur.pdf"'


@pytest.mark.parametrize(
    ("name", "content", "message", "_case"),
    [
        ("outil.exe", b"MZ\x90\x00", "Le type de la pièce jointe « outil.exe » n'est pas accepté (PDF, images, textes, documents bureautiques).", "executable extension"),
        ("facture.pdf", b"MZ\x90\x00", "La pièce jointe « facture.pdf » est un programme : elle n'est pas acceptée.", "program disguised as a PDF"),
        ("script.pdf", b"#!/bin/sh\n", "La pièce jointe « script.pdf » est un programme : elle n'est pas acceptée.", "script disguised as a PDF"),
    ],
)  # fmt: skip
def test_executable_attachments_are_refused_and_nothing_is_lost(
    tenant, agent, subscribed, name, content, message, _case
):
    client = _client(agent, tenant)
    response = client.post(
        "/assistance/nouvelle/",
        {
            "offer": "autre",
            "subject": "Un programme",
            "description": "Voici le programme.",
            "priority": "normal",
            "files": [SimpleUploadedFile(name, content)],
        },
    )
    assert response.status_code == 200
    assert message in page_text(response)
    assert 'value="Un programme"' in response.content.decode()
    assert not Ticket.objects.filter(subject="Un programme").exists()


def test_too_large_attachment_is_refused(tenant, agent, subscribed):
    big = SimpleUploadedFile("gros.pdf", b"%PDF" + b"0" * (10 * 1024 * 1024), "application/pdf")
    response = _client(agent, tenant).post(
        "/assistance/nouvelle/",
        {
            "offer": "autre",
            "subject": "Gros",
            "description": "x",
            "priority": "normal",
            "files": [big],
        },
    )
    assert "La pièce jointe « gros.pdf » dépasse 10 Mo." in page_text(response)
    assert not Ticket.objects.filter(subject="Gros").exists()


def test_the_service_is_chosen_by_the_person_not_in_advance(tenant, agent, subscribed):
    client = _client(agent, tenant)
    form = client.get("/assistance/nouvelle/").content.decode()
    assert '<option value="" selected>— Choisissez —</option>' in form
    assert form.count(" selected>") == 2  # the placeholder, and the priority "normale"
    response = client.post(
        "/assistance/nouvelle/",
        {"offer": "", "subject": "Sans service", "description": "Mon texte.", "priority": "normal"},
    )
    assert response.status_code == 200
    assert "Choisissez le service concerné, ou « Autre »" in page_text(response)
    assert "Mon texte." in response.content.decode()
    assert not Ticket.objects.filter(subject="Sans service").exists()


def test_visio_requests_come_from_the_referent(tenant, agent, referent, subscribed):
    data = {"offer": str(subscribed.visio.pk), "subject": "Salle", "description": "x",
            "priority": "normal"}  # fmt: skip
    refused = _client(agent, tenant).post("/assistance/nouvelle/", data)
    assert services.REFERENT_ONLY in page_text(refused)
    accepted = _client(referent, tenant).post("/assistance/nouvelle/", data)
    assert accepted.status_code == 302
    assert Ticket.objects.get(subject="Salle").channel.code == "visio"


def test_guides_are_proposed_while_typing(tenant, agent, subscribed):
    Guide.objects.create(title="Configurer Thunderbird pour la messagerie", body="…",
                         offer=subscribed.mail)  # fmt: skip
    Guide.objects.create(title="Brouillon caché", body="…", published=False)
    response = _client(agent, tenant).get(
        "/assistance/fiches/suggestions/",
        {"subject": "thunderbird ne marche plus", "offer": str(subscribed.mail.pk)},
        HTTP_HX_REQUEST="true",
    )
    assert "Configurer Thunderbird pour la messagerie" in page_text(response)
    assert "Brouillon" not in page_text(response)


def test_the_agent_sees_the_public_reply_not_the_internal_note(
    tenant, agent, technician, subscribed
):
    ticket = _open(tenant, agent, subscribed)
    services.ticket_reply(ticket=ticket, author=technician, body="Videz le cache.", now=NOW)
    services.ticket_reply(
        ticket=ticket, author=technician, body="Client difficile", public=False, now=NOW
    )
    page = page_text(_client(agent, tenant).get(f"/assistance/{ticket.pk}/"))
    assert "Videz le cache." in page
    assert "Client difficile" not in page


def test_the_technician_works_the_queue(tenant, agent, technician, subscribed, lead):
    ticket = _open(tenant, agent, subscribed)
    client = _client(technician)
    queue = client.get("/assistance/", {"canal": "messagerie-stockage"})
    assert queue.status_code == 200
    assert ticket.number in page_text(queue)

    client.post(f"/assistance/{ticket.pk}/attribuer/", {"assignee": technician.pk})
    client.post(
        f"/assistance/{ticket.pk}/repondre/",
        {"body": "Nous regardons.", "public": "1", "minutes_spent": "15"},
    )
    client.post(f"/assistance/{ticket.pk}/etat/", {"status": "in_progress", "minutes_spent": "0"})
    client.post(f"/assistance/{ticket.pk}/telemaintenance/")
    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.status) == (technician, Status.IN_PROGRESS)
    assert ticket.first_response_at is not None
    page = page_text(client.get(f"/assistance/{ticket.pk}/"))
    assert "Temps passé" in page
    assert "15 min" in page
    assert "pas encore donné : ne pas ouvrir la séance" in page

    consent = RemoteConsent.objects.get(ticket=ticket)
    agreed = _client(agent, tenant).post(f"/assistance/{ticket.pk}/telemaintenance/{consent.pk}/",
                                         REMOTE_ADDR="192.0.2.44")  # fmt: skip
    assert agreed.status_code == 302
    consent.refresh_from_db()
    assert (consent.agreed_by, consent.agreed_from) == (agent, "192.0.2.44")
    assert "Accord de" in page_text(client.get(f"/assistance/{ticket.pk}/"))

    bad = client.post(f"/assistance/{ticket.pk}/etat/", {"status": "nonsense"})
    assert bad.status_code == 200


def test_the_signatory_accepts_an_estimate_on_the_site(
    tenant, agent, signatory, technician, subscribed
):
    ticket = _open(tenant, agent, subscribed)
    client = _client(technician)
    client.post(
        f"/assistance/{ticket.pk}/devis/",
        {"reason": "intervention sur site", "offer": subscribed.hourly.pk, "quantity": "2,5",
         "description": "Déplacement"},
    )  # fmt: skip
    estimate = Estimate.objects.get(ticket=ticket)
    assert (estimate.quantity, estimate.amount) == (Decimal("2.50"), Decimal("137.50"))

    # An agent sees the estimate but cannot decide it.
    agent_page = page_text(_client(agent, tenant).get(f"/assistance/{ticket.pk}/"))
    assert "Un signataire de la collectivité accepte ou refuse ce devis." in agent_page
    refused = _client(agent, tenant).post(
        f"/assistance/{ticket.pk}/devis/{estimate.pk}/", {"decision": "accept", "po_number": "X"}
    )
    assert refused.status_code == 404

    signer = _client(signatory, tenant)
    missing_po = signer.post(f"/assistance/{ticket.pk}/devis/{estimate.pk}/",
                             {"decision": "accept", "po_number": ""})  # fmt: skip
    assert services.ESTIMATE_PO_REQUIRED in page_text(missing_po)
    signer.post(f"/assistance/{ticket.pk}/devis/{estimate.pk}/",
                {"decision": "accept", "po_number": "ENG-7"}, REMOTE_ADDR="192.0.2.9")  # fmt: skip
    estimate.refresh_from_db()
    assert (estimate.state, estimate.decided_from, estimate.po_number) == (
        Estimate.State.ACCEPTED, "192.0.2.9", "ENG-7",
    )  # fmt: skip
    assert estimate.accepted_sha256 in page_text(signer.get(f"/assistance/{ticket.pk}/"))

    over = client.post(f"/assistance/{ticket.pk}/temps/{estimate.pk}/",
                       {"quantity": "3", "delivered_on": "2026-03-04"})  # fmt: skip
    assert "Le temps passé dépasse le devis accepté (2,5 h)" in page_text(over)
    client.post(f"/assistance/{ticket.pk}/temps/{estimate.pk}/",
                {"quantity": "2", "delivered_on": "2026-03-04"})  # fmt: skip
    estimate.refresh_from_db()
    assert estimate.spent_quantity == Decimal("2.00")


def test_rating_after_resolution(tenant, agent, technician, subscribed):
    ticket = _open(tenant, agent, subscribed)
    client = _client(agent, tenant)
    client.post(f"/assistance/{ticket.pk}/evaluer/", {"rating": "4"})
    ticket.refresh_from_db()
    assert ticket.rating is None
    services.ticket_status_change(ticket=ticket, status=Status.RESOLVED, author=technician, now=NOW)
    page = page_text(client.get(f"/assistance/{ticket.pk}/"))
    assert "Votre avis sur la réponse" in page
    client.post(f"/assistance/{ticket.pk}/evaluer/", {"rating": "4"})
    ticket.refresh_from_db()
    assert ticket.rating == 4


def test_members_of_another_collectivite_never_see_a_ticket_or_its_files(
    tenant, other_tenant, agent, make_member, subscribed
):
    ticket = _open(tenant, agent, subscribed)
    attachment = Attachment.objects.get(ticket=ticket)
    stranger = make_member(other_tenant, Role.FUNCTIONAL_ADMIN)
    theirs = _client(stranger, other_tenant)
    assert ticket.number not in page_text(theirs.get("/assistance/"))
    assert theirs.get(f"/assistance/{ticket.pk}/").status_code == 404
    assert theirs.get(f"/assistance/pieces/{attachment.pk}/").status_code == 404
    assert theirs.post(f"/assistance/{ticket.pk}/repondre/", {"body": "x"}).status_code == 404
    # The same person signed in on A's site is not a member there: 404 as well.
    on_a = _client(stranger, tenant)
    assert on_a.get(f"/assistance/{ticket.pk}/").status_code == 404
    assert on_a.get(f"/assistance/pieces/{attachment.pk}/").status_code == 404
    # Within A, an agent sees the requests they made; a functional administrator all of them.
    colleague = make_member(tenant, Role.AGENT)
    assert _client(colleague, tenant).get(f"/assistance/{ticket.pk}/").status_code == 404
    admin = make_member(tenant, Role.FUNCTIONAL_ADMIN)
    assert _client(admin, tenant).get(f"/assistance/{ticket.pk}/").status_code == 200


def test_staff_opens_a_request_on_behalf_of_a_member(tenant, agent, technician, subscribed):
    client = _client(technician)
    assert client.get("/assistance/nouvelle/", {"collectivite": tenant.slug}).status_code == 200
    response = client.post(
        "/assistance/nouvelle/",
        {"collectivite": tenant.slug, "requester_email": agent.email, "offer": "autre",
         "subject": "Appel téléphonique", "description": "Noté au téléphone.",
         "priority": "normal"},
    )  # fmt: skip
    ticket = Ticket.objects.get(subject="Appel téléphonique")
    assert response.status_code == 302
    assert (ticket.requester, ticket.opened_by) == (agent, technician)


def test_report_page_and_csv(tenant, agent, technician, subscribed):
    ticket = _open(tenant, agent, subscribed)
    services.ticket_reply(ticket=ticket, author=technician, body="Vu.",
                          now=datetime(2026, 3, 2, 9, 40, tzinfo=PARIS))  # fmt: skip
    client = _client(technician)
    page = client.get("/assistance/rapport/", {"mois": "2026-03"})
    assert page.status_code == 200
    assert "<svg" in page.content.decode()
    assert "Messagerie BlueMind 2 Go" in page_text(page)
    csv = client.get("/assistance/rapport.csv", {"mois": "2026-03"}).content.decode()
    assert csv.splitlines()[1] == "Messagerie et stockage;Messagerie BlueMind 2 Go;1;0;40;;0;0;;;;"


def test_the_back_office_is_closed_to_members(tenant, agent, subscribed):
    ticket = _open(tenant, agent, subscribed)
    client = _client(agent)
    assert client.get("/assistance/").status_code == 404
    assert client.get(f"/assistance/{ticket.pk}/").status_code == 404


def test_the_back_office_edits_guides(technician, catalogue):
    client = _client(technician)
    created = client.post(
        "/assistance/fiches/nouvelle/",
        {"title": "Vider la corbeille", "offer": catalogue.mail.pk, "body": "Menu Fichier.",
         "published": "on"},
    )  # fmt: skip
    guide = Guide.objects.get(title="Vider la corbeille")
    assert created.status_code == 302
    client.post(
        f"/assistance/fiches/{guide.pk}/modifier/",
        {"title": "Vider la corbeille du webmail", "offer": "", "body": "Menu Fichier."},
    )
    guide.refresh_from_db()
    assert (guide.title, guide.offer, guide.published) == (
        "Vider la corbeille du webmail",
        None,
        False,
    )
    assert "Vider la corbeille du webmail" in page_text(client.get("/assistance/fiches/"))
    assert client.get(f"/assistance/fiches/{guide.pk}/").status_code == 404  # unpublished
