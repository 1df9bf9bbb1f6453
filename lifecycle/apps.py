"""Public schema: the end of a membership (issue 15) — the retention of a collectivité's
personal data after its last contract (P5, L1), the suspension for non-payment (L2), the
syndicate's notices (L3) and the reversibility exports. These are the syndicate's records
about its members, kept across collectivités, so they live in the public schema; the data they
act on in a collectivité's own schema (its service accounts) is reached through the handlers
a tenant app registers (lifecycle/tenant_data.py), never by importing it."""

from django.apps import AppConfig


class LifecycleConfig(AppConfig):
    name = "lifecycle"
    verbose_name = "Fin d'adhésion"
    default_auto_field = "django.db.models.BigAutoField"
