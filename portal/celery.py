"""The Celery app. Tasks carry the tenant's schema (tenant-schemas-celery, P4): a task sent
while a collectivité's schema is active runs in that schema on the worker."""

import os

from celery.schedules import crontab
from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.dev")

app = CeleryApp("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Scheduled jobs. Later issues add theirs (billing run on the 1st, renewals, usage…).
app.conf.beat_schedule = {
    # Assistance: SLA warnings (75 % to the assignee, breach to the lead) and mailed replies.
    "support-sla-warnings": {"task": "support.tasks.send_sla_warnings", "schedule": 300.0},
    "support-fetch-mailbox": {"task": "support.tasks.fetch_mailbox", "schedule": 120.0},
    "remind-overdue-invoices": {
        "task": "billing.tasks.remind_overdue_invoices",
        "schedule": crontab(minute=30, hour=8),
    },
    "billing-request-engagement-numbers": {
        "task": "billing.tasks.request_engagement_numbers",
        "schedule": crontab(minute=20, hour=8),
    },
    # Issue 18: a run whose worker died is resumed, a lost PDF rendered again.
    "billing-runs-watchdog": {
        "task": "billing.tasks.billing_runs_watchdog",
        "schedule": 300.0,
    },
    "monthly-billing-run": {
        "task": "billing.tasks.monthly_billing_run",
        "schedule": crontab(minute=0, hour=6, day_of_month=1),
    },
    "billing-estimate-notices": {
        "task": "billing.tasks.send_estimate_notices",
        "schedule": crontab(minute=0, hour=9),
    },
    # Issue 18: tasks recorded while the broker was away are sent when it is back.
    "outbox-sweep": {
        "task": "portal.tasks.outbox_sweep",
        "schedule": 60.0,
    },
    "purge-expired-login-handoffs": {
        "task": "portal.tasks.purge_expired_handoffs",
        "schedule": crontab(minute=17, hour=3),
    },
    # Contracts (CELERY_TIMEZONE is Europe/Paris): quotes expire the day after `valid_until`,
    # renewals take effect on the anniversary, reminders go out in office hours.
    "contracts-expire-quotes": {
        "task": "contracts.tasks.expire_quotes",
        "schedule": crontab(minute=10, hour=2),
    },
    "contracts-renew-subscriptions": {
        "task": "contracts.tasks.renew_subscriptions",
        "schedule": crontab(minute=20, hour=2),
    },
    "contracts-remind-expiring-quotes": {
        "task": "contracts.tasks.remind_expiring_quotes",
        "schedule": crontab(minute=0, hour=8),
    },
    "contracts-remind-renewals": {
        "task": "contracts.tasks.remind_renewals",
        "schedule": crontab(minute=10, hour=8),
    },
    # Service accounts (A3, A4, S5): usage every hour, closings and purges each night.
    "accounts-collect-usage": {
        "task": "accounts.tasks.collect_usage",
        "schedule": crontab(minute=5),
    },
    "accounts-daily": {
        "task": "accounts.tasks.accounts_daily",
        "schedule": crontab(minute=40, hour=2),
    },
    # Service status (issue 13): planned maintenance announced N days before, once per person.
    "status-maintenance-reminders": {
        "task": "status.tasks.maintenance_reminders",
        "schedule": crontab(minute=25),
    },
    # Trainings (F2): undersized sessions flagged, convocations and reminders sent once.
    "trainings-daily": {
        "task": "trainings.tasks.trainings_daily",
        "schedule": crontab(minute=30, hour=7),
    },
    # The end of a membership (issue 15): retention notices and purges, non-payment steps.
    "lifecycle-daily": {
        "task": "lifecycle.tasks.lifecycle_daily",
        "schedule": crontab(minute=50, hour=2),
    },
    # The public projection of every tenant's accounts, repaired and reported (issue 17).
    "accounts-projections-reconcile": {
        "task": "accounts.tasks.projections_reconcile",
        "schedule": crontab(minute=50, hour=3),
    },
}
