"""The Alertmanager webhook (issue 13 item 6): a firing alert opens one incident on the service
its labels map to, resolved closes it, and the same payload twice changes nothing. The
payloads are Alertmanager's webhook format, version 4, as documented by Prometheus."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from status.models import Announcement
from tests.conftest import host_of

FINGERPRINT = "c0ffee0123456789"
NOW = datetime(2026, 3, 10, 11, 0, tzinfo=UTC)
WEBHOOK_TOKEN = "jeton-alertmanager-de-test"


def payload(status: str, **alert_changes) -> dict:
    alert = {
        "status": status,
        "labels": {
            "alertname": "BlueMindSmtpDown",
            "service": "bluemind",
            "severity": "critical",
            "instance": "mx1.syndicat.test:25",
        },
        "annotations": {
            "summary": "Le serveur SMTP ne répond plus",
            "description": "Aucune réponse sur le port 25 depuis 5 minutes.",
        },
        "startsAt": "2026-03-10T09:55:00.000Z",
        "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else "2026-03-10T10:40:00.000Z",
        "generatorURL": "http://prometheus.syndicat.test/graph?g0.expr=up",
        "fingerprint": FINGERPRINT,
    }
    alert.update(alert_changes)
    return {
        "version": "4",
        "groupKey": '{}:{alertname="BlueMindSmtpDown"}',
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "portail",
        "groupLabels": {"alertname": "BlueMindSmtpDown"},
        "commonLabels": dict(alert["labels"]),
        "commonAnnotations": dict(alert["annotations"]),
        "externalURL": "http://alertmanager.syndicat.test:9093",
        "alerts": [alert],
    }


@pytest.fixture
def webhook(settings):
    settings.STATUS_ALERTMANAGER_TOKEN = WEBHOOK_TOKEN
    client = Client(HTTP_HOST=settings.BASE_DOMAIN)

    def post(body: dict, token: str = WEBHOOK_TOKEN):
        with time_machine.travel(NOW, tick=False):
            return client.post(
                "/api/v1/status/alertmanager",
                body,
                content_type="application/json",
                headers={"Authorization": f"Bearer {token}"},
            )

    return post


def test_firing_then_resolved_opens_and_closes_one_incident(world, webhook):
    opened = webhook(payload("firing"))
    assert opened.status_code == 200
    assert opened.json() == {"opened": 1, "closed": 0, "unchanged": 0, "unmapped": 0}
    incident = Announcement.objects.get()
    assert incident.kind == "incident"
    assert incident.severity == "interrupted"
    assert incident.title == "Messagerie : Le serveur SMTP ne répond plus"
    assert incident.body == "<p>Aucune réponse sur le port 25 depuis 5 minutes.</p>"
    assert list(incident.services.all()) == [world.mail]
    assert incident.starts_at == datetime(2026, 3, 10, 9, 55, tzinfo=UTC)
    assert incident.ends_at is None

    closed = webhook(payload("resolved"))
    assert closed.json() == {"opened": 0, "closed": 1, "unchanged": 0, "unmapped": 0}
    incident.refresh_from_db()
    assert incident.ends_at == datetime(2026, 3, 10, 10, 40, tzinfo=UTC)
    assert Announcement.objects.count() == 1


def test_a_repeated_payload_changes_nothing(world, webhook):
    webhook(payload("firing"))
    again = webhook(payload("firing"))
    assert again.json() == {"opened": 0, "closed": 0, "unchanged": 1, "unmapped": 0}
    assert Announcement.objects.count() == 1
    webhook(payload("resolved"))
    closed_at = Announcement.objects.get().ends_at
    assert webhook(payload("resolved")).json()["unchanged"] == 1
    # Alertmanager re-sends the old firing notification: the closed incident stays closed
    assert webhook(payload("firing")).json()["unchanged"] == 1
    assert Announcement.objects.get().ends_at == closed_at


def test_the_same_alert_firing_again_later_opens_a_new_incident(world, webhook):
    webhook(payload("firing"))
    webhook(payload("resolved"))
    later = webhook(payload("firing", startsAt="2026-03-10T10:50:00Z"))
    assert later.json()["opened"] == 1
    assert Announcement.objects.filter(alert_fingerprint=FINGERPRINT).count() == 2


def test_warning_alerts_degrade_and_labels_route_to_their_service(world, webhook):
    body = payload("firing", fingerprint="beefbeef")
    body["alerts"][0]["labels"] = {"alertname": "BbbSlow", "job": "bbb", "severity": "warning"}
    unmapped = copy.deepcopy(body["alerts"][0])
    unmapped["labels"] = {"alertname": "Other", "job": "ailleurs"}
    unmapped["fingerprint"] = "0000"
    body["alerts"].append(unmapped)
    assert webhook(body).json() == {"opened": 1, "closed": 0, "unchanged": 0, "unmapped": 1}
    incident = Announcement.objects.get()
    assert (incident.severity, list(incident.services.all())) == ("degraded", [world.visio])


def test_the_webhook_needs_its_token(world, webhook):
    refused = webhook(payload("firing"), token="faux")
    assert refused.status_code == 401
    assert Announcement.objects.count() == 0


def test_a_syndicate_administrators_api_token_is_accepted(world, webhook, api_token):
    assert webhook(payload("firing"), token=api_token).json()["opened"] == 1


def test_without_a_configured_token_only_api_tokens_pass(world, webhook, settings):
    settings.STATUS_ALERTMANAGER_TOKEN = ""
    assert webhook(payload("firing"), token="").status_code == 401


def test_the_database_refuses_a_second_open_incident_for_one_alert(world):
    from django.db import IntegrityError, transaction

    data = dict(
        kind="incident",
        title="x",
        severity="degraded",
        starts_at=NOW,
        alert_fingerprint=FINGERPRINT,
    )
    Announcement.objects.create(**data, alert_starts_at=NOW)
    with pytest.raises(IntegrityError), transaction.atomic():
        Announcement.objects.create(**data, alert_starts_at=NOW + timedelta(minutes=5))


def test_the_webhook_is_in_the_openapi_schema(db):
    schema = Client(HTTP_HOST=host_of(None)).get("/api/v1/openapi.json").json()
    assert {"/api/v1/status/alertmanager", "/api/v1/announcements"} <= set(schema["paths"])
    assert "AlertmanagerToken" in schema["components"]["securitySchemes"]
