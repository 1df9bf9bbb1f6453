"""A collectivité's documents page (its own site)."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_GET

from documents import selectors
from documents.forms import DocumentFilterForm
from portal.access import member_required


@member_required()
@require_GET
def documents(request):
    every = selectors.documents_of_collectivite(collectivite=request.tenant)
    form = DocumentFilterForm(request.GET or None, years=selectors.document_years(every))
    filters = form.cleaned_data if form.is_valid() else {}
    rows = selectors.documents_filtered(
        every, kind=filters.get("kind") or "", year=filters.get("year")
    )
    return render(
        request,
        "documents/documents.html",
        {"form": form, "rows": rows, "total": len(every), "filtered": bool(filters)},
    )
