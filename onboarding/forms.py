"""The import form: up to three files (CSV or XLSX)."""

from __future__ import annotations

from django import forms

MAX_SIZE = 10 * 1024 * 1024
TOO_LARGE = "Le fichier dépasse 10 Mo."
BAD_EXTENSION = "Envoyez un fichier .csv ou .xlsx."


class ImportForm(forms.Form):
    collectivites = forms.FileField(label="Collectivités", required=False)
    personnes = forms.FileField(label="Personnes et rôles", required=False)
    abonnements = forms.FileField(label="Abonnements en cours", required=False)

    def _clean_file(self, name: str):
        upload = self.cleaned_data.get(name)
        if upload is None:
            return None
        if not upload.name.lower().endswith((".csv", ".xlsx")):
            raise forms.ValidationError(BAD_EXTENSION)
        if upload.size > MAX_SIZE:
            raise forms.ValidationError(TOO_LARGE)
        return upload

    def clean_collectivites(self):
        return self._clean_file("collectivites")

    def clean_personnes(self):
        return self._clean_file("personnes")

    def clean_abonnements(self):
        return self._clean_file("abonnements")

    def uploads(self) -> dict[str, tuple[str, bytes]]:
        return {
            kind: (upload.name, upload.read())
            for kind in ("collectivites", "personnes", "abonnements")
            if (upload := self.cleaned_data.get(kind)) is not None
        }
