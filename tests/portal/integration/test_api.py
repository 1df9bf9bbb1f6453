"""The JSON API: bearer tokens for syndicate staff, French JSON errors, the collectivités
endpoints and the OpenAPI schema."""

from __future__ import annotations

import pytest
from django.test import Client

from portal import services
from portal.api import FORBIDDEN, INVALID, NOT_FOUND, UNAUTHENTICATED
from portal.domain import SIRET_CHECKSUM_ERROR
from portal.models import Collectivite
from tests.conftest import host_of
from tests.factories import UserFactory, valid_siret


def _client(user=None) -> Client:
    headers = {}
    if user is not None:
        _, raw = services.api_token_create(user=user, name="tests")
        headers["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    return Client(HTTP_HOST=host_of(None), **headers)


def test_without_token_is_401_in_french(db):
    for headers in ({}, {"HTTP_AUTHORIZATION": "Bearer faux"}):
        response = Client(HTTP_HOST=host_of(None), **headers).get("/api/v1/collectivites")
        assert response.status_code == 401
        assert response.json() == {"detail": UNAUTHENTICATED}


def test_revoked_token_is_401(staff_admin):
    from django.utils import timezone

    token, raw = services.api_token_create(user=staff_admin, name="ancien")
    token.revoked_at = timezone.now()
    token.save()
    response = Client(HTTP_HOST=host_of(None), HTTP_AUTHORIZATION=f"Bearer {raw}").get(
        "/api/v1/collectivites"
    )
    assert response.status_code == 401


def test_token_of_someone_without_staff_role_is_403(tenant):
    response = _client(UserFactory()).get("/api/v1/collectivites")
    assert (response.status_code, response.json()) == (403, {"detail": FORBIDDEN})


def test_list_and_filter(staff_finance, tenant, other_tenant):
    client = _client(staff_finance)
    body = client.get("/api/v1/collectivites").json()
    assert body["count"] == Collectivite.objects.count()
    by_slug = {c["slug"]: c for c in body["items"]}
    assert by_slug["test"]["strate"] == "2000-3499"
    assert by_slug["test"]["domain"] == "test.portail.localhost"
    assert by_slug["test"]["siren"] == tenant.siret[:9]
    filtered = client.get("/api/v1/collectivites?strate=moins-250").json()
    assert [c["slug"] for c in filtered["items"]] == ["autre"]


def test_read_one_and_404(staff_finance, tenant):
    client = _client(staff_finance)
    body = client.get(f"/api/v1/collectivites/{tenant.pk}").json()
    assert (body["name"], body["population"]) == ("Commune de Test", 3000)
    missing = client.get("/api/v1/collectivites/999999")
    assert (missing.status_code, missing.json()) == (404, {"detail": NOT_FOUND})


def _payload(**overrides):
    payload = {
        "name": "Commune par API",
        "slug": "par-api",
        "kind": "commune",
        "siret": valid_siret(5150),
        "population": 640,
        "admin_email": "mairie@par-api.fr",
    }
    payload.update(overrides)
    return payload


def test_create_requires_the_administrator_role(staff_finance):
    response = _client(staff_finance).post(
        "/api/v1/collectivites", _payload(), content_type="application/json"
    )
    assert (response.status_code, response.json()) == (403, {"detail": FORBIDDEN})
    assert not Collectivite.objects.filter(slug="par-api").exists()


def test_create(staff_admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _client(staff_admin).post(
            "/api/v1/collectivites", _payload(), content_type="application/json"
        )
    assert response.status_code == 201
    body = response.json()
    assert (body["slug"], body["strate"], body["domain"]) == (
        "par-api",
        "500-999",
        "par-api.portail.localhost",
    )
    assert Collectivite.objects.get(slug="par-api").schema_name == "c_par_api"


@pytest.mark.parametrize(
    ("overrides", "errors", "_case"),
    [
        ({"siret": "73282932000075"}, {"siret": SIRET_CHECKSUM_ERROR}, "bad SIRET"),
        ({"population": -3}, {"population": "Saisissez un nombre entier positif."}, "negative"),
        ({"admin_email": None}, {"admin_email": "Valeur invalide."}, "null e-mail"),
    ],
)
def test_create_with_bad_input_is_422_in_french(staff_admin, overrides, errors, _case):
    response = _client(staff_admin).post(
        "/api/v1/collectivites", _payload(**overrides), content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json() == {"detail": INVALID, "errors": errors}
    assert not Collectivite.objects.filter(slug="par-api").exists()


def test_missing_field_is_named(staff_admin):
    payload = _payload()
    del payload["name"]
    response = _client(staff_admin).post(
        "/api/v1/collectivites", payload, content_type="application/json"
    )
    assert response.json()["errors"] == {"name": "Ce champ est obligatoire."}


def test_openapi_schema_and_local_docs(db):
    client = Client(HTTP_HOST=host_of(None))
    schema = client.get("/api/v1/openapi.json").json()
    assert {"/api/v1/collectivites", "/api/v1/collectivites/{collectivite_id}"} <= set(
        schema["paths"]
    )
    assert "StaffToken" in schema["components"]["securitySchemes"]
    docs = client.get("/api/v1/docs").content.decode()
    assert "cdn." not in docs
    assert "/static/ninja/swagger-ui" in docs


def test_staff_without_second_factor_is_refused(db):
    from portal.api_common import SECOND_FACTOR_MISSING

    user = services.staff_user_create(
        email="sans.facteur@syndicat.test",
        full_name="Sans Facteur",
        password="Mot-de-passe-2026!",
        groups=["Administrateurs du syndicat"],
    )
    response = _client(user).get("/api/v1/collectivites")
    assert (response.status_code, response.json()) == (403, {"detail": SECOND_FACTOR_MISSING})
