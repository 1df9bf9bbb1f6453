"""Pages of billing: in the back-office, the billing runs (started or previewed by finance,
with their live progress and summary), the invoices and their payments and credit notes, the
unpaid and overdue list; on a collectivité's site, its invoices and credit notes.

Views parse input, call one service or selector and render. Finance and the syndicate's
administrators read everything; only finance acts (runs, payments, credit notes) and
downloads the documents, which are served only to finance and to the invoice's own
collectivité (P4). On a collectivité's site every read filters by `request.tenant`: another
collectivité's invoice is a 404 (DESIGN §2)."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import (
    Count,
    DecimalField,
    F,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing import selectors, services
from billing.forms import (
    OVERDUE,
    PAID,
    PARTLY_PAID,
    UNPAID,
    BillingRunForm,
    CreditNoteForm,
    InvoiceFilterForm,
    PaymentForm,
)
from billing.models import BillingRun, CreditNote, Invoice, Payment
from portal.access import is_syndicate_admin, is_syndicate_finance, member_required, staff_required
from portal.forms import add_service_errors
from portal.models import User
from portal.selectors import audit_events_for
from portal.templatetags.portal_format import euros

logger = logging.getLogger(__name__)

INVOICE_EVENTS = "billing.invoice"
RUN_EVENTS = "billing.billingrun"
PAGE_SIZE = 50
PDF_UNAVAILABLE = (
    "Le PDF de la facture {number} ne peut pas être produit pour le moment : contactez le syndicat."
)
CREDIT_NOTE_PDF_UNAVAILABLE = (
    "Le PDF de l'avoir {number} ne peut pas être produit pour le moment : contactez le syndicat."
)
PDF_FAILED = (
    "Les documents de la facture {number} (PDF, Factur-X) ne peuvent être produits : {reason}"
)

# People read dates and amounts; these are the statuses they read (an overdue invoice also
# says how late it is).
STATUS_PAID = "payée"
STATUS_CREDITED = "soldée par avoir"
STATUS_PARTLY_PAID = "partiellement payée"
STATUS_UNPAID = "non payée"


def reads_billing(user: User) -> bool:
    """Finance runs billing; the syndicate's administrators follow it."""
    return is_syndicate_finance(user) or is_syndicate_admin(user)


# --- Reads -------------------------------------------------------------------------------------

_MONEY = DecimalField(max_digits=14, decimal_places=2)


def _with_balance(invoices: QuerySet[Invoice]) -> QuerySet[Invoice]:
    """Invoices with what was paid, credited and is left to pay (`selectors.invoice_balance`
    for a whole list, in one query)."""
    paid = (
        Payment.objects.filter(invoice=OuterRef("pk"))
        .values("invoice")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    credited = (
        CreditNote.objects.filter(invoice=OuterRef("pk"))
        .values("invoice")
        .annotate(total=Sum("total_ttc"))
        .values("total")
    )
    zero = Value(Decimal("0"), output_field=_MONEY)
    return invoices.annotate(
        paid=Coalesce(Subquery(paid, output_field=_MONEY), zero),
        credited=Coalesce(Subquery(credited, output_field=_MONEY), zero),
    ).annotate(balance=F("total_ttc") - F("paid") - F("credited"))


def _filter_status(invoices: QuerySet[Invoice], status: str, today: date) -> QuerySet[Invoice]:
    if status == PAID:
        return invoices.filter(balance__lte=0)
    if status == PARTLY_PAID:
        return invoices.filter(balance__gt=0, paid__gt=0)
    if status == UNPAID:
        return invoices.filter(balance__gt=0, paid=0)
    if status == OVERDUE:
        return invoices.filter(balance__gt=0, due_date__lt=today)
    return invoices


def _status(invoice: Invoice, *, paid: Decimal, balance: Decimal, today: date) -> dict:
    """What people read of an invoice's payment: its status and, when overdue, how late."""
    if balance <= 0:
        label = STATUS_PAID if paid > 0 else STATUS_CREDITED
        return {"label": label, "settled": True, "days_overdue": 0}
    label = STATUS_PARTLY_PAID if paid > 0 else STATUS_UNPAID
    days = (today - invoice.due_date).days if invoice.due_date < today else 0
    return {"label": label, "settled": False, "days_overdue": days}


def _rows(invoices, today: date) -> list[Invoice]:
    rows = list(invoices)
    for row in rows:
        row.status = _status(row, paid=row.paid, balance=row.balance, today=today)
    return rows


def _totals(invoices: QuerySet[Invoice]) -> dict:
    """Count, total and balance of a list (the balance of a list is its total less what was
    paid and credited on its invoices)."""
    pks = invoices.values("pk")
    totals = Invoice.objects.filter(pk__in=pks).aggregate(count=Count("id"), ttc=Sum("total_ttc"))
    paid = Payment.objects.filter(invoice__in=pks).aggregate(total=Sum("amount"))["total"]
    credited = CreditNote.objects.filter(invoice__in=pks).aggregate(total=Sum("total_ttc"))
    ttc = totals["ttc"] or Decimal("0")
    return {
        "count": totals["count"],
        "ttc": ttc,
        "balance": ttc - (paid or Decimal("0")) - (credited["total"] or Decimal("0")),
    }


def _page(request, items):
    return Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))


def _query_without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


# --- Documents (P4: the caller has checked the right) ------------------------------------------


def _document_response(data_or_file, filename: str, content_type: str = "application/pdf"):
    if isinstance(data_or_file, bytes):
        response = HttpResponse(data_or_file, content_type=content_type)
        disposition = "inline" if content_type == "application/pdf" else "attachment"
        response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    else:
        response = FileResponse(data_or_file, content_type=content_type, filename=filename)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _stored(field):
    """The stored file, open; None when there is none (never rendered, or lost)."""
    if not field:
        return None
    try:
        return field.open("rb")
    except FileNotFoundError:
        return None


def _invoice_pdf(invoice: Invoice):
    """The stored PDF (with its Factur-X XML); rendered and stored first when missing."""
    handle = _stored(invoice.pdf)
    if handle is None:
        services.invoice_render(invoice)
        handle = _stored(invoice.pdf)
        if handle is None:
            raise Http404
    return _document_response(handle, f"{invoice.number}.pdf")


def _credit_note_pdf(request, note: CreditNote, *, back: str):
    """The stored PDF, or rendered on demand from the issued rows (which never change)."""
    from billing.documents import BillingDocumentError, credit_note_pdf

    handle = _stored(note.pdf)
    if handle is not None:
        return _document_response(handle, f"{note.number}.pdf")
    try:
        return _document_response(credit_note_pdf(note), f"{note.number}.pdf")
    except BillingDocumentError:
        logger.exception("Credit note %s: the PDF cannot be rendered", note.number)
        messages.error(request, CREDIT_NOTE_PDF_UNAVAILABLE.format(number=note.number))
        return redirect(back)


# --- Back-office: billing runs -----------------------------------------------------------------


def _runs_page(request, form: BillingRunForm | None = None):
    can_act = is_syndicate_finance(request.user)
    if can_act and form is None:
        form = BillingRunForm(initial={"as_of": timezone.localdate()})
    return render(
        request,
        "billing/runs.html",
        {
            "page": _page(request, BillingRun.objects.select_related("requested_by")),
            "form": form if can_act else None,
        },
    )


@staff_required(reads_billing)
@require_GET
def billing_runs(request):
    return _runs_page(request)


@staff_required(is_syndicate_finance)
@require_POST
def billing_run_start(request):
    form = BillingRunForm(request.POST)
    if not form.is_valid():
        return _runs_page(request, form)
    try:
        run = services.billing_run_start(
            as_of=form.cleaned_data["as_of"],
            dry_run=form.cleaned_data["dry_run"],
            requested_by=request.user,
        )
    except ValidationError as exc:
        add_service_errors(form, exc)
        return _runs_page(request, form)
    messages.success(
        request,
        (
            f"Aperçu de la facturation au {run.as_of:%d/%m/%Y} lancé : rien ne sera émis."
            if run.dry_run
            else f"Facturation au {run.as_of:%d/%m/%Y} lancée."
        ),
    )
    return redirect("billing_run", pk=run.pk)


def _run_or_404(pk: int) -> BillingRun:
    run = BillingRun.objects.select_related("requested_by").filter(pk=pk).first()
    if run is None:
        raise Http404
    return run


def _run_context(run: BillingRun) -> dict:
    finished = run.status in (BillingRun.Status.DONE, BillingRun.Status.FAILED)
    return {
        "run": run,
        "finished": finished,
        "invoices": (
            list(run.invoices.select_related("collectivite").order_by("number")) if finished else []
        ),
    }


@staff_required(reads_billing)
@require_GET
def billing_run(request, pk: int):
    run = _run_or_404(pk)
    return render(
        request,
        "billing/run.html",
        {**_run_context(run), "events": audit_events_for(object_type=RUN_EVENTS, object_id=pk)},
    )


@staff_required(reads_billing)
@require_GET
def billing_run_progress(request, pk: int):
    """The progress bar, polled every 2 s until the run is done (then without the trigger)."""
    return render(request, "billing/partials/run_progress.html", _run_context(_run_or_404(pk)))


# --- Back-office: invoices ---------------------------------------------------------------------


@staff_required(reads_billing)
@require_GET
def invoices_backoffice(request):
    today = timezone.localdate()
    years = list(Invoice.objects.order_by("-year").values_list("year", flat=True).distinct())
    form = InvoiceFilterForm(request.GET or None, years=years)
    filters = form.filters()
    invoices = _with_balance(Invoice.objects.select_related("collectivite"))
    if filters.get("year"):
        invoices = invoices.filter(year=filters["year"])
    if filters.get("collectivite"):
        invoices = invoices.filter(collectivite=filters["collectivite"])
    invoices = _filter_status(invoices, filters.get("status") or "", today)
    page = _page(request, invoices.order_by("-issue_date", "-number"))
    return render(
        request,
        "billing/invoices.html",
        {
            "form": form,
            "page": page,
            "rows": _rows(page.object_list, today),
            "totals": _totals(invoices),
            "query": _query_without_page(request),
        },
    )


@staff_required(reads_billing)
@require_GET
def invoices_unpaid(request):
    """Invoices with something left to pay; overdue ones first (due date passed)."""
    today = timezone.localdate()
    unpaid = _with_balance(Invoice.objects.select_related("collectivite")).filter(balance__gt=0)
    overdue = unpaid.filter(due_date__lt=today).order_by("due_date", "number")
    pending = unpaid.filter(due_date__gte=today).order_by("due_date", "number")
    context: dict = {"today": today}
    for name, invoices in (("overdue", overdue), ("pending", pending)):
        totals = _balance_totals(invoices)
        # Paginated (issue 19): the totals' count serves the paginator, no second COUNT.
        paginator = Paginator(invoices, PAGE_SIZE)
        paginator.count = totals["count"]
        page = paginator.get_page(request.GET.get(name))
        page.object_list = _rows(page.object_list, today)
        params = request.GET.copy()
        params.pop(name, None)
        context |= {name: page, f"{name}_totals": totals, f"{name}_query": params.urlencode()}
    return render(request, "billing/unpaid.html", context)


def _balance_totals(invoices: QuerySet[Invoice]) -> dict:
    """Count, total and balance of a list annotated by `_with_balance`, in one query."""
    totals = _with_balance(Invoice.objects.filter(pk__in=invoices.values("pk"))).aggregate(
        count=Count("id"),
        ttc=Sum("total_ttc"),
        balance=Sum(F("total_ttc") - F("paid") - F("credited")),
    )
    return {
        "count": totals["count"],
        "ttc": totals["ttc"] or Decimal("0"),
        "balance": totals["balance"] or Decimal("0"),
    }


def _invoice_or_404(pk: int) -> Invoice:
    invoice = Invoice.objects.select_related("collectivite", "run").filter(pk=pk).first()
    if invoice is None:
        raise Http404
    return invoice


def _invoice_page(
    request,
    invoice: Invoice,
    *,
    payment_form: PaymentForm | None = None,
    credit_form: CreditNoteForm | None = None,
):
    today = timezone.localdate()
    lines = [(line, services.creditable(line)) for line in invoice.lines.all()]
    payments = list(invoice.payments.select_related("recorded_by"))
    credit_notes = list(
        invoice.credit_notes.select_related("issued_by").prefetch_related("lines").order_by("id")
    )
    paid = sum((p.amount for p in payments), Decimal("0"))
    credited = sum((n.total_ttc for n in credit_notes), Decimal("0"))
    balance = selectors.invoice_balance(invoice)
    can_act = is_syndicate_finance(request.user)
    if can_act and balance > 0 and payment_form is None:
        payment_form = PaymentForm(initial={"paid_on": today, "amount": _amount_text(balance)})
    if can_act and any(left > 0 for _, left in lines) and credit_form is None:
        credit_form = CreditNoteForm(lines=lines)
    return render(
        request,
        "billing/invoice.html",
        {
            "invoice": invoice,
            "lines": [
                {
                    "line": line,
                    "last_day": line.period_end - timedelta(days=1) if line.period_end else None,
                    "creditable": left,
                    "vat": _vat_text(line),
                }
                for line, left in lines
            ],
            "payments": payments,
            "credit_notes": credit_notes,
            "paid": paid,
            "credited": credited,
            "balance": balance,
            "status": _status(invoice, paid=paid, balance=balance, today=today),
            "can_act": can_act,
            "payment_form": payment_form if can_act and balance > 0 else None,
            "credit_form": credit_form if can_act else None,
            "events": audit_events_for(object_type=INVOICE_EVENTS, object_id=invoice.pk),
        },
    )


def _vat_text(line) -> str:
    if line.vat_rate is None:
        return line.vat_exemption or "—"
    return f"{(line.vat_rate * 100).normalize():f}".replace(".", ",") + "\u00a0%"


def _amount_text(value: Decimal) -> str:
    return f"{value:.2f}".replace(".", ",")


@staff_required(reads_billing)
@require_GET
def invoice_backoffice(request, pk: int):
    return _invoice_page(request, _invoice_or_404(pk))


@staff_required(is_syndicate_finance)
@require_POST
def invoice_payment_record(request, pk: int):
    invoice = _invoice_or_404(pk)
    form = PaymentForm(request.POST)
    if form.is_valid():
        try:
            payment = services.payment_record(
                invoice=invoice,
                paid_on=form.cleaned_data["paid_on"],
                mandate_reference=form.cleaned_data["mandate_reference"],
                amount=form.cleaned_data["amount"],
                recorded_by=request.user,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            balance = selectors.invoice_balance(invoice)
            messages.success(
                request,
                f"Paiement de {euros(payment.amount)} enregistré sur la facture {invoice.number} "
                f"(mandat {payment.mandate_reference}) : "
                + (f"reste dû {euros(balance)}." if balance > 0 else "la facture est payée."),
            )
            return redirect("invoice_backoffice", pk=invoice.pk)
    return _invoice_page(request, invoice, payment_form=form)


@staff_required(is_syndicate_finance)
@require_POST
def invoice_credit_note_issue(request, pk: int):
    invoice = _invoice_or_404(pk)
    lines = [(line, services.creditable(line)) for line in invoice.lines.all()]
    form = CreditNoteForm(request.POST, lines=lines)
    if form.is_valid():
        try:
            note = services.credit_note_issue(
                invoice=invoice,
                amounts=form.amounts(),
                reason=form.cleaned_data["reason"],
                issued_by=request.user,
                issue_date=timezone.localdate(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                f"Avoir {note.number} émis sur la facture {invoice.number} : "
                f"{euros(note.total_ttc)} TTC.",
            )
            return redirect("invoice_backoffice", pk=invoice.pk)
    return _invoice_page(request, invoice, credit_form=form)


@staff_required(is_syndicate_finance)
@require_GET
def invoice_backoffice_pdf(request, pk: int):
    from billing.documents import BillingDocumentError

    invoice = _invoice_or_404(pk)
    try:
        return _invoice_pdf(invoice)
    except BillingDocumentError as exc:
        messages.error(request, PDF_FAILED.format(number=invoice.number, reason=exc))
        return redirect("invoice_backoffice", pk=invoice.pk)


@staff_required(is_syndicate_finance)
@require_GET
def invoice_backoffice_xml(request, pk: int):
    from billing.documents import BillingDocumentError, invoice_facturx_xml

    invoice = _invoice_or_404(pk)
    try:
        xml = invoice_facturx_xml(invoice)
    except BillingDocumentError as exc:
        messages.error(request, PDF_FAILED.format(number=invoice.number, reason=exc))
        return redirect("invoice_backoffice", pk=invoice.pk)
    return _document_response(xml, f"{invoice.number}-factur-x.xml", "application/xml")


# --- Back-office: credit notes -----------------------------------------------------------------


@staff_required(reads_billing)
@require_GET
def credit_notes_backoffice(request):
    notes = CreditNote.objects.select_related("invoice__collectivite", "issued_by")
    return render(
        request,
        "billing/credit_notes.html",
        {
            "page": _page(request, notes.order_by("-issue_date", "-number")),
            "totals": notes.aggregate(count=Count("id"), ttc=Sum("total_ttc")),
            "can_download": is_syndicate_finance(request.user),
        },
    )


@staff_required(is_syndicate_finance)
@require_GET
def credit_note_backoffice_pdf(request, pk: int):
    note = CreditNote.objects.select_related("invoice").filter(pk=pk).first()
    if note is None:
        raise Http404
    return _credit_note_pdf(request, note, back="credit_notes_backoffice")


# --- A collectivité's site: its invoices ---------------------------------------------------


@member_required()
@require_GET
def invoices(request):
    today = timezone.localdate()
    own = Invoice.objects.filter(collectivite=request.tenant)
    return render(
        request,
        "billing/tenant_invoices.html",
        {
            "rows": _rows(_with_balance(own).order_by("-issue_date", "-number"), today),
            "credit_notes": list(
                CreditNote.objects.filter(invoice__collectivite=request.tenant)
                .select_related("invoice")
                .order_by("-issue_date", "-number")
            ),
            "today": today,
        },
    )


@member_required()
@require_GET
def invoice_pdf(request, pk: int):
    from billing.documents import BillingDocumentError

    invoice = Invoice.objects.filter(collectivite=request.tenant, pk=pk).first()
    if invoice is None:
        raise Http404
    try:
        return _invoice_pdf(invoice)
    except BillingDocumentError:
        logger.exception("Invoice %s: the PDF cannot be rendered", invoice.number)
        messages.error(request, PDF_UNAVAILABLE.format(number=invoice.number))
        return redirect("invoices")


@member_required()
@require_GET
def credit_note_pdf(request, pk: int):
    note = (
        CreditNote.objects.filter(invoice__collectivite=request.tenant, pk=pk)
        .select_related("invoice")
        .first()
    )
    if note is None:
        raise Http404
    return _credit_note_pdf(request, note, back="invoices")


# --- Back-office: yearly exports (B6) ----------------------------------------------------------

EXPORT_KINDS = {
    "csv": ("csv_file", "text/csv; charset=utf-8"),
    "xlsx": ("xlsx_file", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "zip": ("zip_file", "application/zip"),
}


@staff_required(reads_billing)
@require_http_methods(["GET", "POST"])
def exports(request):
    from billing import exports as billing_exports
    from billing.models import ExportJob

    error = ""
    if request.method == "POST":
        if not is_syndicate_finance(request.user):
            raise Http404
        try:
            job = billing_exports.export_start(
                year=int(request.POST.get("year", "0") or 0), requested_by=request.user
            )
        except (ValueError, ValidationError) as exc:
            error = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        else:
            return redirect("billing_export", pk=job.pk)
    return render(
        request,
        "billing/exports.html",
        {
            "jobs": ExportJob.objects.select_related("requested_by")[:30],
            "error": error,
            "this_year": timezone.localdate().year,
            "can_act": is_syndicate_finance(request.user),
        },
    )


def _export_or_404(pk: int):
    from billing.models import ExportJob

    job = ExportJob.objects.filter(pk=pk).first()
    if job is None:
        raise Http404
    return job


@staff_required(reads_billing)
@require_GET
def export_detail(request, pk: int):
    job = _export_or_404(pk)
    template = (
        "billing/partials/export_progress.html"
        if request.headers.get("HX-Request")
        else "billing/export.html"
    )
    return render(
        request,
        template,
        {"job": job, "finished": job.status in ("done", "failed"), "kinds": list(EXPORT_KINDS)},
    )


@staff_required(is_syndicate_finance)
@require_GET
def export_download(request, pk: int, kind: str):
    job = _export_or_404(pk)
    if kind not in EXPORT_KINDS:
        raise Http404
    field, content_type = EXPORT_KINDS[kind]
    file = getattr(job, field)
    if not file:
        raise Http404
    from billing.exports import file_names

    response = FileResponse(
        file.open("rb"),
        content_type=content_type,
        as_attachment=True,
        filename=file_names(job.year)[kind],
    )
    response["Cache-Control"] = "private, no-store"
    return response


@staff_required(is_syndicate_finance)
@require_http_methods(["GET", "POST"])
def payments_import(request):
    """Record a batch of mandates from a CSV (« facture;date;mandat;montant »): all or none."""
    error = ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            error = "Choisissez le fichier CSV des mandats."
        else:
            try:
                text = upload.read().decode("utf-8")
                recorded = services.payments_import(text=text, recorded_by=request.user)
            except UnicodeDecodeError:
                error = "Le fichier doit être un CSV encodé en UTF-8."
            except ValidationError as exc:
                error = " ".join(exc.messages)
            else:
                messages.success(request, f"{len(recorded)} paiement(s) enregistré(s).")
                return redirect("invoices_unpaid")
    return render(request, "billing/payments_import.html", {"error": error})
