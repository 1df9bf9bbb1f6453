"""Writes of trainings: the catalogue and sessions (back-office), registrations from a
collectivité's site with the waiting list, notices (F2), attendance, the visio referent's
training (A6) and billed attendances as billing deliveries (F1)."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from billing.services import delivery_record
from catalogue.models import BillingUnit
from portal.models import Collectivite, Membership, Role, User
from portal.notifications import notify, syndicate_admins
from portal.services import backoffice_url, site_url
from trainings import domain, events, selectors
from trainings.calendar import session_ics
from trainings.models import (
    ENDS_BEFORE_START,
    MINIMUM_ABOVE_CAPACITY,
    Notice,
    Registration,
    Session,
    Training,
)

TARIFF_UNIT_REFUSED = "Le tarif d'une formation doit être compté à la journée ou à l'unité."
SESSION_NOT_OPEN = "Cette session n'est plus ouverte aux inscriptions."
ALREADY_REGISTERED = "Cette personne est déjà inscrite à cette session."
NOT_A_MEMBER = "Cette personne n'est pas membre de la collectivité."
NAME_AND_EMAIL_REQUIRED = "Indiquez le nom et l'adresse électronique de l'agent."
CANCELLATION_CLOSED = "Le délai d'annulation est passé (jusqu'au {deadline:%d/%m/%Y})."
ALREADY_CANCELLED = "Cette inscription est déjà annulée."
SESSION_ALREADY_CANCELLED = "Cette session est déjà annulée."
SESSION_HELD = "Cette session a déjà eu lieu : elle ne peut plus être annulée."
ATTENDANCE_TOO_EARLY = "Les présences s'enregistrent à partir du jour de la session."
ATTENDANCE_CANCELLED = "Cette session a été annulée : pas de présences à enregistrer."


# --- Catalogue and sessions (back-office) ---------------------------------------------------


@transaction.atomic
def training_save(*, training: Training, actor: User) -> Training:
    if training.tariff_offer is not None and training.tariff_offer.billing_unit not in (
        BillingUnit.DAY,
        BillingUnit.UNIT,
    ):
        raise ValidationError({"tariff_offer": TARIFF_UNIT_REFUSED})
    training.save()
    return training


@transaction.atomic
def session_save(*, session: Session, actor: User) -> Session:
    errors = {}
    if session.ends_at <= session.starts_at:
        errors["ends_at"] = ENDS_BEFORE_START
    if session.minimum_size > session.capacity:
        errors["minimum_size"] = MINIMUM_ABOVE_CAPACITY
    if errors:
        raise ValidationError(errors)
    session.save()
    # More places (an edited capacity) go to the people waiting, first come first served.
    while _promote_waiting(session) is not None:
        pass
    return session


# --- Registrations (a collectivité's site) --------------------------------------------------


def _mail_context(registration: Registration) -> dict:
    session = registration.session
    start, end = timezone.localtime(session.starts_at), timezone.localtime(session.ends_at)
    return {
        "full_name": registration.full_name,
        "collectivite": registration.collectivite.name,
        "title": session.training.title,
        "day": f"{start:%d/%m/%Y}",
        "hours": f"{start:%H:%M} – {end:%H:%M}",
        "place": session.place,
        "link": session.link,
        "mode": session.training.get_mode_display(),
        "status": registration.status_label,
        "deadline": f"{selectors.cancellation_deadline(registration):%d/%m/%Y}",
        "url": site_url(registration.collectivite.primary_domain_name, "/formations/"),
        "reason": session.cancellation_reason,
    }


@transaction.atomic
def registration_create(
    *,
    session: Session,
    collectivite: Collectivite,
    registered_by: User,
    today: date,
    user: User | None = None,
    full_name: str = "",
    email: str = "",
    po_number: str = "",
) -> Registration:
    """Register a member (`user`) or a named agent not yet a member (`full_name`, `email`) of
    `collectivite` to `session`: a place while there is one, else the waiting list. The
    session row is locked so that two registrations never take the last place twice."""
    session = (
        Session.objects.select_for_update(of=("self",))
        .select_related("training")
        .get(pk=session.pk)
    )
    if session.status != Session.Status.PLANNED or selectors.held_on(session) <= today:
        raise ValidationError(SESSION_NOT_OPEN)
    if user is not None:
        if not Membership.objects.filter(user=user, collectivite=collectivite).exists():
            raise ValidationError(NOT_A_MEMBER)
        full_name, email = user.get_full_name(), user.email
    full_name, email = full_name.strip(), email.strip().lower()
    if not full_name or not email:
        raise ValidationError(NAME_AND_EMAIL_REQUIRED)
    active = session.registrations.exclude(status=domain.RegistrationStatus.CANCELLED)
    if active.filter(email=email).exists():
        raise ValidationError(ALREADY_REGISTERED)
    status = domain.place_for(
        registered=active.filter(status=domain.RegistrationStatus.REGISTERED).count(),
        capacity=session.capacity,
    )
    try:
        with transaction.atomic():
            registration = Registration.objects.create(
                session=session,
                collectivite=collectivite,
                user=user,
                full_name=full_name,
                email=email,
                status=status,
                po_number=po_number.strip(),
                registered_by=registered_by,
            )
    except IntegrityError as exc:
        raise ValidationError(ALREADY_REGISTERED) from exc
    events.registration_created_event(registration=registration, actor=registered_by)
    notify(
        template="training_registered",
        to=[email, registered_by.email],
        context=_mail_context(registration),
    )
    return registration


@transaction.atomic
def registration_cancel(*, registration: Registration, actor: User, today: date) -> Registration:
    """Cancel up to the training's deadline; the first person waiting takes the place."""
    registration = (
        Registration.objects.select_for_update(of=("self",))
        .select_related("session__training", "collectivite")
        .get(pk=registration.pk)
    )
    if registration.status == domain.RegistrationStatus.CANCELLED:
        raise ValidationError(ALREADY_CANCELLED)
    deadline = selectors.cancellation_deadline(registration)
    if today > deadline:
        raise ValidationError(CANCELLATION_CLOSED.format(deadline=deadline))
    held_place = registration.status == domain.RegistrationStatus.REGISTERED
    registration.status = domain.RegistrationStatus.CANCELLED
    registration.cancelled_at, registration.cancelled_by = timezone.now(), actor
    registration.save(update_fields=["status", "cancelled_at", "cancelled_by"])
    events.registration_cancelled_event(registration=registration, actor=actor)
    if held_place:
        _promote_waiting(registration.session)
    return registration


def _promote_waiting(session: Session) -> Registration | None:
    Session.objects.select_for_update(of=("self",)).filter(pk=session.pk).first()
    if selectors.registered_count(session) >= session.capacity:
        return None
    waiting = (
        session.registrations.filter(status=domain.RegistrationStatus.WAITING)
        .select_related("collectivite", "session__training")
        .order_by("created_at", "id")
        .first()
    )
    if waiting is None:
        return None
    waiting.status = domain.RegistrationStatus.REGISTERED
    waiting.save(update_fields=["status"])
    notify(template="training_promoted", to=[waiting.email], context=_mail_context(waiting))
    return waiting


# --- Notices (F2), undersized sessions, cancellation by the syndicate -----------------------


def _send(registration: Registration, kind: domain.NoticeKind, *, now) -> bool:
    """Send one notice, once: the `notice_once` constraint claims it first; a failed send
    rolls the claim back and the next run tries again."""
    context = _mail_context(registration)
    try:
        with transaction.atomic():
            Notice.objects.create(registration=registration, kind=kind, sent_at=now)
            template = f"training_{kind}"
            message = EmailMessage(
                render_to_string(f"emails/{template}_subject.txt", context).strip(),
                render_to_string(f"emails/{template}_body.txt", context),
                settings.DEFAULT_FROM_EMAIL,
                [registration.email],
            )
            cancelled = kind == domain.NoticeKind.CANCELLATION
            message.attach(
                "formation.ics",
                session_ics(
                    registration.session,
                    uid=f"training-registration-{registration.pk}@{settings.BASE_DOMAIN}",
                    attendee=registration.email,
                    cancelled=cancelled,
                    stamp=now,
                ),
                "text/calendar; method=" + ("CANCEL" if cancelled else "PUBLISH"),
            )
            message.send()
    except IntegrityError:
        return False
    return True


def notices_send(*, today: date) -> int:
    """The daily job: each registered person's convocation from 15 days before the session,
    and the reminder the day before (F2). Returns how many were sent."""
    now = timezone.now()
    sent = 0
    sessions = Session.objects.filter(
        status=Session.Status.PLANNED,
        starts_at__gte=selectors.day_start(today),
        starts_at__lt=selectors.day_start(
            today + timedelta(days=domain.CONVOCATION_DAYS_BEFORE + 1)
        ),
    )
    registrations = (
        Registration.objects.filter(
            session__in=sessions, status=domain.RegistrationStatus.REGISTERED
        )
        .select_related("session__training", "collectivite")
        .prefetch_related("notices")
    )
    for registration in registrations:
        notices = {n.kind: n for n in registration.notices.all()}
        convocation = notices.get(domain.NoticeKind.CONVOCATION)
        for kind in domain.notices_due(
            held_on=selectors.held_on(registration.session),
            today=today,
            convocation_sent_on=timezone.localtime(convocation.sent_at).date()
            if convocation
            else None,
            reminder_sent=domain.NoticeKind.REMINDER in notices,
        ):
            sent += _send(registration, kind, now=now)
    return sent


def sessions_flag_undersized(*, today: date) -> list[Session]:
    """Flag to the syndicate, once, each session still below its minimum group size the
    training's number of days before it."""
    flagged = []
    for session in selectors.sessions_with_counts().filter(
        status=Session.Status.PLANNED,
        undersized_flagged_on__isnull=True,
        starts_at__gte=selectors.day_start(today),
    ):
        if not domain.undersized(
            held_on=selectors.held_on(session),
            registered=session.registered,
            minimum=session.minimum_size,
            check_days_before=session.training.minimum_check_days_before,
            today=today,
        ):
            continue
        with transaction.atomic():
            if not Session.objects.filter(pk=session.pk, undersized_flagged_on__isnull=True).update(
                undersized_flagged_on=today
            ):
                continue
            notify(
                template="training_undersized",
                to=syndicate_admins(),
                context={
                    "title": session.training.title,
                    "day": f"{selectors.held_on(session):%d/%m/%Y}",
                    "registered": session.registered,
                    "minimum": session.minimum_size,
                    "url": backoffice_url(f"/formations/sessions/{session.pk}/"),
                },
            )
        flagged.append(session)
    return flagged


@transaction.atomic
def session_cancel(*, session: Session, actor: User, reason: str, today: date) -> Session:
    """The syndicate cancels a session; everyone registered or waiting is told, once."""
    session = (
        Session.objects.select_for_update(of=("self",))
        .select_related("training")
        .get(pk=session.pk)
    )
    if session.status == Session.Status.CANCELLED:
        raise ValidationError(SESSION_ALREADY_CANCELLED)
    if selectors.held_on(session) <= today:
        raise ValidationError(SESSION_HELD)
    session.status, session.cancelled_at = Session.Status.CANCELLED, timezone.now()
    session.cancellation_reason = reason.strip()
    session.save(update_fields=["status", "cancelled_at", "cancellation_reason"])
    events.session_cancelled_event(session=session, actor=actor)
    people = list(
        session.registrations.filter(status__in=selectors.ACTIVE).select_related("collectivite")
    )
    transaction.on_commit(lambda: _tell_cancelled([r.pk for r in people]))
    return session


def _tell_cancelled(registration_ids: list[int]) -> None:
    from trainings.tasks import send_cancellation_notices

    send_cancellation_notices.delay(registration_ids)


def cancellation_notices_send(*, registration_ids: list[int]) -> int:
    now = timezone.now()
    registrations = Registration.objects.filter(pk__in=registration_ids).select_related(
        "session__training", "collectivite"
    )
    return sum(_send(r, domain.NoticeKind.CANCELLATION, now=now) for r in registrations)


# --- Attendance, A6, billing (F1) ------------------------------------------------------------


@transaction.atomic
def attendance_record(*, session: Session, attended: set[int], actor: User, today: date) -> Session:
    """Record who attended (ids of registrations; every other registered person is absent),
    then: the visio referent who attended has their training recorded (A6), and each
    registration's charge is decided (F1) — billed ones become deliveries for the next
    billing run. A no-show counts as attended for billing (see `domain`)."""
    session = (
        Session.objects.select_for_update(of=("self",))
        .select_related("training__offer", "training__tariff_offer")
        .get(pk=session.pk)
    )
    day = selectors.held_on(session)
    if session.status == Session.Status.CANCELLED:
        raise ValidationError(ATTENDANCE_CANCELLED)
    if day > today:
        raise ValidationError(ATTENDANCE_TOO_EARLY)
    registrations = list(
        session.registrations.filter(status=domain.RegistrationStatus.REGISTERED)
        .select_related("collectivite", "user")
        .order_by("created_at", "id")
    )
    for registration in registrations:
        registration.attendance = (
            domain.Attendance.ATTENDED if registration.pk in attended else domain.Attendance.ABSENT
        )
        registration.save(update_fields=["attendance"])
    session.attendance_recorded_at = timezone.now()
    session.save(update_fields=["attendance_recorded_at"])
    present = [r for r in registrations if r.attendance == domain.Attendance.ATTENDED]
    events.attendance_recorded_event(
        session=session,
        actor=actor,
        attended=len(present),
        absent=len(registrations) - len(present),
    )
    if session.training.is_visio_referent_training:
        _referents_trained(session, present, actor=actor, day=day)
    for registration in registrations:
        _charge(session, registration, day=day, today=today)
    return session


def _referents_trained(session: Session, present: list[Registration], *, actor: User, day: date):
    for registration in present:
        if registration.user_id is None:
            continue
        for membership in Membership.objects.select_related("user", "collectivite").filter(
            user_id=registration.user_id,
            collectivite=registration.collectivite,
            role=Role.VISIO_REFERENT,
            trained_on__isnull=True,
        ):
            membership.trained_on, membership.trained_recorded_by = day, actor
            membership.save(update_fields=["trained_on", "trained_recorded_by"])
            events.referent_trained_event(membership=membership, session=session, actor=actor)


def _charge(session: Session, registration: Registration, *, day: date, today: date) -> None:
    training = session.training
    if not domain.counts(
        status=registration.status, attendance=registration.attendance, held_on=day, today=today
    ):
        return
    decision = domain.registration_charge(
        terms=selectors.training_terms(training),
        session_id=session.pk,
        held_on=day,
        forfait_years=selectors.forfait_years(
            collectivite=registration.collectivite, offer=training.offer, days=[day]
        ),
        earlier=[
            p
            for p in selectors.participations(
                collectivite=registration.collectivite, offer=training.offer
            )
            if p.held_on < day or p.session_id == session.pk
        ],
    )
    registration.included_half_days = decision.included_half_days
    registration.billed_half_days = decision.billed_half_days
    registration.save(update_fields=["included_half_days", "billed_half_days"])
    if not decision.billed_half_days or training.tariff_offer is None:
        return
    delivery = delivery_record(
        collectivite=registration.collectivite,
        offer=training.tariff_offer,
        quantity=domain.billed_quantity(
            billed_half_days=decision.billed_half_days, unit=training.tariff_offer.billing_unit
        ),
        delivered_on=day,
        source=registration.billing_source,
        label=f"Formation « {training.title} » du {day:%d/%m/%Y} — {registration.full_name}"[:250],
        po_number=registration.po_number,
    )
    events.attendance_billed_event(registration=registration, amount=f"{delivery.amount}")
