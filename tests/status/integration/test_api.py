"""Announcements in the JSON API (issue 13 item 6): staff read, administrators write, the
services' French errors as 422."""

from __future__ import annotations

import pytest
from django.test import Client

from portal import services as portal_services
from status import services
from status.models import Announcement
from tests.conftest import host_of


@pytest.fixture
def api(api_token):
    return Client(HTTP_HOST=host_of(None), HTTP_AUTHORIZATION=f"Bearer {api_token}")


def test_create_update_and_close_an_incident(world, api):
    created = api.post(
        "/api/v1/announcements",
        {
            "kind": "incident",
            "title": "Messagerie lente",
            "severity": "degraded",
            "services": ["messagerie"],
            "body": "<p>Envois <b>retardés</b></p><script>x</script>",
        },
        content_type="application/json",
    )
    assert created.status_code == 201
    body = created.json()
    assert {k: body[k] for k in ("kind", "title", "state", "state_label", "services", "open")} == {
        "kind": "incident",
        "title": "Messagerie lente",
        "state": "degraded",
        "state_label": "Perturbé",
        "services": ["messagerie"],
        "open": True,
    }
    assert body["body"] == "<p>Envois <b>retardés</b></p>"
    pk = body["id"]
    updated = api.post(
        f"/api/v1/announcements/{pk}/updates",
        {"body": "Correctif appliqué."},
        content_type="application/json",
    )
    assert [u["body"] for u in updated.json()["updates"]] == ["<p>Correctif appliqué.</p>"]
    closed = api.post(f"/api/v1/announcements/{pk}/close", {}, content_type="application/json")
    assert closed.status_code == 200
    assert closed.json()["open"] is False
    listed = api.get("/api/v1/announcements?open=true").json()
    assert listed["count"] == 0
    assert api.get("/api/v1/announcements?kind=incident").json()["count"] == 1


def test_french_errors(world, api):
    response = api.post(
        "/api/v1/announcements",
        {"kind": "incident", "title": "Panne", "services": ["inconnu"]},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["errors"] == {"services": "Service inconnu : « inconnu »."}
    response = api.post(
        "/api/v1/announcements",
        {"kind": "incident", "title": "Panne", "services": ["messagerie"]},
        content_type="application/json",
    )
    assert response.json()["errors"] == {"severity": services.SEVERITY_REQUIRED}
    assert Announcement.objects.count() == 0


def test_closing_twice_is_refused(world, api):
    incident = services.announcement_create(
        kind="incident",
        title="Panne",
        severity="interrupted",
        services=[world.mail],
        created_by=None,
    )
    services.incident_close(announcement=incident, closed_by=None)
    response = api.post(
        f"/api/v1/announcements/{incident.pk}/close", {}, content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["errors"] == {"__all__": services.ALREADY_CLOSED}
    assert api.get("/api/v1/announcements/999999").status_code == 404


def test_finance_staff_read_only(world, staff_finance):
    from allauth.mfa.models import Authenticator

    assert Authenticator.objects.filter(user=staff_finance).exists()
    _, raw = portal_services.api_token_create(user=staff_finance, name="lecture")
    client = Client(HTTP_HOST=host_of(None), HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/announcements").status_code == 200
    refused = client.post(
        "/api/v1/announcements", {"kind": "news", "title": "x"}, content_type="application/json"
    )
    assert refused.status_code == 403
