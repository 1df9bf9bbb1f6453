"""P5 / L1 with frozen time: a collectivité's last contract ends; at one year minus 30 days
the syndicate is told; at one year its personal data is purged and its invoices stay, readable
with their PDF intact. A collectivité with a running contract is never purged. The accounts
go through the real provisioning (slapd and the local stand-ins, tests/support/systems.py)."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import connection

from accounts import services as accounts
from accounts.models import ProvisioningEvent, QuotaRequest, ServiceAccount
from billing import services as billing
from billing.models import Invoice
from contracts import services as contracts
from contracts.models import Quote, QuoteLine, Subscription
from lifecycle.models import RetentionCase, SyndicateNotice
from lifecycle.services import retention
from lifecycle.tasks import lifecycle_daily
from portal.models import AuditEvent, Membership, Role, User


def at(day: date):
    return time_machine.travel(f"{day.isoformat()} 03:00 +0100", tick=False)


@pytest.fixture
def member(tenant, make_member, staff_admin, catalogue, run, in_schema, systems):
    """A collectivité whose mail contract started 2026-03-17 and was terminated on
    2026-04-02 (S3: effective end 2027-03-01), with its invoice (paid), a mailbox and a quota
    request; a signatory who belongs only there, an agent who also serves `autre`."""
    signatory = make_member(tenant, Role.SIGNATORY, email="maire@test.fr")
    fadmin = make_member(tenant, Role.FUNCTIONAL_ADMIN, email="fonctionnel@test.fr")
    agent = make_member(tenant, Role.AGENT, email="secretaire@test.fr")
    other = tenant.__class__.objects.get(slug="autre")
    Membership.objects.create(user=agent, collectivite=other, role=Role.AGENT)
    quote = Quote.objects.create(
        reference="DEV-R-1", collectivite=tenant, title="Messagerie", status="approved"
    )
    line = QuoteLine.objects.create(quote=quote, offer=catalogue.mail, label="Mail", quantity=2)
    contracts.line_activate(line=line, activated_on=date(2026, 3, 17), activated_by=None)
    invoice = billing.invoice_issue(
        collectivite=tenant, as_of=date(2026, 4, 1), issue_date=date(2026, 4, 1)
    )
    billing.invoice_render(invoice)
    billing.payment_record(
        invoice=invoice,
        paid_on=date(2026, 4, 20),
        mandate_reference="M-2026-118",
        amount=invoice.total_ttc,
        recorded_by=None,
    )
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
            created_by=fadmin,
            today=date(2026, 4, 1),
        )
        connection.set_tenant(tenant)
        QuotaRequest.objects.create(account=account, extra_gb=3, requested_by=fadmin)
    subscription = Subscription.objects.get(collectivite=tenant)
    contracts.termination_record(
        subscription=subscription, received_on=date(2026, 4, 2), today=date(2026, 4, 2)
    )
    subscription.refresh_from_db()
    assert subscription.ends_on == date(2027, 3, 1)
    return {"signatory": signatory, "agent": agent, "invoice": invoice, "account": account}


def nightly(run, day: date) -> dict:
    with at(day):
        return run(lifecycle_daily.delay).get()


def test_told_thirty_days_before_then_purged_at_one_year_invoices_kept(
    member, tenant, run, in_schema, systems, staff_admin, audit_floor
):
    invoice = member["invoice"]
    pdf_before = invoice.pdf.read()
    invoice.pdf.close()
    # S5 and A3 at the contract's end: the accounts close, then leave the systems.
    with in_schema(tenant):
        run(accounts.accounts_close_ended, collectivite=tenant, today=date(2027, 3, 1))
        run(accounts.accounts_purge_due, today=date(2027, 6, 1))
        connection.set_tenant(tenant)
        assert ServiceAccount.objects.get().state == ServiceAccount.State.PURGED
    assert systems.bluemind.state.users == {}

    mail.outbox.clear()
    assert nightly(run, date(2027, 3, 1))["retention"] == {"wait": 1}
    assert nightly(run, date(2028, 1, 30))["retention"] == {"wait": 1}
    assert mail.outbox == []

    # One year minus 30 days: the syndicate is told, once.
    assert nightly(run, date(2028, 1, 31))["retention"] == {"notice": 1}
    assert nightly(run, date(2028, 2, 1))["retention"] == {"wait": 1}
    [message] = mail.outbox
    assert message.to == ["admin@syndicat.test"]
    assert message.subject == "Purge des données de Commune de Test le 01/03/2028"
    [notice] = SyndicateNotice.objects.filter(collectivite=tenant)
    assert notice.kind == SyndicateNotice.Kind.RETENTION
    assert notice.summary.startswith(
        "Les données personnelles de Commune de Test seront purgées le 01/03/2028 : dernier "
        "contrat terminé le 01/03/2027."
    )

    # The dry run on the eve lists what would go and changes nothing.
    preview = retention.retention_preview(collectivite=tenant, today=date(2028, 2, 29))
    counts = {label: count for _, label, count in preview.sections}
    assert counts["comptes de service"] == 1
    assert counts["demandes d'espace"] == 1
    assert counts["appartenances (rôles)"] == 3
    assert preview.people == ["fonctionnel@test.fr", "maire@test.fr"]
    assert nightly(run, date(2028, 2, 29))["retention"] == {"wait": 1}

    # One year: purged.
    assert nightly(run, date(2028, 3, 1))["retention"] == {"purge": 1}
    with in_schema(tenant):
        assert ServiceAccount.objects.count() == 0
        assert QuotaRequest.objects.count() == 0
        assert ProvisioningEvent.objects.count() == 0
    assert not Membership.objects.filter(collectivite=tenant).exists()
    signatory = User.objects.get(pk=member["signatory"].pk)
    assert signatory.full_name == f"Personne supprimée n° {signatory.pk}"
    assert signatory.email == f"supprime-{signatory.pk}@personne-supprimee.invalid"
    assert not signatory.is_active
    assert not signatory.has_usable_password()
    agent = User.objects.get(pk=member["agent"].pk)  # serves another collectivité: kept
    assert agent.email == "secretaire@test.fr"
    assert agent.is_active
    assert list(agent.memberships.values_list("collectivite__slug", flat=True)) == ["autre"]

    # Invoices stay, with the buyer's identity and the PDF byte for byte.
    kept = Invoice.objects.get(pk=invoice.pk)
    assert kept.buyer["name"] == "Commune de Test"
    assert kept.pdf.read() == pdf_before
    assert hashlib.sha256(pdf_before).hexdigest() == kept.pdf_sha256
    assert Subscription.objects.filter(collectivite=tenant).exists()

    case = RetentionCase.objects.get(collectivite=tenant)
    assert case.status == RetentionCase.Status.PURGED
    [event] = AuditEvent.objects.filter(id__gt=audit_floor, action="retention.purged")
    assert event.data["counts"]["comptes de service"] == 1
    assert event.data["counts"]["personnes pseudonymisées (seule appartenance)"] == 2
    assert "maire@test.fr" not in str(event.data)
    assert "Martin" not in str(event.data)
    # Purged once: the next nights do nothing more.
    assert nightly(run, date(2028, 3, 2))["retention"] == {"done": 1}


def test_accounts_still_in_the_systems_are_purged_there_first(
    member, tenant, run, in_schema, systems
):
    """A3 never ran (the worker was down): the retention purge sends the accounts to the
    systems' purge and removes their rows once every system confirmed."""
    nightly(run, date(2028, 1, 31))
    assert nightly(run, date(2028, 3, 1))["retention"] == {"purge": 1}
    assert systems.bluemind.state.users == {}
    case = RetentionCase.objects.get(collectivite=tenant)
    assert case.status == RetentionCase.Status.PURGING
    with in_schema(tenant):
        assert ServiceAccount.objects.get().state == ServiceAccount.State.PURGED
    assert not Membership.objects.filter(collectivite=tenant).exists()

    assert nightly(run, date(2028, 3, 2))["retention"] == {"purge": 1}
    with in_schema(tenant):
        assert ServiceAccount.objects.count() == 0
    case.refresh_from_db()
    assert case.status == RetentionCase.Status.PURGED
    assert case.summary["counts"]["comptes de service"] == 1


def test_a_running_contract_is_never_purged(tenant, catalogue, subscribe, run, staff_admin):
    subscribe(catalogue.mail, 2, on=date(2020, 1, 5))
    mail.outbox.clear()
    for day in (date(2026, 1, 5), date(2030, 1, 5), date(2040, 6, 1)):
        assert nightly(run, day)["retention"] == {"keep": 1}
    assert not RetentionCase.objects.filter(collectivite=tenant).exists()
    assert mail.outbox == []
    preview = retention.retention_preview(collectivite=tenant, today=date(2040, 6, 1))
    assert preview.decision.step.value == "keep"
    with pytest.raises(RetentionCase.DoesNotExist):
        RetentionCase.objects.get(collectivite=tenant)


def test_a_new_contract_before_the_purge_cancels_it(member, tenant, run, catalogue, subscribe):
    nightly(run, date(2028, 1, 31))
    subscribe(catalogue.drive, 1, on=date(2028, 2, 10))
    assert nightly(run, date(2028, 3, 1))["retention"] == {"keep": 1}
    assert RetentionCase.objects.get(collectivite=tenant).status == RetentionCase.Status.CANCELLED
    assert Membership.objects.filter(collectivite=tenant).count() == 3


def test_the_dry_run_command_lists_and_changes_nothing(member, tenant, capsys):
    call_command("retention_dry_run", "--date", "2028-03-01")
    out = capsys.readouterr().out
    assert "Commune de Test" in out
    assert "purge le 01/03/2028" in out
    assert "comptes de service : 1" in out
    assert Membership.objects.filter(collectivite=tenant).count() == 3
