"""T1, T2: working calendars (seed 002's and seed 004's schedules), table-tested on weekends,
Easter Monday and Whit Monday, both daylight-saving changes, the boundary minutes 12:00, 13:30
and 18:00, and a request's clock that stops while it waits for the collectivité."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from support.sla import (
    WorkingCalendar,
    clock_elapsed,
    clock_reading,
    french_public_holidays,
    working_deadline,
    working_time_between,
)

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
H = timedelta(hours=1)
M = timedelta(minutes=1)

# Seed 002: Monday–Thursday 8:30–12:00 and 13:30–18:00, Friday 8:30–12:00 and 13:30–17:00.
MORNING = (time(8, 30), time(12, 0))
SEED_002 = WorkingCalendar(
    weekly={
        **{day: [MORNING, (time(13, 30), time(18, 0))] for day in range(4)},
        4: [MORNING, (time(13, 30), time(17, 0))],
    }
)
# Seed 004 (visio): Monday–Friday 8:00–17:00.
SEED_004 = WorkingCalendar(weekly={day: [(time(8), time(17))] for day in range(5)})
WITH_CLOSURE = WorkingCalendar(weekly=SEED_002.weekly, closed_days={date(2026, 1, 12)})
SATURDAY_MORNINGS = WorkingCalendar(
    weekly={**SEED_002.weekly, 5: [(time(9), time(12))]}, public_holidays=False
)
ROUND_THE_CLOCK = WorkingCalendar(
    weekly={day: [(time(0), time(0))] for day in range(7)}, public_holidays=False
)


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("calendar", "start", "duration", "deadline", "_case"),
    [
        (
            SEED_002,
            paris(2026, 1, 9, 16, 30),
            4 * H,
            paris(2026, 1, 12, 12, 0),
            "Friday 16:30 + 4 working hours: Monday 12:00",
        ),
        (
            SEED_002,
            paris(2026, 4, 3, 16, 30),
            4 * H,
            paris(2026, 4, 7, 12, 0),
            "across Easter Monday: Tuesday 12:00",
        ),
        (
            SEED_002,
            paris(2026, 5, 22, 16, 30),
            4 * H,
            paris(2026, 5, 26, 12, 0),
            "across Whit Monday: Tuesday 12:00",
        ),
        (
            SEED_002,
            paris(2026, 5, 13, 17, 0),
            4 * H,
            paris(2026, 5, 15, 11, 30),
            "across Ascension Thursday: Friday 11:30",
        ),
        (
            SEED_002,
            paris(2026, 1, 10, 10, 0),
            4 * H,
            paris(2026, 1, 12, 14, 0),
            "Saturday opening: the clock starts Monday 8:30",
        ),
        (
            SEED_002,
            paris(2026, 1, 11, 23, 59),
            1 * H,
            paris(2026, 1, 12, 9, 30),
            "Sunday opening: Monday 9:30",
        ),
        (
            SATURDAY_MORNINGS,
            paris(2026, 1, 9, 16, 30),
            4 * H,
            paris(2026, 1, 12, 9, 0),
            "a calendar open on Saturday mornings counts them",
        ),
        (
            SEED_002,
            utc(2026, 3, 27, 15, 30),
            4 * H,
            utc(2026, 3, 30, 10, 0),
            "spring daylight-saving change: 16:30 CET → 12:00 CEST",
        ),
        (
            SEED_002,
            utc(2026, 10, 23, 14, 30),
            4 * H,
            utc(2026, 10, 26, 11, 0),
            "autumn daylight-saving change: 16:30 CEST → 12:00 CET",
        ),
        (
            SEED_002,
            paris(2026, 1, 12, 11, 0),
            1 * H,
            paris(2026, 1, 12, 12, 0),
            "ends at 12:00 exactly, not at 13:30",
        ),
        (
            SEED_002,
            paris(2026, 1, 12, 11, 0),
            1 * H + M,
            paris(2026, 1, 12, 13, 31),
            "one minute past 12:00 is 13:31",
        ),
        (
            SEED_002,
            paris(2026, 1, 12, 12, 0),
            1 * H,
            paris(2026, 1, 12, 14, 30),
            "opened at 12:00: the clock starts at 13:30",
        ),
        (
            SEED_002,
            paris(2026, 1, 12, 13, 30),
            30 * M,
            paris(2026, 1, 12, 14, 0),
            "opened at 13:30 exactly",
        ),
        (
            SEED_002,
            paris(2026, 1, 12, 17, 0),
            1 * H,
            paris(2026, 1, 12, 18, 0),
            "ends at 18:00 exactly, not the next morning",
        ),
        (
            SEED_002,
            paris(2026, 1, 12, 18, 0),
            1 * M,
            paris(2026, 1, 13, 8, 31),
            "opened at 18:00: the next morning",
        ),
        (
            SEED_002,
            paris(2026, 1, 15, 17, 30),
            1 * H,
            paris(2026, 1, 16, 9, 0),
            "Thursday 17:30: Friday morning",
        ),
        (
            SEED_002,
            paris(2026, 1, 16, 17, 0),
            1 * M,
            paris(2026, 1, 19, 8, 31),
            "Friday closes at 17:00",
        ),
        (
            SEED_004,
            paris(2026, 1, 9, 16, 30),
            4 * H,
            paris(2026, 1, 12, 11, 30),
            "visio (seed 004): Friday 16:30 + 4 h is Monday 11:30",
        ),
        (
            WITH_CLOSURE,
            paris(2026, 1, 9, 16, 30),
            4 * H,
            paris(2026, 1, 13, 12, 0),
            "a closure day of the syndicate",
        ),
        (
            SEED_002,
            paris(2026, 1, 12, 10, 0),
            timedelta(0),
            paris(2026, 1, 12, 10, 0),
            "zero duration",
        ),
        (SEED_002, paris(2026, 1, 9, 16, 30), 23 * H, paris(2026, 1, 14, 16, 30), "several days"),
    ],
)
def test_working_deadline(calendar, start, duration, deadline, _case):
    assert working_deadline(start, duration, calendar) == deadline


def test_deadline_keeps_the_zone_of_its_start():
    start = datetime(2026, 1, 9, 10, 30, tzinfo=NEW_YORK)  # 16:30 in Paris
    deadline = working_deadline(start, 4 * H, SEED_002)
    assert deadline.tzinfo is NEW_YORK
    assert deadline == paris(2026, 1, 12, 12, 0)
    assert (deadline.hour, deadline.minute) == (6, 0)


@pytest.mark.parametrize(
    ("calendar", "start", "end", "elapsed", "_case"),
    [
        (
            SEED_002,
            paris(2026, 1, 9, 16, 30),
            paris(2026, 1, 12, 12, 0),
            4 * H,
            "Friday 16:30 → Monday 12:00",
        ),
        (
            SEED_002,
            paris(2026, 1, 12, 12, 0),
            paris(2026, 1, 12, 13, 30),
            timedelta(0),
            "the lunch break 12:00–13:30",
        ),
        (
            SEED_002,
            paris(2026, 1, 12, 11, 59),
            paris(2026, 1, 12, 13, 31),
            2 * M,
            "a minute on each side of lunch",
        ),
        (
            SEED_002,
            paris(2026, 1, 12, 17, 59),
            paris(2026, 1, 13, 8, 31),
            2 * M,
            "a minute on each side of the night",
        ),
        (
            SEED_002,
            paris(2026, 4, 2, 18, 0),
            paris(2026, 4, 7, 8, 30),
            7 * H,
            "Easter weekend: only Friday counts",
        ),
        (
            SEED_002,
            paris(2026, 5, 22, 17, 0),
            paris(2026, 5, 26, 8, 30),
            timedelta(0),
            "Whit weekend: nothing counts",
        ),
        (
            SEED_002,
            paris(2026, 1, 10, 0, 0),
            paris(2026, 1, 12, 0, 0),
            timedelta(0),
            "Saturday and Sunday",
        ),
        (
            SEED_002,
            utc(2026, 3, 27, 15, 30),
            utc(2026, 3, 30, 10, 0),
            4 * H,
            "across the spring change, given in UTC",
        ),
        (
            ROUND_THE_CLOCK,
            paris(2026, 3, 28, 12),
            paris(2026, 3, 30, 12),
            47 * H,
            "open round the clock: the spring Sunday lasts 23 hours",
        ),
        (
            ROUND_THE_CLOCK,
            paris(2026, 10, 24, 12),
            paris(2026, 10, 26, 12),
            49 * H,
            "open round the clock: the autumn Sunday lasts 25 hours",
        ),
        (
            SEED_002,
            paris(2026, 1, 12, 12, 0),
            paris(2026, 1, 12, 10, 0),
            timedelta(0),
            "end before start",
        ),
        (SEED_002, paris(2026, 1, 5), paris(2026, 1, 10), 39 * H, "a whole week: 4 × 8 h + 7 h"),
    ],
)
def test_working_time_between(calendar, start, end, elapsed, _case):
    assert working_time_between(start, end, calendar) == elapsed


# A request's history: (instant, clock running?) — False while it waits for the collectivité.
OPENED = paris(2026, 1, 12, 9, 0)
HISTORY = [
    (OPENED, True),
    (paris(2026, 1, 12, 10, 0), False),  # waiting for the collectivité
    (paris(2026, 1, 13, 9, 0), True),  # the collectivité answered
]


@pytest.mark.parametrize(
    ("history", "now", "elapsed", "deadline", "_case"),
    [
        (
            HISTORY[:1],
            paris(2026, 1, 12, 11, 0),
            2 * H,
            paris(2026, 1, 12, 14, 30),
            "running since opening",
        ),
        (
            HISTORY[:2],
            paris(2026, 1, 12, 16, 0),
            1 * H,
            None,
            "waiting for the collectivité: the clock stops, no deadline",
        ),
        (
            HISTORY,
            paris(2026, 1, 13, 10, 30),
            2 * H + 30 * M,
            paris(2026, 1, 13, 12, 0),
            "waiting period excluded: 1 h + 1 h 30",
        ),
        (
            HISTORY + [(paris(2026, 1, 13, 11, 0), False)],
            paris(2026, 1, 20),
            3 * H,
            None,
            "resolved: the clock stays where it stopped",
        ),
        (
            list(reversed(HISTORY)),
            paris(2026, 1, 13, 10, 30),
            2 * H + 30 * M,
            paris(2026, 1, 13, 12, 0),
            "history in any order",
        ),
    ],
)
def test_clock_from_history(history, now, elapsed, deadline, _case):
    reading = clock_reading(history, 4 * H, now, SEED_002)
    assert reading.elapsed == elapsed
    assert reading.deadline == deadline
    assert clock_elapsed(history, now, SEED_002) == elapsed


def test_three_quarters_and_breach():
    reading = clock_reading(HISTORY[:1], 4 * H, paris(2026, 1, 12, 13, 30), SEED_002)
    assert reading.elapsed == 3 * H
    assert reading.consumed_at_least(0.75)
    assert not reading.breached
    assert reading.left == 1 * H
    late = clock_reading(HISTORY[:1], 4 * H, paris(2026, 1, 12, 15, 0), SEED_002)
    assert late.breached


def test_french_holidays_come_from_the_holidays_package():
    days = french_public_holidays(2026)
    assert {date(2026, 4, 6), date(2026, 5, 25), date(2026, 5, 14), date(2026, 7, 14)} <= days
    assert date(2026, 4, 3) not in days  # Good Friday is a holiday only in Alsace-Moselle


@pytest.mark.parametrize(
    ("weekly", "_case"),
    [
        ({7: [(time(8), time(9))]}, "weekday out of range"),
        ({0: [(time(9), time(8))]}, "window ending before it starts"),
        ({0: [(time(8), time(10)), (time(9), time(11))]}, "overlapping windows"),
    ],
)
def test_bad_calendars_are_refused(weekly, _case):
    with pytest.raises(ValueError):  # noqa: PT011
        WorkingCalendar(weekly=weekly)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="naive"):
        working_time_between(datetime(2026, 1, 12), paris(2026, 1, 13), SEED_002)  # noqa: DTZ001


def test_a_calendar_without_hours_has_no_deadline():
    with pytest.raises(ValueError, match="no opening hours"):
        working_deadline(paris(2026, 1, 12), H, WorkingCalendar(weekly={}))
