"""Public schema: the services' status, announcements (incidents, planned maintenance, news),
their feeds and e-mails, the Alertmanager webhook and availability.

Public because one announcement spans members: an incident on the mail service concerns every
collectivité subscribing it, the syndicate writes it once, and its history (availability per
month) is the syndicate's. Collectivités are reached through their subscriptions (contracts,
public); this app never imports a tenant app."""

from django.apps import AppConfig


class StatusConfig(AppConfig):
    name = "status"
    verbose_name = "État des services"
    default_auto_field = "django.db.models.BigAutoField"
