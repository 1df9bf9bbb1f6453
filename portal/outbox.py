"""The outbox: Celery tasks recorded in the transaction that asks for them (issue 18).

`outbox_send("accounts.tasks.provision", 12, "create")` writes a row in the current
transaction and, once it commits, hands the task to the broker from the schema it was asked
in (tenant-schemas-celery, P4) and deletes the row. If the broker cannot be reached — a
short connect timeout, see CELERY_BROKER_TRANSPORT_OPTIONS — the person's request still
succeeds at once, the row stays, and `outbox_sweep` (beat, every minute) sends it when the
broker is back. Nobody has to act; nothing is stranded.

Why an outbox rather than a sweeper per kind of work: every kind of deferred work (provisioning,
e-mails, PDFs, exports, runs) gets the same guarantee from one table and one job, and the row
records that the work was asked for even when the thing it acts on has no state saying so (an
e-mail, a quota update of an active account)."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta

from celery import current_app
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

from portal.models import OutboxMessage

log = logging.getLogger(__name__)

# What a broker outage raises while publishing (kombu wraps most of them).
BROKER_ERRORS = (OperationalError, RedisError, OSError)
# A row younger than this is left to the dispatch that follows its commit.
SWEEP_AFTER = timedelta(seconds=60)
SWEEP_BATCH = 500
DELAYED_MESSAGE = (
    "Le traitement en arrière-plan est momentanément indisponible : votre demande est "
    "enregistrée et sera traitée automatiquement dans quelques minutes."
)


@dataclass
class Watch:
    """What became of the tasks asked for inside an `outbox.watch()` block."""

    delayed: bool = False


# The watch of the block being run, if any: a failed dispatch marks it.
_watch: ContextVar[Watch | None] = ContextVar("outbox_watch", default=None)


@contextmanager
def watch() -> Iterator[Watch]:
    """Tell whether the tasks asked for in the block were handed to the broker at once, so
    that a view can say at once that the work will be a little late:

        with outbox.watch() as sent:
            account = services.account_create(...)
        if sent.delayed:
            messages.warning(request, outbox.DELAYED_MESSAGE)
    """
    current = Watch()
    token = _watch.set(current)
    try:
        yield current
    finally:
        _watch.reset(token)


def outbox_send(task: str, *args, **kwargs) -> OutboxMessage:
    """Record `task(*args, **kwargs)` in the current transaction; send it after the commit."""
    message = OutboxMessage.objects.create(
        task=task, args=list(args), kwargs=kwargs, schema_name=connection.schema_name
    )
    pk = message.pk
    transaction.on_commit(lambda: outbox_dispatch(pk))
    return message


def _publish(message: OutboxMessage) -> None:
    # The task's module may not be imported yet in a web process (Celery discovers tasks in
    # workers): import it, so that its options and eager mode apply.
    importlib.import_module(message.task.rpartition(".")[0])
    task = current_app.tasks[message.task]
    with schema_context(message.schema_name):
        task.apply_async(args=message.args, kwargs=message.kwargs, task_id=str(message.task_id))


def outbox_dispatch(pk: int) -> bool:
    """Hand one recorded task to the broker; False (row kept for the sweeper) on failure."""
    message = OutboxMessage.objects.filter(pk=pk).first()
    if message is None:
        return False  # sent meanwhile by the sweeper
    try:
        _publish(message)
    except BROKER_ERRORS as exc:
        current = _watch.get()
        if current is not None:
            current.delayed = True
        OutboxMessage.objects.filter(pk=pk).update(
            attempts=message.attempts + 1,
            last_attempt_at=timezone.now(),
            last_error=f"{type(exc).__name__}: {exc}"[:300],
        )
        log.warning("outbox: %s (%s) not sent yet: %s", message.task, message.schema_name, exc)
        return False
    OutboxMessage.objects.filter(pk=pk).delete()
    return True


def outbox_sweep(*, now=None) -> int:
    """Send again what was recorded more than a minute ago and is still here; the count sent.
    Rows are claimed with SKIP LOCKED, so two sweepers never send the same row together."""
    now = now or timezone.now()
    with transaction.atomic():
        claimed = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(created_at__lt=now - SWEEP_AFTER)
            .values_list("pk", flat=True)[:SWEEP_BATCH]
        )
        OutboxMessage.objects.filter(pk__in=claimed).update(last_attempt_at=now)
    sent = 0
    for pk in claimed:
        if outbox_dispatch(pk):
            sent += 1
        else:
            break  # the broker is still away: the next sweep tries again
    return sent
