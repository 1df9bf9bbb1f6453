"""The syndicate's records of how memberships end (public schema, issue 15): retention cases
(P5, L1), non-payment procedures (L2), notices to the syndicate (L3 and the retention notice)
and reversibility exports."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RetentionCase(models.Model):
    """One collectivité whose last contract ended: told 30 days before, purged one year after
    the effective end (P5). A new contract before the purge cancels the case."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("en attente")
        NOTICED = "noticed", _("syndicat averti")
        PURGING = "purging", _("purge en cours")
        PURGED = "purged", _("données personnelles purgées")
        CANCELLED = "cancelled", _("annulé (nouveau contrat)")

    collectivite = models.ForeignKey(
        "portal.Collectivite", on_delete=models.PROTECT, related_name="retention_cases"
    )
    ended_on = models.DateField(_("fin du dernier contrat (exclue)"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    noticed_on = models.DateField(_("syndicat averti le"), null=True, blank=True)
    purged_at = models.DateTimeField(_("purgé le"), null=True, blank=True)
    summary = models.JSONField(default=dict, blank=True)  # counts of what was purged, no data
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("conservation des données")
        ordering = ["ended_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["collectivite", "ended_on"], name="retention_case_once_per_end"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.collectivite} — fin {self.ended_on:%d/%m/%Y}"


class Suspension(models.Model):
    """The non-payment procedure for one overdue invoice (L2): formal notice → proposal in the
    finance queue → suspension confirmed by a person → lifted by the payment."""

    class Status(models.TextChoices):
        NOTICE = "notice", _("mise en demeure envoyée")
        PROPOSED = "proposed", _("suspension proposée")
        SUSPENDED = "suspended", _("comptes suspendus")
        LIFTED = "lifted", _("levée après paiement")
        SETTLED = "settled", _("réglée avant suspension")
        DECLINED = "declined", _("suspension écartée")

    collectivite = models.ForeignKey(
        "portal.Collectivite", on_delete=models.PROTECT, related_name="suspensions"
    )
    invoice = models.ForeignKey(
        "billing.Invoice", on_delete=models.PROTECT, related_name="suspensions"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NOTICE)
    noticed_on = models.DateField(_("mise en demeure le"))
    notice_recipients = models.JSONField(default=list, blank=True)
    proposed_on = models.DateField(_("proposée le"), null=True, blank=True)
    decided_at = models.DateTimeField(_("décidée le"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decline_reason = models.CharField(_("motif"), max_length=300, blank=True)
    lifted_at = models.DateTimeField(_("levée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("procédure de suspension")
        ordering = ["noticed_on", "id"]
        constraints = [
            # One procedure per invoice, whatever came of it (a declined one is not restarted).
            models.UniqueConstraint(fields=["invoice"], name="suspension_once_per_invoice"),
            models.UniqueConstraint(
                fields=["collectivite"],
                condition=models.Q(status__in=["notice", "proposed", "suspended"]),
                name="one_open_suspension_per_collectivite",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.collectivite} — {self.invoice_id} ({self.get_status_display()})"

    @property
    def open(self) -> bool:
        return self.status in OPEN_SUSPENSION


OPEN_SUSPENSION = (
    Suspension.Status.NOTICE,
    Suspension.Status.PROPOSED,
    Suspension.Status.SUSPENDED,
)


class SyndicateNotice(models.Model):
    """A line in the syndicate's "Avis" queue: something it must know and acknowledge (L3: a
    functional administrator closed an account; L1: a collectivité's data will be purged)."""

    class Kind(models.TextChoices):
        ACCOUNT_CLOSED = "account_closed", _("compte fermé par la collectivité")
        RETENTION = "retention", _("purge des données prochaine")

    kind = models.CharField(_("nature"), max_length=20, choices=Kind.choices)
    collectivite = models.ForeignKey(
        "portal.Collectivite", on_delete=models.PROTECT, related_name="+"
    )
    summary = models.CharField(_("avis"), max_length=300)
    # What the notice is about, for idempotence: "account:12", "retention:3".
    reference = models.CharField(max_length=60)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    acknowledged_at = models.DateTimeField(_("pris en compte le"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("avis au syndicat")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["collectivite", "kind", "reference"], name="syndicate_notice_once"
            ),
        ]

    def __str__(self) -> str:
        return self.summary


def reversibility_upload_to(instance: ReversibilityExport, filename: str) -> str:
    return f"lifecycle/exports/{instance.collectivite_id}/{filename}"


class ReversibilityExport(models.Model):
    """A collectivité's whole data as one ZIP (people and roles, accounts and quotas,
    contracts, documents, invoices), built in the background, downloadable for 30 days."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("en attente")
        RUNNING = "running", _("en cours")
        DONE = "done", _("prêt")
        FAILED = "failed", _("en échec")

    collectivite = models.ForeignKey(
        "portal.Collectivite", on_delete=models.PROTECT, related_name="reversibility_exports"
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("avancement (%)"), default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    zip_file = models.FileField(upload_to=reversibility_upload_to, blank=True)
    zip_sha256 = models.CharField(max_length=64, blank=True)
    error = models.TextField(_("erreur"), blank=True)

    class Meta:
        verbose_name = _("export de réversibilité")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="reversibility_progress_max_100"
            ),
        ]

    def __str__(self) -> str:
        return f"Export de {self.collectivite}"
