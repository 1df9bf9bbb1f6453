"""The training pages, as each role reaches them; F1 across sessions through the database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from billing.models import Delivery
from portal.models import Role
from tests.conftest import page_text, sign_in
from tests.trainings.conftest import paris
from trainings import services
from trainings.domain import Attendance, RegistrationStatus
from trainings.models import Registration, Session

TODAY = paris(2026, 4, 20, 10, 0)


@pytest.fixture
def session(make_training, make_session):
    with time_machine.travel(TODAY, tick=False):
        return make_session(make_training(), paris(2026, 5, 12, 9, 0), capacity=2)


@pytest.fixture
def fadmin(tenant, make_member):
    return make_member(tenant, Role.FUNCTIONAL_ADMIN, email="fonctionnel@test.fr")


@time_machine.travel(TODAY, tick=False)
def test_a_functional_administrator_registers_a_member_and_a_named_agent(
    tenant, tenant_client, fadmin, agent, session
):
    sign_in(tenant_client, fadmin, tenant)
    url = f"/formations/sessions/{session.pk}/"
    assert tenant_client.get(url).status_code == 200
    response = tenant_client.post(url, {"member": agent.pk})
    assert response.status_code == 302
    response = tenant_client.post(url, {"full_name": "Léa Durand", "email": "lea@test.fr"})
    assert response.status_code == 302
    third = tenant_client.post(url, {"full_name": "Marc Petit", "email": "marc@test.fr"})
    assert third.status_code == 302
    assert list(
        Registration.objects.filter(session=session).values_list("full_name", "status")
    ) == [
        (agent.get_full_name(), RegistrationStatus.REGISTERED),
        ("Léa Durand", RegistrationStatus.REGISTERED),
        ("Marc Petit", RegistrationStatus.WAITING),
    ]
    again = tenant_client.post(url, {"full_name": "Léa Durand", "email": "LEA@test.fr"})
    assert again.status_code == 422
    assert "Cette personne est déjà inscrite à cette session." in page_text(again)
    empty = tenant_client.post(url, {})
    assert "Choisissez un membre ou indiquez le nom et l'adresse de l'agent." in page_text(empty)
    page = page_text(tenant_client.get("/formations/"))
    assert "Léa Durand" in page
    assert "En liste d'attente" in page
    assert "Sans forfait Métiers, chaque formation est facturée selon son tarif." in page


@time_machine.travel(TODAY, tick=False)
def test_an_agent_sees_the_trainings_but_cannot_register(tenant, tenant_client, agent, session):
    sign_in(tenant_client, agent, tenant)
    assert "Préparation budgétaire" in page_text(tenant_client.get("/formations/"))
    assert tenant_client.get(f"/formations/sessions/{session.pk}/").status_code == 404


def test_cancelling_in_time_promotes_the_first_waiting(tenant, fadmin, session, make_member):
    people = [make_member(tenant, Role.AGENT) for _ in range(3)]
    with time_machine.travel(TODAY, tick=False):
        made = [
            services.registration_create(
                session=session,
                collectivite=tenant,
                registered_by=fadmin,
                today=date(2026, 4, 20),
                user=person,
            )
            for person in people
        ]
    with (
        time_machine.travel(paris(2026, 5, 6, 9, 0), tick=False),
        pytest.raises(
            ValidationError, match=r"Le délai d'annulation est passé \(jusqu'au 05/05/2026\)\."
        ),
    ):
        services.registration_cancel(registration=made[0], actor=fadmin, today=date(2026, 5, 6))
    services.registration_cancel(registration=made[0], actor=fadmin, today=date(2026, 5, 5))
    made[2].refresh_from_db()
    assert made[2].status == RegistrationStatus.REGISTERED


def test_staff_cancel_a_session_and_everyone_is_told(
    tenant, fadmin, session, agent, staff_admin, django_capture_on_commit_callbacks, mailoutbox
):
    services.registration_create(
        session=session,
        collectivite=tenant,
        registered_by=fadmin,
        today=date(2026, 4, 20),
        user=agent,
    )
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.session_cancel(
            session=session,
            actor=staff_admin,
            reason="Formateur indisponible",
            today=date(2026, 4, 30),
        )
    [notice] = [m for m in mailoutbox if m.subject.startswith("Formation annulée")]
    assert notice.to == [agent.email]
    assert "Motif : Formateur indisponible" in notice.body
    assert notice.attachments[0][2] == "text/calendar; method=CANCEL"
    assert Session.objects.get(pk=session.pk).status == Session.Status.CANCELLED


def test_an_undersized_session_is_flagged_once(
    session, staff_admin, django_capture_on_commit_callbacks, mailoutbox
):
    Session.objects.filter(pk=session.pk).update(minimum_size=2)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.sessions_flag_undersized(today=date(2026, 4, 20)) == []
        assert [s.pk for s in services.sessions_flag_undersized(today=date(2026, 4, 21))] == [
            session.pk
        ]
        assert services.sessions_flag_undersized(today=date(2026, 4, 22)) == []
    [flag] = mailoutbox
    assert flag.subject == "Session sous l'effectif minimal : Préparation budgétaire du 12/05/2026"
    assert flag.to == [staff_admin.email]


def test_the_forfait_includes_two_half_days_then_bills(
    tenant, fadmin, catalogue, subscribe, make_training, make_session, staff_admin, make_member
):
    subscribe(catalogue.metiers)  # contract year 2026-03-01 → 2027-03-01
    training = make_training()
    days = [paris(2026, 5, 5, 9, 0), paris(2026, 6, 2, 9, 0), paris(2026, 7, 7, 9, 0)]
    people = [make_member(tenant, Role.AGENT), make_member(tenant, Role.AGENT)]
    sessions = []
    for start in days:
        with time_machine.travel(paris(2026, 4, 1, 9, 0), tick=False):
            session = make_session(training, start)
            for person in people:
                services.registration_create(
                    session=session,
                    collectivite=tenant,
                    registered_by=fadmin,
                    today=date(2026, 4, 1),
                    user=person,
                )
        sessions.append(session)
    for session, start in zip(sessions, days, strict=True):
        first = session.registrations.order_by("id").first()
        services.attendance_record(
            session=session, attended={first.pk}, actor=staff_admin, today=start.date()
        )
    rows = Registration.objects.filter(collectivite=tenant).order_by("session__starts_at", "id")
    assert [(r.attendance, r.included_half_days, r.billed_half_days) for r in rows] == [
        (Attendance.ATTENDED, 1, 0),
        (Attendance.ABSENT, 1, 0),
        (Attendance.ATTENDED, 1, 0),
        (Attendance.ABSENT, 1, 0),
        (Attendance.ATTENDED, 0, 1),
        (Attendance.ABSENT, 0, 1),
    ]
    # The third session, in July: the June schedule's 440 € a day, half a day each.
    assert sorted(Delivery.objects.values_list("amount", flat=True)) == [
        Decimal("220.00"),
        Decimal("220.00"),
    ]


@time_machine.travel(paris(2026, 5, 12, 15, 0), tick=False)
def test_staff_record_attendance_and_print_the_sheet(
    tenant, backoffice_client, fadmin, agent, session, staff_admin
):
    with time_machine.travel(TODAY, tick=False):
        registration = services.registration_create(
            session=session,
            collectivite=tenant,
            registered_by=fadmin,
            today=date(2026, 4, 20),
            user=agent,
        )
    sign_in(backoffice_client, staff_admin)
    calendar = page_text(backoffice_client.get("/formations/?mois=2026-05"))
    assert "Préparation budgétaire" in calendar
    assert "1 / 2" in calendar
    response = backoffice_client.post(
        f"/formations/sessions/{session.pk}/presences/", {"attended": [registration.pk]}
    )
    assert response.status_code == 302
    registration.refresh_from_db()
    assert registration.attendance == Attendance.ATTENDED
    sheet = backoffice_client.get(f"/formations/sessions/{session.pk}/emargement.pdf")
    assert sheet["Content-Type"] == "application/pdf"
    assert sheet.content.startswith(b"%PDF")


def test_another_user_cannot_reach_a_session_in_the_back_office(
    backoffice_client, session, make_member, tenant
):
    sign_in(backoffice_client, make_member(tenant, Role.AGENT))
    assert backoffice_client.get(f"/formations/sessions/{session.pk}/").status_code == 404


def test_more_places_go_to_the_people_waiting(tenant, fadmin, session, make_member, staff_admin):
    people = [make_member(tenant, Role.AGENT) for _ in range(3)]
    with time_machine.travel(TODAY, tick=False):
        made = [
            services.registration_create(
                session=session, collectivite=tenant, registered_by=fadmin,
                today=date(2026, 4, 20), user=person,
            )
            for person in people
        ]  # fmt: skip
        assert made[2].status == RegistrationStatus.WAITING
        session.capacity = 3
        services.session_save(session=session, actor=staff_admin)
    made[2].refresh_from_db()
    assert made[2].status == RegistrationStatus.REGISTERED


@time_machine.travel(TODAY, tick=False)
def test_the_page_counts_the_included_half_days_left_with_booked_sessions(
    tenant, tenant_client, fadmin, agent, catalogue, subscribe, session
):
    subscribe(catalogue.metiers)
    sign_in(tenant_client, fadmin, tenant)
    page = page_text(tenant_client.get("/formations/"))
    assert "Forfait Métiers : 2 demi-journées de formation de groupe incluses restent" in page
    services.registration_create(
        session=session, collectivite=tenant, registered_by=fadmin, today=date(2026, 4, 20),
        user=agent,
    )  # fmt: skip
    page = page_text(tenant_client.get("/formations/"))
    assert "Forfait Métiers : 1 demi-journée de formation de groupe incluse reste" in page


def test_staff_create_a_training_and_a_session_from_the_back_office(
    backoffice_client, staff_admin, catalogue
):
    sign_in(backoffice_client, staff_admin)
    response = backoffice_client.post(
        "/formations/catalogue/",
        {
            "title": "Fin d'exercice", "half_days": 2, "mode": "remote",
            "offer": catalogue.metiers.pk, "tariff_offer": catalogue.formation.pk,
            "cancellation_days_before": 10, "minimum_check_days_before": 21,
        },
    )  # fmt: skip
    assert response.status_code == 302
    from trainings.models import Training

    training = Training.objects.get(title="Fin d'exercice")
    bad = backoffice_client.post(
        "/formations/sessions/nouvelle/",
        {
            "training": training.pk, "starts_at": "2026-11-03T14:00", "ends_at": "2026-11-03T09:00",
            "capacity": 5, "minimum_size": 6, "link": "visio.example.fr/salle",
        },
    )  # fmt: skip
    assert bad.status_code == 422
    assert "La fin doit suivre le début." in page_text(bad)
    assert "L'effectif minimal ne peut pas dépasser le nombre de places." in page_text(bad)
    good = backoffice_client.post(
        "/formations/sessions/nouvelle/",
        {
            "training": training.pk, "starts_at": "2026-11-03T09:00", "ends_at": "2026-11-03T17:00",
            "capacity": 5, "minimum_size": 2, "link": "visio.example.fr/salle",
        },
    )  # fmt: skip
    assert good.status_code == 302
    session = Session.objects.get(training=training)
    assert session.link == "https://visio.example.fr/salle"
    assert session.starts_at == paris(2026, 11, 3, 9, 0)


def test_an_hourly_tariff_is_refused_for_a_training(make_training, catalogue):
    from catalogue.models import Offer

    hourly = Offer.objects.create(
        family=catalogue.formation.family, code="heure", name="Heure", system="none",
        billing_unit="hour",
    )  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        make_training(tariff_offer=hourly)
    assert refused.value.message_dict == {
        "tariff_offer": ["Le tarif d'une formation doit être compté à la journée ou à l'unité."]
    }
