"""Issue 18: work asked for after a commit is recorded with it (the outbox), so that a broker
that cannot be reached delays the work but never loses it. The broker here is the real Redis;
"unreachable" is a closed port of 127.0.0.1; the worker is a real Celery worker (a thread)."""

from __future__ import annotations

import re
import socket
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from portal import outbox, services
from portal.celery import app
from portal.models import OutboxMessage, Role
from tests.portal.integration.test_celery import real_worker  # noqa: F401 - a fixture


@contextmanager
def broker(url: str):
    """Publish to `url` (the app's connection pools are made anew for it); workers still
    read from the configured broker."""
    previous = app.conf.get("broker_write_url")
    app.conf.broker_write_url = url
    app._pool = None
    app.amqp._producer_pool = None
    try:
        yield
    finally:
        app.conf.broker_write_url = previous
        app._pool = None
        app.amqp._producer_pool = None


@pytest.fixture
def not_eager():
    app.conf.task_always_eager = False
    try:
        yield
    finally:
        app.conf.task_always_eager = True


@pytest.fixture(scope="session")
def unreachable():
    """A broker address where nothing answers: a port of 127.0.0.1 held bound but not
    listening (connections are refused, and no other server of the session can take it)."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield f"redis://127.0.0.1:{held.getsockname()[1]}/0"


def test_a_task_asked_for_while_the_broker_is_away_runs_once_it_is_back(
    not_eager,
    unreachable,
    tenant,
    django_capture_on_commit_callbacks,
    real_worker,  # noqa: F811
):
    with (
        broker(unreachable),
        schema_context(tenant.schema_name),
        outbox.watch() as sent,
        django_capture_on_commit_callbacks(execute=True),
    ):
        outbox.outbox_send("portal.tasks.tenant_schema_status")

    [kept] = OutboxMessage.objects.all()
    assert sent.delayed
    assert (kept.task, kept.schema_name, kept.attempts) == (
        "portal.tasks.tenant_schema_status",
        "c_test",
        1,
    )
    assert "Error" in kept.last_error

    # Too young for the sweeper: left to its own dispatch.
    assert outbox.outbox_sweep() == 0
    # The broker is back (the real Redis) and a minute has passed: the beat's sweep sends it,
    # the worker runs it in the collectivité's schema.
    assert outbox.outbox_sweep(now=timezone.now() + timedelta(minutes=2)) == 1
    assert not OutboxMessage.objects.exists()
    assert app.AsyncResult(str(kept.task_id)).get(timeout=20)["schema"] == "c_test"


def test_while_the_broker_is_away_nothing_is_sent_twice_nor_lost(
    not_eager, unreachable, tenant, django_capture_on_commit_callbacks
):
    with broker(unreachable), django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            outbox.outbox_send("portal.tasks.tenant_schema_status")
        later = timezone.now() + timedelta(minutes=2)
        # The sweeper stops at the first refusal rather than knocking three times.
        assert outbox.outbox_sweep(now=later) == 0

    assert sorted(OutboxMessage.objects.values_list("attempts", flat=True)) == [1, 1, 2]


def test_an_invitation_asked_while_the_broker_is_away_is_mailed_once_it_is_back(
    not_eager, unreachable, tenant, django_capture_on_commit_callbacks, mailoutbox
):
    """The invitation is kept and said sent at once; its e-mail leaves with the sweep, with a
    link that works. The link's token is not in the outbox's row in clear."""
    with broker(unreachable), django_capture_on_commit_callbacks(execute=True):
        invitation = services.invitation_create(
            collectivite=tenant,
            email="Secretaire@Mairie-Test.fr",
            role=Role.AGENT,
            invited_by=None,
        )
    [kept] = OutboxMessage.objects.all()
    assert kept.task == "portal.tasks.send_invitation_email"
    assert mailoutbox == []

    app.conf.task_always_eager = True  # the broker is back; the task runs here, not in a worker
    assert outbox.outbox_sweep(now=timezone.now() + timedelta(minutes=2)) == 1
    [message] = mailoutbox
    assert message.to == ["secretaire@mairie-test.fr"]
    token = re.search(r"/invitation/([\w-]+)/", message.body).group(1)
    assert token not in str(kept.args)
    assert services.invitation_get(token=token, collectivite=tenant) == invitation
