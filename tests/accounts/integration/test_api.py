"""Service accounts in the JSON API: a functional administrator's token manages its own
collectivité's accounts only; the syndicate decides quota requests; errors are French JSON."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from accounts.models import ServiceAccount
from portal import services as portal_services
from portal.models import Role
from tests.conftest import host_of

PARIS = ZoneInfo("Europe/Paris")
GB = 1024**3


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime(2026, 3, 17, 10, tzinfo=PARIS), tick=False):
        yield


class Api:
    def __init__(self, user) -> None:
        _, raw = portal_services.api_token_create(user=user, name="tests")
        self.client = Client(HTTP_HOST=host_of(None), HTTP_AUTHORIZATION=f"Bearer {raw}")

    def get(self, path: str):
        return self.client.get(f"/api/v1{path}")

    def post(self, path: str, body: dict | None = None):
        return self.client.post(f"/api/v1{path}", body or {}, content_type="application/json")


ANNE = {
    "offer": "mail",
    "given_name": "Anne",
    "surname": "Martin",
    "email": "anne@perso.test",
    "login": "anne.martin",
}


def test_functional_admin_creates_lists_closes_and_restores(
    tenant, functional_admin, catalogue, subscribe
):
    subscribe(catalogue.mail, 1)
    api = Api(functional_admin)
    created = api.post(f"/collectivites/{tenant.pk}/accounts", ANNE)
    assert created.status_code == 201
    body = created.json()
    assert (body["state"], body["mailbox"], body["quota_bytes"]) == (
        "pending",
        "anne.martin@test.mail.localhost",
        2 * GB,
    )
    full = api.post(f"/collectivites/{tenant.pk}/accounts", ANNE | {"login": "bruno"})
    assert full.status_code == 422
    assert "sont utilisés (1 sur 1)" in full.json()["errors"]["__all__"]
    [listed] = api.get(f"/collectivites/{tenant.pk}/accounts").json()
    assert listed["login"] == "anne.martin"
    closed = api.post(f"/collectivites/{tenant.pk}/accounts/{body['id']}/close", {"reason": "x"})
    assert closed.json()["state"] == "closing"
    assert closed.json()["export_until"] == "2026-06-16"
    assert closed.json()["restore_until"] == "2026-03-31"
    restored = api.post(f"/collectivites/{tenant.pk}/accounts/{body['id']}/restore")
    assert restored.json()["state"] == "pending"
    [usage] = api.get(f"/collectivites/{tenant.pk}/usage").json()
    assert (usage["subscribed"], usage["open_accounts"]) == (1, 1)


def test_another_collectivite_is_not_revealed(
    tenant, other_tenant, functional_admin, make_member, catalogue, subscribe
):
    subscribe(catalogue.mail, 1, collectivite=other_tenant)
    api_b = Api(make_member(other_tenant, Role.FUNCTIONAL_ADMIN))
    account_b = api_b.post(f"/collectivites/{other_tenant.pk}/accounts", ANNE).json()
    api_a = Api(functional_admin)
    assert api_a.get(f"/collectivites/{other_tenant.pk}/accounts").status_code == 404
    response = api_a.post(f"/collectivites/{other_tenant.pk}/accounts/{account_b['id']}/close")
    assert response.status_code == 404
    assert api_a.post(f"/collectivites/{other_tenant.pk}/accounts", ANNE).status_code == 404
    # An agent of the collectivité is no functional administrator either.
    agent = Api(make_member(other_tenant, Role.AGENT))
    assert agent.get(f"/collectivites/{other_tenant.pk}/accounts").status_code == 404


def test_quota_request_decided_by_the_syndicate(
    tenant, functional_admin, staff_admin, staff_finance, catalogue, subscribe, in_schema
):
    subscribe(catalogue.mail, 1)
    api = Api(functional_admin)
    account = api.post(f"/collectivites/{tenant.pk}/accounts", ANNE).json()
    with in_schema(tenant):
        ServiceAccount.objects.filter(pk=account["id"]).update(state="active")
    asked = api.post(
        f"/collectivites/{tenant.pk}/accounts/{account['id']}/quota-requests",
        {"extra_gb": 2, "reason": "Archives"},
    )
    assert asked.status_code == 201
    finance = Api(staff_finance)
    [pending] = finance.get("/quota-requests").json()
    assert (pending["collectivite_name"], pending["extra_gb"]) == ("Commune de Test", 2)
    path = f"/collectivites/{tenant.pk}/quota-requests/{pending['id']}"
    assert finance.post(f"{path}/approve").status_code == 403
    assert api.post(f"{path}/approve").status_code == 403
    refused = Api(staff_admin).post(f"{path}/refuse", {"reason": " "})
    assert refused.status_code == 422
    approved = Api(staff_admin).post(f"{path}/approve")
    assert approved.json()["status"] == "approved"
    detail = api.get(f"/collectivites/{tenant.pk}/accounts/{account['id']}").json()
    assert detail["quota_bytes"] == 4 * GB
