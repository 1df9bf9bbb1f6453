from django import forms

from documents.selectors import KINDS


class DocumentFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label="Type de document", required=False, choices=[("", "Tous")] + list(KINDS.items())
    )
    year = forms.TypedChoiceField(label="Année", required=False, coerce=int, empty_value=None)

    def __init__(self, *args, years=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [("", "Toutes")] + [(y, str(y)) for y in years]
