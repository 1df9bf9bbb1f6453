"""Status pages (issue 13 items 1, 2, 7): announcements written in the back-office with French
errors, the status page of each site (a collectivité sees its services only), the banner on
every page of its site, availability per month, and "Mes notifications"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from status import selectors, services
from status.models import Announcement, NotificationPreference
from tests.conftest import host_of, page_text, sign_in

NOW = datetime(2026, 3, 31, 20, 0, tzinfo=UTC)


@pytest.fixture
def staff(backoffice_client, staff_admin):
    return sign_in(backoffice_client, staff_admin)


def _tenant_client(world, user=None):
    return sign_in(Client(HTTP_HOST=host_of(world.tenant)), user or world.agent, world.tenant)


def test_staff_publish_an_incident_sanitized(world, staff):
    response = staff.post(
        "/annonces/",
        {
            "kind": "incident",
            "title": "Lenteurs de la messagerie",
            "severity": "degraded",
            "services": [world.mail.pk],
            "body": '<p onclick="x()">Envois <em>retardés</em></p><img src=x onerror=alert(1)>',
        },
    )
    incident = Announcement.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/annonces/{incident.pk}/"
    assert incident.body == "<p>Envois <em>retardés</em></p>"
    assert incident.created_by.email == "admin@syndicat.test"


@pytest.mark.parametrize(
    ("_case", "data", "field", "message"),
    [
        ("no_title", {"kind": "news", "title": " "}, "title", services.TITLE_REQUIRED),
        (
            "incident_without_severity",
            {"kind": "incident", "title": "Panne"},
            "severity",
            services.SEVERITY_REQUIRED,
        ),
        (
            "incident_without_service",
            {"kind": "incident", "title": "Panne", "severity": "degraded"},
            "services",
            services.SERVICES_REQUIRED,
        ),
        (
            "maintenance_without_end",
            {"kind": "maintenance", "title": "Migration", "starts_at": "2026-04-02T20:00"},
            "ends_at",
            services.WINDOW_END_REQUIRED,
        ),
        (
            "maintenance_ending_before_start",
            {
                "kind": "maintenance",
                "title": "Migration",
                "starts_at": "2026-04-02T20:00",
                "ends_at": "2026-04-02T19:00",
            },
            "ends_at",
            services.END_BEFORE_START,
        ),
        (
            "news_with_severity",
            {"kind": "news", "title": "Nouveauté", "severity": "degraded"},
            "severity",
            services.NEWS_HAS_NO_SEVERITY,
        ),
    ],
)
def test_bad_input_gets_a_french_error_and_changes_nothing(
    world, staff, _case, data, field, message
):
    if _case.startswith("maintenance"):
        data = {**data, "services": [world.mail.pk]}
    response = staff.post("/annonces/", data)
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert Announcement.objects.count() == 0
    # what was typed is kept
    assert response.context["form"]["title"].value() == data["title"]


def test_finance_staff_read_but_do_not_publish(world, backoffice_client, staff_finance):
    client = sign_in(backoffice_client, staff_finance)
    assert client.get("/annonces/").status_code == 200
    assert client.post("/annonces/", {"kind": "news", "title": "x"}).status_code == 404
    assert Announcement.objects.count() == 0


def test_staff_close_an_incident_with_a_last_message(world, staff):
    incident = services.announcement_create(
        kind="incident",
        title="Panne",
        severity="interrupted",
        services=[world.mail],
        created_by=None,
    )
    response = staff.post(f"/annonces/{incident.pk}/clore/", {"body": "Rétabli."})
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.ends_at is not None
    assert [u.body for u in incident.updates.all()] == ["<p>Rétabli.</p>"]
    again = staff.post(f"/annonces/{incident.pk}/clore/", {})
    assert again.context["close_form"].non_field_errors() == [services.ALREADY_CLOSED]


def test_an_incident_cannot_end_in_the_future(world, staff):
    incident = services.announcement_create(
        kind="incident",
        title="Panne",
        severity="interrupted",
        services=[world.mail],
        created_by=None,
    )
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).astimezone().strftime("%Y-%m-%dT%H:%M")
    response = staff.post(f"/annonces/{incident.pk}/clore/", {"ends_at": tomorrow})
    assert response.context["close_form"].errors["ends_at"] == [services.INCIDENT_END_IN_FUTURE]
    incident.refresh_from_db()
    assert incident.ends_at is None


def test_the_collectivites_status_page_shows_its_services_only(world):
    with time_machine.travel(NOW, tick=False):
        services.announcement_create(
            kind="incident",
            title="Visio coupée",
            severity="interrupted",
            services=[world.visio],
            created_by=None,
        )
        response = _tenant_client(world).get("/etat-des-services/")
    assert [row.service.slug for row in response.context["rows"]] == ["messagerie"]
    text = page_text(response)
    assert "Visio coupée" not in text
    assert "Opérationnel" in text
    assert len(response.context["rows"][0].days) == 90


def test_the_back_office_status_page_is_public_with_every_service(world):
    with time_machine.travel(NOW, tick=False):
        services.announcement_create(
            kind="incident",
            title="Visio coupée",
            severity="interrupted",
            services=[world.visio],
            starts_at=NOW - timedelta(hours=1),
            created_by=None,
        )
        response = Client(HTTP_HOST=host_of(None)).get("/etat-des-services/")
    rows = {row.service.slug: row for row in response.context["rows"]}
    assert {slug: row.label for slug, row in rows.items()} == {
        "messagerie": "Opérationnel",
        "visio": "Interrompu",
    }
    assert rows["visio"].days[-1].label == "Interrompu"
    assert rows["visio"].troubled_days == 1
    assert "31/03/2026 : Interrompu" in page_text(response)


def test_availability_to_the_minute_over_a_month_with_two_overlapping_incidents(world):
    # 10 March 2026, Paris time: 09:00–10:30 and 10:00–11:15 overlap → 135 minutes, not 165
    first = services.announcement_create(
        kind="incident",
        title="Panne 1",
        severity="interrupted",
        services=[world.mail],
        starts_at=datetime(2026, 3, 10, 8, 0, tzinfo=UTC),
        ends_at=datetime(2026, 3, 10, 9, 30, tzinfo=UTC),
        created_by=None,
    )
    services.announcement_create(
        kind="incident",
        title="Panne 2",
        severity="interrupted",
        services=[world.mail],
        starts_at=datetime(2026, 3, 10, 9, 0, tzinfo=UTC),
        ends_at=datetime(2026, 3, 10, 10, 15, tzinfo=UTC),
        created_by=None,
    )
    services.announcement_create(  # a degradation is no interruption
        kind="incident",
        title="Lenteurs",
        severity="degraded",
        services=[world.mail],
        starts_at=datetime(2026, 3, 12, 9, 0, tzinfo=UTC),
        ends_at=datetime(2026, 3, 12, 10, 0, tzinfo=UTC),
        created_by=None,
    )
    assert first.pk
    assert (
        selectors.monthly_interrupted_minutes(service=world.mail, year=2026, month=3, now=NOW)
        == 135
    )
    with time_machine.travel(datetime(2026, 4, 2, 8, 0, tzinfo=UTC), tick=False):
        response = Client(HTTP_HOST=host_of(None)).get("/etat-des-services/")
    mail = response.context["rows"][0]
    march = next(m for m in mail.months if m.month == 3)
    # March 2026 has 44 580 minutes (one hour less at the change to summer time)
    assert (march.interrupted_minutes, str(march.percent)) == (135, "99.697")
    assert "135 min" in page_text(response)


def test_the_banner_shows_on_every_page_while_an_incident_runs(world):
    client = _tenant_client(world)
    assert "Incident en cours" not in page_text(client.get("/"))
    incident = services.announcement_create(
        kind="incident",
        title="Messagerie indisponible",
        severity="interrupted",
        services=[world.mail],
        created_by=None,
    )
    selectors.status_changed()  # on commit in real life
    for path in ("/", "/catalogue/", "/contrats/", "/etat-des-services/"):
        assert "Incident en cours sur un service que vous utilisez" in page_text(client.get(path))
    services.incident_close(announcement=incident, closed_by=None)
    selectors.status_changed()
    assert "Incident en cours" not in page_text(client.get("/"))


def test_the_banner_ignores_services_not_subscribed(world):
    services.announcement_create(
        kind="incident",
        title="Visio",
        severity="interrupted",
        services=[world.visio],
        created_by=None,
    )
    selectors.status_changed()
    assert "Incident en cours" not in page_text(_tenant_client(world).get("/"))


def test_the_banner_costs_one_query_then_none(world):
    services.announcement_create(
        kind="incident",
        title="Panne",
        severity="interrupted",
        services=[world.mail],
        created_by=None,
    )
    selectors.status_changed()
    with CaptureQueriesContext(connection) as first:
        assert [i.title for i in selectors.banner_incidents(collectivite=world.tenant)] == ["Panne"]
    with CaptureQueriesContext(connection) as second:
        selectors.banner_incidents(collectivite=world.tenant)
    assert (len(first), len(second)) == (1, 0)


def test_open_incidents_for_the_support_hook(world):
    incident = services.announcement_create(
        kind="incident",
        title="Panne",
        severity="interrupted",
        services=[world.mail],
        created_by=None,
    )
    assert list(selectors.open_incidents_for(collectivite=world.tenant)) == [incident]
    assert list(selectors.open_incidents_for(collectivite=world.tenant, service=world.visio)) == []
    assert list(selectors.open_incidents_for(collectivite=world.other)) == []


def test_my_notifications_saves_the_opt_out(world):
    client = _tenant_client(world, world.referent)
    page = client.get("/mes-notifications/")
    assert page.status_code == 200
    assert 'href="/mes-notifications/"' in page.content.decode()  # linked from the user menu
    assert client.post("/mes-notifications/", {}).status_code == 302
    assert NotificationPreference.objects.get(user=world.referent).status_emails is False
    client.post("/mes-notifications/", {"status_emails": "on"})
    assert NotificationPreference.objects.get(user=world.referent).status_emails is True


def test_navigation_links(world, staff):
    assert 'href="/annonces/"' in staff.get("/").content.decode()
    assert 'href="/etat-des-services/"' in _tenant_client(world).get("/").content.decode()


def test_anonymous_visitors_are_sent_to_sign_in_on_a_collectivites_site(world):
    response = Client(HTTP_HOST=host_of(world.tenant)).get("/etat-des-services/")
    assert response.status_code == 302
    assert response["Location"].startswith("/comptes/login/")
