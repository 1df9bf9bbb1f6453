"""Scheduled jobs of contracts (DESIGN Q1, S2, issue 4 §8): thin and idempotent — each calls
its service with today's date (Europe/Paris) and returns how many objects it changed; a second
run the same day changes nothing and sends nothing."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from contracts import services


@shared_task
def expire_quotes() -> int:
    """Mark the sent quotes past their validity as expired and tell the signatories."""
    return services.quote_expire_due(today=timezone.localdate())


@shared_task
def remind_expiring_quotes() -> int:
    """Remind the signatories of a quote 7 days before it expires (once per quote)."""
    return services.quote_remind_due(today=timezone.localdate())


@shared_task
def renew_subscriptions() -> int:
    """Tacit renewals at the anniversaries, reductions on their date, ends of terminated
    subscriptions."""
    return services.renewals_run(today=timezone.localdate())


@shared_task
def remind_renewals() -> int:
    """Tell each collectivité, 3 months before an anniversary, the last day to give notice."""
    return services.renewal_reminders_run(today=timezone.localdate())
