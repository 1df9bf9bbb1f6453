"""F1, F2, A6 end to end, with frozen time: a session of the visio referent training,
three registrations (and a fourth on the waiting list), convocations 15 days before exactly
once, reminders the day before, attendance, the referent's training unlocking visio, and the
billing run invoicing the billed attendances at the schedule in force on the session's date."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context
from icalendar import Calendar

from accounts import services as account_services
from billing import services as billing_services
from billing.models import Delivery
from portal.models import Membership, Role
from tests.trainings.conftest import paris
from trainings import services, tasks
from trainings.domain import Attendance, RegistrationStatus
from trainings.models import Notice


@pytest.fixture
def people(tenant, other_tenant, make_member):
    return {
        "fadmin": make_member(tenant, Role.FUNCTIONAL_ADMIN, email="fonctionnel@test.fr"),
        "referent": make_member(tenant, Role.VISIO_REFERENT, email="referent@test.fr"),
        "agent": make_member(tenant, Role.AGENT, email="agent@test.fr"),
        "other_admin": make_member(other_tenant, Role.FUNCTIONAL_ADMIN, email="admin@autre.fr"),
    }


def visio_account(tenant, fadmin, today):
    with schema_context(tenant.schema_name):
        return account_services.account_create(
            collectivite=tenant,
            data=account_services.AccountData(
                offer_code="visio",
                given_name="Salle",
                surname="Du conseil",
                email="salle@test.fr",
                login="salle.conseil",
            ),
            created_by=fadmin,
            today=today,
        )


def test_the_referent_training_from_creation_to_invoice(
    tenant, other_tenant, people, catalogue, subscribe, make_training, make_session, staff_admin
):
    subscribe(catalogue.visio, 2, on=date(2026, 1, 5))
    with time_machine.travel(paris(2026, 4, 20, 10, 0), tick=False):
        training = make_training(
            title="Prise en main de la visioconférence",
            offer=catalogue.visio,
            is_visio_referent_training=True,
            mode="remote",
        )
        session = make_session(training, paris(2026, 5, 12, 9, 0), capacity=3)
        today = date(2026, 4, 20)
        made = [
            services.registration_create(
                session=session,
                collectivite=tenant,
                registered_by=people["fadmin"],
                today=today,
                user=people[key],
                po_number="ENG-2026-33",
            )
            for key in ("referent", "agent")
        ]
        made.append(
            services.registration_create(
                session=session,
                collectivite=tenant,
                registered_by=people["fadmin"],
                today=today,
                full_name="Paul Nouveau",
                email="Paul.Nouveau@test.fr",
                po_number="ENG-2026-33",
            )
        )
        waiting = services.registration_create(
            session=session,
            collectivite=other_tenant,
            registered_by=people["other_admin"],
            today=today,
            user=people["other_admin"],
        )
        with pytest.raises(ValidationError) as refused:
            visio_account(tenant, people["fadmin"], today)
        assert refused.value.code == "training_required"
    assert [r.status for r in made] == [RegistrationStatus.REGISTERED] * 3
    assert waiting.status == RegistrationStatus.WAITING
    assert made[2].email == "paul.nouveau@test.fr"

    mail.outbox.clear()
    with time_machine.travel(paris(2026, 4, 26, 7, 30), tick=False):
        assert tasks.trainings_daily() == {"flagged": 0, "sent": 0}  # 16 days before
    with time_machine.travel(paris(2026, 4, 27, 7, 30), tick=False):
        assert tasks.trainings_daily() == {"flagged": 0, "sent": 3}
        assert tasks.trainings_daily() == {"flagged": 0, "sent": 0}  # once
    with time_machine.travel(paris(2026, 4, 28, 7, 30), tick=False):
        assert tasks.trainings_daily()["sent"] == 0
    assert sorted(m.to[0] for m in mail.outbox) == [
        "agent@test.fr",
        "paul.nouveau@test.fr",
        "referent@test.fr",
    ]
    convocation = mail.outbox[0]
    assert convocation.subject == "Convocation : Prise en main de la visioconférence le 12/05/2026"
    [(name, ics, mimetype)] = convocation.attachments
    assert (name, mimetype) == ("formation.ics", "text/calendar; method=PUBLISH")
    event = Calendar.from_ical(ics).walk("VEVENT")[0]
    assert event.decoded("dtstart").isoformat() == "2026-05-12T09:00:00+02:00"
    assert event["dtstart"].params["TZID"] == "Europe/Paris"
    assert "BEGIN:VTIMEZONE" in ics
    assert "TZID:Europe/Paris" in ics
    assert Notice.objects.filter(kind="convocation").count() == 3

    mail.outbox.clear()
    with time_machine.travel(paris(2026, 5, 11, 7, 30), tick=False):
        assert tasks.trainings_daily()["sent"] == 3
        assert tasks.trainings_daily()["sent"] == 0
    assert {m.subject for m in mail.outbox} == {
        "Rappel : Prise en main de la visioconférence demain, 12/05/2026"
    }

    with time_machine.travel(paris(2026, 5, 12, 14, 0), tick=False):
        services.attendance_record(
            session=session,
            attended={made[0].pk, made[1].pk},
            actor=staff_admin,
            today=date(2026, 5, 12),
        )
        account = visio_account(tenant, people["fadmin"], date(2026, 5, 12))
    assert account.pk is not None
    referent = Membership.objects.get(user=people["referent"], role=Role.VISIO_REFERENT)
    assert (referent.trained_on, referent.trained_recorded_by) == (date(2026, 5, 12), staff_admin)
    for registration in made:
        registration.refresh_from_db()
    assert [r.attendance for r in made] == [
        Attendance.ATTENDED,
        Attendance.ATTENDED,
        Attendance.ABSENT,
    ]

    # Billed at its own tariff, the no-show too: half a day at 400 € (the schedule of
    # 12/05/2026), not the 440 € in force when the run invoices them.
    deliveries = Delivery.objects.filter(source__startswith="training:").order_by("source")
    assert [(d.source, d.quantity, d.unit_price, d.amount) for d in deliveries] == [
        (f"training:registration:{r.pk}", Decimal("0.50"), Decimal("400.00"), Decimal("200.00"))
        for r in sorted(made, key=lambda r: f"training:registration:{r.pk}")
    ]
    invoice = billing_services.invoice_issue(
        collectivite=tenant, as_of=date(2026, 6, 1), issue_date=date(2026, 6, 1)
    )
    lines = {
        line.label: (line.quantity, line.unit_price, line.amount)
        for line in invoice.lines.filter(source__in=[f"item:{d.pk}" for d in deliveries])
    }
    assert lines == {
        f"Formation « Prise en main de la visioconférence » du 12/05/2026 — {name}": (
            Decimal("0.50"),
            Decimal("400.00"),
            Decimal("200.00"),
        )
        for name in (made[0].full_name, made[1].full_name, "Paul Nouveau")
    }
    assert invoice.po_number == "ENG-2026-33"
