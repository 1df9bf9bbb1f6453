"""Geometry of the spending chart (issue 16): one bar per year, server-rendered SVG. Pure: the
template draws what this returns (no style attribute — the Content-Security-Policy forbids
inline styles — only presentation attributes and CSS classes)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

WIDTH = 640
HEIGHT = 260
TOP = 24  # room for the amounts above the bars
BOTTOM = 32  # room for the years under the bars
LEFT = 8
GAP = 16


@dataclass(frozen=True)
class Bar:
    label: str  # the year, as read under the bar
    amount: Decimal
    x: int
    y: int
    width: int
    height: int
    estimated: bool

    @property
    def middle(self) -> int:
        return self.x + self.width // 2


def bars(values: Sequence[tuple[str, Decimal, bool]]) -> list[Bar]:
    """(label, amount, estimated) → bars scaled to the largest amount; an amount of zero
    draws no bar but keeps its place and its label."""
    if not values:
        return []
    top = max((amount for _, amount, _ in values), default=Decimal("0"))
    room = HEIGHT - TOP - BOTTOM
    width = (WIDTH - 2 * LEFT - GAP * (len(values) - 1)) // len(values)
    result = []
    for index, (label, amount, estimated) in enumerate(values):
        height = int(room * amount / top) if top > 0 else 0
        result.append(
            Bar(
                label=label,
                amount=amount,
                x=LEFT + index * (width + GAP),
                y=TOP + room - height,
                width=width,
                height=height,
                estimated=estimated,
            )
        )
    return result
