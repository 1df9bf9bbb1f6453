"""People and roles: the members page of a collectivité (on its site for its functional
administrators, in the back-office for the syndicate's administrators) and the syndicate's
staff page. Views parse and render; `portal.members` decides."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from portal import members, selectors
from portal.access import is_syndicate_admin, member_required, staff_required
from portal.forms import (
    InvitationAcceptForm,
    MemberInviteForm,
    MemberRolesForm,
    StaffGroupsForm,
    StaffInviteForm,
    add_service_errors,
)
from portal.models import Collectivite, Invitation, Membership, Role, StaffInvitation

INVITED = "Invitation envoyée à {email}."
RESENT = "Invitation renvoyée à {email} (nouveau lien valable 14 jours)."
REVOKED = "L'invitation de {email} est retirée."
ROLES_CHANGED = "Les rôles de {name} sont enregistrés."
REMOVED = "{name} n'est plus membre de la collectivité."


def _people(collectivite: Collectivite) -> list[dict]:
    """One row per person, with their roles and a form to change them (unique prefixes)."""
    rows: dict[int, dict] = {}
    for m in selectors.memberships_of_collectivite(collectivite=collectivite):
        row = rows.setdefault(m.user_id, {"user": m.user, "roles": []})
        row["roles"].append(m.role)
    for row in rows.values():
        row["roles"] = [r for r in Role.values if r in row["roles"]]
        row["labels"] = [Role(r).label for r in row["roles"]]
        row["form"] = MemberRolesForm(prefix=f"m{row['user'].pk}", initial={"roles": row["roles"]})
    return list(rows.values())


def _members_page(request, collectivite: Collectivite, *, layout: str, url_args: tuple):
    invite_form = MemberInviteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and invite_form.is_valid():
        try:
            invitation = members.member_invite(
                collectivite=collectivite,
                email=invite_form.cleaned_data["email"],
                roles=invite_form.cleaned_data["roles"],
                full_name=invite_form.cleaned_data["full_name"],
                invited_by=request.user,
            )
        except ValidationError as exc:
            add_service_errors(invite_form, exc)
        else:
            messages.success(request, INVITED.format(email=invitation.email))
            return redirect(request.path)
    return render(
        request,
        "members/members.html",
        {
            "layout": layout,
            "object": collectivite,
            "people": _people(collectivite),
            "invitations": members.pending_invitations(collectivite=collectivite).order_by(
                "-created_at"
            ),
            "invite_form": invite_form,
            "url_prefix": "backoffice_members" if url_args else "members",
            "url_args": url_args,
            "in_backoffice": bool(url_args),
            "now": timezone.now(),
        },
        status=400 if request.method == "POST" else 200,
    )


def _member_change(request, collectivite: Collectivite, user_id: int, back: str):
    membership = (
        Membership.objects.select_related("user")
        .filter(collectivite=collectivite, user_id=user_id)
        .first()
    )
    if membership is None:
        raise Http404
    user = membership.user
    removing = request.POST.get("action") == "remove"
    form = MemberRolesForm(request.POST, prefix=f"m{user.pk}")
    try:
        if removing:
            members.member_remove(collectivite=collectivite, user=user, removed_by=request.user)
        elif form.is_valid():
            members.member_roles_set(
                collectivite=collectivite,
                user=user,
                roles=form.cleaned_data["roles"],
                changed_by=request.user,
            )
        else:
            raise ValidationError(form.errors["roles"][0])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        name = user.get_full_name()
        messages.success(request, (REMOVED if removing else ROLES_CHANGED).format(name=name))
    return redirect(back)


def _invitation_action(request, collectivite: Collectivite, invitation_id: int, back: str):
    invitation = Invitation.objects.filter(pk=invitation_id, collectivite=collectivite).first()
    if invitation is None:
        raise Http404
    try:
        if request.POST.get("action") == "revoke":
            members.invitation_revoke(
                invitation=invitation, collectivite=collectivite, revoked_by=request.user
            )
            messages.success(request, REVOKED.format(email=invitation.email))
        else:
            members.invitation_resend(
                invitation=invitation, collectivite=collectivite, resent_by=request.user
            )
            messages.success(request, RESENT.format(email=invitation.email))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(back)


# --- On the collectivité's site (its functional administrators) ---------------------------


@member_required(Role.FUNCTIONAL_ADMIN)
@require_http_methods(["GET", "POST"])
def members_page(request):
    return _members_page(request, request.tenant, layout="layouts/tenant.html", url_args=())


@member_required(Role.FUNCTIONAL_ADMIN)
@require_POST
def member_change(request, user_id: int):
    return _member_change(request, request.tenant, user_id, reverse("members"))


@member_required(Role.FUNCTIONAL_ADMIN)
@require_POST
def invitation_action(request, invitation_id: int):
    return _invitation_action(request, request.tenant, invitation_id, reverse("members"))


# --- In the back-office (the syndicate's administrators) ----------------------------------


def _collectivite(pk: int) -> Collectivite:
    collectivite = Collectivite.objects.filter(pk=pk).prefetch_related("domains").first()
    if collectivite is None:
        raise Http404
    return collectivite


@staff_required(is_syndicate_admin)
@require_http_methods(["GET", "POST"])
def backoffice_members(request, pk: int):
    return _members_page(
        request, _collectivite(pk), layout="layouts/backoffice.html", url_args=(pk,)
    )


@staff_required(is_syndicate_admin)
@require_POST
def backoffice_member_change(request, pk: int, user_id: int):
    return _member_change(
        request, _collectivite(pk), user_id, reverse("backoffice_members", args=[pk])
    )


@staff_required(is_syndicate_admin)
@require_POST
def backoffice_invitation_action(request, pk: int, invitation_id: int):
    return _invitation_action(
        request, _collectivite(pk), invitation_id, reverse("backoffice_members", args=[pk])
    )


# --- The syndicate's staff ----------------------------------------------------------------


@staff_required(is_syndicate_admin)
@require_http_methods(["GET", "POST"])
def staff_page(request):
    invite_form = StaffInviteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and invite_form.is_valid():
        try:
            invitation = members.staff_invite(
                email=invite_form.cleaned_data["email"],
                groups=invite_form.cleaned_data["groups"],
                full_name=invite_form.cleaned_data["full_name"],
                invited_by=request.user,
            )
        except ValidationError as exc:
            add_service_errors(invite_form, exc)
        else:
            messages.success(request, INVITED.format(email=invitation.email))
            return redirect("staff")
    people = []
    for user in members.staff_members():
        groups = [g.name for g in user.groups.all()]
        people.append(
            {
                "user": user,
                "groups": groups,
                "form": StaffGroupsForm(prefix=f"s{user.pk}", initial={"groups": groups}),
            }
        )
    return render(
        request,
        "members/staff.html",
        {
            "people": people,
            "invitations": members.staff_pending_invitations().order_by("-created_at"),
            "invite_form": invite_form,
        },
        status=400 if request.method == "POST" else 200,
    )


@staff_required(is_syndicate_admin)
@require_POST
def staff_change(request, user_id: int):
    user = members.staff_members().filter(pk=user_id).first()
    if user is None:
        raise Http404
    form = StaffGroupsForm(request.POST, prefix=f"s{user.pk}")
    groups = form.cleaned_data["groups"] if form.is_valid() else []
    if request.POST.get("action") == "remove":
        groups = []
    try:
        members.staff_groups_set(user=user, groups=groups, changed_by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, ROLES_CHANGED.format(name=user.get_full_name()))
    return redirect("staff")


@staff_required(is_syndicate_admin)
@require_POST
def staff_invitation_action(request, invitation_id: int):
    invitation = StaffInvitation.objects.filter(pk=invitation_id).first()
    if invitation is None:
        raise Http404
    try:
        if request.POST.get("action") == "revoke":
            members.staff_invitation_revoke(invitation=invitation, revoked_by=request.user)
            messages.success(request, REVOKED.format(email=invitation.email))
        else:
            members.staff_invitation_resend(invitation=invitation, resent_by=request.user)
            messages.success(request, RESENT.format(email=invitation.email))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("staff")


@require_http_methods(["GET", "POST"])
def staff_invitation_accept(request, token: str):
    try:
        invitation = members.staff_invitation_get(token=token)
    except ValidationError as exc:
        return render(
            request,
            "members/staff_invitation_invalid.html",
            {"error": exc.messages[0]},
            status=404,
        )
    signed_in = request.user if request.user.is_authenticated else None
    form = None if signed_in else InvitationAcceptForm(request.POST or None)
    if request.method == "POST" and (signed_in or form.is_valid()):
        try:
            user = members.staff_invitation_accept(
                token=token,
                signed_in_user=signed_in,
                full_name=form.cleaned_data["full_name"] if form else "",
                password=form.cleaned_data["password1"] if form else "",
            )
        except ValidationError as exc:
            if form is None:
                messages.error(request, exc.messages[0])
            else:
                add_service_errors(form, ValidationError({"password1": exc.messages}))
        else:
            if signed_in is None:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            # the middleware asks for a second factor before anything else (P1)
            return redirect("home")
    return render(
        request,
        "members/staff_invitation_accept.html",
        {"invitation": invitation, "form": form, "signed_in": signed_in},
    )
