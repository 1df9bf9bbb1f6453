"""django-allauth adapter: no open sign-up, throttling keyed on account *and* address (P1),
and where people land after signing in."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.urls import reverse

from portal.access import is_syndicate_staff
from portal.tenancy import is_public_request


def client_address(request) -> str:
    """The client's address, through ALLAUTH_TRUSTED_PROXY_COUNT reverse proxies (behind the
    proxy REMOTE_ADDR is the proxy's, which would make everyone one address)."""
    from allauth.account.adapter import get_adapter

    return get_adapter(request).get_client_ip(request) or "inconnue"


class PortalAccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        # the same words for a wrong password and for a non-member (portal.forms.LOGIN_REFUSED)
        "email_password_mismatch": "L'adresse électronique et/ou le mot de passe sont incorrects.",
        "too_many_login_attempts": (
            "Trop de tentatives de connexion infructueuses pour ce compte depuis votre adresse. "
            "Réessayez dans quelques minutes ou réinitialisez votre mot de passe."
        ),
    }

    def is_open_for_signup(self, request) -> bool:
        # People join through an invitation from the syndicate or their collectivité.
        return False

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        # allauth keys failed sign-ins on the login alone; we key on the login *and* the
        # client address, so that nobody can lock a colleague out from elsewhere and one
        # person's mistakes never block a whole town hall behind one address.
        login = credentials.get("email", credentials.get("username", "")).lower()
        request = request or allauth_context.request
        return f"{request.get_host()}:{login}:{client_address(request)}"

    def get_login_redirect_url(self, request) -> str:
        if is_public_request(request) and not is_syndicate_staff(request.user):
            return reverse("my_collectivites")
        return reverse("home")
