"""Issue 18: no form of the project lets an unbounded number, date or text through (a column
overflowing is a server error; year 1 or 9999 breaks the date rules)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest
from django import forms
from django.conf import settings

from portal.bounds import CountField, SaneDateField, unbounded_fields

ROOT = Path(settings.BASE_DIR)


def _project_forms() -> list[type[forms.BaseForm]]:
    found = []
    for module_info in pkgutil.walk_packages([str(ROOT)]):
        name = module_info.name
        if not (name.endswith(".forms") or name.endswith("forms")) or name.startswith(
            ("tests", "scripts", "bench", "devservers")
        ):
            continue
        module = importlib.import_module(name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, forms.BaseForm) and value.__module__ == name:
                found.append(value)
    return found


FORMS = _project_forms()


def test_the_project_has_forms():
    assert len(FORMS) >= 20


@pytest.mark.parametrize("form_class", FORMS, ids=lambda f: f"{f.__module__}.{f.__name__}")
def test_every_field_is_bounded(form_class):
    assert unbounded_fields(form_class) == []


@pytest.mark.parametrize(
    ("_case", "typed", "error"),
    [
        ("year_one", "0001-01-01", "Indiquez une date entre le 01/01/2000 et le 31/12/2036."),
        ("year_9999", "9999-12-31", "Indiquez une date entre le 01/01/2000 et le 31/12/2036."),
        ("last_day", "2036-12-31", None),
        ("first_day", "2000-01-01", None),
    ],
)
def test_dates_stay_within_the_window(_case, typed, error, settings):
    import time_machine

    with time_machine.travel("2026-12-04 10:00 +01:00", tick=False):
        field = SaneDateField()
        if error is None:
            assert field.clean(typed).isoformat() == typed
        else:
            with pytest.raises(forms.ValidationError) as refused:
                field.clean(typed)
            assert refused.value.messages == [error]


@pytest.mark.parametrize(
    ("_case", "typed", "error"),
    [
        (
            "huge",
            "100000000000000000000",
            "Indiquez un nombre inférieur ou égal à 1\u202f000\u202f000.",
        ),
        ("negative", "-5", "Indiquez un nombre positif ou nul."),
        ("exponent", "1e26", "Saisissez un nombre entier."),
    ],
)
def test_counts_are_bounded(_case, typed, error):
    with pytest.raises(forms.ValidationError) as refused:
        CountField().clean(typed)
    assert refused.value.messages == [error]
