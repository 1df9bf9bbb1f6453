"""A collectivité's own site, on <slug>.BASE_DOMAIN (its schema is active)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from portal import services
from portal.forms import InvitationAcceptForm
from portal.grammar import of_name


@require_http_methods(["GET", "POST"])
def invitation_accept(request, token: str):
    collectivite = request.tenant
    try:
        invitation = services.invitation_get(token=token, collectivite=collectivite)
    except ValidationError as exc:
        return render(
            request, "tenant/invitation_invalid.html", {"error": exc.messages[0]}, status=404
        )
    signed_in = request.user if request.user.is_authenticated else None
    if signed_in is None and services.invitee_has_account(invitation=invitation):
        # Someone who already has an account signs in first (here, where the invitation lets
        # them), then comes back to accept.
        return render(request, "tenant/invitation_sign_in.html", {"invitation": invitation})
    form = None if signed_in else InvitationAcceptForm(request.POST or None)
    if request.method == "POST" and (signed_in or form.is_valid()):
        try:
            user = services.invitation_accept(
                token=token,
                collectivite=collectivite,
                signed_in_user=signed_in,
                full_name=form.cleaned_data["full_name"] if form else "",
                password=form.cleaned_data["password1"] if form else "",
            )
        except ValidationError as exc:
            if form is None:
                messages.error(request, exc.messages[0])
            else:
                form.add_error("password1" if "mot de passe" in exc.messages[0] else None, exc)
        else:
            if signed_in is None:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Bienvenue sur le portail {of_name(collectivite.name)}.")
            return redirect("home")
    return render(
        request,
        "tenant/invitation_accept.html",
        {"invitation": invitation, "form": form, "signed_in": signed_in},
    )
