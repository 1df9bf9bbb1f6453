"""The contract PDFs (WeasyPrint): quotes, special-conditions annexes, the framework
agreement, termination receipts; and the `QuoteDocument` rows whose SHA-256 acceptance
records (DESIGN Q3, S3).

They are rendered by the portal's PDF engine, `portal.pdf` (shared with billing): local
resources only, the print font, the PDF dates taken from the documents (a quote's issue
date…), so that rendering the same object twice gives the same bytes.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone

from catalogue.models import AnnexVersion
from contracts.models import FrameworkAgreement, Quote, QuoteDocument, QuoteLine, Termination
from contracts.rules import last_covered_day as _last_covered_day
from portal.pdf import PdfRenderError, percent, render_pdf, syndicate_context

CENT = Decimal("0.01")
_syndicate_context = syndicate_context
_percent = percent
__all__ = ["PdfRenderError", "render_pdf"]  # re-exported for the contracts' callers

# --- Quote --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _VatTotal:
    rate_percent: str
    base: Decimal
    amount: Decimal


def _quote_lines_context(lines: list[QuoteLine]) -> dict[str, Any]:
    total_ht = sum((line.amount for line in lines), Decimal("0.00"))
    by_rate: dict[Decimal, Decimal] = {}
    exemptions: list[str] = []
    for line in lines:
        if line.vat_rate is not None:
            by_rate[line.vat_rate] = by_rate.get(line.vat_rate, Decimal("0.00")) + line.amount
        elif line.vat_exemption and line.vat_exemption not in exemptions:
            exemptions.append(line.vat_exemption)
    vat_totals = [
        _VatTotal(
            rate_percent=_percent(rate),
            base=base,
            amount=(base * rate).quantize(CENT, rounding=ROUND_HALF_UP),
        )
        for rate, base in sorted(by_rate.items())
    ]
    total_vat = sum((v.amount for v in vat_totals), Decimal("0.00"))
    rows = [
        {
            "line": line,
            "vat": _percent(line.vat_rate) if line.vat_rate is not None else "",
            "exemption_index": (
                exemptions.index(line.vat_exemption) + 1
                if line.vat_rate is None and line.vat_exemption
                else None
            ),
        }
        for line in lines
    ]
    return {
        "rows": rows,
        "has_free": any(line.free_quantity for line in lines),
        "total_ht": total_ht,
        "vat_totals": vat_totals,
        "total_vat": total_vat,
        "total_ttc": total_ht + total_vat,
        "exemptions": exemptions,
        # One mention for every line: printed once under the totals, without a mark.
        "single_exemption": len(exemptions) == 1 and not vat_totals,
    }


def _quote_annexes(lines: list[QuoteLine]) -> list[AnnexVersion]:
    """The distinct annexes of the quote's lines, in line order."""
    seen: dict[int, AnnexVersion] = {}
    for line in lines:
        if line.annex_id is not None and line.annex_id not in seen:
            seen[line.annex_id] = line.annex
    return list(seen.values())


def _quote_lines(quote: Quote) -> list[QuoteLine]:
    return list(quote.lines.select_related("offer", "annex__offer").order_by("id"))


def quote_pdf(quote: Quote, *, framework: FrameworkAgreement | None = None) -> bytes:
    """The quote as the signatory reads it. `framework`, when given, is listed with the
    annexes among the documents joined."""
    lines = _quote_lines(quote)
    context = {
        "quote": quote,
        "collectivite": quote.collectivite,
        "schedule": quote.schedule,
        "annexes": _quote_annexes(lines),
        "framework": framework,
        "pdf_title": f"Devis n° {quote.reference}, version {quote.version}",
        "pdf_date": quote.issue_date,
        **_quote_lines_context(lines),
        **_syndicate_context(),
    }
    return render_pdf("pdf/quote.html", context)


def annex_pdf(annex: AnnexVersion) -> bytes:
    context = {
        "annex": annex,
        "offer": annex.offer,
        "pdf_title": f"{annex.title} — version {annex.version}",
        "pdf_date": annex.published_at,
        **_syndicate_context(),
    }
    return render_pdf("pdf/annex.html", context)


def framework_pdf(agreement: FrameworkAgreement) -> bytes:
    context = {
        "agreement": agreement,
        "pdf_title": f"{agreement.title} — version {agreement.version}",
        "pdf_date": agreement.effective_from,
        **_syndicate_context(),
    }
    return render_pdf("pdf/framework.html", context)


# --- Termination --------------------------------------------------------------------------


def termination_receipt_pdf(termination: Termination) -> bytes:
    subscription = termination.subscription
    # The quantity held when the termination was received, not whatever it is today.
    held = (
        termination.quantity_held
        if termination.quantity_held is not None
        else subscription.quantity
    )
    partial = termination.quantity is not None and termination.quantity < held
    context = {
        "termination": termination,
        "subscription": subscription,
        "collectivite": subscription.collectivite,
        "offer": subscription.offer,
        "partial": partial,
        "held": held,
        "quantity_terminated": termination.quantity if partial else held,
        "remaining_quantity": held - termination.quantity if partial else 0,
        "last_covered_day": _last_covered_day(termination.effective_end),
        "issued_on": (
            timezone.localdate(termination.created_at)
            if termination.created_at
            else termination.received_on
        ),
        "pdf_title": "Accusé de réception de résiliation",
        "pdf_date": termination.created_at or termination.received_on,
        **_syndicate_context(),
    }
    return render_pdf("pdf/termination_receipt.html", context)


# --- Stored documents ---------------------------------------------------------------------


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower() or "document"


def _document_save(quote: Quote, *, kind: str, title: str, name: str, data: bytes, **links):
    document = QuoteDocument(
        quote=quote,
        kind=kind,
        title=title,
        sha256=hashlib.sha256(data).hexdigest(),
        **links,
    )
    document.file.save(name, ContentFile(data), save=False)
    document.save()
    return document


def quote_documents_build(
    quote: Quote, *, framework: FrameworkAgreement | None
) -> list[QuoteDocument]:
    """Render and store the quote, one annex per distinct special-conditions annex of its
    lines, and the framework agreement when `framework` is given (the collectivité has not
    signed the version in force). Returns the new `QuoteDocument` rows, in that order.

    Meant to run inside the service's transaction: the rows roll back with it, the files do
    not (storage is not transactional) — an orphan file is harmless, no row points to it."""
    prefix = f"{quote.reference}-v{quote.version}"
    lines = _quote_lines(quote)
    documents = [
        _document_save(
            quote,
            kind=QuoteDocument.Kind.QUOTE,
            title=f"Devis n° {quote.reference}, version {quote.version}",
            name=f"{prefix}-devis.pdf",
            data=quote_pdf(quote, framework=framework),
        )
    ]
    for annex in _quote_annexes(lines):
        documents.append(
            _document_save(
                quote,
                kind=QuoteDocument.Kind.ANNEX,
                title=f"{annex.title} (version {annex.version})",
                name=f"{prefix}-annexe-{_slug(annex.offer.code)}-v{annex.version}.pdf",
                data=annex_pdf(annex),
                annex=annex,
            )
        )
    if framework is not None:
        documents.append(
            _document_save(
                quote,
                kind=QuoteDocument.Kind.FRAMEWORK,
                title=f"{framework.title} (version {framework.version})",
                name=f"{prefix}-convention-cadre-v{framework.version}.pdf",
                data=framework_pdf(framework),
                agreement=framework,
            )
        )
    return documents


def sha256_of(document: QuoteDocument) -> str:
    """The SHA-256 of the file as stored now; compared with `document.sha256` at acceptance
    to check that the documents did not change. A missing file raises
    `FileNotFoundError`."""
    digest = hashlib.sha256()
    with document.file.storage.open(document.file.name, "rb") as handle:
        for chunk in iter(lambda: handle.read(64 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()
