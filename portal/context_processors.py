"""What every page needs: the site (syndicate or collectivité), the person's roles, the
collectivités they can switch to."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser

from portal import cached, selectors
from portal.access import is_syndicate_admin, is_syndicate_finance, is_syndicate_staff, roles_in
from portal.models import Role
from portal.tenancy import is_public_request


def portal(request):
    # An unknown host is refused (404) before the authentication middleware: no user yet.
    user = getattr(request, "user", None) or AnonymousUser()
    public = is_public_request(request)
    context = {
        "is_backoffice": public,
        "syndicate": cached.syndicate(),
        "collectivite": None if public else request.tenant,
    }
    if user.is_authenticated:
        roles = roles_in(user, None if public else request.tenant)
        context.update(
            {
                "current_roles": sorted(Role(r).label for r in roles),
                "is_functional_admin": Role.FUNCTIONAL_ADMIN in roles,
                "is_signatory": Role.SIGNATORY in roles,
                "is_staff_member": is_syndicate_staff(user),
                "can_manage_collectivites": public and is_syndicate_admin(user),
                "is_syndicate_finance": public and is_syndicate_finance(user),
                "switchable_collectivites": selectors.collectivites_of_user(user=user),
            }
        )
    return context
