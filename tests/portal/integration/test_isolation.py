"""P4 and DESIGN §2: a person of collectivité A reaches nothing of B, a session opened on A's
site counts for nothing on B's, and the back-office is closed to anyone without a staff role.
Every URL pattern of both sites is tried, so a view added later is covered too."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from portal.models import Role
from tests.conftest import host_of, sign_in

# Pages anyone may open on a site, signed in or not (sign-in, reset, the site's own logo…).
ANONYMOUS_PAGES = re.compile(
    r"^/(comptes/(login|logout|password/reset|inactive|confirm-email|signup|2fa/authenticate)"
    r"|logo$|i18n/|invitation/|connexion/relais/)"
)
# N1: the back-office publishes the status page and its feeds to anyone (issue 13).
PUBLISHED_PAGES = re.compile(r"^/etat-des-services/")


def _paths(urlconf: str) -> list[str]:
    """One concrete path per URL pattern, with placeholder arguments."""
    found: list[str] = []

    def walk(patterns, prefix: str):
        for p in patterns:
            route = str(p.pattern)
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + route)
            elif isinstance(p, URLPattern):
                found.append(prefix + route)

    walk(get_resolver(urlconf).url_patterns, "")
    paths = []
    for route in found:
        path = re.sub(r"\(\?P<[a-z_0-9]+>[^)]*\)", "1", route.replace("^", "").replace("$", ""))
        path = re.sub(r"<int:[a-z_]+>", "{pk}", path)  # a real object's id, given by the test
        path = re.sub(r"<[a-z_]+>", "1", path)
        path = re.sub(r"<(?:str|slug):[a-z_]+>", "jeton", path)
        paths.append("/" + path.replace("\\", ""))
    return sorted(set(paths))


TENANT_PATHS = _paths("portal.urls_tenants")
PUBLIC_PATHS = [p for p in _paths("portal.urls_public") if not p.startswith("/api/")]


def test_every_url_is_enumerated():
    assert "/" in TENANT_PATHS
    assert "/changer/{pk}/" in TENANT_PATHS
    assert "/collectivites/{pk}/modifier/" in PUBLIC_PATHS
    assert len(TENANT_PATHS) > 20  # the allauth pages are part of the site


@pytest.mark.parametrize("path", TENANT_PATHS)
def test_session_of_collectivite_a_is_anonymous_on_b(tenant, other_tenant, make_member, path):
    path = path.format(pk=other_tenant.pk)
    user = make_member(tenant, Role.FUNCTIONAL_ADMIN, Role.SIGNATORY)
    client_a = sign_in(Client(HTTP_HOST=host_of(tenant)), user, tenant)
    cookie = client_a.cookies["portail_session"].value

    replay = Client(HTTP_HOST=host_of(other_tenant))
    replay.cookies["portail_session"] = cookie
    for method in (replay.get, replay.post):
        response = method(path)
        assert response.wsgi_request.user.is_anonymous, f"{path} knew the person"
        if not ANONYMOUS_PAGES.match(path):
            assert response.status_code in (302, 404, 405), (path, response.status_code)
            if response.status_code == 302:
                assert response["Location"].startswith("/comptes/login/"), path
    # the session still works where it was opened
    assert (
        Client(HTTP_HOST=host_of(tenant), HTTP_COOKIE=f"portail_session={cookie}")
        .get("/")
        .wsgi_request.user
        == user
    )


@pytest.mark.parametrize("path", TENANT_PATHS)
def test_member_of_a_signed_in_on_b_gets_404(tenant, other_tenant, make_member, path):
    """Even with a session on B's own site (say a stolen one-time pass), someone who is not a
    member of B sees nothing of it."""
    path = path.format(pk=other_tenant.pk)
    user = make_member(tenant, Role.FUNCTIONAL_ADMIN)
    client = sign_in(Client(HTTP_HOST=host_of(other_tenant)), user, other_tenant)
    response = client.get(path)
    if path == "/":
        assert response.status_code == 404
    elif not ANONYMOUS_PAGES.match(path) and not path.startswith("/comptes/"):
        assert response.status_code in (404, 405), (path, response.status_code)


@pytest.mark.parametrize("path", PUBLIC_PATHS)
def test_backoffice_is_closed_without_a_staff_role(tenant, make_member, path):
    path = path.format(pk=tenant.pk)  # their own collectivité's back-office pages included
    member = make_member(tenant, Role.FUNCTIONAL_ADMIN, Role.SIGNATORY)
    anonymous = Client(HTTP_HOST=host_of(None))
    signed = sign_in(Client(HTTP_HOST=host_of(None)), member)
    if ANONYMOUS_PAGES.match(path) or PUBLISHED_PAGES.match(path) or path.startswith("/comptes/"):
        return
    response = anonymous.get(path)
    assert response.status_code in (302, 405), (path, response.status_code)
    if response.status_code == 302:
        assert response["Location"].startswith("/comptes/login/")
    response = signed.get(path)
    if path == "/":
        assert response["Location"] == "/mes-collectivites/"
    elif path in ("/mes-collectivites/", "/securite/double-authentification/"):
        assert response.status_code == 200
    else:
        assert response.status_code in (404, 405), (path, response.status_code)


def test_tenant_pages_are_not_served_on_the_backoffice_and_vice_versa(tenant, staff_admin):
    staff = sign_in(Client(HTTP_HOST=host_of(None)), staff_admin)
    assert staff.get("/invitation/jeton/").status_code == 404
    member_site = Client(HTTP_HOST=host_of(tenant))
    assert member_site.get("/collectivites/").status_code == 404
    assert member_site.get("/api/v1/collectivites").status_code == 404


def test_unknown_host_is_404_not_the_backoffice(db):
    response = Client(HTTP_HOST="inconnue.portail.localhost").get("/comptes/login/")
    assert response.status_code == 404


def test_staff_session_from_backoffice_is_anonymous_on_a_tenant(tenant, staff_admin):
    backoffice = sign_in(Client(HTTP_HOST=host_of(None)), staff_admin)
    cookie = backoffice.cookies["portail_session"].value
    replay = Client(HTTP_HOST=host_of(tenant), HTTP_COOKIE=f"portail_session={cookie}")
    assert replay.get("/").wsgi_request.user.is_anonymous


def test_cookies_are_host_only(tenant, agent):
    from django.conf import settings

    assert settings.SESSION_COOKIE_DOMAIN is None
    assert settings.CSRF_COOKIE_DOMAIN is None
    client = Client(HTTP_HOST=host_of(tenant))
    response = client.post(
        "/comptes/login/", {"login": agent.email, "password": "Mot-de-passe-2026!"}
    )
    assert response.status_code == 302
    assert response.cookies["portail_session"]["domain"] == ""


def test_cache_keys_carry_the_schema(tenant, other_tenant):
    from django.core.cache import cache
    from django_tenants.utils import schema_context

    with schema_context(tenant.schema_name):
        cache.set("tableau-de-bord", "données de Test")
    with schema_context(other_tenant.schema_name):
        assert cache.get("tableau-de-bord") is None
    with schema_context(tenant.schema_name):
        assert cache.get("tableau-de-bord") == "données de Test"
    assert cache.get("tableau-de-bord") is None  # nor in the public schema
