"""Template filters for French grammar: `{{ collectivite.name|of_name }}` → "de la commune de …"."""

from django import template

from portal import grammar

register = template.Library()


@register.filter(name="of_name")
def of_name(value) -> str:
    return grammar.of_name(str(value or ""))


@register.filter(name="the_name")
def the_name(value) -> str:
    return grammar.the_name(str(value or ""))


@register.filter(name="plural_n")
def plural_n(value) -> int:
    """The integer ngettext chooses a plural from: French takes the singular below 2 (1,5 Go
    « offert »), so the whole part is the number to pass."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
