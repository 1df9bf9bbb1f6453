"""A collectivité's requests: for now its draft request, filled from the catalogue."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from catalogue import domain as pricing
from catalogue import selectors as catalogue_selectors
from catalogue.models import Offer
from contracts import selectors, services
from portal.access import member_required


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
def request_draft(request):
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
        {"draft": draft, "lines": lines, "estimate": pricing.total(estimate) if estimate else None},
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
