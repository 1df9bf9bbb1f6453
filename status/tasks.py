"""Jobs of the notifier: thin, idempotent (each e-mail is sent once, see
`services.announcement_notify`)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from status import services


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def announcement_notify(announcement_id: int, event: str) -> int:
    return services.announcement_notify(announcement_id=announcement_id, event=event)


@shared_task
def maintenance_reminders() -> int:
    """Hourly: planned maintenance announced a set number of days before it starts."""
    return services.maintenance_reminders_send(now=timezone.now())
