"""The billing pages, driven through the views as each person reaches them: finance starts a
run (or previews it) and watches its progress, reads and filters the invoices, records
payments and issues credit notes, chases the overdue ones; an administrator follows without
acting; each collectivité finds its own invoices, and only its own (DESIGN B1–B6, P2, P4)."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from billing import services
from billing.models import BillingRun, CreditNote, Invoice, InvoiceLine, Payment
from billing.services import (
    CREDIT_TOO_LARGE,
    MANDATE_REQUIRED,
    PAYMENT_DATE_ERROR,
    PAYMENT_TOO_LARGE,
    REASON_REQUIRED,
    RUN_BEFORE_LAST_INVOICE,
    RUN_IN_FUTURE,
    SELLER_INCOMPLETE,
)
from billing.views import PDF_PENDING
from contracts import services as contracts
from contracts.models import Quote, QuoteLine
from portal.models import Role, Syndicate
from tests.conftest import host_of, page_text, sign_in
from tests.factories.catalogue import build_catalogue

NB = "\u00a0"
PARIS = ZoneInfo("Europe/Paris")
APRIL = date(2026, 4, 1)


def at(day: date, hour: int = 10):
    """Travel to `day` at `hour` o'clock in Paris, the clock stopped."""
    return time_machine.travel(
        datetime(day.year, day.month, day.day, hour, tzinfo=PARIS), tick=False
    )


@pytest.fixture(autouse=True)
def _today():
    with at(APRIL):
        yield


@pytest.fixture
def customers(tenant, other_tenant):
    """Commune de Test: 10 mailboxes (240 €/year); Commune Autre: 3 visio rooms, the first
    free (120 €/year); both activated on 17/03/2026."""
    catalogue = build_catalogue()
    for n, (collectivite, offer, quantity) in enumerate(
        [(tenant, catalogue.mail, 10), (other_tenant, catalogue.visio, 3)]
    ):
        quote = Quote.objects.create(
            reference=f"DEV-P-{n}", collectivite=collectivite, title="t", status="approved"
        )
        line = QuoteLine.objects.create(
            quote=quote, offer=offer, label=offer.name, quantity=quantity
        )
        contracts.line_activate(line=line, activated_on=date(2026, 3, 17), activated_by=None)
    return tenant, other_tenant


def issue(collectivite, day: date = APRIL) -> Invoice:
    with at(day):
        contracts.renewals_run(today=day)
        invoice = services.invoice_issue(collectivite=collectivite, as_of=day, issue_date=day)
    assert invoice is not None
    return invoice


def pay(invoice: Invoice, day: date, amount: str, reference: str = "M-1") -> None:
    with at(day):
        services.payment_record(
            invoice=invoice,
            paid_on=day,
            mandate_reference=reference,
            amount=Decimal(amount),
            recorded_by=None,
        )


def backoffice(user) -> Client:
    return sign_in(Client(HTTP_HOST=host_of(None)), user)


def tenant_site(collectivite, user) -> Client:
    return sign_in(Client(HTTP_HOST=host_of(collectivite)), user, collectivite)


@pytest.fixture
def finance_site(staff_finance):
    return backoffice(staff_finance)


@pytest.fixture
def admin_site(staff_admin):
    return backoffice(staff_admin)


def section(text: str, start_id: str, end_id: str | None = None) -> str:
    """The part of a page between two element ids."""
    start = text.index(f'id="{start_id}"')
    end = text.index(f'id="{end_id}"', start) if end_id else len(text)
    return text[start:end]


# --- Runs -------------------------------------------------------------------------------------


def test_finance_starts_a_run_and_sees_the_summary(
    customers, finance_site, django_capture_on_commit_callbacks
):
    tenant, other = customers
    page = page_text(finance_site.get("/facturation/"))
    assert "Lancer une campagne" in page
    assert 'value="2026-04-01"' in page  # today by default

    with django_capture_on_commit_callbacks(execute=True):
        response = finance_site.post("/facturation/lancer/", {"as_of": "2026-04-01"})
    run = BillingRun.objects.get()
    assert response["Location"] == f"/facturation/{run.pk}/"
    assert (run.status, run.dry_run, run.invoices_count, run.total_amount) == (
        "done",
        False,
        2,
        Decimal("360.00"),  # 240 + 120
    )
    mine, theirs = Invoice.objects.get(collectivite=tenant), Invoice.objects.get(collectivite=other)
    assert mine.pdf
    assert theirs.pdf

    page = page_text(finance_site.get(f"/facturation/{run.pk}/", follow=True))
    assert "Facturation au 01/04/2026 lancée." in page
    assert "Terminée" in page
    assert "2 collectivités traitées sur 2 (100 %)" in page
    assert f"2 factures émises, 360,00{NB}€ TTC." in page
    assert f'<a href="/factures/{mine.pk}/">{mine.number}</a>' in page
    assert f'<td>Commune Autre</td><td class="num">120,00{NB}€</td>' in page
    assert "Aucun échec." in page
    assert "hx-trigger" not in page  # done: nothing polls

    listing = page_text(finance_site.get("/facturation/"))
    assert f'<a href="/facturation/{run.pk}/">Facturation au 01/04/2026</a>' in listing
    assert f"360,00{NB}€" in listing


def test_the_progress_bar_polls_until_the_run_is_done(customers, finance_site):
    run = BillingRun.objects.create(
        as_of=APRIL, status=BillingRun.Status.RUNNING, collectivites_total=4, collectivites_done=1
    )
    running = page_text(finance_site.get(f"/facturation/{run.pk}/progression/"))
    # a native progress bar (no style attribute: the Content-Security-Policy forbids them)
    assert '<progress class="progress" max="100" value="25"' in running
    assert f'hx-get="/facturation/{run.pk}/progression/"' in running
    assert 'hx-trigger="every 2s"' in running
    assert "1 collectivité traitée sur 4 (25 %)" in running
    assert "Résumé" not in running
    # the page embeds the same polling element in a live region
    page = page_text(finance_site.get(f"/facturation/{run.pk}/"))
    assert '<div aria-live="polite">' in page
    assert 'hx-trigger="every 2s"' in page

    BillingRun.objects.filter(pk=run.pk).update(
        status=BillingRun.Status.DONE,
        collectivites_done=4,
        invoices_count=3,
        total_amount=Decimal("1234.50"),
        failures=[{"collectivite": "Commune Z", "reason": "SIRET manquant"}],
    )
    done = page_text(finance_site.get(f"/facturation/{run.pk}/progression/"))
    assert '<progress class="progress" max="100" value="100"' in done
    assert "hx-trigger" not in done
    assert "hx-get" not in done
    assert f"3 factures émises, 1{NB}234,50{NB}€ TTC." in done
    assert "1 échec" in done
    assert '<th scope="row">Commune Z</th><td>SIRET manquant</td>' in done


def test_a_dry_run_issues_nothing(customers, finance_site, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = finance_site.post(
            "/facturation/lancer/", {"as_of": "2026-04-01", "dry_run": "on"}
        )
    run = BillingRun.objects.get()
    assert run.dry_run
    assert run.status == "done"
    assert not Invoice.objects.exists()
    page = page_text(finance_site.get(response["Location"]))
    assert "Aperçu de la facturation au 01/04/2026 lancé : rien ne sera émis." in page
    assert "Aperçu : 2 factures seraient émises. Rien n'a été émis." in page
    assert (
        f'<tr><th scope="row">Commune de Test</th><td class="num">1</td>'
        f'<td class="num">240,00{NB}€</td></tr>' in page
    )
    assert f'<td class="num">120,00{NB}€</td>' in page


def test_a_run_without_the_syndicate_identity_fails_with_the_reason(
    customers, finance_site, django_capture_on_commit_callbacks
):
    Syndicate.objects.filter(pk=1).update(siret="")
    with django_capture_on_commit_callbacks(execute=True):
        response = finance_site.post("/facturation/lancer/", {"as_of": "2026-04-01"})
    run = BillingRun.objects.get()
    assert run.status == "failed"
    page = page_text(finance_site.get(response["Location"]))
    assert "En échec" in page
    assert f'<th scope="row">Toute la campagne</th><td>{SELLER_INCOMPLETE}</td>' in page
    assert "hx-trigger" not in page
    assert not Invoice.objects.exists()


def test_a_run_is_refused_in_the_future_or_before_the_last_invoice(
    customers, finance_site, django_capture_on_commit_callbacks
):
    tenant, _ = customers
    response = finance_site.post("/facturation/lancer/", {"as_of": "2026-04-02"})
    assert response.status_code == 200
    assert RUN_IN_FUTURE.format(today="01/04/2026") in page_text(response)
    issue(tenant)
    response = finance_site.post("/facturation/lancer/", {"as_of": "2026-03-31"})
    assert RUN_BEFORE_LAST_INVOICE.format(last="01/04/2026") in page_text(response)
    assert not BillingRun.objects.exists()
    # a preview may look ahead
    with django_capture_on_commit_callbacks(execute=True):
        response = finance_site.post(
            "/facturation/lancer/", {"as_of": "2026-05-01", "dry_run": "on"}
        )
    assert response.status_code == 302
    assert BillingRun.objects.get().dry_run


# --- Invoices ---------------------------------------------------------------------------------


def listed(page: str) -> set[str]:
    return set(re.findall(r'<a href="/factures/\d+/">(FAC-\d{4}-\d{5})</a>', page))


def test_invoice_list_filters_by_year_status_and_collectivite(customers, staff_finance):
    tenant, other = customers
    mine_2026 = issue(tenant)
    theirs = issue(other)
    mine_2027 = issue(tenant, date(2027, 3, 1))  # the first renewal
    pay(theirs, date(2026, 4, 20), "120")
    pay(mine_2026, date(2026, 4, 20), "40")
    everything = {mine_2026.number, theirs.number, mine_2027.number}

    with at(date(2027, 3, 10)):
        finance_site = backoffice(staff_finance)  # signed in that day
        page = page_text(finance_site.get("/factures/"))
        assert listed(page) == everything
        assert f"3 factures, 600,00{NB}€ TTC, dont 440,00{NB}€ restant dû." in page
        assert '<option value="2027">2027</option>' in page

        def filtered(**params) -> set[str]:
            return listed(page_text(finance_site.get("/factures/", params)))

        assert filtered(year="2027") == {mine_2027.number}
        assert filtered(year="2026") == {mine_2026.number, theirs.number}
        assert filtered(collectivite=str(tenant.pk)) == {mine_2026.number, mine_2027.number}
        assert filtered(status="payee") == {theirs.number}
        assert filtered(status="partielle") == {mine_2026.number}
        assert filtered(status="impayee") == {mine_2027.number}
        assert filtered(status="en-retard") == {mine_2026.number}  # due 01/05/2026
        assert filtered(status="en-retard", year="2027") == set()
        one = page_text(finance_site.get("/factures/", {"status": "en-retard"}))
        assert f"1 facture, 240,00{NB}€ TTC, dont 200,00{NB}€ restant dû." in one
        assert "Partiellement payée — <strong>en retard de 313 jours</strong>" in one


def test_invoice_detail_shows_snapshots_lines_and_documents(
    customers, finance_site, django_capture_on_commit_callbacks
):
    tenant, _ = customers
    invoice = issue(tenant)
    page = page_text(finance_site.get(f"/factures/{invoice.pk}/"))
    assert f"Facture {invoice.number} — Commune de Test" in page
    assert "Syndicat mixte Numérique Test" in page  # the seller as on the issue date
    assert f"SIRET {invoice.buyer['siret']}" in page
    assert "Messagerie BlueMind 2 Go" in page
    assert "du 01/03/2026 au 28/02/2027 (12 mois)" in page  # the last covered day
    assert f'<td class="num">24,00{NB}€</td>' in page
    assert "Non payée" in page
    assert f"/factures/{invoice.pk}/pdf/" in page
    assert f"/factures/{invoice.pk}/xml/" in page
    assert "Enregistrer un paiement" in page
    assert "Émettre un avoir" in page
    assert f"Facture {invoice.number} émise (240,00{NB}€ TTC)." in page  # the audit log

    # a missing PDF is rendered by a task, never in the request; then served as stored
    with django_capture_on_commit_callbacks(execute=True):
        pending = finance_site.get(f"/factures/{invoice.pk}/pdf/", follow=True)
    assert PDF_PENDING.format(number=invoice.number) in page_text(pending)
    response = finance_site.get(f"/factures/{invoice.pk}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    invoice.refresh_from_db()
    assert invoice.pdf
    assert invoice.pdf_sha256
    again = finance_site.get(f"/factures/{invoice.pk}/pdf/")
    assert b"".join(again.streaming_content).startswith(b"%PDF")

    xml = finance_site.get(f"/factures/{invoice.pk}/xml/")
    assert xml["Content-Type"] == "application/xml"
    assert f'filename="{invoice.number}-factur-x.xml"' in xml["Content-Disposition"]
    assert b"CrossIndustryInvoice" in xml.content
    assert finance_site.get("/factures/999999/").status_code == 404


def test_payments_partial_then_the_rest(customers, staff_finance):
    tenant, _ = customers
    invoice = issue(tenant)
    with at(date(2026, 4, 28)):
        _payments_partial_then_the_rest(invoice, backoffice(staff_finance))


def _payments_partial_then_the_rest(invoice, finance_site):
    tomorrow = finance_site.post(
        f"/factures/{invoice.pk}/paiements/",
        {"paid_on": "2026-04-29", "mandate_reference": "M-118", "amount": "100,00"},
    )
    assert PAYMENT_DATE_ERROR in page_text(tomorrow)
    # The refused payment is seen: the form's anchor, its error summary (focused by
    # portal.js), the typed values kept.
    refused = page_text(tomorrow)
    assert f'action="/factures/{invoice.pk}/paiements/#paiement-form-titre"' in refused
    assert "data-error-summary" in refused
    assert 'value="M-118"' in refused
    response = finance_site.post(
        f"/factures/{invoice.pk}/paiements/",
        {"paid_on": "2026-04-20", "mandate_reference": "M-118", "amount": "100,00"},
        follow=True,
    )
    assert response.redirect_chain == [(f"/factures/{invoice.pk}/", 302)]
    page = page_text(response)
    assert (
        f"Paiement de 100,00{NB}€ enregistré sur la facture {invoice.number} (mandat M-118) : "
        f"reste dû 140,00{NB}€." in page
    )
    assert "Partiellement payée" in page
    assert f'<dd id="reste-du"><strong>140,00{NB}€</strong></dd>' in page
    assert f'<td>20/04/2026</td><th scope="row">M-118</th><td class="num">100,00{NB}€</td>' in page
    assert f"Paiement de 100,00{NB}€ reçu le 20/04/2026 (mandat M-118)" in page  # audit log
    assert 'value="140,00"' in page  # the rest, proposed

    response = finance_site.post(
        f"/factures/{invoice.pk}/paiements/",
        {"paid_on": "2026-04-28", "mandate_reference": "M-131", "amount": "140"},
        follow=True,
    )
    page = page_text(response)
    assert "la facture est payée." in page
    assert '<dd id="etat">Payée</dd>' in page
    assert "Enregistrer un paiement" not in page  # nothing left to pay
    assert list(invoice.payments.values_list("amount", flat=True)) == [
        Decimal("100.00"),
        Decimal("140.00"),
    ]


def test_over_payment_and_bad_input_are_refused_and_change_nothing(customers, finance_site):
    tenant, _ = customers
    invoice = issue(tenant)
    url = f"/factures/{invoice.pk}/paiements/"
    response = finance_site.post(
        url, {"paid_on": "2026-04-01", "mandate_reference": "M-1", "amount": "240,01"}
    )
    assert response.status_code == 200
    assert PAYMENT_TOO_LARGE.format(left=f"240,00{NB}€") in page_text(response)
    missing = page_text(
        finance_site.post(url, {"paid_on": "2026-04-01", "mandate_reference": " ", "amount": "10"})
    )
    assert MANDATE_REQUIRED in missing
    garbled = page_text(
        finance_site.post(url, {"paid_on": "2026-04-01", "mandate_reference": "M", "amount": "dix"})
    )
    assert "Indiquez un montant en euros, par exemple 120,50." in garbled
    assert not Payment.objects.exists()


def test_credit_notes_and_the_over_credit_refusal(
    customers, finance_site, agent, django_capture_on_commit_callbacks
):
    tenant, _ = customers
    invoice = issue(tenant)
    line = InvoiceLine.objects.get(invoice=invoice)
    url = f"/factures/{invoice.pk}/avoirs/"

    no_reason = page_text(finance_site.post(url, {f"line_{line.pk}": "40"}))
    assert REASON_REQUIRED in no_reason
    response = finance_site.post(
        url, {f"line_{line.pk}": "40,00", "reason": "Geste commercial"}, follow=True
    )
    note = CreditNote.objects.get()
    assert (note.total_ttc, note.reason, note.issued_by.email) == (
        Decimal("40.00"),
        "Geste commercial",
        "finances@syndicat.test",
    )
    page = page_text(response)
    assert f"Avoir {note.number} émis sur la facture {invoice.number} : 40,00{NB}€ TTC." in page
    assert f'<dd id="reste-du"><strong>200,00{NB}€</strong></dd>' in page
    assert f"Reste à créditer : 200,00{NB}€." in page
    assert f"Avoir {note.number} sur {invoice.number}" in page  # audit log

    too_much = finance_site.post(url, {f"line_{line.pk}": "200,01", "reason": "Encore"})
    assert too_much.status_code == 200
    assert CREDIT_TOO_LARGE.format(label=line.label, left=f"200,00{NB}€") in page_text(too_much)
    assert CreditNote.objects.count() == 1

    # the whole of what is left: the invoice is settled by credit notes
    page = page_text(finance_site.post(url, {"whole": "on", "reason": "Résiliation"}, follow=True))
    assert CreditNote.objects.count() == 2
    assert '<dd id="etat">Soldée par avoir</dd>' in page
    assert "Émettre un avoir" not in page  # nothing left to credit

    listing = page_text(finance_site.get("/avoirs/"))
    assert note.number in listing
    assert "Geste commercial" in listing
    with django_capture_on_commit_callbacks(execute=True):
        pending = finance_site.get(f"/avoirs/{note.pk}/pdf/", follow=True)  # its task renders it
    assert PDF_PENDING.format(number=note.number) in page_text(pending)
    response = finance_site.get(f"/avoirs/{note.pk}/pdf/")
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    # the collectivité finds it on its site
    site = tenant_site(tenant, agent)
    assert note.number in page_text(site.get("/factures/"))
    assert b"".join(site.get(f"/avoirs/{note.pk}/pdf/").streaming_content).startswith(b"%PDF")


def test_crediting_everything_after_a_payment_shows_what_is_to_be_refunded(
    customers, finance_site, agent
):
    """A partly paid invoice credited in full: nothing is due any more and the payment
    received is an overpayment the syndicate refunds — never a negative "reste dû"."""
    tenant, _ = customers
    invoice = issue(tenant)  # 240,00 € TTC
    pay(invoice, date(2026, 4, 20), "10")
    url = f"/factures/{invoice.pk}/avoirs/"
    before = page_text(finance_site.get(f"/factures/{invoice.pk}/"))
    assert f"10,00{NB}€ ont déjà été payés : un avoir TTC de plus de 230,00{NB}€" in before

    page = page_text(finance_site.post(url, {"whole": "on", "reason": "Résiliation"}, follow=True))
    assert f'<dd id="reste-du"><strong>0,00{NB}€</strong></dd>' in page
    assert f'<dd id="trop-percu"><strong>10,00{NB}€</strong>' in page
    assert f"-10,00{NB}€" not in page
    for listing in (finance_site.get("/factures/"), tenant_site(tenant, agent).get("/factures/")):
        text = page_text(listing)
        assert f"trop-perçu : 10,00{NB}€ à rembourser" in text
        assert f"-10,00{NB}€" not in text


def test_unpaid_and_overdue_invoices(customers, staff_finance):
    tenant, other = customers
    late = issue(tenant)  # due 01/05/2026
    pending = issue(other, date(2026, 5, 1))  # due 31/05/2026
    pay(late, date(2026, 4, 20), "40")
    with at(date(2026, 5, 11)):
        page = page_text(backoffice(staff_finance).get("/factures/impayees/"))
    overdue = section(page, "retard-titre", "attente-titre")
    not_yet = section(page, "attente-titre")
    assert f"En retard : 1 facture, 200,00{NB}€ restant dû" in overdue
    assert late.number in overdue
    assert pending.number not in overdue
    assert '<td>01/05/2026</td>\n        <td class="num">10</td>' in overdue  # days overdue
    assert "Partiellement payée" in overdue
    assert f"Pas encore échue : 1 facture, 120,00{NB}€ restant dû" in not_yet
    assert pending.number in not_yet
    assert late.number not in not_yet

    pay(late, date(2026, 5, 12), "200", reference="M-2")
    with at(date(2026, 5, 12)):
        page = page_text(backoffice(staff_finance).get("/factures/impayees/"))
    assert "Aucune facture en retard." in page
    assert late.number not in page


# --- A collectivité's site ---------------------------------------------------------------------


def test_a_collectivite_sees_only_its_own_invoices(
    customers, make_member, django_capture_on_commit_callbacks
):
    tenant, other = customers
    mine, theirs = issue(tenant), issue(other)
    mine_site = tenant_site(tenant, make_member(tenant, Role.AGENT))
    their_site = tenant_site(other, make_member(other, Role.AGENT))

    home = page_text(mine_site.get("/"))
    assert '<a href="/factures/">Factures</a>' in home
    page = page_text(mine_site.get("/factures/"))
    assert mine.number in page
    assert theirs.number not in page
    assert "<td>01/05/2026</td>" in page  # due date
    assert f'<td class="num">240,00{NB}€</td>' in page  # balance
    assert "Non payée" in page
    assert f'href="/factures/{mine.pk}/pdf/"' in page

    with django_capture_on_commit_callbacks(execute=True):
        assert mine_site.get(f"/factures/{mine.pk}/pdf/").status_code == 302  # rendering
    response = mine_site.get(f"/factures/{mine.pk}/pdf/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    # P4: B never gets A's invoice, whatever the address
    assert their_site.get(f"/factures/{mine.pk}/pdf/").status_code == 404
    assert mine_site.get(f"/factures/{theirs.pk}/pdf/").status_code == 404
    note = services.credit_note_issue(
        invoice=mine,
        amounts={mine.lines.get().pk: Decimal("10")},
        reason="Geste",
        issued_by=None,
        issue_date=APRIL,
    )
    assert their_site.get(f"/avoirs/{note.pk}/pdf/").status_code == 404
    assert note.number not in page_text(their_site.get("/factures/"))
    # the back-office pages are not on a collectivité's site
    assert mine_site.get(f"/factures/{mine.pk}/").status_code == 404


# --- Who may do what --------------------------------------------------------------------------


def test_an_administrator_reads_but_does_not_act(
    customers, admin_site, django_capture_on_commit_callbacks
):
    tenant, _ = customers
    invoice = issue(tenant)
    line = invoice.lines.get()
    assert invoice.number in page_text(admin_site.get("/factures/"))
    page = page_text(admin_site.get(f"/factures/{invoice.pk}/"))
    assert f"Facture {invoice.number}" in page
    assert "Enregistrer un paiement" not in page
    assert "Émettre un avoir" not in page
    assert f"/factures/{invoice.pk}/pdf/" not in page
    runs = page_text(admin_site.get("/facturation/"))
    assert "Campagnes de facturation" in runs
    assert "Lancer une campagne" not in runs
    assert admin_site.get("/factures/impayees/").status_code == 200
    assert admin_site.get("/avoirs/").status_code == 200

    response = admin_site.post(
        f"/factures/{invoice.pk}/paiements/",
        {"paid_on": "2026-04-20", "mandate_reference": "M-1", "amount": "10"},
    )
    assert response.status_code == 404
    response = admin_site.post(
        f"/factures/{invoice.pk}/avoirs/", {f"line_{line.pk}": "10", "reason": "Geste"}
    )
    assert response.status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        assert admin_site.post("/facturation/lancer/", {"as_of": "2026-04-01"}).status_code == 404
    assert admin_site.get(f"/factures/{invoice.pk}/pdf/").status_code == 404  # P4
    assert admin_site.get(f"/factures/{invoice.pk}/xml/").status_code == 404
    assert not Payment.objects.exists()
    assert not CreditNote.objects.exists()
    assert not BillingRun.objects.exists()


def test_a_collectivite_member_gets_404_on_every_back_office_billing_page(customers, agent):
    tenant, _ = customers
    invoice = issue(tenant)
    note = services.credit_note_issue(
        invoice=invoice,
        amounts={invoice.lines.get().pk: Decimal("10")},
        reason="Geste",
        issued_by=None,
        issue_date=APRIL,
    )
    run = BillingRun.objects.create(as_of=APRIL)
    site = backoffice(agent)
    for url in [
        "/facturation/",
        f"/facturation/{run.pk}/",
        f"/facturation/{run.pk}/progression/",
        "/factures/",
        "/factures/impayees/",
        f"/factures/{invoice.pk}/",
        f"/factures/{invoice.pk}/pdf/",
        f"/factures/{invoice.pk}/xml/",
        "/avoirs/",
        f"/avoirs/{note.pk}/pdf/",
    ]:
        assert site.get(url).status_code == 404, url
    for url in [
        "/facturation/lancer/",
        f"/factures/{invoice.pk}/paiements/",
        f"/factures/{invoice.pk}/avoirs/",
    ]:
        assert site.post(url, {}).status_code == 404, url
    anonymous = Client(HTTP_HOST=host_of(None)).get("/factures/")
    assert anonymous.status_code == 302
    assert "/comptes/" in anonymous["Location"]
