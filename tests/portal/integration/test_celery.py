"""A task sent through the real Redis broker runs, on a real worker, in the schema of the
collectivité that sent it (tenant-schemas-celery, P4)."""

from __future__ import annotations

import pytest
from celery import signals
from celery.contrib.testing.worker import start_worker
from celery.fixups.django import DjangoWorkerFixup
from django_tenants.utils import schema_context

from portal.celery import app
from portal.tasks import tenant_schema_status


def _thread_worker_install(self):
    """Celery's Django fix-up closes the *calling thread's* database connections when a
    worker starts, which is right for a worker process and wrong for a worker thread inside
    a test transaction: keep only the per-task closing, which runs in the worker thread."""
    signals.task_prerun.connect(self.on_task_prerun)
    signals.task_postrun.connect(self.on_task_postrun)
    return self


@pytest.fixture
def real_worker(db, monkeypatch):
    monkeypatch.setattr(DjangoWorkerFixup, "install", _thread_worker_install)
    app.conf.task_always_eager = False
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield
    finally:
        app.conf.task_always_eager = True


def test_task_runs_in_the_schema_of_the_collectivite_that_sent_it(
    real_worker, tenant, other_tenant
):
    with schema_context(tenant.schema_name):
        in_tenant = tenant_schema_status.delay()
    with schema_context(other_tenant.schema_name):
        in_other = tenant_schema_status.delay()
    in_public = tenant_schema_status.delay()

    assert in_tenant.get(timeout=20)["schema"] == "c_test"
    assert in_other.get(timeout=20)["schema"] == "c_autre"
    assert in_public.get(timeout=20)["schema"] == "public"
    # each schema has its own migration records (a tenant's are a copy of the template's)
    assert in_tenant.get()["migrations"] > 0
