"""Beat jobs of the support app: thin, idempotent (warnings once each by a constraint; an
e-mail read twice is one history entry)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from support import mail, services


@shared_task
def send_sla_warnings() -> int:
    return services.sla_warnings_send(now=timezone.now())


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def fetch_mailbox() -> dict[str, int]:
    return mail.mailbox_fetch(now=timezone.now())


@shared_task
def answer_incident_tickets(announcement_id: int, closed_by_id: int | None, note: str) -> int:
    """After an incident closed: its linked open requests answered and resolved, once each."""
    return services.incident_tickets_answer(
        announcement_id=announcement_id, closed_by_id=closed_by_id, note=note, now=timezone.now()
    )
