"""Audit events of the portal core (P2): one small keyword-only constructor per event.

Other apps add their own in their `events.py`, through `audit_record`.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from portal.models import AuditEvent, Collectivite, Invitation, User


def audit_record(
    *,
    action: str,
    obj: models.Model,
    summary: str,
    actor: User | None = None,
    collectivite: Collectivite | None = None,
    data: dict[str, Any] | None = None,
    ip_address: str | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        action=action,
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_label=str(actor) if actor is not None and actor.is_authenticated else "système",
        collectivite=collectivite,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        summary=summary[:300],
        data=data or {},
        ip_address=ip_address,
    )


def collectivite_created_event(*, collectivite: Collectivite, actor: User | None) -> AuditEvent:
    return audit_record(
        action="collectivite.created",
        obj=collectivite,
        collectivite=collectivite,
        actor=actor,
        summary=f"Collectivité « {collectivite.name} » créée (strate {collectivite.strate}).",
        data={"siret": collectivite.siret, "schema": collectivite.schema_name},
    )


def collectivite_updated_event(
    *, collectivite: Collectivite, actor: User | None, changed: dict[str, Any]
) -> AuditEvent:
    return audit_record(
        action="collectivite.updated",
        obj=collectivite,
        collectivite=collectivite,
        actor=actor,
        summary=f"Collectivité modifiée : {', '.join(sorted(changed))}.",
        data={"changed": changed},
    )


def invitation_sent_event(*, invitation: Invitation, actor: User | None) -> AuditEvent:
    return audit_record(
        action="invitation.sent",
        obj=invitation.collectivite,
        collectivite=invitation.collectivite,
        actor=actor,
        summary=f"Invitation envoyée à {invitation.email} ({invitation.roles_display}).",
        data={"invitation": invitation.pk, "role": invitation.role, "roles": invitation.roles},
    )


def invitation_accepted_event(*, invitation: Invitation, user: User) -> AuditEvent:
    return audit_record(
        action="invitation.accepted",
        obj=invitation.collectivite,
        collectivite=invitation.collectivite,
        actor=user,
        summary=f"{user.email} a accepté l'invitation ({invitation.roles_display}).",
        data={"invitation": invitation.pk, "role": invitation.role, "roles": invitation.roles},
    )


def membership_granted_event(*, membership, actor: User | None) -> AuditEvent:
    return audit_record(
        action="membership.granted",
        obj=membership.collectivite,
        collectivite=membership.collectivite,
        actor=actor,
        summary=f"{membership.user.email} : rôle « {membership.get_role_display()} » attribué.",
        data={"user": membership.user_id, "role": membership.role},
    )
