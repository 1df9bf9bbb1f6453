"""People and roles of a collectivité, and the syndicate's staff (issue 10): invite by e-mail
with one or more roles, resend or revoke a pending invitation, change a person's roles, remove
a membership. The same functions serve the collectivité's functional administrators (on its
site) and the syndicate's administrators (in the back-office).

Invariant: a collectivité that has a signatory (or a functional administrator) keeps one — the
last holder of either role cannot lose it, nor be removed, until a successor holds it. Every
change is an audit event (P2) and e-mails the person concerned.
"""

from __future__ import annotations

import secrets

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from portal import events, services
from portal.models import Collectivite, Invitation, Membership, Role, StaffInvitation, User
from portal.models.people import STAFF_GROUPS
from portal.notifications import notify

EMAIL_INVALID = "Saisissez une adresse électronique valide."
ROLES_REQUIRED = "Choisissez au moins un rôle."
ROLE_UNKNOWN = "Rôle inconnu : {role}."
ALREADY_MEMBER = "{email} a déjà ces rôles dans la collectivité."
ALREADY_INVITED = (
    "Une invitation est déjà en attente pour {email} : renvoyez-la ou retirez-la d'abord."
)
INVITATION_NOT_PENDING = "Cette invitation n'est plus en attente (acceptée ou retirée)."
NOT_A_MEMBER = "Cette personne n'est pas membre de la collectivité."
LAST_HOLDER = (
    "{name} est le dernier {role_label} de la collectivité : désignez d'abord un successeur "
    "(invitez-le avec ce rôle ; une fois son invitation acceptée, ce changement sera possible)."
)
LAST_ROLE_LABELS = {
    Role.SIGNATORY: "signataire",
    Role.FUNCTIONAL_ADMIN: "administrateur fonctionnel",
}
STAFF_GROUPS_REQUIRED = "Choisissez au moins un rôle : administrateur ou finances du syndicat."
STAFF_ALREADY = "{email} fait déjà partie du personnel du syndicat avec ces rôles."
STAFF_INVITATION_INVALID = "Ce lien d'invitation n'est pas valide ou a déjà été utilisé."
STAFF_INVITATION_EXPIRED = (
    "Ce lien d'invitation a expiré : demandez à un administrateur du syndicat de le renvoyer."
)
STAFF_HAS_ACCOUNT = "Vous avez déjà un compte : connectez-vous, puis ouvrez à nouveau ce lien."
STAFF_LAST_ADMIN = (
    "{name} est le dernier administrateur du syndicat : nommez d'abord un autre administrateur."
)

# Roles whose last holder cannot go without a successor.
GUARDED_ROLES = (Role.SIGNATORY, Role.FUNCTIONAL_ADMIN)


def _roles_clean(roles: list[str]) -> list[str]:
    cleaned = [r for r in dict.fromkeys(roles) if r]
    if not cleaned:
        raise ValidationError({"roles": ROLES_REQUIRED})
    for role in cleaned:
        if role not in Role.values:
            raise ValidationError({"roles": ROLE_UNKNOWN.format(role=role)})
    # always in the order of the Role enumeration
    return [r for r in Role.values if r in cleaned]


def _email_clean(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError({"email": EMAIL_INVALID}) from exc
    return email


def _lock(collectivite: Collectivite) -> None:
    """One change of people at a time per collectivité, so that two concurrent removals can't
    both pass the last-holder check."""
    Collectivite.objects.select_for_update().filter(pk=collectivite.pk).first()


def _roles_label(roles: list[str]) -> str:
    return ", ".join(str(Role(r).label) for r in roles) or "aucun"


# --- Collectivité members -------------------------------------------------------------------


@transaction.atomic
def member_invite(
    *,
    collectivite: Collectivite,
    email: str,
    roles: list[str],
    full_name: str = "",
    invited_by: User | None,
) -> Invitation:
    """Invite `email` with `roles` (one e-mail, one link). A person who already holds some of
    the roles is invited to the others only."""
    email = _email_clean(email)
    roles = _roles_clean(roles)
    _lock(collectivite)
    held = set(
        Membership.objects.filter(collectivite=collectivite, user__email=email).values_list(
            "role", flat=True
        )
    )
    wanted = [r for r in roles if r not in held]
    if not wanted:
        raise ValidationError({"email": ALREADY_MEMBER.format(email=email)})
    if pending_invitations(collectivite=collectivite).filter(email=email).exists():
        raise ValidationError({"email": ALREADY_INVITED.format(email=email)})
    return services.invitation_create(
        collectivite=collectivite,
        email=email,
        role=wanted[0],
        additional_roles=wanted[1:],
        full_name=full_name,
        invited_by=invited_by,
    )


def pending_invitations(*, collectivite: Collectivite):
    return Invitation.objects.filter(
        collectivite=collectivite, accepted_at__isnull=True, revoked_at__isnull=True
    )


def _pending_invitation(invitation: Invitation, collectivite: Collectivite) -> Invitation:
    locked = (
        Invitation.objects.select_for_update()
        .filter(pk=invitation.pk, collectivite=collectivite)
        .first()
    )
    if locked is None or locked.accepted_at is not None or locked.revoked_at is not None:
        raise ValidationError(INVITATION_NOT_PENDING)
    return locked


@transaction.atomic
def invitation_resend(
    *, invitation: Invitation, collectivite: Collectivite, resent_by: User | None
) -> Invitation:
    """A new link (the old one stops working) valid another 14 days, e-mailed again."""
    invitation = _pending_invitation(invitation, collectivite)
    token = secrets.token_urlsafe(32)
    invitation.token_hash = services._hash(token)
    invitation.expires_at = timezone.now() + services.INVITATION_VALIDITY
    invitation.save(update_fields=["token_hash", "expires_at"])
    events.audit_record(
        action="invitation.resent",
        obj=collectivite,
        collectivite=collectivite,
        actor=resent_by,
        summary=f"Invitation renvoyée à {invitation.email} ({invitation.roles_display}).",
        data={"invitation": invitation.pk, "roles": invitation.roles},
    )
    services.invitation_email_send(invitation, token)
    return invitation


@transaction.atomic
def invitation_revoke(
    *, invitation: Invitation, collectivite: Collectivite, revoked_by: User | None
) -> Invitation:
    invitation = _pending_invitation(invitation, collectivite)
    invitation.revoked_at = timezone.now()
    invitation.revoked_by = revoked_by if revoked_by and revoked_by.is_authenticated else None
    invitation.save(update_fields=["revoked_at", "revoked_by"])
    events.audit_record(
        action="invitation.revoked",
        obj=collectivite,
        collectivite=collectivite,
        actor=revoked_by,
        summary=f"Invitation de {invitation.email} retirée ({invitation.roles_display}).",
        data={"invitation": invitation.pk, "roles": invitation.roles},
    )
    notify(
        template="invitation_revoked",
        to=[invitation.email],
        context={"collectivite": collectivite.name, "roles": invitation.roles_display},
    )
    return invitation


@transaction.atomic
def member_roles_set(
    *,
    collectivite: Collectivite,
    user: User,
    roles: list[str],
    changed_by: User | None,
) -> list[str]:
    """Give `user` exactly `roles` in `collectivite` (none: the membership is removed). The
    last signatory or functional administrator keeps that role until a successor holds it."""
    unknown = sorted(set(roles) - set(Role.values))
    if unknown:
        raise ValidationError(ROLE_UNKNOWN.format(role=", ".join(unknown)))
    roles = [r for r in Role.values if r in set(roles)]
    _lock(collectivite)
    memberships = Membership.objects.filter(collectivite=collectivite)
    held = set(memberships.filter(user=user).values_list("role", flat=True))
    before = [r for r in Role.values if r in held]
    if not before:
        raise ValidationError(NOT_A_MEMBER)
    if roles == before:
        return before
    for role in GUARDED_ROLES:
        losing = role in before and role not in roles
        if losing and not memberships.filter(role=role).exclude(user=user).exists():
            label = LAST_ROLE_LABELS[role]
            raise ValidationError(LAST_HOLDER.format(name=user.get_full_name(), role_label=label))
    removed = [r for r in before if r not in roles]
    added = [r for r in roles if r not in before]
    memberships.filter(user=user, role__in=removed).delete()
    for role in added:
        Membership.objects.create(user=user, collectivite=collectivite, role=role)
    action = "membership.removed" if not roles else "membership.roles_changed"
    summary = (
        f"{user.email} n'est plus membre de la collectivité (rôles retirés : "
        f"{_roles_label(before)})."
        if not roles
        else f"{user.email} : rôles {_roles_label(before)} → {_roles_label(roles)}."
    )
    events.audit_record(
        action=action,
        obj=collectivite,
        collectivite=collectivite,
        actor=changed_by,
        summary=summary,
        data={"user": user.pk, "before": before, "after": roles},
    )
    notify(
        template="membership_removed" if not roles else "membership_changed",
        to=[user.email],
        context={
            "collectivite": collectivite.name,
            "name": user.get_full_name(),
            "before": _roles_label(before),
            "after": _roles_label(roles),
            "url": services.site_url(collectivite.primary_domain_name),
        },
    )
    return roles


def member_remove(*, collectivite: Collectivite, user: User, removed_by: User | None) -> None:
    member_roles_set(collectivite=collectivite, user=user, roles=[], changed_by=removed_by)


# --- Syndicate staff ------------------------------------------------------------------------


def _staff_groups_clean(groups: list[str]) -> list[str]:
    cleaned = [g for g in STAFF_GROUPS if g in set(groups)]
    if not cleaned:
        raise ValidationError({"groups": STAFF_GROUPS_REQUIRED})
    return cleaned


def staff_pending_invitations():
    return StaffInvitation.objects.filter(accepted_at__isnull=True, revoked_at__isnull=True)


def staff_invitation_url(token: str) -> str:
    return services.backoffice_url(f"/personnel/invitation/{token}/")


@transaction.atomic
def staff_invite(
    *, email: str, groups: list[str], full_name: str = "", invited_by: User | None
) -> StaffInvitation:
    email = _email_clean(email)
    groups = _staff_groups_clean(groups)
    existing = User.objects.filter(email=email).first()
    if existing is not None and set(groups) <= set(existing.groups.values_list("name", flat=True)):
        raise ValidationError({"email": STAFF_ALREADY.format(email=email)})
    if staff_pending_invitations().filter(email=email).exists():
        raise ValidationError({"email": ALREADY_INVITED.format(email=email)})
    token = secrets.token_urlsafe(32)
    invitation = StaffInvitation.objects.create(
        email=email,
        full_name=full_name.strip(),
        groups=groups,
        token_hash=services._hash(token),
        invited_by=invited_by if invited_by and invited_by.is_authenticated else None,
        expires_at=timezone.now() + services.INVITATION_VALIDITY,
    )
    _staff_event("staff_invitation.sent", invitation, invited_by, "Invitation envoyée")
    _staff_invitation_mail(invitation, token)
    return invitation


def _staff_event(action: str, invitation: StaffInvitation, actor, verb: str) -> None:
    events.audit_record(
        action=action,
        obj=invitation,
        actor=actor,
        summary=f"{verb} : {invitation.email} ({', '.join(invitation.groups)}).",
        data={"groups": invitation.groups},
    )


def _staff_invitation_mail(invitation: StaffInvitation, token: str) -> None:
    notify(
        template="staff_invitation",
        to=[invitation.email],
        context={
            "name": invitation.full_name,
            "groups": ", ".join(invitation.groups),
            "url": staff_invitation_url(token),
            "expires_at": f"{timezone.localtime(invitation.expires_at):%d/%m/%Y}",
        },
    )


@transaction.atomic
def staff_invitation_resend(*, invitation: StaffInvitation, resent_by: User | None) -> None:
    invitation = _staff_pending(invitation.pk)
    token = secrets.token_urlsafe(32)
    invitation.token_hash = services._hash(token)
    invitation.expires_at = timezone.now() + services.INVITATION_VALIDITY
    invitation.save(update_fields=["token_hash", "expires_at"])
    _staff_event("staff_invitation.resent", invitation, resent_by, "Invitation renvoyée")
    _staff_invitation_mail(invitation, token)


@transaction.atomic
def staff_invitation_revoke(*, invitation: StaffInvitation, revoked_by: User | None) -> None:
    invitation = _staff_pending(invitation.pk)
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    _staff_event("staff_invitation.revoked", invitation, revoked_by, "Invitation retirée")
    notify(
        template="invitation_revoked",
        to=[invitation.email],
        context={"collectivite": "le syndicat", "roles": ", ".join(invitation.groups)},
    )


def _staff_pending(pk: int) -> StaffInvitation:
    invitation = staff_pending_invitations().select_for_update().filter(pk=pk).first()
    if invitation is None:
        raise ValidationError(INVITATION_NOT_PENDING)
    return invitation


def staff_invitation_get(*, token: str) -> StaffInvitation:
    invitation = staff_pending_invitations().filter(token_hash=services._hash(token)).first()
    if invitation is None:
        raise ValidationError(STAFF_INVITATION_INVALID)
    if invitation.expires_at <= timezone.now():
        raise ValidationError(STAFF_INVITATION_EXPIRED)
    return invitation


@transaction.atomic
def staff_invitation_accept(
    *, token: str, full_name: str, password: str, signed_in_user: User | None = None
) -> User:
    """The invited person joins the staff groups; a newcomer chooses a password (P1). The
    back-office then asks for a second factor before anything else (middleware)."""
    from allauth.account.models import EmailAddress

    invitation = staff_invitation_get(token=token)
    invitation = StaffInvitation.objects.select_for_update().get(pk=invitation.pk)
    if signed_in_user is not None and signed_in_user.is_authenticated:
        if signed_in_user.email.lower() != invitation.email:
            raise ValidationError(services.INVITATION_OTHER_USER)
        user = signed_in_user
    else:
        user = User.objects.filter(email=invitation.email).first() or User.objects.create_user(
            invitation.email, full_name=full_name or invitation.full_name
        )
        if user.has_usable_password():
            raise ValidationError(STAFF_HAS_ACCOUNT)
        validate_password(password, user)
        user.set_password(password)
        user.full_name = full_name.strip() or user.full_name or invitation.full_name
        user.save()
    user.groups.add(*Group.objects.filter(name__in=invitation.groups))
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    _staff_event("staff_invitation.accepted", invitation, user, "Invitation acceptée")
    return user


@transaction.atomic
def staff_groups_set(*, user: User, groups: list[str], changed_by: User | None) -> list[str]:
    """Give a staff member exactly `groups` among the staff groups (none: leaves the staff).
    The last administrator stays one."""
    from portal.models.people import STAFF_ADMIN_GROUP

    groups = [g for g in STAFF_GROUPS if g in set(groups)]
    list(Group.objects.select_for_update().filter(name__in=STAFF_GROUPS))
    before = [g for g in STAFF_GROUPS if user.groups.filter(name=g).exists()]
    if groups == before:
        return before
    if (
        STAFF_ADMIN_GROUP in before
        and STAFF_ADMIN_GROUP not in groups
        and not User.objects.filter(groups__name=STAFF_ADMIN_GROUP, is_active=True)
        .exclude(pk=user.pk)
        .exists()
    ):
        raise ValidationError(STAFF_LAST_ADMIN.format(name=user.get_full_name()))
    user.groups.remove(*Group.objects.filter(name__in=[g for g in before if g not in groups]))
    user.groups.add(*Group.objects.filter(name__in=groups))
    events.audit_record(
        action="staff.groups_changed",
        obj=user,
        actor=changed_by,
        summary=f"{user.email} : {', '.join(before) or 'aucun rôle'} → "
        f"{', '.join(groups) or 'ne fait plus partie du personnel'}.",
        data={"before": before, "after": groups},
    )
    notify(
        template="staff_changed",
        to=[user.email],
        context={
            "name": user.get_full_name(),
            "before": ", ".join(before) or "aucun",
            "after": ", ".join(groups) or "aucun (vous ne faites plus partie du personnel)",
        },
    )
    return groups


def staff_members():
    return (
        User.objects.filter(groups__name__in=STAFF_GROUPS)
        .distinct()
        .prefetch_related("groups")
        .order_by("full_name", "email")
    )
