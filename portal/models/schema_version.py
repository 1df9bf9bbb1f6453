"""Which migrations each tenant schema has, as recorded by the deploy command
(`manage.py migrate_tenants`): one row per schema, read in one query to find those behind."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SchemaVersion(models.Model):
    """The code's migration fingerprint (portal.schema_versions.fingerprint) a schema was last
    brought to, and its last failure if the deploy command could not migrate it."""

    schema_name = models.CharField(max_length=63, unique=True)
    fingerprint = models.CharField(max_length=64, db_index=True)
    migrated_at = models.DateTimeField(null=True)
    failed_at = models.DateTimeField(null=True)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("version de schéma")

    def __str__(self) -> str:
        return f"{self.schema_name} @ {self.fingerprint[:12]}"
