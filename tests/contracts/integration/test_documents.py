"""Contract PDFs: what a signatory reads (French formats, DESIGN §2), the stored documents and
their SHA-256 (Q3), the termination receipt (S3), and no network access while rendering."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader

from contracts import documents
from contracts.models import (
    FrameworkAgreement,
    Quote,
    QuoteDocument,
    QuoteLine,
    Subscription,
    Termination,
)
from contracts.rules import quote_valid_until, termination_effective_end
from portal.models import Collectivite, Syndicate
from tests.factories import UserFactory
from tests.factories.catalogue import EXEMPT, build_catalogue

ISSUED = date(2026, 1, 31)


def pdf_text(data: bytes) -> str:
    """The PDF's text with every run of whitespace (including no-break spaces) as one space."""
    reader = PdfReader(io.BytesIO(data))
    text = " ".join(page.extract_text() or "" for page in reader.pages)
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("\u202f", " "))


@pytest.fixture
def syndicate(db) -> Syndicate:
    syndicate, _ = Syndicate.objects.update_or_create(
        pk=1,
        defaults=dict(
            name="Syndicat mixte Manche Numérique",
            short_name="Manche Numérique",
            siret="25500224400013",
            address="235 rue Joseph Cugnot",
            postcode="50000",
            city="Saint-Lô",
        ),
    )
    return syndicate


@pytest.fixture
def catalogue(db):
    return build_catalogue()


@pytest.fixture
def member(tenant) -> Collectivite:
    Collectivite.objects.filter(pk=tenant.pk).update(
        address="1 place de la Mairie", postcode="50100", city="Testville", service_code="MAIRIE-01"
    )
    tenant.refresh_from_db()
    return tenant


@pytest.fixture
def quote(member, catalogue, staff_admin) -> Quote:
    first = Quote.objects.create(
        reference="DEV-2026-00012",
        version=1,
        collectivite=member,
        status=Quote.Status.SUPERSEDED,
        title="Messagerie collaborative",
        issue_date=date(2026, 1, 20),
        valid_until=quote_valid_until(date(2026, 1, 20)),
        schedule=catalogue.schedule,
        created_by=staff_admin,
    )
    quote = Quote.objects.create(
        reference="DEV-2026-00012",
        version=2,
        previous=first,
        collectivite=member,
        status=Quote.Status.DRAFT,
        title="Messagerie collaborative",
        issue_date=ISSUED,
        valid_until=quote_valid_until(ISSUED),
        schedule=catalogue.schedule,
        total_amount=Decimal("1234.50"),
        created_by=staff_admin,
    )
    annex = catalogue.mail.annex_versions.get()
    QuoteLine.objects.bulk_create(
        [
            QuoteLine(
                quote=quote,
                offer=catalogue.mail,
                label="Messagerie BlueMind 2 Go",
                quantity=Decimal("50"),
                unit_price=Decimal("24.00"),
                amount=Decimal("1200.00"),
                vat_exemption=EXEMPT,
                annex=annex,
            ),
            QuoteLine(
                quote=quote,
                offer=catalogue.extra_quota,
                label="Quota de messagerie supplémentaire (Go)",
                quantity=Decimal("11.5"),
                unit_price=Decimal("3.00"),
                amount=Decimal("34.50"),
                vat_exemption=EXEMPT,
                annex=annex,  # the same annex twice: joined once
            ),
            QuoteLine(
                quote=quote,
                offer=catalogue.visio,
                label="Salle de visioconférence",
                quantity=Decimal("1"),
                unit_price=Decimal("60.00"),
                free_quantity=Decimal("1"),
                amount=Decimal("0.00"),
                vat_exemption=EXEMPT,
            ),
        ]
    )
    return quote


@pytest.fixture
def framework(db) -> FrameworkAgreement:
    return FrameworkAgreement.objects.create(
        version=3,
        title="Convention cadre de mutualisation",
        text="Article 1 — Objet.\n\nLa présente convention fixe les conditions générales.",
        effective_from=date(2026, 1, 1),
    )


def test_quote_pdf_reads_in_french(quote, syndicate, member):
    text = pdf_text(documents.quote_pdf(quote))

    assert "Devis n° DEV-2026-00012, version 2" in text
    assert "Date d'émission 31/01/2026" in text
    assert "Valable jusqu'au 28/02/2026" in text  # Q1: 31/01 + 1 month, clamped
    assert "Syndicat mixte Manche Numérique" in text
    assert "SIRET 255 002 244 00013" in text
    assert "Commune de Test" in text
    assert f"SIRET {member.siret_display}" in text
    assert "1 place de la Mairie" in text
    assert "Code service : MAIRIE-01" in text
    assert "Délibération n° 2025-42 du comité syndical du 12/12/2025" in text
    assert "Remplace la version 1 de ce devis" in text
    # Lines: quantity, unit price, free quantity, amount.
    assert "Messagerie BlueMind 2 Go 50 24,00 € — exonérée 1 200,00 €" in text
    assert "11,5 3,00 €" in text
    assert "1 offert" in text
    assert "Total HT 1 234,50 €" in text
    assert EXEMPT in text
    assert "Conditions particulières : Conditions messagerie, version 1" in text
    assert (
        "Bon pour accord : signature électronique sur le portail, avec le numéro de bon de "
        "commande" in text
    )


def test_quote_pdf_tolerates_missing_syndicate_and_lists_framework(quote, framework):
    Syndicate.objects.filter(pk=1).delete()

    text = pdf_text(documents.quote_pdf(quote, framework=framework))

    assert "Devis n° DEV-2026-00012, version 2" in text
    assert "Convention cadre : Convention cadre de mutualisation, version 3" in text


def test_quote_pdf_with_vat_shows_rate_and_totals(quote):
    quote.lines.update(vat_rate=Decimal("0.2000"), vat_exemption="")

    text = pdf_text(documents.quote_pdf(quote))

    assert "Total HT 1 234,50 €" in text
    assert "TVA 20 % sur 1 234,50 € 246,90 €" in text
    assert "Total TTC 1 481,40 €" in text
    assert EXEMPT not in text


def test_same_quote_renders_to_the_same_bytes_dated_by_its_issue_date(quote, syndicate):
    first = documents.quote_pdf(quote)
    second = documents.quote_pdf(quote)

    assert first == second
    metadata = PdfReader(io.BytesIO(first)).metadata
    assert metadata["/CreationDate"].startswith("D:20260131")
    assert metadata["/Title"] == "Devis n° DEV-2026-00012, version 2"


def test_annex_and_framework_pdfs_keep_their_paragraphs(catalogue, framework):
    annex = catalogue.mail.annex_versions.get()

    annex_text = pdf_text(documents.annex_pdf(annex))
    framework_text = pdf_text(documents.framework_pdf(framework))

    assert "Conditions messagerie" in annex_text
    assert "Messagerie BlueMind 2 Go — version 1" in annex_text
    assert "Version 1." in annex_text
    assert "Convention cadre — version 3, en vigueur à partir du 01/01/2026" in framework_text
    assert "Article 1 — Objet. La présente convention" in framework_text


def test_quote_documents_build_stores_quote_annex_and_framework(quote, framework, syndicate):
    built = documents.quote_documents_build(quote, framework=framework)

    assert [d.kind for d in built] == ["quote", "annex", "framework"]
    stored = list(QuoteDocument.objects.filter(quote=quote).order_by("id"))
    assert stored == built
    quote_doc, annex_doc, framework_doc = stored
    assert quote_doc.file.name.endswith("DEV-2026-00012-v2-devis.pdf")
    assert quote_doc.title == "Devis n° DEV-2026-00012, version 2"
    assert annex_doc.annex == quote.lines.first().annex
    assert annex_doc.file.name.endswith("DEV-2026-00012-v2-annexe-mail-v1.pdf")
    assert framework_doc.agreement == framework
    assert framework_doc.file.name.endswith("DEV-2026-00012-v2-convention-cadre-v3.pdf")
    for document in stored:
        with document.file.open("rb") as handle:
            data = handle.read()
        assert data.startswith(b"%PDF-")
        assert document.sha256 == hashlib.sha256(data).hexdigest()
        assert documents.sha256_of(document) == document.sha256
    with framework_doc.file.open("rb") as handle:
        assert "Convention cadre de mutualisation" in pdf_text(handle.read())


def test_quote_documents_build_without_framework(quote):
    built = documents.quote_documents_build(quote, framework=None)

    assert [d.kind for d in built] == ["quote", "annex"]
    assert QuoteDocument.objects.filter(quote=quote).count() == 2


def test_sha256_of_detects_a_tampered_file(quote):
    document = documents.quote_documents_build(quote, framework=None)[0]
    path = document.file.path
    with open(path, "rb") as handle:
        original = handle.read()

    with open(path, "wb") as handle:
        handle.write(original.replace(b"DEV-2026-00012", b"DEV-2026-00099", 1) + b"\n")

    assert documents.sha256_of(document) != document.sha256


def test_termination_receipt_shows_the_last_covered_day(tenant, catalogue, staff_admin):
    signatory = UserFactory(full_name="Camille Martin")
    subscription = Subscription.objects.create(
        collectivite=tenant,
        offer=catalogue.mail,
        quantity=Decimal("10"),
        activated_on=date(2026, 3, 17),
    )
    received = date(2026, 4, 2)
    termination = Termination.objects.create(
        subscription=subscription,
        received_on=received,
        effective_end=termination_effective_end(date(2026, 3, 17), received),
        requested_by=signatory,
        recorded_by=staff_admin,
    )
    assert termination.effective_end == date(2027, 3, 1)

    text = pdf_text(documents.termination_receipt_pdf(termination))

    assert "Accusé de réception de résiliation" in text
    assert "Commune de Test" in text
    assert "Messagerie BlueMind 2 Go" in text
    assert "Résiliation totale (10)" in text
    assert "Demande reçue le 02/04/2026" in text
    assert "Demandée par Camille Martin" in text
    assert "Enregistrée par Nadia Roussel" in text
    assert "Abonnement dû jusqu'au 28/02/2027 inclus" in text
    assert "01/03/2027" not in text  # the exclusive end is not shown to people
    assert "préavis de deux mois" in text


def test_partial_termination_receipt(tenant, catalogue):
    subscription = Subscription.objects.create(
        collectivite=tenant,
        offer=catalogue.mail,
        quantity=Decimal("10"),
        activated_on=date(2026, 3, 17),
    )
    termination = Termination.objects.create(
        subscription=subscription,
        quantity=Decimal("3"),
        received_on=date(2027, 1, 15),
        effective_end=date(2027, 4, 1),
    )

    text = pdf_text(documents.termination_receipt_pdf(termination))

    assert "Résiliation partielle : 3 sur 10" in text
    assert "Quantité résiliée due jusqu'au 31/03/2027 inclus" in text


def test_renders_fetch_nothing_but_local_static_files(settings, tmp_path):
    from portal import pdf

    fetcher = pdf._url_fetcher()

    for url in (
        "https://example.org/logo.png",
        "http://127.0.0.1/x.css",
        "ftp://example.org/x",
        "data:text/css,body{}",
        "file:///etc/passwd",
        "file://example.org/work/x.css",
        (pdf.STATIC_DIR / ".." / "pyproject.toml").as_uri(),
    ):
        with pytest.raises(ValueError, match="refusée|hors des dossiers"):
            fetcher.fetch(url)

    response = fetcher.fetch((pdf.STATIC_DIR / "css" / "pdf.css").as_uri())
    assert b"@page" in response.read()
    response.close()


def test_a_remote_resource_stops_the_render(monkeypatch):
    from portal import pdf

    monkeypatch.setattr(
        pdf,
        "render_to_string",
        lambda *args, **kwargs: '<p>x</p><img src="https://example.org/pixel.png">',
    )

    with pytest.raises(pdf.PdfRenderError, match="example.org"):
        pdf.render_pdf("pdf/base.html", {})


def test_syndicate_logo_is_embedded_from_local_media(quote, syndicate):
    from django.core.files.base import ContentFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), "#1d4f91").save(buffer, format="PNG")
    syndicate.logo.save("logo.png", ContentFile(buffer.getvalue()))

    reader = PdfReader(io.BytesIO(documents.quote_pdf(quote)))

    assert len(reader.pages[0].images) == 1
