"""Catalogue, tariff schedules and prices in the JSON API (/api/v1/, syndicate staff only).

The router is mounted by `portal.api`, which owns authentication and turns errors into French
JSON (`Http404` → 404, `HttpError` → its status with `detail`).

Money is a string with two decimals ("24.00"); quantities and VAT rates are decimal strings
without trailing zeros ("5", "2.5", "0.2"); dates are ISO (YYYY-MM-DD).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.http import Http404
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from catalogue import domain, selectors
from catalogue.models import Offer, StrateInclusion, TariffLine, TariffSchedule
from portal import selectors as portal_selectors
from portal.access import is_syndicate_staff
from portal.api_common import ErrorOut, _require
from portal.api_common import money_out as _money
from portal.api_common import number_out as _number
from portal.models import Collectivite

UNKNOWN_OFFER = "Offre inconnue : « {code} »."
UNKNOWN_COLLECTIVITE = "Collectivité inconnue : n° {id}."

router = Router()

STRATE_ORDER = {value: i for i, value in enumerate(Collectivite.Strate.values)}
STRATE_LABELS = dict(Collectivite.Strate.choices)


# --- Schemas ---------------------------------------------------------------------------------


class LimitsOut(Schema):
    max_message_size_mb: int | None
    max_recipients: int | None
    recording_retention_days: int | None


class PrerequisitesOut(Schema):
    offer: str | None
    referent_training: bool
    framework_agreement: bool


class OfferOut(Schema):
    code: str
    name: str
    summary: str
    family: str
    system: str
    system_label: str
    billing_unit: str
    billing_unit_label: str
    yearly: bool
    default_quota_gb: str | None
    limits: LimitsOut
    needs_supplier_order: bool
    prerequisites: PrerequisitesOut
    orderable: bool


class FamilyOut(Schema):
    code: str
    name: str
    description: str
    offers: list[OfferOut]


class AnnexOut(Schema):
    version: int
    title: str
    text: str
    published_at: dt.datetime


class InclusionItemOut(Schema):
    item: str
    unit: str
    quantity: str


class StrateInclusionsOut(Schema):
    strate: str
    strate_label: str
    items: list[InclusionItemOut]


class ScheduleRefOut(Schema):
    id: int
    title: str
    deliberation_number: str
    deliberation_date: dt.date
    effective_from: dt.date


class OfferDetailOut(OfferOut):
    description: str
    annex: AnnexOut | None
    schedule_in_force: ScheduleRefOut | None
    inclusions: list[StrateInclusionsOut]


class OfferFilters(Schema):
    family: str = Field("", description="Code de la famille de services (ex. « visio »).")


class ScheduleOut(Schema):
    id: int
    title: str
    status: str
    status_label: str
    deliberation_number: str
    deliberation_date: dt.date
    effective_from: dt.date
    is_example: bool
    published_at: dt.datetime | None


class TariffLineOut(Schema):
    offer: str
    offer_name: str
    unit_price: str | None
    strate_prices: dict[str, str]
    first_free_quantity: int
    vat_rate: str | None
    vat_exemption: str


class ScheduleDetailOut(ScheduleOut):
    notes: str
    copied_from: int | None
    lines: list[TariffLineOut]


class PriceQuery(Schema):
    offer: str = Field(..., description="Code de l'offre.")
    # bounded: an amount must fit Decimal's precision and the money columns
    quantity: Decimal = Field(
        ...,
        max_digits=12,
        decimal_places=2,
        description="Quantité dans l'unité de facturation de l'offre (ex. 5 ou 2.5).",
    )
    collectivite: int = Field(..., description="Identifiant de la collectivité.")
    date: dt.date | None = Field(
        None, description="Date du tarif (AAAA-MM-JJ) ; aujourd'hui par défaut."
    )
    held: int = Field(
        0, description="Unités déjà détenues par la collectivité (règle des premières gratuites)."
    )


class PriceLineOut(Schema):
    label: str
    unit_price: str
    quantity: str
    free_quantity: str
    amount: str
    vat_rate: str | None
    vat_exemption: str
    strate: str | None


class PriceOut(Schema):
    offer: str
    collectivite: int
    strate: str
    date: dt.date
    schedule: str
    schedule_id: int | None
    lines: list[PriceLineOut]
    total: str


# --- Serialisation ---------------------------------------------------------------------------


def _offer_out(offer: Offer) -> dict:
    return {
        "code": offer.code,
        "name": offer.name,
        "summary": offer.summary,
        "family": offer.family.code,
        "system": offer.system,
        "system_label": str(offer.get_system_display()),
        "billing_unit": offer.billing_unit,
        "billing_unit_label": str(offer.get_billing_unit_display()),
        "yearly": offer.is_yearly,
        "default_quota_gb": _number(offer.default_quota_gb),
        "limits": {
            "max_message_size_mb": offer.max_message_size_mb,
            "max_recipients": offer.max_recipients,
            "recording_retention_days": offer.recording_retention_days,
        },
        "needs_supplier_order": offer.needs_supplier_order,
        "prerequisites": {
            "offer": offer.requires_offer.code if offer.requires_offer else None,
            "referent_training": offer.requires_referent_training,
            "framework_agreement": offer.requires_framework_agreement,
        },
        "orderable": offer.orderable,
    }


def _inclusions_by_strate(offer: Offer, schedule: TariffSchedule | None) -> list[dict]:
    if schedule is None:
        return []
    # every strate at once (selectors.inclusions_for answers for one strate)
    rows = StrateInclusion.objects.filter(schedule=schedule, offer=offer)
    by_strate: dict[str, list[dict]] = {}
    for row in rows:  # ordered by position, item
        by_strate.setdefault(row.strate, []).append(
            {"item": row.item, "unit": row.unit, "quantity": _number(row.quantity)}
        )
    return [
        {"strate": strate, "strate_label": STRATE_LABELS[strate], "items": items}
        for strate, items in sorted(by_strate.items(), key=lambda kv: STRATE_ORDER[kv[0]])
    ]


def _schedule_out(schedule: TariffSchedule) -> dict:
    return {
        "id": schedule.pk,
        "title": schedule.title,
        "status": schedule.status,
        "status_label": str(schedule.get_status_display()),
        "deliberation_number": schedule.deliberation_number,
        "deliberation_date": schedule.deliberation_date,
        "effective_from": schedule.effective_from,
        "is_example": schedule.is_example,
        "published_at": schedule.published_at,
    }


def _line_out(line: TariffLine) -> dict:
    strate_prices = sorted(line.strate_prices.all(), key=lambda sp: STRATE_ORDER[sp.strate])
    return {
        "offer": line.offer.code,
        "offer_name": line.offer.name,
        "unit_price": _money(line.unit_price),
        "strate_prices": {sp.strate: _money(sp.unit_price) for sp in strate_prices},
        "first_free_quantity": line.first_free_quantity,
        "vat_rate": _number(line.vat_rate),
        "vat_exemption": line.vat_exemption,
    }


# --- Catalogue -------------------------------------------------------------------------------

ERRORS = {401: ErrorOut, 403: ErrorOut}


@router.get(
    "/catalogue/families",
    response={200: list[FamilyOut], **ERRORS},
    tags=["catalogue"],
    summary="Lister les familles de services et leurs offres commandables",
)
def family_list(request):
    _require(request, is_syndicate_staff)
    return [
        {
            "code": family.code,
            "name": family.name,
            "description": family.description,
            "offers": [_offer_out(offer) for offer in family.offers.all()],
        }
        for family in selectors.families_with_offers()
    ]


@router.get(
    "/catalogue/offers",
    response={200: list[OfferOut], **ERRORS},
    tags=["catalogue"],
    summary="Lister les offres commandables (filtre : code de la famille)",
)
def offer_list(request, filters: Query[OfferFilters]):
    _require(request, is_syndicate_staff)
    return [
        _offer_out(offer)
        for family in selectors.families_with_offers()
        if not filters.family or family.code == filters.family
        for offer in family.offers.all()
    ]


@router.get(
    "/catalogue/offers/{code}",
    response={200: OfferDetailOut, 404: ErrorOut, **ERRORS},
    tags=["catalogue"],
    summary="Lire une offre : annexe en vigueur et inclusions par strate de la grille du jour",
)
def offer_read(request, code: str):
    _require(request, is_syndicate_staff)
    try:
        offer = selectors.offer_get(code=code, orderable_only=False)
    except Offer.DoesNotExist as exc:
        raise Http404 from exc
    schedule = selectors.schedule_in_force(on=timezone.localdate())
    annex = selectors.annex_current(offer=offer)
    return {
        **_offer_out(offer),
        "description": offer.description,
        "annex": annex,
        "schedule_in_force": schedule,
        "inclusions": _inclusions_by_strate(offer, schedule),
    }


# --- Tariff schedules ------------------------------------------------------------------------


@router.get(
    "/tariff-schedules",
    response={200: list[ScheduleOut], **ERRORS},
    tags=["tarifs"],
    summary="Lister les grilles tarifaires (publiées et brouillons)",
)
def schedule_list(request):
    _require(request, is_syndicate_staff)
    # drafts too (selectors.schedules_published() leaves them out)
    return [_schedule_out(s) for s in TariffSchedule.objects.all()]


@router.get(
    "/tariff-schedules/{schedule_id}",
    response={200: ScheduleDetailOut, 404: ErrorOut, **ERRORS},
    tags=["tarifs"],
    summary="Lire une grille tarifaire et ses lignes de tarif",
)
def schedule_read(request, schedule_id: int):
    _require(request, is_syndicate_staff)
    try:
        schedule = selectors.schedule_detail(pk=schedule_id)
    except TariffSchedule.DoesNotExist as exc:
        raise Http404 from exc
    return {
        **_schedule_out(schedule),
        "notes": schedule.notes,
        "copied_from": schedule.copied_from_id,
        "lines": [_line_out(line) for line in schedule.lines.all()],
    }


# --- Prices ----------------------------------------------------------------------------------


@router.get(
    "/prices",
    response={200: PriceOut, 404: ErrorOut, 422: ErrorOut, **ERRORS},
    tags=["prix"],
    summary="Calculer le prix d'une offre pour une collectivité à une date",
    description=(
        "Applique la grille tarifaire en vigueur à la date (aujourd'hui par défaut) et la "
        "strate de la collectivité. `held` : unités déjà détenues par la collectivité, qui "
        "consomment d'abord les unités gratuites (le premier compte visio est offert)."
    ),
)
def price_read(request, query: Query[PriceQuery]):
    _require(request, is_syndicate_staff)
    if not Offer.objects.filter(code=query.offer).exists():
        raise HttpError(404, UNKNOWN_OFFER.format(code=query.offer))
    try:
        collectivite = portal_selectors.collectivite_get(pk=query.collectivite)
    except Collectivite.DoesNotExist as exc:
        raise HttpError(404, UNKNOWN_COLLECTIVITE.format(id=query.collectivite)) from exc
    on = query.date or timezone.localdate()
    schedules = selectors.pricing_schedules()
    try:
        lines = domain.price(
            schedules=schedules,
            offer=query.offer,
            quantity=query.quantity,
            strate=collectivite.strate,
            on=on,
            held=query.held,
        )
    except domain.PricingError as exc:
        raise HttpError(422, str(exc)) from exc
    schedule = domain.schedule_in_force(schedules, on)
    return {
        "offer": query.offer,
        "collectivite": collectivite.pk,
        "strate": collectivite.strate,
        "date": on,
        "schedule": schedule.label,
        "schedule_id": schedule.id,
        "lines": [
            {
                "label": line.label,
                "unit_price": _money(line.unit_price),
                "quantity": _number(line.quantity),
                "free_quantity": _number(line.free_quantity),
                "amount": _money(line.amount),
                "vat_rate": _number(line.vat_rate),
                "vat_exemption": line.vat_exemption,
                "strate": line.strate,
            }
            for line in lines
        ],
        "total": _money(domain.total(lines)),
    }
