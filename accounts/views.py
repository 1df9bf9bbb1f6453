"""Pages of service accounts: on a collectivité's site, "Comptes" for its functional
administrators (accounts by service, usage, create / close / restore / retry, quota requests)
and "Mes comptes" for every holder; in the back-office, the quota-request queue, each
collectivité's usage and the visio referent's training (A6).

On a collectivité's site the request runs in its schema: another collectivité's account
simply does not exist there (404). Back-office views enter the collectivité's schema with
`schema_context`."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_tenants.utils import schema_context

from accounts import domain, selectors, services
from accounts.forms import (
    AccountCreateForm,
    CloseForm,
    QuotaRequestForm,
    RefuseForm,
    TrainingForm,
)
from accounts.models import QuotaRequest, ServiceAccount
from lifecycle.services import suspension as suspension_services
from portal import outbox
from portal.access import is_syndicate_admin, member_required, staff_required
from portal.forms import add_service_errors
from portal.grammar import of_name
from portal.models import Collectivite, Membership, Role


def _account_or_404(pk: int) -> ServiceAccount:
    try:
        return selectors.account_of_collectivite(pk)
    except ServiceAccount.DoesNotExist as exc:
        raise Http404 from exc


def _page(request, form=None, *, status=200):
    today = timezone.localdate()
    rows = selectors.service_rows(collectivite=request.tenant, today=today)
    creatable = [row.offer for row in rows if row.can_create]
    form = form or AccountCreateForm(offers=creatable)
    return render(
        request,
        "accounts/accounts.html",
        {
            "rows": rows,
            "form": form,
            "creatable": creatable,
            "today": today,
            "polling": any(a.state == "pending" for row in rows for a in row.accounts),
            "suspended": suspension_services.suspended(request.tenant),  # L2 (issue 15)
        },
        status=status,
    )


@member_required(Role.FUNCTIONAL_ADMIN)
@require_GET
def accounts_page(request):
    if request.headers.get("HX-Request") and request.GET.get("partial") == "services":
        today = timezone.localdate()
        rows = selectors.service_rows(collectivite=request.tenant, today=today)
        return render(
            request,
            "accounts/partials/services.html",
            {"rows": rows, "polling": any(a.state == "pending" for r in rows for a in r.accounts)},
        )
    return _page(request)


@member_required(Role.FUNCTIONAL_ADMIN)
@require_POST
def account_create(request):
    today = timezone.localdate()
    rows = selectors.service_rows(collectivite=request.tenant, today=today)
    # Every subscribed service is offered to the form: the service decides (and says why).
    offers = [row.offer for row in rows if row.subscription is not None]
    form = AccountCreateForm(request.POST, offers=offers)
    if form.is_valid():
        try:
            with outbox.watch() as sent:
                account = services.account_create(
                    collectivite=request.tenant,
                    data=form.to_data(),
                    created_by=request.user,
                    today=today,
                )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                f"Le compte {of_name(account.display_name)} est en cours de création : son état "
                "s'affiche ci-dessous.",
            )
            if sent.delayed:
                messages.warning(request, outbox.DELAYED_MESSAGE)
            return redirect("accounts")
    return _page(request, form, status=422)


@member_required(Role.FUNCTIONAL_ADMIN)
@require_GET
def account_detail(request, pk: int):
    return _detail_page(request, _account_or_404(pk))


def _detail_page(request, account, *, quota_form=None, close_form=None, status=200):
    return render(
        request,
        "accounts/account_detail.html",
        {
            "account": account,
            "events": account.events.select_related("actor").order_by("-at", "-id")[:100],
            "requests": account.quota_requests.select_related("decided_by"),
            "quota_form": quota_form or QuotaRequestForm(),
            "close_form": close_form or CloseForm(),
            "extra_offer": services.extra_quota_offer(account.offer),
            "restore_until": domain.restore_until(account.closed_on) if account.closed_on else None,
            "export_until": domain.export_until(account.closed_on) if account.closed_on else None,
            "can_restore": account.closed_on is not None
            and account.state == "closing"
            and domain.can_restore(account.closed_on, timezone.localdate()),
        },
        status=status,
    )


def _act(request, pk: int, action):
    account = _account_or_404(pk)
    try:
        message = action(account)
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
    else:
        messages.success(request, message)
    return redirect("account_detail", pk=account.pk)


@member_required(Role.FUNCTIONAL_ADMIN)
@require_POST
def account_close(request, pk: int):
    form = CloseForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""

    def close(account):
        account = services.account_close(
            account=account,
            collectivite=request.tenant,
            closed_by=request.user,
            today=timezone.localdate(),
            reason=reason,
        )
        return (
            f"Compte fermé. Son titulaire peut exporter ses données jusqu'au "
            f"{domain.export_until(account.closed_on):%d/%m/%Y} ; vous pouvez annuler la "
            f"fermeture jusqu'au {domain.restore_until(account.closed_on):%d/%m/%Y}."
        )

    return _act(request, pk, close)


@member_required(Role.FUNCTIONAL_ADMIN)
@require_POST
def account_restore(request, pk: int):
    def restore(account):
        services.account_restore(
            account=account,
            collectivite=request.tenant,
            restored_by=request.user,
            today=timezone.localdate(),
        )
        return "Fermeture annulée : le compte est de nouveau ouvert."

    return _act(request, pk, restore)


@member_required(Role.FUNCTIONAL_ADMIN)
@require_POST
def account_retry(request, pk: int):
    def retry(account):
        services.account_retry(account=account, actor=request.user)
        return "Nouvel essai lancé."

    return _act(request, pk, retry)


@member_required(Role.FUNCTIONAL_ADMIN)
@require_POST
def quota_request_create(request, pk: int):
    account = _account_or_404(pk)
    form = QuotaRequestForm(request.POST)
    if form.is_valid():
        try:
            services.quota_request_create(
                account=account,
                collectivite=request.tenant,
                extra_gb=form.cleaned_data["extra_gb"],
                reason=form.cleaned_data["reason"],
                requested_by=request.user,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Demande transmise au syndicat, qui l'accordera ou non.")
            return redirect("account_detail", pk=account.pk)
    # Refused: the page again with the form as typed and its errors at the top (nothing lost).
    return _detail_page(request, account, quota_form=form, status=422)


@member_required()
@require_GET
def my_accounts(request):
    """The holder's own page: every account in their name, usage against quota."""
    accounts = selectors.accounts_of_holder(request.user.email)
    return render(
        request,
        "accounts/my_accounts.html",
        {
            "accounts": accounts,
            "export_until": {
                a.pk: domain.export_until(a.closed_on) for a in accounts if a.closed_on
            },
        },
    )


# --- Back-office ------------------------------------------------------------------------------


def _collectivite_or_404(pk: int) -> Collectivite:
    return get_object_or_404(Collectivite, pk=pk)


@staff_required()
@require_GET
def quota_queue(request):
    return render(
        request,
        "accounts/backoffice_quota_queue.html",
        {
            "pending": selectors.quota_requests_pending(),
            "reconciliation": selectors.reconciliation_latest(),
            "refuse_form": RefuseForm(),
            "is_admin": is_syndicate_admin(request.user),
        },
    )


def _decide(request, pk: int, request_pk: int, decide):
    collectivite = _collectivite_or_404(pk)
    with schema_context(collectivite.schema_name):
        quota_request = QuotaRequest.objects.filter(pk=request_pk).first()
        if quota_request is None:
            raise Http404
        try:
            message = decide(collectivite, quota_request)
        except ValidationError as exc:
            for text in exc.messages:
                messages.error(request, text)
        else:
            messages.success(request, message)
    return redirect("quota_queue")


@staff_required(is_syndicate_admin)
@require_POST
def quota_approve(request, pk: int, request_pk: int):
    def approve(collectivite, quota_request):
        services.quota_request_approve(
            request=quota_request,
            collectivite=collectivite,
            decided_by=request.user,
            today=timezone.localdate(),
        )
        return (
            f"{quota_request.extra_gb} Go accordés à {collectivite.name} : ajoutés à son "
            "abonnement d'espace supplémentaire et à la prochaine facture."
        )

    return _decide(request, pk, request_pk, approve)


@staff_required(is_syndicate_admin)
@require_POST
def quota_refuse(request, pk: int, request_pk: int):
    form = RefuseForm(request.POST)

    def refuse(collectivite, quota_request):
        services.quota_request_refuse(
            request=quota_request,
            collectivite=collectivite,
            decided_by=request.user,
            reason=form.cleaned_data["reason"] if form.is_valid() else "",
        )
        return f"Demande {of_name(collectivite.name)} refusée ; la collectivité en est informée."

    return _decide(request, pk, request_pk, refuse)


@staff_required()
@require_http_methods(["GET", "POST"])
def collectivite_accounts(request, pk: int):
    """The syndicate's view of one collectivité's accounts and usage, and the visio
    referent's training (A6)."""
    collectivite = _collectivite_or_404(pk)
    referents = list(
        Membership.objects.filter(collectivite=collectivite, role=Role.VISIO_REFERENT)
        .select_related("user", "trained_recorded_by")
        .order_by("user__full_name")
    )
    training_form = TrainingForm(request.POST or None, referents=referents)
    if request.method == "POST":
        if not is_syndicate_admin(request.user):
            raise Http404
        if training_form.is_valid():
            membership = next(
                m for m in referents if m.pk == training_form.cleaned_data["membership"]
            )
            try:
                services.referent_training_record(
                    membership=membership,
                    trained_on=training_form.cleaned_data["trained_on"],
                    recorded_by=request.user,
                    today=timezone.localdate(),
                )
            except ValidationError as exc:
                add_service_errors(training_form, exc)
            else:
                messages.success(request, f"Formation {of_name(str(membership.user))} enregistrée.")
                return redirect("collectivite_accounts", pk=collectivite.pk)
    with schema_context(collectivite.schema_name):
        today = timezone.localdate()
        rows = selectors.service_rows(collectivite=collectivite, today=today)
        totals = selectors.usage_totals(collectivite=collectivite)
        recent = selectors.quota_requests_recent()
        return render(
            request,
            "accounts/backoffice_collectivite_accounts.html",
            {
                "object": collectivite,
                "rows": rows,
                "totals": totals,
                "recent_requests": recent,
                "referents": referents,
                "training_form": training_form,
                "is_admin": is_syndicate_admin(request.user),
            },
            status=422 if request.method == "POST" else 200,
        )
