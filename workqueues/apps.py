"""Work queues: what waits for each person, on every home page and in the navigation badges.

No models and no schema of its own: it reads both schemas (the public one for requests,
quotes, invoices; the collectivité's for its service accounts) by calling each app's
selectors. Like the URL confs, it is wiring that sits above the apps, so that the shared apps
never import the tenant app `accounts` (DESIGN §2)."""

from django.apps import AppConfig


class WorkQueuesConfig(AppConfig):
    name = "workqueues"
    verbose_name = "Files de travail"
