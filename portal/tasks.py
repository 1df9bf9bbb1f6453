"""Celery tasks of the portal core: thin, idempotent, primitives in."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.template.loader import render_to_string

from portal import services
from portal.crypto import secret_decrypt
from portal.models import Invitation


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_invitation_email(invitation_id: int, sealed_token: str) -> bool:
    """The invitation's e-mail; `sealed_token` is the link's token encrypted (a clear token,
    from a message queued before tokens were sealed, is read as it is)."""
    token = secret_decrypt(sealed_token)
    invitation = (
        Invitation.objects.select_related("collectivite", "invited_by")
        .prefetch_related("collectivite__domains")
        .filter(pk=invitation_id, accepted_at__isnull=True)
        .first()
    )
    if invitation is None:  # accepted or withdrawn meanwhile: nothing to send
        return False
    context = {
        "invitation": invitation,
        "collectivite": invitation.collectivite,
        "url": services.invitation_url(invitation, token),
        "expires_at": invitation.expires_at,
    }
    subject = render_to_string("emails/invitation_subject.txt", context).strip()
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("emails/invitation_body.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[invitation.email],
    )
    message.attach_alternative(
        render_to_string("emails/invitation_body.html", context), "text/html"
    )
    message.send()
    return True


@shared_task
def purge_expired_handoffs() -> int:
    return services.handoffs_purge()


@shared_task
def tenant_schema_status() -> dict:
    """Which schema the task ran in and how many migrations are recorded there: the
    operator's check that a collectivité's schema is reachable from the workers."""
    return {
        "schema": connection.schema_name,
        "migrations": MigrationRecorder(connection).migration_qs.count(),
    }


@shared_task
def outbox_sweep() -> int:
    """Send the recorded tasks that the broker could not take when they were asked for."""
    from portal.outbox import outbox_sweep as sweep

    return sweep()
