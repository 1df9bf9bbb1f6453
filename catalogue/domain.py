"""Pricing (B3, B7): pure functions over the tariff data, no Django import, no clock.

`price()` answers what `quantity` of an offer costs a collectivité of `strate` on `on`, knowing
how many units it already holds (for the first-N-free rule). Money is Decimal, rounded half-up
to the cent at the line. Quotes and invoices compute their lines here: a change in this module
changes every price shown and billed from then on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from portal.domain import STRATE_LABELS

_STRATE_NAMES: dict[str, str] = {str(code): label for code, label in STRATE_LABELS.items()}

CENT = Decimal("0.01")

NO_SCHEDULE = "Aucune grille tarifaire n'est en vigueur au {date}."
NOT_PRICED = "L'offre « {offer} » n'a pas de tarif dans la grille « {schedule} »."
NO_STRATE_PRICE = (
    "L'offre « {offer} » n'a pas de tarif pour la strate « {strate} » dans la grille "
    "« {schedule} »."
)
BAD_QUANTITY = "La quantité doit être un nombre positif."
QUANTITY_TOO_LARGE = "La quantité ne peut pas dépasser 1 000 000."
MAX_QUANTITY = Decimal("1000000")
BAD_HELD = "Le nombre d'unités déjà détenues ne peut pas être négatif."


class PricingError(ValueError):
    """A price cannot be given; the message is French and meant for the person."""


@dataclass(frozen=True)
class Rule:
    """How one schedule prices one offer."""

    offer: str
    offer_name: str
    unit_price: Decimal | None = None
    strate_prices: dict[str, Decimal] = field(default_factory=dict)
    first_free: int = 0
    vat_rate: Decimal | None = None
    vat_exemption: str = ""


@dataclass(frozen=True)
class Schedule:
    label: str
    effective_from: date
    rules: dict[str, Rule]
    id: int | None = None


@dataclass(frozen=True)
class PriceLine:
    offer: str
    label: str
    unit_price: Decimal
    quantity: Decimal
    free_quantity: Decimal
    amount: Decimal
    vat_rate: Decimal | None
    vat_exemption: str
    schedule: str
    strate: str | None  # the strate whose price applied, None for a single price

    @property
    def vat_amount(self) -> Decimal:
        return money(self.amount * self.vat_rate) if self.vat_rate is not None else Decimal("0.00")


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def schedule_in_force(schedules: Sequence[Schedule], on: date) -> Schedule:
    """The schedule in force on `on`: the latest to have taken effect (B3)."""
    started = [s for s in schedules if s.effective_from <= on]
    if not started:
        raise PricingError(NO_SCHEDULE.format(date=on.strftime("%d/%m/%Y")))
    return max(started, key=lambda s: s.effective_from)


def unit_price_of(rule: Rule, strate: str, schedule: Schedule) -> tuple[Decimal, str | None]:
    if rule.strate_prices:
        if strate not in rule.strate_prices:
            raise PricingError(
                NO_STRATE_PRICE.format(
                    offer=rule.offer_name,
                    strate=_STRATE_NAMES.get(strate, strate),
                    schedule=schedule.label,
                )
            )
        return rule.strate_prices[strate], strate
    if rule.unit_price is None:
        raise PricingError(NOT_PRICED.format(offer=rule.offer_name, schedule=schedule.label))
    return rule.unit_price, None


def price(
    *,
    schedules: Sequence[Schedule],
    offer: str,
    quantity: Decimal | int,
    strate: str,
    on: date,
    held: int = 0,
    offer_name: str | None = None,
) -> list[PriceLine]:
    """The lines pricing `quantity` units of `offer` on `on`.

    The first-N-free rule counts per collectivité: units already held use up the free ones
    first (the first visio account is free, not the first of each order).
    """
    quantity = Decimal(quantity)
    if not quantity.is_finite() or quantity <= 0:
        raise PricingError(BAD_QUANTITY)
    if quantity > MAX_QUANTITY:
        raise PricingError(QUANTITY_TOO_LARGE)
    if held < 0:
        raise PricingError(BAD_HELD)
    schedule = schedule_in_force(schedules, on)
    rule = schedule.rules.get(offer)
    if rule is None:
        raise PricingError(NOT_PRICED.format(offer=offer_name or offer, schedule=schedule.label))
    unit_price, strate_used = unit_price_of(rule, strate, schedule)
    free = min(quantity, Decimal(max(0, rule.first_free - held)))
    return [
        PriceLine(
            offer=offer,
            label=rule.offer_name,
            unit_price=unit_price,
            quantity=quantity,
            free_quantity=free,
            amount=money(unit_price * (quantity - free)),
            vat_rate=rule.vat_rate,
            vat_exemption=rule.vat_exemption,
            schedule=schedule.label,
            strate=strate_used,
        )
    ]


def total(lines: Sequence[PriceLine]) -> Decimal:
    return money(sum((line.amount for line in lines), Decimal("0")))
