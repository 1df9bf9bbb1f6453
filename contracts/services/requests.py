"""Requests (seed 001 §6): the collectivité's draft request, filled from the catalogue and the
needs form, saved as it goes, and submitted to the syndicate."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import ngettext

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
REQUEST_EMPTY = "Votre demande est vide : ajoutez au moins un service depuis le catalogue."
DOMAIN_NAME_REQUIRED = "Indiquez le nom de domaine à réserver ou à transférer."
DOMAIN_NAME_INVALID = "Ce nom de domaine n'est pas valide (exemple : mairie-exemple.fr)."


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


_DOMAIN_RE = __import__("re").compile(
    r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
)


@transaction.atomic
def request_needs_update(
    *,
    collectivite: Collectivite,
    user: User,
    domain_choice: str,
    domain_name: str,
    users_count: int | None,
    migration_study: bool,
    notes: str,
) -> ServiceRequest:
    """Save the needs of the draft request (saved as typed: nothing is lost)."""
    draft = _draft_for_update(collectivite, user)
    domain_name = domain_name.strip().lower()
    if domain_choice in (ServiceRequest.DomainChoice.RESERVE, ServiceRequest.DomainChoice.TRANSFER):
        if not domain_name:
            raise ValidationError({"domain_name": DOMAIN_NAME_REQUIRED})
        if not _DOMAIN_RE.match(domain_name):
            raise ValidationError({"domain_name": DOMAIN_NAME_INVALID})
    draft.domain_choice = domain_choice
    draft.domain_name = domain_name
    draft.users_count = users_count
    draft.migration_study = migration_study
    draft.notes = notes.strip()
    draft.save()
    return draft


@transaction.atomic
def request_submit(
    *, collectivite: Collectivite, user: User, needs: dict | None = None
) -> ServiceRequest:
    """Send the draft request to the syndicate, which will make a quote of it; `needs` (the
    needs form as typed next to the button) are saved with it in the same transaction, so
    that nothing typed before pressing "Transmettre" is lost."""
    from django.utils import timezone

    from portal import notifications
    from portal.events import audit_record
    from portal.services import backoffice_url

    if needs is not None:
        request_needs_update(collectivite=collectivite, user=user, **needs)
    draft = _draft_for_update(collectivite, user)
    if not draft.lines.exists():
        raise ValidationError(REQUEST_EMPTY)
    draft.status = ServiceRequest.Status.SUBMITTED
    draft.submitted_at, draft.submitted_by = timezone.now(), user
    draft.save()
    audit_record(
        action="request.submitted",
        obj=draft,
        actor=user,
        collectivite=collectivite,
        summary=ngettext(
            "Demande n° %(pk)d transmise au syndicat (%(n)d service).",
            "Demande n° %(pk)d transmise au syndicat (%(n)d services).",
            draft.lines.count(),
        )
        % {"pk": draft.pk, "n": draft.lines.count()},
    )
    notifications.notify(
        template="request_submitted",
        to=notifications.syndicate_admins(),
        context={
            "collectivite": collectivite.name,
            "request": draft.pk,
            "url": backoffice_url(f"/demandes/{draft.pk}/"),
        },
    )
    return draft


__all__ = [
    "DOMAIN_NAME_INVALID",
    "DOMAIN_NAME_REQUIRED",
    "LINE_NOT_FOUND",
    "OFFER_NOT_ORDERABLE",
    "PREREQUISITE_MISSING",
    "QUANTITY_ERROR",
    "REQUEST_EMPTY",
    "parse_quantity",
    "request_add_offer",
    "request_line_remove",
    "request_line_update",
    "request_needs_update",
    "request_submit",
]
