"""`load_status`: the services and alert routes are data (status/data/services.json), loaded
idempotently; `--demo` adds its announcements once."""

from __future__ import annotations

import io

from django.core.management import call_command

from status.models import AlertRoute, Announcement, Service


def test_load_status_is_idempotent(db, mailoutbox):
    call_command("load_catalogue", stdout=io.StringIO())
    for _ in range(2):
        call_command("load_status", "--demo", stdout=io.StringIO())
    assert list(Service.objects.values_list("slug", flat=True)) == [
        "messagerie",
        "stockage",
        "visio",
        "assistance",
    ]
    mail = Service.objects.get(slug="messagerie")
    assert sorted(mail.offers.values_list("code", flat=True)) == [
        "messagerie-bluemind",
        "messagerie-quota-supplementaire",
        "messagerie-zimbra",
    ]
    assert AlertRoute.objects.get(label="service", value="nextcloud").service.slug == "stockage"
    assert sorted(Announcement.objects.values_list("kind", flat=True)) == [
        "incident",
        "maintenance",
        "news",
    ]
