"""Forms of the portal core: they parse input; services decide."""

from __future__ import annotations

from allauth.account.forms import LoginForm
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from portal import domain
from portal.bounds import CountField
from portal.models import Collectivite, Invitation, Membership
from portal.services import CollectiviteInput
from portal.tenancy import is_public_request

LOGIN_REFUSED = "L'adresse électronique et/ou le mot de passe sont incorrects."
LOGO_TOO_LARGE = "Le logo ne doit pas dépasser 1 Mo."
LOGO_FORMAT = "Le logo doit être une image PNG, JPEG ou WebP."


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """A service's error on the form: on its field when the form has it, else on the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class PortalLoginForm(LoginForm):
    """On a collectivité's site only its members sign in — and people it has invited, so that
    they can accept; others get the same message as a wrong password, so that membership is
    never revealed."""

    def clean(self):
        cleaned = super().clean()
        user = getattr(self, "user", None)
        on_tenant_site = self.request is not None and not is_public_request(self.request)
        if user is not None and on_tenant_site and not _may_sign_in(user, self.request.tenant):
            raise ValidationError(LOGIN_REFUSED)
        return cleaned


def _may_sign_in(user, collectivite) -> bool:
    return (
        Membership.objects.filter(user=user, collectivite=collectivite).exists()
        or Invitation.objects.filter(
            collectivite=collectivite,
            email=user.email,
            accepted_at__isnull=True,
            expires_at__gt=timezone.now(),
        ).exists()
    )


class CollectiviteForm(forms.Form):
    name = forms.CharField(label="Nom", max_length=200)
    kind = forms.ChoiceField(label="Nature", choices=Collectivite.Kind.choices)
    siret = forms.CharField(
        label="SIRET", max_length=20, help_text="14 chiffres ; les espaces sont acceptés."
    )
    population = CountField(label="Population (habitants)", max_value=100_000_000, initial=0)
    agent_count = CountField(label="Nombre d'agents", initial=0)
    hosted = forms.BooleanField(
        label="Collectivité hébergée (même base de données Métiers)", required=False
    )
    non_affiliated = forms.BooleanField(label="Collectivité non affiliée", required=False)
    service_code = forms.CharField(
        label="Code service (Chorus Pro)", required=False, max_length=100
    )
    address = forms.CharField(label="Adresse", required=False, max_length=250)
    postcode = forms.CharField(label="Code postal", required=False, max_length=5)
    city = forms.CharField(label="Commune", required=False, max_length=120)
    contact_email = forms.EmailField(label="Courriel de contact", required=False)
    mail_domain = forms.CharField(
        label="Domaine de messagerie",
        required=False,
        max_length=120,
        help_text=(
            "Le domaine des boîtes de la collectivité quand le syndicat le gère (par exemple "
            "« mairie-exemple.fr ») ; vide : un sous-domaine du syndicat."
        ),
    )
    brand_colour = forms.CharField(
        label="Couleur du site",
        initial="#1d4f91",
        max_length=7,
        widget=forms.TextInput(attrs={"type": "color"}),
    )
    logo = forms.ImageField(label="Logo (PNG, JPEG ou WebP, 1 Mo au plus)", required=False)

    def clean_logo(self):
        logo = self.cleaned_data.get("logo")
        if not logo:
            return None
        if logo.size > 1024 * 1024:
            raise ValidationError(LOGO_TOO_LARGE)
        image = getattr(logo, "image", None)
        image_format = (getattr(image, "format", "") or "").upper()
        if image_format not in {"PNG", "JPEG", "WEBP"}:
            raise ValidationError(LOGO_FORMAT)
        # the stored name (and the type it is served with) follows the content, not the upload
        logo.name = f"logo.{ {'JPEG': 'jpg'}.get(image_format, image_format.lower()) }"
        return logo

    def to_input(self, slug: str = "") -> CollectiviteInput:
        data = self.cleaned_data
        values = {f: data[f] for f in CollectiviteInput.__dataclass_fields__ if f in data}
        values["slug"] = slug
        return CollectiviteInput(**values)


class CollectiviteCreateForm(CollectiviteForm):
    slug = forms.CharField(
        label="Identifiant (sous-domaine)",
        max_length=40,
        help_text="Lettres minuscules, chiffres et tirets ; le site sera <identifiant>."
        "<domaine du portail>.",
    )
    admin_email = forms.EmailField(label="Courriel de l'administrateur fonctionnel")
    admin_name = forms.CharField(
        label="Nom de l'administrateur fonctionnel", required=False, max_length=150
    )

    field_order = ["name", "slug", "kind", "siret"]

    def to_input(self, slug: str = "") -> CollectiviteInput:
        return super().to_input(slug=self.cleaned_data["slug"])


class CollectiviteFilterForm(forms.Form):
    q = forms.CharField(label="Rechercher", required=False, max_length=200)
    strate = forms.ChoiceField(
        label="Strate", required=False, choices=[("", "Toutes")] + list(Collectivite.Strate.choices)
    )
    kind = forms.ChoiceField(
        label="Nature", required=False, choices=[("", "Toutes")] + list(Collectivite.Kind.choices)
    )
    population_min = CountField(label="Population minimale", required=False, max_value=100_000_000)
    population_max = CountField(label="Population maximale", required=False, max_value=100_000_000)


class InvitationAcceptForm(forms.Form):
    full_name = forms.CharField(label="Nom complet", max_length=150)
    password1 = forms.CharField(
        label="Mot de passe",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=domain.PASSWORD_TOO_WEAK.split(". ", 1)[1],
    )
    password2 = forms.CharField(
        label="Confirmez le mot de passe",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password1") != cleaned.get("password2"):
            raise ValidationError({"password2": "Les deux mots de passe ne correspondent pas."})
        return cleaned
