"""Audit events of trainings (P2): registrations, cancellations, attendance, billed
attendances and the visio referent's training (A6)."""

from __future__ import annotations

from portal.events import audit_record
from portal.models import AuditEvent, Membership, User
from trainings.models import Registration, Session


def registration_created_event(*, registration: Registration, actor: User) -> AuditEvent:
    return audit_record(
        action="training.registered",
        obj=registration,
        actor=actor,
        collectivite=registration.collectivite,
        summary=f"{registration.full_name} inscrit(e) à « {registration.session} » "
        f"({registration.status_label.lower()})",
    )


def registration_cancelled_event(*, registration: Registration, actor: User) -> AuditEvent:
    return audit_record(
        action="training.registration_cancelled",
        obj=registration,
        actor=actor,
        collectivite=registration.collectivite,
        summary=f"Inscription de {registration.full_name} à « {registration.session} » annulée",
    )


def session_cancelled_event(*, session: Session, actor: User) -> AuditEvent:
    return audit_record(
        action="training.session_cancelled",
        obj=session,
        actor=actor,
        summary=f"Session « {session} » annulée : {session.cancellation_reason}",
    )


def attendance_recorded_event(
    *, session: Session, actor: User, attended: int, absent: int
) -> AuditEvent:
    return audit_record(
        action="training.attendance_recorded",
        obj=session,
        actor=actor,
        summary=f"Présences de « {session} » : {attended} présent(s), {absent} absent(s)",
        data={"attended": attended, "absent": absent},
    )


def attendance_billed_event(*, registration: Registration, amount: str) -> AuditEvent:
    return audit_record(
        action="training.attendance_billed",
        obj=registration,
        collectivite=registration.collectivite,
        summary=f"Formation de {registration.full_name} (« {registration.session} ») "
        f"à facturer : {amount} €",
    )


def referent_trained_event(*, membership: Membership, session: Session, actor: User) -> AuditEvent:
    return audit_record(
        action="visio.training_recorded",
        obj=membership,
        actor=actor,
        collectivite=membership.collectivite,
        summary=f"Formation visio de {membership.user} enregistrée (suivie le "
        f"{membership.trained_on:%d/%m/%Y}, session « {session} »)",
        data={"session": session.pk},
    )
