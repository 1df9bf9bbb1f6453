"""Pages of trainings. On a collectivité's site, "Formations": sessions open to
registration, its people registered, its history and the included half-days left; its
functional administrators and signatories register and cancel. In the back-office: the
calendar of sessions with their fill, the catalogue of trainings, each session with its
registrations, attendance (staff or the session's trainer), cancellation and the attendance
sheet PDF."""

from __future__ import annotations

from calendar import monthrange
from datetime import date
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from contracts.rules import add_months
from portal.access import NOT_FOUND, is_syndicate_staff, member_required, staff_required
from portal.forms import add_service_errors
from portal.models import Role, User
from portal.tenancy import is_public_request
from trainings import selectors, services
from trainings.documents import attendance_sheet_pdf
from trainings.forms import RegistrationForm, SessionCancelForm, SessionForm, TrainingForm
from trainings.models import Registration, Session, Training

REGISTRARS = (Role.FUNCTIONAL_ADMIN, Role.SIGNATORY)
MONTHS = [
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
]  # fmt: skip


# --- A collectivité's site ---------------------------------------------------------------------


def _can_register(request) -> bool:
    from portal.access import roles_in

    return bool(roles_in(request.user, request.tenant).intersection(REGISTRARS))


@member_required()
@require_GET
def tenant_trainings(request):
    today = timezone.localdate()
    page = selectors.tenant_trainings(collectivite=request.tenant, today=today)
    return render(
        request,
        "trainings/tenant_trainings.html",
        {"page": page, "today": today, "can_register": _can_register(request)},
    )


def _members(collectivite) -> list[User]:
    return list(
        User.objects.filter(memberships__collectivite=collectivite, is_active=True)
        .distinct()
        .order_by("full_name", "email")
    )


@member_required(*REGISTRARS)
@require_http_methods(["GET", "POST"])
def tenant_session(request, pk: int):
    today = timezone.localdate()
    session = get_object_or_404(
        selectors.upcoming_sessions(today=today).select_related("training__offer"), pk=pk
    )
    form = RegistrationForm(
        request.POST if request.method == "POST" else None, members=_members(request.tenant)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            registration = services.registration_create(
                session=session,
                collectivite=request.tenant,
                registered_by=request.user,
                today=today,
                user=form.members.get(data["member"]) if data["member"] else None,
                full_name=data["full_name"],
                email=data["email"],
                po_number=data["po_number"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, f"{registration.full_name} : {registration.status_label.lower()}."
            )
            return redirect("tenant_training_session", pk=session.pk)
    ours = [
        r
        for r in selectors.session_registrations(session)
        if r.collectivite_id == request.tenant.pk
    ]
    return render(
        request,
        "trainings/tenant_session.html",
        {
            "session": session,
            "form": form,
            "ours": ours,
            "held_on": selectors.held_on(session),
            "places_left": max(session.capacity - session.registered, 0),
        },
        status=422 if request.method == "POST" else 200,
    )


@member_required(*REGISTRARS)
@require_POST
def tenant_registration_cancel(request, pk: int):
    registration = get_object_or_404(Registration, pk=pk, collectivite=request.tenant)
    try:
        services.registration_cancel(
            registration=registration, actor=request.user, today=timezone.localdate()
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Inscription de {registration.full_name} annulée.")
    return redirect("tenant_trainings")


# --- Back-office -------------------------------------------------------------------------------


def _month(value: str | None, today: date) -> date:
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        return date(year, month, 1)
    except ValueError:
        return today.replace(day=1)


@staff_required()
@require_GET
def backoffice_calendar(request):
    today = timezone.localdate()
    first = _month(request.GET.get("mois"), today)
    end = add_months(first, 1)
    sessions = list(selectors.calendar_sessions(start=first, end=end))
    days: dict[date, list] = {}
    for session in sessions:
        days.setdefault(selectors.held_on(session), []).append(session)
    return render(
        request,
        "trainings/backoffice_calendar.html",
        {
            "month_label": f"{MONTHS[first.month - 1]} {first.year}",
            "days": sorted(days.items()),
            "previous": add_months(first, -1),
            "next": end,
            "days_in_month": monthrange(first.year, first.month)[1],
            "today": today,
        },
    )


@staff_required()
@require_http_methods(["GET", "POST"])
def backoffice_catalogue(request, pk: int | None = None):
    training = get_object_or_404(Training, pk=pk) if pk else None
    form = TrainingForm(request.POST if request.method == "POST" else None, instance=training)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.training_save(training=form.save(commit=False), actor=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Formation « {saved.title} » enregistrée.")
            return redirect("trainings_backoffice_catalogue")
    return render(
        request,
        "trainings/backoffice_catalogue.html",
        {
            "trainings": Training.objects.select_related("offer", "tariff_offer"),
            "form": form,
            "training": training,
        },
        status=422 if request.method == "POST" else 200,
    )


@staff_required()
@require_http_methods(["GET", "POST"])
def backoffice_session_edit(request, pk: int | None = None):
    session = get_object_or_404(Session, pk=pk) if pk else None
    form = SessionForm(request.POST if request.method == "POST" else None, instance=session)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.session_save(session=form.save(commit=False), actor=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Session enregistrée.")
            return redirect("trainings_backoffice_session", pk=saved.pk)
    return render(
        request,
        "trainings/backoffice_session_form.html",
        {"form": form, "session": session},
        status=422 if request.method == "POST" else 200,
    )


def staff_or_trainer(view):
    """The session's pages in the back-office: syndicate staff, or the session's trainer."""

    @wraps(view)
    def wrapped(request, pk: int, *args, **kwargs):
        if not is_public_request(request):
            raise Http404(NOT_FOUND)
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        session = get_object_or_404(selectors.sessions_with_counts(), pk=pk)
        if not (is_syndicate_staff(request.user) or session.trainer_id == request.user.pk):
            raise Http404(NOT_FOUND)
        return view(request, session, *args, **kwargs)

    return wrapped


def _session_page(request, session, *, cancel_form=None, status=200):
    registrations = selectors.session_registrations(session)
    return render(
        request,
        "trainings/backoffice_session.html",
        {
            "session": session,
            "held_on": selectors.held_on(session),
            "registered": [r for r in registrations if r.status == "registered"],
            "waiting": [r for r in registrations if r.status == "waiting"],
            "cancel_form": cancel_form or SessionCancelForm(),
            "today": timezone.localdate(),
            "is_staff": is_syndicate_staff(request.user),
        },
        status=status,
    )


@staff_or_trainer
@require_GET
def backoffice_session(request, session):
    return _session_page(request, session)


@staff_or_trainer
@require_POST
def backoffice_session_attendance(request, session):
    attended = {int(v) for v in request.POST.getlist("attended") if v.isdigit()}
    try:
        services.attendance_record(
            session=session, attended=attended, actor=request.user, today=timezone.localdate()
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Présences enregistrées.")
    return redirect("trainings_backoffice_session", pk=session.pk)


@staff_or_trainer
@require_POST
def backoffice_session_cancel(request, session):
    if not is_syndicate_staff(request.user):
        raise Http404(NOT_FOUND)
    form = SessionCancelForm(request.POST)
    if form.is_valid():
        try:
            services.session_cancel(
                session=session,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                today=timezone.localdate(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Session annulée ; les inscrits en sont informés.")
            return redirect("trainings_backoffice_session", pk=session.pk)
    return _session_page(request, session, cancel_form=form, status=422)


@staff_or_trainer
@require_GET
def backoffice_session_sheet(request, session):
    response = HttpResponse(attendance_sheet_pdf(session), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="emargement-session-{session.pk}-{selectors.held_on(session):%Y%m%d}.pdf"'
    )
    return response
