"""The public-schema projection of this app's rows (projections app), and its reconciliation.

Every write of a `ServiceAccount` or a `QuotaRequest` (accounts/services.py, accounts/tasks.py)
calls `account_mirror` / `quota_request_mirror` in the same transaction: the back-office reads
the projection and never the N tenant schemas (issue 17). The invariant: for each collectivité,
the projection holds exactly one row per non-purged account and one per quota request of its
schema, equal field for field to what `_account_row` / `_request_row` make of them.
`reconcile_here` restores that invariant for one schema and says what it changed; the nightly
job (`tasks.projections_reconcile`) runs it over every collectivité, one schema at a time, each
in its own short transaction, so that it never holds locks on more than one schema.

The same job checks the references from this schema to the public one (DESIGN §2 as amended by
issue 19): accounts, requests and events hold plain ids of offers, subscriptions and people,
without database constraints (a constraint would put two triggers per schema on the public
table). A reference to a row that no longer exists is reported; references to people are then
cleared (the events keep the name in their message), references to offers and subscriptions
are left for a person to decide.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import ProvisioningEvent, QuotaRequest, ServiceAccount
from catalogue.models import Offer
from contracts.models import Subscription
from portal.models import Collectivite, User
from projections.models import AccountProjection, QuotaRequestProjection

log = logging.getLogger(__name__)

ACCOUNT_FIELDS = [
    "offer_id",
    "kind",
    "state",
    "holder",
    "login",
    "quota_bytes",
    "used_bytes",
    "usage_percent",
    "failure_reason",
]
REQUEST_FIELDS = [
    "account_id",
    "holder",
    "login",
    "kind",
    "extra_gb",
    "reason",
    "status",
    "requested_at",
    "decided_at",
    "used_bytes",
    "quota_bytes",
]


def _collectivite_id() -> int:
    """The collectivité whose schema is active: the request's tenant when there is one, else
    looked up by schema name (jobs and back-office pages enter a schema by name)."""
    tenant = getattr(connection, "tenant", None)
    if isinstance(tenant, Collectivite) and tenant.pk:
        return tenant.pk
    return Collectivite.objects.values_list("pk", flat=True).get(schema_name=connection.schema_name)


def _account_row(account: ServiceAccount) -> dict[str, Any]:
    return {
        "offer_id": account.offer_id,
        "kind": account.kind,
        "state": account.state,
        "holder": account.display_name,
        "login": account.login,
        "quota_bytes": account.quota_bytes,
        "used_bytes": account.used_bytes,
        "usage_percent": account.usage_percent,
        "failure_reason": account.failure_reason,
    }


def _request_row(request: QuotaRequest, account: ServiceAccount) -> dict[str, Any]:
    return {
        "account_id": request.account_id,
        "holder": account.display_name,
        "login": account.login,
        "kind": account.kind,
        "extra_gb": request.extra_gb,
        "reason": request.reason,
        "status": request.status,
        "requested_at": request.requested_at,
        "decided_at": request.decided_at,
        "used_bytes": account.used_bytes,
        "quota_bytes": account.quota_bytes,
    }


def account_mirror(account: ServiceAccount, *, collectivite_id: int | None = None) -> None:
    """Write the account's projection (and the account's figures on its requests' rows)."""
    collectivite_id = collectivite_id or _collectivite_id()
    if account.state == ServiceAccount.State.PURGED:
        AccountProjection.objects.filter(
            collectivite_id=collectivite_id, account_id=account.pk
        ).delete()
    else:
        AccountProjection.objects.bulk_create(
            [
                AccountProjection(
                    collectivite_id=collectivite_id,
                    account_id=account.pk,
                    updated_at=timezone.now(),
                    **_account_row(account),
                )
            ],
            update_conflicts=True,
            unique_fields=["collectivite", "account_id"],
            update_fields=[*ACCOUNT_FIELDS, "updated_at"],
        )
    QuotaRequestProjection.objects.filter(
        collectivite_id=collectivite_id, account_id=account.pk
    ).update(
        holder=account.display_name,
        login=account.login,
        used_bytes=account.used_bytes,
        quota_bytes=account.quota_bytes,
    )


def quota_request_mirror(
    request: QuotaRequest, account: ServiceAccount, *, collectivite_id: int | None = None
) -> None:
    QuotaRequestProjection.objects.bulk_create(
        [
            QuotaRequestProjection(
                collectivite_id=collectivite_id or _collectivite_id(),
                request_id=request.pk,
                updated_at=timezone.now(),
                **_request_row(request, account),
            )
        ],
        update_conflicts=True,
        unique_fields=["collectivite", "request_id"],
        update_fields=[*REQUEST_FIELDS, "updated_at"],
    )


# --- Reconciliation -----------------------------------------------------------------------------


@dataclass
class Drift:
    """What `reconcile_here` found in one schema; `details` names each row."""

    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    dangling: int = 0
    details: list[dict[str, Any]] = field(default_factory=list)

    def note(self, what: str, table: str, pk: int, **extra: Any) -> None:
        setattr(self, what, getattr(self, what) + 1)
        self.details.append({"what": what, "table": table, "id": pk, **extra})


def _sync(model, key: str, fields: list[str], expected: dict[int, dict], cid: int, drift: Drift):
    table = model._meta.db_table
    actual = {getattr(p, key): p for p in model.objects.filter(collectivite_id=cid)}
    now = timezone.now()
    for pk, values in expected.items():
        row = actual.pop(pk, None)
        if row is None:
            model.objects.create(collectivite_id=cid, updated_at=now, **{key: pk}, **values)
            drift.note("inserted", table, pk)
            continue
        changed = [name for name in fields if getattr(row, name) != values[name]]
        if changed:
            for name in changed:
                setattr(row, name, values[name])
            row.updated_at = now
            row.save(update_fields=[*changed, "updated_at"])
            drift.note("updated", table, pk, fields=changed)
    for pk, row in actual.items():
        row.delete()
        drift.note("deleted", table, pk)


def _dangling(drift: Drift) -> None:
    """References to public rows that do not exist (any more)."""
    offers = set(ServiceAccount.objects.values_list("offer_id", flat=True))
    known = set(Offer.objects.filter(pk__in=offers).values_list("pk", flat=True))
    for pk in sorted(offers - known):
        drift.note("dangling", "catalogue_offer", pk, referred_by="accounts_serviceaccount")
    subscriptions = set(
        QuotaRequest.objects.exclude(subscription_id=None).values_list("subscription_id", flat=True)
    )
    known = set(Subscription.objects.filter(pk__in=subscriptions).values_list("pk", flat=True))
    for pk in sorted(subscriptions - known):
        drift.note("dangling", "contracts_subscription", pk, referred_by="accounts_quotarequest")
    people = {
        (ServiceAccount, "created_by_id"),
        (ServiceAccount, "closed_by_id"),
        (QuotaRequest, "requested_by_id"),
        (QuotaRequest, "decided_by_id"),
        (ProvisioningEvent, "actor_id"),
    }
    for model, column in sorted(people, key=lambda p: (p[0].__name__, p[1])):
        ids = set(model.objects.exclude(**{column: None}).values_list(column, flat=True).distinct())
        missing = ids - set(User.objects.filter(pk__in=ids).values_list("pk", flat=True))
        for pk in sorted(missing):
            drift.note(
                "dangling", "portal_user", pk, referred_by=f"{model._meta.db_table}.{column}"
            )
        if missing:  # the person is gone: the row keeps its own record of who acted
            model.objects.filter(**{f"{column}__in": missing}).update(**{column: None})


@transaction.atomic
def reconcile_here(*, collectivite: Collectivite) -> Drift:
    """Make the projection of the active schema's collectivité exactly what its rows say, and
    report every difference and every dangling reference. Idempotent: a second run finds
    nothing."""
    drift = Drift()
    accounts = {a.pk: a for a in ServiceAccount.objects.exclude(state=ServiceAccount.State.PURGED)}
    _sync(
        AccountProjection,
        "account_id",
        ACCOUNT_FIELDS,
        {pk: _account_row(a) for pk, a in accounts.items()},
        collectivite.pk,
        drift,
    )
    requests = QuotaRequest.objects.select_related("account")
    _sync(
        QuotaRequestProjection,
        "request_id",
        REQUEST_FIELDS,
        {r.pk: _request_row(r, r.account) for r in requests},
        collectivite.pk,
        drift,
    )
    _dangling(drift)
    return drift
