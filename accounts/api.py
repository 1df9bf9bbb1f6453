"""Service accounts in the JSON API (/api/v1/): accounts (list, create, close, restore,
retry), usage, quota requests.

A collectivité's accounts are read and written by its functional administrators and by the
syndicate's administrators; the syndicate's staff read them. Anyone else gets a 404: another
collectivité's accounts are not revealed (DESIGN §2). Quota requests are decided by the
syndicate's administrators only. Sizes are in bytes (integers); dates ISO.
"""

# No `from __future__ import annotations`: ninja reads the endpoints' annotations at import.

import datetime as dt

from django.http import Http404
from django.utils import timezone
from django_tenants.utils import schema_context
from ninja import Router, Schema, Status

from accounts import domain, selectors, services
from accounts.models import QuotaRequest, ServiceAccount
from portal.access import is_syndicate_admin, is_syndicate_staff, roles_in
from portal.api_common import ERRORS, WRITE_ERRORS, _require
from portal.models import Collectivite, Role

router = Router(tags=["comptes"])


class AccountOut(Schema):
    id: int
    kind: str
    offer: str
    given_name: str
    surname: str
    email: str
    login: str
    mailbox: str
    room_id: str
    state: str
    state_label: str
    failure_reason: str
    quota_bytes: int | None
    used_bytes: int | None
    usage_percent: int | None
    usage_read_at: dt.datetime | None
    closed_on: dt.date | None
    export_until: dt.date | None
    restore_until: dt.date | None


class AccountIn(Schema):
    offer: str
    given_name: str
    surname: str
    email: str
    login: str


class CloseIn(Schema):
    reason: str = ""


class QuotaRequestIn(Schema):
    extra_gb: int
    reason: str = ""


class RefuseIn(Schema):
    reason: str


class QuotaRequestOut(Schema):
    id: int
    account: int
    extra_gb: int
    reason: str
    status: str
    requested_at: dt.datetime
    decided_at: dt.datetime | None
    refusal_reason: str


class PendingOut(Schema):
    collectivite: int
    collectivite_name: str
    id: int
    account: int
    holder: str
    login: str
    kind: str
    extra_gb: int
    reason: str
    requested_at: dt.datetime
    used_bytes: int | None
    quota_bytes: int | None


class UsageOut(Schema):
    offer: str
    kind: str
    subscribed: int
    open_accounts: int
    used_bytes: int | None
    quota_bytes: int


def _account_out(account: ServiceAccount) -> dict:
    closed = account.closed_on
    return {
        "id": account.pk,
        "kind": account.kind,
        "offer": account.offer.code,
        "given_name": account.given_name,
        "surname": account.surname,
        "email": account.email,
        "login": account.login,
        "mailbox": account.mailbox,
        "room_id": account.room_id,
        "state": account.state,
        "state_label": account.get_state_display(),
        "failure_reason": account.failure_reason,
        "quota_bytes": account.quota_bytes,
        "used_bytes": account.used_bytes,
        "usage_percent": account.usage_percent,
        "usage_read_at": account.usage_read_at,
        "closed_on": closed,
        "export_until": domain.export_until(closed) if closed else None,
        "restore_until": domain.restore_until(closed) if closed else None,
    }


def _request_out(item: QuotaRequest) -> dict:
    return {
        "id": item.pk,
        "account": item.account_id,
        "extra_gb": item.extra_gb,
        "reason": item.reason,
        "status": item.status,
        "requested_at": item.requested_at,
        "decided_at": item.decided_at,
        "refusal_reason": item.refusal_reason,
    }


def _collectivite(request, collectivite_id: int, *, write: bool) -> Collectivite:
    """The collectivité, if the token's user may read (or write) its accounts; else 404."""
    collectivite = Collectivite.objects.filter(pk=collectivite_id).first()
    if collectivite is None:
        raise Http404
    user = request.user
    if Role.FUNCTIONAL_ADMIN in roles_in(user, collectivite):
        _require(request, lambda u: True)  # staff who are also members owe the second factor
        return collectivite
    if is_syndicate_admin(user) or (is_syndicate_staff(user) and not write):
        _require(request, is_syndicate_staff)
        return collectivite
    if is_syndicate_staff(user):
        _require(request, is_syndicate_admin)  # 403: staff, but not allowed to write
    raise Http404


def _account(pk: int) -> ServiceAccount:
    account = ServiceAccount.objects.select_related("offer").filter(pk=pk).first()
    if account is None:
        raise Http404
    return account


@router.get(
    "/collectivites/{collectivite_id}/accounts",
    response={200: list[AccountOut], **WRITE_ERRORS},
    summary="Comptes de service d'une collectivité",
)
def account_list(request, collectivite_id: int, kind: str = "", state: str = ""):
    collectivite = _collectivite(request, collectivite_id, write=False)
    with schema_context(collectivite.schema_name):
        qs = ServiceAccount.objects.select_related("offer").exclude(state="purged")
        if kind:
            qs = qs.filter(kind=kind)
        if state:
            qs = qs.filter(state=state)
        return [_account_out(a) for a in qs]


@router.post(
    "/collectivites/{collectivite_id}/accounts",
    response={201: AccountOut, **WRITE_ERRORS},
    summary="Créer un compte (provisionné en arrière-plan)",
)
def account_create(request, collectivite_id: int, payload: AccountIn):
    collectivite = _collectivite(request, collectivite_id, write=True)
    with schema_context(collectivite.schema_name):
        account = services.account_create(
            collectivite=collectivite,
            data=services.AccountData(
                offer_code=payload.offer,
                given_name=payload.given_name,
                surname=payload.surname,
                email=payload.email,
                login=payload.login,
            ),
            created_by=request.user,
            today=timezone.localdate(),
        )
        return Status(201, _account_out(account))


@router.get(
    "/collectivites/{collectivite_id}/accounts/{account_id}",
    response={200: AccountOut, **WRITE_ERRORS},
    summary="Un compte",
)
def account_read(request, collectivite_id: int, account_id: int):
    collectivite = _collectivite(request, collectivite_id, write=False)
    with schema_context(collectivite.schema_name):
        return _account_out(_account(account_id))


def _act(request, collectivite_id: int, account_id: int, action) -> dict:
    collectivite = _collectivite(request, collectivite_id, write=True)
    with schema_context(collectivite.schema_name):
        account = _account(account_id)
        action(collectivite, account)
        return _account_out(_account(account_id))


@router.post(
    "/collectivites/{collectivite_id}/accounts/{account_id}/close",
    response={200: AccountOut, **WRITE_ERRORS},
    summary="Fermer un compte (3 mois pour exporter, restaurable 14 jours)",
)
def account_close(request, collectivite_id: int, account_id: int, payload: CloseIn):
    return _act(
        request,
        collectivite_id,
        account_id,
        lambda collectivite, account: services.account_close(
            account=account,
            collectivite=collectivite,
            closed_by=request.user,
            today=timezone.localdate(),
            reason=payload.reason,
        ),
    )


@router.post(
    "/collectivites/{collectivite_id}/accounts/{account_id}/restore",
    response={200: AccountOut, **WRITE_ERRORS},
    summary="Annuler la fermeture d'un compte (14 jours)",
)
def account_restore(request, collectivite_id: int, account_id: int):
    return _act(
        request,
        collectivite_id,
        account_id,
        lambda collectivite, account: services.account_restore(
            account=account,
            collectivite=collectivite,
            restored_by=request.user,
            today=timezone.localdate(),
        ),
    )


@router.post(
    "/collectivites/{collectivite_id}/accounts/{account_id}/retry",
    response={200: AccountOut, **WRITE_ERRORS},
    summary="Relancer ce qui a échoué",
)
def account_retry(request, collectivite_id: int, account_id: int):
    return _act(
        request,
        collectivite_id,
        account_id,
        lambda collectivite, account: services.account_retry(account=account, actor=request.user),
    )


@router.get(
    "/collectivites/{collectivite_id}/usage",
    response={200: list[UsageOut], **WRITE_ERRORS},
    summary="Usage par service : comptes ouverts, espace utilisé, quotas",
)
def usage(request, collectivite_id: int):
    collectivite = _collectivite(request, collectivite_id, write=False)
    with schema_context(collectivite.schema_name):
        rows = selectors.service_rows(collectivite=collectivite, today=timezone.localdate())
        return [
            {
                "offer": row.offer.code,
                "kind": row.kind,
                "subscribed": row.subscribed,
                "open_accounts": row.live,
                "used_bytes": row.used_bytes,
                "quota_bytes": row.quota_bytes,
            }
            for row in rows
        ]


@router.get(
    "/collectivites/{collectivite_id}/quota-requests",
    response={200: list[QuotaRequestOut], **WRITE_ERRORS},
    summary="Demandes d'espace d'une collectivité",
)
def quota_request_list(request, collectivite_id: int):
    collectivite = _collectivite(request, collectivite_id, write=False)
    with schema_context(collectivite.schema_name):
        return [_request_out(r) for r in QuotaRequest.objects.all()]


@router.post(
    "/collectivites/{collectivite_id}/accounts/{account_id}/quota-requests",
    response={201: QuotaRequestOut, **WRITE_ERRORS},
    summary="Demander plus d'espace pour un compte",
)
def quota_request_create(request, collectivite_id: int, account_id: int, payload: QuotaRequestIn):
    collectivite = _collectivite(request, collectivite_id, write=True)
    with schema_context(collectivite.schema_name):
        item = services.quota_request_create(
            account=_account(account_id),
            collectivite=collectivite,
            extra_gb=payload.extra_gb,
            reason=payload.reason,
            requested_by=request.user,
        )
        return Status(201, _request_out(item))


@router.get(
    "/quota-requests",
    response={200: list[PendingOut], **ERRORS},
    summary="Demandes d'espace en attente, toutes collectivités (syndicat)",
)
def quota_requests_pending(request):
    _require(request, is_syndicate_staff)
    return [
        {
            "collectivite": p.collectivite_id,
            "collectivite_name": p.collectivite_name,
            "id": p.request_id,
            "account": p.account_id,
            "holder": p.holder,
            "login": p.login,
            "kind": p.kind,
            "extra_gb": p.extra_gb,
            "reason": p.reason,
            "requested_at": p.requested_at,
            "used_bytes": p.used_bytes,
            "quota_bytes": p.quota_bytes,
        }
        for p in selectors.quota_requests_pending()
    ]


def _decide(request, collectivite_id: int, request_id: int, decide) -> dict:
    _require(request, is_syndicate_admin)
    collectivite = Collectivite.objects.filter(pk=collectivite_id).first()
    if collectivite is None:
        raise Http404
    with schema_context(collectivite.schema_name):
        item = QuotaRequest.objects.filter(pk=request_id).first()
        if item is None:
            raise Http404
        decide(collectivite, item)
        item.refresh_from_db()
        return _request_out(item)


@router.post(
    "/collectivites/{collectivite_id}/quota-requests/{request_id}/approve",
    response={200: QuotaRequestOut, **WRITE_ERRORS},
    summary="Accorder une demande d'espace (ajoutée à l'abonnement, facturée)",
)
def quota_request_approve(request, collectivite_id: int, request_id: int):
    return _decide(
        request,
        collectivite_id,
        request_id,
        lambda collectivite, item: services.quota_request_approve(
            request=item,
            collectivite=collectivite,
            decided_by=request.user,
            today=timezone.localdate(),
        ),
    )


@router.post(
    "/collectivites/{collectivite_id}/quota-requests/{request_id}/refuse",
    response={200: QuotaRequestOut, **WRITE_ERRORS},
    summary="Refuser une demande d'espace, avec la raison",
)
def quota_request_refuse(request, collectivite_id: int, request_id: int, payload: RefuseIn):
    return _decide(
        request,
        collectivite_id,
        request_id,
        lambda collectivite, item: services.quota_request_refuse(
            request=item, collectivite=collectivite, decided_by=request.user, reason=payload.reason
        ),
    )
