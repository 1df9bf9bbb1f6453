"""B9: a collectivité gives the engagement number of a new budget year on its site, asked by
e-mail a month before an anniversary; the renewal year's invoice carries it per line, or the
previous number with a mention when none was given."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from billing import documents, engagements, services
from billing.models import EngagementNumber, EngagementRequest
from contracts import services as contracts
from contracts.models import Quote, QuoteAcceptance, QuoteLine
from portal.models import Role
from tests.conftest import page_text, sign_in
from tests.factories import UserFactory
from tests.factories.catalogue import build_catalogue

PARIS = ZoneInfo("Europe/Paris")


def at(day: date):
    return time_machine.travel(datetime(day.year, day.month, day.day, 10, tzinfo=PARIS), tick=False)


@pytest.fixture
def subscribed(db, tenant):
    catalogue = build_catalogue()
    quote = Quote.objects.create(
        reference="DEV-ENG-1", collectivite=tenant, title="t", status=Quote.Status.APPROVED
    )
    QuoteAcceptance.objects.create(
        quote=quote, signed_by=UserFactory(), signed_at=timezone.now(), po_number="BC-2026-118"
    )
    line = QuoteLine.objects.create(quote=quote, offer=catalogue.mail, label="Mail", quantity=10)
    contracts.line_activate(line=line, activated_on=date(2026, 3, 17), activated_by=None)
    with at(date(2026, 4, 1)):
        services.invoices_issue(
            collectivite=tenant, as_of=date(2026, 4, 1), issue_date=date(2026, 4, 1)
        )
    return tenant


def renewal_invoice(tenant):
    day = date(2027, 3, 1)
    with at(day):
        contracts.renewals_run(today=day)
        [invoice] = services.invoices_issue(collectivite=tenant, as_of=day, issue_date=day)
    return invoice


def test_the_new_years_number_goes_on_the_renewal_line(subscribed, make_member):
    signatory = make_member(subscribed, Role.SIGNATORY)
    engagements.engagement_number_give(
        collectivite=subscribed,
        budget_year=2027,
        number="  ENG-2027-0042 ",
        given_by=signatory,
        today=date(2027, 1, 20),
    )
    invoice = renewal_invoice(subscribed)
    [line] = invoice.lines.all()
    assert (line.po_number, line.po_reused, invoice.po_number) == (
        "ENG-2027-0042",
        False,
        "ENG-2027-0042",
    )
    xml = documents.invoice_facturx_xml(invoice)
    assert b"ENG-2027-0042" in xml
    assert documents.ENGAGEMENT_REUSED.encode() not in xml


def test_without_a_new_number_the_previous_one_goes_and_the_invoice_says_so(subscribed):
    invoice = renewal_invoice(subscribed)
    [line] = invoice.lines.all()
    assert (line.po_number, line.po_reused) == ("BC-2026-118", True)
    xml = documents.invoice_facturx_xml(invoice).decode()
    assert f"{documents.ENGAGEMENT_REUSED} BC-2026-118" in xml
    context_mention = documents.ENGAGEMENT_REUSED_PDF.format(year=2027, number="BC-2026-118")
    from tests.billing.integration.test_documents import pdf_text

    assert " ".join(context_mention.split()) in pdf_text(documents.invoice_pdf(invoice))


@pytest.mark.parametrize(
    ("_case", "role", "year", "number", "error"),
    [
        ("an agent", Role.AGENT, 2027, "E-1", engagements.ENGAGEMENT_NOT_ALLOWED),
        ("no number", Role.SIGNATORY, 2027, "   ", engagements.ENGAGEMENT_REQUIRED),
        ("too long", Role.FUNCTIONAL_ADMIN, 2027, "E" * 201, engagements.ENGAGEMENT_TOO_LONG),
        (
            "a past year",
            Role.SIGNATORY,
            2025,
            "E-1",
            engagements.ENGAGEMENT_YEAR_INVALID.format(years="2026 ou 2027"),
        ),
    ],
)
def test_bad_numbers_are_refused_and_change_nothing(
    subscribed, make_member, _case, role, year, number, error
):
    with pytest.raises(ValidationError) as refused:
        engagements.engagement_number_give(
            collectivite=subscribed,
            budget_year=year,
            number=number,
            given_by=make_member(subscribed, role),
            today=date(2026, 12, 1),
        )
    assert refused.value.messages == [error]
    assert not EngagementNumber.objects.exists()


def test_asked_by_email_a_month_before_the_anniversary_once(
    subscribed, make_member, django_capture_on_commit_callbacks
):
    make_member(subscribed, Role.SIGNATORY, email="maire@test.fr")
    make_member(subscribed, Role.FUNCTIONAL_ADMIN, email="admin@test.fr")
    make_member(subscribed, Role.AGENT, email="agent@test.fr")
    with django_capture_on_commit_callbacks(execute=True):
        assert engagements.engagement_requests_run(today=date(2027, 1, 31)) == 0  # too early
        assert engagements.engagement_requests_run(today=date(2027, 2, 1)) == 1
        assert engagements.engagement_requests_run(today=date(2027, 2, 2)) == 0  # once
    [message] = mail.outbox
    assert sorted(message.to) == ["admin@test.fr", "maire@test.fr"]
    assert message.subject == f"Numéro d'engagement 2027 pour {subscribed.name}"
    assert "reconduits le 01/03/2027" in message.body
    assert EngagementRequest.objects.get().budget_year == 2027


def test_not_asked_when_the_number_is_given(subscribed, make_member):
    EngagementNumber.objects.create(collectivite=subscribed, budget_year=2027, number="E-27")
    assert engagements.engagement_requests_run(today=date(2027, 2, 10)) == 0


def test_the_signatory_gives_it_on_the_site(subscribed, make_member, tenant_client):
    signatory = make_member(subscribed, Role.SIGNATORY)
    with at(date(2027, 1, 20)):
        site = sign_in(tenant_client, signatory, subscribed)
        page = site.get("/factures/")
        assert "Enregistrer le numéro d'engagement" in page_text(page)
        refused = site.post("/factures/engagement/", {"budget_year": "2027", "number": ""})
        assert refused.status_code == 422
        assert "Indiquez le numéro d'engagement." in page_text(refused)
        done = site.post("/factures/engagement/", {"budget_year": "2027", "number": "ENG-27"})
        assert done.status_code == 302
        assert "Exercice 2027 : ENG-27" in page_text(site.get("/factures/"))
    assert EngagementNumber.objects.get().given_by == signatory


def test_an_agent_sees_the_numbers_but_no_form(subscribed, make_member, tenant_client):
    EngagementNumber.objects.create(collectivite=subscribed, budget_year=2027, number="E-27")
    agent = make_member(subscribed, Role.AGENT)
    with at(date(2027, 1, 20)):
        site = sign_in(tenant_client, agent, subscribed)
        text = page_text(site.get("/factures/"))
        assert "Exercice 2027 : E-27" in text
        assert "Enregistrer le numéro d'engagement" not in text
        assert (
            site.post("/factures/engagement/", {"budget_year": "2027", "number": "X"}).status_code
            == 404
        )  # a page of the site not for this role
    assert EngagementNumber.objects.get().number == "E-27"
