"""Public schema: billing runs, invoices, credit notes, payments, PDF, Factur-X, exports.

Invoice numbering is the syndicate's single gapless sequence, so nothing here lives in a
tenant schema (DESIGN §2)."""

from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Facturation"
    default_auto_field = "django.db.models.BigAutoField"
