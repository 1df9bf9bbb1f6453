"""Feeds (issue 13 item 3): RSS 2.0 and Atom, valid for feedparser (no bozo flag), stable
guids, RFC 822 / RFC 3339 dates, French text escaped; a collectivité's private feed shows
only its services, and a renewed token refuses the old one."""

from __future__ import annotations

from datetime import UTC, datetime

import feedparser
import pytest
import time_machine
from django.test import Client

from status import services
from status.models import Announcement, FeedToken
from tests.conftest import host_of, sign_in

TRICKY = "Messagerie : « lenteurs » & <retards> d'envoi"


@pytest.fixture
def published(world):
    with time_machine.travel(datetime(2026, 3, 10, 9, 0, tzinfo=UTC), tick=False):
        mail_incident = services.announcement_create(
            kind=Announcement.Kind.INCIDENT,
            title=TRICKY,
            body="<p>Les envois sont <b>retardés</b>.</p><script>alert(1)</script>",
            severity="degraded",
            services=[world.mail],
            created_by=None,
        )
        visio_maintenance = services.announcement_create(
            kind=Announcement.Kind.MAINTENANCE,
            title="Mise à jour de la visio",
            services=[world.visio],
            starts_at=datetime(2026, 3, 20, 20, 0, tzinfo=UTC),
            ends_at=datetime(2026, 3, 20, 22, 0, tzinfo=UTC),
            created_by=None,
        )
        news = services.announcement_create(
            kind=Announcement.Kind.NEWS,
            title="Nouvelle version du logiciel métier état civil",
            body="Version 2026.1 : éditions des actes améliorées.",
            created_by=None,
        )
    return mail_incident, visio_maintenance, news


def _parse(response):
    assert response.status_code == 200
    parsed = feedparser.parse(response.content)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    return parsed


@pytest.mark.parametrize(("kind", "version"), [("rss", "rss20"), ("atom", "atom10")])
def test_the_global_feed_is_valid_and_lists_every_announcement(
    published, backoffice_client, kind, version
):
    mail_incident, visio_maintenance, news = published
    feed = _parse(backoffice_client.get(f"/etat-des-services/flux/{kind}/"))
    assert feed.version == version
    assert feed.feed.title == "État des services — annonces"
    assert [e.id for e in feed.entries] == [
        f"tag:portail.localhost,2026:annonce-{a.pk}"
        for a in (visio_maintenance, news, mail_incident)
    ]
    incident = feed.entries[2]
    assert incident.title == f"Incident (en cours) : {TRICKY}"
    assert "<b>retardés</b>" in incident.summary
    assert "script" not in incident.summary
    assert (
        incident.link == f"http://portail.localhost/etat-des-services/#annonce-{mail_incident.pk}"
    )


def test_rss_dates_are_rfc_822_and_atom_dates_rfc_3339(published, backoffice_client):
    rss = backoffice_client.get("/etat-des-services/flux/rss/").content.decode()
    atom = backoffice_client.get("/etat-des-services/flux/atom/").content.decode()
    assert "<pubDate>Tue, 10 Mar 2026 09:00:00 +0000</pubDate>" in rss
    assert "<updated>2026-03-10T09:00:00+00:00</updated>" in atom
    assert "&lt;retards&gt;" in rss
    assert "« lenteurs » &amp;" in rss


def test_guids_are_stable_when_an_announcement_changes(published, backoffice_client):
    mail_incident = published[0]
    before = _parse(backoffice_client.get("/etat-des-services/flux/rss/")).entries[2].id
    services.announcement_update_post(
        announcement=mail_incident, body="Retour à la normale en cours.", posted_by=None
    )
    services.incident_close(announcement=mail_incident, closed_by=None)
    entries = _parse(backoffice_client.get("/etat-des-services/flux/rss/")).entries
    after = next(e for e in entries if e.id == before)
    assert after.title == f"Incident (terminé) : {TRICKY}"
    assert "Retour à la normale en cours." in after.summary


def test_the_service_feed_shows_that_service_and_general_news(published, backoffice_client):
    mail_incident, _, news = published
    feed = _parse(backoffice_client.get("/etat-des-services/flux/services/messagerie/atom/"))
    assert feed.feed.title == "État des services — Messagerie"
    assert {e.id.rsplit("-", 1)[1] for e in feed.entries} == {str(mail_incident.pk), str(news.pk)}
    assert backoffice_client.get("/etat-des-services/flux/services/inconnu/rss/").status_code == 404


def _private_token(world) -> str:
    return services.feed_token_renew(collectivite=world.tenant, renewed_by=world.admin)


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_the_private_feed_shows_only_the_collectivites_services(published, world, kind):
    mail_incident, _, news = published
    token = _private_token(world)
    client = Client(HTTP_HOST=host_of(world.tenant))
    feed = _parse(client.get(f"/etat-des-services/flux/{token}/{kind}/"))
    assert feed.feed.title == "État des services — Commune de Test"
    assert {e.id.rsplit("-", 1)[1] for e in feed.entries} == {str(mail_incident.pk), str(news.pk)}
    assert feed.entries[0].link.startswith("http://test.portail.localhost/etat-des-services/")


def test_a_renewed_token_refuses_the_old_one(published, world):
    old = _private_token(world)
    new = _private_token(world)
    client = Client(HTTP_HOST=host_of(world.tenant))
    assert client.get(f"/etat-des-services/flux/{old}/rss/").status_code == 404
    assert client.get(f"/etat-des-services/flux/{new}/rss/").status_code == 200


def test_a_token_works_only_on_its_collectivites_site(published, world):
    token = _private_token(world)
    assert (
        Client(HTTP_HOST=host_of(world.other))
        .get(f"/etat-des-services/flux/{token}/rss/")
        .status_code
        == 404
    )
    assert (
        Client(HTTP_HOST=host_of(None)).get(f"/etat-des-services/flux/{token}/rss/").status_code
        == 404
    )


def test_only_the_hash_of_the_token_is_stored(world):
    token = _private_token(world)
    stored = world.tenant.status_feed_token
    assert token not in stored.key_hash
    assert len(stored.key_hash) == 64


def test_the_functional_administrator_renews_the_address(published, world):
    client = sign_in(Client(HTTP_HOST=host_of(world.tenant)), world.admin, world.tenant)
    page = client.post("/etat-des-services/flux/")
    assert page.status_code == 200
    url = page.context["rss_url"]
    assert url.startswith("http://test.portail.localhost/etat-des-services/flux/")
    assert client.get(url.removeprefix("http://test.portail.localhost")).status_code == 200
    again = client.post("/etat-des-services/flux/")
    assert client.get(url.removeprefix("http://test.portail.localhost")).status_code == 404
    assert (
        client.get(
            again.context["rss_url"].removeprefix("http://test.portail.localhost")
        ).status_code
        == 200
    )


def test_an_agent_cannot_renew_the_address(world):
    before = set(
        FeedToken.objects.filter(collectivite=world.tenant).values_list("key_hash", flat=True)
    )
    client = sign_in(Client(HTTP_HOST=host_of(world.tenant)), world.agent, world.tenant)
    assert client.post("/etat-des-services/flux/").status_code == 404
    after = set(
        FeedToken.objects.filter(collectivite=world.tenant).values_list("key_hash", flat=True)
    )
    assert after == before
