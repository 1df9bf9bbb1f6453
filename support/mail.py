"""E-mails of the support app, threaded by ticket, and replies read back from the support
mailbox over IMAP.

Threading: every message about ticket N carries `References: <ticket-N@domain>` and, for a
reply, `In-Reply-To` the same root; its own `Message-ID` is `<ticket-N-E@domain>` (E the
history entry). An inbound mail is matched to its ticket by those headers, else by the
`[AS-0000N]` tag of its subject; it is kept only when its sender is a member of the ticket's
collectivité. Each inbound mail is one history entry whatever the retries (unique
`message_id`)."""

from __future__ import annotations

import email
import email.policy
import imaplib
import logging
import re
from email.message import EmailMessage as ParsedMessage
from email.utils import parseaddr

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string

from portal.outbox import outbox_send
from portal.services import site_url

logger = logging.getLogger(__name__)

TICKET_REFERENCE = re.compile(r"<ticket-(\d+)(?:-\d+)?@")
SUBJECT_TAG = re.compile(r"\[AS-(\d+)\]")
# Lines where a quoted previous message starts, in French and English mail clients.
QUOTE_START = re.compile(r"^(>|Le .+ a écrit ?:|On .+ wrote:|-----Original Message-----)")


def _domain() -> str:
    return settings.SUPPORT_MAIL_DOMAIN or settings.BASE_DOMAIN


def root_message_id(ticket) -> str:
    return f"<ticket-{ticket.pk}@{_domain()}>"


def _context(ticket, **extra) -> dict:
    return {
        "number": ticket.number,
        "subject": ticket.subject,
        "collectivite": ticket.collectivite.name,
        "url": _ticket_url(ticket),
        **extra,
    }


def _ticket_url(ticket) -> str:
    return site_url(ticket.collectivite.primary_domain_name, f"/assistance/{ticket.pk}/")


def _queue(template: str, to: list[str], context: dict, headers: dict[str, str]) -> None:
    recipients = sorted({address for address in to if address})
    if recipients:
        outbox_send("support.mail.send_ticket_email", template, recipients, context, headers)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_ticket_email(template: str, recipients: list[str], context: dict, headers: dict) -> int:
    subject = render_to_string(f"emails/{template}_subject.txt", context).strip()
    body = render_to_string(f"emails/{template}_body.txt", context)
    reply_to = [settings.SUPPORT_MAILBOX_ADDRESS] if settings.SUPPORT_MAILBOX_ADDRESS else None
    message = EmailMessage(
        subject, body, settings.DEFAULT_FROM_EMAIL, recipients, reply_to=reply_to, headers=headers
    )
    return message.send()


def _thread_headers(ticket, event=None) -> dict[str, str]:
    root = root_message_id(ticket)
    if event is None:
        return {"Message-ID": root}
    return {
        "Message-ID": f"<ticket-{ticket.pk}-{event.pk}@{_domain()}>",
        "In-Reply-To": root,
        "References": root,
    }


def ticket_opened_notify(*, ticket) -> None:
    _queue(
        "support_opened",
        [ticket.requester.email],
        _context(ticket, description=ticket.description),
        _thread_headers(ticket),
    )


def reply_notify(*, ticket, event) -> None:
    _queue(
        "support_reply",
        [ticket.requester.email],
        _context(ticket, body=event.body),
        _thread_headers(ticket, event),
    )


def resolved_notify(*, ticket) -> None:
    headers = _thread_headers(ticket)
    headers = {"In-Reply-To": headers["Message-ID"], "References": headers["Message-ID"]}
    _queue("support_resolved", [ticket.requester.email], _context(ticket), headers)


def consent_asked_notify(*, ticket) -> None:
    headers = {"In-Reply-To": root_message_id(ticket), "References": root_message_id(ticket)}
    _queue("support_consent", [ticket.requester.email], _context(ticket), headers)


def estimate_proposed_notify(*, estimate) -> None:
    from portal.notifications import signatories

    ticket = estimate.ticket
    from portal.templatetags.portal_format import euros

    context = _context(ticket, amount=euros(estimate.amount), reason=estimate.reason)
    headers = {"In-Reply-To": root_message_id(ticket), "References": root_message_id(ticket)}
    _queue("support_estimate", signatories(ticket.collectivite), context, headers)


def sla_warning_notify(*, ticket, kind, level, person, reading) -> None:
    if person is None:
        return
    context = _context(
        ticket,
        kind=kind,
        level=level,
        deadline=reading.deadline.strftime("%d/%m/%Y %H:%M") if reading.deadline else "",
    )
    context["url"] = f"http://{settings.BASE_DOMAIN}/assistance/{ticket.pk}/"
    _queue("support_sla_warning", [person.email], context, {})


# --- Inbound: replies by e-mail ---------------------------------------------------------------


def reply_text(message: ParsedMessage) -> str:
    """The new text of a reply, without the quoted previous message."""
    part = message.get_body(preferencelist=("plain",))
    text = part.get_content() if part is not None else ""
    lines = []
    for line in text.splitlines():
        if QUOTE_START.match(line.strip()):
            break
        lines.append(line)
    return "\n".join(lines).strip()


def ticket_id_of(message: ParsedMessage) -> int | None:
    for header in ("In-Reply-To", "References"):
        found = TICKET_REFERENCE.search(str(message.get(header, "")))
        if found:
            return int(found.group(1))
    found = SUBJECT_TAG.search(str(message.get("Subject", "")))
    return int(found.group(1)) if found else None


def inbound_message_take(*, raw: bytes, now) -> str:
    """Turn one raw e-mail into a reply of its ticket; says what was done."""
    from portal.models import User
    from support import services
    from support.models import Ticket, TicketEvent

    message = email.message_from_bytes(raw, policy=email.policy.default)
    message_id = str(message.get("Message-ID", "")).strip()
    if message_id and TicketEvent.objects.filter(message_id=message_id).exists():
        return "duplicate"
    ticket_id = ticket_id_of(message)
    ticket = Ticket.objects.filter(pk=ticket_id).select_related("collectivite").first()
    if ticket is None:
        return "no ticket"
    sender = User.objects.filter(email__iexact=parseaddr(str(message["From"]))[1]).first()
    if sender is None:
        return "unknown sender"
    try:
        services.ticket_reply(
            ticket=ticket,
            author=sender,
            body=reply_text(message),
            now=now,
            via_email=True,
            message_id=message_id,
        )
    except Exception as exc:  # noqa: BLE001 — a bad mail is logged and left, never retried forever
        logger.warning("support mail %s not taken: %s", message_id, exc)
        return "refused"
    return "taken"


def mailbox_fetch(*, now) -> dict[str, int]:
    """Read the unseen mails of the support mailbox, take each, mark it seen."""
    if not settings.SUPPORT_IMAP_HOST:
        return {}
    counts: dict[str, int] = {}
    imap_class = imaplib.IMAP4_SSL if settings.SUPPORT_IMAP_SSL else imaplib.IMAP4
    with imap_class(settings.SUPPORT_IMAP_HOST, settings.SUPPORT_IMAP_PORT) as imap:
        imap.login(settings.SUPPORT_IMAP_USER, settings.SUPPORT_IMAP_PASSWORD)
        imap.select("INBOX")
        _, found = imap.uid("SEARCH", None, "UNSEEN")
        for uid in found[0].split():
            _, fetched = imap.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = next(part[1] for part in fetched if isinstance(part, tuple))
            outcome = inbound_message_take(raw=raw, now=now)
            counts[outcome] = counts.get(outcome, 0) + 1
            imap.uid("STORE", uid, "+FLAGS", "(\\Seen)")
        imap.logout()
    return counts
