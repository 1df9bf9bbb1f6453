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
