"""Provisioning in the real systems, usage collection, and the daily closing and purge of
accounts (issue 6, builds 4 and 5; A3, A4, S5).

Tasks are sent from the collectivité's schema and run there (tenant-schemas-celery, P4). They
are idempotent: each connector call is (accounts/connectors/base.py), and a task first checks
that the account is still in the state its operation expects, so a task delivered twice, or a
retry after the account changed, does nothing more. No database lock is held while a system
is called.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

from celery import shared_task
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts import projection, services
from accounts.connectors import registry
from accounts.connectors.base import ConnectorError, TransientError
from accounts.models import ProvisioningEvent, ServiceAccount
from portal import notifications
from portal.models import Collectivite

log = logging.getLogger(__name__)

MAX_RETRIES = 6
BACKOFF_BASE = 5  # seconds: 5, 10, 20, 40, 80, 160 — then the account is marked failed
BACKOFF_MAX = 600

OPERATIONS = {
    # operation: (states in which it applies, connector methods in order)
    "create": ((ServiceAccount.State.PENDING,), ("create",)),
    "update": ((ServiceAccount.State.ACTIVE, ServiceAccount.State.CLOSING), ("update",)),
    "purge": ((ServiceAccount.State.CLOSED,), ("disable", "delete")),
    # L2 (issue 15): suspension for non-payment and its lifting; nothing is deleted.
    "disable": ((ServiceAccount.State.ACTIVE, ServiceAccount.State.CLOSING), ("disable",)),
    "enable": ((ServiceAccount.State.ACTIVE, ServiceAccount.State.CLOSING), ("enable",)),
}
LABELS = {
    "create": "création",
    "update": "mise à jour",
    "disable": "désactivation",
    "delete": "suppression",
    "enable": "réactivation",
}


def _collectivite() -> Collectivite:
    return Collectivite.objects.get(schema_name=connection.schema_name)


def backoff(retries: int) -> int:
    return min(BACKOFF_MAX, BACKOFF_BASE * 2**retries)


@contextmanager
def account_lock(account_id: int) -> Iterator[None]:
    """Serialize the tasks of one account (issue 18): a duplicate delivered at the same moment
    waits here for the first, then finds the account in its new state and does nothing. A
    session-level advisory lock, keyed by the schema and the account: no row lock is held
    while the systems are called, and a worker that dies releases it with its connection."""
    schema_key = zlib.crc32(connection.schema_name.encode()) - 2**31  # a signed int4
    key = (schema_key, account_id % 2**31)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", key)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", key)


@shared_task(bind=True, max_retries=MAX_RETRIES, acks_late=True)
def provision(self, account_id: int, operation: str) -> str:
    """Carry one operation of one account to every system it lives in, one task at a time
    per account."""
    with account_lock(account_id):
        return _provision(self, account_id, operation)


def _provision(task, account_id: int, operation: str) -> str:
    states, methods = OPERATIONS[operation]
    account = ServiceAccount.objects.select_related("offer").filter(pk=account_id).first()
    if account is None or account.state not in states:
        return "skipped"
    collectivite = _collectivite()
    spec = services.account_spec(account, collectivite)
    try:
        connectors = registry.connectors_for(account.offer.system)
        if operation in ("purge", "disable"):
            connectors = list(reversed(connectors))  # the services before the directory
        for connector in connectors:
            for method in methods:
                getattr(connector, method)(spec)
                services.event(
                    account,
                    action=method,
                    system=connector.name,
                    outcome=ProvisioningEvent.Outcome.OK,
                    message=f"{LABELS[method].capitalize()} réussie dans {connector.name}.",
                )
    except TransientError as exc:
        final = task.request.retries >= task.max_retries
        services.event(
            account,
            action=operation,
            outcome=(
                ProvisioningEvent.Outcome.FAILED if final else ProvisioningEvent.Outcome.RETRY
            ),
            message=(
                f"{exc.reason} — abandon après {task.request.retries + 1} essais."
                if final
                else f"{exc.reason} — nouvel essai dans {backoff(task.request.retries)} s."
            ),
            detail=exc.detail,
        )
        if final:
            _failed(account, operation, f"{exc.reason} (après {task.request.retries + 1} essais)")
            return "failed"
        raise task.retry(exc=exc, countdown=backoff(task.request.retries)) from exc
    except ConnectorError as exc:
        services.event(
            account,
            action=operation,
            outcome=ProvisioningEvent.Outcome.FAILED,
            message=exc.reason,
            detail=exc.detail,
        )
        _failed(account, operation, exc.reason)
        return "failed"
    _succeeded(account, operation, collectivite)
    return "done"


def _failed(account: ServiceAccount, operation: str, reason: str) -> None:
    with transaction.atomic():
        locked = ServiceAccount.objects.select_for_update().get(pk=account.pk)
        locked.failure_reason = reason[:300]
        fields = ["failure_reason"]
        if operation == "create" and locked.state == ServiceAccount.State.PENDING:
            locked.state = ServiceAccount.State.FAILED
            fields.append("state")
        locked.save(update_fields=fields)
        projection.account_mirror(locked)


def _succeeded(account: ServiceAccount, operation: str, collectivite: Collectivite) -> None:
    with transaction.atomic():
        locked = (
            ServiceAccount.objects.select_for_update().select_related("offer").get(pk=account.pk)
        )
        locked.failure_reason = ""
        fields = ["failure_reason"]
        if operation == "create" and locked.state == ServiceAccount.State.PENDING:
            locked.state, locked.activated_at = ServiceAccount.State.ACTIVE, timezone.now()
            fields += ["state", "activated_at"]
            notifications.notify(
                template="account_ready",
                to=[locked.email],
                context=services._mail_context(locked, collectivite),
            )
        elif operation == "purge" and locked.state == ServiceAccount.State.CLOSED:
            locked.state, locked.purged_at = ServiceAccount.State.PURGED, timezone.now()
            fields += ["state", "purged_at"]
        locked.save(update_fields=fields)
        projection.account_mirror(locked)


@shared_task
def collect_usage_here() -> int:
    """Read the usage of every open account of this schema's collectivité (A4)."""
    collectivite = _collectivite()
    read = 0
    accounts = ServiceAccount.objects.select_related("offer").filter(
        state__in=(ServiceAccount.State.ACTIVE, ServiceAccount.State.CLOSING)
    )
    by_system: dict[str, object] = {}
    for account in accounts:
        try:
            if account.offer.system not in by_system:
                by_system[account.offer.system] = registry.system(account.offer.system)
            connector = by_system[account.offer.system]
            if connector is None:
                continue
            usage = connector.usage(services.account_spec(account, collectivite))
        except ConnectorError as exc:
            log.warning("usage of account %s not read: %s", account.pk, exc.reason)
            continue
        if usage is None:
            continue
        services.usage_record(
            account=account, collectivite=collectivite, used_bytes=usage.used_bytes
        )
        read += 1
    return read


@shared_task
def daily_here() -> dict:
    """S5 then A3 for this schema's collectivité: close the accounts of ended subscriptions,
    then disable and purge the accounts whose export window is over."""
    collectivite = _collectivite()
    today = timezone.localdate()
    closed = services.accounts_close_ended(collectivite=collectivite, today=today)
    purged = services.accounts_purge_due(today=today)
    recordings = _recordings_purge(collectivite)
    return {"closed": closed, "purge_queued": purged, "recordings_deleted": recordings}


def _recordings_purge(collectivite: Collectivite) -> int:
    """Seed 004: visio recordings are kept 7 days (the offer's retention), then destroyed —
    BigBlueButton has no per-room retention, so the portal deletes the older ones."""
    deleted = 0
    rooms = ServiceAccount.objects.select_related("offer").filter(
        kind="visio", state__in=(ServiceAccount.State.ACTIVE, ServiceAccount.State.CLOSING)
    )
    for account in rooms:
        try:
            connector = registry.system(account.offer.system)
            purge = getattr(connector, "recordings_purge", None)
            if purge is not None:
                deleted += purge(services.account_spec(account, collectivite), now=timezone.now())
        except ConnectorError as exc:
            log.warning("recordings of room %s not purged: %s", account.room_id, exc.reason)
    return deleted


def _each_collectivite(task) -> int:
    sent = 0
    for schema in Collectivite.objects.values_list("schema_name", flat=True):
        with schema_context(schema):
            task.delay()
        sent += 1
    return sent


@shared_task
def collect_usage() -> int:
    """Scheduled: one usage collection per collectivité, each in its own schema."""
    return _each_collectivite(collect_usage_here)


@shared_task
def accounts_daily() -> int:
    """Scheduled: the daily closing and purge, per collectivité."""
    return _each_collectivite(daily_here)


@shared_task
def projections_reconcile() -> dict:
    """Nightly: repair the public projection of every collectivité's accounts and quota
    requests, and check their references to public rows; record what was found
    (`projections.ReconciliationReport`). One schema at a time, each in its own transaction
    (never locks on every schema at once); a schema that fails is reported, the others go on."""
    from projections.models import ReconciliationReport

    report = ReconciliationReport.objects.create(started_at=timezone.now())
    for collectivite in Collectivite.objects.order_by("pk"):
        try:
            with schema_context(collectivite.schema_name):
                drift = projection.reconcile_here(collectivite=collectivite)
        except Exception as exc:  # noqa: BLE001 — one broken schema must not stop the others
            log.exception("reconciliation of %s failed", collectivite.schema_name)
            report.failed += 1
            report.details.append(
                {"collectivite": collectivite.slug, "what": "failed", "error": str(exc)[:300]}
            )
            continue
        report.collectivites += 1
        report.inserted += drift.inserted
        report.updated += drift.updated
        report.deleted += drift.deleted
        report.dangling += drift.dangling
        report.details += [{"collectivite": collectivite.slug, **d} for d in drift.details]
    report.finished_at = timezone.now()
    report.save()
    if report.drift or report.dangling or report.failed:
        log.warning(
            "projection reconciliation: %s inserted, %s updated, %s deleted, %s dangling "
            "references, %s schemas failed",
            report.inserted,
            report.updated,
            report.deleted,
            report.dangling,
            report.failed,
        )
    return {
        "report": report.pk,
        "collectivites": report.collectivites,
        "inserted": report.inserted,
        "updated": report.updated,
        "deleted": report.deleted,
        "dangling": report.dangling,
        "failed": report.failed,
    }
