"""Announcements and the Alertmanager webhook in the JSON API (/api/v1/).

Reads are open to every member of the syndicate's staff, writes to its administrators. The
webhook (`POST /status/alertmanager`) takes Prometheus Alertmanager's webhook payload
(version 4) with a bearer token: the one in `STATUS_ALERTMANAGER_TOKEN`, or the API token of a
syndicate administrator. Each alert is routed to a service by its labels (`AlertRoute`, data)
and opens or closes one incident per alert fingerprint: a repeated payload changes nothing.

Dates are ISO 8601 with their offset. The router is mounted by `portal.api`, which turns errors
into French JSON (see contracts.api).
"""

# No `from __future__ import annotations`: ninja reads the annotations (see contracts.api).

import datetime as dt
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404
from ninja import Query, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.security import HttpBearer

from portal import services as portal_services
from portal.access import is_syndicate_admin, is_syndicate_staff
from portal.api_common import ERRORS, WRITE_ERRORS, ErrorOut, _require
from portal.api_common import Page as _Page
from status import selectors, services
from status.models import Announcement, Service

UNKNOWN_SERVICE = "Service inconnu : « {slug} »."
UNKNOWN_KIND = "Type d'annonce inconnu : « {kind} » (incident, maintenance ou news)."

router = Router()


class AlertmanagerToken(HttpBearer):
    """The webhook's bearer: the configured token, or a syndicate administrator's API token."""

    def authenticate(self, request, token: str):
        configured = settings.STATUS_ALERTMANAGER_TOKEN
        if configured and secrets.compare_digest(token.encode(), configured.encode()):
            request.alertmanager = True
            return "alertmanager"
        user = portal_services.api_token_authenticate(token)
        if user is None:
            return None
        request.user = user
        request.alertmanager = False
        return user


# --- Schemas ---------------------------------------------------------------------------------


class UpdateOut(Schema):
    id: int
    body: str
    posted_at: dt.datetime


class AnnouncementOut(Schema):
    id: int
    kind: str
    kind_label: str
    title: str
    body: str
    severity: str
    state: str
    state_label: str
    services: list[str]
    starts_at: dt.datetime
    ends_at: dt.datetime | None
    open: bool
    published_at: dt.datetime
    alert_fingerprint: str
    updates: list[UpdateOut]


class AnnouncementIn(Schema):
    kind: str
    title: str
    body: str = ""
    severity: str = ""
    services: list[str] = []
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None


class UpdateIn(Schema):
    body: str


class CloseIn(Schema):
    ends_at: dt.datetime | None = None
    body: str = ""


class AnnouncementFilters(Schema):
    kind: str = ""
    open: bool = False


class AlertIn(Schema):
    status: str
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}
    startsAt: str = ""  # noqa: N815 — Alertmanager's names
    endsAt: str = ""  # noqa: N815
    generatorURL: str = ""  # noqa: N815
    fingerprint: str = ""


class AlertmanagerIn(Schema):
    """Alertmanager's webhook payload (version 4); the group fields are accepted and unused."""

    version: str = "4"
    status: str = ""
    receiver: str = ""
    groupKey: str = ""  # noqa: N815
    externalURL: str = ""  # noqa: N815
    alerts: list[AlertIn]


class AlertmanagerOut(Schema):
    opened: int
    closed: int
    unchanged: int
    unmapped: int


def _out(a: Announcement) -> dict:
    return {
        "id": a.pk,
        "kind": a.kind,
        "kind_label": a.get_kind_display(),
        "title": a.title,
        "body": a.body,
        "severity": a.severity,
        "state": a.state.value,
        "state_label": a.state_label,
        "services": [s.slug for s in a.services.all()],
        "starts_at": a.starts_at,
        "ends_at": a.ends_at,
        "open": a.kind == Announcement.Kind.INCIDENT and a.ends_at is None,
        "published_at": a.published_at,
        "alert_fingerprint": a.alert_fingerprint,
        "updates": [
            {"id": u.pk, "body": u.body, "posted_at": u.posted_at} for u in a.updates.all()
        ],
    }


def _announcement_or_404(pk: int) -> Announcement:
    try:
        return selectors.announcement_get(pk=pk)
    except Announcement.DoesNotExist as exc:
        raise Http404 from exc


# --- Endpoints -------------------------------------------------------------------------------


@router.get(
    "/announcements",
    response={200: list[AnnouncementOut], **ERRORS},
    tags=["état des services"],
    summary="Lister les annonces (incidents, maintenances, nouveautés), les plus récentes d'abord",
)
@paginate(LimitOffsetPagination)
def announcement_list(request, filters: Query[AnnouncementFilters]):
    _require(request, is_syndicate_staff)
    return _Page(selectors.announcement_list(kind=filters.kind, open_only=filters.open), _out)


@router.get(
    "/announcements/{announcement_id}",
    response={200: AnnouncementOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    tags=["état des services"],
    summary="Lire une annonce et ses mises à jour",
)
def announcement_read(request, announcement_id: int):
    _require(request, is_syndicate_staff)
    return _out(_announcement_or_404(announcement_id))


@router.post(
    "/announcements",
    response={201: AnnouncementOut, **WRITE_ERRORS},
    tags=["état des services"],
    summary="Publier une annonce : incident (courriels aux collectivités concernées), maintenance, nouveauté",
)
def announcement_create(request, payload: AnnouncementIn):
    _require(request, is_syndicate_admin)
    if payload.kind not in Announcement.Kind.values:
        raise ValidationError({"kind": UNKNOWN_KIND.format(kind=payload.kind)})
    found = {s.slug: s for s in Service.objects.filter(slug__in=payload.services)}
    for slug in payload.services:
        if slug not in found:
            raise ValidationError({"services": UNKNOWN_SERVICE.format(slug=slug)})
    created = services.announcement_create(
        kind=payload.kind,
        title=payload.title,
        body=payload.body,
        severity=payload.severity,
        services=list(found.values()),
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        created_by=request.user,
    )
    return Status(201, _out(_announcement_or_404(created.pk)))


@router.post(
    "/announcements/{announcement_id}/updates",
    response={201: AnnouncementOut, **WRITE_ERRORS},
    tags=["état des services"],
    summary="Publier une mise à jour d'une annonce",
)
def announcement_update(request, announcement_id: int, payload: UpdateIn):
    _require(request, is_syndicate_admin)
    announcement = _announcement_or_404(announcement_id)
    services.announcement_update_post(
        announcement=announcement, body=payload.body, posted_by=request.user
    )
    return Status(201, _out(_announcement_or_404(announcement_id)))


@router.post(
    "/announcements/{announcement_id}/close",
    response={200: AnnouncementOut, **WRITE_ERRORS},
    tags=["état des services"],
    summary="Clore un incident (maintenant, ou à la date donnée)",
)
def announcement_close(request, announcement_id: int, payload: CloseIn):
    _require(request, is_syndicate_admin)
    announcement = _announcement_or_404(announcement_id)
    services.incident_close(
        announcement=announcement,
        closed_by=request.user,
        ends_at=payload.ends_at,
        body=payload.body,
    )
    return _out(_announcement_or_404(announcement_id))


@router.post(
    "/status/alertmanager",
    auth=AlertmanagerToken(),
    response={200: AlertmanagerOut, 401: ErrorOut, 403: ErrorOut},
    tags=["état des services"],
    summary="Webhook Prometheus Alertmanager : ouvre ou clôt l'incident du service concerné",
)
def alertmanager_webhook(request, payload: AlertmanagerIn):
    if not getattr(request, "alertmanager", False):
        _require(request, is_syndicate_admin)
    outcome = services.alertmanager_receive(payload=payload.dict())
    return {
        "opened": outcome.opened,
        "closed": outcome.closed,
        "unchanged": outcome.unchanged,
        "unmapped": outcome.unmapped,
    }
