"""Pages of a public service, on both kinds of site: the footer's legal pages, the site map,
the person's profile, and the error pages (403, 404, 500, CSRF failure, 429)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from portal import services
from portal.access import (
    NOT_FOUND,
    is_syndicate_admin,
    is_syndicate_finance,
    is_syndicate_staff,
    roles_in,
)
from portal.forms import ProfileForm, add_service_errors
from portal.models import Role
from portal.tenancy import is_public_request

# Which e-mails the portal sends, by what the person is (portal.notifications' recipients).
EMAILS_BY_ROLE = {
    Role.SIGNATORY: [
        "un devis à signer, sa relance avant expiration, son expiration",
        "l'approbation ou le refus d'un devis signé",
        "l'accusé de réception d'une résiliation",
        "le rappel avant chaque reconduction tacite",
        "la relance d'une facture échue",
    ],
    Role.FUNCTIONAL_ADMIN: [
        "une copie des messages sur les comptes (fermeture, restauration, quota bientôt atteint)",
        "la réponse du syndicat à une demande d'espace",
        "la relance d'une facture échue",
    ],
    Role.AGENT: [],
    Role.VISIO_REFERENT: ["la convocation à la formation obligatoire à la visioconférence"],
}
EMAILS_AS_HOLDER = [
    "l'ouverture d'un compte à votre nom, et ses identifiants de connexion",
    "l'avertissement à 90 % et à 100 % de l'espace de vos comptes",
    "la fermeture d'un de vos comptes, avec la date limite pour exporter vos données",
]
EMAILS_SYNDICATE_ADMIN = [
    "chaque demande transmise par une collectivité",
    "chaque devis signé, à approuver",
    "chaque demande d'espace supplémentaire",
]
EMAILS_INVITATION = (
    "les invitations à rejoindre une collectivité, et la réinitialisation du mot de passe"
)


def _page(request, template: str, context: dict | None = None, status: int = 200):
    return render(request, template, context or {}, status=status)


def legal_notice(request):
    return _page(request, "pages/legal_notice.html")


def personal_data(request):
    return _page(request, "pages/personal_data.html")


def accessibility(request):
    return _page(request, "pages/accessibility.html")


def site_map(request):
    public = is_public_request(request)
    roles = set() if public else roles_in(request.user, request.tenant)
    return _page(
        request,
        "pages/site_map.html",
        {
            "is_admin_member": Role.FUNCTIONAL_ADMIN in roles,
            "is_member": bool(roles),
            "staff_admin": public and is_syndicate_admin(request.user),
            "staff_finance": public and is_syndicate_finance(request.user),
        },
    )


def emails_received(request) -> list[str]:
    if is_public_request(request):
        received = list(EMAILS_SYNDICATE_ADMIN) if is_syndicate_admin(request.user) else []
    else:
        received = []
        for role in Role:
            if role in roles_in(request.user, request.tenant):
                received += EMAILS_BY_ROLE[role]
    return [*received, *EMAILS_AS_HOLDER, EMAILS_INVITATION]


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    """One's own profile, where one works: a member on their collectivité's site, staff in the
    back-office; elsewhere a 404 like every other page (P4)."""
    allowed = (
        is_syndicate_staff(request.user)
        if is_public_request(request)
        else bool(roles_in(request.user, request.tenant))
    )
    if not allowed:
        raise Http404(NOT_FOUND)
    form = ProfileForm(request.POST or None, initial={"full_name": request.user.full_name})
    if request.method == "POST" and form.is_valid():
        try:
            services.user_full_name_update(
                user=request.user, full_name=form.cleaned_data["full_name"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Votre nom est enregistré.")
            return redirect("profile")
    return _page(
        request,
        "pages/profile.html",
        {"form": form, "emails": emails_received(request)},
        status=422 if form.errors else 200,
    )


def csrf_failure(request, reason: str = ""):
    """CSRF_FAILURE_VIEW: a form sent from an expired or foreign page."""
    return _page(request, "403_csrf.html", status=403)
