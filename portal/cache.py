"""Cache keys (P4): every key carries the schema it was made in, so one collectivité's cached
data is never read in another's — except sign-in throttling, whose counters belong to the
person and the address whatever site they try (otherwise each of the hundreds of sites would
grant its own quota of guesses), the host name → collectivité lookup and the syndicate's
identity (read before the schema is known, invalidated from any site)."""

from __future__ import annotations

from django_tenants.cache import make_key as tenant_make_key
from django_tenants.cache import reverse_key as tenant_reverse_key

GLOBAL_PREFIXES = ("allauth:rl:", "tenancy:", "portal:syndicate", "status:global:")


def make_key(key: str, key_prefix: str, version: int) -> str:
    if key.startswith(GLOBAL_PREFIXES):
        return f"*:{key_prefix}:{version}:{key}"
    return tenant_make_key(key, key_prefix, version)


def reverse_key(key: str) -> str:
    return tenant_reverse_key(key)
