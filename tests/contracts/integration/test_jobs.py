"""The scheduled jobs of contracts (issue 4 §8, DESIGN Q1, S2–S4), through their Celery tasks
(eager in tests) and at frozen dates: expired quotes, reminders before a quote expires,
tacit renewals, ends and reductions, reminders before an anniversary. Each is idempotent:
a second run the same day changes nothing and sends nothing."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from contracts import services, tasks
from contracts.models import ContractYear, Quote, QuoteLine, Subscription
from portal.celery import app
from portal.models import AuditEvent, Role
from tests.factories.catalogue import build_catalogue

PARIS = ZoneInfo("Europe/Paris")


def at(day: date, hour: int = 10):
    """Frozen at `day`, `hour` o'clock in Paris (the portal's time zone)."""
    return time_machine.travel(datetime.combine(day, time(hour), tzinfo=PARIS), tick=False)


@pytest.fixture
def catalogue(db):
    return build_catalogue()


@pytest.fixture
def signatory(tenant, make_member):
    return make_member(tenant, Role.SIGNATORY, email="maire@commune-test.fr")


@pytest.fixture
def functional_admin(tenant, make_member):
    return make_member(tenant, Role.FUNCTIONAL_ADMIN, email="fonctionnel@commune-test.fr")


def run(task, capture) -> int:
    """Run a task as the beat would send it, and the e-mails it queues after commit."""
    with capture(execute=True):
        return task.delay().get()


def sent_quote(collectivite, catalogue, issued: date, staff=None) -> Quote:
    """A quote of 5 mailboxes sent on `issued` (its PDFs rendered by the real service)."""
    with at(issued):
        quote = services.quote_create(
            collectivite=collectivite, title="Messagerie", created_by=staff, today=issued
        )
        services.quote_line_set(quote=quote, offer=catalogue.mail, quantity="5")
        return services.quote_send(quote=quote, sent_by=staff, today=issued)


def subscription(collectivite, catalogue, activated: date, quantity="5") -> Subscription:
    """A mail subscription activated on `activated` through `line_activate`, from a quote
    approved a few days before."""
    quote = Quote.objects.create(
        reference=f"DEV-TEST-{activated:%Y%m%d}",
        collectivite=collectivite,
        title="Messagerie",
        status=Quote.Status.APPROVED,
        decided_at=datetime.combine(activated.replace(day=1), time(9), tzinfo=PARIS),
    )
    line = QuoteLine.objects.create(
        quote=quote, offer=catalogue.mail, label="Messagerie", quantity=Decimal(quantity)
    )
    with at(activated):
        line = services.line_activate(line=line, activated_on=activated, activated_by=None)
    return line.subscription


def years(sub: Subscription) -> list[tuple[date, date]]:
    return list(
        ContractYear.objects.filter(subscription=sub).order_by("start").values_list("start", "end")
    )


# --- Schedule -------------------------------------------------------------------------------


def test_jobs_are_on_the_beat_schedule():
    app.loader.import_default_modules()
    schedule = {entry["task"]: entry["schedule"] for entry in app.conf.beat_schedule.values()}
    expected = {
        "contracts.tasks.expire_quotes": ({10}, {2}),
        "contracts.tasks.renew_subscriptions": ({20}, {2}),
        "contracts.tasks.remind_expiring_quotes": ({0}, {8}),
        "contracts.tasks.remind_renewals": ({10}, {8}),
    }
    for name, (minute, hour) in expected.items():
        assert name in app.tasks
        assert (schedule[name].minute, schedule[name].hour) == (minute, hour)
        assert schedule[name].day_of_month == set(range(1, 32))  # every day
    assert app.conf.timezone == "Europe/Paris"


# --- Quotes ---------------------------------------------------------------------------------


def test_expire_quotes_marks_only_quotes_past_valid_until(
    catalogue, tenant, signatory, django_capture_on_commit_callbacks, audit_floor
):
    january = sent_quote(tenant, catalogue, date(2026, 1, 31))
    february = sent_quote(tenant, catalogue, date(2026, 2, 10))
    draft = services.quote_create(
        collectivite=tenant, title="Brouillon", created_by=None, today=date(2026, 1, 5)
    )
    assert (january.valid_until, february.valid_until) == (date(2026, 2, 28), date(2026, 3, 10))
    mail.outbox.clear()

    with at(date(2026, 2, 28), hour=2):  # valid up to and including 28 February
        assert run(tasks.expire_quotes, django_capture_on_commit_callbacks) == 0
    january.refresh_from_db()
    assert (january.status, january.expired_at, mail.outbox) == (Quote.Status.SENT, None, [])

    with at(date(2026, 3, 1), hour=2):
        assert run(tasks.expire_quotes, django_capture_on_commit_callbacks) == 1
    statuses = dict(
        Quote.objects.filter(pk__in=[january.pk, february.pk, draft.pk]).values_list("pk", "status")
    )
    assert statuses == {
        january.pk: Quote.Status.EXPIRED,
        february.pk: Quote.Status.SENT,
        draft.pk: Quote.Status.DRAFT,
    }
    january.refresh_from_db()
    assert january.expired_at == datetime(2026, 3, 1, 2, tzinfo=PARIS)
    [message] = mail.outbox
    assert message.to == ["maire@commune-test.fr"]
    assert message.subject == f"Le devis {january.reference} a expiré"
    assert (
        f"Le devis {january.reference} (Messagerie) de la commune de Test n'est plus valable "
        "depuis le 28/02/2026." in message.body
    )
    assert f"http://test.portail.localhost/devis/{january.pk}/" in message.body
    event = AuditEvent.objects.get(action="quote.expired", id__gt=audit_floor)
    assert (event.object_id, event.actor, event.actor_label, event.summary) == (
        str(january.pk),
        None,
        "système",
        f"{january.reference} — Devis expiré.",
    )

    # a retried or duplicated run: nothing more
    with at(date(2026, 3, 1), hour=3):
        assert run(tasks.expire_quotes, django_capture_on_commit_callbacks) == 0
    assert len(mail.outbox) == 1
    assert AuditEvent.objects.filter(action="quote.expired", id__gt=audit_floor).count() == 1


def test_remind_expiring_quotes_seven_days_before_once(
    catalogue, tenant, signatory, functional_admin, django_capture_on_commit_callbacks
):
    quote = sent_quote(tenant, catalogue, date(2026, 1, 31))  # valid until 28/02/2026
    mail.outbox.clear()

    with at(date(2026, 2, 20), hour=8):
        assert run(tasks.remind_expiring_quotes, django_capture_on_commit_callbacks) == 0
    assert mail.outbox == []

    with at(date(2026, 2, 21), hour=8):
        assert run(tasks.remind_expiring_quotes, django_capture_on_commit_callbacks) == 1
    [message] = mail.outbox
    assert message.to == ["maire@commune-test.fr"]  # the signatories only
    assert message.subject == f"Le devis {quote.reference} expire le 28/02/2026"
    assert "Il reste valable jusqu'au 28/02/2026 inclus" in message.body
    quote.refresh_from_db()
    assert quote.reminded_at == datetime(2026, 2, 21, 8, tzinfo=PARIS)

    for day in (date(2026, 2, 21), date(2026, 2, 25), date(2026, 2, 28)):
        with at(day, hour=9):
            assert run(tasks.remind_expiring_quotes, django_capture_on_commit_callbacks) == 0
    assert len(mail.outbox) == 1


def test_no_reminder_for_a_quote_no_longer_awaiting_signature(
    catalogue, tenant, signatory, django_capture_on_commit_callbacks
):
    quote = sent_quote(tenant, catalogue, date(2026, 1, 31))
    with at(date(2026, 2, 10)):
        services.quote_accept(
            quote=quote,
            signatory=signatory,
            po_number="BC-2026-014",
            accept_framework=False,
            ip_address=None,
            today=date(2026, 2, 10),
        )
    mail.outbox.clear()
    with at(date(2026, 2, 21)):
        assert run(tasks.remind_expiring_quotes, django_capture_on_commit_callbacks) == 0
    with at(date(2026, 3, 1)):
        assert run(tasks.expire_quotes, django_capture_on_commit_callbacks) == 0
    quote.refresh_from_db()
    assert (quote.status, mail.outbox) == (Quote.Status.ACCEPTED, [])


# --- Renewals -------------------------------------------------------------------------------


def test_renewal_creates_the_next_year_once(
    catalogue, tenant, django_capture_on_commit_callbacks, audit_floor
):
    sub = subscription(tenant, catalogue, date(2026, 3, 17))
    assert years(sub) == [(date(2026, 3, 1), date(2027, 3, 1))]

    with at(date(2027, 2, 28), hour=2):
        assert run(tasks.renew_subscriptions, django_capture_on_commit_callbacks) == 0
    assert len(years(sub)) == 1

    with at(date(2027, 3, 1), hour=2):
        assert run(tasks.renew_subscriptions, django_capture_on_commit_callbacks) == 1
        assert run(tasks.renew_subscriptions, django_capture_on_commit_callbacks) == 0
    assert years(sub) == [
        (date(2026, 3, 1), date(2027, 3, 1)),
        (date(2027, 3, 1), date(2028, 3, 1)),
    ]
    sub.refresh_from_db()
    assert (sub.status, sub.ends_on, sub.quantity) == (
        Subscription.Status.ACTIVE,
        None,
        Decimal("5.00"),
    )
    [event] = AuditEvent.objects.filter(action="subscription.renewed", id__gt=audit_floor)
    assert (event.object_id, event.actor_label, event.summary) == (
        str(sub.pk),
        "système",
        "« Messagerie BlueMind 2 Go » reconduit pour l'année du 01/03/2027 au 29/02/2028.",
    )
    assert mail.outbox == []


def test_renewal_catches_up_missed_anniversaries(
    catalogue, tenant, django_capture_on_commit_callbacks
):
    sub = subscription(tenant, catalogue, date(2026, 3, 17))
    with at(date(2028, 3, 5), hour=2):  # the job did not run for two years
        assert run(tasks.renew_subscriptions, django_capture_on_commit_callbacks) == 2
    assert years(sub) == [
        (date(2026, 3, 1), date(2027, 3, 1)),
        (date(2027, 3, 1), date(2028, 3, 1)),
        (date(2028, 3, 1), date(2029, 3, 1)),
    ]


def test_terminated_subscription_is_not_renewed_and_ends_on_its_effective_end(
    catalogue, tenant, staff_admin, django_capture_on_commit_callbacks, audit_floor
):
    sub = subscription(tenant, catalogue, date(2026, 3, 17))
    with at(date(2026, 12, 21)):
        termination = services.termination_record(
            subscription=sub,
            received_on=date(2026, 12, 20),
            today=date(2026, 12, 21),
            recorded_by=staff_admin,
        )
    assert termination.effective_end == date(2027, 3, 1)
    sub.refresh_from_db()
    assert (sub.status, sub.ends_on) == (Subscription.Status.TERMINATING, date(2027, 3, 1))

    with at(date(2027, 2, 28), hour=2):
        assert run(tasks.renew_subscriptions, django_capture_on_commit_callbacks) == 0
    sub.refresh_from_db()
    assert sub.status == Subscription.Status.TERMINATING

    with at(date(2027, 3, 1), hour=2):
        assert run(tasks.renew_subscriptions, django_capture_on_commit_callbacks) == 0
        assert run(tasks.renew_subscriptions, django_capture_on_commit_callbacks) == 0
    sub.refresh_from_db()
    assert (sub.status, sub.ends_on) == (Subscription.Status.ENDED, date(2027, 3, 1))
    assert years(sub) == [(date(2026, 3, 1), date(2027, 3, 1))]
    assert not AuditEvent.objects.filter(action="subscription.renewed", id__gt=audit_floor).exists()


def test_termination_after_the_notice_deadline_renews_until_the_notice_ends(
    catalogue, tenant, staff_admin, django_capture_on_commit_callbacks
):
    """S3: received 2027-01-15, the notice runs to 2027-04-01: the contract year starting on
    the anniversary is opened (it is due for March), and the subscription ends on 1 April."""
    sub = subscription(tenant, catalogue, date(2026, 3, 17))
    with at(date(2027, 1, 15)):
        services.termination_record(
            subscription=sub,
            received_on=date(2027, 1, 15),
            today=date(2027, 1, 15),
            recorded_by=staff_admin,
        )
    with at(date(2027, 3, 1), hour=2):
        assert run(tasks.renew_subscriptions, django_capture_on_commit_callbacks) == 1
    sub.refresh_from_db()
    assert (sub.status, sub.ends_on) == (Subscription.Status.TERMINATING, date(2027, 4, 1))
    with at(date(2027, 4, 1), hour=2):
        assert run(tasks.renew_subscriptions, django_capture_on_commit_callbacks) == 0
    sub.refresh_from_db()
    assert sub.status == Subscription.Status.ENDED
    assert years(sub) == [
        (date(2026, 3, 1), date(2027, 3, 1)),
        (date(2027, 3, 1), date(2028, 3, 1)),
    ]


def test_reduction_takes_effect_on_its_date(
    catalogue, tenant, staff_admin, django_capture_on_commit_callbacks, audit_floor
):
    sub = subscription(tenant, catalogue, date(2026, 3, 17), quantity="5")
    with at(date(2027, 1, 15)):
        termination = services.termination_record(
            subscription=sub,
            received_on=date(2027, 1, 15),
            today=date(2027, 1, 15),
            recorded_by=staff_admin,
            quantity=Decimal("2"),
        )
    assert termination.effective_end == date(2027, 4, 1)
    sub.refresh_from_db()
    assert (sub.status, sub.ends_on, sub.quantity) == (
        Subscription.Status.ACTIVE,
        None,
        Decimal("5.00"),
    )

    with at(date(2027, 3, 1), hour=2):
        assert run(tasks.renew_subscriptions, django_capture_on_commit_callbacks) == 1
    with at(date(2027, 3, 31), hour=2):
        run(tasks.renew_subscriptions, django_capture_on_commit_callbacks)
    sub.refresh_from_db()
    assert sub.quantity == Decimal("5.00")

    with at(date(2027, 4, 1), hour=2):
        assert run(tasks.renew_subscriptions, django_capture_on_commit_callbacks) == 0
        run(tasks.renew_subscriptions, django_capture_on_commit_callbacks)
    sub.refresh_from_db()
    assert (sub.status, sub.quantity) == (Subscription.Status.ACTIVE, Decimal("3.00"))
    change = sub.changes.get(delta=Decimal("-2"))
    assert (change.effective_on, change.applied) == (date(2027, 4, 1), True)
    [event] = AuditEvent.objects.filter(action="subscription.reduced", id__gt=audit_floor)
    assert event.summary == "« Messagerie BlueMind 2 Go » ramené à 3 le 01/04/2027."


# --- Renewal reminders ----------------------------------------------------------------------


def test_renewal_reminder_three_months_before_with_the_notice_deadline(
    catalogue, tenant, signatory, functional_admin, django_capture_on_commit_callbacks
):
    sub = subscription(tenant, catalogue, date(2026, 3, 17))

    with at(date(2026, 11, 30), hour=8):
        assert run(tasks.remind_renewals, django_capture_on_commit_callbacks) == 0
    assert mail.outbox == []

    with at(date(2026, 12, 1), hour=8):
        assert run(tasks.remind_renewals, django_capture_on_commit_callbacks) == 1
    [message] = mail.outbox
    assert message.to == ["fonctionnel@commune-test.fr", "maire@commune-test.fr"]
    assert message.subject == "« Messagerie BlueMind 2 Go » sera reconduit le 01/03/2027"
    assert (
        "L'abonnement « Messagerie BlueMind 2 Go » de la commune de Test sera reconduit "
        "tacitement le 01/03/2027 pour un an." in message.body
    )
    assert (
        "la résiliation doit parvenir au syndicat au plus tard le 31/12/2026 "
        "(fin au 01/03/2027)" in message.body
    )
    assert "http://test.portail.localhost/contrats/" in message.body
    sub.refresh_from_db()
    assert sub.renewal_reminded_for == date(2027, 3, 1)

    for day in (date(2026, 12, 1), date(2026, 12, 2), date(2027, 2, 28)):
        with at(day, hour=9):
            assert run(tasks.remind_renewals, django_capture_on_commit_callbacks) == 0
    assert len(mail.outbox) == 1

    # the next year's reminder, for the next anniversary
    with at(date(2027, 12, 1), hour=8):
        assert run(tasks.remind_renewals, django_capture_on_commit_callbacks) == 1
    assert len(mail.outbox) == 2
    assert mail.outbox[1].subject == "« Messagerie BlueMind 2 Go » sera reconduit le 01/03/2028"
    assert "au plus tard le 31/12/2027 (fin au 01/03/2028)" in mail.outbox[1].body


def test_no_renewal_reminder_for_a_terminated_subscription(
    catalogue, tenant, signatory, staff_admin, django_capture_on_commit_callbacks
):
    sub = subscription(tenant, catalogue, date(2026, 3, 17))
    with at(date(2026, 10, 5)):
        services.termination_record(
            subscription=sub,
            received_on=date(2026, 10, 5),
            today=date(2026, 10, 5),
            recorded_by=staff_admin,
        )
    with at(date(2026, 12, 1), hour=8):
        assert run(tasks.remind_renewals, django_capture_on_commit_callbacks) == 0
    assert mail.outbox == []
