"""Template filters of the assistance pages."""

from django import template

from support.report import duration_label, minutes_label

register = template.Library()


@register.filter
def working(value) -> str:
    """A working duration: « 1 h 40 », « 25 min »; negative → « dépassé de … »."""
    if value is None:
        return "—"
    if value.total_seconds() < 0:
        return f"dépassé de {duration_label(-value)}"
    return duration_label(value)


@register.filter
def kb(value: int) -> str:
    return (
        f"{max(1, round(value / 1024))} Ko"
        if value < 1024 * 1024
        else f"{value / 1048576:.1f} Mo".replace(".", ",")
    )


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def interrupted(value) -> str:
    """Minutes a service was interrupted: « 1 h 30 », « 45 min », « — »."""
    return minutes_label(value)
