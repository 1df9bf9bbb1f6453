"""Trainings (public schema): the catalogue of trainings, their sessions, registrations of
named agents by their collectivité, the notices sent to them, and attendance."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from trainings.domain import (
    ATTENDANCE_LABELS,
    REGISTRATION_STATUS_LABELS,
    Attendance,
    NoticeKind,
    RegistrationStatus,
)

ENDS_BEFORE_START = "La fin doit suivre le début."
MINIMUM_ABOVE_CAPACITY = "L'effectif minimal ne peut pas dépasser le nombre de places."


class Training(models.Model):
    class Mode(models.TextChoices):
        ON_SITE = "on_site", _("sur site")
        REMOTE = "remote", _("à distance")

    title = models.CharField(_("intitulé"), max_length=200)
    audience = models.CharField(_("public"), max_length=300, blank=True)
    description = models.TextField(_("programme"), blank=True)
    half_days = models.PositiveSmallIntegerField(
        _("durée (demi-journées)"), default=1, validators=[MinValueValidator(1)]
    )
    mode = models.CharField(_("modalité"), max_length=10, choices=Mode.choices)
    offer = models.ForeignKey(
        "catalogue.Offer",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("offre de rattachement"),
        help_text=_("Une formation du forfait Métiers consomme ses demi-journées incluses."),
    )
    is_visio_referent_training = models.BooleanField(
        _("formation obligatoire du référent visio"), default=False
    )
    tariff_offer = models.ForeignKey(
        "catalogue.Offer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("tarif quand elle est facturée"),
        help_text=_("Vide : jamais facturée."),
    )
    cancellation_days_before = models.PositiveSmallIntegerField(
        _("annulation possible jusqu'à (jours avant)"), default=7
    )
    minimum_check_days_before = models.PositiveSmallIntegerField(
        _("effectif minimal vérifié (jours avant)"), default=21
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("formation")
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title


class Session(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("programmée")
        CANCELLED = "cancelled", _("annulée")

    training = models.ForeignKey(
        Training, on_delete=models.PROTECT, related_name="sessions", verbose_name=_("formation")
    )
    starts_at = models.DateTimeField(_("début"))
    ends_at = models.DateTimeField(_("fin"))
    place = models.CharField(_("lieu"), max_length=300, blank=True)
    link = models.URLField(_("lien de connexion"), blank=True)
    capacity = models.PositiveSmallIntegerField(_("places"), validators=[MinValueValidator(1)])
    minimum_size = models.PositiveSmallIntegerField(_("effectif minimal"), default=1)
    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("formateur"),
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PLANNED)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancellation_reason = models.CharField(_("motif de l'annulation"), max_length=300, blank=True)
    undersized_flagged_on = models.DateField(null=True, blank=True)
    attendance_recorded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("session de formation")
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="session_ends_after",
                violation_error_message=ENDS_BEFORE_START,
            ),
            models.CheckConstraint(
                condition=models.Q(minimum_size__lte=models.F("capacity")),
                name="session_minimum_within_capacity",
                violation_error_message=MINIMUM_ABOVE_CAPACITY,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.training} — {self.starts_at:%d/%m/%Y}"


class Registration(models.Model):
    """A named person registered to a session by their collectivité: a member (`user`), or an
    agent not yet a member (name and address only)."""

    session = models.ForeignKey(
        Session, on_delete=models.PROTECT, related_name="registrations", verbose_name=_("session")
    )
    collectivite = models.ForeignKey(
        "portal.Collectivite",
        on_delete=models.PROTECT,
        related_name="training_registrations",
        verbose_name=_("collectivité"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    full_name = models.CharField(_("nom complet"), max_length=150)
    email = models.EmailField(_("adresse électronique"))
    status = models.CharField(
        max_length=12,
        choices=[(s.value, REGISTRATION_STATUS_LABELS[s]) for s in RegistrationStatus],
        default=RegistrationStatus.REGISTERED.value,
    )
    attendance = models.CharField(
        max_length=10,
        null=True,
        blank=True,
        choices=[(a.value, ATTENDANCE_LABELS[a]) for a in Attendance],
    )
    po_number = models.CharField(_("bon de commande ou engagement"), max_length=60, blank=True)
    # F1, decided when the attendance is recorded: half-days drawn on the forfait, and billed.
    included_half_days = models.PositiveSmallIntegerField(null=True, blank=True)
    billed_half_days = models.PositiveSmallIntegerField(null=True, blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("inscription à une formation")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "email"],
                condition=~models.Q(status="cancelled"),
                name="registration_once_per_session",
            ),
        ]
        indexes = [models.Index(fields=["collectivite", "status"])]

    def __str__(self) -> str:
        return f"{self.full_name} — {self.session}"

    @property
    def status_label(self) -> str:
        return REGISTRATION_STATUS_LABELS[RegistrationStatus(self.status)]

    @property
    def billing_source(self) -> str:
        return f"training:registration:{self.pk}"


class Notice(models.Model):
    """An e-mail sent to a registered person about a session. Unique per registration and
    kind: a convocation, a reminder, a cancellation notice goes out once, whatever the retries
    (idempotence by the database, not by hope)."""

    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=14, choices=[(k.value, k.value) for k in NoticeKind])
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["registration", "kind"], name="notice_once"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.registration}"
