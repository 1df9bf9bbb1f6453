"""The tenant model (a member collectivité), its domains, and the syndicate's identity."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin

from portal import domain


def logo_upload_to(instance: Collectivite, filename: str) -> str:
    # P4: media paths carry the tenant's schema; files are served only by views.
    extension = filename.rsplit(".", 1)[-1].lower()
    return f"branding/{instance.schema_name}/logo.{extension}"


def syndicate_logo_upload_to(instance: Syndicate, filename: str) -> str:
    extension = filename.rsplit(".", 1)[-1].lower()
    return f"branding/public/logo.{extension}"


colour_validator = RegexValidator(r"^#[0-9a-f]{6}$", domain.COLOUR_FORMAT_ERROR)


class Collectivite(TenantMixin):
    """A member collectivité: one PostgreSQL schema, one sub-domain (DESIGN §2, C1, C2)."""

    # The choices mirror the domain enums (member NAME = (value, French label)).
    Kind = models.TextChoices(
        "Kind", [(k.name, (k.value, domain.KIND_LABELS[k])) for k in domain.Kind]
    )
    Strate = models.TextChoices(
        "Strate", [(s.name, (s.value, domain.STRATE_LABELS[s])) for s in domain.Strate]
    )

    name = models.CharField(_("nom"), max_length=200)
    slug = models.SlugField(_("identifiant"), max_length=40, unique=True)
    kind = models.CharField(_("nature"), max_length=32, choices=Kind.choices)
    siret = models.CharField(_("SIRET"), max_length=14, unique=True)
    population = models.PositiveIntegerField(_("population"), default=0)
    agent_count = models.PositiveIntegerField(_("nombre d'agents"), default=0)
    hosted = models.BooleanField(_("hébergée"), default=False)
    non_affiliated = models.BooleanField(_("non affiliée"), default=False)
    strate = models.CharField(_("strate"), max_length=32, choices=Strate.choices)
    service_code = models.CharField(_("code service (Chorus Pro)"), max_length=100, blank=True)
    address = models.CharField(_("adresse"), max_length=250, blank=True)
    postcode = models.CharField(_("code postal"), max_length=5, blank=True)
    city = models.CharField(_("commune"), max_length=120, blank=True)
    contact_email = models.EmailField(_("courriel de contact"), blank=True)
    # Seed 000: mail under the collectivité's own domain when the syndicate manages it.
    mail_domain = models.CharField(
        _("domaine de messagerie"),
        max_length=120,
        blank=True,
        help_text=_("Par exemple « mairie-exemple.fr ». Vide : un sous-domaine du syndicat."),
    )
    logo = models.ImageField(_("logo"), upload_to=logo_upload_to, blank=True)
    brand_colour = models.CharField(
        _("couleur"), max_length=7, default="#1d4f91", validators=[colour_validator]
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)

    auto_create_schema = True
    auto_drop_schema = False

    class Meta:
        verbose_name = _("collectivité")
        verbose_name_plural = _("collectivités")
        ordering = ["name"]
        permissions = [("manage_collectivite", "Peut créer et modifier les collectivités")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(siret__regex=r"^[0-9]{14}$"), name="collectivite_siret_digits"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def siren(self) -> str:
        return self.siret[:9]

    @property
    def siret_display(self) -> str:
        return domain.siret_display(self.siret)

    @property
    def brand_text_colour(self) -> str:
        return domain.readable_text_colour(self.brand_colour)

    @property
    def primary_domain_name(self) -> str:
        # annotated (`primary_domain`) or prefetched by the selectors that list collectivités
        if "primary_domain" in self.__dict__:
            return self.__dict__["primary_domain"] or ""
        for d in self.domains.all():
            if d.is_primary:
                return d.domain
        return ""


class Domain(DomainMixin):
    class Meta:
        verbose_name = _("domaine")
        verbose_name_plural = _("domaines")

    def __str__(self) -> str:
        return self.domain


class Syndicate(models.Model):
    """The syndicate itself (a single row): the identity printed on its documents."""

    name = models.CharField(_("nom"), max_length=200)
    short_name = models.CharField(_("nom court"), max_length=60)
    siret = models.CharField(_("SIRET"), max_length=14, blank=True)
    # B8: FR + key + SIREN (checked against the SIRET), for its activities subject to VAT.
    vat_number = models.CharField(_("numéro de TVA intracommunautaire"), max_length=13, blank=True)
    address = models.CharField(_("adresse"), max_length=250, blank=True)
    postcode = models.CharField(_("code postal"), max_length=5, blank=True)
    city = models.CharField(_("commune"), max_length=120, blank=True)
    email = models.EmailField(_("courriel"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    website = models.URLField(_("site web"), blank=True)
    # Where administrative mandates are paid: the syndicate's account at the Treasury.
    treasury_iban = models.CharField(_("IBAN du compte au Trésor"), max_length=34, blank=True)
    treasury_bic = models.CharField(_("BIC"), max_length=11, blank=True)
    treasury_bank = models.CharField(_("teneur du compte"), max_length=120, blank=True)
    logo = models.ImageField(_("logo"), upload_to=syndicate_logo_upload_to, blank=True)
    brand_colour = models.CharField(
        _("couleur"), max_length=7, default="#1d4f91", validators=[colour_validator]
    )
    # The footer's pages (mentions légales, données personnelles): who publishes the site and
    # the data protection officer people write to (seed 004 names one, ADICO).
    publication_director = models.CharField(
        _("directeur de la publication"), max_length=200, blank=True
    )
    dpo_name = models.CharField(
        _("délégué à la protection des données"), max_length=200, blank=True
    )
    dpo_address = models.CharField(_("adresse du délégué"), max_length=250, blank=True)
    dpo_email = models.EmailField(_("courriel du délégué"), blank=True)

    class Meta:
        verbose_name = _("syndicat")
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="syndicate_single_row"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        try:
            self.vat_number = domain.vat_number_clean(self.vat_number, siret=self.siret)
        except domain.DomainError as exc:
            raise ValidationError({"vat_number": str(exc)}) from exc

    @property
    def brand_text_colour(self) -> str:
        return domain.readable_text_colour(self.brand_colour)
