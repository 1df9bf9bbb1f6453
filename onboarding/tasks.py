"""Celery tasks of the import: thin and idempotent (a batch runs once)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone


@shared_task
def import_batch_run(batch_id: int) -> str:
    from onboarding import services

    return services.import_batch_run(batch_id=batch_id, today=timezone.localdate()).status
