"""The append-only audit log (P2): who did what, when, to which object.

Rows are only ever inserted: `save()` refuses an update, `delete()` refuses, and a database
trigger (migration 0002) refuses UPDATE and DELETE from any client.
"""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

AUDIT_IMMUTABLE = "Le journal d'audit est en ajout seul : un événement ne peut être modifié."


class AuditEvent(models.Model):
    occurred_at = models.DateTimeField(_("date"), auto_now_add=True, db_index=True)
    # PROTECT: an audited person or collectivité is deactivated, never deleted (the log can't
    # be rewritten to forget them).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("auteur"),
    )
    actor_label = models.CharField(_("auteur (libellé)"), max_length=200, blank=True)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    collectivite = models.ForeignKey(
        "portal.Collectivite", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    summary = models.CharField(_("résumé"), max_length=300)
    data = models.JSONField(default=dict, encoder=DjangoJSONEncoder, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = _("événement d'audit")
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.occurred_at:%d/%m/%Y %H:%M} {self.action} {self.summary}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError(AUDIT_IMMUTABLE)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError(AUDIT_IMMUTABLE)
