"""Pure rules of service accounts (A2–A5): no Django, checked by mypy --strict."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta

GB = 1024**3
MB = 1024**2

EXPORT_WINDOW = relativedelta(months=3)  # A3, seed 000: inaccessible 3 months after closing
RESTORE_WINDOW = timedelta(days=14)  # A3, seed 001: 14-day recovery
WARNING_LEVELS = (100, 90)  # A4, highest first

LOGIN_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$")


def export_until(closed_on: date) -> date:
    """The last day a closed account stays readable for export (A3): three months after
    closing, the same day of the month or the month's last day."""
    end: date = closed_on + EXPORT_WINDOW
    return end - timedelta(days=1)


def purge_on(closed_on: date) -> date:
    """The day the closed account is disabled and purged from every system."""
    end: date = closed_on + EXPORT_WINDOW
    return end


def restore_until(closed_on: date) -> date:
    """The last day a closing can be undone (A3)."""
    return closed_on + RESTORE_WINDOW


def can_restore(closed_on: date, today: date) -> bool:
    return today <= restore_until(closed_on)


def quota_bytes(default_gb: Decimal | None, extra_gb: int = 0) -> int | None:
    """The account's quota (A1: the offer's default, catalogue data) plus approved extras."""
    if default_gb is None:
        return None
    return int(default_gb * GB) + extra_gb * GB


def warning_level(used_bytes: int, quota: int | None) -> int:
    """100 when the account is full, 90 from 90 % of its quota, else 0 (A4)."""
    if not quota:
        return 0
    for level in WARNING_LEVELS:
        if used_bytes * 100 >= quota * level:
            return level
    return 0


def warning_due(level: int, already_warned: int) -> bool:
    """Warn once per level reached: 90 then 100; again after usage fell below 90 %."""
    return level > already_warned


def remaining(subscribed: Decimal, live: int) -> int:
    """How many more accounts the quantity subscribed allows (A2); never negative."""
    return max(0, int(subscribed) - live)


def normalise_login(raw: str) -> str:
    return raw.strip().lower()


def login_valid(login: str) -> bool:
    return bool(LOGIN_PATTERN.match(login)) and ".." not in login


def format_bytes(size: int | None) -> str:
    """French size for pages and e-mails: "1,5 Go", "350 Mo", "0 Mo"."""
    if size is None:
        return "—"
    if size >= GB:
        value = f"{size / GB:.1f}".rstrip("0").rstrip(".")
        return f"{value.replace('.', ',')} Go"
    return f"{round(size / MB)} Mo"
