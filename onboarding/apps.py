"""Public schema: the import of a syndicate's existing members (collectivités, their people
and roles, their running subscriptions) from CSV or XLSX. It creates public-schema rows
(collectivités, invitations, subscriptions) and tenant schemas through the portal's and the
contracts' services; it never imports a tenant app."""

from django.apps import AppConfig


class OnboardingConfig(AppConfig):
    name = "onboarding"
    verbose_name = "Reprise de l'existant"
    default_auto_field = "django.db.models.BigAutoField"
