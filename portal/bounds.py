"""Bounds of what people type (issue 18, P3): every number, date and text is bounded where it
enters, to what its column holds and to what makes sense, and refused in French beyond.

`tests/portal/unit/test_form_bounds.py` walks every form of the project and fails on a field
left unbounded, so a new form cannot forget."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

# Dates a person may type: the syndicate's history (deliberations, contracts taken over from
# before the portal) and the years ahead that a contract or schedule can reach.
EARLIEST_DATE = dt.date(2000, 1, 1)
YEARS_AHEAD = 10
DATE_OUT_OF_RANGE = "Indiquez une date entre le {first} et le {last}."

# Counts (people, accounts, gigabytes, quantities): far below PostgreSQL's integer.
MAX_COUNT = 1_000_000
COUNT_TOO_LARGE = "Indiquez un nombre inférieur ou égal à {limit}."
NOT_NEGATIVE = "Indiquez un nombre positif ou nul."
# Money typed by staff: up to 9 999 999,99 € (the columns hold 10 or 12 digits).
MAX_AMOUNT_DIGITS = 9
TEXT_TOO_LONG = "Ce texte est trop long : {limit} caractères au plus."
# A text area's length when its column has none.
LONG_TEXT = 5000


def latest_date(today: dt.date | None = None) -> dt.date:
    today = today or timezone.localdate()
    return dt.date(today.year + YEARS_AHEAD, 12, 31)


def date_in_range(value: dt.date | None) -> None:
    if value is None:
        return
    last = latest_date()
    if not EARLIEST_DATE <= value <= last:
        raise ValidationError(
            DATE_OUT_OF_RANGE.format(first=f"{EARLIEST_DATE:%d/%m/%Y}", last=f"{last:%d/%m/%Y}"),
            code="date_out_of_range",
        )


class SaneDateField(forms.DateField):
    """A date between 1 January 2000 and 31 December ten years from now."""

    default_validators = [date_in_range]


class CountField(forms.IntegerField):
    """A count: 0 (or `min_value`) to a million unless told otherwise."""

    def __init__(self, *, min_value: int = 0, max_value: int = MAX_COUNT, **kwargs) -> None:
        kwargs.setdefault("error_messages", {})
        kwargs["error_messages"].setdefault(
            "max_value", COUNT_TOO_LARGE.format(limit=f"{max_value:,}".replace(",", "\u202f"))
        )
        if min_value == 0:
            kwargs["error_messages"].setdefault("min_value", NOT_NEGATIVE)
        super().__init__(min_value=min_value, max_value=max_value, **kwargs)


def unbounded_fields(form_class: type[forms.BaseForm]) -> list[str]:
    """The fields of `form_class` that let through what no column holds (for the test)."""
    found = []
    for name, field in form_class.base_fields.items():
        if isinstance(field, forms.IntegerField) and not isinstance(field, forms.DecimalField):
            if field.max_value is None or field.min_value is None:
                found.append(f"{name}: nombre entier sans minimum ou maximum")
        elif isinstance(field, forms.DecimalField):
            if field.max_digits is None and field.max_value is None:
                found.append(f"{name}: décimal sans nombre de chiffres ni maximum")
        elif isinstance(field, forms.DateField) and date_in_range not in field.validators:
            found.append(f"{name}: date sans bornes (SaneDateField)")
        elif (
            isinstance(field, forms.CharField)
            and field.max_length is None
            and not isinstance(field.widget, (forms.PasswordInput, forms.HiddenInput))
        ):
            found.append(f"{name}: texte sans longueur maximale")
    return found
