"""The documents of one collectivité, newest first, filterable by kind and year; four
queries whatever their number."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.urls import reverse
from django.utils import timezone

from billing.models import CreditNote, Invoice
from contracts.models import Quote, QuoteDocument, Termination
from portal.models import Collectivite

KINDS = {
    "framework": "Convention cadre",
    "annex": "Conditions particulières (annexe)",
    "quote": "Devis accepté",
    "termination": "Accusé de réception de résiliation",
    "invoice": "Facture",
    "credit_note": "Avoir",
}
ACCEPTED = [Quote.Status.ACCEPTED, Quote.Status.APPROVED]


@dataclass(frozen=True)
class DocumentRow:
    kind: str
    title: str
    on: date
    url: str
    sha256: str = ""

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind]


def _quote_documents(collectivite: Collectivite) -> list[DocumentRow]:
    documents = (
        QuoteDocument.objects.filter(quote__collectivite=collectivite, quote__status__in=ACCEPTED)
        .select_related("quote__acceptance")
        .order_by("id")
    )
    rows = []
    for doc in documents:
        acceptance = getattr(doc.quote, "acceptance", None)
        signed = timezone.localdate(acceptance.signed_at) if acceptance else doc.quote.issue_date
        rows.append(
            DocumentRow(
                doc.kind,
                doc.title,
                signed,
                reverse("quote_document", args=[doc.quote_id, doc.pk]),
                doc.sha256,
            )
        )
    return rows


def documents_of_collectivite(*, collectivite: Collectivite) -> list[DocumentRow]:
    """Every document of `collectivite`, newest first."""
    rows = _quote_documents(collectivite)
    rows += [
        DocumentRow(
            "termination",
            f"Résiliation : {t.subscription.offer.name} (reçue le {t.received_on:%d/%m/%Y})",
            t.received_on,
            reverse("termination_receipt", args=[t.pk]),
        )
        for t in Termination.objects.filter(subscription__collectivite=collectivite)
        .select_related("subscription__offer")
        .order_by("id")
    ]
    rows += [
        DocumentRow(
            "invoice",
            f"Facture {i.number}",
            i.issue_date,
            reverse("invoice_pdf", args=[i.pk]),
            i.pdf_sha256,
        )
        for i in Invoice.objects.filter(collectivite=collectivite).order_by("id")
    ]
    rows += [
        DocumentRow(
            "credit_note",
            f"Avoir {n.number} (facture {n.invoice.number})",
            n.issue_date,
            reverse("credit_note_pdf", args=[n.pk]),
            n.pdf_sha256,
        )
        for n in CreditNote.objects.filter(invoice__collectivite=collectivite)
        .select_related("invoice")
        .order_by("id")
    ]
    rows.sort(key=lambda r: (r.on, r.kind, r.title), reverse=True)
    return rows


def document_years(rows: list[DocumentRow]) -> list[int]:
    return sorted({r.on.year for r in rows}, reverse=True)


def documents_filtered(
    rows: list[DocumentRow], *, kind: str = "", year: int | None = None
) -> list[DocumentRow]:
    return [r for r in rows if (not kind or r.kind == kind) and (not year or r.on.year == year)]
