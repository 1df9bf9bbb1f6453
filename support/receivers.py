"""What the support app does when another app tells it something (connected in apps.py)."""

from __future__ import annotations

from django.dispatch import receiver

from portal.outbox import outbox_send
from status.signals import incident_closed


@receiver(incident_closed, dispatch_uid="support.answer_incident_tickets")
def answer_linked_tickets(sender, *, announcement, closed_by, note: str, **kwargs) -> None:
    """Queued after the closing commits: the linked requests are answered and resolved by
    `support.services.incident_tickets_answer` (idempotent, one reply per request)."""
    outbox_send(
        "support.tasks.answer_incident_tickets",
        announcement.pk,
        closed_by.pk if closed_by is not None else None,
        note,
    )
