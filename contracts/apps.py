"""Public schema: service requests, quotes, framework agreements, subscriptions; rules.py."""

from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "contracts"
    verbose_name = "Contrats"
    default_auto_field = "django.db.models.BigAutoField"
