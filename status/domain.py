"""Pure rules of the service status (DESIGN N1, issue 13): no Django, checked by mypy --strict.

A service's history is a set of spans, each an incident (degraded or interrupted) or a planned
maintenance, from its start to its end (exclusive; `None` while open). Invariants:
- a service's state at an instant is the worst state of the spans covering it, in the order
  interrupted > degraded > maintenance > operational;
- a day's state is the worst state of the spans that overlap that local day;
- the minutes interrupted in a period are those covered by at least one *interrupted*
  incident: overlapping incidents are counted once, degraded service and planned maintenance
  are not interruptions. A month's minutes are recomputed from this function: a change here
  changes every past figure.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo


class ServiceState(StrEnum):
    OPERATIONAL = "operational"
    MAINTENANCE = "maintenance"
    DEGRADED = "degraded"
    INTERRUPTED = "interrupted"


# Every door (pages, feeds, API, e-mails) says the same word.
STATE_LABELS: dict[ServiceState, str] = {
    ServiceState.OPERATIONAL: "Opérationnel",
    ServiceState.MAINTENANCE: "Maintenance",
    ServiceState.DEGRADED: "Perturbé",
    ServiceState.INTERRUPTED: "Interrompu",
}

_RANK = {
    ServiceState.OPERATIONAL: 0,
    ServiceState.MAINTENANCE: 1,
    ServiceState.DEGRADED: 2,
    ServiceState.INTERRUPTED: 3,
}


@dataclass(frozen=True)
class Span:
    start: datetime
    end: datetime | None  # exclusive; None while the incident is open
    state: ServiceState

    def covers(self, at: datetime) -> bool:
        return self.start <= at and (self.end is None or at < self.end)

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return self.start < end and (self.end is None or self.end > start)


def worst(states: Iterable[ServiceState]) -> ServiceState:
    return max(states, key=_RANK.__getitem__, default=ServiceState.OPERATIONAL)


def state_at(*, spans: Iterable[Span], at: datetime) -> ServiceState:
    """The state now (or at any instant): the worst of the spans covering it."""
    return worst(span.state for span in spans if span.covers(at))


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """A local calendar day as aware instants [start, end) — 23 or 25 hours at DST changes."""
    start = datetime.combine(day, time.min, tzinfo=zone)
    return start, datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)


def days_back(*, today: date, count: int) -> list[date]:
    """The `count` days ending with `today`, oldest first."""
    return [today - timedelta(days=offset) for offset in range(count - 1, -1, -1)]


def daily_states(
    *, spans: Sequence[Span], days: Iterable[date], zone: ZoneInfo
) -> list[ServiceState]:
    """One state per day: the worst of the spans that overlap that local day."""
    result = []
    for day in days:
        start, end = day_bounds(day, zone)
        result.append(worst(span.state for span in spans if span.overlaps(start, end)))
    return result


def month_bounds(*, year: int, month: int, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """A local calendar month as aware instants [first day 00:00, next month's first 00:00)."""
    start = datetime(year, month, 1, tzinfo=zone)
    following = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone)
    return start, following


def interrupted_minutes(
    *, spans: Iterable[Span], start: datetime, end: datetime, now: datetime
) -> int:
    """Whole minutes of [start, end) covered by at least one interrupted incident, an open
    incident running until `now`; overlapping incidents are counted once."""
    # Instants in UTC: Python subtracts two datetimes of one zone by their wall clocks.
    start, end, now = _utc(start), _utc(end), _utc(now)
    intervals = sorted(
        (max(_utc(span.start), start), min(_utc(span.end or now), end, now))
        for span in spans
        if span.state is ServiceState.INTERRUPTED
    )
    total = timedelta()
    current_start: datetime | None = None
    current_end: datetime | None = None
    for begin, finish in intervals:
        if finish <= begin:
            continue
        if current_end is None or current_start is None or begin > current_end:
            if current_end is not None and current_start is not None:
                total += current_end - current_start
            current_start, current_end = begin, finish
        else:
            current_end = max(current_end, finish)
    if current_end is not None and current_start is not None:
        total += current_end - current_start
    return int(total.total_seconds() // 60)


def period_minutes(*, start: datetime, end: datetime) -> int:
    return int((_utc(end) - _utc(start)).total_seconds() // 60)


def _utc(instant: datetime) -> datetime:
    return instant.astimezone(UTC)


def availability_percent(*, interrupted: int, total: int) -> Decimal:
    """Availability as a percentage with three decimals, rounded half-up (99.977)."""
    if total <= 0:
        return Decimal("100.000")
    ratio = Decimal(total - interrupted) * 100 / Decimal(total)
    return ratio.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)


def recent_months(*, today: date, count: int) -> list[tuple[int, int]]:
    """(year, month) of the `count` months ending with today's, newest first."""
    year, month = today.year, today.month
    result = []
    for _ in range(count):
        result.append((year, month))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return result


# --- Alertmanager (webhook payload v4) ------------------------------------------------------

SEVERITY_LABEL = "severity"
INTERRUPTING_SEVERITIES = frozenset({"critical", "page", "interruption"})


def alert_state(labels: dict[str, str]) -> ServiceState:
    """An alert labelled critical interrupts the service; any other degrades it."""
    severity = labels.get(SEVERITY_LABEL, "").strip().lower()
    return (
        ServiceState.INTERRUPTED if severity in INTERRUPTING_SEVERITIES else ServiceState.DEGRADED
    )
