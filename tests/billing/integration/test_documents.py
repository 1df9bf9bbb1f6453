"""Invoice and credit-note documents (B5): the Factur-X XML validates against the official
EN 16931 schema, reads back byte for byte from the PDF, carries the buyer's references and
the VAT (rate or category O with its mention); the PDF shows the legal mentions in French."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime
from decimal import Decimal

import facturx
import pytest
import time_machine
from lxml import etree
from pypdf import PdfReader

from billing import documents
from billing.models import CreditNote, CreditNoteLine, Invoice, InvoiceLine
from portal.models import Collectivite
from tests.factories.catalogue import EXEMPT, build_catalogue

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
SETTLEMENT = "//ram:ApplicableHeaderTradeSettlement"
ISSUED = date(2026, 3, 1)
IBAN = "FR7630001000640000001234559"
SELLER = {
    "name": "Syndicat mixte Manche Numérique",
    "siret": "25500224400013",
    "address": "235 rue Joseph Cugnot",
    "postcode": "50000",
    "city": "Saint-Lô",
    "email": "finances@manche-numerique.test",
    "iban": IBAN,
    "bic": "BDFEFRPPCCT",
    "bank_name": "Banque de France — SGC de Saint-Lô",
}


def pdf_text(data: bytes) -> str:
    """The PDF's text with every run of whitespace (including no-break spaces) as one space."""
    reader = PdfReader(io.BytesIO(data))
    text = " ".join(page.extract_text() or "" for page in reader.pages)
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("\u202f", " "))


def xpath(xml: bytes, path: str) -> list[str]:
    return [str(v) for v in etree.fromstring(xml).xpath(path, namespaces=NS)]


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


def make_invoice(member: Collectivite, number: str, lines: list[dict]) -> Invoice:
    ht = sum((line["amount"] for line in lines), Decimal("0.00"))
    vat = sum(
        (
            (line["amount"] * line["vat_rate"]).quantize(Decimal("0.01"))
            for line in lines
            if line.get("vat_rate") is not None
        ),
        Decimal("0.00"),
    )
    invoice = Invoice.objects.create(
        number=number,
        year=ISSUED.year,
        collectivite=member,
        issue_date=ISSUED,
        due_date=date(2026, 3, 31),
        po_number="BC-2026-0042",
        service_code=member.service_code,
        buyer={
            "name": member.name,
            "siret": member.siret,
            "address": member.address,
            "postcode": member.postcode,
            "city": member.city,
            "service_code": member.service_code,
        },
        seller=SELLER,
        total_ht=ht,
        total_vat=vat,
        total_ttc=ht + vat,
    )
    for index, line in enumerate(lines):
        line = {"po_number": "BC-2026-0042", **line}
        InvoiceLine.objects.create(invoice=invoice, source=f"{number}:{index}", **line)
    return invoice


def year_line(offer, **fields) -> dict:
    return {
        "offer": offer,
        "label": offer.name,
        "period_start": date(2026, 3, 1),
        "period_end": date(2027, 3, 1),
        "months": 12,
        **fields,
    }


@pytest.fixture
def invoice(member, catalogue) -> Invoice:
    return make_invoice(
        member,
        "FAC-2026-00001",
        [
            year_line(
                catalogue.mail,
                quantity=Decimal("20"),
                unit_price=Decimal("24.00"),
                amount=Decimal("480.00"),
                vat_exemption=EXEMPT,
            ),
            year_line(
                catalogue.visio,
                quantity=Decimal("2"),
                free_quantity=Decimal("1"),
                unit_price=Decimal("60.00"),
                amount=Decimal("60.00"),
                vat_rate=Decimal("0.2000"),
            ),
            year_line(  # co-termed addition: 7 months of 11.5 GB at 3 € a year
                catalogue.extra_quota,
                label="Quota de messagerie supplémentaire (ajout en cours d'année)",
                period_start=date(2026, 8, 1),
                months=7,
                quantity=Decimal("11.5"),
                unit_price=Decimal("3.00"),
                amount=Decimal("20.13"),
                vat_exemption=EXEMPT,
            ),
        ],
    )


def test_invoice_xml_validates_against_the_en16931_schema(invoice):
    xml = documents.invoice_facturx_xml(invoice)

    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931") is True
    assert xpath(xml, "//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID/text()") == [
        "urn:cen.eu:en16931:2017"
    ]
    assert xpath(xml, "//rsm:ExchangedDocument/ram:TypeCode/text()") == ["380"]
    assert xpath(xml, "//rsm:ExchangedDocument/ram:ID/text()") == ["FAC-2026-00001"]


def test_invoice_xml_carries_the_buyer_references_and_parties(invoice, member):
    xml = documents.invoice_facturx_xml(invoice)

    assert xpath(xml, "//ram:BuyerReference/text()") == ["MAIRIE-01"]  # BT-10
    header_order = "//ram:ApplicableHeaderTradeAgreement/ram:BuyerOrderReferencedDocument"
    assert xpath(xml, f"{header_order}/ram:IssuerAssignedID/text()") == ["BC-2026-0042"]  # BT-13
    line_order = "//ram:SpecifiedLineTradeAgreement/ram:BuyerOrderReferencedDocument"
    assert (
        xpath(xml, f"{line_order}/ram:IssuerAssignedID/text()")
        == ["BC-2026-0042"] * invoice.lines.count()
    )
    for party, siret in (("Seller", "25500224400013"), ("Buyer", member.siret)):
        legal = f"//ram:{party}TradeParty/ram:SpecifiedLegalOrganization/ram:ID"
        assert xpath(xml, f"{legal}/text()") == [siret[:9]]  # BT-30 / BT-47: SIREN
        assert xpath(xml, f"{legal}/@schemeID") == ["0002"]
        global_id = f"//ram:{party}TradeParty/ram:GlobalID"
        assert xpath(xml, f"{global_id}/text()") == [siret]  # BT-29 / BT-46: SIRET
        assert xpath(xml, f"{global_id}/@schemeID") == ["0009"]
    assert xpath(xml, "//ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID/text()") == [
        "A1"  # BT-23, Chorus Pro's cadre de facturation
    ]
    assert xpath(xml, "//ram:BuyerTradeParty/ram:Name/text()") == ["Commune de Test"]
    assert xpath(xml, "//ram:BuyerTradeParty/ram:PostalTradeAddress/ram:CityName/text()") == [
        "Testville"
    ]


def test_invoice_xml_dates_payment_and_totals(invoice):
    xml = documents.invoice_facturx_xml(invoice)

    assert xpath(xml, "//rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString/text()") == [
        "20260301"
    ]
    assert xpath(xml, "//ram:DueDateDateTime/udt:DateTimeString/text()") == ["20260331"]
    means = f"{SETTLEMENT}/ram:SpecifiedTradeSettlementPaymentMeans"
    assert xpath(xml, f"{means}/ram:TypeCode/text()") == ["30"]
    assert xpath(xml, f"{means}/ram:Information/text()") == ["Mandat administratif"]
    assert xpath(xml, f"{means}/ram:PayeePartyCreditorFinancialAccount/ram:IBANID/text()") == [IBAN]
    assert "mandat administratif" in xpath(xml, "//rsm:ExchangedDocument//ram:Content/text()")[0]
    summation = f"{SETTLEMENT}/ram:SpecifiedTradeSettlementHeaderMonetarySummation"
    assert [
        xpath(xml, f"{summation}/ram:{name}/text()")
        for name in (
            "LineTotalAmount",  # BT-106
            "TaxBasisTotalAmount",  # BT-109
            "TaxTotalAmount",  # BT-110
            "GrandTotalAmount",  # BT-112
            "DuePayableAmount",  # BT-115
        )
    ] == [["560.13"], ["560.13"], ["12.00"], ["572.13"], ["572.13"]]
    assert xpath(xml, f"{summation}/ram:TaxTotalAmount/@currencyID") == ["EUR"]
    assert xpath(xml, f"{SETTLEMENT}/ram:InvoiceCurrencyCode/text()") == ["EUR"]


def test_invoice_xml_vat_rate_or_category_o_with_the_exemption(invoice):
    xml = documents.invoice_facturx_xml(invoice)

    taxes = f"{SETTLEMENT}/ram:ApplicableTradeTax"
    assert xpath(xml, f"{taxes}/ram:CategoryCode/text()") == ["S", "O"]
    assert xpath(xml, f"{taxes}[ram:CategoryCode='S']/ram:RateApplicablePercent/text()") == [
        "20.00"
    ]
    assert xpath(xml, f"{taxes}[ram:CategoryCode='S']/ram:BasisAmount/text()") == ["60.00"]
    outside = f"{taxes}[ram:CategoryCode='O']"
    assert xpath(xml, f"{outside}/ram:ExemptionReason/text()") == [EXEMPT]  # BT-120
    assert xpath(xml, f"{outside}/ram:ExemptionReasonCode/text()") == ["VATEX-EU-O"]  # BT-121
    assert xpath(xml, f"{outside}/ram:RateApplicablePercent") == []
    assert xpath(xml, f"{outside}/ram:BasisAmount/text()") == ["500.13"]
    assert xpath(xml, f"{outside}/ram:CalculatedAmount/text()") == ["0.00"]
    line_tax = "//ram:IncludedSupplyChainTradeLineItem/ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax"
    assert xpath(xml, f"{line_tax}/ram:CategoryCode/text()") == ["O", "S", "O"]
    assert xpath(xml, f"{line_tax}/ram:RateApplicablePercent/text()") == ["20.00"]


def test_invoice_xml_lines_quantity_price_amount_and_period(invoice):
    xml = documents.invoice_facturx_xml(invoice)

    item = "//ram:IncludedSupplyChainTradeLineItem"
    # (quantity − free) × months, at the annual price per 12 months.
    assert xpath(xml, f"{item}//ram:BilledQuantity/text()") == ["240.0000", "12.0000", "80.5000"]
    assert xpath(xml, f"{item}//ram:BilledQuantity/@unitCode") == ["MON"] * 3
    assert xpath(xml, f"{item}//ram:NetPriceProductTradePrice/ram:ChargeAmount/text()") == [
        "24.00",
        "60.00",
        "3.00",
    ]
    assert (
        xpath(xml, f"{item}//ram:NetPriceProductTradePrice/ram:BasisQuantity/text()")
        == ["12.0000"] * 3
    )
    assert xpath(xml, f"{item}//ram:LineTotalAmount/text()") == ["480.00", "60.00", "20.13"]
    period = f"{item}//ram:BillingSpecifiedPeriod"
    assert xpath(xml, f"{period}/ram:StartDateTime/udt:DateTimeString/text()") == [
        "20260301",
        "20260301",
        "20260801",
    ]
    assert xpath(xml, f"{period}/ram:EndDateTime/udt:DateTimeString/text()") == ["20270228"] * 3


def test_invoice_pdf_embeds_the_same_xml_and_shows_the_legal_mentions(invoice, member):
    xml = documents.invoice_facturx_xml(invoice)
    pdf = documents.invoice_pdf(invoice)

    filename, embedded = facturx.get_xml_from_pdf(pdf, check_xsd=True)
    assert (filename, embedded) == ("factur-x.xml", xml)
    text = pdf_text(pdf)
    for expected in (
        "Facture n° FAC-2026-00001",
        "Date d'émission : 01/03/2026",
        "Échéance : 31/03/2026 (30 jours)",
        "Échéance : 31/03/2026 — net à payer 572,13 €",
        "Bon de commande ou engagement : BC-2026-0042",
        "Code service : MAIRIE-01",
        f"SIRET {member.siret_display}",
        "SIRET 255 002 244 00013",
        "du 01/03/2026 au 28/02/2027",
        "du 01/08/2026 au 28/02/2027",
        "dont 1 offert",
        "24,00 €",
        "Total HT 560,13 €",
        "TVA 20 % sur 60,00 € 12,00 €",
        "Total TTC, net à payer 572,13 €",
        EXEMPT,
        "par mandat administratif",
        "Compte au Trésor public : Banque de France — SGC de Saint-Lô",
        "IBAN FR76 3000 1000 6400 0000 1234 559",
        "BIC BDFEFRPPCCT",
    ):
        assert expected in text, expected


def test_invoice_pdf_renders_to_the_same_bytes_twice(invoice):
    assert documents.invoice_pdf(invoice) == documents.invoice_pdf(invoice)


def test_invoice_pdf_same_bytes_when_fonttools_cuts_the_fonts(invoice, monkeypatch):
    # Without the HarfBuzz-Subset library WeasyPrint cuts the embedded fonts with fontTools,
    # which writes the current time into each of them.
    from weasyprint.pdf import fonts

    monkeypatch.setattr(fonts, "harfbuzz_subset", None)
    with time_machine.travel(datetime(2026, 3, 2, 10, 0, 0, tzinfo=UTC), tick=False):
        first = documents.invoice_pdf(invoice)
    with time_machine.travel(datetime(2026, 3, 2, 10, 0, 5, tzinfo=UTC), tick=False):
        second = documents.invoice_pdf(invoice)

    assert first == second


def test_characters_outside_the_print_font_are_still_drawn(invoice):
    invoice.buyer = {**invoice.buyer, "name": "Commune d'Ωmega (Жуков)"}

    assert "Commune d'Ωmega (Жуков)" in pdf_text(documents.invoice_pdf(invoice))


def test_only_exempt_lines_make_zero_vat_and_validate(member, catalogue):
    invoice = make_invoice(
        member,
        "FAC-2026-00002",
        [
            year_line(
                catalogue.mail,
                quantity=Decimal("3"),
                unit_price=Decimal("24.00"),
                amount=Decimal("72.00"),
                vat_exemption=EXEMPT,
            ),
        ],
    )

    xml = documents.invoice_facturx_xml(invoice)

    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931") is True
    assert xpath(xml, "//ram:TaxTotalAmount/text()") == ["0.00"]
    assert xpath(xml, f"{SETTLEMENT}/ram:ApplicableTradeTax/ram:CategoryCode/text()") == ["O"]
    assert xpath(xml, "//ram:GrandTotalAmount/text()") == ["72.00"]
    text = pdf_text(documents.invoice_pdf(invoice))
    assert "TVA 0,00 €" in text
    assert "Total TTC, net à payer 72,00 €" in text


def test_totals_that_disagree_with_the_lines_are_refused(invoice):
    Invoice.objects.filter(pk=invoice.pk).update(total_vat=Decimal("12.01"))
    invoice.refresh_from_db()

    with pytest.raises(documents.BillingDocumentError, match="FAC-2026-00001"):
        documents.invoice_facturx_xml(invoice)


def test_a_seller_without_siret_is_refused(invoice):
    invoice.seller = {**SELLER, "siret": ""}

    with pytest.raises(documents.BillingDocumentError) as error:
        documents.invoice_facturx_xml(invoice)
    assert str(error.value) == (
        "Émetteur de la pièce FAC-2026-00001 incomplet : le nom et le SIRET sont requis."
    )


@pytest.fixture
def credit_note(invoice) -> CreditNote:
    mail, visio, _ = invoice.lines.order_by("id")
    note = CreditNote.objects.create(
        number="AV-2026-00001",
        year=2026,
        invoice=invoice,
        issue_date=date(2026, 6, 15),
        reason="Résiliation reçue le 02/04/2026 : 5 mois non utilisés",
        total_ht=Decimal("225.00"),
        total_vat=Decimal("5.00"),
        total_ttc=Decimal("230.00"),
    )
    CreditNoteLine.objects.create(
        credit_note=note, invoice_line=mail, label=mail.label, months=5, amount=Decimal("200.00")
    )
    CreditNoteLine.objects.create(
        credit_note=note, invoice_line=visio, label=visio.label, months=5, amount=Decimal("25.00")
    )
    return note


def test_credit_note_xml_is_type_381_and_references_the_invoice(credit_note):
    xml = documents.credit_note_facturx_xml(credit_note)

    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931") is True
    assert xpath(xml, "//rsm:ExchangedDocument/ram:TypeCode/text()") == ["381"]
    assert xpath(xml, "//rsm:ExchangedDocument/ram:ID/text()") == ["AV-2026-00001"]
    reference = f"{SETTLEMENT}/ram:InvoiceReferencedDocument"
    assert xpath(xml, f"{reference}/ram:IssuerAssignedID/text()") == ["FAC-2026-00001"]  # BT-25
    assert xpath(xml, f"{reference}/ram:FormattedIssueDateTime/*/text()") == ["20260301"]  # BT-26
    assert xpath(xml, "//ram:LineTotalAmount/text()") == ["200.00", "25.00", "225.00"]
    assert xpath(xml, "//ram:GrandTotalAmount/text()") == ["230.00"]
    assert xpath(xml, "//ram:BuyerReference/text()") == ["MAIRIE-01"]


def test_credit_note_pdf_embeds_its_xml_and_names_the_invoice(credit_note):
    xml = documents.credit_note_facturx_xml(credit_note)
    pdf = documents.credit_note_pdf(credit_note)

    assert facturx.get_xml_from_pdf(pdf, check_xsd=True) == ("factur-x.xml", xml)
    text = pdf_text(pdf)
    for expected in (
        "Avoir n° AV-2026-00001",
        "Facture d'origine : n° FAC-2026-00001 du 01/03/2026",
        "Motif : Résiliation reçue le 02/04/2026 : 5 mois non utilisés",
        "Total TTC de l'avoir 230,00 €",
        "Montant à déduire de la facture n° FAC-2026-00001 : 230,00 €",
    ):
        assert expected in text, expected


def test_the_validator_rejects_an_invoice_mixing_outside_vat_and_20_percent(invoice):
    # This hand-made invoice mixes categories O and S, which the services never issue (B8):
    # the official Schematrons refuse it, so the checks of test_en16931_validation can fail.
    from tests.support import facturx_validation

    rules = {
        rule for _, rule, _ in facturx_validation.fatal(documents.invoice_facturx_xml(invoice))
    }
    assert {"BR-O-11", "BR-O-12"} <= rules
