"""Public schema: trainings, their sessions, registrations, notices and attendance (F1, F2).

A session gathers agents of several collectivités (its capacity is shared), the syndicate
runs it, and its billed attendances become billing deliveries: all of it is the syndicate's,
so it lives in the public schema next to contracts and billing, and never imports a tenant
app (the visio referent's training is written on the public `Membership`, A6)."""

from django.apps import AppConfig


class TrainingsConfig(AppConfig):
    name = "trainings"
    verbose_name = "Formations"
    default_auto_field = "django.db.models.BigAutoField"
