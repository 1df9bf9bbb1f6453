"""Reversibility (issue 15, build 2): the signatory of a demo-like collectivité asks for its
whole data; the ZIP holds every kind of record, its manifest's SHA-256 match, the PDFs are
the issued bytes; downloadable by the right people for 30 days only."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.utils import timezone

from accounts import services as accounts
from accounts.models import QuotaRequest
from billing import services as billing
from contracts import services as contracts
from contracts.models import Quote, QuoteDocument, QuoteLine
from lifecycle.models import ReversibilityExport
from lifecycle.services import exports
from portal.models import AuditEvent, Role
from tests.conftest import host_of, page_text, sign_in


@pytest.fixture
def demo(tenant, make_member, catalogue, run, in_schema, systems):
    """Val-de-Saire in small: people with roles, a sent quote with its PDFs, a contract with
    its invoice and a credit note, a mailbox and a quota request."""
    signatory = make_member(tenant, Role.SIGNATORY, email="maire@test.fr")
    fadmin = make_member(tenant, Role.FUNCTIONAL_ADMIN, Role.AGENT, email="fonctionnel@test.fr")
    quote = contracts.quote_create(
        collectivite=tenant, title="Messagerie", created_by=None, today=date(2026, 3, 2)
    )
    contracts.quote_line_set(quote=quote, offer=catalogue.mail, quantity="5")
    contracts.quote_send(quote=quote, sent_by=None, today=date(2026, 3, 2))
    approved = Quote.objects.create(
        reference="DEV-X-1", collectivite=tenant, title="Messagerie", status="approved"
    )
    line = QuoteLine.objects.create(quote=approved, offer=catalogue.mail, label="Mail", quantity=4)
    contracts.line_activate(line=line, activated_on=date(2026, 3, 17), activated_by=None)
    invoice = billing.invoice_issue(
        collectivite=tenant, as_of=date(2026, 4, 1), issue_date=date(2026, 4, 1)
    )
    billing.invoice_render(invoice)
    note = billing.credit_note_issue(
        invoice=invoice,
        amounts={invoice.lines.get().pk: Decimal("12.00")},
        reason="Geste commercial",
        issued_by=None,
        issue_date=date(2026, 4, 15),
    )
    billing.credit_note_render(note)
    with in_schema(tenant):
        account = run(
            accounts.account_create,
            collectivite=tenant,
            data=accounts.AccountData(
                offer_code=catalogue.mail.code,
                given_name="Anne",
                surname="Martin",
                email="anne@perso.test",
                login="anne.martin",
            ),
            created_by=fadmin,
            today=date(2026, 4, 1),
        )
        connection.set_tenant(tenant)
        QuotaRequest.objects.create(account=account, extra_gb=3, requested_by=fadmin)
    connection.set_schema_to_public()
    return {"signatory": signatory, "fadmin": fadmin, "invoice": invoice, "note": note}


def read_csv(archive: zipfile.ZipFile, name: str) -> list[list[str]]:
    text = archive.read(name).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def test_the_signatory_gets_every_kind_of_record_with_a_checked_manifest(
    demo, tenant, django_capture_on_commit_callbacks, audit_floor
):
    client = sign_in(Client(HTTP_HOST=host_of(tenant)), demo["signatory"], tenant)
    assert "export de réversibilité" in page_text(client.get("/contrats/"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/reversibilite/")
    export = ReversibilityExport.objects.get(collectivite=tenant)
    assert response.status_code == 302
    assert response["Location"] == f"/reversibilite/{export.pk}/"
    assert export.status == ReversibilityExport.Status.DONE
    assert export.progress == 100
    page = page_text(client.get(f"/reversibilite/{export.pk}/"))
    assert "Télécharger le ZIP" in page
    # htmx polls the progress fragment until the export is finished, then stops.
    fragment = client.get(f"/reversibilite/{export.pk}/", headers={"HX-Request": "true"})
    assert fragment.content.decode().startswith('<div id="export-avancement">')
    assert export.zip_sha256 in page

    download = client.get(f"/reversibilite/{export.pk}/zip/")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/zip"
    data = b"".join(download.streaming_content)
    assert hashlib.sha256(data).hexdigest() == export.zip_sha256
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = set(archive.namelist())
    invoice, note = demo["invoice"], demo["note"]
    for expected in (
        "manifest.json",
        "collectivite.json",
        "personnes.csv",
        "comptes.csv",
        "demandes_espace.csv",
        "contrats.csv",
        "devis.csv",
        "factures.csv",
        "avoirs.csv",
        f"factures/{invoice.number}.pdf",
        f"avoirs/{note.number}.pdf",
    ):
        assert expected in names, expected
    documents = [name for name in names if name.startswith("documents/")]
    assert len(documents) == QuoteDocument.objects.filter(quote__collectivite=tenant).count() > 0

    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["collectivite"] == "Commune de Test"
    listed = {entry["nom"]: entry for entry in manifest["fichiers"]}
    assert set(listed) == names - {"manifest.json"}
    for name, entry in listed.items():
        content = archive.read(name)
        assert entry["sha256"] == hashlib.sha256(content).hexdigest(), name
        assert entry["octets"] == len(content)
    assert listed[f"factures/{invoice.number}.pdf"]["sha256"] == invoice.pdf_sha256

    assert json.loads(archive.read("collectivite.json"))["siret"] == tenant.siret
    people = [row[1:3] for row in read_csv(archive, "personnes.csv")[1:]]
    assert people == [
        ["fonctionnel@test.fr", "Agent"],
        ["fonctionnel@test.fr", "Administrateur fonctionnel"],
        ["maire@test.fr", "Signataire"],
    ]
    [_, account] = read_csv(archive, "comptes.csv")
    assert account[3:8] == [
        "anne.martin",
        "Anne",
        "Martin",
        "anne@perso.test",
        "anne.martin@test.mail.localhost",
    ]
    assert account[9] == str(2 * 1024**3)
    assert read_csv(archive, "demandes_espace.csv")[1][2] == "3"
    assert read_csv(archive, "contrats.csv")[1][1:4] == [
        "Messagerie BlueMind 2 Go",
        "4,00",
        "17/03/2026",
    ]
    assert [row[0] for row in read_csv(archive, "factures.csv")[1:]] == [invoice.number]
    assert read_csv(archive, "avoirs.csv")[1][:2] == [note.number, invoice.number]
    assert len(read_csv(archive, "devis.csv")) == 3  # header, the sent and the approved quote

    actions = set(
        AuditEvent.objects.filter(
            id__gt=audit_floor, action__startswith="reversibility."
        ).values_list("action", flat=True)
    )
    assert actions == {"reversibility.requested", "reversibility.downloaded"}


def test_only_the_signatory_of_that_collectivite_reaches_it(
    demo, tenant, other_tenant, make_member
):
    export = exports.export_request(collectivite=tenant, requested_by=None)
    exports.export_build(export.pk)
    agent = make_member(tenant, Role.AGENT, email="agent@test.fr")
    client = sign_in(Client(HTTP_HOST=host_of(tenant)), agent, tenant)
    assert client.get("/reversibilite/").status_code == 404
    assert client.get(f"/reversibilite/{export.pk}/zip/").status_code == 404
    elsewhere = make_member(other_tenant, Role.SIGNATORY, email="maire@autre.fr")
    other = sign_in(Client(HTTP_HOST=host_of(other_tenant)), elsewhere, other_tenant)
    assert other.get(f"/reversibilite/{export.pk}/").status_code == 404
    assert other.get(f"/reversibilite/{export.pk}/zip/").status_code == 404


def test_downloadable_for_thirty_days_then_gone(demo, tenant, staff_admin):
    export = exports.export_request(collectivite=tenant, requested_by=staff_admin)
    export = exports.export_build(export.pk)
    client = sign_in(Client(HTTP_HOST=host_of(None)), staff_admin)
    assert client.get(f"/fin-adhesion/exports/{export.pk}/zip/").status_code == 200
    assert export.expires_at - export.finished_at == timedelta(days=30)
    later = export.expires_at + timedelta(minutes=1)
    assert exports.available(export, now=later - timedelta(minutes=2))
    assert not exports.available(export, now=later)
    # 30 days on: the page no longer offers it, the download is a 404, the night deletes it.
    ReversibilityExport.objects.filter(pk=export.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    assert "n'est plus disponible" in page_text(client.get(f"/fin-adhesion/exports/{export.pk}/"))
    assert client.get(f"/fin-adhesion/exports/{export.pk}/zip/").status_code == 404
    assert exports.exports_expire() == 1
    export.refresh_from_db()
    assert not export.zip_file


def test_one_export_at_a_time_and_its_progress_polled(demo, tenant, staff_admin):
    queued = exports.export_request(collectivite=tenant, requested_by=None)
    client = sign_in(Client(HTTP_HOST=host_of(None)), staff_admin)
    fragment = client.get(f"/fin-adhesion/exports/{queued.pk}/", headers={"HX-Request": "true"})
    assert f'hx-get="/fin-adhesion/exports/{queued.pk}/" hx-trigger="every 2s"' in (
        fragment.content.decode()
    )
    with pytest.raises(ValidationError) as refused:
        exports.export_request(collectivite=tenant, requested_by=None)
    assert refused.value.messages == ["Un export de cette collectivité est déjà en préparation."]
