"""The ordering pages, driven through the views as each person reaches them: the agent's
request and needs, the syndicate's quote, the signatory's acceptance, approval and activation
in the back-office, the contracts' dates and their termination (DESIGN Q1–Q4, S1–S4)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from contracts.forms import READ_REQUIRED
from contracts.models import (
    FrameworkAgreement,
    Quote,
    QuoteAcceptance,
    ServiceRequest,
    Subscription,
    Termination,
)
from contracts.services import (
    DOMAIN_NAME_REQUIRED,
    FRAMEWORK_REQUIRED,
    PO_REQUIRED,
    QUOTE_BEING_REVISED,
    QUOTE_EXPIRED,
    RECEIVED_IN_FUTURE,
    REFUSAL_REASON_REQUIRED,
    REQUEST_EMPTY,
    SUPPLIER_ORDER_REQUIRED,
)
from portal.models import AuditEvent, Role, Syndicate
from tests.conftest import host_of, page_text, sign_in
from tests.factories.catalogue import build_catalogue

NB = "\u00a0"
PARIS = ZoneInfo("Europe/Paris")


def at(day: date, hour: int = 10):
    """Travel to `day` at `hour` o'clock in Paris, the clock stopped."""
    return time_machine.travel(
        datetime(day.year, day.month, day.day, hour, tzinfo=PARIS), tick=False
    )


@pytest.fixture(autouse=True)
def _today():
    with at(date(2026, 3, 17)):
        yield


@pytest.fixture
def catalogue(db):
    Syndicate.objects.update_or_create(
        pk=1, defaults={"name": "Syndicat mixte Manche Numérique", "short_name": "Manche Numérique"}
    )
    return build_catalogue()


@pytest.fixture
def people(tenant, make_member):
    class People:
        agent = make_member(tenant, Role.AGENT)
        signatory = make_member(tenant, Role.SIGNATORY)
        functional_admin = make_member(tenant, Role.FUNCTIONAL_ADMIN)

    return People


def tenant_site(tenant, user) -> Client:
    return sign_in(Client(HTTP_HOST=host_of(tenant)), user, tenant)


@pytest.fixture
def agent_site(tenant, people):
    return tenant_site(tenant, people.agent)


@pytest.fixture
def signatory_site(tenant, people):
    return tenant_site(tenant, people.signatory)


@pytest.fixture
def admin_site(staff_admin):
    return sign_in(Client(HTTP_HOST=host_of(None)), staff_admin)


@pytest.fixture
def finance_site(staff_finance):
    return sign_in(Client(HTTP_HOST=host_of(None)), staff_finance)


def submit_request(site: Client) -> ServiceRequest:
    site.post("/demandes/brouillon/ajouter/mail/", {"quantity": "5"})
    site.post("/demandes/brouillon/ajouter/visio/", {"quantity": "2"})
    site.post(
        "/demandes/brouillon/besoins/",
        {"domain_choice": "syndicate", "users_count": "5", "notes": "Pour les élus."},
    )
    site.post("/demandes/brouillon/transmettre/")
    return ServiceRequest.objects.get(status=ServiceRequest.Status.SUBMITTED)


def sent_quote(agent_site: Client, admin_site: Client) -> Quote:
    submitted = submit_request(agent_site)
    admin_site.post(f"/demandes/{submitted.pk}/devis/")
    quote = Quote.objects.get(request=submitted)
    admin_site.post(f"/devis/{quote.pk}/envoyer/")
    quote.refresh_from_db()
    assert quote.status == Quote.Status.SENT
    return quote


def accept(site: Client, quote: Quote, **extra):
    data = {"po_number": "BC-2026-117", "read_documents": "on", **extra}
    return site.post(f"/devis/{quote.pk}/accepter/", data, follow=True)


# --- The whole journey ------------------------------------------------------------------------


def test_request_quote_acceptance_approval_activation_contract_and_termination(
    catalogue, tenant, people, agent_site, signatory_site, admin_site
):
    # (the events kept by earlier, committed tests are not this journey's)
    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    # The agent describes the needs and sends the request.
    agent_site.post("/demandes/brouillon/ajouter/mail/", {"quantity": "5"})
    agent_site.post("/demandes/brouillon/ajouter/visio/", {"quantity": "2"})
    response = agent_site.post(
        "/demandes/brouillon/besoins/",
        {
            "domain_choice": "transfer",
            "domain_name": "Mairie-Test.fr",
            "users_count": "5",
            "migration_study": "on",
            "notes": "Reprise de l'historique souhaitée.",
        },
    )
    assert response["Location"] == "/demandes/brouillon/"
    draft = ServiceRequest.objects.get(collectivite=tenant, status="draft")
    assert (draft.domain_choice, draft.domain_name, draft.users_count, draft.migration_study) == (
        "transfer",
        "mairie-test.fr",
        5,
        True,
    )
    draft_page = page_text(agent_site.get("/demandes/brouillon/"))
    assert 'value="mairie-test.fr"' in draft_page
    assert "Transmettre au syndicat" in draft_page
    response = agent_site.post("/demandes/brouillon/transmettre/", follow=True)
    assert response.redirect_chain == [("/demandes/", 302)]
    assert (
        f"Votre demande n° {draft.pk} est transmise au syndicat, qui va établir un devis."
        in page_text(response)
    )
    draft.refresh_from_db()
    assert (draft.status, draft.submitted_by) == ("submitted", people.agent)

    # The syndicate sees it in its work queue and makes the quote.
    queue = page_text(admin_site.get("/commandes/"))
    assert f"Demande n° {draft.pk}" in queue
    assert "5 × Messagerie BlueMind 2 Go, 2 × Salle de visioconférence" in queue
    request_page = page_text(admin_site.get(f"/demandes/{draft.pk}/"))
    assert "transférer un nom de domaine existant (étude de faisabilité) : " in request_page
    assert "mairie-test.fr" in request_page
    assert "Reprise de l'historique souhaitée." in request_page
    response = admin_site.post(f"/demandes/{draft.pk}/devis/")
    quote = Quote.objects.get(request=draft)
    assert response["Location"] == f"/devis/{quote.pk}/"
    assert quote.reference == f"DEV-2026-{quote.pk:05d}"
    admin_site.post(f"/devis/{quote.pk}/envoyer/")
    quote.refresh_from_db()
    assert (quote.status, quote.issue_date, quote.valid_until, quote.total_amount) == (
        "sent",
        date(2026, 3, 17),
        date(2026, 4, 17),
        Decimal("180.00"),  # 5 × 24 € + (2 − 1 free) × 60 €
    )

    # The collectivité's page lists it; the signatory reads and accepts it.
    listing = page_text(agent_site.get("/demandes/"))
    assert quote.label in listing
    assert "<td>17/03/2026</td>" in listing
    assert "<td>17/04/2026</td>" in listing
    assert f"180,00{NB}€" in listing
    page = page_text(signatory_site.get(f"/devis/{quote.pk}/"))
    assert "Valable jusqu'au</dt><dd>17/04/2026 inclus" in page
    assert f'<td class="num">24,00{NB}€</td>' in page
    assert "1 offert" in page
    assert f"Devis n° {quote.reference}, version 1" in page
    assert "Conditions messagerie (version 1)" in page
    assert "Numéro de bon de commande ou d'engagement" in page
    assert "J'accepte la convention cadre" not in page  # none attached
    response = accept(signatory_site, quote, po_number=" BC-2026-117 ")
    assert f"Le devis {quote.label} est accepté." in page_text(response)
    acceptance = QuoteAcceptance.objects.get(quote=quote)
    assert (acceptance.signed_by, acceptance.po_number, acceptance.ip_address) == (
        people.signatory,
        "BC-2026-117",
        "127.0.0.1",
    )
    assert sorted(acceptance.documents) == [
        "Conditions messagerie (version 1)",
        f"Devis n° {quote.reference}, version 1",
    ]

    # The syndicate approves and activates each line on its date.
    queue = page_text(admin_site.get("/commandes/?status=accepted"))
    assert quote.label in queue
    assert 'id="file-demandes"' not in queue
    editor = page_text(admin_site.get(f"/devis/{quote.pk}/"))
    assert "BC-2026-117" in editor
    assert "127.0.0.1" in editor
    assert acceptance.documents[f"Devis n° {quote.reference}, version 1"] in editor
    admin_site.post(f"/devis/{quote.pk}/approuver/")
    quote.refresh_from_db()
    assert quote.status == "approved"
    assert "Lignes à activer (2)" in page_text(admin_site.get("/commandes/"))
    for line in quote.lines.all():
        response = admin_site.post(
            f"/devis/{quote.pk}/lignes/{line.pk}/activer/",
            {f"ligne{line.pk}-activated_on": "2026-03-17"},
        )
        assert response.status_code == 302
    mail = Subscription.objects.get(collectivite=tenant, offer=catalogue.mail)
    assert (mail.quantity, mail.activated_on) == (Decimal("5.00"), date(2026, 3, 17))
    assert "Activée le 17/03/2026" in page_text(admin_site.get(f"/devis/{quote.pk}/"))

    # Every member reads the contract's dates.
    contracts = page_text(agent_site.get("/contrats/"))
    row = contracts.split('<tr id="abonnement-' + str(mail.pk) + '">')[1].split("</tr>")[0]
    assert "<td>17/03/2026</td>" in row  # activated on
    assert "<td>01/03/2026</td>" in row  # term start
    assert "<td>28/02/2027</td>" in row  # minimum commitment, last day included
    assert "<td>01/03/2027</td>" in row  # next tacit renewal
    assert "31/12/2026<br>" in row  # last day to give notice
    assert "pour un abonnement dû jusqu'au 28/02/2027 inclus" in row
    assert "Engagement minimal jusqu'au (inclus)" in contracts
    assert "Seul un signataire de la collectivité peut demander une résiliation" in contracts

    # The signatory terminates on 2 April: due until the first anniversary.
    with at(date(2026, 4, 2)):
        sign_in(signatory_site, people.signatory, tenant)  # sessions last a working day
        preview = page_text(signatory_site.get(f"/contrats/{mail.pk}/resilier/"))
        assert "restera dû jusqu'au 28/02/2027 inclus" in preview
        response = signatory_site.post(
            f"/contrats/{mail.pk}/resilier/", {"scope": "whole"}, follow=True
        )
    termination = Termination.objects.get(subscription=mail)
    assert response.redirect_chain == [(f"/contrats/resiliations/{termination.pk}/", 302)]
    answer = page_text(response)
    assert (
        "Résiliation reçue par le syndicat le 02/04/2026 : l'abonnement reste dû jusqu'au "
        "28/02/2027 inclus." in answer
    )
    assert f'href="/contrats/resiliations/{termination.pk}/accuse/"' in answer
    mail.refresh_from_db()
    assert (mail.status, mail.ends_on) == ("terminating", date(2027, 3, 1))
    receipt = agent_site.get(f"/contrats/resiliations/{termination.pk}/accuse/")
    assert receipt["Content-Type"] == "application/pdf"
    assert receipt.content.startswith(b"%PDF")

    # A year on, the daily job renews what runs on and ends what was terminated (S2).
    from contracts.tasks import renew_subscriptions

    with at(date(2027, 3, 1)):
        assert renew_subscriptions() == 1
        assert renew_subscriptions() == 0  # idempotent
        sign_in(agent_site, people.agent, tenant)
        contracts_2027 = page_text(agent_site.get("/contrats/"))
    visio = Subscription.objects.get(collectivite=tenant, offer=catalogue.visio)
    assert list(visio.years.values_list("start", "end")) == [
        (date(2026, 3, 1), date(2027, 3, 1)),
        (date(2027, 3, 1), date(2028, 3, 1)),
    ]
    mail.refresh_from_db()
    assert (mail.status, mail.years.count()) == ("ended", 1)
    assert "« Salle de visioconférence » reconduit pour l'année du 01/03/2027" in contracts_2027
    visio_row = contracts_2027.split(f'<tr id="abonnement-{visio.pk}">')[1].split("</tr>")[0]
    assert "<td>01/03/2028</td>" in visio_row  # next tacit renewal
    assert "31/12/2027<br>" in visio_row  # last day to give notice for it

    # Every step is on record, and shown on the quote's page.
    actions = list(
        AuditEvent.objects.filter(collectivite=tenant, id__gt=before)
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "request.submitted",
        "quote.created",
        "quote.sent",
        "quote.accepted",
        "quote.approved",
        "subscription.activated",
        "subscription.activated",
        "subscription.terminated",
        "subscription.renewed",
    ]
    journal = page_text(agent_site.get(f"/devis/{quote.pk}/"))
    assert (
        f"{quote.label} — Devis accepté par {people.signatory} (bon de commande BC-2026-117)."
        in journal
    )


# --- Requests ---------------------------------------------------------------------------------


def test_needs_errors_are_shown_on_their_field_and_change_nothing(catalogue, tenant, agent_site):
    response = agent_site.post(
        "/demandes/brouillon/besoins/", {"domain_choice": "reserve", "domain_name": ""}
    )
    assert response.status_code == 200
    assert f'<p class="error" id="id_domain_name_error">{DOMAIN_NAME_REQUIRED}</p>' in page_text(
        response
    )
    assert not ServiceRequest.objects.filter(collectivite=tenant, domain_choice="reserve").exists()
    response = agent_site.post("/demandes/brouillon/transmettre/", follow=True)
    assert REQUEST_EMPTY in page_text(response)
    assert not ServiceRequest.objects.filter(collectivite=tenant, status="submitted").exists()


def test_tenant_home_links_requests_and_contracts(catalogue, agent_site):
    home = page_text(agent_site.get("/"))
    assert '<h3><a href="/demandes/">Demandes et devis</a></h3>' in home
    assert '<h3><a href="/contrats/">Contrats</a></h3>' in home


# --- Quotes -----------------------------------------------------------------------------------


def test_a_draft_quote_stays_the_syndicates(catalogue, tenant, agent_site, admin_site):
    submitted = submit_request(agent_site)
    admin_site.post(f"/demandes/{submitted.pk}/devis/")
    quote = Quote.objects.get(request=submitted)
    assert agent_site.get(f"/devis/{quote.pk}/").status_code == 404
    assert quote.label not in page_text(agent_site.get("/demandes/"))


def test_quote_editor_lines_and_finance_reads_only(catalogue, tenant, admin_site, finance_site):
    response = admin_site.post(
        "/devis/nouveau/", {"collectivite": tenant.pk, "title": "Forfait 2026"}
    )
    quote = Quote.objects.get(title="Forfait 2026")
    assert response["Location"] == f"/devis/{quote.pk}/"
    admin_site.post(f"/devis/{quote.pk}/lignes/", {"offer": catalogue.forfait.pk, "quantity": "1"})
    admin_site.post(f"/devis/{quote.pk}/lignes/", {"offer": catalogue.mail.pk, "quantity": "3"})
    admin_site.post(
        f"/devis/{quote.pk}/lignes/",
        {"offer": catalogue.mail.pk, "quantity": "4", "from_line": "1"},
    )
    assert {(li.offer.code, li.quantity) for li in quote.lines.all()} == {
        ("forfait-techno", Decimal("1")),
        ("mail", Decimal("4")),
    }
    bad = admin_site.post(
        f"/devis/{quote.pk}/lignes/", {"offer": catalogue.mail.pk, "quantity": "0"}
    )
    assert "Indiquez une quantité positive" in page_text(bad)
    forfait_line = quote.lines.get(offer=catalogue.forfait)
    admin_site.post(f"/devis/{quote.pk}/lignes/{forfait_line.pk}/retirer/")
    assert quote.lines.count() == 1
    # Finance reads the back-office pages but changes nothing.
    assert finance_site.get("/commandes/").status_code == 200
    assert "Forfait 2026" in page_text(finance_site.get(f"/devis/{quote.pk}/"))
    assert "Ajouter la ligne" not in page_text(finance_site.get(f"/devis/{quote.pk}/"))
    assert finance_site.post(f"/devis/{quote.pk}/envoyer/").status_code == 404
    assert finance_site.get("/devis/nouveau/").status_code == 404
    title_missing = admin_site.post("/devis/nouveau/", {"collectivite": tenant.pk, "title": " "})
    assert "Donnez un objet au devis." in page_text(title_missing)


def test_non_signatory_sees_the_quote_but_no_form(
    catalogue, tenant, people, agent_site, admin_site
):
    quote = sent_quote(agent_site, admin_site)
    for person in (people.agent, people.functional_admin):
        page = page_text(tenant_site(tenant, person).get(f"/devis/{quote.pk}/"))
        assert quote.label in page
        assert "Numéro de bon de commande" not in page
        assert (
            f"Seul un signataire de la collectivité peut accepter ce devis : {people.signatory}."
            in page
        )
    assert accept(agent_site, quote).status_code == 404
    assert not QuoteAcceptance.objects.exists()


def test_acceptance_needs_the_po_number_the_reading_and_the_framework(
    catalogue, people, agent_site, signatory_site, admin_site
):
    FrameworkAgreement.objects.create(
        version=1, title="Convention cadre", text="Article 1.", effective_from=date(2026, 1, 1)
    )
    quote = sent_quote(agent_site, admin_site)
    page = page_text(signatory_site.get(f"/devis/{quote.pk}/"))
    assert "J'accepte la convention cadre" in page
    assert "Convention cadre (version 1)" in page
    response = signatory_site.post(f"/devis/{quote.pk}/accepter/", {"po_number": ""})
    text = page_text(response)
    assert PO_REQUIRED in text
    assert READ_REQUIRED in text
    response = accept(signatory_site, quote)
    assert FRAMEWORK_REQUIRED in page_text(response)
    assert not QuoteAcceptance.objects.exists()
    accept(signatory_site, quote, accept_framework="on")
    acceptance = QuoteAcceptance.objects.get(quote=quote)
    assert acceptance.framework_signature.agreement.version == 1
    assert "Convention cadre (version 1)" in acceptance.documents


def test_expired_quote_is_refused_and_can_be_requested_again(
    catalogue, tenant, people, agent_site, signatory_site, admin_site
):
    quote = sent_quote(agent_site, admin_site)
    expired = QUOTE_EXPIRED.format(date="17/04/2026")
    with at(date(2026, 4, 17)):  # the last day it can be signed
        sign_in(signatory_site, people.signatory, tenant)
        assert "Accepter le devis" in page_text(signatory_site.get(f"/devis/{quote.pk}/"))
    with at(date(2026, 4, 18)):
        sign_in(signatory_site, people.signatory, tenant)
        sign_in(agent_site, people.agent, tenant)
        page = page_text(signatory_site.get(f"/devis/{quote.pk}/"))
        assert expired in page
        assert "Numéro de bon de commande" not in page
        response = accept(signatory_site, quote)
        assert expired in page_text(response)
        assert "Demander un nouveau devis" in page_text(response)
        assert not QuoteAcceptance.objects.exists()
        assert "<td>expiré (non signé à temps)</td>" in page_text(agent_site.get("/demandes/"))
        response = agent_site.post(f"/devis/{quote.pk}/redemander/", follow=True)
    assert response.redirect_chain == [("/demandes/brouillon/", 302)]
    assert f"Les services du devis {quote.label} sont dans votre demande" in page_text(response)
    draft = ServiceRequest.objects.get(collectivite=tenant, status="draft")
    assert {(li.offer.code, li.quantity) for li in draft.lines.all()} == {
        ("mail", Decimal("5")),
        ("visio", Decimal("2")),
    }


# --- Approval ---------------------------------------------------------------------------------


def test_approval_needs_the_supplier_order_when_an_offer_does(
    catalogue, agent_site, signatory_site, admin_site, finance_site
):
    catalogue.mail.needs_supplier_order = True
    catalogue.mail.save()
    quote = sent_quote(agent_site, admin_site)
    accept(signatory_site, quote)
    editor = page_text(admin_site.get(f"/devis/{quote.pk}/"))
    assert "la commande (fournisseur, référence, date) est obligatoire" in editor
    assert finance_site.post(f"/devis/{quote.pk}/approuver/").status_code == 404
    response = admin_site.post(f"/devis/{quote.pk}/approuver/", {"supplier": "BlueMind SAS"})
    assert SUPPLIER_ORDER_REQUIRED in page_text(response)
    quote.refresh_from_db()
    assert quote.status == "accepted"
    admin_site.post(
        f"/devis/{quote.pk}/approuver/",
        {"supplier": "BlueMind SAS", "reference": "CMD-881", "ordered_on": "2026-03-17"},
    )
    quote.refresh_from_db()
    assert quote.status == "approved"
    order = quote.supplier_orders.get()
    assert (order.supplier, order.reference, order.ordered_on) == (
        "BlueMind SAS",
        "CMD-881",
        date(2026, 3, 17),
    )
    assert "BlueMind SAS, commande CMD-881 du 17/03/2026" in page_text(
        admin_site.get(f"/devis/{quote.pk}/")
    )


def test_refusal_needs_a_reason(catalogue, agent_site, signatory_site, admin_site):
    quote = sent_quote(agent_site, admin_site)
    accept(signatory_site, quote)
    response = admin_site.post(f"/devis/{quote.pk}/refuser/", {"reason": ""})
    assert REFUSAL_REASON_REQUIRED in page_text(response)
    admin_site.post(f"/devis/{quote.pk}/refuser/", {"reason": "Collectivité hors périmètre."})
    quote.refresh_from_db()
    assert (quote.status, quote.refusal_reason) == ("refused", "Collectivité hors périmètre.")
    assert "Collectivité hors périmètre." in page_text(signatory_site.get(f"/devis/{quote.pk}/"))


def test_a_sent_quote_gets_a_new_version(catalogue, agent_site, signatory_site, admin_site):
    quote = sent_quote(agent_site, admin_site)
    response = admin_site.post(f"/devis/{quote.pk}/nouvelle-version/")
    revision = Quote.objects.get(previous=quote)
    assert response["Location"] == f"/devis/{revision.pk}/"
    # While the syndicate prepares it, the sent version can't be signed.
    page = page_text(signatory_site.get(f"/devis/{quote.pk}/"))
    assert QUOTE_BEING_REVISED in page
    assert "Numéro de bon de commande" not in page
    admin_site.post(f"/devis/{revision.pk}/envoyer/")
    quote.refresh_from_db()
    assert quote.status == "superseded"
    assert f"{quote.reference} (version 2)" in page_text(agent_site.get("/demandes/"))
    assert "Numéro de bon de commande" in page_text(signatory_site.get(f"/devis/{revision.pk}/"))


def test_contracts_page_queries_do_not_grow_with_subscriptions(
    catalogue, tenant, agent_site, signatory_site
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert signatory_site.get("/contrats/").status_code == 200
        return len(queries)

    Subscription.objects.create(
        collectivite=tenant, offer=catalogue.mail, quantity=3, activated_on=date(2026, 3, 1)
    )
    count()  # warms the per-site caches (host → collectivité, the status banner)
    one = count()
    for offer in (catalogue.visio, catalogue.forfait):
        Subscription.objects.create(
            collectivite=tenant, offer=offer, quantity=1, activated_on=date(2026, 3, 1)
        )
    assert count() == one


def test_work_queue_filters(catalogue, tenant, other_tenant, make_member, agent_site, admin_site):
    submit_request(agent_site)
    other = tenant_site(other_tenant, make_member(other_tenant, Role.AGENT))
    other.post("/demandes/brouillon/ajouter/forfait-techno/", {"quantity": "1"})
    other.post("/demandes/brouillon/transmettre/")
    both = page_text(admin_site.get("/commandes/"))
    assert "Demandes à chiffrer (2)" in both
    only_ours = page_text(admin_site.get(f"/commandes/?collectivite={tenant.pk}"))
    assert "Demandes à chiffrer (1)" in only_ours
    assert "Commune Autre" not in only_ours.split("<h2")[1]
    by_offer = page_text(admin_site.get(f"/commandes/?offer={catalogue.forfait.pk}"))
    assert "Demandes à chiffrer (1)" in by_offer
    assert "Commune Autre" in by_offer.split("<h2")[1]
    by_status = page_text(admin_site.get("/commandes/?status=approved"))
    assert "Lignes à activer (0)" in by_status
    assert 'id="file-demandes"' not in by_status


# --- Contracts --------------------------------------------------------------------------------


@pytest.fixture
def mail_subscription(catalogue, tenant) -> Subscription:
    return Subscription.objects.create(
        collectivite=tenant,
        offer=catalogue.mail,
        quantity=Decimal("10"),
        activated_on=date(2026, 3, 17),
    )


def test_partial_termination_by_the_signatory(
    mail_subscription, tenant, people, signatory_site, agent_site
):
    assert agent_site.get(f"/contrats/{mail_subscription.pk}/resilier/").status_code == 404
    with at(date(2027, 1, 15)):
        sign_in(signatory_site, people.signatory, tenant)
        preview = signatory_site.get(
            f"/contrats/{mail_subscription.pk}/resilier/", {"scope": "part", "quantity": "3"}
        )
        assert 'value="3"' in page_text(preview)
        assert "la quantité retirée restera due jusqu'au 31/03/2027 inclus" in page_text(preview)
        response = signatory_site.post(
            f"/contrats/{mail_subscription.pk}/resilier/",
            {"scope": "part", "quantity": "3"},
            follow=True,
        )
    assert (
        "Retrait de 3 reçu par le syndicat le 15/01/2027 : la quantité retirée reste due "
        "jusqu'au 31/03/2027 inclus." in page_text(response)
    )
    mail_subscription.refresh_from_db()
    assert (mail_subscription.status, mail_subscription.ends_on) == ("active", None)
    change = mail_subscription.changes.get()
    assert (change.delta, change.effective_on) == (Decimal("-3"), date(2027, 4, 1))


def test_part_without_quantity_is_refused(mail_subscription, signatory_site):
    response = signatory_site.post(f"/contrats/{mail_subscription.pk}/resilier/", {"scope": "part"})
    assert "Indiquez la quantité à retirer de l'abonnement." in page_text(response)
    assert not Termination.objects.exists()


def test_syndicate_records_a_termination_received_by_post(
    mail_subscription, tenant, staff_admin, staff_finance, admin_site, finance_site
):
    prefix = f"abonnement{mail_subscription.pk}"
    url = f"/collectivites/{tenant.pk}/contrats/{mail_subscription.pk}/resiliation/"
    with at(date(2027, 1, 20)):
        sign_in(admin_site, staff_admin)
        sign_in(finance_site, staff_finance)
        page = page_text(admin_site.get(f"/collectivites/{tenant.pk}/contrats/"))
        assert "Enregistrer une résiliation reçue par courrier" in page
        assert "Enregistrer une résiliation" not in page_text(
            finance_site.get(f"/collectivites/{tenant.pk}/contrats/")
        )
        assert finance_site.post(url, {f"{prefix}-received_on": "2027-01-15"}).status_code == 404
        future = admin_site.post(
            url, {f"{prefix}-received_on": "2027-01-21", f"{prefix}-scope": "whole"}
        )
        assert RECEIVED_IN_FUTURE in page_text(future)
        response = admin_site.post(
            url, {f"{prefix}-received_on": "2027-01-15", f"{prefix}-scope": "whole"}, follow=True
        )
    assert (
        "Résiliation de « Messagerie BlueMind 2 Go » reçue le 15/01/2027 enregistrée : dû "
        "jusqu'au 31/03/2027 inclus." in page_text(response)
    )
    termination = Termination.objects.get()
    assert (termination.recorded_by.email, termination.effective_end) == (
        "admin@syndicat.test",
        date(2027, 4, 1),
    )
    receipt = admin_site.get(
        f"/collectivites/{tenant.pk}/contrats/resiliations/{termination.pk}/accuse/"
    )
    assert receipt["Content-Type"] == "application/pdf"


# --- Isolation --------------------------------------------------------------------------------


def test_another_collectivite_gets_404_on_every_quote_and_contract_url(
    catalogue, tenant, other_tenant, make_member, people, agent_site, signatory_site, admin_site
):
    quote = sent_quote(agent_site, admin_site)
    document = quote.documents.first()
    subscription = Subscription.objects.create(
        collectivite=tenant, offer=catalogue.visio, quantity=2, activated_on=date(2026, 3, 17)
    )
    with at(date(2026, 4, 2)):
        sign_in(signatory_site, people.signatory, tenant)
        signatory_site.post(f"/contrats/{subscription.pk}/resilier/", {"scope": "whole"})
    termination = Termination.objects.get()
    # Ours can read the document.
    ours = agent_site.get(f"/devis/{quote.pk}/documents/{document.pk}/")
    assert ours["Content-Type"] == "application/pdf"
    assert b"".join(ours.streaming_content).startswith(b"%PDF")
    outsider = make_member(other_tenant, Role.SIGNATORY, Role.AGENT)
    theirs = tenant_site(other_tenant, outsider)
    gets = [
        f"/devis/{quote.pk}/",
        f"/devis/{quote.pk}/documents/{document.pk}/",
        f"/contrats/{subscription.pk}/resilier/",
        f"/contrats/resiliations/{termination.pk}/",
        f"/contrats/resiliations/{termination.pk}/accuse/",
    ]
    posts = [
        (f"/devis/{quote.pk}/accepter/", {"po_number": "X", "read_documents": "on"}),
        (f"/devis/{quote.pk}/redemander/", {}),
        (f"/contrats/{subscription.pk}/resilier/", {"scope": "whole"}),
    ]
    for url in gets:
        assert theirs.get(url).status_code == 404, url
    for url, data in posts:
        assert theirs.post(url, data).status_code == 404, url
    # On this collectivité's own site, a person without a membership here gets 404 too.
    intruder = sign_in(Client(HTTP_HOST=host_of(tenant)), outsider, tenant)
    for url in gets:
        assert intruder.get(url).status_code == 404, url
    assert not QuoteAcceptance.objects.exists()
    assert Termination.objects.count() == 1
    assert quote.label not in page_text(theirs.get("/demandes/"))
    assert "Salle de visioconférence" not in page_text(theirs.get("/contrats/")).split("<main")[1]
