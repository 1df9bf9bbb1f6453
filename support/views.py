"""Pages of the assistance: on a collectivité's site (its requests, a new request with the
practical guides proposed while typing, replies, remote-session consent, estimates for the
signatory, rating, attachments) and in the back-office (the queue per channel, the ticket's
work page, requests opened on a member's behalf, guides, the monthly report and its CSV).

Views parse input, call one service or selector and render. On a collectivité's site every
read filters by `request.tenant`: another collectivité's ticket or attachment is a 404."""

from __future__ import annotations

import csv
from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.access import member_required, roles_in, staff_required
from portal.adapters import recorded_address
from portal.forms import add_service_errors
from portal.models import Collectivite, Role
from support import report, selectors, services
from support.forms import (
    AssignForm,
    EstimateDecisionForm,
    EstimateForm,
    GuideForm,
    IncidentLinkForm,
    MergeForm,
    QueueFilterForm,
    ReplyForm,
    StaffReplyForm,
    StaffTicketForm,
    StatusForm,
    TicketForm,
    TimeRecordForm,
)
from support.models import (
    Attachment,
    Estimate,
    Guide,
    RemoteConsent,
    Status,
    Ticket,
)

# Who sees every ticket of the collectivité; an agent sees the ones they asked for.
SEE_ALL_ROLES = {Role.FUNCTIONAL_ADMIN, Role.SIGNATORY}


def _error_messages(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _visible_tickets(request):
    tickets = selectors.tickets_of_collectivite(collectivite=request.tenant)
    if not roles_in(request.user, request.tenant) & SEE_ALL_ROLES:
        tickets = tickets.filter(requester=request.user)
    return tickets


def _tenant_ticket_or_404(request, pk: int) -> Ticket:
    if not _visible_tickets(request).filter(pk=pk).exists():
        raise Http404
    return selectors.ticket_of_collectivite(collectivite=request.tenant, pk=pk)


# --- A collectivité's site ------------------------------------------------------------------


@member_required()
@require_GET
def tickets_page(request):
    return render(
        request,
        "support/tickets.html",
        {"tickets": _visible_tickets(request).select_related("requester")},
    )


def _ticket_form(request, data=None, files=None):
    return TicketForm(
        data,
        files,
        offers=selectors.subscribed_offers(request.tenant),
        suggest_url=reverse("support_guide_suggestions"),
        incidents_url=reverse("support_incidents_panel"),
    )


@member_required()
@require_http_methods(["GET", "POST"])
def ticket_new(request):
    form = _ticket_form(request, request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ticket = services.ticket_open(
                collectivite=request.tenant,
                requester=request.user,
                opened_by=request.user,
                data=services.TicketInput(
                    subject=data["subject"],
                    description=data["description"],
                    priority=data["priority"],
                    offer=data["offer"],
                    account_label=data["account_label"],
                ),
                files=data["files"],
                now=timezone.now(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Votre demande {ticket.number} est enregistrée.")
            return redirect("support_ticket", pk=ticket.pk)
    return render(
        request,
        "support/ticket_new.html",
        {"form": form, **_incidents_shown(request, form)},
    )


def _incidents_shown(request, form):
    """The incidents running on the chosen service; before a choice, on any of the
    collectivité's services (the page works without JavaScript)."""
    chosen = form.data.get("offer") if form.is_bound else request.GET.get("offer")
    if not chosen:
        incidents = selectors.open_incidents_on(collectivite=request.tenant, any_service=True)
        return {"incidents": incidents, "on_service": False}
    offer = form.offers.get(str(chosen))
    incidents = selectors.open_incidents_on(collectivite=request.tenant, offer=offer)
    return {"incidents": incidents, "on_service": True}


@member_required()
@require_GET
def incidents_panel(request):
    """htmx: the incidents of the service chosen in the request form."""
    form = _ticket_form(request)
    offer = form.offers.get(request.GET.get("offer", ""))
    incidents = selectors.open_incidents_on(collectivite=request.tenant, offer=offer)
    return render(
        request,
        "support/partials/open_incidents.html",
        {"incidents": incidents, "on_service": True},
    )


def _guide_suggestions(request):
    """htmx: guides whose title matches the subject being typed."""
    offer = None
    offer_pk = request.GET.get("offer", "")
    if offer_pk.isdigit():
        from catalogue.models import Offer

        offer = Offer.objects.filter(pk=int(offer_pk)).first()
    guides = selectors.guides_matching(text=request.GET.get("subject", ""), offer=offer)
    return render(request, "support/partials/guide_suggestions.html", {"guides": guides})


def _guide_page(request, pk: int, layout: str):
    guide = get_object_or_404(Guide, pk=pk, published=True)
    return render(request, "support/guide.html", {"guide": guide, "layout": layout})


@member_required()
@require_GET
def guide_suggestions(request):
    return _guide_suggestions(request)


@member_required()
@require_GET
def guide_page(request, pk: int):
    return _guide_page(request, pk, "layouts/tenant.html")


@staff_required()
@require_GET
def backoffice_guide_suggestions(request):
    return _guide_suggestions(request)


@staff_required()
@require_GET
def backoffice_guide_page(request, pk: int):
    return _guide_page(request, pk, "layouts/backoffice.html")


def _tenant_ticket_page(request, ticket: Ticket, *, reply_form=None, decision_form=None):
    held = roles_in(request.user, request.tenant)
    return render(
        request,
        "support/ticket.html",
        {
            "ticket": ticket,
            "events": [event for event in ticket.events.all() if event.public],
            "attachments": _public_attachments(ticket),
            "reply_form": reply_form or ReplyForm(),
            "decision_form": decision_form or EstimateDecisionForm(),
            "is_signatory": Role.SIGNATORY in held,
            "is_requester": ticket.requester_id == request.user.pk,
            "can_rate": ticket.status in (Status.RESOLVED, Status.CLOSED)
            and ticket.resolved_at is not None
            and ticket.rating is None,
            "open_estimates": [
                e for e in ticket.estimates.all() if e.state == Estimate.State.PROPOSED
            ],
        },
    )


def _public_attachments(ticket: Ticket) -> dict[int, list[Attachment]]:
    by_event: dict[int, list[Attachment]] = {}
    for attachment in ticket.attachments.all():
        by_event.setdefault(attachment.event_id, []).append(attachment)
    return by_event


@member_required()
@require_GET
def ticket_page(request, pk: int):
    return _tenant_ticket_page(request, _tenant_ticket_or_404(request, pk))


@member_required()
@require_POST
def ticket_reply(request, pk: int):
    ticket = _tenant_ticket_or_404(request, pk)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.ticket_reply(
                ticket=ticket,
                author=request.user,
                body=form.cleaned_data["body"],
                files=form.cleaned_data["files"],
                now=timezone.now(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Votre message est ajouté à la demande.")
            return redirect("support_ticket", pk=pk)
    return _tenant_ticket_page(request, ticket, reply_form=form)


@member_required()
@require_POST
def consent_give(request, pk: int, consent_pk: int):
    ticket = _tenant_ticket_or_404(request, pk)
    consent = get_object_or_404(RemoteConsent, pk=consent_pk, ticket=ticket)
    try:
        services.consent_give(
            consent=consent,
            user=request.user,
            ip_address=recorded_address(request),
            now=timezone.now(),
        )
    except ValidationError as exc:
        _error_messages(request, exc)
    else:
        messages.success(request, "Votre accord pour la télémaintenance est enregistré.")
    return redirect("support_ticket", pk=pk)


@member_required(Role.SIGNATORY)
@require_POST
def estimate_decide(request, pk: int, estimate_pk: int):
    ticket = _tenant_ticket_or_404(request, pk)
    estimate = get_object_or_404(Estimate, pk=estimate_pk, ticket=ticket)
    form = EstimateDecisionForm(request.POST)
    accept = request.POST.get("decision") == "accept"
    if form.is_valid():
        try:
            services.estimate_decide(
                estimate=estimate,
                signatory=request.user,
                accept=accept,
                po_number=form.cleaned_data["po_number"],
                ip_address=recorded_address(request),
                now=timezone.now(),
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                add_service_errors(form, exc)
                return _tenant_ticket_page(request, ticket, decision_form=form)
            _error_messages(request, exc)
        else:
            messages.success(
                request,
                "Le devis d'intervention est accepté." if accept else "Le devis est refusé.",
            )
    return redirect("support_ticket", pk=pk)


@member_required()
@require_POST
def ticket_rate(request, pk: int):
    ticket = _tenant_ticket_or_404(request, pk)
    try:
        services.ticket_rate(
            ticket=ticket,
            user=request.user,
            rating=int(request.POST.get("rating", "0") or 0),
            now=timezone.now(),
        )
    except (ValidationError, ValueError) as exc:
        _error_messages(
            request,
            exc if isinstance(exc, ValidationError) else ValidationError(services.RATING_RANGE),
        )
    else:
        messages.success(request, "Merci pour votre avis.")
    return redirect("support_ticket", pk=pk)


def _file_response(attachment: Attachment):
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle, as_attachment=True, filename=attachment.name)
    response["Content-Type"] = "application/octet-stream"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@member_required()
@require_GET
def attachment_download(request, pk: int):
    attachment = get_object_or_404(
        Attachment.objects.select_related("event", "ticket"),
        pk=pk,
        ticket__collectivite=request.tenant,
    )
    visible = _visible_tickets(request).filter(pk=attachment.ticket_id).exists()
    if not visible or (attachment.event is not None and not attachment.event.public):
        raise Http404
    return _file_response(attachment)


# --- The back-office ------------------------------------------------------------------------


@staff_required()
@require_GET
def queue_page(request):
    form = QueueFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = selectors.queue(
        channel=filters.get("canal"),
        now=timezone.now(),
        mine=request.user if filters.get("miennes") else None,
    )
    return render(request, "support/backoffice_queue.html", {"form": form, "rows": rows})


@staff_required()
@require_http_methods(["GET", "POST"])
def backoffice_ticket_new(request):
    collectivite = None
    slug = request.POST.get("collectivite") or request.GET.get("collectivite")
    if slug:
        collectivite = Collectivite.objects.filter(slug=slug).first()
    form = None
    if collectivite is not None:
        form = StaffTicketForm(
            request.POST if request.method == "POST" and "subject" in request.POST else None,
            request.FILES or None,
            collectivite=collectivite,
            offers=selectors.subscribed_offers(collectivite),
            suggest_url=reverse("support_guide_suggestions"),
        )
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            try:
                ticket = services.ticket_open(
                    collectivite=collectivite,
                    requester=data["requester_email"],
                    opened_by=request.user,
                    data=services.TicketInput(
                        subject=data["subject"],
                        description=data["description"],
                        priority=data["priority"],
                        offer=data["offer"],
                        account_label=data["account_label"],
                    ),
                    files=data["files"],
                    now=timezone.now(),
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"Demande {ticket.number} ouverte.")
                return redirect("support_backoffice_ticket", pk=ticket.pk)
    return render(
        request,
        "support/backoffice_ticket_new.html",
        {
            "collectivite": collectivite,
            "collectivites": Collectivite.objects.filter(is_active=True)
            .exclude(schema_name="public")
            .order_by("name"),
            "form": form,
        },
    )


# Several forms share a page: their ids stay unique (RGAA).
FORM_IDS = {"status_form": "etat_%s", "estimate_form": "devis_%s", "incident_form": "incident_%s"}


def _backoffice_page(request, ticket: Ticket, **forms):
    now = timezone.now()
    targets = selectors.targets_of(ticket)
    calendar = selectors.calendar_of(ticket.channel)
    clocks = [
        (
            kind,
            selectors.ticket_clock(
                ticket=ticket, kind=kind, now=now, calendar=calendar, targets=targets
            ),
        )
        for kind in ("first_response", "intervention", "resolution")
    ]
    context = {
        "ticket": ticket,
        "events": ticket.events.all(),
        "attachments": _public_attachments(ticket),
        "clocks": [(kind, reading) for kind, reading in clocks if reading is not None],
        "reply_form": StaffReplyForm(),
        "status_form": StatusForm(initial={"status": ticket.status}, auto_id="etat_%s"),
        "assign_form": AssignForm(initial={"assignee": ticket.assignee_id}),
        "merge_form": MergeForm(),
        "estimate_form": EstimateForm(auto_id="devis_%s"),
        "time_form": TimeRecordForm(
            initial={"delivered_on": timezone.localdate()}, auto_id="temps_%s"
        ),
        "time_spent": sum(event.minutes_spent for event in ticket.events.all()),
        "incident_links": ticket.incident_links.all(),
        "incident_form": _incident_form(ticket),
    }
    context.update(forms)
    return render(request, "support/backoffice_ticket.html", context)


def _incident_form(ticket: Ticket, data=None):
    incidents = selectors.incidents_linkable(ticket=ticket)
    if data is None and not incidents.exists():
        return None
    return IncidentLinkForm(data, incidents=incidents, auto_id="incident_%s")


def _staff_ticket(pk: int) -> Ticket:
    try:
        return selectors.ticket_get(pk=pk)
    except Ticket.DoesNotExist as exc:
        raise Http404 from exc


@staff_required()
@require_GET
def backoffice_ticket(request, pk: int):
    return _backoffice_page(request, _staff_ticket(pk))


@staff_required()
@require_POST
def backoffice_ticket_action(request, pk: int, action: str):
    """One form per action on the ticket's work page; a bad one re-renders with its errors."""
    ticket = _staff_ticket(pk)
    now = timezone.now()
    handlers = {
        "repondre": (StaffReplyForm, "reply_form", _do_reply),
        "etat": (StatusForm, "status_form", _do_status),
        "attribuer": (AssignForm, "assign_form", _do_assign),
        "fusionner": (MergeForm, "merge_form", _do_merge),
        "devis": (EstimateForm, "estimate_form", _do_estimate),
        "telemaintenance": (None, None, _do_consent),
        "incident": (IncidentLinkForm, "incident_form", _do_incident),
    }
    if action not in handlers:
        raise Http404
    form_class, name, handler = handlers[action]
    form = (
        form_class(request.POST, request.FILES, auto_id=FORM_IDS.get(name, "id_%s"))
        if form_class
        else None
    )
    if form is None or form.is_valid():
        try:
            success = handler(request, ticket, form.cleaned_data if form else {}, now)
        except ValidationError as exc:
            if form is None:
                _error_messages(request, exc)
                return redirect("support_backoffice_ticket", pk=pk)
            add_service_errors(form, exc)
        else:
            messages.success(request, success)
            return redirect("support_backoffice_ticket", pk=pk)
    return _backoffice_page(request, ticket, **{name: form})


def _do_reply(request, ticket, data, now) -> str:
    services.ticket_reply(
        ticket=ticket,
        author=request.user,
        body=data["body"],
        public=bool(data.get("public")),
        minutes_spent=data.get("minutes_spent") or 0,
        files=data["files"],
        now=now,
    )
    return "Réponse envoyée." if data.get("public") else "Note interne ajoutée."


def _do_status(request, ticket, data, now) -> str:
    services.ticket_status_change(
        ticket=ticket,
        status=data["status"],
        author=request.user,
        now=now,
        minutes_spent=data.get("minutes_spent") or 0,
    )
    return f"État : {Status(data['status']).label}."


def _do_assign(request, ticket, data, now) -> str:
    services.ticket_assign(ticket=ticket, assignee=data["assignee"], author=request.user, now=now)
    return "Attribution enregistrée."


def _do_merge(request, ticket, data, now) -> str:
    into = Ticket.objects.filter(pk=data["into"]).first()
    if into is None:
        raise ValidationError({"into": "Aucune demande ne porte ce numéro."})
    services.ticket_merge(duplicate=ticket, into=into, author=request.user, now=now)
    return f"Demande fusionnée dans {into.number}."


def _do_estimate(request, ticket, data, now) -> str:
    services.estimate_propose(
        ticket=ticket,
        technician=request.user,
        reason=data["reason"],
        offer=data["offer"],
        quantity=data["quantity"],
        description=data["description"],
        today=timezone.localdate(),
        now=now,
    )
    return "Devis d'intervention proposé au signataire."


def _do_incident(request, ticket, data, now) -> str:
    incident = data["incident"]
    services.ticket_incident_link(ticket=ticket, incident=incident, author=request.user, now=now)
    return f"Demande liée à l'incident « {incident.title} » : elle sera résolue à sa fin."


def _do_consent(request, ticket, data, now) -> str:
    services.consent_ask(ticket=ticket, technician=request.user, now=now)
    return "Accord demandé : la télémaintenance s'ouvre quand la personne l'a donné."


@staff_required()
@require_POST
def backoffice_time_record(request, pk: int, estimate_pk: int):
    ticket = _staff_ticket(pk)
    estimate = get_object_or_404(Estimate, pk=estimate_pk, ticket=ticket)
    form = TimeRecordForm(request.POST, auto_id="temps_%s")
    if form.is_valid():
        try:
            services.intervention_time_record(
                estimate=estimate,
                quantity=form.cleaned_data["quantity"],
                technician=request.user,
                delivered_on=form.cleaned_data["delivered_on"],
                now=timezone.now(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, "Temps enregistré : il sera facturé par la prochaine facturation."
            )
            return redirect("support_backoffice_ticket", pk=pk)
    return _backoffice_page(request, ticket, time_form=form)


@staff_required()
@require_GET
def backoffice_attachment(request, pk: int):
    return _file_response(get_object_or_404(Attachment, pk=pk))


@staff_required()
@require_GET
def guides_page(request):
    return render(
        request, "support/backoffice_guides.html", {"guides": Guide.objects.select_related("offer")}
    )


@staff_required()
@require_http_methods(["GET", "POST"])
def guide_edit(request, pk: int | None = None):
    guide = get_object_or_404(Guide, pk=pk) if pk else None
    form = GuideForm(request.POST or None, instance=guide)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Fiche pratique enregistrée.")
        return redirect("support_guides")
    return render(request, "support/backoffice_guide_form.html", {"form": form, "guide": guide})


def _month(request) -> tuple[int, int]:
    text = request.GET.get("mois", "")
    try:
        year, month = (int(part) for part in text.split("-"))
        date(year, month, 1)
    except ValueError:
        today = timezone.localdate()
        return today.year, today.month
    return year, month


@staff_required()
@require_GET
def report_page(request):
    year, month = _month(request)
    rows = selectors.monthly_report(year=year, month=month, now=timezone.now())
    return render(
        request,
        "support/backoffice_report.html",
        {
            "rows": rows,
            "month": f"{year:04d}-{month:02d}",
            "month_label": f"{month:02d}/{year}",
            "chart": report.chart(rows),
            "availability": [
                (a.service.name, report.minutes_label(a.interrupted_minutes))
                for a in selectors.monthly_availability(year=year, month=month, now=timezone.now())
            ],
        },
    )


@staff_required()
@require_GET
def report_csv(request):
    year, month = _month(request)
    rows = selectors.monthly_report(year=year, month=month, now=timezone.now())
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="assistance-{year}-{month:02d}.csv"'
    writer = csv.writer(response, delimiter=";")
    writer.writerow(report.CSV_HEADER)
    for row in rows:
        writer.writerow(report.csv_row(row))
    return response
