"""Pages of the budget estimate and of spending at a glance (issue 16): the collectivité's
page and PDF, the back-office's view across members, and a draft schedule's impact."""

from __future__ import annotations

from decimal import Decimal

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from billing import estimate_selectors, spending_chart
from billing.estimate_documents import estimate_pdf, offer_groups
from billing.views import reads_billing
from catalogue.models import TariffSchedule
from portal.access import member_required, staff_required


def _spending_context(data: dict) -> dict:
    """The same figures for the chart and for its table (offers × years, and totals)."""
    columns = [(str(year), data["history"][year], False) for year in data["years"]]
    columns.append((f"Estimation {data['estimate_year']}", data["estimate"], True))
    keys = sorted({key for _, values, _ in columns for key in values})
    rows = [
        {"key": key, "amounts": [values.get(key, Decimal("0")) for _, values, _ in columns]}
        for key in keys
    ]
    totals = [sum(values.values(), Decimal("0")) for _, values, _ in columns]
    return {
        "columns": [label for label, _, _ in columns],
        "rows": rows,
        "totals": totals,
        "bars": spending_chart.bars(
            [
                (label.removeprefix("Estimation "), total, estimated)
                for (label, _, estimated), total in zip(columns, totals, strict=True)
            ]
        ),
        "chart_width": spending_chart.WIDTH,
        "chart_height": spending_chart.HEIGHT,
        "baseline": spending_chart.HEIGHT - spending_chart.BOTTOM,
    }


@member_required()
@require_GET
def estimate_page(request):
    today = timezone.localdate()
    year = today.year + 1
    estimate = estimate_selectors.estimate_for(collectivite=request.tenant, year=year, today=today)
    spending = estimate_selectors.spending(collectivite=request.tenant, today=today)
    return render(
        request,
        "billing/tenant_estimate.html",
        {
            "estimate": estimate,
            "groups": offer_groups(estimate),
            "today": today,
            "spending": _spending_context(spending),
        },
    )


@member_required()
@require_GET
def estimate_document(request):
    today = timezone.localdate()
    estimate = estimate_selectors.estimate_for(
        collectivite=request.tenant, year=today.year + 1, today=today
    )
    data = estimate_pdf(collectivite=request.tenant, estimate=estimate, today=today)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="estimation-{estimate.year}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@staff_required(reads_billing)
@require_GET
def spending_backoffice(request):
    today = timezone.localdate()
    by_offer = estimate_selectors.spending(collectivite=None, today=today)
    years = by_offer["years"]
    by_strate = estimate_selectors.invoiced_by_year(years=years, by="invoice__collectivite__strate")
    return render(
        request,
        "billing/backoffice_spending.html",
        {
            "spending": _spending_context(by_offer),
            "years": years,
            "strates": _strate_rows(by_strate, years),
            "drafts": TariffSchedule.objects.filter(status=TariffSchedule.Status.DRAFT).order_by(
                "-effective_from"
            ),
        },
    )


def _strate_rows(by_strate: dict, years: list[int]) -> list[dict]:
    from portal.models import Collectivite

    labels = dict(Collectivite.Strate.choices)
    keys = sorted({key for values in by_strate.values() for key in values})
    return [
        {
            "key": labels.get(key, key),
            "amounts": [by_strate[year].get(key, Decimal("0")) for year in years],
        }
        for key in keys
    ]


@staff_required(reads_billing)
@require_GET
def draft_impact(request, pk: int):
    draft = TariffSchedule.objects.filter(pk=pk, status=TariffSchedule.Status.DRAFT).first()
    if draft is None:
        raise Http404
    today = timezone.localdate()
    year = max(today.year + 1, draft.effective_from.year)
    impact = estimate_selectors.draft_impact(draft=draft, year=year, today=today)
    return render(
        request,
        "billing/backoffice_draft_impact.html",
        {"draft": draft, "impact": impact, "year": year},
    )
