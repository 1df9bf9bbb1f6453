"""The notifier (issue 13 item 4): the functional administrators and referents of the
collectivités subscribing an affected service are e-mailed at an incident's start, its
updates and its end, and a set number of days before a planned maintenance — each moment
once (a database constraint), never to those who opted out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from contracts.models import Subscription
from portal.models import Role
from status import services, tasks
from status.models import Announcement, NotificationSent
from tests.factories import MembershipFactory

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def _open_incident(world, capture, **changes):
    data = dict(
        kind=Announcement.Kind.INCIDENT,
        title="Messagerie indisponible",
        body="<p>Les boîtes ne répondent plus.</p>",
        severity="interrupted",
        services=[world.mail],
        created_by=None,
    )
    data.update(changes)
    with time_machine.travel(NOW, tick=False), capture(execute=True):
        return services.announcement_create(**data)


def test_an_incident_start_emails_the_administrators_and_referents_concerned(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    _open_incident(world, django_capture_on_commit_callbacks)
    assert sorted(m.to[0] for m in mailoutbox) == ["fonctionnel@test.fr", "referent@test.fr"]
    mail = mailoutbox[0]
    assert mail.subject == "[État des services] Incident en cours : Messagerie indisponible"
    assert "Services concernés : Messagerie" in mail.body
    assert "Gravité : Interruption" in mail.body
    assert "Début : 10/03/2026 à 10:00" in mail.body
    assert "Les boîtes ne répondent plus." in mail.body
    assert "Commune de Test : http://test.portail.localhost/etat-des-services/" in mail.body
    assert "http://test.portail.localhost/mes-notifications/" in mail.body


def test_updates_and_the_end_are_emailed_too(world, mailoutbox, django_capture_on_commit_callbacks):
    incident = _open_incident(world, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.announcement_update_post(
            announcement=incident, body="Le fournisseur intervient.", posted_by=None
        )
    with (
        time_machine.travel(NOW + timedelta(hours=2), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.incident_close(announcement=incident, closed_by=None)
    subjects = [m.subject for m in mailoutbox if m.to == ["fonctionnel@test.fr"]]
    assert subjects == [
        "[État des services] Incident en cours : Messagerie indisponible",
        "[État des services] Mise à jour de l'incident : Messagerie indisponible",
        "[État des services] Incident terminé : Messagerie indisponible",
    ]
    assert "Le fournisseur intervient." in mailoutbox[2].body
    assert "Fin : 10/03/2026 à 12:00" in mailoutbox[-1].body


def test_each_moment_is_sent_once(world, mailoutbox, django_capture_on_commit_callbacks):
    incident = _open_incident(world, django_capture_on_commit_callbacks)
    assert len(mailoutbox) == 2
    # a retried or duplicated task sends nothing more
    assert tasks.announcement_notify(incident.pk, "start") == 0
    assert len(mailoutbox) == 2
    assert NotificationSent.objects.filter(announcement=incident, event="start").count() == 2


def test_people_who_opted_out_get_nothing(world, mailoutbox, django_capture_on_commit_callbacks):
    services.notification_preference_set(user=world.referent, status_emails=False)
    _open_incident(world, django_capture_on_commit_callbacks)
    assert [m.to for m in mailoutbox] == [["fonctionnel@test.fr"]]


def test_a_person_of_two_collectivites_gets_one_email(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    MembershipFactory(user=world.other_admin, collectivite=world.other, role=Role.VISIO_REFERENT)
    Subscription.objects.create(
        collectivite=world.other,
        offer=world.mail.offers.get(code="mail"),
        quantity=1,
        activated_on=NOW.date(),
    )
    MembershipFactory(user=world.admin, collectivite=world.other, role=Role.FUNCTIONAL_ADMIN)
    _open_incident(world, django_capture_on_commit_callbacks)
    assert sorted(m.to[0] for m in mailoutbox) == [
        "admin@autre.fr",
        "fonctionnel@test.fr",
        "referent@test.fr",
    ]
    both = next(m for m in mailoutbox if m.to == ["fonctionnel@test.fr"])
    assert "Commune Autre : http://autre.portail.localhost/etat-des-services/" in both.body
    assert "Commune de Test : http://test.portail.localhost/etat-des-services/" in both.body


def test_an_ended_subscription_is_no_longer_notified(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    Subscription.objects.filter(collectivite=world.tenant).update(status="ended")
    _open_incident(world, django_capture_on_commit_callbacks)
    assert mailoutbox == []


@pytest.mark.parametrize(
    ("_case", "before_start", "sent"),
    [
        ("four_days_before_too_early", timedelta(days=3, minutes=1), 0),
        ("three_days_before", timedelta(days=3), 2),
        ("the_day_before", timedelta(days=1), 2),
        ("already_started", -timedelta(minutes=1), 0),
    ],
)
def test_maintenance_is_announced_three_days_before(
    world, mailoutbox, settings, _case, before_start, sent
):
    settings.STATUS_MAINTENANCE_NOTICE_DAYS = 3
    start = datetime(2026, 3, 20, 19, 0, tzinfo=UTC)
    services.announcement_create(
        kind=Announcement.Kind.MAINTENANCE,
        title="Migration des serveurs de messagerie",
        services=[world.mail],
        starts_at=start,
        ends_at=start + timedelta(hours=3),
        created_by=None,
    )
    with time_machine.travel(start - before_start, tick=False):
        assert tasks.maintenance_reminders() == sent
    assert len(mailoutbox) == sent


def test_the_maintenance_reminder_goes_once(world, mailoutbox):
    start = datetime(2026, 3, 20, 19, 0, tzinfo=UTC)
    services.announcement_create(
        kind=Announcement.Kind.MAINTENANCE,
        title="Migration des serveurs de messagerie",
        services=[world.mail],
        starts_at=start,
        ends_at=start + timedelta(hours=3),
        created_by=None,
    )
    for hours_before in (48, 47, 2):
        with time_machine.travel(start - timedelta(hours=hours_before), tick=False):
            tasks.maintenance_reminders()
    assert len(mailoutbox) == 2
    mail = next(m for m in mailoutbox if m.to == ["fonctionnel@test.fr"])
    assert mail.subject == (
        "[État des services] Maintenance programmée : Migration des serveurs de messagerie"
    )
    assert "Fenêtre : du 20/03/2026 à 20:00 au 20/03/2026 à 23:00" in mail.body


def test_news_is_not_emailed(world, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.announcement_create(
            kind=Announcement.Kind.NEWS, title="Nouveauté", services=[world.mail], created_by=None
        )
    assert mailoutbox == []
