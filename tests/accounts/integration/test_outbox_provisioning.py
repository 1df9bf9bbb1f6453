"""Issue 18: a service account asked for while the broker cannot be reached is saved
pending, the person is told at once, and the outbox's sweeper provisions it once the broker is
back, without anyone acting (the systems are slapd and the local stand-ins, see
tests/support/systems.py)."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts import services
from accounts.models import ServiceAccount
from portal import outbox
from portal.celery import app
from portal.models import OutboxMessage
from tests.portal.integration.test_outbox import broker, not_eager, unreachable  # noqa: F401

TODAY = date(2026, 3, 2)


def test_an_account_asked_for_while_the_broker_is_away_is_provisioned_later(
    not_eager,  # noqa: F811
    unreachable,  # noqa: F811
    systems,
    tenant,
    functional_admin,
    catalogue,
    subscribe,
    django_capture_on_commit_callbacks,
):
    subscribe(catalogue.drive, 1)
    data = services.AccountData(
        offer_code="drive",
        given_name="Anne",
        surname="Martin",
        email="anne@perso.test",
        login="anne.outbox",
    )
    with schema_context(tenant.schema_name), broker(unreachable), outbox.watch() as sent:
        with django_capture_on_commit_callbacks(execute=True):
            account = services.account_create(
                collectivite=tenant, data=data, created_by=functional_admin, today=TODAY
            )
        account.refresh_from_db()
        assert account.state == ServiceAccount.State.PENDING
    assert sent.delayed
    assert OutboxMessage.objects.get().args == [account.pk, "create"]

    # The broker is back; here the task runs eagerly, as the worker would run it.
    app.conf.task_always_eager = True
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.outbox_sweep(now=timezone.now() + timedelta(minutes=2)) == 1
    connection.set_schema_to_public()
    with schema_context(tenant.schema_name):
        account.refresh_from_db()
    assert account.state == ServiceAccount.State.ACTIVE
    assert list(systems.nextcloud.state.users) == ["test.anne.outbox"]
    assert not OutboxMessage.objects.exists()
