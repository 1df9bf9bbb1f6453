"""Subscriptions (S1–S5): activation of approved lines, co-termed additions, tacit renewal,
termination and reductions, and the reminders before each anniversary."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from contracts import events, rules
from contracts.models import (
    ContractYear,
    QuantityChange,
    Quote,
    QuoteLine,
    Subscription,
    Termination,
)
from portal import notifications
from portal.models import Role, User
from portal.services import site_url

ADDITION_TO_TERMINATING = (
    "Cet abonnement est en cours de résiliation : on ne peut plus lui ajouter de quantité. "
    "Souscrivez un nouvel abonnement après sa fin."
)
LINE_NOT_APPROVED = "Seule une ligne d'un devis approuvé peut être activée."
LINE_ALREADY_ACTIVE = "Cette ligne est déjà activée."
ACTIVATION_BEFORE_APPROVAL = "La date d'activation ne peut précéder l'approbation du devis."
SUBSCRIPTION_ENDED = "Cet abonnement est déjà résilié (dû jusqu'au {date} inclus)."
RECEIVED_IN_FUTURE = "La date de réception ne peut pas être dans le futur."
RECEIVED_BEFORE_ACTIVATION = "La date de réception ne peut précéder l'activation de l'abonnement."
REDUCTION_TOO_LARGE = (
    "On ne peut résilier plus que la quantité souscrite ({quantity}) : pour tout arrêter, "
    "résiliez l'abonnement entier."
)
REDUCTION_NOT_POSITIVE = "Indiquez une quantité à résilier positive."
ADDITION_NOT_POSITIVE = "Indiquez une quantité à ajouter positive."
NOT_YEARLY = "Seule une offre annuelle peut être ajoutée à un abonnement."
NOT_SIGNATORY = "Seul un signataire de la collectivité peut résilier un abonnement."


@transaction.atomic
def line_activate(*, line: QuoteLine, activated_on: date, activated_by: User | None) -> QuoteLine:
    """Activate one approved line on its own date: a yearly offer starts a subscription (S1)
    or adds to the running one, co-termed with its contract year (S4); a one-off service
    (hours, days, units) is recorded as delivered."""
    line = QuoteLine.objects.select_for_update().select_related("quote", "offer").get(pk=line.pk)
    if line.quote.status != Quote.Status.APPROVED:
        raise ValidationError(LINE_NOT_APPROVED)
    if line.activated_on is not None:
        raise ValidationError(LINE_ALREADY_ACTIVE)
    if line.quote.decided_at and activated_on < timezone.localdate(line.quote.decided_at):
        raise ValidationError({"activated_on": ACTIVATION_BEFORE_APPROVAL})
    collectivite = line.quote.collectivite
    if line.offer.is_yearly:
        line.subscription = _quantity_add(
            collectivite=collectivite,
            offer=line.offer,
            quantity=line.quantity,
            on=activated_on,
            actor=activated_by,
            quote_line=line,
        )
    line.activated_on, line.activated_by = activated_on, activated_by
    line.save(update_fields=["activated_on", "activated_by", "subscription"])
    return line


NOTHING_TO_ACTIVATE = "Toutes les lignes de cette commande sont déjà activées."


@transaction.atomic
def quote_lines_activate_all(
    *, quote: Quote, activated_on: date, activated_by: User | None
) -> list[QuoteLine]:
    """Activate every line of an approved order not yet active, on one date: all of them or,
    if one is refused, none (the error names the line)."""
    pending = list(QuoteLine.objects.filter(quote=quote, activated_on__isnull=True).order_by("id"))
    if not pending:
        raise ValidationError(NOTHING_TO_ACTIVATE)
    done = []
    for line in pending:
        try:
            done.append(
                line_activate(line=line, activated_on=activated_on, activated_by=activated_by)
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                raise
            raise ValidationError(f"« {line.label} » : {exc.messages[0]}") from exc
    return done


def _quantity_add(
    *, collectivite, offer, quantity: Decimal, on: date, actor: User | None, quote_line=None
) -> Subscription:
    """Start a subscription to a yearly offer on `on` (S1), or add to the running one,
    co-termed with its contract year (S4). The caller holds the transaction."""
    running = (
        Subscription.objects.select_for_update()
        .filter(collectivite=collectivite, offer=offer)
        .exclude(status=Subscription.Status.ENDED)
        .first()
    )
    if running is not None and running.status == Subscription.Status.TERMINATING:
        raise ValidationError(ADDITION_TO_TERMINATING)
    if running is None:
        running = Subscription.objects.create(
            collectivite=collectivite, offer=offer, quantity=quantity, activated_on=on
        )
        start = rules.term_start(on)
        ContractYear.objects.create(
            subscription=running, start=start, end=rules.first_anniversary(on)
        )
        summary = (
            f"Abonnement « {offer.name} » activé le {on:%d/%m/%Y} "
            f"({quantity.normalize():f}) : contrat du {start:%d/%m/%Y}, première "
            f"échéance le {rules.first_anniversary(on):%d/%m/%Y}."
        )
    else:
        running.quantity += quantity
        running.save(update_fields=["quantity"])
        QuantityChange.objects.create(
            subscription=running,
            delta=quantity,
            effective_on=on,
            quote_line=quote_line,
            applied=True,
        )
        summary = (
            f"Ajout de {quantity.normalize():f} à « {offer.name} » le "
            f"{on:%d/%m/%Y}, aligné sur l'année de contrat "
            f"({rules.coterm_months(running.activated_on, on)} mois)."
        )
    events.subscription_event(
        subscription=running, actor=actor, action="subscription.activated", summary=summary
    )
    return running


@transaction.atomic
def quantity_add(
    *, collectivite, offer, quantity: Decimal, on: date, actor: User | None
) -> Subscription:
    """Add `quantity` of a yearly offer outside a quote (an approved quota increase, A4):
    billed like any addition (co-termed, B2), or a new subscription when none runs."""
    if not offer.is_yearly:
        raise ValidationError(NOT_YEARLY)
    if quantity <= 0:
        raise ValidationError(ADDITION_NOT_POSITIVE)
    return _quantity_add(
        collectivite=collectivite, offer=offer, quantity=quantity, on=on, actor=actor
    )


def renewals_run(*, today: date) -> int:
    """S2, the daily job: at each anniversary a subscription runs another year unless its
    termination takes effect by then; subscriptions past their effective end are ended.
    Idempotent: a contract year is created once (unique start)."""
    created = 0
    for subscription in Subscription.objects.exclude(status=Subscription.Status.ENDED):
        with transaction.atomic():
            sub = Subscription.objects.select_for_update().get(pk=subscription.pk)
            latest = sub.years.order_by("-start").first()
            while (
                latest is not None
                and latest.end <= today
                and (sub.ends_on is None or latest.end < sub.ends_on)
            ):
                try:
                    with transaction.atomic():
                        latest = ContractYear.objects.create(
                            subscription=sub, start=latest.end, end=rules.add_months(latest.end, 12)
                        )
                except IntegrityError:
                    latest = sub.years.get(start=latest.end)
                    continue
                created += 1
                events.subscription_event(
                    subscription=sub,
                    actor=None,
                    action="subscription.renewed",
                    summary=f"« {sub.offer.name} » reconduit pour l'année du "
                    f"{latest.start:%d/%m/%Y} au {latest.end - timedelta(days=1):%d/%m/%Y}.",
                )
            _apply_due_reductions(sub, today)
            if sub.ends_on is not None and sub.ends_on <= today:
                sub.status = Subscription.Status.ENDED
                sub.save(update_fields=["status"])
    return created


def _apply_due_reductions(sub: Subscription, today: date) -> None:
    """A reduction (S4) lowers the quantity from its effective end, once."""
    for change in sub.changes.filter(applied=False, effective_on__lte=today):
        sub.quantity += change.delta
        change.applied = True
        change.save(update_fields=["applied"])
        sub.save(update_fields=["quantity"])
        events.subscription_event(
            subscription=sub,
            actor=None,
            action="subscription.reduced",
            summary=f"« {sub.offer.name} » ramené à {sub.quantity.normalize():f} le "
            f"{change.effective_on:%d/%m/%Y}.",
        )


@transaction.atomic
def termination_record(
    *,
    subscription: Subscription,
    received_on: date,
    today: date,
    requested_by: User | None = None,
    recorded_by: User | None = None,
    quantity: Decimal | None = None,
) -> Termination:
    """S3: a termination received on `received_on` ends the subscription (or, with
    `quantity`, that part of it: S4) at the effective end the rule gives, answered at once."""
    sub = (
        Subscription.objects.select_for_update()
        .select_related("offer", "collectivite")
        .get(pk=subscription.pk)
    )
    if (
        requested_by is not None
        and not sub.collectivite.memberships.filter(user=requested_by, role=Role.SIGNATORY).exists()
    ):
        raise ValidationError(NOT_SIGNATORY)
    if sub.ends_on is not None:
        last_day = sub.ends_on - timedelta(days=1)
        raise ValidationError(SUBSCRIPTION_ENDED.format(date=f"{last_day:%d/%m/%Y}"))
    if received_on > today:
        raise ValidationError({"received_on": RECEIVED_IN_FUTURE})
    if received_on < sub.activated_on:
        raise ValidationError({"received_on": RECEIVED_BEFORE_ACTIVATION})
    if quantity is not None and quantity <= 0:
        raise ValidationError({"quantity": REDUCTION_NOT_POSITIVE})
    pending = sub.changes.filter(applied=False, delta__lt=0).aggregate(total=Sum("delta"))["total"]
    remaining = sub.quantity + (pending or 0)  # reductions already waiting for their date
    if quantity is not None and quantity >= remaining:
        raise ValidationError(
            {"quantity": REDUCTION_TOO_LARGE.format(quantity=remaining.normalize())}
        )
    effective_end = rules.termination_effective_end(sub.activated_on, received_on)
    termination = Termination.objects.create(
        subscription=sub,
        quantity=quantity,
        received_on=received_on,
        effective_end=effective_end,
        requested_by=requested_by,
        recorded_by=recorded_by,
        quantity_held=sub.quantity,
    )
    if quantity is None:
        # A termination recorded late (received before an anniversary the renewal job has
        # already passed) removes the years that start on or after its effective end.
        sub.years.filter(start__gte=effective_end).exclude(pk__in=_invoiced_year_ids(sub)).delete()
    if quantity is None:
        sub.ends_on = effective_end
        sub.status = Subscription.Status.TERMINATING
        sub.save(update_fields=["ends_on", "status"])
    else:
        QuantityChange.objects.create(subscription=sub, delta=-quantity, effective_on=effective_end)
    events.termination_event(termination=termination, actor=requested_by or recorded_by)
    # B2: ending a contract year already invoiced credits the whole months not used.
    from billing.services import credit_for_termination

    credit_for_termination(termination=termination, today=today)
    notifications.notify(
        template="termination_received",
        to=notifications.signatories(sub.collectivite),
        context={
            "collectivite": sub.collectivite.name,
            "offer": sub.offer.name,
            "received_on": f"{received_on:%d/%m/%Y}",
            "last_day": f"{effective_end - timedelta(days=1):%d/%m/%Y}",
            "url": site_url(sub.collectivite.primary_domain_name, "/contrats/"),
        },
    )
    return termination


def _invoiced_year_ids(sub: Subscription) -> list[int]:
    from billing.models import InvoiceLine

    sources = InvoiceLine.objects.filter(subscription=sub, source__startswith="year:").values_list(
        "source", flat=True
    )
    return [int(source.split(":")[1]) for source in sources]


def renewal_reminders_run(*, today: date) -> int:
    """Tell each collectivité, 3 months before an anniversary, the last day to give notice."""
    sent = 0
    for sub in Subscription.objects.filter(status=Subscription.Status.ACTIVE).select_related(
        "offer", "collectivite"
    ):
        anniversary = rules.next_anniversary(sub.activated_on, today)
        if anniversary > rules.add_months(today, 3) or sub.renewal_reminded_for == anniversary:
            continue
        deadline, for_anniversary = rules.notice_deadline(sub.activated_on, today)
        with transaction.atomic():
            updated = (
                Subscription.objects.filter(pk=sub.pk)
                .exclude(renewal_reminded_for=anniversary)
                .update(renewal_reminded_for=anniversary)
            )
            if not updated:
                continue
            notifications.notify(
                template="renewal_reminder",
                to=notifications.signatories(sub.collectivite)
                + notifications.addresses_of_role(sub.collectivite, Role.FUNCTIONAL_ADMIN),
                context={
                    "collectivite": sub.collectivite.name,
                    "offer": sub.offer.name,
                    "anniversary": f"{anniversary:%d/%m/%Y}",
                    "deadline": f"{deadline:%d/%m/%Y}",
                    "deadline_anniversary": f"{for_anniversary:%d/%m/%Y}",
                    "url": site_url(sub.collectivite.primary_domain_name, "/contrats/"),
                },
            )
            sent += 1
    return sent


__all__ = [
    "ADDITION_NOT_POSITIVE",
    "NOT_YEARLY",
    "quantity_add",
    "ACTIVATION_BEFORE_APPROVAL",
    "ADDITION_TO_TERMINATING",
    "LINE_ALREADY_ACTIVE",
    "LINE_NOT_APPROVED",
    "NOT_SIGNATORY",
    "RECEIVED_BEFORE_ACTIVATION",
    "RECEIVED_IN_FUTURE",
    "REDUCTION_NOT_POSITIVE",
    "REDUCTION_TOO_LARGE",
    "SUBSCRIPTION_ENDED",
    "NOTHING_TO_ACTIVATE",
    "line_activate",
    "quote_lines_activate_all",
    "renewal_reminders_run",
    "renewals_run",
    "termination_record",
]
