"""Requests, quotes, framework agreements, orders and subscriptions (public schema): the
syndicate's contracts, kept for their archive whatever happens to the collectivité's schema.

The dates are computed by `contracts.rules`; models store what was decided and when."""

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
        QUOTED = "quoted", _("devis établi")

    class DomainChoice(models.TextChoices):
        SYNDICATE = "syndicate", _("utiliser le nom de domaine du syndicat")
        RESERVE = "reserve", _("réserver un nouveau nom de domaine en .fr")
        TRANSFER = "transfer", _("transférer un nom de domaine existant (étude de faisabilité)")

    collectivite = models.ForeignKey(
        "portal.Collectivite", on_delete=models.PROTECT, related_name="service_requests"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    # The needs of seed 001 §6.
    domain_choice = models.CharField(
        _("nom de domaine"), max_length=16, choices=DomainChoice.choices, blank=True
    )
    domain_name = models.CharField(
        _("nom de domaine souhaité ou existant"), max_length=253, blank=True
    )
    users_count = models.PositiveIntegerField(_("nombre d'utilisateurs"), null=True, blank=True)
    migration_study = models.BooleanField(
        _("étude de faisabilité de la reprise de l'ancienne messagerie"), default=False
    )
    notes = models.TextField(_("précisions"), blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
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


class FrameworkAgreement(models.Model):
    """A version of the framework agreement (convention cadre) a collectivité signs once."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    title = models.CharField(_("titre"), max_length=200)
    text = models.TextField(_("texte"))
    effective_from = models.DateField(_("en vigueur à partir du"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("convention cadre")
        ordering = ["-effective_from", "-version"]

    def __str__(self) -> str:
        return f"{self.title} (version {self.version})"


class FrameworkSignature(models.Model):
    collectivite = models.ForeignKey(
        "portal.Collectivite", on_delete=models.PROTECT, related_name="framework_signatures"
    )
    agreement = models.ForeignKey(FrameworkAgreement, on_delete=models.PROTECT, related_name="+")
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    sha256 = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["collectivite", "agreement"], name="framework_signed_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.collectivite} — {self.agreement}"


class Quote(models.Model):
    """A quote (devis), versioned: a change after sending makes version N+1 and supersedes N
    (Q2). Sent quotes never change."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("brouillon")
        SENT = "sent", _("envoyé")
        ACCEPTED = "accepted", _("accepté")
        APPROVED = "approved", _("approuvé (commande)")
        REFUSED = "refused", _("refusé")
        EXPIRED = "expired", _("expiré")
        SUPERSEDED = "superseded", _("remplacé")

    reference = models.CharField(_("référence"), max_length=20)
    version = models.PositiveIntegerField(_("version"), default=1)
    collectivite = models.ForeignKey(
        "portal.Collectivite", on_delete=models.PROTECT, related_name="quotes"
    )
    request = models.ForeignKey(
        ServiceRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="quotes"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    title = models.CharField(_("objet"), max_length=200)
    notes = models.TextField(_("observations"), blank=True)
    issue_date = models.DateField(_("date d'émission"), null=True, blank=True)
    valid_until = models.DateField(_("valable jusqu'au"), null=True, blank=True)
    schedule = models.ForeignKey(
        "catalogue.TariffSchedule",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    total_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    previous = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="next_version"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)  # approved or refused
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    refusal_reason = models.TextField(_("motif du refus"), blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("devis")
        verbose_name_plural = _("devis")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["reference", "version"], name="quote_version_unique"),
        ]

    def __str__(self) -> str:
        return f"Devis {self.reference} v{self.version}"

    @property
    def label(self) -> str:
        return f"{self.reference}" + (f" (version {self.version})" if self.version > 1 else "")


class QuoteLine(models.Model):
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")
    offer = models.ForeignKey("catalogue.Offer", on_delete=models.PROTECT, related_name="+")
    label = models.CharField(_("désignation"), max_length=200)
    quantity = models.DecimalField(_("quantité"), max_digits=10, decimal_places=2)
    unit_price = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    free_quantity = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    vat_rate = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)
    vat_exemption = models.CharField(max_length=200, blank=True)
    annex = models.ForeignKey(
        "catalogue.AnnexVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    activated_on = models.DateField(_("activé le"), null=True, blank=True)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    subscription = models.ForeignKey(
        "Subscription", null=True, blank=True, on_delete=models.PROTECT, related_name="quote_lines"
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.label}"


def quote_document_upload_to(instance: QuoteDocument, filename: str) -> str:
    # P4: stored by collectivité and quote; served only by views that check the right.
    quote = instance.quote
    return f"contracts/{quote.collectivite.schema_name}/{quote.reference}/{filename}"


class QuoteDocument(models.Model):
    """A PDF made when the quote was sent: the quote itself, an annex, the framework
    agreement. Its SHA-256 is what acceptance records (Q3)."""

    class Kind(models.TextChoices):
        QUOTE = "quote", _("devis")
        ANNEX = "annex", _("conditions particulières")
        FRAMEWORK = "framework", _("convention cadre")

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    title = models.CharField(max_length=200)
    file = models.FileField(upload_to=quote_document_upload_to)
    sha256 = models.CharField(max_length=64)
    annex = models.ForeignKey(
        "catalogue.AnnexVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    agreement = models.ForeignKey(
        FrameworkAgreement, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.title


class QuoteAcceptance(models.Model):
    """Who accepted, when, from where, with which purchase-order number, and the SHA-256 of
    the exact documents accepted (Q3)."""

    quote = models.OneToOneField(Quote, on_delete=models.PROTECT, related_name="acceptance")
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    po_number = models.CharField(_("numéro de bon de commande ou d'engagement"), max_length=60)
    documents = models.JSONField(default=dict)  # {title: sha256}
    framework_signature = models.ForeignKey(
        FrameworkSignature, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"Acceptation de {self.quote}"


class SupplierOrder(models.Model):
    """The order placed with the market's supplier when an offer needs one (Q4)."""

    quote = models.ForeignKey(Quote, on_delete=models.PROTECT, related_name="supplier_orders")
    supplier = models.CharField(_("fournisseur"), max_length=200)
    reference = models.CharField(_("référence de la commande"), max_length=100)
    ordered_on = models.DateField(_("date de la commande"))

    def __str__(self) -> str:
        return f"{self.supplier} {self.reference}"


class Subscription(models.Model):
    """The contract for one offer held by a collectivité (abonnement): one-year terms from
    the activation month, renewed tacitly (S1, S2)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("en cours")
        TERMINATING = "terminating", _("résiliation en cours")
        ENDED = "ended", _("terminé")

    collectivite = models.ForeignKey(
        "portal.Collectivite", on_delete=models.PROTECT, related_name="subscriptions"
    )
    offer = models.ForeignKey("catalogue.Offer", on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(_("quantité"), max_digits=10, decimal_places=2)
    activated_on = models.DateField(_("activé le"))
    ends_on = models.DateField(_("fin (exclue)"), null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    renewal_reminded_for = models.DateField(null=True, blank=True)
    # The engagement number of a subscription that came without a quote (taken over from the
    # syndicate's former files): its invoice lines carry it (B9).
    engagement_number = models.CharField(
        _("numéro d'engagement"), max_length=60, blank=True, default=""
    )

    class Meta:
        verbose_name = _("abonnement")
        ordering = ["collectivite", "offer"]
        constraints = [
            # One running contract per offer: additions join it (S4), never a second one.
            models.UniqueConstraint(
                fields=["collectivite", "offer"],
                condition=~models.Q(status="ended"),
                name="one_running_subscription_per_offer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.collectivite} — {self.quantity} × {self.offer}"


class ContractYear(models.Model):
    """One contract year of a subscription (start, end exclusive), created at activation and
    at each tacit renewal; what billing invoices (B1)."""

    subscription = models.ForeignKey(Subscription, on_delete=models.PROTECT, related_name="years")
    start = models.DateField()
    end = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["subscription", "start"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "start"], name="contract_year_once"),
        ]

    def __str__(self) -> str:
        return f"{self.subscription} : {self.start:%d/%m/%Y} → {self.end:%d/%m/%Y}"


class QuantityChange(models.Model):
    """A change of quantity in a running subscription: an addition co-termed with the
    contract year, or a reduction following the notice (S4)."""

    subscription = models.ForeignKey(Subscription, on_delete=models.PROTECT, related_name="changes")
    delta = models.DecimalField(max_digits=10, decimal_places=2)
    effective_on = models.DateField()
    quote_line = models.ForeignKey(
        QuoteLine, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    applied = models.BooleanField(default=False)  # reflected in the subscription's quantity
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["effective_on", "id"]

    def __str__(self) -> str:
        return f"{self.delta:+} au {self.effective_on:%d/%m/%Y}"


class Termination(models.Model):
    """A termination received by the syndicate (S3): of the whole subscription, or of part of
    its quantity (a reduction, S4)."""

    subscription = models.ForeignKey(
        Subscription, on_delete=models.PROTECT, related_name="terminations"
    )
    quantity = models.DecimalField(
        _("quantité résiliée"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    quantity_held = models.DecimalField(
        _("quantité détenue à la réception"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    received_on = models.DateField(_("reçue le"))
    effective_end = models.DateField(_("fin effective (exclue)"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Résiliation de {self.subscription} au {self.effective_end:%d/%m/%Y}"
