"""B3, B7: pricing from the tariff data — first-N-free, per-GB, strate prices, the schedule in
force on a date, and the errors when no price can be given."""

from datetime import date
from decimal import Decimal

import pytest

from catalogue.domain import (
    NO_SCHEDULE,
    PricingError,
    Rule,
    Schedule,
    price,
    schedule_in_force,
    total,
)
from portal.domain import Strate

D = Decimal
FORFAIT_2026 = {
    Strate.UNDER_100: D("150.00"),
    Strate.HOSTED: D("90.00"),
    Strate.UNDER_250: D("210.00"),
    Strate.FROM_250: D("320.00"),
    Strate.FROM_500: D("450.00"),
    Strate.FROM_1000: D("690.00"),
    Strate.FROM_2000: D("980.00"),
    Strate.FROM_3500: D("1350.00"),
    Strate.FROM_5000: D("1890.00"),
    Strate.TOP: D("2490.00"),
}
EXEMPT = "TVA non applicable, article 256 B du CGI"

S2026 = Schedule(
    label="délibération n° 2025-42 du 12/12/2025",
    effective_from=date(2026, 1, 1),
    rules={
        "visio": Rule(
            "visio", "Salle de visioconférence", D("60.00"), first_free=1, vat_exemption=EXEMPT
        ),
        "quota-mail": Rule(
            "quota-mail", "Quota de messagerie supplémentaire", D("3.00"), vat_exemption=EXEMPT
        ),
        "mail": Rule("mail", "Messagerie BlueMind 2 Go", D("24.00"), vat_rate=D("0.20")),
        "heure": Rule("heure", "Assistance technique (heure)", D("65.00"), vat_exemption=EXEMPT),
        "forfait-techno": Rule(
            "forfait-techno",
            "Forfait Technologie",
            strate_prices=dict(FORFAIT_2026),
            vat_exemption=EXEMPT,
        ),
    },
)
S2027 = Schedule(
    label="délibération n° 2026-51 du 10/12/2026",
    effective_from=date(2027, 1, 1),
    rules={
        **S2026.rules,
        "visio": Rule("visio", "Salle de visioconférence", D("62.00"), first_free=1),
    },
)
SCHEDULES = [S2027, S2026]


def _one(**kwargs):
    kwargs.setdefault("schedules", SCHEDULES)
    kwargs.setdefault("strate", Strate.FROM_2000)
    kwargs.setdefault("on", date(2026, 6, 15))
    [line] = price(**kwargs)
    return line


@pytest.mark.parametrize(
    ("quantity", "held", "free", "amount", "_case"),
    [
        (1, 0, D("1"), D("0.00"), "the first account of the collectivité is free"),
        (5, 0, D("1"), D("240.00"), "five accounts: four paid"),
        (1, 1, D("0"), D("60.00"), "one already held: nothing free any more"),
        (5, 1, D("0"), D("300.00"), "five more with one held"),
        (3, 4, D("0"), D("180.00"), "many held"),
    ],
)
def test_first_free(quantity, held, free, amount, _case):
    line = _one(offer="visio", quantity=quantity, held=held)
    assert (line.quantity, line.free_quantity, line.amount, line.unit_price) == (
        D(quantity),
        free,
        amount,
        D("60.00"),
    )


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        (0, "La quantité doit être un nombre positif."),
        (D("-1"), "La quantité doit être un nombre positif."),
        (D("NaN"), "La quantité doit être un nombre positif."),
        (D("1e30"), "La quantité ne peut pas dépasser 1 000 000."),
    ],
)
def test_bad_quantities_are_refused(quantity, message):
    with pytest.raises(PricingError) as error:
        _one(offer="visio", quantity=quantity)
    assert str(error.value) == message


@pytest.mark.parametrize(
    ("quantity", "amount", "_case"),
    [(1, D("3.00"), "one GB"), (20, D("60.00"), "20 GB"), (D("2.5"), D("7.50"), "half GB")],
)
def test_per_gb_extra_quota(quantity, amount, _case):
    assert _one(offer="quota-mail", quantity=quantity).amount == amount


def test_half_up_at_the_line():
    rules = {"x": Rule("x", "X", D("0.125"), vat_exemption=EXEMPT)}
    schedule = Schedule("s", date(2026, 1, 1), rules)
    assert _one(schedules=[schedule], offer="x", quantity=1).amount == D(
        "0.13"
    )  # not banker's 0.12
    assert _one(schedules=[schedule], offer="x", quantity=3).amount == D("0.38")  # 0.375 → 0.38


@pytest.mark.parametrize(("strate", "unit_price"), list(FORFAIT_2026.items()))
def test_strate_prices_on_each_strate(strate, unit_price):
    line = _one(offer="forfait-techno", quantity=1, strate=strate)
    assert (line.unit_price, line.amount, line.strate) == (unit_price, unit_price, strate)


def test_missing_strate_price_is_an_error():
    partial = Schedule(
        "grille partielle",
        date(2026, 1, 1),
        {"f": Rule("f", "Forfait", strate_prices={Strate.UNDER_100: D("1")}, vat_exemption=EXEMPT)},
    )
    with pytest.raises(PricingError) as error:
        _one(schedules=[partial], offer="f", quantity=1, strate=Strate.TOP)
    assert str(error.value) == (
        "L'offre « Forfait » n'a pas de tarif pour la strate « Collectivités non affiliées, "
        "communes de 10 000 habitants et plus, établissements publics et budgets annexes de "
        "120 agents et plus » dans la grille « grille partielle »."
    )


@pytest.mark.parametrize(
    ("on", "unit_price", "schedule", "_case"),
    [
        (date(2026, 12, 31), D("60.00"), S2026.label, "the day before the change"),
        (date(2027, 1, 1), D("62.00"), S2027.label, "the day of the change"),
        (date(2027, 1, 2), D("62.00"), S2027.label, "the day after"),
        (date(2026, 1, 1), D("60.00"), S2026.label, "first day of the first schedule"),
        (date(2028, 2, 29), D("62.00"), S2027.label, "long after, a 29 February"),
    ],
)
def test_schedule_in_force_on_the_date(on, unit_price, schedule, _case):
    line = _one(offer="visio", quantity=2, on=on)
    assert (line.unit_price, line.schedule) == (unit_price, schedule)


def test_no_schedule_in_force():
    with pytest.raises(PricingError) as error:
        _one(offer="visio", quantity=1, on=date(2025, 12, 31))
    assert str(error.value) == NO_SCHEDULE.format(date="31/12/2025")
    with pytest.raises(PricingError):
        schedule_in_force([], date(2026, 1, 1))


def test_offer_not_in_schedule():
    with pytest.raises(PricingError, match="n'a pas de tarif dans la grille"):
        _one(offer="inconnue", quantity=1)


def test_vat_and_exemption_are_carried():
    mail = _one(offer="mail", quantity=3)
    assert (mail.amount, mail.vat_rate, mail.vat_amount) == (D("72.00"), D("0.20"), D("14.40"))
    visio = _one(offer="visio", quantity=2)
    assert (visio.vat_rate, visio.vat_exemption, visio.vat_amount) == (None, EXEMPT, D("0.00"))


def test_total():
    lines = price(
        schedules=SCHEDULES, offer="heure", quantity=D("1.5"), strate="x", on=date(2026, 3, 1)
    )
    assert total(lines) == D("97.50")
