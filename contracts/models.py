"""Requests, subscriptions (public schema). The ordering issue adds quotes, agreements and
the contract dates; what is here is what the catalogue already needs: the collectivité's
draft request ("add to my request") and the subscriptions it holds."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class ServiceRequest(models.Model):
    """A collectivité's expression of needs (demande). One draft at a time per collectivité,
    shared by its members, until it is submitted."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("brouillon")
        SUBMITTED = "submitted", _("transmise")

    collectivite = models.ForeignKey(
        "portal.Collectivite", on_delete=models.PROTECT, related_name="service_requests"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("demande")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["collectivite"],
                condition=models.Q(status="draft"),
                name="one_draft_request_per_collectivite",
            ),
        ]

    def __str__(self) -> str:
        return f"Demande n° {self.pk} ({self.collectivite})"


class ServiceRequestLine(models.Model):
    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="lines")
    offer = models.ForeignKey("catalogue.Offer", on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(
        _("quantité"),
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    note = models.CharField(_("précisions"), max_length=300, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "offer"], name="request_line_unique_offer"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.offer}"


class Subscription(models.Model):
    """The contract for one offer held by a collectivité (abonnement)."""

    collectivite = models.ForeignKey(
        "portal.Collectivite", on_delete=models.PROTECT, related_name="subscriptions"
    )
    offer = models.ForeignKey("catalogue.Offer", on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(_("quantité"), max_digits=10, decimal_places=2)
    activated_on = models.DateField(_("activé le"))
    ends_on = models.DateField(_("fin (exclue)"), null=True, blank=True)

    class Meta:
        verbose_name = _("abonnement")
        ordering = ["collectivite", "offer"]

    def __str__(self) -> str:
        return f"{self.collectivite} — {self.quantity} × {self.offer}"
