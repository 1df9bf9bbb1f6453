"""The syndicate's "Avis" queue (L3; L1's notice): a row to acknowledge and an e-mail to the
syndicate's administrators."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from lifecycle.models import SyndicateNotice
from portal import notifications
from portal.models import Collectivite, User
from portal.services import site_url

ALREADY_ACKNOWLEDGED = "Cet avis a déjà été pris en compte."


def notice_record(
    *,
    kind: str,
    collectivite: Collectivite,
    summary: str,
    reference: str,
    template: str,
    context: dict,
) -> SyndicateNotice:
    """Once per (collectivité, kind, reference): a second call returns the first notice and
    sends nothing."""
    from django.conf import settings

    notice, created = SyndicateNotice.objects.get_or_create(
        collectivite=collectivite,
        kind=kind,
        reference=reference,
        defaults={"summary": summary[:300]},
    )
    if created:
        notifications.notify(
            template=template,
            to=notifications.syndicate_admins(),
            context={
                **context,
                "collectivite": collectivite.name,
                "summary": notice.summary,
                "url": site_url(settings.BASE_DOMAIN, "/fin-adhesion/avis/"),
            },
        )
    return notice


def account_closed_notice(
    *,
    collectivite: Collectivite,
    reference: str,
    holder: str,
    service: str,
    login: str,
    closed_by: User,
    closed_on,
    reason: str,
) -> SyndicateNotice:
    """L3 (seed 000 §4.4): "dans le premier cas, Somme numérique sera averti"."""
    summary = (
        f"{closed_by} a fermé le compte {service.lower()} de {holder} ({login}) le "
        f"{closed_on:%d/%m/%Y}" + (f" : {reason}" if reason else ".")
    )
    return notice_record(
        kind=SyndicateNotice.Kind.ACCOUNT_CLOSED,
        collectivite=collectivite,
        summary=summary,
        reference=reference,
        template="syndicate_account_closed",
        context={"holder": holder, "service": service, "login": login},
    )


@transaction.atomic
def notice_acknowledge(*, notice: SyndicateNotice, actor: User) -> SyndicateNotice:
    notice = SyndicateNotice.objects.select_for_update().get(pk=notice.pk)
    if notice.acknowledged_at is not None:
        raise ValidationError(ALREADY_ACKNOWLEDGED)
    notice.acknowledged_at, notice.acknowledged_by = timezone.now(), actor
    notice.save(update_fields=["acknowledged_at", "acknowledged_by"])
    return notice
