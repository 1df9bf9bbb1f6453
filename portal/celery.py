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
    "purge-expired-login-handoffs": {
        "task": "portal.tasks.purge_expired_handoffs",
        "schedule": crontab(minute=17, hour=3),
    },
}
