"""The spending chart's geometry (issue 16): bars scaled to the largest amount, zero amounts
keep their place, all inside the drawing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billing import spending_chart as chart

D = Decimal


@pytest.mark.parametrize(
    ("_case", "values", "heights"),
    [
        ("empty", [], []),
        ("all_zero", [("2025", D("0"), False), ("2026", D("0"), True)], [0, 0]),
        ("largest_fills", [("2025", D("100"), False), ("2026", D("50"), True)], [204, 102]),
        ("cents_round_down", [("2025", D("3"), False), ("2026", D("1"), False)], [204, 68]),
    ],
)
def test_bars(_case, values, heights):
    bars = chart.bars(values)
    assert [bar.height for bar in bars] == heights
    for bar in bars:
        assert bar.y + bar.height == chart.HEIGHT - chart.BOTTOM  # every bar stands on the axis
        assert bar.x >= 0
        assert bar.x + bar.width <= chart.WIDTH


def test_bars_keep_order_and_mark_the_estimate():
    bars = chart.bars([(str(y), D(y - 2020), y == 2027) for y in range(2022, 2028)])
    assert [bar.label for bar in bars] == ["2022", "2023", "2024", "2025", "2026", "2027"]
    assert [bar.estimated for bar in bars] == [False] * 5 + [True]
    assert bars[1].x - bars[0].x == bars[0].width + chart.GAP
