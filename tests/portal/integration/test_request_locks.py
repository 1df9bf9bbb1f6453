"""Issues 17 and 19: no request takes locks in proportion to the number of collectivités.

Each page is requested at two sizes — the two test collectivités, then with more created in
the same transaction — and the relation locks its backend took during the request are counted
in `pg_locks` (inside a savepoint rolled back afterwards, which releases them). A request that
read every tenant schema (the old UNION ALL of the quota queue: 15 locks per schema, out of
lock slots from a few hundred collectivités) takes more at the second size; the control test
shows that the count sees it."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test import Client

from portal import services
from portal import services as portal_services
from portal.models import Collectivite, Role
from tests.conftest import host_of, sign_in
from tests.factories import valid_siret
from tests.portal.integration.test_isolation import PUBLIC_PATHS, TENANT_PATHS

EXTRA = 6


def _plain(paths: list[str]) -> list[str]:
    """Every page without an argument, sign-in pages aside."""
    return [
        p
        for p in paths
        if "{pk}" not in p
        and "/1" not in p
        and "jeton" not in p
        and not p.startswith(("/comptes/", "/i18n/"))
    ]


BACKOFFICE_PAGES = _plain(PUBLIC_PATHS)
TENANT_PAGES = _plain(TENANT_PATHS)

LOCKS_SQL = "SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'relation'"


def _locks() -> int:
    with connection.cursor() as cursor:
        cursor.execute(LOCKS_SQL)
        return cursor.fetchone()[0]


def locks_taken(action) -> int:
    """Relation locks taken by `action`, released afterwards (savepoint rolled back). The
    action runs once before, so that the caches (host → collectivité) are filled."""
    with transaction.atomic():
        action()
        transaction.set_rollback(True)  # releases its locks too
    with transaction.atomic():
        before = _locks()
        action()
        taken = _locks() - before
        transaction.set_rollback(True)
    connection.set_schema_to_public()
    return taken


def _more_collectivites(count: int, first: int = 0) -> None:
    for i in range(first, first + count):
        services.collectivite_create(
            data=services.CollectiviteInput(
                name=f"Commune Verrou {i}",
                slug=f"verrou-{i}",
                kind="commune",
                siret=valid_siret(8_100_000 + i),
                population=500,
            ),
            admin_email=f"admin@verrou-{i}.test",
            created_by=None,
        )
    connection.set_schema_to_public()


@pytest.fixture
def staff_admin(db):
    """Administrator and finance at once: every back-office page opens."""
    from allauth.mfa.models import Authenticator

    user = portal_services.staff_user_create(
        email="tout@syndicat.test",
        full_name="Camille Dupont",
        password="Mot-de-passe-2026!",
        groups=["Administrateurs du syndicat", "Finances du syndicat"],
    )
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    return user


@pytest.fixture
def staff_client(staff_admin) -> Client:
    return sign_in(Client(HTTP_HOST=settings.BASE_DOMAIN), staff_admin)


def _get(client: Client, path: str, **headers):
    def action():
        response = client.get(path, **headers)
        assert response.status_code in (200, 301, 302, 404, 405), (path, response.status_code)

    return action


def test_no_backoffice_or_tenant_page_takes_locks_per_collectivite(
    tenant, staff_admin, staff_client, make_member
):
    member = make_member(tenant, Role.FUNCTIONAL_ADMIN)
    site = sign_in(Client(HTTP_HOST=host_of(tenant)), member, tenant)
    _, key = portal_services.api_token_create(user=staff_admin, name="verrous")
    api = Client(HTTP_HOST=settings.BASE_DOMAIN, HTTP_AUTHORIZATION=f"Bearer {key}")
    pages = [
        *((f"backoffice {p}", _get(staff_client, p)) for p in BACKOFFICE_PAGES),
        *((f"site {p}", _get(site, p)) for p in TENANT_PAGES),
        ("api /api/v1/quota-requests", _get(api, "/api/v1/quota-requests")),
        ("api /api/v1/collectivites", _get(api, "/api/v1/collectivites")),
    ]
    assert len(pages) > 20
    _more_collectivites(1, first=100)  # pages listing collectivités have rows at both sizes
    small = {name: locks_taken(action) for name, action in pages}
    _more_collectivites(EXTRA)
    assert Collectivite.objects.count() >= 2 + EXTRA
    large = {name: locks_taken(action) for name, action in pages}
    assert large == small


def _union_all_over_schemas() -> None:
    """The quota queue as it was: one statement over every tenant schema."""
    schemas = list(Collectivite.objects.values_list("schema_name", flat=True))
    sql = " UNION ALL ".join(
        f'SELECT r.id FROM "{s}".accounts_quotarequest r '  # noqa: S608 (our own schema names)
        f'JOIN "{s}".accounts_serviceaccount a ON a.id = r.account_id'
        for s in schemas
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)


def test_control_the_lock_count_sees_a_read_over_every_schema(tenant):
    small = locks_taken(_union_all_over_schemas)
    _more_collectivites(EXTRA)
    large = locks_taken(_union_all_over_schemas)
    assert large > small + EXTRA * 2


# --- Queries per page (issue 17: ≤ 12 on every page, the same at two sizes) ----------------

MAX_QUERIES = 12
# Known to exceed it (left to do in issue 17, tracked here so that nothing else may): the
# home pages and their badges compute one query per work queue of each role the person holds
# (issue 10, then support, notices and trainings); the accounts page checks a running suspension (issue 15). Constant in rows all
# the same (asserted below and in tests/workqueues).
OVER_BUDGET = {
    "backoffice /": 19,
    "backoffice /a-faire/compteurs/": 19,
    "site /": 17,
    "site /a-faire/compteurs/": 17,
    "site /comptes-de-service/": 13,
    # next year's estimate and spending (issue 16): one query per kind of contract data
    "backoffice /facturation/budget/": 15,
    "site /budget/": 17,
}


def queries_of(action) -> int:
    from django.test.utils import CaptureQueriesContext

    action()  # the first request of a host fills the host → collectivité cache
    with CaptureQueriesContext(connection) as queries:
        action()
    connection.set_schema_to_public()
    return len(queries)


def _rows(tenant, catalogue, *, accounts: int, first: int) -> None:
    """Accounts with a quota request each, in the tenant (and their projection)."""
    from django_tenants.utils import schema_context

    from accounts import projection
    from accounts.models import QuotaRequest, ServiceAccount

    with schema_context(tenant.schema_name):
        for i in range(first, first + accounts):
            account = ServiceAccount.objects.create(
                kind="mail",
                offer=catalogue.mail,
                given_name="Agent",
                surname=f"N{i}",
                email=f"n{i}@perso.test",
                login=f"n{i}",
                state="active",
                quota_bytes=2**31,
                used_bytes=2**30,
            )
            QuotaRequest.objects.create(account=account, extra_gb=1)
        projection.reconcile_here(collectivite=tenant)
    connection.set_schema_to_public()


def test_no_page_runs_more_than_12_queries_at_either_size(
    tenant, staff_admin, staff_client, make_member
):
    member = make_member(tenant, Role.FUNCTIONAL_ADMIN, Role.SIGNATORY)
    site = sign_in(Client(HTTP_HOST=host_of(tenant)), member, tenant)
    pages = [
        *((f"backoffice {p}", _get(staff_client, p)) for p in BACKOFFICE_PAGES),
        *((f"site {p}", _get(site, p)) for p in TENANT_PAGES),
    ]
    from datetime import date
    from decimal import Decimal

    from contracts.models import Subscription
    from tests.factories.catalogue import build_catalogue

    # Every list has rows at both sizes (a prefetch runs only for rows); the second size has
    # more collectivités, accounts, requests and subscriptions.
    catalogue = build_catalogue()
    _more_collectivites(1, first=100)
    Subscription.objects.create(
        collectivite=tenant,
        offer=catalogue.mail,
        quantity=Decimal(9),
        activated_on=date(2026, 1, 1),
    )
    _rows(tenant, catalogue, accounts=1, first=0)
    small = {name: queries_of(action) for name, action in pages}
    _more_collectivites(EXTRA)
    Subscription.objects.create(
        collectivite=tenant,
        offer=catalogue.visio,
        quantity=Decimal(2),
        activated_on=date(2026, 1, 1),
    )
    _rows(tenant, catalogue, accounts=5, first=1)
    large = {name: queries_of(action) for name, action in pages}
    assert {name: n for name, n in large.items() if n > OVER_BUDGET.get(name, MAX_QUERIES)} == {}
    assert large == small
