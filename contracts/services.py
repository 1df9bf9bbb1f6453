"""Writes of contracts: for now the collectivité's draft request ("add to my request"); the
ordering issue adds submission, quotes and subscriptions."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from catalogue.models import Offer
from contracts import selectors
from contracts.models import ServiceRequest, ServiceRequestLine
from portal.models import Collectivite, User

QUANTITY_ERROR = "Indiquez une quantité positive (par exemple 3, ou 1,5 pour des heures)."
OFFER_NOT_ORDERABLE = "Cette offre n'est pas commandable actuellement."
PREREQUISITE_MISSING = (
    "« {offer} » complète l'offre « {required} » : ajoutez d'abord « {required} » à votre "
    "demande, ou souscrivez-la."
)
LINE_NOT_FOUND = "Cette ligne n'est plus dans votre demande."


def parse_quantity(raw: str | Decimal | int) -> Decimal:
    try:
        value = Decimal(str(raw).strip().replace(",", ".").replace("\u00a0", "").replace(" ", ""))
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError({"quantity": QUANTITY_ERROR}) from exc
    if not value.is_finite() or value <= 0 or value != value.quantize(Decimal("0.01")):
        raise ValidationError({"quantity": QUANTITY_ERROR})
    return value


def _draft_for_update(collectivite: Collectivite, user: User) -> ServiceRequest:
    draft = (
        ServiceRequest.objects.select_for_update()
        .filter(collectivite=collectivite, status=ServiceRequest.Status.DRAFT)
        .first()
    )
    if draft is not None:
        return draft
    try:
        with transaction.atomic():
            return ServiceRequest.objects.create(collectivite=collectivite, created_by=user)
    except IntegrityError:  # a colleague opened it at the same moment
        return ServiceRequest.objects.select_for_update().get(
            collectivite=collectivite, status=ServiceRequest.Status.DRAFT
        )


@transaction.atomic
def request_add_offer(
    *,
    collectivite: Collectivite,
    offer: Offer,
    quantity: str | Decimal | int,
    user: User,
    note: str = "",
) -> ServiceRequestLine:
    """Add `quantity` of `offer` to the collectivité's draft request (created on first use);
    adding an offer already there adds to its quantity."""
    amount = parse_quantity(quantity)
    if not offer.orderable:
        raise ValidationError(OFFER_NOT_ORDERABLE)
    draft = _draft_for_update(collectivite, user)
    required = offer.requires_offer
    if required is not None and not (
        draft.lines.filter(offer=required).exists()
        or selectors.quantity_held(collectivite=collectivite, offer=required)
    ):
        raise ValidationError(PREREQUISITE_MISSING.format(offer=offer.name, required=required.name))
    line, created = ServiceRequestLine.objects.get_or_create(
        request=draft,
        offer=offer,
        defaults={"quantity": amount, "note": note.strip(), "added_by": user},
    )
    if not created:
        line.quantity += amount
        line.save(update_fields=["quantity"])
    draft.save(update_fields=["updated_at"])
    return line


@transaction.atomic
def request_line_update(
    *, collectivite: Collectivite, line_id: int, quantity: str | Decimal | int
) -> ServiceRequestLine:
    amount = parse_quantity(quantity)
    line = _draft_line(collectivite, line_id)
    line.quantity = amount
    line.save(update_fields=["quantity"])
    return line


@transaction.atomic
def request_line_remove(*, collectivite: Collectivite, line_id: int) -> None:
    line = _draft_line(collectivite, line_id)
    dependents = line.request.lines.filter(offer__requires_offer=line.offer_id)
    if dependents.exists() and not selectors.quantity_held(
        collectivite=collectivite, offer=line.offer
    ):
        names = ", ".join(f"« {d.offer.name} »" for d in dependents.select_related("offer"))
        raise ValidationError(f"Retirez d'abord {names}, qui complète « {line.offer.name} ».")
    line.delete()


def _draft_line(collectivite: Collectivite, line_id: int) -> ServiceRequestLine:
    line = (
        ServiceRequestLine.objects.select_for_update()
        .select_related("request", "offer")
        .filter(
            pk=line_id,
            request__collectivite=collectivite,
            request__status=ServiceRequest.Status.DRAFT,
        )
        .first()
    )
    if line is None:
        raise ValidationError(LINE_NOT_FOUND)
    return line
