"""Writes of the service status: announcements and their updates, closing incidents, the
Alertmanager webhook, the notifier's e-mails, feed tokens and notification preferences."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from portal.models import Collectivite, User
from portal.outbox import outbox_send
from portal.services import backoffice_url, site_url
from status import domain, richtext, selectors, signals
from status.models import (
    AlertRoute,
    Announcement,
    AnnouncementUpdate,
    FeedToken,
    IncidentFollower,
    NotificationPreference,
    NotificationSent,
    Service,
)

TITLE_REQUIRED = "Donnez un titre à l'annonce."
SEVERITY_REQUIRED = "Indiquez la gravité de l'incident : perturbation ou interruption."
SERVICES_REQUIRED = "Choisissez au moins un service concerné."
END_BEFORE_START = "La fin doit être postérieure au début."
WINDOW_END_REQUIRED = "Indiquez la fin de la fenêtre de maintenance."
INCIDENT_END_IN_FUTURE = "La fin d'un incident ne peut pas être dans le futur."
ALREADY_CLOSED = "Cet incident est déjà clos."
NOT_AN_INCIDENT = "Seul un incident se clôt : une maintenance s'achève à la fin de sa fenêtre."
UPDATE_EMPTY = "Écrivez le texte de la mise à jour."
NEWS_HAS_NO_SEVERITY = "Seul un incident a une gravité."
NOT_FOLLOWABLE = "Cet incident n'est plus en cours : il ne se suit plus."

EVENT_START, EVENT_END, EVENT_REMINDER = "start", "end", "reminder"


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _on_commit_notify(announcement: Announcement, event: str) -> None:
    outbox_send("status.tasks.announcement_notify", announcement.pk, event)


def _validate(
    *, kind: str, title: str, severity: str, services: list, starts_at, ends_at, now
) -> None:
    errors: dict[str, str] = {}
    if not title.strip():
        errors["title"] = TITLE_REQUIRED
    if kind == Announcement.Kind.INCIDENT and not severity:
        errors["severity"] = SEVERITY_REQUIRED
    if kind != Announcement.Kind.INCIDENT and severity:
        errors["severity"] = NEWS_HAS_NO_SEVERITY
    if kind != Announcement.Kind.NEWS and not services:
        errors["services"] = SERVICES_REQUIRED
    if kind == Announcement.Kind.MAINTENANCE and ends_at is None:
        errors["ends_at"] = WINDOW_END_REQUIRED
    elif ends_at is not None and ends_at <= starts_at:
        errors["ends_at"] = END_BEFORE_START
    elif kind == Announcement.Kind.INCIDENT and ends_at is not None and ends_at > now:
        errors["ends_at"] = INCIDENT_END_IN_FUTURE
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def announcement_create(
    *,
    kind: str,
    title: str,
    body: str = "",
    severity: str = "",
    services: Iterable[Service] = (),
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    created_by: User | None,
    alert_fingerprint: str = "",
    alert_starts_at: datetime | None = None,
) -> Announcement:
    """Publish an announcement. An incident's affected people are e-mailed at once (and again
    at its end if it is recorded already closed); a maintenance's a few days before."""
    now = timezone.now()
    services = list(services)
    starts_at = starts_at or now
    _validate(
        kind=kind,
        title=title,
        severity=severity,
        services=services,
        starts_at=starts_at,
        ends_at=ends_at,
        now=now,
    )
    announcement = Announcement.objects.create(
        kind=kind,
        title=title.strip(),
        body=richtext.sanitize(body),
        severity=severity,
        starts_at=starts_at,
        ends_at=ends_at,
        created_by=created_by,
        alert_fingerprint=alert_fingerprint,
        alert_starts_at=alert_starts_at,
    )
    announcement.services.set(services)
    if kind == Announcement.Kind.INCIDENT:
        _on_commit_notify(announcement, EVENT_START)
        if ends_at is not None:
            _on_commit_notify(announcement, EVENT_END)
    transaction.on_commit(selectors.status_changed)
    return announcement


@transaction.atomic
def announcement_update_post(
    *, announcement: Announcement, body: str, posted_by: User | None
) -> AnnouncementUpdate:
    """Add a message to an announcement; an incident's affected people get it by e-mail."""
    text = richtext.sanitize(body)
    if not text:
        raise ValidationError({"body": UPDATE_EMPTY})
    locked = Announcement.objects.select_for_update().get(pk=announcement.pk)
    update = AnnouncementUpdate.objects.create(announcement=locked, body=text, posted_by=posted_by)
    locked.save(update_fields=["updated_at"])
    if locked.kind == Announcement.Kind.INCIDENT:
        _on_commit_notify(locked, f"update:{update.pk}")
    transaction.on_commit(selectors.status_changed)
    return update


@transaction.atomic
def incident_close(
    *,
    announcement: Announcement,
    closed_by: User | None,
    ends_at: datetime | None = None,
    body: str = "",
) -> Announcement:
    """End an incident (now unless `ends_at`), with an optional last message."""
    locked = Announcement.objects.select_for_update().get(pk=announcement.pk)
    if locked.kind != Announcement.Kind.INCIDENT:
        raise ValidationError(NOT_AN_INCIDENT)
    if locked.ends_at is not None:
        raise ValidationError(ALREADY_CLOSED)
    now = timezone.now()
    ends_at = ends_at or now
    if ends_at > now:
        raise ValidationError({"ends_at": INCIDENT_END_IN_FUTURE})
    if ends_at <= locked.starts_at:
        raise ValidationError({"ends_at": END_BEFORE_START})
    text = richtext.sanitize(body)
    if text:
        AnnouncementUpdate.objects.create(announcement=locked, body=text, posted_by=closed_by)
    locked.ends_at = ends_at
    locked.save(update_fields=["ends_at", "updated_at"])
    _on_commit_notify(locked, EVENT_END)
    transaction.on_commit(selectors.status_changed)
    # The support app answers the requests linked to it (support.receivers), in this transaction.
    signals.incident_closed.send(
        sender=Announcement, announcement=locked, closed_by=closed_by, note=richtext.plain(text)
    )
    return locked


@transaction.atomic
def incident_follow(
    *, announcement: Announcement, user: User, collectivite: Collectivite
) -> tuple[IncidentFollower, bool]:
    """`user` follows an open incident instead of opening a support request: they get its
    update and end e-mails (unless they opted out). Following twice is one follow."""
    locked = Announcement.objects.select_for_update().get(pk=announcement.pk)
    if locked.kind != Announcement.Kind.INCIDENT or locked.ends_at is not None:
        raise ValidationError(NOT_FOLLOWABLE)
    return IncidentFollower.objects.get_or_create(
        announcement=locked, user=user, defaults={"collectivite": collectivite}
    )


# --- Alertmanager -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AlertOutcome:
    opened: int = 0
    closed: int = 0
    unchanged: int = 0
    unmapped: int = 0


def _alert_service(labels: dict[str, str], routes: list[AlertRoute]) -> Service | None:
    for route in routes:
        if labels.get(route.label) == route.value:
            return route.service
    return None


def _alert_time(value: str | None) -> datetime | None:
    parsed = parse_datetime(value or "")
    # Alertmanager writes 0001-01-01T00:00:00Z for "no end yet"
    return parsed if parsed is not None and parsed.year > 1 else None


def alertmanager_receive(*, payload: dict) -> AlertOutcome:
    """Open or close incidents from an Alertmanager webhook payload (version 4), one per
    alert fingerprint: a repeated firing or resolved alert changes nothing."""
    routes = list(AlertRoute.objects.select_related("service"))
    counts = {"opened": 0, "closed": 0, "unchanged": 0, "unmapped": 0}
    for alert in payload.get("alerts") or []:
        labels = {str(k): str(v) for k, v in (alert.get("labels") or {}).items()}
        fingerprint = str(alert.get("fingerprint") or "")[:64]
        service = _alert_service(labels, routes)
        if service is None or not fingerprint:
            counts["unmapped"] += 1
            continue
        if alert.get("status") == "resolved":
            outcome = _alert_resolve(fingerprint, _alert_time(alert.get("endsAt")))
        else:
            outcome = _alert_fire(alert, labels, fingerprint, service)
        counts[outcome] += 1
    return AlertOutcome(**counts)


def _alert_fire(alert: dict, labels: dict[str, str], fingerprint: str, service: Service) -> str:
    starts_at = _alert_time(alert.get("startsAt")) or timezone.now()
    if (
        Announcement.objects.filter(alert_fingerprint=fingerprint)
        .filter(alert_starts_at=starts_at)
        .exists()
        or Announcement.objects.filter(alert_fingerprint=fingerprint, ends_at__isnull=True).exists()
    ):
        return "unchanged"
    annotations = alert.get("annotations") or {}
    title = annotations.get("summary") or labels.get("alertname") or service.name
    try:
        with transaction.atomic():
            announcement_create(
                kind=Announcement.Kind.INCIDENT,
                title=f"{service.name} : {title}"[:200],
                body=annotations.get("description", ""),
                severity=domain.alert_state(labels).value,
                services=[service],
                starts_at=min(starts_at, timezone.now()),
                created_by=None,
                alert_fingerprint=fingerprint,
                alert_starts_at=starts_at,
            )
    except IntegrityError:  # the same alert, received twice at the same moment
        return "unchanged"
    return "opened"


def _alert_resolve(fingerprint: str, ends_at: datetime | None) -> str:
    incident = Announcement.objects.filter(
        alert_fingerprint=fingerprint, ends_at__isnull=True
    ).first()
    if incident is None:
        return "unchanged"
    now = timezone.now()
    ends_at = min(ends_at or now, now)
    if ends_at <= incident.starts_at:
        ends_at = now
    try:
        incident_close(announcement=incident, closed_by=None, ends_at=ends_at)
    except ValidationError:  # closed meanwhile
        return "unchanged"
    return "closed"


# --- The notifier -----------------------------------------------------------------------------

SUBJECTS = {
    EVENT_START: "Incident en cours",
    "update": "Mise à jour de l'incident",
    EVENT_END: "Incident terminé",
    EVENT_REMINDER: "Maintenance programmée",
}


def announcement_notify(*, announcement_id: int, event: str) -> int:
    """E-mail one moment (start, update:<id>, end, reminder) of an announcement to each person
    concerned, once: the `NotificationSent` row is written in the same transaction as the
    sending, and its unique constraint turns a second sending into nothing. Returns how many
    e-mails left."""
    announcement = selectors.announcement_get(pk=announcement_id)
    update = None
    if event.startswith("update:"):
        update = announcement.updates.filter(pk=int(event.split(":", 1)[1])).first()
        if update is None:
            return 0
    sent = 0
    for user in selectors.notification_recipients(announcement=announcement):
        try:
            with transaction.atomic():
                NotificationSent.objects.create(announcement=announcement, user=user, event=event)
                _send(announcement=announcement, event=event, update=update, user=user)
        except IntegrityError:
            continue
        sent += 1
    return sent


def _send(*, announcement: Announcement, event: str, update, user: User) -> None:
    collectivites = selectors.collectivites_of_recipient(user=user, announcement=announcement)
    links = [
        (c.name, site_url(c.primary_domain_name, "/etat-des-services/")) for c in collectivites
    ]
    context = {
        "announcement": announcement,
        "heading": SUBJECTS[event.split(":", 1)[0]],
        "event": event.split(":", 1)[0],
        "body": richtext.plain(announcement.body),
        "update": richtext.plain(update.body) if update else "",
        "services": ", ".join(s.name for s in announcement.services.all()),
        "links": links or [("", backoffice_url("/etat-des-services/"))],
        "preferences_url": site_url(collectivites[0].primary_domain_name, "/mes-notifications/")
        if collectivites
        else "",
        "name": user.get_full_name() or user.email,
    }
    subject = render_to_string("emails/status_announcement_subject.txt", context).strip()
    body = render_to_string("emails/status_announcement_body.txt", context)
    EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email]).send()


def maintenance_reminders_send(*, now: datetime) -> int:
    """The beat job: announce each planned maintenance `STATUS_MAINTENANCE_NOTICE_DAYS` before
    it starts (or as soon as it is published, if later), once per person."""
    sent = 0
    for maintenance in selectors.maintenances_to_remind(
        now=now, notice_days=settings.STATUS_MAINTENANCE_NOTICE_DAYS
    ):
        sent += announcement_notify(announcement_id=maintenance.pk, event=EVENT_REMINDER)
    return sent


# --- Feed tokens and preferences --------------------------------------------------------------


@transaction.atomic
def feed_token_renew(*, collectivite: Collectivite, renewed_by: User | None) -> str:
    """A new private feed address for `collectivite`; the previous one stops working. The
    clear token is returned once and never stored."""
    raw = secrets.token_urlsafe(24)
    FeedToken.objects.update_or_create(
        collectivite=collectivite, defaults={"key_hash": _hash(raw), "created_by": renewed_by}
    )
    return raw


def feed_token_hash(raw: str) -> str:
    return _hash(raw)


@transaction.atomic
def notification_preference_set(*, user: User, status_emails: bool) -> NotificationPreference:
    preference, _ = NotificationPreference.objects.update_or_create(
        user=user, defaults={"status_emails": status_emails}
    )
    return preference
