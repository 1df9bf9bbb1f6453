"""Forms of billing: they parse what finance types (dates, amounts the French way); the
services in `billing.services` decide (their errors are shown on the form's fields)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError

from billing import domain, selectors, services
from billing.models import InvoiceLine
from portal.bounds import SaneDateField
from portal.models import Collectivite
from portal.pickers import CollectivitePicker
from portal.templatetags.portal_format import euros

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
AMOUNT_ERROR = "Indiquez un montant en euros, par exemple 120,50."
AMOUNT_REQUIRED = "Indiquez le montant payé."
DATE_REQUIRED = "Indiquez la date."
NEGATIVE_CREDIT = "Un montant à créditer est positif (ou laissez la case vide)."

# Statuses of an invoice as finance filters them (an overdue invoice is also unpaid or
# partly paid).
PAID, PARTLY_PAID, UNPAID, OVERDUE = "payee", "partielle", "impayee", "en-retard"
STATUS_CHOICES = [
    (PAID, "Payée ou soldée"),
    (PARTLY_PAID, "Partiellement payée"),
    (UNPAID, "Non payée"),
    (OVERDUE, "En retard"),
]


# The choices above as `domain.PaymentStatus` filters: "paid or settled" is either status.
STATUS_FILTERS = {
    PAID: (domain.PaymentStatus.PAID, domain.PaymentStatus.CREDITED),
    PARTLY_PAID: (domain.PaymentStatus.PARTLY_PAID,),
    UNPAID: (domain.PaymentStatus.UNPAID,),
}


def parse_amount(raw) -> Decimal | None:
    """`1 234,50`, `1234.5`, `12 €` → a Decimal to the cent; None when empty; ValueError
    when it is not an amount (more than two decimals included)."""
    text = str(raw or "").strip()
    for noise in ("\u00a0", "\u202f", " ", "€"):
        text = text.replace(noise, "")
    if not text:
        return None
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation as exc:
        raise ValueError(raw) from exc
    if not value.is_finite() or value != value.quantize(Decimal("0.01")):
        raise ValueError(raw)
    return value


class AmountField(forms.CharField):
    """An amount in euros typed the French way; its sign is for the service to judge."""

    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "size": 10})

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 20)
        super().__init__(*args, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        try:
            return parse_amount(value)
        except ValueError as exc:
            raise ValidationError(AMOUNT_ERROR) from exc


# --- Back-office ------------------------------------------------------------------------------


class BillingRunForm(forms.Form):
    as_of = SaneDateField(
        label="Date de facturation",
        widget=DATE_WIDGET,
        help_text="Toutes les années de contrat commencées ce jour-là au plus tard et pas encore "
        "facturées le seront, une facture par collectivité.",
        error_messages={"required": DATE_REQUIRED, "invalid": "Indiquez une date valide."},
    )
    dry_run = forms.BooleanField(
        label="Aperçu seulement : rien n'est émis",
        required=False,
    )


class InvoiceFilterForm(forms.Form):
    year = forms.TypedChoiceField(label="Année", coerce=int, required=False, empty_value=None)
    status = forms.ChoiceField(
        label="État du paiement", choices=[("", "Tous")] + STATUS_CHOICES, required=False
    )
    collectivite = forms.ModelChoiceField(
        label="Collectivité",
        queryset=Collectivite.objects.order_by("name"),
        required=False,
        widget=CollectivitePicker(empty_label="Toutes"),
    )

    def __init__(self, *args, years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [("", "Toutes")] + [(y, str(y)) for y in years]

    def filters(self) -> selectors.InvoiceFilters:
        """The chosen filters for `selectors.invoice_list` (none when the form is invalid)."""
        if not self.is_valid():
            return selectors.InvoiceFilters()
        status = self.cleaned_data["status"]
        collectivite = self.cleaned_data["collectivite"]
        return selectors.InvoiceFilters(
            year=self.cleaned_data["year"],
            collectivite_id=collectivite.pk if collectivite else None,
            statuses=STATUS_FILTERS.get(status, ()),
            overdue=True if status == OVERDUE else None,
        )


class PaymentForm(forms.Form):
    paid_on = SaneDateField(
        label="Date du mandat",
        widget=DATE_WIDGET,
        error_messages={"required": DATE_REQUIRED, "invalid": "Indiquez une date valide."},
    )
    mandate_reference = forms.CharField(
        label="Référence du mandat",
        max_length=60,
        error_messages={"required": services.MANDATE_REQUIRED},
    )
    amount = AmountField(
        label="Montant payé (€)", error_messages={"required": AMOUNT_REQUIRED}, required=True
    )


class CreditNoteForm(forms.Form):
    """An amount per line (up to what the line still carries, checked by the service), or
    the whole of what is left on the invoice, and a reason."""

    whole = forms.BooleanField(
        label="Créditer tout ce qui reste sur la facture (les montants par ligne sont ignorés)",
        required=False,
    )
    reason = forms.CharField(
        label="Motif de l'avoir",
        max_length=300,
        error_messages={"required": services.REASON_REQUIRED},
    )

    def __init__(self, *args, lines: list[tuple[InvoiceLine, Decimal]], **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = lines
        self.line_fields = []
        for line, left in lines:
            name = f"line_{line.pk}"
            self.fields[name] = AmountField(
                label=line.label,
                required=False,
                help_text=f"Reste à créditer : {euros(left)}.",
            )
            self.line_fields.append((line, left, self[name]))
        self.order_fields(["whole", *[f"line_{line.pk}" for line, _ in lines], "reason"])

    def clean(self):
        cleaned = super().clean()
        for line, _ in self.lines:
            value = cleaned.get(f"line_{line.pk}")
            if value is not None and value < 0:
                self.add_error(f"line_{line.pk}", NEGATIVE_CREDIT)
        return cleaned

    def amounts(self) -> dict[int, Decimal]:
        """What to credit per line, as the service expects it (zero and empty left out)."""
        if self.cleaned_data.get("whole"):
            return {line.pk: left for line, left in self.lines if left > 0}
        return {
            line.pk: self.cleaned_data[f"line_{line.pk}"]
            for line, _ in self.lines
            if self.cleaned_data.get(f"line_{line.pk}")
        }


class EngagementNumberForm(forms.Form):
    """B9: a budget year's engagement number, given on the collectivité's site."""

    budget_year = forms.TypedChoiceField(label="Exercice budgétaire", coerce=int, choices=())
    number = forms.CharField(
        label="Numéro d'engagement",
        max_length=200,
        error_messages={"required": "Indiquez le numéro d'engagement."},
    )

    def __init__(self, *args, years: list[int], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["budget_year"].choices = [(year, str(year)) for year in years]
        self.fields["budget_year"].initial = years[-1]
