"""C1: SIREN and SIRET are checked for length, digits and the Luhn key, with French errors."""

import pytest

from portal.domain import (
    SIREN_CHECKSUM_ERROR,
    SIREN_FORMAT_ERROR,
    SIREN_LENGTH_ERROR,
    SIRET_CHECKSUM_ERROR,
    SIRET_FORMAT_ERROR,
    SIRET_LENGTH_ERROR,
    DomainError,
    siren_clean,
    siret_clean,
    siret_display,
)

# 732 829 320 is a well-known valid SIREN; 356 000 000 is La Poste's, whose SIRETs follow
# a different key (sum of digits multiple of 5) that the Luhn check must not refuse.
VALID_SIRETS = [
    ("73282932000074", "73282932000074", "plain"),
    ("732 829 320 00074", "73282932000074", "with spaces"),
    ("732.829.320.00074", "73282932000074", "with dots"),
    ("35600000000048", "35600000000048", "La Poste head office"),
    ("35600000049837", "35600000049837", "a La Poste office (sum of digits rule)"),
]


@pytest.mark.parametrize(("raw", "clean", "_case"), VALID_SIRETS)
def test_valid_siret(raw, clean, _case):
    assert siret_clean(raw) == clean


@pytest.mark.parametrize(
    ("raw", "message", "_case"),
    [
        ("", SIRET_LENGTH_ERROR, "empty"),
        ("7328293200007", SIRET_LENGTH_ERROR, "13 digits"),
        ("732829320000745", SIRET_LENGTH_ERROR, "15 digits"),
        ("732829320", SIRET_LENGTH_ERROR, "a SIREN given for a SIRET"),
        ("7328293200007A", SIRET_FORMAT_ERROR, "a letter"),
        ("73282932000075", SIRET_CHECKSUM_ERROR, "wrong SIRET key"),
        ("73282932100074", SIRET_CHECKSUM_ERROR, "SIRET whose SIREN part is invalid"),
    ],
)
def test_invalid_siret(raw, message, _case):
    with pytest.raises(DomainError) as error:
        siret_clean(raw)
    assert str(error.value) == message


@pytest.mark.parametrize(
    ("raw", "expected", "_case"),
    [("732829320", "732829320", "valid"), (" 732 829 320 ", "732829320", "spaces")],
)
def test_valid_siren(raw, expected, _case):
    assert siren_clean(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message", "_case"),
    [
        ("73282932", SIREN_LENGTH_ERROR, "8 digits"),
        ("7328293201", SIREN_LENGTH_ERROR, "10 digits"),
        ("73282932O", SIREN_FORMAT_ERROR, "letter O for zero"),
        ("732829321", SIREN_CHECKSUM_ERROR, "wrong key"),
    ],
)
def test_invalid_siren(raw, message, _case):
    with pytest.raises(DomainError) as error:
        siren_clean(raw)
    assert str(error.value) == message


def test_siret_display_groups_digits_as_french_documents_do():
    assert siret_display("73282932000074") == "732 829 320 00074"
