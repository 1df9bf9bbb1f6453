"""Work to run after a commit, recorded in the same transaction (issue 18: no task is lost)."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone


class OutboxMessage(models.Model):
    """A Celery task to send once the transaction that recorded it has committed.

    The row commits or rolls back with the change that asked for the work, so a broker outage
    delays the work but never strands it: the row is deleted once the broker took the task,
    and the sweeper (portal.outbox.outbox_sweep, every minute) sends again what is left. The
    tasks are idempotent (DESIGN §2), so a task sent twice after a crash does nothing more."""

    task = models.CharField(max_length=200)
    # The Celery task id, the same at every send: a result can be followed from the row.
    task_id = models.UUIDField(default=uuid.uuid4, unique=True)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    schema_name = models.CharField(max_length=63, default="public")
    created_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["created_at"], name="outbox_created_at")]

    def __str__(self) -> str:
        return f"{self.task} ({self.schema_name})"
