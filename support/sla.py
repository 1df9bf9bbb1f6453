"""Working-time arithmetic for support requests (DESIGN T1, T2), with no Django import.

Invariants, stated once:

- Opening hours are wall-clock times of the calendar's zone (Europe/Paris by default): a window
  "8:30–12:00" is 8:30–12:00 Paris time in winter and in summer alike. Every computation turns a
  window into UTC instants before measuring it, so a window that straddles a daylight-saving
  change lasts the real time it lasts (and Python's same-zone wall-clock subtraction never
  applies).
- A day is closed when it is a French public holiday (the `holidays` package, metropolitan
  France) or one of the syndicate's closure days; a closed day has no window.
- Support time is only ever *computed*: from a request's opening instant and its history of
  status changes (`clock_periods`), never accumulated in a stored counter that could drift.
  A change of calendar or of history changes the answer, and that is intended.
- End of a window may be `time(0, 0)`, read as midnight at the end of the day ("24:00").
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

PARIS = ZoneInfo("Europe/Paris")
ZERO = timedelta(0)
# A calendar with no window at all in this many days has no deadline: stop instead of looping.
_HORIZON_DAYS = 3660

Window = tuple[time, time]


@lru_cache(maxsize=64)
def french_public_holidays(year: int) -> frozenset[date]:
    """French (metropolitan) public holidays of a year: Easter Monday, Whit Monday, etc."""
    return frozenset(holidays.country_holidays("FR", years=year).keys())


@dataclass(frozen=True)
class WorkingCalendar:
    """Weekly opening hours (weekday as `date.weekday()`, 0 = Monday) minus closed days."""

    weekly: Mapping[int, Sequence[Window]]
    closed_days: frozenset[date] | set[date] = field(default_factory=frozenset)
    tz: ZoneInfo = PARIS
    public_holidays: bool = True

    def __post_init__(self) -> None:
        for weekday, windows in self.weekly.items():
            if weekday not in range(7):
                raise ValueError(f"weekday {weekday} is not 0..6")
            previous_end: time | None = None
            for start, end in sorted(windows):
                if end != time(0) and end <= start:
                    raise ValueError(f"window {start}–{end} ends before it starts")
                if previous_end is not None and (previous_end == time(0) or start < previous_end):
                    raise ValueError(f"windows overlap on weekday {weekday}")
                previous_end = end

    def is_closed(self, day: date) -> bool:
        if day in self.closed_days:
            return True
        return self.public_holidays and day in french_public_holidays(day.year)

    def windows_on(self, day: date) -> list[tuple[datetime, datetime]]:
        """The day's opening windows as UTC instants (empty when the day is closed)."""
        if self.is_closed(day):
            return []
        result = []
        for start, end in sorted(self.weekly.get(day.weekday(), ())):
            opens = datetime.combine(day, start, tzinfo=self.tz)
            closes = (
                datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.tz)
                if end == time(0)
                else datetime.combine(day, end, tzinfo=self.tz)
            )
            result.append((opens.astimezone(UTC), closes.astimezone(UTC)))
        return result

    def windows_from(self, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Windows (UTC) that end after `moment`, clipped to start no earlier than it."""
        moment = _utc(moment)
        day = moment.astimezone(self.tz).date() - timedelta(days=1)
        empty_days = 0
        while empty_days < _HORIZON_DAYS:
            windows = self.windows_on(day)
            empty_days = 0 if windows else empty_days + 1
            for opens, closes in windows:
                if closes > moment:
                    yield max(opens, moment), closes
            day += timedelta(days=1)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("naive datetime: working time needs aware datetimes")
    return moment.astimezone(UTC)


def working_deadline(start: datetime, duration: timedelta, calendar: WorkingCalendar) -> datetime:
    """The instant at which `duration` of working time has elapsed since `start`.

    Returned in `start`'s zone. A deadline that falls exactly at a window's end is that end
    (12:00, not 13:30). A zero duration is `start` itself.
    """
    if duration < ZERO:
        raise ValueError("negative duration")
    if duration == ZERO:
        return start
    remaining = duration
    for opens, closes in calendar.windows_from(start):
        length = closes - opens
        if remaining <= length:
            return (opens + remaining).astimezone(start.tzinfo)
        remaining -= length
    raise ValueError("the calendar has no opening hours: no deadline")


def working_time_between(start: datetime, end: datetime, calendar: WorkingCalendar) -> timedelta:
    """Working time within [start, end); zero when end is not after start."""
    start_utc, end_utc = _utc(start), _utc(end)
    total = ZERO
    if end_utc <= start_utc:
        return total
    for opens, closes in calendar.windows_from(start_utc):
        if opens >= end_utc:
            break
        total += min(closes, end_utc) - opens
    return total


# --- The clock of a request, from its history -------------------------------------------------


def clock_periods(
    changes: Iterable[tuple[datetime, bool]], until: datetime
) -> list[tuple[datetime, datetime]]:
    """Periods during which the clock runs, from `(at, running)` status changes up to `until`.

    `running` is False while the request waits for the collectivité (or is resolved): those
    periods are excluded. Changes are taken in time order; the first change opens the request.
    """
    periods: list[tuple[datetime, datetime]] = []
    running_since: datetime | None = None
    for at, running in sorted(changes, key=lambda change: _utc(change[0])):
        if _utc(at) > _utc(until):
            break
        if running and running_since is None:
            running_since = at
        elif not running and running_since is not None:
            periods.append((running_since, at))
            running_since = None
    if running_since is not None:
        periods.append((running_since, until))
    return periods


def clock_elapsed(
    changes: Sequence[tuple[datetime, bool]], until: datetime, calendar: WorkingCalendar
) -> timedelta:
    """Working time the clock has run by `until` (waiting periods excluded)."""
    return sum(
        (working_time_between(a, b, calendar) for a, b in clock_periods(changes, until)), ZERO
    )


@dataclass(frozen=True)
class ClockReading:
    """Where a request stands against one target at `now`."""

    elapsed: timedelta
    target: timedelta
    running: bool
    deadline: datetime | None  # None while the clock is stopped

    @property
    def left(self) -> timedelta:
        return self.target - self.elapsed

    @property
    def breached(self) -> bool:
        return self.elapsed >= self.target

    def consumed_at_least(self, share: float) -> bool:
        return self.elapsed >= self.target * share


def clock_reading(
    changes: Sequence[tuple[datetime, bool]],
    target: timedelta,
    now: datetime,
    calendar: WorkingCalendar,
) -> ClockReading:
    """Elapsed working time and, when the clock runs, the deadline of `target`."""
    periods = clock_periods(changes, now)
    elapsed = sum((working_time_between(a, b, calendar) for a, b in periods), ZERO)
    running = bool(periods) and periods[-1][1] == now and _running_at(changes, now)
    deadline = None
    if running:
        since = periods[-1][0]
        before = elapsed - working_time_between(since, now, calendar)
        deadline = working_deadline(since, max(target - before, ZERO), calendar)
    return ClockReading(elapsed=elapsed, target=target, running=running, deadline=deadline)


def _running_at(changes: Sequence[tuple[datetime, bool]], now: datetime) -> bool:
    state = False
    for at, running in sorted(changes, key=lambda change: _utc(change[0])):
        if _utc(at) > _utc(now):
            break
        state = running
    return state
