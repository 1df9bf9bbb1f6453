"""Quote states in the collectivité's words (`contracts.rules.quote_state_words`)."""

from django import template
from django.utils import timezone

from contracts import rules

register = template.Library()


@register.filter(name="quote_state")
def quote_state(quote, today=None) -> str:
    return rules.quote_state_words(quote.status, quote.valid_until, today or timezone.localdate())
