"""Template filters of service accounts: sizes in French, quota thresholds."""

from __future__ import annotations

from django import template

from accounts import domain

register = template.Library()


@register.filter
def size(value: int | None) -> str:
    """1610612736 → "1,5 Go"."""
    return domain.format_bytes(value)


@register.filter
def percent_of(total: int | None, percent: int) -> int:
    return (total or 0) * int(percent) // 100


@register.filter
def get_item(mapping: dict, key):
    return mapping.get(key)
