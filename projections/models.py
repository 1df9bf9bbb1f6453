"""What the syndicate sees of its members' tenant rows, without reading their schemas.

Each row mirrors one tenant row (`account_id` / `request_id` in the collectivité's schema) and
is rewritten whole by `accounts.projection` whenever the tenant row changes, in the same
transaction. The nightly reconciliation compares both sides and repairs drift (a row missing,
left over, or different), so these rows are never the record: the tenant schema is.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AccountProjection(models.Model):
    """One service account of one collectivité, as the back-office lists it (purged accounts
    have no row)."""

    collectivite = models.ForeignKey(
        "portal.Collectivite", on_delete=models.CASCADE, related_name="+"
    )
    account_id = models.BigIntegerField()
    offer_id = models.BigIntegerField()
    kind = models.CharField(max_length=8)
    state = models.CharField(max_length=8)
    holder = models.CharField(max_length=161)
    login = models.CharField(max_length=64)
    quota_bytes = models.BigIntegerField(null=True)
    used_bytes = models.BigIntegerField(null=True)
    usage_percent = models.PositiveSmallIntegerField(null=True)
    failure_reason = models.CharField(max_length=300, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("compte (projection)")
        constraints = [
            models.UniqueConstraint(
                fields=["collectivite", "account_id"], name="account_projection_unique"
            ),
        ]
        indexes = [
            # Provisioning failures across members, most recent first.
            models.Index(
                fields=["-updated_at"],
                condition=~models.Q(failure_reason=""),
                name="account_proj_failures",
            ),
            # Accounts near or over their quota (A4).
            models.Index(
                fields=["-usage_percent"],
                condition=models.Q(usage_percent__gte=90),
                name="account_proj_near_quota",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.holder} ({self.kind}, {self.collectivite_id})"


class QuotaRequestProjection(models.Model):
    """One quota-increase request (A4) of one collectivité, with the account it concerns."""

    collectivite = models.ForeignKey(
        "portal.Collectivite", on_delete=models.CASCADE, related_name="+"
    )
    request_id = models.BigIntegerField()
    account_id = models.BigIntegerField()
    holder = models.CharField(max_length=161)
    login = models.CharField(max_length=64)
    kind = models.CharField(max_length=8)
    extra_gb = models.PositiveIntegerField()
    reason = models.TextField(blank=True)
    status = models.CharField(max_length=10)
    requested_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True)
    used_bytes = models.BigIntegerField(null=True)
    quota_bytes = models.BigIntegerField(null=True)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("demande d'espace (projection)")
        constraints = [
            models.UniqueConstraint(
                fields=["collectivite", "request_id"], name="quota_request_projection_unique"
            ),
        ]
        indexes = [
            # The syndicate's queue: pending requests, oldest first.
            models.Index(
                fields=["requested_at", "collectivite", "request_id"],
                condition=models.Q(status="pending"),
                name="quota_proj_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"+{self.extra_gb} Go ({self.collectivite_id}/{self.request_id})"


class ReconciliationReport(models.Model):
    """What one nightly reconciliation found and repaired: drift in the projection, and tenant
    rows pointing at public rows that no longer exist (DESIGN §2, references across schemas)."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True)
    collectivites = models.PositiveIntegerField(default=0)
    inserted = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    deleted = models.PositiveIntegerField(default=0)
    dangling = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    # [{"collectivite": slug, "table": …, "id": …, "what": "inserted|updated|deleted|dangling…"}]
    details = models.JSONField(default=list)

    class Meta:
        verbose_name = _("rapport de réconciliation")
        ordering = ["-started_at", "-id"]
        get_latest_by = "started_at"

    def __str__(self) -> str:
        return f"Réconciliation du {self.started_at:%d/%m/%Y %H:%M}"

    @property
    def drift(self) -> int:
        return self.inserted + self.updated + self.deleted
