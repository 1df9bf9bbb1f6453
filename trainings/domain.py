"""Training rules (F1, F2, A6), pure: no Django import, the caller passes `today=`.

Invariants:
- F1: the Forfait Métiers includes two half-days of group training per contract year and per
  collectivité (seed 003, annex 3 I b: "la participation par an et par collectivité à deux
  demi-journées"). The allowance is the collectivité's, not each agent's: every agent of a
  collectivité attending the same session shares the same included half-days. Sessions draw on
  it in the order they are held (then by session id), within the forfait's contract year that
  contains the session's date. Beyond it, and without the forfait, a registration is billed per
  the training's tariff, one delivery per registration (a training body bills its trainees).
- The visio referent training (A6, seed 004) never draws on the forfait: it has its own tariff,
  or is free when it has none.
- A registration counts (for the allowance and for billing) when its session was held and the
  person held a place: attended, or absent without cancelling by the deadline. The seeds are
  silent on no-shows ("les modalités et conditions d'annulation sont précisées dans le
  règlement intérieur"): we bill a no-show as an attendance, as training bodies' rules
  commonly do.
- F2: registration is not a convocation; the convocation goes 15 days before the session (or
  at once for a later registration), a reminder the day before, each once.

Every date here is a calendar date in Europe/Paris; contract years are (start, end exclusive).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

INCLUDED_HALF_DAYS_PER_YEAR = 2  # seed 003: "2 demi-journées/an incluses"
CONVOCATION_DAYS_BEFORE = 15  # seed 003: "environ 15 jours avant"
REMINDER_DAYS_BEFORE = 1

ContractYear = tuple[date, date]


class RegistrationStatus(StrEnum):
    REGISTERED = "registered"
    WAITING = "waiting"
    CANCELLED = "cancelled"


REGISTRATION_STATUS_LABELS = {
    RegistrationStatus.REGISTERED: "Inscrit",
    RegistrationStatus.WAITING: "En liste d'attente",
    RegistrationStatus.CANCELLED: "Inscription annulée",
}


class Attendance(StrEnum):
    ATTENDED = "attended"
    ABSENT = "absent"


ATTENDANCE_LABELS = {Attendance.ATTENDED: "Présent", Attendance.ABSENT: "Absent"}


class Charge(StrEnum):
    INCLUDED = "included"
    PARTLY_INCLUDED = "partly_included"
    BILLED = "billed"
    FREE = "free"


CHARGE_LABELS = {
    Charge.INCLUDED: "Incluse dans le forfait",
    Charge.PARTLY_INCLUDED: "En partie incluse, le reste facturé",
    Charge.BILLED: "Facturée",
    Charge.FREE: "Gratuite",
}


class NoticeKind(StrEnum):
    CONVOCATION = "convocation"
    REMINDER = "reminder"
    CANCELLATION = "cancellation"


REASON_REFERENT = "Formation du référent visio : elle ne relève pas du forfait."
REASON_NOT_FORFAIT = "Formation hors forfait."
REASON_NO_FORFAIT = "La collectivité n'a pas le forfait à la date de la session."
REASON_SAME_SESSION = "Session déjà comptée pour la collectivité : même décompte."
REASON_ALLOWANCE = (
    "Demi-journées du forfait pour cette année de contrat : {used} utilisée(s) sur {allowance}."
)
REASON_NO_TARIFF = " Aucun tarif : rien n'est facturé."


@dataclass(frozen=True)
class TrainingTerms:
    half_days: int
    in_forfait: bool  # the training belongs to the forfait that includes group training
    referent_training: bool
    has_tariff: bool


@dataclass(frozen=True)
class Participation:
    """A session the collectivité already drew on, with the half-days it was granted."""

    session_id: int
    held_on: date
    included_half_days: int


@dataclass(frozen=True)
class ChargeDecision:
    charge: Charge
    included_half_days: int
    billed_half_days: int
    reason: str
    contract_year: ContractYear | None = None


def contract_year_of(years: Sequence[ContractYear], on: date) -> ContractYear | None:
    return next((year for year in years if year[0] <= on < year[1]), None)


def _decision(
    terms: TrainingTerms, included: int, reason: str, year: ContractYear | None
) -> ChargeDecision:
    billed = terms.half_days - included
    if billed and not terms.has_tariff:
        charge = Charge.INCLUDED if included else Charge.FREE
        return ChargeDecision(charge, included, 0, reason + REASON_NO_TARIFF, year)
    if not billed:
        charge = Charge.INCLUDED
    else:
        charge = Charge.PARTLY_INCLUDED if included else Charge.BILLED
    return ChargeDecision(charge, included, billed, reason, year)


def registration_charge(
    *,
    terms: TrainingTerms,
    session_id: int,
    held_on: date,
    forfait_years: Sequence[ContractYear],
    earlier: Sequence[Participation],
    allowance: int = INCLUDED_HALF_DAYS_PER_YEAR,
) -> ChargeDecision:
    """Whether a registration to session `session_id` (held on `held_on`) uses the
    collectivité's included half-days or is billed (F1). `earlier`: the sessions the
    collectivité drew on before this one (held earlier, or the same session for another
    agent), in any order."""
    if terms.referent_training:
        return _decision(terms, 0, REASON_REFERENT, None)
    if not terms.in_forfait:
        return _decision(terms, 0, REASON_NOT_FORFAIT, None)
    year = contract_year_of(forfait_years, held_on)
    if year is None:
        return _decision(terms, 0, REASON_NO_FORFAIT, None)
    same = [p for p in earlier if p.session_id == session_id]
    if same:
        return _decision(terms, same[0].included_half_days, REASON_SAME_SESSION, year)
    used = sum(p.included_half_days for p in earlier if year[0] <= p.held_on < year[1])
    included = min(max(allowance - used, 0), terms.half_days)
    reason = REASON_ALLOWANCE.format(used=min(used + included, allowance), allowance=allowance)
    return _decision(terms, included, reason, year)


def half_days_left(
    *,
    forfait_years: Sequence[ContractYear],
    participations: Sequence[Participation],
    today: date,
    allowance: int = INCLUDED_HALF_DAYS_PER_YEAR,
) -> int | None:
    """The included half-days left in the forfait's contract year containing `today` (None
    without the forfait today). `participations`: held and booked sessions alike."""
    year = contract_year_of(forfait_years, today)
    if year is None:
        return None
    used = sum(p.included_half_days for p in participations if year[0] <= p.held_on < year[1])
    return max(allowance - used, 0)


def billed_quantity(*, billed_half_days: int, unit: str) -> Decimal:
    """The quantity invoiced for a registration: days for a daily tariff (two half-days a
    day), one for a per-unit (per-person) tariff."""
    if unit == "day":
        return Decimal(billed_half_days) / 2
    if unit == "unit":
        return Decimal(1)
    raise ValueError(UNSUPPORTED_UNIT)


UNSUPPORTED_UNIT = "Le tarif d'une formation se compte à la journée ou à l'unité."


def counts(*, status: str, attendance: str | None, held_on: date, today: date) -> bool:
    """Whether a registration draws on the allowance and is billed: the session was held and
    the person held a place (attended, or a no-show after the cancellation deadline)."""
    return status == RegistrationStatus.REGISTERED and held_on <= today and attendance is not None


def place_for(*, registered: int, capacity: int) -> RegistrationStatus:
    """A new registration takes a place while there is one, else joins the waiting list."""
    return RegistrationStatus.REGISTERED if registered < capacity else RegistrationStatus.WAITING


def cancellation_deadline(*, held_on: date, days_before: int) -> date:
    """The last day a registration can be cancelled (inclusive)."""
    return held_on - timedelta(days=days_before)


def cancellation_open(*, held_on: date, days_before: int, today: date) -> bool:
    return today <= cancellation_deadline(held_on=held_on, days_before=days_before)


def convocation_date(held_on: date) -> date:
    return held_on - timedelta(days=CONVOCATION_DAYS_BEFORE)


def notices_due(
    *, held_on: date, today: date, convocation_sent_on: date | None, reminder_sent: bool
) -> list[NoticeKind]:
    """What to send a registered person today (F2): the convocation from 15 days before (at
    once for a later registration), the reminder the day before — unless the convocation only
    went out today."""
    if today >= held_on:
        return []
    if convocation_sent_on is None:
        return [NoticeKind.CONVOCATION] if today >= convocation_date(held_on) else []
    reminder_day = held_on - timedelta(days=REMINDER_DAYS_BEFORE)
    if not reminder_sent and today >= reminder_day and convocation_sent_on < today:
        return [NoticeKind.REMINDER]
    return []


def undersized(
    *, held_on: date, registered: int, minimum: int, check_days_before: int, today: date
) -> bool:
    """A session still below its minimum group size `check_days_before` days before it."""
    return held_on - timedelta(days=check_days_before) <= today < held_on and registered < minimum
