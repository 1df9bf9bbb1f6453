"""Writes of the portal core: collectivités (tenants), invitations, hand-offs, API tokens.

Every function validates, saves, records the audit event (P2) and schedules its side effects
with `transaction.on_commit`; bad input raises ValidationError with a French message and
changes nothing.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from portal import domain, events
from portal.models import (
    ApiToken,
    Collectivite,
    Domain,
    Invitation,
    LoginHandoff,
    Membership,
    Role,
    User,
)
from portal.tenancy import tenant_schema_create, tenant_template_ensure

SLUG_FORMAT_ERROR = (
    "L'identifiant ne peut contenir que des lettres minuscules sans accent, des chiffres et des "
    "tirets (3 à 40 caractères, sans tiret au début ni à la fin)."
)
SLUG_TAKEN_ERROR = "Cet identifiant est déjà utilisé par une autre collectivité."
SLUG_RESERVED_ERROR = "Cet identifiant est réservé ; choisissez-en un autre."
SIRET_TAKEN_ERROR = "Une collectivité avec ce SIRET existe déjà."
NAME_REQUIRED_ERROR = "Le nom de la collectivité est obligatoire."
KIND_ERROR = "Choisissez la nature de la collectivité : commune, EPCI, établissement public ou budget annexe."
ADMIN_EMAIL_ERROR = "Saisissez une adresse électronique valide pour l'administrateur fonctionnel."
INVITATION_INVALID = "Ce lien d'invitation n'est pas valide ou a déjà été utilisé."
INVITATION_EXPIRED = (
    "Ce lien d'invitation a expiré. Demandez à l'administrateur fonctionnel de votre "
    "collectivité, ou au syndicat, de vous en envoyer un nouveau."
)
INVITATION_OTHER_USER = (
    "Cette invitation a été envoyée à une autre adresse. Déconnectez-vous puis ouvrez à nouveau "
    "le lien."
)
HANDOFF_INVALID = "Ce lien de changement de collectivité n'est plus valide. Reconnectez-vous."
NOT_A_MEMBER = "Vous n'êtes pas membre de cette collectivité."

COUNT_ERROR = "Saisissez un nombre entier positif (2 147 483 647 au plus)."
POSTCODE_ERROR = "Le code postal comporte 5 chiffres."
CONTACT_EMAIL_ERROR = "Saisissez une adresse électronique valide."
TOO_LONG_ERROR = "{max} caractères au plus."
MAX_COUNT = 2_147_483_647

RESERVED_SLUGS = frozenset(
    {"www", "api", "admin", "static", "public", "mail", "portail", "syndicat"}
)
_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$")
INVITATION_VALIDITY = timedelta(days=14)
HANDOFF_VALIDITY = timedelta(seconds=60)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def schema_name_for(slug: str) -> str:
    return "c_" + slug.replace("-", "_")


def domain_name_for(slug: str) -> str:
    return f"{slug}.{settings.BASE_DOMAIN}"


def backoffice_url(path: str = "/") -> str:
    return site_url(settings.BASE_DOMAIN, path)


def site_url(domain_name: str, path: str = "/") -> str:
    port = f":{settings.PORTAL_PORT}" if settings.PORTAL_PORT else ""
    return f"{settings.PORTAL_SCHEME}://{domain_name}{port}{path}"


@dataclass(frozen=True)
class CollectiviteInput:
    name: str
    slug: str
    kind: str
    siret: str
    population: int = 0
    agent_count: int = 0
    hosted: bool = False
    non_affiliated: bool = False
    service_code: str = ""
    address: str = ""
    postcode: str = ""
    city: str = ""
    contact_email: str = ""
    brand_colour: str = "#1d4f91"
    mail_domain: str = ""


MAIL_DOMAIN_PATTERN = re.compile(
    r"(?=.{4,120}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"
)
MAIL_DOMAIN_ERROR = (
    "Saisissez un nom de domaine de messagerie valide, par exemple « mairie-exemple.fr »."
)


def _length_errors(data: CollectiviteInput) -> dict[str, str]:
    errors = {}
    for field in ("name", "service_code", "address", "city", "contact_email"):
        limit = Collectivite._meta.get_field(field).max_length
        if len(getattr(data, field).strip()) > limit:
            errors[field] = TOO_LONG_ERROR.format(max=limit)
    return errors


def _validated(data: CollectiviteInput, *, instance: Collectivite | None = None) -> dict:
    errors: dict[str, str] = {}
    cleaned: dict = {}
    name = (data.name or "").strip()
    if not name:
        errors["name"] = NAME_REQUIRED_ERROR
    cleaned["name"] = name
    if instance is None:
        slug = (data.slug or "").strip().lower()
        if not _SLUG_RE.match(slug):
            errors["slug"] = SLUG_FORMAT_ERROR
        elif slug in RESERVED_SLUGS:
            errors["slug"] = SLUG_RESERVED_ERROR
        elif Collectivite.objects.filter(slug=slug).exists():
            errors["slug"] = SLUG_TAKEN_ERROR
        cleaned["slug"] = slug
    if data.kind not in set(domain.Kind):
        errors["kind"] = KIND_ERROR
    errors.update(_length_errors(data))
    for field in ("population", "agent_count"):
        value = getattr(data, field)
        if not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
            errors[field] = COUNT_ERROR
    if data.postcode.strip() and not re.fullmatch(r"[0-9]{5}", data.postcode.strip()):
        errors["postcode"] = POSTCODE_ERROR
    if data.contact_email.strip():
        try:
            validate_email(data.contact_email.strip())
        except ValidationError:
            errors["contact_email"] = CONTACT_EMAIL_ERROR
    mail_domain = data.mail_domain.strip().lower().rstrip(".")
    if mail_domain and not MAIL_DOMAIN_PATTERN.fullmatch(mail_domain):
        errors["mail_domain"] = MAIL_DOMAIN_ERROR
    try:
        cleaned["siret"] = domain.siret_clean(data.siret)
        others = Collectivite.objects.filter(siret=cleaned["siret"])
        if instance is not None:
            others = others.exclude(pk=instance.pk)
        if others.exists():
            errors["siret"] = SIRET_TAKEN_ERROR
    except domain.DomainError as exc:
        errors["siret"] = str(exc)
    try:
        cleaned["brand_colour"] = domain.colour_clean(data.brand_colour)
    except domain.DomainError as exc:
        errors["brand_colour"] = str(exc)
    if errors:
        raise ValidationError(errors)
    cleaned.update(
        kind=data.kind,
        population=data.population,
        agent_count=data.agent_count,
        hosted=data.hosted,
        non_affiliated=data.non_affiliated,
        strate=domain.strate_for(
            kind=domain.Kind(data.kind),
            population=data.population,
            agent_count=data.agent_count,
            hosted=data.hosted,
            non_affiliated=data.non_affiliated,
        ).value,
        service_code=data.service_code.strip(),
        address=data.address.strip(),
        postcode=data.postcode.strip(),
        city=data.city.strip(),
        contact_email=data.contact_email.strip().lower(),
        mail_domain=mail_domain,
    )
    return cleaned


def collectivite_validate(data: CollectiviteInput) -> dict:
    """The checks of a new collectivité's data (ValidationError by field), nothing written."""
    return _validated(data)


def collectivite_create(
    *,
    data: CollectiviteInput,
    admin_email: str,
    admin_name: str = "",
    created_by: User | None,
    logo=None,
    admin_roles: list[str] | None = None,
    schema_ready: bool = False,
) -> Collectivite:
    """Create a collectivité: its schema (copied from the template), its domain, and the
    invitation of its first functional administrator — all or nothing. `schema_ready`: the
    caller has already made the schema (a bulk import makes each in its own transaction)."""
    cleaned = _validated(data)
    try:
        validate_email(admin_email)
    except ValidationError as exc:
        raise ValidationError({"admin_email": ADMIN_EMAIL_ERROR}) from exc
    # Outside the transaction: migrating the template is idempotent and must not be undone
    # by a failure of this one creation.
    if not schema_ready:
        tenant_template_ensure()
    with transaction.atomic():
        collectivite = Collectivite(schema_name=schema_name_for(cleaned["slug"]), **cleaned)
        collectivite.auto_create_schema = False  # tenancy.tenant_schema_create does it
        try:
            with transaction.atomic():
                collectivite.save()
        except IntegrityError as exc:  # a concurrent creation took the slug or the SIRET
            if Collectivite.objects.filter(siret=collectivite.siret).exists():
                raise ValidationError({"siret": SIRET_TAKEN_ERROR}) from exc
            raise ValidationError({"slug": SLUG_TAKEN_ERROR}) from exc
        if not schema_ready:
            tenant_schema_create(collectivite)
        if logo is not None:
            collectivite.logo = logo
            collectivite.save(update_fields=["logo"])
        Domain.objects.create(
            domain=domain_name_for(collectivite.slug), tenant=collectivite, is_primary=True
        )
        events.collectivite_created_event(collectivite=collectivite, actor=created_by)
        invitation_create(
            collectivite=collectivite,
            email=admin_email,
            full_name=admin_name,
            role=Role.FUNCTIONAL_ADMIN,
            additional_roles=admin_roles,
            invited_by=created_by,
        )
    return collectivite


@transaction.atomic
def collectivite_update(
    *, collectivite: Collectivite, data: CollectiviteInput, updated_by: User | None, logo=None
) -> Collectivite:
    cleaned = _validated(data, instance=collectivite)
    changed = {
        field: value for field, value in cleaned.items() if getattr(collectivite, field) != value
    }
    for field, value in changed.items():
        setattr(collectivite, field, value)
    if logo is not None:
        previous = collectivite.logo.name
        collectivite.logo = logo
        changed["logo"] = logo.name
        if previous:
            storage = collectivite.logo.storage
            transaction.on_commit(lambda: storage.delete(previous))
    if changed:
        collectivite.save()
        events.collectivite_updated_event(
            collectivite=collectivite,
            actor=updated_by,
            changed={k: str(v) for k, v in changed.items()},
        )
    return collectivite


# --- Invitations -------------------------------------------------------------------------


def invitation_create(
    *,
    collectivite: Collectivite,
    email: str,
    role: str,
    invited_by: User | None,
    full_name: str = "",
    additional_roles: list[str] | None = None,
) -> Invitation:
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        collectivite=collectivite,
        email=email.strip().lower(),
        role=role,
        additional_roles=[r for r in additional_roles or [] if r != role],
        full_name=full_name.strip(),
        token_hash=_hash(token),
        invited_by=invited_by,
        expires_at=timezone.now() + INVITATION_VALIDITY,
    )
    events.invitation_sent_event(invitation=invitation, actor=invited_by)
    invitation_email_send(invitation, token)
    return invitation


def invitation_email_send(invitation: Invitation, token: str) -> None:
    """The invitation's e-mail, through the outbox (issue 18: never lost to a broker outage).
    The link's token travels sealed (portal.crypto): only its hash is kept in clear."""
    from portal.crypto import secret_encrypt
    from portal.outbox import outbox_send

    outbox_send("portal.tasks.send_invitation_email", invitation.pk, secret_encrypt(token))


def invitation_url(invitation: Invitation, token: str) -> str:
    return site_url(invitation.collectivite.primary_domain_name, f"/invitation/{token}/")


def invitation_get(*, token: str, collectivite: Collectivite) -> Invitation:
    invitation = Invitation.objects.filter(
        token_hash=_hash(token),
        collectivite=collectivite,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
    ).first()
    if invitation is None:
        raise ValidationError(INVITATION_INVALID)
    if invitation.expires_at <= timezone.now():
        raise ValidationError(INVITATION_EXPIRED)
    return invitation


def invitee_has_account(*, invitation: Invitation) -> bool:
    user = User.objects.filter(email=invitation.email).first()
    return user is not None and user.has_usable_password()


@transaction.atomic
def invitation_accept(
    *,
    token: str,
    collectivite: Collectivite,
    signed_in_user: User | None = None,
    full_name: str = "",
    password: str = "",
) -> User:
    """Accept an invitation: the invited person gets the role in the collectivité.

    A newcomer (or a person who never chose a password) chooses one now (P1); someone who
    already has an account accepts while signed in as the invited address.
    """
    invitation = invitation_get(token=token, collectivite=collectivite)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:  # accepted by a concurrent request meanwhile
        raise ValidationError(INVITATION_INVALID)
    if signed_in_user is not None and signed_in_user.is_authenticated:
        if signed_in_user.email.lower() != invitation.email:
            raise ValidationError(INVITATION_OTHER_USER)
        user = signed_in_user
    else:
        user = User.objects.filter(email=invitation.email).first() or User.objects.create_user(
            invitation.email, full_name=full_name or invitation.full_name
        )
        if user.has_usable_password():
            raise ValidationError(
                "Vous avez déjà un compte : connectez-vous, puis ouvrez à nouveau ce lien."
            )
        validate_password(password, user)
        user.set_password(password)
        user.full_name = full_name.strip() or user.full_name or invitation.full_name
        user.save()
    for role in invitation.roles:
        Membership.objects.get_or_create(user=user, collectivite=collectivite, role=role)
    # the token reached this address: it is proven to be the person's
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    events.invitation_accepted_event(invitation=invitation, user=user)
    return user


# --- Switching collectivité ---------------------------------------------------------------


def handoff_create(*, user: User, collectivite: Collectivite) -> str:
    if not Membership.objects.filter(user=user, collectivite=collectivite).exists():
        raise ValidationError(NOT_A_MEMBER)
    token = secrets.token_urlsafe(32)
    LoginHandoff.objects.create(
        user=user,
        collectivite=collectivite,
        token_hash=_hash(token),
        expires_at=timezone.now() + HANDOFF_VALIDITY,
    )
    return token


def _valid_handoff(token: str, collectivite: Collectivite, *, lock: bool) -> LoginHandoff:
    qs = LoginHandoff.objects.select_related("user").filter(
        token_hash=_hash(token), collectivite=collectivite, used_at__isnull=True
    )
    handoff = (qs.select_for_update() if lock else qs).first()
    if handoff is None or handoff.expires_at <= timezone.now() or not handoff.user.is_active:
        raise ValidationError(HANDOFF_INVALID)
    if not Membership.objects.filter(user=handoff.user, collectivite=collectivite).exists():
        raise ValidationError(NOT_A_MEMBER)
    return handoff


def handoff_check(*, token: str, collectivite: Collectivite) -> User:
    """Who a still-valid pass would sign in (nothing is used up)."""
    return _valid_handoff(token, collectivite, lock=False).user


@transaction.atomic
def handoff_consume(*, token: str, collectivite: Collectivite) -> User:
    """The person a hand-off carries to `collectivite`; single use, 60 seconds."""
    handoff = _valid_handoff(token, collectivite, lock=True)
    handoff.used_at = timezone.now()
    handoff.save(update_fields=["used_at"])
    return handoff.user


def handoffs_purge(*, now=None) -> int:
    deleted, _ = LoginHandoff.objects.filter(expires_at__lt=now or timezone.now()).delete()
    return deleted


# --- API tokens ----------------------------------------------------------------------------


def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """A new bearer token; the clear value is returned once and never stored."""
    raw = "psn_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, prefix=raw[4:12], key_hash=_hash(raw))
    return token, raw


def api_token_authenticate(raw: str) -> User | None:
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_hash(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token.user


# --- Memberships and staff ----------------------------------------------------------------


@transaction.atomic
def membership_grant(
    *, user: User, collectivite: Collectivite, role: str, granted_by: User | None
) -> Membership:
    """Give `user` a role in `collectivite` directly; a pending invitation to that same role
    is then moot and is closed."""
    membership, created = Membership.objects.get_or_create(
        user=user, collectivite=collectivite, role=role
    )
    if created:
        Invitation.objects.filter(
            collectivite=collectivite, email=user.email, role=role, accepted_at__isnull=True
        ).update(accepted_at=timezone.now(), accepted_by=user)
        events.membership_granted_event(membership=membership, actor=granted_by)
    return membership


@transaction.atomic
def staff_user_create(
    *, email: str, full_name: str, password: str | None, groups: list[str]
) -> User:
    """A syndicate staff member in the given groups (P1: a second factor is asked at first
    sign-in). A refused password creates nothing."""
    from django.contrib.auth.models import Group

    email = email.strip().lower()
    user = User.objects.filter(email=email).first()
    if password:
        validate_password(password, user or User(email=email, full_name=full_name))
    if user is None:
        user = User.objects.create_user(email, password, full_name=full_name)
    elif password:
        user.set_password(password)
        user.save()
    user.groups.add(*Group.objects.filter(name__in=groups))
    return user


FULL_NAME_REQUIRED = "Indiquez votre prénom et votre nom."


@transaction.atomic
def user_full_name_update(*, user: User, full_name: str) -> User:
    """The person's own name, as shown to others and on what they sign from now on (documents
    already signed keep the name they were signed with)."""
    full_name = " ".join(full_name.split())
    if not full_name:
        raise ValidationError({"full_name": FULL_NAME_REQUIRED})
    user.full_name = full_name
    user.save(update_fields=["full_name"])
    return user
