"""The back-office pages of the end of a membership, as each role reaches them; L3: a
functional administrator's closing reaches the syndicate's queue and its mailbox."""

from __future__ import annotations

from datetime import date

import pytest
from django.core import mail
from django.db import connection
from django.test import Client

from accounts import services as accounts
from billing import services as billing
from contracts import services as contracts
from contracts.models import Quote, QuoteLine
from lifecycle.models import Suspension, SyndicateNotice
from lifecycle.services import suspension as procedure
from portal.models import Role
from tests.conftest import host_of, page_text, sign_in


def backoffice(user) -> Client:
    return sign_in(Client(HTTP_HOST=host_of(None)), user)


@pytest.fixture
def mailbox(tenant, functional_admin, catalogue, subscribe, run, in_schema, systems):
    subscribe(catalogue.mail, 2)
    with in_schema(tenant):
        account = run(
            accounts.account_create,
            collectivite=tenant,
            data=accounts.AccountData(
                offer_code=catalogue.mail.code,
                given_name="Anne",
                surname="Martin",
                email="anne@perso.test",
                login="anne.martin",
            ),
            created_by=functional_admin,
            today=date(2026, 3, 2),
        )
        connection.set_tenant(tenant)
    connection.set_schema_to_public()
    return account


def test_l3_a_closing_by_the_functional_administrator_tells_the_syndicate(
    mailbox, tenant, functional_admin, staff_admin, run, in_schema
):
    mail.outbox.clear()
    with in_schema(tenant):
        run(
            accounts.account_close,
            account=mailbox,
            collectivite=tenant,
            closed_by=functional_admin,
            today=date(2026, 3, 10),
            reason="Départ à la retraite",
        )
    [notice] = SyndicateNotice.objects.filter(collectivite=tenant)
    assert notice.kind == SyndicateNotice.Kind.ACCOUNT_CLOSED
    assert notice.summary == (
        f"{functional_admin} a fermé le compte messagerie de Anne Martin (anne.martin) le "
        "10/03/2026 : Départ à la retraite"
    )
    [told] = [m for m in mail.outbox if m.to == ["admin@syndicat.test"]]
    assert told.subject == "Compte fermé par Commune de Test"
    assert notice.summary in told.body

    client = backoffice(staff_admin)
    page = page_text(client.get("/fin-adhesion/avis/"))
    assert "1 avis à prendre en compte" in page
    assert "Anne Martin (anne.martin)" in page
    response = client.post(f"/fin-adhesion/avis/{notice.pk}/pris-en-compte/", follow=True)
    assert "Avis pris en compte." in page_text(response)
    notice.refresh_from_db()
    assert notice.acknowledged_by == staff_admin
    assert "Aucun avis en attente." in page_text(client.get("/fin-adhesion/avis/"))


def test_l3_a_closing_at_the_contract_end_is_not_a_notice(mailbox, tenant, run, in_schema):
    with in_schema(tenant):
        run(
            accounts.account_close,
            account=mailbox,
            collectivite=tenant,
            closed_by=None,
            today=date(2027, 1, 1),
            reason="Fin de l'abonnement",
        )
    assert not SyndicateNotice.objects.filter(collectivite=tenant).exists()


@pytest.fixture
def proposed(tenant, make_member, catalogue):
    make_member(tenant, Role.SIGNATORY, email="maire@test.fr")
    quote = Quote.objects.create(
        reference="DEV-Q-1", collectivite=tenant, title="Mail", status="approved"
    )
    line = QuoteLine.objects.create(quote=quote, offer=catalogue.mail, label="Mail", quantity=2)
    contracts.line_activate(line=line, activated_on=date(2026, 3, 17), activated_by=None)
    invoice = billing.invoice_issue(
        collectivite=tenant, as_of=date(2026, 4, 1), issue_date=date(2026, 4, 1)
    )
    procedure.notice_send(invoice=invoice, today=date(2026, 5, 31))
    procedure.proposals_run(today=date(2026, 6, 15))
    return Suspension.objects.get(invoice=invoice)


def test_the_finance_queue_decides(proposed, staff_finance, tenant):
    client = backoffice(staff_finance)
    page = page_text(client.get("/fin-adhesion/suspensions/"))
    assert "1 suspension à décider" in page
    assert proposed.invoice.number in page
    response = client.post(f"/fin-adhesion/suspensions/{proposed.pk}/ecarter/", {"reason": ""})
    assert "Indiquez pourquoi la suspension est écartée." in page_text(
        client.get(response["Location"])
    )
    response = client.post(f"/fin-adhesion/suspensions/{proposed.pk}/confirmer/", follow=True)
    assert "Comptes de Commune de Test suspendus" in page_text(response)
    proposed.refresh_from_db()
    assert proposed.status == Suspension.Status.SUSPENDED
    assert proposed.decided_by == staff_finance


def test_pages_are_the_syndicate_staff_only(proposed, tenant, staff_admin, make_member):
    agent = make_member(tenant, Role.SIGNATORY, email="signataire2@test.fr")
    outsider = backoffice(agent)
    for url in (
        "/fin-adhesion/avis/",
        "/fin-adhesion/suspensions/",
        "/fin-adhesion/conservation/",
        f"/fin-adhesion/conservation/{tenant.pk}/",
        "/fin-adhesion/exports/",
    ):
        assert outsider.get(url).status_code == 404, url
        assert backoffice(staff_admin).get(url).status_code == 200, url
    assert outsider.post(f"/fin-adhesion/suspensions/{proposed.pk}/confirmer/").status_code == 404
    # A tenant site does not serve the back-office pages.
    site = sign_in(Client(HTTP_HOST=host_of(tenant)), agent, tenant)
    assert site.get("/fin-adhesion/avis/").status_code == 404


def test_the_retention_pages_show_the_dry_run(tenant, catalogue, subscribe, staff_admin):
    subscription = subscribe(catalogue.mail, 2, on=date(2026, 3, 17))
    contracts.termination_record(
        subscription=subscription, received_on=date(2026, 4, 2), today=date(2026, 4, 2)
    )
    client = backoffice(staff_admin)
    page = page_text(client.get("/fin-adhesion/conservation/"))
    assert "Commune de Test" in page
    assert "01/03/2027" in page
    assert "31/01/2028" in page
    assert "01/03/2028" in page
    detail = page_text(client.get(f"/fin-adhesion/conservation/{tenant.pk}/"))
    assert (
        "Dernier contrat terminé le 01/03/2027 : avis au syndicat le 31/01/2028, purge le 01/03/2028."
        in detail
    )
    assert "Cette page ne change rien." in detail
    assert "Conservation des données" in page_text(client.get(f"/collectivites/{tenant.pk}/"))
