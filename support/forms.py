"""Forms of the support pages: they parse what people type; `support.services` decides."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError

from catalogue.models import BillingUnit, Offer
from portal.bounds import LONG_TEXT, CountField, SaneDateField
from portal.models import Collectivite, User
from portal.models.people import STAFF_GROUPS
from support.models import Guide, Priority, Status, SupportChannel

# Seed 002, « Ne sont pas compris dans l'assistance » (and seed 003 §V).
OUT_OF_SCOPE_REASONS = [
    "intervention sur site",
    "développement ou personnalisation de programmes",
    "formation du personnel",
    "mise à jour des postes et du serveur",
    "paramétrage du photocopieur et des dossiers de scan",
    "réinstallation de Xémélios et des certificats DGFiP",
]
MAX_MINUTES = 100_000  # time spent on one entry, in minutes
QUANTITY_ERROR = "Indiquez une quantité positive, par exemple 2,5."
OTHER = "autre"  # a request about nothing the collectivité subscribes to
OFFER_MISSING = "Choisissez le service concerné, ou « Autre » s'il n'est pas dans la liste."


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if not data:
            return []
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        return [super().clean(data, initial)]


def _quantity(value: str) -> Decimal:
    try:
        quantity = Decimal(str(value).replace(",", ".").strip())
    except InvalidOperation as exc:
        raise ValidationError(QUANTITY_ERROR) from exc
    if quantity <= 0 or quantity != quantity.quantize(Decimal("0.01")):
        raise ValidationError(QUANTITY_ERROR)
    return quantity


class TicketForm(forms.Form):
    offer = forms.ChoiceField(label="Service concerné", error_messages={"required": OFFER_MISSING})
    subject = forms.CharField(
        label="Objet",
        max_length=200,
        widget=forms.TextInput(
            attrs={
                "hx-get": "",  # set by the view (the guides' suggestions)
                "hx-trigger": "input changed delay:300ms",
                "hx-target": "#guides",
                "hx-include": "[name=offer]",
                "autocomplete": "off",
                "aria-describedby": "guides",
            }
        ),
    )
    description = forms.CharField(
        label="Description", widget=forms.Textarea(attrs={"rows": 6}), max_length=LONG_TEXT
    )
    priority = forms.ChoiceField(
        label="Priorité",
        choices=Priority.choices,
        initial=Priority.NORMAL,
        help_text="Bloquante : le service est inutilisable pour vous.",
    )
    account_label = forms.CharField(
        label="Compte concerné (facultatif)", max_length=200, required=False
    )
    files = MultipleFileField(
        label="Pièces jointes",
        help_text="5 fichiers de 10 Mo au plus : PDF, images, textes, documents bureautiques.",
    )

    def __init__(self, *args, offers, suggest_url: str, incidents_url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.offers = {str(offer.pk): offer for offer in offers}
        # Nothing chosen in advance: a request filed under "Autre" by mistake reaches the
        # wrong channel and misses its service's guides and incidents.
        self.fields["offer"].choices = [
            ("", "— Choisissez —"),
            *((pk, offer.name) for pk, offer in self.offers.items()),
            (OTHER, "Autre"),
        ]
        self.fields["subject"].widget.attrs["hx-get"] = suggest_url
        if incidents_url:  # the incidents running on the chosen service (issue 13 item 5)
            self.fields["offer"].widget.attrs.update(
                {
                    "hx-get": incidents_url,
                    "hx-trigger": "change",
                    "hx-target": "#incidents",
                    "aria-controls": "incidents",
                }
            )

    def clean_offer(self):
        return self.offers.get(self.cleaned_data["offer"])


class StaffTicketForm(TicketForm):
    """The syndicate opens a ticket on a member's behalf (by phone)."""

    requester_email = forms.EmailField(label="Courriel de la personne (membre)")

    def __init__(self, *args, collectivite: Collectivite, **kwargs):
        super().__init__(*args, **kwargs)
        self.collectivite = collectivite
        self.order_fields(["requester_email"])

    def clean_requester_email(self):
        email = self.cleaned_data["requester_email"].strip().lower()
        user = User.objects.filter(
            email__iexact=email, memberships__collectivite=self.collectivite
        ).first()
        if user is None:
            raise ValidationError("Cette personne n'est pas membre de la collectivité.")
        return user


class ReplyForm(forms.Form):
    body = forms.CharField(
        label="Message", widget=forms.Textarea(attrs={"rows": 4}), max_length=LONG_TEXT
    )
    files = MultipleFileField(label="Pièces jointes")


class StaffReplyForm(ReplyForm):
    public = forms.TypedChoiceField(
        label="Visibilité",
        choices=[("1", "Réponse à la collectivité (envoyée par courriel)"), ("", "Note interne")],
        coerce=bool,
        initial="1",
        required=False,
    )
    minutes_spent = CountField(label="Temps passé (minutes)", max_value=MAX_MINUTES, initial=0)


class StatusForm(forms.Form):
    status = forms.ChoiceField(label="Nouvel état", choices=Status.choices)
    minutes_spent = CountField(
        label="Temps passé (minutes)", max_value=MAX_MINUTES, initial=0, required=False
    )


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        label="Attribuer à", queryset=User.objects.none(), required=False, empty_label="Personne"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = (
            User.objects.filter(groups__name__in=STAFF_GROUPS, is_active=True)
            .distinct()
            .order_by("full_name", "email")
        )


class MergeForm(forms.Form):
    into = forms.CharField(
        label="Doublon de la demande n°", help_text="Par exemple AS-00012.", max_length=20
    )

    def clean_into(self):
        text = self.cleaned_data["into"].strip().upper().removeprefix("AS-")
        if not text.isdigit():
            raise ValidationError("Indiquez un numéro de demande, par exemple AS-00012.")
        return int(text)


class EstimateForm(forms.Form):
    reason = forms.ChoiceField(
        label="Hors du périmètre de l'assistance",
        choices=[(reason, reason[:1].upper() + reason[1:]) for reason in OUT_OF_SCOPE_REASONS],
    )
    offer = forms.ModelChoiceField(label="Tarif", queryset=Offer.objects.none())
    quantity = forms.CharField(label="Quantité estimée (heures ou jours)", max_length=12)
    description = forms.CharField(
        label="Travaux prévus",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=LONG_TEXT,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["offer"].queryset = Offer.objects.filter(
            billing_unit__in=[BillingUnit.HOUR, BillingUnit.DAY]
        ).order_by("position", "name")

    def clean_quantity(self):
        return _quantity(self.cleaned_data["quantity"])


class TimeRecordForm(forms.Form):
    quantity = forms.CharField(label="Temps réellement passé (heures ou jours)", max_length=12)
    delivered_on = SaneDateField(
        label="Date de réalisation", widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean_quantity(self):
        return _quantity(self.cleaned_data["quantity"])


class EstimateDecisionForm(forms.Form):
    po_number = forms.CharField(
        label="Numéro de bon de commande ou d'engagement", max_length=200, required=False
    )


class GuideForm(forms.ModelForm):
    class Meta:
        model = Guide
        fields = ["title", "offer", "body", "published"]

    body = forms.CharField(
        label="Contenu", widget=forms.Textarea(attrs={"rows": 12}), max_length=4 * LONG_TEXT
    )


class QueueFilterForm(forms.Form):
    canal = forms.ModelChoiceField(
        label="Canal",
        queryset=SupportChannel.objects.all(),
        to_field_name="code",
        required=False,
        empty_label="Tous les canaux",
    )
    miennes = forms.BooleanField(label="Mes demandes seulement", required=False)


class IncidentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        from django.utils import timezone

        start = timezone.localtime(obj.starts_at)
        return f"{obj.title} (depuis le {start:%d/%m/%Y} à {start:%H:%M})"


class IncidentLinkForm(forms.Form):
    """Staff link a request to an incident running (issue 13 item 5)."""

    incident = IncidentChoiceField(label="Incident en cours", queryset=None, empty_label=None)

    def __init__(self, *args, incidents=None, **kwargs):
        from status.models import Announcement

        super().__init__(*args, **kwargs)
        self.fields["incident"].queryset = (
            incidents
            if incidents is not None
            else Announcement.objects.filter(kind=Announcement.Kind.INCIDENT, ends_at__isnull=True)
        )
