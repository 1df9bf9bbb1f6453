"""The pure rules of service accounts (A2–A5): export and restore windows, quotas, warning
levels, logins, sizes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from accounts import domain

GB = 1024**3


@pytest.mark.parametrize(
    ("closed_on", "export_until", "purge_on"),
    [
        (date(2026, 3, 10), date(2026, 6, 9), date(2026, 6, 10)),
        # Month ends: three months after 30 November is 28 February (29 in a leap year).
        (date(2026, 11, 30), date(2027, 2, 27), date(2027, 2, 28)),
        (date(2027, 11, 30), date(2028, 2, 28), date(2028, 2, 29)),
        (date(2026, 12, 31), date(2027, 3, 30), date(2027, 3, 31)),
    ],
)
def test_a3_export_window_is_three_months(closed_on, export_until, purge_on):
    assert domain.export_until(closed_on) == export_until
    assert domain.purge_on(closed_on) == purge_on


def test_a3_restore_possible_for_14_days_only():
    closed = date(2026, 11, 23)
    assert domain.restore_until(closed) == date(2026, 12, 7)
    assert domain.can_restore(closed, date(2026, 12, 7))
    assert not domain.can_restore(closed, date(2026, 12, 8))


def test_a1_quota_is_offer_default_plus_approved_extras():
    assert domain.quota_bytes(Decimal("2")) == 2 * GB
    assert domain.quota_bytes(Decimal("2"), extra_gb=3) == 5 * GB
    assert domain.quota_bytes(Decimal("0.5")) == GB // 2
    assert domain.quota_bytes(None) is None  # visio: no quota


@pytest.mark.parametrize(
    ("used", "level"),
    [(0, 0), (89.99, 0), (90, 90), (99.9, 90), (100, 100), (130, 100)],
)
def test_a4_warning_levels_at_90_and_100_percent(used, level):
    quota = 10_000
    assert domain.warning_level(int(used * 100), quota) == level


def test_a4_no_warning_without_quota():
    assert domain.warning_level(10 * GB, None) == 0


def test_a4_each_level_warned_once():
    assert domain.warning_due(90, already_warned=0)
    assert not domain.warning_due(90, already_warned=90)
    assert domain.warning_due(100, already_warned=90)
    assert not domain.warning_due(90, already_warned=100)


def test_a2_remaining_accounts_never_negative():
    assert domain.remaining(Decimal("5"), 3) == 2
    assert domain.remaining(Decimal("5"), 5) == 0
    assert domain.remaining(Decimal("2"), 4) == 0  # after a reduction


@pytest.mark.parametrize(
    ("login", "valid"),
    [
        ("jean.dupont", True),
        ("j", True),
        ("agent-12", True),
        ("Jean.Dupont", False),  # normalised before the check
        ("jean dupont", False),
        (".jean", False),
        ("jean.", False),
        ("jean..dupont", False),
        ("jérôme", False),
        ("a" * 65, False),
        ("", False),
    ],
)
def test_logins(login, valid):
    assert domain.login_valid(login) is valid


def test_logins_are_normalised_to_lower_case():
    assert domain.normalise_login("  Jean.Dupont ") == "jean.dupont"


@pytest.mark.parametrize(
    ("size", "text"),
    [(None, "—"), (0, "0 Mo"), (350 * 1024**2, "350 Mo"), (GB, "1 Go"), (3 * GB // 2, "1,5 Go")],
)
def test_sizes_in_french(size, text):
    assert domain.format_bytes(size) == text
