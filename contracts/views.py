"""Pages of requests, quotes and contracts: on a collectivité's site (its draft request and
needs, its quotes and their acceptance, its contracts and their termination) and in the
back-office (the work queue, the quote editor, approval and activation, terminations received
by post).

Views parse input, call one service or selector and render. On a collectivité's site every
read filters by `request.tenant`: another collectivité's row is a 404 (DESIGN §2)."""

from __future__ import annotations

from pathlib import PurePosixPath

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from catalogue import domain as pricing
from catalogue import selectors as catalogue_selectors
from catalogue.models import Offer
from contracts import rules, selectors, services
from contracts.forms import (
    LineActivateForm,
    NeedsForm,
    QuoteAcceptForm,
    QuoteApproveForm,
    QuoteCreateForm,
    QuoteLineForm,
    QuoteRefuseForm,
    QuoteTitleForm,
    TerminationForm,
    TerminationRecordForm,
    WorkQueueFilterForm,
)
from contracts.models import Quote, QuoteDocument, ServiceRequest, Subscription
from portal.access import is_syndicate_admin, member_required, roles_in, staff_required
from portal.adapters import recorded_address
from portal.forms import add_service_errors
from portal.grammar import of_name
from portal.models import Collectivite, Role
from portal.selectors import audit_events_for

QUOTE_EVENTS = "contracts.quote"
SUBSCRIPTION_EVENTS = "contracts.subscription"
REQUEST_EVENTS = "contracts.servicerequest"


def _error_messages(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _pdf_response(data_or_file, filename: str):
    if isinstance(data_or_file, bytes):
        response = HttpResponse(data_or_file, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{filename}"'
    else:
        response = FileResponse(data_or_file, content_type="application/pdf", filename=filename)
    response["Cache-Control"] = "private, no-store"
    return response


def _stored_pdf(document: QuoteDocument):
    try:
        handle = document.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    return _pdf_response(handle, PurePosixPath(document.file.name).name)


def _client_ip(request) -> str | None:
    return recorded_address(request)


# --- A collectivité's site: its requests ----------------------------------------------------


@member_required()
@require_POST
def request_add(request, code: str):
    offer = Offer.objects.filter(code=code, orderable=True).select_related("requires_offer").first()
    if offer is None:
        raise Http404
    try:
        line = services.request_add_offer(
            collectivite=request.tenant,
            offer=offer,
            quantity=request.POST.get("quantity", "1"),
            note=request.POST.get("note", ""),
            user=request.user,
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("catalogue_offer", code=offer.code)
    messages.success(
        request, f"« {offer.name} » ajouté à votre demande ({line.quantity.normalize():f})."
    )
    return redirect("request_draft")


@member_required()
def request_draft(request, needs_form: NeedsForm | None = None):
    collectivite = request.tenant
    draft = selectors.draft_request(collectivite=collectivite)
    row, schedule = catalogue_selectors.schedule_in_force(on=timezone.localdate()), None
    if row is not None:
        schedule = catalogue_selectors.schedule_as_domain(row)
    holdings = selectors.holdings_by_offer(collectivite=collectivite)
    lines, estimate = [], []
    for line in draft.lines.all() if draft else []:
        try:
            priced = pricing.price(
                schedules=[schedule] if schedule else [],
                offer=line.offer.code,
                quantity=line.quantity,
                strate=collectivite.strate,
                on=timezone.localdate(),
                held=int(holdings.get(line.offer_id, 0)),
            )
        except pricing.PricingError as exc:
            lines.append((line, None, str(exc)))
        else:
            lines.append((line, priced[0], ""))
            estimate += priced
    return render(
        request,
        "contracts/request_draft.html",
        {
            "draft": draft,
            "lines": lines,
            "estimate": pricing.total(estimate) if estimate else None,
            "needs_form": needs_form or NeedsForm.for_draft(draft),
        },
    )


@member_required()
@require_POST
def request_line_update(request, line_id: int):
    try:
        services.request_line_update(
            collectivite=request.tenant, line_id=line_id, quantity=request.POST.get("quantity", "")
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, "Quantité mise à jour.")
    return redirect("request_draft")


@member_required()
@require_POST
def request_line_remove(request, line_id: int):
    try:
        services.request_line_remove(collectivite=request.tenant, line_id=line_id)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, "Ligne retirée de la demande.")
    return redirect("request_draft")


@member_required()
@require_POST
def request_needs(request):
    draft = selectors.draft_request(collectivite=request.tenant)
    form = NeedsForm.for_draft(draft, data=request.POST)
    if form.is_valid():
        try:
            services.request_needs_update(
                collectivite=request.tenant, user=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Vos besoins sont enregistrés dans la demande.")
            return redirect("request_draft")
    return request_draft(request, needs_form=form)


@member_required()
@require_POST
def request_submit(request):
    """The needs and "Transmettre au syndicat" are one form: the needs typed are saved with
    the submission, and a refused submission shows the form again as typed."""
    form = None
    if any(name in request.POST for name in NeedsForm.base_fields):
        draft = selectors.draft_request(collectivite=request.tenant)
        form = NeedsForm.for_draft(draft, data=request.POST)
        if not form.is_valid():
            return request_draft(request, needs_form=form)
    try:
        draft = services.request_submit(
            collectivite=request.tenant,
            user=request.user,
            needs=form.cleaned_data if form is not None else None,
        )
    except ValidationError as exc:
        if form is None:
            _error_messages(request, exc)
            return redirect("request_draft")
        add_service_errors(form, exc)
        return request_draft(request, needs_form=form)
    messages.success(
        request,
        f"Votre demande n° {draft.pk} est transmise au syndicat, qui va établir un devis.",
    )
    return redirect("requests")


@member_required()
def requests_page(request):
    collectivite = request.tenant
    return render(
        request,
        "contracts/requests.html",
        {
            "draft": selectors.draft_request(collectivite=collectivite),
            "sent_requests": selectors.requests_sent(collectivite=collectivite),
            "quotes": selectors.quotes_of_collectivite(collectivite=collectivite),
            "today": timezone.localdate(),
        },
    )


# --- A collectivité's site: its quotes -----------------------------------------------------------


def _tenant_quote_or_404(request, pk: int) -> Quote:
    try:
        return selectors.quote_of_collectivite(collectivite=request.tenant, pk=pk)
    except Quote.DoesNotExist as exc:
        raise Http404 from exc


def _quote_is_expired(quote: Quote, today) -> bool:
    """Q1: decided at the moment of signing, whether or not the nightly job marked it."""
    return quote.status == Quote.Status.EXPIRED or (
        quote.status == Quote.Status.SENT and rules.quote_is_expired(quote.issue_date, today)
    )


def _quote_page(request, quote: Quote, *, form: QuoteAcceptForm | None = None, error: str = ""):
    today = timezone.localdate()
    documents = list(quote.documents.all())
    with_framework = any(d.kind == QuoteDocument.Kind.FRAMEWORK for d in documents)
    is_signatory = Role.SIGNATORY in roles_in(request.user, request.tenant)
    expired = _quote_is_expired(quote, today)
    being_revised = Quote.objects.filter(previous=quote).exists()
    can_accept = (
        quote.status == Quote.Status.SENT and not expired and not being_revised and is_signatory
    )
    if can_accept and form is None:
        form = QuoteAcceptForm(with_framework=with_framework)
    return render(
        request,
        "contracts/quote_detail.html",
        {
            "quote": quote,
            "documents": documents,
            "with_framework": with_framework,
            "expired": expired,
            "expired_message": (
                services.QUOTE_EXPIRED.format(date=f"{quote.valid_until:%d/%m/%Y}")
                if expired and quote.valid_until
                else ""
            ),
            "awaiting_signature": quote.status == Quote.Status.SENT and not expired,
            "being_revised": services.QUOTE_BEING_REVISED if being_revised else "",
            "is_signatory": is_signatory,
            "form": form if can_accept else None,
            "error": error,
            "signatories": selectors.signatories_of(collectivite=quote.collectivite),
            "acceptance": getattr(quote, "acceptance", None),
            "events": audit_events_for(object_type=QUOTE_EVENTS, object_id=quote.pk),
        },
    )


@member_required()
@require_GET
def quote_detail(request, pk: int):
    return _quote_page(request, _tenant_quote_or_404(request, pk))


@member_required(Role.SIGNATORY)
@require_POST
def quote_accept(request, pk: int):
    quote = _tenant_quote_or_404(request, pk)
    with_framework = quote.documents.filter(kind=QuoteDocument.Kind.FRAMEWORK).exists()
    form = QuoteAcceptForm(request.POST, with_framework=with_framework)
    if form.is_valid():
        try:
            services.quote_accept(
                quote=quote,
                signatory=request.user,
                po_number=form.cleaned_data["po_number"],
                accept_framework=form.cleaned_data.get("accept_framework", False),
                ip_address=_client_ip(request),
                today=timezone.localdate(),
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                add_service_errors(form, exc)
            else:
                # Expired, already signed…: the page says why and offers what can be done.
                return _quote_page(
                    request, _tenant_quote_or_404(request, pk), error=exc.messages[0]
                )
        else:
            messages.success(
                request,
                f"Le devis {quote.label} est accepté. Le syndicat va l'approuver et mettre les "
                "services en place.",
            )
            return redirect("quote_detail", pk=quote.pk)
    return _quote_page(request, quote, form=form)


@member_required()
@require_GET
def quote_document(request, pk: int, doc_pk: int):
    try:
        document = selectors.quote_document_of_collectivite(
            collectivite=request.tenant, quote_pk=pk, pk=doc_pk
        )
    except QuoteDocument.DoesNotExist as exc:
        raise Http404 from exc
    return _stored_pdf(document)


@member_required()
@require_POST
def quote_request_again(request, pk: int):
    """Q1: an expired quote cannot be signed; its lines go back into the draft request, to be
    sent to the syndicate for a new quote."""
    quote = _tenant_quote_or_404(request, pk)
    if not _quote_is_expired(quote, timezone.localdate()):
        messages.error(request, "Seul un devis expiré peut être redemandé.")
        return redirect("quote_detail", pk=quote.pk)
    # A complement (extra quota) goes in after the offer it requires.
    lines = sorted(quote.lines.all(), key=lambda line: line.offer.requires_offer_id is not None)
    try:
        with transaction.atomic():
            for line in lines:
                services.request_add_offer(
                    collectivite=request.tenant,
                    offer=line.offer,
                    quantity=line.quantity,
                    user=request.user,
                    note=f"Repris du devis {quote.label}",
                )
    except ValidationError as exc:
        _error_messages(request, exc)
        return redirect("quote_detail", pk=quote.pk)
    messages.success(
        request,
        f"Les services du devis {quote.label} sont dans votre demande : vérifiez-la, puis "
        "transmettez-la au syndicat pour obtenir un nouveau devis.",
    )
    return redirect("request_draft")


# --- A collectivité's site: its contracts ----------------------------------------------------


def _subscription_events(collectivite: Collectivite):
    """The contracts' journal (P2): activations, renewals, terminations, reductions."""
    from portal.models import AuditEvent

    return (
        AuditEvent.objects.filter(object_type=SUBSCRIPTION_EVENTS, collectivite=collectivite)
        .select_related("actor")
        .order_by("-occurred_at", "-id")[:50]
    )


@member_required()
@require_GET
def contracts_page(request):
    today = timezone.localdate()
    return render(
        request,
        "contracts/contracts.html",
        {
            "events": _subscription_events(request.tenant),
            "rows": selectors.subscription_rows(collectivite=request.tenant, today=today),
            "is_signatory": Role.SIGNATORY in roles_in(request.user, request.tenant),
            "signatories": selectors.signatories_of(collectivite=request.tenant),
            "today": today,
        },
    )


def _tenant_subscription_or_404(request, pk: int) -> Subscription:
    try:
        return selectors.subscription_of_collectivite(collectivite=request.tenant, pk=pk)
    except Subscription.DoesNotExist as exc:
        raise Http404 from exc


@member_required(Role.SIGNATORY)
@require_http_methods(["GET", "POST"])
def subscription_terminate(request, pk: int):
    """S3: the signatory first reads what a termination received today does, then confirms;
    the answer (effective end, receipt) comes at once."""
    subscription = _tenant_subscription_or_404(request, pk)
    today = timezone.localdate()
    if subscription.status != Subscription.Status.ACTIVE:
        messages.error(
            request,
            services.SUBSCRIPTION_ENDED.format(
                date=f"{selectors.last_covered_day(subscription.ends_on):%d/%m/%Y}"
            )
            if subscription.ends_on
            else "Cet abonnement ne peut plus être résilié.",
        )
        return redirect("contracts")
    form = TerminationForm(
        request.POST or None,
        initial={
            "scope": request.GET.get("scope") or TerminationForm.WHOLE,
            "quantity": request.GET.get("quantity", ""),
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            termination = services.termination_record(
                subscription=subscription,
                received_on=today,
                today=today,
                requested_by=request.user,
                quantity=form.quantity_removed(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect("termination_detail", pk=termination.pk)
    return render(
        request,
        "contracts/termination_form.html",
        {
            "subscription": subscription,
            "preview": selectors.termination_preview(subscription=subscription, received_on=today),
            "partial": form["scope"].value() == TerminationForm.PART,
            "form": form,
        },
    )


def _tenant_termination_or_404(request, pk: int):
    try:
        return selectors.termination_of_collectivite(collectivite=request.tenant, pk=pk)
    except ObjectDoesNotExist as exc:
        raise Http404 from exc


@member_required()
@require_GET
def termination_detail(request, pk: int):
    termination = _tenant_termination_or_404(request, pk)
    return render(
        request,
        "contracts/termination_detail.html",
        {
            "termination": termination,
            "last_day_due": selectors.last_covered_day(termination.effective_end),
        },
    )


@member_required()
@require_GET
def termination_receipt(request, pk: int):
    from contracts.documents import termination_receipt_pdf

    termination = _tenant_termination_or_404(request, pk)
    return _pdf_response(
        termination_receipt_pdf(termination), f"accuse-resiliation-{termination.pk}.pdf"
    )


# --- Back-office: the work queue and requests ---------------------------------------------------


@staff_required()
@require_GET
def work_queue(request):
    form = WorkQueueFilterForm(request.GET or None)
    filters = form.filters()
    return render(
        request,
        "contracts/backoffice_work_queue.html",
        {
            "form": form,
            "queue": selectors.work_queue(
                collectivite=filters.get("collectivite"),
                status=filters.get("status") or "",
                offer=filters.get("offer"),
            ),
            "status": filters.get("status") or "",
            "statuses": selectors.WORK_QUEUE_STATUSES,
        },
    )


def _request_or_404(pk: int) -> ServiceRequest:
    try:
        return selectors.request_submitted_detail(pk=pk)
    except ServiceRequest.DoesNotExist as exc:
        raise Http404 from exc


@staff_required()
@require_GET
def backoffice_request(request, pk: int):
    service_request = _request_or_404(pk)
    return render(
        request,
        "contracts/backoffice_request.html",
        {
            "service_request": service_request,
            "can_edit": is_syndicate_admin(request.user),
            "events": audit_events_for(object_type=REQUEST_EVENTS, object_id=service_request.pk),
        },
    )


@staff_required(is_syndicate_admin)
@require_POST
def backoffice_request_quote(request, pk: int):
    service_request = _request_or_404(pk)
    try:
        quote = services.quote_create_from_request(
            request=service_request, created_by=request.user, today=timezone.localdate()
        )
    except ValidationError as exc:
        _error_messages(request, exc)
        return redirect("backoffice_request", pk=service_request.pk)
    messages.success(request, f"Devis {quote.label} établi à partir de la demande : complétez-le.")
    return redirect("quote_backoffice", pk=quote.pk)


# --- Back-office: the quote editor ---------------------------------------------------------------


def _quote_or_404(pk: int) -> Quote:
    try:
        return selectors.quote_detail(pk=pk)
    except Quote.DoesNotExist as exc:
        raise Http404 from exc


@staff_required(is_syndicate_admin)
@require_http_methods(["GET", "POST"])
def quote_backoffice_create(request):
    form = QuoteCreateForm(request.POST or None, initial=request.GET or None)
    if request.method == "POST" and form.is_valid():
        try:
            quote = services.quote_create(
                collectivite=form.cleaned_data["collectivite"],
                title=form.cleaned_data["title"],
                created_by=request.user,
                today=timezone.localdate(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Devis {quote.label} créé : ajoutez-lui ses lignes.")
            return redirect("quote_backoffice", pk=quote.pk)
    return render(request, "contracts/backoffice_quote_create.html", {"form": form})


def _quote_editor(
    request,
    quote: Quote,
    *,
    line_form: QuoteLineForm | None = None,
    approve_form: QuoteApproveForm | None = None,
    refuse_form: QuoteRefuseForm | None = None,
    activate_forms: dict | None = None,
    activate_all_form: LineActivateForm | None = None,
    title_form: QuoteTitleForm | None = None,
):
    today = timezone.localdate()
    lines = list(quote.lines.all())
    activate_forms = activate_forms or {}
    if quote.status == Quote.Status.APPROVED:
        for line in lines:
            if line.activated_on is None and line.pk not in activate_forms:
                activate_forms[line.pk] = LineActivateForm(
                    prefix=f"ligne{line.pk}", initial={"activated_on": today}
                )
    return render(
        request,
        "contracts/backoffice_quote.html",
        {
            "quote": quote,
            "lines": [(line, activate_forms.get(line.pk)) for line in lines],
            "documents": list(quote.documents.all()),
            "acceptance": getattr(quote, "acceptance", None),
            "supplier_orders": list(quote.supplier_orders.all()),
            "needs_supplier_order": any(line.offer.needs_supplier_order for line in lines),
            "can_edit": is_syndicate_admin(request.user),
            "line_form": line_form or QuoteLineForm(),
            "approve_form": approve_form or QuoteApproveForm(),
            "refuse_form": refuse_form or QuoteRefuseForm(),
            "activate_all_form": activate_all_form
            or LineActivateForm(prefix="toutes", initial={"activated_on": today}),
            "lines_to_activate": sum(1 for line in lines if line.activated_on is None),
            "today": today,
            "title_form": title_form or QuoteTitleForm(initial={"title": quote.title}),
            "preview": selectors.quote_draft_preview(quote=quote, lines=lines, on=today)
            if quote.status == Quote.Status.DRAFT
            else None,
            "revisable": quote.status in (Quote.Status.SENT, Quote.Status.EXPIRED)
            and not hasattr(quote, "next_version"),
            "events": audit_events_for(object_type=QUOTE_EVENTS, object_id=quote.pk),
        },
    )


@staff_required()
@require_GET
def quote_backoffice(request, pk: int):
    return _quote_editor(request, _quote_or_404(pk))


@staff_required(is_syndicate_admin)
@require_POST
def quote_backoffice_line_set(request, pk: int):
    """Add an offer to a draft quote, or change the quantity of its line."""
    quote = _quote_or_404(pk)
    form = QuoteLineForm(request.POST)
    if form.is_valid():
        try:
            line = services.quote_line_set(
                quote=quote,
                offer=form.cleaned_data["offer"],
                quantity=form.cleaned_data["quantity"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, f"Ligne « {line.label} » : quantité {line.quantity.normalize():f}."
            )
            return redirect("quote_backoffice", pk=quote.pk)
    if request.POST.get("from_line"):  # a line's own quantity form: said above the table
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return redirect("quote_backoffice", pk=quote.pk)
    return _quote_editor(request, quote, line_form=form)


@staff_required(is_syndicate_admin)
@require_POST
def quote_backoffice_line_remove(request, pk: int, line_id: int):
    quote = _quote_or_404(pk)
    try:
        services.quote_line_remove(quote=quote, line_id=line_id)
    except ValidationError as exc:
        _error_messages(request, exc)
    else:
        messages.success(request, "Ligne retirée du devis.")
    return redirect("quote_backoffice", pk=quote.pk)


@staff_required(is_syndicate_admin)
@require_POST
def quote_backoffice_send(request, pk: int):
    quote = _quote_or_404(pk)
    try:
        quote = services.quote_send(quote=quote, sent_by=request.user, today=timezone.localdate())
    except ValidationError as exc:
        _error_messages(request, exc)
    else:
        messages.success(
            request,
            f"Devis {quote.label} envoyé aux signataires {of_name(quote.collectivite.name)} ; "
            f"valable jusqu'au {quote.valid_until:%d/%m/%Y}.",
        )
    return redirect("quote_backoffice", pk=quote.pk)


@staff_required(is_syndicate_admin)
@require_POST
def quote_backoffice_revise(request, pk: int):
    quote = _quote_or_404(pk)
    try:
        revision = services.quote_revise(quote=quote, created_by=request.user)
    except ValidationError as exc:
        _error_messages(request, exc)
        return redirect("quote_backoffice", pk=quote.pk)
    messages.success(
        request,
        f"Version {revision.version} préparée : modifiez-la puis envoyez-la ; elle remplacera "
        f"la version {quote.version}.",
    )
    return redirect("quote_backoffice", pk=revision.pk)


@staff_required(is_syndicate_admin)
@require_POST
def quote_backoffice_approve(request, pk: int):
    quote = _quote_or_404(pk)
    form = QuoteApproveForm(request.POST)
    if form.is_valid():
        try:
            services.quote_approve(
                quote=quote, approved_by=request.user, supplier_orders=form.supplier_orders()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, f"Devis {quote.label} approuvé : activez maintenant chaque ligne."
            )
            return redirect("quote_backoffice", pk=quote.pk)
    return _quote_editor(request, quote, approve_form=form)


@staff_required(is_syndicate_admin)
@require_POST
def quote_backoffice_refuse(request, pk: int):
    quote = _quote_or_404(pk)
    form = QuoteRefuseForm(request.POST)
    if form.is_valid():
        try:
            services.quote_refuse(
                quote=quote, refused_by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Devis {quote.label} refusé ; la collectivité est prévenue.")
            return redirect("quote_backoffice", pk=quote.pk)
    return _quote_editor(request, quote, refuse_form=form)


@staff_required(is_syndicate_admin)
@require_POST
def quote_backoffice_line_activate(request, pk: int, line_id: int):
    quote = _quote_or_404(pk)
    line = next((li for li in quote.lines.all() if li.pk == line_id), None)
    if line is None:
        raise Http404
    form = LineActivateForm(request.POST, prefix=f"ligne{line.pk}")
    if form.is_valid():
        try:
            services.line_activate(
                line=line,
                activated_on=form.cleaned_data["activated_on"],
                activated_by=request.user,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                f"« {line.label} » activé le {form.cleaned_data['activated_on']:%d/%m/%Y}.",
            )
            return redirect("quote_backoffice", pk=quote.pk)
    return _quote_editor(request, quote, activate_forms={line.pk: form})


@staff_required(is_syndicate_admin)
@require_POST
def quote_backoffice_title(request, pk: int):
    quote = _quote_or_404(pk)
    form = QuoteTitleForm(request.POST)
    if form.is_valid():
        try:
            services.quote_title_update(quote=quote, title=form.cleaned_data["title"])
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):  # a sent quote: its page has no title form
                _error_messages(request, exc)
                return redirect("quote_backoffice", pk=quote.pk)
            add_service_errors(form, exc)
        else:
            messages.success(request, "L'objet du devis est enregistré.")
            return redirect("quote_backoffice", pk=quote.pk)
    return _quote_editor(request, quote, title_form=form)


@staff_required(is_syndicate_admin)
@require_POST
def quote_backoffice_activate_all(request, pk: int):
    """Every line of an approved order still to activate, on one date, in one action."""
    quote = _quote_or_404(pk)
    form = LineActivateForm(request.POST, prefix="toutes")
    if form.is_valid():
        try:
            done = services.quote_lines_activate_all(
                quote=quote,
                activated_on=form.cleaned_data["activated_on"],
                activated_by=request.user,
            )
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):  # about the order, not the date typed
                _error_messages(request, exc)
                return redirect("quote_backoffice", pk=quote.pk)
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                ngettext(
                    "%(count)d ligne activée le %(date)s.",
                    "%(count)d lignes activées le %(date)s.",
                    len(done),
                )
                % {"count": len(done), "date": f"{form.cleaned_data['activated_on']:%d/%m/%Y}"},
            )
            return redirect("quote_backoffice", pk=quote.pk)
    return _quote_editor(request, quote, activate_all_form=form)


@staff_required()
@require_GET
def quote_backoffice_document(request, pk: int, doc_pk: int):
    document = QuoteDocument.objects.filter(quote_id=pk, pk=doc_pk).first()
    if document is None:
        raise Http404
    return _stored_pdf(document)


# --- Back-office: a collectivité's contracts ----------------------------------------------------


def _collectivite_or_404(pk: int) -> Collectivite:
    collectivite = Collectivite.objects.filter(pk=pk).first()
    if collectivite is None:
        raise Http404
    return collectivite


def _collectivite_contracts_page(request, member: Collectivite, *, forms: dict | None = None):
    today = timezone.localdate()
    rows = selectors.subscription_rows(collectivite=member, today=today)
    forms = forms or {}
    can_edit = is_syndicate_admin(request.user)
    return render(
        request,
        "contracts/backoffice_contracts.html",
        {
            "events": _subscription_events(member),
            "member": member,
            "rows": rows,
            "row_forms": [
                (
                    row,
                    (
                        forms.get(row.subscription.pk)
                        or TerminationRecordForm(
                            prefix=f"abonnement{row.subscription.pk}",
                            initial={"received_on": today},
                        )
                    )
                    if can_edit and row.can_terminate
                    else None,
                )
                for row in rows
            ],
            "can_edit": can_edit,
        },
    )


@staff_required()
@require_GET
def collectivite_contracts(request, pk: int):
    return _collectivite_contracts_page(request, _collectivite_or_404(pk))


@staff_required(is_syndicate_admin)
@require_POST
def collectivite_termination_record(request, pk: int, subscription_pk: int):
    """S3: a termination received by post, recorded with the date the syndicate received it."""
    member = _collectivite_or_404(pk)
    try:
        subscription = selectors.subscription_of_collectivite(
            collectivite=member, pk=subscription_pk
        )
    except Subscription.DoesNotExist as exc:
        raise Http404 from exc
    form = TerminationRecordForm(request.POST, prefix=f"abonnement{subscription.pk}")
    if form.is_valid():
        try:
            termination = services.termination_record(
                subscription=subscription,
                received_on=form.cleaned_data["received_on"],
                today=timezone.localdate(),
                recorded_by=request.user,
                quantity=form.quantity_removed(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                f"Résiliation de « {subscription.offer.name} » reçue le "
                f"{termination.received_on:%d/%m/%Y} enregistrée : dû jusqu'au "
                f"{selectors.last_covered_day(termination.effective_end):%d/%m/%Y} inclus.",
            )
            return redirect("collectivite_contracts", pk=member.pk)
    return _collectivite_contracts_page(request, member, forms={subscription.pk: form})


@staff_required()
@require_GET
def collectivite_termination_receipt(request, pk: int, termination_pk: int):
    from contracts.documents import termination_receipt_pdf

    member = _collectivite_or_404(pk)
    try:
        termination = selectors.termination_of_collectivite(collectivite=member, pk=termination_pk)
    except ObjectDoesNotExist as exc:
        raise Http404 from exc
    return _pdf_response(
        termination_receipt_pdf(termination), f"accuse-resiliation-{termination.pk}.pdf"
    )
