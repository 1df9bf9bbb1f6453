"""Invoice and credit-note documents (DESIGN B4, B5): the Factur-X XML (CII, EN 16931
profile) and the PDF that people read, with that XML embedded.

The documents are built only from issued rows, which never change: the parties come from the
invoice's `buyer` and `seller` snapshots (the collectivité and the syndicate as they were on
the issue date), never from today's records — only the letterhead logo is today's. The keys
read from the snapshots (written by `billing.services`):

- buyer: `name`, `siret` (14 digits), `address`, `postcode`, `city`, `service_code`
  (the invoice's own `service_code` field wins when set);
- seller: `name`, `siret`, `address`, `postcode`, `city`, `email`, and the Treasury account
  the administrative mandate is paid to: `iban`, `bic`, `bank_name`; optionally `phone`, and
  `vat_number` for a syndicate subject to VAT (left out of the XML when a line is outside the
  scope of VAT, as EN 16931 BR-O-02 requires).
`name` and `siret` are required on both sides: without them a document is not issued.

Lines in the XML: a contract-year line is `(quantity − free) × months` months (`MON`) at the
annual unit price per 12 months (BT-149), so that quantity × price = the line's net amount; a
one-off delivery is its quantity in hours, days or units at the unit price. VAT is category
`S` at the line's rate, or `O` (outside the scope of VAT) with the line's exemption mention as
reason and `VATEX-EU-O` as code, without a rate. VAT is rounded at the line and summed per
category, as `billing.services` computes the stored totals; the XML carries the stored totals
and refuses to be built when they disagree with the lines.

Rendering goes through the portal's PDF engine (`portal.pdf.render_pdf`: the shared
font configuration and parsed stylesheets, here `pdf.css` then `pdf-billing.css`, the
local-only URL fetcher, the PDF dates taken from the document). The Factur-X step writes its
own dates (PDF info, XMP, the attachment): they are pinned to the issue date too, so that
rendering an invoice twice gives the same bytes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from billing import domain
from billing.models import CreditNote, CreditNoteLine, Invoice, InvoiceLine
from catalogue.models import BillingUnit
from contracts.rules import last_covered_day as _last_covered_day
from portal.domain import siret_display
from portal.pdf import percent as _percent
from portal.pdf import render_pdf
from portal.pdf import syndicate_context as _syndicate_context

CENT = Decimal("0.01")
CURRENCY = "EUR"
COUNTRY = "FR"
FACTURX_FLAVOR = "factur-x"
FACTURX_LEVEL = "en16931"
TYPE_INVOICE = "380"  # UNTDID 1001: commercial invoice
TYPE_CREDIT_NOTE = "381"  # UNTDID 1001: credit note
SIREN_SCHEME = "0002"  # ISO 6523 ICD 0002: SIRENE, the SIREN (9 digits)
SIRET_SCHEME = "0009"  # ISO 6523 ICD 0009: SIRET-CODE, the establishment (14 digits)
# BT-23, the French "cadre de facturation" (Chorus Pro): A1, an invoice of a supplier for
# services or goods, deposited by the supplier (not already paid, no subcontractor).
BILLING_FRAMEWORK = "A1"
PAYMENT_MEANS_CREDIT_TRANSFER = "30"  # UNTDID 4461
VAT_STANDARD = domain.VAT_STANDARD
VAT_OUTSIDE_SCOPE = domain.VAT_OUTSIDE_SCOPE
VATEX_OUTSIDE_SCOPE = "VATEX-EU-O"
MONTHS_PER_YEAR = Decimal("12")
UNIT_MONTH = "MON"  # UN/ECE Recommendation 20
UNIT_CODES = {BillingUnit.HOUR: "HUR", BillingUnit.DAY: "DAY"}  # otherwise C62, one unit
UNIT_ONE = "C62"
LINE_ORDER = "line_order"  # our key in a line's data: its order reference, set in the XML

MANDATE_MEANS = "Mandat administratif"
MANDATE_NOTE = (
    "Paiement par mandat administratif, dans les 30 jours suivant la date d'émission, au "
    "comptable public du syndicat."
)
PAYMENT_TERMS = "Paiement par mandat administratif au plus tard le {due}."
ENGAGEMENT_REUSED = "Aucun numéro d'engagement donné pour cet exercice : numéro précédent"
ENGAGEMENT_REUSED_PDF = (
    "Aucun numéro d'engagement n'a été donné pour l'exercice {year} : cette facture porte le "
    "numéro de l'exercice précédent ({number})."
)
CREDIT_LINE_REFERENCE = "Corrige la ligne {line} de la facture {number}"
CREDIT_NOTE_TERMS = "Avoir à déduire de la facture n° {number} du {issued}."
PARTY_INCOMPLETE = "{role} de la pièce {number} incomplet : le nom et le SIRET sont requis."
TOTALS_MISMATCH = (
    "Les totaux enregistrés de la pièce {number} ({ht} HT, {vat} TVA, {ttc} TTC) ne "
    "correspondent pas à ses lignes ({line_ht} HT, {line_vat} TVA)."
)

FACTURX_KEYWORDS = "Factur-X, facture électronique, EN 16931"
BILLING_STYLESHEETS = ("pdf.css", "pdf-billing.css")  # static/css/, in cascade order


class BillingDocumentError(ValueError):
    """An invoice or credit note whose rows cannot make a valid document."""


# --- Amounts and VAT --------------------------------------------------------------------------


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# The VAT breakdown is the domain's (B8): net per line, VAT per category and rate.
VatGroup = domain.VatGroup
vat_breakdown = domain.vat_breakdown
_Totals = domain.Totals


def _checked_totals(document: Invoice | CreditNote, groups: list[VatGroup]) -> _Totals:
    """The stored totals, once checked against the lines (EN 16931 BR-CO-10, -13, -14, -15,
    -17)."""
    computed = domain.totals(groups)
    ht, vat, ttc = document.total_ht, document.total_vat, document.total_ttc
    if (computed.ht, computed.vat) != (ht, vat) or ttc != ht + vat:
        raise BillingDocumentError(
            TOTALS_MISMATCH.format(
                number=document.number,
                ht=ht,
                vat=vat,
                ttc=ttc,
                line_ht=computed.ht,
                line_vat=computed.vat,
            )
        )
    return _Totals(ht=ht, vat=vat, ttc=ttc)


# --- Factur-X XML -----------------------------------------------------------------------------


def _text(value: Decimal, places: int) -> str:
    return f"{value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):f}"


def _amount(value: Decimal) -> str:
    return _text(value, 2)


def _rate_text(rate: Decimal) -> str:
    return _text(rate * 100, 2)


def _digits(value: str | None) -> str:
    return "".join((value or "").split())


def _party(snapshot: dict, *, role: str, number: str, vat_number: bool) -> dict[str, Any]:
    """BT-29/BT-46: the SIRET (scheme 0009), which Chorus Pro routes by; BT-30/BT-47: the
    SIREN (scheme 0002), the legal registration; BT-31: the VAT number, when `vat_number`."""
    name, siret = (snapshot.get("name") or "").strip(), _digits(snapshot.get("siret"))
    if not name or not siret:
        raise BillingDocumentError(PARTY_INCOMPLETE.format(role=role, number=number))
    party: dict[str, Any] = {
        "name": name,
        "identifiers": {SIRET_SCHEME: siret},
        "legal_identifier": siret[:9],
        "legal_identifier_schemeid": SIREN_SCHEME,
        "country_code": COUNTRY,
    }
    for key, field in (("address", "addr_l1"), ("postcode", "postcode"), ("city", "city")):
        if snapshot.get(key):
            party[field] = snapshot[key]
    if snapshot.get("email"):
        party["contacts"] = [{"email": snapshot["email"], "phone": snapshot.get("phone", "")}]
    if vat_number and snapshot.get("vat_number"):
        party["vat_identifier"] = _digits(snapshot["vat_number"]).upper()
    return party


_DELIVER_TO_KEYS = ("name", "addr_l1", "postcode", "city", "country_code")


def single_engagement(lines: Iterable[InvoiceLine]) -> str:
    """BT-13 (the header's order reference) is one number: the lines' number when they all
    share it; otherwise each line carries its own and the header none."""
    numbers = {line.po_number for line in lines}
    return numbers.pop() if len(numbers) == 1 else ""


def _parties(
    invoice: Invoice, groups: list[VatGroup], number: str, engagement: str
) -> dict[str, Any]:
    outside_scope = any(g.category == VAT_OUTSIDE_SCOPE for g in groups)
    buyer = _party(invoice.buyer, role="Destinataire", number=number, vat_number=False)
    data: dict[str, Any] = {
        "BG-4": _party(
            invoice.seller, role="Émetteur", number=number, vat_number=not outside_scope
        ),
        "BG-7": buyer,
        # The services are delivered to the collectivité. The CII schema requires the header
        # delivery element, and the library writes it as an invalid `xsi:nil` when it is empty.
        "BG-13": {k: v for k, v in buyer.items() if k in _DELIVER_TO_KEYS},
    }
    service_code = invoice.service_code or invoice.buyer.get("service_code", "")
    if service_code:
        data["BT-10"] = service_code
    if engagement:
        data["BT-13"] = engagement
    return data


def _vat_groups_xml(groups: list[VatGroup]) -> list[dict[str, Any]]:
    entries = []
    for group in groups:
        entry: dict[str, Any] = {
            "BT-116": _amount(group.base),
            "BT-117": _amount(group.amount),
            "BT-118": group.category,
        }
        if group.rate is not None:
            entry["BT-119"] = _rate_text(group.rate)
        else:  # category O: no rate (BR-O-05), a reason (BR-O-10)
            if group.exemption:
                entry["BT-120"] = group.exemption
            entry["BT-121"] = VATEX_OUTSIDE_SCOPE
        entries.append(entry)
    return entries


def _line_vat(entry: dict[str, Any], rate: Decimal | None) -> None:
    if rate is not None:
        entry["BT-151"], entry["BT-152"] = VAT_STANDARD, _rate_text(rate)
    else:
        entry["BT-151"] = VAT_OUTSIDE_SCOPE


def _invoice_line_xml(index: int, line: InvoiceLine) -> dict[str, Any]:
    billable = line.quantity - line.free_quantity
    entry: dict[str, Any] = {
        "BT-126": str(index),
        "BT-153": line.label,
        "BT-155": line.offer.code,
        "BT-131": _amount(line.amount),
        "BT-146": _text(line.unit_price, 2),
    }
    note = [f"Quantité : {_text(line.quantity, 2)}"]
    if line.free_quantity:
        note.append(f"dont offerte(s) : {_text(line.free_quantity, 2)}")
    if line.months is not None:
        # (quantity − free) × months at the annual price per 12 months: quantity × price
        # gives the net amount (B2).
        entry["BT-129"] = _text(billable * line.months, 4)
        entry["BT-130"] = UNIT_MONTH
        entry["BT-149"] = _text(MONTHS_PER_YEAR, 4)
        note.append(f"{line.months} mois au prix annuel unitaire")
    else:
        entry["BT-129"] = _text(billable, 4)
        entry["BT-130"] = UNIT_CODES.get(line.offer.billing_unit, UNIT_ONE)
    if line.po_number:
        entry[LINE_ORDER] = line.po_number  # the line's order reference (B9), whole
        if line.po_reused:
            note.append(f"{ENGAGEMENT_REUSED} {line.po_number}")
    entry["BT-127-00"] = [{"BT-127": " ; ".join(note)}]
    if line.period_start:
        entry["BT-134"] = line.period_start
    if line.period_end:
        entry["BT-135"] = _last_covered_day(line.period_end)
    _line_vat(entry, line.vat_rate)
    return entry


def _credit_line_xml(index: int, line: CreditNoteLine, position: dict[int, int]) -> dict[str, Any]:
    # What is credited is an amount (at most what the invoiced line still carries), not a
    # quantity: one unit at that amount. The line names the invoice line it corrects (its
    # position on the invoice, whose number is the header's BT-25).
    invoiced = line.invoice_line
    entry: dict[str, Any] = {
        "BT-126": str(index),
        "BT-153": line.label,
        "BT-155": invoiced.offer.code,
        "BT-129": _text(Decimal(1), 4),
        "BT-130": UNIT_ONE,
        "BT-146": _amount(line.amount),
        "BT-131": _amount(line.amount),
    }
    note = [
        CREDIT_LINE_REFERENCE.format(
            line=position[invoiced.pk], number=line.credit_note.invoice.number
        )
    ]
    if line.months:
        note.append(f"{line.months} mois crédités")
    entry["BT-127-00"] = [{"BT-127": " ; ".join(note)}]
    if invoiced.po_number:
        entry[LINE_ORDER] = invoiced.po_number
    if line.period_start and line.period_end:
        entry["BT-134"] = line.period_start
        entry["BT-135"] = _last_covered_day(line.period_end)
    _line_vat(entry, invoiced.vat_rate)
    return entry


def _totals_xml(totals: _Totals) -> dict[str, str]:
    return {
        "BT-106": _amount(totals.ht),
        "BT-109": _amount(totals.ht),
        "BT-110": _amount(totals.vat),
        "BT-112": _amount(totals.ttc),
        "BT-115": _amount(totals.ttc),  # nothing is paid at issue
    }


def _payment_xml(invoice: Invoice) -> dict[str, Any]:
    """Administrative mandate: the buyer's public accountant pays by transfer to the
    syndicate's Treasury account, when it is known (BR-61: a transfer names its account)."""
    data: dict[str, Any] = {
        "BT-9": invoice.due_date,
        "BT-20": PAYMENT_TERMS.format(due=f"{invoice.due_date:%d/%m/%Y}"),
    }
    iban = _digits(invoice.seller.get("iban")).upper()
    if iban:
        data.update(
            {
                "BT-81": PAYMENT_MEANS_CREDIT_TRANSFER,
                "BT-82": MANDATE_MEANS,
                "BT-83": invoice.number,
                "BT-84": iban,
            }
        )
        if invoice.seller.get("bic"):
            data["BT-86"] = _digits(invoice.seller["bic"]).upper()
    return data


RAM_NS = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"


def _cii_xml(data: dict[str, Any]) -> bytes:
    from facturx import generate_cii_xml, xml_check_xsd

    data.update({"BT-5": CURRENCY})
    # B9: each line's order reference, whole. The library writes it (EXT-FR-FE-135) only at
    # the EXTENDED level, although the EN 16931 schema has the element
    # (SpecifiedLineTradeAgreement/BuyerOrderReferencedDocument/IssuerAssignedID): added here.
    orders = [line.pop(LINE_ORDER, "") for line in data["BG-25"]]
    # The schematron needs a Saxon server: never called from here (no network while
    # issuing); the XSD is checked on every document.
    xml = generate_cii_xml(data, level=FACTURX_LEVEL, check_xsd=False, check_schematron=False)
    if any(orders):
        xml = _with_line_orders(xml, orders)
    xml_check_xsd(xml, flavor=FACTURX_FLAVOR, level=FACTURX_LEVEL)
    return xml


def _with_line_orders(xml: bytes, orders: list[str]) -> bytes:
    from lxml import etree

    root = etree.fromstring(xml)
    items = root.iter(f"{{{RAM_NS}}}IncludedSupplyChainTradeLineItem")
    for item, order in zip(items, orders, strict=True):
        if not order:
            continue
        agreement = item.find(f"{{{RAM_NS}}}SpecifiedLineTradeAgreement")
        reference = etree.Element(f"{{{RAM_NS}}}BuyerOrderReferencedDocument")
        etree.SubElement(reference, f"{{{RAM_NS}}}IssuerAssignedID").text = order
        agreement.insert(0, reference)  # first in LineTradeAgreementType's sequence
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _positions(invoice: Invoice) -> dict[int, int]:
    """Invoice line id → its position on the invoice (BT-126), from 1."""
    ids = invoice.lines.order_by("id").values_list("pk", flat=True)
    return {pk: index for index, pk in enumerate(ids, start=1)}


def _invoice_lines(invoice: Invoice) -> list[InvoiceLine]:
    return list(invoice.lines.select_related("offer").order_by("id"))


def _credit_lines(credit_note: CreditNote) -> list[CreditNoteLine]:
    return list(
        credit_note.lines.select_related("invoice_line__offer", "credit_note__invoice").order_by(
            "id"
        )
    )


def _invoice_groups(lines: list[InvoiceLine]) -> list[VatGroup]:
    return vat_breakdown((line.amount, line.vat_rate, line.vat_exemption) for line in lines)


def _credit_groups(lines: list[CreditNoteLine]) -> list[VatGroup]:
    return vat_breakdown(
        (line.amount, line.invoice_line.vat_rate, line.invoice_line.vat_exemption) for line in lines
    )


def _invoice_xml(
    invoice: Invoice, lines: list[InvoiceLine], groups: list[VatGroup], totals: _Totals
) -> bytes:
    data: dict[str, Any] = {
        "BT-1": invoice.number,
        "BT-2": invoice.issue_date,
        "BT-3": TYPE_INVOICE,
        "BT-23": BILLING_FRAMEWORK,
        "BG-1": [{"BT-22": MANDATE_NOTE}],
        **_parties(invoice, groups, invoice.number, single_engagement(lines)),
        **_payment_xml(invoice),
        "BG-23": _vat_groups_xml(groups),
        "BG-25": [_invoice_line_xml(i, line) for i, line in enumerate(lines, start=1)],
        **_totals_xml(totals),
    }
    return _cii_xml(data)


def _credit_note_xml(
    credit_note: CreditNote, lines: list[CreditNoteLine], groups: list[VatGroup], totals: _Totals
) -> bytes:
    invoice = credit_note.invoice
    positions = _positions(invoice)
    data: dict[str, Any] = {
        "BT-1": credit_note.number,
        "BT-2": credit_note.issue_date,
        "BT-3": TYPE_CREDIT_NOTE,
        "BT-23": BILLING_FRAMEWORK,
        "BG-1": [{"BT-22": f"Motif : {credit_note.reason}"}],
        "BG-3": [{"BT-25": invoice.number, "BT-26": invoice.issue_date}],
        **_parties(
            invoice,
            groups,
            credit_note.number,
            single_engagement(line.invoice_line for line in lines),
        ),
        "BT-20": CREDIT_NOTE_TERMS.format(
            number=invoice.number, issued=f"{invoice.issue_date:%d/%m/%Y}"
        ),
        "BG-23": _vat_groups_xml(groups),
        "BG-25": [_credit_line_xml(i, line, positions) for i, line in enumerate(lines, start=1)],
        **_totals_xml(totals),
    }
    return _cii_xml(data)


def invoice_facturx_xml(invoice: Invoice) -> bytes:
    """The invoice as Factur-X CII XML (EN 16931, type 380), checked against the XSD."""
    lines = _invoice_lines(invoice)
    groups = _invoice_groups(lines)
    return _invoice_xml(invoice, lines, groups, _checked_totals(invoice, groups))


def credit_note_facturx_xml(credit_note: CreditNote) -> bytes:
    """The credit note as Factur-X CII XML (type 381, referencing its invoice: BT-25, BT-26)."""
    lines = _credit_lines(credit_note)
    groups = _credit_groups(lines)
    return _credit_note_xml(credit_note, lines, groups, _checked_totals(credit_note, groups))


# --- PDF --------------------------------------------------------------------------------------

# The factur-x library stamps "now" into the PDF it writes (info dictionary, XMP metadata):
# its two clock functions are pinned to the document's date while it runs. They are module
# globals of the pinned library, hence a lock; a renamed function fails loudly (AttributeError).
_facturx_lock = threading.Lock()


@contextmanager
def _facturx_clock(moment: datetime) -> Iterator[None]:
    from facturx import facturx as library

    original_pdf, original_xmp = library._get_pdf_timestamp, library._get_metadata_timestamp

    def pdf_timestamp(date=None):
        return original_pdf(moment if date is None else date)

    def xmp_timestamp():
        return moment.strftime("%Y-%m-%dT%H:%M:%S+00:00")

    library._get_pdf_timestamp, library._get_metadata_timestamp = pdf_timestamp, xmp_timestamp
    try:
        yield
    finally:
        library._get_pdf_timestamp, library._get_metadata_timestamp = original_pdf, original_xmp


PDF_VARIANT = "pdf/a-3b"  # WeasyPrint's: sRGB OutputIntent, trailer /ID, PDF/A XMP
PRODUCER = "Portail des services numériques (WeasyPrint, factur-x)"


def _embed_facturx(pdf: bytes, xml: bytes, *, issued: date, metadata: dict[str, str]) -> bytes:
    """Attach the Factur-X XML to the PDF/A-3B that WeasyPrint rendered, keeping it PDF/A-3B:
    the OutputIntent and the trailer /ID are kept (the writer is cloned from WeasyPrint's
    PDF), the XML is an associated file (/AF, AFRelationship /Data, MIME type text/xml), and
    the XMP metadata (PDF/A identification, the Factur-X extension schema) says what the
    information dictionary says — title, author, subject, keywords, producer, creator tool
    and dates."""
    import io

    from facturx import facturx as library
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, NameObject

    with _facturx_lock, _facturx_clock(datetime.combine(issued, time(), tzinfo=UTC)):
        writer = PdfWriter(clone_from=io.BytesIO(pdf))
        writer._header = b"%PDF-1.7"  # PDF/A-3 is based on PDF 1.7 (pypdf would write 1.3)
        library._facturx_update_metadata_add_attachment(
            writer,
            xml,
            dict(metadata),
            FACTURX_FLAVOR,
            FACTURX_LEVEL,
            lang="fr-FR",
            afrelationship="data",
            xmp_compression=False,
        )
        xmp = _xmp(library, metadata)
    stream = DecodedStreamObject()
    stream.update(
        {NameObject("/Type"): NameObject("/Metadata"), NameObject("/Subtype"): NameObject("/XML")}
    )
    stream.set_data(xmp)
    writer._replace_object(writer._root_object.raw_get("/Metadata"), stream)
    writer.add_metadata({"/Producer": PRODUCER})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _xmp(library, metadata: dict[str, str]) -> bytes:
    """The factur-x library's XMP (PDF/A-3B identification, Factur-X extension schema) with
    our producer and the keywords, which it leaves out (PDF/A: Info and XMP agree)."""
    from lxml import etree

    generated = library.generate_xmp_object(
        {
            "pdfa3_flavor": "B",
            "title": metadata.get("title", ""),
            "author": metadata.get("author", ""),
            "subject": metadata.get("subject", ""),
            "producer": PRODUCER,
            "creator_tool": library.CREATOR,
            "timestamp": library._get_metadata_timestamp(),
            "version": "1.0",
            "urn": "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#",
            "documenttype": "INVOICE",
            "xml_filename": library.FACTURX_FILENAME,
            "xmp_level": library.FACTURX_LEVEL2xmp[FACTURX_LEVEL],
        }
    )
    root = etree.fromstring(etree.tostring(generated))  # a plain tree (not objectify's)
    pdf_ns = "http://ns.adobe.com/pdf/1.3/"
    producer = root.find(f".//{{{pdf_ns}}}Producer")
    keywords = etree.SubElement(producer.getparent(), f"{{{pdf_ns}}}Keywords")
    keywords.text = metadata.get("keywords", "")
    rdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
    for description in root.iter(f"{{{rdf}}}Description"):
        description.set(f"{{{rdf}}}about", "")  # PDF/A: every description is about this PDF
    body = etree.tostring(root, encoding="utf-8", xml_declaration=False)
    return (
        b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        + body
        + b'\n<?xpacket end="w"?>'
    )


def _iban_display(iban: str) -> str:
    compact = _digits(iban).upper()
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def _parties_context(invoice: Invoice) -> dict[str, Any]:
    """The letterhead and the parties from the invoice's snapshots (the logo is today's)."""
    seller, buyer = invoice.seller, invoice.buyer
    return {
        **_syndicate_context(),
        "syndicate": seller or None,  # pdf/base.html's letterhead
        "syndicate_siret": siret_display(_digits(seller.get("siret"))),
        "seller": seller,
        "buyer": buyer,
        "buyer_siret": siret_display(_digits(buyer.get("siret"))),
        "service_code": invoice.service_code or buyer.get("service_code", ""),
        "iban": _iban_display(seller.get("iban", "")),
        "bic": _digits(seller.get("bic")).upper(),
    }


def _exemptions(groups: list[VatGroup]) -> list[str]:
    return [g.exemption for g in groups if g.category == VAT_OUTSIDE_SCOPE and g.exemption]


def _vat_label(rate: Decimal | None, exemption: str, exemptions: list[str]) -> str:
    if rate is not None:
        return _percent(rate)
    if exemption and len(exemptions) > 1:
        return f"hors champ ({exemptions.index(exemption) + 1})"
    return "hors champ" if exemption else "—"


def _totals_context(groups: list[VatGroup], totals: _Totals) -> dict[str, Any]:
    exemptions = _exemptions(groups)
    return {
        "vat_groups": [
            {"rate_percent": _percent(g.rate), "base": g.base, "amount": g.amount}
            for g in groups
            if g.category == VAT_STANDARD and g.rate is not None
        ],
        "exemptions": exemptions,
        "numbered_exemptions": len(exemptions) > 1,
        "total_ht": totals.ht,
        "total_vat": totals.vat,
        "total_ttc": totals.ttc,
    }


def _invoice_rows(lines: list[InvoiceLine], exemptions: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "line": line,
            "unit": line.offer.get_billing_unit_display(),
            "first_day": line.period_start,
            "last_day": _last_covered_day(line.period_end) if line.period_end else None,
            "vat": _vat_label(line.vat_rate, line.vat_exemption, exemptions),
        }
        for line in lines
    ]


def invoice_pdf(invoice: Invoice) -> bytes:
    """The invoice as people read it (décret 2019-748 mentions), as a Factur-X PDF."""
    lines = _invoice_lines(invoice)
    groups = _invoice_groups(lines)
    totals = _checked_totals(invoice, groups)
    xml = _invoice_xml(invoice, lines, groups, totals)
    title = f"Facture n° {invoice.number}"
    term_days = (invoice.due_date - invoice.issue_date) // timedelta(days=1)
    context = {
        "invoice": invoice,
        "references": [
            ("Date d'émission", f"{invoice.issue_date:%d/%m/%Y}"),
            ("Échéance", f"{invoice.due_date:%d/%m/%Y} ({term_days} jours)"),
            ("Bon de commande ou engagement", invoice.po_number or "—"),
        ],
        "rows": _invoice_rows(lines, _exemptions(groups)),
        "several_engagements": len({line.po_number for line in lines if line.po_number}) > 1,
        "engagement_reused": sorted(
            {
                ENGAGEMENT_REUSED_PDF.format(year=line.period_start.year, number=line.po_number)
                for line in lines
                if line.po_reused and line.period_start
            }
        ),
        "pdf_title": title,
        "pdf_date": invoice.issue_date,
        **_totals_context(groups, totals),
        **_parties_context(invoice),
    }
    pdf = render_pdf(
        "pdf/invoice.html", context, stylesheets=BILLING_STYLESHEETS, pdf_variant=PDF_VARIANT
    )
    return _embed_facturx(
        pdf, xml, issued=invoice.issue_date, metadata=_pdf_metadata(invoice, title, invoice)
    )


def credit_note_pdf(credit_note: CreditNote) -> bytes:
    """The credit note as people read it, referencing its invoice, as a Factur-X PDF."""
    invoice = credit_note.invoice
    lines = _credit_lines(credit_note)
    groups = _credit_groups(lines)
    totals = _checked_totals(credit_note, groups)
    xml = _credit_note_xml(credit_note, lines, groups, totals)
    exemptions = _exemptions(groups)
    positions = _positions(invoice)
    title = f"Avoir n° {credit_note.number}"
    context = {
        "credit_note": credit_note,
        "invoice": invoice,
        "references": [
            ("Date d'émission", f"{credit_note.issue_date:%d/%m/%Y}"),
            ("Facture d'origine", f"n° {invoice.number} du {invoice.issue_date:%d/%m/%Y}"),
            ("Bon de commande ou engagement", invoice.po_number or "—"),
            ("Motif", credit_note.reason),
        ],
        "rows": [
            {
                "line": line,
                "position": positions[line.invoice_line_id],
                "last_day": _last_covered_day(line.period_end) if line.period_end else None,
                "vat": _vat_label(
                    line.invoice_line.vat_rate, line.invoice_line.vat_exemption, exemptions
                ),
            }
            for line in lines
        ],
        "pdf_title": title,
        "pdf_date": credit_note.issue_date,
        **_totals_context(groups, totals),
        **_parties_context(invoice),
    }
    pdf = render_pdf(
        "pdf/credit_note.html", context, stylesheets=BILLING_STYLESHEETS, pdf_variant=PDF_VARIANT
    )
    return _embed_facturx(
        pdf,
        xml,
        issued=credit_note.issue_date,
        metadata=_pdf_metadata(credit_note, title, invoice),
    )


def _pdf_metadata(document: Invoice | CreditNote, title: str, invoice: Invoice) -> dict[str, str]:
    seller = invoice.seller.get("name", "")
    return {
        "author": seller,
        "keywords": FACTURX_KEYWORDS,
        "title": title,
        "subject": (
            f"{title} du {document.issue_date:%d/%m/%Y}, de {seller} à "
            f"{invoice.buyer.get('name', '')}"
        ),
    }
