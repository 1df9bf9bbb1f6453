"""F1, F2: the inclusion rule, notices, cancellation deadline, waiting list — tables."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from trainings.domain import (
    Charge,
    NoticeKind,
    Participation,
    RegistrationStatus,
    TrainingTerms,
    billed_quantity,
    cancellation_open,
    counts,
    half_days_left,
    notices_due,
    place_for,
    registration_charge,
    undersized,
)

YEAR_2026 = (date(2026, 3, 1), date(2027, 3, 1))
YEAR_2027 = (date(2027, 3, 1), date(2028, 3, 1))
HALF = TrainingTerms(half_days=1, in_forfait=True, referent_training=False, has_tariff=True)
DAY = TrainingTerms(half_days=2, in_forfait=True, referent_training=False, has_tariff=True)
OUTSIDE = TrainingTerms(half_days=1, in_forfait=False, referent_training=False, has_tariff=True)
REFERENT = TrainingTerms(half_days=1, in_forfait=True, referent_training=True, has_tariff=True)
REFERENT_FREE = TrainingTerms(
    half_days=1, in_forfait=True, referent_training=True, has_tariff=False
)


def p(session_id: int, held_on: date, included: int) -> Participation:
    return Participation(session_id=session_id, held_on=held_on, included_half_days=included)


@pytest.mark.parametrize(
    ("_case", "terms", "held_on", "years", "earlier", "expected"),
    [
        (
            "first_half_day_included",
            HALF,
            date(2026, 4, 2),
            [YEAR_2026],
            [],
            (Charge.INCLUDED, 1, 0),
        ),
        (
            "second_half_day_included",
            HALF,
            date(2026, 5, 7),
            [YEAR_2026],
            [p(1, date(2026, 4, 2), 1)],
            (Charge.INCLUDED, 1, 0),
        ),
        (
            "third_half_day_billed",
            HALF,
            date(2026, 6, 4),
            [YEAR_2026],
            [p(1, date(2026, 4, 2), 1), p(2, date(2026, 5, 7), 1)],
            (Charge.BILLED, 0, 1),
        ),
        (
            "a_second_agent_in_the_same_session_shares_it",
            HALF,
            date(2026, 5, 7),
            [YEAR_2026],
            [p(1, date(2026, 4, 2), 1), p(9, date(2026, 5, 7), 1)],
            (Charge.INCLUDED, 1, 0),
        ),
        (
            "a_full_day_with_one_half_day_left_is_half_billed",
            DAY,
            date(2026, 6, 4),
            [YEAR_2026],
            [p(1, date(2026, 4, 2), 1)],
            (Charge.PARTLY_INCLUDED, 1, 1),
        ),
        (
            "a_new_contract_year_resets",
            HALF,
            date(2027, 3, 1),
            [YEAR_2026, YEAR_2027],
            [p(1, date(2026, 4, 2), 1), p(2, date(2027, 2, 28), 1)],
            (Charge.INCLUDED, 1, 0),
        ),
        (
            "the_last_day_of_the_year_still_counts_in_it",
            HALF,
            date(2027, 2, 28),
            [YEAR_2026, YEAR_2027],
            [p(1, date(2026, 4, 2), 1), p(2, date(2026, 12, 3), 1)],
            (Charge.BILLED, 0, 1),
        ),
        ("without_the_forfait_pays_all", HALF, date(2026, 4, 2), [], [], (Charge.BILLED, 0, 1)),
        (
            "before_the_forfait_starts_pays_all",
            HALF,
            date(2026, 2, 28),
            [YEAR_2026],
            [],
            (Charge.BILLED, 0, 1),
        ),
        (
            "a_training_outside_the_forfait",
            OUTSIDE,
            date(2026, 4, 2),
            [YEAR_2026],
            [],
            (Charge.BILLED, 0, 1),
        ),
        (
            "the_referent_training_has_its_own_tariff",
            REFERENT,
            date(2026, 4, 2),
            [YEAR_2026],
            [],
            (Charge.BILLED, 0, 1),
        ),
        (
            "the_referent_training_without_tariff_is_free",
            REFERENT_FREE,
            date(2026, 4, 2),
            [YEAR_2026],
            [],
            (Charge.FREE, 0, 0),
        ),
    ],
)
def test_registration_charge(_case, terms, held_on, years, earlier, expected):
    decision = registration_charge(
        terms=terms, session_id=9, held_on=held_on, forfait_years=years, earlier=earlier
    )
    assert (decision.charge, decision.included_half_days, decision.billed_half_days) == expected


def test_the_reason_says_how_much_of_the_allowance_is_used():
    decision = registration_charge(
        terms=HALF,
        session_id=3,
        held_on=date(2026, 6, 4),
        forfait_years=[YEAR_2026],
        earlier=[p(1, date(2026, 4, 2), 1)],
    )
    assert decision.reason == (
        "Demi-journées du forfait pour cette année de contrat : 2 utilisée(s) sur 2."
    )
    assert decision.contract_year == YEAR_2026


@pytest.mark.parametrize(
    ("_case", "years", "participations", "today", "expected"),
    [
        ("none_used", [YEAR_2026], [], date(2026, 3, 1), 2),
        ("one_booked", [YEAR_2026], [p(1, date(2026, 9, 1), 1)], date(2026, 3, 1), 1),
        (
            "last_year_does_not_count",
            [YEAR_2026, YEAR_2027],
            [p(1, date(2026, 9, 1), 2)],
            date(2027, 3, 1),
            2,
        ),
        ("no_forfait", [], [], date(2026, 3, 1), None),
    ],
)
def test_half_days_left(_case, years, participations, today, expected):
    assert (
        half_days_left(forfait_years=years, participations=participations, today=today) == expected
    )


@pytest.mark.parametrize(
    ("_case", "half_days", "unit", "expected"),
    [
        ("half_day_daily_tariff", 1, "day", Decimal("0.5")),
        ("full_day_daily_tariff", 2, "day", Decimal("1")),
        ("per_person", 2, "unit", Decimal("1")),
    ],
)
def test_billed_quantity(_case, half_days, unit, expected):
    assert billed_quantity(billed_half_days=half_days, unit=unit) == expected


def test_an_hourly_tariff_is_refused():
    with pytest.raises(
        ValueError, match="Le tarif d'une formation se compte à la journée ou à l'unité."
    ):
        billed_quantity(billed_half_days=1, unit="hour")


HELD = date(2026, 4, 16)


@pytest.mark.parametrize(
    ("_case", "today", "sent_on", "reminded", "expected"),
    [
        ("sixteen_days_before_nothing", date(2026, 3, 31), None, False, []),
        (
            "fifteen_days_before_the_convocation",
            date(2026, 4, 1),
            None,
            False,
            [NoticeKind.CONVOCATION],
        ),
        (
            "a_late_registration_is_convoked_at_once",
            date(2026, 4, 10),
            None,
            False,
            [NoticeKind.CONVOCATION],
        ),
        ("convoked_then_nothing_until_the_eve", date(2026, 4, 14), date(2026, 4, 1), False, []),
        ("the_eve_the_reminder", date(2026, 4, 15), date(2026, 4, 1), False, [NoticeKind.REMINDER]),
        ("reminded_once", date(2026, 4, 15), date(2026, 4, 1), True, []),
        ("convoked_on_the_eve_no_reminder", date(2026, 4, 15), date(2026, 4, 15), False, []),
        ("the_day_itself_nothing", HELD, None, False, []),
    ],
)
def test_notices_due(_case, today, sent_on, reminded, expected):
    assert (
        notices_due(held_on=HELD, today=today, convocation_sent_on=sent_on, reminder_sent=reminded)
        == expected
    )


@pytest.mark.parametrize(
    ("_case", "today", "expected"),
    [
        ("the_deadline_day", date(2026, 4, 9), True),
        ("the_day_after", date(2026, 4, 10), False),
        ("across_month_end", date(2026, 3, 31), True),
    ],
)
def test_cancellation_open(_case, today, expected):
    assert cancellation_open(held_on=HELD, days_before=7, today=today) is expected


@pytest.mark.parametrize(
    ("_case", "registered", "capacity", "expected"),
    [
        ("a_place_left", 11, 12, RegistrationStatus.REGISTERED),
        ("full", 12, 12, RegistrationStatus.WAITING),
    ],
)
def test_place_for(_case, registered, capacity, expected):
    assert place_for(registered=registered, capacity=capacity) == expected


@pytest.mark.parametrize(
    ("_case", "today", "registered", "expected"),
    [
        ("before_the_check", date(2026, 3, 25), 2, False),
        ("check_day_below_minimum", date(2026, 3, 26), 2, True),
        ("check_day_at_minimum", date(2026, 3, 26), 4, False),
        ("held_already", HELD, 2, False),
    ],
)
def test_undersized(_case, today, registered, expected):
    assert (
        undersized(
            held_on=HELD, registered=registered, minimum=4, check_days_before=21, today=today
        )
        is expected
    )


@pytest.mark.parametrize(
    ("_case", "status", "attendance", "today", "expected"),
    [
        ("attended", "registered", "attended", HELD, True),
        ("no_show_counts", "registered", "absent", HELD, True),
        ("not_recorded_yet", "registered", None, HELD, False),
        ("cancelled_in_time", "cancelled", None, HELD, False),
        ("waiting_list", "waiting", None, HELD, False),
        ("future_session", "registered", "attended", date(2026, 4, 15), False),
    ],
)
def test_counts(_case, status, attendance, today, expected):
    assert counts(status=status, attendance=attendance, held_on=HELD, today=today) is expected
