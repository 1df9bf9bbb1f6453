"""A year's invoices and credit notes for the finance software and the archive (B5, B6).

One row per invoice or credit note issued in the calendar year (its number's year), with
what the finance software needs to make a *titre de recette* — or, for a credit note, the
reduction of the invoice's titre: the document's number and kind, its dates, the buyer as
it was on the issue date (name, SIRET, address, service code), the engagement or
purchase-order number, what it is for and the period it covers, the amounts before tax per
VAT rate and the VAT per rate, the totals, the exemption mention, the invoice a credit note
reduces, and where the invoice's payment stands today.

Three files, named `factures-<year>.csv|xlsx|zip`:

- CSV for the finance software's import: UTF-8 with a byte-order mark, `;` as separator,
  CRLF line ends, decimal comma without thousands separator (`1234,50`), dates as
  `JJ/MM/AAAA` — what French finance software and a French spreadsheet expect; the first
  line holds the column titles, nothing else comes before the rows;
- XLSX for people: the same columns, with typed cells (dates are dates, amounts are numbers
  shown with two decimals, the SIRET stays text);
- ZIP of the PDFs (each with its Factur-X XML), `<number>.pdf`; an invoice whose PDF is
  missing is rendered (and stored) on the way.

Amounts are positive for invoices and credit notes alike, as the documents print them: the
"Type" column tells a credit note (*avoir*) from an invoice (*facture*). The VAT columns are
always those of the French rates (20 %, 10 %, 5,5 %, 2,1 %) plus the amount outside the
scope of VAT, so that an import mapping never changes from a year to the next; a line at
any other rate adds its two columns after them. Rows run in issue-date order, invoices
before credit notes on the same day, then by number.

The payment state (`domain.payment_status`) is the invoice's on the day of the export: paid, partly
paid, unpaid, or cancelled by credit notes before any payment. A credit note has none.
"""

from __future__ import annotations

import csv
import io
import logging
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone

from billing import domain, selectors
from billing.models import CreditNote, CreditNoteLine, ExportJob, Invoice
from portal import spreadsheets
from portal.outbox import outbox_send

logger = logging.getLogger(__name__)

Progress = Callable[[int], None]

KIND_INVOICE = "facture"
KIND_CREDIT_NOTE = "avoir"

# The payment words are the domain's, the same on every door (`domain.PAYMENT_STATUS_LABELS`).
PAID, PARTLY_PAID, UNPAID, CREDITED = (
    domain.PaymentStatus.PAID,
    domain.PaymentStatus.PARTLY_PAID,
    domain.PaymentStatus.UNPAID,
    domain.PaymentStatus.CREDITED,
)
STATUS_LABELS = domain.PAYMENT_STATUS_LABELS

# The French VAT rates: always given their columns, whether used or not.
STANDARD_RATES = (Decimal("0.2"), Decimal("0.1"), Decimal("0.055"), Decimal("0.021"))

FIRST_YEAR = 2000
YEAR_INVALID = "Année invalide : indiquez une année entre {first} et {last}."
UNEXPECTED = "Erreur inattendue pendant l'export ({kind}) : {message}"
RENDER_FAILED = "Le PDF de la pièce {number} n'a pas pu être produit : {message}"

# Share of the progress bar: rows and spreadsheets first, then one step per PDF.
_ROWS_DONE = 5
_SHEETS_DONE = 10


def file_names(year: int) -> dict[str, str]:
    return {kind: f"factures-{year}.{kind}" for kind in ("csv", "xlsx", "zip")}


def year_check(year: int, *, today: date | None = None) -> int:
    """A year that can be exported: from 2000 to the current one."""
    last = (today or timezone.localdate()).year
    if not FIRST_YEAR <= year <= last:
        raise ValidationError({"year": YEAR_INVALID.format(first=FIRST_YEAR, last=last)})
    return year


# --- Rows ------------------------------------------------------------------------------------


@dataclass
class Row:
    kind: str
    number: str
    issue_date: date
    due_date: date | None
    invoice_number: str
    collectivite: str
    siret: str
    address: str
    postcode: str
    city: str
    service_code: str
    po_number: str
    subject: str
    period_start: date | None
    period_end: date | None  # the last day covered (inclusive), as people read it
    base_outside_vat: Decimal
    by_rate: dict[Decimal, tuple[Decimal, Decimal]]  # rate → (base, VAT)
    total_ht: Decimal
    total_vat: Decimal
    total_ttc: Decimal
    vat_exemption: str
    status: str | None = None  # invoices only
    amount_paid: Decimal | None = None
    amount_credited: Decimal | None = None
    balance: Decimal | None = None
    sort_key: tuple = field(default=(), repr=False)


def _vat(lines: list[tuple[Decimal, Decimal | None, str]]):
    """(net, rate, mention) per line → base outside VAT, {rate: (base, VAT)} and the
    mentions, VAT rounded half-up at the line as the stored totals are (`billing.services`)."""
    outside = Decimal("0.00")
    by_rate: dict[Decimal, tuple[Decimal, Decimal]] = {}
    mentions: list[str] = []
    for amount, rate, mention in lines:
        if rate is None:
            outside += amount
            if mention and mention not in mentions:
                mentions.append(mention)
        else:
            key = rate.normalize()
            base, vat = by_rate.get(key, (Decimal("0.00"), Decimal("0.00")))
            by_rate[key] = (base + amount, vat + domain.money(amount * rate))
    return outside, by_rate, mentions


def _subject(labels) -> str:
    unique: list[str] = []
    for label in labels:
        if label not in unique:
            unique.append(label)
    return " / ".join(unique)


def _period(spans: list[tuple[date | None, date | None]]) -> tuple[date | None, date | None]:
    """(first day, exclusive end or None for a one-day delivery) → first and last day covered."""
    starts = [start for start, _ in spans if start is not None]
    lasts = [
        end - timedelta(days=1) if end is not None else start
        for start, end in spans
        if start is not None
    ]
    return (min(starts), max(lasts)) if starts else (None, None)


def _buyer_fields(invoice: Invoice) -> dict[str, str]:
    buyer = invoice.buyer or {}
    return {
        "collectivite": buyer.get("name") or invoice.collectivite.name,
        "siret": buyer.get("siret") or invoice.collectivite.siret,
        "address": buyer.get("address", ""),
        "postcode": buyer.get("postcode", ""),
        "city": buyer.get("city", ""),
        "service_code": invoice.service_code or buyer.get("service_code", ""),
        "po_number": invoice.po_number,
    }


def _invoice_row(invoice: Invoice) -> Row:
    lines = list(invoice.lines.all())
    outside, by_rate, mentions = _vat([(x.amount, x.vat_rate, x.vat_exemption) for x in lines])
    state = selectors.invoice_payment_state(invoice, today=timezone.localdate())
    paid, credited = state.paid, state.credited
    start, end = _period([(x.period_start, x.period_end) for x in lines])
    return Row(
        kind=KIND_INVOICE,
        number=invoice.number,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        invoice_number="",
        subject=_subject(x.label for x in lines),
        period_start=start,
        period_end=end,
        base_outside_vat=outside,
        by_rate=by_rate,
        total_ht=invoice.total_ht,
        total_vat=invoice.total_vat,
        total_ttc=invoice.total_ttc,
        vat_exemption=" / ".join(mentions),
        status=state.status,
        amount_paid=paid,
        amount_credited=credited,
        balance=state.balance,
        sort_key=(invoice.issue_date, 0, invoice.number),
        **_buyer_fields(invoice),
    )


def _credited_span(line: CreditNoteLine) -> tuple[date | None, date | None]:
    """The period a credit line gives back: the last `months` months of its invoice line
    (the months not used after a termination), else the whole line's period."""
    from contracts.rules import add_months

    source = line.invoice_line
    if line.months and source.period_end is not None:
        return add_months(source.period_end, -line.months), source.period_end
    return source.period_start, source.period_end


def _credit_note_row(note: CreditNote) -> Row:
    lines = list(note.lines.all())
    outside, by_rate, mentions = _vat(
        [(x.amount, x.invoice_line.vat_rate, x.invoice_line.vat_exemption) for x in lines]
    )
    start, end = _period([_credited_span(x) for x in lines])
    return Row(
        kind=KIND_CREDIT_NOTE,
        number=note.number,
        issue_date=note.issue_date,
        due_date=None,
        invoice_number=note.invoice.number,
        subject=note.reason,
        period_start=start,
        period_end=end,
        base_outside_vat=outside,
        by_rate=by_rate,
        total_ht=note.total_ht,
        total_vat=note.total_vat,
        total_ttc=note.total_ttc,
        vat_exemption=" / ".join(mentions),
        sort_key=(note.issue_date, 1, note.number),
        **_buyer_fields(note.invoice),
    )


def _invoices(year: int):
    return (
        selectors.invoice_list(
            filters=selectors.InvoiceFilters(year=year), today=timezone.localdate()
        )
        .prefetch_related("lines")
        .order_by("number")
    )


def _credit_notes(year: int):
    return (
        CreditNote.objects.filter(year=year)
        .select_related("invoice__collectivite")
        .prefetch_related(
            Prefetch("lines", queryset=CreditNoteLine.objects.select_related("invoice_line"))
        )
        .order_by("number")
    )


def rows(year: int) -> list[Row]:
    """Every invoice and credit note of `year`, in issue-date order."""
    found = [_invoice_row(i) for i in _invoices(year)] + [
        _credit_note_row(n) for n in _credit_notes(year)
    ]
    return sorted(found, key=lambda row: row.sort_key)


# --- Columns ---------------------------------------------------------------------------------

TEXT, DATE, MONEY = "text", "date", "money"


@dataclass(frozen=True)
class Column:
    title: str
    kind: str
    value: Callable[[Row], object]
    width: int = 14


def _rate_label(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f}".replace(".", ",") + " %"


_NOTHING = (Decimal("0.00"), Decimal("0.00"))


def _rate_columns(rate: Decimal) -> list[Column]:
    label = _rate_label(rate)
    return [
        Column(f"HT TVA {label}", MONEY, lambda r: r.by_rate.get(rate, _NOTHING)[0]),
        Column(f"TVA {label}", MONEY, lambda r: r.by_rate.get(rate, _NOTHING)[1]),
    ]


def columns(found: list[Row]) -> list[Column]:
    """The columns, in order: the standard VAT rates always, any other rate met after."""
    others = sorted({rate for row in found for rate in row.by_rate} - set(STANDARD_RATES))
    vat_columns = [Column("HT hors champ de la TVA", MONEY, lambda r: r.base_outside_vat)]
    for rate in (*STANDARD_RATES, *others):
        vat_columns += _rate_columns(rate)
    return [
        Column("Type", TEXT, lambda r: r.kind, 9),
        Column("Numéro", TEXT, lambda r: r.number, 16),
        Column("Date d'émission", DATE, lambda r: r.issue_date, 12),
        Column("Date d'échéance", DATE, lambda r: r.due_date, 12),
        Column("Facture d'origine", TEXT, lambda r: r.invoice_number, 16),
        Column("Collectivité", TEXT, lambda r: r.collectivite, 30),
        Column("SIRET", TEXT, lambda r: r.siret, 16),
        Column("Adresse", TEXT, lambda r: r.address, 30),
        Column("Code postal", TEXT, lambda r: r.postcode, 8),
        Column("Commune", TEXT, lambda r: r.city, 20),
        Column("Code service", TEXT, lambda r: r.service_code, 14),
        Column("Engagement ou bon de commande", TEXT, lambda r: r.po_number, 18),
        Column("Objet", TEXT, lambda r: r.subject, 40),
        Column("Période du", DATE, lambda r: r.period_start, 12),
        Column("Période au", DATE, lambda r: r.period_end, 12),
        *vat_columns,
        Column("Total HT", MONEY, lambda r: r.total_ht),
        Column("Total TVA", MONEY, lambda r: r.total_vat),
        Column("Total TTC", MONEY, lambda r: r.total_ttc),
        Column("Mention d'exonération de TVA", TEXT, lambda r: r.vat_exemption, 36),
        Column(
            "État du paiement",
            TEXT,
            lambda r: STATUS_LABELS[r.status] if r.status else "",
            18,
        ),
        Column("Montant payé", MONEY, lambda r: r.amount_paid),
        Column("Montant des avoirs", MONEY, lambda r: r.amount_credited),
        Column("Reste dû", MONEY, lambda r: r.balance),
    ]


# --- Files -----------------------------------------------------------------------------------


def _csv_text(column: Column, row: Row) -> str:
    value = column.value(row)
    if value is None:
        return ""
    if column.kind == DATE:
        return value.strftime("%d/%m/%Y")
    if column.kind == MONEY:
        return f"{domain.money(value):f}".replace(".", ",")
    return spreadsheets.csv_text(str(value))


def rows_csv(found: list[Row]) -> bytes:
    """UTF-8 with BOM, `;`, CRLF, decimal comma, dates JJ/MM/AAAA (see the module)."""
    cols = columns(found)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(c.title for c in cols)
    for row in found:
        writer.writerow(_csv_text(c, row) for c in cols)
    return buffer.getvalue().encode("utf-8-sig")


DATE_FORMAT = "DD/MM/YYYY"
MONEY_FORMAT = "#,##0.00"


def rows_xlsx(found: list[Row], year: int) -> bytes:
    """The same columns as the CSV, typed: dates, amounts with two decimals, text."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    cols = columns(found)
    book = Workbook()
    sheet = book.active
    sheet.title = f"Factures {year}"
    book.properties.title = f"Factures et avoirs {year}"
    book.properties.creator = "Portail du syndicat"
    sheet.append([c.title for c in cols])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for index, row in enumerate(found, start=2):
        for number, column in enumerate(cols, start=1):
            value = column.value(row)
            cell = sheet.cell(row=index, column=number)
            if value is None or value == "":
                continue
            if column.kind == MONEY:
                cell.value = domain.money(value)
                cell.number_format = MONEY_FORMAT
            elif column.kind == DATE:
                cell.value = value
                cell.number_format = DATE_FORMAT
            else:
                spreadsheets.xlsx_text(cell, str(value))
    for number, column in enumerate(cols, start=1):
        sheet.column_dimensions[get_column_letter(number)].width = column.width
    sheet.freeze_panes = "C2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(cols))}{max(1, len(found) + 1)}"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _stored(file) -> bytes | None:
    if not file or not file.name:
        return None
    try:
        with file.open("rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def invoice_pdf_bytes(invoice: Invoice) -> bytes:
    """The stored PDF, rendered (and stored) first when missing."""
    from billing import services

    data = _stored(invoice.pdf)
    if data is None:
        services.invoice_render(invoice)
        data = _stored(invoice.pdf)
    return data


def credit_note_pdf_bytes(note: CreditNote) -> bytes:
    """The stored PDF, rendered (and stored) first when missing."""
    from billing import services

    data = _stored(note.pdf)
    if data is None:
        services.credit_note_render(note)
        data = _stored(note.pdf)
    return data


def stored_pdf(document: Invoice | CreditNote) -> bytes | None:
    """The stored PDF of an invoice or a credit note, None when it is not (yet) there."""
    return _stored(document.pdf)


def _zip_member(name: str, day: date) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(day.year, day.month, day.day, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def pdfs_zip(found: list[Row], year: int, progress: Progress | None = None) -> bytes:
    """The PDFs of `found`, `<number>.pdf`, in the rows' order; progress from 10 to 100."""
    invoices = {i.number: i for i in _invoices(year)} if found else {}
    notes = {n.number: n for n in _credit_notes(year)} if found else {}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for done, row in enumerate(found, start=1):
            try:
                if row.kind == KIND_INVOICE:
                    data = invoice_pdf_bytes(invoices[row.number])
                else:
                    data = credit_note_pdf_bytes(notes[row.number])
            except Exception as exc:
                raise ExportError(RENDER_FAILED.format(number=row.number, message=exc)) from exc
            archive.writestr(_zip_member(f"{row.number}.pdf", row.issue_date), data)
            if progress is not None:
                progress(_SHEETS_DONE + (100 - _SHEETS_DONE) * done // len(found))
    return buffer.getvalue()


class ExportError(Exception):
    """An export that cannot be finished; the message is French and meant for finance."""


def export_year(*, year: int, progress: Progress | None = None) -> tuple[bytes, bytes, bytes]:
    """The year's CSV, XLSX and ZIP of PDFs (see the module for their formats).

    `progress(percent)` is called as the work goes, from 0 to 100, the PDFs taking most of
    it; it is called again only when the percentage changes."""
    last = -1

    def report(percent: int) -> None:
        nonlocal last
        if progress is not None and percent != last:
            last = percent
            progress(percent)

    report(0)
    found = rows(year)
    report(_ROWS_DONE)
    csv_data = rows_csv(found)
    xlsx_data = rows_xlsx(found, year)
    report(_SHEETS_DONE)
    zip_data = pdfs_zip(found, year, report)
    report(100)
    return csv_data, xlsx_data, zip_data


@dataclass(frozen=True)
class Summary:
    invoices: int
    credit_notes: int
    invoiced_ttc: Decimal
    credited_ttc: Decimal


def summary(year: int) -> Summary:
    from django.db.models import Count, Sum

    invoices = Invoice.objects.filter(year=year).aggregate(n=Count("id"), total=Sum("total_ttc"))
    notes = CreditNote.objects.filter(year=year).aggregate(n=Count("id"), total=Sum("total_ttc"))
    return Summary(
        invoices=invoices["n"],
        credit_notes=notes["n"],
        invoiced_ttc=invoices["total"] or Decimal("0.00"),
        credited_ttc=notes["total"] or Decimal("0.00"),
    )


# --- Jobs ------------------------------------------------------------------------------------


@transaction.atomic
def export_start(*, year: int, requested_by) -> ExportJob:
    """Queue the export of `year`; the files are built by `billing.tasks.export_year_task`."""

    year_check(year)
    job = ExportJob.objects.create(year=year, requested_by=requested_by)
    outbox_send("billing.tasks.export_year_task", job.pk)
    return job


def _replace(job: ExportJob, field_name: str, filename: str, data: bytes) -> str:
    """Store `data` as the job's file, replacing what an earlier run left (same name)."""
    from billing.models import export_upload_to

    file = getattr(job, field_name)
    if file.name:
        file.storage.delete(file.name)
    file.storage.delete(export_upload_to(job, filename))
    file.save(filename, ContentFile(data), save=False)
    return file.name


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    if isinstance(exc, ExportError):
        return str(exc)
    return UNEXPECTED.format(kind=type(exc).__name__, message=exc)


def export_job_run(job_id: int) -> ExportJob:
    """Build the job's three files, its progress updated as it goes; running it again
    rebuilds and replaces them. A failure is recorded on the job with its reason."""
    job = ExportJob.objects.get(pk=job_id)
    jobs = ExportJob.objects.filter(pk=job.pk)
    jobs.update(status=ExportJob.Status.RUNNING, progress=0, error="", finished_at=None)

    def progress(percent: int) -> None:
        # 100 only once the files are stored
        jobs.update(progress=max(0, min(99, percent)))

    try:
        csv_data, xlsx_data, zip_data = export_year(year=job.year, progress=progress)
        names = file_names(job.year)
        stored = {
            "csv_file": _replace(job, "csv_file", names["csv"], csv_data),
            "xlsx_file": _replace(job, "xlsx_file", names["xlsx"], xlsx_data),
            "zip_file": _replace(job, "zip_file", names["zip"], zip_data),
        }
    except Exception as exc:
        logger.exception("Export des factures %s (tâche %s) en échec", job.year, job.pk)
        jobs.update(status=ExportJob.Status.FAILED, error=_message(exc), finished_at=timezone.now())
    else:
        jobs.update(
            status=ExportJob.Status.DONE, progress=100, finished_at=timezone.now(), **stored
        )
    job.refresh_from_db()
    return job
