"""The pure rules of the service status (N1, issue 13): state now, the 90 days, and the
minutes interrupted per month with overlapping incidents counted once."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from status import domain
from status.domain import ServiceState, Span

PARIS = ZoneInfo("Europe/Paris")
INT, DEG, MAINT = ServiceState.INTERRUPTED, ServiceState.DEGRADED, ServiceState.MAINTENANCE


def at(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


MARCH = domain.month_bounds(year=2026, month=3, zone=PARIS)
LATER = at(5, 1, 0)


@pytest.mark.parametrize(
    ("_case", "spans", "minutes"),
    [
        ("no_incident", [], 0),
        ("one_incident", [Span(at(3, 10, 10), at(3, 10, 11, 30), INT)], 90),
        (
            "two_overlapping_counted_once",
            [Span(at(3, 10, 10), at(3, 10, 11), INT), Span(at(3, 10, 10, 30), at(3, 10, 12), INT)],
            120,
        ),
        (
            "one_inside_the_other",
            [Span(at(3, 10, 9), at(3, 10, 17), INT), Span(at(3, 10, 10), at(3, 10, 11), INT)],
            480,
        ),
        (
            "disjoint_summed",
            [Span(at(3, 2, 8), at(3, 2, 8, 45), INT), Span(at(3, 20, 14), at(3, 20, 14, 15), INT)],
            60,
        ),
        (
            "touching_end_to_start",
            [Span(at(3, 10, 10), at(3, 10, 11), INT), Span(at(3, 10, 11), at(3, 10, 11, 30), INT)],
            90,
        ),
        (
            "overlapping_out_of_order",
            [Span(at(3, 10, 10, 30), at(3, 10, 12), INT), Span(at(3, 10, 10), at(3, 10, 11), INT)],
            120,
        ),
        ("degraded_is_no_interruption", [Span(at(3, 10, 10), at(3, 10, 11), DEG)], 0),
        ("maintenance_is_no_interruption", [Span(at(3, 10, 22), at(3, 10, 23), MAINT)], 0),
        ("from_the_previous_month", [Span(at(2, 28, 23), at(3, 1, 1), INT)], 60),
        ("into_the_next_month", [Span(at(3, 31, 23, 20), at(4, 1, 2), INT)], 40),
        # 29 March 2026: 02:00 does not exist in Paris, 01:00 → 04:00 lasts two hours
        ("over_the_spring_dst_change", [Span(at(3, 29, 1), at(3, 29, 4), INT)], 120),
        (
            "seconds_are_cut",
            [Span(at(3, 10, 10), datetime(2026, 3, 10, 10, 1, 59, tzinfo=PARIS), INT)],
            1,
        ),
    ],
)
def test_interrupted_minutes_over_march_2026(_case, spans, minutes):
    start, end = MARCH
    assert domain.interrupted_minutes(spans=spans, start=start, end=end, now=LATER) == minutes


def test_an_open_incident_runs_until_now():
    start, end = MARCH
    spans = [Span(at(3, 10, 10), None, INT), Span(at(3, 10, 10, 30), at(3, 10, 10, 45), INT)]
    assert domain.interrupted_minutes(spans=spans, start=start, end=end, now=at(3, 10, 12)) == 120


@pytest.mark.parametrize(
    ("_case", "year", "month", "minutes"),
    [
        ("march_has_one_hour_less", 2026, 3, 31 * 1440 - 60),
        ("october_has_one_hour_more", 2026, 10, 31 * 1440 + 60),
        ("february_leap_year", 2028, 2, 29 * 1440),
        ("december_to_january", 2026, 12, 31 * 1440),
    ],
)
def test_month_bounds_are_local_months(_case, year, month, minutes):
    start, end = domain.month_bounds(year=year, month=month, zone=PARIS)
    assert start == datetime(year, month, 1, tzinfo=PARIS)
    assert domain.period_minutes(start=start, end=end) == minutes


@pytest.mark.parametrize(
    ("interrupted", "total", "percent"),
    [
        (0, 44580, Decimal("100.000")),
        (120, 44580, Decimal("99.731")),
        (44580, 44580, Decimal("0.000")),
        (1, 0, Decimal("100.000")),
    ],
)
def test_availability_percent(interrupted, total, percent):
    assert domain.availability_percent(interrupted=interrupted, total=total) == percent


@pytest.mark.parametrize(
    ("_case", "spans", "state"),
    [
        ("nothing", [], ServiceState.OPERATIONAL),
        ("maintenance_window", [Span(at(3, 10, 9), at(3, 10, 11), MAINT)], MAINT),
        (
            "worst_wins",
            [Span(at(3, 10, 9), at(3, 10, 11), MAINT), Span(at(3, 10, 9), None, DEG)],
            DEG,
        ),
        (
            "interrupted_over_degraded",
            [Span(at(3, 9, 9), None, DEG), Span(at(3, 10, 9), None, INT)],
            INT,
        ),
        ("ended_exactly_now", [Span(at(3, 10, 9), at(3, 10, 10), INT)], ServiceState.OPERATIONAL),
        ("not_started_yet", [Span(at(3, 10, 11), at(3, 10, 12), MAINT)], ServiceState.OPERATIONAL),
    ],
)
def test_state_at(_case, spans, state):
    assert domain.state_at(spans=spans, at=at(3, 10, 10)) == state


def test_daily_states_take_the_worst_of_each_local_day():
    days = domain.days_back(today=date(2026, 3, 12), count=4)
    assert days == [date(2026, 3, 9), date(2026, 3, 10), date(2026, 3, 11), date(2026, 3, 12)]
    spans = [
        Span(at(3, 10, 23, 30), at(3, 11, 0, 30), INT),  # across midnight: both days
        Span(at(3, 11, 8), at(3, 11, 9), DEG),
        Span(at(3, 12, 0), None, MAINT),  # still open
    ]
    assert domain.daily_states(spans=spans, days=days, zone=PARIS) == [
        ServiceState.OPERATIONAL,
        INT,
        INT,
        MAINT,
    ]


def test_a_span_ending_at_midnight_leaves_the_next_day_alone():
    days = [date(2026, 3, 10), date(2026, 3, 11)]
    spans = [Span(at(3, 10, 22), at(3, 11, 0), INT)]
    assert domain.daily_states(spans=spans, days=days, zone=PARIS) == [
        INT,
        ServiceState.OPERATIONAL,
    ]


@pytest.mark.parametrize(
    ("labels", "state"),
    [
        ({"severity": "critical"}, INT),
        ({"severity": "Critical "}, INT),
        ({"severity": "warning"}, DEG),
        ({}, DEG),
    ],
)
def test_alert_state_from_the_severity_label(labels, state):
    assert domain.alert_state(labels) == state


def test_recent_months_cross_the_year():
    assert domain.recent_months(today=date(2026, 2, 15), count=3) == [
        (2026, 2),
        (2026, 1),
        (2025, 12),
    ]


def test_every_state_has_a_french_label():
    assert domain.STATE_LABELS == {
        ServiceState.OPERATIONAL: "Opérationnel",
        ServiceState.MAINTENANCE: "Maintenance",
        ServiceState.DEGRADED: "Perturbé",
        ServiceState.INTERRUPTED: "Interrompu",
    }
