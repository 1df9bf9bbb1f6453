"""Tenant schema: one collectivité's service accounts (mailboxes, drive accounts, visio rooms)
with quotas and usage, quota requests, provisioning events. Its data leaves with the schema
when the collectivité leaves (P5)."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Comptes de service"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Issue 15: the purge, suspension and export of lifecycle (public) reach the accounts.
        from accounts.lifecycle import AccountsData
        from lifecycle.tenant_data import register

        register(AccountsData())
