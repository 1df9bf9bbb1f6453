"""Billing in the JSON API (/api/v1/): invoices (list, detail, PDF, Factur-X XML), credit
notes, payments, billing runs and the year's exports.

Reads are open to every member of the syndicate's staff; writes — credit notes, payments,
runs — and the documents themselves — PDFs, XML, exports — to its finance staff only (PDFs
are served only to finance and to the invoice's own collectivité, on its site).

The router is mounted by `portal.api`, which owns authentication and turns errors into French
JSON: `Http404` → 404, `HttpError` → its status with `detail`, a `ValidationError` of the
services → 422 with `detail` and the field `errors`.

Money is a string with two decimals ("1234.50"); quantities and VAT rates are decimal strings
without trailing zeros ("5", "0.2"); dates are ISO (YYYY-MM-DD). Period ends are exclusive (the
first day no longer covered), as in DESIGN §4; `last_covered_day` gives the last day covered.
"""

# No `from __future__ import annotations`: ninja reads the annotations of the endpoints
# wrapped by `paginate` in the globals of ninja.pagination (see contracts.api).

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from pathlib import PurePosixPath
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import DecimalField, Sum, Value
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from billing import domain, exports, selectors, services
from billing.models import (
    BillingRun,
    CreditNote,
    ExportJob,
    Invoice,
    InvoiceLine,
    Payment,
)
from portal.access import is_syndicate_finance, is_syndicate_staff
from portal.api_common import (
    ERRORS,
    WRITE_ERRORS,
    BoundedPagination,
    ErrorOut,
    InvalidOut,
    _require,
)
from portal.api_common import Page as _Page
from portal.api_common import email_of as _email
from portal.api_common import last_day as _last_day
from portal.api_common import money_out as _money
from portal.api_common import number_out as _number

router = Router()

LINE_NOT_IN_INVOICE = "Cette ligne n'appartient pas à cette facture."
LINE_TWICE = "Cette ligne figure deux fois."
LINE_FULLY_CREDITED = "Cette ligne est déjà entièrement créditée."
AMOUNT_NOT_POSITIVE = "Le montant doit être positif."
RUN_IN_FUTURE = domain.RUN_IN_FUTURE  # the run's date checks are the service's
RUN_BEFORE_LAST_INVOICE = domain.RUN_BEFORE_LAST_INVOICE
PDF_PENDING = "Le PDF de la pièce {number} est en préparation : réessayez dans quelques instants."
FILE_NOT_READY = "Fichier indisponible : l'export n'est pas terminé."
EXPORT_KINDS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "zip": "application/zip",
}
PDF_TYPE = "application/pdf"
XML_TYPE = "application/xml"

ZERO = Value(Decimal("0.00"), output_field=DecimalField(max_digits=14, decimal_places=2))


# --- Schemas ---------------------------------------------------------------------------------


class PaymentState(StrEnum):
    """`domain.PaymentStatus`, as the API's filter names it."""

    paid = domain.PaymentStatus.PAID.value
    partly_paid = domain.PaymentStatus.PARTLY_PAID.value
    unpaid = domain.PaymentStatus.UNPAID.value
    credited = domain.PaymentStatus.CREDITED.value


class InvoiceFilters(Schema):
    year: int | None = Field(None, description="Année de la numérotation (d'émission).")
    collectivite: int | None = Field(None, description="Identifiant de la collectivité.")
    status: PaymentState | None = Field(
        None,
        description="Paiement : paid (payée), partly_paid (partiellement payée), unpaid "
        "(non payée), credited (soldée par avoir).",
    )
    overdue: bool | None = Field(
        None, description="true : seulement les factures échues et pas entièrement payées."
    )


class InvoiceOut(Schema):
    id: int
    number: str
    year: int
    collectivite: int
    collectivite_name: str
    siret: str
    service_code: str
    po_number: str
    issue_date: dt.date
    due_date: dt.date
    run: int | None
    total_ht: str
    total_vat: str
    total_ttc: str
    amount_paid: str
    amount_credited: str
    balance: str
    status: str
    status_label: str
    overdue: bool
    pdf_available: bool
    created_at: dt.datetime


class InvoiceLineOut(Schema):
    id: int
    offer: str
    label: str
    period_start: dt.date | None
    period_end: dt.date | None = Field(..., description="Fin de la période (exclue).")
    last_covered_day: dt.date | None
    months: int | None
    quantity: str
    unit_price: str
    free_quantity: str
    amount: str
    vat_rate: str | None
    vat_exemption: str
    creditable: str = Field(..., description="Ce qu'un avoir peut encore créditer.")


class VatOut(Schema):
    rate: str | None
    exemption: str
    base: str
    amount: str


class CreditNoteRefOut(Schema):
    id: int
    number: str
    issue_date: dt.date
    total_ttc: str


class PaymentOut(Schema):
    id: int
    invoice: int
    invoice_number: str
    paid_on: dt.date
    mandate_reference: str
    amount: str
    recorded_by: str | None
    created_at: dt.datetime
    invoice_balance: str
    invoice_status: str


class InvoiceDetailOut(InvoiceOut):
    buyer: dict[str, Any]
    seller: dict[str, Any]
    lines: list[InvoiceLineOut]
    vat: list[VatOut]
    credit_notes: list[CreditNoteRefOut]
    payments: list[PaymentOut]


class CreditNoteLineOut(Schema):
    id: int
    invoice_line: int
    label: str
    months: int | None
    amount: str


class CreditNoteOut(Schema):
    id: int
    number: str
    year: int
    invoice: int
    invoice_number: str
    collectivite: int
    collectivite_name: str
    issue_date: dt.date
    reason: str
    total_ht: str
    total_vat: str
    total_ttc: str
    issued_by: str | None
    pdf_available: bool
    created_at: dt.datetime
    lines: list[CreditNoteLineOut]


class CreditNoteFilters(Schema):
    year: int | None = Field(None, description="Année de la numérotation (d'émission).")
    collectivite: int | None = Field(None, description="Identifiant de la collectivité.")
    invoice: int | None = Field(None, description="Identifiant de la facture créditée.")


class CreditLineIn(Schema):
    line: int = Field(..., description="Identifiant de la ligne de facture.")
    amount: Decimal | None = Field(
        None,
        max_digits=12,
        decimal_places=2,
        description="Montant HT à créditer ; absent : tout ce qui reste sur la ligne.",
    )


class CreditNoteIn(Schema):
    reason: str = Field(..., description="Motif de l'avoir.")
    lines: list[CreditLineIn] = Field(..., description="Lignes créditées et leurs montants.")


class PaymentIn(Schema):
    paid_on: dt.date = Field(..., description="Date du mandat administratif (AAAA-MM-JJ).")
    mandate_reference: str = Field(..., description="Référence du mandat.")
    amount: Decimal = Field(..., max_digits=14, decimal_places=2, description="Montant TTC.")


class FailureOut(Schema):
    collectivite: str = ""
    reason: str = ""


class PreviewOut(Schema):
    collectivite: str = ""
    lines: int = 0
    total_ht: str = "0.00"


class RunInvoiceOut(Schema):
    id: int
    number: str
    collectivite_name: str
    total_ttc: str


class BillingRunOut(Schema):
    id: int
    as_of: dt.date
    dry_run: bool
    status: str
    status_label: str
    progress: int = Field(..., description="Avancement en pourcentage des collectivités.")
    requested_by: str | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    collectivites_total: int
    collectivites_done: int
    invoices_count: int
    total_amount: str
    failures_count: int


class BillingRunDetailOut(BillingRunOut):
    failures: list[FailureOut]
    preview: list[PreviewOut]
    invoices: list[RunInvoiceOut]


class BillingRunIn(Schema):
    as_of: dt.date | None = Field(
        None, description="Date de facturation (AAAA-MM-JJ), date des factures ; défaut : ce jour."
    )
    dry_run: bool = Field(False, description="Aperçu : rien n'est émis.")


class ExportFilesOut(Schema):
    csv: str | None
    xlsx: str | None
    zip: str | None


class ExportOut(Schema):
    id: int
    year: int
    status: str
    status_label: str
    progress: int
    requested_by: str | None
    created_at: dt.datetime
    finished_at: dt.datetime | None
    error: str
    files: ExportFilesOut = Field(..., description="Adresses de téléchargement, une fois prêt.")


class ExportIn(Schema):
    year: int = Field(..., description="Année à exporter.")


# --- Invoices --------------------------------------------------------------------------------


def _invoices():
    return selectors.invoices_with_balance(Invoice.objects.select_related("collectivite"))


def _invoice_out(invoice: Invoice, today: dt.date) -> dict:
    state = selectors.invoice_payment_state(invoice, today=today)
    return {
        "id": invoice.pk,
        "number": invoice.number,
        "year": invoice.year,
        "collectivite": invoice.collectivite_id,
        "collectivite_name": invoice.buyer.get("name") or invoice.collectivite.name,
        "siret": invoice.buyer.get("siret") or invoice.collectivite.siret,
        "service_code": invoice.service_code,
        "po_number": invoice.po_number,
        "issue_date": invoice.issue_date,
        "due_date": invoice.due_date,
        "run": invoice.run_id,
        "total_ht": _money(invoice.total_ht),
        "total_vat": _money(invoice.total_vat),
        "total_ttc": _money(invoice.total_ttc),
        "amount_paid": _money(invoice.paid),
        "amount_credited": _money(invoice.credited),
        "balance": _money(state.balance),
        "status": state.status.value,
        "status_label": state.label,
        "overdue": state.overdue,
        "pdf_available": bool(invoice.pdf),
        "created_at": invoice.created_at,
    }


def _payment_out(payment: Payment, invoice: Invoice) -> dict:
    return {
        "id": payment.pk,
        "invoice": invoice.pk,
        "invoice_number": invoice.number,
        "paid_on": payment.paid_on,
        "mandate_reference": payment.mandate_reference,
        "amount": _money(payment.amount),
        "recorded_by": _email(payment.recorded_by),
        "created_at": payment.created_at,
        "invoice_balance": _money(invoice.balance),
        "invoice_status": selectors.invoice_payment_state(
            invoice, today=timezone.localdate()
        ).status.value,
    }


def _vat_out(lines: list[InvoiceLine]) -> list[dict]:
    outside: dict[str, Decimal] = {}
    by_rate: dict[Decimal, list[Decimal]] = {}
    for line in lines:
        if line.vat_rate is None:
            outside[line.vat_exemption] = (
                outside.get(line.vat_exemption, Decimal("0")) + line.amount
            )
        else:
            base_vat = by_rate.setdefault(line.vat_rate, [Decimal("0"), Decimal("0")])
            base_vat[0] += line.amount
            base_vat[1] += domain.money(line.amount * line.vat_rate)
    return [
        {"rate": _number(rate), "exemption": "", "base": _money(base), "amount": _money(vat)}
        for rate, (base, vat) in sorted(by_rate.items())
    ] + [
        {"rate": None, "exemption": mention, "base": _money(base), "amount": "0.00"}
        for mention, base in outside.items()
    ]


def _invoice_detail(invoice_id: int) -> dict:
    invoice = _invoices().filter(pk=invoice_id).first()
    if invoice is None:
        raise Http404
    lines = list(
        invoice.lines.select_related("offer").annotate(
            credited=Coalesce(Sum("credits__amount"), ZERO)
        )
    )
    return {
        **_invoice_out(invoice, timezone.localdate()),
        "buyer": invoice.buyer,
        "seller": invoice.seller,
        "lines": [
            {
                "id": line.pk,
                "offer": line.offer.code,
                "label": line.label,
                "period_start": line.period_start,
                "period_end": line.period_end,
                "last_covered_day": _last_day(line.period_end),
                "months": line.months,
                "quantity": _number(line.quantity),
                "unit_price": _money(line.unit_price),
                "free_quantity": _number(line.free_quantity),
                "amount": _money(line.amount),
                "vat_rate": _number(line.vat_rate),
                "vat_exemption": line.vat_exemption,
                "creditable": _money(line.amount - line.credited),
            }
            for line in lines
        ],
        "vat": _vat_out(lines),
        "credit_notes": [
            {
                "id": note.pk,
                "number": note.number,
                "issue_date": note.issue_date,
                "total_ttc": _money(note.total_ttc),
            }
            for note in invoice.credit_notes.order_by("issue_date", "number")
        ],
        "payments": [
            _payment_out(p, invoice)
            for p in invoice.payments.select_related("recorded_by").order_by("paid_on", "id")
        ],
    }


def _invoice_or_404(invoice_id: int) -> Invoice:
    invoice = Invoice.objects.select_related("collectivite").filter(pk=invoice_id).first()
    if invoice is None:
        raise Http404
    return invoice


def _document_error(exc: Exception) -> HttpError:
    return HttpError(409, str(exc))


def _inline(data: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


READ_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut}


def _binary(content_type: str, description: str) -> dict:
    return {
        "responses": {
            200: {
                "description": description,
                "content": {content_type: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    }


@router.get(
    "/invoices",
    response={200: list[InvoiceOut], 422: InvalidOut, **ERRORS},
    tags=["factures"],
    summary="Lister les factures (filtres : année, collectivité, état du paiement, échues)",
)
@paginate(BoundedPagination)
def invoice_list(request, filters: Query[InvoiceFilters]):
    _require(request, is_syndicate_staff)
    today = timezone.localdate()
    rows = selectors.invoice_list(
        filters=selectors.InvoiceFilters(
            year=filters.year,
            collectivite_id=filters.collectivite,
            statuses=(domain.PaymentStatus(filters.status),) if filters.status else (),
            overdue=filters.overdue,
        ),
        today=today,
    )
    return _Page(rows, lambda row: _invoice_out(row, today))


@router.get(
    "/invoices/{invoice_id}",
    response={200: InvoiceDetailOut, **READ_ERRORS},
    tags=["factures"],
    summary="Lire une facture : lignes, TVA, avoirs, paiements, reste dû",
)
def invoice_read(request, invoice_id: int):
    _require(request, is_syndicate_staff)
    return _invoice_detail(invoice_id)


@router.get(
    "/invoices/{invoice_id}/pdf",
    response={409: ErrorOut, **READ_ERRORS},
    tags=["factures"],
    summary="Télécharger le PDF d'une facture (Factur-X), réservé aux finances",
    openapi_extra=_binary(PDF_TYPE, "La facture en PDF, XML Factur-X inclus."),
)
def invoice_pdf(request, invoice_id: int):
    _require(request, is_syndicate_finance)
    invoice = _invoice_or_404(invoice_id)
    from billing.documents import BillingDocumentError, invoice_facturx_xml

    data = exports.stored_pdf(invoice)
    if data is None:
        # Never rendered in a request: a task renders it (its failure recorded, retried).
        try:
            invoice_facturx_xml(invoice)  # a document that cannot be built is said now
        except BillingDocumentError as exc:
            raise _document_error(exc) from exc
        services.invoice_render_queue(invoice=invoice)
        raise HttpError(409, PDF_PENDING.format(number=invoice.number))
    return _inline(data, f"{invoice.number}.pdf", PDF_TYPE)


@router.get(
    "/invoices/{invoice_id}/xml",
    response={409: ErrorOut, **READ_ERRORS},
    tags=["factures"],
    summary="Lire le XML Factur-X (EN 16931) d'une facture, réservé aux finances",
    openapi_extra=_binary(XML_TYPE, "Le XML CII de la facture, tel qu'inclus dans le PDF."),
)
def invoice_xml(request, invoice_id: int):
    _require(request, is_syndicate_finance)
    invoice = _invoice_or_404(invoice_id)
    from billing.documents import BillingDocumentError, invoice_facturx_xml

    try:
        data = invoice_facturx_xml(invoice)
    except BillingDocumentError as exc:
        raise _document_error(exc) from exc
    return _inline(data, f"{invoice.number}.xml", XML_TYPE)


# --- Credit notes ----------------------------------------------------------------------------


def _credit_notes():
    return CreditNote.objects.select_related("invoice__collectivite", "issued_by").prefetch_related(
        "lines"
    )


def _credit_note_out(note: CreditNote) -> dict:
    invoice = note.invoice
    return {
        "id": note.pk,
        "number": note.number,
        "year": note.year,
        "invoice": invoice.pk,
        "invoice_number": invoice.number,
        "collectivite": invoice.collectivite_id,
        "collectivite_name": invoice.buyer.get("name") or invoice.collectivite.name,
        "issue_date": note.issue_date,
        "reason": note.reason,
        "total_ht": _money(note.total_ht),
        "total_vat": _money(note.total_vat),
        "total_ttc": _money(note.total_ttc),
        "issued_by": _email(note.issued_by),
        "pdf_available": bool(note.pdf),
        "created_at": note.created_at,
        "lines": [
            {
                "id": line.pk,
                "invoice_line": line.invoice_line_id,
                "label": line.label,
                "months": line.months,
                "amount": _money(line.amount),
            }
            for line in note.lines.all()
        ],
    }


@router.get(
    "/credit-notes",
    response={200: list[CreditNoteOut], 422: InvalidOut, **ERRORS},
    tags=["avoirs"],
    summary="Lister les avoirs (filtres : année, collectivité, facture)",
)
@paginate(BoundedPagination)
def credit_note_list(request, filters: Query[CreditNoteFilters]):
    _require(request, is_syndicate_staff)
    rows = _credit_notes().order_by("-issue_date", "-number")
    if filters.year is not None:
        rows = rows.filter(year=filters.year)
    if filters.collectivite is not None:
        rows = rows.filter(invoice__collectivite_id=filters.collectivite)
    if filters.invoice is not None:
        rows = rows.filter(invoice_id=filters.invoice)
    return _Page(rows, _credit_note_out)


@router.post(
    "/invoices/{invoice_id}/credit-notes",
    response={201: CreditNoteOut, **WRITE_ERRORS},
    tags=["avoirs"],
    summary="Émettre un avoir sur une facture, pour tout ou partie de ses lignes",
    description=(
        "Chaque ligne créditée donne son montant HT (absent : tout ce qui reste sur la "
        "ligne) ; jamais plus que ce qui reste à créditer. L'avoir est daté du jour et "
        "numéroté dans la suite des avoirs de l'année (AV-AAAA-NNNNN)."
    ),
)
def credit_note_create(request, invoice_id: int, payload: CreditNoteIn):
    _require(request, is_syndicate_finance)
    invoice = _invoice_or_404(invoice_id)
    lines = {line.pk: line for line in invoice.lines.all()}
    errors: dict[str, str] = {}
    if not payload.reason.strip():
        errors["reason"] = services.REASON_REQUIRED
    if not payload.lines:
        errors["lines"] = services.NOTHING_TO_CREDIT
    amounts: dict[int, Decimal] = {}
    for index, entry in enumerate(payload.lines):
        line = lines.get(entry.line)
        if line is None:
            errors[f"lines.{index}.line"] = LINE_NOT_IN_INVOICE
        elif entry.line in amounts:
            errors[f"lines.{index}.line"] = LINE_TWICE
        elif entry.amount is None:
            left = services.creditable(line)
            if left <= 0:
                errors[f"lines.{index}.line"] = LINE_FULLY_CREDITED
            amounts[entry.line] = left
        elif entry.amount <= 0:
            errors[f"lines.{index}.amount"] = AMOUNT_NOT_POSITIVE
        else:
            amounts[entry.line] = entry.amount
    if errors:
        raise ValidationError(errors)
    note = services.credit_note_issue(
        invoice=invoice,
        amounts=amounts,
        reason=payload.reason,
        issued_by=request.user,
        issue_date=timezone.localdate(),
    )
    return Status(201, _credit_note_out(_credit_notes().get(pk=note.pk)))


# --- Payments --------------------------------------------------------------------------------


@router.post(
    "/invoices/{invoice_id}/payments",
    response={201: PaymentOut, **WRITE_ERRORS},
    tags=["paiements"],
    summary="Enregistrer un paiement par mandat administratif (total ou partiel)",
)
def payment_create(request, invoice_id: int, payload: PaymentIn):
    _require(request, is_syndicate_finance)
    invoice = _invoice_or_404(invoice_id)
    payment = services.payment_record(
        invoice=invoice,
        paid_on=payload.paid_on,
        mandate_reference=payload.mandate_reference,
        amount=payload.amount,
        recorded_by=request.user,
    )
    payment = Payment.objects.select_related("recorded_by").get(pk=payment.pk)
    return Status(201, _payment_out(payment, _invoices().get(pk=invoice.pk)))


# --- Billing runs ----------------------------------------------------------------------------


def _run_out(run: BillingRun) -> dict:
    return {
        "id": run.pk,
        "as_of": run.as_of,
        "dry_run": run.dry_run,
        "status": run.status,
        "status_label": str(run.get_status_display()),
        "progress": run.progress_percent,
        "requested_by": _email(run.requested_by),
        "created_at": run.created_at,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "collectivites_total": run.collectivites_total,
        "collectivites_done": run.collectivites_done,
        "invoices_count": run.invoices_count,
        "total_amount": _money(run.total_amount),
        "failures_count": len(run.failures),
    }


def _run_detail(run_id: int) -> dict:
    run = BillingRun.objects.select_related("requested_by").filter(pk=run_id).first()
    if run is None:
        raise Http404
    return {
        **_run_out(run),
        "failures": run.failures,
        "preview": run.preview,
        "invoices": [
            {
                "id": invoice.pk,
                "number": invoice.number,
                "collectivite_name": invoice.buyer.get("name") or invoice.collectivite.name,
                "total_ttc": _money(invoice.total_ttc),
            }
            for invoice in run.invoices.select_related("collectivite").order_by("number")
        ],
    }


@router.get(
    "/billing-runs",
    response={200: list[BillingRunOut], 422: InvalidOut, **ERRORS},
    tags=["facturation"],
    summary="Lister les campagnes de facturation, les plus récentes d'abord",
)
@paginate(BoundedPagination)
def billing_run_list(request):
    _require(request, is_syndicate_staff)
    return _Page(BillingRun.objects.select_related("requested_by"), _run_out)


@router.get(
    "/billing-runs/{run_id}",
    response={200: BillingRunDetailOut, **READ_ERRORS},
    tags=["facturation"],
    summary="Lire une campagne : avancement, factures émises, échecs, aperçu",
)
def billing_run_read(request, run_id: int):
    _require(request, is_syndicate_staff)
    return _run_detail(run_id)


@router.post(
    "/billing-runs",
    response={201: BillingRunDetailOut, **WRITE_ERRORS},
    tags=["facturation"],
    summary="Lancer une campagne de facturation (ou un aperçu) en tâche de fond",
    description=(
        "Facture chaque année de contrat commencée au plus tard à `as_of` et pas encore "
        "facturée : une facture par collectivité, datée de `as_of`. Suivre l'avancement avec "
        "`GET /billing-runs/{id}`. Hors aperçu, `as_of` ne peut être ni dans le futur ni "
        "antérieur à la dernière facture émise (numérotation chronologique)."
    ),
)
def billing_run_create(request, payload: BillingRunIn):
    _require(request, is_syndicate_finance)
    today = timezone.localdate()
    as_of = payload.as_of or today
    run = services.billing_run_start(
        as_of=as_of, dry_run=payload.dry_run, requested_by=request.user
    )
    return Status(201, _run_detail(run.pk))


# --- Exports ---------------------------------------------------------------------------------


def _export_or_404(export_id: int) -> ExportJob:
    job = ExportJob.objects.select_related("requested_by").filter(pk=export_id).first()
    if job is None:
        raise Http404
    return job


def _export_out(job: ExportJob) -> dict:
    ready = job.status == ExportJob.Status.DONE
    return {
        "id": job.pk,
        "year": job.year,
        "status": job.status,
        "status_label": str(job.get_status_display()),
        "progress": job.progress,
        "requested_by": _email(job.requested_by),
        "created_at": job.created_at,
        "finished_at": job.finished_at,
        "error": job.error,
        "files": {
            kind: (
                reverse("api-v1:billing_export_file", kwargs={"export_id": job.pk, "kind": kind})
                if ready and getattr(job, f"{kind}_file")
                else None
            )
            for kind in EXPORT_KINDS
        },
    }


@router.post(
    "/exports",
    response={201: ExportOut, **WRITE_ERRORS},
    tags=["exports"],
    summary="Exporter les factures et avoirs d'une année (CSV, XLSX, ZIP des PDF)",
    description=(
        "L'export est construit en tâche de fond : suivre `progress` avec "
        "`GET /exports/{id}` ; une fois terminé, `files` donne les adresses de "
        "téléchargement. CSV : UTF-8 avec BOM, séparateur « ; », virgule décimale, dates "
        "JJ/MM/AAAA."
    ),
)
def export_create(request, payload: ExportIn):
    _require(request, is_syndicate_finance)
    job = exports.export_start(year=payload.year, requested_by=request.user)
    return Status(201, _export_out(_export_or_404(job.pk)))


@router.get(
    "/exports/{export_id}",
    response={200: ExportOut, **READ_ERRORS},
    tags=["exports"],
    summary="Suivre un export : état, avancement, adresses de téléchargement",
)
def export_read(request, export_id: int):
    _require(request, is_syndicate_finance)
    return _export_out(_export_or_404(export_id))


@router.get(
    "/exports/{export_id}/{kind}",
    response=READ_ERRORS,
    tags=["exports"],
    summary="Télécharger un fichier d'un export terminé (csv, xlsx ou zip)",
    url_name="billing_export_file",
    openapi_extra=_binary("application/octet-stream", "Le fichier de l'export."),
)
def export_file(request, export_id: int, kind: str):
    _require(request, is_syndicate_finance)
    job = _export_or_404(export_id)
    if kind not in EXPORT_KINDS:
        raise Http404
    file = getattr(job, f"{kind}_file")
    if job.status != ExportJob.Status.DONE or not file:
        raise HttpError(404, FILE_NOT_READY)
    try:
        handle = file.open("rb")
    except FileNotFoundError as exc:
        raise HttpError(404, FILE_NOT_READY) from exc
    name = PurePosixPath(file.name).name
    response = FileResponse(
        handle, content_type=EXPORT_KINDS[kind], as_attachment=True, filename=name
    )
    response["Cache-Control"] = "private, no-store"
    return response
