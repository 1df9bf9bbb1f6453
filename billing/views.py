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
from datetime import date
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet, Sum
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing import selectors, services
from billing.forms import (
    BillingRunForm,
    CreditNoteForm,
    InvoiceFilterForm,
    PaymentForm,
)
from billing.models import BillingRun, CreditNote, Invoice, PaymentImport
from contracts import rules
from portal.access import is_syndicate_admin, is_syndicate_finance, member_required, staff_required
from portal.forms import add_service_errors
from portal.models import Role, User
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


def reads_billing(user: User) -> bool:
    """Finance runs billing; the syndicate's administrators follow it."""
    return is_syndicate_finance(user) or is_syndicate_admin(user)


# --- Reads -------------------------------------------------------------------------------------


def _rows(invoices, today: date) -> list[Invoice]:
    """Each invoice with `status`, where its payment stands (`selectors.invoice_payment_state`:
    the same words as the API and the exports)."""
    rows = list(invoices)
    for row in rows:
        row.status = selectors.invoice_payment_state(row, today=today)
    return rows


def _totals(invoices: QuerySet[Invoice]) -> dict:
    """Count, total, what remains due on the list's invoices and what was overpaid on some of
    them (credited beyond what remained after a payment: to be refunded, not deducted from
    what the others owe)."""
    totals = selectors.invoices_with_balance(
        Invoice.objects.filter(pk__in=invoices.values("pk"))
    ).aggregate(
        count=Count("id"),
        ttc=Sum("total_ttc"),
        due=Sum("balance", filter=Q(balance__gt=0)),  # not named `balance`: that is the
        over=Sum("balance", filter=Q(balance__lt=0)),  # annotation being summed
    )
    return {
        "count": totals["count"],
        "ttc": totals["ttc"] or Decimal("0"),
        "balance": totals["due"] or Decimal("0"),
        "overpaid": -(totals["over"] or Decimal("0")),
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


PDF_PENDING = "Le PDF de la pièce {number} est en préparation : réessayez dans quelques instants."


def _invoice_pdf(request, invoice: Invoice, *, back: str):
    """The stored PDF (with its Factur-X XML). When it is missing, a task renders it (never
    the request) and the person is asked to come back."""
    handle = _stored(invoice.pdf)
    if handle is not None:
        return _document_response(handle, f"{invoice.number}.pdf")
    services.invoice_render_queue(invoice=invoice)
    messages.info(request, PDF_PENDING.format(number=invoice.number))
    return redirect(back)


def _credit_note_pdf(request, note: CreditNote, *, back: str):
    """The stored PDF, or, when missing, rendered by a task as above."""
    handle = _stored(note.pdf)
    if handle is not None:
        return _document_response(handle, f"{note.number}.pdf")
    services.credit_note_render_queue(note=note)
    messages.info(request, PDF_PENDING.format(number=note.number))
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
    invoices = selectors.invoice_list(filters=form.filters(), today=today)
    page = _page(request, invoices)
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
    overdue = selectors.invoice_list(
        filters=selectors.InvoiceFilters(overdue=True), today=today
    ).order_by("due_date", "number")
    pending = selectors.invoice_list(
        filters=selectors.InvoiceFilters(unpaid_only=True, overdue=False), today=today
    ).order_by("due_date", "number")
    context: dict = {"today": today}
    for name, invoices in (("overdue", overdue), ("pending", pending)):
        totals = _totals(invoices)
        # Paginated (issue 19): the totals' count serves the paginator, no second COUNT.
        paginator = Paginator(invoices, PAGE_SIZE)
        paginator.count = totals["count"]
        page = paginator.get_page(request.GET.get(name))
        page.object_list = _rows(page.object_list, today)
        params = request.GET.copy()
        params.pop(name, None)
        context |= {name: page, f"{name}_totals": totals, f"{name}_query": params.urlencode()}
    return render(request, "billing/unpaid.html", context)


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
    state = selectors.invoice_payment_state(invoice, today=today)
    paid, credited, balance = state.paid, state.credited, state.balance
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
                    "last_day": rules.last_covered_day(line.period_end)
                    if line.period_end
                    else None,
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
            "status": state,
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
    invoice = _invoice_or_404(pk)
    if invoice.pdf_error and not invoice.pdf:
        # The last render failed (recorded by its task, which retries it): say why.
        messages.error(request, PDF_FAILED.format(number=invoice.number, reason=invoice.pdf_error))
    return _invoice_pdf(request, invoice, back=f"/factures/{invoice.pk}/")


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


ENGAGEMENT_SAVED = (
    "Numéro d'engagement {year} enregistré : il figurera sur les factures de cet exercice."
)


def _tenant_invoices_page(request, form=None, status=200):
    from billing import engagements
    from billing.forms import EngagementNumberForm
    from billing.models import EngagementNumber
    from portal.access import roles_in

    today = timezone.localdate()
    years = engagements.engagement_years(today)
    can_give = bool(
        roles_in(request.user, request.tenant).intersection(engagements.ENGAGEMENT_ROLES)
    )
    return render(
        request,
        "billing/tenant_invoices.html",
        {
            "rows": _rows(
                selectors.invoice_list(
                    filters=selectors.InvoiceFilters(collectivite_id=request.tenant.pk),
                    today=today,
                ),
                today,
            ),
            "credit_notes": list(
                CreditNote.objects.filter(invoice__collectivite=request.tenant)
                .select_related("invoice")
                .order_by("-issue_date", "-number")
            ),
            "engagements": list(
                EngagementNumber.objects.filter(collectivite=request.tenant).order_by(
                    "-budget_year"
                )
            ),
            "engagement_form": (form or EngagementNumberForm(years=years)) if can_give else None,
            "today": today,
        },
        status=status,
    )


@member_required()
@require_GET
def invoices(request):
    return _tenant_invoices_page(request)


@member_required(Role.SIGNATORY, Role.FUNCTIONAL_ADMIN)
@require_POST
def engagement_number_give(request):
    from billing import engagements
    from billing.forms import EngagementNumberForm

    today = timezone.localdate()
    form = EngagementNumberForm(request.POST, years=engagements.engagement_years(today))
    if form.is_valid():
        try:
            engagements.engagement_number_give(
                collectivite=request.tenant,
                budget_year=form.cleaned_data["budget_year"],
                number=form.cleaned_data["number"],
                given_by=request.user,
                today=today,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, ENGAGEMENT_SAVED.format(year=form.cleaned_data["budget_year"])
            )
            return redirect("invoices")
    return _tenant_invoices_page(request, form=form, status=422)


@member_required()
@require_GET
def invoice_pdf(request, pk: int):
    invoice = Invoice.objects.filter(collectivite=request.tenant, pk=pk).first()
    if invoice is None:
        raise Http404
    return _invoice_pdf(request, invoice, back="invoices")


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
    """Send a CSV of mandates (« facture;date;mandat;montant »): recorded, then imported by a
    task — all its payments or none; the same file is never recorded twice."""
    error = ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            job = services.payments_import_start(
                file_name=upload.name if upload else "",
                data=upload.read(services.IMPORT_MAX_BYTES + 1) if upload else b"",
                requested_by=request.user,
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            return redirect("billing_payments_import_detail", pk=job.pk)
    recent = PaymentImport.objects.select_related("requested_by")[:10]
    return render(
        request,
        "billing/payments_import.html",
        {"error": error, "recent": recent},
        status=422 if error else 200,
    )


@staff_required(is_syndicate_finance)
@require_GET
def payments_import_detail(request, pk: int):
    job = PaymentImport.objects.filter(pk=pk).first()
    if job is None:
        raise Http404
    template = (
        "billing/partials/payments_import_progress.html"
        if request.headers.get("HX-Request")
        else "billing/payments_import_detail.html"
    )
    return render(
        request,
        template,
        {
            "job": job,
            "progress": services.payments_import_progress(job),
            "finished": job.status in ("done", "failed"),
        },
    )
