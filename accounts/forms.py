"""Forms of service accounts: they parse what people type; `accounts.services` decides."""

from __future__ import annotations

from django import forms

from accounts import domain, services
from contracts.forms import DATE_WIDGET
from portal.bounds import SaneDateField


class AccountCreateForm(forms.Form):
    offer = forms.ChoiceField(label="Service")
    given_name = forms.CharField(label="Prénom du titulaire", max_length=80)
    surname = forms.CharField(label="Nom de famille du titulaire", max_length=80)
    email = forms.EmailField(
        label="Adresse électronique du titulaire",
        help_text="Pour le prévenir de la création, de l'usage de son quota et d'une fermeture.",
        error_messages={"invalid": services.EMAIL_INVALID},
    )
    login = forms.CharField(
        label="Identifiant",
        max_length=64,
        help_text=(
            "Lettres minuscules sans accent, chiffres, points ou tirets, par exemple "
            "« jean.dupont ». Pour la messagerie, c'est aussi le début de l'adresse."
        ),
    )

    def __init__(self, *args, offers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["offer"].choices = [(o.code, o.name) for o in offers]

    def clean_login(self) -> str:
        login = domain.normalise_login(self.cleaned_data["login"])
        if not domain.login_valid(login):
            raise forms.ValidationError(services.LOGIN_INVALID)
        return login

    def to_data(self) -> services.AccountData:
        data = self.cleaned_data
        return services.AccountData(
            offer_code=data["offer"],
            given_name=data["given_name"],
            surname=data["surname"],
            email=data["email"],
            login=data["login"],
        )


class CloseForm(forms.Form):
    reason = forms.CharField(
        label="Motif (facultatif)",
        required=False,
        max_length=200,
        help_text="Par exemple : départ de l'agent.",
    )


class QuotaRequestForm(forms.Form):
    extra_gb = forms.IntegerField(
        label="Espace supplémentaire (Go)",
        min_value=1,
        max_value=services.MAX_EXTRA_GB,
        error_messages={
            "invalid": services.EXTRA_INVALID,
            "min_value": services.EXTRA_INVALID,
            "max_value": services.EXTRA_INVALID,
            "required": services.EXTRA_INVALID,
        },
        help_text="Facturé par Go et par an, aligné sur l'année de contrat, une fois accordé.",
    )
    reason = forms.CharField(
        label="Motif", required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=1000
    )


class RefuseForm(forms.Form):
    reason = forms.CharField(
        label="Raison du refus (transmise à la collectivité)",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=1000,
        error_messages={"required": services.REFUSAL_REASON_REQUIRED},
    )


class TrainingForm(forms.Form):
    membership = forms.TypedChoiceField(label="Référent visio", coerce=int)
    trained_on = SaneDateField(label="Formation suivie le", widget=DATE_WIDGET)

    def __init__(self, *args, referents=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["membership"].choices = [(m.pk, str(m.user)) for m in referents]
