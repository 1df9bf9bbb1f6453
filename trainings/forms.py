"""Forms of trainings: they parse input; the services decide."""

from __future__ import annotations

from django import forms

from catalogue.models import BillingUnit, Offer
from portal.models import User
from portal.models.people import STAFF_GROUPS
from trainings.models import Session, Training

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
MEMBER_OR_NAME = "Choisissez un membre ou indiquez le nom et l'adresse de l'agent."


class TrainingForm(forms.ModelForm):
    class Meta:
        model = Training
        fields = [
            "title",
            "audience",
            "description",
            "half_days",
            "mode",
            "offer",
            "is_visio_referent_training",
            "tariff_offer",
            "cancellation_days_before",
            "minimum_check_days_before",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tariff_offer"].queryset = Offer.objects.filter(
            billing_unit__in=[BillingUnit.DAY, BillingUnit.UNIT]
        )


class SessionForm(forms.ModelForm):
    link = forms.URLField(label="Lien de connexion", required=False, assume_scheme="https")

    class Meta:
        model = Session
        fields = [
            "training",
            "starts_at",
            "ends_at",
            "place",
            "link",
            "capacity",
            "minimum_size",
            "trainer",
        ]
        widgets = {"starts_at": DATETIME_WIDGET, "ends_at": DATETIME_WIDGET}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("starts_at", "ends_at"):
            self.fields[name].input_formats = ["%Y-%m-%dT%H:%M"]
        self.fields["trainer"].queryset = User.objects.filter(
            groups__name__in=STAFF_GROUPS, is_active=True
        ).distinct()


class RegistrationForm(forms.Form):
    member = forms.TypedChoiceField(
        label="Membre de la collectivité", required=False, coerce=int, empty_value=None
    )
    full_name = forms.CharField(
        label="ou agent pas encore membre : nom complet", required=False, max_length=150
    )
    email = forms.EmailField(label="son adresse électronique", required=False)
    po_number = forms.CharField(
        label="Bon de commande ou engagement (si la formation est facturée)",
        required=False,
        max_length=60,
    )

    def __init__(self, *args, members: list[User], **kwargs):
        super().__init__(*args, **kwargs)
        self.members = {m.pk: m for m in members}
        self.fields["member"].choices = [("", "—")] + [
            (m.pk, f"{m.get_full_name()} ({m.email})") for m in members
        ]

    def clean(self):
        data = super().clean()
        if not data.get("member") and not (data.get("full_name") and data.get("email")):
            raise forms.ValidationError(MEMBER_OR_NAME)
        return data


class SessionCancelForm(forms.Form):
    reason = forms.CharField(label="Motif de l'annulation", max_length=300)
