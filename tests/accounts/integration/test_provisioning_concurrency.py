"""Issue 18: the same provisioning task delivered five times at once (a broker redelivery, a
"Relancer" pressed while the first try runs) makes one account, left `active` and unflagged.
Five tasks through the real Redis broker, run together by a real Celery worker with five
threads, against the local Nextcloud stand-in (devservers/) and the session's slapd."""

from __future__ import annotations

from decimal import Decimal

import pytest
from celery.contrib.testing.worker import start_worker
from celery.fixups.django import DjangoWorkerFixup
from django_tenants.utils import schema_context

from accounts import tasks
from accounts.models import ProvisioningEvent, ServiceAccount
from catalogue.models import Offer, ServiceFamily
from portal.celery import app
from tests.portal.integration.test_celery import _thread_worker_install


@pytest.fixture
def pending_account(django_db_setup, django_db_blocker, systems):
    """A pending drive account of the test collectivité, committed so the worker's threads
    (each with its own connection) see it; removed afterwards."""
    with django_db_blocker.unblock():
        _remove()  # what an interrupted earlier run may have left
        family = ServiceFamily.objects.create(code="concurrence", name="Concurrence", position=99)
        offer = Offer.objects.create(
            family=family,
            code="drive-concurrence",
            name="Stockage (concurrence)",
            system="nextcloud",
            billing_unit="account_year",
            default_quota_gb=Decimal("5"),
        )
        with schema_context("c_test"):
            account = ServiceAccount.objects.create(
                kind="drive",
                offer=offer,
                given_name="Anne",
                surname="Concurrence",
                email="anne@perso.test",
                login="anne.concurrence",
                quota_bytes=5 * 1024**3,
            )
        try:
            yield account
        finally:
            _remove()


def _remove() -> None:
    with schema_context("c_test"):
        ProvisioningEvent.objects.filter(account__login="anne.concurrence").delete()
        ServiceAccount.objects.filter(login="anne.concurrence").delete()
    Offer.objects.filter(code="drive-concurrence").delete()
    ServiceFamily.objects.filter(code="concurrence").delete()


@pytest.fixture
def five_thread_worker(monkeypatch):
    monkeypatch.setattr(DjangoWorkerFixup, "install", _thread_worker_install)
    app.conf.task_always_eager = False
    try:
        with start_worker(
            app, pool="threads", concurrency=5, perform_ping_check=False, shutdown_timeout=20
        ):
            yield
    finally:
        app.conf.task_always_eager = True


def test_five_identical_tasks_at_once_make_one_account(
    pending_account, five_thread_worker, systems, django_db_blocker
):
    # Each answer of the stand-in is slow: without serialization the five tasks would all
    # find no account there and all try to create it.
    systems.nextcloud.delay_next(0.3, n=20)
    with schema_context("c_test"):
        results = [tasks.provision.delay(pending_account.pk, "create") for _ in range(5)]
    outcomes = sorted(result.get(timeout=60) for result in results)

    assert outcomes == ["done", "skipped", "skipped", "skipped", "skipped"]
    with django_db_blocker.unblock(), schema_context("c_test"):
        account = ServiceAccount.objects.get(pk=pending_account.pk)
        failures = ProvisioningEvent.objects.filter(
            account=account, outcome=ProvisioningEvent.Outcome.FAILED
        ).count()
    assert (account.state, account.failure_reason, failures) == ("active", "", 0)
    assert list(systems.nextcloud.state.users) == ["test.anne.concurrence"]
    creations = [path for method, path in systems.nextcloud.requests if method == "POST"]
    assert len(creations) == 1
