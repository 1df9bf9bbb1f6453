"""DESIGN §2: amounts shown as `1 234,50 €`."""

from decimal import Decimal

import pytest

from portal.templatetags.portal_format import euros, quantity

NB = "\u00a0"


@pytest.mark.parametrize(
    ("value", "shown", "_case"),
    [
        (Decimal("1234.5"), f"1{NB}234,50{NB}€", "thousands and cents"),
        (Decimal("0"), f"0,00{NB}€", "zero"),
        (Decimal("60"), f"60,00{NB}€", "whole euros"),
        (Decimal("1234567.891"), f"1{NB}234{NB}567,89{NB}€", "millions, rounded"),
        (Decimal("-12.5"), f"-12,50{NB}€", "a credit"),
        (None, "", "nothing"),
    ],
)
def test_euros(value, shown, _case):
    assert euros(value) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("3.00"), "3"),
        (Decimal("1.50"), "1,5"),
        (Decimal("1200"), f"1{NB}200"),
        (Decimal("0.25"), "0,25"),
    ],
)
def test_quantity(value, shown):
    assert quantity(value) == shown
