"""Public schema: the syndicate's projection of what it works on across its members — one row
per service account and per quota request of every collectivité, mirrored from the tenant
schemas in the same transaction as the tenant row (accounts/projection.py), repaired each night
by the reconciliation job, which records what it found (`ReconciliationReport`).

It lives in the public schema so that no page or API call has to read N tenant schemas: the
back-office queues read these rows with their indexes, whatever the number of collectivités.
Like every shared app, it never imports or points at the tenant app it mirrors: the tenant
rows are referred to by plain ids (`account_id`, `request_id`)."""

from django.apps import AppConfig


class ProjectionsConfig(AppConfig):
    name = "projections"
    verbose_name = "Projections des collectivités"
    default_auto_field = "django.db.models.BigAutoField"
