"""django-allauth adapter: no open sign-up, throttling keyed on account *and* address (P1),
and where people land after signing in."""

from __future__ import annotations

import ipaddress

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from allauth.core.internal import ratelimit
from allauth.mfa.adapter import DefaultMFAAdapter
from django.urls import reverse

from portal.access import is_syndicate_staff
from portal.crypto import secret_decrypt, secret_encrypt
from portal.tenancy import is_public_request


def client_address(request) -> str:
    """The client's address, through ALLAUTH_TRUSTED_PROXY_COUNT reverse proxies (behind the
    proxy REMOTE_ADDR is the proxy's, which would make everyone one address). IPv6 addresses
    are reduced to their /64 network, which one client usually holds whole."""
    from allauth.account.adapter import get_adapter

    address = get_adapter(request).get_client_ip(request) or "inconnue"
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 6:
        return str(ipaddress.IPv6Network(f"{parsed}/64", strict=False).network_address)
    return address


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
        # allauth keys failed sign-ins on the site and login; we key on the login and the
        # client address (not the site: accounts are global), so that nobody can lock a
        # colleague out from elsewhere and one person's mistakes never block a town hall.
        request = request or allauth_context.request
        return f"{_login_of(credentials)}:{client_address(request)}"

    def pre_authenticate(self, request, **credentials) -> None:
        # The account's own ceiling, whatever the address (guesses spread over a network).
        self._account_rl_usage = ratelimit.consume(
            request,
            app="allauth.account",
            action="login_failed_account",
            key=_login_of(credentials),
        )
        if not self._account_rl_usage:
            raise self.validation_error("too_many_login_attempts")
        super().pre_authenticate(request, **credentials)

    def _rollback_login_failed_rl_usage(self) -> None:
        super()._rollback_login_failed_rl_usage()
        usage = getattr(self, "_account_rl_usage", None)
        if usage:
            usage.rollback()

    def get_login_redirect_url(self, request) -> str:
        if is_public_request(request) and not is_syndicate_staff(request.user):
            return reverse("my_collectivites")
        return reverse("home")


def _login_of(credentials: dict) -> str:
    return credentials.get("email", credentials.get("username", "")).strip().lower()


def recorded_address(request) -> str | None:
    """The client's whole address, as recorded with a signature (Q3); None when it cannot be
    told. Unlike `client_address`, IPv6 is not shortened: that is for throttling only."""
    from allauth.account.adapter import get_adapter
    from django.core.exceptions import PermissionDenied

    try:
        address = get_adapter(request).get_client_ip(request) or ""
        ipaddress.ip_address(address)
    except (PermissionDenied, ValueError):
        return None
    return address


class PortalMFAAdapter(DefaultMFAAdapter):
    """Second-factor secrets (TOTP keys, recovery-code seeds) encrypted at rest."""

    def encrypt(self, text: str) -> str:
        return secret_encrypt(text)

    def decrypt(self, encrypted_text: str) -> str:
        return secret_decrypt(encrypted_text)
