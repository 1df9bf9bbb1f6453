"""The contract PDFs (WeasyPrint): quotes, special-conditions annexes, the framework
agreement, termination receipts; and the `QuoteDocument` rows whose SHA-256 acceptance
records (DESIGN Q3, S3).

Rendering never touches the network: the URL fetcher only opens `file:` URLs under the
project's static folder (print stylesheet) and the syndicate's branding folder (logo), and a
refused URL stops the render instead of leaving a silently incomplete contract. The PDF dates
come from the documents themselves (a quote's issue date…), so rendering the same object twice
gives the same bytes.
"""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.files.base import ContentFile
from django.template.loader import render_to_string
from django.utils import timezone, translation

from catalogue.models import AnnexVersion
from contracts.models import FrameworkAgreement, Quote, QuoteDocument, QuoteLine, Termination
from portal.domain import siret_display
from portal.selectors import syndicate_get

CENT = Decimal("0.01")
STATIC_DIR = Path(settings.BASE_DIR) / "static"

_font_config = None
_font_config_lock = threading.Lock()
# WeasyPrint (Pango, fontconfig) gives no thread-safety guarantee on a shared font
# configuration: renders in one process take turns (one thread per process in production).
_render_lock = threading.Lock()


class PdfRenderError(RuntimeError):
    """A PDF could not be rendered (a resource was refused or could not be read)."""


def _font_configuration():
    """The process's FontConfiguration, created on first use and shared by every render."""
    global _font_config
    if _font_config is None:
        with _font_config_lock:
            if _font_config is None:
                from weasyprint.text.fonts import FontConfiguration

                _font_config = FontConfiguration()
    return _font_config


def _fetch_roots() -> tuple[Path, ...]:
    # MEDIA_ROOT is read at call time: tests point it at a temporary folder.
    return (STATIC_DIR.resolve(), (Path(settings.MEDIA_ROOT) / "branding" / "public").resolve())


def _url_fetcher():
    from weasyprint.urls import URLFetcher

    class LocalFileFetcher(URLFetcher):
        """Opens `file:` URLs under the allowed folders; refuses everything else."""

        def __init__(self, roots: tuple[Path, ...]) -> None:
            super().__init__(
                allowed_protocols=("file",), allow_redirects=False, fail_on_errors=True
            )
            self._roots = roots

        def fetch(self, url, headers=None):
            parts = urlsplit(url)
            if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
                raise ValueError(f"Ressource refusée (seuls les fichiers locaux) : {url}")
            resolved = Path(unquote(parts.path)).resolve()
            if not any(resolved.is_relative_to(root) for root in self._roots):
                raise ValueError(f"Fichier hors des dossiers autorisés : {url}")
            return super().fetch(url, headers)

    return LocalFileFetcher(_fetch_roots())


def render_pdf(template_name: str, context: dict[str, Any]) -> bytes:
    """Render a template of `templates/pdf/` to PDF bytes, in French.

    `context["pdf_date"]` (a date or datetime) becomes the PDF's creation and modification
    dates (`pdf/base.html` writes them as `dcterms.*` meta): with it, the same document
    renders to the same bytes."""
    from weasyprint import HTML
    from weasyprint.urls import FatalURLFetchingError

    context = dict(context)
    context["pdf_date_iso"] = _w3c_date(context.get("pdf_date"))
    with translation.override("fr"):
        html = render_to_string(template_name, context)
    fetcher = _url_fetcher()
    # FatalURLFetchingError derives from BaseException: turn it into an ordinary error so
    # that views, tasks and `except Exception` blocks handle it like any other failure.
    try:
        with _render_lock:
            document = HTML(string=html, base_url=str(STATIC_DIR) + "/", url_fetcher=fetcher)
            return document.write_pdf(font_config=_font_configuration())
    except FatalURLFetchingError as error:
        raise PdfRenderError(str(error)) from error.__cause__


def _w3c_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = value.astimezone(UTC)
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


# --- Shared context ---------------------------------------------------------------------


def _syndicate_context() -> dict[str, Any]:
    syndicate = syndicate_get()
    logo_uri = ""
    if syndicate is not None and syndicate.logo:
        try:
            logo_path = Path(syndicate.logo.path)
        except (NotImplementedError, ValueError):
            logo_path = None
        if logo_path is not None and logo_path.is_file():
            logo_uri = logo_path.resolve().as_uri()
    return {
        "syndicate": syndicate,
        "syndicate_siret": siret_display(syndicate.siret) if syndicate else "",
        "syndicate_logo_uri": logo_uri,
    }


def _last_covered_day(end_exclusive: date) -> date:
    """DESIGN §4: end dates are exclusive; people are shown the last day covered."""
    return end_exclusive - timedelta(days=1)


# --- Quote --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _VatTotal:
    rate_percent: str
    base: Decimal
    amount: Decimal


def _percent(rate: Decimal) -> str:
    text = f"{(rate * 100).normalize():f}"
    return text.replace(".", ",") + "\u00a0%"


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
