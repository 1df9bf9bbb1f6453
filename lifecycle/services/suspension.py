"""L2 (seed 000 §4.4: an account stops "par l'absence de règlement de la contribution
annuelle"): the non-payment procedure, step by step, each step audited.

1. An invoice unpaid `SUSPENSION_OVERDUE_DAYS` after its due date: a formal notice goes to
   the collectivité's signatories and its contact address (the finance contact).
2. `SUSPENSION_NOTICE_DAYS` after the notice, still unpaid: a proposal to suspend appears in
   the syndicate's finance queue. Nothing is suspended by a job.
3. A person of the syndicate confirms (or declines, with a reason): the collectivité's open
   accounts are disabled in every system — not deleted — by the provisioning tasks, and the
   collectivité is told.
4. The invoice is settled (payment recorded, or credit note): the accounts are enabled again,
   at once from `payment_record`, and by the nightly run for any other way of settling.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import (
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django_tenants.utils import schema_context

from billing import selectors as billing_selectors
from billing.models import CreditNote, Invoice, Payment
from lifecycle import events, rules, tenant_data
from lifecycle.models import OPEN_SUSPENSION, Suspension
from portal import notifications
from portal.models import Collectivite, Role, User
from portal.services import site_url
from portal.templatetags.portal_format import euros

NOT_PROPOSED = "Cette suspension n'est pas (ou plus) à décider."
ALREADY_SETTLED = "La facture {number} est réglée : il n'y a plus rien à suspendre."
DECLINE_REASON_REQUIRED = "Indiquez pourquoi la suspension est écartée."


def overdue_days() -> int:
    return int(settings.SUSPENSION_OVERDUE_DAYS)


def notice_days() -> int:
    return int(settings.SUSPENSION_NOTICE_DAYS)


def _recipients(collectivite: Collectivite) -> list[str]:
    """The signatories and the collectivité's contact address (its finance contact)."""
    found = notifications.addresses_of_role(collectivite, Role.SIGNATORY)
    if collectivite.contact_email:
        found.append(collectivite.contact_email)
    return sorted(set(found))


def _everyone(collectivite: Collectivite) -> list[str]:
    return sorted(
        set(_recipients(collectivite))
        | set(notifications.addresses_of_role(collectivite, Role.FUNCTIONAL_ADMIN))
    )


def _context(suspension: Suspension, **extra) -> dict:
    invoice = suspension.invoice
    return {
        "collectivite": suspension.collectivite.name,
        "number": invoice.number,
        "due_date": f"{invoice.due_date:%d/%m/%Y}",
        "balance": euros(billing_selectors.invoice_balance(invoice)),
        "url": site_url(suspension.collectivite.primary_domain_name, "/factures/"),
        **extra,
    }


def _settled(invoice: Invoice) -> bool:
    return billing_selectors.invoice_balance(invoice) <= 0


# --- 1. The formal notice ---------------------------------------------------------------------


def _unpaid_overdue(latest_due: date):
    """Invoices due on or before `latest_due` with a balance left and no procedure yet: the
    balance in SQL, so that ten years of paid invoices cost one query a night."""
    money = DecimalField(max_digits=14, decimal_places=2)
    paid = (
        Payment.objects.filter(invoice=OuterRef("pk"))
        .values("invoice")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    credited = (
        CreditNote.objects.filter(invoice=OuterRef("pk"))
        .values("invoice")
        .annotate(total=Sum("total_ttc"))
        .values("total")
    )
    zero = Value(Decimal("0"), output_field=money)
    return (
        Invoice.objects.filter(due_date__lte=latest_due, suspensions__isnull=True)
        .annotate(
            left=ExpressionWrapper(
                F("total_ttc")
                - Coalesce(Subquery(paid, output_field=money), zero)
                - Coalesce(Subquery(credited, output_field=money), zero),
                output_field=money,
            )
        )
        .filter(left__gt=0)
        .select_related("collectivite")
        .order_by("due_date", "id")
    )


def notices_run(*, today: date) -> int:
    """Step 1 for every invoice overdue by the configured days, without a procedure yet."""
    sent = 0
    for invoice in _unpaid_overdue(today - timedelta(days=overdue_days())):
        if not rules.suspension_notice_due(
            due_date=invoice.due_date, today=today, overdue_days=overdue_days()
        ):
            continue
        if notice_send(invoice=invoice, today=today) is not None:
            sent += 1
    return sent


@transaction.atomic
def notice_send(*, invoice: Invoice, today: date) -> Suspension | None:
    """None when the collectivité already has an open procedure (one at a time)."""
    collectivite = invoice.collectivite
    if Suspension.objects.filter(collectivite=collectivite, status__in=OPEN_SUSPENSION).exists():
        return None
    recipients = _recipients(collectivite)
    try:
        with transaction.atomic():
            suspension = Suspension.objects.create(
                collectivite=collectivite,
                invoice=invoice,
                noticed_on=today,
                notice_recipients=recipients,
            )
    except IntegrityError:  # a concurrent run sent it
        return None
    proposal_on = rules.suspension_proposal_on(noticed_on=today, notice_days=notice_days())
    notifications.notify(
        template="suspension_notice",
        to=recipients,
        context=_context(suspension, deadline=f"{proposal_on:%d/%m/%Y}"),
    )
    events.suspension_event(
        suspension=suspension,
        action="noticed",
        summary=(
            f"Mise en demeure de {collectivite.name} pour {invoice.number} échue le "
            f"{invoice.due_date:%d/%m/%Y} ; suspension proposée à partir du "
            f"{proposal_on:%d/%m/%Y}."
        ),
        data={"recipients": recipients},
    )
    return suspension


# --- 2. The proposal, and settlements seen by the nightly run -------------------------------


def proposals_run(*, today: date) -> dict[str, int]:
    done = {"proposed": 0, "settled": 0, "lifted": 0}
    for suspension in Suspension.objects.filter(status__in=OPEN_SUSPENSION).select_related(
        "invoice", "collectivite"
    ):
        if _settled(suspension.invoice):
            if settlement_record(invoice=suspension.invoice, actor=None) is not None:
                key = "lifted" if suspension.status == Suspension.Status.SUSPENDED else "settled"
                done[key] += 1
            continue
        if suspension.status == Suspension.Status.NOTICE and today >= rules.suspension_proposal_on(
            noticed_on=suspension.noticed_on, notice_days=notice_days()
        ):
            _propose(suspension.pk, today)
            done["proposed"] += 1
    return done


@transaction.atomic
def _propose(pk: int, today: date) -> None:
    suspension = Suspension.objects.select_for_update().get(pk=pk)
    if suspension.status != Suspension.Status.NOTICE:
        return
    suspension.status, suspension.proposed_on = Suspension.Status.PROPOSED, today
    suspension.save(update_fields=["status", "proposed_on"])
    events.suspension_event(
        suspension=suspension,
        action="proposed",
        summary=(
            f"Suspension des comptes de {suspension.collectivite.name} proposée au syndicat "
            f"({suspension.invoice.number} toujours impayée après la mise en demeure du "
            f"{suspension.noticed_on:%d/%m/%Y})."
        ),
    )


# --- 3. The decision --------------------------------------------------------------------------


def _locked(suspension: Suspension) -> Suspension:
    return (
        Suspension.objects.select_for_update()
        .select_related("invoice", "collectivite")
        .get(pk=suspension.pk)
    )


@transaction.atomic
def suspension_confirm(*, suspension: Suspension, actor: User) -> Suspension:
    suspension = _locked(suspension)
    if suspension.status != Suspension.Status.PROPOSED:
        raise ValidationError(NOT_PROPOSED)
    if _settled(suspension.invoice):
        raise ValidationError(ALREADY_SETTLED.format(number=suspension.invoice.number))
    collectivite = suspension.collectivite
    suspension.status = Suspension.Status.SUSPENDED
    suspension.decided_at, suspension.decided_by = timezone.now(), actor
    suspension.save(update_fields=["status", "decided_at", "decided_by"])
    disabled = 0
    with schema_context(collectivite.schema_name):
        for handler in tenant_data.handlers():
            disabled += handler.suspend(collectivite, actor=actor)
    notifications.notify(
        template="suspension_confirmed", to=_everyone(collectivite), context=_context(suspension)
    )
    events.suspension_event(
        suspension=suspension,
        action="confirmed",
        actor=actor,
        summary=(
            f"Comptes de {collectivite.name} suspendus pour défaut de paiement de "
            f"{suspension.invoice.number} ({disabled} compte(s) désactivé(s), aucun supprimé)."
        ),
        data={"accounts": disabled},
    )
    return suspension


@transaction.atomic
def suspension_decline(*, suspension: Suspension, actor: User, reason: str) -> Suspension:
    suspension = _locked(suspension)
    if suspension.status != Suspension.Status.PROPOSED:
        raise ValidationError(NOT_PROPOSED)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": DECLINE_REASON_REQUIRED})
    suspension.status = Suspension.Status.DECLINED
    suspension.decided_at, suspension.decided_by = timezone.now(), actor
    suspension.decline_reason = reason[:300]
    suspension.save(update_fields=["status", "decided_at", "decided_by", "decline_reason"])
    events.suspension_event(
        suspension=suspension,
        action="declined",
        actor=actor,
        summary=(
            f"Suspension de {suspension.collectivite.name} écartée : {suspension.decline_reason}"
        ),
    )
    return suspension


# --- 4. Settlement ----------------------------------------------------------------------------


@transaction.atomic
def settlement_record(*, invoice: Invoice, actor: User | None) -> Suspension | None:
    """Called by `billing.services.payment_record` and by the nightly run: when `invoice` is
    settled, its open procedure ends — and the accounts are enabled again if it had come to a
    suspension. None when there was nothing to end."""
    suspension = (
        Suspension.objects.select_for_update()
        .select_related("invoice", "collectivite")
        .filter(invoice=invoice, status__in=OPEN_SUSPENSION)
        .first()
    )
    if suspension is None or not _settled(suspension.invoice):
        return None
    collectivite = suspension.collectivite
    if suspension.status != Suspension.Status.SUSPENDED:
        suspension.status = Suspension.Status.SETTLED
        suspension.save(update_fields=["status"])
        events.suspension_event(
            suspension=suspension,
            action="settled",
            actor=actor,
            summary=f"{invoice.number} réglée : procédure de {collectivite.name} close sans suspension.",
        )
        return suspension
    suspension.status, suspension.lifted_at = Suspension.Status.LIFTED, timezone.now()
    suspension.save(update_fields=["status", "lifted_at"])
    enabled = 0
    with schema_context(collectivite.schema_name):
        for handler in tenant_data.handlers():
            enabled += handler.resume(collectivite, actor=actor)
    notifications.notify(
        template="suspension_lifted", to=_everyone(collectivite), context=_context(suspension)
    )
    events.suspension_event(
        suspension=suspension,
        action="lifted",
        actor=actor,
        summary=(
            f"{invoice.number} réglée : suspension de {collectivite.name} levée, "
            f"{enabled} compte(s) réactivé(s)."
        ),
        data={"accounts": enabled},
    )
    return suspension


def suspended(collectivite: Collectivite) -> bool:
    return Suspension.objects.filter(
        collectivite=collectivite, status=Suspension.Status.SUSPENDED
    ).exists()
