"""Pages of the service status: the status page (back-office and each collectivité's site),
the back-office's announcements, the private feed address, and "Mes notifications"."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.access import is_syndicate_admin, member_required, staff_required
from portal.forms import add_service_errors
from portal.models import Role
from portal.tenancy import is_public_request
from status import selectors, services
from status.domain import STATE_LABELS, ServiceState
from status.forms import AnnouncementForm, CloseForm, PreferenceForm, UpdateForm
from status.models import Announcement, FeedToken, NotificationPreference

RECENT = 20


def _status_page(request, collectivite):
    now = timezone.now()
    rows = selectors.status_board(collectivite=collectivite, now=now)
    return render(
        request,
        "status/status_page.html",
        {
            "rows": rows,
            "legend": [(s.value, STATE_LABELS[s]) for s in ServiceState],
            "months": rows[0].months if rows else [],
            "announcements": selectors.announcements_visible(collectivite=collectivite)[:RECENT],
            "now": now,
        },
    )


@require_GET
def status_page(request):
    """On the back-office: every service, open to anyone (the syndicate's public page). On a
    collectivité's site: its members, its services only."""
    if is_public_request(request):
        return _status_page(request, None)
    return _member_status_page(request)


@member_required()
def _member_status_page(request):
    return _status_page(request, request.tenant)


# --- Back-office: announcements -------------------------------------------------------------


@staff_required()
@require_http_methods(["GET", "POST"])
def announcements(request):
    form = AnnouncementForm(request.POST if request.method == "POST" else None)
    is_admin = is_syndicate_admin(request.user)
    if request.method == "POST":
        if not is_admin:
            raise Http404
        if form.is_valid():
            data = form.cleaned_data
            try:
                created = services.announcement_create(
                    kind=data["kind"],
                    title=data["title"],
                    body=data["body"],
                    severity=data["severity"],
                    services=data["services"],
                    starts_at=data["starts_at"],
                    ends_at=data["ends_at"],
                    created_by=request.user,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"Annonce publiée : {created.title}")
                return redirect("status_announcement", pk=created.pk)
    return render(
        request,
        "status/backoffice_announcements.html",
        {
            "form": form,
            "is_admin": is_admin,
            "open_incidents": selectors.announcement_list(open_only=True),
            "announcements": selectors.announcement_list()[:50],
        },
    )


def _announcement_or_404(pk: int) -> Announcement:
    try:
        return selectors.announcement_get(pk=pk)
    except Announcement.DoesNotExist as exc:
        raise Http404 from exc


@staff_required()
@require_GET
def announcement_detail(request, pk: int, update_form=None, close_form=None):
    announcement = _announcement_or_404(pk)
    return render(
        request,
        "status/backoffice_announcement.html",
        {
            "a": announcement,
            "is_admin": is_syndicate_admin(request.user),
            "update_form": update_form or UpdateForm(),
            "close_form": close_form or CloseForm(),
        },
    )


@staff_required(is_syndicate_admin)
@require_POST
def announcement_update(request, pk: int):
    announcement = _announcement_or_404(pk)
    form = UpdateForm(request.POST)
    if form.is_valid():
        try:
            services.announcement_update_post(
                announcement=announcement, body=form.cleaned_data["body"], posted_by=request.user
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Mise à jour publiée.")
            return redirect("status_announcement", pk=pk)
    request.method = "GET"
    return announcement_detail(request, pk, update_form=form)


@staff_required(is_syndicate_admin)
@require_POST
def announcement_close(request, pk: int):
    announcement = _announcement_or_404(pk)
    form = CloseForm(request.POST)
    if form.is_valid():
        try:
            services.incident_close(
                announcement=announcement,
                closed_by=request.user,
                ends_at=form.cleaned_data["ends_at"],
                body=form.cleaned_data["body"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Incident clos.")
            return redirect("status_announcement", pk=pk)
    request.method = "GET"
    return announcement_detail(request, pk, close_form=form)


# --- A collectivité's private feed address --------------------------------------------------


@member_required(Role.FUNCTIONAL_ADMIN)
@require_http_methods(["GET", "POST"])
def feed_address(request):
    token = None
    if request.method == "POST":
        renewing = FeedToken.objects.filter(collectivite=request.tenant).exists()
        token = services.feed_token_renew(collectivite=request.tenant, renewed_by=request.user)
        messages.success(
            request,
            "Nouvelle adresse créée : notez-la maintenant, elle ne sera plus affichée."
            + (" L'ancienne adresse ne fonctionne plus." if renewing else ""),
        )
    current = FeedToken.objects.filter(collectivite=request.tenant).first()
    return render(
        request,
        "status/feed_address.html",
        {
            "token": token,
            "current": current,
            "rss_url": request.build_absolute_uri(f"/etat-des-services/flux/{token}/rss/")
            if token
            else "",
            "atom_url": request.build_absolute_uri(f"/etat-des-services/flux/{token}/atom/")
            if token
            else "",
        },
    )


# --- Following an incident instead of opening a support request (item 5) -------------------

FOLLOWING = "Vous suivez l'incident « {title} » : ses mises à jour et sa fin vous seront envoyées par courriel."
FOLLOWING_OPTED_OUT = (
    "Vous suivez l'incident « {title} », mais vous avez refusé les courriels d'état des "
    "services : réactivez-les dans Mes notifications pour recevoir ses mises à jour."
)


@member_required()
@require_POST
def incident_follow(request, pk: int):
    """Only an incident running on one of the collectivité's services can be followed."""
    incident = selectors.open_incidents_for(collectivite=request.tenant).filter(pk=pk).first()
    if incident is None:
        raise Http404
    try:
        services.incident_follow(
            announcement=incident, user=request.user, collectivite=request.tenant
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("status_page")
    template = (
        FOLLOWING if selectors.status_emails_wanted(user=request.user) else FOLLOWING_OPTED_OUT
    )
    messages.success(request, template.format(title=incident.title))
    return redirect("status_page")


# --- Mes notifications ----------------------------------------------------------------------


@member_required()
@require_http_methods(["GET", "POST"])
def my_notifications(request):
    """A person's choice, global to every collectivité they serve; on the sites only, where
    the people the notifier writes to work (staff receive no status e-mail)."""
    return _notifications(request)


def _notifications(request):
    preference = NotificationPreference.objects.filter(user=request.user).first()
    form = PreferenceForm(
        request.POST if request.method == "POST" else None,
        initial={"status_emails": True if preference is None else preference.status_emails},
    )
    if request.method == "POST" and form.is_valid():
        services.notification_preference_set(
            user=request.user, status_emails=form.cleaned_data["status_emails"]
        )
        messages.success(request, "Vos préférences de notification sont enregistrées.")
        return redirect("my_notifications")
    return render(request, "status/my_notifications.html", {"form": form})
