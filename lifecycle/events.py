"""Audit events of the end of a membership (P2): one keyword-only constructor per event. They
record what was decided and counted, never the personal data itself."""

from __future__ import annotations

from portal.events import audit_record
from portal.models import AuditEvent, Collectivite, User


def retention_noticed_event(*, case, purge_on) -> AuditEvent:
    return audit_record(
        action="retention.noticed",
        obj=case,
        collectivite=case.collectivite,
        summary=(
            f"Syndicat averti : les données personnelles de {case.collectivite.name} seront "
            f"purgées le {purge_on:%d/%m/%Y} (dernier contrat terminé le "
            f"{case.ended_on:%d/%m/%Y})."
        ),
        data={"ended_on": case.ended_on, "purge_on": purge_on},
    )


def retention_cancelled_event(*, case) -> AuditEvent:
    return audit_record(
        action="retention.cancelled",
        obj=case,
        collectivite=case.collectivite,
        summary=f"Conservation de {case.collectivite.name} : un contrat court de nouveau, pas de purge.",
    )


def personal_data_purged_event(*, case, counts: dict[str, int], actor: User | None) -> AuditEvent:
    return audit_record(
        action="retention.purged",
        obj=case,
        actor=actor,
        collectivite=case.collectivite,
        summary=(
            f"Données personnelles de {case.collectivite.name} purgées (P5) ; factures, avoirs, "
            "devis et contrats conservés."
        ),
        data={"counts": counts, "ended_on": case.ended_on},
    )


def suspension_event(
    *, suspension, action: str, summary: str, actor: User | None = None, data=None
) -> AuditEvent:
    return audit_record(
        action=f"suspension.{action}",
        obj=suspension,
        actor=actor,
        collectivite=suspension.collectivite,
        summary=summary,
        data={"invoice": suspension.invoice.number, **(data or {})},
    )


def reversibility_export_event(
    *, collectivite: Collectivite, export, actor: User | None, action: str
) -> AuditEvent:
    return audit_record(
        action=f"reversibility.{action}",
        obj=export,
        actor=actor,
        collectivite=collectivite,
        summary=(
            f"Export de réversibilité de {collectivite.name} "
            + ("demandé." if action == "requested" else "téléchargé.")
        ),
    )
