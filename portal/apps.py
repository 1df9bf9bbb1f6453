"""Public schema: collectivités (tenant model) and domains, users and memberships, invitations,
API tokens, the audit log, the back-office home."""

from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portail"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from portal import cached
        from portal.models import Collectivite, Domain, Syndicate

        for model in (Collectivite, Domain):
            post_save.connect(cached.tenant_changed, sender=model, dispatch_uid=f"tc-{model}")
            post_delete.connect(cached.tenant_changed, sender=model, dispatch_uid=f"td-{model}")
        post_save.connect(cached.syndicate_changed, sender=Syndicate, dispatch_uid="sc")
