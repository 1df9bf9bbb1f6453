"""The syndicate's catalogue (public schema): families, offers, their special-conditions
annexes, and the tariff schedules voted by the comité syndical.

Prices and pricing rules are data (B7); `catalogue.domain` computes with them.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.models import Collectivite


class ServiceFamily(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("nom"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        verbose_name = _("famille de services")
        verbose_name_plural = _("familles de services")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class System(models.TextChoices):
    BLUEMIND = "bluemind", "BlueMind"
    ZIMBRA = "zimbra", "Zimbra"
    NEXTCLOUD = "nextcloud", "Nextcloud"
    BIGBLUEBUTTON = "bigbluebutton", "BigBlueButton"
    NONE = "none", _("aucun")


class BillingUnit(models.TextChoices):
    ACCOUNT_YEAR = "account_year", _("par compte et par an")
    GB_YEAR = "gb_year", _("par Go et par an")
    COLLECTIVITE_YEAR = "collectivite_year", _("par collectivité et par an")
    HOUR = "hour", _("par heure")
    DAY = "day", _("par jour")
    UNIT = "unit", _("à l'unité")


# Units billed each contract year (subscriptions); the others are one-off deliveries.
YEARLY_UNITS = frozenset(
    {BillingUnit.ACCOUNT_YEAR, BillingUnit.GB_YEAR, BillingUnit.COLLECTIVITE_YEAR}
)


class Offer(models.Model):
    family = models.ForeignKey(ServiceFamily, on_delete=models.PROTECT, related_name="offers")
    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("nom"), max_length=200)
    summary = models.CharField(_("résumé"), max_length=300, blank=True)
    description = models.TextField(_("description"), blank=True)
    system = models.CharField(_("système"), max_length=20, choices=System.choices)
    billing_unit = models.CharField(
        _("unité de facturation"), max_length=20, choices=BillingUnit.choices
    )
    # A1 / A5: defaults and limits are catalogue data, not code.
    default_quota_gb = models.DecimalField(
        _("quota par défaut (Go)"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    max_message_size_mb = models.PositiveIntegerField(
        _("taille maximale d'un message (Mo)"), null=True, blank=True
    )
    max_recipients = models.PositiveIntegerField(
        _("destinataires par message au plus"), null=True, blank=True
    )
    recording_retention_days = models.PositiveIntegerField(
        _("conservation des enregistrements (jours)"), null=True, blank=True
    )
    needs_supplier_order = models.BooleanField(
        _("commande au fournisseur du marché"), default=False
    )
    requires_offer = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dependent_offers",
        verbose_name=_("nécessite l'offre"),
    )
    requires_referent_training = models.BooleanField(
        _("formation préalable du référent obligatoire"), default=False
    )
    requires_framework_agreement = models.BooleanField(
        _("convention cadre obligatoire"), default=False
    )
    orderable = models.BooleanField(_("commandable"), default=True)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        verbose_name = _("offre")
        verbose_name_plural = _("offres")
        ordering = ["family__position", "position", "name"]
        permissions = [("manage_catalogue", "Peut gérer le catalogue et les grilles tarifaires")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_yearly(self) -> bool:
        return self.billing_unit in YEARLY_UNITS


class AnnexVersion(models.Model):
    """A version of an offer's special-conditions annex. Published versions never change: a
    new text is a new version, which applies to quotes issued from then on."""

    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="annex_versions")
    version = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("titre"), max_length=200)
    text = models.TextField(_("texte"))
    published_at = models.DateTimeField(_("publiée le"), auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("version d'annexe")
        ordering = ["offer", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["offer", "version"], name="annex_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError(
                "Une version d'annexe publiée ne change plus : publiez-en une nouvelle."
            )
        super().save(*args, **kwargs)


class TariffSchedule(models.Model):
    """A tariff schedule voted by the comité syndical: in force from `effective_from` until
    the next published schedule takes effect (so exactly one is in force on any date after
    the first)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("brouillon")
        PUBLISHED = "published", _("publiée")

    deliberation_number = models.CharField(_("numéro de délibération"), max_length=40)
    deliberation_date = models.DateField(_("date du comité syndical"))
    effective_from = models.DateField(_("en vigueur à partir du"))
    title = models.CharField(_("intitulé"), max_length=200)
    notes = models.TextField(_("observations"), blank=True)
    is_example = models.BooleanField(_("tarifs d'exemple"), default=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    copied_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("grille tarifaire")
        verbose_name_plural = _("grilles tarifaires")
        ordering = ["-effective_from", "-id"]
        constraints = [
            # Two published schedules starting the same day would both be in force.
            models.UniqueConstraint(
                fields=["effective_from"],
                condition=models.Q(status="published"),
                name="one_published_schedule_per_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} (délibération {self.deliberation_number})"


class TariffLine(models.Model):
    """The price of one offer in one schedule."""

    schedule = models.ForeignKey(TariffSchedule, on_delete=models.CASCADE, related_name="lines")
    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="tariff_lines")
    unit_price = models.DecimalField(
        _("prix unitaire HT (€)"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Vide quand le prix dépend de la strate."),
    )
    first_free_quantity = models.PositiveIntegerField(
        _("premières unités gratuites par collectivité"), default=0
    )
    vat_rate = models.DecimalField(
        _("taux de TVA"), max_digits=5, decimal_places=4, null=True, blank=True
    )
    vat_exemption = models.CharField(_("mention d'exonération de TVA"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("ligne de tarif")
        ordering = ["offer__family__position", "offer__position"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "offer"], name="tariff_line_unique"),
            models.CheckConstraint(
                condition=models.Q(vat_rate__isnull=False) | ~models.Q(vat_exemption=""),
                name="tariff_line_vat_or_exemption",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.offer} — {self.schedule}"


class StratePrice(models.Model):
    line = models.ForeignKey(TariffLine, on_delete=models.CASCADE, related_name="strate_prices")
    strate = models.CharField(_("strate"), max_length=32, choices=Collectivite.Strate.choices)
    unit_price = models.DecimalField(
        _("prix unitaire HT (€)"),
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["line", "strate"], name="strate_price_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.line} — {self.strate}"


class StrateInclusion(models.Model):
    """What a forfait includes for a strate (seed 003: security licences, backup GB,
    certificates), as voted with the schedule."""

    schedule = models.ForeignKey(
        TariffSchedule, on_delete=models.CASCADE, related_name="inclusions"
    )
    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="+")
    item = models.CharField(_("élément"), max_length=120)
    unit = models.CharField(_("unité"), max_length=40, blank=True)
    strate = models.CharField(_("strate"), max_length=32, choices=Collectivite.Strate.choices)
    quantity = models.DecimalField(_("quantité incluse"), max_digits=8, decimal_places=2)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "item"]
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "offer", "item", "strate"], name="strate_inclusion_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item} ({self.strate}) : {self.quantity}"
