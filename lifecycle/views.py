"""Back-office pages of the end of a membership (public site): the syndicate's notices (Avis),
the finance queue of suspensions, the retention cases and their dry run. Views parse input,
call one service or selector, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lifecycle import selectors
from lifecycle.models import Suspension, SyndicateNotice
from lifecycle.services import exports, notices, retention, suspension
from portal.access import (
    is_syndicate_admin,
    is_syndicate_finance,
    member_required,
    staff_required,
)
from portal.models import Collectivite, Role


def can_decide(user) -> bool:
    """Suspensions are decided by the syndicate's finance or its administrators."""
    return is_syndicate_finance(user) or is_syndicate_admin(user)


@staff_required()
@require_GET
def notice_list(request):
    return render(
        request,
        "lifecycle/notices.html",
        {"pending": selectors.notices_pending(), "recent": selectors.notices_recent()},
    )


@staff_required()
@require_POST
def notice_acknowledge(request, pk: int):
    notice = SyndicateNotice.objects.filter(pk=pk).first()
    if notice is None:
        raise Http404
    try:
        notices.notice_acknowledge(notice=notice, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Avis pris en compte.")
    return redirect("lifecycle_notices")


@staff_required()
@require_GET
def suspension_list(request):
    return render(
        request,
        "lifecycle/suspensions.html",
        {
            "to_decide": selectors.suspensions_to_decide(),
            "open": selectors.suspensions_open(),
            "closed": selectors.suspensions_closed(),
            "can_decide": can_decide(request.user),
            "overdue_days": suspension.overdue_days(),
            "notice_days": suspension.notice_days(),
        },
    )


def _suspension_or_404(pk: int) -> Suspension:
    found = Suspension.objects.select_related("collectivite", "invoice").filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


@staff_required(can_decide)
@require_POST
def suspension_confirm(request, pk: int):
    item = _suspension_or_404(pk)
    try:
        suspension.suspension_confirm(suspension=item, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            f"Comptes de {item.collectivite.name} suspendus : ils sont désactivés dans chaque "
            "service (rien n'est supprimé) et la collectivité est prévenue.",
        )
    return redirect("lifecycle_suspensions")


@staff_required(can_decide)
@require_POST
def suspension_decline(request, pk: int):
    item = _suspension_or_404(pk)
    try:
        suspension.suspension_decline(
            suspension=item, actor=request.user, reason=request.POST.get("reason", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Suspension de {item.collectivite.name} écartée.")
    return redirect("lifecycle_suspensions")


@staff_required()
@require_GET
def retention_list(request):
    today = timezone.localdate()
    previews = [
        retention.retention_preview(collectivite=collectivite, today=today)
        for collectivite in selectors.ended_collectivites()
    ]
    return render(
        request,
        "lifecycle/retention.html",
        {"previews": previews, "cases": selectors.retention_cases()[:50], "today": today},
    )


@staff_required()
@require_GET
def retention_detail(request, pk: int):
    collectivite = Collectivite.objects.filter(pk=pk).first()
    if collectivite is None:
        raise Http404
    preview = retention.retention_preview(collectivite=collectivite, today=timezone.localdate())
    return render(request, "lifecycle/retention_detail.html", {"preview": preview})


# --- Reversibility exports: the syndicate (back-office) and the signatory (tenant site) -----


def _export_context(export, *, progress_url: str, download_url: str) -> dict:
    return {
        "export": export,
        "finished": export.status in ("done", "failed"),
        "available": exports.available(export),
        "progress_url": progress_url,
        "download_url": download_url,
    }


def _render_export(request, export, *, layout: str, progress_url: str, download_url: str):
    template = (
        "lifecycle/partials/export_progress.html"
        if request.headers.get("HX-Request")
        else "lifecycle/export.html"
    )
    context = _export_context(export, progress_url=progress_url, download_url=download_url)
    return render(request, template, {**context, "layout": layout})


def _download(request, export):
    try:
        exports.export_downloaded(export=export, actor=request.user)
    except ValidationError as exc:
        raise Http404(" ".join(exc.messages)) from exc
    response = FileResponse(
        export.zip_file.open("rb"),
        content_type="application/zip",
        as_attachment=True,
        filename=export.zip_file.name.rsplit("/", 1)[-1],
    )
    response["Cache-Control"] = "private, no-store"
    return response


@staff_required()
@require_http_methods(["GET", "POST"])
def export_list(request):
    error = ""
    if request.method == "POST":
        collectivite = Collectivite.objects.filter(pk=request.POST.get("collectivite") or 0).first()
        if collectivite is None:
            error = "Choisissez une collectivité."
        else:
            try:
                export = exports.export_request(
                    collectivite=collectivite, requested_by=request.user
                )
            except ValidationError as exc:
                error = " ".join(exc.messages)
            else:
                return redirect("lifecycle_export", pk=export.pk)
    return render(
        request,
        "lifecycle/exports.html",
        {
            "exports": selectors.reversibility_exports()[:50],
            "collectivites": Collectivite.objects.order_by("name").only("pk", "name"),
            "error": error,
        },
    )


def _staff_export(pk: int):
    found = selectors.reversibility_exports().filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


@staff_required()
@require_GET
def export_detail(request, pk: int):
    export = _staff_export(pk)
    return _render_export(
        request,
        export,
        layout="layouts/backoffice.html",
        progress_url=reverse("lifecycle_export", args=[pk]),
        download_url=reverse("lifecycle_export_download", args=[pk]),
    )


@staff_required()
@require_GET
def export_download(request, pk: int):
    return _download(request, _staff_export(pk))


@member_required(Role.SIGNATORY)
@require_http_methods(["GET", "POST"])
def tenant_exports(request):
    error = ""
    if request.method == "POST":
        try:
            export = exports.export_request(collectivite=request.tenant, requested_by=request.user)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            return redirect("reversibility_export", pk=export.pk)
    return render(
        request,
        "lifecycle/tenant_exports.html",
        {"exports": selectors.reversibility_exports(request.tenant)[:20], "error": error},
    )


def _tenant_export(request, pk: int):
    """Another collectivité's export is a 404 (DESIGN §2)."""
    found = selectors.reversibility_exports(request.tenant).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


@member_required(Role.SIGNATORY)
@require_GET
def tenant_export_detail(request, pk: int):
    export = _tenant_export(request, pk)
    return _render_export(
        request,
        export,
        layout="layouts/tenant.html",
        progress_url=reverse("reversibility_export", args=[pk]),
        download_url=reverse("reversibility_export_download", args=[pk]),
    )


@member_required(Role.SIGNATORY)
@require_GET
def tenant_export_download(request, pk: int):
    return _download(request, _tenant_export(request, pk))
