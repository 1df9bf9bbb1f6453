"""Support requests (tickets), their channels and calendars, SLA targets, history,
attachments, remote-session consents, out-of-scope estimates and practical guides.

A ticket's clock is never stored: it is computed from its `TicketEvent` history (status
changes) by `support.sla`. `SlaWarning` rows make the beat job's warnings happen once each,
by a database constraint."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Priority(models.TextChoices):
    BLOCKING = "blocking", _("bloquante")
    NORMAL = "normal", _("normale")


class TargetKind(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("première réponse")
    INTERVENTION = "intervention", _("intervention")
    RESOLUTION = "resolution", _("résolution")


class Status(models.TextChoices):
    NEW = "new", _("nouvelle")
    IN_PROGRESS = "in_progress", _("en cours")
    WAITING = "waiting", _("en attente de la collectivité")
    RESOLVED = "resolved", _("résolue")
    CLOSED = "closed", _("close")


# The clock runs in these statuses only (T2): waiting for the collectivité stops it.
CLOCK_RUNNING = frozenset({Status.NEW, Status.IN_PROGRESS})


class SupportChannel(models.Model):
    """A support line with its opening hours (seed 002: software hotline; seed 004: visio)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("nom"), max_length=120)
    offers = models.ManyToManyField(
        "catalogue.Offer", blank=True, related_name="+", verbose_name=_("services")
    )
    referent_only = models.BooleanField(
        _("réservé au référent"), default=False, help_text=_("Visio : le référent seul écrit.")
    )
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("responsable du support"),
    )
    is_default = models.BooleanField(_("canal par défaut (« autre »)"), default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("canal d'assistance")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class OpeningWindow(models.Model):
    channel = models.ForeignKey(SupportChannel, on_delete=models.CASCADE, related_name="windows")
    weekday = models.PositiveSmallIntegerField(_("jour"))  # 0 = lundi (date.weekday())
    starts_at = models.TimeField(_("ouverture"))
    ends_at = models.TimeField(_("fermeture"))

    class Meta:
        ordering = ["weekday", "starts_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(weekday__lte=6), name="window_weekday"),
        ]

    def __str__(self) -> str:
        return f"{self.weekday} {self.starts_at:%H:%M}–{self.ends_at:%H:%M}"


class ClosureDay(models.Model):
    """A day the syndicate's support is closed besides public holidays (every channel)."""

    day = models.DateField(_("date"), unique=True)
    label = models.CharField(_("motif"), max_length=120, blank=True)

    class Meta:
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day:%d/%m/%Y}"


class SlaTarget(models.Model):
    channel = models.ForeignKey(SupportChannel, on_delete=models.CASCADE, related_name="targets")
    priority = models.CharField(max_length=12, choices=Priority.choices)
    kind = models.CharField(max_length=16, choices=TargetKind.choices)
    working_minutes = models.PositiveIntegerField(_("délai (minutes ouvrées)"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "priority", "kind"], name="one_target"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.priority} {self.kind}: {self.working_minutes} min"


class Guide(models.Model):
    """A practical guide (fiche pratique, seed 002), edited in the back-office."""

    title = models.CharField(_("titre"), max_length=200)
    body = models.TextField(_("contenu"))
    offer = models.ForeignKey(
        "catalogue.Offer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service"),
    )
    published = models.BooleanField(_("publiée"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("fiche pratique")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class Ticket(models.Model):
    collectivite = models.ForeignKey(
        "portal.Collectivite", on_delete=models.PROTECT, related_name="tickets"
    )
    channel = models.ForeignKey(SupportChannel, on_delete=models.PROTECT, related_name="tickets")
    offer = models.ForeignKey(
        "catalogue.Offer", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The service account concerned lives in the tenant schema: kept by id and label only.
    account_id = models.PositiveBigIntegerField(null=True, blank=True)
    account_label = models.CharField(_("compte concerné"), max_length=200, blank=True)
    subject = models.CharField(_("objet"), max_length=200)
    description = models.TextField(_("description"))
    priority = models.CharField(
        _("priorité"), max_length=12, choices=Priority.choices, default=Priority.NORMAL
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="support_tickets"
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tickets",
    )
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="duplicates"
    )
    opened_at = models.DateTimeField()
    # Milestones (instants of events in the history, kept for reports and queue sorting).
    first_response_at = models.DateTimeField(null=True, blank=True)
    intervention_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    out_of_scope_reason = models.CharField(_("hors périmètre"), max_length=200, blank=True)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("demande d'assistance")
        ordering = ["-opened_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="ticket_rating_1_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    @property
    def number(self) -> str:
        return f"AS-{self.pk:05d}"


class TicketEvent(models.Model):
    """One entry of a ticket's history (append-only): the clock is computed from it."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("ouverture")
        STATUS = "status", _("changement d'état")
        REPLY = "reply", _("réponse")
        NOTE = "note", _("note interne")
        ASSIGNED = "assigned", _("attribution")
        MERGED = "merged", _("fusion")
        CONSENT_ASKED = "consent_asked", _("demande de télémaintenance")
        CONSENT_GIVEN = "consent_given", _("accord de télémaintenance")
        ESTIMATE = "estimate", _("devis d'intervention")
        TIME = "time", _("temps passé")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    at = models.DateTimeField(db_index=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    from_staff = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=Status.choices, blank=True)
    body = models.TextField(blank=True)
    public = models.BooleanField(default=True)
    minutes_spent = models.PositiveIntegerField(default=0)
    via_email = models.BooleanField(default=False)
    message_id = models.CharField(max_length=250, blank=True)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            # An e-mail read twice from the mailbox is one entry.
            models.UniqueConstraint(
                fields=["message_id"], condition=~models.Q(message_id=""), name="one_event_per_mail"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind} {self.at:%d/%m/%Y %H:%M}"


def attachment_upload_to(instance: Attachment, filename: str) -> str:
    # Per collectivité (P4): the schema names the folder; the file is served by a view only.
    return f"support/{instance.ticket.collectivite.schema_name}/{instance.ticket_id}/{filename}"


class Attachment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    event = models.ForeignKey(
        TicketEvent, on_delete=models.CASCADE, null=True, related_name="attachments"
    )
    file = models.FileField(upload_to=attachment_upload_to, max_length=300)
    name = models.CharField(max_length=200)
    size = models.PositiveIntegerField()
    content_type = models.CharField(max_length=100)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class SlaWarning(models.Model):
    """A warning sent (75 % to the assignee, breach to the support lead): once each."""

    class Level(models.TextChoices):
        THREE_QUARTERS = "75", _("75 % du délai")
        BREACH = "breach", _("délai dépassé")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="warnings")
    kind = models.CharField(max_length=16, choices=TargetKind.choices)
    level = models.CharField(max_length=8, choices=Level.choices)
    sent_at = models.DateTimeField()
    sent_to = models.EmailField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "kind", "level"], name="one_warning_each"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind} {self.level}"


class RemoteConsent(models.Model):
    """T3: a remote-maintenance session asked by the technician, agreed by the person."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="consents")
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    asked_at = models.DateTimeField()
    agreed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    agreed_at = models.DateTimeField(null=True)
    agreed_from = models.GenericIPAddressField(null=True)

    class Meta:
        ordering = ["asked_at"]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.asked_at:%d/%m/%Y %H:%M}"


class Estimate(models.Model):
    """T4: an exceptional intervention's estimate, priced from an hourly/daily offer."""

    class State(models.TextChoices):
        PROPOSED = "proposed", _("proposé")
        ACCEPTED = "accepted", _("accepté")
        REFUSED = "refused", _("refusé")
        SUPERSEDED = "superseded", _("remplacé")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="estimates")
    offer = models.ForeignKey("catalogue.Offer", on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("motif"), max_length=200)
    description = models.TextField(_("travaux prévus"), blank=True)
    quantity = models.DecimalField(_("quantité"), max_digits=8, decimal_places=2)
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    schedule_label = models.CharField(max_length=200)
    state = models.CharField(max_length=12, choices=State.choices, default=State.PROPOSED)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True)
    decided_from = models.GenericIPAddressField(null=True)
    po_number = models.CharField(_("bon de commande ou engagement"), max_length=200, blank=True)
    accepted_sha256 = models.CharField(max_length=64, blank=True)
    accepted_text = models.TextField(blank=True)
    spent_quantity = models.DecimalField(max_digits=8, decimal_places=2, null=True)
    delivery_id = models.PositiveBigIntegerField(null=True)

    class Meta:
        ordering = ["proposed_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="estimate_quantity"),
            models.CheckConstraint(
                condition=models.Q(spent_quantity__isnull=True)
                | models.Q(spent_quantity__lte=models.F("quantity")),
                name="estimate_spent_within_accepted",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket} {self.quantity} {self.offer}"


class TicketIncident(models.Model):
    """A request linked to a service incident (issue 13 item 5): by staff from the ticket's
    page, or on its own when it is opened on a service with an incident running. When the
    incident closes, the request still open gets one public reply with the closing note and is
    resolved; `answered_event` records that reply, and its uniqueness keeps it to one."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="incident_links")
    announcement = models.ForeignKey(
        "status.Announcement", on_delete=models.CASCADE, related_name="ticket_links"
    )
    linked_at = models.DateTimeField()
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    automatic = models.BooleanField(default=False)
    answered_event = models.OneToOneField(
        TicketEvent, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("demande liée à un incident")
        ordering = ["linked_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "announcement"], name="one_link_per_ticket_incident"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} ↔ {self.announcement_id}"
