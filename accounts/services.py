"""Writes of service accounts (A2–A6, S5): creation within the quantity subscribed, closing
with its export window, restore, purge, usage and its warnings, quota requests.

Every function runs in the collectivité's schema (the tenant's request, or
`schema_context(collectivite.schema_name)` for the syndicate's pages and jobs) and is given
the collectivité explicitly. Work in the real systems is queued through the outbox
(`portal.outbox`, then accounts/tasks.py), never done inside a request.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import domain, projection
from accounts.connectors.base import AccountSpec
from accounts.models import LIVE_STATES, Kind, ProvisioningEvent, QuotaRequest, ServiceAccount
from catalogue.models import BillingUnit, Offer
from contracts import services as contract_services
from contracts.models import Subscription
from portal import notifications
from portal.events import audit_record
from portal.grammar import of_name
from portal.models import Collectivite, Membership, Role, User
from portal.outbox import outbox_send
from portal.services import site_url

KIND_OF_SYSTEM = {
    "bluemind": Kind.MAIL,
    "zimbra": Kind.MAIL,
    "nextcloud": Kind.DRIVE,
    "bigbluebutton": Kind.VISIO,
}

SUSPENDED = (
    "Les comptes de votre collectivité sont suspendus pour défaut de paiement : aucun compte "
    "ne peut être créé avant l'enregistrement du règlement."
)
NOT_SUBSCRIBED = (
    "Votre collectivité n'a pas d'abonnement en cours à « {offer} » : commandez-le depuis le "
    "catalogue avant de créer des comptes."
)
QUANTITY_REACHED = (
    "Tous les comptes souscrits pour « {offer} » sont utilisés ({quantity} sur {quantity}). "
    "Pour en créer un autre, fermez un compte ou commandez des comptes supplémentaires."
)
LOGIN_INVALID = (
    "L'identifiant ne peut contenir que des lettres minuscules sans accent, des chiffres, des "
    "points, des tirets et des soulignés, et doit commencer et finir par une lettre ou un "
    "chiffre (64 caractères au plus)."
)
LOGIN_TAKEN = "L'identifiant « {login} » est déjà utilisé pour ce service."
NAME_REQUIRED = "Indiquez le prénom et le nom du titulaire."
EMAIL_INVALID = "Saisissez une adresse électronique valide pour le titulaire."
NOT_AN_ACCOUNT_OFFER = "L'offre « {offer} » ne donne pas de comptes à créer."
TRAINING_REQUIRED = (
    "La visioconférence est bloquée tant que le référent visio de votre collectivité n'a pas "
    "suivi la formation préalable obligatoire. Le syndicat l'enregistre après la formation ; "
    "contactez-le pour la planifier."
)
NOT_LIVE = "Ce compte est déjà fermé."
NOT_CLOSING = "Seul un compte fermé depuis moins de 14 jours peut être restauré."
RESTORE_TOO_LATE = (
    "Ce compte a été fermé le {closed}. Il ne pouvait être restauré que jusqu'au {until}."
)
NOT_FAILED = "Rien n'est en échec pour ce compte : il n'y a rien à relancer."
NO_EXTRA_OFFER = "Le catalogue ne propose pas d'espace supplémentaire pour ce service."
EXTRA_INVALID = "Indiquez un nombre entier de Go supplémentaires, entre 1 et 500."
QUOTA_NOT_ACTIVE = "On ne peut demander plus d'espace que pour un compte actif."
QUOTA_ALREADY_PENDING = "Une demande d'espace est déjà en attente pour ce compte."
REQUEST_NOT_PENDING = "Cette demande a déjà été traitée."
REFUSAL_REASON_REQUIRED = "Indiquez la raison du refus : elle est transmise à la collectivité."
CLOSED_BY_SUBSCRIPTION_END = "Fin de l'abonnement au service"

MAX_EXTRA_GB = 500
ACCOUNTS_PATH = "/comptes-de-service/"


# --- Reads needed by the writes -------------------------------------------------------------


def kind_of(offer: Offer) -> str | None:
    return KIND_OF_SYSTEM.get(offer.system)


def account_offers() -> list[Offer]:
    """Offers that give accounts: the base offers of a system with accounts (not the
    extra-quota ones, which require another offer)."""
    return list(
        Offer.objects.filter(system__in=KIND_OF_SYSTEM, requires_offer__isnull=True).order_by(
            "family__position", "position", "name"
        )
    )


def running_subscription(
    collectivite: Collectivite, offer: Offer, today: date
) -> Subscription | None:
    """The subscription paying for accounts of `offer` today: activated and not yet at its
    effective end (S5: accounts stay usable until then)."""
    return running_subscriptions(collectivite, [offer], today).first()


def running_subscriptions(collectivite: Collectivite, offers: list[Offer], today: date):
    """`running_subscription` for several offers at once (first of each offer first)."""
    return (
        Subscription.objects.filter(
            collectivite=collectivite, offer__in=offers, activated_on__lte=today
        )
        .exclude(status=Subscription.Status.ENDED)
        .exclude(ends_on__lte=today)
    )


def live_count(offer: Offer, *, exclude_pk: int | None = None) -> int:
    qs = ServiceAccount.objects.filter(offer=offer, state__in=LIVE_STATES)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.count()


def extra_quota_offer(offer: Offer) -> Offer | None:
    """The catalogue's "more space" offer for accounts of `offer` (billed per GB and year)."""
    return extra_quota_offers([offer]).first()


def extra_quota_offers(offers: list[Offer]):
    return Offer.objects.filter(
        requires_offer__in=offers, billing_unit=BillingUnit.GB_YEAR
    ).order_by("position", "id")


def referent_trained(collectivite: Collectivite) -> bool:
    return Membership.objects.filter(
        collectivite=collectivite, role=Role.VISIO_REFERENT, trained_on__isnull=False
    ).exists()


def mail_domain(collectivite: Collectivite) -> str:
    return collectivite.mail_domain or f"{collectivite.slug}.{settings.MAIL_DEFAULT_DOMAIN}"


def account_spec(account: ServiceAccount, collectivite: Collectivite) -> AccountSpec:
    offer = account.offer
    mail = account.kind == Kind.MAIL
    return AccountSpec(
        kind=account.kind,
        uid=f"{collectivite.slug}.{account.login}",
        login=account.login,
        collectivite=collectivite.slug,
        collectivite_name=collectivite.name,
        given_name=account.given_name,
        surname=account.surname,
        email=account.mailbox if mail else account.email,
        quota_bytes=account.quota_bytes,
        max_message_bytes=(
            offer.max_message_size_mb * domain.MB if mail and offer.max_message_size_mb else None
        ),
        max_recipients=offer.max_recipients if mail else None,
        room_id=account.room_id,
        room_name=account.room_name,
        recording_retention_days=offer.recording_retention_days,
    )


# --- Events and notifications ---------------------------------------------------------------


def event(
    account: ServiceAccount,
    *,
    action: str,
    outcome: str,
    message: str,
    system: str = "",
    detail: str = "",
    actor: User | None = None,
) -> ProvisioningEvent:
    return ProvisioningEvent.objects.create(
        account=account,
        action=action,
        system=system,
        outcome=outcome,
        message=message[:500],
        detail=detail[:4000],
        actor=actor if actor is not None and actor.is_authenticated else None,
    )


def _admins(collectivite: Collectivite) -> list[str]:
    return notifications.addresses_of_role(collectivite, Role.FUNCTIONAL_ADMIN)


def _mail_context(account: ServiceAccount, collectivite: Collectivite) -> dict:
    return {
        "collectivite": collectivite.name,
        "holder": account.display_name,
        "service": account.get_kind_display(),
        "offer": account.offer.name,
        "login": account.login,
        "mailbox": account.mailbox,
        "url": site_url(collectivite.primary_domain_name, ACCOUNTS_PATH),
    }


def _queue(operation: str, account: ServiceAccount) -> None:
    """Record the provisioning task in this transaction (the outbox sends it once it commits,
    from the account's schema — the commit may come after a back-office view has left it —
    and again later if the broker was away)."""
    outbox_send("accounts.tasks.provision", account.pk, operation)


# --- Accounts ---------------------------------------------------------------------------------


@dataclass
class AccountData:
    offer_code: str
    given_name: str
    surname: str
    email: str
    login: str


def _check_capacity(
    collectivite: Collectivite, offer: Offer, today: date, *, exclude_pk: int | None = None
) -> None:
    subscription = running_subscription(collectivite, offer, today)
    if subscription is None:
        raise ValidationError(NOT_SUBSCRIBED.format(offer=offer.name), code="not_subscribed")
    if live_count(offer, exclude_pk=exclude_pk) >= int(subscription.quantity):
        raise ValidationError(
            QUANTITY_REACHED.format(quantity=int(subscription.quantity), offer=offer.name),
            code="quantity_reached",
        )


@transaction.atomic
def account_create(
    *, collectivite: Collectivite, data: AccountData, created_by: User | None, today: date
) -> ServiceAccount:
    """A2: a new account within the quantity subscribed, provisioned in the background."""
    offer = Offer.objects.filter(code=data.offer_code).first()
    kind = kind_of(offer) if offer is not None else None
    if offer is None or kind is None or offer.requires_offer_id is not None:
        raise ValidationError(
            {"offer": NOT_AN_ACCOUNT_OFFER.format(offer=data.offer_code)}, code="offer"
        )
    errors: dict[str, str] = {}
    given_name, surname = data.given_name.strip(), data.surname.strip()
    if not given_name or not surname:
        errors["surname" if given_name else "given_name"] = NAME_REQUIRED
    email = data.email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = EMAIL_INVALID
    login = domain.normalise_login(data.login)
    if not domain.login_valid(login):
        errors["login"] = LOGIN_INVALID
    elif (
        ServiceAccount.objects.filter(kind=kind, login=login)
        .exclude(state=ServiceAccount.State.PURGED)
        .exists()
    ):
        errors["login"] = LOGIN_TAKEN.format(login=login)
    if errors:
        raise ValidationError(errors)
    if kind == Kind.VISIO and not referent_trained(collectivite):
        raise ValidationError(TRAINING_REQUIRED, code="training_required")
    from lifecycle.services.suspension import suspended

    if suspended(collectivite):  # L2: no new account while the others are disabled
        raise ValidationError(SUSPENDED, code="suspended")
    # Serialise creations of one offer so two administrators cannot both take the last seat.
    Offer.objects.select_for_update().filter(pk=offer.pk).first()
    _check_capacity(collectivite, offer, today)
    account = ServiceAccount(
        kind=kind,
        offer=offer,
        given_name=given_name,
        surname=surname,
        email=email,
        login=login,
        quota_bytes=domain.quota_bytes(offer.default_quota_gb),
        created_by=created_by if created_by is not None and created_by.is_authenticated else None,
    )
    if kind == Kind.MAIL:
        account.mailbox = f"{login}@{mail_domain(collectivite)}"
    if kind == Kind.VISIO:
        account.room_id = f"{collectivite.slug}-{secrets.token_hex(6)}"
        account.room_name = f"Salle {of_name(f'{given_name} {surname}')}"
    try:
        with transaction.atomic():
            account.save()
    except IntegrityError as exc:  # the same login taken by a concurrent creation
        raise ValidationError({"login": LOGIN_TAKEN.format(login=login)}) from exc
    projection.account_mirror(account, collectivite_id=collectivite.pk)
    event(
        account,
        action="create",
        outcome=ProvisioningEvent.Outcome.INFO,
        message=f"Compte demandé par {created_by or 'le système'} : création en cours.",
        actor=created_by,
    )
    _queue("create", account)
    return account


@transaction.atomic
def account_retry(*, account: ServiceAccount, actor: User | None) -> ServiceAccount:
    """Try again what failed, once someone fixed the cause: the creation of a failed
    account, or the last update or purge that did not go through."""
    account = ServiceAccount.objects.select_for_update().get(pk=account.pk)
    if account.state == ServiceAccount.State.FAILED:
        operation = "create"
        account.state = ServiceAccount.State.PENDING
    elif account.failure_reason and account.state == ServiceAccount.State.CLOSED:
        operation = "purge"
    elif account.failure_reason and account.state in (
        ServiceAccount.State.ACTIVE,
        ServiceAccount.State.CLOSING,
    ):
        operation = "update"
    else:
        raise ValidationError(NOT_FAILED)
    account.failure_reason = ""
    account.save(update_fields=["state", "failure_reason"])
    projection.account_mirror(account)
    event(
        account,
        action="retry",
        outcome=ProvisioningEvent.Outcome.INFO,
        message="Nouvel essai demandé.",
        actor=actor,
    )
    _queue(operation, account)
    return account


@transaction.atomic
def account_close(
    *,
    account: ServiceAccount,
    collectivite: Collectivite,
    closed_by: User | None,
    today: date,
    reason: str = "",
) -> ServiceAccount:
    """A3: the account stays readable for export for 3 months, then is disabled and purged;
    the holder is told how to export, and the closing can be undone for 14 days."""
    account = ServiceAccount.objects.select_for_update().select_related("offer").get(pk=account.pk)
    if not account.live:
        raise ValidationError(NOT_LIVE)
    account.state = ServiceAccount.State.CLOSING
    account.closed_on, account.close_reason = today, reason.strip()[:200]
    account.closed_by = closed_by if closed_by is not None and closed_by.is_authenticated else None
    account.save(update_fields=["state", "closed_on", "close_reason", "closed_by"])
    projection.account_mirror(account, collectivite_id=collectivite.pk)
    until = domain.export_until(today)
    event(
        account,
        action="close",
        outcome=ProvisioningEvent.Outcome.INFO,
        message=(
            f"Compte fermé ({account.close_reason or 'par la collectivité'}) : lisible pour "
            f"l'export jusqu'au {until:%d/%m/%Y}, restaurable jusqu'au "
            f"{domain.restore_until(today):%d/%m/%Y}."
        ),
        actor=closed_by,
    )
    context = _mail_context(account, collectivite) | {
        "export_until": f"{until:%d/%m/%Y}",
        "purge_on": f"{domain.purge_on(today):%d/%m/%Y}",
        "restore_until": f"{domain.restore_until(today):%d/%m/%Y}",
        "reason": account.close_reason,
    }
    notifications.notify(
        template="account_closed", to=[account.email, *_admins(collectivite)], context=context
    )
    if account.closed_by is not None:  # L3: closed by a person, the syndicate is told
        from lifecycle.services.notices import account_closed_notice

        account_closed_notice(
            collectivite=collectivite,
            reference=f"account:{account.pk}:{today:%Y%m%d}",
            holder=account.display_name,
            service=account.get_kind_display(),
            login=account.login,
            closed_by=account.closed_by,
            closed_on=today,
            reason=account.close_reason,
        )
    return account


@transaction.atomic
def account_restore(
    *, account: ServiceAccount, collectivite: Collectivite, restored_by: User | None, today: date
) -> ServiceAccount:
    """Undo a closing within 14 days (A3), within the quantity subscribed (A2)."""
    account = ServiceAccount.objects.select_for_update().select_related("offer").get(pk=account.pk)
    if account.state != ServiceAccount.State.CLOSING or account.closed_on is None:
        raise ValidationError(NOT_CLOSING)
    if not domain.can_restore(account.closed_on, today):
        raise ValidationError(
            RESTORE_TOO_LATE.format(
                closed=f"{account.closed_on:%d/%m/%Y}",
                until=f"{domain.restore_until(account.closed_on):%d/%m/%Y}",
            )
        )
    Offer.objects.select_for_update().filter(pk=account.offer_id).first()
    _check_capacity(collectivite, account.offer, today, exclude_pk=account.pk)
    provisioned = account.activated_at is not None
    account.state = ServiceAccount.State.ACTIVE if provisioned else ServiceAccount.State.PENDING
    account.closed_on, account.closed_by, account.close_reason = None, None, ""
    account.save(update_fields=["state", "closed_on", "closed_by", "close_reason"])
    projection.account_mirror(account, collectivite_id=collectivite.pk)
    event(
        account,
        action="restore",
        outcome=ProvisioningEvent.Outcome.INFO,
        message="Fermeture annulée : le compte est de nouveau ouvert.",
        actor=restored_by,
    )
    if not provisioned:
        _queue("create", account)
    notifications.notify(
        template="account_restored",
        to=[account.email, *_admins(collectivite)],
        context=_mail_context(account, collectivite),
    )
    return account


def accounts_close_ended(*, collectivite: Collectivite, today: date) -> int:
    """S5: the accounts of a subscription that reached its effective end are closed (A3)."""
    closed = 0
    for offer in Offer.objects.filter(
        pk__in=ServiceAccount.objects.filter(state__in=LIVE_STATES).values("offer")
    ):
        if running_subscription(collectivite, offer, today) is not None:
            continue
        for account in ServiceAccount.objects.filter(offer=offer, state__in=LIVE_STATES):
            account_close(
                account=account,
                collectivite=collectivite,
                closed_by=None,
                today=today,
                reason=CLOSED_BY_SUBSCRIPTION_END,
            )
            closed += 1
    return closed


def accounts_purge_due(*, today: date) -> int:
    """A3: closed accounts whose export window is over are disabled, then purged, in every
    system (queued; the task marks them purged when every system has confirmed)."""
    due = 0
    for account in ServiceAccount.objects.filter(
        state=ServiceAccount.State.CLOSING, closed_on__isnull=False
    ):
        if domain.purge_on(account.closed_on) > today:
            continue
        with transaction.atomic():
            locked = ServiceAccount.objects.select_for_update().get(pk=account.pk)
            if locked.state != ServiceAccount.State.CLOSING:
                continue
            locked.state = ServiceAccount.State.CLOSED
            locked.save(update_fields=["state"])
            projection.account_mirror(locked)
            event(
                locked,
                action="purge",
                outcome=ProvisioningEvent.Outcome.INFO,
                message="Fin de la période d'export : désactivation puis suppression.",
            )
            _queue("purge", locked)
        due += 1
    # Purges that failed earlier (still "closed") are tried again each day.
    for account in ServiceAccount.objects.filter(state=ServiceAccount.State.CLOSED):
        if account.failure_reason:
            _queue("purge", account)
    return due


# --- Usage (A4) -------------------------------------------------------------------------------


def usage_record(
    *, account: ServiceAccount, collectivite: Collectivite, used_bytes: int, now=None
) -> ServiceAccount:
    """Store the usage read from the system and warn the holder and the functional
    administrators once at 90 % and once at 100 % (again after falling below 90 %)."""
    now = now or timezone.now()
    with transaction.atomic():
        account = (
            ServiceAccount.objects.select_for_update().select_related("offer").get(pk=account.pk)
        )
        account.used_bytes, account.usage_read_at = used_bytes, now
        level = domain.warning_level(used_bytes, account.quota_bytes)
        fields = ["used_bytes", "usage_read_at"]
        if domain.warning_due(level, account.warned_percent):
            context = _mail_context(account, collectivite) | {
                "percent": level,
                "used": domain.format_bytes(used_bytes),
                "quota": domain.format_bytes(account.quota_bytes),
            }
            notifications.notify(
                template="account_quota_warning",
                to=[account.email, *_admins(collectivite)],
                context=context,
            )
            event(
                account,
                action="usage",
                outcome=ProvisioningEvent.Outcome.INFO,
                message=f"Avertissement envoyé : {level} % du quota atteint.",
            )
        if level != account.warned_percent and (level > account.warned_percent or level == 0):
            account.warned_percent = level
            fields.append("warned_percent")
        account.save(update_fields=fields)
        projection.account_mirror(account, collectivite_id=collectivite.pk)
    return account


# --- Quota requests (A4) ------------------------------------------------------------------------


def parse_extra_gb(raw) -> int:
    try:
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        raise ValidationError({"extra_gb": EXTRA_INVALID}) from None
    if not 1 <= value <= MAX_EXTRA_GB:
        raise ValidationError({"extra_gb": EXTRA_INVALID})
    return value


@transaction.atomic
def quota_request_create(
    *,
    account: ServiceAccount,
    collectivite: Collectivite,
    extra_gb,
    reason: str,
    requested_by: User | None,
) -> QuotaRequest:
    account = ServiceAccount.objects.select_for_update().select_related("offer").get(pk=account.pk)
    extra = parse_extra_gb(extra_gb)
    if account.state != ServiceAccount.State.ACTIVE:
        raise ValidationError(QUOTA_NOT_ACTIVE)
    if extra_quota_offer(account.offer) is None:
        raise ValidationError(NO_EXTRA_OFFER)
    if account.quota_requests.filter(status=QuotaRequest.Status.PENDING).exists():
        raise ValidationError(QUOTA_ALREADY_PENDING)
    request = QuotaRequest.objects.create(
        account=account,
        extra_gb=extra,
        reason=reason.strip(),
        requested_by=requested_by if requested_by and requested_by.is_authenticated else None,
    )
    projection.quota_request_mirror(request, account, collectivite_id=collectivite.pk)
    event(
        account,
        action="quota_request",
        outcome=ProvisioningEvent.Outcome.INFO,
        message=f"Demande de {extra} Go supplémentaires transmise au syndicat.",
        actor=requested_by,
    )
    notifications.notify(
        template="quota_request_received",
        to=notifications.syndicate_admins(),
        context=_mail_context(account, collectivite)
        | {"extra_gb": extra, "reason": request.reason},
    )
    return request


@transaction.atomic
def quota_request_approve(
    *, request: QuotaRequest, collectivite: Collectivite, decided_by: User, today: date
) -> QuotaRequest:
    """A4: the syndicate approves: the extra GB join the collectivité's extra-quota
    subscription (billed co-termed, B2), the account's quota grows in the systems."""
    request = (
        QuotaRequest.objects.select_for_update(of=("self",))
        .select_related("account__offer", "requested_by")
        .get(pk=request.pk)
    )
    if request.status != QuotaRequest.Status.PENDING:
        raise ValidationError(REQUEST_NOT_PENDING)
    account = ServiceAccount.objects.select_for_update().get(pk=request.account_id)
    extra_offer = extra_quota_offer(account.offer)
    if extra_offer is None:
        raise ValidationError(NO_EXTRA_OFFER)
    subscription = contract_services.quantity_add(
        collectivite=collectivite,
        offer=extra_offer,
        quantity=Decimal(request.extra_gb),
        on=today,
        actor=decided_by,
    )
    request.status, request.decided_by, request.decided_at = (
        QuotaRequest.Status.APPROVED,
        decided_by,
        timezone.now(),
    )
    request.subscription = subscription
    request.save(update_fields=["status", "decided_by", "decided_at", "subscription"])
    account.extra_quota_gb += request.extra_gb
    account.quota_bytes = domain.quota_bytes(account.offer.default_quota_gb, account.extra_quota_gb)
    if domain.warning_level(account.used_bytes or 0, account.quota_bytes) < account.warned_percent:
        account.warned_percent = domain.warning_level(account.used_bytes or 0, account.quota_bytes)
    account.save(update_fields=["extra_quota_gb", "quota_bytes", "warned_percent"])
    projection.quota_request_mirror(request, account, collectivite_id=collectivite.pk)
    projection.account_mirror(account, collectivite_id=collectivite.pk)
    event(
        account,
        action="quota",
        outcome=ProvisioningEvent.Outcome.INFO,
        message=(
            f"{request.extra_gb} Go supplémentaires accordés par le syndicat : quota porté à "
            f"{domain.format_bytes(account.quota_bytes)}."
        ),
        actor=decided_by,
    )
    audit_record(
        action="quota_request.approved",
        obj=request,
        actor=decided_by,
        collectivite=collectivite,
        summary=f"+{request.extra_gb} Go accordés pour {account} ({account.login})",
    )
    if account.state in (ServiceAccount.State.ACTIVE, ServiceAccount.State.CLOSING):
        _queue("update", account)
    requester = request.requested_by.email if request.requested_by else ""
    notifications.notify(
        template="quota_request_approved",
        to=[requester, account.email, *_admins(collectivite)],
        context=_mail_context(account, collectivite)
        | {"extra_gb": request.extra_gb, "quota": domain.format_bytes(account.quota_bytes)},
    )
    return request


@transaction.atomic
def quota_request_refuse(
    *, request: QuotaRequest, collectivite: Collectivite, decided_by: User, reason: str
) -> QuotaRequest:
    request = (
        QuotaRequest.objects.select_for_update(of=("self",))
        .select_related("account__offer", "requested_by")
        .get(pk=request.pk)
    )
    if request.status != QuotaRequest.Status.PENDING:
        raise ValidationError(REQUEST_NOT_PENDING)
    if not reason.strip():
        raise ValidationError({"reason": REFUSAL_REASON_REQUIRED})
    request.status, request.decided_by, request.decided_at = (
        QuotaRequest.Status.REFUSED,
        decided_by,
        timezone.now(),
    )
    request.refusal_reason = reason.strip()
    request.save(update_fields=["status", "decided_by", "decided_at", "refusal_reason"])
    projection.quota_request_mirror(request, request.account, collectivite_id=collectivite.pk)
    event(
        request.account,
        action="quota",
        outcome=ProvisioningEvent.Outcome.INFO,
        message=f"Demande de {request.extra_gb} Go refusée : {request.refusal_reason}",
        actor=decided_by,
    )
    audit_record(
        action="quota_request.refused",
        obj=request,
        actor=decided_by,
        collectivite=collectivite,
        summary=f"+{request.extra_gb} Go refusés pour {request.account}",
    )
    requester = request.requested_by.email if request.requested_by else ""
    notifications.notify(
        template="quota_request_refused",
        to=[requester, *_admins(collectivite)],
        context=_mail_context(request.account, collectivite)
        | {"extra_gb": request.extra_gb, "reason": request.refusal_reason},
    )
    return request


# --- Referent training (A6) ---------------------------------------------------------------------

TRAINING_NOT_REFERENT = "Cette personne n'est pas référente visio de la collectivité."
TRAINING_IN_FUTURE = "La date de formation ne peut pas être dans le futur."


@transaction.atomic
def referent_training_record(
    *, membership: Membership, trained_on: date, recorded_by: User, today: date
) -> Membership:
    if membership.role != Role.VISIO_REFERENT:
        raise ValidationError(TRAINING_NOT_REFERENT)
    if trained_on > today:
        raise ValidationError({"trained_on": TRAINING_IN_FUTURE})
    membership.trained_on, membership.trained_recorded_by = trained_on, recorded_by
    membership.save(update_fields=["trained_on", "trained_recorded_by"])
    audit_record(
        action="visio.training_recorded",
        obj=membership,
        actor=recorded_by,
        collectivite=membership.collectivite,
        summary=(
            f"Formation visio {of_name(str(membership.user))} enregistrée (suivie le {trained_on:%d/%m/%Y})"
        ),
    )
    return membership
