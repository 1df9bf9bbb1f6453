"""Service accounts of one collectivité (tenant schema): mailboxes, drive accounts and visio
rooms with their quotas and usage (A1–A6, S5), quota-increase requests, and the log of what
the provisioning did in the real systems.

The offer an account counts against, the subscription that pays for it and the people who
acted live in the public schema: a tenant model may point there, never the other way round.
In the database those references are plain indexed ids, without a foreign-key constraint
(`db_constraint=False`, DESIGN §2 as amended by issue 19): a constraint from each of N schemas
puts two integrity triggers per schema on the public table, and every UPDATE of `portal_user`
(each sign-in) then pays for thousands of them. The service that writes the id checks that the
row exists (it loads it); the nightly reconciliation (accounts/projection.py) reports an id
whose row is gone. Public rows are archived, never deleted: an offer stops being orderable,
a person is deactivated, a subscription ends — the ids stay valid. For Django they remain
`ForeignKey`s with `DO_NOTHING` (a deletion in the public schema cannot see the tenant tables)
so that pages can still follow them (`account.offer`, `select_related`), within one schema.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

GB = 1024**3


class Kind(models.TextChoices):
    MAIL = "mail", _("Messagerie")
    DRIVE = "drive", _("Stockage en ligne")
    VISIO = "visio", _("Visioconférence")


class ServiceAccount(models.Model):
    """One person's account in one service (A2): created by a functional administrator
    within the quantity subscribed, provisioned in the background, closed with a 3-month
    export window (A3)."""

    class State(models.TextChoices):
        PENDING = "pending", _("en cours de création")
        ACTIVE = "active", _("actif")
        FAILED = "failed", _("en échec")
        CLOSING = "closing", _("fermé, exportable")
        CLOSED = "closed", _("désactivé")
        PURGED = "purged", _("supprimé")

    kind = models.CharField(_("service"), max_length=8, choices=Kind.choices)
    offer = models.ForeignKey(
        "catalogue.Offer", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    given_name = models.CharField(_("prénom"), max_length=80)
    surname = models.CharField(_("nom"), max_length=80)
    email = models.EmailField(_("adresse du titulaire"))
    login = models.CharField(_("identifiant"), max_length=64)
    mailbox = models.EmailField(_("adresse de messagerie"), blank=True)
    quota_bytes = models.BigIntegerField(_("quota (octets)"), null=True, blank=True)
    extra_quota_gb = models.PositiveIntegerField(_("quota supplémentaire (Go)"), default=0)
    used_bytes = models.BigIntegerField(_("espace utilisé (octets)"), null=True, blank=True)
    usage_read_at = models.DateTimeField(_("usage relevé le"), null=True, blank=True)
    warned_percent = models.PositiveSmallIntegerField(default=0)  # 0, 90 or 100 (A4)
    room_id = models.CharField(_("salle"), max_length=80, blank=True)
    room_name = models.CharField(_("nom de la salle"), max_length=120, blank=True)
    state = models.CharField(
        _("état"), max_length=8, choices=State.choices, default=State.PENDING, db_index=True
    )
    failure_reason = models.CharField(_("raison de l'échec"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    activated_at = models.DateTimeField(null=True, blank=True)
    closed_on = models.DateField(_("fermé le"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    close_reason = models.CharField(_("motif de fermeture"), max_length=200, blank=True)
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("compte de service")
        verbose_name_plural = _("comptes de service")
        ordering = ["kind", "surname", "given_name", "id"]
        constraints = [
            # One live account per login and service; a purged login may be reused.
            models.UniqueConstraint(
                fields=["kind", "login"],
                condition=~models.Q(state="purged"),
                name="account_login_unique_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.get_kind_display()})"

    @property
    def display_name(self) -> str:
        return f"{self.given_name} {self.surname}".strip()

    @property
    def usage_percent(self) -> int | None:
        if self.used_bytes is None or not self.quota_bytes:
            return None
        return min(100, int(self.used_bytes * 100 // self.quota_bytes))

    @property
    def live(self) -> bool:
        """Counted against the quantity subscribed (A2)."""
        return self.state in LIVE_STATES


LIVE_STATES = (
    ServiceAccount.State.PENDING,
    ServiceAccount.State.ACTIVE,
    ServiceAccount.State.FAILED,
)


class QuotaRequest(models.Model):
    """A request for more space for one account (A4), decided by the syndicate: approved, it
    becomes extra-quota on the collectivité's subscription (billed); refused, with a reason."""

    class Status(models.TextChoices):
        PENDING = "pending", _("en attente du syndicat")
        APPROVED = "approved", _("accordée")
        REFUSED = "refused", _("refusée")
        CANCELLED = "cancelled", _("annulée")

    account = models.ForeignKey(
        ServiceAccount, on_delete=models.PROTECT, related_name="quota_requests"
    )
    extra_gb = models.PositiveIntegerField(_("espace supplémentaire demandé (Go)"))
    reason = models.TextField(_("motif"), blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_at = models.DateTimeField(auto_now_add=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    refusal_reason = models.TextField(_("raison du refus"), blank=True)
    # The public-schema subscription that carries (and bills) the extra quota once approved.
    subscription = models.ForeignKey(
        "contracts.Subscription",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )

    class Meta:
        verbose_name = _("demande de quota")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=models.Q(status="pending"),
                name="one_pending_quota_request_per_account",
            ),
        ]

    def __str__(self) -> str:
        return f"+{self.extra_gb} Go pour {self.account}"


class ProvisioningEvent(models.Model):
    """What the provisioning did for one account in one system, in order: the account's
    event log (issue 6, build 4)."""

    class Outcome(models.TextChoices):
        OK = "ok", _("réussi")
        RETRY = "retry", _("nouvel essai prévu")
        FAILED = "failed", _("échec")
        INFO = "info", _("information")

    account = models.ForeignKey(ServiceAccount, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    action = models.CharField(max_length=20)
    system = models.CharField(max_length=40, blank=True)
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    message = models.CharField(max_length=500, blank=True)
    detail = models.TextField(blank=True)  # technical: status, body excerpt; never a secret
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.action} {self.system} {self.outcome}"
