"""Views on both kinds of site: logos, and moving between collectivités."""

from __future__ import annotations

import mimetypes

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from portal import selectors, services
from portal.models import Collectivite
from portal.tenancy import is_public_request


def logo(request):
    """The logo of the current site (collectivité, or the syndicate on the main domain);
    branding is public on the site it belongs to, and only there (P4)."""
    owner = selectors.syndicate_get() if is_public_request(request) else request.tenant
    if owner is None or not owner.logo:
        raise Http404
    try:
        handle = owner.logo.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    content_type = mimetypes.guess_type(owner.logo.name)[0] or "application/octet-stream"
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response


def email_management_closed(request):
    """allauth's e-mail management is closed: the address is the person's identity in every
    collectivité and in invitations, so it changes only through the syndicate."""
    raise Http404


@login_required
@require_POST
def switch(request, pk: int):
    """Go to another collectivité's site, signed in: sessions are host-only, so a single-use
    pass crosses over."""
    target = Collectivite.objects.filter(pk=pk, is_active=True).prefetch_related("domains").first()
    if target is None:
        raise Http404
    try:
        token = services.handoff_create(user=request.user, collectivite=target)
    except ValidationError as exc:
        raise Http404 from exc
    return HttpResponseRedirect(
        services.site_url(target.primary_domain_name, f"/connexion/relais/{token}/")
    )


@require_http_methods(["GET", "POST"])
def handoff(request, token: str):
    """The other end of a switch. GET only asks to confirm: a link followed by someone else
    (sent by the pass's owner, say) must not sign them in as the owner."""
    if is_public_request(request):
        raise Http404
    try:
        user = services.handoff_check(token=token, collectivite=request.tenant)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return redirect("account_login")
    if request.method == "GET":
        return render(request, "tenant/handoff_confirm.html", {"person": user})
    try:
        user = services.handoff_consume(token=token, collectivite=request.tenant)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return redirect("account_login")
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return redirect("home")


def favicon(request):
    """Browsers ask for /favicon.ico at the root of every site: point them at the static
    file (its hashed name in production is only known once the manifest is there)."""
    from django.templatetags.static import static

    return redirect(static("favicon.ico"), permanent=True)
