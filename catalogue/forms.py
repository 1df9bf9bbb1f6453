"""Forms of the catalogue back-office: they parse input, services decide."""

from __future__ import annotations

from django import forms

from catalogue.models import Offer, TariffLine
from portal.bounds import LONG_TEXT, CountField, SaneDateField
from portal.models import Collectivite


class ScheduleCreateForm(forms.Form):
    title = forms.CharField(label="Intitulé", max_length=200)
    deliberation_number = forms.CharField(label="Numéro de la délibération", max_length=40)
    deliberation_date = SaneDateField(
        label="Date du comité syndical", widget=forms.DateInput(attrs={"type": "date"})
    )
    effective_from = SaneDateField(
        label="En vigueur à partir du", widget=forms.DateInput(attrs={"type": "date"})
    )


class TariffLineForm(forms.Form):
    """A line's prices: one unit price, or one price per strate."""

    unit_price = forms.DecimalField(
        label="Prix unitaire HT (€)",
        required=False,
        min_value=0,
        max_digits=10,
        decimal_places=2,
        localize=True,
    )
    first_free_quantity = CountField(label="Premières unités gratuites par collectivité", initial=0)
    vat_rate = forms.DecimalField(
        label="Taux de TVA (ex. 0,20)",
        required=False,
        min_value=0,
        max_value=1,
        decimal_places=4,
        localize=True,
    )
    vat_exemption = forms.CharField(
        label="Mention d'exonération de TVA", required=False, max_length=200
    )

    def __init__(self, *args, line: TariffLine, **kwargs):
        initial = {
            "unit_price": line.unit_price,
            "first_free_quantity": line.first_free_quantity,
            "vat_rate": line.vat_rate,
            "vat_exemption": line.vat_exemption,
        }
        existing = {sp.strate: sp.unit_price for sp in line.strate_prices.all()}
        for strate, _ in Collectivite.Strate.choices:
            initial[f"strate_{strate}"] = existing.get(strate)
        super().__init__(*args, initial=initial, **kwargs)
        for strate, label in Collectivite.Strate.choices:
            self.fields[f"strate_{strate}"] = forms.DecimalField(
                label=f"Prix HT (€) — {label}",
                required=False,
                min_value=0,
                max_digits=10,
                decimal_places=2,
                localize=True,
            )

    def clean(self):
        cleaned = super().clean()
        strate_prices = self.strate_prices()
        if strate_prices and len(strate_prices) != len(Collectivite.Strate.choices):
            raise forms.ValidationError(
                "Donnez un prix pour chaque strate, ou aucun (prix unitaire unique)."
            )
        if not strate_prices and cleaned.get("unit_price") is None:
            raise forms.ValidationError("Donnez un prix unitaire ou un prix par strate.")
        return cleaned

    def strate_prices(self) -> dict:
        return {
            strate: self.cleaned_data[f"strate_{strate}"]
            for strate, _ in Collectivite.Strate.choices
            if self.cleaned_data.get(f"strate_{strate}") is not None
        }


class AnnexForm(forms.Form):
    title = forms.CharField(label="Titre", max_length=200)
    text = forms.CharField(
        label="Texte des conditions particulières",
        widget=forms.Textarea(attrs={"rows": 14}),
        max_length=50_000,
    )


class OfferForm(forms.ModelForm):
    description = forms.CharField(
        label=Offer._meta.get_field("description").verbose_name,
        required=not Offer._meta.get_field("description").blank,
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=LONG_TEXT,
    )

    class Meta:
        model = Offer
        fields = [
            "family",
            "code",
            "name",
            "summary",
            "description",
            "system",
            "billing_unit",
            "default_quota_gb",
            "max_message_size_mb",
            "max_recipients",
            "recording_retention_days",
            "needs_supplier_order",
            "requires_offer",
            "requires_referent_training",
            "requires_framework_agreement",
            "orderable",
            "position",
        ]
        field_classes = {
            "max_message_size_mb": CountField,
            "max_recipients": CountField,
            "recording_retention_days": CountField,
            "position": CountField,
        }
