"""Requests, quotes and subscriptions in the JSON API (/api/v1/).

Reads are open to every member of the syndicate's staff, writes to its administrators. The
one exception is acceptance (`POST /quotes/{id}/accept`): it is the act of a signatory of the
quote's collectivité (DESIGN Q3), never of the syndicate, so it is allowed only to a token
whose user is a signatory of that collectivité. Staff tokens get a 403; anyone else a 404 —
a quote of another collectivité is not revealed (DESIGN §2).

The router is mounted by `portal.api`, which owns authentication and turns errors into French
JSON: `Http404` → 404, `HttpError` → its status with `detail`, a `ValidationError` of the
services → 422 with `detail` and the field `errors`.

Money is a string with two decimals ("1234.50"); quantities and VAT rates are decimal strings
without trailing zeros ("5", "2.5", "0.2"); dates are ISO (YYYY-MM-DD). End dates are
exclusive (the first day no longer covered), as in DESIGN §4; `last_covered_day` gives the
last day covered, as pages show it.
"""

# No `from __future__ import annotations`: ninja reads the annotations of the endpoints
# wrapped by `paginate` in the globals of ninja.pagination, where `Query` and the schemas are
# unknown.

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from catalogue.models import Offer
from contracts import rules, services
from contracts.models import (
    Quote,
    QuoteAcceptance,
    QuoteLine,
    ServiceRequest,
    Subscription,
    Termination,
)
from portal.access import is_syndicate_admin, is_syndicate_staff, roles_in
from portal.adapters import recorded_address
from portal.api_common import (
    ERRORS,
    WRITE_ERRORS,
    BoundedPagination,
    ErrorOut,
    InvalidOut,
    _require,
)
from portal.api_common import Page as _Page
from portal.api_common import email_of as _email
from portal.api_common import last_day as _last_day
from portal.api_common import money_out as _money
from portal.api_common import number_out as _number
from portal.models import Collectivite, Role

UNKNOWN_COLLECTIVITE = "Collectivité inconnue."
UNKNOWN_REQUEST = "Demande inconnue."
UNKNOWN_OFFER = "Offre inconnue : « {code} »."
REQUEST_OF_ANOTHER_COLLECTIVITE = "Cette demande est celle d'une autre collectivité."
LINE_NOT_IN_QUOTE = "Cette ligne n'appartient pas à ce devis."
ACCEPT_SIGNATORY_ONLY = (
    "Seul un signataire de la collectivité peut accepter un devis : le syndicat ne signe pas "
    "à sa place."
)

router = Router()

CENT = Decimal("0.01")


# --- Schemas ---------------------------------------------------------------------------------


class RequestLineOut(Schema):
    id: int
    offer: str
    offer_name: str
    quantity: str
    note: str


class RequestOut(Schema):
    id: int
    collectivite: int
    collectivite_name: str
    status: str
    status_label: str
    domain_choice: str
    domain_name: str
    users_count: int | None
    migration_study: bool
    notes: str
    created_at: dt.datetime
    submitted_at: dt.datetime | None
    submitted_by: str | None
    lines: list[RequestLineOut]
    quotes: list[int]


class RequestFilters(Schema):
    collectivite: int | None = Field(None, description="Identifiant de la collectivité.")
    status: ServiceRequest.Status | None = Field(
        None, description="État : draft (brouillon), submitted (transmise), quoted (devis établi)."
    )


class QuoteOut(Schema):
    id: int
    reference: str
    version: int
    collectivite: int
    collectivite_name: str
    request: int | None
    status: str
    status_label: str
    title: str
    issue_date: dt.date | None
    valid_until: dt.date | None
    total: str
    previous: int | None
    created_at: dt.datetime
    sent_at: dt.datetime | None
    decided_at: dt.datetime | None


class AnnexRefOut(Schema):
    version: int
    title: str


class QuoteLineOut(Schema):
    id: int
    quote: int
    offer: str
    offer_name: str
    label: str
    quantity: str
    unit_price: str
    free_quantity: str
    amount: str
    vat_rate: str | None
    vat_exemption: str
    annex: AnnexRefOut | None
    activated_on: dt.date | None
    subscription: int | None


class VatTotalOut(Schema):
    rate: str
    base: str
    amount: str


class TotalsOut(Schema):
    total_ht: str
    vat: list[VatTotalOut]
    total_vat: str
    total_ttc: str


class DocumentOut(Schema):
    id: int
    kind: str
    title: str
    sha256: str


class AcceptanceOut(Schema):
    signed_by: str
    signed_by_name: str
    signed_at: dt.datetime
    ip_address: str | None
    po_number: str
    documents: dict[str, str]
    framework_agreement_version: int | None


class SupplierOrderOut(Schema):
    supplier: str
    reference: str
    ordered_on: dt.date


class QuoteDetailOut(QuoteOut):
    notes: str
    schedule: int | None
    next_version: int | None
    decided_by: str | None
    refusal_reason: str
    expired_at: dt.datetime | None
    lines: list[QuoteLineOut]
    totals: TotalsOut
    documents: list[DocumentOut]
    acceptance: AcceptanceOut | None
    supplier_orders: list[SupplierOrderOut]


class QuoteFilters(Schema):
    collectivite: int | None = Field(None, description="Identifiant de la collectivité.")
    status: Quote.Status | None = Field(
        None,
        description="État : draft, sent, accepted, approved, refused, expired, superseded.",
    )


# Quantities as the columns hold them (10 digits, 2 decimals): beyond, a 422, not a 500.
QuantityIn = Field(..., max_digits=10, decimal_places=2, description="Quantité (ex. 3 ou 1.5).")


class QuoteLineIn(Schema):
    offer: str = Field(..., description="Code de l'offre.")
    quantity: Decimal = QuantityIn


class QuoteIn(Schema):
    collectivite: int = Field(..., description="Identifiant de la collectivité.")
    title: str = Field(
        "",
        description="Objet du devis ; obligatoire sans demande (« Demande n° N » par défaut).",
    )
    lines: list[QuoteLineIn] = Field(
        [],
        description="Lignes ; avec une demande, elles s'ajoutent à ses lignes ou en "
        "remplacent la quantité pour la même offre.",
    )
    request: int | None = Field(
        None, description="Demande transmise d'où part le devis (elle passe à « devis établi »)."
    )


class AcceptIn(Schema):
    po_number: str = Field(..., description="Numéro de bon de commande ou d'engagement.")
    accept_framework: bool = Field(
        False, description="Acceptation de la convention cadre jointe au devis, s'il y en a une."
    )


class SupplierOrderIn(Schema):
    supplier: str
    reference: str
    ordered_on: dt.date


class ApproveIn(Schema):
    supplier_orders: list[SupplierOrderIn] = Field(
        [], description="Commandes au fournisseur du marché, obligatoires si une offre en exige."
    )


class RefuseIn(Schema):
    reason: str = Field(..., description="Motif du refus, communiqué aux signataires.")


class ActivateIn(Schema):
    activated_on: dt.date = Field(..., description="Date de mise à disposition (AAAA-MM-JJ).")


class YearOut(Schema):
    start: dt.date
    end: dt.date


class PendingChangeOut(Schema):
    delta: str
    effective_on: dt.date


class SubscriptionOut(Schema):
    id: int
    collectivite: int
    collectivite_name: str
    offer: str
    offer_name: str
    quantity: str
    status: str
    status_label: str
    activated_on: dt.date
    term_start: dt.date
    first_anniversary: dt.date
    current_year: YearOut | None
    next_renewal: dt.date | None = Field(
        ..., description="Prochaine reconduction tacite ; aucune si une résiliation est reçue."
    )
    notice_deadline: dt.date | None = Field(
        ..., description="Dernier jour pour que la résiliation parvienne au syndicat."
    )
    notice_deadline_anniversary: dt.date | None = Field(
        ..., description="Échéance à laquelle une résiliation reçue ce jour-là met fin."
    )
    ends_on: dt.date | None = Field(..., description="Fin effective (exclue).")
    last_covered_day: dt.date | None
    pending_changes: list[PendingChangeOut]


class TerminationOut(Schema):
    id: int
    subscription: int
    quantity: str | None
    received_on: dt.date
    effective_end: dt.date = Field(..., description="Fin effective (exclue).")
    last_covered_day: dt.date
    recorded_by: str | None
    requested_by: str | None
    created_at: dt.datetime


class SubscriptionDetailOut(SubscriptionOut):
    years: list[YearOut]
    terminations: list[TerminationOut]


class SubscriptionFilters(Schema):
    collectivite: int | None = Field(None, description="Identifiant de la collectivité.")
    status: Subscription.Status | None = Field(
        None, description="État : active (en cours), terminating (résiliation en cours), ended."
    )


class TerminateIn(Schema):
    received_on: dt.date = Field(
        ..., description="Date de réception de la résiliation par le syndicat (AAAA-MM-JJ)."
    )
    quantity: Decimal | None = Field(
        None,
        max_digits=10,
        decimal_places=2,
        description="Quantité résiliée (réduction) ; absente : tout l'abonnement.",
    )


# --- Serialisation ---------------------------------------------------------------------------


def _request_out(req: ServiceRequest) -> dict:
    return {
        "id": req.pk,
        "collectivite": req.collectivite_id,
        "collectivite_name": req.collectivite.name,
        "status": req.status,
        "status_label": str(req.get_status_display()),
        "domain_choice": req.domain_choice,
        "domain_name": req.domain_name,
        "users_count": req.users_count,
        "migration_study": req.migration_study,
        "notes": req.notes,
        "created_at": req.created_at,
        "submitted_at": req.submitted_at,
        "submitted_by": _email(req.submitted_by),
        "lines": [
            {
                "id": line.pk,
                "offer": line.offer.code,
                "offer_name": line.offer.name,
                "quantity": _number(line.quantity),
                "note": line.note,
            }
            for line in req.lines.all()
        ],
        "quotes": [quote.pk for quote in req.quotes.all()],
    }


def _requests():
    return ServiceRequest.objects.select_related("collectivite", "submitted_by").prefetch_related(
        "lines__offer", Prefetch("quotes", queryset=Quote.objects.order_by("version", "id"))
    )


def _quote_out(quote: Quote) -> dict:
    return {
        "id": quote.pk,
        "reference": quote.reference,
        "version": quote.version,
        "collectivite": quote.collectivite_id,
        "collectivite_name": quote.collectivite.name,
        "request": quote.request_id,
        "status": quote.status,
        "status_label": str(quote.get_status_display()),
        "title": quote.title,
        "issue_date": quote.issue_date,
        "valid_until": quote.valid_until,
        "total": _money(quote.total_amount),
        "previous": quote.previous_id,
        "created_at": quote.created_at,
        "sent_at": quote.sent_at,
        "decided_at": quote.decided_at,
    }


def _line_out(line: QuoteLine) -> dict:
    return {
        "id": line.pk,
        "quote": line.quote_id,
        "offer": line.offer.code,
        "offer_name": line.offer.name,
        "label": line.label,
        "quantity": _number(line.quantity),
        "unit_price": _money(line.unit_price),
        "free_quantity": _number(line.free_quantity),
        "amount": _money(line.amount),
        "vat_rate": _number(line.vat_rate),
        "vat_exemption": line.vat_exemption,
        "annex": (
            {"version": line.annex.version, "title": line.annex.title} if line.annex else None
        ),
        "activated_on": line.activated_on,
        "subscription": line.subscription_id,
    }


def _totals(lines: list[QuoteLine]) -> dict:
    """Totals as the quote's PDF prints them: VAT per rate on the sum of its lines, rounded
    half-up to the cent (DESIGN §2)."""
    total_ht = sum((line.amount for line in lines), Decimal("0"))
    by_rate: dict[Decimal, Decimal] = {}
    for line in lines:
        if line.vat_rate is not None:
            by_rate[line.vat_rate] = by_rate.get(line.vat_rate, Decimal("0")) + line.amount
    vat = [
        (rate, base, (base * rate).quantize(CENT, rounding=ROUND_HALF_UP))
        for rate, base in sorted(by_rate.items())
    ]
    total_vat = sum((amount for _, _, amount in vat), Decimal("0"))
    return {
        "total_ht": _money(total_ht),
        "vat": [
            {"rate": _number(rate), "base": _money(base), "amount": _money(amount)}
            for rate, base, amount in vat
        ],
        "total_vat": _money(total_vat),
        "total_ttc": _money(total_ht + total_vat),
    }


def _quote_detail(quote_id: int) -> dict:
    try:
        quote = (
            Quote.objects.select_related("collectivite", "decided_by")
            .prefetch_related("documents", "supplier_orders")
            .get(pk=quote_id)
        )
    except Quote.DoesNotExist as exc:
        raise Http404 from exc
    lines = list(quote.lines.select_related("offer", "annex").order_by("id"))
    acceptance = (
        QuoteAcceptance.objects.select_related("signed_by", "framework_signature__agreement")
        .filter(quote=quote)
        .first()
    )
    next_version = Quote.objects.filter(previous=quote).values_list("pk", flat=True).first()
    return {
        **_quote_out(quote),
        "notes": quote.notes,
        "schedule": quote.schedule_id,
        "next_version": next_version,
        "decided_by": _email(quote.decided_by),
        "refusal_reason": quote.refusal_reason,
        "expired_at": quote.expired_at,
        "lines": [_line_out(line) for line in lines],
        "totals": _totals(lines),
        "documents": [
            {"id": d.pk, "kind": d.kind, "title": d.title, "sha256": d.sha256}
            for d in quote.documents.all()
        ],
        "acceptance": (
            None
            if acceptance is None
            else {
                "signed_by": acceptance.signed_by.email,
                "signed_by_name": str(acceptance.signed_by),
                "signed_at": acceptance.signed_at,
                "ip_address": acceptance.ip_address,
                "po_number": acceptance.po_number,
                "documents": acceptance.documents,
                "framework_agreement_version": (
                    acceptance.framework_signature.agreement.version
                    if acceptance.framework_signature
                    else None
                ),
            }
        ),
        "supplier_orders": [
            {"supplier": o.supplier, "reference": o.reference, "ordered_on": o.ordered_on}
            for o in sorted(quote.supplier_orders.all(), key=lambda o: o.pk)
        ],
    }


def _quote_or_404(quote_id: int) -> Quote:
    quote = Quote.objects.select_related("collectivite").filter(pk=quote_id).first()
    if quote is None:
        raise Http404
    return quote


def _subscription_out(sub: Subscription, today: dt.date) -> dict:
    running = sub.ends_on is None
    deadline, deadline_for = (
        rules.notice_deadline(sub.activated_on, today) if running else (None, None)
    )
    ended = sub.status == Subscription.Status.ENDED
    year = None if ended else rules.contract_year(sub.activated_on, today)
    return {
        "id": sub.pk,
        "collectivite": sub.collectivite_id,
        "collectivite_name": sub.collectivite.name,
        "offer": sub.offer.code,
        "offer_name": sub.offer.name,
        "quantity": _number(sub.quantity),
        "status": sub.status,
        "status_label": str(sub.get_status_display()),
        "activated_on": sub.activated_on,
        "term_start": rules.term_start(sub.activated_on),
        "first_anniversary": rules.first_anniversary(sub.activated_on),
        "current_year": None if year is None else {"start": year[0], "end": year[1]},
        "next_renewal": rules.next_anniversary(sub.activated_on, today) if running else None,
        "notice_deadline": deadline,
        "notice_deadline_anniversary": deadline_for,
        "ends_on": sub.ends_on,
        "last_covered_day": _last_day(sub.ends_on),
        "pending_changes": [
            {"delta": _number(c.delta), "effective_on": c.effective_on}
            for c in sub.changes.all()
            if not c.applied
        ],
    }


def _termination_out(termination: Termination) -> dict:
    return {
        "id": termination.pk,
        "subscription": termination.subscription_id,
        "quantity": _number(termination.quantity),
        "received_on": termination.received_on,
        "effective_end": termination.effective_end,
        "last_covered_day": _last_day(termination.effective_end),
        "recorded_by": _email(termination.recorded_by),
        "requested_by": _email(termination.requested_by),
        "created_at": termination.created_at,
    }


def _subscriptions():
    return Subscription.objects.select_related("collectivite", "offer").prefetch_related("changes")


def _client_ip(request) -> str | None:
    return recorded_address(request)


# --- Requests --------------------------------------------------------------------------------


@router.get(
    "/requests",
    response={200: list[RequestOut], 422: InvalidOut, **ERRORS},
    tags=["demandes"],
    summary="Lister les demandes des collectivités (filtres : collectivité, état)",
)
@paginate(BoundedPagination)
def request_list(request, filters: Query[RequestFilters]):
    _require(request, is_syndicate_staff)
    rows = _requests().order_by("-created_at", "-id")
    if filters.collectivite is not None:
        rows = rows.filter(collectivite_id=filters.collectivite)
    if filters.status is not None:
        rows = rows.filter(status=filters.status)
    return _Page(rows, _request_out)


@router.get(
    "/requests/{request_id}",
    response={200: RequestOut, 404: ErrorOut, **ERRORS},
    tags=["demandes"],
    summary="Lire une demande : besoins, lignes et devis établis",
)
def request_read(request, request_id: int):
    _require(request, is_syndicate_staff)
    row = _requests().filter(pk=request_id).first()
    if row is None:
        raise Http404
    return _request_out(row)


# --- Quotes ----------------------------------------------------------------------------------


@router.get(
    "/quotes",
    response={200: list[QuoteOut], 422: InvalidOut, **ERRORS},
    tags=["devis"],
    summary="Lister les devis (filtres : collectivité, état)",
)
@paginate(BoundedPagination)
def quote_list(request, filters: Query[QuoteFilters]):
    _require(request, is_syndicate_staff)
    rows = Quote.objects.select_related("collectivite").order_by("-created_at", "-id")
    if filters.collectivite is not None:
        rows = rows.filter(collectivite_id=filters.collectivite)
    if filters.status is not None:
        rows = rows.filter(status=filters.status)
    return _Page(rows, _quote_out)


@router.get(
    "/quotes/{quote_id}",
    response={200: QuoteDetailOut, 404: ErrorOut, **ERRORS},
    tags=["devis"],
    summary="Lire un devis : lignes, totaux, documents, acceptation, commandes fournisseur",
)
def quote_read(request, quote_id: int):
    _require(request, is_syndicate_staff)
    return _quote_detail(quote_id)


@router.post(
    "/quotes",
    response={201: QuoteDetailOut, **WRITE_ERRORS},
    tags=["devis"],
    summary="Créer un devis (brouillon), de toutes pièces ou à partir d'une demande transmise",
)
def quote_create(request, payload: QuoteIn):
    _require(request, is_syndicate_admin)
    today = timezone.localdate()
    errors: dict[str, str] = {}
    collectivite = Collectivite.objects.filter(pk=payload.collectivite).first()
    if collectivite is None:
        errors["collectivite"] = UNKNOWN_COLLECTIVITE
    source = None
    if payload.request is not None:
        source = ServiceRequest.objects.filter(pk=payload.request).first()
        if source is None:
            errors["request"] = UNKNOWN_REQUEST
        elif collectivite is not None and source.collectivite_id != collectivite.pk:
            errors["request"] = REQUEST_OF_ANOTHER_COLLECTIVITE
    offers = {o.code: o for o in Offer.objects.filter(code__in=[x.offer for x in payload.lines])}
    for index, line in enumerate(payload.lines):
        if line.offer not in offers:
            errors[f"lines.{index}.offer"] = UNKNOWN_OFFER.format(code=line.offer)
    if errors:
        raise ValidationError(errors)
    # One transaction: a line refused leaves no quote behind (P3).
    with transaction.atomic():
        if source is not None:
            quote = services.quote_create_from_request(
                request=source, created_by=request.user, today=today
            )
            if payload.title.strip():
                # Still a draft: its object can change; the service names it after the request.
                Quote.objects.filter(pk=quote.pk).update(title=payload.title.strip())
        else:
            quote = services.quote_create(
                collectivite=collectivite,
                title=payload.title,
                created_by=request.user,
                today=today,
            )
        for index, line in enumerate(payload.lines):
            try:
                services.quote_line_set(
                    quote=quote, offer=offers[line.offer], quantity=line.quantity
                )
            except ValidationError as exc:
                errors[f"lines.{index}.quantity"] = " ".join(exc.messages)
        if errors:
            raise ValidationError(errors)
    return Status(201, _quote_detail(quote.pk))


@router.post(
    "/quotes/{quote_id}/lines",
    response={200: QuoteDetailOut, **WRITE_ERRORS},
    tags=["devis"],
    summary="Fixer la quantité d'une offre dans un devis brouillon (ajoute la ligne au besoin)",
)
def quote_line_set(request, quote_id: int, payload: QuoteLineIn):
    _require(request, is_syndicate_admin)
    quote = _quote_or_404(quote_id)
    offer = Offer.objects.filter(code=payload.offer).first()
    if offer is None:
        raise ValidationError({"offer": UNKNOWN_OFFER.format(code=payload.offer)})
    services.quote_line_set(quote=quote, offer=offer, quantity=payload.quantity)
    return _quote_detail(quote.pk)


@router.delete(
    "/quotes/{quote_id}/lines/{line_id}",
    response={200: QuoteDetailOut, **WRITE_ERRORS},
    tags=["devis"],
    summary="Retirer une ligne d'un devis brouillon",
)
def quote_line_remove(request, quote_id: int, line_id: int):
    _require(request, is_syndicate_admin)
    quote = _quote_or_404(quote_id)
    if not quote.lines.filter(pk=line_id).exists():
        raise Http404
    services.quote_line_remove(quote=quote, line_id=line_id)
    return _quote_detail(quote.pk)


@router.post(
    "/quotes/{quote_id}/send",
    response={200: QuoteDetailOut, **WRITE_ERRORS},
    tags=["devis"],
    summary="Envoyer un devis : tarifé à la date du jour, figé, documents PDF, signataires avisés",
)
def quote_send(request, quote_id: int):
    _require(request, is_syndicate_admin)
    quote = _quote_or_404(quote_id)
    services.quote_send(quote=quote, sent_by=request.user, today=timezone.localdate())
    return _quote_detail(quote.pk)


@router.post(
    "/quotes/{quote_id}/revise",
    response={201: QuoteDetailOut, **WRITE_ERRORS},
    tags=["devis"],
    summary="Préparer une nouvelle version d'un devis envoyé ou expiré (brouillon)",
    description="L'envoi de la nouvelle version remplace la précédente (état « remplacé »).",
)
def quote_revise(request, quote_id: int):
    _require(request, is_syndicate_admin)
    quote = _quote_or_404(quote_id)
    revision = services.quote_revise(quote=quote, created_by=request.user)
    return Status(201, _quote_detail(revision.pk))


@router.post(
    "/quotes/{quote_id}/accept",
    response={200: QuoteDetailOut, **WRITE_ERRORS},
    tags=["devis"],
    summary="Accepter un devis (signataire de la collectivité uniquement)",
    description=(
        "L'acceptation est l'acte d'un signataire de la collectivité (maire, président ou "
        "délégué), d'ordinaire sur le site de la collectivité. Par l'API, elle n'est permise "
        "qu'à un jeton dont l'utilisateur est signataire de la collectivité du devis — pour "
        "les tests d'intégration et de futurs jetons de signataires : un jeton du personnel "
        "du syndicat reçoit 403, tout autre jeton 404. Sont enregistrés le signataire, "
        "l'heure, l'adresse IP de l'appel, le numéro de bon de commande et l'empreinte "
        "SHA-256 de chaque document envoyé ; `accept_framework` est requis quand la "
        "convention cadre est jointe."
    ),
)
def quote_accept(request, quote_id: int, payload: AcceptIn):
    quote = _quote_or_404(quote_id)
    is_signatory = Role.SIGNATORY in roles_in(request.user, quote.collectivite)
    if not is_signatory:
        if is_syndicate_staff(request.user):
            raise HttpError(403, ACCEPT_SIGNATORY_ONLY)
        raise Http404  # another collectivité's quote is not revealed
    # a signatory who is also staff still owes the second factor
    _require(request, lambda user: True)
    services.quote_accept(
        quote=quote,
        signatory=request.user,
        po_number=payload.po_number,
        accept_framework=payload.accept_framework,
        ip_address=_client_ip(request),
        today=timezone.localdate(),
    )
    return _quote_detail(quote.pk)


@router.post(
    "/quotes/{quote_id}/approve",
    response={200: QuoteDetailOut, **WRITE_ERRORS},
    tags=["devis"],
    summary="Approuver un devis accepté : la commande est enregistrée",
    description="Les commandes au fournisseur du marché sont obligatoires si une offre en exige.",
)
def quote_approve(request, quote_id: int, payload: ApproveIn):
    _require(request, is_syndicate_admin)
    quote = _quote_or_404(quote_id)
    services.quote_approve(
        quote=quote,
        approved_by=request.user,
        supplier_orders=[order.dict() for order in payload.supplier_orders],
    )
    return _quote_detail(quote.pk)


@router.post(
    "/quotes/{quote_id}/refuse",
    response={200: QuoteDetailOut, **WRITE_ERRORS},
    tags=["devis"],
    summary="Refuser un devis accepté, avec le motif communiqué aux signataires",
)
def quote_refuse(request, quote_id: int, payload: RefuseIn):
    _require(request, is_syndicate_admin)
    quote = _quote_or_404(quote_id)
    services.quote_refuse(quote=quote, refused_by=request.user, reason=payload.reason)
    return _quote_detail(quote.pk)


# --- Subscriptions ---------------------------------------------------------------------------


@router.post(
    "/quote-lines/{line_id}/activate",
    response={200: QuoteLineOut, **WRITE_ERRORS},
    tags=["abonnements"],
    summary="Activer une ligne d'un devis approuvé à sa date (crée ou complète l'abonnement)",
)
def line_activate(request, line_id: int, payload: ActivateIn):
    _require(request, is_syndicate_admin)
    line = QuoteLine.objects.filter(pk=line_id).first()
    if line is None:
        raise Http404
    services.line_activate(line=line, activated_on=payload.activated_on, activated_by=request.user)
    return _line_out(QuoteLine.objects.select_related("offer", "annex").get(pk=line_id))


@router.get(
    "/subscriptions",
    response={200: list[SubscriptionOut], 422: InvalidOut, **ERRORS},
    tags=["abonnements"],
    summary="Lister les abonnements et leurs dates (échéance, préavis, fin)",
    description=(
        "Dates calculées au jour de l'appel : début du contrat, première échéance, année en "
        "cours, prochaine reconduction tacite, dernier jour pour résilier et l'échéance à "
        "laquelle cette résiliation met fin, fin effective (exclue) et dernier jour couvert."
    ),
)
@paginate(BoundedPagination)
def subscription_list(request, filters: Query[SubscriptionFilters]):
    _require(request, is_syndicate_staff)
    today = timezone.localdate()
    rows = _subscriptions().order_by("collectivite__name", "offer__name", "id")
    if filters.collectivite is not None:
        rows = rows.filter(collectivite_id=filters.collectivite)
    if filters.status is not None:
        rows = rows.filter(status=filters.status)
    return _Page(rows, lambda row: _subscription_out(row, today))


@router.get(
    "/subscriptions/{subscription_id}",
    response={200: SubscriptionDetailOut, 404: ErrorOut, **ERRORS},
    tags=["abonnements"],
    summary="Lire un abonnement : dates, années de contrat, résiliations",
)
def subscription_read(request, subscription_id: int):
    _require(request, is_syndicate_staff)
    sub = _subscriptions().filter(pk=subscription_id).first()
    if sub is None:
        raise Http404
    return {
        **_subscription_out(sub, timezone.localdate()),
        "years": [{"start": y.start, "end": y.end} for y in sub.years.order_by("start")],
        "terminations": [
            _termination_out(t)
            for t in sub.terminations.select_related("recorded_by", "requested_by").order_by(
                "created_at", "id"
            )
        ],
    }


@router.post(
    "/subscriptions/{subscription_id}/terminate",
    response={201: TerminationOut, **WRITE_ERRORS},
    tags=["abonnements"],
    summary="Enregistrer une résiliation reçue par le syndicat ; répond la fin effective",
    description=(
        "Le préavis de deux mois court du 1er du mois suivant la réception ; la première "
        "année reste due jusqu'à la première échéance. Avec `quantity`, seule cette quantité "
        "est résiliée (réduction, à la même date). Les signataires sont avisés."
    ),
)
def subscription_terminate(request, subscription_id: int, payload: TerminateIn):
    _require(request, is_syndicate_admin)
    sub = Subscription.objects.filter(pk=subscription_id).first()
    if sub is None:
        raise Http404
    quantity = None
    if payload.quantity is not None:
        # the service compares with the quantity held; a zero or negative one is refused here
        quantity = services.parse_quantity(payload.quantity)
    termination = services.termination_record(
        subscription=sub,
        received_on=payload.received_on,
        today=timezone.localdate(),
        recorded_by=request.user,
        quantity=quantity,
    )
    termination = Termination.objects.select_related("recorded_by", "requested_by").get(
        pk=termination.pk
    )
    return Status(201, _termination_out(termination))
