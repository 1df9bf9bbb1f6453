"""Shared fixtures: one test collectivité (and a second one, for isolation tests) built once
and kept between runs (`--reuse-db`), people with roles, clients on each site."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client

from portal import services
from portal.models import Collectivite, Role
from tests.factories import MembershipFactory, UserFactory, valid_siret

pytest_plugins = ["tests.support.slapd", "tests.support.systems", "tests.support.dovecot"]

TEST_PASSWORD = "Mot-de-passe-2026!"

TEST_TENANTS = {
    "test": dict(name="Commune de Test", kind="commune", population=3000, agent_count=24),
    "autre": dict(name="Commune Autre", kind="commune", population=180, agent_count=2),
}


def _ensure_tenant(slug: str) -> Collectivite:
    """The collectivité `slug`, created once (schema cloned from the template) and reused."""
    existing = Collectivite.objects.filter(slug=slug).first()
    if existing is not None:
        return existing
    spec = TEST_TENANTS[slug]
    return services.collectivite_create(
        data=services.CollectiviteInput(
            slug=slug, siret=valid_siret(9_000_000 + len(slug)), **spec
        ),
        admin_email=f"admin@{slug}.test",
        created_by=None,
    )


@pytest.fixture(scope="session")
def django_db_setup(
    request,
    django_test_environment,
    django_db_blocker,
    django_db_keepdb,
    django_db_createdb,
    django_db_modify_db_settings,
):
    """The test database (always: browser and thread tests reach it without the `db`
    fixture, which pytest-django would otherwise take as "no database needed"), with the
    template schema and the two test collectivités."""
    from django.test.utils import setup_databases

    with django_db_blocker.unblock():
        setup_databases(
            verbosity=request.config.option.verbose,
            interactive=False,
            aliases={"default"},
            serialized_aliases=set(),
            keepdb=django_db_keepdb and not django_db_createdb,
        )
        assert connection.settings_dict["NAME"].startswith("test_"), "not the test database"
        services.tenant_template_ensure()
        for slug in TEST_TENANTS:
            _ensure_tenant(slug)
        connection.set_schema_to_public()


@pytest.fixture(autouse=True)
def _public_schema_and_clean_cache(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    yield
    connection.set_schema_to_public()


@pytest.fixture
def tenant(db) -> Collectivite:
    return Collectivite.objects.get(slug="test")


@pytest.fixture
def other_tenant(db) -> Collectivite:
    return Collectivite.objects.get(slug="autre")


def host_of(collectivite: Collectivite | None) -> str:
    return collectivite.primary_domain_name if collectivite else settings.BASE_DOMAIN


@pytest.fixture
def backoffice_client() -> Client:
    return Client(HTTP_HOST=settings.BASE_DOMAIN)


@pytest.fixture
def tenant_client(tenant) -> Client:
    return Client(HTTP_HOST=host_of(tenant))


@pytest.fixture
def make_member(db):
    def make(collectivite: Collectivite, *roles: str, email: str | None = None):
        user = UserFactory(**({"email": email} if email else {}))
        for role in roles or (Role.AGENT,):
            MembershipFactory(user=user, collectivite=collectivite, role=role)
        return user

    return make


@pytest.fixture
def agent(tenant, make_member):
    return make_member(tenant, Role.AGENT)


@pytest.fixture
def staff_admin(db):
    from allauth.mfa.models import Authenticator

    user = services.staff_user_create(
        email="admin@syndicat.test",
        full_name="Nadia Roussel",
        password=TEST_PASSWORD,
        groups=["Administrateurs du syndicat"],
    )
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    return user


@pytest.fixture
def staff_finance(db):
    from allauth.mfa.models import Authenticator

    user = services.staff_user_create(
        email="finances@syndicat.test",
        full_name="Yves Morel",
        password=TEST_PASSWORD,
        groups=["Finances du syndicat"],
    )
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    return user


def sign_in(client: Client, user, collectivite: Collectivite | None = None) -> Client:
    """Sign `user` in on the site of `collectivite` (the back-office when None): sessions are
    bound to the schema they were opened in (P4)."""
    from django_tenants.utils import schema_context

    with schema_context(collectivite.schema_name if collectivite else "public"):
        client.force_login(user)
    return client


def page_text(response) -> str:
    """The response body as a person reads it (HTML entities decoded)."""
    import html

    return html.unescape(response.content.decode())


@pytest.fixture
def audit_floor(db) -> int:
    """The last audit event before the test: audit events are append-only, and those that
    browser and thread tests commit stay in the reused test database, so tests that look
    events up by action alone look above this floor."""
    from portal.models import AuditEvent

    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
