"""Training jobs: thin, idempotent (notices are unique per registration and kind)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from trainings import services


@shared_task
def trainings_daily() -> dict:
    """Each morning: flag undersized sessions to the syndicate, send convocations (15 days
    before) and reminders (the day before)."""
    today = timezone.localdate()
    flagged = services.sessions_flag_undersized(today=today)
    sent = services.notices_send(today=today)
    return {"flagged": len(flagged), "sent": sent}


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_cancellation_notices(registration_ids: list[int]) -> int:
    return services.cancellation_notices_send(registration_ids=registration_ids)
