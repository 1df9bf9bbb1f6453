"""Issue 17: the public projection of every collectivité's accounts and quota requests is
written with the tenant row, read by the back-office queues, and repaired (and reported) by
the nightly reconciliation; references to public rows are plain ids checked by it (issue 19)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from accounts import selectors, services, tasks
from accounts.models import QuotaRequest, ServiceAccount
from projections.models import AccountProjection, QuotaRequestProjection, ReconciliationReport

PARIS = ZoneInfo("Europe/Paris")
GB = 1024**3
TODAY = date(2026, 3, 17)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime(2026, 3, 17, 10, tzinfo=PARIS), tick=False):
        yield


@pytest.fixture
def account(tenant, catalogue, subscribe, functional_admin, in_schema):
    subscribe(catalogue.mail, 3)
    with in_schema(tenant):
        return services.account_create(
            collectivite=tenant,
            data=services.AccountData(
                offer_code="mail",
                given_name="Anne",
                surname="Martin",
                email="anne.martin@perso.test",
                login="anne.martin",
            ),
            created_by=functional_admin,
            today=TODAY,
        )


def _activate(account, used_gb: float = 1.0) -> ServiceAccount:
    ServiceAccount.objects.filter(pk=account.pk).update(state="active")
    account.refresh_from_db()
    return services.usage_record(
        account=account, collectivite=account_tenant(), used_bytes=int(used_gb * GB)
    )


def account_tenant():
    from portal.models import Collectivite

    return Collectivite.objects.get(schema_name=connection.schema_name)


def test_creation_writes_the_projection_in_the_same_transaction(tenant, account):
    row = AccountProjection.objects.get(collectivite=tenant, account_id=account.pk)
    assert (row.kind, row.state, row.holder, row.login) == (
        "mail",
        "pending",
        "Anne Martin",
        "anne.martin",
    )
    assert row.offer_id == account.offer_id
    assert row.quota_bytes == 2 * GB
    assert row.usage_percent is None


def test_usage_failure_and_quota_request_reach_the_backoffice_queues(
    tenant, account, functional_admin, staff_admin, in_schema
):
    with in_schema(tenant):
        account = _activate(account, used_gb=1.95)
        request = services.quota_request_create(
            account=account,
            collectivite=tenant,
            extra_gb=3,
            reason="Archives",
            requested_by=functional_admin,
        )
    near = selectors.accounts_near_quota()
    assert [(r.collectivite.name, r.login, r.usage_percent) for r in near] == [
        ("Commune de Test", "anne.martin", 97)
    ]
    [pending] = selectors.quota_requests_pending()
    assert (pending.collectivite_id, pending.request_id, pending.holder, pending.extra_gb) == (
        tenant.pk,
        request.pk,
        "Anne Martin",
        3,
    )
    assert (pending.used_bytes, pending.quota_bytes) == (int(1.95 * GB), 2 * GB)

    with in_schema(tenant):
        services.quota_request_approve(
            request=request, collectivite=tenant, decided_by=staff_admin, today=TODAY
        )
    assert selectors.quota_requests_pending() == []
    row = QuotaRequestProjection.objects.get(collectivite=tenant, request_id=request.pk)
    assert (row.status, row.quota_bytes) == ("approved", 5 * GB)
    assert AccountProjection.objects.get(account_id=account.pk).usage_percent == 38

    with in_schema(tenant):
        tasks._failed(account, "update", "Nextcloud ne répond pas")
    [failure] = selectors.provisioning_failures()
    assert (failure.collectivite_id, failure.account_id, failure.failure_reason) == (
        tenant.pk,
        account.pk,
        "Nextcloud ne répond pas",
    )


def test_usage_totals_of_a_collectivite_come_from_the_projection(tenant, account, in_schema):
    with in_schema(tenant):
        _activate(account, used_gb=1)
    [row] = selectors.usage_totals(collectivite=tenant)
    assert (row["offer__name"], row["live"], row["used"], row["quota"]) == (
        account.offer.name,
        1,
        GB,
        2 * GB,
    )


def test_reconciliation_repairs_and_reports_rows_deleted_altered_or_left_over(
    tenant, other_tenant, account, in_schema
):
    AccountProjection.objects.filter(account_id=account.pk).update(state="active", holder="X")
    ghost = AccountProjection.objects.create(
        collectivite=other_tenant,
        account_id=999_999,
        offer_id=account.offer_id,
        kind="mail",
        state="active",
        holder="Personne",
        login="personne",
        updated_at=account.created_at,
    )
    with in_schema(tenant):
        extra = services.account_create(
            collectivite=tenant,
            data=services.AccountData("mail", "Paul", "Durand", "paul@perso.test", "paul"),
            created_by=None,
            today=TODAY,
        )
    AccountProjection.objects.filter(account_id=extra.pk).delete()

    result = tasks.projections_reconcile()

    report = ReconciliationReport.objects.get(pk=result["report"])
    assert (report.inserted, report.updated, report.deleted, report.failed) == (1, 1, 1, 0)
    assert report.collectivites >= 2
    found = sorted(
        (d["collectivite"], d["what"], d["id"], tuple(d.get("fields", ())))
        for d in report.details
        if d["what"] != "dangling"
    )
    assert found == [
        ("autre", "deleted", ghost.account_id, ()),
        ("test", "inserted", extra.pk, ()),
        ("test", "updated", account.pk, ("state", "holder")),
    ]
    row = AccountProjection.objects.get(collectivite=tenant, account_id=account.pk)
    assert (row.state, row.holder) == ("pending", "Anne Martin")
    assert AccountProjection.objects.filter(collectivite=tenant, account_id=extra.pk).exists()
    assert not AccountProjection.objects.filter(pk=ghost.pk).exists()

    again = tasks.projections_reconcile()
    assert (again["inserted"], again["updated"], again["deleted"]) == (0, 0, 0)


def test_reconciliation_restores_a_lost_quota_request(tenant, account, functional_admin, in_schema):
    with in_schema(tenant):
        account = _activate(account)
        request = services.quota_request_create(
            account=account, collectivite=tenant, extra_gb=1, reason="", requested_by=None
        )
    QuotaRequestProjection.objects.all().delete()
    assert selectors.quota_requests_pending() == []
    result = tasks.projections_reconcile()
    assert result["inserted"] == 1
    assert [p.request_id for p in selectors.quota_requests_pending()] == [request.pk]


def test_reconciliation_reports_references_to_public_rows_that_are_gone(
    tenant, account, functional_admin, in_schema
):
    with in_schema(tenant):
        ServiceAccount.objects.filter(pk=account.pk).update(created_by_id=987_654)
        QuotaRequest.objects.create(account=account, extra_gb=1, subscription_id=876_543)
    result = tasks.projections_reconcile()
    report = ReconciliationReport.objects.get(pk=result["report"])
    dangling = sorted(
        (d["table"], d["id"], d["referred_by"]) for d in report.details if d["what"] == "dangling"
    )
    assert dangling == [
        ("contracts_subscription", 876_543, "accounts_quotarequest"),
        ("portal_user", 987_654, "accounts_serviceaccount.created_by_id"),
    ]
    with in_schema(tenant):
        # the person is gone: the reference is cleared; the subscription is left for a person
        assert ServiceAccount.objects.get(pk=account.pk).created_by_id is None
        assert QuotaRequest.objects.get().subscription_id == 876_543


def test_the_queue_page_says_when_the_projection_was_last_checked(tenant, account, staff_admin):
    from django.conf import settings
    from django.test import Client

    from tests.conftest import page_text, sign_in

    AccountProjection.objects.filter(account_id=account.pk).update(state="active")
    tasks.projections_reconcile()
    page = page_text(
        sign_in(Client(HTTP_HOST=settings.BASE_DOMAIN), staff_admin).get("/demandes-de-quota/")
    )
    assert (
        "Dernière vérification de cette liste auprès des collectivités : le 17/03/2026 10:00, "
        "1 écart(s) corrigé(s), 0 référence(s) orpheline(s)."
    ) in page
