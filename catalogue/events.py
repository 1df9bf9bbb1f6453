"""Audit events of the catalogue (P2)."""

from __future__ import annotations

from catalogue.models import AnnexVersion, TariffSchedule
from portal.events import audit_record
from portal.models import AuditEvent, User


def schedule_drafted_event(*, schedule: TariffSchedule, actor: User | None) -> AuditEvent:
    return audit_record(
        action="tariff_schedule.drafted",
        obj=schedule,
        actor=actor,
        summary=f"Grille « {schedule.title} » préparée (copie de la grille en vigueur).",
    )


def schedule_published_event(*, schedule: TariffSchedule, actor: User | None) -> AuditEvent:
    return audit_record(
        action="tariff_schedule.published",
        obj=schedule,
        actor=actor,
        summary=(
            f"Grille « {schedule.title} » publiée (délibération n° {schedule.deliberation_number}"
            f", en vigueur au {schedule.effective_from:%d/%m/%Y})."
        ),
    )


def annex_published_event(*, annex: AnnexVersion, actor: User | None) -> AuditEvent:
    return audit_record(
        action="annex.published",
        obj=annex.offer,
        actor=actor,
        summary=f"Annexe « {annex.title} » publiée en version {annex.version}.",
    )
