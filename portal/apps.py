"""Public schema: collectivités (tenant model) and domains, users and memberships, invitations,
API tokens, the audit log, the back-office home."""

from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portail"
    default_auto_field = "django.db.models.BigAutoField"
