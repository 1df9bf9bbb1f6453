"""Assistance (support requests): public schema.

The syndicate's support queue, its SLA reports and the channels' calendars span every member
collectivité (DESIGN §2: what the syndicate owns and must see across members), and the
exceptional interventions it bills feed the syndicate's invoices; so tickets, their history,
guides and estimates live in the public schema, each row carrying its collectivité, and every
tenant-site read filters by the current tenant (another collectivité's ticket is a 404).
Attachments are stored per collectivité, under `support/<schema>/`, and served only through a
view that checks the right. The app never imports or foreign-keys a tenant app: the account a
request is about is recorded by its identifier and label only.
"""

from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "support"
    verbose_name = "Assistance"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Requests linked to an incident are answered when it closes (status.signals).
        from support import receivers  # noqa: F401
