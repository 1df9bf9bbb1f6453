"""Scheduled jobs of the end of a membership: thin, idempotent, in the public schema."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from lifecycle.services import exports, retention, suspension


@shared_task
def lifecycle_daily() -> dict:
    """Each night: retention notices and purges (P5, L1), then the non-payment steps (L2) —
    notices, proposals, and the lifting of suspensions whose invoice got settled."""
    today = timezone.localdate()
    return {
        "retention": retention.retention_run(today=today),
        "suspension_notices": suspension.notices_run(today=today),
        "suspension_steps": suspension.proposals_run(today=today),
        "exports_expired": exports.exports_expire(),
    }


@shared_task(acks_late=True)
def reversibility_export_build(export_id: int) -> str:
    """Build one reversibility ZIP (idempotent: a second run rebuilds the same file)."""
    return exports.export_build(export_id).status
