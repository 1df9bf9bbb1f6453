"""The import of a syndicate's existing members (issue 10), with generated files of 200
collectivités: the dry run reports every error by file, line and column and writes nothing;
a valid file is imported whole (schemas, invitations with roles, subscriptions with their
contract years, engagement numbers, audit log); a file with one bad line imports nothing;
a conflict that appears between the check and the import leaves nothing either."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from openpyxl import Workbook, load_workbook

from contracts.models import ContractYear, Subscription
from onboarding import files, services
from onboarding.models import ImportBatch
from portal import services as portal_services
from portal.models import AuditEvent, Collectivite, Invitation
from tests.conftest import host_of, sign_in
from tests.factories import valid_siret
from tests.factories.catalogue import build_catalogue

TODAY = date(2026, 11, 23)
N = 200


def _siret(i: int) -> str:
    return valid_siret(7_000_000 + i)


def _collectivites(n: int = N) -> list[list[str]]:
    rows = [["nom", "identifiant", "nature", "siret", "population", "agents", "code_postal"]]
    for i in range(1, n + 1):
        rows.append(
            [
                f"Commune n° {i}",
                f"reprise-{i:03d}",
                "commune",
                _siret(i),
                str(100 + i),
                "3",
                "50000",
            ]
        )
    return rows


def _people(n: int = N) -> list[list[str]]:
    rows = [["siret_collectivite", "courriel", "nom", "roles"]]
    for i in range(1, n + 1):
        rows.append(
            [
                _siret(i),
                f"mairie{i}@reprise.fr",
                f"Maire {i}",
                "administrateur fonctionnel; signataire",
            ]
        )
    rows.append([_siret(1), "agent1@reprise.fr", "Agent Un", "agent"])
    return rows


def _subscriptions(n: int = N) -> list[list[str]]:
    rows = [["siret_collectivite", "offre", "quantite", "date_activation", "numero_engagement"]]
    for i in range(1, n + 1):
        rows.append([_siret(i), "mail", "4", "17/03/2025", f"ENG-{i:03d}"])
    return rows


def _csv(rows) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def _xlsx(rows) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.fixture
def catalogue(db):
    return build_catalogue()


def _check(**files_by_kind) -> ImportBatch:
    return services.import_batch_create(uploads=files_by_kind, created_by=None, today=TODAY)


def test_the_dry_run_lists_every_error_by_line_and_column_and_writes_nothing(catalogue, tenant):
    collectivites = _collectivites()
    collectivites[5][3] = "12345678901234"  # line 6: bad SIRET key
    collectivites[10][1] = "reprise-001"  # line 11: slug already on line 2
    collectivites[20][2] = "village"  # line 21: unknown nature
    collectivites[30][4] = "beaucoup"  # line 31: population
    people = _people()
    people[40][1] = "pas-une-adresse"  # line 41
    people[50][3] = "maire"  # line 51: unknown role
    subscriptions = _subscriptions()
    subscriptions[60][2] = "0"  # line 61: quantity
    subscriptions[70][3] = "31/02/2025"  # line 71: date
    subscriptions[80][1] = "inconnue"  # line 81: offer
    subscriptions[90][0] = tenant.siret  # line 91: existing collectivité: accepted
    before = (
        Collectivite.objects.count(),
        Invitation.objects.count(),
        Subscription.objects.count(),
    )
    batch = _check(
        collectivites=("collectivites.csv", _csv(collectivites)),
        personnes=("personnes.xlsx", _xlsx(people)),
        abonnements=("abonnements.csv", _csv(subscriptions)),
    )
    found = [(e["file"], e["line"], e["column"], e["message"]) for e in batch.errors]
    assert found == [
        (
            "collectivites",
            6,
            "siret",
            "Ce SIRET n'est pas valide : la clé de contrôle (Luhn) ne correspond pas.",
        ),
        ("collectivites", 11, "identifiant", "identifiant déjà utilisé ligne 2."),
        (
            "collectivites",
            21,
            "nature",
            "nature inconnue « village » (commune, epci, etablissement_public, budget_annexe).",
        ),
        ("collectivites", 31, "population", "« beaucoup » n'est pas un nombre entier positif."),
        ("collectivites", 41, "siret", services.NO_ADMIN),
        ("collectivites", 51, "siret", services.NO_ADMIN),
        ("personnes", 6, "siret_collectivite", services.UNKNOWN_COLLECTIVITE),
        ("personnes", 11, "siret_collectivite", services.UNKNOWN_COLLECTIVITE),
        ("personnes", 21, "siret_collectivite", services.UNKNOWN_COLLECTIVITE),
        ("personnes", 31, "siret_collectivite", services.UNKNOWN_COLLECTIVITE),
        ("personnes", 41, "courriel", "Saisissez une adresse électronique valide."),
        (
            "personnes",
            51,
            "roles",
            "rôle inconnu « maire » (agent, administrateur fonctionnel, signataire, référent visio).",
        ),
        ("abonnements", 6, "siret_collectivite", services.UNKNOWN_COLLECTIVITE),
        ("abonnements", 11, "siret_collectivite", services.UNKNOWN_COLLECTIVITE),
        ("abonnements", 21, "siret_collectivite", services.UNKNOWN_COLLECTIVITE),
        ("abonnements", 31, "siret_collectivite", services.UNKNOWN_COLLECTIVITE),
        (
            "abonnements",
            61,
            "quantite",
            "« 0 » n'est pas une quantité positive (par exemple 12 ou 2,5).",
        ),
        ("abonnements", 71, "date_activation", "« 31/02/2025 » n'est pas une date JJ/MM/AAAA."),
        (
            "abonnements",
            81,
            "offre",
            "aucune offre annuelle du catalogue n'a le code « inconnue ».",
        ),
    ]
    assert before == (
        Collectivite.objects.count(),
        Invitation.objects.count(),
        Subscription.objects.count(),
    )
    with pytest.raises(ValidationError) as error:
        services.import_batch_queue(batch=batch)
    assert error.value.messages == [services.HAS_ERRORS]


def test_a_bad_header_is_reported_and_a_file_with_one_bad_line_imports_nothing(catalogue):
    bad_header = _check(collectivites=("c.csv", _csv([["nom", "ident", "nature", "siret"]])))
    assert [(e["line"], e["column"]) for e in bad_header.errors] == [
        (1, "ident"),
        (1, "identifiant"),
    ]
    people = _people()
    people[150][1] = "maire150@@reprise.fr"  # line 151
    batch = _check(
        collectivites=("c.csv", _csv(_collectivites())),
        personnes=("p.csv", _csv(people)),
        abonnements=("a.csv", _csv(_subscriptions())),
    )
    assert [(e["file"], e["line"], e["column"]) for e in batch.errors] == [
        ("collectivites", 151, "siret"),  # without its administrator
        ("personnes", 151, "courriel"),
    ]
    with pytest.raises(ValidationError):
        services.import_batch_queue(batch=batch)
    assert not Collectivite.objects.filter(slug__startswith="reprise-").exists()


def test_a_conflict_after_the_check_imports_nothing(catalogue, django_capture_on_commit_callbacks):
    batch = _check(
        collectivites=("c.csv", _csv(_collectivites(3))),
        personnes=("p.csv", _csv(_people(3))),
    )
    assert batch.errors == []
    # meanwhile, someone creates the third collectivité by hand
    portal_services.collectivite_create(
        data=portal_services.CollectiviteInput(
            name="Commune n° 3", slug="reprise-003", kind="commune", siret=_siret(3)
        ),
        admin_email="x@reprise.fr",
        created_by=None,
    )
    with time_machine.travel(TODAY, tick=False), django_capture_on_commit_callbacks(execute=True):
        services.import_batch_queue(batch=batch)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.FAILED
    assert {(e["line"], e["column"]) for e in batch.errors} == {(4, "identifiant"), (4, "siret")}
    assert not Collectivite.objects.filter(slug__in=["reprise-001", "reprise-002"]).exists()


@pytest.fixture
def committed(django_db_setup, django_db_blocker):
    """Real commits, as in production: the import makes each schema in its own transaction
    (two hundred in one would exhaust PostgreSQL's lock table). What the test made is removed
    afterwards (the audit log's append-only trigger is lifted for that cleanup only)."""
    from django.db import connection, transaction

    from catalogue.models import Offer, ServiceFamily

    with django_db_blocker.unblock():
        family = ServiceFamily.objects.create(code="reprise-famille", name="Reprise")
        Offer.objects.create(
            family=family,
            code="reprise-mail",
            name="Messagerie reprise",
            system="bluemind",
            billing_unit="account_year",
        )
        try:
            yield
        finally:
            imported = list(Collectivite.objects.filter(slug__startswith="reprise-"))
            with connection.cursor() as cursor:
                for c in imported:
                    cursor.execute(f'DROP SCHEMA IF EXISTS "{c.schema_name}" CASCADE')
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    "ALTER TABLE portal_auditevent DISABLE TRIGGER portal_auditevent_append_only"
                )
                AuditEvent.objects.filter(collectivite__in=imported).delete()
                AuditEvent.objects.filter(object_type="onboarding.importbatch").delete()
                cursor.execute(
                    "ALTER TABLE portal_auditevent ENABLE TRIGGER portal_auditevent_append_only"
                )
                ContractYear.objects.filter(subscription__collectivite__in=imported).delete()
                Subscription.objects.filter(collectivite__in=imported).delete()
                Invitation.objects.filter(collectivite__in=imported).delete()
                Collectivite.objects.filter(pk__in=[c.pk for c in imported]).delete()
                ImportBatch.objects.all().delete()
                Offer.objects.filter(code="reprise-mail").delete()
                family.delete()


def test_a_valid_file_of_200_collectivites_is_imported_whole(committed):
    subscriptions = _subscriptions()
    for row in subscriptions[1:]:
        row[1] = "reprise-mail"
    batch = _check(
        collectivites=("collectivites.xlsx", _xlsx(_collectivites())),
        personnes=("personnes.csv", _csv(_people())),
        abonnements=("abonnements.csv", _csv(subscriptions)),
    )
    assert batch.errors == []
    with time_machine.travel(TODAY, tick=False):
        services.import_batch_queue(batch=batch)  # committed: the task runs (eager)
    batch.refresh_from_db()
    assert (batch.status, batch.errors) == (ImportBatch.Status.DONE, [])
    assert batch.result == {"collectivites": 200, "personnes": 201, "abonnements": 200}
    imported = Collectivite.objects.filter(slug__startswith="reprise-")
    assert imported.count() == 200
    first = imported.get(slug="reprise-001")
    assert (first.siret, first.population, first.strate) == (_siret(1), 101, "moins-250")
    assert sorted(
        Invitation.objects.filter(collectivite=first).values_list("email", flat=True)
    ) == [
        "agent1@reprise.fr",
        "mairie1@reprise.fr",
    ]
    assert Invitation.objects.get(email="mairie1@reprise.fr").roles == [
        "functional_admin",
        "signatory",
    ]
    subscription = Subscription.objects.get(collectivite=first)
    assert (subscription.quantity, subscription.activated_on, subscription.engagement_number) == (
        4,
        date(2025, 3, 17),
        "ENG-001",
    )
    assert list(
        ContractYear.objects.filter(subscription=subscription).values_list("start", "end")
    ) == [(date(2025, 3, 1), date(2026, 3, 1)), (date(2026, 3, 1), date(2027, 3, 1))]
    assert len([m for m in mail.outbox if "@reprise.fr" in m.to[0]]) == 201
    assert AuditEvent.objects.filter(action="import.done", object_id=str(batch.pk)).count() == 1
    assert (
        AuditEvent.objects.filter(action="collectivite.created", collectivite__in=imported).count()
        == 200
    )
    # every schema is there, a copy of the template
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM information_schema.schemata WHERE schema_name LIKE 'c_reprise_%%'"
        )
        assert cursor.fetchone()[0] == 200
    # a batch runs once
    with pytest.raises(ValidationError) as error:
        services.import_batch_queue(batch=batch)
    assert error.value.messages == [services.NOT_CHECKED]


def test_the_back_office_checks_and_imports_through_its_pages(
    catalogue, staff_admin, django_capture_on_commit_callbacks, audit_floor
):
    site = sign_in(Client(HTTP_HOST=host_of(None)), staff_admin)
    page = site.get("/reprise/").content.decode()
    assert 'href="/reprise/modeles/collectivites.xlsx"' in page
    assert 'href="/reprise/"' in page  # in the navigation
    subscriptions = _subscriptions(3)
    for row in subscriptions[1:]:
        row[3] = "17/03/2026"  # the test catalogue's schedule starts in 2026
    response = site.post(
        "/reprise/",
        {
            "collectivites": _upload("collectivites.xlsx", _xlsx(_collectivites(3))),
            "personnes": _upload("personnes.csv", _csv(_people(3))),
            "abonnements": _upload("abonnements.csv", _csv(subscriptions)),
        },
    )
    batch = ImportBatch.objects.get()
    assert response["Location"] == f"/reprise/{batch.pk}/"
    assert "Les fichiers sont valides" in site.get(f"/reprise/{batch.pk}/").content.decode()
    with time_machine.travel(TODAY, tick=False), django_capture_on_commit_callbacks(execute=True):
        site.post(f"/reprise/{batch.pk}/importer/")
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DONE
    first = Collectivite.objects.get(slug="reprise-001")
    # the engagement number reaches the invoice line (B9)
    from billing.selectors import due_items

    assert {item.po_number for item in due_items(collectivite=first, as_of=TODAY)} == {"ENG-001"}
    assert AuditEvent.objects.filter(id__gt=audit_floor, action="import.done").count() == 1
    response = site.post(f"/reprise/{batch.pk}/importer/", follow=True)
    assert services.NOT_CHECKED in response.content.decode()
    # a finance member does not reach the page
    from django.contrib.auth.models import Group

    staff_admin.groups.set([Group.objects.get(name="Finances du syndicat")])
    assert sign_in(Client(HTTP_HOST=host_of(None)), staff_admin).get("/reprise/").status_code == 404


def _upload(name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


@pytest.mark.parametrize("kind", ["collectivites", "personnes", "abonnements"])
def test_the_templates_are_read_back_without_errors_of_header(db, staff_admin, kind):
    site = sign_in(Client(HTTP_HOST=host_of(None)), staff_admin)
    for extension in ("csv", "xlsx"):
        response = site.get(f"/reprise/modeles/{kind}.{extension}")
        assert response.status_code == 200
        sheet = files.read(kind, f"modele.{extension}", response.content)
        assert sheet.errors == []
        assert len(sheet.rows) == 1
    workbook = load_workbook(io.BytesIO(site.get(f"/reprise/modeles/{kind}.xlsx").content))
    assert workbook.active.cell(1, 1).comment.text.startswith("obligatoire")
