"""Syndicate staff must have a second factor (P1) before using the back-office."""

from __future__ import annotations

from django.shortcuts import redirect
from django.urls import reverse

from portal.access import has_second_factor, is_syndicate_staff
from portal.tenancy import is_public_request

# Paths a staff member without a second factor may still reach: setting one up, signing out.
_ALLOWED_PREFIXES = ("/comptes/", "/securite/", "/static/", "/i18n/", "/logo")


class StaffSecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and is_public_request(request)
            and not request.path.startswith(_ALLOWED_PREFIXES)
            and not request.path.startswith("/api/")
            and is_syndicate_staff(user)
            and not has_second_factor(user)
        ):
            return redirect(reverse("mfa_required", urlconf=getattr(request, "urlconf", None)))
        return self.get_response(request)
