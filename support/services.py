"""Writes of the support app: opening a ticket, replies and notes, statuses, assignment,
merge, rating, SLA warnings (once each), remote-session consent (T3) and out-of-scope
estimates accepted by the signatory then recorded as billed deliveries (T4).

Every write is atomic, takes `now=` from its caller, and raises ValidationError with a
constant French message."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import PurePosixPath

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from catalogue import selectors as catalogue_selectors
from catalogue.domain import PricingError
from catalogue.models import BillingUnit, Offer
from portal.access import is_syndicate_staff, roles_in
from portal.events import audit_record
from portal.models import Collectivite, Role, User
from portal.templatetags.portal_format import euros
from support import mail, selectors
from support.models import (
    Attachment,
    Estimate,
    RemoteConsent,
    SlaWarning,
    Status,
    TargetKind,
    Ticket,
    TicketEvent,
    TicketIncident,
)

NOT_A_MEMBER = "Cette personne n'est pas membre de la collectivité."
REFERENT_ONLY = "Pour la visio, seul le référent de la collectivité ouvre une demande."
OFFER_NOT_SUBSCRIBED = "Ce service n'est pas souscrit par la collectivité : choisissez « Autre »."
SUBJECT_REQUIRED = "Indiquez l'objet de la demande."
DESCRIPTION_REQUIRED = "Décrivez la demande."
EMPTY_REPLY = "Le message est vide."
TICKET_CLOSED = "Cette demande est close : ouvrez-en une nouvelle."
BAD_TRANSITION = "Ce changement d'état n'est pas possible."
MERGE_OTHER_COLLECTIVITE = "Une demande ne se fusionne qu'avec une demande de la même collectivité."
MERGE_SELF = "Une demande ne se fusionne pas avec elle-même."
RATING_NOT_RESOLVED = "La demande n'est pas encore résolue."
RATING_ALREADY = "Cette demande est déjà évaluée."
RATING_RANGE = "La note va de 1 à 5."
CONSENT_NOT_REQUESTER = "Seule la personne qui a fait la demande donne son accord."
CONSENT_ALREADY = "L'accord est déjà donné."
ATTACHMENT_TOO_LARGE = "La pièce jointe « {name} » dépasse 10 Mo."
ATTACHMENT_TYPE = "Le type de la pièce jointe « {name} » n'est pas accepté (PDF, images, textes, documents bureautiques)."
ATTACHMENT_EXECUTABLE = "La pièce jointe « {name} » est un programme : elle n'est pas acceptée."
TOO_MANY_ATTACHMENTS = "5 pièces jointes au plus par message."
ESTIMATE_OFFER = "Un devis d'intervention se chiffre avec une offre à l'heure ou à la journée."
ESTIMATE_QUANTITY = "La quantité doit être positive."
ESTIMATE_REASON = "Indiquez pourquoi la demande est hors du périmètre de l'assistance."
ESTIMATE_UNPRICED = "Aucun tarif en vigueur pour cette offre : le devis ne peut pas être chiffré."
ESTIMATE_NOT_PROPOSED = "Ce devis n'est plus en attente de décision."
ESTIMATE_NOT_SIGNATORY = "Seul un signataire de la collectivité accepte ou refuse un devis."
ESTIMATE_PO_REQUIRED = "Indiquez le numéro de bon de commande ou d'engagement."
ESTIMATE_NOT_ACCEPTED = "Le temps passé ne s'enregistre que sur un devis accepté."
ESTIMATE_EXCEEDED = (
    "Le temps passé dépasse le devis accepté ({quantity}) : faites accepter un nouveau devis."
)
ESTIMATE_ALREADY_RECORDED = "Le temps passé de ce devis est déjà enregistré."
INCIDENT_NOT_OPEN = "Cet incident n'est plus en cours : la demande ne s'y lie pas."
INCIDENT_OTHER_SERVICES = "Cet incident ne concerne aucun service de la collectivité."
INCIDENT_ALREADY_LINKED = "La demande est déjà liée à cet incident."
INCIDENT_ANSWER = (
    "L'incident « {title} » est terminé depuis le {end} : le service est rétabli.\n\n"
    "{note}"
    "Votre demande est résolue avec lui. Si le problème persiste, répondez à ce message : "
    "la demande sera rouverte."
)

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENTS = 5
ALLOWED_EXTENSIONS = frozenset(
    {".pdf", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".txt", ".log", ".csv", ".eml", ".xml",
     ".odt", ".ods", ".odp", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".rtf"}
)  # fmt: skip
# Whatever the name says, these first bytes are programs (PE, ELF, Mach-O, scripts).
EXECUTABLE_MAGIC = (b"MZ", b"\x7fELF", b"\xcf\xfa\xed\xfe", b"\xfe\xed\xfa", b"#!")

TRANSITIONS = {
    Status.NEW: {Status.IN_PROGRESS, Status.WAITING, Status.RESOLVED, Status.CLOSED},
    Status.IN_PROGRESS: {Status.WAITING, Status.RESOLVED, Status.CLOSED},
    Status.WAITING: {Status.NEW, Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED},
    Status.RESOLVED: {Status.NEW, Status.IN_PROGRESS, Status.CLOSED},
    Status.CLOSED: set(),
}


@dataclass(frozen=True)
class TicketInput:
    subject: str
    description: str
    priority: str
    offer: Offer | None = None
    account_id: int | None = None
    account_label: str = ""


def _check_attachments(files: Sequence[UploadedFile]) -> None:
    if len(files) > MAX_ATTACHMENTS:
        raise ValidationError(TOO_MANY_ATTACHMENTS)
    for upload in files:
        name = PurePosixPath(upload.name or "").name
        if upload.size and upload.size > MAX_ATTACHMENT_BYTES:
            raise ValidationError(ATTACHMENT_TOO_LARGE.format(name=name))
        if PurePosixPath(name.lower()).suffix not in ALLOWED_EXTENSIONS:
            raise ValidationError(ATTACHMENT_TYPE.format(name=name))
        head = upload.read(4)
        upload.seek(0)
        if head.startswith(EXECUTABLE_MAGIC):
            raise ValidationError(ATTACHMENT_EXECUTABLE.format(name=name))


def _attach(ticket: Ticket, event: TicketEvent, files: Sequence[UploadedFile]) -> None:
    for upload in files:
        name = PurePosixPath(upload.name or "fichier").name[:200]
        attachment = Attachment(
            ticket=ticket,
            event=event,
            name=name,
            size=upload.size or 0,
            content_type=(upload.content_type or "application/octet-stream")[:100],
        )
        attachment.file.save(name, upload, save=False)
        attachment.save()


def _event(ticket: Ticket, kind: str, *, at: datetime, author: User | None, **fields):
    staff = fields.pop("from_staff", author is not None and is_syndicate_staff(author))
    return TicketEvent.objects.create(
        ticket=ticket, kind=kind, at=at, author=author, from_staff=staff, **fields
    )


@transaction.atomic
def ticket_open(
    *,
    collectivite: Collectivite,
    requester: User,
    opened_by: User,
    data: TicketInput,
    files: Sequence[UploadedFile] = (),
    now: datetime,
) -> Ticket:
    """Open a ticket for `requester` (a member), by them or by staff on their behalf."""
    held = roles_in(requester, collectivite)
    if not held:
        raise ValidationError(NOT_A_MEMBER)
    errors = {}
    if not data.subject.strip():
        errors["subject"] = SUBJECT_REQUIRED
    if not data.description.strip():
        errors["description"] = DESCRIPTION_REQUIRED
    if (
        data.offer is not None
        and not selectors.subscribed_offers(collectivite).filter(pk=data.offer.pk).exists()
    ):
        errors["offer"] = OFFER_NOT_SUBSCRIBED
    if errors:
        raise ValidationError(errors)
    channel = selectors.channel_for(data.offer)
    if channel.referent_only and Role.VISIO_REFERENT not in held:
        raise ValidationError({"offer": REFERENT_ONLY})
    _check_attachments(files)
    ticket = Ticket.objects.create(
        collectivite=collectivite,
        channel=channel,
        offer=data.offer,
        account_id=data.account_id,
        account_label=data.account_label[:200],
        subject=data.subject.strip()[:200],
        description=data.description.strip(),
        priority=data.priority,
        requester=requester,
        opened_by=opened_by,
        opened_at=now,
    )
    event = _event(ticket, TicketEvent.Kind.OPENED, at=now, author=opened_by, status=Status.NEW)
    _attach(ticket, event, files)
    # Opened anyway on a service with an incident running: linked, answered when it closes.
    for incident in selectors.open_incidents_on(collectivite=collectivite, offer=data.offer):
        _link(ticket, incident, author=opened_by, now=now, automatic=True)
    mail.ticket_opened_notify(ticket=ticket)
    return ticket


def _locked(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update().get(pk=ticket.pk)


def _set_status(ticket: Ticket, status: str, *, author: User | None, now: datetime) -> None:
    if status == ticket.status:
        return
    if status not in TRANSITIONS[Status(ticket.status)]:
        raise ValidationError(BAD_TRANSITION)
    ticket.status = status
    # The intervention is the syndicate taking the request in hand (T2: 4 working hours).
    staff = author is not None and is_syndicate_staff(author)
    if status == Status.IN_PROGRESS and ticket.intervention_at is None and staff:
        ticket.intervention_at = now
    if status == Status.RESOLVED:
        ticket.resolved_at = now
    elif status in (Status.NEW, Status.IN_PROGRESS):
        ticket.resolved_at = None
    _event(ticket, TicketEvent.Kind.STATUS, at=now, author=author, status=status)


@transaction.atomic
def ticket_reply(
    *,
    ticket: Ticket,
    author: User,
    body: str,
    public: bool = True,
    minutes_spent: int = 0,
    files: Sequence[UploadedFile] = (),
    now: datetime,
    via_email: bool = False,
    message_id: str = "",
) -> TicketEvent:
    """A public reply (mailed to the requester when from staff) or an internal note.

    A reply from the collectivité while the ticket waits for it restarts the clock."""
    ticket = _locked(ticket)
    if ticket.status == Status.CLOSED:
        raise ValidationError(TICKET_CLOSED)
    if not body.strip():
        raise ValidationError({"body": EMPTY_REPLY})
    _check_attachments(files)
    staff = is_syndicate_staff(author)
    if not staff and not roles_in(author, ticket.collectivite):
        raise ValidationError(NOT_A_MEMBER)
    kind = TicketEvent.Kind.REPLY if public or not staff else TicketEvent.Kind.NOTE
    event = _event(
        ticket,
        kind,
        at=now,
        author=author,
        body=body.strip(),
        public=kind == TicketEvent.Kind.REPLY,
        minutes_spent=minutes_spent if staff else 0,
        via_email=via_email,
        message_id=message_id[:250],
    )
    _attach(ticket, event, files)
    if staff and kind == TicketEvent.Kind.REPLY:
        if ticket.first_response_at is None:
            ticket.first_response_at = now
        mail.reply_notify(ticket=ticket, event=event)
    elif not staff and ticket.status in (Status.WAITING, Status.RESOLVED):
        # The collectivité answered: the clock runs again, in the state it was in before.
        _set_status(ticket, _resumed_status(ticket), author=author, now=now)
    ticket.save()
    return event


def _resumed_status(ticket: Ticket) -> str:
    return Status.IN_PROGRESS if ticket.intervention_at is not None else Status.NEW


@transaction.atomic
def ticket_status_change(
    *, ticket: Ticket, status: str, author: User, now: datetime, minutes_spent: int = 0
) -> Ticket:
    ticket = _locked(ticket)
    _set_status(ticket, status, author=author, now=now)
    if minutes_spent:
        _event(ticket, TicketEvent.Kind.TIME, at=now, author=author, minutes_spent=minutes_spent)
    ticket.save()
    if status == Status.RESOLVED:
        mail.resolved_notify(ticket=ticket)
    return ticket


@transaction.atomic
def ticket_assign(*, ticket: Ticket, assignee: User | None, author: User, now: datetime) -> Ticket:
    ticket = _locked(ticket)
    ticket.assignee = assignee
    ticket.save(update_fields=["assignee"])
    label = assignee.get_full_name() or assignee.email if assignee else "personne"
    _event(ticket, TicketEvent.Kind.ASSIGNED, at=now, author=author, body=label, public=False)
    return ticket


@transaction.atomic
def ticket_merge(*, duplicate: Ticket, into: Ticket, author: User, now: datetime) -> Ticket:
    """Close `duplicate` into `into` (same collectivité); its history stays readable."""
    if duplicate.pk == into.pk:
        raise ValidationError(MERGE_SELF)
    if duplicate.collectivite_id != into.collectivite_id:
        raise ValidationError(MERGE_OTHER_COLLECTIVITE)
    duplicate = _locked(duplicate)
    if duplicate.status == Status.CLOSED:
        raise ValidationError(TICKET_CLOSED)
    duplicate.merged_into = into
    duplicate.status = Status.CLOSED
    duplicate.save(update_fields=["merged_into", "status"])
    _event(duplicate, TicketEvent.Kind.STATUS, at=now, author=author, status=Status.CLOSED)
    _event(duplicate, TicketEvent.Kind.MERGED, at=now, author=author, body=into.number)
    _event(into, TicketEvent.Kind.MERGED, at=now, author=author, body=duplicate.number)
    return into


@transaction.atomic
def ticket_rate(*, ticket: Ticket, user: User, rating: int, now: datetime) -> Ticket:
    ticket = _locked(ticket)
    if not roles_in(user, ticket.collectivite):
        raise ValidationError(NOT_A_MEMBER)
    if ticket.status not in (Status.RESOLVED, Status.CLOSED) or ticket.resolved_at is None:
        raise ValidationError(RATING_NOT_RESOLVED)
    if ticket.rating is not None:
        raise ValidationError(RATING_ALREADY)
    if rating not in range(1, 6):
        raise ValidationError(RATING_RANGE)
    ticket.rating, ticket.rated_at = rating, now
    ticket.save(update_fields=["rating", "rated_at"])
    return ticket


# --- Service incidents (status app, issue 13 item 5) ------------------------------------------


def _link(ticket: Ticket, incident, *, author: User | None, now: datetime, automatic: bool):
    link = TicketIncident.objects.create(
        ticket=ticket, announcement=incident, linked_at=now, linked_by=author, automatic=automatic
    )
    _event(
        ticket,
        TicketEvent.Kind.NOTE,
        at=now,
        author=author,
        public=False,
        body=f"Liée à l'incident « {incident.title} »"
        + (" (ouverte pendant l'incident)." if automatic else "."),
    )
    return link


@transaction.atomic
def ticket_incident_link(
    *, ticket: Ticket, incident, author: User, now: datetime
) -> TicketIncident:
    """Staff link a request to an incident running on one of its collectivité's services."""
    from status.models import Announcement

    ticket = _locked(ticket)
    incident = Announcement.objects.get(pk=incident.pk)  # as it is now, not as it was read
    if ticket.status == Status.CLOSED:
        raise ValidationError(TICKET_CLOSED)
    if incident.kind != Announcement.Kind.INCIDENT or incident.ends_at is not None:
        raise ValidationError({"incident": INCIDENT_NOT_OPEN})
    if not selectors.incidents_linkable(ticket=ticket).filter(pk=incident.pk).exists():
        if ticket.incident_links.filter(announcement=incident).exists():
            raise ValidationError({"incident": INCIDENT_ALREADY_LINKED})
        raise ValidationError({"incident": INCIDENT_OTHER_SERVICES})
    return _link(ticket, incident, author=author, now=now, automatic=False)


def _answer_author(ticket: Ticket, closed_by: User | None) -> User | None:
    """Who signs the reply: the person who closed the incident, else the ticket's assignee,
    else the channel's support lead (an incident closed by Alertmanager has no closer)."""
    for person in (closed_by, ticket.assignee, ticket.channel.lead):
        if person is not None and is_syndicate_staff(person):
            return person
    return None


def incident_tickets_answer(
    *, announcement_id: int, closed_by_id: int | None, note: str, now: datetime
) -> int:
    """The incident is closed: each linked request still open gets one public reply with the
    closing note (mailed to its requester, threaded) and is resolved. A link answered once is
    never answered again (`answered_event`, checked under a row lock), so a retried or repeated
    run changes nothing. Returns how many requests were answered."""
    from status.models import Announcement

    incident = Announcement.objects.get(pk=announcement_id)
    if incident.ends_at is None:
        return 0
    closed_by = User.objects.filter(pk=closed_by_id).first() if closed_by_id else None
    answered = 0
    pending = TicketIncident.objects.filter(announcement=incident, answered_event__isnull=True)
    for link_pk in pending.values_list("pk", flat=True):
        answered += _answer_one(link_pk, incident, closed_by, note, now)
    return answered


@transaction.atomic
def _answer_one(link_pk: int, incident, closed_by: User | None, note: str, now: datetime) -> int:
    link = TicketIncident.objects.select_for_update().get(pk=link_pk)
    if link.answered_event_id is not None:
        return 0
    ticket = _locked(link.ticket)
    if ticket.status not in selectors.OPEN_STATUSES:
        return 0  # resolved or closed meanwhile: nothing to say
    author = _answer_author(ticket, closed_by)
    end = timezone.localtime(incident.ends_at)
    body = INCIDENT_ANSWER.format(
        title=incident.title,
        end=f"{end:%d/%m/%Y} à {end:%H:%M}",
        note=f"{note.strip()}\n\n" if note.strip() else "",
    )
    event = _event(
        ticket, TicketEvent.Kind.REPLY, at=now, author=author, body=body, from_staff=True
    )
    if ticket.first_response_at is None:
        ticket.first_response_at = now
    mail.reply_notify(ticket=ticket, event=event)
    _set_status(ticket, Status.RESOLVED, author=author, now=now)
    ticket.save()
    mail.resolved_notify(ticket=ticket)
    link.answered_event, link.answered_at = event, now
    link.save(update_fields=["answered_event", "answered_at"])
    audit_record(
        action="support.incident_answered",
        obj=ticket,
        actor=author,
        collectivite=ticket.collectivite,
        summary=f"Demande {ticket.number} résolue avec la fin de l'incident « {incident.title} ».",
        data={"incident": incident.pk, "event": event.pk},
    )
    return 1


# --- SLA warnings (beat job) ------------------------------------------------------------------


def sla_warnings_send(*, now: datetime) -> int:
    """Warn the assignee at 75 % of a target and the support lead at breach, once each (the
    `one_warning_each` constraint decides under concurrent or retried runs)."""
    sent = 0
    calendars: dict[int, object] = {}
    for row in selectors.queue(channel=None, now=now):
        ticket = row.ticket
        calendar = calendars.setdefault(ticket.channel_id, selectors.calendar_of(ticket.channel))
        targets = selectors.targets_of(ticket)
        for kind in TargetKind.values:
            reading = selectors.ticket_clock(
                ticket=ticket, kind=kind, now=now, calendar=calendar, targets=targets
            )
            if reading is None or getattr(ticket, selectors.MILESTONE_OF[TargetKind(kind)]):
                continue
            if reading.breached:
                lead = ticket.channel.lead
                sent += _warn(ticket, kind, SlaWarning.Level.BREACH, lead, reading, now)
            if reading.consumed_at_least(0.75):
                who = ticket.assignee or ticket.channel.lead
                sent += _warn(ticket, kind, SlaWarning.Level.THREE_QUARTERS, who, reading, now)
    return sent


def _warn(ticket, kind, level, person, reading, now) -> int:
    try:
        with transaction.atomic():
            SlaWarning.objects.create(
                ticket=ticket,
                kind=kind,
                level=level,
                sent_at=now,
                sent_to=person.email if person else "",
            )
            mail.sla_warning_notify(
                ticket=ticket, kind=kind, level=level, person=person, reading=reading
            )
    except IntegrityError:
        return 0
    return 1


# --- Remote maintenance (T3) ------------------------------------------------------------------


@transaction.atomic
def consent_ask(*, ticket: Ticket, technician: User, now: datetime) -> RemoteConsent:
    consent = RemoteConsent.objects.create(ticket=ticket, asked_by=technician, asked_at=now)
    _event(
        ticket,
        TicketEvent.Kind.CONSENT_ASKED,
        at=now,
        author=technician,
        body="Demande d'accord pour une séance de télémaintenance.",
    )
    mail.consent_asked_notify(ticket=ticket)
    return consent


@transaction.atomic
def consent_give(
    *, consent: RemoteConsent, user: User, ip_address: str | None, now: datetime
) -> RemoteConsent:
    """The person agrees on the site: who, when, from which address (seed 002)."""
    consent = RemoteConsent.objects.select_for_update().get(pk=consent.pk)
    if consent.agreed_at is not None:
        raise ValidationError(CONSENT_ALREADY)
    if user.pk != consent.ticket.requester_id:
        raise ValidationError(CONSENT_NOT_REQUESTER)
    consent.agreed_by, consent.agreed_at, consent.agreed_from = user, now, ip_address
    consent.save()
    _event(
        consent.ticket,
        TicketEvent.Kind.CONSENT_GIVEN,
        at=now,
        author=user,
        body=f"Accord donné depuis l'adresse {ip_address or 'inconnue'}.",
    )
    audit_record(
        action="support.remote_consent",
        obj=consent,
        actor=user,
        collectivite=consent.ticket.collectivite,
        summary=f"Accord de télémaintenance pour la demande {consent.ticket.number}.",
        ip_address=ip_address,
    )
    return consent


# --- Out of scope: exceptional interventions, estimated, accepted, billed (T4) ----------------


def quantity_label(estimate: Estimate, quantity: Decimal | None = None) -> str:
    """« 2,5 h », « 1 j » — French decimals, the offer's unit."""
    value = estimate.quantity if quantity is None else quantity
    number = f"{value.normalize():f}".replace(".", ",")
    return f"{number} {'h' if estimate.offer.billing_unit == BillingUnit.HOUR else 'j'}"


def estimate_text(estimate: Estimate) -> str:
    """The exact text the signatory accepts (its SHA-256 is the evidence)."""
    ticket = estimate.ticket
    return (
        f"Intervention exceptionnelle — demande n° {ticket.number}\n"
        f"Collectivité : {ticket.collectivite.name} (SIRET {ticket.collectivite.siret})\n"
        f"Objet : {ticket.subject}\n"
        f"Hors périmètre de l'assistance : {estimate.reason}\n"
        f"Travaux prévus : {estimate.description}\n"
        f"Prestation : {estimate.offer.name}\n"
        f"Quantité : {quantity_label(estimate)} ({estimate.offer.get_billing_unit_display()})\n"
        f"Prix unitaire : {euros(estimate.unit_price)} — Montant : {euros(estimate.amount)}\n"
        f"Tarifs : {estimate.schedule_label}\n"
    )


@transaction.atomic
def estimate_propose(
    *,
    ticket: Ticket,
    technician: User,
    reason: str,
    offer: Offer,
    quantity: Decimal,
    description: str = "",
    today: date,
    now: datetime,
) -> Estimate:
    if not reason.strip():
        raise ValidationError({"reason": ESTIMATE_REASON})
    if offer.billing_unit not in (BillingUnit.HOUR, BillingUnit.DAY):
        raise ValidationError({"offer": ESTIMATE_OFFER})
    if quantity <= 0:
        raise ValidationError({"quantity": ESTIMATE_QUANTITY})
    schedule = catalogue_selectors.schedule_in_force(on=today)
    try:
        [line] = catalogue_selectors.offer_price(
            offer=offer, collectivite=ticket.collectivite, on=today, quantity=quantity
        )
    except (PricingError, ValueError) as exc:
        raise ValidationError(ESTIMATE_UNPRICED) from exc
    ticket = _locked(ticket)
    ticket.estimates.filter(state=Estimate.State.PROPOSED).update(state=Estimate.State.SUPERSEDED)
    ticket.out_of_scope_reason = reason.strip()[:200]
    ticket.save(update_fields=["out_of_scope_reason"])
    estimate = Estimate.objects.create(
        ticket=ticket,
        offer=offer,
        reason=reason.strip()[:200],
        description=description.strip(),
        quantity=quantity,
        unit_price=line.unit_price,
        amount=line.amount,
        schedule_label=(
            f"délibération {schedule.deliberation_number} du {schedule.deliberation_date:%d/%m/%Y}"
            if schedule
            else ""
        ),
        proposed_by=technician,
        proposed_at=now,
    )
    _event(
        ticket,
        TicketEvent.Kind.ESTIMATE,
        at=now,
        author=technician,
        body=f"Hors périmètre ({estimate.reason}) : devis de {quantity_label(estimate)} × "
        f"{euros(line.unit_price)} = {euros(line.amount)} proposé.",
    )
    if ticket.status in (Status.NEW, Status.IN_PROGRESS):
        _set_status(ticket, Status.WAITING, author=technician, now=now)
        ticket.save()
    mail.estimate_proposed_notify(estimate=estimate)
    return estimate


@transaction.atomic
def estimate_decide(
    *,
    estimate: Estimate,
    signatory: User,
    accept: bool,
    po_number: str = "",
    ip_address: str | None,
    now: datetime,
) -> Estimate:
    """The signatory accepts (same evidence as a quote: who, when, address, SHA-256 of the
    text accepted) or refuses."""
    estimate = Estimate.objects.select_for_update().select_related("ticket").get(pk=estimate.pk)
    ticket = estimate.ticket
    if Role.SIGNATORY not in roles_in(signatory, ticket.collectivite):
        raise ValidationError(ESTIMATE_NOT_SIGNATORY)
    if estimate.state != Estimate.State.PROPOSED:
        raise ValidationError(ESTIMATE_NOT_PROPOSED)
    if accept and not po_number.strip():
        raise ValidationError({"po_number": ESTIMATE_PO_REQUIRED})
    estimate.decided_by, estimate.decided_at, estimate.decided_from = signatory, now, ip_address
    if accept:
        estimate.state = Estimate.State.ACCEPTED
        estimate.po_number = po_number.strip()[:200]
        estimate.accepted_text = estimate_text(estimate)
        estimate.accepted_sha256 = hashlib.sha256(estimate.accepted_text.encode()).hexdigest()
    else:
        estimate.state = Estimate.State.REFUSED
    estimate.save()
    verb = "accepté" if accept else "refusé"
    _event(
        ticket,
        TicketEvent.Kind.ESTIMATE,
        at=now,
        author=signatory,
        body=f"Devis d'intervention {verb} par {signatory.get_full_name() or signatory.email}.",
    )
    if ticket.status == Status.WAITING:
        _set_status(ticket, _resumed_status(ticket), author=signatory, now=now)
        ticket.save()
    audit_record(
        action=f"support.estimate_{'accepted' if accept else 'refused'}",
        obj=estimate,
        actor=signatory,
        collectivite=ticket.collectivite,
        summary=f"Devis d'intervention de la demande {ticket.number} {verb} ({euros(estimate.amount)}).",
        data={"sha256": estimate.accepted_sha256, "po_number": estimate.po_number},
        ip_address=ip_address,
    )
    return estimate


@transaction.atomic
def intervention_time_record(
    *, estimate: Estimate, quantity: Decimal, technician: User, delivered_on: date, now: datetime
) -> Estimate:
    """The time actually spent becomes a delivery for the next billing run, at the accepted
    price, one line per intervention, never beyond what was accepted."""
    from billing import services as billing_services

    estimate = Estimate.objects.select_for_update().select_related("ticket").get(pk=estimate.pk)
    if estimate.state != Estimate.State.ACCEPTED:
        raise ValidationError(ESTIMATE_NOT_ACCEPTED)
    if estimate.spent_quantity is not None:
        raise ValidationError(ESTIMATE_ALREADY_RECORDED)
    if quantity <= 0:
        raise ValidationError({"quantity": ESTIMATE_QUANTITY})
    if quantity > estimate.quantity:
        raise ValidationError(
            {"quantity": ESTIMATE_EXCEEDED.format(quantity=quantity_label(estimate))}
        )
    ticket = estimate.ticket
    delivery = billing_services.delivery_record(
        collectivite=ticket.collectivite,
        offer=estimate.offer,
        quantity=quantity,
        delivered_on=delivered_on,
        source=f"support:estimate:{estimate.pk}",
        label=f"Intervention exceptionnelle — demande n° {ticket.number}",
        po_number=estimate.po_number,
        unit_price=estimate.unit_price,
    )
    estimate.spent_quantity, estimate.delivery_id = quantity, delivery.pk
    estimate.save(update_fields=["spent_quantity", "delivery_id"])
    audit_record(
        action="support.intervention_recorded",
        obj=estimate,
        actor=technician,
        collectivite=ticket.collectivite,
        summary=f"Intervention de la demande {ticket.number} : {quantity_label(estimate, quantity)} "
        f"à facturer ({euros(delivery.amount)}).",
        data={"delivery": delivery.pk, "quantity": str(quantity), "amount": str(delivery.amount)},
    )
    _event(
        ticket,
        TicketEvent.Kind.TIME,
        at=now,
        author=technician,
        public=False,
        body=f"Temps passé facturable : {quantity} ({estimate.offer.name}).",
    )
    return estimate


# --- Channels as data (support/data/channels.json: the seeds' schedules) ----------------------

CHANNELS_FILE = PurePosixPath(__file__).parent / "data" / "channels.json"


@transaction.atomic
def channels_load(*, data: dict | None = None) -> list:
    """Create or update channels, their opening hours and targets from data (idempotent)."""
    import json
    from datetime import time

    from support.models import OpeningWindow, SlaTarget, SupportChannel

    if data is None:
        data = json.loads(open(CHANNELS_FILE, encoding="utf-8").read())  # noqa: SIM115
    channels = []
    for position, spec in enumerate(data["channels"]):
        channel, _ = SupportChannel.objects.update_or_create(
            code=spec["code"],
            defaults={
                "name": spec["name"],
                "is_default": spec.get("is_default", False),
                "referent_only": spec.get("referent_only", False),
                "position": position,
            },
        )
        channel.offers.set(Offer.objects.filter(code__in=spec.get("offers", [])))
        channel.windows.all().delete()
        for weekday, windows in spec["weekly"].items():
            for start, end in windows:
                OpeningWindow.objects.create(
                    channel=channel,
                    weekday=int(weekday),
                    starts_at=time.fromisoformat(start),
                    ends_at=time.fromisoformat(end),
                )
        for priority, kinds in spec["targets"].items():
            for kind, minutes in kinds.items():
                SlaTarget.objects.update_or_create(
                    channel=channel, priority=priority, kind=kind,
                    defaults={"working_minutes": minutes},
                )  # fmt: skip
        channels.append(channel)
    return channels
