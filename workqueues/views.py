"""Home pages as work queues, and the navigation badges (the same counts) for other pages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from portal.access import (
    is_syndicate_admin,
    is_syndicate_finance,
    is_syndicate_staff,
    member_required,
    roles_in,
    staff_required,
)
from portal.models import Role
from portal.tenancy import is_public_request
from workqueues import selectors

# The sections of a collectivité's site, below the work: (key, title, description, URL name).
SECTIONS = [
    (
        "catalogue",
        "Catalogue",
        "Les services proposés par le syndicat et leurs tarifs.",
        "catalogue",
    ),
    (
        "demandes",
        "Demandes et devis",
        "Exprimer un besoin, suivre et signer les devis.",
        "requests",
    ),
    ("contrats", "Contrats", "Vos abonnements, leurs échéances et le préavis.", "contracts"),
    (
        "documents",
        "Documents",
        "Conventions, annexes, devis signés, factures et avoirs.",
        "documents",
    ),
    ("factures", "Factures", "Vos factures annuelles et leur règlement.", "invoices"),
]
ACCOUNTS_SECTION = (
    "comptes",
    "Comptes",
    "Boîtes aux lettres, espaces de stockage et salles de visio.",
)


def _sections(is_admin: bool) -> list[tuple]:
    accounts = (*ACCOUNTS_SECTION, "accounts" if is_admin else "my_accounts")
    if not is_admin:
        accounts = (
            "comptes",
            "Mes comptes",
            "Vos comptes et l'espace qu'ils utilisent.",
            "my_accounts",
        )
    return [*SECTIONS[:3], accounts, *SECTIONS[3:]]


def tenant_work(request) -> selectors.WorkQueues:
    cached = getattr(request, "_work_queues", None)
    if cached is None:
        cached = selectors.tenant_work(
            collectivite=request.tenant,
            user=request.user,
            roles=roles_in(request.user, request.tenant),
            today=timezone.localdate(),
            now=timezone.now(),
        )
        request._work_queues = cached
    return cached


def backoffice_work(request) -> selectors.WorkQueues:
    cached = getattr(request, "_work_queues", None)
    if cached is None:
        cached = selectors.backoffice_work(
            admin=is_syndicate_admin(request.user),
            finance=is_syndicate_finance(request.user),
            today=timezone.localdate(),
            now=timezone.now(),
        )
        request._work_queues = cached
    return cached


@member_required()
def tenant_home(request):
    roles = roles_in(request.user, request.tenant)
    return render(
        request,
        "tenant/home.html",
        {
            "work": tenant_work(request),
            "sections": _sections(Role.FUNCTIONAL_ADMIN in roles),
        },
    )


@login_required
def backoffice_home(request):
    if not is_syndicate_staff(request.user):
        return redirect("my_collectivites")
    return render(request, "backoffice/home.html", {"work": backoffice_work(request)})


@require_GET
def badges(request):
    """The navigation's badges, swapped in out of band by htmx on pages other than home."""
    if is_public_request(request):
        return _backoffice_badges(request)
    return _tenant_badges(request)


@staff_required()
def _backoffice_badges(request):
    return render(request, "workqueues/badges.html", {"badges": backoffice_work(request).badges})


@member_required()
def _tenant_badges(request):
    return render(request, "workqueues/badges.html", {"badges": tenant_work(request).badges})
