"""How an import cell is read (pure functions): dates, quantities, roles, natures, headers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from onboarding import domain


@pytest.mark.parametrize(
    ("text", "expected", "_case"),
    [
        ("17/03/2025", date(2025, 3, 17), "usual"),
        ("1/2/2024", date(2024, 2, 1), "single digits"),
        ("29/02/2024", date(2024, 2, 29), "leap day"),
    ],
)
def test_dates(text, expected, _case):
    assert domain.day(text) == expected


@pytest.mark.parametrize(
    ("text", "_case"),
    [("29/02/2025", "no leap day"), ("2025-03-17", "ISO"), ("31/04/2025", "no 31 April")],
)
def test_bad_dates(text, _case):
    with pytest.raises(domain.CellError) as error:
        domain.day(text)
    assert str(error.value) == domain.BAD_DATE.format(value=text)


@pytest.mark.parametrize(
    ("text", "expected", "_case"),
    [("12", Decimal("12"), "integer"), ("2,5", Decimal("2.5"), "French decimal")],
)
def test_quantities(text, expected, _case):
    assert domain.quantity(text) == expected


@pytest.mark.parametrize("text", ["0", "-3", "douze", "1,234", "NaN"])
def test_bad_quantities(text):
    with pytest.raises(domain.CellError) as error:
        domain.quantity(text)
    assert str(error.value) == domain.BAD_DECIMAL.format(value=text)


def test_roles_accept_french_words_with_or_without_accents():
    assert domain.roles("Administrateur fonctionnel ; Signataire, référent visio") == [
        "functional_admin",
        "signatory",
        "visio_referent",
    ]
    with pytest.raises(domain.CellError) as error:
        domain.roles("maire")
    assert str(error.value) == domain.BAD_ROLE.format(value="maire")


def test_natures_and_headers():
    assert domain.kind("Établissement public") == "etablissement_public"
    assert domain.kind("EPCI") == "epci"
    assert domain.header_key(" Date d'activation ") == "date_d_activation"
    assert domain.header_key("Numéro engagement") == "numero_engagement"
    assert domain.text_of(12.0) == "12"
    assert domain.text_of(date(2025, 3, 17)) == "17/03/2025"
