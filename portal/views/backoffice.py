"""The syndicate's back-office, on BASE_DOMAIN."""

from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from portal import selectors, services
from portal.access import is_syndicate_admin, staff_required
from portal.forms import CollectiviteCreateForm, CollectiviteFilterForm, CollectiviteForm
from portal.models import Collectivite
from portal.pickers import SEARCH_LIMIT
from portal.tenancy import is_public_request


@staff_required()
def collectivite_list(request):
    form = CollectiviteFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.collectivite_list(
        search=filters.get("q") or "",
        strate=filters.get("strate") or "",
        kind=filters.get("kind") or "",
        population_min=filters.get("population_min"),
        population_max=filters.get("population_max"),
    )
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    template = (
        "backoffice/partials/collectivite_rows.html"
        if request.headers.get("HX-Request")
        else "backoffice/collectivite_list.html"
    )
    return render(request, template, {"form": form, "page": page})


@staff_required()
@require_GET
def collectivite_search(request):
    """The options of a collectivité picker (portal/pickers.py): at most SEARCH_LIMIT
    matches of the name, identifier or SIRET, for htmx."""
    field = re.sub(r"[^a-z0-9_-]", "", request.GET.get("champ", ""))[:40] or "collectivite"
    query = (request.GET.get(f"{field}-recherche") or "").strip()[:100]
    results = (
        list(selectors.collectivite_list(search=query).prefetch_related(None)[: SEARCH_LIMIT + 1])
        if query
        else []
    )
    return render(
        request,
        "components/collectivite_options.html",
        {
            "results": results[:SEARCH_LIMIT],
            "more": len(results) > SEARCH_LIMIT,
            "limit": SEARCH_LIMIT,
            "query": query,
            "field": field,
        },
    )


@staff_required(is_syndicate_admin)
@require_http_methods(["GET", "POST"])
def collectivite_create(request):
    form = CollectiviteCreateForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            collectivite = services.collectivite_create(
                data=form.to_input(),
                admin_email=form.cleaned_data["admin_email"],
                admin_name=form.cleaned_data["admin_name"],
                created_by=request.user,
                logo=form.cleaned_data.get("logo"),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                f"La collectivité « {collectivite.name} » est créée ; son administrateur "
                f"fonctionnel a reçu une invitation par courriel.",
            )
            return redirect("collectivite_detail", pk=collectivite.pk)
    return render(request, "backoffice/collectivite_form.html", {"form": form, "creating": True})


def _get_collectivite(pk: int) -> Collectivite:
    try:
        return selectors.collectivite_get(pk=pk)
    except Collectivite.DoesNotExist as exc:
        raise Http404 from exc


@staff_required()
def collectivite_detail(request, pk: int):
    collectivite = _get_collectivite(pk)
    return render(
        request,
        "backoffice/collectivite_detail.html",
        {
            "object": collectivite,
            "site_url": services.site_url(collectivite.primary_domain_name),
            "memberships": selectors.memberships_of_collectivite(collectivite=collectivite),
            "invitations": selectors.pending_invitations(collectivite=collectivite),
            "events": selectors.audit_events_for(
                object_type="portal.collectivite", object_id=collectivite.pk
            )[:50],
        },
    )


@staff_required(is_syndicate_admin)
@require_http_methods(["GET", "POST"])
def collectivite_edit(request, pk: int):
    collectivite = _get_collectivite(pk)
    initial = {f: getattr(collectivite, f) for f in CollectiviteForm.base_fields if f != "logo"}
    form = CollectiviteForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.collectivite_update(
                collectivite=collectivite,
                data=form.to_input(slug=collectivite.slug),
                updated_by=request.user,
                logo=form.cleaned_data.get("logo"),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Les modifications sont enregistrées.")
            return redirect("collectivite_detail", pk=collectivite.pk)
    return render(
        request,
        "backoffice/collectivite_form.html",
        {"form": form, "object": collectivite, "creating": False},
    )


@login_required
def my_collectivites(request):
    """Where a collectivité's staff land when they sign in on the main domain."""
    if not is_public_request(request):
        raise Http404
    return render(
        request,
        "backoffice/my_collectivites.html",
        {"collectivites": selectors.collectivites_of_user(user=request.user)},
    )


@login_required
def mfa_required(request):
    return render(request, "backoffice/mfa_required.html")
