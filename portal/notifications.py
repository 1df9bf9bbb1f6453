"""E-mails to people, from `templates/emails/<name>_subject.txt / _body.txt` (django-oscar
style), sent by a Celery task after the transaction commits, through the outbox."""

from __future__ import annotations

from collections.abc import Iterable

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string

from portal.models import Collectivite, Membership, Role, User
from portal.models.people import STAFF_ADMIN_GROUP
from portal.outbox import outbox_send


def notify(*, template: str, to: Iterable[str], context: dict) -> None:
    """Queue an e-mail once the current transaction commits (nothing is sent for a change
    that is rolled back)."""
    recipients = sorted({address for address in to if address})
    if recipients:
        outbox_send("portal.notifications.send_templated_email", template, recipients, context)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_templated_email(template: str, recipients: list[str], context: dict) -> int:
    subject = render_to_string(f"emails/{template}_subject.txt", context).strip()
    body = render_to_string(f"emails/{template}_body.txt", context)
    return EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, recipients).send()


def addresses_of_role(collectivite: Collectivite, *roles: str) -> list[str]:
    return list(
        Membership.objects.filter(collectivite=collectivite, role__in=roles, user__is_active=True)
        .values_list("user__email", flat=True)
        .distinct()
    )


def signatories(collectivite: Collectivite) -> list[str]:
    return addresses_of_role(collectivite, Role.SIGNATORY)


def syndicate_admins() -> list[str]:
    return list(
        User.objects.filter(groups__name=STAFF_ADMIN_GROUP, is_active=True).values_list(
            "email", flat=True
        )
    )
