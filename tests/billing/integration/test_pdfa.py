"""B5: invoices and credit notes are real PDF/A-3B. Each check below is one a PDF/A-3B
validator (veraPDF) makes and pikepdf can make: the sRGB OutputIntent, the trailer /ID, the
XMP metadata identifying PDF/A-3B and agreeing with the information dictionary, embedded
fonts, the Factur-X XML as an associated file with its relationship and MIME type, no
encryption, no JavaScript. What veraPDF checks beyond these (colour spaces of every content
stream, glyph widths against the font programs, XMP schema validity…) is not verified here:
docs/billing.md says which."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pikepdf
import pytest

from billing import documents
from tests.billing.integration.test_documents import (  # noqa: F401 - fixtures
    catalogue,
    credit_note,
    invoice,
    member,
)

XMP = {
    "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "pdf": "http://ns.adobe.com/pdf/1.3/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
}


def _key(prefix: str, name: str) -> str:
    return f"{{{XMP[prefix]}}}{name}"


@pytest.fixture(params=["invoice", "credit_note"])
def pdf(request):
    if request.param == "invoice":
        data = documents.invoice_pdf(request.getfixturevalue("invoice"))
    else:
        data = documents.credit_note_pdf(request.getfixturevalue("credit_note"))
    with pikepdf.open(io.BytesIO(data)) as document:
        yield document


def test_it_is_pdf_1_7_with_an_srgb_output_intent(pdf):
    assert pdf.pdf_version == "1.7"
    [intent] = pdf.Root.OutputIntents
    assert intent.S == "/GTS_PDFA1"
    profile = intent.DestOutputProfile
    assert int(profile.N) == 3  # RGB
    assert b"sRGB" in profile.read_bytes()


def test_the_trailer_has_an_id(pdf):
    first, second = pdf.trailer.ID
    assert len(bytes(first)) >= 16  # WeasyPrint writes an MD5 digest
    assert bytes(first) == bytes(second)  # never modified since it was written


def test_the_xmp_says_pdf_a_3b_and_agrees_with_the_information_dictionary(pdf):
    info = pdf.docinfo
    with pdf.open_metadata() as meta:
        assert (meta[_key("pdfaid", "part")], meta[_key("pdfaid", "conformance")]) == ("3", "B")
        assert meta[_key("dc", "title")] == str(info.Title)
        assert meta[_key("dc", "creator")] == [str(info.Author)]
        assert meta[_key("dc", "description")] == str(info.Subject)
        assert meta[_key("pdf", "Producer")] == str(info.Producer) == documents.PRODUCER
        assert meta[_key("pdf", "Keywords")] == str(info.Keywords) == documents.FACTURX_KEYWORDS
        assert meta[_key("xmp", "CreatorTool")] == str(info.Creator)
        for xmp_key, info_key in (("CreateDate", "/CreationDate"), ("ModifyDate", "/ModDate")):
            in_xmp = datetime.fromisoformat(meta[_key("xmp", xmp_key)])
            in_info = datetime.strptime(str(info[info_key]), "D:%Y%m%d%H%M%S+00'00'")  # noqa: DTZ007 - UTC, said by the suffix
            assert in_xmp == in_info.replace(tzinfo=UTC)


def test_every_font_is_embedded(pdf):
    fonts = []
    for page in pdf.pages:
        for _, font in page.Resources.Font.items():
            descendants = font.get("/DescendantFonts") or [font]
            for described in descendants:
                fonts.append(described)
                descriptor = described.FontDescriptor
                assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
    assert fonts


def test_the_xml_is_an_associated_file_with_its_relationship_and_mime_type(pdf):
    [spec] = pdf.Root.AF
    assert (spec.F, spec.UF, spec.AFRelationship) == ("factur-x.xml", "factur-x.xml", "/Data")
    embedded = spec.EF.F
    assert embedded.Subtype == "/text/xml"
    assert "/ModDate" in embedded.Params
    assert pdf.attachments["factur-x.xml"].get_file().mime_type == "text/xml"


def test_no_encryption_and_no_javascript(pdf):
    assert not pdf.is_encrypted
    assert "/Encrypt" not in pdf.trailer
    assert "/JavaScript" not in pdf.Root.get("/Names", {})
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Dictionary):
            assert "/JS" not in obj
            assert obj.get("/S") != "/JavaScript"
            assert "/AA" not in obj
