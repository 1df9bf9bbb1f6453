"""What every request reads and almost never changes, kept in Redis and forgotten when it
changes (issue 17, per-request cost): the host name → collectivité lookup of the tenant
middleware (portal/tenancy.py) and the syndicate's identity shown on every page.

Caches are invalidated by `post_save` / `post_delete` receivers — infrastructure, not a
business flow — so that every way of saving (services, admin, shell) forgets them; a
queryset `.update()` does not send signals, hence the short TTLs."""

from __future__ import annotations

from django.core.cache import cache

SYNDICATE_KEY = "portal:syndicate"
SYNDICATE_TTL = 300
_NONE = "-"


def tenant_changed(sender, instance, **kwargs) -> None:
    from portal.models import Collectivite, Domain
    from portal.tenancy import tenant_cache_forget

    if isinstance(instance, Domain):
        tenant_cache_forget([instance.domain])
    elif isinstance(instance, Collectivite) and instance.pk and not kwargs.get("created"):
        tenant_cache_forget(
            Domain.objects.filter(tenant_id=instance.pk).values_list("domain", flat=True)
        )


def syndicate_changed(sender, instance, **kwargs) -> None:
    cache.delete(SYNDICATE_KEY)


def syndicate():
    from portal.models import Syndicate

    found = cache.get(SYNDICATE_KEY)
    if found is None:
        found = Syndicate.objects.filter(pk=1).first() or _NONE
        cache.set(SYNDICATE_KEY, found, SYNDICATE_TTL)
    return None if found == _NONE else found
