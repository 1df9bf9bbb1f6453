"""Billing tasks: a run fans out tasks of a few collectivités each and gathers at the end (a
Celery chord). Every step is idempotent: a resumed or repeated run invoices nothing twice.

Collectivités go by batches of `BATCH` per task: one task per collectivité spent about a
third of each invoice's time in Celery's own bookkeeping (the chord's counter and results in
Redis, acknowledgements) — bench/README.md."""

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
    batches = [ids[i : i + BATCH] for i in range(0, len(ids), BATCH)]
    chord(billing_run_collectivites.s(run_id, batch) for batch in batches)(
        billing_run_finish.si(run_id)
    )
    return len(ids)


BATCH = 8


@shared_task
def billing_run_continue(run_id: int, collectivite_ids: list[int]) -> int:
    """A run resumed by the watchdog: the collectivités left, then the end of the run."""
    if not collectivite_ids:
        services.billing_run_finish(BillingRun.objects.get(pk=run_id))
        return 0
    batches = [collectivite_ids[i : i + BATCH] for i in range(0, len(collectivite_ids), BATCH)]
    chord(billing_run_collectivites.s(run_id, batch) for batch in batches)(
        billing_run_finish.si(run_id)
    )
    return len(collectivite_ids)


@shared_task
def billing_runs_watchdog() -> dict:
    return services.billing_runs_watchdog()


@shared_task(acks_late=True)
def billing_run_collectivites(run_id: int, collectivite_ids: list[int]) -> None:
    run = BillingRun.objects.get(pk=run_id)
    for collectivite_id in collectivite_ids:
        services.billing_run_collectivite(run, collectivite_id)


@shared_task(acks_late=True)
def billing_run_collectivite(run_id: int, collectivite_id: int) -> None:
    """One collectivité (kept for messages queued before batches existed)."""
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


RENDER_RETRIES = 5


@shared_task(bind=True, acks_late=True, max_retries=RENDER_RETRIES)
def invoice_render_task(self, invoice_id: int) -> bool:
    """Render an invoice's PDF; a failure is recorded on the invoice (`pdf_error`) and the
    render retried with a growing delay. Idempotent: a re-render replaces the file."""
    from billing.models import Invoice

    invoice = Invoice.objects.get(pk=invoice_id)
    error = services.invoice_render_attempt(invoice=invoice)
    if error:
        raise self.retry(countdown=60 * 2**self.request.retries, exc=RuntimeError(error))
    return True


@shared_task(bind=True, acks_late=True, max_retries=RENDER_RETRIES)
def credit_note_render_task(self, note_id: int) -> bool:
    """Render a credit note's PDF (never inside the request that issued it); as above."""
    from billing.models import CreditNote

    note = CreditNote.objects.get(pk=note_id)
    error = services.credit_note_render_attempt(note=note)
    if error:
        raise self.retry(countdown=60 * 2**self.request.retries, exc=RuntimeError(error))
    return True


@shared_task
def request_engagement_numbers() -> int:
    """Daily (beat): ask for the engagement number of a budget year a month before a renewal."""
    from billing.engagements import engagement_requests_run

    return engagement_requests_run(today=timezone.localdate())


@shared_task(acks_late=True)
def payments_import_task(job_id: int) -> str:
    from billing import services

    return services.payments_import_run(job_id).status


@shared_task
def send_estimate_notices() -> int:
    """Daily (beat): from the syndicate's autumn day, e-mail next year's estimate, once."""
    from billing import estimate_services

    return estimate_services.estimate_notices_run(today=timezone.localdate())
