"""Audit events of contracts (P2): quotes, subscriptions, terminations."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from contracts.models import Quote, Subscription, Termination
from portal.events import audit_record
from portal.models import AuditEvent, User


def quote_event(
    *,
    quote: Quote,
    actor: User | None,
    action: str,
    summary: str,
    data: dict[str, Any] | None = None,
    ip_address: str | None = None,
) -> AuditEvent:
    return audit_record(
        action=action,
        obj=quote,
        actor=actor,
        collectivite=quote.collectivite,
        summary=f"{quote.label} — {summary}",
        data=data,
        ip_address=ip_address,
    )


def subscription_event(
    *, subscription: Subscription, actor: User | None, action: str, summary: str, data=None
) -> AuditEvent:
    return audit_record(
        action=action,
        obj=subscription,
        actor=actor,
        collectivite=subscription.collectivite,
        summary=summary,
        data=data,
    )


def termination_event(*, termination: Termination, actor: User | None) -> AuditEvent:
    sub = termination.subscription
    part = f"{termination.quantity.normalize():f} de " if termination.quantity else ""
    return audit_record(
        action="subscription.terminated",
        obj=sub,
        actor=actor,
        collectivite=sub.collectivite,
        summary=(
            f"Résiliation de {part}« {sub.offer.name} » reçue le "
            f"{termination.received_on:%d/%m/%Y} : dû jusqu'au "
            f"{termination.effective_end - timedelta(days=1):%d/%m/%Y} inclus."
        ),
        data={"termination": termination.pk},
    )
