"""Back-office pages of the import (syndicate administrators): upload and dry run, the
errors by line and column, the import, the template files."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from onboarding import domain, files, services
from onboarding.forms import ImportForm
from onboarding.models import ImportBatch
from portal.access import is_syndicate_admin, staff_required
from portal.forms import add_service_errors

QUEUED = "L'import est lancé : tout ou rien, il se termine en arrière-plan."
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _templates() -> list[dict]:
    return [
        {"kind": kind, "label": domain.KIND_LABELS[kind], "columns": domain.COLUMNS[kind]}
        for kind in domain.KINDS
    ]


@staff_required(is_syndicate_admin)
@require_http_methods(["GET", "POST"])
def import_page(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            batch = services.import_batch_create(
                uploads=form.uploads(), created_by=request.user, today=timezone.localdate()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect("import_batch", pk=batch.pk)
    return render(
        request,
        "onboarding/import.html",
        {
            "form": form,
            "templates": _templates(),
            "batches": ImportBatch.objects.select_related("created_by")[:20],
        },
        status=400 if request.method == "POST" else 200,
    )


@staff_required(is_syndicate_admin)
def import_batch(request, pk: int):
    batch = get_object_or_404(ImportBatch, pk=pk)
    counts = {kind: len(batch.rows.get(kind, [])) for kind in domain.KINDS}
    return render(
        request,
        "onboarding/batch.html",
        {
            "batch": batch,
            "counts": counts,
            "labels": domain.KIND_LABELS,
            "errors": [
                {**e, "file_label": domain.KIND_LABELS.get(e["file"], "")} for e in batch.errors
            ],
        },
    )


@staff_required(is_syndicate_admin)
@require_POST
def import_batch_run(request, pk: int):
    batch = get_object_or_404(ImportBatch, pk=pk)
    try:
        services.import_batch_queue(batch=batch)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, QUEUED)
    return redirect("import_batch", pk=batch.pk)


@staff_required(is_syndicate_admin)
def import_template(request, kind: str, extension: str):
    if kind not in domain.KINDS or extension not in CONTENT_TYPES:
        raise Http404
    content = files.template_csv(kind) if extension == "csv" else files.template_xlsx(kind)
    response = HttpResponse(content, content_type=CONTENT_TYPES[extension])
    response["Content-Disposition"] = f'attachment; filename="modele-{kind}.{extension}"'
    return response
