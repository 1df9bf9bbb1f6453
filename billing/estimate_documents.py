"""The PDF « Estimation <année> » a collectivité attaches to its budget file (issue 16),
rendered by the project's PDF engine (its one public entry point, `render_pdf`)."""

from __future__ import annotations

from datetime import date

from billing.estimates import Estimate
from contracts.documents import render_pdf
from portal.models import Collectivite
from portal.selectors import syndicate_get


def estimate_pdf(*, collectivite: Collectivite, estimate: Estimate, today: date) -> bytes:
    return render_pdf(
        "pdf/estimate.html",
        {
            "collectivite": collectivite,
            "estimate": estimate,
            "groups": offer_groups(estimate),
            "issued_on": today,
            "syndicate": syndicate_get(),
            "pdf_title": f"Estimation {estimate.year}",
            "pdf_date": today,
        },
    )


def offer_groups(estimate: Estimate) -> list[dict]:
    """The lines per offer, with each offer's total, in the order of the lines."""
    groups: dict[str, dict] = {}
    for line in estimate.lines:
        group = groups.setdefault(line.offer_name, {"offer": line.offer_name, "lines": []})
        group["lines"].append(line)
    for group in groups.values():
        group["total"] = sum(line.amount for line in group["lines"])
    return list(groups.values())
