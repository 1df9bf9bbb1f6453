"""Forms of requests, quotes and contracts: they parse what people type; the services in
`contracts.services` decide (their errors are shown on the form's fields)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from catalogue.models import Offer
from contracts import selectors, services
from contracts.models import ServiceRequest
from portal.bounds import LONG_TEXT, CountField, SaneDateField
from portal.models import Collectivite
from portal.pickers import CollectivitePicker

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
READ_REQUIRED = "Cochez « J'ai lu le devis et ses annexes » pour accepter le devis."
SCOPE_QUANTITY_REQUIRED = "Indiquez la quantité à retirer de l'abonnement."


class QuantityField(forms.CharField):
    """A quantity typed the French way (`2,5`), parsed by the services' own rule."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 20)
        super().__init__(*args, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        if value in (None, ""):
            return None
        try:
            return services.parse_quantity(value)
        except ValidationError as exc:
            raise ValidationError(services.QUANTITY_ERROR) from exc


# --- A collectivité's site ------------------------------------------------------------------


class NeedsForm(forms.Form):
    """The needs of seed 001 §6; saved as typed, checked by `request_needs_update`."""

    domain_choice = forms.ChoiceField(
        label="Nom de domaine de la messagerie",
        choices=ServiceRequest.DomainChoice.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    domain_name = forms.CharField(
        label="Nom de domaine souhaité ou existant",
        required=False,
        max_length=253,
        help_text="Par exemple mairie-exemple.fr (à réserver ou à transférer).",
    )
    users_count = CountField(
        label="Nombre d'utilisateurs",
        required=False,
        min_value=1,
        error_messages={"min_value": "Indiquez au moins 1 utilisateur."},
    )
    migration_study = forms.BooleanField(
        label="Étude de faisabilité de la reprise de l'historique de l'ancienne messagerie",
        required=False,
    )
    notes = forms.CharField(
        label="Précisions (services par utilisateur, quotas, assistance…)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=LONG_TEXT,
    )

    @classmethod
    def for_draft(cls, draft: ServiceRequest | None, data=None) -> NeedsForm:
        initial = {}
        if draft is not None:
            initial = {
                "domain_choice": draft.domain_choice,
                "domain_name": draft.domain_name,
                "users_count": draft.users_count,
                "migration_study": draft.migration_study,
                "notes": draft.notes,
            }
        return cls(data, initial=initial)


class QuoteAcceptForm(forms.Form):
    """Q3: the purchase-order number, the framework agreement when it is attached, and the
    reading of the quote and its annexes."""

    po_number = forms.CharField(
        label="Numéro de bon de commande ou d'engagement",
        error_messages={"required": services.PO_REQUIRED},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        max_length=60,
    )
    accept_framework = forms.BooleanField(label="J'accepte la convention cadre", required=False)
    read_documents = forms.BooleanField(
        label="J'ai lu le devis et ses annexes",
        required=True,
        error_messages={"required": READ_REQUIRED},
    )

    def __init__(self, *args, with_framework: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not with_framework:
            del self.fields["accept_framework"]


class TerminationForm(forms.Form):
    """What a termination covers: the whole subscription, or a quantity removed (S4)."""

    WHOLE, PART = "whole", "part"
    scope = forms.ChoiceField(
        label="Que résiliez-vous ?",
        choices=[(WHOLE, "L'abonnement entier"), (PART, "Une partie de la quantité souscrite")],
        widget=forms.RadioSelect,
        initial=WHOLE,
    )
    quantity = QuantityField(label="Quantité à retirer", required=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("scope") == self.PART and cleaned.get("quantity") is None:
            self.add_error("quantity", SCOPE_QUANTITY_REQUIRED)
        return cleaned

    def quantity_removed(self) -> Decimal | None:
        """None for the whole subscription (what `termination_record` expects)."""
        if self.cleaned_data["scope"] == self.WHOLE:
            return None
        return self.cleaned_data["quantity"]


# --- Back-office ------------------------------------------------------------------------------


class TerminationRecordForm(TerminationForm):
    """A termination received by post: the syndicate records the date it was received."""

    received_on = SaneDateField(label="Reçue par le syndicat le", widget=DATE_WIDGET)

    field_order = ["received_on", "scope", "quantity"]


class WorkQueueFilterForm(forms.Form):
    collectivite = forms.ModelChoiceField(
        label="Collectivité",
        queryset=Collectivite.objects.order_by("name"),
        required=False,
        widget=CollectivitePicker(empty_label="Toutes"),
    )
    status = forms.ChoiceField(
        label="État",
        choices=[("", "Tous")] + list(selectors.WORK_QUEUE_STATUSES.items()),
        required=False,
    )
    offer = forms.ModelChoiceField(
        label="Service",
        queryset=Offer.objects.order_by("name"),
        required=False,
        empty_label="Tous",
    )

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        return {
            "collectivite": self.cleaned_data["collectivite"],
            "status": self.cleaned_data["status"],
            "offer": self.cleaned_data["offer"],
        }


class QuoteCreateForm(forms.Form):
    collectivite = forms.ModelChoiceField(
        label="Collectivité",
        queryset=Collectivite.objects.order_by("name"),
        widget=CollectivitePicker(empty_label="Choisissez…"),
    )
    title = forms.CharField(
        label="Objet du devis",
        max_length=200,
        error_messages={"required": services.QUOTE_TITLE_REQUIRED},
    )


class QuoteLineForm(forms.Form):
    offer = forms.ModelChoiceField(
        label="Offre", queryset=Offer.objects.order_by("name"), empty_label="Choisissez…"
    )
    quantity = QuantityField(label="Quantité")


class QuoteApproveForm(forms.Form):
    """Approval, with the order placed with the market's supplier when an offer needs one."""

    supplier = forms.CharField(label="Fournisseur du marché", max_length=200, required=False)
    reference = forms.CharField(label="Référence de la commande", max_length=100, required=False)
    ordered_on = SaneDateField(label="Date de la commande", required=False, widget=DATE_WIDGET)

    def supplier_orders(self) -> list[dict]:
        """The order, if any field was filled in (the service checks it is complete)."""
        order = {
            "supplier": self.cleaned_data["supplier"],
            "reference": self.cleaned_data["reference"],
            "ordered_on": self.cleaned_data["ordered_on"],
        }
        if not any(order.values()):
            return []
        return [order]


class QuoteRefuseForm(forms.Form):
    reason = forms.CharField(
        label="Motif du refus",
        error_messages={"required": services.REFUSAL_REASON_REQUIRED},
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=LONG_TEXT,
    )


class QuoteTitleForm(forms.Form):
    title = forms.CharField(label="Objet du devis", max_length=200, required=False)


class LineActivateForm(forms.Form):
    activated_on = SaneDateField(label="Activé le", widget=DATE_WIDGET)
