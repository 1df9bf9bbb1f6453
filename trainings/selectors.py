"""Reads of trainings: the forfait's contract years, what a collectivité drew on, the pages'
rows (upcoming sessions, a collectivité's registrations, the back-office calendar)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, F, Prefetch, Q
from django.utils import timezone

from catalogue.models import BillingUnit, Offer
from contracts.models import Subscription
from contracts.rules import contract_year
from portal.models import Collectivite
from trainings import domain
from trainings.models import Registration, Session, Training

ACTIVE = (domain.RegistrationStatus.REGISTERED, domain.RegistrationStatus.WAITING)


def held_on(session: Session) -> date:
    """A session's calendar day in Europe/Paris (the project's TIME_ZONE)."""
    return timezone.localtime(session.starts_at).date()


def day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def cancellation_deadline(registration: Registration) -> date:
    return domain.cancellation_deadline(
        held_on=held_on(registration.session),
        days_before=registration.session.training.cancellation_days_before,
    )


def training_terms(training: Training) -> domain.TrainingTerms:
    return domain.TrainingTerms(
        half_days=training.half_days,
        in_forfait=training.offer.billing_unit == BillingUnit.COLLECTIVITE_YEAR,
        referent_training=training.is_visio_referent_training,
        has_tariff=training.tariff_offer_id is not None,
    )


def forfait_years(
    *, collectivite: Collectivite, offer: Offer, days: list[date]
) -> list[domain.ContractYear]:
    """The contract years of the collectivité's subscription(s) to `offer` that contain one of
    `days` (S1, S2: yearly from the activation month, until the effective end)."""
    years: set[domain.ContractYear] = set()
    subscriptions = Subscription.objects.filter(collectivite=collectivite, offer=offer)
    for subscription in subscriptions:
        for day in days:
            if subscription.activated_on <= day and (
                subscription.ends_on is None or day < subscription.ends_on
            ):
                years.add(contract_year(subscription.activated_on, day))
    return sorted(years)


def participations(
    *, collectivite: Collectivite, offer: Offer, exclude_session: int | None = None
) -> list[domain.Participation]:
    """The sessions of `offer`'s trainings the collectivité already drew included half-days
    on (decided when their attendance was recorded)."""
    rows = (
        Registration.objects.filter(
            collectivite=collectivite,
            session__training__offer=offer,
            included_half_days__gt=0,
        )
        .exclude(session_id=exclude_session)
        .values_list("session_id", "session__starts_at", "included_half_days")
        .distinct()
    )
    seen: dict[int, domain.Participation] = {}
    for session_id, starts_at, included in rows:
        seen[session_id] = domain.Participation(
            session_id=session_id,
            held_on=timezone.localtime(starts_at).date(),
            included_half_days=included,
        )
    return list(seen.values())


def registered_count(session: Session) -> int:
    return session.registrations.filter(status=domain.RegistrationStatus.REGISTERED).count()


def sessions_with_counts():
    return (
        Session.objects.select_related("training", "trainer")
        .annotate(
            registered=Count(
                "registrations",
                filter=Q(registrations__status=domain.RegistrationStatus.REGISTERED),
            ),
            waiting=Count(
                "registrations", filter=Q(registrations__status=domain.RegistrationStatus.WAITING)
            ),
        )
        .annotate(places_left=F("capacity") - F("registered"))
    )


def upcoming_sessions(*, today: date):
    return (
        sessions_with_counts()
        .filter(status=Session.Status.PLANNED, starts_at__gte=day_start(today + timedelta(days=1)))
        .order_by("starts_at", "id")
    )


@dataclass(frozen=True)
class RegistrationRow:
    registration: Registration
    held_on: date
    can_cancel: bool
    deadline: date
    charge_label: str


@dataclass(frozen=True)
class TenantTrainings:
    upcoming: list[Session]
    registered: list[RegistrationRow]
    history: list[RegistrationRow]
    half_days_left: int | None
    contract_year: domain.ContractYear | None


def _charge_label(registration: Registration) -> str:
    if registration.included_half_days is None:
        return ""
    if registration.billed_half_days:
        return (
            domain.CHARGE_LABELS[domain.Charge.PARTLY_INCLUDED]
            if registration.included_half_days
            else domain.CHARGE_LABELS[domain.Charge.BILLED]
        )
    if registration.included_half_days:
        return domain.CHARGE_LABELS[domain.Charge.INCLUDED]
    return domain.CHARGE_LABELS[domain.Charge.FREE]


def forfait_offers() -> list[Offer]:
    """The offers whose trainings draw on included half-days: forfaits (per collectivité and
    year) that a training belongs to."""
    return list(
        Offer.objects.filter(
            billing_unit=BillingUnit.COLLECTIVITE_YEAR,
            pk__in=Training.objects.values("offer_id"),
        )
    )


def tenant_trainings(*, collectivite: Collectivite, today: date) -> TenantTrainings:
    """The collectivité's "Formations" page: sessions open to registration, its people
    registered, its history, and the included half-days left this contract year (held and
    booked sessions both count)."""
    registrations = list(
        Registration.objects.filter(collectivite=collectivite)
        .exclude(status=domain.RegistrationStatus.CANCELLED)
        .select_related("session__training__offer", "session__training__tariff_offer")
        .order_by("session__starts_at", "created_at")
    )
    registered, history = [], []
    for registration in registrations:
        session, day = registration.session, held_on(registration.session)
        training = session.training
        row = RegistrationRow(
            registration=registration,
            held_on=day,
            can_cancel=registration.status != domain.RegistrationStatus.CANCELLED
            and session.status == Session.Status.PLANNED
            and domain.cancellation_open(
                held_on=day, days_before=training.cancellation_days_before, today=today
            ),
            deadline=domain.cancellation_deadline(
                held_on=day, days_before=training.cancellation_days_before
            ),
            charge_label=_charge_label(registration),
        )
        (
            history if day < today or session.status == Session.Status.CANCELLED else registered
        ).append(row)
    left, year = None, None
    for offer in forfait_offers():
        years = forfait_years(collectivite=collectivite, offer=offer, days=[today])
        if not years:
            continue
        year = years[0]
        taken = participations(collectivite=collectivite, offer=offer)
        booked = {
            row.registration.session_id: row
            for row in registered
            if row.registration.status == domain.RegistrationStatus.REGISTERED
            and row.registration.session.training.offer_id == offer.pk
            and not row.registration.session.training.is_visio_referent_training
        }
        for session_id, row in booked.items():
            decision = domain.registration_charge(
                terms=training_terms(row.registration.session.training),
                session_id=session_id,
                held_on=row.held_on,
                forfait_years=years,
                earlier=taken,
            )
            taken.append(domain.Participation(session_id, row.held_on, decision.included_half_days))
        left = domain.half_days_left(forfait_years=years, participations=taken, today=today)
    return TenantTrainings(
        upcoming=list(upcoming_sessions(today=today)),
        registered=registered,
        history=list(reversed(history)),
        half_days_left=left,
        contract_year=year,
    )


def calendar_sessions(*, start: date, end: date):
    """The back-office calendar: sessions starting in [start, end), with their fill."""
    return sessions_with_counts().filter(
        starts_at__gte=day_start(start), starts_at__lt=day_start(end)
    )


def session_registrations(session: Session) -> list[Registration]:
    return list(
        session.registrations.exclude(status=domain.RegistrationStatus.CANCELLED)
        .select_related("collectivite", "user")
        .order_by("status", "collectivite__name", "full_name")
    )


def sessions_prefetched(qs):
    return qs.prefetch_related(
        Prefetch(
            "registrations",
            queryset=Registration.objects.filter(status__in=ACTIVE).select_related("collectivite"),
        )
    )
