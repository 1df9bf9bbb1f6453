"""The banner shown on every page of a collectivité's site while an incident affects one of the
services it subscribes (one cache round trip per page; see selectors.banner_incidents)."""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject

from portal.tenancy import is_public_request
from status import selectors


def status_banner(request):
    if is_public_request(request) or getattr(request, "tenant", None) is None:
        return {}
    tenant = request.tenant
    return {
        "status_incidents": SimpleLazyObject(
            lambda: selectors.banner_incidents(collectivite=tenant)
        )
    }
