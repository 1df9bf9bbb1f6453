"""Provisioning into the real systems through the Celery tasks (eager here): the shared
directory is a real OpenLDAP slapd started by the test session; BlueMind, Nextcloud and
BigBlueButton are local servers implementing their documented endpoints (devservers/), reached
by the real client code. Covers: creation in every system, idempotent tasks, transient errors
retried with backoff, permanent errors shown with their reason and retried by hand, usage
collection, quota updates and the purge."""

from __future__ import annotations

from datetime import date

import pytest
from django.core import mail
from django.db import connection

from accounts import services, tasks
from accounts.models import ProvisioningEvent, ServiceAccount
from portal.models import Membership, Role
from tests.support.slapd import directory_entry, directory_group_members

TODAY = date(2026, 3, 2)
GB = 1024**3


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Run what a service queues on commit (the tasks, their e-mails) as the worker would."""

    def call(function, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(*args, **kwargs)

    return call


@pytest.fixture
def retries_run_eagerly(monkeypatch):
    """Eager Celery re-runs a retried task at once (its countdown is not waited for) unless
    errors propagate, which the test settings ask for: let them not, here."""
    from portal.celery import app

    monkeypatch.setitem(app.conf, "task_eager_propagates", False)


def create(run, tenant, admin, offer, login, **extra):
    data = services.AccountData(
        offer_code=offer.code,
        given_name="Anne",
        surname="Martin",
        email=extra.get("email", "anne@perso.test"),
        login=login,
    )
    account = run(
        services.account_create, collectivite=tenant, data=data, created_by=admin, today=TODAY
    )
    connection.set_tenant(tenant)  # the eager task leaves the schema as it found it, or public
    account.refresh_from_db()
    return account


@pytest.fixture
def fadmin(tenant, make_member):
    return make_member(tenant, Role.FUNCTIONAL_ADMIN, email="fonctionnel@commune-test.fr")


def test_a_mail_account_appears_in_the_directory_and_in_bluemind(
    systems, tenant, fadmin, catalogue, subscribe, in_schema, run
):
    subscribe(catalogue.mail, 2)
    with in_schema(tenant):
        mail.outbox.clear()
        account = create(run, tenant, fadmin, catalogue.mail, "anne.martin")
        assert account.state == ServiceAccount.State.ACTIVE
        assert account.activated_at is not None
        outcomes = list(account.events.values_list("system", "outcome"))
    entry = directory_entry(systems.directory, "test.anne.martin")
    assert entry["mail"] == ["anne.martin@test.mail.localhost"]
    assert entry["portailMailQuota"] == [str(2 * GB)]
    assert entry["portailMailMaxMessageSize"] == [str(10 * 1024**2)]
    assert entry["portailMailMaxRecipients"] == ["50"]
    assert directory_group_members(systems.directory, "test", "mail") == {"test.anne.martin"}
    [user] = systems.bluemind.state.users.values()
    assert user.value["login"] == "anne.martin"
    assert user.value["quota"] == 2 * 1024 * 1024  # KiB
    assert ("annuaire", "ok") in outcomes
    assert ("BlueMind", "ok") in outcomes
    assert [m.subject for m in mail.outbox] == [
        "Votre compte messagerie est prêt (Commune de Test)"
    ]


def test_a_repeated_task_makes_no_second_account(
    systems, tenant, fadmin, catalogue, subscribe, in_schema, run
):
    subscribe(catalogue.drive, 2)
    with in_schema(tenant):
        account = create(run, tenant, fadmin, catalogue.drive, "anne")
        # The same message delivered again after the account is active: nothing happens.
        assert tasks.provision.delay(account.pk, "create").get() == "skipped"
        # Even run as if it were still pending (a worker killed before saving): one account.
        ServiceAccount.objects.filter(pk=account.pk).update(state="pending")
        assert tasks.provision.delay(account.pk, "create").get() == "done"
    assert list(systems.nextcloud.state.users) == ["test.anne"]
    assert systems.nextcloud.state.users["test.anne"].quota == 5 * GB
    assert directory_entry(systems.directory, "test.anne")["portailDriveQuota"] == [str(5 * GB)]


def test_transient_errors_are_retried_with_backoff(
    retries_run_eagerly, systems, tenant, fadmin, catalogue, subscribe, in_schema, run
):
    subscribe(catalogue.mail, 1)
    systems.bluemind.fail_next(2, status=503)
    with in_schema(tenant):
        account = create(run, tenant, fadmin, catalogue.mail, "anne")
        retries = list(
            account.events.filter(outcome=ProvisioningEvent.Outcome.RETRY).values_list(
                "message", flat=True
            )
        )
    assert account.state == ServiceAccount.State.ACTIVE
    assert len(retries) == 2
    assert "nouvel essai dans 5 s" in retries[0]
    assert "nouvel essai dans 10 s" in retries[1]
    assert len(systems.bluemind.state.users) == 1


def test_after_the_last_retry_the_account_fails_and_can_be_retried_by_hand(
    retries_run_eagerly, systems, tenant, fadmin, catalogue, subscribe, in_schema, run
):
    subscribe(catalogue.mail, 1)
    systems.bluemind.fail_next(tasks.MAX_RETRIES + 1, status=503)
    with in_schema(tenant):
        account = create(run, tenant, fadmin, catalogue.mail, "anne")
        assert account.state == ServiceAccount.State.FAILED
        assert account.failure_reason.endswith(f"(après {tasks.MAX_RETRIES + 1} essais)")
        assert "indisponible" in account.failure_reason
        run(services.account_retry, account=account, actor=fadmin)
        connection.set_tenant(tenant)
        account.refresh_from_db()
    assert account.state == ServiceAccount.State.ACTIVE
    assert account.failure_reason == ""


def test_a_permanent_error_fails_at_once_with_its_reason(
    systems, tenant, fadmin, catalogue, subscribe, in_schema, run, settings
):
    subscribe(catalogue.mail, 1)
    settings.BLUEMIND_API_KEY = "not-the-key"
    with in_schema(tenant):
        account = create(run, tenant, fadmin, catalogue.mail, "anne")
        assert not account.events.filter(outcome=ProvisioningEvent.Outcome.RETRY).exists()
    assert account.state == ServiceAccount.State.FAILED
    assert "BlueMind" in account.failure_reason
    assert "not-the-key" not in account.failure_reason
    # The directory entry was made before BlueMind refused: the retry completes the rest.
    assert directory_entry(systems.directory, "test.anne") is not None


def test_an_unconfigured_system_is_said_so(
    systems, tenant, fadmin, catalogue, subscribe, in_schema, run, settings
):
    subscribe(catalogue.mail, 1)
    settings.BLUEMIND_URL = ""
    with in_schema(tenant):
        account = create(run, tenant, fadmin, catalogue.mail, "anne")
    assert account.state == ServiceAccount.State.FAILED
    assert account.failure_reason == (
        "Le système « BlueMind » n'est pas configuré sur ce portail (BLUEMIND_URL)."
    )


def test_usage_is_collected_for_every_open_account(
    systems, tenant, fadmin, catalogue, subscribe, in_schema, run
):
    subscribe(catalogue.drive, 2)
    subscribe(catalogue.mail, 2)
    with in_schema(tenant):
        drive = create(run, tenant, fadmin, catalogue.drive, "anne")
        mailbox = create(run, tenant, fadmin, catalogue.mail, "anne")
    systems.nextcloud.state.users["test.anne"].used = 2 * GB
    [uid] = systems.bluemind.state.users
    systems.bluemind.state.used_kib[uid] = 512 * 1024
    assert run(tasks.collect_usage.delay).get() >= 2  # one task per collectivité
    with in_schema(tenant):
        drive.refresh_from_db()
        mailbox.refresh_from_db()
    assert drive.used_bytes == 2 * GB
    assert drive.usage_percent == 40
    assert mailbox.used_bytes == GB // 2


def test_visio_room_created_once_the_referent_is_trained(
    systems, tenant, fadmin, catalogue, subscribe, in_schema, run, make_member
):
    subscribe(catalogue.visio, 2)
    referent = make_member(tenant, Role.VISIO_REFERENT)
    Membership.objects.filter(user=referent).update(trained_on=date(2026, 2, 1))
    with in_schema(tenant):
        account = create(run, tenant, fadmin, catalogue.visio, "salle.maire")
    assert account.state == ServiceAccount.State.ACTIVE
    meeting = systems.bigbluebutton.state.meetings[account.room_id]
    assert meeting.name == "Salle de Anne Martin"
    assert directory_group_members(systems.directory, "test", "visio") == {"test.salle.maire"}


def test_closed_accounts_are_purged_from_every_system_after_three_months(
    systems, tenant, fadmin, catalogue, subscribe, in_schema, run
):
    subscribe(catalogue.mail, 1)
    with in_schema(tenant):
        account = create(run, tenant, fadmin, catalogue.mail, "anne")
        run(
            services.account_close,
            account=account,
            collectivite=tenant,
            closed_by=fadmin,
            today=TODAY,
        )
        # Still readable for export: nothing removed yet.
        assert run(services.accounts_purge_due, today=date(2026, 6, 1)) == 0
        assert directory_entry(systems.directory, "test.anne") is not None
        assert run(services.accounts_purge_due, today=date(2026, 6, 2)) == 1
        connection.set_tenant(tenant)
        account.refresh_from_db()
    assert account.state == ServiceAccount.State.PURGED
    assert directory_entry(systems.directory, "test.anne") is None
    assert systems.bluemind.state.users == {}


def test_seed_004_recordings_are_deleted_after_seven_days(
    systems, tenant, fadmin, catalogue, subscribe, in_schema, run, make_member
):
    import time as clock

    subscribe(catalogue.visio, 1)
    referent = make_member(tenant, Role.VISIO_REFERENT)
    Membership.objects.filter(user=referent).update(trained_on=date(2026, 2, 1))
    with in_schema(tenant):
        account = create(run, tenant, fadmin, catalogue.visio, "salle")
    now_ms = int(clock.time() * 1000)
    day_ms = 86_400_000
    old = systems.bigbluebutton.state.add_recording(
        account.room_id, end_time_ms=now_ms - 8 * day_ms
    )
    recent = systems.bigbluebutton.state.add_recording(
        account.room_id, end_time_ms=now_ms - 6 * day_ms
    )
    result = tasks.accounts_daily.delay().get()
    assert result >= 1
    recordings = systems.bigbluebutton.state.recordings
    assert recordings[old].state == "deleted"  # as bbb-web does on deleteRecordings
    assert recordings[recent].state == "published"


@pytest.fixture
def zimbra_mail(catalogue):
    """Seed 000's offer: Zimbra mail, 2 Go (the demo catalogue's messagerie-zimbra)."""
    from catalogue.models import Offer, TariffLine
    from tests.factories.catalogue import EXEMPT

    offer = Offer.objects.create(
        family=catalogue.mail.family,
        code="mail-zimbra",
        name="Messagerie collaborative Zimbra (2 Go)",
        system="zimbra",
        billing_unit="account_year",
        default_quota_gb=2,
    )
    TariffLine.objects.create(
        schedule=catalogue.schedule, offer=offer, unit_price="20.00", vat_exemption=EXEMPT
    )
    return offer


def test_a_zimbra_mailbox_is_provisioned_updated_and_purged(
    systems, tenant, fadmin, catalogue, zimbra_mail, subscribe, in_schema, run
):
    subscribe(zimbra_mail, 1)
    with in_schema(tenant):
        account = create(run, tenant, fadmin, zimbra_mail, "anne.martin")
        assert account.state == ServiceAccount.State.ACTIVE
        assert ("Zimbra", "ok") in set(account.events.values_list("system", "outcome"))
    [stored] = systems.zimbra.state.accounts.values()
    assert stored.name == "anne.martin@test.mail.localhost"
    assert stored.attrs["zimbraMailQuota"] == str(2 * GB)
    assert stored.attrs["zimbraAccountStatus"] == "active"
    systems.zimbra.state.used_bytes[stored.attrs["zimbraId"]] = GB
    assert run(tasks.collect_usage.delay).get() >= 1
    with in_schema(tenant):
        account.refresh_from_db()
        assert account.used_bytes == GB
        run(
            services.account_close,
            account=account,
            collectivite=tenant,
            closed_by=fadmin,
            today=TODAY,
        )
        assert run(services.accounts_purge_due, today=date(2026, 6, 2)) == 1
    assert systems.zimbra.state.accounts == {}
    assert directory_entry(systems.directory, "test.anne.martin") is None
