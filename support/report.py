"""The monthly report's presentation: working durations in French, the CSV columns, and a
server-rendered SVG bar chart (share of requests within the intervention target per channel and
service) — the page also shows the same figures as a table, the chart's text alternative."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from support.selectors import ReportRow

CSV_HEADER = [
    "canal",
    "service",
    "ouvertes",
    "résolues",
    "première réponse médiane (min ouvrées)",
    "intervention médiane (min ouvrées)",
    "dans le délai d'intervention",
    "mesurées",
    "part dans le délai (%)",
    "satisfaction moyenne",
    "service (état des services)",
    "minutes interrompues",
]


def duration_label(value: timedelta | None) -> str:
    """« 1 h 40 », « 25 min », « — »."""
    if value is None:
        return "—"
    minutes = round(value.total_seconds() / 60)
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest:02d}" if hours else f"{rest} min"


def _minutes(value: timedelta | None) -> str:
    return "" if value is None else str(round(value.total_seconds() / 60))


def _percent(row: ReportRow) -> str:
    share = row.share_within_target
    return "" if share is None else f"{share * 100:.0f}"


def csv_row(row: ReportRow) -> list[str]:
    return [
        row.channel,
        row.service,
        str(row.opened),
        str(row.resolved),
        _minutes(row.median_first_response),
        _minutes(row.median_intervention),
        str(row.within_target),
        str(row.measured),
        _percent(row),
        "" if row.mean_rating is None else f"{row.mean_rating:.1f}".replace(".", ","),
        row.status_service,
        "" if row.interrupted_minutes is None else str(row.interrupted_minutes),
    ]


def minutes_label(minutes: int | None) -> str:
    """« 1 h 30 », « 45 min », « 0 min », « — » (calendar minutes, not working time)."""
    if minutes is None:
        return "—"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest:02d}" if hours else f"{rest} min"


@dataclass(frozen=True)
class Bar:
    label: str
    percent: int
    y: int
    width: float
    measured: bool


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    height: int
    plot_width: int = 560
    view_width: int = 660


def chart(rows: list[ReportRow]) -> Chart:
    bars = []
    for index, row in enumerate(rows):
        share = row.share_within_target
        percent = round(share * 100) if share is not None else 0
        bars.append(
            Bar(
                label=f"{row.channel} — {row.service}",
                percent=percent,
                y=4 + index * 48,
                width=5.6 * percent,
                measured=share is not None,
            )
        )
    return Chart(bars=bars, height=8 + 48 * max(len(rows), 1))
