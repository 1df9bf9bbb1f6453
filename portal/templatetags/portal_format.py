"""French formats for people (DESIGN §2): amounts as `1 234,50 €`, quantities without
useless decimals."""

from __future__ import annotations

from decimal import Decimal

from django import template

register = template.Library()
NBSP = "\u00a0"


def _group(digits: str) -> str:
    parts = []
    while digits:
        parts.insert(0, digits[-3:])
        digits = digits[:-3]
    return NBSP.join(parts) or "0"


@register.filter
def euros(value) -> str:
    """`Decimal("1234.5")` → `1 234,50 €` (non-breaking spaces)."""
    if value is None or value == "":
        return ""
    amount = Decimal(value).quantize(Decimal("0.01"))
    sign = "-" if amount < 0 else ""
    units, cents = f"{abs(amount):.2f}".split(".")
    return f"{sign}{_group(units)},{cents}{NBSP}€"


@register.filter
def absolute(value):
    """The amount without its sign (an overpayment shown as what is to be refunded)."""
    return abs(Decimal(value)) if value not in (None, "") else value


@register.filter
def quantity(value) -> str:
    """`Decimal("3.00")` → `3`, `Decimal("1.50")` → `1,5`."""
    if value is None or value == "":
        return ""
    number = Decimal(value).normalize()
    text = f"{number:f}"
    units, _, decimals = text.partition(".")
    sign = "-" if units.startswith("-") else ""
    units = units.lstrip("-")
    return f"{sign}{_group(units)}" + (f",{decimals}" if decimals else "")
