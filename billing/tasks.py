"""Billing tasks: a run fans out one task per collectivité and gathers at the end (a Celery
chord). Every step is idempotent: a resumed or repeated run invoices nothing twice."""

from __future__ import annotations

from celery import chord, shared_task
from celery.schedules import crontab  # noqa: F401 - the schedule lives in portal/celery.py
from django.utils import timezone

from billing import services
from billing.models import BillingRun


@shared_task
def billing_run_execute(run_id: int) -> int:
    run = BillingRun.objects.get(pk=run_id)
    ids = services.billing_run_prepare(run)
    if not ids:
        run.refresh_from_db()
        if run.status != BillingRun.Status.FAILED:
            services.billing_run_finish(run)
        return 0
    chord(billing_run_collectivite.s(run_id, pk) for pk in ids)(billing_run_finish.si(run_id))
    return len(ids)


@shared_task(acks_late=True)
def billing_run_collectivite(run_id: int, collectivite_id: int) -> None:
    services.billing_run_collectivite(BillingRun.objects.get(pk=run_id), collectivite_id)


@shared_task
def billing_run_finish(run_id: int) -> None:
    services.billing_run_finish(BillingRun.objects.get(pk=run_id))


@shared_task
def monthly_billing_run() -> int:
    """On the 1st of each month (beat): invoice every contract year started and not yet
    invoiced."""
    run = services.billing_run_start(as_of=timezone.localdate(), dry_run=False, requested_by=None)
    return run.pk


@shared_task(acks_late=True)
def export_year_task(job_id: int) -> str:
    """Build an export job's files (B6); run again, it replaces them."""
    from billing.exports import export_job_run

    return export_job_run(job_id).status


@shared_task
def remind_overdue_invoices() -> int:
    return services.overdue_reminders_run(today=timezone.localdate())
