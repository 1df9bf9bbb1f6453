"""Who may do what: policies that answer from the user and the tenant, and view decorators.

Rules of exposure (DESIGN §2, P4): on a collectivité's site, a signed-in person without a
membership there gets a 404, never a 403 that reveals the page exists; an anonymous visitor
is sent to sign in. The back-office gives the same 404 to anyone without a staff role.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest

from portal.models import Collectivite, Membership, User
from portal.models.people import STAFF_ADMIN_GROUP, STAFF_FINANCE_GROUP, STAFF_GROUPS
from portal.tenancy import is_public_request

NOT_FOUND = "Page introuvable."


def staff_groups_of(user: User) -> set[str]:
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_staff_groups", None)
    if cached is None:
        cached = set(user.groups.filter(name__in=STAFF_GROUPS).values_list("name", flat=True))
        user._staff_groups = cached
    return cached


def is_syndicate_staff(user: User) -> bool:
    return bool(staff_groups_of(user)) or (user.is_authenticated and user.is_superuser)


def is_syndicate_admin(user: User) -> bool:
    return STAFF_ADMIN_GROUP in staff_groups_of(user) or (
        user.is_authenticated and user.is_superuser
    )


def is_syndicate_finance(user: User) -> bool:
    return STAFF_FINANCE_GROUP in staff_groups_of(user) or (
        user.is_authenticated and user.is_superuser
    )


def has_second_factor(user: User) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(
        user=user, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
    ).exists()


def roles_in(user: User, collectivite: Collectivite | None) -> set[str]:
    """The roles `user` holds in `collectivite` (cached on the user for the request)."""
    if collectivite is None or not user.is_authenticated:
        return set()
    cache = user.__dict__.setdefault("_roles_cache", {})
    if collectivite.pk not in cache:
        cache[collectivite.pk] = set(
            Membership.objects.filter(user=user, collectivite=collectivite).values_list(
                "role", flat=True
            )
        )
    return cache[collectivite.pk]


def _deny(request: HttpRequest):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    raise Http404(NOT_FOUND)


def member_required(*roles: str) -> Callable:
    """Tenant-site views: a member of the current collectivité, with one of `roles` if given."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs):
            if is_public_request(request):
                raise Http404(NOT_FOUND)
            held = roles_in(request.user, request.tenant)
            if not held or (roles and not held.intersection(roles)):
                return _deny(request)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def staff_required(policy: Callable[[User], bool] = is_syndicate_staff) -> Callable:
    """Back-office views: syndicate staff satisfying `policy`."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs):
            if not is_public_request(request):
                raise Http404(NOT_FOUND)
            if not policy(request.user):
                return _deny(request)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
