"""End to end (issue 6, "done when"), through the pages as each person reaches them, with the
clock frozen: the functional administrator creates a mail account → its entry with its quota
is in the real slapd (and the mailbox in the local BlueMind stand-in) → a quota request
approved by the syndicate raises the quota there → usage read at 92 % warns the holder and the
administrator → the account is closed → three months later the nightly job purges it from the
directory and the mail system."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import time_machine
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test import Client

from accounts import tasks
from accounts.models import QuotaRequest, ServiceAccount
from contracts.models import Subscription
from portal.models import Role
from tests.conftest import host_of, page_text, sign_in
from tests.support.slapd import directory_entry

PARIS = ZoneInfo("Europe/Paris")
GB = 1024**3


def at(day: date, hour: int = 10):
    return time_machine.travel(
        datetime(day.year, day.month, day.day, hour, tzinfo=PARIS), tick=False
    )


def test_mail_account_from_creation_to_purge(
    systems,
    tenant,
    make_member,
    staff_admin,
    catalogue,
    subscribe,
    in_schema,
    django_capture_on_commit_callbacks,
):
    def worker(call, *args, **kwargs):
        """The request, then what it queued on commit (tasks, e-mails), as the worker would."""
        with django_capture_on_commit_callbacks(execute=True):
            response = call(*args, **kwargs)
        connection.set_schema_to_public()
        return response

    subscribe(catalogue.mail, 3, on=date(2026, 1, 12))
    admin = make_member(tenant, Role.FUNCTIONAL_ADMIN, email="fonctionnel@commune-test.fr")
    site = sign_in(Client(HTTP_HOST=host_of(tenant)), admin, tenant)
    syndicate = sign_in(Client(HTTP_HOST=settings.BASE_DOMAIN), staff_admin)

    with at(date(2026, 3, 2)):
        worker(
            site.post,
            "/comptes-de-service/creer/",
            {
                "offer": "mail",
                "given_name": "Léa",
                "surname": "Durand",
                "email": "lea.durand@perso.test",
                "login": "lea.durand",
            },
        )
        page = page_text(site.get("/comptes-de-service/"))
        assert "Actif" in page
        entry = directory_entry(systems.directory, "test.lea.durand")
        assert entry["portailMailQuota"] == [str(2 * GB)]
        assert entry["mail"] == ["lea.durand@test.mail.localhost"]
        with in_schema(tenant):
            account = ServiceAccount.objects.get(login="lea.durand")

    with at(date(2026, 4, 14)):
        worker(
            site.post,
            f"/comptes-de-service/{account.pk}/quota/",
            {"extra_gb": "3", "reason": "Délibérations numérisées"},
        )
        with in_schema(tenant):
            request = QuotaRequest.objects.get()
        worker(
            syndicate.post, f"/collectivites/{tenant.pk}/demandes-de-quota/{request.pk}/accorder/"
        )
        entry = directory_entry(systems.directory, "test.lea.durand")
        assert entry["portailMailQuota"] == [str(5 * GB)]
        [mailbox] = systems.bluemind.state.users.values()
        assert mailbox.value["quota"] == 5 * 1024 * 1024  # KiB
        extra = Subscription.objects.get(collectivite=tenant, offer=catalogue.extra_quota)
        assert extra.quantity == 3

    with at(date(2026, 5, 4)):
        [uid] = systems.bluemind.state.users
        systems.bluemind.state.used_kib[uid] = 4_830_000  # 92.1 % of 5 GB
        mail.outbox.clear()
        worker(tasks.collect_usage.delay)
        [warning] = mail.outbox
        assert warning.subject == "Votre compte messagerie est utilisé à 90 %"
        assert set(warning.to) == {"lea.durand@perso.test", "fonctionnel@commune-test.fr"}
        assert "4,6 Go sur 5 Go" in warning.body
        assert "(92 %)" in page_text(site.get("/comptes-de-service/"))

    with at(date(2026, 5, 20)):
        worker(site.post, f"/comptes-de-service/{account.pk}/fermer/", {"reason": "Mutation"})
        subjects = [m.subject for m in mail.outbox]
        assert any("exportez vos données avant le 19/08/2026" in s for s in subjects)
        # L3 (issue 15): a closing by the functional administrator is told to the syndicate.
        assert subjects[-1] == "Compte fermé par Commune de Test"

    with at(
        date(
            2026,
            8,
            19,
        ),
        hour=3,
    ):
        worker(tasks.accounts_daily.delay)  # the last day of the export window: kept
        assert directory_entry(systems.directory, "test.lea.durand") is not None

    with at(date(2026, 8, 20), hour=3):
        worker(tasks.accounts_daily.delay)
        assert directory_entry(systems.directory, "test.lea.durand") is None
        assert systems.bluemind.state.users == {}
        with in_schema(tenant):
            account.refresh_from_db()
            assert account.state == ServiceAccount.State.PURGED
            assert list(account.events.filter(outcome="ok").values_list("action", flat=True))[
                -4:
            ] == ["disable", "delete", "disable", "delete"]
