"""An import batch: the files as read, their errors by line and column (the dry run), then
the all-or-nothing import's outcome."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportBatch(models.Model):
    class Status(models.TextChoices):
        CHECKED = "checked", _("vérifié")
        QUEUED = "queued", _("import en cours")
        DONE = "done", _("importé")
        FAILED = "failed", _("refusé : rien n'a été importé")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    filenames = models.JSONField(default=dict)  # {kind: file name}
    rows = models.JSONField(default=dict)  # {kind: [{"line": n, column: text, …}]}
    errors = models.JSONField(default=list)  # [{"file", "line", "column", "message"}]
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.CHECKED)
    result = models.JSONField(default=dict)  # counts once imported
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Import n° {self.pk} ({self.get_status_display()})"
