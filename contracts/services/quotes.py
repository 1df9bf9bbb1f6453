"""Quotes (Q1–Q4): built from a request or from scratch, priced at their issue date, sent
with their documents, accepted by a signatory, approved or refused by the syndicate."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from catalogue import domain as pricing
from catalogue import selectors as catalogue_selectors
from catalogue.models import Offer
from contracts import events, rules
from contracts import selectors as contract_selectors
from contracts.models import (
    FrameworkSignature,
    Quote,
    QuoteAcceptance,
    QuoteDocument,
    QuoteLine,
    ServiceRequest,
    SupplierOrder,
)
from contracts.services.requests import parse_quantity
from portal import notifications
from portal.models import Collectivite, Membership, Role, User
from portal.services import site_url
from portal.templatetags.portal_format import euros

QUOTE_NOT_DRAFT = "Ce devis a été envoyé : il ne change plus. Créez-en une nouvelle version."
QUOTE_EMPTY = "Le devis n'a aucune ligne."
QUOTE_TITLE_REQUIRED = "Donnez un objet au devis."
QUOTE_NOT_AWAITING_SIGNATURE = "Ce devis n'est plus en attente de signature."
QUOTE_EXPIRED = (
    "Ce devis n'était valable que jusqu'au {date} inclus : il ne peut plus être accepté. "
    "Demandez un nouveau devis au syndicat."
)
PO_REQUIRED = "Indiquez le numéro de bon de commande ou d'engagement."
PO_TOO_LONG = "Le numéro de bon de commande ne peut dépasser 60 caractères."
NOT_SIGNATORY = "Seul un signataire de la collectivité peut accepter un devis."
FRAMEWORK_REQUIRED = "Acceptez aussi la convention cadre, jointe au devis."
DOCUMENTS_CHANGED = (
    "Les documents de ce devis ne sont plus ceux qui ont été envoyés : rien n'a été accepté. "
    "Contactez le syndicat."
)
QUOTE_NOT_ACCEPTED = "Seul un devis accepté par la collectivité peut être approuvé ou refusé."
SUPPLIER_ORDER_REQUIRED = (
    "Ce devis comprend une offre commandée au fournisseur du marché : indiquez la commande "
    "(fournisseur, référence, date)."
)
REFUSAL_REASON_REQUIRED = "Indiquez le motif du refus."
REQUEST_NOT_SUBMITTED = "Seule une demande transmise peut devenir un devis."
QUOTE_BEING_REVISED = (
    "Le syndicat prépare une nouvelle version de ce devis : attendez-la pour signer."
)
PREVIOUS_ACCEPTED = (
    "La version précédente de ce devis a été acceptée entre-temps : cette version ne peut plus "
    "être envoyée."
)
CANNOT_REVISE = "Seul un devis envoyé (ou expiré) peut être remplacé par une nouvelle version."


@transaction.atomic
def quote_create(
    *,
    collectivite: Collectivite,
    title: str,
    created_by: User | None,
    request: ServiceRequest | None = None,
    today: date,
) -> Quote:
    if not title.strip():
        raise ValidationError({"title": QUOTE_TITLE_REQUIRED})
    quote = Quote.objects.create(
        reference="",
        collectivite=collectivite,
        request=request,
        title=title.strip(),
        created_by=created_by,
    )
    # Quote numbers need not be gapless (invoices are): the row id makes them unique.
    quote.reference = f"DEV-{today.year}-{quote.pk:05d}"
    quote.save(update_fields=["reference"])
    events.quote_event(quote=quote, actor=created_by, action="quote.created", summary="Devis créé.")
    return quote


@transaction.atomic
def quote_create_from_request(
    *, request: ServiceRequest, created_by: User | None, today: date
) -> Quote:
    request = ServiceRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != ServiceRequest.Status.SUBMITTED:
        raise ValidationError(REQUEST_NOT_SUBMITTED)
    quote = quote_create(
        collectivite=request.collectivite,
        title=f"Demande n° {request.pk}",
        created_by=created_by,
        request=request,
        today=today,
    )
    for line in request.lines.select_related("offer"):
        QuoteLine.objects.create(
            quote=quote, offer=line.offer, label=line.offer.name, quantity=line.quantity
        )
    request.status = ServiceRequest.Status.QUOTED
    request.save(update_fields=["status", "updated_at"])
    return quote


def _draft(quote: Quote) -> Quote:
    quote = Quote.objects.select_for_update().get(pk=quote.pk)
    if quote.status != Quote.Status.DRAFT:
        raise ValidationError(QUOTE_NOT_DRAFT)
    return quote


@transaction.atomic
def quote_line_set(*, quote: Quote, offer: Offer, quantity) -> QuoteLine:
    """Set the quantity of `offer` in a draft quote (adding the line if needed)."""
    quote = _draft(quote)
    amount = parse_quantity(quantity)
    line, _ = QuoteLine.objects.update_or_create(
        quote=quote, offer=offer, defaults={"quantity": amount, "label": offer.name}
    )
    return line


@transaction.atomic
def quote_line_remove(*, quote: Quote, line_id: int) -> None:
    quote = _draft(quote)
    quote.lines.filter(pk=line_id).delete()


def _price_lines(quote: Quote, today: date) -> Decimal:
    """Price every line from the schedule in force on the issue date (Q2)."""
    schedule_row = catalogue_selectors.schedule_in_force(on=today)
    schedules = [catalogue_selectors.schedule_as_domain(schedule_row)] if schedule_row else []
    holdings = contract_selectors.holdings_by_offer(collectivite=quote.collectivite, on=today)
    errors, total = [], Decimal("0")
    for line in quote.lines.select_related("offer"):
        try:
            [priced] = pricing.price(
                schedules=schedules,
                offer=line.offer.code,
                quantity=line.quantity,
                strate=quote.collectivite.strate,
                on=today,
                held=int(holdings.get(line.offer_id, 0)),
                offer_name=line.offer.name,
            )
        except pricing.PricingError as exc:
            errors.append(str(exc))
            continue
        line.unit_price, line.free_quantity, line.amount = (
            priced.unit_price,
            priced.free_quantity,
            priced.amount,
        )
        line.vat_rate, line.vat_exemption = priced.vat_rate, priced.vat_exemption
        line.annex = catalogue_selectors.annex_current(offer=line.offer)
        line.save()
        total += priced.amount
    if errors:
        raise ValidationError(errors)
    quote.schedule = schedule_row
    return pricing.money(total)


QUOTE_TITLE_FROZEN = (
    "Un devis envoyé ne change plus : préparez une nouvelle version pour changer son objet."
)


@transaction.atomic
def quote_title_update(*, quote: Quote, title: str) -> Quote:
    """The object of a draft quote (Q2: an issued quote never changes)."""
    quote = Quote.objects.select_for_update().get(pk=quote.pk)
    if quote.status != Quote.Status.DRAFT:
        raise ValidationError(QUOTE_TITLE_FROZEN)
    title = " ".join(title.split())
    if not title:
        raise ValidationError({"title": QUOTE_TITLE_REQUIRED})
    quote.title = title
    quote.save(update_fields=["title"])
    return quote


@transaction.atomic
def quote_send(*, quote: Quote, sent_by: User | None, today: date) -> Quote:
    """Issue the quote: price it, freeze it, make its documents, tell the signatories."""
    from contracts.documents import quote_documents_build

    quote = _draft(quote)
    if not quote.lines.exists():
        raise ValidationError(QUOTE_EMPTY)
    if quote.previous is not None:
        previous = Quote.objects.select_for_update().get(pk=quote.previous_id)
        if previous.status not in (Quote.Status.SENT, Quote.Status.EXPIRED):
            raise ValidationError(PREVIOUS_ACCEPTED)
    quote.total_amount = _price_lines(quote, today)
    quote.issue_date = today
    quote.valid_until = rules.quote_valid_until(today)
    quote.status = Quote.Status.SENT
    quote.sent_at = timezone.now()
    quote.save()
    framework = contract_selectors.framework_to_sign(collectivite=quote.collectivite, on=today)
    quote_documents_build(quote, framework=framework)
    if quote.previous is not None and quote.previous.status in (
        Quote.Status.SENT,
        Quote.Status.EXPIRED,
    ):
        Quote.objects.filter(pk=quote.previous.pk).update(status=Quote.Status.SUPERSEDED)
    events.quote_event(
        quote=quote,
        actor=sent_by,
        action="quote.sent",
        summary=f"Devis envoyé ({euros(quote.total_amount)} HT), valable jusqu'au "
        f"{quote.valid_until:%d/%m/%Y}.",
    )
    notifications.notify(
        template="quote_sent",
        to=notifications.signatories(quote.collectivite),
        context=_mail_context(quote),
    )
    return quote


@transaction.atomic
def quote_revise(*, quote: Quote, created_by: User | None) -> Quote:
    """A new version (draft) of a sent quote, with the same lines; sending it supersedes the
    previous version (Q2)."""
    quote = Quote.objects.select_for_update().get(pk=quote.pk)
    if quote.status not in (Quote.Status.SENT, Quote.Status.EXPIRED) or hasattr(
        quote, "next_version"
    ):
        raise ValidationError(CANNOT_REVISE)
    revision = Quote.objects.create(
        reference=quote.reference,
        version=quote.version + 1,
        collectivite=quote.collectivite,
        request=quote.request,
        title=quote.title,
        notes=quote.notes,
        previous=quote,
        created_by=created_by,
    )
    for line in quote.lines.all():
        QuoteLine.objects.create(
            quote=revision, offer=line.offer, label=line.label, quantity=line.quantity
        )
    events.quote_event(
        quote=revision,
        actor=created_by,
        action="quote.revised",
        summary=f"Version {revision.version} préparée (remplacera la version {quote.version}).",
    )
    return revision


@transaction.atomic
def quote_accept(
    *,
    quote: Quote,
    signatory: User,
    po_number: str,
    accept_framework: bool,
    ip_address: str | None,
    today: date,
) -> QuoteAcceptance:
    """Q1, Q3: a signatory accepts a sent quote before it expires, with the purchase-order
    number; the SHA-256 of each document accepted is recorded. Concurrent acceptances: the
    row lock lets exactly one through."""
    from contracts.documents import sha256_of

    quote = Quote.objects.select_for_update().get(pk=quote.pk)
    if not Membership.objects.filter(
        user=signatory, collectivite=quote.collectivite, role=Role.SIGNATORY
    ).exists():
        raise ValidationError(NOT_SIGNATORY)
    # Expiry first: a quote the nightly job already marked says why it can't be signed (Q1).
    if quote.status in (Quote.Status.SENT, Quote.Status.EXPIRED) and rules.quote_is_expired(
        quote.issue_date, today
    ):
        raise ValidationError(QUOTE_EXPIRED.format(date=f"{quote.valid_until:%d/%m/%Y}"))
    if quote.status != Quote.Status.SENT:
        raise ValidationError(QUOTE_NOT_AWAITING_SIGNATURE)
    if Quote.objects.filter(previous=quote).exists():
        raise ValidationError(QUOTE_BEING_REVISED)
    po_number = po_number.strip()
    if not po_number:
        raise ValidationError({"po_number": PO_REQUIRED})
    if len(po_number) > 60:
        raise ValidationError({"po_number": PO_TOO_LONG})
    documents = list(quote.documents.all())
    framework_doc = next((d for d in documents if d.kind == QuoteDocument.Kind.FRAMEWORK), None)
    if framework_doc is not None and not accept_framework:
        raise ValidationError({"accept_framework": FRAMEWORK_REQUIRED})
    hashes = {}
    for document in documents:
        try:
            unchanged = sha256_of(document) == document.sha256
        except FileNotFoundError:
            unchanged = False
        if not unchanged:
            raise ValidationError(DOCUMENTS_CHANGED)
        hashes[document.title] = document.sha256
    now = timezone.now()
    signature = None
    if framework_doc is not None:
        signature, _ = FrameworkSignature.objects.get_or_create(
            collectivite=quote.collectivite,
            agreement=framework_doc.agreement,
            defaults={
                "signed_by": signatory,
                "signed_at": now,
                "ip_address": ip_address,
                "sha256": framework_doc.sha256,
            },
        )
    acceptance = QuoteAcceptance.objects.create(
        quote=quote,
        signed_by=signatory,
        signed_at=now,
        ip_address=ip_address,
        po_number=po_number,
        documents=hashes,
        framework_signature=signature,
    )
    quote.status = Quote.Status.ACCEPTED
    quote.save(update_fields=["status"])
    events.quote_event(
        quote=quote,
        actor=signatory,
        action="quote.accepted",
        summary=f"Devis accepté par {signatory} (bon de commande {po_number}).",
        data={"po_number": po_number, "documents": hashes, "ip": ip_address},
        ip_address=ip_address,
    )
    notifications.notify(
        template="quote_accepted", to=notifications.syndicate_admins(), context=_mail_context(quote)
    )
    return acceptance


def _accepted(quote: Quote) -> Quote:
    quote = Quote.objects.select_for_update().get(pk=quote.pk)
    if quote.status != Quote.Status.ACCEPTED:
        raise ValidationError(QUOTE_NOT_ACCEPTED)
    return quote


@transaction.atomic
def quote_approve(
    *, quote: Quote, approved_by: User, supplier_orders: list[dict] | None = None
) -> Quote:
    """Q4: the syndicate approves an accepted quote, which becomes the order; the supplier
    order is recorded when an offer needs one. Lines are then activated one by one."""
    quote = _accepted(quote)
    orders = [
        o
        for o in (supplier_orders or [])
        if any(v not in (None, "") and str(v).strip() for v in o.values())
    ]
    needs_order = quote.lines.filter(offer__needs_supplier_order=True).exists()
    if needs_order and not orders:
        raise ValidationError(SUPPLIER_ORDER_REQUIRED)
    for order in orders:
        if not (
            order.get("supplier", "").strip()
            and order.get("reference", "").strip()
            and order.get("ordered_on")
        ):
            raise ValidationError(SUPPLIER_ORDER_REQUIRED)
        SupplierOrder.objects.create(
            quote=quote,
            supplier=order["supplier"].strip(),
            reference=order["reference"].strip(),
            ordered_on=order["ordered_on"],
        )
    quote.status = Quote.Status.APPROVED
    quote.decided_at, quote.decided_by = timezone.now(), approved_by
    quote.save(update_fields=["status", "decided_at", "decided_by"])
    events.quote_event(
        quote=quote,
        actor=approved_by,
        action="quote.approved",
        summary="Devis approuvé : commande enregistrée"
        + (
            f" (commande fournisseur {', '.join(o['reference'] for o in orders)})."
            if orders
            else "."
        ),
    )
    notifications.notify(
        template="quote_approved",
        to=notifications.signatories(quote.collectivite)
        + notifications.addresses_of_role(quote.collectivite, Role.FUNCTIONAL_ADMIN),
        context=_mail_context(quote),
    )
    return quote


@transaction.atomic
def quote_refuse(*, quote: Quote, refused_by: User, reason: str) -> Quote:
    quote = _accepted(quote)
    if not reason.strip():
        raise ValidationError({"reason": REFUSAL_REASON_REQUIRED})
    quote.status = Quote.Status.REFUSED
    quote.refusal_reason = reason.strip()
    quote.decided_at, quote.decided_by = timezone.now(), refused_by
    quote.save(update_fields=["status", "refusal_reason", "decided_at", "decided_by"])
    events.quote_event(
        quote=quote,
        actor=refused_by,
        action="quote.refused",
        summary=f"Devis refusé : {reason.strip()}",
    )
    notifications.notify(
        template="quote_refused",
        to=notifications.signatories(quote.collectivite),
        context={**_mail_context(quote), "reason": quote.refusal_reason},
    )
    return quote


def quote_expire_due(*, today: date) -> int:
    """The nightly job: mark sent quotes past their validity and tell the collectivité (the
    decision itself is taken at signing, Q1). Idempotent."""
    expired = 0
    for quote in Quote.objects.filter(status=Quote.Status.SENT, valid_until__lt=today):
        with transaction.atomic():
            locked = Quote.objects.select_for_update().get(pk=quote.pk)
            if locked.status != Quote.Status.SENT:
                continue
            locked.status, locked.expired_at = Quote.Status.EXPIRED, timezone.now()
            locked.save(update_fields=["status", "expired_at"])
            events.quote_event(
                quote=locked, actor=None, action="quote.expired", summary="Devis expiré."
            )
            notifications.notify(
                template="quote_expired",
                to=notifications.signatories(locked.collectivite),
                context=_mail_context(locked),
            )
            expired += 1
    return expired


def quote_remind_due(*, today: date) -> int:
    """Remind the signatories 7 days before a quote expires (once)."""
    from datetime import timedelta

    reminded = 0
    due = Quote.objects.filter(
        status=Quote.Status.SENT,
        reminded_at__isnull=True,
        valid_until__lte=today + timedelta(days=7),
        valid_until__gte=today,
    )
    for quote in due:
        with transaction.atomic():
            updated = Quote.objects.filter(pk=quote.pk, reminded_at__isnull=True).update(
                reminded_at=timezone.now()
            )
            if updated:
                notifications.notify(
                    template="quote_expiring",
                    to=notifications.signatories(quote.collectivite),
                    context=_mail_context(quote),
                )
                reminded += 1
    return reminded


def _mail_context(quote: Quote) -> dict:
    return {
        "collectivite": quote.collectivite.name,
        "quote": quote.label,
        "title": quote.title,
        "total": euros(quote.total_amount).replace("\u00a0€", ""),
        "valid_until": f"{quote.valid_until:%d/%m/%Y}" if quote.valid_until else "",
        "url": site_url(quote.collectivite.primary_domain_name, f"/devis/{quote.pk}/"),
    }


__all__ = [
    "QUOTE_TITLE_FROZEN",
    "quote_title_update",
    "CANNOT_REVISE",
    "DOCUMENTS_CHANGED",
    "FRAMEWORK_REQUIRED",
    "NOT_SIGNATORY",
    "PO_REQUIRED",
    "PO_TOO_LONG",
    "PREVIOUS_ACCEPTED",
    "QUOTE_BEING_REVISED",
    "QUOTE_EMPTY",
    "QUOTE_EXPIRED",
    "QUOTE_NOT_ACCEPTED",
    "QUOTE_NOT_AWAITING_SIGNATURE",
    "QUOTE_NOT_DRAFT",
    "QUOTE_TITLE_REQUIRED",
    "REFUSAL_REASON_REQUIRED",
    "REQUEST_NOT_SUBMITTED",
    "SUPPLIER_ORDER_REQUIRED",
    "quote_accept",
    "quote_approve",
    "quote_create",
    "quote_create_from_request",
    "quote_expire_due",
    "quote_line_remove",
    "quote_line_set",
    "quote_refuse",
    "quote_remind_due",
    "quote_revise",
    "quote_send",
]
