"""Pickers that scale (issue 19): a field choosing a collectivité among thousands is a
searchable combobox (WAI-ARIA 1.2 combobox pattern with a listbox popup), searched on the
server through htmx, never a `<select>` with one `<option>` per collectivité.

`CollectivitePicker` renders a text input (role=combobox) and a hidden input carrying the
chosen id; `static/js/combobox.js` moves through the options with the arrow keys, chooses
with Enter or a click, closes with Escape. The options come from `collectivite_search`
(portal/views/backoffice.py), at most `SEARCH_LIMIT` of them. The field stays a
`ModelChoiceField`: it validates the submitted id with one query and never lists the
queryset to render."""

from __future__ import annotations

from django import forms
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe

SEARCH_LIMIT = 20


class CollectivitePicker(forms.Widget):
    template_name = "components/collectivite_picker.html"

    def __init__(self, attrs=None, *, empty_label: str = ""):
        super().__init__(attrs)
        self.empty_label = empty_label

    def get_context(self, name, value, attrs):
        from portal.models import Collectivite

        context = super().get_context(name, value, attrs)
        chosen = None
        if value not in (None, ""):
            chosen = Collectivite.objects.filter(pk=value).values("pk", "name").first()
        context["widget"].update(
            {
                "chosen": chosen,
                "empty_label": self.empty_label,
                "search_url": reverse("collectivite_search", urlconf="portal.urls_public"),
            }
        )
        return context

    def render(self, name, value, attrs=None, renderer=None):
        # The project's template engine (templates/components/), not the form renderer's,
        # which only sees the apps' own templates.
        return mark_safe(  # noqa: S308 (a template, escaped by the engine)
            render_to_string(self.template_name, self.get_context(name, value, attrs))
        )

    def value_from_datadict(self, data, files, name):
        return data.get(name) or None

    def value_omitted_from_data(self, data, files, name):
        return name not in data
