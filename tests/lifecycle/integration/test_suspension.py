"""L2 walked end to end with frozen time: an invoice overdue → formal notice → proposal in the
finance queue → confirmed by a person → the accounts disabled in slapd and in the local
BlueMind, Nextcloud and Zimbra stand-ins (not deleted) → payment recorded → enabled again.
Nothing is suspended without the confirmation; every step is audited."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client

from accounts import services as accounts
from accounts.models import ServiceAccount
from billing import services as billing
from catalogue.models import Offer, TariffLine
from contracts import services as contracts
from contracts.models import Quote, QuoteLine
from lifecycle.models import Suspension
from lifecycle.services import suspension as procedure
from lifecycle.tasks import lifecycle_daily
from portal.models import AuditEvent, Membership, Role
from tests.conftest import host_of, page_text, sign_in
from tests.factories.catalogue import EXEMPT
from tests.support.slapd import directory_entry


def fadmin_of(tenant):
    return Membership.objects.get(collectivite=tenant, role=Role.FUNCTIONAL_ADMIN).user


def at(day: date):
    return time_machine.travel(f"{day.isoformat()} 03:00 +0100", tick=False)


def nightly(run, day: date) -> dict:
    with at(day):
        return run(lifecycle_daily.delay).get()


@pytest.fixture
def overdue(tenant, make_member, catalogue, subscribe, run, in_schema, systems):
    """Invoice of 2026-04-01 (due 2026-05-01), never paid; a mailbox in BlueMind, one in
    Zimbra and a drive account in Nextcloud, all active."""
    make_member(tenant, Role.SIGNATORY, email="maire@test.fr")
    fadmin = make_member(tenant, Role.FUNCTIONAL_ADMIN, email="fonctionnel@test.fr")
    tenant.contact_email = "finances@test.fr"
    tenant.save(update_fields=["contact_email"])
    zimbra = Offer.objects.create(
        family=catalogue.mail.family,
        code="mail-zimbra",
        name="Messagerie Zimbra",
        system="zimbra",
        billing_unit="account_year",
        default_quota_gb=2,
    )
    TariffLine.objects.create(
        schedule=catalogue.schedule, offer=zimbra, unit_price="20.00", vat_exemption=EXEMPT
    )
    quote = Quote.objects.create(
        reference="DEV-S-1", collectivite=tenant, title="Services", status="approved"
    )
    for offer in (catalogue.mail, catalogue.drive, zimbra):
        line = QuoteLine.objects.create(quote=quote, offer=offer, label=offer.name, quantity=2)
        contracts.line_activate(line=line, activated_on=date(2026, 3, 17), activated_by=None)
    invoice = billing.invoice_issue(
        collectivite=tenant, as_of=date(2026, 4, 1), issue_date=date(2026, 4, 1)
    )
    with in_schema(tenant):
        for offer, login in ((catalogue.mail, "anne"), (catalogue.drive, "anne"), (zimbra, "paul")):
            run(
                accounts.account_create,
                collectivite=tenant,
                data=accounts.AccountData(
                    offer_code=offer.code,
                    given_name="Anne",
                    surname="Martin",
                    email="anne@perso.test",
                    login=login,
                ),
                created_by=fadmin,
                today=date(2026, 4, 1),
            )
            connection.set_tenant(tenant)
        assert set(ServiceAccount.objects.values_list("state", flat=True)) == {"active"}
    connection.set_schema_to_public()
    return invoice


def enabled_everywhere(systems) -> dict[str, bool]:
    [mailbox] = systems.bluemind.state.users.values()
    [zimbra] = systems.zimbra.state.accounts.values()
    return {
        "annuaire (messagerie)": directory_entry(systems.directory, "test.anne")[
            "portailMailEnabled"
        ]
        == ["TRUE"],
        "annuaire (stockage)": directory_entry(systems.directory, "test.anne")[
            "portailDriveEnabled"
        ]
        == ["TRUE"],
        "BlueMind": mailbox.value["archived"] is False,
        "Nextcloud": systems.nextcloud.state.users["test.anne"].enabled,
        "Zimbra": zimbra.attrs["zimbraAccountStatus"] == "active",
    }


def test_overdue_notice_proposal_confirmation_payment(
    overdue, tenant, run, in_schema, systems, staff_finance, audit_floor
):
    invoice = overdue
    assert invoice.due_date == date(2026, 5, 1)
    mail.outbox.clear()

    # 1. 30 days past due: the formal notice, to the signatory and the finance contact.
    assert nightly(run, date(2026, 5, 30))["suspension_notices"] == 0
    assert nightly(run, date(2026, 5, 31))["suspension_notices"] == 1
    assert nightly(run, date(2026, 6, 1))["suspension_notices"] == 0  # once
    notices = [m for m in mail.outbox if m.subject.startswith("Mise en demeure")]
    [notice] = notices
    assert notice.to == ["finances@test.fr", "maire@test.fr"]
    assert notice.subject == f"Mise en demeure : facture {invoice.number} impayée (Commune de Test)"
    assert "à partir du 15/06/2026" in notice.body
    suspension = Suspension.objects.get(invoice=invoice)
    assert suspension.status == Suspension.Status.NOTICE

    # 2. 15 days after the notice: proposed to the finance queue; nothing is disabled.
    assert nightly(run, date(2026, 6, 14))["suspension_steps"]["proposed"] == 0
    assert nightly(run, date(2026, 6, 15))["suspension_steps"]["proposed"] == 1
    suspension.refresh_from_db()
    assert suspension.status == Suspension.Status.PROPOSED
    assert suspension.proposed_on == date(2026, 6, 15)
    nightly(run, date(2026, 7, 1))  # never automatic
    suspension.refresh_from_db()
    assert suspension.status == Suspension.Status.PROPOSED
    assert all(enabled_everywhere(systems).values())

    # 3. A person confirms: disabled in every system, nothing deleted, the collectivité told.
    mail.outbox.clear()
    with at(date(2026, 7, 2)):
        run(procedure.suspension_confirm, suspension=suspension, actor=staff_finance)
    assert enabled_everywhere(systems) == dict.fromkeys(enabled_everywhere(systems), False)
    assert len(systems.bluemind.state.users) == 1
    assert len(systems.zimbra.state.accounts) == 1
    assert "test.anne" in systems.nextcloud.state.users
    with in_schema(tenant):
        assert ServiceAccount.objects.filter(state="active").count() == 3
    [told] = [m for m in mail.outbox if m.subject.startswith("Comptes suspendus")]
    assert told.to == ["finances@test.fr", "fonctionnel@test.fr", "maire@test.fr"]
    with pytest.raises(ValidationError) as twice:
        procedure.suspension_confirm(suspension=suspension, actor=staff_finance)
    assert twice.value.messages == ["Cette suspension n'est pas (ou plus) à décider."]

    # 4. The payment is recorded: enabled again at once.
    mail.outbox.clear()
    with at(date(2026, 7, 10)):
        run(
            billing.payment_record,
            invoice=invoice,
            paid_on=date(2026, 7, 9),
            mandate_reference="M-2026-301",
            amount=invoice.total_ttc,
            recorded_by=staff_finance,
        )
    assert all(enabled_everywhere(systems).values())
    suspension.refresh_from_db()
    assert suspension.status == Suspension.Status.LIFTED
    [lifted] = [m for m in mail.outbox if m.subject.startswith("Comptes réactivés")]
    assert lifted.subject == "Comptes réactivés (Commune de Test)"

    steps = list(
        AuditEvent.objects.filter(id__gt=audit_floor, action__startswith="suspension.")
        .order_by("id")
        .values_list("action", "actor_label")
    )
    assert steps == [
        ("suspension.noticed", "système"),
        ("suspension.proposed", "système"),
        ("suspension.confirmed", "Yves Morel"),
        ("suspension.lifted", "Yves Morel"),
    ]


def test_paid_before_the_proposal_ends_the_procedure_without_suspension(
    overdue, run, staff_finance
):
    nightly(run, date(2026, 5, 31))
    with at(date(2026, 6, 5)):
        run(
            billing.payment_record,
            invoice=overdue,
            paid_on=date(2026, 6, 4),
            mandate_reference="M-1",
            amount=Decimal(overdue.total_ttc),
            recorded_by=staff_finance,
        )
    assert nightly(run, date(2026, 6, 15))["suspension_steps"]["proposed"] == 0
    assert Suspension.objects.get(invoice=overdue).status == Suspension.Status.SETTLED


def test_declining_needs_a_reason_and_suspends_nothing(overdue, run, systems, staff_finance):
    nightly(run, date(2026, 5, 31))
    nightly(run, date(2026, 6, 15))
    suspension = Suspension.objects.get(invoice=overdue)
    with pytest.raises(ValidationError) as refused:
        procedure.suspension_decline(suspension=suspension, actor=staff_finance, reason="  ")
    assert refused.value.message_dict == {
        "reason": ["Indiquez pourquoi la suspension est écartée."]
    }
    procedure.suspension_decline(
        suspension=suspension, actor=staff_finance, reason="Mandat en cours à la trésorerie."
    )
    suspension.refresh_from_db()
    assert suspension.status == Suspension.Status.DECLINED
    assert all(enabled_everywhere(systems).values())
    # The same invoice never starts a second procedure.
    assert nightly(run, date(2026, 8, 1))["suspension_notices"] == 0


def test_no_new_account_while_suspended(overdue, tenant, run, in_schema, catalogue, staff_finance):
    nightly(run, date(2026, 5, 31))
    nightly(run, date(2026, 6, 15))
    run(
        procedure.suspension_confirm,
        suspension=Suspension.objects.get(invoice=overdue),
        actor=staff_finance,
    )
    admin = sign_in(Client(HTTP_HOST=host_of(tenant)), fadmin_of(tenant), tenant)
    assert "sont suspendus pour défaut de paiement" in page_text(admin.get("/comptes-de-service/"))
    with in_schema(tenant), pytest.raises(ValidationError) as refused:
        accounts.account_create(
            collectivite=tenant,
            data=accounts.AccountData(
                offer_code=catalogue.mail.code,
                given_name="Paul",
                surname="Lecoq",
                email="paul@perso.test",
                login="lucie",
            ),
            created_by=None,
            today=date(2026, 7, 2),
        )
    assert refused.value.messages == [
        "Les comptes de votre collectivité sont suspendus pour défaut de paiement : aucun compte "
        "ne peut être créé avant l'enregistrement du règlement."
    ]


def test_the_nightly_notices_read_every_balance_in_one_query(
    overdue, run, django_assert_max_num_queries
):
    """Paid or credited invoices are left out by the database, whatever their number."""
    with django_assert_max_num_queries(2) as captured:  # the schema's search_path, the query
        assert procedure._unpaid_overdue(date(2026, 5, 1)).count() == 1
    assert [q["sql"].split()[0] for q in captured.captured_queries][-1] == "SELECT"
    billing.payment_record(
        invoice=overdue,
        paid_on=date(2026, 4, 2),
        mandate_reference="M-9",
        amount=Decimal("1.00"),
        recorded_by=None,
    )
    assert procedure._unpaid_overdue(date(2026, 5, 1)).get().left == overdue.total_ttc - 1
