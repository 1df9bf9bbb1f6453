"""Forms of the status pages: they parse input; services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.bounds import LONG_TEXT
from status.models import Announcement, NotificationPreference, Service
from status.services import TITLE_REQUIRED

LONG_RICH_TEXT = 4 * LONG_TEXT  # an announcement's HTML body

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M"]


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class AnnouncementForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type d'annonce"), choices=Announcement.Kind.choices)
    title = forms.CharField(
        label=_("Titre"), max_length=200, error_messages={"required": TITLE_REQUIRED}
    )
    severity = forms.ChoiceField(
        label=_("Gravité (incident)"),
        choices=[("", _("— sans objet —")), *Announcement.Severity.choices],
        required=False,
    )
    services = forms.ModelMultipleChoiceField(
        label=_("Services concernés"),
        queryset=Service.objects.order_by("position", "name"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Obligatoire pour un incident ou une maintenance."),
    )
    starts_at = forms.DateTimeField(
        label=_("Début"),
        input_formats=DATETIME_FORMATS,
        widget=LocalDateTimeInput(),
        required=False,
        help_text=_("Maintenant si vide. Pour une maintenance : le début de la fenêtre."),
    )
    ends_at = forms.DateTimeField(
        label=_("Fin"),
        input_formats=DATETIME_FORMATS,
        widget=LocalDateTimeInput(),
        required=False,
        help_text=_("Pour une maintenance : la fin de la fenêtre. Un incident se clôt ensuite."),
    )
    body = forms.CharField(
        label=_("Texte"),
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        max_length=LONG_RICH_TEXT,
        help_text=_(
            "Texte simple (les paragraphes sont conservés) ou HTML simple : gras, italique, "
            "listes, liens."
        ),
    )


class UpdateForm(forms.Form):
    body = forms.CharField(
        label=_("Texte de la mise à jour"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=LONG_TEXT,
    )


class CloseForm(forms.Form):
    ends_at = forms.DateTimeField(
        label=_("Fin de l'incident"),
        input_formats=DATETIME_FORMATS,
        widget=LocalDateTimeInput(),
        required=False,
        help_text=_("Maintenant si vide."),
    )
    body = forms.CharField(
        label=_("Dernier message (facultatif)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=LONG_TEXT,
    )


class PreferenceForm(forms.ModelForm):
    class Meta:
        model = NotificationPreference
        fields = ["status_emails"]
